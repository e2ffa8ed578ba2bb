"""The generator's bulk mode (``--bulk``): big archives fast, for the growth and fleet-scale benchmarks.

A day is split into zones of ``ZONE_EVENTS`` records, each its own fleet with its own ids, generated in parallel
processes from ``generator``'s fleet simulation; the shippers' metadata comes from a pool of pods.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import uuid
from datetime import datetime, timezone
from pathlib import Path

from .fleet import NODES, SERVICES, Fleet, fleet_day, record_time, ship, sized_fleet

ZONE_EVENTS = 200_000
ZONE_IDS = 10_000_000  # zone k's delivery, demand, offer and trip numbers start at k * ZONE_IDS
ZONE_UNITS = 100_000  # zone k's robot and pilot numbers start at k * ZONE_UNITS


def _pods(rng: random.Random, per_service: int) -> dict[str, list[str]]:
    """Each event prefix's pods, as the text a shipped record of that pod starts with (its ``file`` and
    ``kubernetes`` fields, as ``ship`` writes them): in a cluster, a pod's metadata is the same on every
    line it logs."""
    pods: dict[str, list[str]] = {}
    for prefix in sorted(set(SERVICES) | {"misc"}):
        heads = []
        for _ in range(per_service):
            shipped = ship({"event": f"{prefix}.x"}, rng, merged=False)
            heads.append(
                '{"file":' + json.dumps(shipped["file"]) + ',"kubernetes":' + json.dumps(shipped["kubernetes"], separators=(",", ":"))
            )
        pods[prefix] = heads
    return pods


def _compact_head(prefix: str, rng: random.Random) -> str:
    """A compact record's shipper fields (``--compact``): the pod and container only, ~150 bytes."""
    service = SERVICES.get(prefix, "misc")
    pod = f"{service}-7d9f{rng.randrange(16**4):04x}-{rng.randrange(36**5):05x}"
    node = NODES[rng.randrange(len(NODES))]
    return '{"kubernetes":{"pod_name":"' + pod + '","container_name":"' + service + '","pod_node_name":"' + node + '"}'


def zone(job: tuple[str, int, int, int, int, bool, bool]) -> tuple[int, int]:
    """Zone ``k`` of a bulk archive: its own fleet (own ids) of about ``events`` records, shipped by a pool
    of pods and written as ``per_file``-line gzip files (``whole``: one gzip member ``.parts/k.gz`` that
    ``write_bulk_archive`` puts into a big file). Returns (files, records)."""
    root, k, events, seed, per_file, compact, whole = job
    fleet = sized_fleet(events, seed + k, id_offset=k * ZONE_IDS)
    fleet = Fleet(fleet.day, fleet.deliveries, fleet.robots, fleet.pilots, fleet.seed, fleet.id_offset, unit_offset=k * ZONE_UNITS)
    records = fleet_day(fleet)
    rng = random.Random(seed * 7919 + k)
    if compact:
        pods = {p: [_compact_head(p, rng) for _ in range(48)] for p in sorted(set(SERVICES) | {"misc"})}
    else:
        pods = _pods(rng, 48)
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
    files = 0
    folder = Path(root) / f"dt={fleet.day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    step = len(records) if whole else per_file
    for start in range(0, len(records), step):
        lines = []
        for rec in records[start : start + step]:
            name = str(rec.get("event", ""))
            prefix = name.split(".")[0]
            heads = pods[prefix if prefix in SERVICES else "misc"]
            app = dumps(rec)
            if compact:  # the application's fields merged into a short shipper header
                lines.append(heads[rng.randrange(len(heads))] + ',"source_type":"kubernetes_logs","stream":"stdout",' + app[1:])
                continue
            line = heads[rng.randrange(len(heads))] + ',"message":' + dumps(app) + ',"source_type":"kubernetes_logs","stream":"stdout"'
            if rng.random() >= 0.02:  # merged, as the shipper does; 2% unmerged (an older config)
                line += "," + app[1:]
            else:
                line += "}"
            lines.append(line)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        if whole:
            parts = Path(root) / ".parts"
            parts.mkdir(exist_ok=True)
            (parts / f"{k}.gz").write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
            return 1, len(records)
        when = record_time(records[start])
        key = f"{int(when.replace(tzinfo=timezone.utc).timestamp())}-{uuid.UUID(int=rng.getrandbits(128))}"
        (folder / f"{key}.log.gz").write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
        files += 1
    return files, len(records)


def write_bulk_archive(
    root: str | os.PathLike[str],
    events: int,
    *,
    seed: int = 7,
    per_file: int = 5000,
    workers: int | None = None,
    files: int | None = None,
    compact: bool = False,
) -> tuple[int, int]:
    """About ``events`` records of one day, fast (the growth benchmark's 10M and 30M archives): the day is
    split into zones of ``ZONE_EVENTS`` records, each its own fleet with its own ids (robots, pilots,
    deliveries...), generated in parallel processes; each zone's files cover its records in time order, so
    files of different zones overlap in time, as files of different pods do. Records are shaped like
    ``write_archive``'s (the same fields, merged and unmerged), but the Kubernetes metadata comes from a pool
    of pods rather than being drawn per record, which is what makes it fast. ``files``: that many big files
    instead (what a shipper with big batches writes), each the zones ``j, j + files, ...`` one after the other
    (a gzip member each); ``compact``: records of ~300 bytes (the application's fields in a short shipper
    header, no ``message`` copy). Returns (files, records)."""
    from concurrent.futures import ProcessPoolExecutor

    zones = max(1, round(events / ZONE_EVENTS), files or 0)
    size = max(1, events // zones)
    jobs = [(os.fspath(root), k, size, seed, per_file, compact, files is not None) for k in range(zones)]
    if zones == 1 or workers == 1:
        done = [zone(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers or min(zones, os.cpu_count() or 1)) as pool:
            done = list(pool.map(zone, jobs))
    records = sum(n for _, n in done)
    if files is None:
        return sum(f for f, _ in done), records
    import shutil

    parts = Path(root) / ".parts"
    folder = Path(root) / f"dt={Fleet.day.isoformat()}"
    start = int(datetime.combine(Fleet.day, datetime.min.time(), timezone.utc).timestamp())
    for j in range(files):
        with open(folder / f"{start + j}-{uuid.UUID(int=random.Random(seed * 31 + j).getrandbits(128))}.log.gz", "wb") as out:
            for k in range(j, zones, files):
                with open(parts / f"{k}.gz", "rb") as part:
                    shutil.copyfileobj(part, out)
    shutil.rmtree(parts)
    return files, records
