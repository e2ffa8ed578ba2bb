"""The timeline's data model: events, rows, windows, the timeline itself.

Pure data: no database, terminal or pandas imports. Times are ``int``
microseconds since the epoch (UTC); ``None`` means unusable (timeline rules §1).
``Timeline.to_dict()`` is the ``coco.timeline/1`` JSON document of the timeline
rules §7 (schema in ``cocoevents/schemas/timeline.schema.json``).
"""

from __future__ import annotations

import json
import zlib
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain
from types import EllipsisType
from typing import Any, Callable, Iterable, Mapping

from ..producers.registry import severity as severity_of
from ..timestamps import format_ts, parse_timestamp

# The log shipper's own fields (timeline rules §10): the raw line and where it came from. JSON keeps them in
# ``payload``; the CSV ``details``, the table and ``to_pandas`` leave them out (37 KB of Kubernetes labels help
# no ticket, and ``message`` is the whole record again).
SHIPPER_FIELDS = frozenset({"message", "kubernetes", "file", "source_type", "stream", "host"})

# Fields that have their own CSV column, or are the shipper's, and so are left out of ``details``.
OWN_COLUMNS = frozenset({"event", "timestamp", "delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id", "error"}) | SHIPPER_FIELDS

SCHEMA = "coco.timeline/1"
FINDING_SEVERITIES = ("error", "warning", "info")
FAIL_ON = ("errors", "gaps", "warnings")  # what --fail-on accepts
CHECK = ("errors", "warnings")  # what --check means
KINDS = ("delivery", "robot", "pilot")  # the kinds of subject, which are also the kinds of lane, in rule 6 order
LANE_RANK = {kind: n for n, kind in enumerate(KINDS)}


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(record: Mapping[str, Any]) -> str:
    """Key-order-independent text of a record: equal objects, equal text (rule 7)."""
    return _CANONICAL.encode(record)


_SHARED: dict[Any, Any] = {}  # one object for equal names, ids and record layouts (bounded: cleared when full)
_SHARED_MAX = 200_000


def share_table() -> dict[Any, Any]:
    """The table of shared objects (emptied first when it is full): ``table.setdefault(value, value)`` is the one
    object kept for values equal to ``value``."""
    if len(_SHARED) > _SHARED_MAX:
        _SHARED.clear()
    return _SHARED


def _share(value: Any) -> Any:
    return share_table().setdefault(value, value)


def _id(record: Mapping[str, Any], key: str) -> str | None:
    value = record.get(key)
    return _share(value) if isinstance(value, str) and value != "" else None


# An event's names and ids, shared by the events with the same values (``Event``'s ``_shape``): (name, severity,
# delivery_id, robot_id, pilot_id, demand_id, offer_id, keys).
Shape = tuple[str, str, str | None, str | None, str | None, str | None, str | None, int]

_SCALAR_TYPES = frozenset((str, int, float, bool, type(None)))


def _plain(value: Any) -> bool:
    """Whether ``json.loads(json.dumps(value))`` gives ``value`` back exactly (plain JSON types, str keys)."""
    t = type(value)
    if t is dict:
        for k, v in value.items():
            if type(k) is not str:
                return False
            tv = type(v)
            if tv not in _SCALAR_TYPES and not ((tv is dict or tv is list) and _plain(v)):
                return False
        return True
    if t is list:
        return all(type(v) in _SCALAR_TYPES or _plain(v) for v in value)
    return t in _SCALAR_TYPES


_RAW = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"))
_SCAN: Callable[[str, int], tuple[Any, int]] = vars(json.JSONDecoder())["scan_once"]  # the decoder's C scanner (not in its type)


def parse_record(text: str) -> Any:
    """``json.loads(text)``, quicker for the usual record (an object with nothing around it)."""
    if text[:1] == "{" and text[-1:] == "}":
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:
            pass
        else:
            if end == len(text):
                return value
    return json.loads(text)


CHUNK = 8192  # records a ``TextChunk`` holds at most
CHUNK_MIN = 512  # a batch of fewer records keeps each text as it is
_DECODED: list[TextChunk] = []  # the chunks holding their texts as strings, most recently decoded last
_DECODED_MAX = 8


