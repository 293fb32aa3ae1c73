"""``secbaseline --version`` and ``secbaseline plan --program`` (a user's own program)."""

import json
from pathlib import Path

import pytest

from secbaseline import __version__
from secbaseline.baseline.cli import main

PROGRAM = """
import pulumi_aws as aws
from components import bucket_name

from secbaseline.components import SecureBucket, SecureBucketArgs

key = aws.kms.Key("key", enable_key_rotation=True)
SecureBucket("data", SecureBucketArgs(kms_key_arn=key.arn, bucket_name=bucket_name()))
"""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"secbaseline {__version__}"


def test_plan_program_runs_a_users_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "components").mkdir()  # the project's own package, beside ours
    (tmp_path / "components" / "__init__.py").write_text(
        "def bucket_name() -> str:\n    return 'shop-data-0001'\n"
    )
    (tmp_path / "__main__.py").write_text(PROGRAM)
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    assert main(["plan", "--program", str(tmp_path), "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["project"] == "shop"
    bucket = next(r for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket")
    assert bucket["inputs"]["bucket"] == "shop-data-0001"
    key_arn = [
        r["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        for r in plan["resources"]
        if r["urn"].endswith("::data-encryption")
    ]
    assert key_arn and key_arn[0].startswith("arn:aws:kms:")


def test_plan_program_that_does_not_exist(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--program", "/nonexistent/__main__.py"]) == 2
    assert "does not exist" in capsys.readouterr().err


def _project(tmp_path: Path, project_yaml: str) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "__main__.py").write_text(
        "import pulumi\nimport pulumi_aws as aws\n\n"
        "aws.s3.Bucket('b', bucket=pulumi.Config().require('bucket'))\n"
    )
    (tmp_path / "Pulumi.yaml").write_text(project_yaml)
    return tmp_path


def test_plan_program_honours_main_and_the_project_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _project(
        tmp_path,
        "name: shop\nruntime: python\nmain: src/\n"
        "config:\n  bucket:\n    type: string\n    default: shop-logs-0001\n",
    )
    assert main(["plan", "--program", str(folder), "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    buckets = [r for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket"]
    assert [b["inputs"]["bucket"] for b in buckets] == ["shop-logs-0001"]


def test_plan_program_applies_the_clis_required_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _project(
        tmp_path, "name: shop\nruntime: python\nmain: src/\nconfig:\n  bucket:\n    type: string\n"
    )
    stack = folder / "Pulumi.dev.yaml"
    stack.write_text("config:\n  aws:region: eu-west-1\n")
    # The program file itself, one folder down: Pulumi.yaml is found above it.
    code = main(["plan", "--program", str(folder / "src" / "__main__.py"), "--config", str(stack)])
    assert code == 2
    assert "Stack 'dev' is missing configuration value 'bucket'" in capsys.readouterr().err
