"""Configuration profiles, ``coco config show`` and ``coco doctor``."""

from __future__ import annotations

from pathlib import Path

import pytest

from cocoevents.devtools import generator
from cocoevents.errors import UsageError
from cocoevents.sources import profiles
from cocoevents.sources import select as select_profile
from cocoevents.sources.configfile import load_config
from cocoevents.sources.redshift_driver import connect_kwargs
from cocoevents.store import loader as store

from ..support.cli import run_coco
from ..support.pgserver import PgServer, events_ddl, free_port, load_events

PROD = """
default = "prod"

[profiles.laptop]
source = "local"
store = "~/coco/events.duckdb"

[profiles.prod]
source = "redshift"
host = "analytics.abc123.us-west-2.redshift.amazonaws.com"
database = "analytics"
user = "oncall"
schema = "analytics"
table = "raw_events"
statement_timeout = "30s"
lookback = "14d"

[profiles.iam]
source = "redshift"
iam = true
cluster_identifier = "analytics"
db_user = "oncall"
region = "us-west-2"
aws_profile = "oncall"
database = "analytics"

[profiles.serverless]
source = "redshift"
workgroup = "analytics-wg"
region = "us-west-2"
database = "analytics"
"""


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "coco" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_config_file_lives_under_xdg_config_home(isolated_env: Path) -> None:
    path = write_config(isolated_env, PROD)
    config = load_config()
    assert config.path == path and config.exists and config.default == "prod"
    assert sorted(config.profiles) == ["iam", "laptop", "prod", "serverless"]
    assert profiles(config)["laptop"].settings.store == isolated_env / "coco" / "events.duckdb"


def test_a_profile_is_chosen_by_name_else_by_the_default_unless_a_store_is_given(isolated_env: Path) -> None:
    write_config(isolated_env, PROD)
    assert select_profile("iam").settings.auth == "iam"
    assert select_profile(None).name == "prod"
    assert select_profile(None, store_given=True) is None
    assert select_profile("serverless", store_given=True).settings.auth == "serverless"


def test_without_a_config_file_there_is_no_profile(isolated_env: Path) -> None:
    assert select_profile(None) is None
    with pytest.raises(UsageError, match=r"no profile 'prod' \(no config file at .*config.toml\)"):
        select_profile("prod")


def test_config_show_without_a_config_file_names_the_local_store(isolated_env: Path) -> None:
    result = run_coco("config", "show")
    assert (result.code, result.err) == (0, "")
    assert "(not found)" in result.out
    assert "source:   local" in result.out
    assert str(isolated_env / "data" / "coco" / "events.duckdb") in result.out


def test_config_show_prints_the_default_profile_resolved(isolated_env: Path) -> None:
    write_config(isolated_env, PROD)
    result = run_coco("config", "show")
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert "profile:           prod (the default in config.toml)" in lines
    for expected in (
        "source:            redshift",
        "auth:              password",
        "port:              5439",
        "table:             analytics.raw_events",
        "statement_timeout: 30s",
        "lookback:          14d",
        "ssl:               on (verify-full)",
        "password:          (not set: COCO_REDSHIFT_PASSWORD)",
    ):
        assert expected in lines, result.out


def test_config_show_says_the_password_is_set_without_showing_it(isolated_env: Path, monkeypatch) -> None:
    write_config(isolated_env, PROD)
    monkeypatch.setenv("COCO_REDSHIFT_PASSWORD", "hunter2-very-secret")
    result = run_coco("config", "show", "--json")
    assert result.code == 0
    assert result.json()["settings"]["password"] == "*** (from COCO_REDSHIFT_PASSWORD)"
    assert "hunter2" not in result.out + result.err


def test_config_show_follows_profile_flag_and_env(isolated_env: Path, monkeypatch) -> None:
    write_config(isolated_env, PROD)
    assert run_coco("config", "show", "--profile", "iam", "--json").json()["settings"]["password"] == ("(not used: IAM credentials)")
    monkeypatch.setenv("COCO_PROFILE", "laptop")
    doc = run_coco("config", "show", "--json").json()
    assert doc["profile"] == "laptop" and doc["settings"]["source"] == "local"


