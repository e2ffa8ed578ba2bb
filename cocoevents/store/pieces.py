"""The pieces of a streamed file (``store.loader.Loader._stream``), read one ahead in a thread.

``LineReader.blocks`` cuts the file into blocks of whole lines; each becomes a piece the loader's SQL classifier
reads: a plain file in the loader's temporary folder for DuckDB's CSV reader (the quickest way in: DuckDB splits
its lines on its own threads), or, when that reader could refuse the block (not UTF-8, a line longer than it takes,
a byte order mark where a file would start), the block's text for the classifier's ``string_split``. A thread
decompresses and writes the next piece while DuckDB parses the current one (zlib and DuckDB both let go of
Python's lock), so memory holds two pieces, whatever the file's size.
"""

from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from ..archive import lines as archive

Piece = tuple[Optional[str], Optional[str]]  # (path of a plain file, None) or (None, text)
_END = object()


def csv_safe(block: bytes, max_line: int) -> bool:
    """Whether DuckDB's CSV reader reads ``block`` as the lines it holds: valid UTF-8, no line over ``max_line``
    bytes, and no byte order mark at its start (the reader would drop it there, not inside a file)."""
    if block.startswith(b"\xef\xbb\xbf") or archive.has_line_over(block, max_line):
        return False
    if block.isascii():
        return True
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _produce(reader: archive.LineReader, size: int, folder: str, max_line: int) -> Iterator[Piece]:
    for n, block in enumerate(reader.blocks(size)):
        if max_line and csv_safe(block, max_line):
            path = os.path.join(folder, f"piece-{n}.log")
            with open(path, "wb") as fh:
                fh.write(block)
            yield path, None
        else:
            yield None, block.decode("utf-8", "replace")


@contextmanager
def pieces_ahead(reader: archive.LineReader, size: int, folder: str, max_line: int) -> Iterator[Iterator[Piece]]:
    """The pieces of ``reader``'s file (module docstring), of about ``size`` bytes, made one ahead in a thread;
    ``max_line`` 0: every piece as text. A piece's file is deleted once the next is asked for; leaving the block
    stops the thread and deletes what is left. After the last piece, ``reader.damage`` and ``reader.too_long``
    are final."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def work() -> None:
        try:
            for piece in _produce(reader, size, folder, max_line):
                while not stop.is_set():
                    try:
                        ready.put(piece, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    _delete(piece)
                    return
            ready.put(_END)
        except BaseException as e:  # handed to the consumer
            ready.put(e)

    thread = threading.Thread(target=work, name="coco-pieces", daemon=True)
    thread.start()
    current: list[Piece] = []

    def consume() -> Iterator[Piece]:
        while True:
            item = ready.get()
            for done in current:
                _delete(done)
            current.clear()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            current.append(item)
            yield item

    try:
        yield consume()
    finally:
        stop.set()
        while thread.is_alive():
            try:
                item = ready.get(timeout=0.1)
            except queue.Empty:
                continue
            if isinstance(item, tuple):
                _delete(item)
        thread.join()
        while not ready.empty():
            item = ready.get_nowait()
            if isinstance(item, tuple):
                _delete(item)
        for done in current:
            _delete(done)


def _delete(piece: Piece) -> None:
    if piece[0] is not None:
        try:
            os.unlink(piece[0])
        except OSError:
            pass
