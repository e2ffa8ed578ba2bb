"""Opening the store ahead (``cli.launch``): the ``coco`` script opens a reading command's ``--store`` in a
thread while the command line imports, and the command takes that connection; any other case opens as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cocoevents.cli import open_ahead
from cocoevents.store import connection
from cocoevents.store import loader as store

from ..support.cli import run_coco, write_lines

RECORDS = [
    {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D1", "demand_id": "DM1"},
    {
        "event": "delivery.failed",
        "timestamp": "2026-11-25T10:05:00Z",
        "delivery_id": "D1",
        "error": {"code": "LID", "message": "lid stuck"},
    },
]
LAUNCH = [sys.executable, "-c", "from cocoevents.cli.launch import run; run()"]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    store.load(path, [write_lines(tmp_path / "a.jsonl", RECORDS)])
    return path


def test_the_store_opened_ahead_is_the_connection_the_reader_gets_once(db: Path, tmp_path: Path) -> None:
    assert open_ahead.start(str(db))
    early = open_ahead._pending["thread"]
    con, tables = connection.open_store(db, read_only=True, connection=open_ahead.opened_ahead(str(db)))
    try:
        assert not early.is_alive() and not open_ahead._pending  # joined and taken
        assert "keys" in tables and con.execute("SELECT count(*) FROM events").fetchone() == (2,)
    finally:
        con.close()
    assert open_ahead.opened_ahead(str(db)) is None  # once
    # opened ahead for another file: closed, and the reader opens its own
    other = tmp_path / "other.duckdb"
    store.load(other, [write_lines(tmp_path / "b.jsonl", RECORDS[:1])])
    assert open_ahead.start(str(other))
    con, _ = connection.open_store(db, read_only=True, connection=open_ahead.opened_ahead(str(db)))
    try:
        assert con.execute("SELECT count(*) FROM events").fetchone() == (2,) and not open_ahead._pending
    finally:
        con.close()
    assert not open_ahead.start(str(tmp_path / "missing.duckdb"))  # only an existing plain file
    assert not open_ahead.start(str(tmp_path))


def test_only_a_reader_of_a_named_store_without_a_profile_opens_ahead(db: Path, monkeypatch) -> None:
    monkeypatch.delenv("COCO_PROFILE", raising=False)
    monkeypatch.delenv("COCO_STORE", raising=False)
    opened: list[str] = []
    monkeypatch.setattr(open_ahead, "start", lambda path: opened.append(path) or True)
    s = str(db)
    cases = [
        (["timeline", "D1", "--store", s], s),
        (["--debug", "timeline", "D1", f"--store={s}", "-f", "json"], s),
        (["timeline", "D1", "--store", "x", "--store", s], s),  # the last one, as the parser takes it
        (["timeline", "D1"], None),  # the default store: resolved by the command (a profile may name it)
        (["timeline", "D1", "--store", s, "--profile", "prod"], None),
        (["timeline", "D1", "--store", s, "--fresh"], None),
        (["timeline", "--help"], None),
        (["events", "--store", s], None),
        (["errors", "--store", s, "--since", "2026-11-25"], s),
        (["deliveries", f"--store={s}"], s),
        (["compare", "--store", s], s),
        (["explore", "--store", s], s),
        (["load", "x.log", "--store", s], None),  # a writer
        (["sync", "--store", s], None),
        (["store", "files", "--store", s], None),
        (["errors", "--store", s, "--profile", "prod"], None),
        ([], None),
    ]
    for args, expected in cases:
        opened.clear()
        assert open_ahead.open_ahead(args) is (expected is not None), args
        assert opened == ([expected] if expected else []), args
    monkeypatch.setenv("COCO_STORE", s)
    assert open_ahead.open_ahead(["timeline", "D1"]) and opened[-1] == s
    monkeypatch.setenv("COCO_PROFILE", "prod")
    assert not open_ahead.open_ahead(["timeline", "D1"])


def test_the_coco_script_answers_and_fails_as_the_command_line_does(db: Path, tmp_path: Path) -> None:
    for args in (
        ["timeline", "D1", "--store", str(db), "-f", "json"],
        ["timeline", "D1", "--store", str(db)],
        ["timeline", "D1", "--store", str(tmp_path / "missing.duckdb")],
        ["timeline", "D404", "--store", str(db)],
        ["errors", "--store", str(db), "--since", "2026-11-25T00:00:00Z", "--until", "2026-11-26T00:00:00Z", "-f", "json"],
        ["deliveries", "--store", str(db), "--since", "2026-11-25T00:00:00Z", "--until", "2026-11-26T00:00:00Z"],
        ["compare", "--store", str(db), "--since", "2026-11-25T00:00:00Z", "--until", "2026-11-26T00:00:00Z", "-f", "json"],
        ["errors", "--store", str(tmp_path / "missing.duckdb")],
    ):
        expected = run_coco(*args)
        r = subprocess.run([*LAUNCH, *args], capture_output=True, text=True, timeout=60)
        assert (r.returncode, r.stdout, r.stderr) == (expected.code, expected.out, expected.err), args
