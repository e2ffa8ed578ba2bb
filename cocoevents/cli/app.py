"""The ``coco`` command line's app: the typer object every command registers on, and the helpers commands share.

Commands (``*_cmd.py``) register themselves on ``app`` and write through ``err``; ``cli.main`` imports them all
and runs the one asked for. Contract: data goes to stdout; progress, warnings and errors go to stderr.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

app = typer.Typer(
    name="coco",
    help="Delivery, robot and pilot timelines from the platform's business events.",
    no_args_is_help=True,
    add_completion=True,  # coco --install-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

STATE: dict[str, object] = {"debug": False, "signal": None}  # set by ``main``: --debug, the signal, leaving by ``run``


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
    STATE["debug"] = debug or STATE["debug"]


def err(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


def close_source(source: Any, *, small: bool) -> None:
    """Close what a command read. Under ``run`` (the process then ends by ``os._exit``), a local store opened
    read-only for a small answer is left open instead: closing it only frees DuckDB's cache, 10-20 ms of a 0.3 s
    timeline, and the process's end frees it anyway. A big answer closes it, to render without the cache's
    memory; a library caller (``main`` alone) always closes."""
    if small and STATE.get("leaving") and getattr(source, "read_only_store", False):
        LEFT_OPEN.append(source)
        return
    source.close()


LEFT_OPEN: list[Any] = []  # sources a small answer leaves to the process's end (``close_source``)
