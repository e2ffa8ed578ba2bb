"""Issue 9: what a new user and an attacker found in loading, checking and the store (items 3, 7, 9, 12-16, 19)."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from cocoevents.store import config as store_config
from cocoevents.store import connection as store_connection
from cocoevents.store import loader as local

from ..support.cli import run_coco, write_lines

T = "2026-11-25T10:00:00Z"
COCO = [sys.executable, "-c", "from cocoevents.cli.main import run; run()"]


def rec(i: int, **extra) -> dict:
    return {"event": "trip.started", "delivery_id": f"D{i}", "timestamp": T, **extra}


def lines(n: int, start: int = 0) -> bytes:
    return b"".join(json.dumps(rec(i)).encode() + b"\n" for i in range(start, start + n))


def stored(store: Path, q: str = "SELECT count(*) FROM events"):
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(q).fetchall()
    finally:
        con.close()


# -- item 3: no extension downloads, no in-memory or remote stores -------------------------------------------------


@pytest.mark.parametrize("target", [":memory:", "md:mydb", "motherduck:mydb", "s3://bucket/events.duckdb", "sqlite:x.db"])
def test_a_store_path_that_is_not_a_file_is_a_usage_error_for_load_and_timeline(coco, tmp_path, target):
    f = write_lines(tmp_path / "a.log", [rec(1)])
    for args in (("load", str(f)), ("timeline", "D1")):
        r = coco(*args, "--store", target)
        assert r.code == 2, r.err
        assert "must be a file path" in r.err and r.err.count("\n") == 1


def test_every_connection_coco_opens_has_extension_autoload_autoinstall_and_the_progress_bar_off(tmp_path):
    from cocoevents.archive import lines as archive

    store = tmp_path / "s.duckdb"
    local.load(store, [str(write_lines(tmp_path / "a.log", [rec(1)]))])
    q = (
        "SELECT current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions'), "
        "current_setting('enable_progress_bar')"
    )
    for read_only in (True, False):
        con = store_connection.connect(store, read_only=read_only)
        try:
            assert con.execute(q).fetchone() == (False, False, False)
        finally:
            con.close()
    loader = local.Loader(store)
    try:
        for con in (loader.mem, archive._memory()):
            assert con.execute(q).fetchone() == (False, False, False)
    finally:
        loader.close()


def test_a_sqlite_file_at_the_store_path_is_refused_without_fetching_an_extension(coco, tmp_path):
    import sqlite3

    store = tmp_path / "s.db"
    c = sqlite3.connect(store)
    c.execute("CREATE TABLE events (x)")
    c.commit()
    c.close()
    before = store.read_bytes()
    r = coco("timeline", "D1", "--store", str(store))
    assert r.code == 4 and "not a DuckDB database" in r.err and r.err.count("\n") == 1, r.err
    r = coco("load", str(write_lines(tmp_path / "a.log", [rec(1)])), "--store", str(store))
    assert r.code == 4 and "not a DuckDB database" in r.err, r.err
    assert store.read_bytes() == before


# -- item 7: the machine's failures are one line with exit 4 or 2, never 5 -------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs (root only; skipped where mounting is not allowed)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here to fill the disk: {r.stderr.strip() or r.returncode}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_full_disk_during_a_load_is_one_line_with_exit_4_and_the_next_run_is_not_blocked(tmp_path, small_disk):
    archive = tmp_path / "arch"
    archive.mkdir()
    for i in range(6):  # ~ 12 MB of records that compress poorly in the store
        (archive / f"{i}.log").write_bytes(
            b"".join(json.dumps(rec(n, blob=os.urandom(300).hex())).encode() + b"\n" for n in range(i * 4000, i * 4000 + 4000))
        )
    store = small_disk / "s.duckdb"
    r = subprocess.run(
        [*COCO, "load", str(archive), "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COCO_BATCH_MB": "2"},
    )
    assert r.returncode == 4, r.stderr
    assert "no space left on device" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for leftover in small_disk.iterdir():  # make room; whatever store is left must not block the next run
        if leftover.name.endswith(".wal") or leftover.stat().st_size > 0:
            leftover.unlink()
    small = write_lines(tmp_path / "one.log", [rec(1)])
    r = subprocess.run([*COCO, "load", str(small), "--store", str(store)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def _loaded_store(coco, tmp_path) -> Path:
    store = tmp_path / "s.duckdb"
    f = tmp_path / "a.log"
    f.write_bytes(b"".join(json.dumps(rec(i % 500, blob="x" * (i % 97))).encode() + b"\n" for i in range(60_000)))
    assert coco("load", str(f), "--store", str(store)).code == 0
    return store


@pytest.mark.parametrize("damage", ["truncated", "bytes flipped"])
def test_a_damaged_store_is_one_line_with_exit_4_and_doctor_says_it_is_damaged(coco, tmp_path, damage):
    store = _loaded_store(coco, tmp_path)
    data = bytearray(store.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        for at in range(3 * 4096, len(data) - 4096, 4096):  # every 4 KiB past the three header blocks
            data[at + 100 : at + 108] = b"\xde\xad\xbe\xef" * 2
    store.write_bytes(bytes(data))
    r = coco("doctor", "--store", str(store))
    assert r.code == 4 and "damaged" in r.err and r.err.count("\n") == 1, (r.out, r.err)
    assert "ok" not in r.out
    codes = set()
    for i in (1, 250, 499):
        r = coco("timeline", f"D{i}", "--store", str(store), "-f", "json")
        assert r.code == 4 and "damaged" in r.err and r.err.count("\n") == 1, r.err
        codes.add(r.code)
    assert codes == {4}


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody can write to - a read-only tmpfs as root (root ignores mode bits)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        yield folder, lambda: folder.chmod(0o555), lambda: folder.chmod(0o755)
        return
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs to make a read-only folder as root")
    yield (
        folder,
        lambda: subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True),
        lambda: subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True),
    )
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_store_in_a_read_only_folder_reads_and_a_load_into_it_is_one_line_with_exit_4(coco, tmp_path, read_only_folder):
    folder, lock, unlock = read_only_folder
    store = folder / "s.duckdb"
    assert coco("load", str(write_lines(tmp_path / "a.log", [rec(1)])), "--store", str(store)).code == 0
    lock()
    try:
        t = coco("timeline", "D1", "--store", str(store), "-f", "json")
        assert t.code == 0 and t.json()["summary"]["events"] == 1, t.err
        r = coco("load", str(write_lines(tmp_path / "b.log", [rec(2)])), "--store", str(store))
        assert r.code == 4 and "cannot write the store" in r.err and r.err.count("\n") == 1, r.err
        r = coco("load", str(tmp_path / "b.log"), "--store", str(folder / "new.duckdb"))
        assert r.code == 4 and r.err.count("\n") == 1, r.err
    finally:
        unlock()


def test_a_store_folder_that_cannot_be_created_is_one_line_with_exit_4(coco, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("HOME", str(blocker / "home"))  # under a file: no folder can be made there
    monkeypatch.delenv("XDG_DATA_HOME")
    r = coco("load", str(write_lines(tmp_path / "a.log", [rec(1)])))
    assert r.code == 4 and "cannot create the store folder" in r.err and r.err.count("\n") == 1, r.err


def _as_nobody(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, user=65534, group=65534, extra_groups=[], **kw)


@pytest.mark.parametrize("how", ["no permission", "read error"])
def test_an_unreadable_file_in_a_loaded_folder_is_skipped_and_reported_and_the_rest_loads(tmp_path, how):
    root = Path(tempfile.mkdtemp(prefix="coco-unreadable-"))  # outside pytest's private tmp (mode 700)
    try:
        root.chmod(0o777)
        day = root / "dt=2026-11-25"
        write_lines(day / "a.log", [rec(1)])
        secret = day / "b.log"
        if how == "no permission":
            write_lines(secret, [rec(2)]).chmod(0)
            reason = "cannot read (Permission denied)"
        else:  # a file whose reads fail even for root: the kernel refuses reading address 0 of /proc/self/mem
            secret.symlink_to("/proc/self/mem")
            reason = "cannot read (Input/output error)"
        day.chmod(0o777)
        store = root / "s.duckdb"
        cmd = [*COCO, "load", str(root), "--store", str(store), "--json"]
        if how == "no permission" and os.geteuid() == 0:  # root reads anything: run coco as nobody
            try:
                probe = _as_nobody([sys.executable, "-c", "import cocoevents"], env={**os.environ, "HOME": str(root)})
            except OSError as e:
                probe = subprocess.CompletedProcess([], 1, "", str(e))
            if probe.returncode != 0:
                pytest.skip(f"cannot run coco as an unprivileged user here: {probe.stderr.strip()[-200:]}")
            r = _as_nobody(cmd, env={**os.environ, "HOME": str(root)})
        else:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert summary["events"] == 1
        assert {"path": str(secret), "reason": reason} in summary["skipped"]
        assert f"{secret}: {reason}" in r.stderr
        c = subprocess.run([*COCO, "check", str(root), "--json"], capture_output=True, text=True, timeout=120)
        if how == "read error":
            assert json.loads(c.stdout)["records"] == 1, c.stderr
            assert {"path": str(secret), "reason": reason} in json.loads(c.stdout)["skipped"]
    finally:
        subprocess.run(["rm", "-rf", str(root)])


def test_a_file_name_that_is_not_utf8_or_holds_control_characters_loads_and_prints_escaped(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    latin = os.path.join(os.fsencode(folder), b"caf\xe9.log")
    with open(latin, "wb") as fh:
        fh.write(json.dumps(rec(1)).encode() + b"\nnot json\n")
    evil = folder / "x\x1b]0;TITLE\x07\x1b[2J\r.log"
    evil.write_bytes(json.dumps(rec(2)).encode() + b"\nnot json\n")
    r = subprocess.run([*COCO, "load", str(folder), "--store", str(tmp_path / "s.duckdb")], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "caf\\xe9.log:2: not JSON" in err
    assert "x\\x1b]0;TITLE\\x07\\x1b[2J\\x0d.log:2: not JSON" in err
    assert "\x1b" not in err and "\r" not in err and "\x07" not in err
    assert stored(tmp_path / "s.duckdb") == [(2,)]
    c = subprocess.run([*COCO, "check", str(folder)], capture_output=True, timeout=120)
    assert c.returncode == 1 and b"caf\\xe9.log:2: not JSON" in c.stdout and b"\x1b" not in c.stdout


def test_a_memory_limit_too_small_is_one_line_and_never_a_bug(coco, tmp_path, monkeypatch):
    f = tmp_path / "a.log"
    f.write_bytes(b"".join(json.dumps(rec(i, blob="y" * 2000)).encode() + b"\n" for i in range(20_000)))
    monkeypatch.setenv("COCO_MEMORY_LIMIT", "1MB")
    r = coco("load", str(f), "--store", str(tmp_path / "s.duckdb"))
    assert r.code in (0, 2), r.err
    if r.code == 2:
        assert "COCO_MEMORY_LIMIT" in r.err and r.err.count("\n") == 1
    else:  # DuckDB managed within 1 MB: then everything is there
        assert stored(tmp_path / "s.duckdb") == [(20_000,)]


# -- item 12: the demo's own store; listing and removing loaded files -------------------------------------------------


def test_the_demo_store_is_not_the_default_store(isolated_env):
    assert store_config.demo_store_path() != store_config.default_store_path()
    assert store_config.demo_store_path().parent == store_config.default_store_path().parent


def test_store_files_lists_each_loaded_file_with_its_sha_day_range_and_events(coco, tmp_path, store):
    a = write_lines(tmp_path / "a.log", [rec(1, timestamp="2026-11-24T23:00:00Z"), rec(2), "junk"])
    b = write_lines(tmp_path / "b.log.gz", [rec(3, timestamp="2026-11-26T01:00:00Z")])
    assert coco("load", str(a), str(b), "--store", str(store)).code == 0
    r = coco("store", "files", "--store", str(store), "--json")
    assert r.code == 0
    import hashlib

    assert r.json() == [
        {
            "path": str(a.resolve()),
            "sha256": hashlib.sha256(a.read_bytes()).hexdigest(),
            "first": "2026-11-24T23:00:00.000Z",
            "last": "2026-11-25T10:00:00.000Z",
            "events": 2,
            "bad_lines": 1,
            "damage": None,
        },
        {
            "path": str(b.resolve()),
            "sha256": hashlib.sha256(b.read_bytes()).hexdigest(),
            "first": "2026-11-26T01:00:00.000Z",
            "last": "2026-11-26T01:00:00.000Z",
            "events": 1,
            "bad_lines": 0,
            "damage": None,
        },
    ]
    table = coco("store", "files", "--store", str(store))
    assert table.code == 0 and str(a.resolve()) in table.out and "2026-11-24T23:00:00.000Z" in table.out


@pytest.mark.parametrize("how", ["path", "sha", "day"])
def test_store_remove_deletes_a_files_events_in_one_transaction_and_it_can_be_loaded_again(coco, tmp_path, store, how):
    import hashlib

    demo = write_lines(tmp_path / "demo" / "d.log", [rec(1, timestamp="2026-11-20T10:00:00Z"), rec(2, timestamp="2026-11-20T11:00:00Z")])
    real = write_lines(tmp_path / "real" / "r.log", [rec(3), rec(4)])
    assert coco("load", str(demo), str(real), "--store", str(store)).code == 0
    args = {
        "path": [str(tmp_path / "demo")],
        "sha": ["--sha", hashlib.sha256(demo.read_bytes()).hexdigest()[:10]],
        "day": ["--day", "2026-11-20", "--yes"],
    }[how]
    r = coco("store", "remove", *args, "--store", str(store))
    assert r.code == 0, r.err
    assert "removed 1 file(s) and their 2 events" in r.err
    assert stored(store, "SELECT delivery_id FROM events ORDER BY 1") == [("D3",), ("D4",)]
    assert [f["path"] for f in coco("store", "files", "--store", str(store), "--json").json()] == [str(real.resolve())]
    assert coco("timeline", "D1", "--store", str(store)).code == 3
    again = coco("load", str(demo), "--store", str(store), "--json")
    assert again.json()["files_loaded"] == 1 and again.json()["events"] == 2


def test_store_remove_of_nothing_loaded_exits_3_and_without_a_selector_exits_2(coco, tmp_path, store):
    assert coco("load", str(write_lines(tmp_path / "a.log", [rec(1)])), "--store", str(store)).code == 0
    r = coco("store", "remove", "--day", "1999-01-01", "--yes", "--store", str(store))
    assert r.code == 3 and "no loaded file matches" in r.err
    assert coco("store", "remove", "--store", str(store)).code == 2
    assert coco("store", "remove", "--day", "yesterday", "--store", str(store)).code == 2
    assert stored(store) == [(1,)]


def remove_day_on_a_terminal(store: Path, answer: str) -> tuple[int, str]:
    """``coco store remove --day 2026-11-20`` with its standard input on a pseudo-terminal that types ``answer``."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*COCO, "store", "remove", "--day", "2026-11-20", "--store", str(store)],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    os.write(master, answer.encode())
    _, err = proc.communicate(timeout=120)
    os.close(master)
    return proc.returncode, err.decode()


