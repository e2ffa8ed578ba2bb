"""`-f html` as a file: self-contained, escaped, small; and `-o` choosing the format from the suffix.

What the page looks like and does is checked in a real browser (tests/test_html_in_browser.py).
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest

import cocoevents
from cocoevents.render import RenderOptions, write
from cocoevents.render.html import CSP, write_html

from ..support.cli import run_coco
from ..support.timelines import DAY, HOSTILE_MESSAGE, HOSTILE_NAME, dense_robot_records, hostile_records


def render(t, fmt="html", **kw) -> str:
    out = io.StringIO()
    write(t, fmt, out, RenderOptions(**kw))
    return out.getvalue()


class Tags(HTMLParser):
    """Every start tag with its attributes, and all text, as the browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.script_text if self._in_script else self.text).append(data)


def parse(page: str) -> Tags:
    p = Tags()
    p.feed(page)
    return p


@pytest.fixture
def demo_store(tmp_path):
    store = tmp_path / "demo.duckdb"
    assert run_coco("demo", "--store", str(store)).code == 0
    return store


def test_the_page_is_self_contained_and_may_fetch_nothing(demo_store):
    page = render(cocoevents.timeline("D12345", store=demo_store))
    tags = parse(page).tags
    assert page.startswith("<!DOCTYPE html>")
    # nothing that loads from elsewhere: no src, no stylesheet links, no url() in CSS, no external hrefs
    assert not [t for t, a in tags if "src" in a or t in ("link", "iframe", "img", "object", "embed")]
    assert all(a["href"].startswith("#") for t, a in tags if "href" in a and t != "meta")
    assert "url(" not in page and "@import" not in page
    # the policy forbids any fetch and admits only the page's own style and script
    csp = [a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp == [CSP]
    assert "default-src 'none'" in CSP and "'unsafe-inline'" not in CSP
    assert [t for t, _ in tags].count("script") == 1 and [t for t, _ in tags].count("style") == 1


def test_the_header_names_subject_status_times_robots_and_pilots(demo_store):
    t = cocoevents.timeline("D12345", store=demo_store)
    text = " ".join(parse(render(t)).text)
    gaps = t.summary["gaps"]
    for fact in (
        "Delivery D12345",
        "FAILED",
        "2026-11-25 09:58:00 → 10:44:00 UTC",
        "46m00s",
        "R-7 → R-12",
        "P-4, P-3, P-5",
        "31 events",
        "3 errors",
        "0 warnings",  # the findings hold none (the two warning rows are consequences of the failure)
        f"{gaps} gap{'' if gaps == 1 else 's'}",
    ):
        assert fact in text, fact


def test_times_on_the_page_follow_the_tz_option(demo_store):
    text = " ".join(parse(render(cocoevents.timeline("D12345", store=demo_store), tz="Europe/Berlin")).text)
    assert "2026-11-25 10:58:00 → 11:44:00 Europe/Berlin" in text
    assert "11:16:30.000" in text  # robot.grounded at 10:16:30Z in the table


def test_hostile_text_is_escaped_in_text_and_attributes_and_never_reaches_a_script():
    t = cocoevents.timeline_from_records(hostile_records(), "DX")
    page = render(t)
    p = parse(page)
    assert [t for t, _ in p.tags].count("script") == 1
    assert "__pwned" not in "".join(p.script_text)
    assert not [t for t, _ in p.tags if t == "img"]
    assert not [(t, k) for t, a in p.tags for k in a if k.startswith("on")]  # no event-handler attributes
    text = "".join(p.text)
    assert HOSTILE_NAME in text  # shown as text, literally
    assert "stuck</script><script>window.__pwned='message'</script>" in text
    # control and bidi characters are shown as escapes, never written raw
    assert "\\x00\\x1b[31m\\u202e" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\u202e]", page)
    assert HOSTILE_MESSAGE not in page


