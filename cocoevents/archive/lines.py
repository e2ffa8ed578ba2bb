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
from typing import Any, BinaryIO, Iterable, Iterator

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


# Decompression bombs. Output is produced at most ``OUT_CHUNK`` bytes at a time (zlib's ``max_length``; zstd one
# block, at most 128 KiB, at a time), so memory stays bounded whatever the ratio; and a file whose output outgrows
# ``expansion_limit`` of the compressed bytes read so far is damaged: no archive of events expands like that
# (JSON lines compress 10-30 fold; deflate cannot pass ~1030 fold, zstd can reach millions).
MAX_EXPANSION = 500
EXPANSION_FLOOR = 8 * 1024 * 1024  # below this much output the ratio is not judged (small files compress unevenly)
IN_CHUNK = 64 * 1024
OUT_CHUNK = 1 << 20
ZSTD_MAX_WINDOW = 1 << 27  # zstd's own default limit (128 MiB), said explicitly: a frame asking more is refused
_SKIPPABLE = range(0x184D2A50, 0x184D2A60)  # zstd's skippable frames (metadata): their bytes are skipped


def expansion_limit(compressed: int) -> int:
    """The most output ``compressed`` bytes of a gzip or zstd file may decompress to before it is a bomb."""
    return EXPANSION_FLOOR + MAX_EXPANSION * compressed


def bomb_damage(name: str, out: int) -> str:
    return f"{name} data expands more than {MAX_EXPANSION} times its compressed size (a decompression bomb?); not read past {out >> 20} MiB"


class _Input:
    """A file read in ``IN_CHUNK`` pieces, handed out by exact lengths (the zstd block walk), counting bytes."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.buf = b""
        self.pos = 0
        self.read_bytes = 0  # handed out so far

    def take(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the file)."""
        while len(self.buf) - self.pos < n:
            more = self.fh.read(max(IN_CHUNK, n - (len(self.buf) - self.pos)))
            if not more:
                break
            self.buf = self.buf[self.pos :] + more
            self.pos = 0
        out = self.buf[self.pos : self.pos + n]
        self.pos += len(out)
        self.read_bytes += len(out)
        return out


class _Damaged(Exception):
    """Ends a decompression with the reason the file is damaged."""


def _zstd_frame_header(first: int) -> int:
    """The bytes that follow a zstd frame header's descriptor byte ``first`` (RFC 8878 3.1.1.1)."""
    fcs_flag, single, dict_flag = first >> 6, (first >> 5) & 1, first & 3
    if first & 0x08:
        raise _Damaged("zstd data is corrupt (reserved bit set in a frame header)")
    fcs = (1 if single else 0, 2, 4, 8)[fcs_flag]
    return (0 if single else 1) + (0, 1, 2, 4)[dict_flag] + fcs


def gzip_size(path: Path) -> int | None:
    """What a gzip file decompresses to, every member counted (its trailer says only the last member's, and mod
    2**32), decompressed as ``LineReader`` does and thrown away; ``None`` for a damaged file or a decompression
    bomb (``expansion_limit``), which the line reader reports. ``OSError`` if unreadable."""
    total = 0
    with open(path, "rb") as fh:
        source = _Input(fh)
        try:
            for piece in LineReader._gzip(source):
                total += len(piece)
                if total > expansion_limit(source.read_bytes):
                    return None
        except _Damaged:
            return None
    return total


