"""Benchmark: two installs of coco side by side on one store, in alternating pairs.

Prints figures, asserts nothing. For each question it runs the ``--before`` and ``--after`` commands one after the
other, ``--runs`` pairs, the order swapped every pair so neither always runs on a warm cache, and prints for each
the median and minimum wall time (whole process, interpreter start-up included) and the peak RSS (``os.wait4``),
whether the two gave the same stdout, and the median of the pairs' after/before ratios (each pair ran under the
same load: the steadier figure on a shared machine).

    python benchmarks/bench_side_by_side.py --before /path/to/main/.venv/bin/coco --after .venv/bin/coco \\
        --store /tmp/coco-bench/bench.duckdb --delivery D225000 --day 2026-11-25

The questions: ``coco timeline DELIVERY`` and ``coco deliveries`` over the whole ``--day`` (table to a pipe,
as a script would read them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta


def timed(cmd: list[str]) -> tuple[float, int, bytes]:
    """Wall seconds, peak RSS (KiB) and stdout of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{err.decode(errors='replace')}")
    return wall, usage.ru_maxrss, out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", required=True, help="the coco executable to compare against")
    p.add_argument("--after", required=True, help="the coco executable under test")
    p.add_argument("--store", required=True)
    p.add_argument("--delivery", default="D225000")
    p.add_argument("--day", default="2026-11-25", help="the day (UTC) of `coco deliveries`")
    p.add_argument("--runs", type=int, default=9, help="pairs per question")
    a = p.parse_args()

    day = date.fromisoformat(a.day)
    since, until = f"{day.isoformat()}T00:00Z", f"{(day + timedelta(days=1)).isoformat()}T00:00Z"
    questions = {
        f"coco timeline {a.delivery}": ["timeline", a.delivery, "--store", a.store],
        f"coco deliveries over {a.day}": ["deliveries", "--since", since, "--until", until, "--store", a.store],
    }
    print(f"load average at the start: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    print("| question | install | median | min | peak RSS | same stdout |")
    print("| --- | --- | --- | --- | --- | --- |")
    for title, args in questions.items():
        sides = {"before": a.before, "after": a.after}
        walls: dict[str, list[float]] = {k: [] for k in sides}
        rss: dict[str, int] = {k: 0 for k in sides}
        outs: dict[str, set[bytes]] = {k: set() for k in sides}
        for _ in range(1):  # one unmeasured pair: both installs' bytecode and the page cache warm
            for exe in sides.values():
                timed([exe, *args])
        for i in range(a.runs):
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for side in order:
                wall, peak, out = timed([sides[side], *args])
                walls[side].append(wall)
                rss[side] = max(rss[side], peak)
                outs[side].add(out)
        same = outs["before"] == outs["after"] and len(outs["after"]) == 1
        ratio = statistics.median(b / a for a, b in zip(walls["before"], walls["after"]))
        for side in sides:
            w = walls[side]
            figures = f"{statistics.median(w):.3f} s | {min(w):.3f} s | {rss[side] // 1024} MiB"
            print(f"| {title} | {side} | {figures} | {'yes' if same else 'NO'} |")
        print(f"| {title} | after/before, median of the pairs | {ratio:.3f} | | | |")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