def test_findings_are_listed_when_the_document_has_them(demo_store):
    doc = cocoevents.timeline("D12345", store=demo_store).to_dict()
    doc["findings"] = [
        {
            "kind": "error",
            "severity": "error",
            "ts": "2026-11-25T10:16:30.000Z",
            "lane": "robot:R-7",
            "message": "robot.grounded MOTOR_OVERCURRENT: Left drive motor overcurrent",
            "refs": [14],
        },
        {
            "kind": "reassignment",
            "severity": "info",
            "ts": "2026-11-25T10:18:00.000Z",
            "lane": "delivery",
            "message": "R-7 -> R-12 <b>",
            "refs": [16],
        },
    ]
    out = io.StringIO()
    write_html(doc, out, RenderOptions())
    p = parse(out.getvalue())
    text = " ".join(p.text)
    assert "What stands out" in text
    assert "robot.grounded MOTOR_OVERCURRENT: Left drive motor overcurrent" in text
    assert "R-7 -> R-12 <b>" in text  # text, not a tag
    assert ("a", {"href": "#e14"}) in p.tags
    # without findings in the document there is no such section
    del doc["findings"]
    bare = io.StringIO()
    write_html(doc, bare, RenderOptions())
    assert "What stands out" not in bare.getvalue()


def test_a_500_event_timeline_is_at_most_300_kb():
    t = cocoevents.timeline_from_records(dense_robot_records(500), "R-9", kind="robot", **DAY)
    assert len(t.rows) >= 500
    size = len(render(t).encode())
    assert size <= 300_000, size


def test_every_event_is_a_row_of_the_table_even_when_its_marks_cluster():
    t = cocoevents.timeline_from_records(dense_robot_records(2000), "R-9", kind="robot", **DAY)
    p = parse(render(t))
    rows = [a["id"] for tag, a in p.tags if tag == "tr" and a.get("id", "").startswith("e")]
    assert rows == [f"e{i}" for i in range(len(t.rows))]
    marks = [a for tag, a in p.tags if tag == "a" and "m" in (a.get("class") or "").split()]
    covered = sorted(int(i) for a in marks for i in a["data-rows"].split(","))
    assert covered == list(range(len(t.rows)))  # every event is in exactly one mark
    assert len(marks) < len(t.rows) / 3  # and dense lanes did cluster


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".html", lambda s: s.startswith("<!DOCTYPE html>")),
        (".htm", lambda s: s.startswith("<!DOCTYPE html>")),
        (".md", lambda s: s.startswith("### Delivery D12345: FAILED")),
        (".csv", lambda s: s.startswith("ts,offset,event,lane")),
        (".json", lambda s: json.loads(s)["schema"] == "coco.timeline/1"),
        (".jsonl", lambda s: len([json.loads(line) for line in s.splitlines()]) == 31),
        (".txt", lambda s: s.startswith("Delivery D12345   FAILED")),
        (".out", lambda s: s.startswith("Delivery D12345   FAILED")),
    ],
)
def test_output_file_suffix_picks_the_format_when_none_is_given(demo_store, tmp_path, suffix, check):
    target = tmp_path / f"D12345{suffix}"
    r = run_coco("timeline", "D12345", "--store", str(demo_store), "-o", str(target))
    assert (r.code, r.out) == (0, "")
    assert check(target.read_text(encoding="utf-8"))


def test_an_explicit_format_wins_over_the_suffix(demo_store, tmp_path):
    target = tmp_path / "D12345.html"
    r = run_coco("timeline", "D12345", "--store", str(demo_store), "-f", "json", "-o", str(target))
    assert r.code == 0
    assert json.loads(target.read_text())["subject"]["id"] == "D12345"


def test_html_and_markdown_reject_an_unknown_time_zone_before_any_work(demo_store):
    for fmt in ("html", "markdown"):
        r = run_coco("timeline", "D12345", "--store", str(demo_store), "-f", fmt, "--tz", "Mars/Olympus")
        assert (r.code, r.out) == (2, "")
        assert "unknown time zone" in r.err


def test_robot_and_pilot_pages_render_their_lanes_and_windows(demo_store):
    rng = {"since": "2026-11-25T09:00Z", "until": "2026-11-25T12:00Z"}
    robot = parse(render(cocoevents.timeline("R-12", store=demo_store, **rng)))
    lanes = [a["data-lane"] for t, a in robot.tags if t == "g" and "data-lane" in a]
    assert lanes[0] == "robot:R-12" and "delivery:D12345" in lanes and "pilot:P-5" in lanes
    assert {a["data-id"] for t, a in robot.tags if t == "rect" and "bar" in (a.get("class") or "")} == {"P-3", "P-5"}
    pilot = parse(render(cocoevents.timeline("P-5", store=demo_store, **rng)))
    lanes = [a["data-lane"] for t, a in pilot.tags if t == "g" and "data-lane" in a]
    assert lanes == ["pilot:P-5", "robot:R-12"]
    assert "Pilot P-5" in " ".join(pilot.text)
