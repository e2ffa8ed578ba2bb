"""The sources' fixtures: the Redshift path's world (local store + PostgreSQL holding the same events) per module, and
the S3 path's moto endpoint with credentials, client and a new bucket per test."""

from __future__ import annotations

from typing import Any

import pytest

from ..support.pgserver import PgServer
from ..support.redshift import build_world, open_sources
from ..support.s3 import aws_credentials

_names = iter(f"coco-archive-{n}" for n in range(10_000))


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


@pytest.fixture
def endpoint(monkeypatch, tmp_path, moto_endpoint) -> str:
    """moto's S3 server, with test credentials in the environment."""
    aws_credentials(monkeypatch, tmp_path)
    return moto_endpoint


@pytest.fixture
def s3(endpoint):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint)


@pytest.fixture
def bucket(s3) -> str:
    """A new, empty bucket."""
    name = next(_names)
    s3.create_bucket(Bucket=name)
    return name
