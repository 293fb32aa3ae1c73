"""`secbaseline plan`: every tier in every format, the JSON contract, determinism, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from secbaseline.baseline.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "baseline" / "plan-schema.json").read_text())
TIER_ROLES = [
    ("beginner", "standalone"),
    ("intermediate", "standalone"),
    ("advanced", "management"),
    ("advanced", "security"),
    ("advanced", "member"),
]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("tier", "role"), TIER_ROLES)
def test_json_plan_matches_the_contract(
    capsys: pytest.CaptureFixture[str], tier: str, role: str
) -> None:
    code, out, _ = run_cli(capsys, "plan", "--tier", tier, "--role", role, "--format", "json")
    assert code == 0
    plan = json.loads(out)
    jsonschema.validate(plan, SCHEMA)
    assert plan["settings"]["tier"] == tier
    assert plan["settings"]["role"] == role
    types = {r["type"] for r in plan["resources"]}
    assert "secbaseline:index:AccountHardening" in types
    urns = {r["urn"] for r in plan["resources"]}
    for r in plan["resources"]:
        assert r["parent"] is None or r["parent"] in urns


@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize(("tier", "role"), TIER_ROLES)
def test_human_formats(capsys: pytest.CaptureFixture[str], tier: str, role: str, fmt: str) -> None:
    code, out, _ = run_cli(capsys, "plan", "--tier", tier, "--role", role, "--format", fmt)
    assert code == 0
    assert f"tier {tier}, role {role}" in out
    assert "AccountHardening" in out
    assert "Offline plan: nothing was deployed." in out
    if fmt == "markdown":
        assert "| service" in out


@pytest.mark.fresh_plans
def test_plans_are_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    _, first, _ = run_cli(capsys, "plan", "--tier", "intermediate", "--format", "json")
    _, second, _ = run_cli(capsys, "plan", "--tier", "intermediate", "--format", "json")
    assert first == second


def test_flags_override_the_stack_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(
        "config:\n  aws:region: eu-west-1\n  secbaseline:tier: intermediate\n"
        "  secbaseline:accountId: '123456789012'\n"
        "  secbaseline:notificationEmails: [sec@example.com]\n"
        "  secbaseline:detectionRegions: [eu-west-1]\n"
    )
    code, out, _ = run_cli(
        capsys,
        "plan",
        "--config",
        str(stack),
        "--regions",
        "eu-west-1,us-east-1",
        "--format",
        "json",
    )
    assert code == 0
    plan = json.loads(out)
    assert plan["stack"] == "prod"
    assert plan["settings"]["tier"] == "intermediate"
    assert plan["settings"]["homeRegion"] == "eu-west-1"
    assert plan["settings"]["detectionRegions"] == ["eu-west-1", "us-east-1"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--tier", "expert"],
            "secbaseline: error: tier: 'expert' is not one of beginner, intermediate, advanced\n",
        ),
        (
            ["--regions", "ap-northeast-1,mars-1"],
            "secbaseline: error: detectionRegions: unknown AWS region 'mars-1'",
        ),
        (
            ["--tier", "advanced", "--role", "standalone"],
            "secbaseline: error: role: the advanced tier needs an organization role",
        ),
        (
            ["--config", "missing.yaml"],
            "secbaseline: error: --config: missing.yaml is not a file\n",
        ),
        (["--home-region", "xx-1"], "secbaseline: error: homeRegion: unknown AWS region 'xx-1'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, "plan", *argv)
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_yaml_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config: [unclosed\n")
    code, _, err = run_cli(capsys, "plan", "--config", str(bad))
    assert code == 2
    assert "is not valid YAML" in err


def test_console_script_runs_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "baseline", "plan", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["schemaVersion"] == 2


def test_stack_file_values_are_read_as_pulumi_hands_them_over(tmp_path: Path) -> None:
    from secbaseline.baseline.plan import read_stack_file

    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(
        "config:\n"
        "  secbaseline:accountId: 123456789012\n"
        "  secbaseline:controlTower: true\n"
        "  secbaseline:edge:\n"
        "    enabled: true\n"
        "    originVerifySecret:\n"
        "      secure: v1:abc\n"
        "  aws:region: eu-west-1\n"
    )
    read = read_stack_file(stack)
    assert read.project_config["accountId"] == "123456789012"  # a number in YAML, text to Pulumi
    assert read.project_config["controlTower"] is True
    assert read.project_config["edge"] == {"enabled": True, "originVerifySecret": "[secret]"}
    assert read.other_config == {"aws:region": "eu-west-1"}


def test_a_secret_set_with_path_plans_offline_without_leaking(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`pulumi config set --path --secret secbaseline:edge.originVerifySecret ...` plans offline."""
    stack = tmp_path / "Pulumi.edge.yaml"
    stack.write_text(
        "config:\n"
        "  aws:region: ap-northeast-1\n"
        "  secbaseline:accountId: '123456789012'\n"
        "  secbaseline:detectionRegions: [ap-northeast-1]\n"
        "  secbaseline:edge:\n"
        "    enabled: true\n"
        "    originDomainName: app.example.com\n"
        "    certificateArn: arn:aws:acm:us-east-1:111111111111:certificate/abc\n"
        "    originVerifySecret:\n"
        "      secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=\n"
    )
    code, out, err = run_cli(capsys, "plan", "--config", str(stack), "--format", "json")
    assert code == 0, err
    assert "c2VjcmV0LWNpcGhlcnRleHQ" not in out
    plan = json.loads(out)
    assert plan["settings"]["sections"]["edge"]["originVerifySecret"] == "[secret]"
    assert any(r["type"] == "aws:cloudfront/distribution:Distribution" for r in plan["resources"])
