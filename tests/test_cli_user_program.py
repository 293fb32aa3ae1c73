"""``plan``/``check --program`` for a user's own project: flags, mocks file, log, stdout, exit codes.

Exit codes (docs/operations.md): 0 ok, 1 mandatory violations, 2 usage or config error,
3 program error.
"""

import json
from pathlib import Path

import pytest

from secbaseline.baseline.check import enforcement_levels
from secbaseline.baseline.cli import main

NOISY_PROGRAM = """
import pulumi
import pulumi_aws as aws

print("hello from the program")
pulumi.log.info("building the app bucket")
pulumi.log.warn("no tags given")
aws.s3.Bucket("app")
"""

LOOKUP_PROGRAM = """
import pulumi
import pulumi_aws as aws

network = pulumi.StackReference("acme/network/prod")
vpc = aws.ec2.get_vpc(default=True)
aws.ec2.SecurityGroup("app", vpc_id=network.get_output("vpcId"), description=vpc.cidr_block)
"""

MOCKS = """
invokes:
  aws:ec2/getVpc:getVpc:
    id: vpc-0fromthemocks
    cidrBlock: 10.42.0.0/16
stackReferences:
  acme/network/prod:
    vpcId: vpc-0fromthestack
"""


def _program(tmp_path: Path, code: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: app\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(code)
    return tmp_path


def test_program_output_and_log_go_to_stderr_json_stays_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(tmp_path, NOISY_PROGRAM)
    assert main(["plan", "--program", str(program), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    plan = json.loads(out)  # nothing but the plan on stdout
    assert any(r["type"] == "aws:s3/bucket:Bucket" for r in plan["resources"])
    assert "hello from the program" in err
    assert "info: building the app bucket" in err
    assert "warning: no tags given" in err


def test_check_counts_resources_and_takes_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(tmp_path, NOISY_PROGRAM)
    code = main(["check", "--program", str(program), "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == 1  # a bare bucket breaks mandatory policies
    assert out.startswith("### secbaseline check")
    assert "| level" in out and "`Bucket::app`" in out
    assert "1 resources checked:" in out


def test_check_fails_on_a_program_with_no_resources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(tmp_path, "import pulumi\n")
    assert main(["check", "--program", str(program)]) == 3
    assert "created no resources" in capsys.readouterr().err


def test_mocks_file_answers_invokes_and_stack_references(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(tmp_path, LOOKUP_PROGRAM)
    mocks = tmp_path / "mocks.yaml"
    mocks.write_text(MOCKS)
    assert main(["plan", "--program", str(program), "--mocks", str(mocks), "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    group = next(r for r in plan["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup")
    assert group["inputs"]["vpcId"] == "vpc-0fromthestack"
    assert group["inputs"]["description"] == "10.42.0.0/16"


@pytest.mark.parametrize(
    ("mocks", "named"),
    [
        ("stackReferences:\n  acme/network/prod:\n    vpcId: vpc-1\n", "aws:ec2/getVpc:getVpc"),
        (
            "invokes:\n  aws:ec2/getVpc:getVpc:\n    id: vpc-1\n    cidrBlock: 10.0.0.0/16\n",
            "StackReference 'acme/network/prod'",
        ),
    ],
)
def test_unanswered_lookups_are_named_with_how_to_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mocks: str, named: str
) -> None:
    program = _program(tmp_path, LOOKUP_PROGRAM)
    (tmp_path / "mocks.yaml").write_text(mocks)
    code = main(["plan", "--program", str(program), "--mocks", str(tmp_path / "mocks.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert named in err and "--mocks file" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("invokes: [1, 2]\n", "invokes: expected a mapping"),
        ("invoke: {}\n", "unknown key 'invoke'; allowed: invokes, stackReferences"),
        ("- a\n", "expected a mapping with invokes"),
        ("invokes: {a: [\n", "is not valid YAML (line"),
    ],
)
def test_bad_mocks_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    program = _program(tmp_path, NOISY_PROGRAM)
    (tmp_path / "mocks.yaml").write_text(content)
    assert main(["plan", "--program", str(program), "--mocks", str(tmp_path / "mocks.yaml")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--tier", "advanced"], "--tier: does not apply with --program"),
        (["plan", "--role", "security"], "--role: does not apply with --program"),
        (["check", "--home-region", "us-east-1"], "--home-region: does not apply"),
        (["check", "--tier", "expert"], "--tier: must be one of beginner, intermediate, advanced"),
        (["check", "--regions", "mars-1"], "--regions: unknown AWS region 'mars-1'"),
        (["plan", "--mocks", "nowhere.yaml"], "--mocks: nowhere.yaml does not exist"),
    ],
)
def test_flags_that_do_not_apply_or_are_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    program = _program(tmp_path, NOISY_PROGRAM)
    command, *flags = argv
    assert main([command, "--program", str(program), *flags]) == 2
    assert message in capsys.readouterr().err


def test_mocks_without_program_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--mocks", "m.yaml"]) == 2
    assert "--mocks: applies only with --program" in capsys.readouterr().err


def test_enforcement_all_then_named_override_in_any_order() -> None:
    levels = enforcement_levels(["s3-versioning=mandatory", "all=advisory"])
    assert levels["s3-versioning"] == "mandatory"
    assert {level for name, level in levels.items() if name != "s3-versioning"} == {"advisory"}
    with pytest.raises(ValueError, match="level must be one of"):
        enforcement_levels(["all=off"])


def test_a_bad_output_fails_with_one_line_naming_the_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(
        tmp_path,
        "import pulumi_aws as aws\n"
        "from secbaseline.components import SecureBucket, SecureBucketArgs\n"
        "topic = aws.sns.Topic('t')\n"
        "SecureBucket('b', SecureBucketArgs(kms_key_arn=topic.arn))\n",
    )
    assert main(["plan", "--program", str(program)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("secbaseline: error: kms_key_arn: 'arn:aws:sns:")
    assert err.count("\n") == 1
    assert "Output object" not in err and "never retrieved" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--config", "Pulumi.yaml"], "is a project file (Pulumi.yaml)"),
        (["check", "--enforcement", "nope=advisory"], "--enforcement: unknown policy 'nope'"),
        (["check", "--program", "docs"], "--program: docs has no __main__.py"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
