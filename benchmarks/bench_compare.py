"""Benchmark: `coco compare` over a whole day of 1M and 10M events, beside `zcat` of the day's archive.

Prints figures, asserts nothing. For each size it generates (once, kept under ``--dir``) a one-day archive with
the generator's bulk mode, loads it (once) into a store of its own, then runs, alternating so both see the same
machine state:

    zcat <every file of the day> > /dev/null
    coco compare --since DAY --until DAY+1 --store STORE > /dev/null     (the failed deliveries vs the fulfilled)

each as a whole process (interpreter start-up included), timed by wall clock, with its own peak RSS from
``os.wait4``; the first compare of a size warms the page cache and is not counted. One more compare with
``-f json`` says what was compared (group and others, rows scored, the first row).

``coco compare`` reads each delivery's facts kept in the store (store schema 10, ``store.facts``), worked out at
the end of each load (only those the load can change); the benchmark also times, in-process and once each, what
working out every delivery's facts costs (a full rebuild, with the store attached read-only, as a load does) and
what compare cost before (its statement over the rows of the range, which it still runs where the kept facts do
not give its answer). A reused store of an older schema is migrated and its facts worked out first if they were
not current (timed as the load's part).

    python benchmarks/bench_compare.py                   # 1M and 10M
    python benchmarks/bench_compare.py --sizes 1M --runs 9
    python benchmarks/bench_compare.py --reuse-store     # the stores a previous run left (no load)

Goals (issue 27): `coco compare` over the 1M-event day <= 2 s, over the 10M-event day <= 5 s. Figures: the dated
sections of docs/performance.md.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import coco_cmd, run  # noqa: E402 - the helpers of the 1M benchmark
from bench_growth import label, size_arg  # noqa: E402

DAY, NEXT = "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"
GOALS = {1_000_000: 2.0, 10_000_000: 5.0}


def archive_of(root: Path, n: int) -> Path:
    """The bulk archive of about ``n`` events under ``root``, generated once."""
    archive = root / f"archive-{label(n)}"
    if not archive.exists():
        print(f"generating {n:,} events into {archive} ...", file=sys.stderr)
        started = time.perf_counter()
        part = str(archive) + ".part"
        subprocess.run([sys.executable, "-m", "cocoevents.devtools.generator", part, "--events", str(n), "--bulk"], check=True)
        os.replace(part, archive)
        print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return archive


def store_of(root: Path, n: int, archive: Path, coco: list[str], reuse: bool) -> tuple[Path, float | None]:
    """The store holding the archive, loaded unless ``reuse`` finds one; and the load's wall seconds."""
    store = root / f"store-{label(n)}.duckdb"
    if reuse and store.exists():
        return store, None
    for suffix in ("", ".wal", ".waiting"):
        Path(str(store) + suffix).unlink(missing_ok=True)
    print(f"loading {archive} ...", file=sys.stderr)
    wall, _ = run([*coco, "load", str(archive), "--store", str(store)])
    print(f"  loaded in {wall:.1f} s", file=sys.stderr)
    return store, wall


