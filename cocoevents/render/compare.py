"""Rendering ``coco compare`` (``core.compare.Comparison``): ``table``, ``json``, ``csv`` and ``markdown``.

- ``table``: the range and both sides, the noise threshold, then one line per row - score, dimension, value,
  the group's count and share (a transition: its median and number of durations) beside the others' - with a
  rule where the scores fall to the threshold; the rows that restate the filter come last, under their own
  heading. Every string from data goes through ``textsafe.for_terminal``.
- ``json``: the ``coco.compare/1`` document (``cocoevents/schemas/compare.schema.json``).
- ``csv``: one line per row (fields from data neutralised against formulas unless ``csv_raw``).
- ``markdown``: the header and a pipe table, data escaped as in the timeline's Markdown.
"""

from __future__ import annotations

from typing import Callable, Optional, TextIO

from ..core.compare import Comparison, Row
from ..textsafe import for_terminal
from ..timestamps import format_ts
from . import RenderOptions
from .columns import terminal_width, wrap
from .csv_writer import csv_line, neutralise, number
from .describe import tz_name
from .jsontext import dumps
from .markdown import md
from .table import LineWriter, duration_text, local_time, plural, resolve_tz

COMPARE_CSV = (
    "dimension",
    "value",
    "group_n",
    "group_share",
    "group_p50_s",
    "others_n",
    "others_share",
    "others_p50_s",
    "score",
    "above_noise",
    "defining",
)


def deliveries(n: int) -> str:
    return f"{n:,} {'delivery' if n == 1 else 'deliveries'}"


def _share(n: int, share: Optional[float]) -> str:
    return f"{n:,} {100 * share:5.1f}%" if share is not None else f"{n:,}"


def _median(n: int, p50: Optional[float]) -> str:
    return f"p50 {duration_text(p50) if p50 is not None else '-'} n={n:,}"


def cells(r: Row) -> tuple[str, str]:
    """The group's and the others' cell of a row."""
    if r.dimension == "step":
        return _median(r.group_n, r.group_p50_s), _median(r.others_n, r.others_p50_s)
    return _share(r.group_n, r.group_share), _share(r.others_n, r.others_share)


def _filter_text(c: Comparison) -> str:
    return str(c.filters.text())


def _table(c: Comparison, out: TextIO, o: RenderOptions) -> None:
    tz = resolve_tz(o.tz)
    w = LineWriter(out, o.color, o.width)
    threshold = c.threshold
    when = "%Y-%m-%d %H:%M:%S"
    w.line((f"Compare {local_time(c.since, tz).strftime(when)} → {local_time(c.until, tz).strftime(when)} {tz_name(tz, c.since)}", "bold"))
    w.line(("  group   ", "dim"), (for_terminal(_filter_text(c)), "bold"), (f"  {deliveries(c.group_n)}", ""))
    w.line(("  others  ", "dim"), ("fulfilled, not in the group", ""), (f"  {deliveries(c.others_n)}", ""))
    room = terminal_width(out, o.width)  # the terminal's width (none on a pipe): the value gives way first
    noise = f"{threshold:.1f}  (score = -log10 p; over {len(c.rows):,} rows, one above {threshold:.1f} by chance is a 1 in 20 event)"
    for k, text in enumerate(wrap(noise, room, 10)):
        w.line(("  noise   " if k == 0 else " " * 10, "dim"), (text, "dim"))
    shown = c.shown
    explaining = [r for r in shown if not r.defining]
    restating = [r for r in shown if r.defining]
    header = ["SCORE", "DIMENSION", "VALUE", "GROUP", "OTHERS"]
    table = [[f"{r.score:.1f}", r.dimension, for_terminal(r.value), *cells(r)] for r in shown]
    widths = [max([len(h)] + [len(t[i]) for t in table]) for i, h in enumerate(header)]
    if room:
        fixed = sum(widths) - widths[2] + 2 * len(widths)
        widths[2] = max(12, min(widths[2], room - fixed))

    def line(r: Row) -> None:
        score, dim, value, group, others = [f"{r.score:.1f}", r.dimension, for_terminal(r.value), *cells(r)]
        if len(value) > widths[2]:
            value = value[: widths[2] - 1] + "…"
        strong = r.score > threshold and not r.defining
        w.line(
            (score.rjust(widths[0]) + "  ", "bold" if strong else "dim"),
            (dim.ljust(widths[1]) + "  ", "dim"),
            (value.ljust(widths[2]) + "  ", "bold" if strong else ""),
            (group.rjust(widths[3]) + "  ", "red" if strong else ""),
            (others.rjust(widths[4]), ""),
        )

    w.line()
    w.line(*[((h.rjust(widths[i]) if i in (0, 3, 4) else h.ljust(widths[i])) + "  ", "dim") for i, h in enumerate(header)])
    ruled = False
    for r in explaining:
        if not ruled and r.score <= threshold:
            w.line(("  ── noise threshold ", "dim"), (f"{threshold:.1f}", "dim"), (" ──", "dim"))
            ruled = True
        line(r)
    if not explaining:
        w.line(("  (nothing but the rows that restate the filter)", "dim"))
    elif not ruled and c.more == 0:
        w.line(("  ── noise threshold ", "dim"), (f"{threshold:.1f}", "dim"), (" ──", "dim"))
    if restating:
        w.line()
        w.line(("Restating the filter", "bold"), ("  (they separate the sides by definition)", "dim"))
        for r in restating:
            line(r)
    w.line()
    if c.more:
        w.line((f"{len(shown):,} of {len(c.rows):,} rows shown (--limit N, or --limit 0 for all)", "yellow"))
    else:
        w.line((f"{plural(len(shown), 'row')}", "dim"))


