"""The event archive in S3: ``coco load s3://…``, the ``s3`` source kind, ``coco sync``, and ``--fresh``.

The archive is ``s3://<bucket>/<prefix>dt=YYYY-MM-DD/<objects>``, as Vector writes it. Everything here reads
it through one path, ``sync_objects``:

1. list the ``dt=`` folders of the days wanted (boto3's ``list_objects_v2`` paginator; without days, the whole
   prefix); keys that are not archive file names are reported as skipped, folder markers ignored;
2. skip, before downloading, every object the store already holds under the same key, ETag and size
   (table ``s3_objects``, whose ``sha256`` must still be a loaded file: a file taken out by ``coco store
   remove`` is fetched again);
3. download the rest with bounded concurrency (``CONCURRENCY`` threads), each object streamed to a file in a
   temporary folder (never a whole object, let alone a day, in memory) while its SHA-256 is computed; at most
   about two batches of bytes are on disk at once;
4. load each batch as it arrives with the local loader (``store.local.Loader``) - the same identity rules (the
   SHA-256 of the bytes), the same damage handling and compression sniffing (gzip, zstd by magic bytes) as
   local files - recorded under the name ``s3://bucket/key``; then remember the objects' key, ETag, size and
   SHA-256, and delete the batch's temporary files.

An interrupted sync leaves whole files (each file commits in one transaction); the next run skips what is
there and completes the rest. A file committed whose object was not yet remembered is downloaded once more
and found ``already_loaded`` by its SHA-256: never a duplicate.

Failures of S3 (no credentials, access denied, no such bucket, endpoint unreachable, credentials rejected) are
``SourceUnavailable`` (exit 4) with one line naming the bucket and the cause, never a traceback, never a
credential. ``boto3`` is imported only when S3 is used.

The ``s3`` source (``ArchiveSource``) syncs the days a question needs into its cache store, then answers from
it (``sources.local``). ``fresh`` wraps a Redshift source: the events of the archive objects of the days
involved that the warehouse's load log does not list yet (the tail since the last COPY) are loaded into a
temporary store and merged with the warehouse's answers before sessionizing (see ``FreshSource``).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

from ..archive import lines as archive
from ..errors import CocoError, NotFound, SourceUnavailable, UsageError
from ..redact import redact
from ..textsafe import for_terminal
from ..timestamps import format_duration, now_us, to_datetime
from .settings import Setting, validate

CONCURRENCY = 8
ATTEMPTS = 3
CHUNK = 1 << 20
MAX_DAYS = 400
TAIL_DAYS = 31  # --fresh looks for objects not yet COPYed in at most the last 31 days of the range
DAY_US = 86_400_000_000
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DT = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})/")

SETTINGS = (
    Setting("bucket", "str", None, "The archive bucket (required)."),
    Setting("prefix", "str", "", "The prefix above the dt=YYYY-MM-DD/ folders (default: none)."),
    Setting("region", "str", None, "AWS region (default: the AWS chain)."),
    Setting("aws_profile", "str", None, "AWS credentials profile (default: the AWS chain: environment, profile, SSO)."),
    Setting("endpoint_url", "str", None, "Endpoint of an S3-compatible store (default: AWS)."),
    Setting("cache", "path", None, "The local store the archive is synced into "
                                   "(default: $XDG_CACHE_HOME/coco/s3-<bucket>-<hash>.duckdb)."),
    Setting("lookback", "duration", 2 * DAY_US, "Days synced for a delivery asked without --since."),
)
_DEFAULT = {s.name: s.default for s in SETTINGS}


def _cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coco"


@dataclass(frozen=True)
class Settings:
    """An ``s3`` profile, validated; ``lookback_us`` in microseconds. Defaults: ``SETTINGS``."""

    name: Optional[str]
    bucket: str = ""
    prefix: str = ""
    region: Optional[str] = None
    aws_profile: Optional[str] = None
    endpoint_url: Optional[str] = None
    cache: Optional[Path] = None
    lookback_us: int = _DEFAULT["lookback"]

    @classmethod
    def from_values(cls, where: str, name: Optional[str], values: dict[str, Any]) -> Settings:
        checked = validate(where, "s3", SETTINGS, values)
        if checked["bucket"] is None:
            raise UsageError(f"{where}: 'bucket' is required")
        checked["lookback_us"] = checked.pop("lookback")
        checked["bucket"] = bucket_name(checked["bucket"], where)
        checked["prefix"] = prefix_of(checked["prefix"] or "", where)
        if checked["endpoint_url"] is not None:
            checked["endpoint_url"] = endpoint(checked["endpoint_url"], where)
        return cls(name, **checked)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def path(self) -> Path:
        """The cache store (a local store file)."""
        if self.cache is not None:
            return self.cache
        tag = hashlib.sha256(f"{self.endpoint_url or ''}|{self.bucket}|{self.prefix}".encode()).hexdigest()[:8]
        return _cache_home() / f"s3-{self.bucket}-{tag}.duckdb"

    def where(self) -> str:
        return f"archive {self.url}"

    def describe(self) -> list[tuple[str, str]]:
        rows = [("source", "s3"), ("archive", self.url)]
        for key in ("region", "aws_profile", "endpoint_url"):
            value = getattr(self, key)
            if value:
                rows.append((key, str(value)))
        rows += [("cache", str(self.path)), ("lookback", format_duration(self.lookback_us)),
                 ("credentials", "the AWS chain (environment, profile, SSO); never stored by coco")]
        return rows


def bucket_name(bucket: str, where: str = "s3://") -> str:
    if not isinstance(bucket, str) or not BUCKET.match(bucket) or ".." in bucket:
        raise UsageError(f"{where}: invalid bucket name {for_terminal(str(bucket))!r}")
    return bucket


def prefix_of(prefix: str, where: str = "s3://") -> str:
    """A key prefix: empty, or ending in ``/`` (added when missing); no control characters."""
    if any(ord(c) < 32 or ord(c) == 127 for c in prefix):
        raise UsageError(f"{where}: the prefix contains control characters")
    prefix = prefix.lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def endpoint(url: str, where: str = "--endpoint-url") -> str:
    if not re.match(r"^https?://[^\s/@]+(/[^\s]*)?$", url):
        raise UsageError(f"{where}: the endpoint URL must be http(s)://host[:port] (no user or password)")
    return url.rstrip("/")


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> ``(bucket, prefix)``; the prefix as given (maybe one object's key)."""
    if not url.startswith("s3://"):
        raise UsageError(f"not an s3:// URL: {for_terminal(url)!r}")
    bucket, _, key = url[5:].partition("/")
    return bucket_name(bucket, "s3 URL"), key


