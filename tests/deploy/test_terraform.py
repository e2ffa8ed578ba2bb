"""deploy/terraform/archive: the archive bucket, the hourly job, the IAM policies and the alarms.

Checked here with real Terraform where it can run without the network: `terraform fmt`, templatefile() rendering
every policy template (a configuration with no provider: nothing to download), and `terraform validate` against
the AWS provider when a local provider mirror exists (COCO_TF_PLUGIN_DIR, default /opt/tf-plugins; skipped with
the reason otherwise). The policies themselves are checked for exactly the access each role needs. checkov and
parliament run in .ci/run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
TF = ROOT / "deploy" / "terraform"
ARCHIVE = TF / "archive"
POLICIES = ARCHIVE / "policies"


def _lint_module():
    spec = importlib.util.spec_from_file_location("policy_lint", ARCHIVE / "policy-lint" / "lint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lint = _lint_module()


def terraform() -> str:
    found = os.environ.get("COCO_TERRAFORM") or shutil.which("terraform")
    if not found:
        pytest.skip("no terraform binary (set COCO_TERRAFORM or put terraform on PATH)")
    return found


def run_tf(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if not Path(env.get("TF_CLI_CONFIG_FILE", "/dev/null")).exists():
        env["TF_CLI_CONFIG_FILE"] = "/dev/null"  # a missing CLI config file only adds a warning
    return subprocess.run([terraform(), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)


def hcl(name: str) -> str:
    return (ARCHIVE / name).read_text()


# -- Terraform itself -------------------------------------------------------------------------------------------


def test_every_terraform_file_is_formatted_as_terraform_fmt_writes_it():
    r = run_tf("fmt", "-check", "-recursive", "-diff", "-no-color", str(TF), cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture(scope="module")
def terraform_rendered(tmp_path_factory) -> dict[str, dict]:
    """Every policy template rendered by Terraform's own templatefile(), with the linter's example values."""
    work = tmp_path_factory.mktemp("tf-render")
    (work / "main.tf").write_text(
        'variable "values" {\n  type = map(string)\n}\n\n'
        'output "policies" {\n'
        f'  value = {{ for f in fileset("{POLICIES}", "*.json") : f => templatefile("{POLICIES}/${{f}}", var.values) }}\n'
        "}\n"
    )
    (work / "values.auto.tfvars.json").write_text(json.dumps({"values": lint.example_values()}))
    for step in (["init", "-input=false", "-no-color"], ["apply", "-input=false", "-auto-approve", "-no-color"]):
        r = run_tf(*step, cwd=work)
        assert r.returncode == 0, r.stdout + r.stderr
    r = run_tf("output", "-json", "policies", cwd=work)
    assert r.returncode == 0, r.stderr
    return {name: json.loads(text) for name, text in json.loads(r.stdout).items()}


def test_terraform_renders_every_policy_template_to_the_document_parliament_lints(terraform_rendered):
    ours = {name: json.loads(text) for name, text in lint.rendered().items()}
    assert terraform_rendered == ours and len(ours) == 8


@pytest.mark.slow
def test_the_archive_module_validates_against_the_real_aws_provider(tmp_path):
    mirror = Path(os.environ.get("COCO_TF_PLUGIN_DIR", "/opt/tf-plugins"))
    if not (mirror / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(
            f"no local mirror of the hashicorp/aws provider at {mirror} (set COCO_TF_PLUGIN_DIR); the provider cannot be downloaded here"
        )
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")  # .terraform/ and the lock file stay out of the tree
    work = tmp_path / "deploy" / "terraform" / "archive"
    r = run_tf("init", "-input=false", "-backend=false", "-no-color", f"-plugin-dir={mirror}", cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_tf("validate", "-json", "-no-color", cwd=work)
    result = json.loads(r.stdout)
    assert result["valid"] and result["warning_count"] == 0, r.stdout


# -- the module's wiring ----------------------------------------------------------------------------------------


def test_every_policy_template_is_read_by_the_module_and_every_one_it_reads_exists():
    names = set(re.findall(r'"([a-z-]+)"', re.search(r"for name in \[(.*?)\]", hcl("main.tf"), re.S).group(1)))
    names |= set(re.findall(r"policies/([a-z-]+)\.json", hcl("kms.tf")))
    assert {p.stem for p in POLICIES.glob("*.json")} == names


def test_the_linters_example_values_name_exactly_what_the_module_passes_to_its_templates():
    block = re.search(r"policy_vars = \{(.*?)\n  \}", hcl("main.tf"), re.S).group(1)
    passed = set(re.findall(r"^\s*([a-z_]+)\s*=", block, re.M))
    assert passed == set(lint.example_values())
    used = set()
    for p in POLICIES.glob("*.json"):
        used |= set(lint.REFERENCE.findall(p.read_text()))
    assert used <= passed


def test_every_variable_is_documented_and_the_lifecycle_defaults_are_the_designs():
    text = hcl("variables.tf")
    blocks = re.findall(r'variable "([a-z_0-9]+)" \{(.*?)\n\}', text, re.S)
    assert len(blocks) == text.count('variable "') > 20
    for name, body in blocks:
        assert re.search(r'description\s*=\s*"[^"]{20,}"', body), name
    defaults = {name: re.search(r"default\s*=\s*(\S+)", body) for name, body in blocks}
    assert defaults["transition_to_ia_days"].group(1) == "90" and defaults["expire_after_days"].group(1) == "730"
    bucket = hcl("bucket.tf")
    assert "days          = var.transition_to_ia_days" in bucket and 'storage_class = "STANDARD_IA"' in bucket
    assert "days = var.expire_after_days" in bucket


def test_the_job_runs_the_packaged_handler_hourly_with_iam_auth_and_the_copy_role():
    lam, schedule = hcl("lambda.tf"), hcl("schedule.tf")
    assert 'handler                        = "cocoevents.warehouse.copyjob.handler"' in lam
    assert 'default     = "cron(5 * * * ? *)"' in hcl("variables.tf")
    assert "schedule_expression = var.schedule_expression" in schedule
    assert "arn   = aws_lambda_function.copy_job.arn" in schedule
    assert 'principal     = "events.amazonaws.com"' in schedule and "source_arn" in schedule
    env = dict(re.findall(r"^\s+(COCO_[A-Z_]+)\s+=\s+(.+)$", lam, re.M))
    assert env["COCO_REDSHIFT_IAM"] == '"1"' and "COCO_REDSHIFT_PASSWORD" not in env
    assert env["COCO_WAREHOUSE_IAM_ROLE"] == "aws_iam_role.redshift_copy.arn"
    # what the job reads: copyjob.config_from (COCO_WAREHOUSE_*) and connect.profile_from_env (COCO_REDSHIFT_*)
    from cocoevents.warehouse import copyjob

    assert {k.removeprefix("COCO_WAREHOUSE_").lower() for k in env if k.startswith("COCO_WAREHOUSE_")} <= set(copyjob._FIELDS)
    assert {"COCO_REDSHIFT_HOST", "COCO_REDSHIFT_PORT", "COCO_REDSHIFT_CLUSTER", "COCO_REDSHIFT_DB_USER"} <= set(env)


def test_alarms_cover_failed_runs_missing_runs_failed_invocations_and_the_bucket_size():
    alarms = hcl("alarms.tf")
    metrics = set(re.findall(r'metric_name\s+=\s+"([A-Za-z]+)"', alarms))
    assert {"Errors", "Invocations", "FailedInvocations", "BucketSizeBytes"} <= metrics
    assert alarms.count("alarm_actions       = local.alarm_actions") == 5


# -- least privilege, on the rendered documents -----------------------------------------------------------------


def grants(doc: dict) -> set[tuple[str, str, str]]:
    """(action, resource, condition as JSON) of each Allow."""
    out = set()
    for st in doc["Statement"]:
        assert st["Effect"] in ("Allow", "Deny")
        if st["Effect"] != "Allow":
            continue
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        for a in actions:
            for r in resources:
                out.add((a, r, json.dumps(st.get("Condition", {}), sort_keys=True)))
    return out


@pytest.fixture(scope="module")
def docs() -> dict[str, dict]:
    return {name.removesuffix(".json"): json.loads(text) for name, text in lint.rendered().items()}


B = "arn:aws:s3:::coco-event-logs-prod"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VIA_S3 = json.dumps({"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}, sort_keys=True)


def test_vector_may_only_put_objects_under_dt_and_see_the_bucket(docs):
    assert grants(docs["vector-write"]) == {
        ("s3:PutObject", f"{B}/dt=*", "{}"),
        ("s3:ListBucket", B, "{}"),  # the sink's healthcheck is a HeadBucket
        ("kms:GenerateDataKey", KEY, VIA_S3),
    }


def test_the_job_lists_only_dt_prefixes_writes_only_manifests_and_reads_no_object(docs):
    g = grants(docs["copy-job"])
    s3 = {x for x in g if x[0].startswith("s3:")}
    assert s3 == {
        ("s3:ListBucket", B, json.dumps({"StringLike": {"s3:prefix": "dt=*"}}, sort_keys=True)),
        ("s3:PutObject", f"{B}/_coco/manifests/*", "{}"),
    }
    assert {x for x in g if x[0].startswith("kms:")} == {("kms:GenerateDataKey", KEY, VIA_S3)}
    assert {x[1] for x in g if x[0] == "redshift:GetClusterCredentials"} == {
        "arn:aws:redshift:eu-west-1:123456789012:dbuser:analytics/coco_loader",
        "arn:aws:redshift:eu-west-1:123456789012:dbname:analytics/dev",
    }
    assert {x[0] for x in g if x[1] == "*"} == {"ec2:DescribeNetworkInterfaces"}  # no resource-level permission


def test_the_job_may_write_where_the_copy_job_puts_its_manifests():
    from cocoevents.warehouse import copyjob

    assert copyjob.DEFAULT_MANIFEST_PREFIX == lint.example_values()["manifest_prefix"]
    assert 'manifest_prefix = "_coco/manifests/"' in hcl("main.tf")


def test_redshift_may_only_read_the_events_and_the_manifests(docs):
    g = grants(docs["redshift-copy"])
    assert {x[:2] for x in g if x[0] == "s3:GetObject"} == {("s3:GetObject", f"{B}/dt=*"), ("s3:GetObject", f"{B}/_coco/manifests/*")}
    assert {x[0] for x in g} == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}
    assert ("kms:Decrypt", KEY, VIA_S3) in g


def test_no_allow_anywhere_uses_a_wildcard_action_except_the_key_policys_administrators(docs):
    for name, doc in docs.items():
        for action, _, _ in grants(doc):
            if name == "archive-key":
                continue
            assert "*" not in action, (name, action)


def test_each_role_can_be_assumed_only_by_its_own_principal(docs):
    (vec,) = docs["vector-trust"]["Statement"]
    assert vec["Action"] == "sts:AssumeRoleWithWebIdentity"
    host = lint.example_values()["oidc_provider_host"]
    assert vec["Condition"]["StringEquals"] == {f"{host}:sub": "system:serviceaccount:vector:vector", f"{host}:aud": "sts.amazonaws.com"}
    assert 'namespace        = "vector"' in (TF / "vector.tf").read_text()  # the Helm release's namespace
    for name, service in (("copy-job-trust", "lambda.amazonaws.com"), ("redshift-copy-trust", "redshift.amazonaws.com")):
        (st,) = docs[name]["Statement"]
        assert st["Principal"] == {"Service": service} and st["Action"] == "sts:AssumeRole"
        assert st["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_the_bucket_refuses_every_request_that_is_not_over_tls(docs):
    (st,) = docs["bucket"]["Statement"]
    assert (st["Effect"], st["Principal"], st["Action"]) == ("Deny", "*", "s3:*")
    assert st["Resource"] == [B, f"{B}/*"] and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# -- the policy linter's own contract ---------------------------------------------------------------------------


def test_the_renderer_refuses_what_templatefile_would_render_differently():
    with pytest.raises(ValueError, match="no value for nope"):
        lint.render('{"a": "${nope}"}', {})
    with pytest.raises(ValueError, match="only plain"):
        lint.render('{"a": "%{ if true }x%{ endif }"}', {})
    with pytest.raises(ValueError, match="only plain"):
        lint.render('{"a": "${upper(x)}"}', {"x": "1"})


def test_every_accepted_parliament_finding_has_a_reason():
    rules = yaml.safe_load((ARCHIVE / "policy-lint" / "ignores.yaml").read_text())
    assert rules and all(len(r["reason"]) > 40 and (POLICIES / r["file"]).is_file() for r in rules)
