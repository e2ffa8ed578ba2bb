"""A story that arrives in pieces, out of order, for the ``--follow`` tests of every source.

``arrivals`` cuts the demo scenarios (D12345: R-7 grounded, the swap to R-12, the pilots' handoff, the failed
dropoff) into a first part that makes the delivery exist and ``polls`` later parts; the later parts are shuffled
with a fixed seed, so events stamped early arrive after events stamped later (out of order), as a shipper with
several pods delivers them. ``check_story`` holds what a follower showed against the final timeline.
"""

from __future__ import annotations

import json
import random
from typing import Any, Sequence

from cocoevents.core.follow import Update, row_key
from cocoevents.core.model import Timeline
from cocoevents.devtools.generator import scenarios

DELIVERY = "D12345"
SINCE = "2026-11-25T00:00:00Z"


def arrivals(polls: int = 20, seed: int = 5) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """(the records there at the start, one list of records per poll); every later list is non-empty and at
    least some of them hold an event older than one that came before it."""
    records = sorted(scenarios(), key=lambda r: (r["timestamp"], json.dumps(r, sort_keys=True)))
    first_own = next(n for n, r in enumerate(records) if r.get("delivery_id") == DELIVERY)
    head, rest = records[: first_own + 1], records[first_own + 1 :]
    rng = random.Random(seed)
    # keep roughly the time order, but swap neighbours often: late arrivals within a few minutes
    rest = sorted(rest, key=lambda r: rest.index(r) + rng.uniform(-6, 6))
    size = max(1, len(rest) // polls)
    parts = [rest[k * size : (k + 1) * size] for k in range(polls - 1)] + [rest[(polls - 1) * size :]]
    return head, parts


def check_story(updates: Sequence[Update], final: Timeline) -> dict[str, int]:
    """Every row of ``final`` was shown exactly once across ``updates``; each update's late rows are exactly its
    new rows that belong before a row shown earlier. Returns counts (shown, late)."""
    shown: list[str] = []
    late = 0
    for update in updates:
        earlier = set(shown)
        rows = update.timeline.rows
        positions_shown = [n for n, r in enumerate(rows) if row_key(r) in earlier]
        last = max(positions_shown, default=-1)
        assert update.late == [n for n in update.added if n < last], "late rows are those placed before a row shown earlier"
        shown += [row_key(rows[n]) for n in update.added]
        late += len(update.late)
    assert len(shown) == len(set(shown)), "a row was shown twice"
    assert set(shown) == {row_key(r) for r in final.rows}, "a row was lost"
    return {"shown": len(shown), "late": late}
