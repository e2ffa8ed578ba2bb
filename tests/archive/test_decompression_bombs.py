"""Decompression bombs: a small compressed file that expands to gigabytes is damaged, not a crash.

The bombs are real, made here: zstd frames of RLE blocks (4 bytes for each 128 KiB of output, what a bomb
maker writes) and gzip streams of one repeated byte at zlib's best ratio (~1030:1). coco runs in its own
process under an address-space cap (``RLIMIT_AS``), so a reader that holds a bomb's output fails the test
instead of swapping the machine; the good files beside the bomb must load all the same.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from ..support.cli import write_lines

CAP = 1536 << 20  # bytes of address space coco may use (a load of a small file needs ~600 MiB of it)
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GOOD = [
    {"event": "robot.parked", "robot_id": "R-1", "timestamp": "2026-11-25T10:00:00Z"},
    {"event": "robot.parked", "robot_id": "R-2", "timestamp": "2026-11-25T10:01:00Z"},
]

RUN = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.argv = ["coco", *sys.argv[2:]]
from cocoevents.cli.main import run
run()
"""


def zstd_rle_bomb(byte: bytes, size: int) -> bytes:
    """One zstd frame of ``size`` bytes of ``byte`` as RLE blocks of 128 KiB (window 128 KiB, no checksum)."""
    block = 128 * 1024
    count = size // block
    out = bytearray(ZSTD_MAGIC + bytes([0x00, 0x38]))  # frame header: no content size; window descriptor 2**17
    for n in range(count):
        header = (1 if n == count - 1 else 0) | (1 << 1) | (block << 3)  # last block?, type RLE, regenerated size
        out += header.to_bytes(3, "little") + byte
    return bytes(out)


