"""Finding the real TypeScript and Go compilers for the generated-code tests (installed by .ci/run).

``tsc``: $COCO_TSC, else the copy .ci/run installs into .tools/node, else one on PATH.
``go``: $COCO_GO, else one on PATH or Debian's /usr/lib/go/bin/go.
A test that needs one skips with the reason when it is absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def tsc() -> str:
    for candidate in (os.environ.get("COCO_TSC"), str(ROOT / ".tools/node/node_modules/.bin/tsc"), shutil.which("tsc")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            if shutil.which("node") is None:
                pytest.skip("TypeScript is installed but there is no `node` to run it (.ci/run installs nodejs)")
            return candidate
    pytest.skip("no TypeScript compiler: .ci/run installs it with `npm install --prefix .tools/node typescript` (or set COCO_TSC)")


def go() -> str:
    for candidate in (os.environ.get("COCO_GO"), shutil.which("go"), "/usr/lib/go/bin/go"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("no Go compiler: .ci/run installs Debian's `golang` package (or set COCO_GO)")
