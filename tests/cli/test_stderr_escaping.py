"""Every line coco writes to stderr is escaped by the one writer (``textsafe.say``), whatever its author did.

A delivery id behind a demand id reaches the notice line and the "links to N deliveries" error; an id carrying
an OSC 52 clipboard write, a window title, a screen clear or a bidi override must arrive as visible text.
"""

from __future__ import annotations

import re
from pathlib import Path

from cocoevents.store import loader as store

from ..support.cli import run_coco, write_lines

EVIL = "D-\x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b]0;pwned\x07\x1b[2J\u202eevil"
SHOWN = "D-\\x1b]52;c;Y3VybCBldmlsfHNo\\x07\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil"
PACKAGE = Path(__file__).resolve().parents[2] / "cocoevents"


def linked_store(tmp_path: Path, deliveries: list[str]) -> Path:
    db = tmp_path / "s.duckdb"
    records = [{"event": "demand.created", "timestamp": "2026-11-25T10:00:00Z", "demand_id": "DM-9", "offer_id": "O-9"}]
    records += [
        {"event": "demand.assigned", "timestamp": f"2026-11-25T10:0{k + 1}:00Z", "demand_id": "DM-9", "delivery_id": d}
        for k, d in enumerate(deliveries)
    ]
    store.load(db, [write_lines(tmp_path / "a.jsonl", records)])
    return db


def test_the_delivery_id_behind_a_demand_id_is_escaped_in_the_notice_line(tmp_path) -> None:
    db = linked_store(tmp_path, [EVIL])
    r = run_coco("timeline", "DM-9", "--store", str(db), "--format", "jsonl")
    assert r.code == 0
    assert r.err.splitlines()[0] == f"coco: DM-9 is a demand or offer id of delivery {SHOWN}"


def test_the_deliveries_a_demand_id_links_to_are_escaped_in_the_error(tmp_path) -> None:
    db = linked_store(tmp_path, [EVIL, "D-2"])
    r = run_coco("timeline", "DM-9", "--store", str(db))
    assert (r.code, r.out) == (2, "")
    assert "\x1b" not in r.err and "\x07" not in r.err and "\u202e" not in r.err
    assert r.err.startswith("coco: error: 'DM-9' links to 2 deliveries: ") and f"{SHOWN} (in progress)" in r.err
    assert r.err.count("\n") == 1


def test_the_one_stderr_writer_escapes_every_line_and_keeps_escaped_text_as_it_is(capsys) -> None:
    from cocoevents.textsafe import for_terminal, say

    say(f"coco: warning: {EVIL}\n  second line \x1b[31mred\n")
    say(f"coco: {for_terminal(EVIL)}")
    assert capsys.readouterr().err == f"coco: warning: {SHOWN}\n  second line \\x1b[31mred\ncoco: {SHOWN}\n"


def test_nothing_in_the_package_writes_to_stderr_but_the_one_writer() -> None:
    """``sys.stderr.write`` and ``print(..., file=sys.stderr)`` live in ``textsafe.say`` alone."""
    pattern = re.compile(r"sys\.stderr\.write|file=sys\.stderr|__import__\(\"sys\"\)\.stderr")
    found = [
        f"{p.relative_to(PACKAGE)}:{n}"
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.name != "textsafe.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_every_invisible_format_character_is_escaped_so_look_alike_ids_differ_on_screen() -> None:
    """Unicode's format characters (category Cf: the Arabic letter mark, bidi marks, zero-width joiners, word
    joiners, invisible operators, tags) are shown as escapes, one per character, escaped once."""
    import sys
    import unicodedata

    from cocoevents.textsafe import for_terminal

    assert for_terminal("D-12\u061c345") == "D-12\\u061c345"
    assert for_terminal("D-1\u2060\u2064\U000e0041") == "D-1\\u2060\\u2064\\U000e0041"
    assert for_terminal("a\u00adb") == "a\\xadb"
    for c in (chr(i) for i in range(sys.maxunicode + 1)):
        if unicodedata.category(c) == "Cf":
            shown = for_terminal(c)
            assert shown.isascii() and shown.startswith("\\") and for_terminal(shown) == shown, hex(ord(c))