def is_url(text: str) -> bool:
    return text.startswith("s3://")


# -- days ------------------------------------------------------------------------------------------------

def day_of(us: int) -> date:
    return to_datetime(us).date()


def days_between(lower_us: int, upper_us: int) -> list[date]:
    """The UTC days from ``lower_us`` to ``upper_us``, oldest first."""
    first, last = day_of(lower_us), day_of(upper_us)
    if last < first:
        return []
    n = (last - first).days + 1
    if n > MAX_DAYS:
        raise UsageError(f"{n} days of archive asked for; at most {MAX_DAYS} at once: narrow --since/--until")
    return [first + timedelta(days=k) for k in range(n)]


def days_for_question(lower_us: int, upper_us: int) -> list[date]:
    """The ``dt=`` folders that may hold events from ``lower_us`` to ``upper_us``: a day before (a pilot's
    assignment, the assignment lookback) and a day after (the shipper writes an event into the folder of
    the time it writes it, which may be the next day)."""
    return days_between(lower_us - DAY_US, upper_us + DAY_US)


# -- S3 ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    etag: str
    day: Optional[date] = None


def _etag(value: Any) -> str:
    return str(value or "").strip('"')


def client(*, region: Optional[str] = None, aws_profile: Optional[str] = None, endpoint_url: Optional[str] = None,
           concurrency: int = CONCURRENCY) -> Any:
    """A boto3 S3 client from the usual AWS chain (environment, profile, SSO)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:  # pragma: no cover - boto3 is a dependency of the aws extra
        raise UsageError("reading S3 needs boto3: pip install 'cocoevents[aws]'") from None
    try:
        session = boto3.Session(profile_name=aws_profile, region_name=region)
        return session.client("s3", endpoint_url=endpoint_url, config=Config(
            retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60,
            max_pool_connections=max(10, concurrency + 2)))
    except Exception as e:
        raise unavailable(e, "S3", endpoint_url) from None


def settings_client(settings: Settings) -> Any:
    return client(region=settings.region, aws_profile=settings.aws_profile, endpoint_url=settings.endpoint_url)


def unavailable(e: BaseException, where: str, endpoint_url: Optional[str] = None) -> CocoError:
    """The one line for a failure of S3 or of the AWS configuration (never a credential)."""
    if isinstance(e, CocoError):
        return e
    try:
        from botocore import exceptions as bx
    except ImportError:  # pragma: no cover
        return SourceUnavailable(redact(f"{where}: {e}").splitlines()[0])
    sso = tuple(x for x in (getattr(bx, n, None) for n in ("SSOError", "SSOTokenLoadError", "UnauthorizedSSOTokenError",
                                                              "TokenRetrievalError")) if x is not None)
    if isinstance(e, bx.ProfileNotFound):
        return UsageError(f"{where}: AWS profile {e.kwargs.get('profile')!r} is not configured (AWS_PROFILE / aws_profile)")
    if isinstance(e, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return SourceUnavailable(f"{where}: no AWS credentials found (environment, AWS profile or 'aws sso login')")
    if sso and isinstance(e, sso):
        return SourceUnavailable(f"{where}: the AWS SSO session is missing or expired: run 'aws sso login'")
    if isinstance(e, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ConnectionClosedError)):
        place = f"the S3 endpoint {endpoint_url}" if endpoint_url else "S3"
        return SourceUnavailable(f"{where}: cannot reach {place} (network down, wrong --endpoint-url or region?)")
    if isinstance(e, bx.ClientError):
        error = e.response.get("Error", {}) if isinstance(getattr(e, "response", None), dict) else {}
        code = str(error.get("Code") or "")
        status = (e.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                    "TokenRefreshRequired", "InvalidClientTokenId", "AuthorizationHeaderMalformed"):
            return SourceUnavailable(f"{where}: S3 rejected the AWS credentials ({code})")
        if code in ("AccessDenied", "AllAccessDisabled", "Forbidden") or status == 403 or code == "403":
            return SourceUnavailable(f"{where}: access denied (S3 {code or status}): the AWS identity in use "
                                     "may not list or read it")
        if code == "NoSuchBucket":
            return SourceUnavailable(f"{where}: no such bucket")
        return SourceUnavailable(redact(f"{where}: S3 error {code or status}").splitlines()[0])
    if isinstance(e, bx.BotoCoreError):
        text = redact(str(e)).strip().splitlines()
        return SourceUnavailable(f"{where}: S3 failed: {for_terminal(text[0] if text else type(e).__name__)}")
    return SourceUnavailable(f"{where}: S3 failed: {type(e).__name__}")


def _is_s3_error(e: BaseException) -> bool:
    return type(e).__module__.startswith(("botocore", "boto3", "urllib3"))


def list_objects(s3: Any, bucket: str, prefix: str, days: Optional[Sequence[date]] = None,
                 endpoint_url: Optional[str] = None) -> tuple[list[S3Object], list[tuple[str, str]]]:
    """The archive objects under ``prefix`` (only the ``dt=`` folders of ``days`` when given) and the keys
    skipped with their reason. A prefix naming one object lists that object."""
    where = f"s3://{bucket}/{prefix}"
    prefixes: list[str]
    if days is not None and "dt=" not in prefix:
        base = prefix_of(prefix)
        prefixes = [f"{base}dt={d.isoformat()}/" for d in days]
    else:
        prefixes = [prefix]
    wanted = set(days) if days is not None else None
    objects: list[S3Object] = []
    skipped: list[tuple[str, str]] = []
    try:
        paginator = s3.get_paginator("list_objects_v2")
        items = [item for p in prefixes for page in paginator.paginate(Bucket=bucket, Prefix=p)
                 for item in page.get("Contents", [])]
    except Exception as e:
        if not _is_s3_error(e):
            raise
        raise unavailable(e, where, endpoint_url) from None
    if prefix and not prefix.endswith("/") and len(prefixes) == 1:
        exact = [i for i in items if i["Key"] == prefix]
        items = exact or [i for i in items if i["Key"].startswith(prefix + "/")]
    for item in items:
        key = item["Key"]
        if key.endswith("/"):
            continue  # a folder marker
        m = _DT.search(key)
        day = date.fromisoformat(m.group(1)) if m and _valid_day(m.group(1)) else None
        if wanted is not None and day not in wanted:
            continue
        if not key.endswith(archive.SUFFIXES):
            skipped.append((f"s3://{bucket}/{key}", archive.NOT_ARCHIVE))
            continue
        objects.append(S3Object(key, int(item.get("Size", 0)), _etag(item.get("ETag")), day))
    objects.sort(key=lambda o: o.key)
    return objects, skipped


def _valid_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False


# -- sync: S3 objects into a local store ----------------------------------------------------------------

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
        out.update(objects_listed=self.listed, objects_unchanged=self.unchanged, objects_downloaded=self.downloaded,
                   bytes_downloaded=self.bytes, objects_vanished=list(self.vanished))
        return out


BytesProgress = Callable[[int, int], None]  # (bytes done, bytes total)


def _temp_name(k: int, key: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._=-]", "_", key.rsplit("/", 1)[-1])[-120:] or "object"
    return f"{k:06d}-{base}"


def sync_objects(store: Path, s3: Any, bucket: str, objects: Sequence[S3Object],
                 skipped: Iterable[tuple[str, str]] = (), *, wait: float = 10.0,
                 progress: Optional[BytesProgress] = None, concurrency: int = CONCURRENCY,
                 endpoint_url: Optional[str] = None, on_fetched: Optional[Callable[[Fetched], None]] = None,
                 rebuild_baseline: bool = True) -> SyncReport:
    """Load ``objects`` of ``bucket`` into the local store at ``store`` (see the module docstring)."""
    from ..store.config import batch_bytes
    from ..store.loader import FileResult, Loader, LoadReport

    started = time.monotonic()
    report = LoadReport(store=archive.path_text(store), skipped=list(skipped))
    result = SyncReport(report, listed=len(objects))
    loader = Loader(store, wait)
    tmp = Path(tempfile.mkdtemp(prefix="coco-s3-"))
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="coco-s3")
    try:
        con = loader._attach()  # creates or migrates the store
        known = {name: (etag, size) for name, etag, size in con.execute(
            "SELECT o.name, o.etag, o.bytes FROM s3_objects AS o JOIN files AS f ON f.sha256 = o.sha256").fetchall()}
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
                f = Fetched(o, tmp / _temp_name(k, o.key), f"s3://{bucket}/{o.key}")
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
                if not _is_s3_error(e):
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
        from ..store.loader import rebuild_derived

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
            f.etag, f.size, f.sha = _etag(response.get("ETag")), got, digest.hexdigest()
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
    rows = [[f.name, f.etag, f.size, f.sha] for f in batch
            if status.get(archive.path_text(f.name)) in ("loaded", "damaged", "already_loaded")]
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


def load_url(store: Path, url: str, *, days: Optional[Sequence[date]] = None, endpoint_url: Optional[str] = None,
             region: Optional[str] = None, wait: float = 10.0, progress: Optional[BytesProgress] = None) -> SyncReport:
    """``coco load s3://bucket/prefix/``: the archive objects under the URL (only the ``dt=`` days given)."""
    started = time.monotonic()
    bucket, prefix = parse_url(url)
    s3 = client(region=region, endpoint_url=endpoint_url)
    objects, skipped = list_objects(s3, bucket, prefix, days, endpoint_url)
    if not objects:
        what = f" for {days[0]}..{days[-1]}" if days else ""
        raise NotFound(f"no archive object under {for_terminal(url)}{what}"
                       + (f" ({len(skipped)} key(s) skipped, e.g. {for_terminal(skipped[0][0])})" if skipped else ""))
    result = sync_objects(store, s3, bucket, objects, skipped, wait=wait, progress=progress, endpoint_url=endpoint_url)
    result.report.seconds = time.monotonic() - started  # the client, the listing and the sync
    return result