class TextChunk:
    """The JSON texts of a batch of records kept together, compressed (zlib): a big timeline's records cost a
    tenth of their text. A chunk decodes its texts when one is asked for and keeps them while it is one of the
    few most recently decoded (writers and the table read rows in time order, which is mostly the order the
    records were read in)."""

    __slots__ = ("_data", "_ends", "_texts")

    def __init__(self, texts: list[str]) -> None:
        self._data = zlib.compress("".join(texts).encode("utf-8", "surrogatepass"), 1)
        self._ends = array("Q", accumulate(map(len, texts)))
        self._texts: list[str] | None = None
        self._decoded(texts)

    def _decoded(self, texts: list[str]) -> list[str]:
        self._texts = texts
        _DECODED.append(self)
        if len(_DECODED) > _DECODED_MAX:
            _DECODED.pop(0)._texts = None
        return texts

    def text(self, index: int) -> str:
        texts = self._texts
        if texts is None:
            joined = zlib.decompress(self._data).decode("utf-8", "surrogatepass")
            ends = self._ends
            texts = self._decoded([joined[a:b] for a, b in zip(chain((0,), ends), ends)])
        return texts[index]


class Event:
    """One event: its record, name, time and ids (top-level string fields only).

    Compact, because a delivery may hold a million: the record is kept as the JSON text it was read from
    (``raw``: ``json.loads`` of it gives the record, keys in their order) - for a big batch read from a store,
    in a compressed ``TextChunk`` - and ``record`` parses it again when asked (a new dict each time); names
    and ids are shared objects and ``severity`` is worked out once. The canonical text rules 6 and 7 compare
    (``text``) is worked out only when asked, and kept: the sessionizer asks for it only where times tie. A
    record ``json`` cannot give back exactly (values that are not JSON types) is kept as it is. Immutable.
    """

    # ``_shape``: (name, severity, delivery_id, robot_id, pilot_id, demand_id, offer_id, keys), one tuple shared
    # by every event with the same values (a big delivery has a handful): 48 bytes an event less than a slot
    # each. ``keys``: the record's number of keys, -1 when it has an ``error`` (``text_style``).
    __slots__ = ("_shape", "ts", "_data", "_index", "_text")

    ts: int | None
    _shape: Shape
    _data: str | TextChunk | dict[str, Any]  # the text, its chunk, or the record itself (``raw``)
    _index: int  # the record's place in its chunk
    _text: str | None  # ``text``, once asked

    @property
    def name(self) -> str:
        return self._shape[0]

    @property
    def severity(self) -> str:
        """Spec section 4."""
        return self._shape[1]

    @property
    def delivery_id(self) -> str | None:
        return self._shape[2]

    @property
    def robot_id(self) -> str | None:
        return self._shape[3]

    @property
    def pilot_id(self) -> str | None:
        return self._shape[4]

    @property
    def demand_id(self) -> str | None:
        return self._shape[5]

    @property
    def offer_id(self) -> str | None:
        return self._shape[6]

    def __init__(
        self,
        record: dict[str, Any],
        name: str,
        ts: int | None,
        delivery_id: str | None,
        robot_id: str | None,
        pilot_id: str | None,
        demand_id: str | None,
        offer_id: str | None,
        raw: str | TextChunk | None = None,
        index: int = 0,
    ) -> None:
        init = object.__setattr__
        init(self, "ts", ts)
        init(self, "_text", None)
        init(self, "_index", index)
        if raw is None:
            try:
                if _plain(record):
                    raw = _RAW.encode(record)
            except RecursionError:
                raw = None
        init(self, "_data", record if raw is None else raw)  # the text, its chunk, or the record itself
        init(self, "_shape", _share((name, severity_of(name, record), delivery_id, robot_id, pilot_id, demand_id, offer_id, _keys(record))))

    @classmethod
    def from_record(
        cls, record: dict[str, Any], ts: int | None | EllipsisType = ..., raw: str | TextChunk | None = None, index: int = 0
    ) -> Event:
        """The event of ``record``, its time read from its ``timestamp`` unless ``ts`` is given. ``raw``: the JSON text
        ``record`` was parsed from (``json.loads(raw)`` is ``record``), or the chunk holding it at ``index``, kept
        instead of encoding the record again. (``fast_rules.event_of`` is the same for a store's big batches.)"""
        if ts is ...:
            ts = parse_timestamp(record.get("timestamp"))
        name = record.get("event")
        return cls(
            record,
            name if isinstance(name, str) else "",
            ts,
            _id(record, "delivery_id"),
            _id(record, "robot_id"),
            _id(record, "pilot_id"),
            _id(record, "demand_id"),
            _id(record, "offer_id"),
            raw=raw,
            index=index,
        )

    @classmethod
    def from_text(cls, text: str, ts: int | None | EllipsisType = ...) -> Event:
        """The event of a record read as JSON text (a store's), keeping the text."""
        return cls.from_record(parse_record(text), ts, text)

    @classmethod
    def from_texts(cls, rows: list[tuple[str, int | None]]) -> list[Event]:
        """``from_text`` of each ``(text, ts)`` (times given); a big batch keeps its texts in compressed
        ``TextChunk``s of ``CHUNK`` records. (``fast_rules.events_from_texts`` is the same, faster.)"""
        if len(rows) < CHUNK_MIN:
            return [cls.from_text(text, ts) for text, ts in rows]
        out = []
        for n in range(0, len(rows), CHUNK):
            part = rows[n : n + CHUNK]
            chunk = TextChunk([text for text, _ in part])
            out += [cls.from_record(parse_record(text), ts, chunk, k) for k, (text, ts) in enumerate(part)]
        return out

    @property
    def raw(self) -> str | None:
        """JSON text whose ``json.loads`` is the record (None: the record is kept as it is)."""
        data = self._data
        if type(data) is str:
            return data
        if type(data) is TextChunk:
            return data.text(self._index)
        return None

    @property
    def record(self) -> dict[str, Any]:
        """The record, keys in their original order (parsed from ``raw``: a new dict at every call)."""
        data = self._data
        if isinstance(data, str):
            return parse_record(data)
        if isinstance(data, TextChunk):
            return parse_record(data.text(self._index))
        return data

    @property
    def text(self) -> str:
        """Key-order-independent JSON text of the record (rule 7 compares it, rule 6 orders ties by it)."""
        text = self._text
        if text is None:
            text = canonical_json(self.record)
            object.__setattr__(self, "_text", text)
        return text

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Event is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Event is immutable: cannot delete {name!r}")

    def __reduce__(self) -> Any:
        return (Event.from_record, (self.record, self.ts))

    def __repr__(self) -> str:
        return f"Event(name={self.name!r}, ts={self.ts!r}, text={self.text!r})"


