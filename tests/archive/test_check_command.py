"""``coco check``: archive files against the registry, without loading them."""

from __future__ import annotations

import gzip

from ..support.cli import write_lines

T = "2026-11-25T10:00:00Z"
GOOD = {"event": "robot.parked", "robot_id": "R-1", "timestamp": T}


def test_conforming_files_pass_with_exit_0(coco, tmp_path):
    f = write_lines(tmp_path / "a.log", [GOOD, {"event": "offer.accepted", "offer_id": "O-1", "source": "wolt", "timestamp": T}])
    r = coco("check", str(f))
    assert r.code == 0 and "no problems" in r.out


def test_unknown_names_are_listed_with_their_counts_and_exit_1(coco, tmp_path):
    f = write_lines(tmp_path / "a.log", [GOOD] + [{"event": "robot.exploded", "timestamp": T}] * 3)
    r = coco("check", str(f))
    assert r.code == 1
    assert "unknown event name 'robot.exploded': 3" in r.out


def test_missing_required_fields_are_reported(coco, tmp_path):
    f = write_lines(tmp_path / "a.log", [{"event": "delivery.failed", "delivery_id": "D1", "timestamp": T}])
    r = coco("check", "--json", str(f))
    assert r.code == 1
    assert r.json()["payload_problems"] == {"delivery.failed: missing required field 'error'": 1}


def test_unusable_timestamps_are_counted(coco, tmp_path):
    f = write_lines(tmp_path / "a.log", [{**GOOD, "timestamp": "2026-02-30T10:00:00Z"}, {"event": "robot.parked"}])
    r = coco("check", "--json", str(f))
    assert r.code == 1 and r.json()["unusable_timestamps"] == 2


def test_bad_lines_and_damaged_files_are_problems_with_their_location(coco, tmp_path):
    bad = write_lines(tmp_path / "a.log", [GOOD, "junk"])
    cut = tmp_path / "b.log.gz"
    cut.write_bytes(gzip.compress(b"".join(b'{"event":"robot.parked","timestamp":1}\n' for _ in range(500)))[:60])
    r = coco("check", "--json", str(bad), str(cut))
    assert r.code == 1
    assert r.json()["bad_lines"] == 1 and f"{bad}:2: not JSON" in r.json()["examples"]
    assert len(r.json()["damaged_files"]) == 1 and str(cut) in r.json()["damaged_files"][0]


def test_check_writes_nothing_to_any_store(coco, tmp_path, isolated_env):
    coco("check", str(write_lines(tmp_path / "a.log", [GOOD])))
    assert not (isolated_env / "data" / "coco").exists()


def test_check_of_a_missing_path_is_a_usage_error(coco, tmp_path):
    r = coco("check", str(tmp_path / "nope.log"))
    assert r.code == 2 and r.err.count("\n") <= 2
