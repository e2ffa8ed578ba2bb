"""Shared fixtures. Every test runs with its own home and XDG folders (data, config, cache, state), so none reads or
writes the user's store, config or caches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from .support.cli import run_coco, write_lines

# No per-example deadline (CI machines are slow and shared). Under CI the examples are derandomized, so a
# landing never hangs on a lucky draw; local runs keep exploring new examples (and keep what they find).
settings.register_profile("coco", deadline=None, print_blob=True)
settings.register_profile("ci", parent=settings.get_profile("coco"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "coco")


# The caller's settings that would change what a test sees: coco's own, colour and the terminal's size.
OUTSIDE_ENV = (
    "COCO_STORE",
    "COCO_PROFILE",
    "COCO_DEBUG",
    "COCO_REDSHIFT_PASSWORD",
    "COCO_WAIT",
    "COCO_MEMORY_LIMIT",
    "COCO_BATCH_MB",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "LINES",
)
XDG_OTHERS = ("XDG_STATE_HOME",)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))  # the s3 caches live there
    for var in XDG_OTHERS:  # coco reads none of them; a library it calls might
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in OUTSIDE_ENV:
        monkeypatch.delenv(var, raising=False)
        # Also from the process's own environment, which a child inherits: GNU readline (imported with pdb) puts
        # the terminal's COLUMNS and LINES there without ``os.environ`` knowing, so a coco started by a test saw
        # 80 columns on a terminal and the caller's width elsewhere.
        os.unsetenv(var)
    monkeypatch.setenv("TERM", "xterm-256color")
    return home


@pytest.fixture
def coco():
    return run_coco


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture(scope="module")
def moto_endpoint():
    """A real S3 API (moto's server) on a free loopback port, one per test module."""
    import logging

    from moto.server import ThreadedMotoServer

    from .support.pgserver import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the test output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


from .support.pgserver import pg  # noqa: E402,F401 - the PostgreSQL fixture of the Redshift-path tests


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo day's records (the three scenario deliveries in a fleet day, so the fleet baseline is real;
    without the shipper's wrapping), plus an event without a usable timestamp."""
    from cocoevents.devtools.generator import demo_records
    from cocoevents.store.loader import load

    tmp = tmp_path_factory.mktemp("story")
    records = demo_records() + [
        {"event": "delivery.pickup_started", "delivery_id": "D12346", "robot_id": "R-8", "timestamp": "soon"},
    ]
    archive = write_lines(tmp / "archive" / "dt=2026-11-25" / "a.log.gz", records)
    store = tmp / "story.duckdb"
    load(store, [archive])
    return store


@pytest.fixture
def story(demo_store: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store (tests may write beside it)."""
    import shutil

    copy = tmp_path / "story.duckdb"
    shutil.copyfile(demo_store, copy)
    return copy
