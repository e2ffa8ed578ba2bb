"""Settings a source declares, and their one validation.

Each source module declares its settings as a tuple of ``Setting`` (name, type,
default, help), as harlequin's adapters declare ``ADAPTER_OPTIONS``; the
defaults live there and nowhere else. ``validate`` turns the plain values read
from a profile (or the command line, or the environment) into checked Python
values, or a ``UsageError`` naming where the value came from and the key.

Types: ``str``, ``host``, ``identifier``, ``path``, ``bool``, ``port``,
``duration`` (``30s``, ``14d``; stored as microseconds) and ``choice``. A setting written out with its
default value (``prefix = ""``) is accepted as if it were left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import UsageError
from ..timestamps import parse_duration

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,126}$")
HOST = re.compile(r"^[A-Za-z0-9._:\-\[\]]{1,253}$")


@dataclass(frozen=True)
class Setting:
    name: str
    type: str
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()


def validate(where: str, kind: str, settings: tuple[Setting, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    """Checked values for every declared setting (defaults filled in); unknown keys are errors."""
    known = {s.name for s in settings}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} for a {kind} profile (known: source, {', '.join(sorted(known))})")
    return {s.name: _value(where, s, values[s.name]) if values.get(s.name) is not None else s.default for s in settings}


def _value(where: str, s: Setting, value: Any) -> Any:
    key = f"{where}: {s.name!r}"
    if value == s.default and type(value) is type(s.default):  # a documented default, written out: as good as left out
        return s.default
    if s.type == "bool":
        if not isinstance(value, bool):
            raise UsageError(f"{key} must be true or false")
        return value
    if s.type == "port":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            raise UsageError(f"{key} must be a number from 1 to 65535")
        return value
    if s.type == "duration":
        try:
            us = parse_duration(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else -1
        except ValueError as e:
            raise UsageError(f"{key}: {e}") from None
        if us <= 0:
            raise UsageError(f"{key} must be a positive duration like 30s, 5m, 14d")
        return us
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{key} must be a non-empty string")
    if s.type == "identifier" and not IDENTIFIER.match(value):
        raise UsageError(f"{key} must be a plain identifier (letters, digits, _; not starting with a digit)")
    if s.type == "host" and not HOST.match(value):
        raise UsageError(f"{key} is not a host name")
    if s.type == "choice" and value not in s.choices:
        raise UsageError(f"{key} must be one of {', '.join(s.choices)}")
    if s.type == "path":
        return Path(value).expanduser()
    return value