def test_store_remove_day_asks_on_a_terminal_and_wants_yes_from_a_script(coco, tmp_path, store):
    day = write_lines(tmp_path / "d.log", [rec(1, timestamp="2026-11-20T10:00:00Z"), rec(2, timestamp="2026-11-20T11:00:00Z")])
    assert coco("load", str(day), "--store", str(store)).code == 0
    script = coco("store", "remove", "--day", "2026-11-20", "--store", str(store))
    assert script.code == 2 and script.out == ""
    assert script.err.strip().splitlines() == [
        "coco: error: --day removes every file with an event on that day: pass --yes to confirm (no terminal to ask on)"
    ]
    assert stored(store) == [(2,)]
    code, err = remove_day_on_a_terminal(store, "n\n")
    assert code == 0, err
    assert str(day.resolve()) in err and "Remove 1 file(s) and their 2 events from" in err and "[y/N]" in err
    assert "coco: nothing removed" in err
    assert stored(store) == [(2,)]
    code, err = remove_day_on_a_terminal(store, "y\n")
    assert code == 0, err
    assert "coco: removed 1 file(s) and their 2 events" in err
    assert stored(store) == [(0,)]


# -- item 13: nothing skipped without a word ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["load", "check"])
def test_a_folder_without_archive_files_exits_3_with_one_line(coco, tmp_path, command):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = coco(command, str(empty), "--store", str(tmp_path / "s.duckdb")) if command == "load" else coco(command, str(empty))
    assert r.code == 3 and "no archive file in" in r.err and r.err.count("\n") == 1, r.err
    assert not (tmp_path / "s.duckdb").exists()


