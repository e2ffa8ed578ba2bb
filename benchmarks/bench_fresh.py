"""Benchmark: `coco timeline D --profile wh --fresh` on the Redshift stand-in, cold, repeated, and without a cache.

Prints figures, asserts nothing. The warehouse is a real PostgreSQL behind the Redshift shim
(``tests/support/pgserver.py``, reached by the real ``redshift_connector``); the archive is in moto's S3 server, in
its own process on 127.0.0.1. A generated day (``--events``) is put in S3 whole; the objects before the last
``--tail-hours`` are "COPYed" into PostgreSQL with their load-log rows, the rest is the tail. The delivery timed is
one whose events are partly in the warehouse and partly in the tail (the most events on the smaller side).

Every measured command is a whole process (interpreter start-up included), timed by wall clock, with its own peak
RSS (``VmHWM`` written as it exits). Each round runs, in turn:

- the Redshift answer alone (no ``--fresh``);
- ``--fresh`` with the tail cache off (``COCO_TAIL_CACHE_MB=0``): what every call cost before the cache;
- ``--fresh`` cold: an empty ``XDG_CACHE_HOME``;
- ``--fresh`` warm: ``--repeats`` calls on that cache folder;

and, with ``--before REV``, the three ``--fresh`` figures again with that revision's code (a ``git archive`` of it,
run with ``PYTHONPATH``), each with a cache folder of its own.

GetObject calls are counted by coco itself: each ``--fresh`` call says on stderr how many tail objects it
downloaded ("N downloaded, the rest read from the cache"); the objects kept in the cache folder are counted too.

    python benchmarks/bench_fresh.py                          # 1M events, the last 3 hours as the tail, 3 rounds
    python benchmarks/bench_fresh.py --events 200000 --tail-hours 6
    python benchmarks/bench_fresh.py --before main            # main's code beside today's
    python benchmarks/bench_fresh.py --before main --runs 1 --hold 900   # then time held-now.sh against held-before.sh

Goal (issue 26): a repeat ``--fresh`` call <= 1 s.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import checkout, generated_archive  # noqa: E402 - the 1M benchmark's helpers

from tests.support.pgserver import ID_COLUMNS, PgServer, event_row, events_ddl, start_server  # noqa: E402 - the tests' PostgreSQL stand-in
from tests.support.redshift import redshift_profile_toml, write_config  # noqa: E402

BUCKET = "coco-fresh-bench"
PREFIX = "events/"
LOG = "events_load_log"
DOWNLOADED = re.compile(r"; (\d+) downloaded, the rest read from the cache\)")
TAIL_NOTE = re.compile(r"coco: fresh: ([\d,]+) of ([\d,]+) events came from the archive tail \((\d+) object")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise SystemExit("moto server did not start") from None
            time.sleep(0.1)


def key_time(path: str) -> int:
    """The generator names each file by its first record's epoch second (``<epoch>-<uuid>.log.gz``)."""
    return int(Path(path).name.split("-", 1)[0])


def split_archive(archive: Path, tail_hours: float) -> tuple[list[str], list[str]]:
    """The archive's files in key order, cut ``tail_hours`` before the last one begins: the tail is the objects
    of the day's last hours (a generated day's events stop in the evening, not at midnight)."""
    files = sorted(glob.glob(str(archive / "*" / "*.log.gz")), key=lambda f: Path(f).relative_to(archive).as_posix())
    cut = max(key_time(f) for f in files) - tail_hours * 3600
    return [f for f in files if key_time(f) < cut], [f for f in files if key_time(f) >= cut]


