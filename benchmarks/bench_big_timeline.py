"""Benchmark: `coco timeline` of one delivery holding 1,000,000 events (issue 9, item 17).

Prints figures, asserts nothing. Builds the archive (small records, 10 robots, one delivery ``DBIG``) unless
``--archive`` names one, loads it into a store of its own, then runs, each as a whole process (interpreter
start-up included), timed by wall clock, with its own peak RSS from ``os.wait4``:

    coco timeline DBIG -f json -o FILE
    coco timeline DBIG -f jsonl > /dev/null
    coco timeline DBIG -f csv > /dev/null
    coco timeline DBIG > /dev/null            (the table: 2,000 rows shown)

    python benchmarks/bench_big_timeline.py                    # 1M events
    python benchmarks/bench_big_timeline.py --events 200000    # quicker
    python benchmarks/bench_big_timeline.py --archive d.log.gz --id DBIG

Target (issue 9): -f json <= 500 MiB peak RSS and <= 15 s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def run(cmd: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (KiB) and exit code of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss, code


def coco_cmd() -> list[str]:
    exe = shutil.which("coco")
    return [exe] if exe else [sys.executable, "-c", "from cocoevents.cli.launch import run; run()"]


def make_archive(path: Path, events: int) -> None:
    """One delivery ``DBIG`` of ``events`` small records over 10 robots (the issue's recipe)."""
    robots = max(events // 10, 1)
    with gzip.open(path, "wt") as f:
        for i in range(events):
            f.write(
                json.dumps(
                    {
                        "event": "robot.state_changed" if i % 7 else "trip.started",
                        "timestamp": f"2026-11-25T{(i // 360000) % 24:02d}:{(i // 6000) % 60:02d}:{(i // 100) % 60:02d}."
                        f"{(i % 100) * 10:03d}Z",
                        "delivery_id": "DBIG",
                        "robot_id": "R-%d" % (i // robots),
                        "n": i,
                        "level": "info",
                    }
                )
                + "\n"
            )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--archive", type=Path, help="an archive file to load instead of building one")
    p.add_argument("--id", default="DBIG", help="the delivery to time (default DBIG)")
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "coco-bench-big")
    p.add_argument("--runs", type=int, default=1, help="runs of each command (the median is printed)")
    a = p.parse_args()

    a.dir.mkdir(parents=True, exist_ok=True)
    archive = a.archive
    if archive is None:
        archive = a.dir / f"big-{a.events}.log.gz"
        if not archive.exists():
            print(f"generating {a.events:,} events into {archive} ...", file=sys.stderr)
            make_archive(archive, a.events)
    store = a.dir / f"{archive.name}.duckdb"
    coco = coco_cmd()
    if not store.exists():
        print(f"loading {archive} into {store} ...", file=sys.stderr)
        subprocess.run([*coco, "load", str(archive), "--store", str(store)], check=True, stdout=subprocess.DEVNULL)

    out = a.dir / "out.json"
    cases = [
        ("-f json -o FILE", [*coco, "timeline", a.id, "--store", str(store), "-f", "json", "-o", str(out)]),
        ("-f jsonl", [*coco, "timeline", a.id, "--store", str(store), "-f", "jsonl"]),
        ("-f csv", [*coco, "timeline", a.id, "--store", str(store), "-f", "csv"]),
        ("table", [*coco, "timeline", a.id, "--store", str(store)]),
    ]
    print(f"coco timeline {a.id}: {archive} ({os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start)")
    for label, cmd in cases:
        runs = sorted(run(cmd) for _ in range(a.runs))
        wall, rss, _ = runs[len(runs) // 2]
        print(f"  {label:<18} {wall:7.1f} s  peak RSS {rss / 1024:7.0f} MiB")
    print(f"  load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
