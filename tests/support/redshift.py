"""The Redshift-path tests' world: the same fixture events in the local store and in a real PostgreSQL
(through the real ``redshift_connector``), and the profiles that point coco at it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from cocoevents.archive import lines as archive
from cocoevents.devtools import generator
from cocoevents.sources.local import LocalSource
from cocoevents.sources.redshift import RedshiftSource, Settings
from cocoevents.store import loader as store
from cocoevents.timestamps import parse_time_option
from cocoevents.warehouse import ddl
from cocoevents.warehouse.copyjob import refresh_baseline
from cocoevents.warehouse.ddl import Target

from .pgserver import PgServer, events_ddl, load_events

NOW = parse_time_option("2026-11-26T00:00:00Z")
DAY = {"since": "2026-11-25T00:00:00Z", "until": "2026-11-25T23:59:59Z"}

WEIRD_DELIVERY = "D'q\"; DROP TABLE events; --"
WEIRD_ROBOT = "R-%s"
WEIRD_PILOT = "P-\\back\\slash"
WEIRD_DEMAND = "DM-é日本-'"
WEIRD_OFFER = "O-%%s;"
NOT_THERE = ["x' OR '1'='1", "%s", "%s%s%s", "\\", "\\'", "'; SELECT 1; --", "é日本", "D12345'", "D12345%", "R-%", "_", "D1234_"]


def at(minute: float) -> str:
    return f"2026-11-25T15:{int(minute):02d}:{int(minute % 1 * 60):02d}.000Z"


def edge_records() -> list[dict[str, Any]]:
    """Ids full of SQL metacharacters, an untimed event, an exact duplicate, a three-hop link chain."""
    w = WEIRD_DELIVERY
    recs = [
        {"event": "pilot.assignment_started", "timestamp": at(0), "pilot_id": WEIRD_PILOT, "robot_id": WEIRD_ROBOT},
        {"event": "offer.received", "timestamp": at(1), "offer_id": WEIRD_OFFER},
        {"event": "demand.created", "timestamp": at(2), "demand_id": WEIRD_DEMAND, "offer_id": WEIRD_OFFER},
        {"event": "demand.assigned", "timestamp": at(3), "demand_id": WEIRD_DEMAND, "delivery_id": w, "robot_id": WEIRD_ROBOT},
        {"event": "robot.state_changed", "timestamp": at(4), "robot_id": WEIRD_ROBOT, "to_state": "delivering"},
        {"event": "pilot.note", "timestamp": at(5), "pilot_id": WEIRD_PILOT, "note": "ünïcode ✓"},
        {"event": "delivery.dropoff_completed", "timestamp": at(9), "delivery_id": w, "robot_id": WEIRD_ROBOT},
        {"event": "pilot.assignment_ended", "timestamp": at(20), "pilot_id": WEIRD_PILOT, "robot_id": WEIRD_ROBOT},
        # near misses: must never show up in the weird delivery's timeline
        {"event": "demand.assigned", "timestamp": at(3), "delivery_id": w + " ", "robot_id": "R-other"},
        {"event": "demand.assigned", "timestamp": at(3), "delivery_id": "D'q", "robot_id": "R-other"},
        # D-EDGE: untimed event, an exact duplicate, and a chain three hops long
        {"event": "demand.assigned", "timestamp": at(30), "delivery_id": "D-EDGE", "demand_id": "DM-E1", "robot_id": "R-E"},
        {"event": "demand.created", "timestamp": at(29), "demand_id": "DM-E1", "offer_id": "O-E1"},
        {"event": "offer.accepted", "timestamp": at(28), "offer_id": "O-E1", "demand_id": "DM-E0"},
        {"event": "demand.note", "timestamp": at(27), "demand_id": "DM-E0"},
        {"event": "delivery.note", "timestamp": "not a time", "delivery_id": "D-EDGE"},
        {
            "event": "delivery.failed",
            "timestamp": at(40),
            "delivery_id": "D-EDGE",
            "robot_id": "R-E",
            "error": {"code": "X", "message": "boom"},
        },
        {
            "event": "delivery.failed",
            "timestamp": at(40),
            "delivery_id": "D-EDGE",
            "robot_id": "R-E",
            "error": {"code": "X", "message": "boom"},
        },
    ]
    return recs


def no_autocommit(con: Any) -> Any:
    con.autocommit = False
    return con


def profile_for(pg: PgServer, database: str, **changes: Any) -> Settings:
    base = Settings(
        name="test",
        host=pg.host,
        port=pg.port,
        database=database,
        user=pg.admin,
        schema="public",
        table="events",
        ssl=False,
        statement_timeout_us=20_000_000,
    )
    return replace(base, **changes)


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "coco" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def redshift_profile_toml(pg: PgServer, database: str, name: str = "wh", **extra: str) -> str:
    lines = [
        f"[profiles.{name}]",
        'source = "redshift"',
        f'host = "{pg.host}"',
        f"port = {pg.port}",
        f'database = "{database}"',
        f'user = "{extra.pop("user", pg.admin)}"',
        "ssl = false",
        'lookback = "100000d"',
    ]
    extra = {"schema": '"public"', "table": '"events"', **extra}
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def build_world(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both stores loaded with the same fixture events; returns what the tests need."""
    root = tmp_path_factory.mktemp("archive")
    records = generator.fleet_day(generator.Fleet(deliveries=40, robots=8, pilots=3, seed=11))
    records += generator.scenarios()
    records.sort(key=lambda r: json.dumps(r.get("timestamp")))
    generator.write_archive(records, root, seed=3, per_file=400)
    edge = root / "dt=2026-11-25" / "edge.jsonl"
    edge.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in edge_records()), encoding="utf-8")
    db_path = tmp_path_factory.mktemp("store") / "events.duckdb"
    store.load(db_path, [root])
    files, _ = archive.find_files([root])
    loaded = [rec for f in files for _, rec in archive.scan(f).records]
    database = pg.create_database("source")
    pg.run(database, events_ddl())
    load_events(pg, database, loaded)
    # the fleet baseline, as the hourly job refreshes it (the local store rebuilt its own on load)
    connect = lambda: pg.connect(database)  # noqa: E731 - autocommit off below: the refresh owns its transaction
    refresh_baseline(
        Target(schema="public", table="events"), lambda: no_autocommit(connect()), now=datetime(2026, 11, 26, tzinfo=timezone.utc)
    )
    # the id -> time-bounds table, as the migration fills it from the rows there (the job keeps it after)
    pg.run(database, ddl.rebuild_bounds_statements(Target(schema="public", table="events"), lock=False))
    deliveries = sorted({r["delivery_id"] for r in loaded if isinstance(r.get("delivery_id"), str)})
    return {"store": db_path, "database": database, "records": loaded, "deliveries": deliveries}


def open_sources(pg: PgServer, world: dict[str, Any]) -> tuple[LocalSource, RedshiftSource]:
    return LocalSource(world["store"]), RedshiftSource(profile_for(pg, world["database"]), now=NOW)


def bounded_world(
    pg: PgServer, tmp_path_factory: pytest.TempPathFactory, name: str, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> tuple[Path, str]:
    """A small world of ``before`` and ``after`` records: a local store holding all of them, and a PostgreSQL database
    ``name`` where the bounds table was rebuilt after ``before`` was loaded and before ``after`` (the COPY job's late
    rows, which the bounds table does not hold yet). The store's path and the database's name."""
    root = tmp_path_factory.mktemp(f"{name}-archive")
    (root / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*before, *after]))
    db_path: Path = tmp_path_factory.mktemp(f"{name}-store") / "events.duckdb"
    store.load(db_path, [root])
    database = pg.create_database(name)
    pg.run(database, events_ddl())
    load_events(pg, database, before)
    pg.run(database, ddl.rebuild_bounds_statements(Target(schema="public", table="events"), lock=False))
    load_events(pg, database, after)
    return db_path, database
