"""`coco timeline` as a user meets it: stdout, stderr and the exit code for every format and every exit code.

Golden files live in tests/golden/; regenerate them with COCO_UPDATE_GOLDEN=1 after an intended change.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import jsonschema
import pytest

from cocoevents.store.loader import load

from ..support.cli import ROOT, run_coco, write_lines
from ..support.golden import golden

SCHEMA = json.loads((ROOT / "cocoevents" / "schemas" / "timeline.schema.json").read_text())
RANGE = ["--since", "2026-11-25T09:00:00Z", "--until", "2026-11-25T12:00:00Z"]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "table"])
def test_each_format_matches_its_golden_file_with_nothing_on_stderr(story, fmt):
    r = run_coco("timeline", "D12345", "--store", str(story), "--format", fmt)
    assert (r.code, r.err) == (0, "")
    golden(f"D12345.{'txt' if fmt == 'table' else fmt}", r.out)


def test_the_robot_and_pilot_tables_match_their_golden_files(story):
    outputs = []
    for ident in ("R-12", "P-5"):
        r = run_coco("timeline", ident, "--store", str(story), *RANGE)
        assert r.code == 0
        outputs.append((f"{ident}.txt", r.out))
    golden(*outputs[0], *outputs[1:])


def test_json_output_validates_against_the_shipped_schema_for_every_subject_kind(story):
    for args in (["D12345"], ["D12346"], ["D12347"], ["R-12", *RANGE], ["P-5", *RANGE], ["R-8", *RANGE]):
        r = run_coco("timeline", *args, "--store", str(story), "--format", "json")
        assert r.code == 0, r.err
        jsonschema.validate(r.json(), SCHEMA)


def test_jsonl_writes_the_json_events_one_a_line(story):
    as_json = run_coco("timeline", "D12345", "--store", str(story), "--format", "json").json()
    lines = run_coco("timeline", "D12345", "--store", str(story), "--format", "jsonl").out.splitlines()
    assert [json.loads(line) for line in lines] == as_json["events"]


def test_csv_has_the_spec_columns_and_offsets_from_the_first_row(story):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(run_coco("timeline", "D12345", "--store", str(story), "-f", "csv").out)))
    assert rows[0] == [
        "ts",
        "offset",
        "event",
        "lane",
        "severity",
        "gap_before_s",
        "delivery_id",
        "robot_id",
        "pilot_id",
        "demand_id",
        "offer_id",
        "error_code",
        "error_message",
        "details",
    ]
    assert rows[1][1] == "+00:00:00"
    failed = next(r for r in rows if r[2] == "delivery.failed")
    assert (failed[1], failed[11], failed[12]) == ("+00:45:06", "LID_STUCK", "Lid stuck closed at dropoff")
    assert json.loads(failed[13]) == {"level": "error"}


def test_non_table_formats_never_contain_colour_codes_even_on_a_terminal(story):
    for fmt in ("csv", "json", "jsonl"):
        assert "\x1b[" not in _on_a_terminal(["timeline", "D12345", "--store", str(story), "-f", fmt])


def test_the_table_is_coloured_on_a_terminal_and_plain_with_no_color_or_a_dumb_terminal(story):
    args = ["timeline", "D12345", "--store", str(story)]
    assert "\x1b[" in _on_a_terminal(args)
    assert "\x1b[" not in _on_a_terminal(args, NO_COLOR="1")
    assert "\x1b[" not in _on_a_terminal(args, TERM="dumb")
    assert "\x1b[" not in _on_a_terminal([*args, "--no-color"])


def _on_a_terminal(args: list[str], **env: str) -> str:
    """Run coco with stdout on a pseudo-terminal and return what it printed there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cocoevents.cli.main import run; run()", *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200", **env},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode("utf-8", "replace")


def test_output_file_gets_the_data_and_stdout_stays_empty(story, tmp_path):
    target = tmp_path / "out.csv"
    r = run_coco("timeline", "D12345", "--store", str(story), "-f", "csv", "-o", str(target))
    assert (r.code, r.out) == (0, "")
    assert "wrote 31 events" in r.err
    assert target.read_text().startswith("ts,offset,event")


def test_unplaced_events_are_warned_about_on_stderr_and_listed_after_the_table(story):
    r = run_coco("timeline", "D12346", "--store", str(story))
    assert r.code == 0
    assert "1 event(s) without a usable timestamp" in r.err
    assert 'delivery.pickup_started  timestamp="soon"' in r.out.split("without a usable timestamp")[-1]


