"""Shared fixtures. Every test runs with its own XDG folders, so none touches the user's store or config."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pytest
from hypothesis import settings

# No per-example deadline (CI machines are slow and shared). Under CI the examples are derandomized, so a
# landing never hangs on a lucky draw; local runs keep exploring new examples (and keep what they find).
settings.register_profile("coco", deadline=None, print_blob=True)
settings.register_profile("ci", parent=settings.get_profile("coco"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "coco")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for var in ("COCO_STORE", "COCO_PROFILE", "COCO_DEBUG", "COCO_REDSHIFT_PASSWORD", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return home


def write_lines(path: Path, lines: Iterable[str | bytes | dict[str, Any]], *, gz: bool | None = None) -> Path:
    """Write records (dicts as JSON) or raw lines to ``path``; gzip when its name ends in .gz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(
        (json.dumps(x).encode() if isinstance(x, dict) else x.encode() if isinstance(x, str) else x) + b"\n"
        for x in lines
    )
    if gz if gz is not None else path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_coco(*args: str) -> Result:
    """Run the CLI in-process and capture stdout, stderr and the exit code."""
    from cocoevents.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def coco():
    return run_coco


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


PYTHON = sys.executable
@pytest.fixture(scope="module")
def moto_endpoint():
    """A real S3 API (moto's server) on a free loopback port, one per test module."""
    import logging

    from moto.server import ThreadedMotoServer

    from .pgserver import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the test output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


from .pgserver import pg  # noqa: E402,F401 - the PostgreSQL fixture of the Redshift-path tests (tests/pgserver.py)
