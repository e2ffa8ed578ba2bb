"""Benchmark: coco's start-up - whole processes of `coco --help`, `coco timeline --help` and one timeline.

Prints figures, asserts nothing. Each command is timed by wall clock as a whole process (interpreter start-up
included), median of N after one warm-up round, alternating with ``python -c pass`` and, with ``--before COCO``,
with another install's ``coco`` script (e.g. a venv of an older commit or another typer), so all see the same
machine state. Then ``python -X importtime`` of the timeline, summed by top-level package (self times).

    python benchmarks/bench_startup.py --store S.duckdb --id D207562
    python benchmarks/bench_startup.py --store S.duckdb --id D207562 --before /tmp/old/.venv/bin/coco

Without --store, a demo store is made in a temporary folder (`coco demo`). The store is only read.
PYTHONDONTWRITEBYTECODE is dropped from the children's environment, so bytecode is cached as in a real install.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"COLUMNS": "120"}


def wall(cmd: list[str]) -> float:
    started = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd=tempfile.gettempdir())
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.decode()[-500:]}")
    return time.perf_counter() - started


def import_times(python: str, argv: list[str], runs: int = 5) -> dict[str, float]:
    """Self import time (ms) by top-level package of ``main(argv)``, median of ``runs`` runs."""
    code = f"import sys; from cocoevents.cli.main import main; sys.exit(main({argv!r}))"
    seen: dict[str, list[float]] = collections.defaultdict(lambda: [0.0] * runs)
    for i in range(runs):
        r = subprocess.run(
            [python, "-X", "importtime", "-c", code],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
            cwd=tempfile.gettempdir(),
        )
        for line in r.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
            if m:
                seen[m.group(2).split(".")[0].lstrip("_")][i] += int(m.group(1)) / 1000
    return {name: statistics.median(ms) for name, ms in seen.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", help="a store to read (default: a demo store made here)")
    ap.add_argument("--id", help="a delivery id in --store")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--before", metavar="COCO", help="another coco script to alternate with")
    a = ap.parse_args()
    coco = shutil.which("coco", path=str(Path(sys.executable).parent)) or "coco"
    tmp = tempfile.TemporaryDirectory()
    store, subject = a.store, a.id
    if store is None:
        store, subject = str(Path(tmp.name) / "demo.duckdb"), subject or "D12345"
        subprocess.run([coco, "demo", "--store", store], check=True, capture_output=True, env=ENV)
    cases = {
        "coco --help": ["--help"],
        "coco timeline --help": ["timeline", "--help"],
        f"coco timeline {subject}": ["timeline", subject, "--store", store],
    }
    installs = {"now": coco} | ({"before": a.before} if a.before else {})
    print(f"{a.runs} runs each, median (min) ms; load average {os.getloadavg()[0]:.1f}")
    base: list[float] = []
    for label, args in cases.items():
        times: dict[str, list[float]] = {k: [] for k in installs}
        for i in range(a.runs + 1):
            for k, exe in installs.items():
                t = wall([exe, *args])
                if i:
                    times[k].append(t)
            t = wall([sys.executable, "-c", "pass"])
            if i:
                base.append(t)
        print(f"  {label:34s}" + "   ".join(f"{k} {statistics.median(v) * 1000:5.0f} ({min(v) * 1000:3.0f})" for k, v in times.items()))
    print(f"  {'python -c pass':34s}now {statistics.median(base) * 1000:5.0f} ({min(base) * 1000:3.0f})")
    for k, exe in installs.items():
        by = import_times(str(Path(exe).parent / "python"), ["timeline", subject, "--store", store])
        top = sorted(by.items(), key=lambda kv: -kv[1])[:8]
        print(
            f"  import time of the timeline ({k}), ms by package: {sum(by.values()):.0f} in all; "
            + ", ".join(f"{n} {ms:.0f}" for n, ms in top)
        )


if __name__ == "__main__":
    main()
