"""The JSON writer's fast path: the event rows of a big timeline as text, the bulk of its ``-f json``/``jsonl``.

``RowTexts`` writes each row's object of timeline rules §7 - the same bytes as encoding ``Row.to_dict()``
(``json_writer.row_text``, the plain twin: tests/render/test_json_fast.py holds the two equal on random
timelines) - without building that dict:

- a record whose stored text is exactly what the standard library's encoder writes for it (``text_style``) is not
  parsed at all: its separators are replaced, and the fields around it are pieces of text kept per second, per
  gap and per (shape, lane, severity);
- another plain record is parsed once and encoded by the standard library's C encoder
  (``json.encoder.c_make_encoder``, made once, with separators that carry the document's indentation);
- anything unusual (non-finite numbers, values that are not JSON) goes ``Row.to_dict()``'s way.

This module, and ``core.fast_rules`` in the core, are the only ones outside ``core.model`` that read ``Event``'s
layout (``_shape``, ``_data``, ``_index``: ``core.fast_rules`` says what they hold).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable, Iterator, Sequence

from ..core.model import Row, parse_record
from ..timestamps import format_ts
from .jsontext import dumps

# A record whose text is exactly what the standard library's encoder writes for it (``ensure_ascii=False``) with
# the separators ``", "``/``": "`` (``SPACED``, Python's default) or ``","``/``":"`` (``COMPACT``): one flat
# object of strings without escapes, canonical integers, booleans and nulls, no key twice, no ``error``. The
# writers turn such a text into their output by replacing its separators, without parsing it again (``style_of``;
# the event keeps only its number of keys, so reading a record costs nothing more).
PLAIN, SPACED, COMPACT = 0, 1, 2
_STR = r'"[^"]*"'  # the text has no backslash (checked first), so a string is up to the next quote
_VALUE = rf"(?:{_STR}|0|-?[1-9][0-9]{{0,17}}|true|false|null)"
SPACED_RECORD = re.compile(rf"\{{{_STR}: {_VALUE}(?:, {_STR}: {_VALUE})*\}}").fullmatch
COMPACT_RECORD = re.compile(rf"\{{{_STR}:{_VALUE}(?:,{_STR}:{_VALUE})*\}}").fullmatch


def text_style(text: str | None, keys: int) -> int:
    """``SPACED`` or ``COMPACT`` when ``text`` (whose ``json.loads`` is a record of ``keys`` keys without an
    ``error``; -1: with one) is what the encoder writes for that record with those separators and holds them
    nowhere but between its items, so replacing them is re-encoding it; else ``PLAIN``. The counts rule out a
    key met twice and separators inside strings."""
    if keys < 1 or text is None or "\\" in text:
        return PLAIN
    if SPACED_RECORD(text):
        return SPACED if text.count('": ') == keys and text.count(', "') == keys - 1 else PLAIN
    if COMPACT_RECORD(text):
        return COMPACT if text.count('":') == keys and text.count(',"') == keys - 1 else PLAIN
    return PLAIN


def style_of(e: Any) -> int:
    """``text_style`` of an event's stored text: ``SPACED`` or ``COMPACT`` when the writers may take it as it is."""
    return text_style(e.raw, e._shape[7])


class _Unusual(Exception):
    """A value ``_indented`` leaves to ``json.dumps`` (non-finite floats, non-JSON types, non-str keys)."""


_encode_str = json.encoder.encode_basestring  # ensure_ascii=False, as dumps
_float_repr = float.__repr__


def _finite_repr(value: float) -> str:
    if value != value or value in (math.inf, -math.inf):
        raise _Unusual
    return _float_repr(value)


def _indented(obj: Any, indent: str = "") -> str:
    """``json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)`` for plain JSON values, without the
    standard library's pure-Python indenting encoder (several times slower): same bytes, checked by the tests."""
    scalar = _SCALAR_TEXT.get(type(obj))
    if scalar is not None:
        return scalar(obj)
    inner = indent + "  "
    if type(obj) is dict:
        if not obj:
            return "{}"
        parts = []
        for k, v in obj.items():
            if type(k) is not str:
                raise _Unusual
            text = _SCALAR_TEXT.get(type(v))
            parts.append(f"{inner}{_encode_str(k)}: {text(v) if text is not None else _indented(v, inner)}")
        return "{\n" + ",\n".join(parts) + "\n" + indent + "}"
    if type(obj) is list:
        if not obj:
            return "[]"
        return "[\n" + ",\n".join(inner + _indented(v, inner) for v in obj) + "\n" + indent + "]"
    raise _Unusual


def _pretty(obj: Any) -> str:
    """``obj`` as indented JSON (indent 2), exactly as ``dumps(obj, indent=2)`` writes it."""
    try:
        return _indented(obj)
    except (_Unusual, RecursionError):
        return dumps(obj, indent=2)


