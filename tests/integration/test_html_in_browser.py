"""`-f html` in a real browser: headless Chromium driven over the DevTools protocol (tests/browser.py).

Skipped with the reason where no Chromium can be installed (CI installs Debian's ``chromium``). Each test keeps
its screenshot under its own temp dir (the path is printed: ``pytest -s`` shows it).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import cocoevents
from cocoevents.render import RenderOptions, write

from ..support.browser import Browser, find_chromium
from ..support.cli import run_coco
from ..support.timelines import DAY, HOSTILE_MESSAGE, HOSTILE_NAME, dense_robot_records, hostile_records

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium here (.ci/run installs Debian's chromium package; apt-get install chromium)"
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))  # type: ignore[arg-type]
    yield b
    b.close()


@pytest.fixture
def page(browser):
    """Opens an HTML file and hands back the browser; resets emulated media afterwards."""
    yield browser
    browser.page("Emulation.setEmulatedMedia", media="", features=[])


@pytest.fixture
def demo_html(tmp_path) -> tuple[Path, dict]:
    """The demo's D12345 page, written by the CLI as a user would (`-o D12345.html`), and its JSON document."""
    store = tmp_path / "demo.duckdb"
    assert run_coco("demo", "--store", str(store)).code == 0
    out = tmp_path / "D12345.html"
    r = run_coco("timeline", "D12345", "--store", str(store), "-o", str(out))
    assert r.code == 0, r.err
    doc = run_coco("timeline", "D12345", "--store", str(store), "-f", "json").json()
    return out, doc


def shot(b: Browser, path: Path, full_page: bool = True) -> None:
    b.screenshot(path, full_page=full_page)
    assert path.stat().st_size > 10_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {path}")


def rgb(css: str) -> tuple[int, ...]:
    assert css.startswith("rgb"), css
    return tuple(int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()[:3])


def luminance(c: tuple[int, ...]) -> float:
    return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255


