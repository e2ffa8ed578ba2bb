"""Rendering a timeline: one ``write(timeline, fmt, out, options)`` entry and a registry of formats.

Guarantees: renderers write data only to ``out`` (stdout or the ``-o`` file);
non-table formats never contain colour codes; the table escapes control characters in data and the CSV
neutralises formula prefixes (unless ``csv_raw``); ``csv``, ``json``, ``jsonl`` and ``html`` are always
complete (the table and markdown views may be truncated, and say so). ``html`` and ``markdown`` render the
JSON document (``Timeline.to_dict()``), not the core's internals.
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
    from .csv_writer import write_csv

    write_csv(t, out, raw=o.csv_raw)


def _json(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    from .json_writer import write_json

    write_json(t, out)


def _jsonl(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    from .json_writer import write_jsonl

    write_jsonl(t, out)


def _html(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    from .html import write_html

    write_html(t.to_dict(), out, o)


def _markdown(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    from .markdown import write_markdown

    write_markdown(t.to_dict(), out, o)


FORMATS: dict[str, Writer] = {"table": _table, "csv": _csv, "json": _json, "jsonl": _jsonl, "html": _html, "markdown": _markdown}
# ``coco deliveries`` / ``coco errors``: the formats of a listing (``render.fleet.LISTING_FORMATS`` writes them).
LISTING_FORMAT_NAMES = ("table", "csv", "json", "jsonl")
# ``coco compare``: its formats (``render.compare.COMPARE_FORMATS`` writes them).
COMPARE_FORMAT_NAMES = ("table", "csv", "json", "markdown")
# ``-o FILE`` without ``-f``: the format its suffix names (anything else: the table).
SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "table",
}
# Rows shown at most when ``--max-rows`` is not given (a Markdown summary is pasted into a ticket).
DEFAULT_MAX_ROWS = {"table": 2000, "markdown": 100}


def write(timeline: Timeline, fmt: str, out: TextIO, options: RenderOptions = RenderOptions()) -> None:
    try:
        writer = FORMATS[fmt]
    except KeyError:
        from ..errors import UsageError

        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    writer(timeline, out, options)
