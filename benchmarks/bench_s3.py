"""Benchmark: `coco load s3://…` of the 1M-event archive from moto's S3 server, beside `coco load` of the same
files on disk; and a no-op re-sync (every object skipped by key, ETag and size).

Prints figures, asserts nothing. Each measured command is a whole process (interpreter start-up included),
timed by wall clock, with its own peak RSS (``os.wait4``); S3 and disk loads alternate, each into a fresh
store, so both see the same machine state. The S3 server is moto's (``python -m moto.server``), in its own
process on 127.0.0.1: it shares the machine's cores with coco, which real S3 does not.

    python benchmarks/bench_s3.py                  # 1M events (the archive of benchmarks/bench.py), 3 runs each
    python benchmarks/bench_s3.py --events 200000  # quicker
    python benchmarks/bench_s3.py --noop-only      # only the no-op re-sync of 200 objects

Targets (issue 12): S3 load <= 1.5x the disk load; a no-op re-sync of 200 objects <= 1 s.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import coco_cmd, generated_archive  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict[str, str], seen: list[float] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB); with ``seen``, the command's ``--json`` "seconds" is appended to it."""
    started = time.perf_counter()
    out = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    if seen is not None:
        out.seek(0)
        seen.append(json.load(out)["seconds"])
    return wall, usage.ru_maxrss


def fresh(store: Path) -> None:
    for suffix in ("", ".wal"):
        Path(str(store) + suffix).unlink(missing_ok=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "coco-bench"))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--noop-runs", type=int, default=5)
    p.add_argument("--noop-objects", type=int, default=200)
    p.add_argument("--noop-only", action="store_true", help="time only the no-op re-sync (no 1M-event loads)")
    a = p.parse_args()

    root = Path(a.dir)
    archive = generated_archive(root, a.events)
    files = sorted(glob.glob(str(archive / "*" / "*.log.gz")))
    size = sum(os.path.getsize(f) for f in files)

    port = free_port()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.pop("AWS_ENDPOINT_URL_S3", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("moto server did not start") from None
                time.sleep(0.1)
        import boto3

        s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
        s3.create_bucket(Bucket="coco-bench")
        s3.create_bucket(Bucket="coco-bench-noop")
        print(f"uploading {len(files)} objects ({size / 2**20:.0f} MiB) to {url} ...", file=sys.stderr)
        for f in [] if a.noop_only else files:
            key = Path(f).relative_to(archive).as_posix()
            s3.upload_file(f, "coco-bench", key)
        few = files[: a.noop_objects]
        for f in few:
            s3.upload_file(f, "coco-bench-noop", Path(f).relative_to(archive).as_posix())

        coco = coco_cmd()
        disk_store, s3_store = root / "bench-disk.duckdb", root / "bench-s3.duckdb"
        disk_runs, s3_runs = [], []
        for n in range(0 if a.noop_only else a.runs):
            fresh(disk_store)
            disk_runs.append(run([*coco, "load", str(archive), "--store", str(disk_store)], env))
            fresh(s3_store)
            s3_runs.append(run([*coco, "load", "s3://coco-bench/", "--endpoint-url", url, "--store", str(s3_store)], env))
            print(f"run {n + 1}: disk {disk_runs[-1][0]:.2f} s, s3 {s3_runs[-1][0]:.2f} s", file=sys.stderr)

        noop_store = root / "bench-noop.duckdb"
        fresh(noop_store)
        run([*coco, "load", "s3://coco-bench-noop/", "--endpoint-url", url, "--store", str(noop_store)], env)
        inside: list[float] = []
        noop_runs = [
            run([*coco, "load", "s3://coco-bench-noop/", "--endpoint-url", url, "--store", str(noop_store), "--json"], env, inside)
            for _ in range(a.noop_runs)
        ]
        help_runs = [run([*coco, "--help"], env) for _ in range(a.noop_runs)]
    finally:
        server.kill()
        server.wait()

    def med(runs: list[tuple[float, int]]) -> tuple[float, float]:
        return statistics.median(r[0] for r in runs), max(r[1] for r in runs) / 1024

    d, dm = med(disk_runs) if disk_runs else (float("nan"), 0.0)
    s, sm = med(s3_runs) if s3_runs else (float("nan"), 0.0)
    o, om = med(noop_runs)
    h, _ = med(help_runs)
    print(
        f"\nS3 archive: {len(files)} objects, {size / 2**20:.1f} MiB, {a.events:,} events "
        f"(moto server on 127.0.0.1, its own process); load average {os.getloadavg()[0]:.1f}"
    )
    print("| command | median | runs | peak RSS | target |")
    print("| --- | --- | --- | --- | --- |")
    if disk_runs:
        print(f"| `coco load ARCHIVE/` into a fresh store | {d:.2f} s | {len(disk_runs)} | {dm:.0f} MiB | |")
        print(f"| `coco load s3://…` into a fresh store | {s:.2f} s | {len(s3_runs)} | {sm:.0f} MiB | <= 1.5x disk (**{s / d:.2f}x**) |")
    print(f"| no-op re-sync, `coco load s3://…` of {len(few)} objects all loaded | {o:.2f} s | {len(noop_runs)} | {om:.0f} MiB | <= 1 s |")
    print(
        f"| the same re-sync inside the process (boto3 client, listing, skip; `--json` seconds) | "
        f"{statistics.median(inside):.2f} s | {len(inside)} | | |"
    )
    print(f"| `coco --help` (interpreter and CLI start-up) | {h:.2f} s | {len(help_runs)} | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
