"""Secrets: with a password in the environment, no output of any command contains it.

The role ``coco_reader`` (``pg.password_role``) of the test server logs in with a password (md5 over
TCP), so a wrong ``COCO_REDSHIFT_PASSWORD`` is a real authentication failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cocoevents.devtools import generator

from ..support.cli import run_coco
from ..support.pgserver import PgServer, events_ddl, load_events

pytestmark = pytest.mark.postgres

WRONG = "Wr0ng-pa55word-that-must-never-show"


@pytest.fixture(scope="module")
def warehouse(pg: PgServer) -> str:
    database = pg.create_database("secrets")
    pg.run(database, [*events_ddl(), f"GRANT SELECT ON public.events TO {pg.password_role}"])
    load_events(pg, database, generator.scenarios())
    return database


@pytest.fixture
def profile(pg: PgServer, warehouse: str, isolated_env: Path) -> Path:
    path = isolated_env / "config" / "coco" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        'default = "wh"\n[profiles.wh]\nsource = "redshift"\n'
        f'host = "{pg.host}"\nport = {pg.port}\ndatabase = "{warehouse}"\nuser = "{pg.password_role}"\n'
        'ssl = false\nlookback = "100000d"\nschema = "public"\ntable = "events"\n'
    )
    return path


def outputs(*args: str) -> tuple[int, str]:
    result = run_coco(*args)
    return result.code, result.out + result.err


def test_with_the_right_password_the_warehouse_answers_and_never_echoes_it(pg, profile, monkeypatch) -> None:
    monkeypatch.setenv("COCO_REDSHIFT_PASSWORD", pg.password)
    code, text = outputs("doctor")
    assert code == 0 and text.startswith("coco: ok: redshift")
    for args in (
        ("config", "show"),
        ("config", "show", "--json"),
        ("timeline", "D12345", "-f", "json"),
        ("--debug", "timeline", "D12345", "--no-color"),
        ("timeline", "R-12", "--since", "2026-11-25T09:00:00Z", "--until", "2026-11-25T12:00:00Z", "-f", "csv"),
    ):
        code, text = outputs(*args)
        assert code == 0, text
        assert pg.password not in text


def test_a_wrong_password_is_one_line_exit_4_without_the_password(pg, profile, monkeypatch) -> None:
    monkeypatch.setenv("COCO_REDSHIFT_PASSWORD", WRONG)
    for args in (("doctor",), ("timeline", "D12345"), ("--debug", "timeline", "D12345"), ("--debug", "doctor")):
        result = run_coco(*args)
        assert result.code == 4, result
        assert result.out == ""
        assert result.err.startswith(f"coco: error: cannot connect to redshift 127.0.0.1:{pg.port}/")
        assert result.err.endswith("as coco_reader: authentication failed (check COCO_REDSHIFT_PASSWORD)\n")
        assert WRONG not in result.err


def test_no_password_at_all_says_it_is_not_set(pg, profile) -> None:
    result = run_coco("doctor")
    assert result.code == 4
    assert result.err.endswith("authentication failed (COCO_REDSHIFT_PASSWORD is not set)\n")
    assert "password:          (not set: COCO_REDSHIFT_PASSWORD)" in run_coco("config", "show").out


def test_a_debug_traceback_never_contains_the_password(pg, profile, monkeypatch) -> None:
    """A bug whose message echoes the password (as a careless driver might) is redacted, traceback too."""
    from cocoevents.sources import redshift

    monkeypatch.setenv("COCO_REDSHIFT_PASSWORD", pg.password)

    def careless(self, delivery_id, since, until):
        raise RuntimeError(f"driver state: user={self.profile.user} secret {pg.password} dsn password={pg.password}")

    monkeypatch.setattr(redshift.RedshiftSource, "delivery_events", careless)
    result = run_coco("--debug", "timeline", "D12345", "--kind", "delivery")
    assert result.code == 5
    assert "Traceback (most recent call last)" in result.err and "careless" in result.err
    assert pg.password not in result.err + result.out
    plain = run_coco("timeline", "D12345", "--kind", "delivery")
    assert plain.code == 5 and pg.password not in plain.err
    assert plain.err.count("\n") == 1


def test_a_password_in_the_config_file_is_refused_and_not_echoed(isolated_env: Path) -> None:
    path = isolated_env / "config" / "coco" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(f'[profiles.p]\nsource = "redshift"\nhost = "h"\ndatabase = "d"\nuser = "u"\npassword = "{WRONG}"\n')
    for args in (("config", "show", "--profile", "p"), ("doctor", "--profile", "p"), ("--debug", "timeline", "D1", "--profile", "p")):
        result = run_coco(*args)
        assert result.code == 2
        assert "secrets never go in the config file" in result.err
        assert WRONG not in result.out + result.err
