"""``coco check``: archive files against the registry, without loading them.

Reports unknown event names (with counts), missing required fields and other
payload rule breaks, unusable timestamps, bad lines and damaged files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFound, UsageError
from ..producers import registry
from ..textsafe import for_terminal
from . import lines as archive

EXAMPLES = 5


@dataclass
class CheckReport:
    files: int = 0
    records: int = 0
    unknown: Counter[str] = field(default_factory=Counter)
    payload: Counter[str] = field(default_factory=Counter)
    bad_timestamps: int = 0
    bad_lines: int = 0
    damaged: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return sum(self.unknown.values()) + sum(self.payload.values()) + self.bad_timestamps + self.bad_lines + len(self.damaged)

    def _example(self, where: str) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(where)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "records": self.records,
            "problems": self.problems,
            "unknown_events": dict(self.unknown.most_common()),
            "payload_problems": dict(self.payload.most_common()),
            "unusable_timestamps": self.bad_timestamps,
            "bad_lines": self.bad_lines,
            "damaged_files": self.damaged,
            "examples": self.examples,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
        }

    def text(self) -> str:
        out = [
            f"checked {self.files} file(s), {self.records:,} records: "
            + ("no problems" if not self.problems else f"{self.problems:,} problem(s)")
        ]
        for name, n in self.unknown.most_common():
            out.append(f"  unknown event name {for_terminal(repr(name))}: {n:,}")
        for problem, n in self.payload.most_common():
            out.append(f"  {for_terminal(problem)}: {n:,}")
        if self.bad_timestamps:
            out.append(f"  missing or unusable timestamp: {self.bad_timestamps:,}")
        if self.bad_lines:
            out.append(f"  bad lines (not a JSON object with an event name): {self.bad_lines:,}")
        for d in self.damaged:
            out.append(f"  damaged file: {for_terminal(d)}")
        if self.examples:
            out.append("first problems:")
            out += [f"  {for_terminal(e)}" for e in self.examples]
        return "\n".join(out) + "\n"


def check_paths(paths: list[str]) -> CheckReport:
    found = archive.discover(paths)
    if found.missing:
        raise UsageError(f"no such file or folder: {for_terminal(found.missing[0])}")
    if not found.files:
        raise NotFound(
            f"no archive file in {', '.join(for_terminal(archive.path_text(p)) for p in paths)}"
            + (
                f" ({len(found.skipped)} path(s) skipped, e.g. {for_terminal(found.skipped[0][0])}: {found.skipped[0][1]})"
                if found.skipped
                else ""
            )
        )
    report = CheckReport(files=len(found.files), skipped=list(found.skipped))
    for file in found.files:
        path = archive.path_text(file)
        try:
            with open(file, "rb") as fh:  # unreadable: skipped and reported, as coco load does
                fh.read(1)
        except OSError as e:
            report.skipped.append((path, f"cannot read ({e.strerror})"))
            report.files -= 1
            continue
        # One piece of the file in memory at a time (``archive.Scanner``); the examples keep the order they
        # always had: a file's bad lines first, then its records' problems.
        scanner = archive.Scanner(file)
        bad: list[str] = []
        problems: list[str] = []
        for lineno, reason, rec, us in scanner:
            where = f"{path}:{lineno}"
            if reason is not None:
                report.bad_lines += 1
                if len(bad) < EXAMPLES:
                    bad.append(f"{where}: {reason}")
                continue
            assert rec is not None
            report.records += 1
            for problem in registry.validate(rec):
                if problem.startswith("unknown event name"):
                    report.unknown[str(rec.get("event"))] += 1
                else:
                    report.payload[problem] += 1
                if len(problems) < EXAMPLES:
                    problems.append(f"{where}: {problem}")
            if us is None:
                report.bad_timestamps += 1
                if len(problems) < EXAMPLES:
                    problems.append(f"{where}: unusable timestamp {rec.get('timestamp')!r}")
        if scanner.damage:
            report.damaged.append(f"{path}: {scanner.damage}")
        for example in bad + problems:
            report._example(example)
    return report
