"""The ``coco`` command line: thin commands over the library.

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

from ..errors import CocoError, ExitCode, exit_code_for

app = typer.Typer(
    name="coco",
    help="Delivery, robot and pilot timelines from the platform's business events.",
    no_args_is_help=True,
    add_completion=True,  # coco --install-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state: dict[str, object] = {"debug": False, "signal": None}


def _quiet_help_types() -> None:
    """``--help`` without typer's ``<bool>`` after flags, ``<str>`` after an argument and ``{ID}`` for a
    required argument: options say what they take through their metavars, choices list themselves, an
    argument's name says it (ID, PATH...). Both typer layouts: 0.29 (``display_type_rich``) and 0.28, which
    already hides ``<bool>``, prints an argument's type from ``param.type.get_metavar()`` and its usage from
    ``make_metavar(usage=True)``."""
    try:
        from typer.core import TyperArgument, TyperOption
    except ImportError:  # pragma: no cover - another typer layout: its own help style stays
        return
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is not None:  # typer 0.29
        TyperOption.display_type_rich = lambda self, ctx: None if self.is_flag else shown(self, ctx)  # type: ignore
        TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore
        usage = getattr(TyperArgument, "_usage_display_name", None)
        if usage is not None:
            TyperArgument._usage_display_name = lambda self: usage(self).replace("{", "").replace("}", "")  # type: ignore
        return
    try:  # typer 0.28
        from typer._click.types import ParamType
    except ImportError:  # pragma: no cover
        return
    metavar, type_metavar = TyperArgument.make_metavar, ParamType.get_metavar

    def make_metavar(self, ctx, *, usage: bool = False):  # type: ignore[no-untyped-def]
        shown = metavar(self, ctx, usage=usage)
        return shown[1:-1] if usage and shown.startswith("{") and shown.endswith("}") else shown

    def get_metavar(self, param, ctx):  # type: ignore[no-untyped-def]  # "": no '<str>' column for an argument
        return "" if isinstance(param, TyperArgument) else type_metavar(self, param, ctx)

    TyperArgument.make_metavar = make_metavar  # type: ignore[method-assign]
    ParamType.get_metavar = get_metavar  # type: ignore[method-assign]


_quiet_help_types()


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"coco {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an unexpected failure."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True, callback=_print_version),
) -> None:
    _state["debug"] = debug or _state["debug"]


def err(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


def close_source(source: Any, *, small: bool) -> None:
    """Close what a command read. Under ``run`` (the process then ends by ``os._exit``), a local store opened
    read-only for a small answer is left open instead: closing it only frees DuckDB's cache, 10-20 ms of a 0.3 s
    timeline, and the process's end frees it anyway. A big answer closes it, to render without the cache's
    memory; a library caller (``main`` alone) always closes."""
    if small and _state.get("leaving") and getattr(source, "read_only_store", False):
        _left_open.append(source)
        return
    source.close()


_left_open: list[Any] = []


from . import baseline_cmd, config_cmd, deliveries_cmd, demo_cmd, events_cmd, load_cmd, timeline_cmd, warehouse_cmd  # noqa: E402,F401,I001
from . import store_cmd  # noqa: E402,F401,I001
from . import sync_cmd  # noqa: E402,F401,I001
from . import explore_cmd  # noqa: E402,F401,I001


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
    from typer.main import get_command_name

    commands = [c for c in app.registered_commands if (c.name or get_command_name(c.callback.__name__ if c.callback else "")) == rest[0]]
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
    _state["signal"] = signum  # DuckDB may turn the exception below into its own "interrupted" one
    raise Interrupted(signum)


_OUTPUT_ERRORS = {errno.EBADF, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EPIPE}


def _interrupted(e: BaseException) -> int | None:
    """130 for Ctrl-C, 143 for SIGTERM - also when DuckDB turned the signal into its own exception."""
    if _state.get("signal"):
        return 128 + int(_state["signal"])  # type: ignore[call-overload]
    seen: BaseException | None = e
    while seen is not None:
        if (
            isinstance(seen, KeyboardInterrupt)
            or type(seen).__name__ == "InterruptException"
            or (isinstance(seen, RuntimeError) and "Query interrupted" in str(seen))
        ):
            return 128 + signal.SIGINT
        seen = seen.__cause__ or seen.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    try:  # typer >= 0.2x ships its own copy of click
        from typer._click import exceptions as click_exc
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import exceptions as click_exc

    args = list(sys.argv[1:] if argv is None else argv)
    if sys.stdout is None:  # started with stdout closed (>&-): data has nowhere to go
        err("coco: error: standard output is closed; redirect it to a file or /dev/null")
        return ExitCode.USAGE
    _state["debug"] = "--debug" in args or os.environ.get("COCO_DEBUG", "") not in ("", "0")
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

    if _state["debug"]:
        import traceback

        sys.stderr.write(redact(traceback.format_exc()))
    err(
        redact(
            f"coco: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            + ("" if _state["debug"] else " (run with --debug for the traceback)")
        )
    )
    return exit_code_for(e)


def run() -> None:
    """The ``coco`` command: Unix signal manners, then ``main``."""
    _state["leaving"] = True
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
