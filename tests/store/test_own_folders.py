"""Tests run in folders of their own: nothing of the user's (store, config, caches) is read or written."""

from __future__ import annotations

import os
from pathlib import Path


def test_every_folder_coco_reads_or_writes_is_inside_the_tests_own_temporary_folder(tmp_path: Path) -> None:
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert var in os.environ, var
        assert Path(os.environ[var]).is_relative_to(tmp_path), f"{var}={os.environ[var]} is outside the test's folder"