def row_chunks(rows: Sequence[Row], indented: bool, sep: str, size: int = 2048) -> Iterator[str]:
    """The rows' JSON texts (``RowTexts``) joined by ``sep``, a few thousand rows a string (fewer, bigger writes)."""
    events = RowTexts(indented)
    for n in range(0, len(rows), size):
        if n:
            yield sep
        yield "".join(events.batch(rows[n : n + size], sep))


_COMPACT = json.JSONEncoder(ensure_ascii=False, default=str, allow_nan=False, separators=(",", ":"))
_NULL = "null"
_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))  # the end of a row's time (``format_ts``)


# CPython's C encoder (``json.encoder`` keeps it as ``c_make_encoder``; the type stubs do not declare it).
_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)


# C encoders for a flat object (scalar values only) at the depth of an event's payload: the separators carry the
# newline and indentation that ``json.dumps(..., indent=2)`` puts between the items.
def _c_encoder(key_separator: str, item_separator: str) -> Callable[[Any, int], Any]:
    """``json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=...)``'s encoding of a dict or list as
    pieces of text (``"".join`` them): the standard library's C encoder, made once (``encode`` makes it at
    every call)."""
    make = _C_MAKE_ENCODER
    if make is None:  # pragma: no cover - CPython always has it
        slow = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(item_separator, key_separator))
        return lambda value, _: (slow.encode(value),)
    return make(None, None, _encode_str, None, key_separator, item_separator, False, False, False)


SORTED_ENCODE = (
    _C_MAKE_ENCODER(None, None, _encode_str, None, ":", ",", True, False, False)
    if _C_MAKE_ENCODER
    else lambda value, _: (dumps(value, separators=(",", ":"), sort_keys=True),)
)
_FLAT_ENCODE = _c_encoder(": ", ",\n        ")  # a flat payload's items, at its depth in the document
_COMPACT_ENCODE = _c_encoder(":", ",")


_int_repr = int.__repr__
_SCALAR_TEXT: dict[type, Callable[[Any], str]] = {
    str: _encode_str,
    int: _int_repr,
    float: _finite_repr,
    bool: lambda v: "true" if v else "false",
    type(None): lambda v: "null",
}