@pytest.mark.parametrize(
    "body, message",
    [
        (
            '[profiles.p]\nsource = "redshift"\nhost = "h"\ndatabase = "d"\nuser = "u"\npassword = "letmein-123"\n',
            "profile 'p': has a 'password' key; secrets never go in the config file",
        ),
        (
            '[profiles.p]\nsource = "redshift"\nhost = "h"\ndatabase = "d"\nuser = "u"\ntable = "events; drop"\n',
            "profile 'p': 'table' must be a plain identifier",
        ),
        (
            '[profiles.p]\nsource = "redshift"\nhost = "h"\ndatabase = "d"\nuser = "u"\nschema = "a.b"\n',
            "profile 'p': 'schema' must be a plain identifier",
        ),
        (
            '[profiles.p]\nsource = "redshift"\nhost = "h"\ndatabase = "d"\nuser = "u"\nhots = "x"\n',
            "profile 'p': unknown key 'hots' for a redshift profile",
        ),
        ('[profiles.p]\nsource = "redshift"\nhost = "h"\ndatabase = "d"\n', "profile 'p': 'user' is required for a password login"),
        (
            '[profiles.p]\nsource = "redshift"\niam = true\ndatabase = "d"\ndb_user = "u"\nregion = "r"\n',
            "profile 'p': 'cluster_identifier' (or 'host') is required with iam = true",
        ),
        (
            '[profiles.p]\nsource = "redshift"\nhost = "h"\ndatabase = "d"\nuser = "u"\nlookback = "forever"\n',
            "profile 'p': 'lookback': not a duration",
        ),
        ('[profiles.p]\nsource = "oracle"\n', "profile 'p': 'source' must be one of local, redshift"),
        ('default = "nope"\n[profiles.p]\nsource = "local"\n', "default profile 'nope' is not defined (profiles: p)"),
        ("[profiles.p\n", "not valid TOML"),
    ],
)
def test_a_bad_config_file_is_a_usage_error_naming_the_problem(isolated_env: Path, body: str, message: str) -> None:
    write_config(isolated_env, body)
    for args in (("config", "show"), ("timeline", "D1"), ("doctor",)):
        result = run_coco(*args, "--profile", "p")
        assert result.code == 2, (args, result)
        assert result.out == ""
        assert message in result.err and result.err.count("\n") == 1, result.err
        assert "letmein" not in result.err


def test_an_unknown_profile_is_a_usage_error_listing_the_profiles(isolated_env: Path) -> None:
    write_config(isolated_env, PROD)
    result = run_coco("timeline", "D1", "--profile", "staging")
    assert result.code == 2
    assert result.err == (
        f"coco: error: no profile 'staging' in {isolated_env / 'config' / 'coco' / 'config.toml'}"
        " (profiles: iam, laptop, prod, serverless)\n"
    )


def test_iam_and_serverless_profiles_connect_with_iam_and_never_a_password(isolated_env: Path) -> None:
    write_config(isolated_env, PROD)
    known = profiles(load_config())
    iam = connect_kwargs(known["iam"].settings, "ignored-secret")
    assert iam["iam"] is True and "password" not in iam
    assert (iam["cluster_identifier"], iam["db_user"], iam["region"], iam["profile"]) == ("analytics", "oncall", "us-west-2", "oncall")
    serverless = connect_kwargs(known["serverless"].settings, None)
    assert serverless["is_serverless"] is True and serverless["serverless_work_group"] == "analytics-wg"
    password = connect_kwargs(known["prod"].settings, "pw")
    assert (password["host"], password["port"], password["user"], password["password"]) == (
        "analytics.abc123.us-west-2.redshift.amazonaws.com",
        5439,
        "oncall",
        "pw",
    )
    assert password["ssl"] is True and password["sslmode"] == "verify-full"


# -- coco doctor -----------------------------------------------------------------------------------


