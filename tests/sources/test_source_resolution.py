"""One way to open a source: the CLI and the library resolve profile, store and options alike."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import cocoevents
from cocoevents import sources
from cocoevents.devtools.generator import scenarios
from cocoevents.store import config as store_config
from cocoevents.store import loader as store

from ..support.cli import ROOT, run_coco, write_lines


def config_file(home: Path, text: str) -> Path:
    path = home / "config" / "coco" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def loaded_store(path: Path, tmp_path: Path) -> Path:
    archive = write_lines(tmp_path / "archive" / "day.log", scenarios())
    store.load(path, [str(archive)])
    return path


def test_the_library_reads_the_default_profile_as_coco_timeline_does(isolated_env: Path, tmp_path: Path) -> None:
    laptop = loaded_store(tmp_path / "laptop.duckdb", tmp_path)
    config_file(isolated_env, f'default = "laptop"\n[profiles.laptop]\nsource = "local"\nstore = "{laptop}"\n')
    assert not store_config.default_store_path().exists()  # only the profile's store holds D12345
    from_cli = run_coco("timeline", "D12345", "-f", "json")
    assert from_cli.code == 0, from_cli.err
    assert cocoevents.timeline("D12345").to_dict() == from_cli.json()


def test_the_library_and_the_cli_both_honour_coco_store_over_the_default_profile(isolated_env: Path, tmp_path: Path, monkeypatch) -> None:
    other = loaded_store(tmp_path / "other.duckdb", tmp_path)
    config_file(isolated_env, 'default = "wh"\n[profiles.wh]\nsource = "redshift"\nhost = "example.invalid"\ndatabase = "d"\nuser = "u"\n')
    monkeypatch.setenv("COCO_STORE", str(other))
    assert sources.resolve().kind == "local"
    assert cocoevents.timeline("D12345").summary == run_coco("timeline", "D12345", "-f", "json").json()["summary"]


def test_a_store_option_overrides_a_local_profiles_store(isolated_env: Path, tmp_path: Path) -> None:
    config_file(isolated_env, '[profiles.laptop]\nsource = "local"\nstore = "/nowhere/a.duckdb"\n')
    chosen = sources.resolve("laptop", tmp_path / "b.duckdb")
    assert (chosen.kind, chosen.profile, chosen.settings.path) == ("local", "laptop", tmp_path / "b.duckdb")


def test_a_broken_config_file_does_not_block_an_explicit_store(isolated_env: Path, tmp_path: Path) -> None:
    mine = loaded_store(tmp_path / "mine.duckdb", tmp_path)
    config_file(isolated_env, "[profiles.p\n")
    result = run_coco("timeline", "D12345", "--store", str(mine), "-f", "json")
    assert (result.code, result.err) == (0, "")
    assert result.json()["subject"]["id"] == "D12345"
    assert run_coco("timeline", "D12345").code == 2  # without --store the file is needed, and it is broken


def test_timeline_help_lists_the_format_and_kind_choices(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # at 80 columns the format choices (now seven) wrap inside a word
    result = run_coco("timeline", "--help")
    assert result.code == 0
    compact = "".join(result.out.split())
    assert "table|csv|json|jsonl" in compact
    assert "delivery|robot|pilot" in compact


def test_the_config_module_imports_no_source_and_no_source_imports_a_cli() -> None:
    code = (
        "import sys, cocoevents.sources.configfile\n"
        "kinds = tuple(f'cocoevents.sources.{k}' for k in ('local', 'redshift', 'redshift_driver', 's3', 'memory'))\n"
        "print(sorted(m for m in sys.modules if m.startswith(kinds + ('cocoevents.cli',))))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_every_source_module_that_declares_settings_is_a_registered_kind() -> None:
    import importlib

    declared = []
    for info in pkgutil.iter_modules(sources.__path__):
        module = importlib.import_module(f"cocoevents.sources.{info.name}")
        if hasattr(module, "SETTINGS") and hasattr(module, "open"):
            declared.append(module.__name__)
    assert sorted(declared) == sorted(sources.KINDS.values())
    for kind in sources.KINDS:
        module = sources.kind_module(kind)
        assert callable(module.open) and callable(module.check) and hasattr(module.Settings, "from_values")


def test_a_config_file_others_can_write_is_refused_with_one_line(isolated_env: Path) -> None:
    path = config_file(isolated_env, '[profiles.laptop]\nsource = "local"\n')
    os.chmod(path, 0o666)
    result = run_coco("timeline", "D1", "--profile", "laptop")
    assert result.code == 2
    assert result.err == f"coco: error: config {path} is writable by others (mode 666): not used; run 'chmod go-w {path}'\n"
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o777)
    result = run_coco("config", "show", "--profile", "laptop")
    assert result.code == 2 and "is in a folder writable by others" in result.err
    os.chmod(path.parent, 0o755)
    assert run_coco("config", "show", "--profile", "laptop").code == 0


def test_a_config_file_owned_by_another_user_is_refused_with_one_line(isolated_env: Path) -> None:
    import pytest

    path = config_file(isolated_env, '[profiles.laptop]\nsource = "local"\n')
    other = 65534 if os.getuid() != 65534 else 65533
    try:
        os.chown(path, other, -1)
    except PermissionError:
        pytest.skip("giving a file to another user takes root")
    result = run_coco("config", "show", "--profile", "laptop")
    assert (result.code, result.out) == (2, "")
    assert (
        result.err == f"coco: error: config {path} belongs to user {other}, not to you ({os.getuid()}): not used; "
        f"make it yours: 'cp {path} {path}.mine && mv {path}.mine {path}'\n"
    )
    os.chown(path, os.getuid(), -1)
    assert run_coco("config", "show", "--profile", "laptop").code == 0


def test_a_password_login_without_tls_is_refused_unless_the_host_is_loopback(isolated_env: Path) -> None:
    body = '[profiles.p]\nsource = "redshift"\nhost = "{host}"\ndatabase = "d"\nuser = "u"\nssl = false\n'
    config_file(isolated_env, body.format(host="analytics.example.com"))
    result = run_coco("config", "show", "--profile", "p")
    assert result.code == 2
    assert "ssl = false would send the password in clear to analytics.example.com" in result.err
    for host in ("127.0.0.1", "localhost", "::1"):
        config_file(isolated_env, body.format(host=host))
        assert run_coco("config", "show", "--profile", "p").code == 0, host