def error_code(error: Any) -> str:
    """The code of a record's ``error`` field: its ``code`` when it is an object with one, else ``""``."""
    if isinstance(error, dict):
        code = error.get("code")
        return "" if code is None else str(code)
    return ""


def _keys(record: Any) -> int:
    """An event's ``keys`` (``text_style``)."""
    return len(record) if type(record) is dict and record.get("error") is None else -1


@dataclass(frozen=True, slots=True)
class Lane:
    """A timeline lane: the delivery's own (``delivery``), or one per actor (``robot:R-7``, ``pilot:P-3``,
    and ``delivery:D1`` in a robot's timeline). The string form lives only at the edges (output, parsing)."""

    kind: str  # delivery | robot | pilot
    id: str | None = None

    def __str__(self) -> str:
        return self.kind if self.id is None else f"{self.kind}:{self.id}"

    @property
    def rank(self) -> int:
        """Rule 6: delivery lanes first, then robot lanes, then pilot lanes."""
        return LANE_RANK.get(self.kind, 3)

    @classmethod
    def parse(cls, text: str) -> Lane:
        kind, sep, ident = text.partition(":")
        return cls(kind, ident if sep else None)


DELIVERY_LANE = Lane("delivery")


@lru_cache(maxsize=4096)
def lane(kind: str, ident: str | None = None) -> Lane:
    """A shared ``Lane`` (a timeline places a million events in a handful of lanes)."""
    return Lane(kind, ident)


@dataclass(frozen=True, slots=True)
class Row:
    """One event placed in the timeline."""

    event: Event
    lane: Lane
    severity: str
    gap_before_us: int | None

    @property
    def ts(self) -> int:
        assert self.event.ts is not None
        return self.event.ts

    def to_dict(self) -> dict[str, Any]:
        e = self.event
        record = e.record  # parsed once
        return {
            "ts": format_ts(e.ts),
            "event": e.name,
            "lane": str(self.lane),
            "severity": self.severity,
            "gap_before_s": None if self.gap_before_us is None else self.gap_before_us / 1e6,
            "delivery_id": e.delivery_id,
            "robot_id": e.robot_id,
            "pilot_id": e.pilot_id,
            "demand_id": e.demand_id,
            "offer_id": e.offer_id,
            "error": record.get("error"),
            "payload": record,
        }


@dataclass(frozen=True)
class Window:
    """A robot segment or pilot window. ``end_open``: the end instant itself is excluded."""

    kind: str  # robot | pilot
    id: str
    start: int
    end: int
    end_open: bool = False

    def contains(self, ts: int, pad: int = 0) -> bool:
        if ts < self.start - pad:
            return False
        return ts < self.end if self.end_open else ts <= self.end

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "start": format_ts(self.start), "end": format_ts(self.end)}


