"""The loggers `coco events --emit ts` and `--emit go` generate, run for real.

A TypeScript program compiled by the real `tsc --strict` and run by the real `node`, and a Go program run by the
real `go run` (plus a `go test` package next to the generated code), log every registry event, the demo
deliveries and a set of invalid payloads (tests/producers/loggers/). Their lines go through `coco check` and
`coco load` (no bad line), each line's level is the Python rule's, invalid payloads are rejected exactly where and
with the message the Python `log_event` rejects them, and the timelines of the deliveries they logged equal those of
the same deliveries logged by Python.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from cocoevents.devtools.generator import scenarios
from cocoevents.producers import registry
from cocoevents.producers.codegen import emit
from cocoevents.producers.logger import EventValidationError, level_for, log_event

from ..support import compilers

pytestmark = pytest.mark.slow

PROGRAMS = Path(__file__).resolve().parent / "loggers"
VALUES = {"string": "X-1", "source": "wolt", "error": {"code": "E_TEST", "message": "test failure"}}
MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
Case = tuple[str, dict[str, Any]]


def every_event() -> list[Case]:
    """Each registry event with its required fields, then each with a non-null error; and odd values."""
    cases: list[Case] = []
    for with_error in (False, True):
        for i, e in enumerate(registry.EVENTS):
            payload: dict[str, Any] = {"timestamp": f"2026-11-24T10:{i:02d}:{int(with_error):02d}.000Z", "robot_id": f"R-{i}"}
            payload |= {f: VALUES[registry.FIELD_TYPES[f]] for f in e.required}
            if with_error:
                payload["error"] = {"code": f"E_{i}", "message": "it's broken"}
            cases.append((e.name, payload))
    odd = {
        "robot_id": "R-1",
        "note": '<a & b> ünïcode "quoted" \u0007 \\',
        "message": "the app's own",
        "count": 3,
        "nested": [1, {"a": None}],
    }
    cases.append(("robot.parked", {"timestamp": "2026-11-24T11:00:00.000Z", **odd}))
    return cases


def scenario_events() -> list[Case]:
    """The demo deliveries (three, with their robots and pilots), without the level: the loggers set it."""
    return [(r["event"], {k: v for k, v in r.items() if k not in ("event", "level")}) for r in scenarios()]


CLOCK: list[Case] = [("trip.started", {"delivery_id": "D-9"}), ("attempt.failed", {"delivery_id": "D-9", "timestamp": ""})]

INVALID: list[Case] = [
    ("robot.teleported", {"robot_id": "R-1"}),
    ("offer.accepted", {"offer_id": "O-1"}),
    ("offer.rejected", {"offer_id": "O-1", "source": "uber"}),
    ("offer.received", {"offer_id": "O-1", "source": "grubhub", "merchant_id": "M-1"}),
    ("offer.received", {"offer_id": "O-1", "source": "", "merchant_id": ""}),
    ("offer.received", {"offer_id": "O-1", "source": "it's \u00a0\n😀", "merchant_id": "M-1"}),
    ("offer.accepted", {"offer_id": "O-1", "source": 1.5}),
    ("delivery.failed", {"delivery_id": "D-1"}),
    ("delivery.failed", {"delivery_id": "D-1", "error": {"code": "LID_STUCK"}}),
    ("delivery.failed", {"delivery_id": "D-1", "error": "lid stuck"}),
    ("delivery.failed", {"delivery_id": "", "error": {"code": "X", "message": "y"}}),
    ("robot.parked", {"robot_id": 42}),
    ("robot.parked", {"delivery_id": ["D-1"], "pilot_id": {"id": "P"}, "offer_id": True}),
    ("robot.parked", {"event": "robot.flew"}),  # a payload's own event replaces the name, in Python too
    # valid ones among them: the loggers must not reject too much
    ("robot.parked", {"robot_id": None}),
    ("offer.expired", {"source": None, "merchant_id": ""}),
    ("delivery.failed", {"delivery_id": "D-1", "error": {"code": "X", "message": "y", "extra": 1}}),
]

LENIENT: list[Case] = [
    ("robot.flew", {"robot_id": "R-1"}),
    ("robot.flew.failed", {}),
    ("offer.rejected", {"offer_id": "O-1", "source": "grubhub"}),
]


def python_verdict(name: str, payload: dict[str, Any]) -> str:
    try:
        log_event(name, stream=io.StringIO(), **payload)
    except EventValidationError as e:
        return "REJECTED " + str(e)
    return "ACCEPTED"


def python_lines(cases: list[Case], **kw: Any) -> list[str]:
    out = io.StringIO()
    for name, payload in cases:
        log_event(name, stream=out, **kw, **payload)
    return out.getvalue().splitlines()


def cases_json() -> str:
    return json.dumps(
        {"every": every_event(), "scenario": scenario_events(), "clock": CLOCK, "invalid": INVALID, "lenient": LENIENT},
        ensure_ascii=False,
    )


def levels_json() -> str:
    """For every registry name and a few others, with and without an error: the level Python's logger gives."""
    names = [e.name for e in registry.EVENTS] + ["robot.flew", "x.failed", "robot.grounded.later", "failed"]
    return json.dumps(
        [
            {"event": n, "with_error": with_error, "level": level_for(n, {"error": {"code": "E"}} if with_error else {})}
            for n in names
            for with_error in (False, True)
        ]
    )


