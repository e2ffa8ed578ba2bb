"""The archive generator: deterministic, and what it writes loads cleanly."""

from __future__ import annotations

from cocoevents.archive import lines as archive
from cocoevents.devtools import bulk, generator


def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_same_arguments_give_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        generator.main([str(tmp_path / name), "--events", "3000", "--seed", "3", "--junk-every", "500"])
    assert tree(tmp_path / "a") == tree(tmp_path / "b") and tree(tmp_path / "a")


def test_another_seed_gives_another_archive(tmp_path):
    generator.main([str(tmp_path / "a"), "--events", "2000", "--seed", "1"])
    generator.main([str(tmp_path / "b"), "--events", "2000", "--seed", "2"])
    assert tree(tmp_path / "a") != tree(tmp_path / "b")


def test_generated_files_are_shipper_folders_of_gzip_that_classify_as_records(tmp_path):
    generator.main([str(tmp_path), "--events", "2000", "--junk-every", "100"])
    files, _ = archive.find_files([tmp_path])
    assert files and all(f.parent.name.startswith("dt=") and f.name.endswith(".log.gz") for f in files)
    scans = [archive.scan(f) for f in files]
    records = sum(len(s.records) for s in scans)
    assert records >= 1500 and all(s.damage is None for s in scans)
    assert sum(len(s.bad) for s in scans) == records // 100


def test_day_and_id_offset_give_another_day_with_ids_that_do_not_collide(tmp_path):
    generator.main([str(tmp_path / "a"), "--events", "2000"])
    generator.main([str(tmp_path / "b"), "--events", "2000", "--day", "2026-11-26", "--id-offset", "1000"])
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["dt=2026-11-26"]

    def ids(root):
        files, _ = archive.find_files([root])
        recs = [r for f in files for _, r in archive.scan(f).records]
        return {r[k] for r in recs for k in ("delivery_id", "demand_id", "offer_id", "trip_id") if k in r}

    a, b = ids(tmp_path / "a"), ids(tmp_path / "b")
    assert a and b and not a & b and "D201000" in b


def test_a_bad_day_or_a_negative_offset_is_refused(tmp_path, capsys):
    import pytest

    for args in (["--day", "2026-13-01"], ["--id-offset", "-5"]):
        with pytest.raises(SystemExit) as e:
            generator.main([str(tmp_path / "out"), *args])
        assert e.value.code == 2
    assert not (tmp_path / "out").exists()


def test_generated_days_have_realistic_durations_offers_accepted_in_seconds_deliveries_within_the_hour():
    from cocoevents.timestamps import parse_timestamp

    records = generator.fleet_day(generator.sized_fleet(60_000, seed=3))
    received, accepted, first, last = {}, {}, {}, {}
    for r in records:
        ts = parse_timestamp(r["timestamp"])
        if r["event"] == "offer.received":
            received[r["offer_id"]] = ts
        elif r["event"] == "offer.accepted":
            accepted[r["offer_id"]] = ts
        if r.get("delivery_id"):
            first.setdefault(r["delivery_id"], ts)
            last[r["delivery_id"]] = ts
    waits = [(accepted[o] - received[o]) / 1e6 for o in accepted]
    lengths = [(last[d] - first[d]) / 60e6 for d in first]
    assert len(accepted) > 0.8 * len(received)  # dispatch rarely runs out of robots
    assert max(waits) <= 60  # no offer sits for hours before acceptance
    assert 15 <= sorted(lengths)[len(lengths) // 2] <= 45 and max(lengths) <= 75  # minutes, assignment to the end


def test_bulk_mode_writes_the_same_bytes_for_the_same_arguments_and_zones_share_no_ids(tmp_path):
    for name in ("a", "b"):
        generator.main([str(tmp_path / name), "--events", "3000", "--seed", "5", "--bulk"])
    assert tree(tmp_path / "a") == tree(tmp_path / "b") and tree(tmp_path / "a")
    bulk.zone((str(tmp_path / "z"), 1, 3000, 5, 5000, False, False))  # the second zone of a bigger archive

    def ids(root, keys):
        files, _ = archive.find_files([root])
        recs = [r for f in files for _, r in archive.scan(f).records]
        return recs, {r[k] for r in recs for k in keys if k in r}

    recs, a = ids(tmp_path / "a", ("delivery_id", "demand_id", "offer_id", "robot_id", "pilot_id"))
    _, z = ids(tmp_path / "z", ("delivery_id", "demand_id", "offer_id", "robot_id", "pilot_id"))
    assert len(recs) >= 2500 and a and z and not a & z
    # shaped like the shipper's: Vector's fields, the application JSON merged in (mostly), and kept in "message"
    import gzip
    import json

    lines = [json.loads(x) for f in sorted((tmp_path / "a").rglob("*.gz")) for x in gzip.open(f).read().splitlines()]
    merged = [r for r in lines if "event" in r]
    assert len(lines) == len(recs)
    assert all({"file", "kubernetes", "message", "source_type", "stream"} <= set(r) for r in lines)
    assert 0.9 < len(merged) / len(lines) < 1 and all(json.loads(r["message"])["event"] == r["event"] for r in merged)


def test_bulk_mode_takes_only_events_and_seed(tmp_path):
    import pytest

    with pytest.raises(SystemExit) as e:
        generator.main([str(tmp_path / "out"), "--bulk", "--junk-every", "5"])
    assert e.value.code == 2


def test_bulk_mode_with_files_writes_that_many_big_files_of_whole_zones_and_compact_records_are_short(tmp_path):
    files, count = bulk.write_bulk_archive(tmp_path / "big", 6000, seed=5, files=2, compact=True, workers=1)
    found, _ = archive.find_files([tmp_path / "big"])
    assert files == 2 and len(found) == 2 and not (tmp_path / "big" / ".parts").exists()
    scans = [archive.scan(f) for f in found]
    recs = [r for s in scans for _, r in s.records]
    assert len(recs) == count and all(not s.bad and s.damage is None for s in scans)
    assert len({r["delivery_id"] for r in recs if "delivery_id" in r}) > 50
    sizes = [len(line) for f in found for line in archive.LineReader(f)]
    assert "message" not in recs[0] and sum(sizes) / len(sizes) < 400
