"""`-f markdown` as it lands in a ticket: rendered by a Markdown library (markdown-it-py, GFM tables), then read
back as HTML."""

from __future__ import annotations

import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

import cocoevents
from cocoevents.render import RenderOptions, write
from cocoevents.render.markdown import md

from ..support.cli import run_coco
from ..support.golden import golden
from ..support.timelines import HOSTILE_MESSAGE, HOSTILE_NAME, HOSTILE_PILOT, HOSTILE_ROBOT, T0, hostile_records, iso


class Tables(HTMLParser):
    """The tables of an HTML page as rows of (text, bold?) cells, plus every tag seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, bool]]]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._bold = False
        self._cell_bold = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._cell_bold = [], False
        elif tag == "strong":
            self._bold = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(("".join(self._cell), self._cell_bold))
            self._cell = None
        elif tag == "strong":
            self._bold = False

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
            self._cell_bold = self._cell_bold or (self._bold and bool(data.strip()))


def rendered(text: str) -> Tables:
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)
    t = Tables()
    t.feed(html)
    return t


def markdown(t, **kw) -> str:
    out = io.StringIO()
    write(t, "markdown", out, RenderOptions(**kw))
    return out.getvalue()


def test_the_markdown_summary_matches_its_golden_file(story):  # noqa: F811
    r = run_coco("timeline", "D12345", "--store", str(story), "-f", "markdown")
    assert (r.code, r.err) == (0, "")
    golden("D12345.md", r.out)


def test_the_rendered_table_has_every_row_with_errors_in_bold_and_the_gaps_between(tmp_path):
    store = tmp_path / "demo.duckdb"
    run_coco("demo", "--store", str(store))
    t = cocoevents.timeline("D12345", store=store)
    page = rendered(markdown(t))
    text = "".join(page.text)
    assert "Delivery D12345: FAILED" in text and "robots R-7 → R-12" in text and "3 errors" in text
    events, windows = page.tables
    header, *rows = events
    assert [c for c, _ in header] == ["#", "time (UTC)", "lane", "event", "ids", "details"]
    assert all(len(r) == 6 for r in rows)
    numbered = [r for r in rows if r[0][0].isdigit()]
    gaps = [r[3][0] for r in rows if not r[0][0]]
    from cocoevents.timestamps import duration_text

    assert gaps == [f"no events for {duration_text(g['seconds'])}" for g in t.to_dict()["gaps"]]
    assert len(gaps) == t.summary["gaps"] >= 1
    assert [r[3][0] for r in numbered] == [ev["event"] for ev in t.events]
    for r, ev in zip(numbered, t.events):
        assert r[1][0] == ev["ts"][11:19]
        assert all(bold for text, bold in r if text) == (ev["severity"] == "error"), r
    grounded = numbered[14]
    assert grounded[3] == ("robot.grounded", True)
    assert grounded[5][0].startswith("MOTOR_OVERCURRENT: Left drive motor overcurrent")
    assert [c for c, _ in windows[0]] == ["kind", "id", "start (UTC)", "end", "duration"]
    assert [(r[0][0], r[1][0]) for r in windows[1:]] == [
        ("robot", "R-7"),
        ("pilot", "P-4"),
        ("robot", "R-12"),
        ("pilot", "P-3"),
        ("pilot", "P-5"),
    ]


def test_data_is_escaped_so_it_cannot_break_the_table_add_links_or_inject_html():
    t = cocoevents.timeline_from_records(hostile_records(), "DX")
    text = markdown(t)
    page = rendered(text)
    assert not {"script", "img", "a", "b", "i", "h1", "code"} & set(page.tags)  # (em: the gap row's italics)
    header, *rows = page.tables[0]
    assert all(len(r) == 6 for r in rows)  # no `|` in the data split a cell
    numbered = [r for r in rows if r[0][0].isdigit()]
    assert numbered[1][3][0] == HOSTILE_NAME
    assert HOSTILE_ROBOT in numbered[0][4][0]
    assert (
        "stuck</script><script>window.__pwned='message'</script> | ** [click](javascript:alert(1)) "
        "\\x00\\x1b[31m\\u202e" in numbered[3][5][0]
    )
    assert "<b>bold</b> & `code` _x_ \\x0a# heading" in numbered[1][5][0]
    assert HOSTILE_PILOT in "".join(page.text)
    assert HOSTILE_MESSAGE not in text  # control characters never reach the ticket raw
    assert "\n# heading" not in text


@pytest.mark.parametrize(
    "value",
    [
        "a|b",
        "**x**",
        "_y_",
        "[l](http://x)",
        "<b>t</b>",
        "&amp;",
        "`c`",
        "\\",
        "~~s~~",
        "![i](x)",
        "1. x",
        "# h",
        "foo_bar_baz",
        "C:\\path\\",
        "see https://evil.example/x",
        "ping @octocat and @org/team",
        "ops@evil.example",
    ],
)
def test_any_text_renders_back_as_itself(value):
    page = rendered(f"| h |\n|---|\n| {md(value)} |\n")
    assert page.tables[0][1][0] == (value, False)


@pytest.mark.parametrize(
    "value",
    [
        "see https://evil.example/login?next=1",
        "HTTP://EVIL.EXAMPLE",
        "ftp://evil.example/f",
        "go to www.evil.example now",
        "WWW.evil.example",
        "mail ops@evil.example",
        "xmpp:ops@evil.example",
        "mailto:ops@evil.example",
        "ping @octocat",
        "(@org/team-a)",
    ],
)
def test_bare_urls_emails_and_mentions_stay_text_on_github(value):
    """GitHub's own renderer (cmark-gfm with its autolink extension) makes no link of a URL, ``www.`` or e-mail
    address in event text; an ``@name`` is set as code, where GitHub makes no mention of it."""
    import cmarkgfm

    html = cmarkgfm.github_flavored_markdown_to_html(f"| h |\n|---|\n| {md(value)} |\n")
    assert "<a " not in html
    page = Tables()
    page.feed(html)
    assert page.tables[0][1][0][0] == value
    for mention in ("@octocat", "@org/team-a"):
        if mention in value:
            assert f"<code>{mention}</code>" in html


def test_a_long_timeline_is_cut_with_a_note_but_never_its_errors():
    records = []
    for i in range(400):
        rec = {"event": "robot.state_changed", "timestamp": iso(T0 + timedelta(seconds=20 * i)), "robot_id": "R-1"}
        if i % 37 == 5:
            rec = {**rec, "event": "robot.grounded", "error": {"code": f"E{i}", "message": "down"}}
        records.append(rec)
    t = cocoevents.timeline_from_records(records, "R-1", kind="robot", since=iso(T0), until=iso(T0 + timedelta(hours=3)))
    errors = [i for i, ev in enumerate(t.events) if ev["severity"] == "error"]
    assert len(errors) == 11
    page = rendered(markdown(t, max_rows=20))
    rows = page.tables[0][1:]
    shown = [int(r[0][0]) - 1 for r in rows if r[0][0].isdigit()]
    assert set(errors) <= set(shown)
    assert shown[:10] == list(range(10)) and shown[-10:] == list(range(390, 400))
    assert len(shown) == 20 + len([e for e in errors if 10 <= e < 390])
    skipped = [r[3][0] for r in rows if r[0][0] == "…"]
    assert skipped and all(s.endswith("rows not shown") for s in skipped)
    assert sum(int(s.split()[0]) for s in skipped) == 400 - len(shown)
    assert f"Showing {len(shown)} of 400 rows" in "".join(page.text)
    assert len(rendered(markdown(t, max_rows=0)).tables[0]) == 1 + 400  # 0: all rows


def test_the_cli_cuts_markdown_at_100_rows_by_default_and_max_rows_changes_it(tmp_path):
    from ..support.cli import write_lines

    records = [{"event": "robot.state_changed", "timestamp": iso(T0 + timedelta(seconds=10 * i)), "robot_id": "R-1"} for i in range(250)]
    archive = write_lines(tmp_path / "a.jsonl", records)
    store = tmp_path / "s.duckdb"
    assert run_coco("load", "--store", str(store), str(archive)).code == 0
    rng = ["--since", iso(T0), "--until", iso(T0 + timedelta(hours=1))]
    default = run_coco("timeline", "R-1", "--store", str(store), "-f", "markdown", *rng)
    assert default.code == 0 and "Showing 100 of 250 rows" in default.out
    more = run_coco("timeline", "R-1", "--store", str(store), "-f", "markdown", "--max-rows", "200", *rng)
    assert "Showing 200 of 250 rows" in more.out
    table = run_coco("timeline", "R-1", "--store", str(store), *rng)  # the table's default stays 2000
    assert "not shown" not in table.out


def test_events_without_a_usable_timestamp_are_counted_and_said_to_be_left_out():
    records = hostile_records()[:1] + [{"event": "delivery.failed", "delivery_id": "DX", "timestamp": "soon"}]
    text = markdown(cocoevents.timeline_from_records(records, "DX"))
    assert "**1 without a usable timestamp**" in text
    assert "*1 event without a usable timestamp is not in the table (`-f json` lists them under `unplaced`).*" in text
