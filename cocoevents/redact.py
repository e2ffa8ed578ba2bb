"""Keeping secrets out of output: every message that may echo configuration passes through ``redact``."""

from __future__ import annotations

import os
import re

SECRET_ENV = ("COCO_REDSHIFT_PASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PGPASSWORD")
_PATTERNS = [
    re.compile(r"(?i)(password|passwd|pwd|secret|token)(\s*[=:]\s*|'\s*:\s*')([^\s,;'\"}]+)"),
]


def secrets() -> list[str]:
    return [v for k in SECRET_ENV if (v := os.environ.get(k)) and len(v) >= 3]


def redact(text: str) -> str:
    """``text`` with every known secret value and ``password=...`` pair masked."""
    for value in secrets():
        text = text.replace(value, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return text
