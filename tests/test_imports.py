"""``coco --help`` starts without the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

# pydantic: typer 0.29 imports it (and builds a TypeAdapter per parameter) on every parse, ~120 ms; hence the pin.
HEAVY = ("pandas", "redshift_connector", "boto3", "duckdb", "_duckdb", "dbt", "pydantic")

SCRIPT = """
import sys
from cocoevents.cli import main
code = main(["--help"])
print("HEAVY=" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})))
sys.exit(code)
"""


def test_coco_help_imports_neither_pandas_redshift_connector_boto3_duckdb_dbt_nor_pydantic():
    r = subprocess.run([sys.executable, "-c", SCRIPT.format(heavy=set(HEAVY))], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "timeline" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "HEAVY="


def test_each_subcommand_help_is_light_too():
    for cmd in ("timeline", "load", "check", "events"):
        r = subprocess.run([sys.executable, "-c", SCRIPT.replace('["--help"]', f'["{cmd}", "--help"]')
                            .format(heavy=set(HEAVY))], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, (cmd, r.stderr)
        assert r.stdout.strip().splitlines()[-1] == "HEAVY=", cmd


def test_parsing_a_command_line_does_not_import_pydantic(tmp_path):
    """A real parse (not only --help): typer 0.29 converts every parameter through pydantic."""
    script = SCRIPT.replace('["--help"]', repr(["timeline", "D1", "--store", str(tmp_path / "none.duckdb")]))
    r = subprocess.run([sys.executable, "-c", script.format(heavy={"pydantic"})], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 4, r.stderr  # no store there: source unavailable, after the arguments were parsed
    assert r.stdout.strip().splitlines()[-1] == "HEAVY="


def test_a_timeline_opens_the_store_through_duckdbs_c_extension_alone(tmp_path):
    """store.engine: the package's Python layer (~100 ms of imports) is not needed to answer a timeline."""
    from cocoevents.store.local import load

    day = tmp_path / "dt=2026-11-25"
    day.mkdir()
    (day / "a.log").write_text('{"event": "robot.booted", "timestamp": "2026-11-25T10:00:00Z", "robot_id": "R-1"}\n')
    store = tmp_path / "s.duckdb"
    load(store, [tmp_path])
    script = SCRIPT.replace('["--help"]', repr(["timeline", "D1", "--store", str(store)]))
    r = subprocess.run([sys.executable, "-c", script.format(heavy={"duckdb", "_duckdb"})], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 3, r.stderr  # not found: the store was opened and asked
    loaded = r.stdout.strip().splitlines()[-1].removeprefix("HEAVY=").split(",")
    assert "_duckdb" in loaded and "duckdb" not in {m.split(".")[0] for m in loaded}, loaded


def test_the_engine_is_duckdbs_own_objects():
    import duckdb

    from cocoevents.store.engine import duckdb as engine

    assert engine.connect is duckdb.connect
    for name in ("Error", "CatalogException", "IOException", "InterruptException", "OutOfMemoryException",
                 "DuckDBPyConnection"):
        assert getattr(engine, name) is getattr(duckdb, name), name
