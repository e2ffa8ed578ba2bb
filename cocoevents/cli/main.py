"""Running the ``coco`` command line: the commands, one failure-to-exit-code path, Unix signal manners.

Contract: data goes to stdout; progress, warnings and errors go to stderr.
Every failure ends here, in ``main``: a ``CocoError`` becomes one line on
stderr and its exit code (timeline rules §8); anything else is a bug - one line,
exit 5, and the traceback only with ``--debug`` (or ``COCO_DEBUG=1``).
Interrupts are not bugs: Ctrl-C (also inside a DuckDB query) is ``coco:
interrupted`` and 130, SIGTERM the same line and 143, after ``finally`` blocks
ran (no ``-o`` temporary file is left behind; the store is transactional). A
reader that goes away (``| head``) ends coco quietly by SIGPIPE, as it ends
``cat`` (the shell shows 141); stdout closed or full is one line and exit 2.
Command modules import heavy libraries inside their functions, so ``coco
--help`` loads neither duckdb, pandas, redshift_connector nor boto3.
"""

from __future__ import annotations

import copy
import errno
import os
import signal
import sys
from typing import Any

import typer
from typer.main import get_command_name

from ..errors import CocoError, ExitCode, NotFound, chain, exit_code_for
from ..textsafe import say
from . import (  # noqa: F401 - each command module registers its commands on ``app``
    baseline_cmd,
    compare_cmd,
    config_cmd,
    deliveries_cmd,
    demo_cmd,
    events_cmd,
    explore_cmd,
    load_cmd,
    store_cmd,
    sync_cmd,
    timeline_cmd,
    warehouse_cmd,
)
from .app import STATE, app, err

# The order ``coco --help`` lists the commands in. Each command module registers its commands on ``app`` when it is
# first imported: a program (or a test) that imported one before this module would otherwise move them to the top.
HELP_ORDER = (
    "baseline",
    "deliveries",
    "errors",
    "compare",
    "doctor",
    "demo",
    "events",
    "explore",
    "load",
    "check",
    "sync",
    "timeline",
    "config",
    "store",
    "warehouse",
)


def _name(command: Any) -> str:
    """The name a registered command is called by on the command line."""
    return command.name or get_command_name(command.callback.__name__ if command.callback else "")


def _rank(name: str) -> int:
    return HELP_ORDER.index(name) if name in HELP_ORDER else len(HELP_ORDER)


app.registered_commands.sort(key=lambda c: _rank(_name(c)))
app.registered_groups.sort(key=lambda g: _rank(g.name or ""))


def app_for(args: list[str]) -> typer.Typer:
    """The app to run ``args`` with: when they name a command (after the root's flags), a copy of ``app`` that
    holds only that command. Typer builds the click parameters of every command it holds, evaluating each
    function's annotations, on every run (~20 ms for the 38 functions here): a ``coco timeline`` needs one.
    The copy behaves the same for that command (its help, usage and errors name it as ``coco CMD``); anything
    else - ``coco --help``, an unknown command, shell completion - gets the whole app."""
    rest = list(args)
    while rest and rest[0] == "--debug":
        rest.pop(0)
    if not rest or rest[0].startswith("-") or any(k.startswith("_COCO_COMPLETE") for k in os.environ):
        return app
    commands = [c for c in app.registered_commands if _name(c) == rest[0]]
    groups = [g for g in app.registered_groups if g.name == rest[0]]
    if not commands and not groups:
        return app
    only = copy.copy(app)
    only.registered_commands, only.registered_groups = commands, groups
    return only


class Interrupted(BaseException):
    """SIGINT or SIGTERM, raised in the main thread (so ``finally`` blocks run). Not ``KeyboardInterrupt``:
    typer turns that into a silent exit 130 before ``main`` could say anything."""


def _on_signal(signum: int, frame: object) -> None:
    STATE["signal"] = signum  # DuckDB may turn the exception below into its own "interrupted" one
    raise Interrupted(signum)


_OUTPUT_ERRORS = {errno.EBADF, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EPIPE}


def _interrupted(e: BaseException) -> int | None:
    """130 for Ctrl-C, 143 for SIGTERM - also when DuckDB turned the signal into its own exception."""
    if STATE.get("signal"):
        return 128 + int(STATE["signal"])  # type: ignore[call-overload]
    for seen in chain(e):
        if (
            isinstance(seen, KeyboardInterrupt)
            or type(seen).__name__ == "InterruptException"
            or (isinstance(seen, RuntimeError) and "Query interrupted" in str(seen))
        ):
            return 128 + signal.SIGINT
    return None


