"""One archive file much bigger than the load's memory: the loader streams it in pieces, so its memory is bounded
by a piece and DuckDB's limit, not by the file (a shipper with big batches writes files of gigabytes).

The file decompresses to ~590 MiB (one gzip member written 20 times: cheap to make, the same lines each time); the
load runs in its own process under a hard DuckDB memory limit of 128 MB, far below the file, and its peak
resident memory (its own, read as it exits: ``tests/support/peak.py``) must stay well under the file's size. (The
loader before streaming could not run under such a limit at all: DuckDB's CSV reader took a 128 MiB buffer, 16
times its longest line.)
"""

from __future__ import annotations

import gzip
import os

import duckdb
import pytest

from ..support.peak import run_coco_with_peak

LINES, COPIES = 7_500, 20
PAD = "x" * 4000


def lines() -> bytes:
    return "".join(
        f'{{"event":"robot.state_changed","timestamp":"2026-11-25T10:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d}Z",'
        f'"robot_id":"R-{i % 97}","delivery_id":"D-{i // 20}","note":"{PAD}"}}\n'
        for i in range(LINES)
    ).encode()


@pytest.mark.slow
def test_a_file_far_bigger_than_the_memory_limit_loads_whole_with_memory_bounded_by_a_piece(tmp_path) -> None:
    block = lines()
    member = gzip.compress(block, compresslevel=1)
    path = tmp_path / "archive" / "dt=2026-11-25" / "big.log.gz"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as fh:
        for _ in range(COPIES):
            fh.write(member)
    size = len(block) * COPIES
    assert size > 580 * 2**20
    store = tmp_path / "s.duckdb"
    env = {**os.environ, "COCO_MEMORY_LIMIT": "128MB", "COCO_BATCH_MB": "8"}
    proc, peak = run_coco_with_peak(tmp_path / "status", "load", str(path.parent.parent), "--store", str(store), env=env)
    err = proc.stderr
    assert proc.returncode == 0, err
    assert "loaded 1 file(s)" in err and f"{LINES * COPIES:,} events, 0 bad lines" in err
    assert peak < 0.75 * size, f"peak RSS {peak / 2**20:.0f} MiB for a file of {size / 2**20:.0f} MiB"
    con = duckdb.connect(str(store), read_only=True)
    try:
        count, records, robots = con.execute("SELECT count(*), count(DISTINCT record), count(DISTINCT robot_id) FROM events").fetchone()  # type: ignore[misc]
        files = con.execute("SELECT events, bad_lines FROM files").fetchall()
    finally:
        con.close()
    assert (count, records, robots) == (LINES * COPIES, LINES, 97)  # every line, in the file's one transaction
    assert files == [(LINES * COPIES, 0)]