def test_times_show_in_the_asked_time_zone(story):
    r = run_coco("timeline", "D12345", "--store", str(story), "--tz", "Europe/Berlin")
    assert "2026-11-25 10:58:00 → 2026-11-25 11:44:00 Europe/Berlin" in r.out


def test_a_tz_time_the_clocks_skip_or_pass_twice_says_which_instant_was_taken(story):
    gap = run_coco("timeline", "D12345", "--store", str(story), "--tz", "Europe/Berlin", "--since", "2026-03-29T02:30", "-f", "json")
    assert gap.code == 0 and gap.json()["range"]["since"] == "2026-03-29T01:30:00.000Z"
    assert gap.err.splitlines() == [
        "coco: note: --since 2026-03-29T02:30 does not exist in Europe/Berlin (the clocks skip it): "
        "read as 2026-03-29T01:30:00.000Z (03:30 CEST)"
    ]
    twice = run_coco(
        "deliveries", "--store", str(story), "--tz", "Europe/Berlin", "--since", "2026-10-25T02:30", "--until", "2026-10-25T03:00"
    )
    assert twice.err.splitlines()[0] == (
        "coco: note: --since 2026-10-25T02:30 happens twice in Europe/Berlin: read as the first, "
        "2026-10-25T00:30:00.000Z (02:30 CEST); the second is 2026-10-25T01:30:00.000Z (02:30 CET)"
    )
    plain = run_coco("timeline", "D12345", "--store", str(story), "--tz", "Europe/Berlin", "--since", "2026-11-25T10:00", "-f", "json")
    assert (plain.code, plain.err) == (0, "")


def test_a_timeline_asked_during_a_load_says_a_load_is_running_instead_of_the_baseline_note(tmp_path):
    from cocoevents.store.loader import Loader

    store = tmp_path / "s.duckdb"
    records = [
        {"event": "delivery.created", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D1"},
        {"event": "delivery.completed", "timestamp": "2026-11-25T10:30:00Z", "delivery_id": "D1"},
    ]
    load(store, [write_lines(tmp_path / "a.log", records)])
    import duckdb

    with duckdb.connect(str(store)) as con:  # as in a first load: events committed, the baseline not yet built
        con.execute("DELETE FROM fleet_baseline")
    before = run_coco("timeline", "D1", "--store", str(store), "-f", "json")
    assert before.code == 0 and "coco baseline --rebuild" in before.err
    loader = Loader(store)  # a load (or sync) under way: from its first commit to its end
    try:
        loader._attach()
        loader._detach()  # between two batches: a reader gets in
        during = run_coco("timeline", "D1", "--store", str(store), "-f", "json")
    finally:
        loader.close()
    assert during.code == 0 and during.json()["summary"]["events"] == 2
    assert during.err.splitlines() == [
        f"coco: note: a load into {store} is running (pid {os.getpid()}): this answer holds what it has committed so far, "
        "and the fleet baseline is rebuilt when it ends"
    ]
    after = run_coco("timeline", "D1", "--store", str(store), "-f", "json")
    assert after.err == before.err


def test_a_long_table_is_truncated_with_a_note_saying_how_to_get_everything(story):
    r = run_coco("timeline", "D12345", "--store", str(story), "--max-rows", "10")
    doc = run_coco("timeline", "D12345", "--store", str(story), "-f", "json").json()
    errors = [e for e in doc["events"][5:-5] if e["severity"] == "error"]
    hidden = [e for e in doc["events"][5:-5] if e["severity"] != "error"]
    assert errors and hidden  # the cut part holds both, so the test means something
    notes = [line for line in r.out.splitlines() if "rows not shown" in line]
    assert notes and all("--format json/csv/jsonl" in n and "no errors are cut" in n for n in notes)
    assert all(f"{len(hidden)} of 31 hidden in all" in n for n in notes)
    warnings = sum(1 for e in hidden if e["severity"] == "warning")
    stated = sum(int(n.split(" warning")[0].split("(")[-1]) for n in notes if " warning" in n)
    assert stated == warnings
    table_errors = [line for line in r.out.split("What stands out")[0].splitlines() if "✖" in line]
    assert len(table_errors) == doc["summary"]["errors"]  # no error row is ever cut
    assert len(run_coco("timeline", "D12345", "--store", str(story), "-f", "jsonl", "--max-rows", "10").out.splitlines()) == 31


# --- exit codes (timeline rules §8) -----------------------------------------------------------------


def test_exit_0_when_the_timeline_was_built_even_with_errors_in_it(story):
    assert run_coco("timeline", "D12345", "--store", str(story)).code == 0


def test_exit_1_with_check_when_a_finding_is_an_error_or_a_warning(story, tmp_path):
    assert run_coco("timeline", "D12345", "--store", str(story), "--check").code == 1
    grounded = run_coco("timeline", "D12347", "--store", str(story), "--check", "--gap", "1h")
    assert grounded.code == 1  # no gap longer than 1h, but R-8 was grounded: an error row
    archive = write_lines(
        tmp_path / "calm.jsonl",
        [
            {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "C1"},
            {"event": "delivery.dropoff_completed", "timestamp": "2026-11-25T10:04:00Z", "delivery_id": "C1"},
        ],
    )
    calm = tmp_path / "calm.duckdb"
    load(calm, [archive])
    ok = run_coco("timeline", "C1", "--store", str(calm), "--check", "-f", "jsonl")
    assert (ok.code, len(ok.out.splitlines())) == (0, 2)  # no errors, no gaps: the timeline is printed, exit 0
    gap = run_coco("timeline", "C1", "--store", str(calm), "--check", "--gap", "3m", "-f", "jsonl")
    assert (gap.code, len(gap.out.splitlines())) == (1, 2)  # one 4-minute silence the fleet (one sample) cannot judge
    r = run_coco("timeline", "O-12345", "--store", str(story), "--check")
    assert r.code == 1  # an offer id leads to its delivery (issue 11), whose errors --check reports
    assert r.err == "coco: O-12345 is a demand or offer id of delivery D12345\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["D12345", "--format", "xml"], "'xml' is not one of 'table', 'csv', 'json', 'jsonl'"),
        (["D12345", "--gap", "soon"], "--gap: not a duration"),
        (["R-12", "--since", "yesterday-ish"], "--since: not a time"),
        (["R-12", "--since", "2026-11-25T12:00Z", "--until", "2026-11-25T09:00Z"], "--since is after --until"),
        (["D12345", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["D12345", "--kind", "truck"], "'truck' is not one of 'delivery', 'robot', 'pilot'"),
        (["D12345", "--no-such-option"], "No such option"),
        ([""], "the id is empty"),
    ],
)
def test_exit_2_on_a_usage_error_with_one_line_on_stderr(story, args, message):
    r = run_coco("timeline", *args, "--store", str(story))
    assert r.code == 2
    assert message in r.err
    assert r.out == ""
    assert "Traceback" not in r.err


