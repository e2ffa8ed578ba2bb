"""The Redshift-path fixtures: one world (local store + PostgreSQL holding the same events) per module."""

from __future__ import annotations

from typing import Any

import pytest

from ..support.pgserver import PgServer
from ..support.redshift import build_world, open_sources


@pytest.fixture(scope="module")
def world(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both stores loaded with the same fixture events; returns what the tests need."""
    return build_world(pg, tmp_path_factory)


@pytest.fixture(scope="module")
def sources(pg: PgServer, world: dict[str, Any]):
    local, remote = open_sources(pg, world)
    yield local, remote
    local.close()
    remote.close()
