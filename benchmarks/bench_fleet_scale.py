"""Benchmark of fleet-scale answers (issue 26): big files, whole-day listings, errors without a cache.

Prints figures, asserts nothing. Every measured command is a whole process (interpreter start-up included),
timed by wall clock with its peak RSS from ``os.wait4``; today's code and ``--before REV``'s (a ``git archive``
of it, run with ``PYTHONPATH``) alternate, beside their yardstick (``zcat`` of the same files), so all see the
same machine state. A command that fails is shown with its error line (the code before streaming runs out of
memory on big files at the default ``COCO_MEMORY_LIMIT``).

- ``--big DIR``: an archive of a few big files (e.g. the generator's ``--bulk --files N``): ``coco load`` into a
  fresh store, at the default memory limit;
- ``--compact DIR``: an archive of compact records: ``coco load`` into a fresh store beside DuckDB's own bare ingest
  of the same files (``CREATE TABLE AS SELECT * FROM read_json(...)``), the engine's floor for a load;
- ``--store STORE --delivery D --robot R``: ``coco timeline D -f json`` beside the floor of any answer from the store
  (``python -c`` importing duckdb, opening it read-only, ``select 1``), and ``R``'s day (``--since``/``--until``);
- ``--day DIR``: an archive of one day: each code loads it once into its own store, then
  ``coco deliveries --limit 0 -f jsonl`` over the whole day (or ``--since``/``--until``), and ``coco errors``
  over the day (before: its first run after the load, with an empty cache folder; today: no cache).

    python benchmarks/bench_fleet_scale.py --big /tmp/big --day /tmp/day --before main
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
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import checkout  # noqa: E402 - the helper of the 1M benchmark

DAY = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]


def run(cmd: list[str], env: dict[str, str] | None = None, shell: bool = False) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and, when it failed, the last line it wrote on stderr."""
    started = time.perf_counter()
    line = " ".join(cmd) if shell else cmd
    # run from the temporary folder: ``python -c`` puts the working directory first on the path, where a checkout's
    # own ``cocoevents`` would shadow the one ``PYTHONPATH`` names
    proc = subprocess.Popen(
        line, shell=shell, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, "" if code in (0, 1) else (err.strip().splitlines() or [f"exit {code}"])[-1][:90]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--big", type=Path, help="an archive of a few big files")
    p.add_argument("--day", type=Path, help="an archive of one day")
    p.add_argument("--compact", type=Path, help="an archive of compact records (load against DuckDB's bare ingest)")
    p.add_argument("--store", type=Path, help="a loaded store (timeline and robot day against the floor)")
    p.add_argument("--delivery", help="a delivery of --store")
    p.add_argument("--robot", help="a robot of --store (its day)")
    p.add_argument("--before", default="main", help="the code to compare with (a git revision)")
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "coco-bench-fleet")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--since", default=DAY[1], help="the listing's range (default: the whole day)")
    p.add_argument("--until", default=DAY[3])
    a = p.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)
    launch = [sys.executable, "-c", "from cocoevents.cli.launch import run; run()"]
    before_src = checkout(a.before, a.dir)
    codes = {"after": dict(os.environ), "before": {**os.environ, "PYTHONPATH": str(before_src)}}
    for env in codes.values():
        env.pop("COCO_MEMORY_LIMIT", None)  # the default
    rows: list[tuple[str, list[tuple[float, int, str]]]] = []
    load = os.getloadavg()

    if a.big is not None:
        files = sorted(glob.glob(str(a.big / "*" / "*.log.gz")))
        size = sum(os.path.getsize(f) for f in files)
        runs: dict[str, list[tuple[float, int, str]]] = {"zcat": [], "after": [], "before": []}
        for _ in range(a.runs):
            runs["zcat"].append(run(["zcat", *map(shlex.quote, files), ">", "/dev/null"], shell=True))
            for name, env in codes.items():
                store = Path(tempfile.mkdtemp(dir=a.dir)) / "s.duckdb"
                runs[name].append(run([*launch, "load", str(a.big), "--store", str(store)], env))
                shutil.rmtree(store.parent)
        label = f"load {len(files)} big files ({size / 2**20:.0f} MiB gzip)"
        rows += [(f"{label}: zcat", runs["zcat"]), (f"{label}: before", runs["before"]), (f"{label}: after", runs["after"])]

    if a.compact is not None:
        files = sorted(glob.glob(str(a.compact / "*" / "*.log.gz")))
        ingest = (
            "import duckdb, sys; duckdb.connect(sys.argv[1]).execute("
            "'CREATE TABLE t AS SELECT * FROM read_json(?, format=''newline_delimited'')', [sys.argv[2:]])"
        )
        runs = {"duckdb bare ingest": [], "before": [], "after": []}
        for _ in range(a.runs):
            folder = Path(tempfile.mkdtemp(dir=a.dir))
            runs["duckdb bare ingest"].append(run([sys.executable, "-c", ingest, str(folder / "bare.duckdb"), *files]))
            for name, env in codes.items():
                runs[name].append(run([*launch, "load", str(a.compact), "--store", str(folder / f"{name}.duckdb")], env))
            shutil.rmtree(folder)
        label = f"load {len(files)} files of compact records"
        rows += [(f"{label}: {k}", v) for k, v in runs.items()]

    if a.store is not None:
        floor = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True).sql('select 1').fetchall()"
        runs = {"floor (import duckdb, open, select 1)": [], "timeline before": [], "timeline after": []}
        if a.robot:
            runs.update({"robot day before": [], "robot day after": []})
        for _ in range(a.runs):
            runs["floor (import duckdb, open, select 1)"].append(run([sys.executable, "-c", floor, str(a.store)]))
            for name, env in codes.items():
                if a.delivery:
                    runs[f"timeline {name}"].append(run([*launch, "timeline", a.delivery, "-f", "json", "--store", str(a.store)], env))
                if a.robot:
                    day = [*launch, "timeline", a.robot, "--since", a.since, "--until", a.until, "-f", "json", "--store", str(a.store)]
                    runs[f"robot day {name}"].append(run(day, env))
        rows += [(f"store {a.store.name}: {k}", v) for k, v in runs.items() if v]

    if a.day is not None:
        files = sorted(glob.glob(str(a.day / "*" / "*.log.gz")))
        stores = {name: a.dir / f"day-{name}.duckdb" for name in codes}
        for name, env in codes.items():
            if not stores[name].exists():
                print(f"loading {a.day} with the {name} code ...", file=sys.stderr)
                load = [*launch, "load", str(a.day), "--store", str(stores[name])]
                subprocess.run(load, env=env, cwd=tempfile.gettempdir(), check=True, capture_output=True)
        runs = {"zcat": [], "deliveries before": [], "deliveries after": [], "errors before": [], "errors after": []}
        for _ in range(a.runs):
            runs["zcat"].append(run(["zcat", *map(shlex.quote, files), ">", "/dev/null"], shell=True))
            for name, env in codes.items():
                store = str(stores[name])
                listing = [*launch, "deliveries", "--since", a.since, "--until", a.until, "--limit", "0", "-f", "jsonl", "--store", store]
                runs[f"deliveries {name}"].append(run(listing, env))
                cache = tempfile.mkdtemp(dir=a.dir)  # before: the first run after a load builds its cache here
                runs[f"errors {name}"].append(run([*launch, "errors", *DAY, "--store", store], {**env, "XDG_CACHE_HOME": cache}))
                shutil.rmtree(cache)
        rows += [(f"day ({len(files)} files): {k}", v) for k, v in runs.items()]
        print(f"deliveries from {a.since} to {a.until}", file=sys.stderr)

    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores; load average {load[0]:.1f} at start")
    print(f"{'figure':<58}{'median s':>10}{'peak MiB':>10}  failed")
    for label, rs in rows:
        ok = [r for r in rs if not r[2]]
        wall = f"{statistics.median(r[0] for r in ok):.2f}" if ok else "-"
        peak = f"{max(r[1] for r in rs) / 1024:.0f}"
        print(f"{label:<58}{wall:>10}{peak:>10}  {rs[-1][2] if not ok else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
