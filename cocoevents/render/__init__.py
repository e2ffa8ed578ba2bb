"""Rendering a timeline: one ``write(timeline, fmt, out, options)`` entry and a registry of formats.

Guarantees: renderers write data only to ``out`` (stdout or the ``-o`` file);
non-table formats never contain colour codes; the table escapes control characters in data and the CSV
neutralises formula prefixes (unless ``csv_raw``); ``csv``, ``json`` and ``jsonl``
are always complete (only the table view may be truncated, and it says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TextIO

from ..core.model import Timeline


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    tz: str = "UTC"
    max_rows: int = 2000
    width: int | None = None
    csv_raw: bool = False  # CSV fields exactly as in the data (no formula neutralising)
    deliveries: tuple[tuple[str, str], ...] = ()  # a robot's deliveries in the range, with their status (table)


Writer = Callable[[Timeline, TextIO, RenderOptions], None]


def _table(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    from .table import write_table

    write_table(t, out, o)


def _csv(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    from .data import write_csv

    write_csv(t, out, raw=o.csv_raw)


def _json(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    from .data import write_json

    write_json(t, out)


def _jsonl(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    from .data import write_jsonl

    write_jsonl(t, out)


FORMATS: dict[str, Writer] = {"table": _table, "csv": _csv, "json": _json, "jsonl": _jsonl}


def write(timeline: Timeline, fmt: str, out: TextIO, options: RenderOptions = RenderOptions()) -> None:
    try:
        writer = FORMATS[fmt]
    except KeyError:
        from ..errors import UsageError

        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    writer(timeline, out, options)