def run_cpu(cmd: list[str]) -> tuple[float, int, float]:
    """``bench.run`` with the process's CPU seconds (user + system) too: on a machine shared with other work the
    wall time follows the load, the CPU time much less."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def bring_up_to_date(store: Path) -> float | None:
    """A reused store of an older schema migrated and its facts worked out (as the next load would); the seconds the
    facts took, or ``None`` when they were current."""
    from cocoevents.store import facts
    from cocoevents.store.connection import connect

    con = connect(store, read_only=False)
    try:
        if facts.lookback(con) is not None:
            return None
        started = time.perf_counter()
        facts.rebuild(con)
        return time.perf_counter() - started
    finally:
        con.close()


def in_process(store: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    """Wall and CPU seconds, once each: the kept facts worked out with the store attached read-only (the load's part), and
    compare's statement over the rows of the day (what every compare cost before the kept facts)."""
    from cocoevents.core.options import Options, parse_options
    from cocoevents.core.questions import Filters
    from cocoevents.duckdb_engine import memory_connection
    from cocoevents.sources.local import LocalSource, _ts
    from cocoevents.store import compare_sql as cs
    from cocoevents.store import facts

    con = memory_connection()  # configured as the load's (its memory limit)
    try:
        con.execute("ATTACH ? AS store (READ_ONLY)", [str(store)])
        con.execute("USE store")
        started, cpu = time.perf_counter(), time.process_time()
        facts.compute(con, full=True)  # every delivery's: what a first load, or a load before schema 10, pays
        worked_out = (time.perf_counter() - started, time.process_time() - cpu)
        con.execute("USE memory")
        facts.drop(con)
    finally:
        con.close()
    opts = parse_options(since=DAY, until=NEXT)
    source = LocalSource(store)
    try:
        statement, params = cs.counts_sql(
            cs.local_dialect(True),
            _ts(opts.since),
            _ts(opts.until),
            _ts(opts.since - cs.READ_BEFORE),
            _ts(opts.until + cs.READ_AFTER),
            Options().assignment_lookback_us,
            cs.group_of(Filters(), None),
        )
        started, cpu = time.perf_counter(), time.process_time()
        source.con.execute(statement, params).fetchall()
        rows = (time.perf_counter() - started, time.process_time() - cpu)
    finally:
        source.close()
    return worked_out, rows


def what_was_compared(coco: list[str], store: Path) -> dict[str, object]:
    done = subprocess.run(
        [*coco, "compare", "--since", DAY, "--until", NEXT, "--store", str(store), "-f", "json", "--limit", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def measure(n: int, a: argparse.Namespace, coco: list[str]) -> dict[str, object]:
    root = Path(a.dir)
    archive = archive_of(root, n)
    files = sorted(glob.glob(str(archive / "*" / "*.log.gz")))
    store, load_s = store_of(root, n, archive, coco, a.reuse_store)
    migrated = bring_up_to_date(store)
    if migrated is not None:
        print(f"  {label(n)}: migrated; the kept facts worked out in {migrated:.1f} s", file=sys.stderr)
    cmd = [*coco, "compare", "--since", DAY, "--until", NEXT, "--store", str(store)]
    run(cmd)  # warm the page cache once
    zcat, compare = [], []
    for k in range(a.runs):
        if k < a.zcat_runs:
            zcat.append(run(["zcat", *files]))
        compare.append(run_cpu(cmd))
        print(f"  {label(n)}: compare {compare[-1][0]:.2f} s" + (f", zcat {zcat[-1][0]:.1f} s" if k < a.zcat_runs else ""), file=sys.stderr)
    # after the processes: a child's peak RSS counts the memory of the process that forked it (Linux keeps
    # ``ru_maxrss`` across ``exec``), and this one grows with the in-process statements
    worked_out, from_rows = in_process(store) if not a.skip_once else ((float("nan"),) * 2, (float("nan"),) * 2)
    return {
        "n": n,
        "files": len(files),
        "gz": sum(os.path.getsize(f) for f in files),
        "store": store.stat().st_size,
        "load": load_s,
        "zcat": zcat,
        "compare": compare,
        "facts": worked_out,
        "rows": from_rows,
        "what": what_was_compared(coco, store),
    }


def med(rs: list[Any]) -> float:
    return statistics.median(r[0] for r in rs) if rs else float("nan")


def report(results: list[dict[str, object]], load_before: tuple[float, ...]) -> None:
    print(
        f"python {sys.version.split()[0]}; {os.cpu_count()} cores; load average before "
        f"{', '.join(f'{x:.1f}' for x in load_before)}, after {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(f"{'':<36}" + "".join(f"{label(r['n']):>24}" for r in results))  # type: ignore[arg-type]

    def line(name: str, cell) -> None:  # type: ignore[no-untyped-def]
        print(f"{name:<36}" + "".join(f"{cell(r):>24}" for r in results))

    line("files / gzip MiB / store MiB", lambda r: f"{r['files']} / {r['gz'] / 2**20:.0f} / {r['store'] / 2**20:.0f}")
    line("deliveries: group / others", lambda r: f"{r['what']['group']['n']:,} / {r['what']['others']['n']:,}")
    line("rows scored / noise threshold", lambda r: f"{r['what']['noise']['rows_scored']} / {r['what']['noise']['threshold']}")
    line("coco load s (once)", lambda r: "-" if r["load"] is None else f"{r['load']:.1f}")
    line("zcat s (median)", lambda r: f"{med(r['zcat']):.2f}")
    line("coco compare s (median)", lambda r: f"{med(r['compare']):.2f}")
    line("  min / max", lambda r: f"{min(x[0] for x in r['compare']):.2f} / {max(x[0] for x in r['compare']):.2f}")
    line("  CPU s (median)", lambda r: f"{statistics.median(x[2] for x in r['compare']):.2f}")
    line("  x zcat", lambda r: f"{med(r['compare']) / med(r['zcat']):.3f}x")
    line("  peak RSS MiB", lambda r: f"{max(x[1] for x in r['compare']) / 1024:.0f}")
    line("  goal", lambda r: f"<= {GOALS[r['n']]:.0f} s" if r["n"] in GOALS else "-")
    line("statement over the rows s, CPU s (once)", lambda r: f"{r['rows'][0]:.2f}, {r['rows'][1]:.2f}")
    line("kept facts worked out s, CPU s (once)", lambda r: f"{r['facts'][0]:.2f}, {r['facts'][1]:.2f}")
    for r in results:
        rows = r["what"]["rows"]  # type: ignore[index]
        top = f"{rows[0]['dimension']} {rows[0]['value']} score {rows[0]['score']}" if rows else "none"
        print(f"{label(r['n'])}: {len(r['compare'])} compare runs, {len(r['zcat'])} zcat runs; first row: {top}")  # type: ignore[arg-type]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1M,10M", help="comma-separated event counts (1M, 10M, 200k...)")
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "coco-compare-bench"))
    p.add_argument("--runs", type=int, default=7, help="compare runs per size (the median is printed)")
    p.add_argument("--zcat-runs", type=int, default=3, help="zcat runs per size, alternating with the first compare runs")
    p.add_argument("--reuse-store", action="store_true", help="time only compare, on the stores a previous run left")
    p.add_argument("--skip-once", action="store_true", help="leave out the in-process figures (minutes at 10M events)")
    a = p.parse_args()
    Path(a.dir).mkdir(parents=True, exist_ok=True)
    before = os.getloadavg()
    coco = coco_cmd()
    results = [measure(size_arg(s), a, coco) for s in a.sizes.split(",") if s.strip()]
    report(results, before)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
