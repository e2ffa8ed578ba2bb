"""Every CSV coco writes goes through one writer (``render.csv_writer.csv_line``): a lone CR in a field is quoted
(Python's ``csv`` module leaves it bare with a ``\\n`` line ending, and every reader splits the row there), and a
field from event data that a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..support.cli import run_coco, write_lines

EVIL = "x\r=cmd|' /C calc'!A0"
PACKAGE = Path(__file__).resolve().parents[2] / "cocoevents"


def test_baseline_csv_keeps_a_lone_cr_inside_its_row_and_neutralises_the_formula(tmp_path) -> None:
    records = []
    for d in range(3):
        records.append({"event": "delivery.created", "delivery_id": f"D{d}", "timestamp": f"2026-11-25T10:0{d}:00Z"})
        records.append({"event": EVIL, "delivery_id": f"D{d}", "timestamp": f"2026-11-25T10:0{d}:30Z"})
        records.append({"event": "=1+1", "delivery_id": f"D{d}", "timestamp": f"2026-11-25T10:0{d}:40Z"})
    store = tmp_path / "s.duckdb"
    assert run_coco("load", str(write_lines(tmp_path / "a.log", records)), "--store", str(store)).code == 0
    r = run_coco("baseline", "-f", "csv", "--store", str(store))
    assert (r.code, r.err) == (0, "")
    rows = list(csv.reader(io.StringIO(r.out, newline="")))
    assert rows == [
        ["from", "to", "n", "p50_s", "p95_s", "p99_s", "judged"],
        ["delivery.created", EVIL, "3", "30.0", "30.0", "30.0", "False"],
        [EVIL, "'=1+1", "3", "10.0", "10.0", "10.0", "False"],
    ]
    assert r.out.count("\n") == 3  # one line ending per row: the CR stays inside its quoted field


def test_no_module_writes_csv_but_the_one_writer() -> None:
    """Python's ``csv`` module is not used to write anywhere in the package."""
    found = [
        str(p.relative_to(PACKAGE))
        for p in sorted(PACKAGE.rglob("*.py"))
        if re.search(r"^\s*import csv\b|csv\.writer|csv\.DictWriter", p.read_text(encoding="utf-8"), re.M)
    ]
    assert found == []
