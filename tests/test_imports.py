"""``coco --help`` starts without the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

# pydantic: typer 0.29 imports it (and builds a TypeAdapter per parameter) on every parse, ~120 ms; hence the pin.
HEAVY = ("pandas", "redshift_connector", "boto3", "duckdb", "dbt", "pydantic")

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