def gzip_bomb(unit: bytes, size: int) -> bytes:
    """A gzip stream of ``size`` bytes of ``unit`` repeated, at zlib's best ratio."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    piece = unit * ((1 << 20) // len(unit))
    parts = [c.compress(piece) for _ in range(size // len(piece))]
    return b"".join(parts) + c.flush()


def coco_capped(*args: str, timeout: float = 300) -> tuple[int, str, str]:
    """coco in its own process under the address-space cap: exit code, stdout, stderr."""
    env = {**os.environ, "COCO_MEMORY_LIMIT": "256MB", "MALLOC_ARENA_MAX": "2"}  # fewer malloc arenas: steadier address space
    r = subprocess.run([sys.executable, "-c", RUN, str(CAP), *args], capture_output=True, text=True, timeout=timeout, env=env)
    return r.returncode, r.stdout, r.stderr


def folder_with(tmp_path: Path, name: str, bomb: bytes) -> Path:
    root = tmp_path / "archive" / "dt=2026-11-25"
    write_lines(root / "1-good.log.gz", GOOD[:1])
    (root / name).write_bytes(bomb)
    write_lines(root / "3-good.log", GOOD[1:])
    return root.parent


def test_the_bombs_made_here_are_what_they_claim() -> None:
    import zstandard

    small = zstd_rle_bomb(b"\n", 4 * 128 * 1024)
    assert len(small) == 6 + 4 * 4
    assert zstandard.ZstdDecompressor().decompressobj().decompress(small) == b"\n" * (4 * 128 * 1024)
    g = gzip_bomb(b"\0", 8 << 20)
    assert zlib.decompress(g, 31) == b"\0" * (8 << 20) and len(g) < (8 << 20) // 900


def assert_bomb_damaged_and_good_files_loaded(code: int, out: str, err: str, bomb: str, what: str) -> None:
    assert code == 0, err[-2000:]
    summary = json.loads(out)
    assert summary["events"] == 2, summary
    assert summary["files_damaged"] == 1
    [damaged] = summary["damaged"]
    assert damaged["path"].endswith(bomb)
    assert damaged["reason"].startswith(f"{what} data expands more than 500 times its compressed size (a decompression bomb?)")
    assert f"{bomb}: {what} data expands more than 500 times" in err


@pytest.mark.slow
def test_a_zstd_bomb_of_zeros_is_damaged_and_the_good_files_beside_it_load_under_a_memory_cap(tmp_path) -> None:
    root = folder_with(tmp_path, "2-bomb.log.zst", zstd_rle_bomb(b"\0", 16 << 30))  # 512 KiB -> 16 GiB
    code, out, err = coco_capped("load", "--store", str(tmp_path / "s.duckdb"), "--json", str(root))
    assert_bomb_damaged_and_good_files_loaded(code, out, err, "2-bomb.log.zst", "zstd")


@pytest.mark.slow
def test_a_zstd_bomb_of_newlines_is_damaged_and_the_good_files_beside_it_load_under_a_memory_cap(tmp_path) -> None:
    root = folder_with(tmp_path, "2-bomb.log.zst", zstd_rle_bomb(b"\n", 8 << 30))  # 256 KiB -> 8 GiB of blank lines
    code, out, err = coco_capped("load", "--store", str(tmp_path / "s.duckdb"), "--json", str(root), timeout=240)
    assert_bomb_damaged_and_good_files_loaded(code, out, err, "2-bomb.log.zst", "zstd")


@pytest.mark.slow
def test_a_gzip_bomb_is_damaged_and_the_good_files_beside_it_load_under_a_memory_cap(tmp_path) -> None:
    root = folder_with(tmp_path, "2-bomb.log.gz", gzip_bomb(b"\0", 1 << 30))  # 1 MiB -> 1 GiB
    code, out, err = coco_capped("load", "--store", str(tmp_path / "s.duckdb"), "--json", str(root))
    assert_bomb_damaged_and_good_files_loaded(code, out, err, "2-bomb.log.gz", "gzip")


@pytest.mark.slow
def test_a_gzip_bomb_whose_trailer_lies_about_its_size_is_damaged_too(tmp_path) -> None:
    """The trailer's size sends an honest gzip bomb to the bounded reader; one that lies is read by DuckDB's
    reader first (bounded by its memory limit, ~1030:1 at most; past the limit the file goes to the line reader),
    then found out by the bytes it staged."""
    bomb = bytearray(gzip_bomb(b" " * 65533 + b"{}\n", 256 << 20))  # 270 KB -> 256 MiB of lines of 64 KiB
    bomb[-4:] = (1000).to_bytes(4, "little")
    root = folder_with(tmp_path, "2-bomb.log.gz", bytes(bomb))
    code, out, err = coco_capped("load", "--store", str(tmp_path / "s.duckdb"), "--json", str(root), timeout=400)
    assert_bomb_damaged_and_good_files_loaded(code, out, err, "2-bomb.log.gz", "gzip")


@pytest.mark.slow
def test_coco_check_reports_a_bomb_as_damaged_under_a_memory_cap(tmp_path) -> None:
    root = folder_with(tmp_path, "2-bomb.log.zst", zstd_rle_bomb(b"\0", 16 << 30))
    code, out, err = coco_capped("check", "--json", str(root))
    assert code == 1, err[-2000:]
    report = json.loads(out)
    assert report["records"] == 2
    [damaged] = report["damaged_files"]
    assert "2-bomb.log.zst: zstd data expands more than 500 times its compressed size" in damaged


@pytest.mark.slow
def test_an_s3_sync_with_a_bomb_among_its_objects_loads_the_others_under_a_memory_cap(tmp_path, moto_endpoint, monkeypatch) -> None:
    import boto3

    from ..support.s3 import aws_credentials

    aws_credentials(monkeypatch, tmp_path)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="bombs")
    root = folder_with(tmp_path, "2-bomb.log.zst", zstd_rle_bomb(b"\0", 8 << 30))
    for path in sorted(root.rglob("*.*")):
        s3.put_object(Bucket="bombs", Key=path.relative_to(root).as_posix(), Body=path.read_bytes())
    code, out, err = coco_capped("load", "s3://bombs/", "--endpoint-url", moto_endpoint, "--store", str(tmp_path / "s.duckdb"), "--json")
    assert_bomb_damaged_and_good_files_loaded(code, out, err, "2-bomb.log.zst", "zstd")
    assert json.loads(out)["damaged"][0]["path"] == "s3://bombs/dt=2026-11-25/2-bomb.log.zst"


def test_a_small_file_of_any_ratio_is_never_taken_for_a_bomb(tmp_path) -> None:
    """Below a few MiB of output the ratio is not judged: a single 5 MB record of one repeated byte loads."""
    from cocoevents.archive import lines as archive

    record = {"event": "robot.parked", "robot_id": "R-1", "timestamp": "2026-11-25T10:00:00Z", "blob": "y" * (5 << 20)}
    f = write_lines(tmp_path / "a.log.gz", [record])
    assert os.path.getsize(f) * 900 < (5 << 20)  # ~1000:1
    scan = archive.scan(f)
    assert scan.damage is None and len(scan.records) == 1


def test_a_process_cap_is_in_force_in_the_child() -> None:
    """The cap the tests rely on holds: a child that asks for more than it is refused."""
    probe = "import resource,sys; l=int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_AS,(l,l)); b=bytearray(2*l)"
    r = subprocess.run([sys.executable, "-c", probe, str(CAP)], capture_output=True, text=True)
    assert r.returncode != 0 and "MemoryError" in r.stderr
    assert resource.RLIMIT_AS  # the platform has it (Linux)