def test_the_demo_delivery_page_shows_lanes_in_order_the_swap_red_errors_and_every_event(page, demo_html, tmp_path):
    path, doc = demo_html
    url = page.open(path)
    shot(page, tmp_path / "D12345.png")

    # one lane per lane of the timeline, in order: the delivery, the robots, the pilots
    lanes = page.evaluate("[...document.querySelectorAll('svg g.ln')].map(g => g.dataset.lane)")
    assert lanes == ["delivery", "robot:R-7", "robot:R-12", "pilot:P-4", "pilot:P-3", "pilot:P-5"]
    tops = page.evaluate("[...document.querySelectorAll('svg g.ln')].map(g => g.getBoundingClientRect().top)")
    assert tops == sorted(tops) and len(set(tops)) == len(tops)

    # the swap: two robot bars, R-7 ending where R-12 starts, in two lanes, with the swap labelled
    bars = page.evaluate("""[...document.querySelectorAll('rect.bar.robot')].map(r => {
        const b = r.getBoundingClientRect(); return {id: r.dataset.id, left: b.left, right: b.right, top: b.top,
        width: b.width, visible: getComputedStyle(r).visibility === 'visible' && +getComputedStyle(r).opacity > 0.2}})""")
    assert [b["id"] for b in bars] == ["R-7", "R-12"]
    r7, r12 = bars
    assert all(b["visible"] and b["width"] > 100 for b in bars)
    assert r7["top"] < r12["top"] and abs(r7["right"] - r12["left"]) < 2
    assert "R-7 → R-12" in page.evaluate("[...document.querySelectorAll('svg text.swapt')].map(t => t.textContent)")

    # every error is in a red mark; no other mark is red
    marks = page.evaluate("""[...document.querySelectorAll('a.m')].map(a => ({
        rows: a.dataset.rows.split(',').map(Number), error: a.classList.contains('e'),
        fill: getComputedStyle(a.querySelector('circle, rect')).fill}))""")
    errors = {i for i, ev in enumerate(doc["events"]) if ev["severity"] == "error"}
    assert errors == {14, 28, 29}
    assert {i for m in marks if m["error"] for i in m["rows"]} >= errors
    for m in marks:
        r, g, b = rgb(m["fill"])
        is_red = r > 160 and g < 60 and b < 80
        assert is_red == m["error"], m
    assert sorted(i for m in marks for i in m["rows"]) == list(range(31))

    # gaps shaded across all lanes, with their duration
    gaps = page.evaluate("[...document.querySelectorAll('svg text.gapt')].map(t => t.textContent)")
    from cocoevents.timestamps import duration_text

    assert gaps == [duration_text(g["seconds"]) for g in doc["gaps"]] and len(gaps) == doc["summary"]["gaps"] >= 1

    # the table holds every event's time, name, lane and error text
    rows = page.evaluate("[...document.querySelectorAll('#events tbody tr[id]')].map(tr => tr.innerText)")
    assert len(rows) == len(doc["events"]) == 31
    for ev, text in zip(doc["events"], rows):
        assert ev["ts"][11:23] in text and ev["event"] in text and ev["lane"] in text
        if ev["error"]:
            assert ev["error"]["code"] in text and ev["error"]["message"] in text

    # focusing a mark (keyboard) shows its time, name, ids and error; Escape hides it
    page.evaluate("document.querySelector('a.m[data-rows=\"14\"]').focus()")
    tip = page.evaluate("({hidden: document.getElementById('tip').hidden, text: document.getElementById('tip').innerText})")
    assert not tip["hidden"]
    for part in ("10:16:30.000 UTC", "robot.grounded", "robot R-7", "MOTOR_OVERCURRENT: Left drive motor overcurrent"):
        assert part in tip["text"], part
    page.page("Input.dispatchKeyEvent", type="keyDown", key="Escape", code="Escape")
    assert page.evaluate("document.getElementById('tip').hidden") is True

    # the page ran without a console error and made no request besides itself
    assert page.problems() == []
    assert page.requests() == [url]


