"""Big inputs: memory stays bounded, nothing is lost silently, the table says when it is cut."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..support.cli import write_lines

MEASURE = """
import resource, subprocess, sys
p = subprocess.run([sys.executable, "-c", "from cocoevents.cli.main import run; run()", *sys.argv[1:]],
                   capture_output=True, text=True)
sys.stderr.write(p.stderr)
sys.stdout.write(p.stdout)
print("MAXRSS_KB=%d" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(p.returncode)
"""


def coco_measured(*args: str) -> tuple[int, str, str, int]:
    """Run coco in a fresh process; exit code, stdout, stderr and its peak RSS in MiB."""
    r = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, timeout=600)
    kb = int(r.stderr.rsplit("MAXRSS_KB=", 1)[1])
    return r.returncode, r.stdout, r.stderr.rsplit("MAXRSS_KB=", 1)[0], kb // 1024


def test_a_single_5_mb_record_loads_whole(coco, tmp_path, store):
    big = {
        "event": "robot.state_changed",
        "robot_id": "R-1",
        "delivery_id": "D1",
        "timestamp": "2026-11-25T10:00:00Z",
        "blob": "y" * (5 * 1024 * 1024),
    }
    f = write_lines(tmp_path / "a.log.gz", [big, {"event": "robot.parked", "delivery_id": "D1", "timestamp": "2026-11-25T10:01:00Z"}])
    r = coco("load", "--store", str(store), "--json", str(f))
    assert r.json()["events"] == 2 and r.json()["bad_lines"] == 0
    t = coco("timeline", "D1", "--store", str(store), "--format", "json")
    assert t.code == 0
    assert [e["payload"].get("blob") == big["blob"] for e in t.json()["events"]] == [True, False]


@pytest.mark.slow
def test_a_100_mb_line_without_a_newline_is_a_bad_line_and_memory_stays_bounded(tmp_path):
    f = tmp_path / "huge.log"
    with open(f, "wb") as fh:
        fh.write(b'{"event":"robot.parked","robot_id":"R-1","timestamp":1795600000}\n')
        fh.write(b'{"event":"robot.parked","blob":"')
        chunk = b"z" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
    code, out, err, peak_mib = coco_measured("load", "--store", str(tmp_path / "s.duckdb"), "--json", str(f))
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["events"], summary["bad_lines"]) == (1, 1)
    assert f"{f}:2: line longer than" in summary["bad_line_examples"][0]
    print(f"peak RSS of coco load with a 100 MB line: {peak_mib} MiB")
    assert peak_mib < 1024


@pytest.mark.slow
def test_a_robot_timeline_of_100000_events_is_complete_in_json_and_cut_with_a_note_in_the_table(tmp_path):
    f = tmp_path / "robot.log"
    with open(f, "w") as fh:
        for n in range(100_000):
            fh.write(
                json.dumps({"event": "robot.state_changed", "robot_id": "R-1", "timestamp": 1_795_600_000 + n, "state": "driving"}) + "\n"
            )
    store = str(tmp_path / "s.duckdb")
    code, _, err, _ = coco_measured("load", "--store", store, str(f))
    assert code == 0, err
    window = ["--since", "2026-11-25T00:00:00Z", "--until", "2026-11-27T00:00:00Z"]
    code, out, err, peak_json = coco_measured("timeline", "R-1", *window, "--store", store, "--format", "jsonl")
    assert code == 0, err
    assert out.count("\n") == 100_000
    code, out, err, peak_table = coco_measured("timeline", "R-1", *window, "--store", store, "--format", "table", "--no-color")
    assert code == 0, err
    note = (out + err).lower()
    assert "100,000" in note or "100000" in note
    assert "--format" in note and ("json" in note or "csv" in note)
    assert out.count("\n") < 10_000
    print(f"peak RSS: jsonl {peak_json} MiB, table {peak_table} MiB")
    assert max(peak_json, peak_table) < 2048


@pytest.mark.slow
@pytest.mark.parametrize("gz", [False, True])
def test_a_final_unterminated_line_of_128_mib_is_counted_as_a_bad_line(tmp_path, gz):
    import gzip

    f = tmp_path / ("huge.log.gz" if gz else "huge.log")
    with gzip.open(f, "wb", compresslevel=1) if gz else open(f, "wb") as fh:
        fh.write(b'{"event":"robot.parked","robot_id":"R-1","timestamp":1795600000}\n')
        fh.write(b'{"event":"robot.parked","blob":"')
        chunk = b"z" * (1 << 20)
        for _ in range(128):
            fh.write(chunk)
    code, out, err, peak_mib = coco_measured("load", "--store", str(tmp_path / "s.duckdb"), "--json", str(f))
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["events"], summary["bad_lines"]) == (1, 1)
    assert summary["bad_line_examples"] == [f"{f}:2: line longer than 32 MiB"]
    print(f"peak RSS of coco load with a final 128 MiB line ({'gzip' if gz else 'plain'}): {peak_mib} MiB")
    assert peak_mib < 1024
