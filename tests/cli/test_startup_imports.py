"""``coco --help`` starts without the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

# pydantic: typer 0.29 imports it (and builds a TypeAdapter per parameter) on every parse, ~120 ms; hence the pin.
HEAVY = ("pandas", "redshift_connector", "boto3", "duckdb", "_duckdb", "dbt", "pydantic")

SCRIPT = """
import sys
from cocoevents.cli.main import main
code = main(["--help"])
print("HEAVY=" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})))
sys.exit(code)
"""


def test_coco_help_imports_neither_pandas_redshift_connector_boto3_duckdb_dbt_nor_pydantic():
    r = subprocess.run([sys.executable, "-c", SCRIPT.format(heavy=set(HEAVY))], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "timeline" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "HEAVY="


def test_each_subcommand_help_is_light_too():
    for cmd in ("timeline", "load", "check", "events"):
        r = subprocess.run(
            [sys.executable, "-c", SCRIPT.replace('["--help"]', f'["{cmd}", "--help"]').format(heavy=set(HEAVY))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0, (cmd, r.stderr)
        assert r.stdout.strip().splitlines()[-1] == "HEAVY=", cmd


def test_parsing_a_command_line_does_not_import_pydantic(tmp_path):
    """A real parse (not only --help): typer 0.29 converts every parameter through pydantic."""
    script = SCRIPT.replace('["--help"]', repr(["timeline", "D1", "--store", str(tmp_path / "none.duckdb")]))
    r = subprocess.run([sys.executable, "-c", script.format(heavy={"pydantic"})], capture_output=True, text=True, timeout=60)
    assert r.returncode == 4, r.stderr  # no store there: source unavailable, after the arguments were parsed
    assert r.stdout.strip().splitlines()[-1] == "HEAVY="


def test_a_timeline_opens_the_store_through_duckdbs_c_extension_alone(tmp_path):
    """store.engine: the package's Python layer (~100 ms of imports) is not needed to answer a timeline."""
    import importlib.util

    import pytest

    if importlib.util.find_spec("_duckdb") is None:  # DuckDB before 1.4 kept its extension inside the package
        pytest.skip("this DuckDB build has no separate _duckdb module: store.engine imports the package")
    from cocoevents.store.loader import load

    day = tmp_path / "dt=2026-11-25"
    day.mkdir()
    (day / "a.log").write_text('{"event": "robot.booted", "timestamp": "2026-11-25T10:00:00Z", "robot_id": "R-1"}\n')
    store = tmp_path / "s.duckdb"
    load(store, [tmp_path])
    script = SCRIPT.replace('["--help"]', repr(["timeline", "D1", "--store", str(store)]))
    r = subprocess.run([sys.executable, "-c", script.format(heavy={"duckdb", "_duckdb"})], capture_output=True, text=True, timeout=60)
    assert r.returncode == 3, r.stderr  # not found: the store was opened and asked
    loaded = r.stdout.strip().splitlines()[-1].removeprefix("HEAVY=").split(",")
    assert "_duckdb" in loaded and "duckdb" not in {m.split(".")[0] for m in loaded}, loaded


def test_the_engine_is_duckdbs_own_objects():
    import duckdb

    from cocoevents.duckdb_engine import duckdb as engine

    assert engine.connect is duckdb.connect
    for name in ("Error", "CatalogException", "IOException", "InterruptException", "OutOfMemoryException", "DuckDBPyConnection"):
        assert getattr(engine, name) is getattr(duckdb, name), name


def test_a_command_runs_with_an_app_holding_only_that_command_and_its_help_is_unchanged():
    """cli.app_for: typer builds every command it holds on each run; a run of one command builds one."""
    from typer.testing import CliRunner

    from cocoevents.cli.main import app, app_for

    assert app_for(["--help"]) is app and app_for([]) is app
    assert app_for(["timelin", "D1"]) is app  # an unknown command: the whole app says so, with suggestions
    only = app_for(["--debug", "timeline", "D1"])
    assert [c.callback.__name__ for c in only.registered_commands] == ["timeline"] and not only.registered_groups
    store = app_for(["store", "files"])
    assert not store.registered_commands and [g.name for g in store.registered_groups] == ["store"]
    assert app.registered_commands and len(app.registered_commands) > 5  # the original is left whole
    runner = CliRunner()
    for args in (["timeline", "--help"], ["store", "remove", "--help"], ["load", "--help"]):
        whole = runner.invoke(app, args, prog_name="coco", env={"COLUMNS": "100"})
        alone = runner.invoke(app_for(args), args, prog_name="coco", env={"COLUMNS": "100"})
        assert whole.exit_code == alone.exit_code == 0
        assert alone.output == whole.output and "Usage: coco " in alone.output


def test_the_coco_script_starts_opening_the_store_before_importing_the_command_line(tmp_path):
    """``launch.open_ahead`` runs before typer or any command module is imported (that is what it overlaps)."""
    code = (
        "import sys; from cocoevents.cli import launch; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'duckdb', 'rich', 'pandas') "
        "or m.startswith(('cocoevents.cli.app', 'cocoevents.cli.main'))); print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