def test_the_page_is_readable_in_dark_mode_and_in_print(page, demo_html, tmp_path):
    path, _ = demo_html
    page.open(path)
    page.page("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
    dark = page.evaluate("""({bg: getComputedStyle(document.body).backgroundColor, fg: getComputedStyle(document.body).color,
        err: getComputedStyle(document.querySelector('a.m.e circle')).fill,
        lane: getComputedStyle(document.querySelector('svg g.ln text')).fill})""")
    shot(page, tmp_path / "D12345-dark.png")
    assert luminance(rgb(dark["bg"])) < 0.1 and luminance(rgb(dark["fg"])) > 0.8
    assert luminance(rgb(dark["lane"])) > 0.8  # lane labels are light on the dark page
    r, g, b = rgb(dark["err"])
    assert r > 200 and g < 140 and b < 140  # errors stay red
    page.page("Emulation.setEmulatedMedia", media="print", features=[{"name": "prefers-color-scheme", "value": "dark"}])
    printed = page.evaluate("""({bg: getComputedStyle(document.body).backgroundColor, fg: getComputedStyle(document.body).color,
        tip: getComputedStyle(document.getElementById('tip')).display,
        svgWidth: document.querySelector('svg').getBoundingClientRect().width,
        pageWidth: document.documentElement.clientWidth})""")
    assert luminance(rgb(printed["bg"])) > 0.95 and luminance(rgb(printed["fg"])) < 0.1  # black on white on paper
    assert printed["tip"] == "none"
    assert printed["svgWidth"] <= printed["pageWidth"]
    pdf = page.page("Page.printToPDF")["data"]
    assert len(pdf) > 1000
    assert page.problems() == []


def test_hostile_event_text_is_shown_as_text_and_no_script_of_it_runs(page, tmp_path):
    t = cocoevents.timeline_from_records(hostile_records(), "DX")
    path = tmp_path / "hostile.html"
    out = io.StringIO()
    write(t, "html", out, RenderOptions())
    path.write_text(out.getvalue(), encoding="utf-8")
    url = page.open(path)
    shot(page, tmp_path / "hostile.png")
    for mark in range(page.evaluate("document.querySelectorAll('a.m').length")):  # hover/focus every mark
        page.evaluate(f"document.querySelectorAll('a.m')[{mark}].focus()")
        page.evaluate(f"document.querySelectorAll('a.m')[{mark}].dispatchEvent(new MouseEvent('mouseover', {{bubbles: true}}))")
    state = page.evaluate("""({pwned: typeof window.__pwned, scripts: document.scripts.length,
        imgs: document.images.length,
        handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))
                  .filter(n => n.startsWith('on')),
        table: document.getElementById('events').innerText,
        svgText: [...document.querySelectorAll('svg text')].map(t => t.textContent).join(' '),
        links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))})""")
    assert state["pwned"] == "undefined"
    assert (state["scripts"], state["imgs"], state["handlers"]) == (1, 0, [])
    assert HOSTILE_NAME in state["table"]
    assert "stuck</script><script>window.__pwned='message'</script>" in state["table"]
    assert "\\x00\\x1b[31m\\u202e" in state["table"]  # control and bidi characters shown, not obeyed
    assert HOSTILE_MESSAGE not in state["table"]
    assert 'R"><img src=x' in state["svgText"]  # the robot's lane label, as text
    assert all(h.startswith("#e") for h in state["links"])
    assert page.problems() == []  # nothing was even attempted (the CSP would have logged a violation)
    assert page.requests() == [url]


def test_a_dense_day_clusters_marks_and_no_text_overlaps_another_text_or_a_mark(page, tmp_path):
    t = cocoevents.timeline_from_records(dense_robot_records(3000), "R-9", kind="robot", **DAY)
    path = tmp_path / "dense.html"
    out = io.StringIO()
    write(t, "html", out, RenderOptions())
    path.write_text(out.getvalue(), encoding="utf-8")
    page.open(path)
    shot(page, tmp_path / "dense.png", full_page=False)  # the picture; the 3,000-row table is too tall
    boxes = page.evaluate("""(() => {
        const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
        return {
          texts: [...document.querySelectorAll('svg > text, svg g.ln text')].map(e => [e.textContent, box(e)]),
          marks: [...document.querySelectorAll('a.m')].map(a => [a.dataset.rows, box(a.querySelector('circle, rect')),
                  a.querySelector('text') ? box(a.querySelector('text')) : null]),
          rows: document.querySelectorAll('#events tbody tr[id]').length };
    })()""")
    assert boxes["rows"] == len(t.rows) >= 3000
    assert len(boxes["marks"]) < len(t.rows) / 4  # clustered

    def overlap(a, b) -> bool:
        return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5

    texts = [(label, b) for label, b in boxes["texts"] if b[2] > b[0]]
    clashes = [(a[0], b[0]) for n, a in enumerate(texts) for b in texts[n + 1 :] if overlap(a[1], b[1])]
    assert clashes == []
    shapes = [shape for _, shape, _ in boxes["marks"]]
    clashes = [(label, rows) for label, b in texts for rows, shape, _ in boxes["marks"] if overlap(b, shape)]
    assert clashes == []
    for rows, shape, count in boxes["marks"]:  # a cluster's count sits inside its own mark
        if count:
            assert shape[0] <= count[0] and count[2] <= shape[2], rows
    ordered = sorted(shapes, key=lambda s: (s[1], s[0]))
    same_lane = [(a, b) for a, b in zip(ordered, ordered[1:]) if abs(a[1] - b[1]) < 1]
    assert all(a[2] <= b[0] + 0.5 for a, b in same_lane)  # marks of one lane never overlap
    assert page.problems() == []