@pytest.fixture(scope="module")
def ts_run(tmp_path_factory) -> tuple[str, str]:
    tsc = compilers.tsc()
    work = tmp_path_factory.mktemp("ts-logger")
    (work / "registry.ts").write_text(emit("ts"))
    shutil.copy(PROGRAMS / "main.ts", work / "main.ts")
    (work / "cases.ts").write_text(
        "export const CASES: { [group: string]: [string, { [key: string]: unknown }][] } = " + cases_json() + ";\n"
    )
    args = ["--strict", "--target", "es2017", "--module", "commonjs", "--outDir", "out", "--pretty", "false"]
    r = subprocess.run([tsc, *args, "main.ts"], cwd=work, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["node", "out/main.js"], cwd=work, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stderr


def _go_env(tmp_path_factory) -> dict[str, str]:
    cache = tmp_path_factory.getbasetemp() / "gocache"
    return {
        **os.environ,
        "GOCACHE": str(cache),
        "GOPATH": str(cache / "gopath"),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }


@pytest.fixture(scope="module")
def go_module(tmp_path_factory) -> Path:
    """A module with the generated package (and its Go tests) and the producer program."""
    work = tmp_path_factory.mktemp("go-logger")
    (work / "events" / "testdata").mkdir(parents=True)
    (work / "events" / "events.go").write_text(emit("go"))
    shutil.copy(PROGRAMS / "logger_test.go", work / "events" / "logger_test.go")
    (work / "events" / "testdata" / "levels.json").write_text(levels_json())
    shutil.copy(PROGRAMS / "main.go", work / "main.go")
    (work / "go.mod").write_text("module example.com/producer\n\ngo 1.18\n")
    (work / "cases.json").write_text(cases_json())
    return work


@pytest.fixture(scope="module")
def go_run(go_module, tmp_path_factory) -> tuple[str, str]:
    go, env = compilers.go(), _go_env(tmp_path_factory)
    vet = subprocess.run([go, "vet", "./..."], cwd=go_module, env=env, capture_output=True, text=True, timeout=600)
    assert vet.returncode == 0, vet.stdout + vet.stderr
    r = subprocess.run([go, "run", ".", "cases.json"], cwd=go_module, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stderr


@pytest.fixture(params=["ts", "go"])
def run(request) -> tuple[str, str, str]:
    out, err = request.getfixturevalue(f"{request.param}_run")
    return request.param, out, err


def tagged(err: str, tag: str) -> list[str]:
    return [line[len(tag) + 1 :] for line in err.splitlines() if line.startswith(tag + " ")]


# --- what they write ------------------------------------------------------------------------------------------------


def test_every_line_is_the_event_its_payload_and_the_level_the_registry_gives_it(run):
    kind, out, _ = run
    lines = out.splitlines()
    expected = every_event() + scenario_events() + CLOCK
    assert len(lines) == len(expected)
    for line, (name, payload) in zip(lines, expected):
        rec = json.loads(line)
        assert list(rec)[:3] == ["event", "timestamp", "level"], (kind, line)
        want_level = "error" if registry.severity(name, payload) == "error" else "info"
        assert rec["event"] == name and rec["level"] == want_level == level_for(name, payload), (kind, line)
        assert {k: v for k, v in rec.items() if k not in ("event", "timestamp", "level")} == {
            k: v for k, v in payload.items() if k != "timestamp"
        }, (kind, line)
    assert sum(json.loads(x)["level"] == "error" for x in lines) > len(registry.EVENTS) + 6


def test_the_typescript_lines_are_byte_for_byte_the_python_loggers(ts_run):
    out, _ = ts_run
    cases = every_event() + scenario_events()
    assert out.splitlines()[: len(cases)] == python_lines(cases)


def test_the_go_lines_are_the_python_loggers_with_the_payload_fields_sorted(go_run):
    out, _ = go_run
    cases = every_event() + scenario_events()
    for ours, theirs in zip(python_lines(cases), out.splitlines()):
        ours_rec = json.loads(ours)
        head = {k: ours_rec.pop(k) for k in ("event", "timestamp", "level")}
        assert theirs == json.dumps({**head, **dict(sorted(ours_rec.items()))}, ensure_ascii=False, separators=(",", ":"))


def test_timestamps_are_the_clock_in_utc_with_milliseconds_unless_the_payload_gives_one(run):
    kind, out, err = run
    before = datetime.now(timezone.utc)
    clocked = [json.loads(x) for x in out.splitlines()[-len(CLOCK) :]]
    for rec in clocked:
        assert MS_UTC.match(rec["timestamp"]), (kind, rec)
        logged = datetime.strptime(rec["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        assert abs((before - logged).total_seconds()) < 600, (kind, rec)
    lenient = [json.loads(x) for x in tagged(err, "LINE")]
    assert {r["timestamp"] for r in lenient} == {"2026-11-25T10:00:00.007Z"}  # a fixed clock, in UTC


def test_invalid_payloads_are_rejected_where_and_as_python_rejects_them_and_nothing_is_written(run):
    kind, _, err = run
    verdicts = [line for line in err.splitlines() if line.startswith(("ACCEPTED", "REJECTED"))]
    want = [python_verdict(name, payload) for name, payload in INVALID]
    assert [v.split(" ", 1)[0] for v in verdicts] == [w.split(" ", 1)[0] for w in want] == ["REJECTED"] * 14 + ["ACCEPTED"] * 3
    assert [v for v in verdicts if v.startswith("REJECTED")] == [w for w in want if w.startswith("REJECTED")], kind
    assert tagged(err, "WRITTEN") == ["3"]


def test_a_lenient_logger_writes_an_invalid_payload_with_pythons_warning(run, capsys):
    kind, _, err = run
    python = python_lines(LENIENT, strict=False, timestamp="2026-11-25T10:00:00.007Z")
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("cocoevents: warning")]
    assert len(warnings) == len(LENIENT)
    assert tagged(err, "WARN") == warnings, kind
    assert [json.loads(x) for x in tagged(err, "LINE")] == [json.loads(x) for x in python], kind
    assert [json.loads(x)["level"] for x in python] == ["info", "error", "info"]


def test_the_default_logger_can_be_replaced(run):
    kind, _, err = run
    (line,) = tagged(err, "CONFIGURED")
    level, text = line.split(" ", 1)
    assert level == "error" and json.loads(text)["event"] == "robot.grounded" and json.loads(text)["robot_id"] == "R-7", kind


def test_the_generated_go_package_passes_its_go_tests(go_module, tmp_path_factory):
    go = compilers.go()
    r = subprocess.run(
        [go, "test", "-count=1", "-v", "./events"],
        cwd=go_module,
        env=_go_env(tmp_path_factory),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr
    for name in ("TestEveryRegistryEventLogsOneLineAtThePythonLevel", "TestConcurrentEventsAreWholeLines"):
        assert f"--- PASS: {name}" in r.stdout


# --- what coco makes of it ------------------------------------------------------------------------------------------


def test_coco_check_and_coco_load_read_every_line_with_no_bad_line(run, coco, tmp_path):
    kind, out, _ = run
    archive = tmp_path / f"{kind}.log"
    archive.write_text(out)
    r = coco("check", str(archive), "--json")
    assert (r.code, r.err) == (0, ""), r.out
    report = r.json()
    assert (report["records"], report["problems"], report["bad_lines"]) == (len(out.splitlines()), 0, 0)
    r = coco("load", str(archive), "--store", str(tmp_path / "s.duckdb"), "--json")
    assert r.code == 0, r.err
    assert (r.json()["events"], r.json()["bad_lines"]) == (len(out.splitlines()), 0)
    r = coco(
        "errors",
        "--by",
        "event",
        "--since",
        "2026-11-24T00:00Z",
        "--until",
        "2026-11-25T00:00Z",
        "-f",
        "json",
        "--store",
        str(tmp_path / "s.duckdb"),
    )
    assert r.code == 0, r.err
    # the day of every_event(): each error name twice (alone and with an error), every other name once (with one)
    assert {g["event"]: g["count"] for g in r.json()["groups"]} == {e.name: (2 if e.is_error else 1) for e in registry.EVENTS}, kind


def test_a_delivery_logged_by_it_has_the_timeline_of_the_same_delivery_logged_by_python(run, coco, tmp_path):
    kind, out, _ = run
    n_every = len(every_event())
    theirs = tmp_path / f"{kind}.log"
    theirs.write_text("\n".join(out.splitlines()[n_every : n_every + len(scenario_events())]) + "\n")
    ours = tmp_path / "python.log"
    ours.write_text("\n".join(python_lines(scenario_events())) + "\n")
    for name, path in (("theirs", theirs), ("ours", ours)):
        assert coco("load", str(path), "--store", str(tmp_path / f"{name}.duckdb")).code == 0
    ids = sorted({p["delivery_id"] for _, p in scenario_events() if "delivery_id" in p})
    assert len(ids) == 3
    for delivery in ids:
        a = coco("timeline", delivery, "-f", "json", "--store", str(tmp_path / "theirs.duckdb"))
        b = coco("timeline", delivery, "-f", "json", "--store", str(tmp_path / "ours.duckdb"))
        assert a.code == b.code == 0 and json.loads(a.out) == json.loads(b.out), (kind, delivery)
        if kind == "ts":  # Go writes the payload's fields sorted, which the timeline's payloads show
            assert a.out == b.out
        rows = json.loads(a.out)["events"]
        assert len(rows) >= 10 and any(row["severity"] == "error" for row in rows), (kind, delivery)


# --- the examples of docs/producers.md, as written ------------------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "producers.md"


def doc_blocks() -> list[tuple[str, str]]:
    """The page's titled code blocks, in order: (title, text)."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r'^```\w+ title="([^"]+)"\n(.*?)^```$', DOC.read_text(), re.M | re.S)]


def matches_documented(out: str, documented: str) -> bool:
    """The program's stdout is the documented one, ``<now>`` standing for a timestamp of the clock."""
    pattern = "\n".join(re.escape(line).replace("<now>", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z") for line in documented.splitlines())
    return re.fullmatch(pattern + "\n", out) is not None


def test_the_typescript_example_of_the_producers_page_runs_as_documented(coco, tmp_path):
    blocks = doc_blocks()
    (_, app), (_, stdout) = blocks[0], blocks[1]
    assert blocks[0][0] == "app.ts" and blocks[1][0] == "stdout"
    (tmp_path / "app.ts").write_text(app)
    assert coco("events", "--emit", "ts", "-o", str(tmp_path / "registry.ts")).code == 0
    r = subprocess.run(
        [compilers.tsc(), "--strict", "--target", "es2017", "--module", "commonjs", "registry.ts", "app.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["node", "app.js"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, "not logged: offer.rejected: missing required field 'rejection_reason'\n")
    assert matches_documented(r.stdout, stdout), r.stdout


def test_the_go_example_of_the_producers_page_runs_as_documented(coco, tmp_path, tmp_path_factory):
    blocks = doc_blocks()
    (_, program), (_, stdout) = blocks[2], blocks[3]
    assert blocks[2][0] == "main.go" and blocks[3][0] == "stdout"
    go, env = compilers.go(), _go_env(tmp_path_factory)
    (tmp_path / "events").mkdir()
    (tmp_path / "main.go").write_text(program)
    assert coco("events", "--emit", "go", "-o", str(tmp_path / "events" / "events.go")).code == 0
    r = subprocess.run([go, "mod", "init", "example.com/app"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([go, "run", "."], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert (r.returncode, r.stderr) == (0, "not logged: offer.rejected: missing required field 'rejection_reason'\n")
    assert matches_documented(r.stdout, stdout), r.stdout