def main(argv: list[str] | None = None) -> int:
    click_exc: Any
    try:  # typer >= 0.2x ships its own copy of click
        from typer._click import exceptions as click_exc
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import exceptions as click_exc

    args = list(sys.argv[1:] if argv is None else argv)
    if sys.stdout is None:  # started with stdout closed (>&-): data has nowhere to go
        err("coco: error: standard output is closed; redirect it to a file or /dev/null")
        return ExitCode.USAGE
    STATE["debug"] = "--debug" in args or os.environ.get("COCO_DEBUG", "") not in ("", "0")
    STATE["searched"], STATE["said"] = None, set()  # this run's source (``options.reading``)
    try:
        result = app_for(args)(args=args, prog_name="coco", standalone_mode=False)
        sys.stdout.flush()  # here, so a full or closed stdout is reported, not lost at exit
        return int(result) if isinstance(result, int) else 0
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort as e:
        code = _interrupted(e)
        err("coco: interrupted" if code else "coco: aborted")
        return code or 130
    except click_exc.ClickException as e:
        if not e.format_message():  # 'coco' alone: the help was printed, nothing else to say
            return ExitCode.USAGE
        err(f"coco: error: {e.format_message()}")
        if isinstance(e, click_exc.UsageError) and e.ctx is not None:
            err(f"Try '{e.ctx.command_path} --help' for help.")
        return ExitCode.USAGE if isinstance(e, click_exc.UsageError) else e.exit_code
    except CocoError as e:
        searched = STATE.get("searched")
        if isinstance(e, NotFound) and searched:  # "nothing found" says where it looked
            err(f"coco: error: {e} (searched the {searched})")
        else:
            err(f"coco: error: {e}")
        return exit_code_for(e)
    except (KeyboardInterrupt, Interrupted) as e:
        err("coco: interrupted")
        return _interrupted(e) or 130
    except BrokenPipeError:  # SIGPIPE is ignored (an embedding program): quiet, and the code a shell shows
        _silence_stdout()
        return 128 + signal.SIGPIPE
    except OSError as e:
        if e.errno not in _OUTPUT_ERRORS:
            return _bug(e)  # environment errors of the store are DuckDB's own types, handled below
        _silence_stdout()
        err(f"coco: error: cannot write the output: {e.strerror or e}")
        return ExitCode.USAGE
    except Exception as e:  # a bug: one line, the traceback only with --debug
        code = _interrupted(e)
        if code:
            err("coco: interrupted")
            return code
        if "_duckdb" in sys.modules or "duckdb" in sys.modules:  # a damaged store, a full disk...: not a bug
            from ..store.connection import environment_error

            known = environment_error(e)
            if known is not None:
                err(f"coco: error: {known}")
                return exit_code_for(known)
        return _bug(e)


def _silence_stdout() -> None:
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's own flush error
    except OSError:
        pass


def _bug(e: BaseException) -> int:
    """A bug: one line, the traceback only with --debug (both redacted)."""
    from ..redact import redact

    if STATE["debug"]:
        import traceback

        say(redact(traceback.format_exc()))
    err(
        redact(
            f"coco: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            + ("" if STATE["debug"] else " (run with --debug for the traceback)")
        )
    )
    return exit_code_for(e)


def run() -> None:
    """The ``coco`` command: Unix signal manners, then ``main``."""
    STATE["leaving"] = True
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # | head: ended quietly by SIGPIPE, like cat and grep
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    _leave(main())


def _leave(code: int) -> None:
    """Exit without the interpreter's teardown, which frees every module and DuckDB's global state one object at
    a time: 15-40 ms of a 0.3 s timeline. Nothing is left to it: ``main`` has returned, so every store, file and
    temporary folder coco opened was closed in its ``finally`` block (a DuckDB store is durable at each commit
    anyway); ``atexit`` handlers (logging, ``weakref.finalize``) still run, and both streams are flushed here."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # started with the stream closed
                stream.flush()
        except (OSError, ValueError):  # main flushed stdout and reported a failure already; nothing more to say
            pass
    os._exit(code)
