"""Benchmark: `coco deliveries` over one hour and `coco errors` over the day, beside `zcat | grep -c delivery.failed`.

Prints figures, asserts nothing. Each measured command is a whole process (interpreter start-up included),
timed by wall clock, with its peak RSS; the grep baseline alternates with the coco commands. The archive and
the store are those of benchmarks/bench.py (generated and loaded here when missing).

    python benchmarks/fleet.py                  # 1M events, 7 runs each
    python benchmarks/fleet.py --events 200000  # quicker

Targets (issue 11): each coco command <= 1 s and <= 0.3x the zcat|grep pipeline.
`coco errors` reads the store's error index (store schema 8), written at load time: no cache, so its first run
after a load is timed apart ("first") from the others.
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import coco_cmd, generated_archive, run  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "coco-bench"))
    p.add_argument("--runs", type=int, default=7)
    a = p.parse_args()

    root = Path(a.dir)
    archive = generated_archive(root, a.events)
    files = sorted(glob.glob(str(archive / "*" / "*.log.gz")))
    coco = coco_cmd()
    store = root / f"fleet-{a.events}.duckdb"
    if not store.exists():
        print(f"loading {archive} into {store} ...", file=sys.stderr)
        subprocess.run([*coco, "load", str(archive), "--store", str(store)], check=True)

    day = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]
    hour = ["--since", "2026-11-25T12:00Z", "--until", "2026-11-25T13:00Z"]
    deliveries = [*coco, "deliveries", *hour, "--store", str(store)]
    failed = [*coco, "deliveries", "--status", "failed", *hour, "--store", str(store)]
    errors = [*coco, "errors", *day, "--store", str(store)]
    grep = ["zcat", *map(shlex.quote, files), "|", "grep", "-c", "delivery.failed"]

    cold = [run(errors)]
    runs: dict[str, list[tuple[float, int]]] = {"grep": [], "deliveries": [], "failed": [], "errors": []}
    run(deliveries)  # warm the page cache once
    for _ in range(a.runs):
        runs["grep"].append(run(grep, shell=True))
        runs["deliveries"].append(run(deliveries))
        runs["failed"].append(run(failed))
        runs["errors"].append(run(errors))

    def med(rs: list[tuple[float, int]]) -> float:
        return statistics.median(r[0] for r in rs)

    def peak(rs: list[tuple[float, int]]) -> float:
        return max(r[1] for r in rs) / 1024

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
    print(f"store: {count} events ({len(files)} files); python {sys.version.split()[0]}; {os.cpu_count()} cores")
    print(f"{'command':<64}{'median s':>10}{'runs':>6}{'peak RSS MiB':>14}")
    rows = [
        ("zcat | grep -c delivery.failed", runs["grep"]),
        ("coco deliveries --since 12:00Z --until 13:00Z (50 shown)", runs["deliveries"]),
        ("coco deliveries --status failed (same hour, narrowed in SQL)", runs["failed"]),
        ("coco errors (the whole day)", runs["errors"]),
        ("coco errors (the whole day; first run)", cold),
    ]
    for label, rs in rows:
        print(f"{label:<64}{med(rs):>10.3f}{len(rs):>6}{peak(rs):>14.1f}")
    g = med(runs["grep"])
    for label, key in (("deliveries", "deliveries"), ("deliveries --status failed", "failed"), ("errors", "errors")):
        m = med(runs[key])
        print(f"{label + ' / grep':<34}= {m / g:.3f}x  median {m:.3f} s  (targets <= 0.3x, <= 1 s)")
    print(f"{'errors (first run) / grep':<34}= {med(cold) / g:.3f}x  {med(cold):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
