"""Running coco in-process and writing archive files, for every test."""

from __future__ import annotations

import gzip
import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable


def write_lines(path: Path, lines: Iterable[str | bytes | dict[str, Any]], *, gz: bool | None = None) -> Path:
    """Write records (dicts as JSON) or raw lines to ``path``; gzip when its name ends in .gz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join((json.dumps(x).encode() if isinstance(x, dict) else x.encode() if isinstance(x, str) else x) + b"\n" for x in lines)
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
    from cocoevents.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return Result(code, out.getvalue(), err.getvalue())
