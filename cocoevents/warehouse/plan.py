"""Planning a load: which archive objects a run should COPY, and the manifest that names them.

Guarantees:

- The window is today's ``dt=`` prefix (UTC) and the ``days`` before it; a late
  file that lands in an older folder inside the window is found on the next run.
- Listing uses boto3's ``list_objects_v2`` paginator, one prefix per day, so a
  folder of any size is listed completely.
- Only compressed archive files are candidates: gzip (``.log.gz``, ``.json.gz``,
  ``.jsonl.gz``, ``.ndjson.gz``) and zstd (the same names ending ``.zst``), non-empty;
  every other key is reported as ignored. The compression is told by the name
  (a listing has no bytes to sniff): COPY takes one compression parameter per
  statement, so a run COPYs each compression through a manifest of its own.
- A key already in the load log is never planned again; the plan is sorted, so
  the same inputs give the same manifest.
- Manifests are written under a prefix outside the data prefix, so they are never
  listed as data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from ..archive.lines import GZIP_SUFFIXES, ZSTD_SUFFIXES
from ..errors import UsageError

PREFIX = re.compile(r"^(?:[A-Za-z0-9_.=-]+/)*$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
MAX_DAYS = 366
# The compressions a run can COPY, in the order their COPY statements run; each is a COPY parameter keyword.
COMPRESSIONS = ("gzip", "zstd")


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    dt: date
    compression: str = "gzip"  # gzip | zstd, from the key's suffix


@dataclass(frozen=True)
class Ignored:
    key: str
    reason: str


@dataclass
class Listing:
    """What the window's prefixes hold: archive objects and keys that are not loadable."""

    prefixes: list[str]
    objects: list[S3Object] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)


@dataclass
class Plan:
    bucket: str
    listing: Listing
    new: list[S3Object]
    already_loaded: list[S3Object]

    def urls(self, compression: str | None = None) -> list[str]:
        return [object_url(self.bucket, o.key) for o in self.new if compression in (None, o.compression)]

    def compressions(self) -> list[str]:
        """The compressions among the new objects, in COPY order (``COMPRESSIONS``)."""
        present = {o.compression for o in self.new}
        return [c for c in COMPRESSIONS if c in present]


def bucket_name(bucket: str) -> str:
    if not isinstance(bucket, str) or not BUCKET.match(bucket) or ".." in bucket:
        raise UsageError(f"invalid bucket name {bucket!r}")
    return bucket


def prefix(value: str, what: str = "prefix") -> str:
    """An S3 prefix: empty, or folders of safe characters each ending in ``/``."""
    if not isinstance(value, str) or not PREFIX.match(value) or {".", ".."} & set(value.split("/")):
        raise UsageError(f"invalid {what} {value!r}: use letters, digits and _ . = - and end it with /")
    return value


def window(days: int, now: datetime | None = None) -> list[date]:
    """The UTC dates from ``days`` ago to today, oldest first."""
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS:
        raise UsageError(f"--days must be an integer from 0 to {MAX_DAYS}")
    today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
    return [today - timedelta(days=n) for n in range(days, -1, -1)]


def dt_prefix(data_prefix: str, day: date) -> str:
    return f"{data_prefix}dt={day.isoformat()}/"


def object_url(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def list_window(s3: Any, bucket: str, data_prefix: str, days: Iterable[date]) -> Listing:
    """List every ``dt=`` prefix of ``days`` in ``bucket`` with the ``list_objects_v2`` paginator."""
    bucket_name(bucket)
    prefix(data_prefix, "data prefix")
    days = list(days)
    listing = Listing(prefixes=[dt_prefix(data_prefix, d) for d in days])
    paginator = s3.get_paginator("list_objects_v2")
    for day, pfx in zip(days, listing.prefixes):
        for page in paginator.paginate(Bucket=bucket, Prefix=pfx):
            for item in page.get("Contents", []):
                key, size = item["Key"], int(item.get("Size", 0))
                if key.endswith("/"):
                    listing.ignored.append(Ignored(key, "folder marker"))
                elif not key.endswith(GZIP_SUFFIXES + ZSTD_SUFFIXES):
                    listing.ignored.append(Ignored(key, "not a gzip or zstd archive file"))
                elif size == 0:
                    listing.ignored.append(Ignored(key, "empty object"))
                else:
                    kind = "zstd" if key.endswith(ZSTD_SUFFIXES) else "gzip"
                    listing.objects.append(S3Object(key, size, day, kind))
    listing.objects.sort(key=lambda o: o.key)
    listing.ignored.sort(key=lambda i: i.key)
    return listing


def plan_load(bucket: str, listing: Listing, loaded_keys: Iterable[str]) -> Plan:
    """Split the listing into objects still to load and objects the load log already holds."""
    loaded = set(loaded_keys)
    new = [o for o in listing.objects if o.key not in loaded]
    old = [o for o in listing.objects if o.key in loaded]
    return Plan(bucket=bucket_name(bucket), listing=listing, new=new, already_loaded=old)


def manifest_document(plan: Plan, compression: str | None = None) -> dict[str, Any]:
    """A COPY manifest: every new object (of ``compression``, or all), mandatory (a vanished file fails the
    load, not skips it)."""
    return {"entries": [{"url": url, "mandatory": True} for url in plan.urls(compression)]}


def manifest_json(plan: Plan, compression: str | None = None) -> str:
    return json.dumps(manifest_document(plan, compression), indent=2) + "\n"


def manifest_key(manifest_prefix: str, run_id: str, compression: str) -> str:
    """``<prefix><run_id>.manifest`` for the gzip objects of a run (the name every run had before zstd),
    ``<prefix><run_id>.zstd.manifest`` for its zstd objects."""
    if compression not in COMPRESSIONS:
        raise ValueError(f"unknown compression {compression!r}")
    return f"{manifest_prefix}{run_id}{'' if compression == 'gzip' else '.' + compression}.manifest"


def check_layout(data_prefix: str, manifest_prefix: str) -> None:
    """Manifests must live outside the listed ``dt=`` prefixes, else a run would list its own manifests."""
    prefix(data_prefix, "data prefix")
    prefix(manifest_prefix, "manifest prefix")
    if not manifest_prefix:
        raise UsageError("the manifest prefix must not be empty (manifests go outside the data prefix)")
    if manifest_prefix.startswith(data_prefix + "dt="):
        raise UsageError(f"manifest prefix {manifest_prefix!r} lies inside the data prefix {data_prefix + 'dt='!r}")
