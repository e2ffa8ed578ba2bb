"""Regenerate the docs' picture of a timeline from what ``coco timeline -f html`` draws today.

    python tools/docs/screenshots.py                 # docs/D12345.png
    python tools/docs/screenshots.py --width 1100 --height 700 --out docs/D12345.png

It loads the demo day into temporary XDG folders (``coco demo``; nothing of yours is read or written), writes
``coco timeline D12345 -o D12345.html`` there, and has headless Chromium take a screenshot of the top of the
page. Chromium is Debian's ``chromium`` (``apt-get install chromium``) or the one named by ``$CHROMIUM``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _generator():
    name = "coco_docs_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "generate.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before running it: its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


def chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def shoot(subject: str, out: Path, width: int, height: int) -> None:
    exe = chromium()
    if exe is None:
        raise SystemExit("screenshots: no Chromium found (apt-get install chromium, or set CHROMIUM)")
    g = _generator()
    with tempfile.TemporaryDirectory(prefix="coco-shot-") as tmp:
        home = Path(tmp)
        env = g.base_env(home)
        work = home / "work"
        work.mkdir()
        subprocess.run([g.coco_bin(), "demo"], env=env, cwd=work, check=True, capture_output=True)
        env["COCO_STORE"] = str(home / "data" / "coco" / "demo.duckdb")
        page = work / f"{subject}.html"
        subprocess.run([g.coco_bin(), "timeline", subject, "-o", str(page)], env=env, cwd=work, check=True, capture_output=True)
        shot = work / "shot.png"
        subprocess.run(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={home / 'chromium'}",
                f"--window-size={width},{height}",
                f"--screenshot={shot}",
                page.as_uri(),
            ],
            env=env,
            cwd=work,
            check=True,
            capture_output=True,
            timeout=120,
        )
        if not shot.is_file() or shot.stat().st_size == 0:
            raise SystemExit("screenshots: Chromium wrote no picture")
        shutil.copyfile(shot, out)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Regenerate docs/D12345.png from coco timeline -f html.")
    ap.add_argument("--id", default="D12345", help="the demo id to draw (default D12345)")
    ap.add_argument("--out", type=Path, default=None, help="the PNG to write (default docs/<id>.png)")
    ap.add_argument("--width", type=int, default=1100)
    ap.add_argument("--height", type=int, default=700)
    args = ap.parse_args(argv)
    out = args.out or ROOT / "docs" / f"{args.id}.png"
    shoot(args.id, out, args.width, args.height)
    print(f"screenshots: wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
