"""``coco config show`` and ``coco doctor`` (profiles and connection checks)."""

from __future__ import annotations

from . import app  # noqa: F401
