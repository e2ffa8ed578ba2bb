"""The archive generator: deterministic, and what it writes loads cleanly."""

from __future__ import annotations

from cocoevents import archive, generator


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
