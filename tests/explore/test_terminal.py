"""``coco explore`` in a real terminal: the installed command started under a pseudo-terminal (120x40), as an
engineer starts it - not Textual's pilot - shows D12345's swap, and ``q`` quits with 0."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CONTROL = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78DEHM])")


def read_until(fd: int, seen: bytearray, wanted: list[str], timeout: float) -> str:
    """Read the terminal until every text of ``wanted`` is on it (control sequences taken out); the text read."""
    deadline = time.monotonic() + timeout
    while True:
        text = CONTROL.sub("", seen.decode("utf-8", "replace"))
        if all(w in text for w in wanted):
            return text
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"not on the terminal after {timeout:.0f} s: {[w for w in wanted if w not in text]}\n{text[-3000:]}")
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                seen.extend(os.read(fd, 65536))
            except OSError:  # the process ended and the terminal closed
                return CONTROL.sub("", seen.decode("utf-8", "replace"))


def test_explore_in_a_terminal_shows_d12345s_swap_and_q_quits_with_0(demo_store: Path, tmp_path: Path) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    command = [sys.executable, "-c", "from cocoevents.cli.launch import run; run()", "explore", "D12345", "--store", str(demo_store)]
    proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=tmp_path, start_new_session=True)
    os.close(slave)
    seen = bytearray()
    try:
        wanted = ["Delivery D12345", "FAILED", "R-7 → R-12", "What stands out", "R-7 -> R-12 after robot.grounded"]
        read_until(master, seen, wanted, 60)
        os.write(master, b"q")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
