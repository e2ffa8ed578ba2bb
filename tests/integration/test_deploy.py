"""The deploy/ files: structural checks of the Vector pipeline and its unit tests, the Helm/Terraform values,
and the Redshift SQL kept in step with the code.

Vector itself is not installed here: these tests read the YAML and assert the facts the pipeline depends on.
The VRL programs and the unit tests are executed in real VRL runtimes by tests/deploy/test_vector_remap.py;
`vector validate` and `vector test` are the checks to run where Vector exists (README).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from cocoevents.warehouse import copyjob, ddl
from cocoevents.warehouse import plan as planning

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
VECTOR = DEPLOY / "vector" / "vector.yaml"
VECTOR_TESTS = sorted((DEPLOY / "vector" / "tests").glob("*.yaml"))
EXAMPLE_ROLE = "arn:aws:iam::123456789012:role/RedshiftS3Access"


@pytest.fixture(scope="module")
def pipeline() -> dict:
    return yaml.safe_load(VECTOR.read_text())


@pytest.fixture(scope="module")
def unit_tests() -> list[dict]:
    tests: list[dict] = []
    for path in VECTOR_TESTS:
        tests += yaml.safe_load(path.read_text())["tests"]
    return tests


def vrl(condition) -> str:
    return condition["source"] if isinstance(condition, dict) else condition


def sink(pipeline: dict) -> dict:
    (s,) = [s for s in pipeline["sinks"].values() if s["type"] == "aws_s3"]
    return s


# -- the Vector pipeline ------------------------------------------------------------------------------------------


def test_pipeline_runs_kubernetes_logs_through_remap_then_filter_into_s3(pipeline):
    assert pipeline["sources"]["kubernetes_logs"]["type"] == "kubernetes_logs"
    remap = pipeline["transforms"]["parse_app_json"]
    flt = pipeline["transforms"]["only_events"]
    assert (remap["type"], remap["inputs"]) == ("remap", ["kubernetes_logs"])
    assert (flt["type"], flt["inputs"]) == ("filter", ["parse_app_json"])
    assert sink(pipeline)["inputs"] == ["only_events"]


def test_remap_takes_the_line_out_then_parses_it_and_merges_only_when_it_is_an_object(pipeline):
    """Executed in real VRL runtimes by tests/deploy/test_vector_remap.py; this pins the shape of the fix."""
    source = pipeline["transforms"]["parse_app_json"]["source"]
    assert source.index("line = del(.message)") < source.index("parse_json(line)")
    assert re.search(r"if is_object\(parsed\) \{\n\s+\. = merge\(\., object!\(parsed\)\)", source)
    assert re.search(r"\} else if line != null \{\n(\s*#.*\n)*\s+\.message = line\n", source)
    assert source.count("del(.message)") == 1  # nothing deletes a message after the merge


def test_filter_keeps_only_records_with_an_event(pipeline):
    assert "exists(.event)" in vrl(pipeline["transforms"]["only_events"]["condition"])


def test_sink_writes_gzipped_newline_delimited_json_under_dt_prefixes(pipeline):
    s = sink(pipeline)
    assert s["encoding"]["codec"] == "json"
    assert s["framing"]["method"] == "newline_delimited"
    assert s["compression"] == "gzip"
    assert s["key_prefix"] == "dt=%Y-%m-%d/"
    assert pipeline["timezone"] == "UTC"


def test_sink_takes_bucket_and_region_from_the_environment_and_holds_no_credentials(pipeline):
    s = sink(pipeline)
    assert s["bucket"].startswith("${VECTOR_S3_BUCKET:?") and s["region"].startswith("${AWS_REGION:?")
    assert "auth" not in s and not re.search(r"(?i)secret|access_key", VECTOR.read_text())


def test_the_pipeline_has_no_template_braces_that_helm_would_evaluate():
    assert "{{" not in VECTOR.read_text()  # the chart may pass customConfig through tpl


def test_the_pipeline_file_carries_no_unit_tests_so_it_can_be_customconfig(pipeline):
    assert "tests" not in pipeline


# -- its unit tests, in Vector's format ---------------------------------------------------------------------------


def test_vector_unit_tests_reference_transforms_that_exist(pipeline, unit_tests):
    transforms = set(pipeline["transforms"])
    assert unit_tests
    for t in unit_tests:
        assert t["name"] and t["inputs"]
        for i in t["inputs"]:
            assert i["insert_at"] in transforms and i["type"] == "log" and "message" in i["log_fields"]
        for o in t.get("outputs", []):
            assert o["extract_from"] in transforms
            assert all(c["type"] == "vrl" and re.search(r"assert(_eq)?!\(", c["source"]) for c in o["conditions"])
        assert set(t.get("no_outputs_from", [])) <= transforms
        assert t.get("outputs") or t.get("no_outputs_from")


def test_vector_unit_tests_cover_a_kept_event_and_each_kind_of_dropped_line(unit_tests):
    kept = [t for t in unit_tests if any(o["extract_from"] == "only_events" for o in t.get("outputs", []))]
    dropped = {t["inputs"][0]["log_fields"]["message"] for t in unit_tests if "only_events" in t.get("no_outputs_from", [])}
    assert kept and any('"event":"delivery.failed"' in t["inputs"][0]["log_fields"]["message"] for t in kept)
    assert "GET /healthz 200 1ms" in dropped  # plain text
    assert any(m.startswith("{") and '"event"' not in m for m in dropped)  # JSON without event
    assert any(m.startswith("[") for m in dropped)  # JSON that is not an object


def test_vector_unit_test_messages_agree_with_the_archive_reader(unit_tests):
    """What Vector keeps, `coco` reads as an event; what it drops, `coco` would not count as one."""
    from cocoevents.archive.lines import classify

    for t in unit_tests:
        message = t["inputs"][0]["log_fields"]["message"]
        if any(o["extract_from"] == "only_events" for o in t.get("outputs", [])):
            assert isinstance(classify(message), dict), t["name"]
        if "only_events" in t.get("no_outputs_from", []):
            assert not isinstance(classify(message), dict), t["name"]


# -- Helm values and Terraform ------------------------------------------------------------------------------------

TEMPLATE_VARS = {"s3_bucket": "coco-event-logs-dev", "aws_region": "eu-west-1", "vector_role_arn": "arn:aws:iam::123456789012:role/vector"}


def test_helm_values_use_templatefile_syntax_for_exactly_the_variables_terraform_passes():
    text = (DEPLOY / "terraform" / "vector-values.yaml").read_text()
    tf = (DEPLOY / "terraform" / "vector.tf").read_text()
    assert "{{" not in text and "%{" not in text  # the seed's "{{ s3_bucket }}" is not templatefile syntax
    used = set(re.findall(r"\$\{([a-z0-9_]+)\}", text))
    assert used == set(TEMPLATE_VARS) and text.count("${") == sum(text.count(f"${{{v}}}") for v in used)
    passed = re.search(r'templatefile\("\$\{path.module\}/vector-values.yaml", \{(.*?)\}\)', tf, re.S).group(1)
    assert set(re.findall(r"^\s*([a-z0-9_]+)\s*=", passed, re.M)) == set(TEMPLATE_VARS)
    rendered = yaml.safe_load(re.sub(r"\$\{([a-z0-9_]+)\}", lambda m: TEMPLATE_VARS[m.group(1)], text))
    assert rendered["role"] == "Agent"
    assert {e["name"]: e["value"] for e in rendered["env"]} == {"VECTOR_S3_BUCKET": "coco-event-logs-dev", "AWS_REGION": "eu-west-1"}


def test_terraform_passes_the_tested_pipeline_file_unchanged_as_customconfig():
    tf = (DEPLOY / "terraform" / "vector.tf").read_text()
    assert 'pipeline = "${path.module}/../vector/vector.yaml"' in tf
    assert "yamlencode({ customConfig = yamldecode(file(local.pipeline)) })" in tf
    assert (DEPLOY / "terraform" / "../vector/vector.yaml").resolve() == VECTOR
    assert 's3_bucket       = "coco-event-logs-${var.environment}"' in tf


# -- Redshift SQL -------------------------------------------------------------------------------------------------


def example_transaction() -> str:
    """The SQL of one load of two example objects, as `coco warehouse load --dry-run` renders it."""
    config = copyjob.LoadConfig(bucket="coco-event-logs-prod", iam_role=EXAMPLE_ROLE)
    objects = [
        planning.S3Object("dt=2026-11-24/1764028800-0b7c.log.gz", 52311, date(2026, 11, 24)),
        planning.S3Object("dt=2026-11-25/1764057600-9f1e.log.gz", 48102, date(2026, 11, 25)),
        planning.S3Object("dt=2026-11-25/1764061200-4c2d.log.zst", 39877, date(2026, 11, 25), "zstd"),
    ]
    listing = planning.Listing(prefixes=["dt=2026-11-24/", "dt=2026-11-25/"], objects=objects)
    plan = planning.plan_load(config.bucket, listing, [])
    manifests = copyjob.manifest_urls(config, plan, "20261125T110000Z-1a2b3c4d")
    days = [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    statements = [
        copyjob.lock_statement(config.target),
        copyjob.loaded_keys_statement(config.target, config.bucket, days),
        *copyjob.load_statements(config, plan, manifests, datetime(2026, 11, 25, 11, 0)),
    ]
    return (
        "-- Generated from cocoevents.warehouse.copyjob: the transaction of one hourly load (example values:\n"
        "-- two gzip objects and one zstd object, so one manifest and one COPY per compression).\n"
        "-- The job runs these with bound parameters (%s); COPY takes no parameters, see deploy/README.md.\n"
        "BEGIN;\n" + "\n".join(copyjob.render_sql(s) for s in statements) + "\nCOMMIT;\n"
    )


def generated() -> dict[str, str]:
    t = ddl.Target()
    return {
        "001_raw_events.sql": "-- Generated from cocoevents.warehouse.ddl (`coco warehouse ddl` prints the same); "
        "tests/integration/test_deploy.py checks they agree.\n" + ddl.create_schema_sql(t) + "\n\n" + ddl.create_table_sql(t) + "\n",
        "002_load_log.sql": "-- Generated from cocoevents.warehouse.ddl; one row per S3 object loaded by the COPY job.\n"
        + ddl.create_load_log_sql(t)
        + "\n",
        "003_load_transaction.example.sql": example_transaction(),
        "004_event_bounds.sql": "-- Generated from cocoevents.warehouse.ddl: the id -> time-bounds table the COPY job keeps (per kind of\n"
        "-- id and id, the first and last event_ts of its rows), filled from every row already loaded. Run it once\n"
        "-- when deploying a job that keeps the table (it may run again: it rebuilds the table whole).\n"
        "BEGIN;\n" + "".join(sql + ";\n" for sql in ddl.rebuild_bounds_statements(t)) + "COMMIT;\n",
    }


@pytest.mark.parametrize("name", sorted(generated()))
def test_redshift_files_match_what_the_code_generates(name):
    assert (DEPLOY / "redshift" / name).read_text() == generated()[name], (
        f"deploy/redshift/{name} is stale: run `python -m tests.integration.test_deploy` to regenerate"
    )


def test_the_redshift_folder_holds_exactly_the_generated_files():
    assert sorted(p.name for p in (DEPLOY / "redshift").iterdir()) == sorted(generated())  # no stale JSONPaths file


def test_the_example_load_copies_each_compression_with_noshred_and_no_jsonpaths():
    sql = (DEPLOY / "redshift" / "003_load_transaction.example.sql").read_text()
    assert sql.count("FORMAT JSON 'noshred'\n") == 2 and "jsonpaths" not in sql.lower()
    assert "20261125T110000Z-1a2b3c4d.manifest'\nIAM_ROLE" in sql and ".zstd.manifest'\nIAM_ROLE" in sql
    assert sql.index("\nGZIP\nMAXERROR 0;") < sql.index("DELETE FROM coco_stage_raw_events;") < sql.index("\nZSTD\nMAXERROR 0;")


def test_redshift_ddl_has_no_key_on_a_super_path():
    sql = (DEPLOY / "redshift" / "001_raw_events.sql").read_text()
    assert not re.search(r"(DISTKEY|SORTKEY)\s*\([^)]*\.", sql) and "COMPOUND SORTKEY (event_ts)" in sql


def test_readme_states_what_is_and_is_not_verified():
    text = (DEPLOY / "README.md").read_text()
    assert "not run by Vector here" in text and "moto" in text and "PostgreSQL" in text
    for path in [VECTOR, *VECTOR_TESTS, *(DEPLOY / "terraform").iterdir(), *(DEPLOY / "redshift").iterdir()]:
        assert str(path.relative_to(DEPLOY)) in text, path


if __name__ == "__main__":  # regenerate deploy/redshift/
    for name, text in generated().items():
        (DEPLOY / "redshift" / name).write_text(text)
        print(f"wrote deploy/redshift/{name}")
