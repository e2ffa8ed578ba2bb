"""``coco check --registry FILE``: a producer's TypeScript or Go registry against coco's (the drift check)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cocoevents.producers import registry

HERE = Path(__file__).resolve().parent.parent
SEED = HERE / "registries" / "seed_registry.ts"
DRIFTED = HERE / "registries" / "seed_drifted.ts"


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_the_seeds_registry_is_equal_to_cocos_exit_0(coco):
    r = coco("check", "--registry", str(SEED))
    assert r.code == 0, r.out + r.err
    assert "equal to coco's registry (37 events)" in r.out


def test_the_seeds_undefined_offer_accepted_payload_is_a_note_on_stderr_not_a_difference(coco):
    r = coco("check", "--registry", str(SEED))
    assert "OfferAcceptedPayload" not in r.out
    assert "coco: note: EventPayloadMap maps 'offer.accepted' to 'OfferAcceptedPayload', which the file does not define" in r.err


def test_a_renamed_and_a_missing_event_are_both_named_and_exit_1(coco):
    r = coco("check", "--registry", str(DRIFTED))
    assert r.code == 1
    assert "2 difference(s)" in r.out
    assert "spelled differently: the file has 'robot.offduty', coco has 'robot.off_duty'" in r.out
    assert "missing in the file: 'attempt.rescued'" in r.out


def test_the_json_report_names_the_same_differences(coco):
    r = coco("check", "--registry", str(DRIFTED), "--json")
    doc = r.json()
    assert r.code == 1 and doc["differences"] == 2 and doc["language"] == "TypeScript"
    assert doc["spelled_differently"] == [{"file": "robot.offduty", "coco": "robot.off_duty"}]
    assert doc["missing_in_file"] == ["attempt.rescued"] and doc["not_in_coco"] == []


def test_a_name_coco_does_not_know_and_a_different_constant_key_are_differences(coco, tmp_path):
    text = SEED.read_text().replace(
        "  ATTEMPT_RESCUED: 'attempt.rescued',\n", "  ATTEMPT_RESCUED: 'attempt.rescued',\n  ROBOT_TELEPORTED: 'robot.teleported',\n"
    )
    text = text.replace("TRIP_ASSIGNED: 'trip.assigned'", "TRIP_ALLOCATED: 'trip.assigned'")
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 1
    assert "not in coco's registry: 'robot.teleported'" in r.out
    assert "constant for 'trip.assigned': the file has 'TRIP_ALLOCATED', coco has 'TRIP_ASSIGNED'" in r.out


def test_required_fields_that_differ_are_named_on_both_sides(coco, tmp_path):
    text = SEED.read_text().replace("  rejection_reason: string;\n", "")
    text = text.replace("  merchant_id: string;\n}", "  merchant_id: string;\n  zone_id: string;\n}", 1)
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 1
    assert "required fields of 'offer.rejected' differ: coco also requires 'rejection_reason'" in r.out
    assert "required fields of 'offer.received' differ: the file also requires 'zone_id'" in r.out


def test_an_event_dropped_from_the_payload_map_loses_its_required_fields(coco, tmp_path):
    text = SEED.read_text().replace("  'delivery.failed': DeliveryFailedPayload;\n", "")
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 1
    assert "required fields of 'delivery.failed' differ: coco also requires 'delivery_id', 'error'" in r.out


def test_a_different_source_union_is_a_difference(coco, tmp_path):
    text = SEED.read_text().replace("  source?: 'uber' | 'doordash' | 'wolt' | 'direct';", "  source?: 'uber' | 'doordash' | 'grubhub';")
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 1 and "source values differ: only in the file: 'grubhub'; only in coco: 'wolt', 'direct'" in r.out


def test_a_name_listed_twice_is_a_difference(coco, tmp_path):
    text = SEED.read_text().replace(
        "  TRIP_CANCELED: 'trip.canceled',", "  TRIP_CANCELED: 'trip.canceled',\n  TRIP_CANCELLED: 'trip.canceled',"
    )
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 1 and "listed twice in the file: 'trip.canceled'" in r.out


def test_computed_keys_and_comments_in_the_typescript_are_read(coco, tmp_path):
    text = SEED.read_text().replace(
        "'offer.received': OfferReceivedPayload;", "[Events.OFFER_RECEIVED]: OfferReceivedPayload; /* 'offer.fake': X; */"
    )
    text = text.replace("  QUOTE_PROVIDED: 'quote.provided',", "  QUOTE_PROVIDED: 'quote.provided', // 'quote.x'")
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 0, r.out


# --- Go ------------------------------------------------------------------------------------------------------

HAND_WRITTEN_GO = """package events

