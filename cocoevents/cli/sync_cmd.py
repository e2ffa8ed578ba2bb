"""``coco sync``: bring the days of an ``s3`` profile's archive into its cache store (cron, or before going offline)."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from .app import app, err
from .options import ProfileOption


@app.command()
def sync(
    profile: Optional[str] = ProfileOption,
    since: Optional[str] = typer.Option(
        None, "--since", metavar="TIME", help="First dt= day (ISO 8601 or 2d ago). Default: the profile's lookback."
    ),
    until: Optional[str] = typer.Option(None, "--until", metavar="TIME", help="Last dt= day. Default: today."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    wait: float = typer.Option(10.0, "--wait", metavar="SECONDS", help="Seconds to wait for another writer of the cache store."),
) -> None:
    """Sync an s3 profile's archive days into its cache store: new and changed objects only."""
    from ..errors import UsageError
    from ..sources import resolve, s3
    from ..store.s3_sync import summary_line
    from ..textsafe import for_terminal as t
    from .load_cmd import dt_days, progress_bar

    chosen = resolve(profile, None)
    if chosen.kind != "s3":
        name = f"profile {chosen.profile!r}" if chosen.profile else "the default source"
        raise UsageError(f"coco sync reads an s3 profile; {name} is a {chosen.kind} source (--profile NAME)")
    settings = chosen.settings
    days = dt_days(since, until, settings.lookback_us)
    progress, close = progress_bar(bytes_=True)
    try:
        result = s3.sync_days(settings, days, wait=wait, progress=progress)
    finally:
        close()
    summary = result.to_dict()
    summary["days"] = [d.isoformat() for d in days]
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    report = result.report
    err(
        f"coco: synced {t(settings.url)} {days[0]}..{days[-1]} into {t(str(settings.path))}: {summary_line(result)}; "
        f"loaded {summary['files_loaded']:,} file(s), {summary['files_damaged']:,} damaged, {report.events:,} events "
        f"in {summary['seconds']:.1f}s"
    )
    for damaged in summary["damaged"]:
        err(f"coco: warning: {t(damaged['path'])}: {t(damaged['reason'])}; its complete lines were loaded")
    for bad in summary["unsupported"]:
        err(f"coco: warning: {t(bad['path'])}: {bad['reason']}; not loaded")
    for path, reason in report.skipped[:10]:
        err(f"coco: skipped {t(path)}: {reason}")
