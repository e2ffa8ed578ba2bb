"""``-f markdown``: a ticket-ready summary — status line, findings, a compact table of the rows, the windows.

Guarantees:

- Renders as intended in GitHub- and Jira-flavoured Markdown (pipe tables, ``**bold**``); rows of severity
  error are bold, and their error code and message lead the details.
- Long timelines are cut to ``max_rows`` (the first half and the last half), with a line in the table where
  rows were left out and a note saying how many and how to get all of them. **Error rows are never cut.**
- Untrusted data stays text: control and bidi characters become visible escapes, Markdown and HTML syntax
  (``| * _ ` [ ] < > & ~ # !`` and the backslash) is backslash-escaped, so a record cannot break the table,
  add a link or inject HTML; a bare URL, ``www.`` or e-mail address and an ``@name`` stay text on GitHub too
  (the ``@name`` set as code, where GitHub makes no mention).
- Rendered from the timeline's JSON document (``Timeline.to_dict()``); ``findings`` are listed when the
  document has them.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

from ..timestamps import duration_text
from . import RenderOptions
from .describe import (
    SUBJECT_TITLE,
    describe,
    error_text,
    event_ids,
    judged,
    local,
    micros,
    plural,
    robot_path,
    status_text,
    tz_name,
    visible,
)
from .table import resolve_tz

_SPECIAL = re.compile(r"([\\`*\[\]<>|&~#!{}()]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
DETAIL_MAX = 160
ERROR_MAX = 400


# GitHub's autolinks: ``@name`` (a mention, ``@org/team`` too) and the ``@`` of an e-mail address, which become
# code (no mention or mail link is made inside code), ``scheme://`` and ``www.`` (a backslash before the ``:`` or the
# ``.`` stops the link and shows nothing).
_AT_NAME = re.compile(r"@[0-9A-Za-z](?:[0-9A-Za-z_.-]*[0-9A-Za-z_-])?(?:/[0-9A-Za-z](?:[0-9A-Za-z_.-]*[0-9A-Za-z_-])?)?")
_URL_START = re.compile(r"(:)(?=//)|(?i:(?<![0-9A-Za-z])(www)\.)")


def _literal(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    return _URL_START.sub(lambda m: "\\:" if m.group(1) else m.group(2) + "\\.", text)


def md(value: Any) -> str:
    """Untrusted text as literal Markdown inline text (also safe inside a table cell), linking nothing on GitHub:
    a bare URL, ``www.`` address, e-mail address or ``@name`` in event text stays text."""
    text = visible(value if isinstance(value, str) else str(value))
    out, at = [], 0
    for m in _AT_NAME.finditer(text):
        out += [_literal(text[at : m.start()]), f"`{m.group()}`"]
        at = m.end()
    out.append(_literal(text[at:]))
    return "".join(out)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _bold(text: str) -> str:
    return f"**{text}**" if text.strip() else text


def rows_to_show(events: list[dict[str, Any]], limit: int) -> list[int]:
    """Indexes of the rows shown: all of them within ``limit`` (0: no limit); otherwise the first and last
    halves of ``limit`` and every error row."""
    n = len(events)
    if not limit or n <= limit:
        return list(range(n))
    head, tail = (limit + 1) // 2, limit // 2
    keep = set(range(head)) | set(range(n - tail, n))
    keep |= {i for i, ev in enumerate(events) if ev.get("severity") == "error"}
    return sorted(keep)


def write_markdown(doc: dict[str, Any], out: TextIO, o: RenderOptions) -> None:
    tz = resolve_tz(o.tz)
    subject = doc.get("subject") or {}
    summary = doc.get("summary") or {}
    events: list[dict[str, Any]] = doc.get("events") or []
    times = [micros(ev.get("ts")) or 0 for ev in events]
    zone = tz_name(tz, times[0] if times else 0)
    multi_day = len({local(t, tz).date() for t in times}) > 1
    with_ms = any(t % 1_000_000 for t in times)

    def when(us: int, full: bool = False) -> str:
        dt = local(us, tz)
        if full:
            return dt.strftime("%Y-%m-%d %H:%M:%S")
        text = dt.strftime("%m-%d %H:%M:%S" if multi_day else "%H:%M:%S")
        return text + (f".{dt.microsecond // 1000:03d}" if with_ms else "")

    w = out.write
    kind = str(subject.get("kind") or "")
    status = summary.get("status")
    title = f"{SUBJECT_TITLE.get(kind, kind.title())} {md(subject.get('id', ''))}"
    w(f"### {title}" + (f": {status_text(status)}" if status else "") + "\n\n")

    facts = []
    start, end = micros(summary.get("start")), micros(summary.get("end"))
    if start is not None and end is not None:
        same_day = local(start, tz).date() == local(end, tz).date()
        end_text = local(end, tz).strftime("%H:%M:%S") if same_day else when(end, True)
        facts.append(f"{when(start, True)} → {end_text} {md(zone)} ({duration_text((end - start) / 1e6)})")
    robots = robot_path(doc)
    if robots:
        facts.append(f"robots {md(robots)}")
    pilots = summary.get("pilots") or []
    if pilots:
        facts.append(f"pilots {md(', '.join(map(str, pilots)))}")
    rng = doc.get("range") or {}
    lo, hi = micros(rng.get("since")), micros(rng.get("until"))
    if lo is not None or hi is not None:  # the range asked for, both ends (an open one as …)
        facts.append(f"range {when(lo, True) if lo is not None else '…'} → {when(hi, True) if hi is not None else '…'} {md(zone)}")
    if facts:
        w(" · ".join(facts) + "  \n")
    errors, warnings = judged(summary)
    counts = [
        plural(int(summary.get("events") or 0), "event"),
        _bold(plural(errors, "error")) if errors else plural(errors, "error"),
        plural(warnings, "warning"),
        plural(int(summary.get("gaps") or 0), "gap"),
    ]
    if summary.get("reassignments"):
        counts.append(plural(int(summary["reassignments"]), "reassignment"))
    if summary.get("duplicates_removed"):
        counts.append(f"{plural(int(summary['duplicates_removed']), 'duplicate')} removed")
    if summary.get("unplaced"):
        counts.append(f"**{int(summary['unplaced']):,} without a usable timestamp**")
    w(" · ".join(counts) + "\n\n")

    findings = doc.get("findings")
    if findings:
        w("**What stands out**\n\n")
        for f in findings:
            ts = micros(f.get("ts")) if isinstance(f.get("ts"), str) else None
            sev = str(f.get("severity") or "")
            label = _bold(md(sev)) if sev in ("error", "warning") else md(sev)
            w(f"- {label} {when(ts) if ts is not None else ''} {md(f.get('message') or f.get('kind') or '')}".rstrip() + "\n")
        w("\n")

    comparison = doc.get("comparison")
    if comparison:
        w(f"**Beside its twin {md(comparison.get('twin', ''))}** ({md(comparison.get('chosen', ''))})\n\n")
        w("| transition | this | twin | delta |\n|---|---:|---:|---:|\n")
        for step in comparison.get("steps") or []:
            this, twin, delta = step.get("this_s"), step.get("twin_s"), step.get("delta_s")
            shown_delta = "" if delta is None else ("+" if delta >= 0 else "-") + duration_text(abs(float(delta)))
            w(
                f"| {md(step.get('transition', ''))} | {duration_text(float(this or 0))} | "
                f"{'-' if twin is None else duration_text(float(twin))} | {shown_delta} |\n"
            )
        w("\n")

    if events:
        shown = rows_to_show(events, o.max_rows)
        gap_before: dict[int, float] = {}
        for g in doc.get("gaps") or []:
            b = micros(g.get("before"))
            if b is not None:
                gap_before.setdefault(b, float(g.get("seconds") or 0))
        w(f"| # | time ({md(zone)}) | lane | event | ids | details |\n|---:|---|---|---|---|---|\n")
        prev = -1
        for i in shown:
            if i != prev + 1:
                w(f"| … | | | *{plural(i - prev - 1, 'row')} not shown* | | |\n")
            t = times[i]
            if t in gap_before and i and times[i - 1] != t and i - 1 == prev:
                w(f"| | | | *no events for {duration_text(gap_before[t])}* | | |\n")
            ev = events[i]
            payload = ev.get("payload")
            if not isinstance(payload, dict):
                payload = {}
            err = _clip(error_text(ev.get("error")), ERROR_MAX)
            rest = _clip(describe(payload, with_error=False), DETAIL_MAX)
            cells = [str(i + 1), when(t), md(ev.get("lane") or ""), md(ev.get("event") or ""), md(" ".join(event_ids(ev, subject)))]
            if ev.get("severity") == "error":
                cells = [_bold(c) for c in cells]
                details = (_bold(md(err)) + (" " if err and rest else "") + md(rest)).strip()
            else:
                details = (md(err) + (" " if err and rest else "") + md(rest)).strip()
            w("| " + " | ".join(cells + [details]) + " |\n")
            prev = i
        if prev != len(events) - 1:
            w(f"| … | | | *{plural(len(events) - 1 - prev, 'row')} not shown* | | |\n")
        if len(shown) < len(events):
            w(
                f"\n*Showing {len(shown):,} of {len(events):,} rows: the first and last ones and every error. "
                f"`-f csv` or `--max-rows 0` gives all.*\n"
            )
        w("\n")

    windows = doc.get("windows") or []
    if windows:
        w(f"**Windows**\n\n| kind | id | start ({md(zone)}) | end | duration |\n|---|---|---|---|---:|\n")
        for win in windows:
            a, b = micros(win.get("start")), micros(win.get("end"))
            if a is None or b is None:
                continue
            w(f"| {md(win.get('kind'))} | {md(win.get('id'))} | {when(a)} | {when(b)} | {duration_text((b - a) / 1e6)} |\n")
        w("\n")
    unplaced = doc.get("unplaced") or []
    if unplaced:
        w(
            f"*{plural(len(unplaced), 'event')} without a usable timestamp {'is' if len(unplaced) == 1 else 'are'} "
            "not in the table "
            "(`-f json` lists them under `unplaced`).*\n"
        )
