"""``coco check --registry FILE``: the drift check of a producer's TypeScript or Go registry (thin)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..textsafe import say


def check_registry(path: Path, as_json: bool) -> int:
    """Report to stdout, notes to stderr; 1 on any difference, 0 when equal (2 is raised as NotARegistry)."""
    from .drift import check_registry_file

    report = check_registry_file(path)
    for note in report.notes:
        say(f"coco: note: {note}")
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(report.text())
    return 1 if report.differences else 0