def warehouse_profile(pg: PgServer, database: str, **extra: str) -> str:
    lines = [
        'default = "wh"',
        "[profiles.wh]",
        'source = "redshift"',
        f'host = "{pg.host}"',
        f"port = {pg.port}",
        f'database = "{database}"',
        f'user = "{pg.admin}"',
        "ssl = false",
        'lookback = "100000d"',
        'schema = "public"',
        'table = "events"',
    ]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def warehouse(pg: PgServer) -> str:
    database = pg.create_database("doctor")
    pg.run(database, events_ddl())
    load_events(pg, database, generator.scenarios())
    return database


@pytest.mark.postgres
def test_doctor_on_a_healthy_warehouse_prints_one_ok_line(pg, warehouse, isolated_env) -> None:
    write_config(isolated_env, warehouse_profile(pg, warehouse))
    result = run_coco("doctor")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"coco: ok: redshift 127.0.0.1:{pg.port}/{warehouse} as coco_admin: table public.events "
        "readable; 86 events in the 100000d lookback, latest 2026-11-25T13:20:00.000Z\n"
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "extra, message",
    [
        ({"table": '"raw_events"'}, "table public.raw_events does not exist in database {db}"),
        ({"schema": '"analytics"'}, "table analytics.events does not exist in database {db}"),
        ({"database": '"nodb"'}, 'cannot connect to redshift 127.0.0.1:{port}/nodb as coco_admin: database "nodb" does not exist'),
        ({"ssl": "true"}, "cannot connect to redshift 127.0.0.1:{port}/{db} as coco_admin: the server does not offer SSL"),
    ],
)
def test_doctor_says_in_one_line_what_is_wrong_and_exits_4(pg, warehouse, isolated_env, extra, message) -> None:
    text = warehouse_profile(pg, warehouse)
    for key, value in extra.items():
        text = "\n".join(line for line in text.splitlines() if not line.startswith(f"{key} =")) + "\n"
        text += f"{key} = {value}\n"
    write_config(isolated_env, text)
    result = run_coco("doctor")
    assert result.code == 4, result
    assert result.out == ""
    assert result.err.startswith(f"coco: error: {message.format(db=warehouse, port=pg.port)}")
    assert result.err.count("\n") == 1


@pytest.mark.postgres
def test_doctor_on_an_unreachable_host_exits_4(pg, isolated_env) -> None:
    port = free_port()
    write_config(isolated_env, warehouse_profile(pg, "x").replace(f"port = {pg.port}", f"port = {port}"))
    result = run_coco("doctor")
    assert result.code == 4 and result.out == ""
    assert result.err.startswith(f"coco: error: cannot connect to redshift 127.0.0.1:{port}/x as coco_admin: ")
    assert result.err.count("\n") == 1


def test_doctor_on_the_local_store(isolated_env: Path, tmp_path: Path) -> None:
    missing = run_coco("doctor", "--store", str(tmp_path / "none.duckdb"))
    assert missing.code == 4 and missing.out == ""
    assert missing.err.startswith(f"coco: error: no store at {tmp_path / 'none.duckdb'}")
    archive = tmp_path / "archive"
    generator.write_archive(generator.scenarios(), archive)
    store.load(tmp_path / "s.duckdb", [archive])
    ok = run_coco("doctor", "--store", str(tmp_path / "s.duckdb"))
    assert (ok.code, ok.err) == (0, "")
    assert ok.out == f"coco: ok: local store {tmp_path / 's.duckdb'}: 86 events, latest 2026-11-25T13:20:00.000Z\n"


# -- a config that forgives: documented defaults, only the profile in use, 'coco config init' --------------------

ARCHIVE = '[profiles.archive]\nsource = "s3"\nbucket = "coco-event-logs"\nprefix = ""\n'


def test_a_documented_default_written_out_is_accepted_as_written(isolated_env: Path) -> None:
    write_config(isolated_env, ARCHIVE)
    result = run_coco("config", "show", "--profile", "archive")
    assert (result.code, result.err) == (0, "")
    assert ["s3://coco-event-logs/"] == [line.split()[1] for line in result.out.splitlines() if line.startswith("archive:")]


