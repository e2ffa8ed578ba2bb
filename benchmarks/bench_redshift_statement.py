"""Benchmark: the Redshift source's delivery statement on the PostgreSQL stand-in, today's code against ``--before``'s.

Prints figures, asserts nothing. The world is ``bench_fresh.py``'s warehouse without S3: a generated day
(``--events``) whose objects before the last ``--tail-hours`` are COPYed into a real PostgreSQL behind the Redshift
shim (``tests/support/pgserver.py``), with their load-log rows, the indexes on the id columns that stand in for
Redshift's sort key and zone maps, and the COPY job's bounds table. The delivery is ``bench_fresh.py``'s (the most
events on both sides of the tail's cut) unless ``--delivery`` names one.

Each round, for each code (today's; with ``--before REV`` that revision's, a ``git archive`` of it on
``PYTHONPATH``), in turn:

- a process that asks ``RedshiftSource.delivery_events`` (a bounds read, the delivery statement, the hops beyond
  two) and times it, then runs ``EXPLAIN (ANALYZE, BUFFERS)`` of each delivery statement it sent, with the same
  parameters, and prints the plan's execution time and the buffers it touched; the events' digest shows both
  codes found the same rows;
- ``coco timeline D --profile plain -f json`` as a whole process (the Redshift answer alone), its output's digest.

    python benchmarks/bench_redshift_statement.py --before main
    python benchmarks/bench_redshift_statement.py --events 200000 --before main --wait-for /tmp/go
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import checkout, generated_archive  # noqa: E402 - the 1M benchmark's helpers
from bench_fresh import split_archive, warehouse  # noqa: E402 - the --fresh benchmark's world

from tests.support.pgserver import start_server  # noqa: E402 - the tests' PostgreSQL stand-in
from tests.support.redshift import redshift_profile_toml, write_config  # noqa: E402

# Run in its own process with the code under test on PYTHONPATH; argv[1] is a JSON object of the world's settings.
PROBE = r"""
import hashlib, json, sys, time
from cocoevents.sources.redshift import RedshiftSource
from cocoevents.sources.redshift_settings import Settings
w = json.loads(sys.argv[1])
settings = Settings(name="bench", host=w["host"], port=w["port"], database=w["database"], user=w["user"], schema="public",
                    table="events", ssl=False, statement_timeout_us=600_000_000, lookback_us=w["lookback_us"])
source = RedshiftSource(settings)
started = time.perf_counter()
events = source.delivery_events(w["delivery"], None, None)
wall = time.perf_counter() - started
digest = hashlib.sha256("\n".join(sorted(e.text or "" for e in events)).encode()).hexdigest()[:12]
plans = []
for sql, params in zip(list(source.statements), list(source.parameters)):
    if "WITH direct AS" not in sql:
        continue
    cur = source.con.cursor()
    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
    lines = [r[0] for r in cur.fetchall()]
    took = next((l for l in lines if l.startswith("Execution Time")), "?")
    buffers = next((l.strip() for l in lines if l.strip().startswith("Buffers:")), "")
    plans.append({"execution": took, "buffers": buffers, "plan": lines})