def test_ndjson_files_load_and_other_files_are_reported_as_skipped_with_their_reason(coco, tmp_path, store):
    day = tmp_path / "dt=2026-11-25"
    write_lines(day / "a.ndjson", [rec(1)])
    write_lines(day / "b.ndjson.gz", [rec(2)])
    (day / "notes.txt").write_text("hello")
    (day / "dangling.log").symlink_to(tmp_path / "nowhere")
    r = coco("load", str(tmp_path), "--store", str(store), "--json")
    assert r.code == 0 and r.json()["events"] == 2
    reasons = {Path(s["path"]).name: s["reason"] for s in r.json()["skipped"]}
    assert reasons == {
        "notes.txt": "not an archive file name (.log, .json, .jsonl or .ndjson, optionally .gz or .zst)",
        "dangling.log": "broken symlink",
    }
    assert "skipped 2 path(s)" in r.err and "notes.txt: not an archive file name" in r.err


def test_symlinked_day_folders_are_followed_and_a_symlink_loop_is_read_once(coco, tmp_path, store):
    real = tmp_path / "elsewhere" / "dt=2026-11-25"
    write_lines(real / "a.log", [rec(1)])
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "dt=2026-11-25").symlink_to(real, target_is_directory=True)
    (real / "loop").symlink_to(archive, target_is_directory=True)
    r = coco("load", str(archive), "--store", str(store), "--json")
    assert r.code == 0, r.err
    assert (r.json()["files_loaded"], r.json()["events"]) == (1, 1)
    assert any(s["reason"].startswith("folder already read") for s in r.json()["skipped"])