class RowTexts:
    """Each row's object of timeline rules §7 as JSON text - indented as inside ``write_json``'s document, or
    compact for ``jsonl`` - the same bytes as encoding ``Row.to_dict()``, without building that dict: a plain
    record (``Event.raw``) is parsed once and encoded by the standard library's C encoder; anything unusual
    (non-finite numbers, values that are not JSON) goes the dict's way."""

    def __init__(self, indented: bool) -> None:
        self.indented = indented
        self.texts: dict[Any, str] = {}
        self.seconds: dict[int, str] = {}
        self.gaps: dict[int | None, str] = {}
        self.heads: dict[tuple[int, int, str], tuple[Any, Any, str, str]] = {}  # see ``_head``
        self.lane: Any = None  # the last row's lane, and its JSON text
        self.lane_text = ""
        if indented:
            self.head = (
                '{{\n      "ts": "{}",\n      "event": {},\n      "lane": {},\n      "severity": "{}",\n'
                '      "gap_before_s": {},\n      "delivery_id": {},\n      "robot_id": {},\n'
                '      "pilot_id": {},\n      "demand_id": {},\n      "offer_id": {},\n      "error": {},\n'
                '      "payload": {}\n    }}'
            )
        else:
            self.head = (
                '{{"ts":"{}","event":{},"lane":{},"severity":"{}","gap_before_s":{},"delivery_id":{},'
                '"robot_id":{},"pilot_id":{},"demand_id":{},"offer_id":{},"error":{},"payload":{}}}'
            )

    def batch(self, rows: Sequence[Row], sep: str) -> list[str]:
        """Pieces of text that joined are the rows' ``text`` joined by ``sep``. A record whose text the encoder
        would write as it is (``Event.style``, worked out here) is not parsed: its separators are replaced, and
        the fields around it are pieces of text kept per second, per gap and per (name, ids, lane, severity)."""
        out: list[str] = []
        add = out.append
        put = out.extend
        ms = _MILLIS
        start, end = ('{\n      "ts": "', "\n      }\n    }") if self.indented else ('{"ts":"', "}")
        seconds = self.seconds
        gaps = self.gaps
        heads = self.heads
        indented = self.indented
        spaced, compact = SPACED_RECORD, COMPACT_RECORD
        for row in rows:  # ``text_style`` inline
            if out:
                add(sep)
            e = row.event
            shape = e._shape
            keys = shape[7]
            data = e._data
            if keys < 1 or isinstance(data, dict):
                add(self.text(row))
                continue
            raw = data if isinstance(data, str) else data.text(e._index)
            if "\\" in raw:
                add(self.text(row))
                continue
            if spaced(raw):
                if raw.count('": ') != keys or raw.count(', "') != keys - 1:
                    add(self.text(row))
                    continue
                style = SPACED
            elif compact(raw) and raw.count('":') == keys and raw.count(',"') == keys - 1:
                style = COMPACT
            else:
                add(self.text(row))
                continue
            ts = e.ts
            assert ts is not None  # a row's event has a time (timeline rules §1)
            sec, rem = divmod(ts, 1_000_000)  # ``format_ts``, with the text of the second kept
            second = seconds.get(sec)
            if second is None:
                if len(seconds) > 4096:
                    seconds.clear()
                second = seconds[sec] = format_ts(sec * 1_000_000)[:-5]
            gap = row.gap_before_us
            gap_text = gaps.get(gap)
            if gap_text is None:
                if len(gaps) > 65536:
                    gaps.clear()
                gap_text = gaps[gap] = _NULL if gap is None else _float_repr(gap / 1e6)
            lane = row.lane
            key = (id(shape), id(lane), row.severity)
            head = heads.get(key)
            if head is None:
                if len(heads) > 4096:
                    heads.clear()
                head = heads[key] = self._head(shape, lane, row.severity)
            if indented:
                if style == SPACED:
                    payload = raw[1:-1].replace(', "', ',\n        "')
                else:
                    payload = raw[1:-1].replace(',"', ',\n        "').replace('":', '": ')
            else:
                payload = raw.replace(', "', ',"').replace('": ', '":') if style == SPACED else raw
            put((start, second, ms[rem // 1000], head[2], gap_text, head[3], payload, end))
        return out

    def _head(self, shape: tuple[Any, ...], lane: Any, severity: str) -> tuple[Any, Any, str, str]:
        """The text of a row's fields between ``ts`` and ``gap_before_s``, and between that and the payload's
        first item, for an event of this ``Event._shape`` in ``lane`` (both kept: the key holds their ``id``)."""
        name, _, delivery_id, robot_id, pilot_id, demand_id, offer_id = shape[:7]
        ids = [_NULL if v is None else _encode_str(v) for v in (delivery_id, robot_id, pilot_id, demand_id, offer_id)]
        if self.indented:
            return (
                shape,
                lane,
                f'",\n      "event": {_encode_str(name)},\n      "lane": {_encode_str(str(lane))},\n'
                f'      "severity": "{severity}",\n      "gap_before_s": ',
                f',\n      "delivery_id": {ids[0]},\n      "robot_id": {ids[1]},\n      "pilot_id": {ids[2]},\n'
                f'      "demand_id": {ids[3]},\n      "offer_id": {ids[4]},\n      "error": null,\n'
                '      "payload": {\n        ',
            )
        return (
            shape,
            lane,
            f'","event":{_encode_str(name)},"lane":{_encode_str(str(lane))},"severity":"{severity}","gap_before_s":',
            f',"delivery_id":{ids[0]},"robot_id":{ids[1]},"pilot_id":{ids[2]},"demand_id":{ids[3]},'
            f'"offer_id":{ids[4]},"error":null,"payload":',
        )

    def text(self, row: Row) -> str:
        e = row.event
        raw = e.raw
        if raw is not None:
            record = parse_record(raw)
            try:
                return self._fast(row, e, record)
            except (ValueError, _Unusual, RecursionError):
                pass
        d = row.to_dict()
        if self.indented:
            return _pretty(d).replace("\n", "\n    ")
        try:
            return _COMPACT.encode(d)
        except ValueError:
            return dumps(d, separators=(",", ":"))

    def _fast(self, row: Row, e: Any, record: dict[str, Any]) -> str:
        texts = self.texts  # JSON text of names and ids (shared objects, met again and again)
        if row.lane is self.lane:
            lane = self.lane_text
        else:
            self.lane, lane = row.lane, _encode_str(str(row.lane))
            self.lane_text = lane
        sec, rem = divmod(e.ts, 1_000_000)  # ``format_ts``, with the text of the second kept
        second = self.seconds.get(sec)
        if second is None:
            if len(self.seconds) > 4096:
                self.seconds.clear()
            second = self.seconds[sec] = format_ts(sec * 1_000_000)[:-5]
        gap = row.gap_before_us
        error = record.get("error")
        if self.indented:
            error_text = _NULL if error is None else _indented(error, "      ")
            for v in record.values():
                if type(v) is dict or type(v) is list:
                    payload = _indented(record, "      ")
                    break
            else:
                payload = "{\n        " + "".join(_FLAT_ENCODE(record, 0))[1:-1] + "\n      }" if record else "{}"
        else:
            error_text = (
                _NULL
                if error is None
                else ("".join(_COMPACT_ENCODE(error, 0)) if type(error) is dict or type(error) is list else _indented(error))
            )
            payload = "".join(_COMPACT_ENCODE(record, 0))
        ids = []
        for value in (e.name, e.delivery_id, e.robot_id, e.pilot_id, e.demand_id, e.offer_id):
            if value is None:
                ids.append(_NULL)
            else:
                text = texts.get(value)
                if text is None:
                    if len(texts) > 65536:
                        texts.clear()
                    text = texts[value] = _encode_str(value)
                ids.append(text)
        return self.head.format(
            f"{second}.{rem // 1000:03d}Z",
            ids[0],
            lane,
            row.severity,
            _NULL if gap is None else _float_repr(gap / 1e6),
            *ids[1:],
            error_text,
            payload,
        )
