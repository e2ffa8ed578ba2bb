"""``-f json`` and ``-f jsonl``: the timeline's JSON document (schema ``coco.timeline/1``) and its rows a line each.

The document is ``Timeline.to_dict()`` encoded by ``json.dumps``; each event row is ``Row.to_dict()`` encoded
(``row_text``). Non-finite numbers (a lenient source may hold NaN) become strings so the output stays valid JSON.
Event rows are the bulk of a big timeline's output, so the writers take them from ``json_fast.row_chunks``, which
writes the same bytes as ``row_text`` without building each row's dict (tests hold the two equal).
"""

from __future__ import annotations

from typing import TextIO

from ..core.model import Row, Timeline
from .jsontext import dumps

_EVENTS_SLOT = '\n  "events": [],\n'  # the top-level key at indent 2 (strings never hold a raw newline)


def write_json(t: Timeline, out: TextIO) -> None:
    """``Timeline.to_dict()`` as indented JSON, the same bytes as one ``json.dumps``, but written an event at
    a time: the document around the events, then each event object, so memory holds one event's dict."""
    text = dumps(t.to_dict(events=False), indent=2)
    cut = text.index(_EVENTS_SLOT) + len(_EVENTS_SLOT) - 3  # just after '"events": ['
    if not t.rows:
        out.write(text)
        out.write("\n")
        return
    from .json_fast import row_chunks

    out.write(text[:cut])
    out.write("\n    ")
    out.writelines(row_chunks(t.rows, True, ",\n    "))
    out.write("\n  ")
    out.write(text[cut:])
    out.write("\n")


def write_jsonl(t: Timeline, out: TextIO) -> None:
    """Each row's object of timeline rules §7 on a line of its own (``row_text``)."""
    from .json_fast import row_chunks

    if t.rows:
        out.writelines(row_chunks(t.rows, False, "\n"))
        out.write("\n")


def row_text(row: Row, indented: bool) -> str:
    """A row's object of timeline rules §7 (``Row.to_dict()``) as JSON text: indented as inside ``write_json``'s
    document, or compact (``write_jsonl``). The plain twin of ``json_fast.row_chunks``."""
    d = row.to_dict()
    if indented:
        return dumps(d, indent=2).replace("\n", "\n    ")
    return dumps(d, separators=(",", ":"))
