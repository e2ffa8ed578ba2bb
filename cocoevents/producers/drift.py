"""``coco check --registry FILE``: a TypeScript or Go registry against coco's.

The reader is deliberately small - not a TypeScript or Go parser, but enough for
the registry files the event-logging design describes and coco generates:

- TypeScript: the ``Events`` object (``KEY: 'name'`` entries), interfaces
  (``name: type`` / ``name?: type`` members, ``extends``), and the
  ``EventPayloadMap`` from event name to payload interface, which gives each
  event's required fields (an interface's non-optional members, inherited ones
  included). The ``source`` union of ``BaseEventPayload`` is compared too.
  String literals are read as JavaScript reads them (``_unquote``: escapes
  decoded, an escape JavaScript refuses makes the file unreadable), so a name
  compared is the name the producer's code logs.
- Go: string constants (typed ``EventType`` ones when the file has any, else
  every constant whose value looks like ``group.action``), and structs named
  ``<Event>Payload`` whose JSON-tagged fields without ``omitempty`` are required.

Differences: names missing on either side, names spelled differently (an extra
name close to a missing one), TypeScript constant keys that differ, names listed
twice, required fields that differ, a different source union. What cannot be
compared (no payload map; a payload interface the file references but does not
define) is a note, not a difference. Everything taken from the file is untrusted
and passes through ``shown`` before it is printed.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from . import registry

MAX_BYTES = 1024 * 1024  # a registry is a few kB; the reader stays linear-ish below this
CLOSE = 0.8


class NotARegistry(UsageError):
    """The file cannot be read as a registry (exit 2)."""


def shown(text: str, limit: int = 120) -> str:
    """Untrusted text for the terminal: quoted, control and invisible characters escaped, long text clipped."""
    if len(text) > limit:
        text = text[:limit] + "…"
    out = []
    for ch in text:
        if ch in "'\\":
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:  # control, format (bidi overrides), separators, unassigned: their escape, never the character
            out.append(repr(ch)[1:-1])
    return "'" + "".join(out) + "'"


@dataclass
class ParsedRegistry:
    """What a registry file says: names (with their constant key), required fields, sources."""

    language: str
    names: dict[str, str] = field(default_factory=dict)  # name -> constant key, in file order
    duplicates: list[str] = field(default_factory=list)
    required: dict[str, tuple[str, ...]] | None = None  # None: the file does not say
    sources: tuple[str, ...] | None = None
    unresolved: list[str] = field(default_factory=list)  # names whose payload type the file does not define
    notes: list[str] = field(default_factory=list)


# --- TypeScript ----------------------------------------------------------------------------------------------


def _string_end(text: str, i: int) -> int:
    """The index of the quote closing the string literal that opens at ``i`` (backslash escapes skipped)."""
    j, n, quote = i + 1, len(text), text[i]
    while j < n and text[j] != quote:
        j += 2 if text[j] == "\\" else 1
    return j


def _strip_comments(text: str) -> str:
    """Comments out, strings kept (a ``//`` inside quotes is text)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            j = _string_end(text, i)
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            out.append(" ")
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _block(text: str, start: int) -> tuple[str, int]:
    """The text inside the braces opening at ``start`` (quotes respected) and the index after the closing one."""
    depth, i, n = 0, start, len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            j = _string_end(text, i)
            i = j + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
        i += 1
    raise NotARegistry("unbalanced braces")


def _members(body: str) -> list[str]:
    """Members of an object/interface body: split on , ; or newline outside nested braces and quotes."""
    parts, depth, cur, i, n = [], 0, [], 0, len(body)
    while i < n:
        c = body[i]
        if c in "'\"`":
            j = _string_end(body, i)
            cur.append(body[i : j + 1])
            i = j + 1
            continue
        if c in "{([<":
            depth += 1
        elif c in "})]" or (c == ">" and (i == 0 or body[i - 1] != "=")):
            depth -= 1
        if depth == 0 and c in ",;\n":
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


_STRING = r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\""""
# Linear-time patterns (the file is anyone's): no two quantifiers that can take the same characters next to each
# other (``\s*(\?)?\s*`` split a run of spaces every way, quadratic), and a type annotation at most 200 characters.
_KEY = re.compile(rf"^(?:([A-Za-z_$][\w$]*)|{_STRING})\s*(?:(\?)\s*)?:\s*(.*)$", re.S)
_TS_VALUE = re.compile(rf"^(?:{_STRING})$", re.S)


_JS_SINGLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "0": "\0"}
_JS_LINE_ENDS = "\n\r\u2028\u2029"
_JS_ESCAPE = re.compile(r"\\(\r\n|u\{([0-9A-Fa-f]+)\}|u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|.)", re.S)
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _unquote(s: str) -> str:
    """The value of a JavaScript string literal's body ``s``, read as a module (strict code) reads it: ``\\n``,
    ``\\x65``, ``\\u0065``, ``\\u{65}`` and the other escapes decoded, a backslash before a line end (a line
    continuation) dropped, any other escaped character standing for itself. What JavaScript refuses - an octal
    escape (``\\1``, ``\\08``), ``\\8``, ``\\9``, a short ``\\x``/``\\u`` escape, a code point past U+10FFFF, a
    line break not escaped - is ``NotARegistry``: a name compared is the name the producer's code logs."""
    for m in re.finditer(r"\\(?:\r\n|.)|[\n\r]", s, re.S):
        if m.group() in "\n\r":
            raise NotARegistry(f"a string literal holds a line break (JavaScript refuses it): {shown(s, 60)}")

    def escape(m: re.Match[str]) -> str:
        what = m.group(1)
        if m.group(2) is not None:
            point = int(m.group(2), 16)
            if point > 0x10FFFF:
                raise NotARegistry(f"a string literal escapes a code point past U+10FFFF: {shown(s, 60)}")
            return chr(point)
        if m.group(3) is not None or m.group(4) is not None:
            return chr(int(m.group(3) or m.group(4), 16))
        if what == "\r\n" or what in _JS_LINE_ENDS:
            return ""  # a line continuation
        if what in "123456789xu" or (what == "0" and s[m.end() : m.end() + 1].isdigit()):
            raise NotARegistry(f"a string literal has an escape JavaScript refuses in a module: {shown(s, 60)}")
        return _JS_SINGLE.get(what, what)

    value = _JS_ESCAPE.sub(escape, s)
    # JavaScript strings are UTF-16: an escaped surrogate pair is one character (a lone one stays as it is)
    return _SURROGATE_PAIR.sub(lambda m: chr(0x10000 + ((ord(m.group()[0]) - 0xD800) << 10) + ord(m.group()[1]) - 0xDC00), value)


def _key(member: str) -> tuple[str, bool, str] | None:
    """(key, optional, rest) of ``key?: rest``; None for index signatures, methods, spreads."""
    m = _KEY.match(member)
    if not m:
        return None
    key = m.group(1) if m.group(1) is not None else _unquote(m.group(2) if m.group(2) is not None else m.group(3))
    return key, m.group(4) == "?", m.group(5).strip()


def _ts_quote(name: str) -> str:
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def parse_typescript(text: str) -> ParsedRegistry:
    code = _strip_comments(text)
    m = re.search(r"\bconst\s+Events\s*(?::[^=]{0,200})?=\s*\{", code)
    enum = None if m else re.search(r"\benum\s+Events\s*\{", code)
    if not m and not enum:
        raise NotARegistry("no `Events` object (`export const Events = { ... }`) in the TypeScript file")
    found = m or enum
    assert found is not None
    body, _ = _block(code, found.end() - 1)
    reg = ParsedRegistry("TypeScript")
    for member in _members(body):
        kv = _key(member.replace("=", ":", 1) if enum else member)
        if kv is None:
            raise NotARegistry(f"the Events object has an entry that is not KEY: 'name': {shown(member, 60)}")
        key, _, value = kv
        vm = _TS_VALUE.match(value)
        if not vm:
            raise NotARegistry(f"Events.{key} is not a string literal: {shown(value, 60)}")
        name = _unquote(vm.group(1) if vm.group(1) is not None else vm.group(2))
        if name in reg.names:
            reg.duplicates.append(name)
        else:
            reg.names[name] = key
    if not reg.names:
        raise NotARegistry("the `Events` object is empty")
    by_key = {k: n for n, k in reg.names.items()}
    code = re.sub(
        r"\[\s*Events\.([A-Za-z_$][\w$]*)\s*\]",  # computed keys: [Events.OFFER_RECEIVED]: ...
        lambda km: _ts_quote(by_key[km.group(1)]) if km.group(1) in by_key else km.group(0),
        code,
    )

    interfaces: dict[str, tuple[list[str], dict[str, bool], dict[str, str]]] = {}
    for im in re.finditer(r"\binterface\s+([A-Za-z_$][\w$]*)\s*(?:<[^{]{0,500}>)?\s*(?:extends\s+([^{]{1,500}))?\{", code):
        ibody, _ = _block(code, im.end() - 1)
        parents = [p.strip() for p in (im.group(2) or "").split(",") if p.strip()]
        members: dict[str, bool] = {}
        types: dict[str, str] = {}
        for member in _members(ibody):
            kv = _key(member)
            if kv is not None:
                members[kv[0]] = not kv[1]
                types[kv[0]] = kv[2]
        interfaces[im.group(1)] = (parents, members, types)

    def required_of(name: str, seen: frozenset[str] = frozenset()) -> tuple[str, ...] | None:
        if name not in interfaces or name in seen:
            return None
        parents, members, _ = interfaces[name]
        out: dict[str, None] = {}
        for p in parents:
            out.update(dict.fromkeys(required_of(p, seen | {name}) or ()))
        out.update(dict.fromkeys(f for f, req in members.items() if req))
        return tuple(out)

    if "BaseEventPayload" in interfaces:
        src = interfaces["BaseEventPayload"][2].get("source")
        if src is not None:
            literals = [_unquote(a or b) for a, b in re.findall(_STRING, src)]
            if literals and re.fullmatch(r"\s*(?:(?:'[^']*'|\"[^\"]*\")\s*(?:\|\s*)?)+", src):
                reg.sources = tuple(literals)
    if "EventPayloadMap" not in interfaces:
        reg.notes.append("the file has no EventPayloadMap: required fields were not compared")
        return reg
    reg.required = {}
    for event, iface in interfaces["EventPayloadMap"][2].items():
        req = required_of(iface.strip())
        if req is None:
            reg.unresolved.append(event)
            reg.notes.append(
                f"EventPayloadMap maps {shown(event)} to {shown(iface.strip())}, which the file does not "
                "define: its required fields were not compared"
            )
            continue
        reg.required[event] = req
    return reg


# --- Go ------------------------------------------------------------------------------------------------------

_GO_CONST = re.compile(r"""^\s*([A-Za-z_]\w*)\s*([A-Za-z_][\w.]*)?\s*=\s*("(?:[^"\\\n]|\\.)*"|`[^`]*`)\s*$""")
_GO_FIELD = re.compile(r"""^\s*([A-Za-z_]\w*)\s+[^`]+`([^`]*)`""")
_EVENTISH = re.compile(r"^[^.\s]+\.[^.\s]+$")


def _go_strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return "\n".join(re.sub(r"""^((?:[^"`/]|"(?:[^"\\]|\\.)*"|`[^`]*`|/(?!/))*)//.*$""", r"\1", line) for line in text.split("\n"))


def _go_string(literal: str) -> str:
    """The value of a Go string literal (raw or interpreted; escapes read as JSON reads them, else kept)."""
    if literal.startswith("`"):
        return literal[1:-1]
    try:
        value = json.loads(literal)
    except ValueError:
        return literal[1:-1]
    return value if isinstance(value, str) else literal[1:-1]


def parse_go(text: str) -> ParsedRegistry:
    code = _go_strip_comments(text)
    if not re.search(r"^\s*package\s+\w+", code, re.M):
        raise NotARegistry("no `package` clause: not a Go file")
    consts: list[tuple[str, str | None, str]] = []
    in_block = False
    for line in code.split("\n"):
        if in_block:
            if re.match(r"\s*\)", line):
                in_block = False
                continue
        elif re.match(r"\s*const\s*\(\s*$", line):
            in_block = True
            continue
        else:
            single = re.match(r"\s*const\s+(?!\()(.*)$", line)
            if not single:
                continue
            line = single.group(1)
        m = _GO_CONST.match(line)
        if m:
            consts.append((m.group(1), m.group(2), _go_string(m.group(3))))
    typed = [c for c in consts if c[1] in ("EventType", "EventName", "Event")]
    chosen = typed or [c for c in consts if _EVENTISH.match(c[2] or "")]
    reg = ParsedRegistry("Go")
    for ident, _, name in chosen:
        if name in reg.names:
            reg.duplicates.append(name)
        else:
            reg.names[name] = ident
    if not reg.names:
        raise NotARegistry('no event name constants (`Name EventType = "group.action"`) in the Go file')

    structs: dict[str, tuple[str, ...]] = {}
    for sm in re.finditer(r"\btype\s+([A-Za-z_]\w*)\s+struct\s*\{", code):
        body, _ = _block(code, sm.end() - 1)
        req = []
        for line in body.split("\n"):
            fm = _GO_FIELD.match(line)
            if not fm:
                continue
            tag = re.search(r'json:"([^"]*)"', fm.group(2))
            if not tag:
                continue
            name, *opts = tag.group(1).split(",")
            if name and name != "-" and "omitempty" not in opts:
                req.append(name)
        structs[sm.group(1)] = tuple(req)
    from .codegen.golang import go_ident

    payloads = {go_ident(n) + "Payload": n for n in reg.names}
    matched = {payloads[s]: req for s, req in structs.items() if s in payloads}
    if not any(s.endswith("Payload") for s in structs):
        reg.notes.append("the file has no payload structs: required fields were not compared")
    else:
        reg.required = matched
    return reg


# --- Reading and comparing -----------------------------------------------------------------------------------


def read_registry(path: str | Path) -> ParsedRegistry:
    p = Path(path)
    try:
        if p.is_dir():
            raise NotARegistry(f"{shown(str(p))} is a folder, not a registry file")
        with p.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except NotARegistry:
        raise
    except OSError as e:
        raise NotARegistry(f"cannot read {shown(str(p))}: {e.strerror or type(e).__name__}") from None
    if len(data) > MAX_BYTES:
        raise NotARegistry(f"{shown(str(p))} is larger than {MAX_BYTES // (1024 * 1024)} MiB: not a registry")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotARegistry(f"{shown(str(p))} is not UTF-8 text") from None
    suffix = p.suffix.lower()
    try:
        if suffix == ".go" or (suffix not in (".ts", ".tsx", ".mts", ".cts") and re.search(r"^\s*package\s+\w+\s*$", text, re.M)):
            return parse_go(text)
        return parse_typescript(text)
    except NotARegistry as e:
        raise NotARegistry(f"{shown(str(p))} cannot be read as a registry: {e}") from None


@dataclass
class DriftReport:
    file: str
    language: str
    missing: list[str] = field(default_factory=list)  # in coco, not in the file
    extra: list[str] = field(default_factory=list)  # in the file, not in coco
    misspelled: list[tuple[str, str]] = field(default_factory=list)  # (file's name, coco's name)
    constants: list[tuple[str, str, str]] = field(default_factory=list)  # (name, file's key, coco's key)
    duplicates: list[str] = field(default_factory=list)
    required: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # (name, file only, coco only)
    sources: tuple[list[str], list[str]] | None = None  # (file only, coco only)
    notes: list[str] = field(default_factory=list)
    compared: int = 0

    @property
    def differences(self) -> int:
        return (
            len(self.missing)
            + len(self.extra)
            + len(self.misspelled)
            + len(self.constants)
            + len(self.duplicates)
            + len(self.required)
            + (1 if self.sources else 0)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "language": self.language,
            "differences": self.differences,
            "missing_in_file": self.missing,
            "not_in_coco": self.extra,
            "spelled_differently": [{"file": a, "coco": b} for a, b in self.misspelled],
            "constant_keys": [{"event": n, "file": a, "coco": b} for n, a, b in self.constants],
            "listed_twice": self.duplicates,
            "required_fields": [{"event": n, "only_in_file": a, "only_in_coco": b} for n, a, b in self.required],
            "sources": None if not self.sources else {"only_in_file": self.sources[0], "only_in_coco": self.sources[1]},
            "notes": self.notes,
        }

    def text(self) -> str:
        n = len(registry.EVENTS)
        head = f"{self.language} registry {shown(self.file)}: " + (
            f"equal to coco's registry ({n} events)"
            if not self.differences
            else f"{self.differences} difference(s) from coco's registry ({n} events)"
        )
        out = [head]
        for a, b in self.misspelled:
            out.append(f"  spelled differently: the file has {shown(a)}, coco has {shown(b)}")
        for name in self.missing:
            out.append(f"  missing in the file: {shown(name)}")
        for name in self.extra:
            out.append(f"  not in coco's registry: {shown(name)}")
        for name, a, b in self.constants:
            out.append(f"  constant for {shown(name)}: the file has {shown(a)}, coco has {shown(b)}")
        for name in self.duplicates:
            out.append(f"  listed twice in the file: {shown(name)}")
        for name, only_file, only_coco in self.required:
            parts = []
            if only_file:
                parts.append("the file also requires " + ", ".join(shown(f) for f in only_file))
            if only_coco:
                parts.append("coco also requires " + ", ".join(shown(f) for f in only_coco))
            out.append(f"  required fields of {shown(name)} differ: " + "; ".join(parts))
        if self.sources:
            only_file, only_coco = self.sources
            parts = ([f"only in the file: {', '.join(shown(s) for s in only_file)}"] if only_file else []) + (
                [f"only in coco: {', '.join(shown(s) for s in only_coco)}"] if only_coco else []
            )
            out.append("  source values differ: " + "; ".join(parts))
        return "\n".join(out) + "\n"


def compare(parsed: ParsedRegistry, file: str = "") -> DriftReport:
    report = DriftReport(file=file, language=parsed.language, notes=list(parsed.notes))
    coco = {e.name: e for e in registry.EVENTS}
    missing = [n for n in coco if n not in parsed.names]
    extra = [n for n in parsed.names if n not in coco]
    pairs = sorted(((difflib.SequenceMatcher(None, a, b).ratio(), a, b) for a in extra for b in missing), key=lambda t: (-t[0], t[1], t[2]))
    used_a: set[str] = set()
    used_b: set[str] = set()
    for ratio, a, b in pairs:
        if ratio >= CLOSE and a not in used_a and b not in used_b:
            used_a.add(a)
            used_b.add(b)
            report.misspelled.append((a, b))
    report.misspelled.sort(key=lambda p: registry.POSITION[p[1]])
    report.missing = [n for n in missing if n not in used_b]
    report.extra = [n for n in extra if n not in used_a]
    report.duplicates = list(dict.fromkeys(parsed.duplicates))
    counterpart = {a: b for a, b in report.misspelled}
    back = {b: a for a, b in report.misspelled}

    def counterpart_of(coco_name: str) -> str:
        return back.get(coco_name, coco_name)

    if parsed.language == "TypeScript":
        for name, key in parsed.names.items():
            e = coco.get(counterpart.get(name, name))
            if e is not None and key != e.constant:
                report.constants.append((e.name, key, e.constant))
    if parsed.required is not None:
        file_required = {counterpart.get(k, k): v for k, v in parsed.required.items()}
        for e in registry.EVENTS:
            if e.name in report.missing:
                continue
            theirs = file_required.get(e.name, ())
            if e.name not in file_required and counterpart_of(e.name) in parsed.unresolved:
                continue
            only_file = [f for f in theirs if f not in e.required]
            only_coco = [f for f in e.required if f not in theirs]
            if only_file or only_coco:
                report.required.append((e.name, only_file, only_coco))
        report.compared = len(file_required)
    if parsed.sources is not None:
        only_file = [s for s in parsed.sources if s not in registry.SOURCES]
        only_coco = [s for s in registry.SOURCES if s not in parsed.sources]
        if only_file or only_coco:
            report.sources = (only_file, only_coco)
    return report


def check_registry_file(path: str | Path) -> DriftReport:
    return compare(read_registry(path), str(path))
