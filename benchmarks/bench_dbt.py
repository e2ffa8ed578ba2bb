"""Benchmark: `dbt build` of the dbt project over a 1M-event store, beside `coco load` of the same archive.

Prints figures, asserts nothing. Each command is a whole process (interpreter and dbt start-up included),
timed by wall clock, with its peak RSS (``bench.run``).

    python benchmarks/bench_dbt.py                         # 1M events on day 1, 100k on day 2
    python benchmarks/bench_dbt.py --events 200000 --day2-events 20000

Steps: `coco load` the day-1 archive (the archive of ``bench.py``) into a fresh store; `dbt build
--full-refresh` over it; `coco load` a second day; `dbt build` incremental for that day
(``coco_day``, ``coco_days_back: 0``); and for comparison `dbt build --full-refresh` over both days.
Needs the dbt extra: ``pip install -e '.[dbt]'``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import coco_cmd, generated_archive, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DBT = [sys.executable, "-c", "from dbt.cli.main import cli; cli()"]


def second_day(out: Path, events: int) -> None:
    """A second fleet day (2026-11-26): the same robots and pilots, new deliveries, demands and offers."""
    from cocoevents.devtools import generator

    fleet = generator.sized_fleet(events, seed=8)
    fleet.day = date(2026, 11, 26)
    records = generator.fleet_day(fleet)
    for r in records:
        for k in ("delivery_id", "demand_id", "offer_id"):
            if isinstance(r.get(k), str):
                r[k] += "-2"
    generator.write_archive(records, out, seed=8)


def node_seconds(work: Path) -> tuple[float, float]:
    """Seconds dbt spent in models (and the seed) and in data tests, from its run_results.json."""
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    return sum(r["execution_time"] for r in results) - tests, tests


def count(path: Path, sql: str) -> int:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--day2-events", type=int, default=100_000)
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "coco-bench"))
    a = p.parse_args()

    root = Path(a.dir)
    archive = generated_archive(root, a.events)
    day2 = root / f"day2-{a.day2_events}"
    if not day2.exists():
        print(f"generating {a.day2_events:,} day-2 events into {day2} ...", file=sys.stderr)
        second_day(day2, a.day2_events)

    work = root / "dbt"
    work.mkdir(parents=True, exist_ok=True)
    store = work / "store.duckdb"
    output = work / "analytics.duckdb"
    for f in (store, output):
        for suffix in ("", ".wal"):
            Path(str(f) + suffix).unlink(missing_ok=True)
    (work / "profiles.yml").write_text(
        json.dumps(
            {
                "coco": {
                    "target": "local",
                    "outputs": {
                        "local": {
                            "type": "duckdb",
                            "path": str(output),
                            "schema": "main",
                            "threads": 2,
                            "settings": {"TimeZone": "UTC"},
                            "attach": [{"path": str(store), "alias": "coco", "read_only": True}],
                        }
                    },
                }
            }
        )
    )
    os.environ.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    dbt = [
        *DBT,
        "build",
        "--project-dir",
        str(ROOT / "dbt"),
        "--profiles-dir",
        str(work),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]

    figures = []

    def build(name: str, *extra: str) -> None:
        wall, rss = run([*dbt, *extra])
        figures.append((name, wall, rss, *node_seconds(work)))

    gz = sum(os.path.getsize(f) for f in glob.glob(str(archive / "*" / "*.log.gz")))
    figures.append(
        (f"`coco load` day 1 ({gz / 2**20:.0f} MiB gzip)", *run([*coco_cmd(), "load", str(archive), "--store", str(store)]), None, None)
    )
    day1 = count(store, "select count(*) from events")
    build(f"`dbt build --full-refresh` over day 1 ({day1:,} events)", "--full-refresh")
    deliveries = count(output, "select count(*) from dim_delivery_sessions")
    rows = count(output, "select count(*) from fct_delivery_timeline")
    figures.append(("`coco load` day 2", *run([*coco_cmd(), "load", str(day2), "--store", str(store)]), None, None))
    both = count(store, "select count(*) from events")
    build(f"`dbt build` incremental, day 2 only ({both - day1:,} new events)", "--vars", "{coco_day: '2026-11-26', coco_days_back: 0}")
    build(f"`dbt build --full-refresh` over both days ({both:,} events)", "--full-refresh")

    print(f"day 1: {day1:,} events, {deliveries:,} deliveries, {rows:,} timeline rows; both days: {both:,} events")
    print("| command | wall | in models | in data tests | peak RSS |")
    print("| --- | --- | --- | --- | --- |")
    for name, wall, rss, models, tests in figures:
        m = "" if models is None else f"{models:.1f} s"
        t = "" if tests is None else f"{tests:.1f} s"
        print(f"| {name} | {wall:.1f} s | {m} | {t} | {rss / 1024:.0f} MiB |")
    print("(wall: the whole process, dbt's start-up and parse included; dbt runs up to 2 nodes at once, so the")
    print(" model and test seconds add up to more than their share of the wall time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
