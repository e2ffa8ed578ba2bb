"""``-f html``: the timeline as one self-contained page — swimlanes in inline SVG, then every event in a table.

Guarantees:

- **Self-contained, no network.** One file: inline CSS, inline SVG, a few lines of inline JavaScript for the
  tooltips. A Content-Security-Policy ``default-src 'none'`` admits only that style and that script (by hash),
  so the page can fetch nothing and run nothing else, even if a record slipped through the escaping.
- **Untrusted data stays text.** Every value from the events goes through ``visible()`` (control and bidi
  characters shown as escapes) and ``html.escape`` (text and attribute contexts alike); no data is ever put in
  a script, a style, a URL or an id (anchors are ``#e<row number>``).
- **Nothing only in a tooltip.** Marks show time, name, ids and error on hover or keyboard focus; the table
  below lists every event with the same facts, and a mark links to its row.
- **Dense timelines stay readable.** Marks closer than their own width in one lane merge into one cluster mark
  with its count (coloured by its worst severity); labels on the picture are placed only where they do not
  overlap one another. A 500-event timeline is about 200 KB.
- Rendered from the timeline's JSON document (``Timeline.to_dict()``), the stable contract; ``findings`` are
  shown when the document has them.
"""

from __future__ import annotations

import base64
import hashlib
import html
from datetime import timedelta, tzinfo
from typing import Any, TextIO

from ..timestamps import duration_text
from . import RenderOptions
from .describe import (
    SUBJECT_TITLE,
    describe,
    error_text,
    event_ids,
    finding_counts_text,
    judged,
    local,
    micros,
    plural,
    robot_path,
    status_text,
    tz_name,
    visible,
)
from .table import offset_text, resolve_tz

# Geometry of the picture, in SVG user units (the SVG scales to the page width).
WIDTH = 1200
LABEL_W = 150
RIGHT = 16
AXIS_H = 24
NOTE_H = 18
LANE_H = 38
LABEL_Y = 9.5  # baseline of the error labels inside a lane, above the marks
MARK_R = 4.5
CHAR_W = 7.2  # a generous width of an 11px sans-serif character (measured in Chromium: at most 7.0-7.3)
MAX_TIP_LINES = 8
HEADER_FINDINGS = 12  # findings listed in the header; more (a robot's day) go below the chart
CLUSTER_SPAN = 22  # widest spread of one cluster's events, in SVG units

SEVERITIES = ("error", "warning", "info")
SEV_CLASS = {"error": "e", "warning": "w", "info": "i"}
STATUS_CLASS = {"failed": "failed", "fulfilled": "fulfilled", "canceled": "canceled", "in_progress": "progress"}
TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)

