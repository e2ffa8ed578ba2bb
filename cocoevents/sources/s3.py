"""The ``s3`` source kind: a profile naming an archive bucket, answered from a local cache store.

``ArchiveSource`` syncs the ``dt=`` days a question needs into its cache store (``store.s3_sync``), then answers
from it (``sources.local``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from ..archive.s3 import (
    DAY_US,
    bucket_name,
    client,
    days_for_question,
    endpoint,
    is_s3_error,
    list_objects,
    prefix_of,
    unavailable,
)
from ..core.source_protocol import Source
from ..errors import SourceUnavailable, UsageError
from ..store.config import cache_home
from ..store.s3_sync import BytesProgress, SyncReport, summary_line, sync_objects
from ..textsafe import say
from ..timestamps import format_duration, now_us
from .settings import Setting, validate

TAIL_DAYS = 31  # --fresh looks for objects not yet COPYed in at most the last 31 days of the range
SETTINGS = (
    Setting("bucket", "str", None, "The archive bucket (required)."),
    Setting("prefix", "str", "", 'The key prefix above the dt=YYYY-MM-DD/ folders ("": the bucket root).'),
    Setting("region", "str", None, "AWS region (default: the AWS chain)."),
    Setting("aws_profile", "str", None, "AWS credentials profile (default: the AWS chain: environment, profile, SSO)."),
    Setting("endpoint_url", "str", None, "Endpoint of an S3-compatible store (default: AWS)."),
    Setting("cache", "path", None, "The local store the archive is synced into (default: $XDG_CACHE_HOME/coco/s3-<bucket>-<hash>.duckdb)."),
    Setting("lookback", "duration", 2 * DAY_US, "Days synced for a delivery asked without --since."),
)
_DEFAULT = {s.name: s.default for s in SETTINGS}


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
        return cache_home() / f"s3-{self.bucket}-{tag}.duckdb"

    def where(self) -> str:
        return f"archive {self.url}"

    def describe(self) -> list[tuple[str, str]]:
        rows = [("source", "s3"), ("archive", self.url)]
        for key in ("region", "aws_profile", "endpoint_url"):
            value = getattr(self, key)
            if value:
                rows.append((key, str(value)))
        rows += [
            ("cache", str(self.path)),
            ("lookback", format_duration(self.lookback_us)),
            ("credentials", "the AWS chain (environment, profile, SSO); never stored by coco"),
        ]
        return rows


def settings_client(settings: Settings) -> Any:
    return client(region=settings.region, aws_profile=settings.aws_profile, endpoint_url=settings.endpoint_url)


def sync_days(
    settings: Settings, days: Sequence[date], *, wait: float = 10.0, progress: Optional[BytesProgress] = None, s3: Any = None
) -> SyncReport:
    """Sync the ``dt=`` folders of ``days`` of an ``s3`` profile into its cache store."""
    s3 = s3 or settings_client(settings)
    objects, skipped = list_objects(s3, settings.bucket, settings.prefix, days, settings.endpoint_url)
    return sync_objects(
        settings.path, s3, settings.bucket, objects, skipped, wait=wait, progress=progress, endpoint_url=settings.endpoint_url
    )


def open(
    settings: Settings,
    *,
    now: Optional[int] = None,  # noqa: A001 - the kinds' protocol
    wait: Optional[float] = None,
    connection: Any = None,
) -> ArchiveSource:
    return ArchiveSource(settings, now=now, wait=wait)


def check(settings: Settings) -> str:
    """``coco doctor``: the archive lists, and what the cache store holds."""
    s3 = settings_client(settings)
    try:
        s3.list_objects_v2(Bucket=settings.bucket, Prefix=settings.prefix, MaxKeys=1)
    except Exception as e:
        if not is_s3_error(e):
            raise
        raise unavailable(e, settings.where(), settings.endpoint_url) from None
    if not settings.path.exists():
        return f"coco: ok: {settings.where()} readable; cache {settings.path} not synced yet ('coco sync')"
    from .local import check as local_check

    return local_check(local_settings(settings)).replace("coco: ok: local store", f"coco: ok: {settings.where()} readable; cache")


def local_settings(settings: Settings) -> Any:
    from .local import Settings as LocalSettings

    return LocalSettings(settings.name, settings.path)


def note(message: str) -> None:
    say(message)


class ArchiveSource(Source):
    """The ``s3`` kind: each question first syncs the days it needs into the cache store (once per day per
    process), then the cache store answers (``sources.local``). When S3 cannot be reached, the cache answers
    what it holds, with a warning; without a cache that is exit 4."""

    KEEPS_STATUSES = True  # the cache store's

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
                    note(f"coco: synced {self.settings.url} {days[0]}..{days[-1]}: {summary_line(sync)}")
            except SourceUnavailable as e:
                if not self.settings.path.exists():
                    raise
                self.offline = True
                note(f"coco: warning: {e}; answering from the cache {self.settings.path} as last synced")
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

    # -- following (``core.follow``) ---------------------------------------------------------------------

    def refresh(self) -> None:
        """The next question syncs its days again: objects that appeared since are downloaded (those synced
        before are skipped by key, ETag and size); the clock moves to the present."""
        self.release()
        self.synced.clear()
        self.offline = False
        self.now = now_us()

    def release(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None

    def writer_waiting(self) -> bool:
        return self._local is not None and bool(self._local.writer_waiting())

    def arrivals(self, since: int, ids: Mapping[str, Sequence[str]]) -> Any:
        """The cache store's answer, after syncing the days from ``since`` to now."""
        return self._ensure(since, None).arrivals(since, ids)

    def kinds(self, subject_id: str, since: Optional[int] = None, until: Optional[int] = None) -> list[str]:
        return self._ensure(since, until).kinds(subject_id, since, until)

    def delivery_events(self, delivery_id: str, since: Optional[int], until: Optional[int]) -> list[Any]:
        return self._ensure(since, until).delivery_events(delivery_id, since, until)

    def deliveries_events(self, delivery_ids: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Any]:
        return self._ensure(since, until).deliveries_events(delivery_ids, since, until)

    def delivery_statuses(self, delivery_ids: Sequence[str]) -> Optional[dict[str, str]]:
        """The cache store's status tables, after the same sync ``deliveries_events`` makes for all time."""
        return self._ensure(None, None).delivery_statuses(delivery_ids)

    def events_in_spans(
        self, column: str, spans: Sequence[Any], untimed: bool = False, assignment_spans: Sequence[Any] = (), without_delivery: bool = False
    ) -> list[Any]:
        every = [*spans, *assignment_spans]
        if every:
            self._ensure(min(s for _, s, _ in every), max(e for _, _, e in every))
        return self._any().events_in_spans(column, spans, untimed, assignment_spans, without_delivery=without_delivery)

    def baseline(self) -> Any:
        return self._any().baseline()

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        return self._ensure(since, until).active_deliveries(since, until)

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Any]:
        return self._ensure(since, until).linked_events(demands, offers, since, until)

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str], linked_only: bool) -> Optional[set[str]]:
        return self._ensure(since, until).narrow_deliveries(since, until, column, values, linked_only)

    def error_events(self, since: int, until: int) -> list[Any]:
        return self._ensure(since, until).error_events(since, until)

    def error_groups(self, since: int, until: int, by: str) -> Optional[list[Any]]:
        return self._ensure(since, until).error_groups(since, until, by)

    def similar_ids(self, key: str, since: Optional[int] = None) -> list[tuple[str, str]]:
        return self._any().similar_ids(key, since)

    def extent(self, column: Optional[str], ident: Optional[str], lo: Optional[int], hi: Optional[int]) -> Optional[tuple[int, int]]:
        """From the cache as synced (a "nothing found" hint does not sync more days)."""
        return self._any().extent(column, ident, lo, hi)

    def compare_counts(self, since: int, until: int, filters: Any, opts: Any) -> Any:
        """The cache store's answer, after syncing the days the rows read span (``store.compare_sql``'s margins)."""
        from ..store.compare_sql import READ_AFTER, READ_BEFORE

        self._ensure(since - READ_BEFORE, until + READ_AFTER)
        return self._ensure(since, until).compare_counts(since, until, filters, opts)


def archive_profile(name: Optional[str], profile: Optional[str]) -> Settings:
    """The ``s3`` profile a Redshift profile's tail comes from: ``fresh_from``, else the one ``s3`` profile.
    Only that profile is validated."""
    from . import select
    from .configfile import load_config

    config = load_config()
    archives = sorted(n for n, values in config.profiles.items() if values.get("source") == "s3")
    if name is not None:
        if name not in archives:
            raise UsageError(f"profile {profile!r}: fresh_from = {name!r} must name an s3 profile in {config.path}")
    elif len(archives) != 1:
        listed = f" (s3 profiles: {', '.join(archives)})" if archives else " (there is none)"
        raise UsageError(f'--fresh needs to know the archive: set fresh_from = "NAME" of an s3 profile in profile {profile!r}{listed}')
    chosen = select(name or archives[0], config=config)
    assert chosen is not None
    return chosen.settings
