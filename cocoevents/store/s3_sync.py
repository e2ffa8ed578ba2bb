"""Archive objects from S3 into the local store: ``coco load s3://...``, ``coco sync`` and the s3 source's cache.

One path, ``sync_objects``: skip, before downloading, every object the store already holds under the same key,
ETag and size (table ``s3_objects``, whose ``sha256`` must still be a loaded file: a file taken out by ``coco
store remove`` is fetched again); download the rest with bounded concurrency, each object streamed to a file in
a temporary folder (``store.scratch``: the next run removes a killed run's) while its SHA-256 is computed (at most
about two batches of bytes on disk at once); load each batch as it arrives with the local ``Loader`` - the same
identity, damage and compression rules as local files - recorded under the name ``s3://bucket/key``; then remember
the objects and delete the batch's temporary files.

An interrupted sync leaves whole files (each file commits in one transaction); the next run skips what is there
and completes the rest. A file committed whose object was not yet remembered is downloaded once more and found
``already_loaded`` by its SHA-256: never a duplicate.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

from ..archive import lines as archive
from ..archive.s3 import (
    ATTEMPTS,
    CHUNK,
    CONCURRENCY,
    S3Object,
    client,
    etag_of,
    is_s3_error,
    list_objects,
    parse_url,
    unavailable,
)
from ..errors import NotFound
from ..textsafe import for_terminal
from .scratch import make_scratch


@dataclass
class Fetched:
    obj: S3Object
    path: Path
    name: str
    etag: str = ""
    size: int = 0
    sha: str = ""
    vanished: bool = False


@dataclass
class SyncReport:
    """What a sync did: the loader's report (one entry per object, ``already_loaded`` for the objects skipped
    by key, ETag and size) and the S3 side."""

    report: Any  # store.local.LoadReport
    listed: int = 0
    unchanged: int = 0
    downloaded: int = 0
    bytes: int = 0
    vanished: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = self.report.to_dict()
        out.update(
            objects_listed=self.listed,
            objects_unchanged=self.unchanged,
            objects_downloaded=self.downloaded,
            bytes_downloaded=self.bytes,
            objects_vanished=list(self.vanished),
        )
        return out


BytesProgress = Callable[[int, int], None]  # (bytes done, bytes total)


def temp_name(k: int, key: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._=-]", "_", key.rsplit("/", 1)[-1])[-120:] or "object"
    return f"{k:06d}-{base}"


def sync_objects(
    store: Path,
    s3: Any,
    bucket: str,
    objects: Sequence[S3Object],
    skipped: Iterable[tuple[str, str]] = (),
    *,
    wait: float = 10.0,
    progress: Optional[BytesProgress] = None,
    concurrency: int = CONCURRENCY,
    endpoint_url: Optional[str] = None,
    on_fetched: Optional[Callable[[Fetched], None]] = None,
    rebuild_baseline: bool = True,
) -> SyncReport:
    """Load ``objects`` of ``bucket`` into the local store at ``store`` (see the module docstring)."""
    from .config import batch_bytes
    from .loader import FileResult, Loader, LoadReport

    started = time.monotonic()
    report = LoadReport(store=archive.path_text(store), skipped=list(skipped))
    result = SyncReport(report, listed=len(objects))
    loader = Loader(store, wait)
    tmp = Path(make_scratch("s3"))
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="coco-s3")
    try:
        con = loader._attach()  # creates or migrates the store
        known = {
            name: (etag, size)
            for name, etag, size in con.execute(
                "SELECT o.name, o.etag, o.bytes FROM s3_objects AS o JOIN files AS f ON f.sha256 = o.sha256"
            ).fetchall()
        }
        loader._yield_to_readers()
        todo: list[S3Object] = []
        for o in objects:
            name = f"s3://{bucket}/{o.key}"
            if known.get(name) == (o.etag, o.size):
                report.files.append(FileResult(archive.path_text(name), "already_loaded"))
                result.unchanged += 1
            else:
                todo.append(o)
        total = sum(o.size for o in todo)
        done = [0]
        lock = threading.Lock()

        def advance(n: int) -> None:
            with lock:
                done[0] += n
                if progress:
                    progress(done[0], total)

        if progress:
            progress(0, total)
        limit = batch_bytes()
        pending: deque[tuple[Fetched, Future[Fetched]]] = deque()
        queue = iter(enumerate(todo))
        held = 0  # bytes submitted and not yet deleted
        exhausted = False

        def fill() -> None:
            nonlocal held, exhausted
            while not exhausted and (held < 2 * max(1, limit // 8) or not pending):
                nxt = next(queue, None)
                if nxt is None:
                    exhausted = True
                    return
                k, o = nxt
                f = Fetched(o, tmp / temp_name(k, o.key), f"s3://{bucket}/{o.key}")
                held += o.size
                pending.append((f, pool.submit(_fetch, s3, bucket, f, stop, advance)))

        batch: list[Fetched] = []
        weight = 0
        fill()
        while pending:
            f, future = pending.popleft()
            try:
                future.result()
            except Exception as e:
                if not is_s3_error(e):
                    raise
                raise unavailable(e, f"s3://{bucket}/{f.obj.key}", endpoint_url) from None
            if on_fetched:
                on_fetched(f)
            if f.vanished:
                result.vanished.append(f.name)
                report.skipped.append((archive.path_text(f.name), "deleted from S3 since it was listed"))
                held -= f.obj.size
            else:
                result.downloaded += 1
                result.bytes += f.size
                batch.append(f)
                weight += f.size * (1 if f.name.endswith(archive.PLAIN_SUFFIXES) else 8)
            fill()
            if batch and (weight >= limit or not pending):
                _load_batch(loader, batch, report)
                held -= sum(b.obj.size for b in batch)
                batch, weight = [], 0
                fill()
        from .loader import rebuild_derived

        changed = any(f.status in ("loaded", "damaged") for f in report.files)
        rebuild_derived(loader, report, baseline=rebuild_baseline and changed)
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        try:
            loader.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    report.examples = report.examples[:5]
    report.files.sort(key=lambda r: r.path)
    report.seconds = time.monotonic() - started
    return result


def _fetch(s3: Any, bucket: str, f: Fetched, stop: threading.Event, advance: Callable[[int], None]) -> Fetched:
    """Stream one object to ``f.path``, hashing it; a transfer cut short is tried again (``ATTEMPTS``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    for attempt in range(1, ATTEMPTS + 1):
        got = 0
        try:
            response = s3.get_object(Bucket=bucket, Key=f.obj.key)
            digest = hashlib.sha256()
            with io.open(f.path, "wb") as fh:  # ``open`` is this module's source constructor
                for chunk in response["Body"].iter_chunks(CHUNK):
                    if stop.is_set():
                        raise InterruptedError("sync stopped")
                    fh.write(chunk)
                    digest.update(chunk)
                    got += len(chunk)
                    advance(len(chunk))
            f.etag, f.size, f.sha = etag_of(response.get("ETag")), got, digest.hexdigest()
            return f
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404"):
                f.vanished = True
                return f
            raise
        except BotoCoreError as e:
            advance(-got)
            if attempt == ATTEMPTS or type(e).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _load_batch(loader: Any, batch: list[Fetched], report: Any) -> None:
    """Load downloaded objects (one loader run), remember their S3 identity, delete their temporary files."""
    names = {os.fspath(f.path): f.name for f in batch}
    loaded = loader.load([os.fspath(f.path) for f in batch], names=names)
    status = {r.path: r.status for r in loaded.files}
    rows = [
        [f.name, f.etag, f.size, f.sha] for f in batch if status.get(archive.path_text(f.name)) in ("loaded", "damaged", "already_loaded")
    ]
    if rows:
        con = loader._attach()
        con.execute("BEGIN TRANSACTION")
        try:
            con.executemany("INSERT OR REPLACE INTO s3_objects VALUES (?, ?, ?, ?, now())", rows)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        loader._yield_to_readers()
    report.files.extend(loaded.files)
    report.skipped.extend(loaded.skipped)
    report.examples.extend(loaded.examples)
    for f in batch:
        try:
            f.path.unlink()
        except OSError:
            pass


def load_url(
    store: Path,
    url: str,
    *,
    days: Optional[Sequence[date]] = None,
    endpoint_url: Optional[str] = None,
    region: Optional[str] = None,
    wait: float = 10.0,
    progress: Optional[BytesProgress] = None,
) -> SyncReport:
    """``coco load s3://bucket/prefix/``: the archive objects under the URL (only the ``dt=`` days given)."""
    started = time.monotonic()
    bucket, prefix = parse_url(url)
    s3 = client(region=region, endpoint_url=endpoint_url)
    objects, skipped = list_objects(s3, bucket, prefix, days, endpoint_url)
    if not objects:
        what = f" for {days[0]}..{days[-1]}" if days else ""
        raise NotFound(
            f"no archive object under {for_terminal(url)}{what}"
            + (f" ({len(skipped)} key(s) skipped, e.g. {for_terminal(skipped[0][0])})" if skipped else "")
        )
    result = sync_objects(store, s3, bucket, objects, skipped, wait=wait, progress=progress, endpoint_url=endpoint_url)
    result.report.seconds = time.monotonic() - started  # the client, the listing and the sync
    return result


def summary_line(sync: SyncReport) -> str:
    mib = sync.bytes / (1 << 20)
    return f"{sync.listed} object(s) listed, {sync.unchanged} unchanged (not downloaded), {sync.downloaded} downloaded ({mib:.1f} MiB)"