def warehouse(pg: PgServer, copied: list[str], tail: list[str], archive: Path) -> tuple[str, str, int, int]:
    """The copied files in PostgreSQL (one server-side COPY of their rows) with their load-log rows; the delivery
    to time (the most events on both sides) and the events of each side."""
    from cocoevents.archive import lines
    from cocoevents.warehouse.copyjob import refresh_baseline
    from cocoevents.warehouse.ddl import Target, create_load_log_sql, rebuild_bounds_statements

    database = pg.create_database("fresh")
    target = Target(schema="public", table="events", load_log=LOG)
    pg.run(database, events_ddl())
    pg.run(database, create_load_log_sql(target))
    rows = Path(pg.root) / "copied.csv"  # in the server's folder: it reads it itself
    sides: dict[str, list[int]] = {}
    counts = [0, 0]
    with rows.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        for side, files in enumerate((copied, tail)):
            for f in files:
                for _, rec in lines.scan(Path(f)).records:
                    counts[side] += 1
                    if side == 0:
                        out.writerow(["" if v is None else v for v in event_row(rec)])
                    d = rec.get("delivery_id")
                    if isinstance(d, str):
                        sides.setdefault(d, [0, 0])[side] += 1
    rows.chmod(0o644)
    columns = "event, event_ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data"
    pg.run(database, f"COPY public.events ({columns}) FROM '{rows}' WITH (FORMAT csv, NULL '')")
    rows.unlink()
    for n in range(0, len(copied), 500):
        chunk = copied[n : n + 500]
        values = ", ".join(["(%s, %s, %s, %s, %s, now())"] * len(chunk))
        params: list[object] = []
        for f in chunk:
            key = PREFIX + Path(f).relative_to(archive).as_posix()
            params += [BUCKET, key, date.fromisoformat(Path(f).parent.name.removeprefix("dt=")), os.path.getsize(f), "s3://manifests/bench"]
        pg.run(database, f"INSERT INTO public.{LOG} VALUES {values}", params)
    # Redshift finds an id's rows by its sort key and zone maps; the stand-in's table has an index on the time only,
    # and would scan every row for an id: indexes on the id columns stand in for that
    indexes = [f"CREATE INDEX ON public.events ({c})" for c in ID_COLUMNS]
    pg.run(database, [*indexes, "ANALYZE public.events", *rebuild_bounds_statements(target, lock=False)])
    refresh_baseline(target, lambda: _no_autocommit(pg.connect(database)), now=datetime(2026, 11, 26, tzinfo=timezone.utc))
    both = [(min(c), d) for d, c in sides.items() if c[0] and c[1]]
    delivery = max(both)[1] if both else max(sides, key=lambda d: sides[d][1])
    return database, delivery, counts[0], counts[1]


def _no_autocommit(con: Any) -> Any:
    con.autocommit = False
    return con


def run(args: list[str], env: dict[str, str], scratch: Path) -> tuple[float, int, str]:
    """One coco process: wall seconds, its own peak RSS (KiB, ``VmHWM`` at exit) and its stderr."""
    status = scratch / "status"
    status.unlink(missing_ok=True)
    hook = f"import atexit; atexit.register(lambda: open({str(status)!r}, 'w').write(open('/proc/self/status').read()))"
    cmd = [sys.executable, "-c", f"{hook}; from cocoevents.cli.launch import run; run()", *args]
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=scratch, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): coco {' '.join(args)}\n{proc.stderr}")
    hwm = next((line for line in status.read_text().splitlines() if line.startswith("VmHWM:")), "VmHWM: 0 kB")
    return wall, int(hwm.split()[1]), proc.stderr


HELD_VARS = {
    "PATH",
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "PYTHONPATH",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_EC2_METADATA_DISABLED",
}