// Hand-written, as the seed's Go services do today.
const (
	OfferReceived = "offer.received"
	LogLevel      = "info"
)

const RobotGrounded = "robot.grounded"
"""


def test_a_go_file_of_plain_constants_is_compared_by_name(coco, tmp_path):
    r = coco("check", "--registry", write(tmp_path, "events.go", HAND_WRITTEN_GO))
    assert r.code == 1
    assert r.out.startswith("Go registry") and "35 difference(s)" in r.out
    assert "missing in the file: 'offer.accepted'" in r.out and "'info'" not in r.out
    assert "no payload structs: required fields were not compared" in r.err


def test_a_drifted_generated_go_registry_names_the_misspelled_missing_and_required_differences(coco, tmp_path):
    go = coco("events", "--emit", "go").out
    go = go.replace('"demand.etas_updated"', '"demand.eta_updated"')
    go = re.sub(r'\n\tAttemptRescued +EventType = "attempt.rescued"', "", go)
    go = go.replace('`json:"rejection_reason"`', '`json:"rejection_reason,omitempty"`')
    r = coco("check", "--registry", write(tmp_path, "events.go", go))
    assert r.code == 1, r.out
    assert "spelled differently: the file has 'demand.eta_updated', coco has 'demand.etas_updated'" in r.out
    assert "missing in the file: 'attempt.rescued'" in r.out
    assert "required fields of 'offer.rejected' differ: coco also requires 'rejection_reason'" in r.out
    assert "3 difference(s)" in r.out


# --- What is not a registry (exit 2) and untrusted text ------------------------------------------------------


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("notes.ts", "export const Other = { A: 'a.b' };\n", "no `Events` object"),
        ("empty.ts", "export const Events = {} as const;\n", "is empty"),
        ("computed.ts", "export const Events = { A: prefix + '.x' };\n", "is not a string literal"),
        ("open.ts", "export const Events = { A: 'a.b',\n", "unbalanced braces"),
        ("consts.go", "package events\n\nconst Answer = 42\n", "no event name constants"),
        ("binary.ts", b"\xff\xfe\x00Events", "not UTF-8"),
    ],
)
def test_a_file_that_is_not_a_registry_is_exit_2_with_the_reason(coco, tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    r = coco("check", "--registry", str(p))
    assert r.code == 2 and r.out == ""
    assert "cannot be read as a registry" in r.err or "not UTF-8" in r.err
    assert message in r.err


def test_a_missing_file_or_a_folder_is_exit_2(coco, tmp_path):
    for path in (tmp_path / "nope.ts", tmp_path):
        r = coco("check", "--registry", str(path))
        assert r.code == 2 and r.err.startswith("coco: error: ")


def test_registry_and_archive_paths_together_or_neither_are_usage_errors(coco, tmp_path):
    assert coco("check", "--registry", str(SEED), str(tmp_path)).code == 2
    r = coco("check")
    assert r.code == 2 and "--registry" in r.err


HOSTILE = "robot.\x1b[31mred\x1b]0;owned\x07\u202eexe.off_duty"


def test_untrusted_names_and_fields_reach_the_terminal_escaped(coco, tmp_path):
    text = SEED.read_text().replace("'robot.off_duty'", "'" + HOSTILE + "'")
    text = text.replace("  rejection_reason: string;", "  rejection_reason: string;\n  '\x1b[2Jwipe': string;")
    text = text.replace("'delivery.failed': DeliveryFailedPayload;", "'delivery.failed': Evil\u202eType;")
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 1
    for stream in (r.out, r.err):
        assert "\x1b" not in stream and "\x07" not in stream and "\u202e" not in stream
    assert "\\x1b[31mred" in r.out and "\\u202e" in r.out and "\\x1b[2Jwipe" in r.out
    assert "Evil\\u202eType" in r.err


def test_an_untrusted_entry_in_a_file_that_is_not_a_registry_is_escaped_too(coco, tmp_path):
    r = coco("check", "--registry", write(tmp_path, "r.ts", "export const Events = { A: \x1b[31m };\n"))
    assert r.code == 2 and "\x1b" not in r.err and "\\x1b" in r.err


def test_coco_checks_its_registry_names_against_the_seed_in_registry_order():
    from cocoevents.producers.drift import read_registry

    assert list(read_registry(SEED).names) == [e.name for e in registry.EVENTS]


LIGHT = """
import sys
from cocoevents.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"pandas", "redshift_connector", "boto3", "duckdb",
                                                            "jsonschema"})
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("args", [["check", "--registry", str(SEED)], ["events", "--emit", "markdown"], ["events", "--emit", "go"]])
def test_the_drift_check_and_the_emitters_import_no_heavy_library(args):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", LIGHT, *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "HEAVY="


