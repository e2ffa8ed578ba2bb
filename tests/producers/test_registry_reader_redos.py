"""The TypeScript registry reader (``coco check --registry``) reads a hostile file in linear time.

Three of its patterns backtracked on crafted input: ``const Events:`` repeated (each one scanned to the next
``=``), a run of spaces in an ``Events`` entry (``\\s*(\\?)?\\s*`` split it every way) and a ``source`` union of
literals followed by junk (exponential). Each file here is 256 KB, under the reader's 1 MiB cap; the old reader
took minutes on each (hours at the cap), the linear one about a second. The timeout only guards the run.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

N = 256 * 1024
BASE = "export const Events = { A: 'a.b' };\n"
HOSTILE = {
    "const-events": "const Events:" * (N // 13),
    "spaces-in-an-entry": "export const Events = { a" + " " * N + "x };",
    "source-union": BASE + "interface BaseEventPayload { source: " + "'a' " * (N // 4) + "x }\ninterface EventPayloadMap { }",
}
EXPECTED = {
    "const-events": (2, "no `Events` object"),
    "spaces-in-an-entry": (2, "the Events object has an entry that is not KEY: 'name'"),
    "source-union": (1, "not in coco's registry: 'a.b'"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_typescript_registry_of_256_kb_is_read_at_once(tmp_path, name) -> None:
    path = tmp_path / f"{name}.ts"
    path.write_text(HOSTILE[name])
    code = "from cocoevents.cli.main import run; run()"
    r = subprocess.run([sys.executable, "-c", code, "check", "--registry", str(path)], capture_output=True, text=True, timeout=30)
    expected_code, said = EXPECTED[name]
    assert r.returncode == expected_code, r.stderr
    assert said in r.stdout + r.stderr
    assert len(r.stderr.splitlines()) <= 1
