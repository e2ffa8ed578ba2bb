"""Fitting text to the terminal: tables whose rows never wrap, and long lines wrapped at words.

A table (``coco errors``, ``coco deliveries``, ``coco baseline``, ``coco store files``) declares its columns and
a *plan*: the order in which it gives up detail when the terminal is too narrow - shorter headers, a compact
form of a column (a time without its year), then whole detail columns dropped. ``fit`` applies the plan one
step at a time until the table fits, clipping the columns that allow it (``…``) only as the last resort; the
columns a row is about (an id, a time, an event name, an error code) are never cut and never dropped. Without a
known width (a pipe and no ``COLUMNS``) nothing is fitted: scripts get every column whole.

Widths count characters: every string reaching here was escaped (``textsafe``) and the few symbols coco adds
(``→ ✖ · …``) are one column wide in terminals.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, TextIO

Cell = tuple[str, str]  # (text, style)
GAP = 2  # spaces between columns


def terminal_width(out: TextIO, width: Optional[int] = None) -> Optional[int]:
    """The width to fit: ``width`` when given, else ``COLUMNS``, else the terminal's when ``out`` is one;
    ``None`` on a pipe (nothing is fitted)."""
    if width:
        return width
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


@dataclass(frozen=True)
class Column:
    header: str
    short: str = ""  # the header when room is short ("": the header)
    right: bool = False
    clip: Optional[int] = None  # the narrowest it may be clipped to (with …); None: never cut
    clip_left: bool = False  # clipped at its start (a path, whose end names the file)
    compact: Optional[Callable[[str], str]] = None  # a shorter form of every cell (a time without its year)
    items: bool = False  # a list ("a, b, c"): clipped to its first whole items and a count ("a +2"), never inside one


SEP = ", "


def first_items(text: str, width: int, sep: str = SEP) -> str:
    """A list ``a, b, c`` in ``width`` characters: as many whole items as fit, then how many more (``a, b +1``);
    the first item stays whole even when it alone is wider (an error code is never cut)."""
    items = text.split(sep)
    for n in range(len(items), 0, -1):
        shown = sep.join(items[:n]) + (f" +{len(items) - n}" if n < len(items) else "")
        if len(shown) <= width or n == 1:
            return shown
    return text


def narrowest_list(text: str) -> int:
    """The width a list needs at its narrowest: its first item and the count of the others."""
    return len(first_items(text, 0))


@dataclass
class Layout:
    """What ``fit`` decided: the columns kept (by index), their headers and widths, the ones compacted."""

    columns: Sequence[Column]
    kept: list[int]
    widths: dict[int, int]
    short: bool = False
    compacted: set[int] = field(default_factory=set)

    def header(self) -> list[str]:
        return [
            self._pad(i, (self.columns[i].short or self.columns[i].header) if self.short else self.columns[i].header) for i in self.kept
        ]

    def cells(self, row: Sequence[Cell]) -> list[Cell]:
        return [(self._pad(i, self._text(i, row[i][0])), row[i][1]) for i in self.kept]

    def _text(self, i: int, text: str) -> str:
        column = self.columns[i]
        if i in self.compacted and column.compact is not None:
            text = column.compact(text)
        width = self.widths[i]
        if len(text) <= width:
            return text
        if column.items:
            return first_items(text, width)
        if column.clip_left:
            return "…" + text[len(text) - width + 1 :]
        return text[: width - 1] + "…"

    def _pad(self, i: int, text: str) -> str:
        text = text[: self.widths[i]] if len(text) > self.widths[i] else text
        return text.rjust(self.widths[i]) if self.columns[i].right else text.ljust(self.widths[i])


Step = tuple[str, int]  # ("short", -1) | ("compact", column) | ("drop", column)


def fit(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: Optional[int], plan: Sequence[Step] = ()) -> Layout:
    """The layout of ``rows`` under ``columns`` within ``width`` characters: ``plan``'s steps are taken in order
    until the table fits - whole, or, before a column is dropped, with its clippable columns at their narrowest;
    those then get the room left, up to their natural width. A table that cannot fit even so keeps what the plan
    could not drop (and is wider)."""
    state = Layout(columns, list(range(len(columns))), {})

    def natural(i: int) -> int:
        c = columns[i]
        head = (c.short or c.header) if state.short else c.header
        texts = [r[i][0] for r in rows]
        if i in state.compacted and c.compact is not None:
            texts = [c.compact(t) for t in texts]
        return max([len(head), *map(len, texts)])

    def narrowest(i: int) -> int:
        c = columns[i]
        head = len((c.short or c.header) if state.short else c.header)
        if c.items:
            return min(natural(i), max([head, *(narrowest_list(r[i][0]) for r in rows)]))
        return natural(i) if c.clip is None else min(natural(i), max(c.clip, head))

    def total(width_of: Callable[[int], int]) -> int:
        return sum(width_of(i) for i in state.kept) + GAP * (len(state.kept) - 1)

    if width is not None:
        for action, i in plan:
            if total(natural) <= width or (action == "drop" and total(narrowest) <= width):
                break  # it fits; or clipping what may be clipped makes it fit, which keeps more than a drop
            if action == "short":
                state.short = True
            elif action == "compact":
                state.compacted.add(i)
            elif action == "drop" and i in state.kept and len(state.kept) > 1:
                state.kept.remove(i)
    state.widths = {i: natural(i) for i in state.kept}
    if width is not None:
        excess = total(state.widths.__getitem__) - width
        for i in reversed(state.kept):  # the rightmost clippable column gives way first
            if excess <= 0:
                break
            give = min(excess, state.widths[i] - narrowest(i))
            state.widths[i] -= give
            excess -= give
            if give and columns[i].items:  # a list clipped at an item's end may need less than it was given
                state.widths[i] = max([len(columns[i].header), *(len(first_items(r[i][0], state.widths[i])) for r in rows)])
    return state


def wrap(text: str, width: Optional[int], indent: int) -> list[str]:
    """``text`` as lines of at most ``width - indent`` characters, broken at spaces (a word longer than a line
    is broken inside); one line when the width is unknown or the room is too small to help."""
    room = (width or 0) - indent
    if width is None or room < 20 or len(text) <= room:
        return [text]
    return textwrap.wrap(text, room, break_on_hyphens=False) or [text]
