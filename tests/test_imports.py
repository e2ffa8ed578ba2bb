"""``coco --help`` starts without the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "redshift_connector", "boto3", "duckdb", "dbt")

SCRIPT = """
import sys
from cocoevents.cli import main
code = main(["--help"])
print("HEAVY=" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})))
sys.exit(code)
"""


def test_coco_help_imports_neither_pandas_redshift_connector_boto3_duckdb_nor_dbt():
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
