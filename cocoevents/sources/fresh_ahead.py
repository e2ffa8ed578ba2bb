"""The archive's tail listed ahead, in a child process, for ``coco timeline ID --profile P [--fresh]``.

A ``--fresh`` repeat is mostly start-up: the command line's imports, connecting to Redshift (whose driver imports
boto3), making the S3 client (botocore parsing S3's service model) and one listing request. In one process these
take turns under the interpreter's lock. ``start`` forks before the command line is imported (the console script,
``cli.launch``): the child resolves the profile with coco's own code, and when it reads the archive's tail (a
Redshift profile with ``--fresh`` or ``fresh_from``) makes the S3 client and lists the ``dt=`` folders of a question
without ``--since``/``--until`` (``fresh.tail_days``) on the machine's other core, and writes the objects to a pipe.

``taken`` gives that listing to ``fresh.EarlyListing`` when it is the one the command needs (the same archive
settings, the same days), once; anything else - no child, another profile, other days, a child that failed or
died - and the command lists as it always did. An S3 failure comes back as its one line (``SourceUnavailable``,
already without credentials) so it is not waited for twice. The child's standard streams are ``/dev/null``: it
prints nothing, and holds no pipe of the caller open. This module imports nothing heavy.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

_pending: dict[str, Any] = {}


def start(profile: str, fresh: bool) -> bool:
    """Fork the child that lists the tail of ``profile`` (``fresh``: ``--fresh`` given); whether one started."""
    if _pending or not hasattr(os, "fork"):
        return False
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(read)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            import signal

            signal.signal(signal.SIGINT, signal.SIG_DFL)  # an interrupt of the command ends it quietly
            answer = _listing(profile, fresh)
            with os.fdopen(write, "wb") as out:
                out.write(json.dumps(answer).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    _pending.update(pid=pid, fd=read)
    return True


def pending() -> bool:
    """Whether a child's listing waits to be taken (``taken``)."""
    return "fd" in _pending


def _listing(profile: str, fresh: bool) -> Optional[dict[str, Any]]:
    """In the child: the tail's listing of ``profile`` as the command would make it (``fresh_connecting``), or its
    S3 error's line; ``None`` when the profile reads no tail."""
    from ..archive.s3 import list_objects
    from ..errors import SourceUnavailable
    from ..timestamps import now_us
    from . import resolve
    from .fresh import tail_days
    from .s3 import archive_profile, settings_client

    resolved = resolve(profile, None)
    if resolved.kind != "redshift":
        return None
    settings = resolved.settings
    if not (fresh or settings.fresh or settings.fresh_from):
        return None
    archive = archive_profile(settings.fresh_from, settings.name)
    at = now_us()
    days = tail_days(at - settings.lookback_us, at)
    answer: dict[str, Any] = {"archive": where(archive), "days": [d.isoformat() for d in days]}
    try:
        objects = list_objects(settings_client(archive), archive.bucket, archive.prefix, days, archive.endpoint_url)[0]
    except SourceUnavailable as e:
        if type(e) is not SourceUnavailable:
            raise  # the command meets it again and says it as it always does
        answer["error"] = str(e)
        return answer
    answer["objects"] = [[o.key, o.size, o.etag, o.day.isoformat() if o.day else None] for o in objects]
    return answer


def where(archive: Any) -> list[Any]:
    """What of an ``s3`` profile's settings a listing depends on."""
    return [archive.bucket, archive.prefix, archive.endpoint_url, archive.region, archive.aws_profile]


def taken(archive: Any, days: list[Any]) -> Optional[tuple[Optional[str], list[Any]]]:
    """The child's listing for ``archive`` and ``days`` - ``(None, objects)``, or ``(its S3 error's line, [])`` -
    once, waiting for the child; ``None`` when there is none for these."""
    fd, pid = _pending.pop("fd", None), _pending.pop("pid", None)
    if fd is None:
        return None
    try:
        with os.fdopen(fd, "rb") as pipe:
            data = pipe.read()
    finally:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    try:
        answer = json.loads(data) if data else None
    except ValueError:
        return None
    if not answer or answer["archive"] != where(archive) or answer["days"] != [d.isoformat() for d in days]:
        return None
    if "error" in answer:
        return answer["error"], []
    from datetime import date

    from ..archive.s3 import S3Object

    return None, [S3Object(k, size, etag, date.fromisoformat(day) if day else None) for k, size, etag, day in answer["objects"]]


NOT_AHEAD = ("--help", "-h", "--since", "--until", "--follow", "--store")  # other days, or not the tail's question


def fresh_ahead(args: list[str]) -> bool:
    """``coco timeline ... --profile P`` (or ``COCO_PROFILE``) without ``--since``/``--until``/``--follow``/``--store``:
    start the child (``start``); whether it started. The child itself finds out whether the profile reads a tail."""
    rest = [a for a in args if a != "--debug"]
    if not rest or rest[0] != "timeline":
        return False
    profile: Optional[str] = os.environ.get("COCO_PROFILE") or None
    fresh = False
    for k, arg in enumerate(rest):
        if arg in NOT_AHEAD or arg.startswith(tuple(f"{n}=" for n in NOT_AHEAD)):
            return False
        if arg == "--profile" and k + 1 < len(rest):
            profile = rest[k + 1]
        elif arg.startswith("--profile="):
            profile = arg[len("--profile=") :]
        elif arg == "--fresh":
            fresh = True
    return profile is not None and start(profile, fresh)
