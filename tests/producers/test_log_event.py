"""The Python producer ``cocoevents.log_event``."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest

import cocoevents
from cocoevents.producers.logger import EventValidationError
from cocoevents.timestamps import parse_timestamp


def logged(*args, **kwargs) -> tuple[dict, str]:
    out = io.StringIO()
    cocoevents.log_event(*args, stream=out, **kwargs)
    text = out.getvalue()
    return json.loads(text), text


def test_one_call_writes_exactly_one_json_line():
    rec, text = logged("robot.parked", robot_id="R-1")
    assert text.endswith("\n") and text.count("\n") == 1
    assert rec["event"] == "robot.parked" and rec["robot_id"] == "R-1"


def test_the_timestamp_is_now_in_utc_iso_8601_unless_given():
    rec, _ = logged("robot.parked")
    assert rec["timestamp"].endswith("Z")
    when = parse_timestamp(rec["timestamp"]) / 1e6
    assert abs(datetime.now(timezone.utc).timestamp() - when) < timedelta(minutes=1).total_seconds()
    assert logged("robot.parked", timestamp="2026-11-25T10:00:00Z")[0]["timestamp"] == "2026-11-25T10:00:00Z"


def test_error_events_log_at_level_error_and_others_at_info():
    assert logged("robot.grounded")[0]["level"] == "error"
    assert logged("attempt.failed")[0]["level"] == "error"
    assert logged("delivery.failed", delivery_id="D1", error={"code": "X", "message": "m"})[0]["level"] == "error"
    assert logged("robot.parked")[0]["level"] == "info"


def test_an_unknown_name_raises():
    with pytest.raises(EventValidationError, match="unknown event name"):
        cocoevents.log_event("robot.teleported", stream=io.StringIO())


def test_a_missing_required_field_raises_and_writes_nothing():
    out = io.StringIO()
    with pytest.raises(EventValidationError, match="missing required field 'source'"):
        cocoevents.log_event("offer.accepted", stream=out, offer_id="O-1")
    assert out.getvalue() == ""


def test_strict_false_writes_anyway_with_a_warning_on_stderr(capsys):
    out = io.StringIO()
    cocoevents.log_event("robot.teleported", stream=out, strict=False)
    assert json.loads(out.getvalue())["event"] == "robot.teleported"
    assert "warning" in capsys.readouterr().err


def test_stdout_is_the_default_stream(capsys):
    cocoevents.log_event("robot.parked")
    assert json.loads(capsys.readouterr().out)["event"] == "robot.parked"


def test_what_the_producer_writes_is_read_back_by_the_archive_reader():
    from cocoevents.archive import lines as archive

    _, text = logged("offer.received", offer_id="O-1", source="uber", merchant_id="M-1", note="ünïcode")
    assert archive.classify(text.encode()) == json.loads(text)
