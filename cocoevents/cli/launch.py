"""The ``coco`` console script: open the store ahead when it can, then run the command line (``cli.run``).

Here, outside the ``cli`` package, because importing ``cli`` imports typer and every command (~0.1 s): the
store's open (``store.ahead``) starts first and overlaps with those imports.
"""

from __future__ import annotations

import os
import sys


def open_ahead(args: list[str]) -> bool:
    """``coco timeline ... --store S`` (or ``COCO_STORE``), without a profile: open S in a thread while the
    command line imports (``store.ahead``); whether it started. Any other command, or a store named another way
    (a profile, the default path, ``--fresh``), opens as always."""
    rest = [a for a in args if a != "--debug"]
    if not rest or rest[0] != "timeline" or os.environ.get("COCO_PROFILE"):
        return False
    store = os.environ.get("COCO_STORE") or None
    for k, arg in enumerate(rest):
        if arg in ("--profile", "--fresh", "--help", "-h") or arg.startswith("--profile="):
            return False
        if arg == "--store" and k + 1 < len(rest):
            store = rest[k + 1]
        elif arg.startswith("--store="):
            store = arg[len("--store="):]
    if not store:
        return False
    from ..store import ahead

    return ahead.start(store)


def run() -> None:
    open_ahead(sys.argv[1:])
    from .app import run as run_cli

    run_cli()
