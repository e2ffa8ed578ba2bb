"""coco in a process of its own, with the peak of its resident memory read from the process itself.

The peak is the process's own ``VmHWM`` from ``/proc/self/status``, written as it exits. A child's ``ru_maxrss``
(``wait4``, ``RUSAGE_CHILDREN``) is not: it counts the image the child had before its ``exec``, a copy of the test
process that started it - hundreds of MiB late in a whole suite's run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Mapping, Optional


def run_coco_with_peak(
    status_file: Path, *args: str, env: Optional[Mapping[str, str]] = None, timeout: float = 600
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run ``coco *args``; the finished process and its peak resident memory in bytes (``status_file`` holds the
    process's status as it exited)."""
    own_peak = f"import atexit; atexit.register(lambda: open({str(status_file)!r}, 'w').write(open('/proc/self/status').read()))"
    command = [sys.executable, "-c", f"{own_peak}; from cocoevents.cli.launch import run; run()", *args]
    status_file.unlink(missing_ok=True)  # a status left by an earlier run is not this one's
    proc = subprocess.run(command, env=None if env is None else dict(env), capture_output=True, text=True, timeout=timeout)
    status = status_file.read_text().splitlines() if status_file.exists() else []
    hwm = next((line for line in status if line.startswith("VmHWM:")), None)
    assert hwm is not None, f"coco {' '.join(args)} wrote no status at its exit (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return proc, int(hwm.split()[1]) * 1024
