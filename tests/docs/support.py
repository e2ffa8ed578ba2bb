"""Shared by the docs tests: the generator script (``tools/docs/generate.py``), loaded by path, and the parser of
the shell examples' annotations."""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]


def generator():
    """``tools/docs/generate.py`` as a module (it is a script, not part of the package)."""
    name = "coco_docs_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "docs" / "generate.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


FENCE = re.compile(r"^```(?P<lang>[A-Za-z0-9_+-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
ANNOTATION = re.compile(r"\s#\s*->\s*(?P<what>.*)$")
QUOTED = r"(?:\"(?P<{0}d>(?:[^\"\\]|\\.)*)\"|'(?P<{0}s>[^']*)')"
EXPECT = re.compile(
    r"^exit (?P<code>\d+)"
    r"(?:, prints " + QUOTED.format("p") + r")?"
    r"(?:, writes (?P<file>\S+) with " + QUOTED.format("w") + r")?\s*$"
)


@dataclass(frozen=True)
class Example:
    """One command line of a ``sh`` block and what the docs say it gives."""

    page: str
    line: int  # 1-based line in the page
    command: str
    exit_code: Optional[int] = None
    prints: Optional[str] = None
    writes: Optional[str] = None
    writes_text: Optional[str] = None
    skip: Optional[str] = None  # the reason, when the docs mark the line as not runnable here
    problem: Optional[str] = None  # an annotation that cannot be read, or none at all

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _quoted(m: re.Match[str], key: str) -> Optional[str]:
    double, single = m.group(f"{key}d"), m.group(f"{key}s")
    if double is not None:
        return double.replace('\\"', '"').replace("\\\\", "\\")
    return single


def shell_examples(page: str, skip_exact: dict[str, str]) -> list[Example]:
    """Every command line of the ``sh`` blocks of ``page`` (relative to the repository), in order. A line ending
    in a backslash continues on the next; comment lines are skipped; ``skip_exact`` maps a command, exactly as
    written, to the reason it is not run (for lines kept exactly as they are, such as the set-up)."""
    text = (ROOT / page).read_text()
    out: list[Example] = []
    for block in FENCE.finditer(text):
        if block.group("lang") != "sh":
            continue
        first = text.count("\n", 0, block.start("body")) + 1
        lines = block.group("body").splitlines()
        k = 0
        while k < len(lines):
            start = k
            line = lines[k]
            while line.rstrip().endswith("\\") and k + 1 < len(lines):
                k += 1
                line = line.rstrip()[:-1] + " " + lines[k].strip()
            k += 1
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            where = dict(page=page, line=first + start)
            m = ANNOTATION.search(line)
            if m is None:
                command = stripped
                if command in skip_exact:
                    out.append(Example(command=command, skip=skip_exact[command], **where))
                else:
                    out.append(Example(command=command, problem="no '# -> ...' annotation says what it gives", **where))
                continue
            command, what = line[: m.start()].strip(), m.group("what").strip()
            if what.startswith("skip:"):
                out.append(Example(command=command, skip=what[len("skip:") :].strip(), **where))
                continue
            e = EXPECT.match(what)
            if e is None:
                out.append(Example(command=command, problem=f"cannot read the annotation {what!r}", **where))
                continue
            out.append(
                Example(
                    command=command,
                    exit_code=int(e.group("code")),
                    prints=_quoted(e, "p"),
                    writes=e.group("file"),
                    writes_text=_quoted(e, "w") if e.group("file") else None,
                    **where,
                )
            )
    return out


def python_blocks(page: str) -> list[tuple[int, str]]:
    """The ``python`` blocks of ``page``: (line of the block's first line, code)."""
    text = (ROOT / page).read_text()
    return [(text.count("\n", 0, b.start("body")) + 1, b.group("body")) for b in FENCE.finditer(text) if b.group("lang") == "python"]