def hold(seconds: float, fresh: list[str], codes: dict[str, dict[str, str]], work: Path) -> None:
    """Warm a cache folder per code (a cold call, then a repeat), write ``held-now.sh`` / ``held-before.sh`` (one warm
    repeat each, output thrown away), print their paths and wait ``seconds`` with the servers up."""
    import shlex

    for code, code_env in codes.items():
        name = "held-before" if code else "held-now"
        env = {**code_env, "XDG_CACHE_HOME": str(work / name)}
        (work / name).mkdir(exist_ok=True)
        for _ in range(2):
            run(fresh, env, work)
        hook = "from cocoevents.cli.launch import run; run()"
        # only what the call reads: the script holds none of the machine's other variables
        wanted = {k: v for k, v in env.items() if k in HELD_VARS or k.startswith("COCO_")}
        words = ["env", "-i", *(f"{k}={v}" for k, v in sorted(wanted.items())), sys.executable, "-c", hook, *fresh]
        script = work / f"{name}.sh"
        script.write_text(f"cd {shlex.quote(str(work))} && exec {shlex.join(words)} >/dev/null 2>&1\n")
        print(f"held: sh {script}", file=sys.stderr)
    print(f"holding the world up for {seconds:g} s (interrupt to end it)", file=sys.stderr, flush=True)
    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        pass


