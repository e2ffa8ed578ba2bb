"""Golden files: each output format's expected text, rewritten with ``COCO_UPDATE_GOLDEN=1``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def golden(name: str, text: str, *more: tuple[str, str]) -> None:
    """Compare outputs with their golden files; with COCO_UPDATE_GOLDEN, rewrite them all and skip."""
    pairs = [(name, text), *more]
    if os.environ.get("COCO_UPDATE_GOLDEN"):
        for n, t in pairs:
            (GOLDEN / n).parent.mkdir(exist_ok=True)
            (GOLDEN / n).write_text(t, encoding="utf-8")
        pytest.skip(f"regenerated {', '.join(n for n, _ in pairs)}; run again without COCO_UPDATE_GOLDEN to check")
    for n, t in pairs:
        assert t == (GOLDEN / n).read_text(encoding="utf-8"), f"output differs from {GOLDEN / n}"