CSS = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--grid:#d8dee4;--lane:#f6f8fa;--line:#d1d9e0;
--err:#cf222e;--warn:#b35900;--info:#6e7781;--ok:#1a7f37;--prog:#0969da;--robot:#1b7c83;--pilot:#8250df;
--gap:rgba(191,135,0,.13);--gapline:#bf8700;--hl:#fff8c5}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--grid:#30363d;--lane:#151b23;
--line:#3d444d;--err:#ff7b72;--warn:#e3b341;--info:#8b949e;--ok:#3fb950;--prog:#4493f8;--robot:#39c5cf;
--pilot:#bc8cff;--gap:rgba(227,179,65,.12);--gapline:#d29922;--hl:#3b2e00}}
*{box-sizing:border-box}
body{margin:0;padding:16px 20px;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px}
.status{display:inline-block;padding:1px 8px;border-radius:4px;color:#fff;font-size:13px;vertical-align:3px;
letter-spacing:.04em;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.status.failed{background:var(--err)}.status.fulfilled{background:var(--ok)}.status.canceled{background:var(--warn)}
.status.progress{background:var(--prog)}
@media (prefers-color-scheme:dark){.status{color:#0d1117}}
.facts{margin:0;color:var(--muted)}.facts b{color:var(--fg);font-weight:600}
.n-e{color:var(--err);font-weight:600}.n-w{color:var(--warn);font-weight:600}
.findings{margin:6px 0 0;padding-left:20px}.findings li{margin:2px 0}
.sev{display:inline-block;min-width:4.5em;font-size:12px;font-weight:600;text-transform:uppercase}
.sev.e{color:var(--err)}.sev.w{color:var(--warn)}.sev.i{color:var(--info)}
.legend{margin:10px 0 4px;font-size:12px;color:var(--muted);display:flex;flex-wrap:wrap;gap:4px 16px}
.legend span{display:inline-flex;align-items:center;gap:5px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;-webkit-print-color-adjust:exact;
print-color-adjust:exact}
.legend i.bar{width:18px;height:8px;border-radius:2px;opacity:.55}.legend i.gapk{width:18px;border-radius:0;
background:var(--gap);border:1px dashed var(--gapline)}
i.e{background:var(--err)}i.w{background:var(--warn)}i.i{background:var(--info)}i.robot{background:var(--robot)}
i.pilot{background:var(--pilot)}
figure{margin:0;max-width:1500px}svg{display:block;width:100%;height:auto;font:11px system-ui,"Liberation Sans",sans-serif;
-webkit-print-color-adjust:exact;print-color-adjust:exact}
svg text{fill:var(--fg)}svg .muted{fill:var(--muted)}
.lane{fill:var(--lane)}.lane.alt{fill:none}.grid{stroke:var(--grid);stroke-width:1}.sep{stroke:var(--line)}
.bar{opacity:.38}.bar.robot{fill:var(--robot)}.bar.pilot{fill:var(--pilot)}
.vs .twin{fill:var(--muted);opacity:.22}.vs .this{fill:var(--fg);opacity:.8}
.gap{fill:var(--gap);stroke:var(--gapline);stroke-dasharray:3 3;stroke-width:1}.gapt{fill:var(--gapline)}
.gap.usual{fill-opacity:.4;stroke-opacity:.35}
.errt{fill:var(--err);font-size:10px;font-weight:600}
.swap{stroke:var(--fg);stroke-dasharray:2 3;stroke-width:1.2}.swapt{font-weight:600}
a.m circle,a.m rect{stroke:var(--bg);stroke-width:1.5}
a.m.e circle,a.m.e rect{fill:var(--err)}a.m.w circle,a.m.w rect{fill:var(--warn)}a.m.i circle,a.m.i rect{fill:var(--info)}
a.m text{fill:#fff;font-size:10px;font-weight:700;text-anchor:middle;pointer-events:none}
@media (prefers-color-scheme:dark){a.m text{fill:#0d1117}}
a.m:hover circle,a.m:hover rect,a.m:focus circle,a.m:focus rect{stroke:var(--fg);stroke-width:2}
a.m:focus{outline:none}
#tip{position:absolute;z-index:2;max-width:460px;padding:6px 9px;border-radius:6px;background:var(--fg);
color:var(--bg);font-size:12px;line-height:1.4;white-space:pre-line;pointer-events:none;
box-shadow:0 2px 8px rgba(0,0,0,.25)}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{position:sticky;top:0;background:var(--bg)}
td.t,td.o{white-space:nowrap;font-variant-numeric:tabular-nums}td.o{color:var(--muted)}
td.x{overflow-wrap:anywhere}td.nw{white-space:nowrap}
tr.e td{color:var(--err)}tr.e td.n{font-weight:700}tr.w td.n{color:var(--warn);font-weight:600}
tr.gap td{background:var(--gap);color:var(--warn);font-style:italic;text-align:center}
tr:target td{background:var(--hl)}
.note{color:var(--warn)}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--lane:#f4f4f4;--grid:#ccc;--line:#bbb}
body{padding:0;font-size:10pt}#tip{display:none}th{position:static}thead{display:table-header-group}
tr{break-inside:avoid}figure{break-inside:avoid}a{color:inherit;text-decoration:none}}
"""

JS = """(function(){
var tip=document.getElementById('tip');
function show(a){var r=a.getBoundingClientRect();tip.textContent=a.getAttribute('data-tip');tip.hidden=false;
var w=tip.offsetWidth,h=tip.offsetHeight,de=document.documentElement;
var x=Math.max(4,Math.min(r.left+r.width/2-w/2,de.clientWidth-w-4));
var y=r.bottom+6;if(y+h>de.clientHeight&&r.top-h-6>0){y=r.top-h-6;}
tip.style.left=(x+window.scrollX)+'px';tip.style.top=(y+window.scrollY)+'px';}
function hide(){tip.hidden=true;}
document.querySelectorAll('a.m').forEach(function(a){var t=a.querySelector('title');
if(t){a.setAttribute('data-tip',t.textContent);a.setAttribute('aria-label',t.textContent);t.remove();}
a.addEventListener('mouseenter',function(){show(a);});a.addEventListener('focus',function(){show(a);});
a.addEventListener('mouseleave',hide);a.addEventListener('blur',hide);});
document.addEventListener('keydown',function(e){if(e.key==='Escape'){hide();}});
})();"""


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


CSP = f"default-src 'none'; style-src '{_sha256(CSS)}'; script-src '{_sha256(JS)}'; img-src 'none'; base-uri 'none'; form-action 'none'"


def h(value: Any) -> str:
    """Any value as safe HTML text or attribute content."""
    return html.escape(visible(value if isinstance(value, str) else str(value)), quote=True)


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _cell(text: str) -> str:
    """A table cell that keeps a short value on one line (``robot:R-12``) and lets a long one wrap anywhere."""
    return f'<td class="{"nw" if len(text) <= 24 else "x"}">{h(text)}</td>'


# -- the layout -----------------------------------------------------------------------------------------


def lane_rank(lane: str, subject: dict[str, Any]) -> int:
    kind = lane.split(":", 1)[0]
    if lane == "delivery" or lane == f"{subject.get('kind')}:{subject.get('id')}":
        return 0
    return {"delivery": 1, "robot": 2, "pilot": 3}.get(kind, 4)


def lanes_of(doc: dict[str, Any], times: list[int]) -> list[str]:
    """One lane per lane of the timeline (events' lanes and windows' lanes): the subject's first, then
    deliveries, robots, pilots, each in order of first appearance."""
    first: dict[str, int] = {}
    for ev, ts in zip(doc["events"], times):
        lane = str(ev.get("lane") or "")
        first.setdefault(lane, ts)
    for w in doc.get("windows") or []:
        lane = f"{w['kind']}:{w['id']}"
        start = micros(w["start"])
        if start is not None:
            first[lane] = min(first.get(lane, start), start)
    subject = doc.get("subject") or {}
    return sorted(first, key=lambda lane: (lane_rank(lane, subject), first[lane], lane))


class Scale:
    def __init__(self, t0: int, t1: int) -> None:
        span = max(t1 - t0, 60_000_000)
        pad = span * 0.02
        self.t0, self.t1 = t0 - pad, t0 + span + pad
        self.x0, self.x1 = float(LABEL_W), float(WIDTH - RIGHT)

    def x(self, us: float) -> float:
        return self.x0 + (us - self.t0) / (self.t1 - self.t0) * (self.x1 - self.x0)

    def us_per_px(self) -> float:
        return (self.t1 - self.t0) / (self.x1 - self.x0)


def text_w(text: str, char_w: float = CHAR_W) -> float:
    return len(text) * char_w


class Strip:
    """Places labels on one line without overlaps: a label that would overlap one already placed is dropped."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi
        self.taken: list[tuple[float, float]] = []

    def place(self, x: float, width: float, *, sides: tuple[str, ...] = ("centre",)) -> float | None:
        """The centre of the label's box, trying each of ``sides`` of ``x`` in turn; None when none is free."""
        for side in sides:
            left = {"centre": x - width / 2, "left": x - 5 - width, "right": x + 5}[side]
            left = min(max(left, self.lo), self.hi - width)
            right = left + width
            if not any(left < b + 4 and a - 4 < right for a, b in self.taken):
                self.taken.append((left, right))
                return left + width / 2
        return None


def _ticks(scale: Scale, tz: tzinfo) -> list[tuple[int, str]]:
    step = next((s for s in TICK_STEPS_S if s * 1e6 / scale.us_per_px() >= 90), None)
    if step is None:
        step = 86400 * max(1, int(-(-90 * scale.us_per_px() // 86400e6)))
    step_us = step * 1_000_000
    lo, hi = int(scale.t0), int(scale.t1)
    offset = int((local(lo, tz).utcoffset() or timedelta()).total_seconds() * 1e6)
    t = ((lo + offset) // step_us + 1) * step_us - offset  # aligned on the local wall clock
    ticks: list[tuple[int, str]] = []
    last_day = None
    while t <= hi and len(ticks) < 200:
        dt = local(t, tz)
        day = dt.date()
        fmt = "%H:%M:%S" if step < 60 else "%H:%M"
        if step >= 86400 or (last_day is not None and day != last_day):
            fmt = "%b %d" if step >= 86400 else "%b %d %H:%M"
        ticks.append((t, dt.strftime(fmt)))
        last_day = day
        t += step_us
    return ticks


def _cluster(points: list[tuple[float, int]]) -> list[tuple[float, float, list[tuple[float, int]]]]:
    """Greedy clusters of (x, row) in x order, as (left, right, members): a point joins the open cluster when
    its mark would touch it and the cluster stays narrower than ``CLUSTER_SPAN`` (so a busy day becomes a row
    of counts, not one blob). A cluster of several rows is a pill wide enough for its count; a cluster never
    starts before the previous one ends, so no mark or count overlaps another."""
    out: list[tuple[float, float, list[tuple[float, int]]]] = []
    for x, i in points:
        if out:
            left, right, members = out[-1]
            if x - MARK_R <= right + 1.5 and x - members[0][0] <= CLUSTER_SPAN:
                members.append((x, i))
                need = text_w(str(len(members)), 6.2) + 8
                out[-1] = (left, max(right, x + MARK_R, left + need), members)
                continue
        prev_right = out[-1][1] if out else -1e9
        left = max(x - MARK_R, prev_right + 2)
        out.append((left, max(left + 2 * MARK_R, x + MARK_R), [(x, i)]))
    return out


def _worst(severities: list[str]) -> str:
    for s in SEVERITIES:
        if s in severities:
            return s
    return "info"


# -- the page -------------------------------------------------------------------------------------------


class _Page:
    def __init__(self, doc: dict[str, Any], o: RenderOptions) -> None:
        self.doc = doc
        self.tz = resolve_tz(o.tz)
        self.events: list[dict[str, Any]] = doc.get("events") or []
        self.times: list[int] = [micros(ev["ts"]) or 0 for ev in self.events]
        self.subject = doc.get("subject") or {}
        self.summary = doc.get("summary") or {}
        first = self.times[0] if self.times else 0
        self.first = first
        self.zone = tz_name(self.tz, first)
        days = {local(t, self.tz).date() for t in self.times}
        self.multi_day = len(days) > 1

    def when(self, us: int, full: bool = False) -> str:
        dt = local(us, self.tz)
        if full:
            return dt.strftime("%Y-%m-%d %H:%M:%S")
        return dt.strftime("%m-%d %H:%M:%S" if self.multi_day else "%H:%M:%S") + f".{dt.microsecond // 1000:03d}"

    def offset(self, us: int) -> str:
        return offset_text(us - self.first)

    # header ------------------------------------------------------------------------------------------
    def header(self) -> list[str]:
        kind = str(self.subject.get("kind") or "")
        title = f"{SUBJECT_TITLE.get(kind, kind.title())} {self.subject.get('id', '')}"
        out = ["<header>", f"<h1>{h(title)}"]
        status = self.summary.get("status")
        if status:
            out.append(f' <span class="status {STATUS_CLASS.get(status, "progress")}">{h(status_text(status))}</span>')
        out.append("</h1>")
        facts = []
        start, end = micros(self.summary.get("start")), micros(self.summary.get("end"))
        if start is not None and end is not None:
            same_day = local(start, self.tz).date() == local(end, self.tz).date()
            end_text = local(end, self.tz).strftime("%H:%M:%S") if same_day else self.when(end, True)
            facts.append(f"<b>{h(self.when(start, True))} → {h(end_text)} {h(self.zone)}</b> ({h(duration_text((end - start) / 1e6))})")
        robots = robot_path(self.doc)
        if robots:
            facts.append(f"robots <b>{h(robots)}</b>")
        pilots = self.summary.get("pilots") or []
        if pilots:
            facts.append(f"pilots <b>{h(', '.join(map(str, pilots)))}</b>")
        out.append(f'<p class="facts">{" · ".join(facts)}</p>')
        s = self.summary
        counts = [h(plural(int(s.get("events") or 0), "event"))]
        errors, warnings = judged(s)
        counts.append(f'<span class="{"n-e" if errors else ""}">{h(plural(errors, "error"))}</span>')
        counts.append(f'<span class="{"n-w" if warnings else ""}">{h(plural(warnings, "warning"))}</span>')
        counts.append(h(plural(int(s.get("gaps") or 0), "gap")))
        if s.get("reassignments"):
            counts.append(h(plural(int(s["reassignments"]), "reassignment")))
        if s.get("duplicates_removed"):
            counts.append(h(f"{plural(int(s['duplicates_removed']), 'duplicate')} removed"))
        if s.get("unplaced"):
            unplaced = int(s["unplaced"])
            counts.append(f'<span class="n-w">{unplaced:,} unplaced</span>')
        rng = self.doc.get("range") or {}
        if rng.get("since") or rng.get("until"):
            lo, hi = micros(rng.get("since")), micros(rng.get("until"))
            counts.append(
                "range " + h(f"{self.when(lo, True) if lo is not None else '…'} → {self.when(hi, True) if hi is not None else '…'}")
            )
        out.append(f'<p class="facts">{" · ".join(counts)}</p>')
        if self.long_findings():  # the chart first; the header says what the list below it holds
            stands_out = finding_counts_text(self.finding_counts())
            out.append(f'<p class="facts"><a href="#findings">What stands out</a>: {h(stands_out)}, listed below the chart</p>')
        else:
            out += self.findings()
        out.append("</header>")
        return out

    def finding_counts(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in self.doc.get("findings") or []:
            sev = str(f.get("severity"))
            counts[sev] = counts.get(sev, 0) + 1
        return counts

    def long_findings(self) -> bool:
        """More findings than the header holds (a robot's day): they are listed after the chart instead."""
        return len(self.doc.get("findings") or []) > HEADER_FINDINGS

    def comparison(self) -> list[str]:
        """``--vs``: each transition as a bar of its duration, the twin's drawn faintly under it (one scale for
        all), with the figures beside; the biggest difference first, as in the document."""
        c = self.doc.get("comparison")
        if not c:
            return []
        steps = [s for s in c.get("steps") or [] if isinstance(s.get("this_s"), (int, float))]
        out = [f"<h2>Beside its twin {h(c.get('twin', ''))} <small>({h(c.get('chosen', ''))})</small></h2>"]
        if not steps:
            return out + ['<p class="note">No transitions to compare.</p>']
        longest = max(max(float(s["this_s"]), float(s.get("twin_s") or 0)) for s in steps) or 1.0
        left, right, row = 330, 250, 22
        span = WIDTH - left - right
        height = row * len(steps) + 8
        out.append(
            f'<figure><svg class="vs" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="vst" '
            'xmlns="http://www.w3.org/2000/svg"><title id="vst">Each transition of this delivery (solid) beside its twin\'s '
            "(faint, under it)</title>"
        )
        for i, s in enumerate(steps):
            y = 4 + i * row
            this, twin, delta = float(s["this_s"]), s.get("twin_s"), s.get("delta_s")
            name = str(s.get("transition") or "")
            shown = name if len(name) <= 44 else name[:43] + "…"
            out.append(f'<text x="8" y="{y + 14}">{h(shown)}<title>{h(name)}</title></text>')
            if twin is not None:
                out.append(
                    f'<rect class="twin" x="{left}" y="{y + 3}" width="{_n(max(span * float(twin) / longest, 1))}" height="16" rx="3">'
                    f"<title>{h('twin: ' + duration_text(float(twin)))}</title></rect>"
                )
            out.append(
                f'<rect class="this" x="{left}" y="{y + 7}" width="{_n(max(span * this / longest, 1))}" height="8" rx="2">'
                f"<title>{h('this delivery: ' + duration_text(this))}</title></rect>"
            )
            figures = duration_text(this) + (" vs " + duration_text(float(twin)) if twin is not None else " (twin: none)")
            if delta is not None:
                figures += f" ({'+' if delta >= 0 else '-'}{duration_text(abs(float(delta)))})"
            out.append(f'<text class="muted" x="{WIDTH - right + 10}" y="{y + 14}">{h(figures)}</text>')
        out.append("</svg></figure>")
        return out

    def findings(self) -> list[str]:
        findings = self.doc.get("findings")
        if not findings:
            return []
        out = ['<h2 id="findings">What stands out</h2><ol class="findings">']
        for f in findings:
            sev = SEV_CLASS.get(f.get("severity"), "i")
            ts = micros(f.get("ts")) if isinstance(f.get("ts"), str) else None
            when = f"<time>{h(self.when(ts))}</time> " if ts is not None else ""
            refs = [r for r in f.get("refs") or [] if isinstance(r, int) and 0 <= r < len(self.events)]
            links = ", ".join(f'<a href="#e{r}">#{r + 1}</a>' for r in refs[:5])
            out.append(
                f'<li>{when}<span class="sev {sev}">{h(f.get("severity") or "")}</span> '
                f"{h(f.get('message') or f.get('kind') or '')}{f' ({links})' if links else ''}</li>"
            )
        out.append("</ol>")
        return out

    def legend(self) -> str:
        items = ['<span><i class="e"></i>error</span>', '<span><i class="w"></i>warning</span>', '<span><i class="i"></i>info</span>']
        kinds = {w.get("kind") for w in self.doc.get("windows") or []}
        if "robot" in kinds:
            items.append('<span><i class="bar robot"></i>robot on the job</span>')
        if "pilot" in kinds:
            items.append('<span><i class="bar pilot"></i>pilot assigned</span>')
        if self.doc.get("gaps"):
            items.append('<span><i class="gapk"></i>no events (gap)</span>')
        items.append(f"<span>times in {h(self.zone)} · hover or tab to a mark for details; a number is a cluster of events</span>")
        return f'<div class="legend">{"".join(items)}</div>'

    # picture -----------------------------------------------------------------------------------------
    def svg(self) -> list[str]:
        windows = [(w, micros(w.get("start")), micros(w.get("end"))) for w in self.doc.get("windows") or []]
        gaps = [(g, micros(g.get("after")), micros(g.get("before"))) for g in self.doc.get("gaps") or []]
        # The axis spans the events; a window reaching beyond them (a pilot assigned long before) is cut at
        # the edge, its tooltip giving its real times.
        scale = Scale(min(self.times), max(self.times))
        lanes = lanes_of(self.doc, self.times)
        top = AXIS_H + NOTE_H
        height = top + LANE_H * len(lanes) + 6
        lane_y = {lane: top + i * LANE_H for i, lane in enumerate(lanes)}
        out = [
            f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="svgt" '
            f'xmlns="http://www.w3.org/2000/svg"><title id="svgt">{h(self.caption())}</title>'
        ]
        # lanes and their labels
        for i, lane in enumerate(lanes):
            y = lane_y[lane]
            cls = "lane" if i % 2 == 0 else "lane alt"
            out.append(f'<g class="ln" data-lane="{h(lane)}"><rect class="{cls}" x="0" y="{y}" width="{WIDTH}" height="{LANE_H}"/>')
            kind, _, name = lane.partition(":")
            label = f"{kind} {name}" if name else kind
            shown = label if len(label) <= 19 else label[:18] + "…"
            tip = f"<title>{h(label)}</title>" if shown != label else ""
            kind_shown = shown[: len(kind)]
            out.append(
                f'<text x="8" y="{y + LANE_H / 2 + 4}">{tip}<tspan class="muted">{h(kind_shown)}</tspan>{h(shown[len(kind) :])}</text></g>'
            )
        bottom = top + LANE_H * len(lanes)
        # time axis and grid
        axis = Strip(0, WIDTH)
        for t, label in _ticks(scale, self.tz):
            x = scale.x(t)
            if x < scale.x0 or x > scale.x1:
                continue
            out.append(f'<line class="grid" x1="{_n(x)}" x2="{_n(x)}" y1="{AXIS_H - 4}" y2="{bottom}"/>')
            cx = axis.place(x, text_w(label))
            if cx is not None:
                out.append(f'<text class="muted" x="{_n(cx)}" y="{AXIS_H - 9}" text-anchor="middle">{h(label)}</text>')
        out.append(f'<text class="muted" x="8" y="{AXIS_H - 9}">{h(self.zone)}</text>')
        out.append(f'<line class="sep" x1="0" x2="{WIDTH}" y1="{top}" y2="{top}"/>')
        notes = Strip(scale.x0, scale.x1)
        labels: list[str] = []
        # robot swaps (deliveries): a dashed line across the lanes, labelled first so it is never dropped
        if self.subject.get("kind") == "delivery":
            robots = sorted(((a, w) for w, a, b in windows if w.get("kind") == "robot" and a is not None), key=lambda p: p[0])
            for (_, prev), (at, nxt) in zip(robots, robots[1:]):
                if prev.get("id") == nxt.get("id"):
                    continue
                x = scale.x(at)
                text = f"{prev.get('id')} → {nxt.get('id')}"
                out.append(
                    f'<line class="swap" x1="{_n(x)}" x2="{_n(x)}" y1="{AXIS_H}" y2="{bottom}">'
                    f"<title>{h('robot swap ' + text + ' at ' + self.when(at))}</title></line>"
                )
                cx = notes.place(x, text_w(text), sides=("left", "right", "centre"))
                if cx is not None:
                    labels.append(f'<text class="swapt" x="{_n(cx)}" y="{AXIS_H + 13}" text-anchor="middle">{h(text)}</text>')
        # gaps, shaded across all lanes with their duration; a silence the findings call usual (info) more lightly
        usual = {micros(f.get("ts")) for f in self.doc.get("findings") or [] if f.get("kind") == "silence" and f.get("severity") == "info"}
        for g, a, b in gaps:
            if a is None or b is None:
                continue
            x, x2 = scale.x(a), scale.x(b)
            dur = duration_text(float(g.get("seconds") or (b - a) / 1e6))
            out.append(
                f'<rect class="gap{" usual" if a in usual else ""}" x="{_n(x)}" y="{AXIS_H}" width="{_n(max(x2 - x, 1))}" '
                f'height="{bottom - AXIS_H}"><title>{h(f"no events for {dur}: {self.when(a)} → {self.when(b)}")}'
                "</title></rect>"
            )
            cx = notes.place((x + x2) / 2, text_w(dur))
            if cx is not None:
                labels.append(f'<text class="gapt" x="{_n(cx)}" y="{AXIS_H + 13}" text-anchor="middle">{h(dur)}</text>')
        out += labels
        # windows as bars in their lanes
        for w, a, b in windows:
            lane = f"{w.get('kind')}:{w.get('id')}"
            if a is None or b is None or lane not in lane_y:
                continue
            x, x2 = scale.x(max(a, scale.t0)), scale.x(min(b, scale.t1))
            if x2 < x:
                continue
            kind = "robot" if w.get("kind") == "robot" else "pilot"
            bar_y = lane_y[lane] + LANE_H / 2 - 6
            tip = f"{w.get('kind')} {w.get('id')}: {self.when(a)} → {self.when(b)} ({duration_text((b - a) / 1e6)})"
            out.append(
                f'<rect class="bar {kind}" data-id="{h(w.get("id"))}" x="{_n(x)}" y="{_n(bar_y)}" '
                f'width="{_n(max(x2 - x, 2))}" height="12" rx="3"><title>{h(tip)}</title></rect>'
            )
        # events as marks, clustered per lane
        per_lane: dict[str, list[tuple[float, int]]] = {}
        for i, (ev, t) in enumerate(zip(self.events, self.times)):
            per_lane.setdefault(str(ev.get("lane") or ""), []).append((scale.x(t), i))
        for lane, points in per_lane.items():
            cy = lane_y[lane] + LANE_H / 2
            clusters = _cluster(sorted(points))
            for left, right, members in clusters:
                out.append(self.mark(left, right, members, cy))
            out += self.error_labels(clusters, lane_y[lane] + LABEL_Y, scale)
        out.append("</svg>")
        return out

    def error_labels(self, clusters: list[tuple[float, float, list[tuple[float, int]]]], y: float, scale: Scale) -> list[str]:
        """The name (and error code) of a lane's error marks, on a line above its marks, where there is room;
        the earliest errors first."""
        strip = Strip(scale.x0, scale.x1)
        out = []
        for left, right, cluster in clusters:
            errors = [i for _, i in cluster if self.events[i].get("severity") == "error"]
            if not errors:
                continue
            ev = self.events[errors[0]]
            err = ev.get("error")
            code = err.get("code") if isinstance(err, dict) else None
            text = str(ev.get("event")) + (f" {code}" if isinstance(code, (str, int)) and code != "" else "")
            text = text if len(text) <= 40 else text[:39] + "…"
            if len(errors) > 1:
                text += f" +{len(errors) - 1}"
            cx = strip.place((left + right) / 2, text_w(text, 6.9), sides=("centre", "left", "right"))
            if cx is not None:
                out.append(f'<text class="errt" x="{_n(cx)}" y="{_n(y)}" text-anchor="middle">{h(text)}</text>')
        return out

    def caption(self) -> str:
        kind = str(self.subject.get("kind") or "")
        return (
            f"Timeline of {kind} {self.subject.get('id', '')}: one lane per delivery, robot and pilot; "
            "marks are events, bars are robot and pilot windows, shaded bands are gaps"
        )

    def mark(self, left: float, right: float, cluster: list[tuple[float, int]], cy: float) -> str:
        rows = [i for _, i in cluster]
        sev = _worst([str(self.events[i].get("severity")) for i in rows])
        cls = SEV_CLASS[sev]
        if len(rows) == 1:
            i = rows[0]
            r = MARK_R + (1 if sev == "error" else 0)
            tip = self.tip(i)
            shape = f'<circle cx="{_n((left + right) / 2)}" cy="{_n(cy)}" r="{r}"/>'
        else:
            x0, width = left, right - left
            counts = {s: sum(1 for i in rows if self.events[i].get("severity") == s) for s in SEVERITIES}
            head = f"{len(rows):,} events, {self.when(self.times[rows[0]])} → {self.when(self.times[rows[-1]])}"
            head += "".join(f", {n:,} {s}" + ("s" if n > 1 else "") for s, n in counts.items() if n and s != "info")
            lines = [head]
            shown = sorted(
                rows,
                key=lambda i: (
                    SEVERITIES.index(str(self.events[i].get("severity"))) if self.events[i].get("severity") in SEVERITIES else 2,
                    i,
                ),
            )
            for i in sorted(shown[:MAX_TIP_LINES]):
                ev = self.events[i]
                err = error_text(ev.get("error"))
                lines.append(f"{self.when(self.times[i])} {ev.get('event')}" + (f" — {err}" if err else ""))
            if len(rows) > MAX_TIP_LINES:
                lines.append(f"… {len(rows) - MAX_TIP_LINES} more in the table (rows {rows[0] + 1}–{rows[-1] + 1})")
            tip = "\n".join(lines)
            shape = (
                f'<rect x="{_n(x0)}" y="{_n(cy - 7)}" width="{_n(width)}" height="14" rx="7"/>'
                f'<text x="{_n(x0 + width / 2)}" y="{_n(cy + 3.5)}">{len(rows)}</text>'
            )
        return f'<a class="m {cls}" href="#e{rows[0]}" data-rows="{",".join(map(str, rows))}"><title>{h(tip)}</title>{shape}</a>'

    def tip(self, i: int) -> str:
        ev = self.events[i]
        lines = [
            f"{self.when(self.times[i])} {self.zone}  ({self.offset(self.times[i])})",
            f"{ev.get('event')}  [{ev.get('severity')}]",
            f"lane {ev.get('lane')}",
        ]
        ids = [f"{k[:-3]} {ev[k]}" for k in ("delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id") if ev.get(k)]
        if ids:
            lines.append(" · ".join(ids))
        err = error_text(ev.get("error"))
        if err:
            lines.append(f"error {err}")
        return "\n".join(lines)

    # table -------------------------------------------------------------------------------------------
    def table(self) -> list[str]:
        out = [
            f"<h2>All {h(plural(len(self.events), 'event'))}</h2>",
            '<table id="events"><thead><tr><th>#</th><th>time</th><th>+</th><th>lane</th><th>event</th>'
            "<th>ids</th><th>details</th></tr></thead><tbody>",
        ]
        gap_rows: dict[int, float] = {}
        for g in self.doc.get("gaps") or []:
            b = micros(g.get("before"))
            if b is not None:
                gap_rows.setdefault(b, float(g.get("seconds") or 0))
        for i, (ev, t) in enumerate(zip(self.events, self.times)):
            if t in gap_rows and (i == 0 or self.times[i - 1] != t):
                out.append(f'<tr class="gap"><td colspan="7">no events for {h(duration_text(gap_rows[t]))}</td></tr>')
            sev = SEV_CLASS.get(str(ev.get("severity")), "i")
            payload = ev.get("payload")
            if not isinstance(payload, dict):
                payload = {}
            err = error_text(ev.get("error"))
            rest = describe(payload, with_error=False)
            details = (f"<b>{h(err)}</b>" if err else "") + ("  " if err and rest else "") + h(rest)
            out.append(
                f'<tr id="e{i}" class="{sev}"><td class="o">{i + 1}</td><td class="t">{h(self.when(t))}</td>'
                f'<td class="o">{h(self.offset(t))}</td>{_cell(str(ev.get("lane")))}'
                f'<td class="n x">{h(ev.get("event"))}</td>{_cell(" ".join(event_ids(ev, self.subject)))}'
                f'<td class="x">{details}</td></tr>'
            )
        out.append("</tbody></table>")
        return out

    def unplaced(self) -> list[str]:
        records = self.doc.get("unplaced") or []
        if not records:
            return []
        import json

        out = [f'<h2 class="note">{h(plural(len(records), "event"))} without a usable timestamp (not placed in time)</h2><ul>']
        for rec in records:
            out.append(f"<li><code>{h(json.dumps(rec, ensure_ascii=False, default=str)[:2000])}</code></li>")
        out.append("</ul>")
        return out

    def render(self) -> str:
        kind = str(self.subject.get("kind") or "")
        title = f"{SUBJECT_TITLE.get(kind, kind.title())} {self.subject.get('id', '')}"
        status = status_text(self.summary.get("status"))
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="color-scheme" content="light dark">',
            f"<title>{h(title + (' — ' + status if status else ''))} · coco timeline</title>",
            f"<style>{CSS}</style></head><body>",
        ]
        parts += self.header()
        if self.events:
            parts.append(self.legend())
            parts.append("<figure>")
            parts += self.svg()
            parts.append("</figure>")
            if self.long_findings():
                parts += self.findings()
            parts += self.comparison()
            parts += self.table()
        else:
            parts.append('<p class="note">No events with a usable timestamp.</p>')
        parts += self.unplaced()
        parts.append('<div id="tip" role="tooltip" hidden></div>')
        parts.append(f"<script>{JS}</script></body></html>")
        return "\n".join(parts) + "\n"


def write_html(doc: dict[str, Any], out: TextIO, o: RenderOptions) -> None:
    out.write(_Page(doc, o).render())
