"""Benchmark: `coco load` and `coco timeline` on a 1M-event archive, beside zcat and grep.

Prints figures, asserts nothing. Each measured command is a whole process
(interpreter start-up included), timed by wall clock, with its own peak RSS
from ``os.wait4``. Baselines run in the same session, alternating with the
command they are compared to, so both see the same machine state.

    python benchmarks/bench.py                  # 1M events, 3 load runs, 9 timeline runs
    python benchmarks/bench.py --events 200000  # quicker
    python benchmarks/bench.py --before a3a3595 # also time `coco timeline` as that commit did (same store)

Targets (issues 2 and 3): load <= 2.5x zcat wall time, peak RSS <= 1 GiB;
timeline median <= 0.35 s, <= 0.1x the zcat|grep pipeline, peak RSS <= 200 MiB.
Issue 10 (findings): the fleet baseline rebuild a load runs costs <= 15% of the load; a timeline with
findings stays within 10% of the timeline before findings (``--before REV``: that commit's code, run from a
``git archive`` of it on the same store, alternating with today's).
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run(cmd: list[str], *, shell: bool = False) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command, output discarded."""
    started = time.perf_counter()
    proc = subprocess.Popen(" ".join(cmd) if shell else cmd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # grep exits 1 when nothing matches
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss


def generated_archive(root: Path, events: int) -> Path:
    """The generator's archive of ``events`` events under ``root``, made once and kept for later runs."""
    archive = root / f"archive-{events}"
    if not archive.exists():
        print(f"generating {events:,} events into {archive} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "cocoevents.devtools.generator", str(archive), "--events", str(events)], check=True)
    return archive


def coco_cmd() -> list[str]:
    exe = shutil.which("coco")
    return [exe] if exe else [sys.executable, "-c", "from cocoevents.cli.launch import run; run()"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "coco-bench"))
    p.add_argument("--load-runs", type=int, default=3)
    p.add_argument("--timeline-runs", type=int, default=9)
    p.add_argument("--before", help="a git revision whose `coco timeline` to time beside today's")
    p.add_argument("--reuse-store", action="store_true", help="time only the timelines, on the store a previous run left (no load runs)")
    a = p.parse_args()

    root = Path(a.dir)
    archive = generated_archive(root, a.events)
    files = sorted(glob.glob(str(archive / "*" / "*.log.gz")))
    raw = sum(os.path.getsize(f) for f in files)
    coco = coco_cmd()

    zcat_runs, load_runs, rebuild_s = [], [], []
    store = root / "bench.duckdb"
    for _ in range(0 if a.reuse_store and store.exists() else a.load_runs):
        zcat_runs.append(run(["zcat", *files]))
        for suffix in ("", ".wal"):
            Path(str(store) + suffix).unlink(missing_ok=True)
        load_runs.append(run([*coco, "load", str(archive), "--store", str(store)]))
        rebuild_s.append(_rebuild_seconds(store))  # right after its load: the same machine state
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import duckdb; print(duckdb.connect({str(store)!r}, read_only=True).execute('select count(*) from events').fetchone()[0])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    rebuild_runs = [run([*coco, "baseline", "--rebuild", "--store", str(store)]) for _ in range(len(load_runs))]

    # a delivery from the middle of the day (the first id from there that exists: some offers are rejected)
    delivery = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import duckdb; print(duckdb.connect({str(store)!r}, read_only=True).execute("
            f"\"select min(delivery_id) from events where delivery_id >= 'D{200000 + a.events // 40}'"
            f' and length(delivery_id) = 7").fetchone()[0])',
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    pattern = shlex.quote(f'"{delivery}"')
    grep_cmd = ["zcat", *map(shlex.quote, files), "|", "grep", "-F", pattern]
    before = checkout(a.before, root) if a.before else None
    before_cmd = (
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(before)!r}); from cocoevents.cli.launch import run; run()"]
        if before
        else None
    )
    tl_runs, grep_runs, before_runs = [], [], []
    run([*coco, "timeline", delivery, "--store", str(store)])  # warm the page cache once
    for _ in range(a.timeline_runs):
        tl_runs.append(run([*coco, "timeline", delivery, "--store", str(store)]))
        grep_runs.append(run(grep_cmd, shell=True))
        if before_cmd:
            before_runs.append(run([*before_cmd, "timeline", delivery, "--store", str(store)]))

    def med(rs: list[tuple[float, int]]) -> float:
        return statistics.median(r[0] for r in rs) if rs else float("nan")

    def peak(rs: list[tuple[float, int]]) -> float:
        return max((r[1] for r in rs), default=0) / 1024

    print(
        f"archive: {len(files)} files, {raw / 2**20:.1f} MiB gzip, {count} events loaded; "
        f"store {store.stat().st_size / 2**20:.1f} MiB; python {sys.version.split()[0]}; {os.cpu_count()} cores"
    )
    print(f"{'command':<44}{'median s':>10}{'runs':>6}{'peak RSS MiB':>14}")
    rows = [
        ("zcat (all files > /dev/null)", zcat_runs),
        ("coco load (fresh store)", load_runs),
        (f"zcat | grep -F '\"{delivery}\"'", grep_runs),
        (f"coco timeline {delivery}", tl_runs),
        ("coco baseline --rebuild (whole process)", rebuild_runs),
    ]
    if before_runs:
        rows.append((f"coco timeline {delivery} at {a.before}", before_runs))
    for label, rs in rows:
        print(f"{label:<44}{med(rs):>10.3f}{len(rs):>6}{peak(rs):>14.1f}")
    print(f"load / zcat            = {med(load_runs) / med(zcat_runs):.2f}x   (target <= 2.5x; RSS target <= 1024 MiB)")
    print(
        f"timeline / zcat|grep   = {med(tl_runs) / med(grep_runs):.3f}x  (target <= 0.1x; median target <= 0.35 s; RSS target <= 200 MiB)"
    )
    if rebuild_s:
        rebuild = statistics.median(rebuild_s)
        print(f"baseline rebuild       = {rebuild:.3f} s in-process = {rebuild / med(load_runs):.1%} of the load (target <= 15%)")
    if before_runs:
        print(f"timeline / {a.before:<11} = {med(tl_runs) / med(before_runs):.3f}x  (findings included; target <= 1.10x)")
    return 0


def _rebuild_seconds(store: Path) -> float:
    """The fleet baseline rebuild a load runs after adding files, alone and in-process: what the load paid."""
    return float(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import time, duckdb; from cocoevents.store.baseline import rebuild; "
                f"con = duckdb.connect({str(store)!r}); t = time.perf_counter(); rebuild(con); "
                "print(time.perf_counter() - t)",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def checkout(rev: str, root: Path) -> Path:
    """The package tree of ``rev`` (``git archive``), to run that commit's code on the same store."""
    target = root / f"src-{rev}"
    if not target.exists():
        target.mkdir(parents=True)
        repo = Path(__file__).resolve().parent.parent
        archive = subprocess.run(["git", "-C", str(repo), "archive", rev, "cocoevents"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


if __name__ == "__main__":
    raise SystemExit(main())