def test_exit_2_on_an_ambiguous_id_listing_its_kinds(tmp_path):
    archive = write_lines(
        tmp_path / "a.jsonl",
        [
            {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "X1", "robot_id": "X1"},
        ],
    )
    store = tmp_path / "s.duckdb"
    load(store, [archive])
    r = run_coco("timeline", "X1", "--store", str(store))
    assert r.code == 2
    assert "'X1' is ambiguous: it is a delivery and a robot id; add --kind delivery|robot" in r.err


def test_exit_3_when_nothing_is_found(story):
    r = run_coco("timeline", "D99999", "--store", str(story))
    assert (r.code, r.out) == (3, "")
    assert r.err == f"coco: error: no delivery, robot or pilot has the id 'D99999' (searched the local store {story})\n"
    r = run_coco("timeline", "R-12", "--store", str(story), "--since", "2026-11-20T00:00Z", "--until", "2026-11-21T00:00Z")
    assert r.code == 3 and "nothing found for robot 'R-12' between" in r.err


def test_exit_4_when_the_store_does_not_exist(tmp_path):
    r = run_coco("timeline", "D12345", "--store", str(tmp_path / "missing.duckdb"))
    assert r.code == 4
    assert "no store at" in r.err and "coco load" in r.err


def test_exit_5_on_a_bug_with_one_line_and_the_traceback_only_with_debug(story, monkeypatch):
    import cocoevents.core.lookup

    def broken(*args, **kwargs):
        raise RuntimeError("sessionizer exploded")

    monkeypatch.setattr(cocoevents.core.lookup, "build", broken)
    r = run_coco("timeline", "D12345", "--store", str(story))
    assert r.code == 5
    assert r.err.strip().splitlines() == ["coco: internal error: RuntimeError: sessionizer exploded (run with --debug for the traceback)"]
    r = run_coco("--debug", "timeline", "D12345", "--store", str(story))
    assert r.code == 5
    assert "Traceback (most recent call last)" in r.err and "sessionizer exploded" in r.err