def sync_days(settings: Settings, days: Sequence[date], *, wait: float = 10.0, progress: Optional[BytesProgress] = None,
              s3: Any = None) -> SyncReport:
    """Sync the ``dt=`` folders of ``days`` of an ``s3`` profile into its cache store."""
    s3 = s3 or settings_client(settings)
    objects, skipped = list_objects(s3, settings.bucket, settings.prefix, days, settings.endpoint_url)
    return sync_objects(settings.path, s3, settings.bucket, objects, skipped, wait=wait, progress=progress,
                        endpoint_url=settings.endpoint_url)


def summary_line(sync: SyncReport) -> str:
    mib = sync.bytes / (1 << 20)
    return (f"{sync.listed} object(s) listed, {sync.unchanged} unchanged (not downloaded), "
            f"{sync.downloaded} downloaded ({mib:.1f} MiB)")


# -- the s3 source kind --------------------------------------------------------------------------------------

def open(settings: Settings, *, now: Optional[int] = None,  # noqa: A001 - the kinds' protocol
         wait: Optional[float] = None, connection: Any = None) -> ArchiveSource:
    return ArchiveSource(settings, now=now, wait=wait)


def check(settings: Settings) -> str:
    """``coco doctor``: the archive lists, and what the cache store holds."""
    s3 = settings_client(settings)
    try:
        s3.list_objects_v2(Bucket=settings.bucket, Prefix=settings.prefix, MaxKeys=1)
    except Exception as e:
        if not _is_s3_error(e):
            raise
        raise unavailable(e, settings.where(), settings.endpoint_url) from None
    if not settings.path.exists():
        return f"coco: ok: {settings.where()} readable; cache {settings.path} not synced yet ('coco sync')"
    from .local import check as local_check

    return local_check(_local_settings(settings)).replace("coco: ok: local store",
                                                         f"coco: ok: {settings.where()} readable; cache")


def _local_settings(settings: Settings) -> Any:
    from .local import Settings as LocalSettings

    return LocalSettings(settings.name, settings.path)


def _note(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


class ArchiveSource:
    """The ``s3`` kind: each question first syncs the days it needs into the cache store (once per day per
    process), then the cache store answers (``sources.local``). When S3 cannot be reached, the cache answers
    what it holds, with a warning; without a cache that is exit 4."""

    def __init__(self, settings: Settings, *, now: Optional[int] = None, wait: Optional[float] = None) -> None:
        self.settings = settings
        self.now = now_us() if now is None else now
        self.wait = wait
        self.synced: set[date] = set()
        self.offline = False
        self._local: Any = None
        self._s3: Any = None

    def _ensure(self, since: Optional[int], until: Optional[int]) -> Any:
        upper = until if until is not None else self.now
        lower = since if since is not None else upper - self.settings.lookback_us
        days = [d for d in days_for_question(lower, upper) if d not in self.synced]
        if days and not self.offline:
            if self._local is not None:  # the cache store is written: the reader lets go of it
                self._local.close()
                self._local = None
            try:
                self._s3 = self._s3 or settings_client(self.settings)
                sync = sync_days(self.settings, days, wait=10.0 if self.wait is None else self.wait, s3=self._s3)
                self.synced.update(days)
                if sync.downloaded:
                    _note(f"coco: synced {self.settings.url} {days[0]}..{days[-1]}: {summary_line(sync)}")
            except SourceUnavailable as e:
                if not self.settings.path.exists():
                    raise
                self.offline = True
                _note(f"coco: warning: {e}; answering from the cache {self.settings.path} as last synced")
        if self._local is None:
            from .local import LocalSource

            self._local = LocalSource(self.settings.path, wait=self.wait)
        return self._local

    def _any(self) -> Any:
        return self._local if self._local is not None else self._ensure(None, None)

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None

    def kinds(self, subject_id: str, since: Optional[int] = None, until: Optional[int] = None) -> list[str]:
        return self._ensure(since, until).kinds(subject_id, since, until)

    def delivery_events(self, delivery_id: str, since: Optional[int], until: Optional[int]) -> list[Any]:
        return self._ensure(since, until).delivery_events(delivery_id, since, until)

    def deliveries_events(self, delivery_ids: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Any]:
        return self._ensure(since, until).deliveries_events(delivery_ids, since, until)

    def delivery_statuses(self, delivery_ids: Sequence[str]) -> Optional[dict[str, str]]:
        """The cache store's status tables, after the same sync ``deliveries_events`` makes for all time."""
        return self._ensure(None, None).delivery_statuses(delivery_ids)  # type: ignore[no-any-return]

    def events_in_spans(self, column: str, spans: Sequence[Any], untimed: bool = False,
                        assignment_spans: Sequence[Any] = (), without_delivery: bool = False) -> list[Any]:
        every = [*spans, *assignment_spans]
        if every:
            self._ensure(min(s for _, s, _ in every), max(e for _, _, e in every))
        return self._any().events_in_spans(column, spans, untimed, assignment_spans,
                                           without_delivery=without_delivery)

    def baseline(self) -> Any:
        return self._any().baseline()

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        return self._ensure(since, until).active_deliveries(since, until)

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: Optional[int],
                      until: Optional[int]) -> list[Any]:
        return self._ensure(since, until).linked_events(demands, offers, since, until)

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str],
                          linked_only: bool) -> Optional[set[str]]:
        return self._ensure(since, until).narrow_deliveries(since, until, column, values, linked_only)

    def error_events(self, since: int, until: int) -> list[Any]:
        return self._ensure(since, until).error_events(since, until)

    def similar_ids(self, key: str, since: Optional[int] = None) -> list[tuple[str, str]]:
        return self._any().similar_ids(key, since)


# -- --fresh: the Redshift answer plus the archive tail ----------------------------------------------------

def archive_profile(name: Optional[str], profile: Optional[str]) -> Settings:
    """The ``s3`` profile a Redshift profile's tail comes from: ``fresh_from``, else the one ``s3`` profile."""
    from . import profiles
    from .configfile import load_config

    config = load_config()
    known = profiles(config)
    if name is not None:
        chosen = known.get(name)
        if chosen is None or chosen.kind != "s3":
            raise UsageError(f"profile {profile!r}: fresh_from = {name!r} must name an s3 profile in {config.path}")
        return chosen.settings
    archives = sorted(n for n, p in known.items() if p.kind == "s3")
    if len(archives) != 1:
        listed = f" (s3 profiles: {', '.join(archives)})" if archives else " (there is none)"
        raise UsageError(f"--fresh needs to know the archive: set fresh_from = \"NAME\" of an s3 profile in "
                         f"profile {profile!r}{listed}")
    return known[archives[0]].settings


def fresh(source: Any, archive_settings: Settings) -> FreshSource:
    return FreshSource(source, archive_settings)


class FreshSource:
    """A Redshift source with the archive's tail: on the first question, the ``dt=`` folders of the days
    involved are listed, the warehouse's load log is read (in the Redshift source's read-only transaction, so
    it matches the rows the timeline reads), and the objects it does not list are loaded into a temporary
    store. Every question is then asked of both and the answers joined; a linked event found through the
    other side is followed (the link closure runs over both). A stored row is returned once: within one
    source, rows already returned by an earlier question are not returned again. An event in both (an
    object COPYed meanwhile) counts once by rule 7."""

    def __init__(self, warehouse: Any, settings: Settings) -> None:
        self.warehouse = warehouse
        self.settings = settings
        self.now = getattr(warehouse, "now", None) or now_us()
        self.tmp = Path(tempfile.mkdtemp(prefix="coco-tail-"))
        self.tail: Any = None
        self.tail_objects = 0
        self.tail_texts: set[str] = set()
        self.warehouse_texts: set[str] = set()
        self.days: list[date] = []

    def close(self) -> None:
        try:
            if self.tail is not None:
                self.tail.close()
            self.warehouse.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the tail ---------------------------------------------------------------------------------------

    def _ensure(self, since: Optional[int], until: Optional[int]) -> Any:
        if self.tail is not None:
            return self.tail
        upper = until if until is not None else self.now
        lower = since if since is not None else self.warehouse.lookback_lower(until)
        lower = max(lower, upper - TAIL_DAYS * DAY_US)  # the tail is recent: what the hourly COPY has not done yet
        self.days = days_for_question(lower, upper)
        s = self.settings
        s3 = settings_client(s)
        objects, skipped = list_objects(s3, s.bucket, s.prefix, self.days, s.endpoint_url)
        logged = self.warehouse.loaded_keys(s.bucket, self.days[0], self.days[-1])
        tail = [o for o in objects if o.key not in logged]
        self.tail_objects = len(tail)
        store = self.tmp / "tail.duckdb"
        if tail:
            sync_objects(store, s3, s.bucket, tail, wait=0.0, endpoint_url=s.endpoint_url, rebuild_baseline=False)
        from .local import LocalSource

        self.tail = LocalSource(store) if store.exists() else _Empty()
        return self.tail

    def tail_count(self, timeline: Any) -> int:
        """Events of ``timeline`` that only the tail holds (not yet in the warehouse)."""
        only = self.tail_texts - self.warehouse_texts
        return sum(1 for r in timeline.rows if r.event.text in only) + sum(1 for e in timeline.unplaced if e.text in only)

    def note(self, timeline: Any) -> str:
        n = self.tail_count(timeline)
        days = f"{self.days[0]}..{self.days[-1]}" if self.days else "-"
        return (f"coco: fresh: {n} of {len(timeline.rows) + len(timeline.unplaced)} events came from the archive tail "
                f"({self.tail_objects} object(s) of {self.settings.url} {days} not yet in the warehouse's load log)")

    def _both(self, ask: Callable[[Any], list[Any]], seen: Optional[tuple[set[str], set[str]]] = None) -> list[Any]:
        """``ask`` of the warehouse and the tail; with ``seen`` (per-source texts returned before by this
        question), rows an earlier call returned are left out (identical records match the same questions,
        so true duplicates arrive together and keep their count)."""
        out = []
        for side, texts, mark in ((self.warehouse, seen[0] if seen else None, self.warehouse_texts),
                                  (self.tail, seen[1] if seen else None, self.tail_texts)):
            rows = ask(side)
            if texts is not None:
                rows = [e for e in rows if e.text not in texts]
                texts.update(e.text for e in rows)
            mark.update(e.text for e in rows)
            out += rows
        return out

    def _closure(self, ids: Sequence[str], first: Callable[[Any], list[Any]], since: Optional[int],
                 until: Optional[int]) -> list[Any]:
        from ..core.sessionize import linked_closures

        seen: tuple[set[str], set[str]] = (set(), set())
        events = self._both(first, seen)
        asked_d: set[str] = set()
        asked_o: set[str] = set()
        while True:
            chosen = [e for group in linked_closures(ids, events).values() for e in group]
            new_d = sorted({e.demand_id for e in chosen if e.demand_id} - asked_d)
            new_o = sorted({e.offer_id for e in chosen if e.offer_id} - asked_o)
            if not new_d and not new_o:
                return events
            asked_d.update(new_d)
            asked_o.update(new_o)
            events += self._both(lambda side, d=new_d, o=new_o: side.linked_events(d, o, since, until), seen)

    # -- the EventSource protocol ---------------------------------------------------------------------------

    def kinds(self, subject_id: str, since: Optional[int] = None, until: Optional[int] = None) -> list[str]:
        tail = self._ensure(since, until)
        found = set(tail.kinds(subject_id, since, until))
        try:
            found |= set(self.warehouse.kinds(subject_id, since, until))
        except NotFound:
            if not found:
                raise
        return [k for k in ("delivery", "robot", "pilot") if k in found]

    def delivery_events(self, delivery_id: str, since: Optional[int], until: Optional[int]) -> list[Any]:
        self._ensure(since, until)
        return self._closure([delivery_id], lambda side: side.delivery_events(delivery_id, since, until), since, until)

    def deliveries_events(self, delivery_ids: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Any]:
        self._ensure(since, until)
        ids = list(delivery_ids)
        return self._closure(ids, lambda side: side.deliveries_events(ids, since, until), since, until)

    def events_in_spans(self, column: str, spans: Sequence[Any], untimed: bool = False,
                        assignment_spans: Sequence[Any] = (), without_delivery: bool = False) -> list[Any]:
        self._ensure(None, None)
        return self._both(lambda side: side.events_in_spans(column, spans, untimed, assignment_spans,
                                                            without_delivery=without_delivery))

    def baseline(self) -> Any:
        return self.warehouse.baseline()

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        self._ensure(since, until)
        first: dict[str, int] = {}
        for side in (self.warehouse, self.tail):
            for d, t in side.active_deliveries(since, until):
                first[d] = min(t, first.get(d, t))
        return sorted(first.items())

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: Optional[int],
                      until: Optional[int]) -> list[Any]:
        self._ensure(since, until)
        return self._both(lambda side: side.linked_events(demands, offers, since, until))

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str],
                          linked_only: bool) -> Optional[set[str]]:
        self._ensure(since, until)
        out: set[str] = set()
        for side in (self.warehouse, self.tail):
            got = side.narrow_deliveries(since, until, column, values, linked_only)
            if got is None:
                return None
            out |= got
        return out

    def error_events(self, since: int, until: int) -> list[Any]:
        self._ensure(since, until)
        return self._both(lambda side: side.error_events(since, until))

    def similar_ids(self, key: str, since: Optional[int] = None) -> list[tuple[str, str]]:
        self._ensure(since, None)
        return sorted(set(self.warehouse.similar_ids(key, since)) | set(self.tail.similar_ids(key, since)))


class _Empty:
    """The tail when every object of the days is in the warehouse already."""

    def close(self) -> None:
        pass

    def kinds(self, *a: Any) -> list[str]:
        return []

    def similar_ids(self, *a: Any) -> list[tuple[str, str]]:
        return []

    def active_deliveries(self, *a: Any) -> list[tuple[str, int]]:
        return []

    def narrow_deliveries(self, *a: Any) -> set[str]:
        return set()

    def __getattr__(self, name: str) -> Callable[..., list[Any]]:
        return lambda *a, **k: []