# -- item 14: compression by magic bytes ---------------------------------------------------------------------------


def test_a_zstd_file_is_read_whatever_its_name_in_load_and_check(coco, tmp_path, store):
    import zstandard

    f = tmp_path / "a.log.gz"
    f.write_bytes(zstandard.ZstdCompressor().compress(lines(3)))
    r = coco("load", str(f), "--store", str(store), "--json")
    assert (r.code, r.json()["events"], r.json()["bad_lines"]) == (0, 3, 0)
    c = coco("check", "--json", str(f))
    assert c.json()["records"] == 3 and c.json()["bad_lines"] == 0


def test_a_truncated_zstd_file_loads_its_complete_lines_and_is_reported_damaged(coco, tmp_path, store):
    import zstandard

    data = zstandard.ZstdCompressor().compress(lines(30_000))  # several zstd blocks
    f = tmp_path / "a.log.gz"
    f.write_bytes(data[: len(data) // 2])
    r = coco("load", str(f), "--store", str(store), "--json")
    assert r.code == 0 and r.json()["files_damaged"] == 1 and 0 < r.json()["events"] < 30_000
    assert "zstd" in r.json()["damaged"][0]["reason"]


@pytest.mark.parametrize(
    "what,compress", [("bzip2", bz2.compress), ("xz", lzma.compress), ("gzip inside gzip", lambda b: gzip.compress(gzip.compress(b)))]
)
def test_other_compressions_are_reported_unsupported_and_not_marked_loaded(coco, tmp_path, store, what, compress):
    f = tmp_path / "a.log.gz"
    f.write_bytes(compress(lines(3)))
    r = coco("load", str(f), "--store", str(store), "--json")
    assert r.code == 0
    s = r.json()
    assert (s["files_loaded"], s["events"], s["bad_lines"], s["files_unsupported"]) == (0, 0, 0, 1)
    assert s["unsupported"][0]["reason"] == f"{what} compression is not supported"
    assert f"{f.resolve()}: {what} compression is not supported; not loaded" in r.err
    f.write_bytes(gzip.compress(lines(3)))  # fixed by the shipper: loads now
    assert coco("load", str(f), "--store", str(store), "--json").json()["events"] == 3
    c = coco("check", "--json", str(tmp_path / "a.log.gz"))
    assert c.json()["damaged_files"] == []


# -- item 16: a changed file replaces its old version -------------------------------------------------------------


def test_a_changed_file_at_a_loaded_path_replaces_its_old_events_and_the_summary_says_replaced(coco, tmp_path, store):
    f = tmp_path / "a.log"
    f.write_bytes(
        lines(20)
        + json.dumps({"event": "delivery.failed", "delivery_id": "D5", "timestamp": T, "error": {"code": "X", "message": "m"}}).encode()
        + b"\n"
    )
    assert coco("load", str(f), "--store", str(store)).code == 0
    f.write_bytes(lines(21))  # the failed line is gone, one line was added
    r = coco("load", str(f), "--store", str(store), "--json")
    assert r.code == 0 and r.json()["files_replaced"] == 1 and r.json()["files"][0]["replaced"] is True
    assert "replaced" in r.err
    assert stored(store) == [(21,)]
    t = coco("timeline", "D5", "--store", str(store), "-f", "json").json()
    assert [e["event"] for e in t["events"]] == ["trip.started"] and t["summary"]["duplicates_removed"] == 0


# -- item 19 and the progress bar -------------------------------------------------------------------------------------


def test_a_truncated_gzip_in_a_batch_sends_only_that_file_to_the_streaming_line_reader(tmp_path, monkeypatch):
    folder = tmp_path / "batch"
    for i in range(20):
        write_lines(folder / f"{i:02d}.log.gz", [rec(i)] * 50)
    cut = gzip.compress(lines(3000))
    (folder / "10.log.gz").write_bytes(cut[: len(cut) // 2])
    passes, read_slow = [], []
    fast, slow = local.Loader._fast, local.Loader._stream

    def spy_fast(self, batch, ks, compression):
        passes.append(len(ks))
        return fast(self, batch, ks, compression)

    def spy_slow(self, item, piece):
        read_slow.append(item.path.name)
        return slow(self, item, piece)

    monkeypatch.setattr(local.Loader, "_fast", spy_fast)
    monkeypatch.setattr(local.Loader, "_stream", spy_slow)
    report = local.load(tmp_path / "s.duckdb", [str(folder)])
    assert read_slow == ["10.log.gz"]
    # the rest staged in one pass, not file by file: the cut file's last 4 bytes, read as the gzip trailer's size,
    # claim a decompression bomb (as almost any cut does), so it is streamed from the start
    assert passes == [19]
    assert report.count("damaged") == 1 and report.count("loaded") == 19


def test_load_progress_counts_files_with_the_total_known_from_the_start(tmp_path):
    folder = tmp_path / "p"
    for i in range(7):
        write_lines(folder / f"{i}.log", [rec(i)])
    calls = []
    local.load(tmp_path / "s.duckdb", [str(folder)], progress=lambda done, total: calls.append((done, total)))
    assert calls and {total for _, total in calls} == {7}
    assert calls[-1] == (7, 7) and [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_a_baseline_rebuild_out_of_memory_leaves_the_load_done_with_a_warning(tmp_path, monkeypatch):
    """At 30M events the fleet baseline did not fit the default 512 MB: the files were committed, yet the load
    said "out of memory" and exit 4. The load is done; the warning says how to rebuild the baseline."""
    from cocoevents.devtools import generator
    from cocoevents.store import baseline

    generator.main([str(tmp_path / "a"), "--events", "3000"])
    real = baseline.compute

    def tight(con):  # a genuine DuckDB out-of-memory error from the real statement
        con.execute("SET memory_limit = '256KB'")
        return real(con)

    monkeypatch.setattr(baseline, "compute", tight)
    store = tmp_path / "s.duckdb"
    r = run_coco("load", str(tmp_path / "a"), "--store", str(store), "--json")
    assert r.code == 0, r.err
    assert r.json()["baseline_error"] == "out of memory with COCO_MEMORY_LIMIT=512MB" and r.json()["events"] > 2000
    assert "the fleet baseline was not rebuilt" in r.err and "coco baseline --rebuild" in r.err
    monkeypatch.setattr(baseline, "compute", real)
    assert run_coco("baseline", "--rebuild", "--store", str(store)).code == 0
    assert run_coco("load", str(tmp_path / "a"), "--store", str(store), "--json").json()["baseline_error"] is None


def test_a_new_temporary_folder_removes_only_the_folders_of_processes_that_are_gone(tmp_path) -> None:
    """``store.scratch``: a killed run's folder goes; a running process's, another machine's and another program's
    stay."""
    import socket

    from cocoevents.store.scratch import make_scratch, scratch_root

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    host = socket.gethostname().replace("-", "_")
    root = scratch_root()
    root.mkdir(parents=True)
    stale = root / f"coco-s3-{gone}-{host}-abc123_x"
    kept = [root / f"coco-load-{os.getpid()}-{host}-abc123_y", root / f"coco-s3-{gone}-otherhost-abc123_z", root / "notcoco-1-x"]
    for folder in (stale, *kept):
        folder.mkdir()
        (folder / "000001-a.log.gz").write_bytes(b"x" * 1000)
    made = make_scratch("load")
    assert not stale.exists() and all(k.exists() for k in kept)
    assert Path(made).parent == root and Path(made).name.startswith(f"coco-load-{os.getpid()}-")


@pytest.mark.parametrize("limit", ["", "300MB"])
def test_a_commit_that_cannot_pin_its_blocks_is_out_of_memory_in_one_line_not_a_bug(limit, monkeypatch):
    """A streamed file of huge records (30 lines of 20 MiB) failed its commit at the default limit with DuckDB's
    "failed to pin block" inside a TransactionException: coco called it an internal error (exit 5)."""
    from cocoevents.duckdb_engine import duckdb
    from cocoevents.errors import SourceUnavailable, UsageError, exit_code_for
    from cocoevents.store.connection import environment_error

    monkeypatch.setenv("COCO_MEMORY_LIMIT", limit)
    e = duckdb.TransactionException(
        "TransactionContext Error: Failed to commit: failed to pin block of size 20.0 MiB (482.6 MiB/488.2 MiB used)"
    )
    known = environment_error(e)
    assert isinstance(known, UsageError if limit else SourceUnavailable)
    assert str(known).startswith(f"out of memory (COCO_MEMORY_LIMIT={limit or '512MB'}): set a larger COCO_MEMORY_LIMIT")
    assert exit_code_for(known) in (2, 4)
