"""deploy/vector/vector.yaml's VRL, executed: its Vector unit tests and the remap's contract, in two real VRL runtimes.

Each test runs once in ``pyvrl`` and once in ``vrl-python`` (see ``vrl.py`` for how a pipeline step is run and what
of Vector is not reproduced). What the remap lets through is then read by coco's own archive reader, so the two ends
of the shipper agree.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocoevents.archive.lines import classify
from cocoevents.timestamps import parse_timestamp

from . import vrl

REMAP, FILTER = "parse_app_json", "only_events"


@pytest.fixture(scope="module", params=sorted(vrl.RUNTIMES))
def rt(request) -> vrl.Runtime:
    return vrl.runtime(request.param)


@pytest.fixture(scope="module")
def pipeline() -> vrl.Pipeline:
    return vrl.Pipeline()


def shipped(rt, pipeline, line: str, **shipper_fields) -> dict | None:
    """What the pipeline sends to S3 for one container log line (``None``: dropped)."""
    return pipeline.output(rt, {"message": line, **shipper_fields}, REMAP, FILTER)


def remapped(rt, pipeline, line: str, **shipper_fields) -> dict:
    """The event leaving the remap, before the filter."""
    out = pipeline.output(rt, {"message": line, **shipper_fields}, REMAP, REMAP)
    assert out is not None
    return out


# -- the unit tests of deploy/vector/tests/, as `vector test` would run them -----------------------------------------


@pytest.mark.parametrize("name", [t["name"] for t in vrl.vector_tests()])
def test_each_vector_unit_test_passes_in_a_real_vrl_runtime(rt, pipeline, name):
    (test,) = [t for t in vrl.vector_tests() if t["name"] == name]
    vrl.run_vector_test(rt, pipeline, test)


def test_the_unit_test_runner_fails_a_unit_test_whose_assertion_does_not_hold(rt, pipeline):
    test = {
        "name": "wrong",
        "inputs": [{"insert_at": REMAP, "type": "log", "log_fields": {"message": '{"event":"robot.parked"}'}}],
        "outputs": [{"extract_from": FILTER, "conditions": [{"type": "vrl", "source": 'assert_eq!(.event, "x")'}]}],
    }
    with pytest.raises(AssertionError, match="condition failed"):
        vrl.run_vector_test(rt, pipeline, test)


def test_the_unit_test_runner_fails_a_unit_test_that_expects_a_kept_event_to_be_dropped(rt, pipeline):
    test = {
        "name": "kept",
        "inputs": [{"insert_at": REMAP, "type": "log", "log_fields": {"message": '{"event":"robot.parked"}'}}],
        "no_outputs_from": [FILTER],
    }
    with pytest.raises(AssertionError, match="had an output"):
        vrl.run_vector_test(rt, pipeline, test)


# -- the remap's contract ---------------------------------------------------------------------------------------------


def test_an_application_line_with_its_own_message_keeps_that_message(rt, pipeline):
    app = {
        "event": "delivery.failed",
        "message": "Delivery failed at dropoff",
        "timestamp": "2026-11-25T10:00:00.250Z",
        "delivery_id": "D-101",
        "error": {"code": "LID_STUCK", "message": "Lid stuck"},
    }
    out = shipped(rt, pipeline, json.dumps(app), stream="stdout")
    assert out == {**app, "stream": "stdout"}


def test_an_application_line_without_a_message_gets_none_from_the_shipper(rt, pipeline):
    out = shipped(rt, pipeline, '{"event":"robot.parked","robot_id":"R-9"}', stream="stdout")
    assert out == {"event": "robot.parked", "robot_id": "R-9", "stream": "stdout"}


@pytest.mark.parametrize("line", ["GET /healthz 200 1ms", "[1, 2]", "42", '"text"', "null", '{"event":"x",', ""])
def test_a_line_that_is_not_a_json_object_leaves_the_remap_as_it_was_read_and_is_dropped(rt, pipeline, line):
    assert remapped(rt, pipeline, line, stream="stderr") == {"message": line, "stream": "stderr"}
    assert shipped(rt, pipeline, line, stream="stderr") is None


def test_a_line_with_event_at_the_top_level_is_kept_with_the_apps_fields_over_the_shippers(rt, pipeline):
    kubernetes = {
        "pod_name": "dispatch-7c9",
        "pod_labels": {"app": "dispatch"},
        "pod_annotations": {"a": "b"},
        "node_labels": {"zone": "a"},
        "namespace_labels": {"team": "x"},
    }
    app = {
        "event": "robot.state_changed",
        "timestamp": "2026-11-25T10:00:00Z",
        "robot_id": "R-99",
        "from_state": "idle",
        "to_state": "delivering",
        "stream": "app's own",
    }
    out = shipped(rt, pipeline, json.dumps(app), stream="stdout", kubernetes=kubernetes, source_type="kubernetes_logs")
    assert out == {**app, "kubernetes": {"pod_name": "dispatch-7c9"}, "source_type": "kubernetes_logs"}


@pytest.mark.parametrize(
    "line",
    [
        '{"level":"info","msg":"connected"}',
        '{"event":42}',
        '{"event":null}',
        '{"Event":"robot.parked"}',
        '{"data":{"event":"robot.parked"}}',
    ],
)
def test_a_line_without_a_string_event_at_the_top_level_is_dropped_by_the_filter(rt, pipeline, line):
    assert shipped(rt, pipeline, line) is None
    assert remapped(rt, pipeline, line) == json.loads(line)  # the remap itself kept it whole


@pytest.mark.parametrize(
    "stamp",
    [
        1764057600,
        1764057600250,
        1764057600.25,
        1764057600.000250,
        1764057600250.5,
        253402300800,
        0,
        -86400,
        99999999999,
        100000000000,
        253402300799,
        253402300799999,
        -62135596800,
    ],
)
def test_an_epoch_timestamp_becomes_the_instant_coco_reads_from_the_number(rt, pipeline, stamp):
    out = shipped(rt, pipeline, json.dumps({"event": "robot.parked", "timestamp": stamp}))
    assert isinstance(out["timestamp"], str) and out["timestamp"].endswith("Z"), out
    assert parse_timestamp(out["timestamp"]) == parse_timestamp(stamp) is not None


@pytest.mark.parametrize("stamp", [253402300800000, 1e15, -62135596801, 1e300, -1e300, 99999999999999999])
def test_an_epoch_number_coco_cannot_read_is_kept_as_the_app_wrote_it(rt, pipeline, stamp):
    out = shipped(rt, pipeline, json.dumps({"event": "robot.parked", "timestamp": stamp}))
    assert out["timestamp"] == stamp and parse_timestamp(stamp) is None


@pytest.mark.parametrize(
    "stamp,utc",
    [
        ("2026-11-25T01:30:00+02:00", "2026-11-24T23:30:00Z"),
        ("2026-11-25T10:00:00.123456Z", "2026-11-25T10:00:00.123456Z"),
        ("2026-11-25 10:00:00Z", "2026-11-25T10:00:00Z"),
    ],
)
def test_an_iso_timestamp_becomes_the_same_instant_in_utc(rt, pipeline, stamp, utc):
    out = shipped(rt, pipeline, json.dumps({"event": "robot.parked", "timestamp": stamp}))
    assert out["timestamp"] == utc and parse_timestamp(utc) == parse_timestamp(stamp)


@pytest.mark.parametrize("stamp", ["yesterday", "2026-11-25T10:00:00", "", True, None, {"s": 1}])
def test_a_timestamp_the_remap_cannot_read_is_kept_as_written(rt, pipeline, stamp):
    out = shipped(rt, pipeline, json.dumps({"event": "robot.parked", "timestamp": stamp}))
    assert out["timestamp"] == stamp


# -- what the shipper writes, coco reads --------------------------------------------------------------------------

_names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _names
_app_records = st.fixed_dictionaries(
    {"event": st.sampled_from(["delivery.failed", "robot.parked", "offer.received"]), "message": _names},
    optional={
        "delivery_id": _names,
        "robot_id": _names,
        "level": st.sampled_from(["info", "error"]),
        "error": st.fixed_dictionaries({"code": _names, "message": _names}),
        "extra": st.dictionaries(_names.filter(lambda k: k not in ("event", "message", "timestamp")), _scalars, max_size=3),
    },
)


@settings(max_examples=40)
@given(record=_app_records)
def test_any_application_record_reaches_the_archive_whole_and_reads_back_in_coco_as_the_same_record(record):
    pipeline = vrl.Pipeline()
    for name in sorted(vrl.RUNTIMES):
        out = shipped(vrl.runtime(name), pipeline, json.dumps(record))
        assert out == record, name
        assert classify(json.dumps(out)) == record, name
