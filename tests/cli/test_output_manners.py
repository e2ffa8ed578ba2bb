"""Small manners of the output a user meets at once: a file suffix coco cannot write is refused, the header counts
what the findings count, colour can be forced or turned off on every table, ``--help`` names what an option takes,
a flag filter reads as its name, and numbers carry thousands separators everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..support.cli import run_coco

DAY = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]


@pytest.mark.parametrize(
    "args,formats",
    [
        (["timeline", "D12345"], "-f (table, csv, json, jsonl, html, markdown)"),
        (["deliveries", *DAY], "-f (table, csv, json, jsonl)"),
        (["errors", *DAY], "-f (table, csv, json, jsonl)"),
        (["compare", *DAY], "-f (table, csv, json, markdown)"),
    ],
)
def test_an_output_file_whose_suffix_names_no_format_is_a_usage_error_naming_the_formats(story, tmp_path, args, formats):
    target = tmp_path / "x.png"
    r = run_coco(*args, "--store", str(story), "-o", str(target))
    assert (r.code, r.out) == (2, "")
    assert r.err.startswith("coco: error: cannot tell the format from the suffix of 'x.png': use one of ")
    assert r.err.rstrip().endswith(f"or name the format with {formats}")
    assert not target.exists()


def test_a_listing_refuses_a_suffix_of_a_format_only_the_timeline_writes_and_takes_any_name_with_f(story, tmp_path):
    r = run_coco("errors", *DAY, "--store", str(story), "-o", str(tmp_path / "x.html"))
    assert (r.code, r.out) == (2, "")
    assert "this command does not write html ('x.html'): use one of .csv .json .jsonl .ndjson .txt .text .out .log" in r.err
    named = run_coco("errors", *DAY, "--store", str(story), "-f", "csv", "-o", str(tmp_path / "x.html"))
    assert named.code == 0 and (tmp_path / "x.html").read_text().startswith("code,")
    plain = run_coco("timeline", "D12345", "--store", str(story), "-o", str(tmp_path / "story"))
    assert plain.code == 0 and (tmp_path / "story").read_text().startswith("Delivery D12345   FAILED")


def test_the_headers_error_and_warning_counts_are_those_of_what_stands_out(story, tmp_path):
    table = run_coco("timeline", "D12345", "--store", str(story)).out
    assert "  31 events · 3 errors · 0 warnings · 2 gaps > 5m00s\n" in table  # two warning rows, no warning finding
    assert "What stands out  (3 errors, 5 info)\n" in table
    markdown = run_coco("timeline", "D12345", "--store", str(story), "-f", "markdown").out
    assert "31 events · **3 errors** · 0 warnings · 2 gaps" in markdown
    html = run_coco("timeline", "D12345", "--store", str(story), "-f", "html").out
    assert '<span class="n-e">3 errors</span>' in html and '<span class="">0 warnings</span>' in html
    summary = run_coco("timeline", "D12345", "--store", str(story), "-f", "json").json()["summary"]
    assert (summary["warnings"], summary["findings"]["warning"]) == (2, 0)  # the JSON keeps both counts


@pytest.mark.parametrize(
    "args",
    [["timeline", "D12345"], ["deliveries", *DAY], ["errors", *DAY], ["compare", *DAY], ["baseline"], ["demo"], ["events"]],
)
def test_color_forces_colour_into_a_pipe_and_no_color_turns_it_off_for_every_table(story, args, monkeypatch):
    store = [] if args == ["events"] else ["--store", str(story)]
    if args == ["demo"]:
        store = ["--store", str(story.parent / "demo.duckdb")]
    assert "\x1b[" not in run_coco(*args, *store).out  # a pipe: plain by default
    monkeypatch.setenv("NO_COLOR", "1")
    forced = run_coco(*args, *store, "--color")
    assert forced.code == 0, forced.err
    assert "\x1b[" in forced.out  # the flag wins over NO_COLOR
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b[" not in run_coco(*args, *store, "--no-color").out


def _commands() -> list[list[str]]:
    import typer.main

    from cocoevents.cli.main import app

    def walk(command, path):  # type: ignore[no-untyped-def]
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), []))


def test_no_help_page_shows_a_bare_type_instead_of_what_an_option_takes(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    pages = _commands()
    assert len(pages) > 15
    for path in pages:
        r = run_coco(*path, "--help")
        assert r.code == 0, (path, r.err)
        assert not re.findall(r"<(?:str|int|float|path)>|\b(?:TEXT|INTEGER|FLOAT)\b", r.out), (path, r.out)


def test_a_flag_filter_reads_as_its_name_in_the_listing_header(story):
    r = run_coco("deliveries", "--slow", "--status", "failed", *DAY, "--store", str(story))
    assert r.out.splitlines()[0].endswith("  status=failed slow")
    assert "slow=True" not in r.out


def test_counts_of_thousands_carry_separators(story: Path):
    doctor = run_coco("doctor", "--store", str(story))
    assert re.search(r"local store .*: 6,25\d events", doctor.out + doctor.err), doctor.out + doctor.err
    files = run_coco("store", "files", "--store", str(story))
    assert "6,25" in files.err and re.search(r"\b\d,\d{3}\b", files.out)
