"""Reading the event archive (timeline rules §10): files, lines, gzip damage.

Guarantees: nothing here raises on the content of a file. Every line is either
a record or a ``BadLine`` with a reason; a gzip file cut short yields the lines
before the damage and sets ``LineReader.damage``. Memory is bounded: a line
longer than ``MAX_LINE`` bytes is skipped without being held, as a bad line.

The store's fast path reads files with DuckDB instead (see ``store.local``);
this module is what ``coco check`` uses, what the store falls back to for
damaged or unusual files, and where it looks up the line numbers of bad lines.
It only splits lines (what SQL cannot do: read a gzip up to its damage, skip an
over-long line); classifying them - JSON object, string ``event``, else a JSON
object in ``message`` (as text or nested) with a string ``event`` - is done by
the store's one SQL classifier (``store.sql``) on an in-memory DuckDB.
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

GZIP_SUFFIXES = (".log.gz", ".json.gz", ".jsonl.gz", ".ndjson.gz")
ZSTD_SUFFIXES = (".log.zst", ".json.zst", ".jsonl.zst", ".ndjson.zst")  # Vector's aws_s3 sink with zstd
PLAIN_SUFFIXES = (".log", ".json", ".jsonl", ".ndjson")
SUFFIXES = GZIP_SUFFIXES + ZSTD_SUFFIXES + PLAIN_SUFFIXES
MAX_LINE = 32 * 1024 * 1024
CHUNK = 1 << 20
NOT_ARCHIVE = "not an archive file name (.log, .json, .jsonl or .ndjson, optionally .gz or .zst)"


@dataclass(frozen=True)
class BadLine:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def path_text(path: str | os.PathLike[str]) -> str:
    """A file name as text: bytes that are not UTF-8 shown as ``\\xNN`` (the store keeps this form)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass
