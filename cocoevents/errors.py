"""Errors and exit codes: the one place that maps a failure to an exit code (timeline rules §8).

Library code raises these; only the CLI turns them into a line on stderr and an
exit code. Messages are one line and never contain credentials.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Iterator


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    NOT_FOUND = 3
    UNAVAILABLE = 4
    BUG = 5


class CocoError(Exception):
    """Base of every expected failure; ``str()`` is the one-line message."""

    exit_code = ExitCode.BUG


class UsageError(CocoError):
    exit_code = ExitCode.USAGE


class NotFound(CocoError):
    exit_code = ExitCode.NOT_FOUND


class SourceUnavailable(CocoError):
    """No store, store busy, no connection, auth failure, timeout."""

    exit_code = ExitCode.UNAVAILABLE


class StoreBusy(SourceUnavailable):
    pass


def exit_code_for(error: BaseException) -> ExitCode:
    return error.exit_code if isinstance(error, CocoError) else ExitCode.BUG


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, then what it was raised from or while handling (``__cause__``, else ``__context__``), and so on,
    each once: a chain can come back to an exception already seen, and a walk that does not remember loops forever."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
