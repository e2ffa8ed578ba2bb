"""The ``coco`` console script: open the store ahead when it can (``open_ahead``), then run the command line.

The ``cli`` package's ``__init__`` imports nothing, so the open starts before typer and the commands load.
"""

from __future__ import annotations

import sys

from .open_ahead import open_ahead


def run() -> None:
    open_ahead(sys.argv[1:])
    from .main import run as run_cli

    run_cli()
