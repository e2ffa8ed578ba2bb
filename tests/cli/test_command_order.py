"""``coco --help`` lists the commands in one order, whichever command module a program imported first."""

from __future__ import annotations

import subprocess
import sys

from cocoevents.cli.main import HELP_ORDER

LISTED = """
import typer
{first}
from cocoevents.cli.main import app

print(" ".join(typer.main.get_command(app).list_commands(None)))
"""


def _listed(first: str) -> str:
    done = subprocess.run([sys.executable, "-c", LISTED.format(first=first)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_command_module_imported_before_the_command_line_does_not_move_its_commands_in_the_help() -> None:
    plain = _listed("")
    assert plain.split() == list(HELP_ORDER)  # a new command is given its place
    for first in (
        "import cocoevents.cli.explore_cmd",
        "import cocoevents.cli.timeline_cmd, cocoevents.cli.warehouse_cmd, cocoevents.cli.sync_cmd",
    ):
        assert _listed(first) == plain, first
