"""``coco warehouse ddl|load``: the Redshift table, its load log and the hourly COPY job."""

from __future__ import annotations

from . import app  # noqa: F401