@pytest.mark.parametrize(
    "broken",
    [
        '[profiles.bad]\nsource = "s3"\nbucket = ""\n',
        '[profiles.bad]\nsource = "redshift"\nhost = "h"\n',
        '[profiles.bad]\nsource = "oracle"\n',
        '[profiles.bad]\nsource = "local"\nstore = 7\n',
    ],
)
def test_a_broken_profile_that_is_not_used_breaks_no_command(isolated_env: Path, story: Path, broken: str) -> None:
    write_config(isolated_env, ARCHIVE + broken)
    timeline = run_coco("timeline", "D12345", "--store", str(story), "-f", "json")
    assert (timeline.code, timeline.err) == (0, "")
    for args in (("config", "show"), ("config", "show", "--profile", "archive"), ("doctor", "--store", str(story))):
        result = run_coco(*args)
        assert (result.code, result.err) == (0, ""), args
    used = run_coco("timeline", "D12345", "--profile", "bad")
    assert used.code == 2 and "profile 'bad'" in used.err and used.err.count("\n") == 1


def test_config_init_writes_a_commented_file_that_config_show_and_doctor_accept(isolated_env: Path, story: Path) -> None:
    result = run_coco("config", "init")
    path = isolated_env / "config" / "coco" / "config.toml"
    assert (result.code, result.out) == (0, "")
    assert result.err.startswith(f"coco: wrote {path}")
    assert path.stat().st_mode & 0o777 == 0o600  # the trust check refuses a file others can write
    text = path.read_text()
    assert "[profiles.local]" in text and "# [profiles.archive]" in text and "# [profiles.prod]" in text
    assert not [line for line in text.splitlines() if line.lstrip("# ").startswith("password")]  # no key for a secret
    show = run_coco("config", "show")
    assert (show.code, show.err) == (0, "")
    assert [line.split(None, 1)[1] for line in show.out.splitlines() if line.startswith("profiles:")] == ["local"]
    store_dir = isolated_env / "data" / "coco"
    store_dir.mkdir(parents=True)
    (store_dir / "events.duckdb").write_bytes(story.read_bytes())
    for args in (("doctor",), ("doctor", "--profile", "local")):
        doctor = run_coco(*args)
        assert (doctor.code, doctor.err) == (0, ""), args
        assert doctor.out.startswith(f"coco: ok: local store {store_dir / 'events.duckdb'}")


def uncommented(text: str) -> str:
    """The file as a user makes it by removing the first '# ' of each line of the commented profiles."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("# [profiles."):
            inside = True
        elif not line.strip():
            inside = False
        out.append(line[2:] if inside and line.startswith("# ") else line)
    return "\n".join(out) + "\n"


def test_the_commented_profiles_of_config_init_are_valid_once_uncommented(isolated_env: Path) -> None:
    assert run_coco("config", "init").code == 0
    path = isolated_env / "config" / "coco" / "config.toml"
    path.write_text(uncommented(path.read_text()))
    assert sorted(load_config().profiles) == ["archive", "local", "prod"]
    for name, source in (("local", "local"), ("archive", "s3"), ("prod", "redshift")):
        assert select_profile(name).kind == source
        show = run_coco("config", "show", "--profile", name)
        assert (show.code, show.err) == (0, ""), name
    assert "s3://coco-event-logs/" in run_coco("config", "show", "--profile", "archive").out
    # the optional settings shown commented inside them are the defaults, written out: still valid
    path.write_text(uncommented(path.read_text().replace("# # ", "# ")))
    for name in ("archive", "prod"):
        assert run_coco("config", "show", "--profile", name).code == 0, name


def test_config_init_does_not_replace_an_existing_file_without_force(isolated_env: Path) -> None:
    path = write_config(isolated_env, ARCHIVE)
    path.chmod(0o600)
    refused = run_coco("config", "init")
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == f"coco: error: {path} exists; 'coco config init --force' replaces it ('coco config show' prints what it says)\n"
    assert path.read_text() == ARCHIVE
    forced = run_coco("config", "init", "--force")
    assert forced.code == 0 and "[profiles.local]" in path.read_text()
