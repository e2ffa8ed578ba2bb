"""What ``--store`` may point at, and a store file someone crafted.

coco never unlinks what it did not create in the same run: a FIFO, a device, a symlink or an empty file given
as the store is a usage error and stays as it was. A store that carries objects coco did not create (a macro
shadowing a built-in, a view over a file-reading function) is refused, and store connections cannot read
files outside the store.
"""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ..support.cli import run_coco, write_lines

RECORD = {"event": "robot.parked", "robot_id": "R-1", "delivery_id": "D1", "timestamp": "2026-11-25T10:00:00Z"}


def archive_file(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "a.log", [RECORD])


# -- item 3: --store never deletes what coco did not create ---------------------------------------------------


@pytest.mark.parametrize("command", ["load", "timeline"])
def test_a_fifo_given_as_the_store_is_a_usage_error_and_stays_a_fifo(tmp_path, command) -> None:
    fifo = tmp_path / "events.duckdb"
    os.mkfifo(fifo)
    args = ["load", str(archive_file(tmp_path))] if command == "load" else ["timeline", "D1"]
    r = run_coco(*args, "--store", str(fifo))
    assert (r.code, r.out) == (2, "")
    assert r.err == f"coco: error: the store {fifo} is a FIFO, not a regular file: coco leaves it alone; choose another --store\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_to_a_zero_byte_file_is_left_alone_with_its_target(tmp_path) -> None:
    target = tmp_path / "precious.lock"
    target.write_bytes(b"")
    link = tmp_path / "events.duckdb"
    link.symlink_to(target)
    r = run_coco("load", str(archive_file(tmp_path)), "--store", str(link))
    assert (r.code, r.out) == (2, "")
    assert r.err == (
        f"coco: error: the store {link} is an empty file, not a coco store: coco leaves it alone; "
        "remove it if a coco load was stopped while creating it, or choose another --store\n"
    )
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"" and not (tmp_path / "events.duckdb.wal").exists()


def test_a_zero_byte_file_coco_did_not_create_is_not_replaced_by_a_load_nor_read(tmp_path) -> None:
    store = tmp_path / "s.duckdb"
    store.write_bytes(b"")
    inode = store.stat().st_ino
    for args in (["timeline", "D1"], ["load", str(archive_file(tmp_path))]):
        r = run_coco(*args, "--store", str(store))
        assert r.code == 2 and "is an empty file, not a coco store: coco leaves it alone" in r.err and r.err.count("\n") == 1
    assert store.stat().st_ino == inode and store.stat().st_size == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_given_as_the_store_is_left_alone(tmp_path) -> None:
    null = os.stat("/dev/null")
    device = tmp_path / "null-copy"
    os.mknod(device, stat.S_IFCHR | 0o666, null.st_rdev)
    r = run_coco("load", str(archive_file(tmp_path)), "--store", str(device))
    assert (r.code, r.out) == (2, "")
    assert (
        r.err
        == f"coco: error: the store {device} is a character device, not a regular file: coco leaves it alone; choose another --store\n"
    )
    assert stat.S_ISCHR(os.lstat(device).st_mode) and os.lstat(device).st_rdev == null.st_rdev


def test_a_symlink_to_a_store_is_read_and_written_through(tmp_path) -> None:
    real = tmp_path / "real.duckdb"
    assert run_coco("load", str(archive_file(tmp_path)), "--store", str(real)).code == 0
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    more = write_lines(tmp_path / "b.log", [{**RECORD, "event": "robot.unparked", "timestamp": "2026-11-25T10:05:00Z"}])
    assert run_coco("load", str(more), "--store", str(link)).code == 0
    assert link.is_symlink()
    r = run_coco("timeline", "D1", "--store", str(real), "--format", "jsonl")
    assert r.code == 0 and r.out.count("\n") == 2


