"""How every JSON output of coco encodes a value (``dumps``): the timeline's writers and their fast rows, the
listings, compare and the CSV cells that hold JSON share it."""

from __future__ import annotations

import json
import math
from typing import Any


def _finite(obj: Any) -> Any:
    """``obj`` with non-finite floats (a lenient source may hold NaN) as strings: output stays valid JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj: Any, **kw: Any) -> str:
    """``json.dumps`` as every JSON output of coco writes: UTF-8 text as it is, anything not JSON as its
    ``str``, non-finite numbers as strings."""
    try:
        return json.dumps(obj, ensure_ascii=False, default=str, allow_nan=False, **kw)
    except ValueError:
        return json.dumps(_finite(obj), ensure_ascii=False, default=str, allow_nan=False, **kw)