def _csv(c: Comparison, out: TextIO, o: RenderOptions) -> None:
    threshold = c.threshold
    out.write(csv_line(COMPARE_CSV))
    for r in c.shown:
        value = r.value if o.csv_raw else neutralise(r.value)
        out.write(
            csv_line(
                [
                    r.dimension,
                    value,
                    str(r.group_n),
                    number(r.group_share),
                    number(r.group_p50_s),
                    str(r.others_n),
                    number(r.others_share),
                    number(r.others_p50_s),
                    number(r.score),
                    "true" if r.score > threshold else "false",
                    "true" if r.defining else "false",
                ]
            )
        )


def _json(c: Comparison, out: TextIO, o: RenderOptions) -> None:
    out.write(dumps(c.to_dict(), indent=2) + "\n")


def _markdown(c: Comparison, out: TextIO, o: RenderOptions) -> None:
    threshold = c.threshold
    out.write(f"### Compare {md(format_ts(c.since))} → {md(format_ts(c.until))}\n\n")
    out.write(f"- **group**: {md(_filter_text(c))} — {deliveries(c.group_n)}\n")
    out.write(f"- **others**: fulfilled, not in the group — {deliveries(c.others_n)}\n")
    out.write(f"- **noise threshold**: {threshold:.1f} (score = −log10 p; Bonferroni over {len(c.rows):,} rows at 5%)\n\n")
    out.write("| score | dimension | value | group | others | |\n|---:|---|---|---:|---:|---|\n")
    for r in c.shown:
        group, others = cells(r)
        mark = "restates the filter" if r.defining else ("**above noise**" if r.score > threshold else "")
        score = f"**{r.score:.1f}**" if r.score > threshold and not r.defining else f"{r.score:.1f}"
        out.write(f"| {score} | {r.dimension} | {md(r.value)} | {md(group)} | {md(others)} | {mark} |\n")
    if c.more:
        out.write(f"\n_{len(c.shown):,} of {len(c.rows):,} rows shown; `--limit 0` lists all._\n")


COMPARE_FORMATS: dict[str, Callable[[Comparison, TextIO, RenderOptions], None]] = {
    "table": _table,
    "csv": _csv,
    "json": _json,
    "markdown": _markdown,
}


def write_comparison(c: Comparison, fmt: str, out: TextIO, options: RenderOptions = RenderOptions()) -> None:
    COMPARE_FORMATS[fmt](c, out, options)
