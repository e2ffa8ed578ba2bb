"""Benchmark of growth: the same questions on archives of 1M, 10M (and 30M) events of one day.

Prints figures, asserts nothing. For each size it generates (once, kept under
``--dir``) a one-day archive shaped like the shipper's with the generator's
bulk mode, then measures whole processes (interpreter start-up included, peak
RSS from ``os.wait4``), each beside its baseline on the same files, the two
alternating so both see the same machine state:

- ``coco load`` into a fresh store vs ``zcat`` of all the files;
- the store's size vs the archive's gzip size;
- ``coco timeline`` of a delivery, of a robot over the day and of a pilot over the day, each vs
  ``zcat | grep -F '"ID"'`` of the same archive.

    python benchmarks/bench_growth.py                      # 1M and 10M
    python benchmarks/bench_growth.py --sizes 1M,10M,30M   # 30M: ~3 GB of gzip, ~30 GB of JSON
    python benchmarks/bench_growth.py --sizes 1M --reuse-store   # timelines only, on the stores left

Goals (issue 15), at every size: load <= 2.5x zcat, load peak RSS <= 1 GiB; delivery timeline <= 0.35 s
and <= 200 MiB; robot-day timeline <= 0.5 s.
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import coco_cmd, run  # noqa: E402 - the helpers of the 1M benchmark

DAY = "2026-11-25"


def size_arg(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def query(store: Path, sql: str) -> str:
    """One value from the store, read in a process of its own (the benchmark process opens nothing)."""
    return subprocess.run(
        [sys.executable, "-c", f"import duckdb; print(duckdb.connect({str(store)!r}, read_only=True).execute({sql!r}).fetchone()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def subjects(store: Path) -> dict[str, str]:
    """A delivery from the middle of the day, the robot that carried it and a pilot of that robot."""
    delivery = query(
        store,
        "SELECT delivery_id FROM events WHERE event = 'delivery.pickup_completed' "
        "AND ts >= TIMESTAMP '" + DAY + " 14:00:00' ORDER BY ts LIMIT 1",
    )
    robot = query(store, f"SELECT robot_id FROM events WHERE delivery_id = '{delivery}' AND robot_id IS NOT NULL LIMIT 1")
    pilot = query(store, f"SELECT min(pilot_id) FROM events WHERE robot_id = '{robot}' AND pilot_id IS NOT NULL")
    return {"delivery": delivery, "robot": robot, "pilot": pilot}


def measure(n: int, a: argparse.Namespace, coco: list[str]) -> dict[str, object]:
    root = Path(a.dir)
    archive = root / f"archive-{label(n)}"
    if not archive.exists():
        print(f"generating {n:,} events into {archive} ...", file=sys.stderr)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cocoevents.devtools.generator", str(archive) + ".part", "--events", str(n), "--bulk"], check=True
        )
        os.replace(str(archive) + ".part", archive)
        print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    files = sorted(glob.glob(str(archive / "*" / "*.log.gz")))
    gz = sum(os.path.getsize(f) for f in files)
    store = root / f"store-{label(n)}.duckdb"
    zcat_runs: list[tuple[float, int]] = []
    load_runs: list[tuple[float, int]] = []
    if not (a.reuse_store and store.exists()):
        for _ in range(a.load_runs):
            zcat_runs.append(run(["zcat", *files]))
            for suffix in ("", ".wal", ".waiting"):
                Path(str(store) + suffix).unlink(missing_ok=True)
            load_runs.append(run([*coco, "load", str(archive), "--store", str(store)]))
            print(f"  {label(n)}: zcat {zcat_runs[-1][0]:.1f} s, load {load_runs[-1][0]:.1f} s", file=sys.stderr)
    events = int(query(store, "SELECT count(*) FROM events"))
    who = subjects(store)
    since, until = f"{DAY}T00:00:00Z", f"{DAY}T23:59:59Z"
    cases = [
        ("delivery", who["delivery"], []),
        ("robot-day", who["robot"], ["--since", since, "--until", until]),
        ("pilot-day", who["pilot"], ["--since", since, "--until", until]),
    ]
    every = shlex.quote(str(archive)) + "/*/*.log.gz"  # expanded by the shell: the list is too long for sh -c
    timelines = {}
    for name, ident, extra in cases:
        cmd = [*coco, "timeline", ident, "--store", str(store), *extra]
        grep = ["zcat", every, "|", "grep", "-F", shlex.quote(f'"{ident}"')]
        run(cmd)  # warm the page cache once
        tl, gr = [], []
        for k in range(a.timeline_runs):
            tl.append(run(cmd))
            if k < a.grep_runs:
                gr.append(run(grep, shell=True))
        timelines[name] = (ident, tl, gr)
    return {
        "n": n,
        "events": events,
        "files": len(files),
        "gz": gz,
        "store": store.stat().st_size,
        "zcat": zcat_runs,
        "load": load_runs,
        "timelines": timelines,
    }


def med(rs: list[tuple[float, int]]) -> float:
    return statistics.median(r[0] for r in rs) if rs else float("nan")


def peak(rs: list[tuple[float, int]]) -> float:
    return max((r[1] for r in rs), default=0) / 1024


def report(results: list[dict[str, object]]) -> None:
    print(
        f"python {sys.version.split()[0]}; {os.cpu_count()} cores; load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    head = f"{'':<34}" + "".join(f"{label(r['n']):>22}" for r in results)  # type: ignore[arg-type]
    print(head)

    def line(name: str, cell) -> None:  # type: ignore[no-untyped-def]
        print(f"{name:<34}" + "".join(f"{cell(r):>22}" for r in results))

    line("events loaded", lambda r: f"{r['events']:,}")
    line("files / gzip MiB", lambda r: f"{r['files']} / {r['gz'] / 2**20:.0f}")
    line("store MiB (x gzip)", lambda r: f"{r['store'] / 2**20:.0f} ({r['store'] / r['gz']:.2f}x)")
    line("zcat s", lambda r: f"{med(r['zcat']):.1f}")
    line("coco load s (x zcat)", lambda r: f"{med(r['load']):.1f} ({med(r['load']) / med(r['zcat']):.2f}x)")
    line("coco load peak RSS MiB", lambda r: f"{peak(r['load']):.0f}")
    line("coco load us/event", lambda r: f"{med(r['load']) / r['events'] * 1e6:.1f}")
    for name in ("delivery", "robot-day", "pilot-day"):
        line(f"timeline {name} s / MiB", lambda r, name=name: f"{med(r['timelines'][name][1]):.3f} / {peak(r['timelines'][name][1]):.0f}")
        line(
            "  zcat|grep s (timeline x)",
            lambda r, name=name: f"{med(r['timelines'][name][2]):.1f} ({med(r['timelines'][name][1]) / med(r['timelines'][name][2]):.3f}x)",
        )
    for r in results:
        ids = ", ".join(f"{k} {v[0]}" for k, v in r["timelines"].items())  # type: ignore[union-attr]
        runs = len(next(iter(r["timelines"].values()))[1])  # type: ignore[union-attr]
        print(f"{label(r['n'])}: {ids}; {len(r['load'])} load runs, {runs} timeline runs")  # type: ignore[arg-type]
    print("goals: load <= 2.5x zcat, <= 1024 MiB; delivery <= 0.35 s, <= 200 MiB; robot-day <= 0.5 s")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1M,10M", help="comma-separated event counts (1M, 10M, 30M, 200k...)")
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "coco-growth"))
    p.add_argument("--load-runs", type=int, default=2)
    p.add_argument("--timeline-runs", type=int, default=7)
    p.add_argument("--grep-runs", type=int, default=2, help="zcat|grep runs per timeline (they take seconds)")
    p.add_argument("--reuse-store", action="store_true", help="time only the timelines, on the stores left")
    a = p.parse_args()
    Path(a.dir).mkdir(parents=True, exist_ok=True)
    coco = coco_cmd()
    results = [measure(size_arg(s), a, coco) for s in a.sizes.split(",") if s.strip()]
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
