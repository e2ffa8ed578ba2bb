"""The files of a load as the loader plans them: each file's size, compression and expected decompressed size
(``Item``), whether it is streamed in pieces or read in a batch by DuckDB's CSV reader (``streamed``), a gzip's
exact size before the fast path (``measure``), and the batches the others are read in (``batches``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..archive import lines as archive
from .config import BATCH_FILES, batch_bytes

GLOB_CHARS = frozenset("*?[]{}")  # characters DuckDB reads as a pattern in a file name


@dataclass
class Item:
    path: Path
    key: str  # the absolute path as text: the store's ``files.path``
    sha: str
    size: int
    compression: str  # gzip | zstd | none
    expected: int  # the decompressed size: the file's (plain) or its gzip trailer's (mod 2**32)
    exact: bool = False  # ``expected`` is what the file decompresses to (plain; a gzip counted by ``measure``)
    unread: bool = False  # a gzip ``measure`` found damaged or a bomb: for the line reader, which reports it

    @property
    def weight(self) -> int:
        """About what the file decompresses to: its size, gzip's at least 8 times (the trailer's size is that of
        the last member only, and wraps at 4 GiB) and at least what its trailer says; once counted, that."""
        if self.exact:
            return self.expected
        return self.size if self.compression == "none" else max(self.size * 8, self.expected)


def streamed(item: Item) -> bool:
    """Whether a file is streamed (``loader.Loader._stream``) rather than read in a batch by DuckDB's CSV reader: one
    bigger than a batch (DuckDB reading a gzip file whole is ~2x quicker than the pieces, so a file that fits a
    batch is read so), a zstd one (DuckDB's zstd reader ends a truncated stream silently), a gzip whose trailer
    says it expands like a decompression bomb (the line reader reads it in bounded pieces and stops at the
    expansion limit) and one whose name DuckDB would read as a pattern ('z[1].log') or cannot take (not UTF-8)."""
    plain = str(item.path)
    odd = bool(GLOB_CHARS & set(plain)) or plain != archive.path_text(plain)
    bomb = item.compression == "gzip" and item.expected > archive.expansion_limit(item.size)
    return odd or item.compression == "zstd" or bomb or item.unread or item.weight > batch_bytes()


def split(todo: list[Item]) -> tuple[list[Item], list[Item]]:
    """The files to stream and those for DuckDB's reader, in their order. A file headed for the reader is measured
    first (``measure``): what its count finds (a damaged file, a bomb) can send it to the streamed ones."""
    streamed_items: list[Item] = []
    read_whole: list[Item] = []
    for item in todo:
        if not streamed(item):
            measure(item)
        (streamed_items if streamed(item) else read_whole).append(item)
    return streamed_items, read_whole


def measure(item: Item) -> None:
    """A gzip headed for DuckDB's reader given its exact decompressed size. Its trailer says the last member's
    size only, mod 2**32, so a last line DuckDB drops could hide in it (a gzip of two members). A file of one
    member whose bytes cannot expand past 2**32 without being a bomb (``single_member``) has its trailer's size
    exactly (a bomb is stopped by its staged bytes, ``loader.Loader._dropped``); any other gzip is counted by one more
    decompression (``archive.gzip_size``). A damaged file or a bomb found counting is left to the line reader
    (``unread``), which reports it."""
    if item.compression != "gzip" or item.exact:
        return
    try:
        if single_member(item.path, item.size):
            item.exact = True
            return
        size = archive.gzip_size(item.path)
    except OSError:
        size = None
    if size is None:
        item.unread = True
    else:
        item.expected, item.exact = size, True


GZIP_MAGIC = b"\x1f\x8b\x08"  # a gzip member's first bytes (deflate)


def single_member(path: Path, size: int) -> bool:
    """Whether the gzip at ``path`` is one member whose trailer's size is exact: no other member's first bytes
    anywhere after its start (a few megabytes read from the page cache; the bytes may occur by chance inside
    the compressed data, which only costs that file a count) and ``size`` bytes too few to reach 2**32 bytes
    of output below the bomb limit (``archive.expansion_limit``)."""
    if archive.expansion_limit(size) >= 1 << 32:
        return False
    with open(path, "rb") as fh:
        data = fh.read()
    return data.startswith(GZIP_MAGIC) and data.find(GZIP_MAGIC, 1) == -1


def batches(todo: list[Item]) -> Iterator[list[Item]]:
    limit = batch_bytes()
    batch: list[Item] = []
    held = 0
    for item in todo:
        batch.append(item)
        held += item.weight
        if held >= limit or len(batch) >= BATCH_FILES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch
