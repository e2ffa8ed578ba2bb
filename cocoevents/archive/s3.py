"""The event archive in S3, read: its URLs, its ``dt=YYYY-MM-DD/`` days, listing its objects, and one-line errors.

The archive is ``s3://<bucket>/<prefix>dt=YYYY-MM-DD/<objects>``, as the log shipper writes it. Listing uses
boto3's ``list_objects_v2`` over the ``dt=`` folders of the days wanted (without days, the whole prefix): one
request from the first folder on, then, when that page does not reach past the last one, the folders it did not
reach, several at the same time (``_list_folders``); keys that are not archive file names are reported as
skipped, folder markers ignored. Failures of S3 (no credentials, access denied, no such bucket, endpoint unreachable, credentials
rejected) become ``SourceUnavailable`` with one line naming the bucket and the cause, never a traceback, never a
credential. ``boto3`` is imported only when S3 is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Optional, Sequence

from ..errors import CocoError, SourceUnavailable, UsageError
from ..redact import redact
from ..textsafe import for_terminal
from ..timestamps import to_datetime
from . import lines as archive

CONCURRENCY = 8
PAGE_KEYS = 1000  # S3's most keys in one listing page
ATTEMPTS = 3
CHUNK = 1 << 20
MAX_DAYS = 400
DAY_US = 86_400_000_000
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DT_FOLDER = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})/")


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


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    etag: str
    day: Optional[date] = None


def etag_of(value: Any) -> str:
    return str(value or "").strip('"')


def client(
    *, region: Optional[str] = None, aws_profile: Optional[str] = None, endpoint_url: Optional[str] = None, concurrency: int = CONCURRENCY
) -> Any:
    """A boto3 S3 client from the usual AWS chain (environment, profile, SSO)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:  # pragma: no cover - boto3 is a dependency of the aws extra
        raise UsageError("reading S3 needs boto3: pip install 'cocoevents[aws]'") from None
    try:
        session = boto3.Session(profile_name=aws_profile, region_name=region)
        return session.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
                max_pool_connections=max(10, concurrency + 2),
            ),
        )
    except Exception as e:
        raise unavailable(e, "S3", endpoint_url) from None


def unavailable(e: BaseException, where: str, endpoint_url: Optional[str] = None) -> CocoError:
    """The one line for a failure of S3 or of the AWS configuration (never a credential)."""
    if isinstance(e, CocoError):
        return e
    try:
        from botocore import exceptions as bx
    except ImportError:  # pragma: no cover
        return SourceUnavailable(redact(f"{where}: {e}").splitlines()[0])
    sso = tuple(
        x
        for x in (getattr(bx, n, None) for n in ("SSOError", "SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError"))
        if x is not None
    )
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
        if code in (
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "ExpiredToken",
            "InvalidToken",
            "TokenRefreshRequired",
            "InvalidClientTokenId",
            "AuthorizationHeaderMalformed",
        ):
            return SourceUnavailable(f"{where}: S3 rejected the AWS credentials ({code})")
        if code in ("AccessDenied", "AllAccessDisabled", "Forbidden") or status == 403 or code == "403":
            return SourceUnavailable(f"{where}: access denied (S3 {code or status}): the AWS identity in use may not list or read it")
        if code == "NoSuchBucket":
            return SourceUnavailable(f"{where}: no such bucket")
        return SourceUnavailable(redact(f"{where}: S3 error {code or status}").splitlines()[0])
    if isinstance(e, bx.BotoCoreError):
        text = redact(str(e)).strip().splitlines()
        return SourceUnavailable(f"{where}: S3 failed: {for_terminal(text[0] if text else type(e).__name__)}")
    return SourceUnavailable(f"{where}: S3 failed: {type(e).__name__}")


def is_s3_error(e: BaseException) -> bool:
    return type(e).__module__.startswith(("botocore", "boto3", "urllib3"))