def test_a_bug_whose_chain_of_causes_comes_back_to_itself_is_one_line_and_exit_5_not_a_hang(story, monkeypatch):
    import cocoevents.core.lookup

    def broken(*args, **kwargs):
        first, second = RuntimeError("migration failed"), ValueError("while undoing it")
        first.__context__, second.__context__ = second, first  # a loop, as a failed migration's rollback made one
        raise first

    monkeypatch.setattr(cocoevents.core.lookup, "build", broken)
    r = run_coco("timeline", "D12345", "--store", str(story))
    assert r.code == 5
    assert r.err.strip().splitlines() == ["coco: internal error: RuntimeError: migration failed (run with --debug for the traceback)"]


def test_the_store_can_be_named_by_the_environment(story, monkeypatch):
    monkeypatch.setenv("COCO_STORE", str(story))
    assert run_coco("timeline", "D12345", "-f", "jsonl").code == 0


def test_json_output_stays_valid_json_when_a_record_holds_nan(tmp_path):
    archive = write_lines(
        tmp_path / "a.jsonl",
        [
            '{"event": "trip.started", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D1", "speed": NaN}',
        ],
    )
    store = tmp_path / "s.duckdb"
    load(store, [archive])
    for fmt in ("json", "jsonl", "csv"):
        r = run_coco("timeline", "D1", "--store", str(store), "-f", fmt)
        assert r.code == 0, r.err
        assert "NaN" not in r.out.replace('"nan"', "")
    doc = json.loads(run_coco("timeline", "D1", "--store", str(store), "-f", "json").out, parse_constant=None)
    assert doc["events"][0]["payload"]["speed"] == "nan"


def test_output_to_a_directory_or_a_missing_folder_is_a_usage_error(story, tmp_path):
    for target in (tmp_path, tmp_path / "missing" / "x.csv"):
        r = run_coco("timeline", "D12345", "--store", str(story), "-f", "csv", "-o", str(target))
        assert r.code == 2 and r.err.startswith("coco: error: cannot write") and "Traceback" not in r.err


def test_output_through_a_symlink_writes_its_target_and_keeps_the_file_mode(story, tmp_path):
    target = tmp_path / "t.json"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert run_coco("timeline", "D12345", "--store", str(story), "-f", "json", "-o", str(link)).code == 0
    assert link.is_symlink() and json.loads(target.read_text())["subject"]["id"] == "D12345"
    assert target.stat().st_mode & 0o777 == 0o640


def test_output_to_a_fifo_is_written_in_place(story, tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert run_coco("timeline", "D12345", "--store", str(story), "-f", "jsonl", "-o", str(fifo)).code == 0
    reader.join(10)
    assert got and len(got[0].splitlines()) == 31 and fifo.exists() and not fifo.is_file()


def test_a_range_ending_near_year_one_is_not_a_crash(story):
    r = run_coco("timeline", "R-12", "--store", str(story), "--until", "0001-01-01T00:00:00Z")
    assert r.code == 3 and "Traceback" not in r.err


def test_version_works_on_its_own():
    r = run_coco("--version")
    assert (r.code, r.out.strip()) == (0, "coco 0.1.0")


def test_a_relative_since_counts_back_from_until_and_every_format_shows_both_ends(story):
    asked = ["--since", "3h", "--until", "2026-11-25T12:00Z", "--store", str(story)]
    table = run_coco("timeline", "R-12", *asked)
    assert table.code == 0, table.err
    assert "  range 2026-11-25 09:00:00 → 2026-11-25 12:00:00 UTC" in table.out.splitlines()
    doc = run_coco("timeline", "R-12", *asked, "-f", "json").json()
    assert doc["range"] == {"since": "2026-11-25T09:00:00.000Z", "until": "2026-11-25T12:00:00.000Z"}
    assert "range 2026-11-25 09:00:00 → 2026-11-25 12:00:00 UTC" in run_coco("timeline", "R-12", *asked, "-f", "markdown").out
    assert "range 2026-11-25 09:00:00 → 2026-11-25 12:00:00" in run_coco("timeline", "R-12", *asked, "-f", "html").out


def test_a_delivery_asked_since_a_time_shows_the_range_up_to_when_it_was_asked(story):
    r = run_coco("timeline", "D12345", "--since", "2026-11-25T09:00Z", "--store", str(story), "-f", "json")
    assert r.code == 0, r.err
    assert r.json()["range"]["since"] == "2026-11-25T09:00:00.000Z" and r.json()["range"]["until"] is not None
    table = run_coco("timeline", "D12345", "--since", "2026-11-25T09:00Z", "--store", str(story))
    (line,) = [x for x in table.out.splitlines() if x.startswith("  range ")]
    assert "…" not in line and line.startswith("  range 2026-11-25 09:00:00 → ")