def downloaded(err: str) -> str:
    m = DOWNLOADED.search(err)
    return m.group(1) if m else "all"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000, help="events of the generated day")
    p.add_argument("--tail-hours", type=float, default=3.0, help="the day's last hours not yet COPYed (the tail)")
    p.add_argument("--runs", type=int, default=3, help="rounds (each: Redshift alone, no cache, cold, warm repeats)")
    p.add_argument("--repeats", type=int, default=2, help="warm repeats per round")
    p.add_argument("--delivery", help="the delivery to time (default: the one with the most events on both sides)")
    p.add_argument("--lookback", default="100000d", help="the Redshift profiles' lookback (coco's default, 14d, lists 17 days' folders)")
    p.add_argument("--before", help="also time the --fresh calls with this git revision's code (a `git archive` of it)")
    p.add_argument(
        "--hold",
        type=float,
        default=0,
        help="after the rounds, keep the world up this many seconds with a warm cache per code, and print a script per code "
        "that runs one warm repeat (to time whole processes side by side with an outside timer)",
    )
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "coco-bench-fresh")
    a = p.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_start = open("/proc/loadavg").read().split()[:3]

    archive = generated_archive(a.dir, a.events)
    copied, tail = split_archive(archive, a.tail_hours)
    tail_bytes = sum(os.path.getsize(f) for f in tail)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for var in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "COCO_TAIL_CACHE_MB"):
        env.pop(var, None)
    codes = {"": env}  # today's code; with --before, that revision's too (its rows say so)
    if a.before:
        codes[f" ({a.before})"] = {**env, "PYTHONPATH": str(checkout(a.before, a.dir))}
    work = Path(tempfile.mkdtemp(dir=a.dir, prefix="run-"))
    server, url = start_moto(env)
    pg = start_server()
    try:
        import boto3

        s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        print(f"uploading {len(copied) + len(tail)} objects to {url} ...", file=sys.stderr)
        for f in copied + tail:
            s3.upload_file(f, BUCKET, PREFIX + Path(f).relative_to(archive).as_posix())
        print(f"COPYing {len(copied)} objects into PostgreSQL ...", file=sys.stderr)
        database, delivery, in_warehouse, in_tail = warehouse(pg, copied, tail, archive)
        delivery = a.delivery or delivery

        home = work / "home"
        text = redshift_profile_toml(pg, database, load_log=f'"{LOG}"', fresh_from='"archive"')
        text += f'[profiles.archive]\nsource = "s3"\nbucket = "{BUCKET}"\nprefix = "{PREFIX}"\nendpoint_url = "{url}"\n'
        # ``fresh_from`` makes every timeline of ``wh`` fresh; the Redshift answer alone is profile ``plain``'s
        text += redshift_profile_toml(pg, database, name="plain", load_log=f'"{LOG}"')
        write_config(home, text.replace('lookback = "100000d"', f'lookback = "{a.lookback}"'))
        for code_env in codes.values():
            code_env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
        plain = ["timeline", delivery, "--profile", "plain", "-f", "json"]
        fresh = ["timeline", delivery, "--profile", "wh", "--fresh", "-f", "json"]

        figures: dict[str, list[tuple[float, int, str]]] = {"redshift": []}
        gets: dict[str, list[str]] = {}
        kept: dict[str, list[int]] = {}
        store_mib: dict[str, list[float]] = {}  # the kept tail store, where the code keeps one
        note = ""
        for n in range(a.runs):
            figures["redshift"].append(run(plain, {**env, "XDG_CACHE_HOME": str(work / "unused")}, work))
            for code, code_env in codes.items():
                got = run(fresh, {**code_env, "XDG_CACHE_HOME": str(work / "unused"), "COCO_TAIL_CACHE_MB": "0"}, work)
                figures.setdefault(f"off{code}", []).append(got)
                gets.setdefault(f"off{code}", []).append(downloaded(got[2]))
                cache = work / f"cache{code}-{n}"
                shutil.rmtree(cache, ignore_errors=True)
                cache.mkdir()
                for name in ["cold", *["warm"] * a.repeats]:
                    got = run(fresh, {**code_env, "XDG_CACHE_HOME": str(cache)}, work)
                    figures.setdefault(f"{name}{code}", []).append(got)
                    gets.setdefault(f"{name}{code}", []).append(downloaded(got[2]))
                    note = got[2] if not code else note
                kept.setdefault(code, []).append(len(list((cache / "coco" / "tail").glob("*.obj"))))
                store = cache / "coco" / "tail" / "tail.duckdb"
                store_mib.setdefault(code, []).append(round(store.stat().st_size / 2**20, 1) if store.exists() else 0.0)
                shutil.rmtree(cache, ignore_errors=True)
            summary = ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in figures.items())
            print(f"round {n + 1}: {summary}", file=sys.stderr)
        if a.hold:
            hold(a.hold, fresh, codes, work)
    finally:
        server.kill()
        server.wait()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)

    m = TAIL_NOTE.search(note)
    from_tail = f"{m.group(1)} of its {m.group(2)} events from the tail" if m else "tail events: not said"
    load_end = open("/proc/loadavg").read().split()[:3]
    print(
        f"\n{started}; {os.cpu_count()} cores; load average {' '.join(load_start)} at the start, {' '.join(load_end)} at the end\n"
        f"day of {in_warehouse + in_tail:,} events: {len(copied)} objects ({in_warehouse:,} events) in the warehouse (PostgreSQL "
        f"stand-in), tail of {len(tail)} objects, {tail_bytes / 2**20:.1f} MiB gzip, {in_tail:,} events (the last {a.tail_hours:g} h); "
        f"delivery {delivery}: {from_tail}; S3: moto's server in its own process\n"
    )
    rows = [("redshift", "`coco timeline D --profile plain -f json` (the Redshift answer alone)", "")]
    for code in codes:
        rows += [
            (f"off{code}", f"`--fresh`{code}, tail cache off (`COCO_TAIL_CACHE_MB=0`): every call before the cache", ""),
            (f"cold{code}", f"`--fresh`{code}, cold (empty `XDG_CACHE_HOME`)", ""),
            (f"warm{code}", f"`--fresh`{code}, warm repeat", "<= 1 s"),
        ]
    print("| figure | median | runs | peak RSS | GetObject per call | goal |")
    print("| --- | --- | --- | --- | --- | --- |")
    for k, label, goal in rows:
        rs = figures.get(k, [])
        if not rs:  # --runs 0 (only --hold)
            continue
        calls = "0" if k == "redshift" else "/".join(sorted(set(gets[k])))
        median, peak = statistics.median(r[0] for r in rs), max(r[1] for r in rs) / 1024
        print(f"| {label} | {median:.2f} s | {len(rs)} | {peak:.0f} MiB | {calls} | {goal} |")
    for code, counts in kept.items():
        print(
            f"objects in the tail cache folder after each round{code}: {counts} (tail: {len(tail)}); kept tail store MiB: {store_mib[code]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
