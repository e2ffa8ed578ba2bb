"""A store a reader found clean is not checked against crafted objects again until its files change (``store.checked``).

The catalog read that refuses a crafted store lists every built-in function (``duckdb_functions()``); a reader
remembers a clean store by its file's identity (device, inode, size, modification and change time, and its
``.wal``'s), and any write, another file at the path or a ``.wal`` that appears makes the next reader read the
catalog again - and refuse what someone added.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..support.cli import run_coco
from .test_store_paths_and_crafted_files import REFUSED, craft, loaded_store


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's store was written a moment ago: remember it all the same (coco waits ``SETTLE_NS``)."""
    from cocoevents.store import checked

    monkeypatch.setattr(checked, "SETTLE_NS", 0)


@pytest.fixture
def catalog_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the catalog reads (``connection.foreign_objects``) of the test's in-process runs."""
    from cocoevents.store import connection

    reads: list[int] = []
    real = connection.foreign_objects

    def counted(con):  # type: ignore[no-untyped-def]
        reads.append(1)
        return real(con)

    monkeypatch.setattr(connection, "foreign_objects", counted)
    return reads


def memos() -> list[Path]:
    folder = Path(os.environ["XDG_CACHE_HOME"]) / "coco" / "checked"
    return sorted(folder.iterdir()) if folder.exists() else []


def timeline(store: Path) -> tuple[int, str, str]:
    r = run_coco("timeline", "D1", "--store", str(store), "-f", "json")
    return r.code, r.out, r.err


def test_a_store_found_clean_is_read_again_without_reading_its_catalog(tmp_path, settled, catalog_reads) -> None:
    store = loaded_store(tmp_path)
    catalog_reads.clear()  # the load's own check
    first = timeline(store)
    assert first[0] == 0 and '"D1"' in first[1]
    assert (len(catalog_reads), len(memos())) == (1, 1)
    assert timeline(store) == first
    assert len(catalog_reads) == 1


def test_a_macro_added_after_a_clean_read_is_refused_at_the_next_read(tmp_path, settled, catalog_reads) -> None:
    store = loaded_store(tmp_path)
    catalog_reads.clear()
    assert timeline(store)[0] == 0 and len(memos()) == 1
    craft(store, "CREATE MACRO epoch_us(x) AS 0")
    assert timeline(store) == (4, "", f"coco: error: the store {store} holds a macro epoch_us {REFUSED}")
    assert len(catalog_reads) == 2


def test_a_macro_left_in_the_stores_wal_after_a_clean_read_is_refused(tmp_path, settled) -> None:
    store = loaded_store(tmp_path)
    assert timeline(store)[0] == 0 and len(memos()) == 1
    craft(store, "PRAGMA disable_checkpoint_on_shutdown", "CREATE MACRO epoch_us(x) AS 0")
    assert Path(f"{store}.wal").exists()
    assert timeline(store) == (4, "", f"coco: error: the store {store} holds a macro epoch_us {REFUSED}")


def test_a_crafted_copy_put_in_place_of_a_clean_store_is_refused(tmp_path, settled) -> None:
    store = loaded_store(tmp_path)
    (tmp_path / "other").mkdir()
    other = loaded_store(tmp_path / "other")
    craft(other, "CREATE VIEW v AS SELECT 1")
    assert timeline(store)[0] == 0
    os.replace(other, store)
    assert timeline(store) == (4, "", f"coco: error: the store {store} holds a view v {REFUSED}")


def test_a_store_written_a_moment_ago_is_not_remembered(tmp_path, catalog_reads) -> None:
    """A file system with coarse times could give a second write within the same tick the same identity."""
    store = loaded_store(tmp_path)
    catalog_reads.clear()
    assert timeline(store)[0] == 0 and timeline(store)[0] == 0
    assert (len(catalog_reads), memos()) == (2, [])


def test_the_console_script_remembers_a_clean_store_and_refuses_it_once_crafted(tmp_path, settled) -> None:
    """The ``coco`` script checks the store in the thread that opens it ahead; the same memo serves it. The
    child processes remember a store written a moment ago, as the test's own runs do."""
    store = loaded_store(tmp_path)
    code = "from cocoevents.store import checked; checked.SETTLE_NS = 0; from cocoevents.cli.launch import run; run()"
    args = [sys.executable, "-c", code, "timeline", "D1", "--store", str(store), "-f", "json"]
    first = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and len(memos()) == 1
    again = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, first.stderr)
    craft(store, "CREATE MACRO epoch_us(x) AS 0")
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout) == (4, "")
    assert r.stderr == f"coco: error: the store {store} holds a macro epoch_us {REFUSED}"


def test_a_cache_folder_coco_cannot_write_only_means_the_catalog_is_read_every_time(tmp_path, settled, catalog_reads, monkeypatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    store = loaded_store(tmp_path)
    catalog_reads.clear()
    first = timeline(store)
    assert first[0] == 0 and timeline(store) == first
    assert len(catalog_reads) == 2
    craft(store, "CREATE MACRO epoch_us(x) AS 0")
    assert timeline(store) == (4, "", f"coco: error: the store {store} holds a macro epoch_us {REFUSED}")