def list_objects(
    s3: Any, bucket: str, prefix: str, days: Optional[Sequence[date]] = None, endpoint_url: Optional[str] = None
) -> tuple[list[S3Object], list[tuple[str, str]]]:
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
        items = _list_folders(s3, bucket, prefixes) if len(prefixes) > 1 else _list_prefixes(s3, bucket, prefixes)
    except Exception as e:
        if not is_s3_error(e):
            raise
        raise unavailable(e, where, endpoint_url) from None
    if prefix and not prefix.endswith("/") and len(prefixes) == 1:
        exact = [i for i in items if i["Key"] == prefix]
        items = exact or [i for i in items if i["Key"].startswith(prefix + "/")]
    for item in items:
        key = item["Key"]
        if key.endswith("/"):
            continue  # a folder marker
        m = DT_FOLDER.search(key)
        day = date.fromisoformat(m.group(1)) if m and valid_day(m.group(1)) else None
        if wanted is not None and day not in wanted:
            continue
        if not key.endswith(archive.SUFFIXES):
            skipped.append((f"s3://{bucket}/{key}", archive.NOT_ARCHIVE))
            continue
        objects.append(S3Object(key, int(item.get("Size", 0)), etag_of(item.get("ETag")), day))
    objects.sort(key=lambda o: o.key)
    return objects, skipped


def _list_folders(s3: Any, bucket: str, folders: Sequence[str]) -> list[dict[str, Any]]:
    """The ``Contents`` items of the ``dt=`` folders ``folders`` (all under one prefix), in key order: first one
    request for the keys from the first folder on (``StartAfter``, ``PAGE_KEYS`` keys). When that page reaches past
    the last folder, or the listing ends, it holds them all: days of few objects - a ``--fresh`` tail's month, a
    sync of a quiet week - cost one request instead of one per folder. Else the folders the page did not reach are
    listed one request each, several at a time (``_list_prefixes``), the one it stopped in from its last key on."""
    ordered = sorted(folders)
    base = ordered[0][: ordered[0].rindex("dt=")]
    first = s3.list_objects_v2(Bucket=bucket, Prefix=f"{base}dt=", StartAfter=ordered[0], MaxKeys=PAGE_KEYS)
    page = first.get("Contents", [])
    wanted = set(ordered)
    items = [i for i in page if _folder(i["Key"], base) in wanted]
    last = page[-1]["Key"] if page else ""
    if not first.get("IsTruncated") or (last > ordered[-1] and not last.startswith(ordered[-1])):
        return items
    rest = [(f, last if last.startswith(f) else None) for f in ordered if f > last or last.startswith(f)]
    return items + _list_prefixes(s3, bucket, [f for f, _ in rest], [after for _, after in rest])


def _folder(key: str, base: str) -> str:
    """The ``dt=YYYY-MM-DD/`` folder (with ``base`` before it) a key under ``base`` lies in, else ``""``."""
    end = len(base) + len("dt=YYYY-MM-DD/")
    return key[:end] if len(key) > end and key[end - 1] == "/" else ""


def _list_prefixes(s3: Any, bucket: str, prefixes: Sequence[str], after: Optional[Sequence[Optional[str]]] = None) -> list[dict[str, Any]]:
    """The ``Contents`` items of every prefix (with ``after``, each prefix's keys after that key when one is given),
    in the prefixes' order. Several ``dt=`` folders are listed at the same time, ``CONCURRENCY`` at once: a question
    or a sync over days lists one folder per day, and S3 answers each in tens of milliseconds, most of it waiting."""
    starts = list(after) if after is not None else [None] * len(prefixes)

    def one(job: tuple[str, Optional[str]]) -> list[dict[str, Any]]:
        prefix, start = job
        paginator = s3.get_paginator("list_objects_v2")
        extra = {"StartAfter": start} if start else {}
        return [item for page in paginator.paginate(Bucket=bucket, Prefix=prefix, **extra) for item in page.get("Contents", [])]

    jobs = list(zip(prefixes, starts))
    if len(jobs) < 2:
        return [item for job in jobs for item in one(job)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(len(jobs), CONCURRENCY), thread_name_prefix="coco-list") as pool:
        return [item for part in pool.map(one, jobs) for item in part]


def valid_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False
