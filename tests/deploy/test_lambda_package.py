"""deploy/lambda/build: the COPY job's deployment package, built for real (pip and the package index) and run.

The handler is imported from the unzipped package by a separate Python interpreter that sees nothing else (``-S``:
no site-packages, so not this virtualenv), and runs a dry run against moto's S3 server - what the Lambda runtime
would do with the zip, short of Redshift (a dry run never connects).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BUILD = ROOT / "deploy" / "lambda" / "build"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lambda") / "coco-copy-job.zip"
    env = {**os.environ, "PIP": f"{sys.executable} -m pip", "COCO_LAMBDA_PYTHON": f"{sys.version_info.major}.{sys.version_info.minor}"}
    r = subprocess.run([str(BUILD), str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


@pytest.fixture(scope="module")
def unzipped(package, tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(package) as z:
        z.extractall(where)
    return where


def test_the_package_holds_the_handler_and_the_driver_and_none_of_the_cli_dependencies(package, unzipped):
    top = {p.name for p in unzipped.iterdir()}
    assert {"cocoevents", "redshift_connector", "boto3", "botocore"} <= top
    assert not top & {"duckdb", "pandas", "typer", "rich", "numpy"}
    assert (unzipped / "cocoevents" / "warehouse" / "copyjob.py").is_file()
    assert package.stat().st_size < 50 * 2**20  # Lambda's limit for a zip uploaded directly
    assert sum(p.stat().st_size for p in unzipped.rglob("*") if p.is_file()) < 250 * 2**20  # unzipped limit


def test_building_twice_gives_the_same_bytes_so_terraform_sees_no_change(package, tmp_path):
    again = tmp_path / "again.zip"
    env = {**os.environ, "PIP": f"{sys.executable} -m pip", "COCO_LAMBDA_PYTHON": f"{sys.version_info.major}.{sys.version_info.minor}"}
    r = subprocess.run([str(BUILD), str(again)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert again.read_bytes() == package.read_bytes()


def test_the_packaged_handler_runs_a_dry_run_against_s3_with_only_the_package_on_its_path(unzipped, moto_endpoint):
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket="coco-event-logs-test")
    from datetime import datetime, timezone

    today = datetime.now(timezone.utc).date().isoformat()
    line = json.dumps({"event": "robot.parked", "timestamp": f"{today}T10:00:00Z", "robot_id": "R-1"})
    s3.put_object(Bucket="coco-event-logs-test", Key=f"dt={today}/1-abc.log.gz", Body=gzip.compress(line.encode()))
    program = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(unzipped)!r})\n"
        "import boto3, redshift_connector\n"
        "import cocoevents.warehouse.connect\n"
        "from cocoevents.warehouse.copyjob import handler\n"
        "print(json.dumps(handler({'dry_run': True}), default=str))\n"
        "print(json.dumps(sorted(m for m in ('duckdb', 'pandas', 'typer', 'rich') if m in sys.modules)))\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ENDPOINT_URL_S3": moto_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "COCO_WAREHOUSE_BUCKET": "coco-event-logs-test",
        "COCO_WAREHOUSE_DAYS": "1",
        "COCO_WAREHOUSE_IAM_ROLE": "arn:aws:iam::123456789012:role/coco-event-archive-redshift-copy-test",
    }
    r = subprocess.run([sys.executable, "-S", "-c", program], capture_output=True, text=True, env=env, timeout=120, cwd=unzipped)
    assert r.returncode == 0, r.stderr
    summary, heavy = (json.loads(x) for x in r.stdout.strip().splitlines()[-2:])
    assert heavy == []
    assert summary["dry_run"] is True and summary["bucket"] == "coco-event-logs-test"
    assert (summary["files_listed"], summary["files_candidate"]) == (1, 1)
    assert any("FORMAT JSON 'noshred'" in s for s in summary["sql"])