def test_a_store_whose_creation_fails_leaves_no_file_behind(tmp_path) -> None:
    """A file-size limit of 100 bytes makes DuckDB's first writes fail: the file coco created is removed again."""
    store = tmp_path / "s.duckdb"
    code = "from cocoevents.cli.main import run; run()"
    r = subprocess.run(
        [sys.executable, "-c", code, "load", str(archive_file(tmp_path)), "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100)),
    )
    assert r.returncode == 4, r.stderr
    assert r.stderr.startswith("coco: error: cannot write the store") and r.stderr.count("\n") == 1, r.stderr
    assert not store.exists() and not Path(str(store) + ".wal").exists()
    assert run_coco("load", str(archive_file(tmp_path)), "--store", str(store)).code == 0


# -- item 4: a crafted store file ------------------------------------------------------------------------------


def loaded_store(tmp_path: Path) -> Path:
    store = tmp_path / "s.duckdb"
    assert run_coco("load", str(archive_file(tmp_path)), "--store", str(store)).code == 0
    return store


def craft(store: Path, *statements: str) -> None:
    import duckdb

    con = duckdb.connect(str(store))
    for statement in statements:
        con.execute(statement)
    con.close()


REFUSED = (
    "that coco did not create: coco does not use a store someone else changed (it could run its own SQL); "
    "load the archive into a new --store\n"
)


def test_a_macro_shadowing_a_built_in_is_refused_by_readers_and_loads(tmp_path) -> None:
    store = loaded_store(tmp_path)
    craft(store, "CREATE MACRO epoch_us(x) AS 0")
    r = run_coco("timeline", "D1", "--store", str(store), "--format", "jsonl")
    assert (r.code, r.out) == (4, "")
    assert r.err == f"coco: error: the store {store} holds a macro epoch_us {REFUSED}"
    more = write_lines(tmp_path / "b.log", [{**RECORD, "timestamp": "2026-11-25T11:00:00Z"}])
    r = run_coco("load", str(more), "--store", str(store))
    assert r.code == 4 and r.err.endswith(f"holds a macro epoch_us {REFUSED}")


def test_a_view_over_a_file_reading_function_is_refused_and_prints_nothing(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2-local-secret\n")
    store = loaded_store(tmp_path)
    craft(store, f"CREATE VIEW leak AS SELECT content FROM read_text('{secret}')", "CREATE TABLE extra (x INT)")
    r = run_coco("store", "files", "--store", str(store))
    assert (r.code, r.out) == (4, "")
    assert r.err == f"coco: error: the store {store} holds a table extra and 1 more object(s) {REFUSED}"
    assert "hunter2" not in r.err


def test_a_generated_column_in_a_known_table_is_refused(tmp_path) -> None:
    store = loaded_store(tmp_path)
    craft(store, "DROP TABLE fleet_baseline", "CREATE TABLE fleet_baseline (x INT, y INT AS (x + 1))")
    r = run_coco("deliveries", "--store", str(store))
    assert r.code == 4 and r.err.endswith(f"holds a computed column fleet_baseline.y {REFUSED}")


def test_a_store_connection_cannot_read_files_outside_the_store(tmp_path) -> None:
    from cocoevents.store.connection import connect

    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2\n")
    store = loaded_store(tmp_path)
    for read_only in (True, False):
        con = connect(store, read_only=read_only)
        try:
            with pytest.raises(Exception, match="Permission Error"):
                con.execute(f"SELECT content FROM read_text('{secret}')").fetchall()
            with pytest.raises(Exception, match="Permission Error"):
                con.execute(f"ATTACH '{tmp_path / 'other.duckdb'}' AS other")
            assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)
        finally:
            con.close()


def test_every_store_coco_makes_passes_its_own_check(demo_store) -> None:
    import duckdb

    from cocoevents.store.connection import foreign_objects

    con = duckdb.connect(str(demo_store), read_only=True)
    try:
        assert foreign_objects(con) == []
        assert {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()} >= {"events", "fleet_baseline"}
    finally:
        con.close()


def test_the_console_script_which_opens_the_store_ahead_refuses_a_crafted_store_too(tmp_path) -> None:
    store = loaded_store(tmp_path)
    craft(store, "CREATE MACRO epoch_us(x) AS 0")
    code = "from cocoevents.cli.launch import run; run()"
    r = subprocess.run([sys.executable, "-c", code, "timeline", "D1", "--store", str(store)], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout) == (4, "")
    assert r.stderr == f"coco: error: the store {store} holds a macro epoch_us {REFUSED}"


def test_a_second_connection_to_a_store_in_the_same_process_opens_while_the_first_is_open(tmp_path) -> None:
    """DuckDB shares one database per file in a process: its file restriction, set by the first connection, is
    found in force by the second, which opens all the same (a library caller reading twice)."""
    from cocoevents.store.connection import connect

    store = loaded_store(tmp_path)
    first = connect(store, read_only=True)
    try:
        second = connect(store, read_only=True)
        assert second.execute("SELECT count(*) FROM events").fetchone() == (1,)
        second.close()
        r = run_coco("timeline", "D1", "--store", str(store), "--format", "jsonl")
        assert (r.code, r.out.count("\n")) == (0, 1), r.err
    finally:
        first.close()
