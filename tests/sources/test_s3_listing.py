"""Listing the archive's ``dt=`` folders (``archive.s3.list_objects``): one request when the days' keys fit a page,
the rest folder by folder, several at a time. S3 is moto's server (real HTTP, real boto3); the requests are seen by a
botocore event hook on the client.
"""

from __future__ import annotations

import gzip
from datetime import date, timedelta
from typing import Any

from cocoevents.archive import s3 as s3_s3
from cocoevents.archive.lines import NOT_ARCHIVE


class Listing:
    """The ``list_objects_v2`` requests an S3 client sends: each one's parameters and the thread that sent it (a
    botocore event hook on the client)."""

    def __init__(self, client: Any) -> None:
        import threading

        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        client.meta.events.register("before-parameter-build.s3.ListObjectsV2", self.sent)

    def sent(self, params: dict[str, Any], **_: Any) -> None:
        import threading

        with self.lock:
            self.requests.append((threading.current_thread().name, dict(params)))

    @property
    def threads(self) -> set[str]:
        return {name for name, _ in self.requests}


def six_days(s3: Any, bucket: str) -> list[date]:
    """Six days' folders of two objects each, a file that is not an archive one, and keys beside the folders that
    listing the six days must leave out (a day not asked, a name that only begins like a folder)."""
    days = [date(2026, 11, 20) + timedelta(days=k) for k in range(6)]
    for day in days:
        for n in (2, 1):
            s3.put_object(Bucket=bucket, Key=f"events/dt={day}/{n}-x.log.gz", Body=gzip.compress(b"{}\n"))
    s3.put_object(Bucket=bucket, Key=f"events/dt={days[0]}/notes.txt", Body=b"not an archive file")
    for key in (f"events/dt={days[2]}x/1-x.log.gz", f"events/dt={days[-1] + timedelta(days=1)}/1-x.log.gz", "events/other/1-x.log.gz"):
        s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(b"{}\n"))
    return days


def listed_as_expected(objects: Any, skipped: Any, days: list[date], bucket: str) -> bool:
    return (
        [o.key for o in objects] == sorted(f"events/dt={d}/{n}-x.log.gz" for d in days for n in (1, 2))
        and [o.day for o in objects] == [d for d in days for _ in (1, 2)]
        and skipped == [(f"s3://{bucket}/events/dt={days[0]}/notes.txt", NOT_ARCHIVE)]
    )


def test_days_of_few_objects_are_listed_in_one_request_and_come_back_in_key_order(s3, bucket) -> None:
    days = six_days(s3, bucket)
    listing = Listing(s3)
    objects, skipped = s3_s3.list_objects(s3, bucket, "events/", days)
    assert listed_as_expected(objects, skipped, days, bucket)
    asked = [{k: v for k, v in params.items() if k != "EncodingType"} for _, params in listing.requests]
    assert asked == [{"Bucket": bucket, "Prefix": "events/dt=", "StartAfter": f"events/dt={days[0]}/", "MaxKeys": s3_s3.PAGE_KEYS}]
    listing.requests.clear()
    assert s3_s3.list_objects(s3, bucket, "events/", days[:1])[0] == objects[:2] and len(listing.requests) == 1


def test_days_of_more_objects_than_a_page_list_the_rest_folder_by_folder_at_the_same_time(s3, bucket, monkeypatch) -> None:
    days = six_days(s3, bucket)
    monkeypatch.setattr(s3_s3, "PAGE_KEYS", 3)  # the first day's three keys fill the first page
    listing = Listing(s3)
    objects, skipped = s3_s3.list_objects(s3, bucket, "events/", days)
    assert listed_as_expected(objects, skipped, days, bucket)
    first, *rest = [params for _, params in listing.requests]
    assert first["MaxKeys"] == 3 and sorted(p["Prefix"] for p in rest) == [f"events/dt={d}/" for d in days]
    assert [p.get("StartAfter") for p in rest if p["Prefix"] == f"events/dt={days[0]}/"] == [f"events/dt={days[0]}/notes.txt"]
    threads = {name for name, params in listing.requests if params is not first}
    assert len(threads) > 1 and all(name.startswith("coco-list") for name in threads)