print(json.dumps({"wall": wall, "events": len(events), "statements": len(source.statements), "digest": digest, "plans": plans}))
source.close()
"""


def probe(world: dict[str, object], env: dict[str, str], cwd: Path) -> dict[str, object]:
    """``PROBE`` with the code of ``env``'s ``PYTHONPATH`` (run outside the repository, whose package would come first)."""
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(world)], env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def whole(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", "from cocoevents.cli.launch import run; run()", *args], env=env, cwd=cwd, capture_output=True
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): coco {' '.join(args)}\n{proc.stderr.decode(errors='replace')}")
    return wall, hashlib.sha256(proc.stdout).hexdigest()[:12]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000, help="events of the generated day")
    p.add_argument("--tail-hours", type=float, default=3.0, help="the day's last hours not COPYed (as bench_fresh.py)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--delivery", help="the delivery to ask (default: bench_fresh.py's)")
    p.add_argument("--before", help="also time this git revision's code (a `git archive` of it)")
    p.add_argument("--plans", action="store_true", help="print each code's plans of the delivery statement (last round)")
    p.add_argument("--wait-for", type=Path, help="after building the world, wait until this file exists before timing")
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "coco-bench-fresh")
    a = p.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)

    archive = generated_archive(a.dir, a.events)
    copied, tail = split_archive(archive, a.tail_hours)
    codes = {"now": {**os.environ, "PYTHONPATH": str(ROOT)}}
    if a.before:
        codes[a.before] = {**os.environ, "PYTHONPATH": str(checkout(a.before, a.dir))}
    work = Path(tempfile.mkdtemp(dir=a.dir, prefix="statement-"))
    pg = start_server()
    try:
        built = time.monotonic()
        print(f"COPYing {len(copied)} objects into PostgreSQL ...", file=sys.stderr)
        database, delivery, in_warehouse, _ = warehouse(pg, copied, tail, archive)
        delivery = a.delivery or delivery
        print(f"world built in {time.monotonic() - built:.0f} s; delivery {delivery}", file=sys.stderr)
        home = work / "home"
        write_config(home, redshift_profile_toml(pg, database, name="plain"))
        for env in codes.values():
            env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
            env.update(XDG_CACHE_HOME=str(work / "cache"))
        world = {"host": pg.host, "port": pg.port, "database": database, "user": pg.admin, "delivery": delivery}
        world["lookback_us"] = 100000 * 86400 * 10**6  # the profile's, as bench_fresh.py's
        if a.wait_for is not None:
            print(f"waiting for {a.wait_for} ...", file=sys.stderr, flush=True)
            while not a.wait_for.exists():
                time.sleep(2)
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        load_start = open("/proc/loadavg").read().split()[:3]
        probes: dict[str, list[dict[str, object]]] = {}
        wholes: dict[str, list[tuple[float, str]]] = {}
        for n in range(a.runs):
            for code, env in codes.items():
                got = probe(world, env, work)
                probes.setdefault(code, []).append(got)
                wholes.setdefault(code, []).append(whole(["timeline", delivery, "--profile", "plain", "-f", "json"], env, work))
                execs = ", ".join(str(pl["execution"]) for pl in got["plans"])  # type: ignore[attr-defined]
                print(
                    f"round {n + 1} {code}: delivery_events {got['wall']:.2f} s ({execs}); whole {wholes[code][-1][0]:.2f} s",
                    file=sys.stderr,
                )
    finally:
        pg.stop()

    load_end = open("/proc/loadavg").read().split()[:3]
    print(
        f"\n{started}; {os.cpu_count()} cores; load average {' '.join(load_start)} at the start, {' '.join(load_end)} at the end\n"
        f"warehouse: {len(copied)} objects, {in_warehouse:,} events (PostgreSQL stand-in, id indexes, bounds table); delivery {delivery}\n"
    )
    print(
        "| code | delivery statements: execution (last round) | buffers (last round) | `delivery_events` median | "
        "`coco timeline --profile plain` median | events | digests: events, output |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for code in codes:
        last = probes[code][-1]
        plans = last["plans"]  # type: ignore[index]
        execs = "; ".join(str(pl["execution"]) for pl in plans)  # type: ignore[attr-defined]
        bufs = "; ".join(str(pl["buffers"]) for pl in plans)  # type: ignore[attr-defined]
        med = statistics.median(float(r["wall"]) for r in probes[code])  # type: ignore[arg-type]
        medw = statistics.median(w for w, _ in wholes[code])
        digests = "/".join(sorted({str(r["digest"]) for r in probes[code]})) + ", " + "/".join(sorted({d for _, d in wholes[code]}))
        print(f"| {code} | {execs} | {bufs} | {med:.2f} s | {medw:.2f} s | {last['events']} | {digests} |")
    if a.plans:
        for code in codes:
            for pl in probes[code][-1]["plans"]:  # type: ignore[union-attr]
                print(f"\n-- {code}\n" + "\n".join(pl["plan"]))  # type: ignore[index]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
