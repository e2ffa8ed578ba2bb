"""The one list widget of ``coco explore``: lines drawn a screen at a time (Textual's line API), a cursor on the
lines that stand for something (a row, an error code, a delivery), keys to move it; and the screens' footer.

The widget holds no text of its own: ``source.text(i)`` makes line ``i`` when it is drawn and ``source.item(i)``
says what it stands for (``None``: a line to skip, such as a gap note). So a list of a million rows costs what
a screenful costs.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer


class Lines(Protocol):
    def __len__(self) -> int: ...

    def text(self, line: int) -> Text: ...

    def item(self, line: int) -> Optional[int]: ...


class ListLines:
    """``Lines`` over a list of ``Text`` and what each stands for."""

    def __init__(self, texts: list[Text], items: list[Optional[int]]) -> None:
        self.texts = texts
        self.items = items

    def __len__(self) -> int:
        return len(self.texts)

    def text(self, line: int) -> Text:
        return self.texts[line]

    def item(self, line: int) -> Optional[int]:
        return self.items[line]


class ViewLines:
    """``Lines`` over a ``view.TimelineView``."""

    def __init__(self, view: Any) -> None:
        self.view = view

    def __len__(self) -> int:
        return len(self.view.lines)

    def text(self, line: int) -> Text:
        return self.view.text(line)

    def item(self, line: int) -> Optional[int]:
        return self.view.item(line)


class LineList(ScrollView, can_focus=True):
    """A list with a cursor. Posts ``Highlighted`` when the cursor moves and ``Selected`` on enter."""

    DEFAULT_CSS = """
    LineList { height: 1fr; overflow-x: hidden; overflow-y: hidden; }
    LineList > .linelist--thumb { color: $accent 60%; }
    LineList > .linelist--cursor { background: $accent 40%; }
    LineList:focus > .linelist--cursor { background: $accent; color: $text; }
    """
    COMPONENT_CLASSES = {"linelist--cursor", "linelist--thumb"}
    BINDINGS = [
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown,space", "page(1)", "page down", show=False),
        Binding("home,g", "edge(0)", "first", show=False),
        Binding("end,G", "edge(1)", "last", show=False),
        Binding("enter", "select", "open"),
    ]

    cursor: reactive[int] = reactive(-1, always_update=True, repaint=False)

    class ItemMessage(Message):
        """A message about one item of the list (``item``: its index, or None)."""

        def __init__(self, widget: LineList, item: Optional[int]) -> None:
            super().__init__()
            self.widget = widget
            self.item = item

        @property
        def control(self) -> LineList:
            return self.widget

    class Highlighted(ItemMessage):
        pass

    class Selected(ItemMessage):
        pass

    def __init__(self, lines: Optional[Lines] = None, *, empty: str = "", id: Optional[str] = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.source: Lines = lines or ListLines([], [])
        self.empty = empty
        self._strips: dict[int, Strip] = {}
        self._center = False
        self._settle: Optional[int] = None  # where to scroll once laid out: -1 the cursor in the middle, else that line
        self._quiet = False
        self.on_select: Optional[Callable[[Optional[int]], None]] = None

    # -- content ----------------------------------------------------------------------------------------

    def show(self, lines: Lines, item: Optional[int] = None, empty: Optional[str] = None, *, select: bool = True) -> None:
        """New lines; the cursor on ``item`` (else on the first line that stands for something; ``select`` false:
        on none), in the middle once the list is laid out (``select`` false: as far as it scrolls now)."""
        self.source = lines
        if empty is not None:
            self.empty = empty
        self._strips.clear()
        # the list's own size does not change with its lines: no layout asked for (it came a frame after the paint)
        self.set_reactive(LineList.virtual_size, Size(self.size.width, len(lines)))
        line = self.line_of(item) if item is not None else None
        self._center = True
        self.cursor = line if line is not None else (self._step(-1, 1) if select else -1)
        self._settle = -1 if select else None
        self.refresh()

    def line_of(self, item: int) -> Optional[int]:
        finder = getattr(self.source, "view", None)
        if finder is not None and hasattr(finder, "line_of"):
            return finder.line_of(item)
        for k in range(len(self.source)):
            if self.source.item(k) == item:
                return k
        return None

    @property
    def item(self) -> Optional[int]:
        """What the cursor's line stands for."""
        if 0 <= self.cursor < len(self.source):
            return self.source.item(self.cursor)
        return None

    def select_item(self, item: Optional[int], center: bool = True) -> bool:
        """The cursor on the line of ``item`` (``None``: on none), scrolled to the middle when ``center``."""
        line = self.line_of(item) if item is not None else -1
        if line is None:
            return False
        self._center = center
        self.cursor = line
        return True

    def centre_cursor(self) -> None:
        """The cursor's line scrolled to the middle, now (nothing happens when it is there already)."""
        if self.cursor >= 0:
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, force=True, x_axis=False, center=True, immediate=True)

    def scroll_to_line(self, line: int) -> None:
        """``line`` at the top, now and again once laid out (``_size_updated``)."""
        self._settle = line
        self.scroll_to(y=line, animate=False, force=True, immediate=True)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        """Laid out, before the paint: new lines (``show``) or a place to go back to (``scroll_to_line``) are scrolled
        to with the size the list has now. A screen whose other parts change with the lines (the findings' box of a
        timeline) changes this list's height in the same layout, and scrolling after the paint painted it twice."""
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if self._settle is not None:
            settle, self._settle = self._settle, None
            self._quiet = True  # the paint that follows this layout draws the list with it: no repaint asked
            try:
                if settle == -1:
                    self.centre_cursor()
                else:
                    self.scroll_to(y=settle, animate=False, force=True, immediate=True)
            finally:
                self._quiet = False
        return changed

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if not self._quiet:
            super().watch_scroll_y(old_value, new_value)

    # -- moving -----------------------------------------------------------------------------------------

    def _step(self, start: int, step: int) -> int:
        """The next line from ``start`` in direction ``step`` that stands for something (``start`` when none)."""
        k = start + step
        while 0 <= k < len(self.source):
            if self.source.item(k) is not None:
                return k
            k += step
        return start if 0 <= start < len(self.source) else -1

    def action_move(self, step: int) -> None:
        self.cursor = self._step(self.cursor, step)

    def action_page(self, step: int) -> None:
        target = max(0, min(len(self.source) - 1, self.cursor + step * max(self.size.height - 1, 1)))
        found = self._step(target - step, step)
        self.cursor = found if found != -1 else self.cursor

    def action_edge(self, end: int) -> None:
        self.cursor = self._step(len(self.source), -1) if end else self._step(-1, 1)

    def action_select(self) -> None:
        self.post_message(self.Selected(self, self.item))

    def watch_cursor(self, old: int, new: int) -> None:
        self._strips.pop(old, None)
        self._strips.pop(new, None)
        if new >= 0:
            self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True, x_axis=False, center=self._center)
        self._center = False
        self.refresh()
        self.post_message(self.Highlighted(self, self.item))

    # -- drawing ----------------------------------------------------------------------------------------

    def on_resize(self) -> None:
        self.set_reactive(LineList.virtual_size, Size(self.size.width, len(self.source)))
        self._strips.clear()

    @property
    def allow_vertical_scroll(self) -> bool:
        """Scrolled (keys, the mouse wheel) when the lines do not fit. The list draws its own scrollbar (``_thumb``):
        Textual's is a widget of its own, and each change of the list's height or of its being shown laid the
        screen out and painted it again a frame or two after the lines."""
        return len(self.source) > self.size.height

    def _thumb(self, y: int) -> Optional[bool]:
        """Line ``y`` of the list's own scrollbar: on the thumb, on its track, or ``None`` when the lines fit."""
        height, total = self.size.height, len(self.source)
        if total <= height or height <= 0:
            return None
        size = max(1, round(height * height / total))
        top = round(self.scroll_offset.y * (height - size) / max(1, total - height))
        return top <= y < top + size

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        line = self.scroll_offset.y + y
        base = self.rich_style
        if not len(self.source):
            said = self.empty.split("\n") if self.empty else []  # a line each
            if y < len(said):
                return Strip([Segment(said[y][:width], base + Style(dim=True, italic=True))]).extend_cell_length(width, base)
            return Strip.blank(width, base)
        self._settle = None  # painted: a later layout keeps the place the engineer scrolled to
        thumb = self._thumb(y)
        room = width - 1 if thumb is not None else width
        if line >= len(self.source):
            strip = Strip.blank(room, base)
        else:
            kept = self._strips.get(line)
            if kept is not None and kept.cell_length == room:
                strip = kept
            else:
                text = self.source.text(line).copy()
                text.truncate(room, overflow="ellipsis", pad=True)
                if line == self.cursor:
                    text.stylize(self.get_component_rich_style("linelist--cursor"), 0, room)
                strip = Strip(text.render(self.app.console), room).adjust_cell_length(room, base)
                if len(self._strips) > 4 * max(self.size.height, 10):
                    self._strips.clear()
                self._strips[line] = strip
        if thumb is None:
            return strip
        bar = self.get_component_rich_style("linelist--thumb")
        return Strip.join([strip, Strip([Segment("┃" if thumb else "│", base + (bar if thumb else Style(dim=True)))], 1)])


class KeysFooter(Footer):
    """Textual's footer, made again only when the keys it shows change. Textual's makes its keys again (a widget
    each, styled and mounted) at every change of focus or of the screen stack, which in ``coco explore`` happen at
    each move while the keys shown stay the same: that was a good part of the time a move took."""

    _shown: Any = None

    def _keys(self) -> Any:
        return tuple(
            (key, b.binding.action, b.binding.description, b.binding.show, b.enabled, b.tooltip)
            for key, b in self.screen.active_bindings.items()
        )

    def compose(self) -> Any:
        self._shown = self._keys() if self._bindings_ready else None
        return super().compose()

    def bindings_changed(self, screen: Any) -> None:
        if self._shown is not None and self.is_attached and screen is self.screen and self._keys() == self._shown:
            return
        super().bindings_changed(screen)
