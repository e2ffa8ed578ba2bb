"""producers/eslint-plugin-coco: the ESLint rule that keeps producers' logEvent calls on registered events.

Runs the plugin's own RuleTester tests with real ESLint under node's test runner, and real ESLint (flat config,
the TypeScript parser) over TypeScript written against the registry coco emits. ESLint, the parser and the
TypeScript they need are the versions pinned in the plugin's package.json, installed by .ci/run into .tools/eslint
(or here, when missing). Skipped, with the reason, only where node or npm is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PLUGIN = ROOT / "producers" / "eslint-plugin-coco"
TOOLS = ROOT / ".tools" / "eslint"

pytestmark = pytest.mark.slow


def pinned() -> dict[str, str]:
    return json.loads((PLUGIN / "package.json").read_text())["devDependencies"]


def installed(name: str) -> str | None:
    manifest = TOOLS / "node_modules" / name / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.is_file() else None


@pytest.fixture(scope="module")
def node_env() -> dict[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("no node/npm on PATH: .ci/run installs Debian's nodejs and npm")
    if any(installed(name) != version for name, version in pinned().items()):
        r = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(TOOLS),
                "--no-audit",
                "--no-fund",
                "--silent",
                "--save-exact",
                *(f"{n}@{v}" for n, v in pinned().items()),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, r.stdout + r.stderr
    assert {n: installed(n) for n in pinned()} == pinned()
    return {**os.environ, "NODE_PATH": str(TOOLS / "node_modules")}


def test_the_rule_passes_its_ruletester_cases_under_real_eslint(node_env):
    r = subprocess.run(["node", "--test", "tests/"], cwd=PLUGIN, env=node_env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr
    passed = int(re.search(r"^# pass (\d+)$", r.stdout, re.M).group(1))
    assert re.search(r"^# fail 0$", r.stdout, re.M) and passed >= 25, r.stdout[-2000:]


def test_the_plugins_registry_is_what_coco_events_prints(coco):
    r = coco("events", "--format", "json")
    assert r.code == 0, r.err
    assert json.loads((PLUGIN / "registry.json").read_text()) == json.loads(r.out), (
        "producers/eslint-plugin-coco/registry.json is stale: run `coco events --format json > producers/eslint-plugin-coco/registry.json`"
    )


def lint(node_env: dict[str, str], *files: Path) -> dict[str, list[dict]]:
    r = subprocess.run(
        ["node", str(PLUGIN / "tests" / "lint-files.js"), *map(str, files)],
        cwd=files[0].parent,
        env=node_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return {x["file"]: x["messages"] for x in json.loads(r.stdout)}


def test_typescript_that_logs_every_registered_event_as_events_x_passes_and_strings_and_typos_do_not(coco, node_env, tmp_path):
    (tmp_path / "registry.ts").write_text(coco("events", "--emit", "ts").out)
    constants = [e["constant"] for e in json.loads(coco("events", "--format", "json").out)]
    head = "import { Events, EventLogger } from './registry';\ndeclare const logger: EventLogger;\n"
    (tmp_path / "every_event.ts").write_text(head + "".join(f"logger.logEvent(Events.{c}, {{}} as never);\n" for c in constants))
    (tmp_path / "wrong.ts").write_text(
        head
        + "logger.logEvent('offer.received', { offer_id: 'O-1', source: 'uber', merchant_id: 'M-1' });\n"
        + "logger.logEvent(Events.ROBOT_FLEW, { robot_id: 'R-1' });\n"
        + "const name: string = 'robot.parked';\n"
        + "logger.logEvent(name as never, {});\n"
    )
    found = lint(node_env, tmp_path / "every_event.ts", tmp_path / "wrong.ts")
    assert found["every_event.ts"] == []
    assert [(m["ruleId"], m["messageId"], m["line"]) for m in found["wrong.ts"]] == [
        ("coco/registered-event", "stringLiteral", 3),
        ("coco/registered-event", "unknownConstant", 4),
        ("coco/registered-event", "dynamic", 6),
    ]
    assert "write Events.OFFER_RECEIVED" in found["wrong.ts"][0]["message"]
