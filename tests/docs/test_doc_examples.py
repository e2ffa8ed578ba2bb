"""Every shell example in README.md, docs/oncall.md, docs/compare.md and docs/explore.md runs as written, in order, against the demo store.

A new user's journey is: install, ``coco demo``, then the README's commands exactly as printed. These tests take
that journey in temporary XDG folders (nothing of the user's is read or written): ``coco demo``, then each line
of each ``sh`` block, checking the exit code and the text the docs promise (``# -> exit 0, prints "..."``,
``# -> exit 0, writes FILE with "..."``). Lines the docs mark ``# -> skip: REASON`` (credentials, a network) are
skipped with that reason; a line without an annotation fails, so an example cannot be added unchecked. The
README's Python block runs too.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support import generator, python_blocks, shell_examples

pytestmark = pytest.mark.slow

PAGES = ["README.md", "docs/oncall.md", "docs/compare.md", "docs/explore.md"]

# Lines kept exactly as they are (the set-up of the README), and why they are not run here.
INSTALL = "python3 -m venv .venv && . .venv/bin/activate && pip install . && coco demo"
INSTALL_AND_TEST = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test,dbt]' && python -m pytest -q"
SKIP_EXACT = {
    INSTALL: "installs coco into a new virtualenv; the tests run in an installed coco and run `coco demo` first",
    INSTALL_AND_TEST: "installs coco and runs the whole test suite",
}

EXAMPLES = [e for page in PAGES for e in shell_examples(page, SKIP_EXACT)]


class Journey:
    """One user's machine: fresh XDG folders, ``coco demo`` run once, a working folder for ``-o`` files."""

    def __init__(self, home: Path) -> None:
        self.env = generator().base_env(home)
        self.cwd = home / "work"
        self.cwd.mkdir()
        self.demo = self.run("coco demo")

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", command], env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Journey:
    j = Journey(tmp_path_factory.mktemp("journey"))
    assert j.demo.returncode == 0, f"coco demo exited {j.demo.returncode}: {j.demo.stderr}"
    return j


def _missing_tool(command: str) -> str | None:
    """The first program of a pipeline that this machine lacks (jq, say), if any."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    parts: list[list[str]] = [[]]
    for token in lexer:  # a quoted '|' (a jq filter) stays inside its word
        if token in ("|", "||", "&&", ";", "&"):
            parts.append([])
        else:
            parts[-1].append(token)
    for words in parts:
        while words and "=" in words[0] and not words[0].startswith("-"):
            words.pop(0)  # VAR=value before the program
        if words and words[0] != "coco" and shutil.which(words[0]) is None:
            return words[0]
    return None


def test_every_shell_example_says_what_it_gives() -> None:
    problems = [f"{e.id}: {e.command}: {e.problem}" for e in EXAMPLES if e.problem]
    assert not problems, "\n".join(problems)


def test_the_docs_have_shell_examples_to_run() -> None:
    for page in PAGES:
        assert sum(1 for e in EXAMPLES if e.page == page and e.exit_code is not None) >= 5, page


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e.problem], ids=lambda e: e.id)
def test_a_shell_example_runs_as_the_docs_say(example, journey: Journey) -> None:
    if example.skip:
        pytest.skip(example.skip)
    tool = _missing_tool(example.command)
    if tool:
        pytest.skip(f"{tool} is not installed here")
    done = journey.run(example.command)
    said = f"{example.id}: {example.command}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    assert done.returncode == example.exit_code, f"exit {done.returncode}, the docs say {example.exit_code}\n{said}"
    if example.prints is not None:
        assert example.prints in done.stdout + done.stderr, f"the output lacks {example.prints!r}\n{said}"
    if example.writes is not None:
        written = journey.cwd / example.writes
        assert written.is_file(), f"{example.writes} was not written\n{said}"
        assert example.writes_text in written.read_text(errors="replace"), f"{example.writes} lacks {example.writes_text!r}\n{said}"


PYTHON = python_blocks("README.md")


@pytest.mark.parametrize("line,code", PYTHON, ids=[f"README.md:{line}" for line, _ in PYTHON])
def test_the_readme_python_example_runs_against_the_demo_store(line: int, code: str, journey: Journey) -> None:
    done = subprocess.run([sys.executable, "-c", code], env=journey.env, cwd=journey.cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"README.md:{line}: exit {done.returncode}\n{done.stderr[-3000:]}"
    assert "failed" in done.stdout, f"README.md:{line}: D12345's status is not printed\n{done.stdout}"
