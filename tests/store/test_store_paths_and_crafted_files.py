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
