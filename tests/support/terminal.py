"""Running coco with its standard output on a real pseudo-terminal of a given size, as a user's terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

from .cli import Result


def on_a_terminal(args: list[str], columns: int = 200, **env: str) -> Result:
    """Run ``coco ARGS`` with stdout on a pseudo-terminal ``columns`` wide (set on the terminal itself, not through
    ``COLUMNS``); stderr is a pipe. The output is as the program wrote it (``\\r\\n`` line ends made ``\\n``)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")} | env
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cocoevents.cli.main import run; run()", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=environment,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed (Linux raises EIO)
            break
        if not data:
            break
        chunks.append(data)
    _, err = proc.communicate(timeout=120)
    os.close(master)
    out = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return Result(proc.returncode, out, err.decode("utf-8", "replace"))
