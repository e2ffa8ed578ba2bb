"""``coco timeline ID``: the story of a delivery, robot or pilot (timeline rules §2-8)."""

from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

import typer

from ..core.model import KINDS
from ..render import FORMATS
from .app import app, close_source, err
from .options import ColorOption, ProfileOption, StoreOption, WaitOption, choices, open_source, use_color

# The option types are Enums built from the registries' names; mypy, which cannot use a built class as a type,
# sees the Enum they are.
if TYPE_CHECKING:
    Format = Enum
    Kind = Enum
else:
    Format = choices("Format", FORMATS)
    Kind = choices("Kind", KINDS)

SMALL_ANSWER = 20_000  # events: up to this many, the store may stay open until the process ends (close_source)


@app.command()
def timeline(
    subject_id: str = typer.Argument(..., metavar="ID", show_default=False, help="A delivery, robot or pilot id (e.g. D12345, R-7, P-3)."),
    kind: Optional[Kind] = typer.Option(None, "--kind", help="Force the id's kind."),
    since: Optional[str] = typer.Option(
        None, "--since", metavar="TIME", help="Start (ISO 8601, or 2h / 3d ago). Robots and pilots: default 24h before --until."
    ),
    until: Optional[str] = typer.Option(None, "--until", metavar="TIME", help="End (ISO 8601, or 2h / 3d ago). Default: now."),
    fmt: Optional[Format] = typer.Option(
        None,
        "--format",
        "-f",
        show_default=False,
        help="Output format. Default: from the -o suffix (.csv .json .jsonl .html .md), else table.",
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", help="Write to FILE instead of stdout."),
    gap: str = typer.Option("5m", "--gap", metavar="DURATION", help="Silence longer than this is a gap."),
    pad: str = typer.Option("0s", "--pad", metavar="DURATION", help="Widen each robot segment's start by this much."),
    assignment_lookback: str = typer.Option(
        "12h", "--assignment-lookback", metavar="DURATION", help="How far back to look for pilot assignments."
    ),
    tz: str = typer.Option(
        "UTC",
        "--tz",
        metavar="UTC|local|ZONE",
        help="Time zone of the table, and of --since/--until times written without an offset (an IANA name like Europe/Berlin).",
    ),
    color: Optional[bool] = ColorOption,
    max_rows: Optional[int] = typer.Option(
        None,
        "--max-rows",
        metavar="N",
        help="Rows shown at most by table (default 2000) and markdown (default 100; errors are always shown); 0: all.",
    ),
    check: bool = typer.Option(
        False, "--check", help="Exit 1 when a finding is an error or a warning (same as --fail-on errors,warnings)."
    ),
    fail_on: Optional[str] = typer.Option(
        None, "--fail-on", metavar="errors,gaps,warnings", help="Exit 1 on error rows, any gap, or warning/error findings."
    ),
    baseline_min: int = typer.Option(10, "--baseline-min", metavar="N", help="Fleet samples a transition needs to be judged."),
    csv_raw: bool = typer.Option(
        False, "--csv-raw", help="CSV fields exactly as in the data: no ' before a leading = + - @ (for scripts)."
    ),
    store: Optional[Path] = StoreOption,
    profile: Optional[str] = ProfileOption,
    wait: Optional[float] = WaitOption,
    vs: Optional[str] = typer.Option(
        None,
        "--vs",
        metavar="auto|ID",
        help="A delivery beside a twin, transition by transition: auto picks the nearest fulfilled delivery "
        "without warnings that shares its merchant or source; or name a delivery.",
    ),
    fresh: bool = typer.Option(
        False,
        "--fresh",
        help="Redshift: add the archive objects not yet COPYed (the tail "
        "since the last load), read from S3 (profile key fresh_from names the s3 profile).",
    ),
    follow: bool = typer.Option(
        False, "--follow", help="Keep the timeline open and add rows as events arrive (table, csv or jsonl; Ctrl-C stops)."
    ),
    interval: str = typer.Option("5s", "--interval", metavar="DURATION", help="--follow: how often to ask the source for new events."),
    until_done: bool = typer.Option(
        False, "--until-done", help="--follow: stop once the delivery is failed, fulfilled or canceled, exiting as --check would."
    ),
) -> int:
    """Rebuild what happened to a delivery, robot or pilot."""
    from ..core.lookup import build
    from ..core.options import parse_options
    from ..errors import UsageError
    from ..render import DEFAULT_MAX_ROWS, RenderOptions, format_for_output, write

    if fmt is not None:
        fmt_name = str(fmt.value)
    else:
        fmt_name = format_for_output(output)
    if max_rows is None:
        max_rows = DEFAULT_MAX_ROWS.get(fmt_name, 2000)
    if max_rows < 0:
        raise UsageError("--max-rows must be 0 (all) or more")
    failing = _fail_on(check, fail_on)
    opts = parse_options(
        since=since, until=until, gap=gap, pad=pad, assignment_lookback=assignment_lookback, tz=tz, baseline_min=baseline_min
    )
    for note in opts.notes:
        err(f"coco: note: {note}")
    if follow or until_done:
        every = _follow_checks(follow, until_done, interval, until, output, fmt_name)
        return _follow(
            subject_id,
            kind.value if kind else None,
            opts,
            fmt_name,
            RenderOptions(
                color=fmt_name == "table" and use_color(color, to_file=output is not None), tz=tz, max_rows=max_rows, csv_raw=csv_raw
            ),
            every,
            until_done,
            failing,
            lambda: open_source(store, profile, wait, fresh),
        )
    # A big timeline makes millions of objects and no reference cycles: the cyclic collector would
    # only walk them again and again (a third of the time for a million events).
    with _collector_paused():
        source = open_source(store, profile, wait, fresh)
        worked_on: tuple[tuple[str, str], ...] = ()
        result = None
        try:
            result = build(source, subject_id, kind.value if kind else None, opts)
            if vs is not None:
                from ..core.compare import twin_for

                result.comparison = twin_for(source, result, vs, opts)
            if result.kind == "robot" and fmt_name == "table":  # the header lists the robot's deliveries with their status
                from ..core.listings import statuses

                ids = list(dict.fromkeys(r.lane.id for r in result.rows if r.lane.kind == "delivery" and r.lane.id))
                found = statuses(source, ids)
                worked_on = tuple((d, found.get(d, "unknown")) for d in ids)
        finally:
            close_source(source, small=result is not None and len(result.rows) <= SMALL_ANSWER)
        if source.HAS_TAIL:  # --fresh / fresh_from: how many events came from the archive tail
            err(source.tail_note(result))
        if result.id != subject_id:
            err(f"coco: {subject_id} is a demand or offer id of delivery {result.id}")
        _note_baseline(result, source)
        if result.comparison is not None:
            c = result.comparison
            err(f"coco: twin {c.twin} ({c.chosen}): {len(c.steps)} transitions compared")
        if result.unplaced:
            err(f"coco: warning: {len(result.unplaced):,} event(s) without a usable timestamp; listed under 'unplaced', not placed in time")
        options = RenderOptions(
            color=fmt_name == "table" and use_color(color, to_file=output is not None),
            tz=tz,
            max_rows=max_rows,
            csv_raw=csv_raw,
            deliveries=worked_on,
        )
        if output is None:
            write(result, fmt_name, sys.stdout, options)
            sys.stdout.flush()
        else:
            write_file(output, lambda fh: write(result, fmt_name, fh, options))
            err(f"coco: wrote {len(result.rows):,} events to {output}")
        return 1 if failing and result.fails(failing) else 0


def _follow_checks(follow: bool, until_done: bool, interval: str, until: Optional[str], output: Optional[Path], fmt: str) -> float:
    """The usage errors of ``--follow``; the interval in seconds."""
    from ..errors import UsageError
    from ..render.follow import FOLLOW_FORMATS
    from ..timestamps import parse_duration

    if until_done and not follow:
        raise UsageError("--until-done goes with --follow")
    if until is not None:
        raise UsageError("--follow reads up to now: leave out --until")
    if output is not None:
        raise UsageError("--follow writes to standard output (redirect it, or use tee)")
    if fmt not in FOLLOW_FORMATS:
        raise UsageError(f"--follow writes {', '.join(FOLLOW_FORMATS)}, not {fmt}")
    try:
        every = parse_duration(interval) / 1e6
    except ValueError as e:
        raise UsageError(f"--interval: {e}") from None
    if every <= 0:
        raise UsageError("--interval must be more than 0")
    return every


def _follow(subject_id, kind, opts, fmt, options, interval, until_done, failing, opening) -> int:
    """``--follow``: the timeline, then what each poll adds, until Ctrl-C (130) or, with ``--until-done``, a final
    status (then the exit code of ``--check``, or of ``--fail-on`` when given)."""
    import time

    from ..core.follow import Follower, follow_loop
    from ..core.model import CHECK
    from ..errors import UsageError
    from ..render.follow import FollowWriter

    writer = FollowWriter(fmt, sys.stdout, options, err)
    source = opening()
    try:
        follower = Follower(source, subject_id, kind, opts)
        first = follower.start()
        if until_done and follower.kind != "delivery":
            raise UsageError(f"--until-done follows a delivery; {follower.subject_id} is a {follower.kind}")
        if follower.subject_id != subject_id:
            err(f"coco: {subject_id} is a demand or offer id of delivery {follower.subject_id}")
        writer.start(first, following=not (until_done and follower.done))
        follow_loop(follower, interval, writer.update, until_done=until_done, sleep=time.sleep)
    finally:
        source.close()
    assert follower.timeline is not None
    return 1 if follower.timeline.fails(failing or CHECK) else 0


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _fail_on(check: bool, fail_on: Optional[str]) -> tuple[str, ...]:
    """What makes the exit code 1 (findings rules §4): ``--check`` is ``errors,warnings``; both add up."""
    from ..core.model import CHECK, FAIL_ON
    from ..errors import UsageError

    wanted = list(CHECK) if check else []
    for item in (fail_on or "").split(",") if fail_on is not None else []:
        item = item.strip()
        if item not in FAIL_ON:
            raise UsageError(f"--fail-on takes a comma list of {', '.join(FAIL_ON)}, not {item!r}")
        wanted.append(item)
    return tuple(dict.fromkeys(wanted))


def _note_baseline(result, source) -> None:
    """Findings rules §3: a delivery judged without a fleet baseline says so, once. During a load into the store
    the answer holds only what the load committed so far and the baseline comes at its end: that is said instead."""
    loading = source.load_running()
    if loading is not None:
        from ..textsafe import for_terminal as t

        err(
            f"coco: note: a load into {t(str(source.path))} is running (pid {loading}): this answer holds what it has "
            "committed so far, and the fleet baseline is rebuilt when it ends"
        )
    elif result.kind == "delivery" and not result.baseline:
        err(
            "coco: note: no fleet baseline in this source ('coco baseline --rebuild' for the local store, "
            "'coco warehouse baseline' for Redshift): slow steps are not judged and every silence is a warning"
        )


def write_file(path: Path, emit) -> None:
    """Write ``-o FILE``: a regular file atomically (a reader never sees half of it, a failure leaves the
    old one), through a symlink to its target, keeping an existing file's mode; a device or FIFO is
    written in place. Unwritable targets are usage errors with one line."""
    from ..errors import UsageError

    def fail(e: OSError) -> UsageError:
        return UsageError(f"cannot write {path}: {e.strerror or e}")

    target = path.resolve() if path.is_symlink() else path
    if target.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if target.exists() and not target.is_file():
        try:
            with open(target, "w", encoding="utf-8", newline="") as fh:
                emit(fh)
        except OSError as e:
            raise fail(e) from None
        return
    # The temporary file's name is chosen before it is created, so a Ctrl-C or SIGTERM at any point - even
    # between its creation and the next statement (a signal delivered to another thread runs its handler in this
    # one whatever this thread's signal mask) - finds the name the cleanup removes.
    if target.exists():
        mode = target.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    folder = target.parent if str(target.parent) else Path(".")
    import secrets  # only here: it loads OpenSSL (hashlib), ~10 ms of every timeline otherwise

    tmp = str(folder / f".{target.name}.{secrets.token_hex(6)}")
    created = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            os.fchmod(fh.fileno(), mode)
            emit(fh)
        os.replace(tmp, target)
    except BaseException as e:
        if created or not isinstance(e, FileExistsError):  # never another process's file of the same name
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if isinstance(e, OSError):
            raise fail(e) from None
        raise
