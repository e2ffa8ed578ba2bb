"""``coco load`` (archive files into the local store) and ``coco check`` (validate without loading)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .app import app, err
from .options import StoreOption, store_path

SHOW_SKIPPED = 10


@app.command()
def load(
    paths: List[str] = typer.Argument(
        ..., metavar="PATH...", help="Archive files or folders (searched recursively), or s3://bucket/prefix/."
    ),
    store: Optional[Path] = StoreOption,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    wait: float = typer.Option(10.0, "--wait", metavar="SECONDS", help="Seconds to wait for another writer to finish a commit."),
    since: Optional[str] = typer.Option(
        None, "--since", metavar="TIME", help="s3:// only: the first dt= day to load (ISO 8601 or 2d ago)."
    ),
    until: Optional[str] = typer.Option(None, "--until", metavar="TIME", help="s3:// only: the last dt= day to load (default: today)."),
    endpoint_url: Optional[str] = typer.Option(
        None, "--endpoint-url", metavar="URL", help="s3:// only: an S3-compatible endpoint (default: AWS)."
    ),
    region: Optional[str] = typer.Option(None, "--region", metavar="REGION", help="s3:// only: AWS region (default: the AWS chain)."),
) -> None:
    """Load event archive files (.log/.json/.jsonl/.ndjson; gzip, zstd or plain) from disk or s3://bucket/prefix/ into the local store.

    From S3, objects already loaded are skipped by key, ETag and size before downloading."""
    from ..store.loader import load as load_store
    from ..textsafe import for_terminal as t

    target = store_path(store)
    s3_extra = ""
    if any(p.startswith("s3://") for p in paths):
        sync = _load_s3(target, paths, since, until, endpoint_url, region, wait)
        report, summary = sync.report, sync.to_dict()
        from ..store.s3_sync import summary_line

        s3_extra = f" (S3: {summary_line(sync)})"
    else:
        from ..errors import UsageError

        if since or until or endpoint_url or region:
            raise UsageError(
                "--since, --until, --endpoint-url and --region pick days and the endpoint of an "
                "s3:// archive; a local folder is loaded whole"
            )
        progress, close = progress_bar()
        try:
            report = load_store(target, paths, wait=wait, progress=progress)
        finally:
            close()
        summary = report.to_dict()
    del report
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    replaced = f", {summary['files_replaced']:,} replaced" if summary["files_replaced"] else ""
    err(
        f"coco: loaded {summary['files_loaded']:,} file(s){replaced}, {summary['files_already_loaded']:,} already loaded, "
        f"{summary['files_damaged']:,} damaged; {summary['events']:,} events, {summary['bad_lines']:,} bad lines "
        f"in {summary['seconds']:.1f}s into {t(summary['store'])}{s3_extra}"
    )
    for f in summary["files"]:
        if f["replaced"]:
            err(f"coco: replaced {t(f['path'])}: it changed since it was loaded; its old events were removed")
    for damaged in summary["damaged"]:
        err(f"coco: warning: {t(damaged['path'])}: {t(damaged['reason'])}; its complete lines were loaded")
    for bad in summary["unsupported"]:
        err(f"coco: warning: {t(bad['path'])}: {bad['reason']}; not loaded")
    _skipped(summary["skipped"])
    if summary["baseline_error"]:
        err(
            f"coco: warning: the events are loaded, but the fleet baseline was not rebuilt ({summary['baseline_error']}): "
            "slow steps are judged by the one from before this load, if any; rebuild it with more memory, e.g. "
            "COCO_MEMORY_LIMIT=2GB coco baseline --rebuild"
        )
    if summary["bad_lines"]:
        err(f"coco: warning: {summary['bad_lines']:,} line(s) skipped (not a JSON object with an event name):")
        for example in summary["bad_line_examples"]:
            err(f"  {t(example)}")


def dt_days(since: Optional[str], until: Optional[str], lookback_us: int) -> list:
    """The ``dt=`` days from ``--since`` to ``--until`` (default: now; ``--since`` defaults to ``lookback_us``
    before the end), for ``coco load s3://`` and ``coco sync``."""
    from ..archive.s3 import days_between
    from ..errors import UsageError
    from ..timestamps import now_us, parse_time_option

    now = now_us()
    try:
        upper = parse_time_option(until, now) if until else now
        lower = parse_time_option(since, now) if since else upper - lookback_us
    except ValueError as e:
        raise UsageError(f"--since/--until: {e}") from None
    if lower > upper:
        raise UsageError("--since is after --until")
    return days_between(lower, upper)


def _load_s3(
    target: Path,
    paths: List[str],
    since: Optional[str],
    until: Optional[str],
    endpoint_url: Optional[str],
    region: Optional[str],
    wait: float,
):
    """``coco load s3://…``: one URL; ``--since/--until`` pick its ``dt=`` days."""
    from ..archive.s3 import endpoint
    from ..errors import UsageError
    from ..store.s3_sync import load_url

    if len(paths) != 1:
        raise UsageError("load one s3:// URL at a time (and local paths in a run of their own)")
    if endpoint_url is not None:
        endpoint_url = endpoint(endpoint_url)
    days = None if since is None and until is None else dt_days(since, until, 0)
    progress, close = progress_bar(bytes_=True)
    try:
        return load_url(target, paths[0], days=days, endpoint_url=endpoint_url, region=region, wait=wait, progress=progress)
    finally:
        close()


def _skipped(skipped: list[dict[str, str]]) -> None:
    """Every path left out, with its reason (the first few on stderr; all of them in --json)."""
    from ..textsafe import for_terminal as t

    if not skipped:
        return
    err(f"coco: skipped {len(skipped):,} path(s):")
    for s in skipped[:SHOW_SKIPPED]:
        err(f"  {t(s['path'])}: {s['reason']}")
    if len(skipped) > SHOW_SKIPPED:
        err(f"  ... and {len(skipped) - SHOW_SKIPPED} more (--json lists them all)")


def progress_bar(bytes_: bool = False):
    """A progress bar on stderr when it is a terminal, counting files (the total known up front), or with
    ``bytes_`` the bytes downloaded from S3."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    if bytes_:
        bar = Progress("downloading", BarColumn(), DownloadColumn(), TimeRemainingColumn(), transient=True, console=Console(stderr=True))
    else:
        bar = Progress(
            "loading", BarColumn(), MofNCompleteColumn(), "files", TimeRemainingColumn(), transient=True, console=Console(stderr=True)
        )
    task = bar.add_task("load", total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar.stop


@app.command()
def check(
    paths: Optional[List[Path]] = typer.Argument(None, metavar="PATH...", help="Archive files or folders."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    registry_file: Optional[Path] = typer.Option(
        None, "--registry", metavar="FILE", help="Compare a TypeScript or Go event registry with coco's instead (exit 1 on any difference)."
    ),
) -> int:
    """Validate archive files against the event registry without loading them (exit 1 on problems);
    with --registry, compare a TypeScript or Go registry file with coco's (exit 1 on any difference)."""
    from ..archive.check import check_paths
    from ..errors import UsageError

    if registry_file is not None:
        if paths:
            raise UsageError("--registry takes no archive paths")
        from ..producers.registry_check import check_registry

        return check_registry(registry_file, as_json)
    if not paths:
        raise UsageError("give archive files or folders to check, or --registry FILE")
    report = check_paths([str(p) for p in paths])
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(report.text())
        _skipped([{"path": p, "reason": r} for p, r in report.skipped])
    return 1 if report.problems else 0
