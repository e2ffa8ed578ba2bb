"""``coco timeline ID --follow``: the timeline kept open on the local store while ``coco load`` adds events.

Real processes: the follower is ``coco`` in a process of its own, the arrivals are ``coco load`` runs in others,
so the store is shared the way it is on a laptop during an incident (the follower lets go of the store between
polls, and a load never waits for it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cocoevents.core.lookup import build
from cocoevents.core.options import parse_options
from cocoevents.sources.local import LocalSource

from ..support.cli import run_coco, write_lines
from ..support.follow import DELIVERY, SINCE, arrivals

COCO = [sys.executable, "-c", "from cocoevents.cli.launch import run; run()"]


def test_until_done_on_a_delivery_already_failed_prints_its_timeline_and_exits_as_check_would(demo_store: Path) -> None:
    r = run_coco("timeline", DELIVERY, "--store", str(demo_store), "--follow", "--until-done", "--no-color")
    plain = run_coco("timeline", DELIVERY, "--store", str(demo_store), "--no-color", "--check")
    assert (r.code, plain.code) == (1, 1)
    assert r.out == plain.out and "following" not in r.out
    assert r.err == plain.err


def test_until_done_with_fail_on_gaps_exits_by_that_rule(demo_store: Path) -> None:
    r = run_coco("timeline", "D12347", "--store", str(demo_store), "--follow", "--until-done", "--fail-on", "gaps", "-f", "jsonl")
    expected = run_coco("timeline", "D12347", "--store", str(demo_store), "--fail-on", "gaps", "-f", "jsonl")
    assert r.code == expected.code and r.out == expected.out  # jsonl: the same lines as without --follow


@pytest.mark.parametrize(
    "args, message",
    [
        (["--until-done"], "coco: error: --until-done goes with --follow\n"),
        (["--follow", "--until", "2026-11-26T00:00:00Z"], "coco: error: --follow reads up to now: leave out --until\n"),
        (["--follow", "-o", "out.txt"], "coco: error: --follow writes to standard output (redirect it, or use tee)\n"),
        (["--follow", "-f", "json"], "coco: error: --follow writes table, jsonl, csv, not json\n"),
        (["--follow", "--interval", "0s"], "coco: error: --interval must be more than 0\n"),
        (["--follow", "--interval", "soon"], "coco: error: --interval: not a duration: 'soon' (use e.g. 30s, 5m, 2h, 3d)\n"),
    ],
)
def test_follow_options_that_cannot_work_are_usage_errors(demo_store: Path, args: list[str], message: str) -> None:
    r = run_coco("timeline", DELIVERY, "--store", str(demo_store), *args)
    assert (r.code, r.out, r.err) == (2, "", message)


def test_until_done_follows_deliveries_only(demo_store: Path) -> None:
    r = run_coco("timeline", "R-12", "--store", str(demo_store), "--since", SINCE, "--follow", "--until-done")
    assert (r.code, r.out) == (2, "")
    assert r.err == "coco: error: --until-done follows a delivery; R-12 is a robot\n"


def test_ctrl_c_stops_following_with_130_after_the_timeline(demo_store: Path) -> None:
    proc = subprocess.Popen(
        [*COCO, "timeline", "R-12", "--store", str(demo_store), "--since", SINCE, "--follow", "--interval", "0.2", "--no-color"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # the table, then the line saying how to stop
        lines.append(line)
        if line.startswith("following:"):
            break
    time.sleep(0.6)  # a few polls
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert lines[0].startswith("Robot R-12") and out == ""  # nothing arrived: nothing more was written
    assert err.endswith("coco: interrupted\n")


@pytest.mark.slow
def test_twenty_loads_while_following_show_every_row_once_with_the_late_ones_announced(tmp_path: Path) -> None:
    """The acceptance test of --follow on the local store: 20 ``coco load`` runs of out-of-order parts."""
    head, parts = arrivals(polls=20)
    store = tmp_path / "live.duckdb"
    first = write_lines(tmp_path / "archive" / "dt=2026-11-25" / "part-00.log", head)
    assert run_coco("load", str(first), "--store", str(store)).code == 0
    env = {**os.environ, "COCO_WAIT": "60"}
    follower = subprocess.Popen(
        [*COCO, "timeline", DELIVERY, "--store", str(store), "--since", SINCE, "--follow", "--interval", "0.2", "-f", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        time.sleep(1.0)
        for n, part in enumerate(parts, 1):
            path = write_lines(tmp_path / "archive" / "dt=2026-11-25" / f"part-{n:02d}.log", part)
            load = subprocess.run([*COCO, "load", str(path), "--store", str(store)], capture_output=True, text=True, env=env, timeout=120)
            assert load.returncode == 0, load.stderr  # never kept out by the follower
            time.sleep(0.3)
        time.sleep(2.0)  # the last polls
    finally:
        follower.send_signal(signal.SIGINT)
        out, err = follower.communicate(timeout=60)
    assert follower.returncode == 130, err
    shown = [json.loads(line) for line in out.splitlines()]
    texts = [json.dumps(r["payload"], sort_keys=True) for r in shown]
    assert len(texts) == len(set(texts)), "a row was written twice"
    source = LocalSource(store)
    try:
        final = build(source, DELIVERY, None, parse_options(since=SINCE))
    finally:
        source.close()
    assert set(texts) == {json.dumps(r.event.record, sort_keys=True) for r in final.rows}, "a row was lost"
    late = [line for line in err.splitlines() if line.startswith("coco: late: ")]
    assert late and all("arrived out of order: it belongs after" in line for line in late), err
    assert err.splitlines()[-1] == "coco: interrupted"