def test_a_huge_file_is_not_read_as_a_registry(coco, tmp_path):
    p = tmp_path / "big.ts"
    p.write_text(SEED.read_text() + "// " + "x" * (1024 * 1024) + "\n")
    r = coco("check", "--registry", str(p))
    assert r.code == 2 and "larger than 1 MiB" in r.err


def test_an_escape_in_a_typescript_name_is_read_as_javascript_reads_it(coco, tmp_path):
    """``'trip.assig\\ned'`` is "trip.assig", a newline, "ed" to the producer's code: not coco's ``trip.assigned``."""
    text = SEED.read_text().replace("TRIP_ASSIGNED: 'trip.assigned'", "TRIP_ASSIGNED: 'trip.assig\\ned'")
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 1, r.out + r.err
    assert "spelled differently: the file has 'trip.assig\\ned', coco has 'trip.assigned'" in r.out


def test_escapes_that_spell_a_name_exactly_are_equal_to_it(coco, tmp_path):
    spellings = {
        "TRIP_ASSIGNED: 'trip.assigned'": "TRIP_ASSIGNED: 'trip.assig\\x6eed'",
        "ROBOT_PARKED: 'robot.parked'": 'ROBOT_PARKED: "robot.\\u0070arked"',
        "ATTEMPT_RESCUED: 'attempt.rescued'": "ATTEMPT_RESCUED: 'attempt.\\u{72}es\\\ncued'",  # and a line continuation
    }
    text = SEED.read_text()
    for plain, escaped in spellings.items():
        assert plain in text
        text = text.replace(plain, escaped)
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 0, r.out + r.err
    assert "equal to coco's registry (37 events)" in r.out


@pytest.mark.parametrize("literal", ["'trip.\\141ssigned'", "'trip.assigne\\8'", "'trip.assigned\\x6'", "'trip.\\u{110000}'", "'a\\08'"])
def test_an_escape_javascript_refuses_in_a_module_makes_the_file_unreadable(coco, tmp_path, literal):
    text = SEED.read_text().replace("TRIP_ASSIGNED: 'trip.assigned'", f"TRIP_ASSIGNED: {literal}")
    r = coco("check", "--registry", write(tmp_path, "r.ts", text))
    assert r.code == 2 and r.out == "", r.out + r.err
    assert "cannot be read as a registry: a string literal" in r.err and r.err.count("\n") == 1


LITERALS = [
    r"'trip.assig\ned'",
    r"'a\x41\u0042\u{43}\u{1F600}\uD83D\uDE00\uD800'",
    r"'tab\tcr\rvt\vff\fbs\bnul\0end'",
    r"'\q\'\"\\\/'",
    "'line\\\ncontinued\\\r\nand\\\rmore\\\u2028end'",
    r'"double \"quoted\""',
    r"'\141'",
    r"'\8'",
    r"'\08'",
    r"'\x4'",
    r"'\u12'",
    r"'\u{110000}'",
    r"'\u{0000000041}'",
    "'raw\u2028separator'",
    "'\x1b]0;title\x07'",
]


def test_the_string_reader_decodes_as_node_does_in_strict_code():
    """Every literal through node (indirect eval of strict code) and through the reader: the same value, or both
    refuse it."""
    import json
    import shutil
    import subprocess

    from cocoevents.producers.drift import NotARegistry, _unquote

    if shutil.which("node") is None:
        pytest.skip("no node to compare with (.ci/run installs nodejs)")
    script = (
        "const out = []; for (const lit of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {"
        " try { out.push((0, eval)('\"use strict\"; ' + lit)); } catch (e) { out.push(null); } }"
        " process.stdout.write(JSON.stringify(out));"
    )
    r = subprocess.run(["node", "-e", script], input=json.dumps(LITERALS), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    expected = json.loads(r.stdout)

    def ours(literal: str) -> str | None:
        try:
            return _unquote(literal[1:-1])
        except NotARegistry:
            return None

    assert [ours(lit) for lit in LITERALS] == expected
    assert expected[0] == "trip.assig\ned" and expected.count(None) == 6
