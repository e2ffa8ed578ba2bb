"""Each rule's SQL text against its Python definition, on random data (hypothesis): run on DuckDB, and on
PostgreSQL (the tests' stand-in for Redshift) where the text is the one Redshift runs.

One rule, one home: the Python definition and the SQL text live side by side (the timestamp grammar in
``timestamps``; delivery status, the linked closure and the fleet baseline in ``core``), and every database
coco talks to runs that one text.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cocoevents.core.baseline import compute, from_rows, transitions_sql
from cocoevents.core.links import group_rounds, linked_closures, loose_groups_sql, reach_sql
from cocoevents.core.model import Event
from cocoevents.core.status import OUTCOME_NAMES, registry_position_sql, status_of, status_sql
from cocoevents.duckdb_engine import memory_connection
from cocoevents.producers.registry import registry_sort_key
from cocoevents.timestamps import (
    FLOAT_POSIX_PATTERN,
    INT_POSIX_PATTERN,
    SQL_MACROS,
    format_ts,
    parse_timestamp,
    to_datetime,
    warehouse_ts_sql,
)

from ..support.pgserver import DATEDIFF_STANDIN
from ..support.timestamps import timestamps

SOME = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# -- the timestamp grammar (timeline rules §1) ------------------------------------------------------------------

# ``timestamps``: the generated values (tests/support/timestamps.py), Unicode spaces among them.


SPACED = ["2026-11-25T10:00:00\u2009Z", "\u00a02026-11-25T10:00:00Z", "2026-11-25T10:00:00Z\u3000", "\v2026-11-25T10:00:00\vZ"]


@SOME
@example(SPACED)
@given(st.lists(timestamps, min_size=1, max_size=40))
def test_duckdbs_timestamp_macro_reads_every_value_as_the_python_parser(values):
    """``coco_ts_us`` (``timestamps.SQL_MACROS``, what the archive's classifier runs) on each value as JSON."""
    con = memory_connection()
    con.execute(SQL_MACROS)
    texts = [json.dumps(v) for v in values]
    got = con.execute(
        "SELECT coco_ts_us(json_type(j), j) FROM (SELECT unnest(?::VARCHAR[])::JSON AS j, unnest(range(?)) AS k) ORDER BY k",
        [texts, len(texts)],
    ).fetchall()
    assert [r[0] for r in got] == [parse_timestamp(v) for v in values]


def _warehouse_spelling(value: Any) -> tuple[str | None, str | None]:
    """``(ts_type, ts_raw)`` as the COPY job's staging gives them: a string's characters, a number's JSON text."""
    if isinstance(value, str):
        return "string", value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number", json.dumps(value)
    return ("boolean" if isinstance(value, bool) else "null"), None


def _in_the_warehouse_grammar(value: Any) -> bool:
    """Outside the documented differences (``warehouse_ts_sql``): non-ASCII text, number spellings the
    warehouse does not cast (a three-digit exponent, more than 18 integer digits)."""
    kind, raw = _warehouse_spelling(value)
    if kind == "string":
        return raw.isascii() and "\x00" not in raw
    if kind == "number":
        return bool(re.fullmatch(INT_POSIX_PATTERN.strip("^$"), raw) or re.fullmatch(FLOAT_POSIX_PATTERN.strip("^$"), raw))
    return True


@pytest.mark.postgres
@SOME
@example(["\x1c2026-11-25T10:00:00Z", "\v2026-11-25T10:00:00\vZ\f", "2026-11-25T10:00:00\x1fZ", "\r\n2026-11-25 10:00\t+02"])
@given(st.lists(timestamps, min_size=1, max_size=40))
def test_the_warehouse_timestamp_sql_reads_every_value_as_the_python_parser_on_postgresql(pg, values):  # noqa: F811
    """``timestamps.warehouse_ts_sql`` (what the COPY job's typing insert runs on Redshift) on PostgreSQL."""
    values = [v for v in values if _in_the_warehouse_grammar(v)]
    assume(values)
    con = pg.connect()
    try:
        cur = con.cursor()
        cur.execute("CREATE TEMP TABLE ts_cases (k INTEGER, ts_type VARCHAR, ts_raw VARCHAR)")
        cur.executemany("INSERT INTO ts_cases VALUES (%s, %s, %s)", [(k, *_warehouse_spelling(v)) for k, v in enumerate(values)])
        typed = warehouse_ts_sql("SELECT k, ts_type, ts_raw FROM ts_cases", "k", "event_ts")
        cur.execute(f"SELECT k, event_ts FROM ({typed}) t ORDER BY k")
        got = [ts for _, ts in cur.fetchall()]
    finally:
        con.close()
    assert got == [_naive(parse_timestamp(v)) for v in values]


def _naive(us: int | None) -> datetime | None:
    return None if us is None else to_datetime(us).replace(tzinfo=None)


# -- the fleet baseline (findings rules §3) ----------------------------------------------------------------------

STEP_NAMES = ["demand.assigned", "delivery.pickup_arrival", "delivery.pickup_started", "attempt.started", "zzz.custom", "aaa.custom"]
deliveries_events = st.lists(
    st.tuples(
        st.sampled_from(STEP_NAMES),
        st.integers(0, 40).map(lambda n: 1_795_600_000_000_000 + n * 7_000_000),  # few instants: ties and repeats
        st.sampled_from(["D1", "D2", "D3", "D4", None]),
    ),
    max_size=60,
)


def _baseline_events(rows: list[tuple[str, int, str | None]]) -> list[Event]:
    return [Event.from_record({"event": n, "timestamp": format_ts(ts), "delivery_id": d}, ts) for n, ts, d in rows]


@SOME
@given(deliveries_events)
def test_the_baseline_select_on_duckdb_equals_the_python_computation(rows):
    """``core.baseline.transitions_sql`` (what the local store runs) against ``core.baseline.compute``."""
    con = memory_connection()
    con.execute("CREATE TABLE events (event VARCHAR, ts TIMESTAMP, delivery_id VARCHAR)")
    if rows:
        con.executemany("INSERT INTO events VALUES (?, make_timestamp(?), ?)", rows)
    sql, params = transitions_sql("events", "ts", "?")
    got = from_rows(con.execute(sql, params).fetchall())
    assert got.transitions == compute(_baseline_events(rows)).transitions


@pytest.mark.postgres
@SOME
@given(deliveries_events)
def test_the_baseline_select_on_postgresql_equals_the_python_computation(pg, rows):  # noqa: F811
    """The same text as the warehouse runs it (``warehouse.ddl.refresh_baseline_statements``), on PostgreSQL."""
    con = pg.connect()
    try:
        cur = con.cursor()
        cur.execute(DATEDIFF_STANDIN)
        cur.execute("CREATE TEMP TABLE wh_events (event VARCHAR(128), event_ts TIMESTAMP, delivery_id VARCHAR(64))")
        if rows:
            cur.executemany("INSERT INTO wh_events VALUES (%s, %s, %s)", [(n, _naive(ts), d) for n, ts, d in rows])
        sql, params = transitions_sql("wh_events", "event_ts", "%s")
        cur.execute(sql, params)
        got = from_rows(cur.fetchall() or [])
    finally:
        con.close()
    assert got.transitions == compute(_baseline_events(rows)).transitions


# -- a delivery's status (timeline rules §6) --------------------------------------------------------------------

outcome_rows = st.lists(
    st.tuples(
        st.sampled_from(["D1", "D2", "D3"]),
        st.sampled_from([*OUTCOME_NAMES, "demand.assigned", "delivery.pickup_arrival"]),
        st.integers(0, 5).map(lambda n: 1_795_600_000_000_000 + n * 60_000_000),  # few instants: ties
    ),
    max_size=25,
)


def _statuses_in_python(rows: list[tuple[str, str, int]]) -> dict[str, str]:
    """``status_of`` over each delivery's rows in timeline order (time, registry position, name)."""
    out = {}
    for d in {d for d, name, _ in rows if name in OUTCOME_NAMES}:
        mine = sorted((ts, registry_sort_key(name), name) for dd, name, ts in rows if dd == d)
        out[d] = status_of(name for _, _, name in mine)
    return out


@SOME
@given(outcome_rows)
def test_the_status_select_on_duckdb_equals_the_python_rule(rows):
    """``core.status.status_sql`` as the store's kept statuses run it (last first by time, registry position)."""
    con = memory_connection()
    con.execute("CREATE TABLE mine (d VARCHAR, event VARCHAR, ts TIMESTAMP)")
    if rows:
        con.executemany("INSERT INTO mine VALUES (?, ?, make_timestamp(?))", rows)
    sql = status_sql("mine", "d", "event", f"ts DESC, {registry_position_sql('event')} DESC")
    assert dict(con.execute(sql).fetchall()) == _statuses_in_python(rows)


@pytest.mark.postgres
@SOME
@given(outcome_rows)
def test_the_status_select_on_postgresql_equals_the_python_rule(pg, rows):  # noqa: F811
    """The same text as the dbt project runs it (``coco_delivery_status``: last first by a timeline position)."""
    ordered = sorted(rows, key=lambda r: (r[2], registry_sort_key(r[1])))
    con = pg.connect()
    try:
        cur = con.cursor()
        cur.execute("CREATE TEMP TABLE timeline (delivery_id VARCHAR, event_name VARCHAR, position INTEGER)")
        if ordered:
            cur.executemany("INSERT INTO timeline VALUES (%s, %s, %s)", [(d, name, n) for n, (d, name, _) in enumerate(ordered)])
        cur.execute(status_sql("timeline", "delivery_id", "event_name", "position DESC"))
        got = dict(cur.fetchall() or [])
    finally:
        con.close()
    assert got == _statuses_in_python(rows)


# -- the linked closure (timeline rules §2, rules 1-2) ----------------------------------------------------------

link_rows = st.lists(
    st.tuples(
        st.sampled_from(["D1", "D2", "D3", None, None]),
        st.sampled_from(["DM1", "DM2", "DM3", "DM4", None]),
        st.sampled_from(["OF1", "OF2", "OF3", None]),
    ),
    max_size=25,
)


@SOME
@given(link_rows)
def test_the_closure_as_groups_in_sql_equals_the_python_rule(rows):
    """``core.links``' SQL (the rounds that label the groups, ``reach_sql``, ``loose_groups_sql``) against
    ``linked_closures``: each delivery's direct and linked rows."""
    records = [{"event": "x.y", "k": k, "delivery_id": d, "demand_id": dm, "offer_id": of} for k, (d, dm, of) in enumerate(rows)]
    events = [Event.from_record(r, None) for r in records]
    key = {id(e): k for k, e in enumerate(events)}
    deliveries = sorted({d for d, _, _ in rows if d})
    expected = {d: {key[id(e)] for e in chosen} for d, chosen in linked_closures(deliveries, events).items()}

    con = memory_connection()
    con.execute("CREATE TABLE rows (k INTEGER, delivery_id VARCHAR, demand_id VARCHAR, offer_id VARCHAR)")
    if rows:
        con.executemany("INSERT INTO rows VALUES (?, ?, ?, ?)", [(k, *r) for k, r in enumerate(rows)])
    con.execute("CREATE VIEW links AS SELECT DISTINCT delivery_id, demand_id, offer_id FROM rows")
    rounds = group_rounds("links")
    con.execute(rounds.edges)
    con.execute(rounds.labels)
    while True:
        con.execute(rounds.round)
        (changed,) = con.execute(rounds.changed).fetchone()
        con.execute(rounds.swap)
        if not changed:
            break
    got: dict[str, set[int]] = {d: set() for d in deliveries}
    for d, k in con.execute(
        f"SELECT delivery_id, k FROM rows WHERE delivery_id IS NOT NULL UNION ALL "
        f"SELECT r.d, o.k FROM ({reach_sql('links')}) AS r JOIN ({loose_groups_sql('rows', 'k')}) AS o ON o.g = r.g"
    ).fetchall():
        got[d].add(k)
    assert got == expected
