"""The generator's fleet simulation: one day of offers, demands, deliveries, robots and pilots, and the shipper's wrap.

``fleet_day(Fleet(...))`` gives the application records of a simulated day in time order (``sized_fleet`` sizes a
fleet for about a number of records; ``Plant`` plants a cause of failures for ``coco compare``'s tests); ``ship``
wraps a record the way the log shipper does. ``generator`` writes them as an archive, ``bulk`` in parallel zones.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

Record = dict[str, Any]


SERVICES = {
    "offer": "demand-gateway",
    "quote": "pricing",
    "demand": "demand-service",
    "trip": "dispatch",
    "delivery": "delivery-service",
    "attempt": "delivery-service",
    "robot": "fleet-state",
    "pilot": "pilot-ops",
}
MERCHANTS = [f"M-{i}" for i in range(100, 180)]
ZONES = ["zone-mission", "zone-soma", "zone-castro", "zone-marina", "zone-sunset"]
SOURCES = ["uber", "doordash", "wolt", "direct"]
FAILURES = [
    ("LID_STUCK", "Lid stuck closed at dropoff"),
    ("HARDWARE_FAILURE", "Left drive motor overcurrent"),
    ("CUSTOMER_UNREACHABLE", "Customer did not answer after 3 calls"),
    ("BLOCKED_PATH", "Sidewalk blocked by construction"),
]
REJECTIONS = ["no_available_robots", "outside_service_area", "merchant_closed", "eta_too_long"]


def iso(t: datetime, style: int = 0) -> str | int:
    """The timestamp shapes services really emit: TS (ms Z), Go (ns, offset), epoch ms."""
    if style == 1:
        return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
    if style == 2:
        return int(t.replace(tzinfo=timezone.utc).timestamp() * 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


FAILURE_RATE = 0.05  # a delivery fails at the dropoff this often


@dataclass(frozen=True)
class Plant:
    """A cause of failures planted in a generated day (``coco compare``'s tests): the deliveries of robot, pilot
    (supervising the robot when it is assigned), merchant or source ``value`` fail at ``rate`` instead of
    ``FAILURE_RATE``; or, for ``dimension`` ``step``, the deliveries that fail (at the usual rate) took
    ``factor`` times as long over the transition ``value`` (one of ``PLANTABLE_STEPS``)."""

    dimension: str
    value: str
    rate: float | None = None  # default: ``PLANT_RATES`` of the dimension
    factor: float = 4.0

    @property
    def failure_rate(self) -> float:
        return self.rate if self.rate is not None else PLANT_RATES.get(self.dimension, FAILURE_RATE)

    @classmethod
    def parse(cls, text: str) -> Plant:
        """``robot=R-110``, ``step=A -> B``: the generator's ``--plant``."""
        dimension, sep, value = text.partition("=")
        if not sep or not value:
            raise ValueError(f"--plant takes DIMENSION=VALUE, not {text!r}")
        return cls(dimension.strip(), value.strip())

    def __post_init__(self) -> None:
        if self.dimension not in ("robot", "pilot", "merchant", "source", "step"):
            raise ValueError(f"a plant's dimension is robot, pilot, merchant, source or step, not {self.dimension!r}")
        if self.dimension == "step" and self.value not in PLANTABLE_STEPS:
            raise ValueError(f"a planted step is one of {', '.join(PLANTABLE_STEPS)}")


# A planted cause's failure rate by default: strong enough to be told from chance in a day of ~2,000 deliveries
# (a robot does ~16 deliveries a day, a merchant ~22; a pilot supervises a sixth of the robots; a source takes a
# quarter of the offers).
PLANT_RATES = {"robot": 0.7, "pilot": 0.2, "merchant": 0.6, "source": 0.15}
PLANTABLE_STEPS = (
    "demand.active -> delivery.pickup_arrival",
    "delivery.pickup_arrival -> delivery.pickup_started",
    "delivery.pickup_started -> delivery.pickup_completed",
)


@dataclass
class Fleet:
    """Knobs of a generated day."""

    day: date = date(2026, 11, 25)
    deliveries: int = 400
    robots: int = 40
    pilots: int = 10
    seed: int = 7
    id_offset: int = 0  # added to the numbers of offer, demand, delivery and trip ids (another day, other ids)
    unit_offset: int = 0  # added to the numbers of robot and pilot ids (another zone of the fleet, other units)
    plant: Plant | None = None  # a cause of failures (``coco compare``'s tests); none: the same day as ever


class _Day:
    def __init__(self, fleet: Fleet) -> None:
        self.f = fleet
        self.rng = random.Random(fleet.seed)
        self.start = datetime(fleet.day.year, fleet.day.month, fleet.day.day, 7, 0)
        self.end = self.start + timedelta(hours=14)
        self.out: list[tuple[datetime, Record]] = []
        self.seq = 0
        self.supervision: dict[str, list[tuple[datetime, datetime, str]]] = {}
        self.planted = random.Random(f"plant-{fleet.seed}")  # the plant's own draws: the day's stay as they were

    def emit(self, t: datetime, name: str, **payload: Any) -> None:
        rng = self.rng
        roll = rng.random()
        style = 0 if roll < 0.9 else (1 if roll < 0.97 else 2)
        rec: Record = {"event": name, "timestamp": iso(t, style), "level": "info"}
        if name.endswith(".failed") or name == "robot.grounded" or "error" in payload:
            rec["level"] = "error"
        elif name in ("offer.rejected", "offer.expired", "demand.canceled", "trip.canceled", "attempt.rescued"):
            rec["level"] = "warn"
        rec.update(payload)
        self.out.append((t, rec))

    def pilots_and_robots(self) -> tuple[list[str], dict[str, list[tuple[datetime, datetime, str]]]]:
        """Pilot shifts, each supervising a few robots; returns robot -> [(start, end, pilot)]."""
        f, rng = self.f, self.rng
        robots = [f"R-{100 + f.unit_offset + i}" for i in range(f.robots)]
        supervision: dict[str, list[tuple[datetime, datetime, str]]] = {r: [] for r in robots}
        pilots = [f"P-{100 + f.unit_offset + i}" for i in range(f.pilots)]
        half = self.start + timedelta(hours=7)
        for idx, robot in enumerate(robots):
            self.emit(self.start - timedelta(minutes=rng.randint(5, 30)), "robot.deployed", robot_id=robot, zone_id=rng.choice(ZONES))
            self.emit(self.end + timedelta(minutes=rng.randint(1, 30)), "robot.parked", robot_id=robot, parking_lot_id=f"LOT-{idx % 7}")
        for shift, (s, e) in enumerate(((self.start, half), (half, self.end))):
            for i, robot in enumerate(robots):
                pilot = pilots[(i + shift * 3) % len(pilots)]
                supervision[robot].append((s, e, pilot))
                self.emit(s + timedelta(seconds=rng.randint(0, 50)), "pilot.assignment_started", pilot_id=pilot, robot_id=robot)
                self.emit(e - timedelta(seconds=rng.randint(0, 50)), "pilot.assignment_ended", pilot_id=pilot, robot_id=robot)
            for pilot in pilots:
                self.emit(s - timedelta(minutes=2), "pilot.shift_started", pilot_id=pilot)
                self.emit(e + timedelta(minutes=1), "pilot.shift_ended", pilot_id=pilot)
        return robots, supervision

    def run(self) -> list[Record]:
        f, rng = self.f, self.rng
        robots, self.supervision = self.pilots_and_robots()
        free_at = {r: self.start for r in robots}
        span = (self.end - self.start).total_seconds() - 3600
        for n in range(f.deliveries):
            t0 = self.start + timedelta(seconds=span * n / max(f.deliveries, 1) + rng.random() * 30)
            offer = f"O-{300000 + f.id_offset + n}"
            source = rng.choice(SOURCES)
            merchant = rng.choice(MERCHANTS)
            self.emit(t0, "offer.received", offer_id=offer, source=source, merchant_id=merchant)
            self.emit(t0 + timedelta(seconds=1), "quote.requested", offer_id=offer, source=source)
            self.emit(
                t0 + timedelta(seconds=2),
                "quote.provided",
                offer_id=offer,
                source=source,
                quote_cents=rng.randint(199, 899),
                eta_s=rng.randint(900, 2700),
            )
            roll = rng.random()
            if roll < 0.08:
                self.emit(
                    t0 + timedelta(seconds=4), "offer.rejected", offer_id=offer, source=source, rejection_reason=rng.choice(REJECTIONS)
                )
                continue
            if roll < 0.11:
                self.emit(t0 + timedelta(seconds=60), "offer.expired", offer_id=offer, source=source)
                continue
            robot = min(robots, key=lambda r: (free_at[r], r))
            if free_at[robot] > t0 + MAX_ROBOT_WAIT:  # dispatch does not accept what no robot can take soon
                self.emit(
                    t0 + timedelta(seconds=4), "offer.rejected", offer_id=offer, source=source, rejection_reason="no_available_robots"
                )
                continue
            self.delivery(f.id_offset + n, t0, offer, source, merchant, robot, free_at)
        self.out.sort(key=lambda p: p[0])
        return [r for _, r in self.out]

    def delivery(self, n: int, t0: datetime, offer: str, source: str, merchant: str, robot: str, free_at: dict[str, datetime]) -> None:
        """One accepted offer: accepted within seconds; the robot is assigned when it is free (at most
        ``MAX_ROBOT_WAIT`` later), drives to the merchant, picks up, drives to the customer, drops off."""
        rng = self.rng
        delivery, demand = f"D{200000 + n}", f"DM-{200000 + n}"
        plant = self.f.plant
        doomed = plant is not None and plant.dimension == "step" and self.planted.random() < FAILURE_RATE

        def took(seconds: float, transition: str) -> float:  # a planted slow step, in a delivery that will fail
            return seconds * plant.factor if doomed and plant is not None and plant.value == transition else seconds

        t = t0 + timedelta(seconds=rng.randint(4, 20))
        e = self.emit
        e(t, "offer.accepted", offer_id=offer, source=source)
        e(t + timedelta(seconds=2), "demand.created", demand_id=demand, offer_id=offer, merchant_id=merchant)
        t = max(t + timedelta(seconds=rng.randint(5, 40)), free_at[robot])
        e(t, "demand.assigned", demand_id=demand, delivery_id=delivery, robot_id=robot)
        e(t, "robot.state_changed", robot_id=robot, from_state="idle", to_state="delivering")
        e(t + timedelta(seconds=1), "trip.created", delivery_id=delivery, robot_id=robot, trip_id=f"T-{n}")
        e(t + timedelta(seconds=2), "trip.started", delivery_id=delivery, robot_id=robot, trip_id=f"T-{n}")
        e(t + timedelta(seconds=3), "demand.active", demand_id=demand, delivery_id=delivery)
        assigned = t
        t += timedelta(seconds=took(_duration(rng, 540, 180, 1200), "demand.active -> delivery.pickup_arrival"))  # to the merchant: ~9 min
        pickup = ("pickup_arrival", "pickup_started", "pickup_completed")
        for i, step in enumerate(pickup):
            e(t, f"delivery.{step}", delivery_id=delivery, robot_id=robot, merchant_id=merchant)
            after = f"delivery.{step} -> delivery.{pickup[i + 1]}" if i + 1 < len(pickup) else ""
            t += timedelta(seconds=took(_duration(rng, 60, 15, 300), after))  # wait for the merchant, load: ~1 min each
        e(t, "demand.etas_updated", demand_id=demand, delivery_id=delivery, eta_s=rng.randint(300, 1200))
        e(t, "attempt.started", delivery_id=delivery, robot_id=robot, attempt=1)
        t += timedelta(seconds=_duration(rng, 720, 300, 1500))  # to the customer: ~12 min
        if self._fails(rng.random(), doomed, robot, merchant, source, assigned):
            code, message = rng.choice(FAILURES)
            e(t, "attempt.failed", delivery_id=delivery, robot_id=robot, attempt=1)
            e(t, "delivery.failed", delivery_id=delivery, robot_id=robot, error={"code": code, "message": message})
            e(t + timedelta(seconds=3), "demand.canceled", demand_id=demand, delivery_id=delivery, reason="delivery_failed")
            e(t + timedelta(seconds=4), "trip.canceled", delivery_id=delivery, robot_id=robot, trip_id=f"T-{n}")
        else:
            for step in ("dropoff_arrival", "dropoff_started", "dropoff_completed"):
                e(t, f"delivery.{step}", delivery_id=delivery, robot_id=robot)
                t += timedelta(seconds=_duration(rng, 45, 10, 180))  # customer comes out, opens the lid
            e(t, "attempt.completed", delivery_id=delivery, robot_id=robot, attempt=1)
            e(t + timedelta(seconds=1), "trip.completed", delivery_id=delivery, robot_id=robot, trip_id=f"T-{n}")
            e(t + timedelta(seconds=2), "demand.fulfilled", demand_id=demand, delivery_id=delivery)
        t += timedelta(seconds=5)
        e(t, "robot.state_changed", robot_id=robot, from_state="delivering", to_state="idle")
        free_at[robot] = t + timedelta(seconds=rng.randint(30, 600))

    def _fails(self, roll: float, doomed: bool, robot: str, merchant: str, source: str, at: datetime) -> bool:
        """Whether the delivery fails at the dropoff: ``roll`` below the failure rate - the plant's for a delivery
        that has the planted cause."""
        plant = self.f.plant
        if plant is None:
            return roll < FAILURE_RATE
        if plant.dimension == "step":
            return doomed
        if plant.dimension == "pilot":
            mine = any(s <= at <= e and p == plant.value for s, e, p in self.supervision.get(robot, ()))
        else:
            mine = {"robot": robot, "merchant": merchant, "source": source}[plant.dimension] == plant.value
        return roll < (plant.failure_rate if mine else FAILURE_RATE)


MAX_ROBOT_WAIT = timedelta(minutes=4)


def _duration(rng: random.Random, median: float, low: float, high: float) -> int:
    """Seconds, log-normally spread around ``median`` (a long right tail, as real travel times have), within
    ``low``..``high``."""
    return int(min(max(rng.lognormvariate(math.log(median), 0.25), low), high))


def fleet_day(fleet: Fleet) -> list[Record]:
    """The application records of one simulated day, in time order."""
    return _Day(fleet).run()


NODES = [f"ip-10-0-{i}-{10 + i * 7}.ec2.internal" for i in range(6)]


def ship(rec: Record, rng: random.Random, *, merged: bool = True) -> Record:
    """Wrap an application record the way the log shipper does."""
    name = str(rec.get("event", ""))
    service = SERVICES.get(name.split(".")[0], "misc")
    pod = f"{service}-7d9f{rng.randrange(16**4):04x}-{rng.randrange(36**5):05x}"
    node = NODES[rng.randrange(len(NODES))]
    shipped: Record = {
        "file": f"/var/log/pods/delivery_{pod}_{rng.getrandbits(64):016x}/{service}/0.log",
        "kubernetes": {
            "container_id": f"containerd://{rng.getrandbits(128):032x}",
            "container_image": f"123456789012.dkr.ecr.us-west-2.amazonaws.com/{service}:1.{rng.randrange(90)}.0",
            "container_name": service,
            "namespace_labels": {"kubernetes.io/metadata.name": "delivery"},
            "node_labels": {"topology.kubernetes.io/zone": "us-west-2a", "node.kubernetes.io/instance-type": "m6i.xlarge"},
            "pod_ip": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
            "pod_labels": {"app.kubernetes.io/name": service, "pod-template-hash": pod.split("-")[-2]},
            "pod_name": pod,
            "pod_namespace": "delivery",
            "pod_node_name": node,
            "pod_owner": f"ReplicaSet/{service}-7d9f",
        },
        "message": json.dumps(rec, separators=(",", ":")),
        "source_type": "kubernetes_logs",
        "stream": "stdout",
    }
    if merged:
        shipped.update(rec)
    return shipped


def record_time(rec: Record) -> datetime:
    from ..timestamps import parse_timestamp, to_datetime

    us = parse_timestamp(rec.get("timestamp"))
    return to_datetime(us).replace(tzinfo=None) if us is not None else datetime(1970, 1, 1)


def sized_fleet(events: int, seed: int = 7, day: date = Fleet.day, id_offset: int = 0) -> Fleet:
    """A fleet whose day has about ``events`` records (about 20 per delivery), with robots enough that offers
    are rarely rejected for want of one (a robot does about 20 deliveries in the 14-hour day)."""
    deliveries = max(10, events // 20)
    return Fleet(
        day=day, deliveries=deliveries, robots=max(8, deliveries // 18), pilots=max(3, deliveries // 300), seed=seed, id_offset=id_offset
    )
