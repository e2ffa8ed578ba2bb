"""The ``coco`` command line: thin commands over the library.

Contract: data goes to stdout; progress, warnings and errors go to stderr.
Every failure ends here, in ``main``: a ``CocoError`` becomes one line on
stderr and its exit code (spec section 8); anything else is a bug - one line,
exit 5, and the traceback only with ``--debug`` (or ``COCO_DEBUG=1``).
Command modules import heavy libraries inside their functions, so ``coco
--help`` loads neither duckdb, pandas, redshift_connector nor boto3.
"""

from __future__ import annotations

import os
import sys

import typer

from ..errors import CocoError, ExitCode, exit_code_for

app = typer.Typer(
    name="coco",
    help="Delivery, robot and pilot timelines from the platform's business events.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"coco {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an unexpected failure."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True,
                                 callback=_print_version),
) -> None:
    _state["debug"] = debug or _state["debug"]


def err(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


from . import config_cmd, demo_cmd, events_cmd, load_cmd, timeline_cmd, warehouse_cmd  # noqa: E402,F401,I001
from . import store_cmd  # noqa: E402,F401,I001


def main(argv: list[str] | None = None) -> int:
    try:  # typer >= 0.2x ships its own copy of click
        from typer._click import exceptions as click_exc
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import exceptions as click_exc

    args = list(sys.argv[1:] if argv is None else argv)
    _state["debug"] = "--debug" in args or os.environ.get("COCO_DEBUG", "") not in ("", "0")
    try:
        result = app(args=args, prog_name="coco", standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        err("coco: aborted")
        return 130
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
    except KeyboardInterrupt:
        err("coco: interrupted")
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's own flush error
        except OSError:
            pass
        return 0
    except Exception as e:  # a bug: one line, the traceback only with --debug
        from ..redact import redact

        if "duckdb" in sys.modules:  # a damaged store, a full disk...: the store's one line, not a bug
            from ..store.local import environment_error

            known = environment_error(e)
            if known is not None:
                err(f"coco: error: {known}")
                return exit_code_for(known)

        if _state["debug"]:
            import traceback

            sys.stderr.write(redact(traceback.format_exc()))

        err(redact(f"coco: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                   + ("" if _state["debug"] else " (run with --debug for the traceback)")))
        return exit_code_for(e)


def run() -> None:
    sys.exit(main())
