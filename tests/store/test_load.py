"""``coco load``: archive files into the local store (timeline rules §9 and 10)."""

from __future__ import annotations

import gzip
import json

import duckdb

from ..support.cli import write_lines

T = "2026-11-25T10:00:00Z"


def rec(i: int, **extra) -> dict:
    return {"event": "robot.parked", "robot_id": f"R-{i}", "timestamp": T, **extra}


def stored(store, sql="SELECT count(*) FROM events"):
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_load_prints_a_one_line_summary_on_stderr_and_nothing_on_stdout(coco, tmp_path, store):
    f = write_lines(tmp_path / "a.log", [rec(1), rec(2)])
    r = coco("load", "--store", str(store), str(f))
    assert r.code == 0 and r.out == ""
    assert "loaded 1 file(s)" in r.err and "2 events" in r.err


def test_load_json_prints_the_summary_on_stdout(coco, tmp_path, store):
    f = write_lines(tmp_path / "a.log", [rec(1), "junk"])
    r = coco("load", "--store", str(store), "--json", str(f))
    summary = r.json()
    assert (summary["files_loaded"], summary["events"], summary["bad_lines"]) == (1, 1, 1)
    assert summary["bad_line_examples"] == [f"{f}:2: not JSON"]


def test_bad_lines_are_counted_with_file_and_line_of_the_first_few(coco, tmp_path, store):
    f = write_lines(tmp_path / "a.log", [rec(1)] + ["junk"] * 8 + [rec(2)])
    r = coco("load", "--store", str(store), str(f))
    assert r.code == 0
    assert "8 line(s) skipped" in r.err
    assert f"{f}:2: not JSON" in r.err and f"{f}:6: not JSON" in r.err and f"{f}:7:" not in r.err
    assert stored(store) == [(2,)]