@dataclass(frozen=True)
class Gap:
    after: int
    before: int

    @property
    def seconds(self) -> float:
        return (self.before - self.after) / 1e6

    def to_dict(self) -> dict[str, Any]:
        return {"after": format_ts(self.after), "before": format_ts(self.before), "seconds": self.seconds}


@dataclass
class Timeline:
    """A subject's timeline: rows in order, windows, gaps, unplaced records and the summary."""

    kind: str
    id: str
    since: int | None
    until: int | None
    rows: list[Row]
    windows: list[Window]
    gaps: list[Gap]
    unplaced: list[Event]
    duplicates_removed: int
    reassignments: int
    status: str | None
    gap_threshold_us: int
    robots: list[str] = field(default_factory=list)
    pilots: list[str] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)  # core.findings.Finding, in order (findings rules §2)
    baseline: Any = None  # the fleet baseline the findings were judged against (core.baseline.Baseline), if any
    comparison: Any = None  # ``--vs``: the delivery beside a twin (core.compare.TwinComparison), if asked

    @property
    def events(self) -> list[dict[str, Any]]:
        """The rows as the JSON objects of timeline rules §7."""
        return [r.to_dict() for r in self.rows]

    @property
    def start(self) -> int | None:
        return self.rows[0].ts if self.rows else None

    @property
    def end(self) -> int | None:
        return self.rows[-1].ts if self.rows else None

    @property
    def summary(self) -> dict[str, Any]:
        start, end = self.start, self.end
        return {
            "status": self.status,
            "start": format_ts(start),
            "end": format_ts(end),
            "duration_s": None if start is None or end is None else (end - start) / 1e6,
            "events": len(self.rows),
            "errors": sum(1 for r in self.rows if r.severity == "error"),
            "warnings": sum(1 for r in self.rows if r.severity == "warning"),
            "gaps": len(self.gaps),
            "duplicates_removed": self.duplicates_removed,
            "unplaced": len(self.unplaced),
            "robots": list(self.robots),
            "pilots": list(self.pilots),
            "reassignments": self.reassignments,
            "findings": {sev: sum(1 for f in self.findings if f.severity == sev) for sev in FINDING_SEVERITIES},
        }

    def to_dict(self, events: bool = True) -> dict[str, Any]:
        """The JSON document; ``events=False`` leaves the events list empty (for a writer that streams them)."""
        doc = {
            "schema": SCHEMA,
            "subject": {"kind": self.kind, "id": self.id},
            "range": {"since": format_ts(self.since), "until": format_ts(self.until)},
            "summary": self.summary,
            "windows": [w.to_dict() for w in self.windows],
            "events": self.events if events else [],
            "gaps": [g.to_dict() for g in self.gaps],
            "unplaced": [e.record for e in self.unplaced],
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.comparison is not None:  # optional (``--vs``); the schema stays coco.timeline/1
            doc["comparison"] = self.comparison.to_dict()
        return doc

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame: the JSON events' columns, ``ts`` as UTC datetimes, and ``payload`` the
        record without what has its own column or is the shipper's (the CSV's ``details``, as a dict): the
        shipper's ``message`` is the whole record again."""
        import pandas as pd  # heavy: only here

        events = self.events
        for e, row in zip(events, self.rows):
            e["payload"] = {k: v for k, v in row.event.record.items() if k not in OWN_COLUMNS}
        frame = pd.DataFrame(events)
        if not frame.empty:
            frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
        return frame

    def windows_to_pandas(self) -> Any:
        """The robot segments and pilot windows as a pandas DataFrame: ``kind``, ``id``, ``start``, ``end``, the
        times as UTC datetimes (``windows`` itself holds epoch microseconds)."""
        import pandas as pd  # heavy: only here

        frame = pd.DataFrame([(w.kind, w.id, w.start, w.end) for w in self.windows], columns=["kind", "id", "start", "end"])
        for column in ("start", "end"):
            frame[column] = pd.to_datetime(frame[column].astype("int64"), unit="us", utc=True)
        return frame

    def fails(self, fail_on: Iterable[str] = CHECK) -> bool:
        """``--fail-on`` (findings rules §4): ``errors`` (error rows), ``gaps`` (any gap), ``warnings`` (any
        finding of severity warning or error). ``--check`` is ``errors,warnings``."""
        wanted = set(fail_on)
        return (
            ("errors" in wanted and any(r.severity == "error" for r in self.rows))
            or ("gaps" in wanted and bool(self.gaps))
            or ("warnings" in wanted and any(f.severity in ("error", "warning") for f in self.findings))
        )
