"""Generated days for the ``coco compare`` tests: a fleet day (a cause of failures planted or not) in a store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from cocoevents.devtools.generator import Plant, fleet_day, sized_fleet
from cocoevents.store.loader import load
from cocoevents.timestamps import parse_time_option

from .cli import write_lines

SINCE, UNTIL = parse_time_option("2026-11-25T00:00:00Z"), parse_time_option("2026-11-26T00:00:00Z")

# One cause per dimension, at the generator's default rates (``PLANT_RATES``); a slow step is four times its usual
# length in the deliveries that fail.
PLANTS = {
    "robot": Plant("robot", "R-110"),
    "pilot": Plant("pilot", "P-101"),
    "merchant": Plant("merchant", "M-150"),
    "source": Plant("source", "wolt"),
    "step": Plant("step", "delivery.pickup_arrival -> delivery.pickup_started", factor=4.0),
}
DELIVERIES = 2000


def day_records(seed: int, plant: Optional[Plant], deliveries: int = DELIVERIES) -> list[dict[str, Any]]:
    fleet = sized_fleet(deliveries * 20, seed)
    fleet.plant = plant
    return fleet_day(fleet)


def day_store(root: Path, seed: int, plant: Optional[Plant], deliveries: int = DELIVERIES) -> Path:
    """The store of the generated day (made once under ``root``)."""
    tag = f"{seed}-{plant.dimension if plant else 'none'}-{deliveries}"
    store = root / f"{tag}.duckdb"
    if not store.exists():
        load(store, [write_lines(root / tag / "dt=2026-11-25" / "a.log.gz", day_records(seed, plant, deliveries))])
    return store
