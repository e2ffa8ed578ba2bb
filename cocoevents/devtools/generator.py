"""A generator of realistic event archives, for tests, benchmarks and the demo.

It simulates a fleet day - offers, demands, deliveries, robots with state
changes and pilots supervising robots in shifts - and writes it the way the log
shipper does: ``dt=YYYY-MM-DD/<epoch>-<uuid>.log.gz`` files of newline-delimited
JSON, each record the application's JSON merged into Vector's own fields
(``message``, ``kubernetes``, ``source_type``, ``file``, ``stream``). A small
share of records is left unmerged (the application JSON only inside
``message``), as an older shipper config did.

The simulation itself (``Fleet``, ``fleet_day``, ``ship``) is ``fleet``'s; this module adds the stories, the
archive writer and the command line (``--bulk`` hands over to ``bulk``).

Everything is drawn from ``random.Random(seed)``: the same arguments give the
same bytes. ``scenarios()`` adds three hand-built stories on fixed ids (a
failed delivery after a grounded robot was swapped and its pilot handed over,
a simple failure, a clean reassignment) that the demo and the docs use.

Run ``python -m cocoevents.devtools.generator OUT --events 1000000`` for a benchmark
archive.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..textsafe import say
from .fleet import Fleet, Plant, Record, fleet_day, record_time, ship, sized_fleet


def scenarios(day: date = date(2026, 11, 25)) -> list[Record]:
    """Three stories on fixed ids, for the demo, the docs and the tests.

    - D12345: R-7 is grounded mid-trip; the delivery moves to R-12, whose pilot
      hands over from P-3 to P-5; the dropoff fails (lid stuck); demand canceled.
    - D12346: a plain failed delivery on R-8 (customer unreachable).
    - D12347: R-8 breaks down on the way to pickup, R-9 takes over and delivers.
    """
    base = datetime(day.year, day.month, day.day, 10, 0)

    def at(minutes: float) -> str:
        t = base + timedelta(minutes=minutes)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    def ev(m: float, name: str, **p: Any) -> Record:
        level = (
            "error"
            if (name.endswith(".failed") or name == "robot.grounded")
            else ("warn" if name in ("demand.canceled", "trip.canceled", "offer.rejected", "attempt.rescued") else "info")
        )
        return {"event": name, "timestamp": at(m), "level": level, **p}

    d, dm, o = "D12345", "DM-12345", "O-12345"
    story = [
        # pilots supervising the robots involved
        ev(-200, "pilot.shift_started", pilot_id="P-3"),
        ev(-180, "pilot.assignment_started", pilot_id="P-3", robot_id="R-12"),
        ev(-170, "pilot.assignment_started", pilot_id="P-4", robot_id="R-7"),
        ev(-150, "robot.deployed", robot_id="R-7", zone_id="zone-mission"),
        ev(-150, "robot.deployed", robot_id="R-12", zone_id="zone-mission"),
        ev(-90, "pilot.shift_started", pilot_id="P-5"),
        # D12345
        ev(-2, "offer.received", offer_id=o, source="doordash", merchant_id="M-123"),
        ev(-1.9, "quote.requested", offer_id=o, source="doordash"),
        ev(-1.8, "quote.provided", offer_id=o, source="doordash", quote_cents=499, eta_s=1500),
        ev(-1.5, "offer.accepted", offer_id=o, source="doordash"),
        ev(-1.4, "demand.created", demand_id=dm, offer_id=o, merchant_id="M-123"),
        ev(0, "demand.assigned", demand_id=dm, delivery_id=d, robot_id="R-7"),
        ev(0, "robot.state_changed", robot_id="R-7", from_state="idle", to_state="delivering"),
        ev(0.1, "trip.created", delivery_id=d, robot_id="R-7", trip_id="T-12345-1"),
        ev(0.2, "trip.started", delivery_id=d, robot_id="R-7", trip_id="T-12345-1"),
        ev(0.3, "demand.active", demand_id=dm, delivery_id=d),
        ev(9, "delivery.pickup_arrival", delivery_id=d, robot_id="R-7", merchant_id="M-123"),
        ev(10, "delivery.pickup_started", delivery_id=d, robot_id="R-7", merchant_id="M-123"),
        ev(11.5, "delivery.pickup_completed", delivery_id=d, robot_id="R-7", merchant_id="M-123"),
        ev(15, "robot.state_changed", robot_id="R-7", from_state="delivering", to_state="degraded", reason="wheel_slip"),
        ev(
            16.5,
            "robot.grounded",
            robot_id="R-7",
            reason="left_motor_overcurrent",
            error={"code": "MOTOR_OVERCURRENT", "message": "Left drive motor overcurrent"},
        ),
        ev(17, "trip.canceled", delivery_id=d, robot_id="R-7", trip_id="T-12345-1", reason="robot_grounded"),
        ev(18, "demand.assigned", demand_id=dm, delivery_id=d, robot_id="R-12"),
        ev(18, "robot.state_changed", robot_id="R-12", from_state="idle", to_state="delivering"),
        ev(18.2, "trip.created", delivery_id=d, robot_id="R-12", trip_id="T-12345-2"),
        ev(18.3, "trip.started", delivery_id=d, robot_id="R-12", trip_id="T-12345-2"),
        ev(20, "pilot.assignment_ended", pilot_id="P-4", robot_id="R-7"),
        ev(22.5, "delivery.pickup_arrival", delivery_id=d, robot_id="R-12", note="handover from R-7"),
        ev(25, "delivery.pickup_completed", delivery_id=d, robot_id="R-12"),
        ev(25.5, "pilot.assignment_ended", pilot_id="P-3", robot_id="R-12"),
        ev(25.6, "pilot.assignment_started", pilot_id="P-5", robot_id="R-12"),
        ev(26.5, "demand.etas_updated", demand_id=dm, delivery_id=d, eta_s=1260),
        ev(26.5, "attempt.started", delivery_id=d, robot_id="R-12", pilot_id="P-5", attempt=1),
        # 15 minutes of silence on the way to the customer: a normal drive
        ev(41.55, "delivery.dropoff_arrival", delivery_id=d, robot_id="R-12"),
        ev(42, "delivery.dropoff_started", delivery_id=d, robot_id="R-12", pilot_id="P-5"),
        ev(
            43,
            "attempt.failed",
            delivery_id=d,
            robot_id="R-12",
            pilot_id="P-5",
            attempt=1,
            error={"code": "LID_STUCK", "message": "Lid stuck closed at dropoff"},
        ),
        ev(43.1, "delivery.failed", delivery_id=d, robot_id="R-12", error={"code": "LID_STUCK", "message": "Lid stuck closed at dropoff"}),
        ev(44, "demand.canceled", demand_id=dm, delivery_id=d, reason="delivery_failed"),
        ev(44.5, "robot.state_changed", robot_id="R-12", from_state="delivering", to_state="returning"),
        ev(60, "pilot.assignment_ended", pilot_id="P-5", robot_id="R-12"),
        ev(75, "robot.parked", robot_id="R-7", parking_lot_id="LOT-2"),
    ]
    # D12346: plain failure on R-8; D12347: R-8 breaks down, R-9 delivers.
    story += [
        ev(-100, "pilot.assignment_started", pilot_id="P-6", robot_id="R-8"),
        ev(-100, "pilot.assignment_started", pilot_id="P-6", robot_id="R-9"),
        ev(90, "offer.received", offer_id="O-12346", source="uber", merchant_id="M-130"),
        ev(90.5, "offer.accepted", offer_id="O-12346", source="uber"),
        ev(90.6, "demand.created", demand_id="DM-12346", offer_id="O-12346", merchant_id="M-130"),
        ev(91, "demand.assigned", demand_id="DM-12346", delivery_id="D12346", robot_id="R-8"),
        ev(91.02, "trip.created", delivery_id="D12346", robot_id="R-8", trip_id="T-12346"),
        ev(91.04, "trip.started", delivery_id="D12346", robot_id="R-8", trip_id="T-12346"),
        ev(91.06, "demand.active", demand_id="DM-12346", delivery_id="D12346"),
        ev(99, "delivery.pickup_arrival", delivery_id="D12346", robot_id="R-8"),
        ev(99.75, "delivery.pickup_started", delivery_id="D12346", robot_id="R-8"),
        ev(101, "delivery.pickup_completed", delivery_id="D12346", robot_id="R-8"),
        ev(101.75, "demand.etas_updated", demand_id="DM-12346", delivery_id="D12346", eta_s=780),
        ev(101.75, "attempt.started", delivery_id="D12346", robot_id="R-8", attempt=1),
        ev(115, "delivery.dropoff_arrival", delivery_id="D12346", robot_id="R-8"),
        ev(115.5, "delivery.dropoff_started", delivery_id="D12346", robot_id="R-8"),
        ev(119, "attempt.failed", delivery_id="D12346", robot_id="R-8", attempt=1),
        ev(
            119,
            "delivery.failed",
            delivery_id="D12346",
            robot_id="R-8",
            error={"code": "CUSTOMER_UNREACHABLE", "message": "Customer did not answer after 3 calls"},
        ),
        ev(119.5, "demand.canceled", demand_id="DM-12346", delivery_id="D12346", reason="delivery_failed"),
        ev(119.6, "trip.canceled", delivery_id="D12346", robot_id="R-8", trip_id="T-12346"),
        ev(130, "offer.received", offer_id="O-12347", source="wolt", merchant_id="M-131"),
        ev(130.5, "offer.accepted", offer_id="O-12347", source="wolt"),
        ev(130.6, "demand.created", demand_id="DM-12347", offer_id="O-12347", merchant_id="M-131"),
        ev(131, "demand.assigned", demand_id="DM-12347", delivery_id="D12347", robot_id="R-8"),
        ev(131.02, "trip.created", delivery_id="D12347", robot_id="R-8", trip_id="T-12347-1"),
        ev(131.04, "trip.started", delivery_id="D12347", robot_id="R-8", trip_id="T-12347-1"),
        ev(131.06, "demand.active", demand_id="DM-12347", delivery_id="D12347"),
        ev(133, "robot.grounded", robot_id="R-8", reason="battery_fault", error={"code": "BATTERY_FAULT", "message": "Cell imbalance"}),
        ev(133.5, "trip.canceled", delivery_id="D12347", robot_id="R-8", trip_id="T-12347-1", reason="robot_grounded"),
        ev(134, "demand.assigned", demand_id="DM-12347", delivery_id="D12347", robot_id="R-9"),
        ev(134.02, "trip.created", delivery_id="D12347", robot_id="R-9", trip_id="T-12347-2"),
        ev(134.04, "trip.started", delivery_id="D12347", robot_id="R-9", trip_id="T-12347-2"),
        ev(138.5, "delivery.pickup_arrival", delivery_id="D12347", robot_id="R-9"),
        ev(139.25, "delivery.pickup_started", delivery_id="D12347", robot_id="R-9"),
        ev(140, "delivery.pickup_completed", delivery_id="D12347", robot_id="R-9"),
        ev(140.75, "demand.etas_updated", demand_id="DM-12347", delivery_id="D12347", eta_s=660),
        ev(140.75, "attempt.started", delivery_id="D12347", robot_id="R-9", attempt=1),
        ev(151, "delivery.dropoff_arrival", delivery_id="D12347", robot_id="R-9"),
        ev(151.5, "delivery.dropoff_started", delivery_id="D12347", robot_id="R-9"),
        ev(152, "delivery.dropoff_completed", delivery_id="D12347", robot_id="R-9"),
        ev(152.75, "attempt.completed", delivery_id="D12347", robot_id="R-9", attempt=1),
        ev(152.77, "trip.completed", delivery_id="D12347", robot_id="R-9", trip_id="T-12347-2"),
        ev(152.8, "demand.fulfilled", demand_id="DM-12347", delivery_id="D12347"),
        ev(200, "pilot.assignment_ended", pilot_id="P-6", robot_id="R-8"),
        ev(200, "pilot.assignment_ended", pilot_id="P-6", robot_id="R-9"),
    ]
    return story


def write_archive(
    records: Iterable[Record],
    root: str | os.PathLike[str],
    *,
    seed: int = 7,
    per_file: int = 5000,
    unmerged_share: float = 0.02,
    junk_every: int = 0,
) -> list[Path]:
    """Write records (in time order) as the shipper's ``dt=`` folders of ``.log.gz`` files.

    ``junk_every=N`` adds a non-JSON line after every N records, as a log shipper
    occasionally lets through.
    """
    rng = random.Random(seed)
    root = Path(root)
    paths: list[Path] = []
    batch: list[str] = []
    batch_day: str | None = None
    batch_start: datetime | None = None
    count = 0

    def flush() -> None:
        nonlocal batch, batch_day
        if not batch:
            return
        assert batch_day is not None and batch_start is not None
        folder = root / f"dt={batch_day}"
        folder.mkdir(parents=True, exist_ok=True)
        key = f"{int(batch_start.replace(tzinfo=timezone.utc).timestamp())}-{uuid.UUID(int=rng.getrandbits(128))}"
        path = folder / f"{key}.log.gz"
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as fh:
            fh.write(("\n".join(batch) + "\n").encode("utf-8"))
        paths.append(path)
        batch = []

    for rec in records:
        when = record_time(rec)
        day = when.strftime("%Y-%m-%d")
        if day != batch_day or len(batch) >= per_file:
            flush()
            batch_day, batch_start = day, when
        shipped = ship(rec, rng, merged=rng.random() >= unmerged_share)
        batch.append(json.dumps(shipped, separators=(",", ":")))
        count += 1
        if junk_every and count % junk_every == 0:
            batch.append(f"{when.isoformat()} WARN shipper: dropped partial line")
    flush()
    return paths


def demo_records() -> list[Record]:
    """The demo day: a small fleet day plus the scenarios, in time order."""
    recs = fleet_day(Fleet(deliveries=300, robots=30, pilots=8, seed=7)) + scenarios()
    recs.sort(key=lambda r: record_time(r))
    return recs


def _records_in_order(events: int, seed: int, day: date = Fleet.day, id_offset: int = 0, plant: Plant | None = None) -> Iterator[Record]:
    fleet = sized_fleet(events, seed, day, id_offset)
    fleet.plant = plant
    yield from fleet_day(fleet)


# -- bulk mode: big archives for the growth benchmark --------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m cocoevents.devtools.generator", description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="archive root folder to write dt=YYYY-MM-DD/ folders into")
    p.add_argument("--events", type=int, default=100_000, help="about how many events")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--junk-every", type=int, default=0, help="add a junk line every N records")
    p.add_argument(
        "--day", type=date.fromisoformat, default=Fleet.day, help=f"the simulated day, YYYY-MM-DD (default {Fleet.day.isoformat()})"
    )
    p.add_argument(
        "--id-offset", type=int, default=0, help="add this to offer, demand, delivery and trip numbers (days that do not share ids)"
    )
    p.add_argument("--demo", action="store_true", help="write the demo day (fleet + scenarios) instead")
    p.add_argument(
        "--plant",
        metavar="DIMENSION=VALUE",
        help="plant a cause of failures: robot=R-110, pilot=P-101, merchant=M-150, source=wolt, or "
        "step='delivery.pickup_arrival -> delivery.pickup_started' (slow in the deliveries that fail)",
    )
    p.add_argument(
        "--bulk", action="store_true", help="fast, for big archives: zones of 200k events in parallel processes, pods' metadata pooled"
    )
    p.add_argument("--files", type=int, default=None, help="--bulk: write this many big files instead of 5,000-line ones")
    p.add_argument("--compact", action="store_true", help="--bulk: records of ~300 bytes (a short shipper header, no message copy)")
    a = p.parse_args(argv)
    if (a.files is not None or a.compact) and not a.bulk:
        p.error("--files and --compact go with --bulk")
    if a.id_offset < 0:
        p.error("--id-offset must be 0 or more")
    if a.bulk:
        if a.demo or a.junk_every or a.id_offset or a.day != Fleet.day:
            p.error("--bulk takes only --events, --seed, --files and --compact")
        if a.files is not None and a.files < 1:
            p.error("--files must be 1 or more")
        from .bulk import write_bulk_archive  # it builds on this module

        files, count = write_bulk_archive(a.out, a.events, seed=a.seed, files=a.files, compact=a.compact)
        say(f"wrote {count} records in {files} files under {a.out}")
        return 0
    plant = None
    if a.plant is not None:
        if a.demo or a.bulk:
            p.error("--plant goes with a generated day, not --demo or --bulk")
        try:
            plant = Plant.parse(a.plant)
        except ValueError as e:
            p.error(str(e))
    recs: Iterable[Record] = demo_records() if a.demo else _records_in_order(a.events, a.seed, a.day, a.id_offset, plant)
    paths = write_archive(recs, a.out, seed=a.seed, junk_every=a.junk_every)
    say(f"wrote {len(paths)} files under {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