def test_a_truncated_gzip_loads_its_complete_lines_and_is_reported_damaged(coco, tmp_path, store):
    data = gzip.compress(b"".join(json.dumps(rec(i)).encode() + b"\n" for i in range(3000)))
    f = tmp_path / "cut.log.gz"
    f.write_bytes(data[: len(data) // 2])
    r = coco("load", "--store", str(store), "--json", str(f))
    assert r.code == 0
    summary = r.json()
    assert summary["files_damaged"] == 1 and "truncated" in summary["damaged"][0]["reason"]
    assert 0 < summary["events"] < 3000
    assert stored(store) == [(summary["events"],)]
    assert "its complete lines were loaded" in r.err


def test_loading_a_file_again_adds_nothing(coco, tmp_path, store):
    f = write_lines(tmp_path / "a.log.gz", [rec(1), rec(2)])
    coco("load", "--store", str(store), str(f))
    r = coco("load", "--store", str(store), "--json", str(f))
    assert r.json()["files_already_loaded"] == 1 and r.json()["events"] == 0
    assert stored(store) == [(2,)]


def test_the_same_file_under_two_names_is_recognised_by_its_content(coco, tmp_path, store):
    a = write_lines(tmp_path / "a.log", [rec(1), rec(2)])
    b = tmp_path / "copy" / "b.jsonl"
    b.parent.mkdir()
    b.write_bytes(a.read_bytes())
    r = coco("load", "--store", str(store), "--json", str(a), str(b))
    assert (r.json()["files_loaded"], r.json()["files_already_loaded"]) == (1, 1)
    assert stored(store) == [(2,)]


def test_a_record_with_an_unusable_timestamp_is_kept_with_ts_null(coco, tmp_path, store):
    f = write_lines(tmp_path / "a.log", [rec(1, timestamp="yesterday"), {"event": "robot.parked", "robot_id": "R-2"}])
    coco("load", "--store", str(store), str(f))
    assert stored(store, "SELECT robot_id, ts FROM events ORDER BY 1") == [("R-1", None), ("R-2", None)]


def test_shipper_wrapped_and_unwrapped_records_load_as_the_application_record(coco, tmp_path, store):
    inner = rec(1, delivery_id="D1")
    f = write_lines(
        tmp_path / "a.log",
        [
            {"message": json.dumps(inner), "kubernetes": {"pod_name": "p"}, "source_type": "kubernetes_logs"},
            {**rec(2), "message": json.dumps(rec(2)), "kubernetes": {"pod_name": "p"}},
            {"message": {**rec(3)}, "stream": "stdout"},
        ],
    )
    coco("load", "--store", str(store), str(f))
    rows = stored(store, "SELECT robot_id, delivery_id, record FROM events ORDER BY 1")
    assert [r[:2] for r in rows] == [("R-1", "D1"), ("R-2", None), ("R-3", None)]
    assert json.loads(rows[0][2]) == inner
    assert "kubernetes" in json.loads(rows[1][2])


def test_ids_are_string_fields_and_empty_or_non_string_means_none(coco, tmp_path, store):
    f = write_lines(
        tmp_path / "a.log", [{"event": "a", "delivery_id": "", "robot_id": 7, "pilot_id": None, "demand_id": "DM-1", "offer_id": {"x": 1}}]
    )
    coco("load", "--store", str(store), str(f))
    assert stored(store, "SELECT delivery_id, robot_id, pilot_id, demand_id, offer_id FROM events") == [(None, None, None, "DM-1", None)]


def test_folders_load_recursively_and_a_missing_path_is_a_usage_error(coco, tmp_path, store):
    write_lines(tmp_path / "arch" / "dt=2026-11-25" / "a.log.gz", [rec(1)])
    write_lines(tmp_path / "arch" / "dt=2026-11-26" / "b.json", [rec(2)])
    assert coco("load", "--store", str(store), str(tmp_path / "arch")).code == 0
    assert stored(store) == [(2,)]
    r = coco("load", "--store", str(store), str(tmp_path / "nope"))
    assert r.code == 2 and "no such file or folder" in r.err


def test_a_file_that_is_not_utf8_loads_its_lines_with_replacement_characters(coco, tmp_path, store):
    f = tmp_path / "a.log"
    f.write_bytes(b'{"event":"a","robot_id":"R-\xff"}\n{"event":"b"}\n')
    r = coco("load", "--store", str(store), "--json", str(f))
    assert r.json()["events"] == 2 and r.json()["bad_lines"] == 0
    assert stored(store, "SELECT robot_id FROM events WHERE event = 'a'") == [("R-\ufffd",)]


def test_coco_store_environment_variable_names_the_store(coco, tmp_path, monkeypatch):
    target = tmp_path / "env.duckdb"
    monkeypatch.setenv("COCO_STORE", str(target))
    f = write_lines(tmp_path / "a.log", [rec(1)])
    assert coco("load", str(f)).code == 0
    assert stored(target) == [(1,)]


def test_without_store_option_the_store_is_under_xdg_data_home(coco, tmp_path, isolated_env):
    f = write_lines(tmp_path / "a.log", [rec(1)])
    assert coco("load", str(f)).code == 0
    assert stored(isolated_env / "data" / "coco" / "events.duckdb") == [(1,)]


def test_files_whose_names_look_like_glob_patterns_load_once_each(tmp_path, coco):
    folder = tmp_path / "odd"
    for i, name in enumerate(["x*.jsonl", "xy.jsonl", "z[1].jsonl", "z1.jsonl", "q?.jsonl", "{a}.jsonl"]):
        write_lines(folder / name, [{"event": "trip.started", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": f"G{i}"}])
    r = coco("load", str(folder), "--store", str(tmp_path / "s.duckdb"), "--json")
    assert r.code == 0
    assert [f["events"] for f in r.json()["files"]] == [1] * 6
    for i in range(6):
        t = coco("timeline", f"G{i}", "--store", str(tmp_path / "s.duckdb"), "-f", "json").json()
        assert (t["summary"]["events"], t["summary"]["duplicates_removed"]) == (1, 0)


def test_a_memory_limit_that_is_not_a_size_is_a_usage_error_and_never_reaches_sql(tmp_path, coco, monkeypatch):
    archive = write_lines(tmp_path / "a.jsonl", [{"event": "trip.started", "timestamp": "2026-11-25T10:00:00Z"}])
    side = tmp_path / "side.duckdb"
    monkeypatch.setenv("COCO_MEMORY_LIMIT", f"1GB'; ATTACH '{side}' AS side; SELECT '1")
    r = coco("load", str(archive), "--store", str(tmp_path / "s.duckdb"))
    assert r.code == 2 and "COCO_MEMORY_LIMIT must be a size" in r.err
    assert not side.exists()
    monkeypatch.setenv("COCO_MEMORY_LIMIT", "256MB")
    assert coco("load", str(archive), "--store", str(tmp_path / "s.duckdb")).code == 0


def test_a_progress_bar_shows_on_a_terminal_and_never_on_a_pipe(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    archive = write_lines(tmp_path / "a.jsonl", [{"event": "trip.started", "timestamp": "2026-11-25T10:00:00Z"}])
    cmd = [sys.executable, "-c", "from cocoevents.cli.main import run; run()", "load", str(archive)]
    piped = subprocess.run([*cmd, "--store", str(tmp_path / "p.duckdb")], capture_output=True, text=True)
    assert piped.returncode == 0 and "loading" not in piped.stderr and "\x1b[" not in piped.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen([*cmd, "--store", str(tmp_path / "t.duckdb")], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0
    assert b"loading" in seen and b"\x1b[" in seen  # the bar (then its summary line) on the terminal


# -- issue 12 item 5: zstd archives under their own names (.log.zst, .json.zst, .jsonl.zst, .ndjson.zst) -----------

ZST_NAMES = ["a.log.zst", "a.json.zst", "a.jsonl.zst", "a.ndjson.zst"]


def zst(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


def test_a_zst_archive_in_a_folder_loads_exactly_like_its_gzip_twin(coco, tmp_path):
    records = [rec(i) for i in range(50)] + ["junk"] + [rec(i, error={"code": "LID"}) for i in range(50, 60)]
    body = b"".join((r if isinstance(r, str) else json.dumps(r)).encode() + b"\n" for r in records)
    summaries, rows = [], []
    for name, data in (("gz", gzip.compress(body)), ("zst", zst(body))):
        day = tmp_path / name / "dt=2026-11-25"
        day.mkdir(parents=True)
        (day / f"1764057600-x.log.{name}").write_bytes(data)
        store = tmp_path / f"{name}.duckdb"
        r = coco("load", "--store", str(store), "--json", str(tmp_path / name))  # a folder: found by its suffix
        assert r.code == 0, r.err
        s = r.json()
        summaries.append((s["files_loaded"], s["events"], s["bad_lines"], s["files_damaged"], s["skipped"]))
        rows.append(stored(store, "SELECT event, robot_id, ts, record FROM events ORDER BY robot_id, record"))
    assert summaries[0] == summaries[1] == (1, 60, 1, 0, [])
    assert rows[0] == rows[1] and len(rows[0]) == 60


def test_every_zst_archive_name_is_found_in_a_folder_by_load_and_check(coco, tmp_path, store):
    for n, name in enumerate(ZST_NAMES):
        (tmp_path / name).write_bytes(zst(json.dumps(rec(n)).encode() + b"\n"))
    (tmp_path / "notes.zst").write_bytes(zst(b"hello\n"))
    r = coco("load", "--store", str(store), "--json", str(tmp_path))
    assert r.code == 0 and (r.json()["files_loaded"], r.json()["events"]) == (4, 4), r.err
    assert [(s["path"].rsplit("/", 1)[-1], s["reason"]) for s in r.json()["skipped"]] == [
        ("notes.zst", "not an archive file name (.log, .json, .jsonl or .ndjson, optionally .gz or .zst)")
    ]
    c = coco("check", "--json", str(tmp_path))
    assert c.json()["records"] == 4 and c.json()["bad_lines"] == 0


def test_a_truncated_zst_archive_keeps_its_whole_lines_and_is_reported_damaged(coco, tmp_path, store):
    data = zst(b"".join(json.dumps(rec(i)).encode() + b"\n" for i in range(30_000)))  # several zstd blocks
    day = tmp_path / "dt=2026-11-25"
    day.mkdir()
    (day / "cut.log.zst").write_bytes(data[: len(data) // 2])
    r = coco("load", "--store", str(store), "--json", str(tmp_path))
    assert r.code == 0, r.err
    summary = r.json()
    assert summary["files_damaged"] == 1 and "zstd" in summary["damaged"][0]["reason"]
    assert 0 < summary["events"] < 30_000 and stored(store) == [(summary["events"],)]
    ids = sorted(int(x) for (x,) in stored(store, "SELECT substr(robot_id, 3) FROM events"))
    assert ids == list(range(summary["events"]))  # the lines before the damage, each whole, none half-read
    assert "its complete lines were loaded" in r.err
    c = coco("check", "--json", str(day / "cut.log.zst"))
    assert c.json()["records"] == summary["events"] and len(c.json()["damaged_files"]) == 1
