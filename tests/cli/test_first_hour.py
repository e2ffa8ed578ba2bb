"""A new user's first hour: after ``coco demo``, commands read the demo store until there is a store of their own,
and "nothing found" or "no store" says where the data is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import cocoevents

from ..support.cli import run_coco, write_lines

DAY = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]


@pytest.fixture
def demo_made(demo_store: Path, isolated_env: Path) -> Path:
    """What ``coco demo`` leaves: the demo day in ``$XDG_DATA_HOME/coco/demo.duckdb``, no other store."""
    target = isolated_env / "data" / "coco" / "demo.duckdb"
    target.parent.mkdir(parents=True)
    shutil.copyfile(demo_store, target)
    return target


def note(demo: Path) -> str:
    return "coco: no store yet; reading the demo store ('coco load PATH' makes one)\n"


def test_after_the_demo_a_timeline_without_a_store_reads_the_demo_store_and_says_so_once(demo_made: Path) -> None:
    r = run_coco("timeline", "D12345")
    assert r.code == 0, r.err
    assert r.out.startswith("Delivery D12345   FAILED")
    assert r.err == note(demo_made)


@pytest.mark.parametrize(
    "args,expected",
    [
        (["errors", *DAY], "LID_STUCK"),
        (["deliveries", "--error", "LID_STUCK", *DAY], "D12345"),
        (["timeline", "R-12", "--since", "2026-11-25T09:00Z", "--until", "2026-11-25T12:00Z"], "Robot R-12"),
        (["baseline"], "delivery.pickup_completed"),
        (["store", "files"], "dt=2026-11-25"),
        (["config", "show"], "demo.duckdb"),
        (["doctor"], "coco: ok: local store"),
    ],
)
def test_every_reading_command_reads_the_demo_store_while_there_is_no_other(demo_made: Path, args: list[str], expected: str) -> None:
    r = run_coco(*args)
    assert r.code == 0, r.err
    assert expected in r.out
    assert r.err.startswith(note(demo_made))


def test_the_library_reads_the_demo_store_as_the_cli_does(demo_made: Path) -> None:
    assert cocoevents.timeline("D12345").to_dict() == run_coco("timeline", "D12345", "-f", "json").json()


def test_once_a_store_of_your_own_exists_the_demo_store_is_not_read(demo_made: Path, tmp_path: Path) -> None:
    mine = write_lines(
        tmp_path / "archive" / "day.log", [{"event": "robot.deployed", "robot_id": "R-1", "timestamp": "2026-11-25T08:00:00Z"}]
    )
    assert run_coco("load", str(mine)).code == 0
    r = run_coco("timeline", "D12345")
    assert r.code == 3
    assert "demo" not in r.err
    assert f"(searched the local store {demo_made.parent / 'events.duckdb'})" in r.err


def test_a_store_named_by_option_or_environment_is_never_replaced_by_the_demo_store(demo_made: Path, tmp_path: Path, monkeypatch) -> None:
    missing = tmp_path / "real.duckdb"
    for r in (run_coco("timeline", "D12345", "--store", str(missing)), run_coco("errors", *DAY, "--store", str(missing))):
        assert (r.code, r.out) == (4, "")
        assert r.err == (
            f"coco: error: no store at {missing}: run 'coco load PATH' or 'coco demo' first; "
            f"stores here: {demo_made} (--store PATH reads one)\n"
        )
    monkeypatch.setenv("COCO_STORE", str(missing))
    assert run_coco("timeline", "D12345").code == 4


def test_a_profile_in_use_is_never_replaced_by_the_demo_store(demo_made: Path, isolated_env: Path, tmp_path: Path) -> None:
    config = isolated_env / "config" / "coco" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'default = "laptop"\n[profiles.laptop]\nsource = "local"\nstore = "{tmp_path / "laptop.duckdb"}"\n')
    r = run_coco("timeline", "D12345")
    assert r.code == 4 and "no store at" in r.err and "demo store" not in r.err


def test_nothing_found_in_a_range_names_where_the_id_has_events_and_the_store_searched(demo_made: Path) -> None:
    r = run_coco("timeline", "R-7", "--since", "2026-11-20T00:00Z", "--until", "2026-11-21T00:00Z")
    assert (r.code, r.out) == (3, "")
    assert r.err.splitlines()[-1] == (
        "coco: error: nothing found for robot 'R-7' between 2026-11-20T00:00:00.000Z and 2026-11-21T00:00:00.000Z; "
        "R-7 has events from 2026-11-25T07:10Z to 2026-11-25T11:15Z; try --since 2026-11-25T07:00Z --until 2026-11-25T12:00Z "
        f"(searched the local store {demo_made})"
    )
    tried = run_coco("timeline", "R-7", "--since", "2026-11-25T07:00Z", "--until", "2026-11-25T12:00Z")
    assert tried.code == 0 and tried.out.startswith("Robot R-7")


def test_a_delivery_asked_after_its_day_gets_a_range_that_holds_its_whole_timeline(demo_made: Path) -> None:
    r = run_coco("timeline", "D12345", "--since", "2026-11-26T00:00Z")
    assert r.code == 3
    assert "D12345 has events from 2026-11-25T10:00Z to 2026-11-25T10:44Z; try --since 2026-11-25T09:00Z --until 2026-11-25T12:00Z" in r.err
    whole = run_coco("timeline", "D12345", "-f", "json")
    tried = run_coco("timeline", "D12345", "--since", "2026-11-25T09:00Z", "--until", "2026-11-25T12:00Z", "-f", "json")
    assert tried.json()["events"] == whole.json()["events"]


@pytest.mark.parametrize("command", ["errors", "deliveries"])
def test_a_listing_of_an_empty_range_says_where_the_nearest_events_are(demo_made: Path, command: str) -> None:
    r = run_coco(command, "--since", "2026-11-27T00:00Z", "--until", "2026-11-28T00:00Z")
    assert r.code == 3
    assert (
        "; the nearest events are from 2026-11-25T06:30Z to 2026-11-25T21:30Z; try --since 2026-11-25T06:00Z --until 2026-11-25T22:00Z"
        in r.err
    )


def test_a_listing_whose_filters_leave_nothing_does_not_send_the_user_elsewhere(demo_made: Path) -> None:
    r = run_coco("deliveries", "--robot", "R-999", *DAY)
    assert r.code == 3 and "match the filters" in r.err and "nearest" not in r.err


@pytest.mark.slow
def test_coco_demo_with_coco_store_set_loads_its_own_store_not_the_users(isolated_env: Path, tmp_path: Path, monkeypatch) -> None:
    real = tmp_path / "real.duckdb"
    monkeypatch.setenv("COCO_STORE", str(real))
    r = run_coco("demo")
    assert r.code == 0, r.err
    assert not real.exists()
    assert (isolated_env / "data" / "coco" / "demo.duckdb").is_file()
    assert f"--store {isolated_env / 'data' / 'coco' / 'demo.duckdb'}" in r.err  # COCO_STORE is what commands read


@pytest.mark.slow
def test_the_demos_suggestions_run_as_printed_when_commands_read_the_demo_store(isolated_env: Path) -> None:
    r = run_coco("demo")
    assert r.code == 0
    suggested = [line.split("#")[0].split() for line in r.err.splitlines() if line.startswith("  coco ")]
    assert len(suggested) == 8 and not any("--store" in s for s in suggested)
    for words in suggested:
        done = run_coco(*words[1:])
        assert done.code == 0, (words, done.err)


def test_coco_demo_help_names_its_own_default_store() -> None:
    r = run_coco("demo", "--help")
    assert r.code == 0
    assert "$XDG_DATA_HOME/coco/demo.duckdb" in r.out and "events.duckdb" not in r.out
    assert "COCO_STORE" in r.out  # says it does not use it