class Found:
    """What ``discover`` found: archive files in a stable order, skipped paths with their reason,
    and the paths given that do not exist."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def discover(paths: Iterable[str | os.PathLike[str]]) -> Found:
    """Archive files under ``paths``: files as given, folders recursively by suffix.

    Symlinked folders are followed, each real folder once (so a link to an ancestor
    cannot loop); every path left out is reported with its reason.
    """
    found = Found()
    seen: set[tuple[int, int]] = set()

    def skip(p: str | os.PathLike[str], reason: str) -> None:
        found.skipped.append((path_text(p), reason))

    def walk(folder: str) -> None:
        try:
            st = os.stat(folder)
        except OSError as e:
            return skip(folder, f"cannot read folder ({e.strerror})")
        if (st.st_dev, st.st_ino) in seen:
            return skip(folder, "folder already read (a symlink back to it)")
        seen.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as e:
            return skip(folder, f"cannot read folder ({e.strerror})")
        for entry in entries:
            try:
                if entry.is_dir():
                    walk(entry.path)
                elif entry.is_file():
                    if entry.name.endswith(SUFFIXES):
                        found.files.append(Path(entry.path))
                    else:
                        skip(entry.path, NOT_ARCHIVE)
                elif entry.is_symlink():
                    skip(entry.path, "broken symlink")
                else:
                    skip(entry.path, "not a regular file")
            except OSError as err:
                skip(entry.path, f"cannot read ({err.strerror})")

    for raw in paths:
        p = os.fspath(raw)
        try:
            st = os.stat(p)
        except FileNotFoundError:
            found.missing.append(path_text(p))
            continue
        except OSError as e:
            skip(p, f"cannot read ({e.strerror})")
            continue
        if stat.S_ISDIR(st.st_mode):
            walk(p)
        elif stat.S_ISREG(st.st_mode):
            found.files.append(Path(p))
        else:
            skip(p, "not a regular file")
    return found


def find_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[str]]:
    """Archive files under ``paths`` and the paths that do not exist (see ``discover``)."""
    found = discover(paths)
    return found.files, found.missing


# Compression is told by the first bytes, not the name (Vector's aws_s3 sink can write zstd under any name).
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
UNSUPPORTED = (
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"PK\x03\x04", "zip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
)


def sniff(path: Path, head: bytes) -> str:
    """``gzip``, ``zstd`` or ``none`` (text) from a file's first bytes; ``unsupported: <what>`` for other
    compressions. A plain suffix means text whatever the bytes (a junk first line may look like magic)."""
    if path.name.endswith(PLAIN_SUFFIXES):
        return "none"
    if head.startswith(GZIP_MAGIC):
        try:
            inner = zlib.decompressobj(wbits=31).decompress(head, 64)
        except zlib.error:
            inner = b""
        return "unsupported: gzip inside gzip" if inner.startswith(GZIP_MAGIC) else "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    for magic, what in UNSUPPORTED:
        if head.startswith(magic):
            return f"unsupported: {what}"
    return "none"


def fingerprint(path: Path) -> tuple[str, int, str, bytes]:
    """SHA-256, size, compression (``sniff``) and last 4 bytes (a gzip trailer's size) of a file, in one
    read. ``OSError`` if unreadable."""
    import hashlib  # here: a reader of the store needs this module, not OpenSSL (~5 ms to import)

    h = hashlib.sha256()
    size = 0
    head = tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            if not head:
                head = chunk[:65536]
            h.update(chunk)
            size += len(chunk)
            tail = (tail + chunk)[-4:]
    return h.hexdigest(), size, sniff(path, head), tail


# What DuckDB's JSON reader (yyjson) accepts beyond strict JSON: trailing commas
# and NaN/Infinity in any case. A string literal is matched first so that
# nothing inside a string is touched.
_LENIENT_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'
    r"|,(?=[ \t\n\r]*[\]}])"
    r"|(-?)(?:(nan)|(inf(?:inity)?))(?![0-9A-Za-z_])",
    re.IGNORECASE,
)
# A cheap test for text that may need ``relax`` (false positives are harmless).
LENIENT_HINT = r"(?i),\s*[\]}]|[:\[,]\s*-?(?:nan|inf)"
_LENIENT_HINT = re.compile(LENIENT_HINT)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _relax_token(m: re.Match[str]) -> str:
    text = m.group(0)
    if text.startswith('"'):
        return text
    if text == ",":
        return ""
    if m.group(2):
        return "NaN"
    return "-Infinity" if m.group(1) else "Infinity"


def relax(text: str) -> str:
    """``text`` with yyjson's extensions rewritten to what Python's ``json`` reads:
    trailing commas dropped, ``nan``/``inf``/``infinity`` (any case) as ``NaN``/``Infinity``."""
    if not _LENIENT_HINT.search(text):
        return text
    return _LENIENT_TOKEN.sub(_relax_token, text)


def decode_record(text: str, con: Any = None) -> dict[str, Any]:
    """A stored or classified record (JSON text DuckDB accepted) as a dict Python can use.

    yyjson's extensions are rewritten first (``relax``); a record nested beyond
    Python's recursion limit keeps its top-level fields, each value too deep to
    read replaced by ``TOO_DEEP`` (DuckDB reads any depth).
    """
    try:
        return json.loads(relax(text))
    except RecursionError:
        pass
    con = con if con is not None else _memory()
    fields: dict[str, Any] = {}
    for key, value in con.execute("SELECT key, CAST(value AS VARCHAR) FROM json_each(?)", [text]).fetchall():
        try:
            fields[key] = json.loads(relax(value))
        except (RecursionError, ValueError):
            fields[key] = TOO_DEEP
    return fields


TOO_DEEP = "<nested too deeply to read>"
_THREAD = threading.local()


def _memory() -> Any:
    """This thread's in-memory DuckDB with the classifier's macros (``store.sql``)."""
    con = getattr(_THREAD, "con", None)
    if con is None:
        from .classify import classifier_connection

        con = classifier_connection()
        _THREAD.con = con
    return con


def _text(line: bytes | str) -> str:
    if isinstance(line, (bytes, bytearray)):
        return bytes(line).decode("utf-8", "replace")
    return line.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become '?'


def classify(line: bytes | str) -> dict[str, Any] | str | None:
    """One line through the store's SQL classifier: a record, a reason the line is bad, or ``None``
    for a blank line. (For many lines use ``scan``: this runs one query per line.)"""
    from . import classify as sql

    rows = _memory().execute(sql.classify_lines(sql.ONE_LINE), {"line": _text(line)}).fetchall()
    if not rows:
        return None
    _, _, _, rec, reason = rows[0]
    return reason if reason is not None else decode_record(rec)


class LineReader:
    """Iterates ``(line_number, bytes)`` of one archive file; never raises on content.

    After iteration, ``damage`` says why the file ended early (or is ``None``),
    and ``too_long`` lists the numbers of lines skipped for their length.
    """

    def __init__(self, path: Path, max_line: int = MAX_LINE, compression: str | None = None) -> None:
        self.path = path
        self.max_line = max_line
        self.compression = compression  # gzip | zstd | none; None: told by the first bytes (``sniff``)
        self.damage: str | None = None
        self.too_long: list[int] = []

    def _chunks(self, fh: BinaryIO) -> Iterator[bytes]:
        kind = self.compression or sniff(self.path, fh.read(65536))
        fh.seek(0)
        if kind == "gzip":
            yield from self._gzip(fh)
        elif kind == "zstd":
            yield from self._zstd(fh)
        elif kind.startswith("unsupported"):
            self.damage = f"{kind.split(': ', 1)[1]} compression is not supported; nothing read"
        else:
            while chunk := fh.read(CHUNK):
                yield chunk

    def _gzip(self, fh: BinaryIO) -> Iterator[bytes]:
        return self._frames(fh, "gzip", lambda: zlib.decompressobj(wbits=31), zlib.error, GZIP_MAGIC)

    def _zstd(self, fh: BinaryIO) -> Iterator[bytes]:
        import zstandard  # only for zstd files

        return self._frames(fh, "zstd", lambda: zstandard.ZstdDecompressor().decompressobj(), zstandard.ZstdError, ZSTD_MAGIC)

    def _frames(self, fh: BinaryIO, name: str, new: Callable[[], Any], error: type[Exception], magic: bytes) -> Iterator[bytes]:
        """The decompressed bytes of a file of one or more ``name`` frames, up to the first damage (noted in
        ``self.damage``): a truncated stream, corrupt data, or bytes after a frame that start no new one."""
        d = new()
        while True:
            raw = fh.read(CHUNK)
            if not raw:
                if not d.eof:
                    self.damage = f"{name} stream ends early (truncated file)"
                else:
                    rest = d.flush()
                    if rest:
                        yield rest
                return
            while raw:
                try:
                    out = d.decompress(raw)
                except error as e:
                    self.damage = f"{name} data is corrupt ({e})"
                    return
                if out:
                    yield out
                if d.eof:
                    raw = d.unused_data
                    if raw and raw[: len(magic)] != magic:
                        self.damage = f"trailing garbage after {name} stream"
                        return
                    if raw:
                        d = new()
                else:
                    raw = b""

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        lineno = 0
        buf = bytearray()
        skipping = False
        try:
            with open(self.path, "rb") as fh:
                first = True
                for chunk in self._chunks(fh):
                    if first:  # a byte order mark opening the file is not content (as DuckDB reads it)
                        chunk = chunk[3:] if chunk.startswith(b"\xef\xbb\xbf") else chunk
                        first = False
                    start = 0
                    while True:
                        nl = chunk.find(b"\n", start)
                        if nl < 0:
                            if not skipping:
                                buf += chunk[start:]
                                if len(buf) > self.max_line:
                                    skipping, buf = True, bytearray()
                            break
                        lineno += 1
                        if skipping:
                            self.too_long.append(lineno)
                            skipping = False
                        else:
                            buf += chunk[start:nl]
                            if len(buf) > self.max_line:
                                self.too_long.append(lineno)
                            else:
                                yield lineno, bytes(buf)
                        buf = bytearray()
                        start = nl + 1
        except OSError as e:
            self.damage = f"read error ({e.strerror or e})"
        if skipping:
            self.too_long.append(lineno + 1)
        elif buf and self.damage is None:
            yield lineno + 1, bytes(buf)
        elif buf:
            pass  # an incomplete last line of a damaged file is not a complete line


@dataclass
class FileScan:
    """What one pass over a file found: records with their line numbers, bad lines, damage, and the
    line numbers of records whose timestamp is missing or unusable."""

    path: Path
    records: list[tuple[int, dict[str, Any]]]
    bad: list[BadLine]
    damage: str | None
    unusable_ts: list[int] = field(default_factory=list)


TEXT_CHUNK = 8 * 1024 * 1024


def chunks(reader: "LineReader", limit: int = TEXT_CHUNK) -> Iterator[tuple[list[int], str]]:
    """The lines of ``reader`` in pieces of about ``limit`` bytes: their numbers and their text joined by
    newlines (invalid UTF-8 replaced), the shape ``store.sql.TEXT_LINES`` reads."""
    numbers: list[int] = []
    lines: list[bytes] = []
    held = 0
    for lineno, line in reader:
        numbers.append(lineno)
        lines.append(line)
        held += len(line) + 1
        if held >= limit:
            yield numbers, b"\n".join(lines).decode("utf-8", "replace")
            numbers, lines, held = [], [], 0
    if lines:
        yield numbers, b"\n".join(lines).decode("utf-8", "replace")


def scan(path: Path, keep_records: bool = True) -> FileScan:
    """Every line of one file through the SQL classifier (on an in-memory DuckDB)."""
    from . import classify as sql

    con = _memory()
    reader = LineReader(path)
    result = FileScan(path, [], [], None)
    query = sql.classify_lines(sql.TEXT_LINES, records=keep_records)
    for numbers, text in chunks(reader):
        for lineno, _, us, rec, reason in con.execute(query, {"file_id": 0, "linenos": numbers, "text": text}).fetchall():
            if reason is not None:
                result.bad.append(BadLine(str(path), lineno, reason))
            elif keep_records:
                result.records.append((lineno, decode_record(rec, con)))
                if us is None:
                    result.unusable_ts.append(lineno)
    result.bad.extend(BadLine(str(path), n, f"line longer than {reader.max_line // (1024 * 1024)} MiB") for n in reader.too_long)
    result.bad.sort(key=lambda b: b.line)
    result.damage = reader.damage
    return result