class LineReader:
    """Iterates ``(line_number, bytes)`` of one archive file; never raises on content.

    After iteration, ``damage`` says why the file ended early (or is ``None``),
    and ``too_long`` lists the numbers of lines skipped for their length. Empty
    lines are counted but not yielded (they are neither records nor bad lines).
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
        if kind in ("gzip", "zstd"):
            out = 0
            source = _Input(fh)
            try:
                for piece in self._gzip(source) if kind == "gzip" else self._zstd(source):
                    out += len(piece)
                    if out > expansion_limit(source.read_bytes):
                        raise _Damaged(bomb_damage(kind, out))
                    yield piece
            except _Damaged as e:
                self.damage = str(e)
        elif kind.startswith("unsupported"):
            self.damage = f"{kind.split(': ', 1)[1]} compression is not supported; nothing read"
        else:
            while chunk := fh.read(CHUNK):
                yield chunk

    @staticmethod
    def _gzip(source: _Input) -> Iterator[bytes]:
        """The decompressed bytes of one or more gzip members, ``OUT_CHUNK`` at most at a time; ``_Damaged`` at a
        truncated stream, corrupt data, or bytes after a member that start no new one."""
        d = zlib.decompressobj(wbits=31)
        raw = b""
        while True:
            if not raw:
                raw = source.take(IN_CHUNK)
                if not raw:
                    rest = d.flush()  # what zlib still holds of a long match (bytes, not more input)
                    if rest:
                        yield rest
                    if not d.eof:
                        raise _Damaged("gzip stream ends early (truncated file)")
                    return
            try:
                out = d.decompress(raw, OUT_CHUNK)
            except zlib.error as e:
                raise _Damaged(f"gzip data is corrupt ({e})") from None
            raw = d.unconsumed_tail
            if out:
                yield out
            if d.eof:
                rest = d.unused_data
                while rest and len(rest) < len(GZIP_MAGIC):  # a read may end inside the next member's magic
                    more = source.take(IN_CHUNK)
                    if not more:
                        break
                    rest += more
                if rest and rest[: len(GZIP_MAGIC)] != GZIP_MAGIC:
                    raise _Damaged("trailing garbage after gzip stream")
                if rest:
                    d, raw = zlib.decompressobj(wbits=31), rest
                else:
                    more = source.take(IN_CHUNK)
                    if not more:
                        return
                    if more[: len(GZIP_MAGIC)] != GZIP_MAGIC:
                        raise _Damaged("trailing garbage after gzip stream")
                    d, raw = zlib.decompressobj(wbits=31), more

    @staticmethod
    def _zstd(source: _Input) -> Iterator[bytes]:
        """The decompressed bytes of one or more zstd frames, one block (at most 128 KiB) at a time: the frame
        and block headers are walked here (RFC 8878) and each block fed on its own, since the decompressor has
        no output limit of its own. ``_Damaged`` at a truncated stream, corrupt data, or trailing bytes that
        start no frame."""
        import zstandard  # only for zstd files

        def exactly(n: int) -> bytes:
            data = source.take(n)
            if len(data) < n:
                raise _Damaged("zstd stream ends early (truncated file)")
            return data

        first = True
        while True:
            magic = source.take(4)
            if not magic:
                return
            number = int.from_bytes(magic.ljust(4, b"\0"), "little")
            if len(magic) == 4 and number in _SKIPPABLE:
                exactly(int.from_bytes(exactly(4), "little"))
                continue
            if magic != ZSTD_MAGIC:
                raise _Damaged("zstd data is corrupt (no frame)" if first else "trailing garbage after zstd stream")
            first = False
            d = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()
            try:
                descriptor = exactly(1)
                header = magic + descriptor + exactly(_zstd_frame_header(descriptor[0]))
                out = d.decompress(header)
                if out:
                    yield out
                last = False
                while not last:
                    block = exactly(3)
                    value = int.from_bytes(block, "little")
                    last, kind, size = bool(value & 1), (value >> 1) & 3, value >> 3
                    if kind == 3:
                        raise _Damaged("zstd data is corrupt (reserved block type)")
                    out = d.decompress(block + exactly(1 if kind == 1 else size))
                    if out:
                        yield out
                if descriptor[0] & 0x04:  # content checksum
                    out = d.decompress(exactly(4))
                    if out:
                        yield out
            except zstandard.ZstdError as e:
                raise _Damaged(f"zstd data is corrupt ({e})") from None

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
                        if nl == start and not buf and not skipping:  # empty lines: counted at C speed, not yielded
                            end = _NEWLINES.match(chunk, start).end()  # type: ignore[union-attr]
                            lineno += end - start
                            start = end
                            continue
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

    def blocks(self, size: int) -> Iterator[bytes]:
        """The file's lines in blocks of about ``size`` bytes, each whole lines ending in a newline (the last one
        may lack it), for a reader that splits lines itself (the loader streams a big file so). The same lines
        as iterating: a byte order mark opening the file left out, a line longer than ``max_line`` left out and
        numbered in ``too_long``, an incomplete last line of a damaged file left out. Memory holds about
        ``size`` plus one line."""
        lineno = 0  # lines before ``buf``
        buf = bytearray()
        skipping = False  # inside a line too long to keep, until its newline
        try:
            with open(self.path, "rb") as fh:
                first = True
                for chunk in self._chunks(fh):
                    if first:
                        chunk = chunk[3:] if chunk.startswith(b"\xef\xbb\xbf") else chunk
                        first = False
                    if skipping:
                        nl = chunk.find(b"\n")
                        if nl < 0:
                            continue
                        lineno += 1
                        self.too_long.append(lineno)
                        skipping, chunk = False, chunk[nl + 1 :]
                    buf += chunk
                    end = buf.rfind(b"\n") + 1  # the unfinished line after it may grow too long to keep
                    too_long = len(buf) - end > self.max_line
                    if end and (too_long or len(buf) >= size):
                        yield self._whole(bytes(memoryview(buf)[:end]), lineno)
                        lineno += buf.count(b"\n", 0, end)
                        del buf[:end]
                    if too_long:
                        buf.clear()
                        skipping = True
        except OSError as e:
            self.damage = f"read error ({e.strerror or e})"
        if skipping:
            self.too_long.append(lineno + 1)
        elif buf and (self.damage is None or buf.endswith(b"\n")):
            yield self._whole(bytes(buf), lineno)
        elif buf:  # an incomplete last line of a damaged file is not a complete line
            end = buf.rfind(b"\n") + 1
            if end:
                yield self._whole(bytes(memoryview(buf)[:end]), lineno)

    def _whole(self, block: bytes, before: int) -> bytes:
        """``block`` without its lines longer than ``max_line`` (numbered in ``too_long``, ``before`` lines
        coming before it): a whole one can sit inside a block read in one chunk."""
        if not has_line_over(block, self.max_line):
            return block
        kept = []
        for n, line in enumerate(block.split(b"\n"), before + 1):
            if len(line) > self.max_line:
                self.too_long.append(n)
            else:
                kept.append(line)
        return b"\n".join(kept)


def has_line_over(data: bytes, limit: int) -> bool:
    """Whether a line of ``data`` (lines end at ``\\n``) is longer than ``limit`` bytes: about ``len(data) / limit``
    searches, each within ``limit`` bytes, not one step per line."""
    start, n = 0, len(data)
    while n - start > limit:
        nl = data.rfind(b"\n", start, start + limit + 1)
        if nl < 0:
            return True
        start = nl + 1
    return False


_NEWLINES = re.compile(b"\n+")


@dataclass
class FileScan:
    """What one pass over a file found: records with their line numbers, bad lines, damage, and the
    line numbers of records whose timestamp is missing or unusable. ``bad`` holds the first ``keep_bad`` bad
    lines (all by default); ``bad_count`` counts them all."""

    path: Path
    records: list[tuple[int, dict[str, Any]]]
    bad: list[BadLine]
    damage: str | None
    unusable_ts: list[int] = field(default_factory=list)
    bad_count: int = 0


TEXT_CHUNK = 8 * 1024 * 1024
CHUNK_LINES = 250_000  # lines per piece at most: a file of tiny lines is handed over in bounded pieces too


def chunks(reader: "LineReader", limit: int = TEXT_CHUNK) -> Iterator[tuple[list[int], str]]:
    """The lines of ``reader`` in pieces of about ``limit`` bytes (``CHUNK_LINES`` lines at most): their numbers
    and their text joined by newlines (invalid UTF-8 replaced), the shape ``store.sql.TEXT_LINES`` reads."""
    numbers: list[int] = []
    lines: list[bytes] = []
    held = 0
    for lineno, line in reader:
        numbers.append(lineno)
        lines.append(line)
        held += len(line) + 1
        if held >= limit or len(numbers) >= CHUNK_LINES:
            yield numbers, b"\n".join(lines).decode("utf-8", "replace")
            numbers, lines, held = [], [], 0
    if lines:
        yield numbers, b"\n".join(lines).decode("utf-8", "replace")


class Scanner:
    """Every line of one file through the SQL classifier (on an in-memory DuckDB), a piece at a time, in line
    order: ``(line, reason, record, ts_us)`` - a bad line has its reason (records ``None``), a record its dict
    (``None`` without ``keep_records``). Memory holds one piece, whatever the file's size. ``damage`` after."""

    def __init__(self, path: Path, keep_records: bool = True) -> None:
        self.path = path
        self.keep_records = keep_records
        self.reader = LineReader(path)

    @property
    def damage(self) -> str | None:
        return self.reader.damage

    def __iter__(self) -> Iterator[tuple[int, str | None, dict[str, Any] | None, int | None]]:
        from . import classify as sql

        con = _memory()
        reader = self.reader
        query = sql.classify_lines(sql.TEXT_LINES, records=self.keep_records)
        too_long = f"line longer than {reader.max_line // (1024 * 1024)} MiB"
        told = 0  # reader.too_long entries already yielded: each piece's are merged into its lines
        for numbers, text in chunks(reader):
            rows = con.execute(query, {"file_id": 0, "linenos": numbers, "text": text}).fetchall()
            found: list[tuple[int, str | None, dict[str, Any] | None, int | None]] = [
                (n, reason, None if reason is not None else decode_record(rec, con), us) for n, _, us, rec, reason in rows
            ]
            found += [(n, too_long, None, None) for n in reader.too_long[told:]]
            told = len(reader.too_long)
            found.sort(key=lambda row: row[0])
            yield from found
        for n in reader.too_long[told:]:
            yield n, too_long, None, None


def scan(path: Path, keep_records: bool = True, keep_bad: int | None = None, stop_after_bad: bool = False) -> FileScan:
    """Every line of one file through the SQL classifier (``Scanner``), collected: at most ``keep_bad`` bad lines
    kept (all when ``None``); with ``stop_after_bad``, reading stops once that many were found (the first ones
    by line number: examples of a file's bad lines)."""
    result = FileScan(path, [], [], None)
    scanner = Scanner(path, keep_records)
    shown = str(path)
    for lineno, reason, rec, us in scanner:
        if reason is not None:
            result.bad_count += 1
            if keep_bad is None or len(result.bad) < keep_bad:
                result.bad.append(BadLine(shown, lineno, reason))
            if stop_after_bad and keep_bad is not None and len(result.bad) >= keep_bad:
                break
        elif rec is not None:
            result.records.append((lineno, rec))
            if us is None:
                result.unusable_ts.append(lineno)
    result.damage = scanner.damage
    return result
