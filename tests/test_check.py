"""`secbaseline check` and `plan --coverage`: tiers pass the pack, the insecure sample fails with
every weakness named, output formats, enforcement overrides and errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from secbaseline.baseline import catalog
from secbaseline.baseline.cli import main

ROOT = Path(__file__).resolve().parent.parent
INSECURE = ROOT / "tests" / "fixtures" / "insecure_program"
INSECURE_ARGS = (
    "--program",
    str(INSECURE),
    "--tier",
    "intermediate",
    "--regions",
    "ap-northeast-1",
)
TIER_ROLES = [
    ("beginner", "standalone"),
    ("intermediate", "standalone"),
    ("advanced", "management"),
    ("advanced", "security"),
    ("advanced", "member"),
]
# Stack policies that hold detection to every region (tier intermediate and up).
DETECTION_POLICIES = {
    "guardduty-all-regions",
    "securityhub-all-regions",
    "config-all-regions",
}

# (policy, resource logical name or None for the stack) planted in tests/fixtures/insecure_program.
PLANTED = {
    ("s3-block-public-access", "public-bucket-pab"),
    ("s3-no-public-acl", "public-bucket-acl"),
    ("s3-encryption", "public-bucket-sse"),
    ("s3-versioning", "public-bucket-versioning"),
    ("s3-tls-only", "public-bucket-policy"),
    ("s3-bucket-configuration-complete", "bare-bucket"),
    ("ec2-imdsv2-required", "web"),
    ("ec2-imdsv2-required", "workers"),
    ("ec2-no-public-ip", "web"),
    ("ec2-no-public-ip", "workers"),
    ("security-group-no-public-admin-ports", "admin"),
    ("security-group-no-public-admin-ports", "admin-rdp"),
    ("security-group-no-public-admin-ports", "admin-all"),
    ("ebs-encrypted", "data"),
    ("ebs-encrypted", "web"),
    ("rds-storage-encrypted", "db"),
    ("rds-not-public", "db"),
    ("rds-backup-retention", "db"),
    ("rds-iam-auth", "db"),
    ("rds-deletion-protection", "db"),
    ("rds-parameter-group-tls", "db-params"),
    ("lambda-function-url-auth", "open-url"),
    ("lambda-permission-restricted", "anyone-invokes"),
    ("cloudfront-tls", "cdn"),
    ("cloudfront-waf", "cdn"),
    ("apigateway-access-logging", "api-stage"),
    ("kms-key-rotation", "key"),
    ("sns-topic-encrypted", "alerts"),
    ("triage-rule-not-expired", "forgotten-suppression"),
    ("iam-no-full-admin", "admin-everything"),
    ("iam-no-full-admin", "deployer-admin"),
    ("iam-no-passrole-wildcard", "deployer"),
    ("guardduty-all-regions", None),
    ("securityhub-all-regions", None),
    ("config-all-regions", None),
}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, _ = run_cli(capsys, "check", *argv, "--format", "json")
    return code, json.loads(out)


def insecure(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[dict[str, Any]]]:
    return check_json(capsys, *INSECURE_ARGS, *extra)


@pytest.mark.parametrize(("tier", "role"), TIER_ROLES)
def test_tiers_pass_with_zero_violations(
    capsys: pytest.CaptureFixture[str], tier: str, role: str
) -> None:
    code, findings = check_json(capsys, "--tier", tier, "--role", role)
    assert (code, findings) == (0, [])


def test_insecure_sample_fails_and_names_every_weakness(capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = insecure(capsys)
    assert code == 1
    found = {(f["policy"], f["urn"].rsplit("::", 1)[-1] if f["urn"] else None) for f in findings}
    assert found == PLANTED
    assert {f["policy"] for f in findings} == {p.name for p in catalog.POLICIES}


def test_findings_carry_level_severity_and_checklist(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings = insecure(capsys)
    sg = next(f for f in findings if f["policy"] == "security-group-no-public-admin-ports")
    assert sg == {
        "policy": "security-group-no-public-admin-ports",
        "enforcement": "mandatory",
        "severity": "critical",
        "urn": sg["urn"],
        "message": sg["message"],
        "checklist": ["S-01"],
    }
    assert sg["urn"].startswith("urn:pulumi:offline::program::aws:")
    levels = [f["enforcement"] for f in findings]
    assert levels == sorted(levels, key=lambda level: level != "mandatory")  # mandatory first


def test_table_output_names_policy_resource_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "check", *INSECURE_ARGS)
    assert code == 1
    assert "Volume::data" in out
    assert "volume is not encrypted (encrypted must be true)" in out
    assert "GuardDuty is not enabled in ap-northeast-1" in out
    assert "expired on 2024-01-31: review the rule" in out
    assert "39 violation(s), 38 mandatory." in out


def test_beginner_tier_table_says_no_violations(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "check", "--tier", "beginner")
    assert (code, err) == (0, "")
    assert re.fullmatch(r"\d+ resources checked: no policy violations.\n", out)


def test_enforcement_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    everything_advisory = [f"--enforcement={p.name}=advisory" for p in catalog.POLICIES]
    code, findings = insecure(capsys, *everything_advisory)
    assert code == 0
    assert len(findings) == 39
    assert {f["enforcement"] for f in findings} == {"advisory"}
    _, findings = insecure(
        capsys,
        "--enforcement",
        "sns-topic-encrypted=disabled",
        "--enforcement",
        "kms-key-rotation=advisory",
    )
    policies = {f["policy"]: f["enforcement"] for f in findings}
    assert "sns-topic-encrypted" not in policies
    assert policies["kms-key-rotation"] == "advisory"


def test_program_tier_defaults_to_beginner(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings = check_json(capsys, "--program", str(INSECURE))
    assert not DETECTION_POLICIES & {f["policy"] for f in findings}


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("nope=advisory", "secbaseline: error: --enforcement: unknown policy 'nope'"),
        (
            "s3-versioning=loud",
            "secbaseline: error: --enforcement: s3-versioning: level must be one of advisory, mandatory, disabled, got 'loud'",
        ),
        (
            "s3-versioning",
            "secbaseline: error: --enforcement: expected policy=level, got 's3-versioning'",
        ),
    ],
)
def test_bad_enforcement_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], flag: str, message: str
) -> None:
    code, _, err = run_cli(capsys, "check", "--tier", "beginner", "--enforcement", flag)
    assert code == 2
    assert err.startswith(message)


def test_missing_program_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run_cli(capsys, "check", "--program", str(tmp_path / "nope.py"))
    assert code == 2
    assert "does not exist" in err


def test_program_reads_its_project_and_stack_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  shop:port: '22'\n  shop:token:\n    secure: AAAbbb\n"
    )
    (tmp_path / "__main__.py").write_text(
        "import pulumi, pulumi_aws as aws\n"
        "cfg = pulumi.Config()\n"
        "assert cfg.require('token') == '[secret]'\n"
        "port = int(cfg.require('port'))\n"
        "aws.vpc.SecurityGroupIngressRule('ssh', security_group_id='sg-1', ip_protocol='tcp',\n"
        "    from_port=port, to_port=port, cidr_ipv4='0.0.0.0/0')\n"
    )
    code, findings = check_json(
        capsys, "--program", str(tmp_path), "--config", str(tmp_path / "Pulumi.dev.yaml")
    )
    assert code == 1
    assert [(f["policy"], f["urn"], f["message"]) for f in findings] == [
        (
            "security-group-no-public-admin-ports",
            "urn:pulumi:dev::shop::aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::ssh",
            "allows 0.0.0.0/0 to port 22 (SSH)",
        )
    ]


def test_plan_coverage_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "plan", "--tier", "beginner", "--coverage")
    assert code == 0
    lines = out.splitlines()
    assert any(
        line.split()[:4] == ["S-03", "deployed", "imdsv2-required", "InstanceMetadataDefaults"]
        for line in lines
    )
    assert any(
        line.split()[:4]
        == ["S-09", "deployed", "s3-block-public-access", "AccountPublicAccessBlock"]
        for line in lines
    )
    assert any(line.split()[:3] == ["S-06", "opt-in,", "off"] for line in lines)
    assert any(
        line.split()[:7] == ["S-19", "not", "in", "this", "tier", "(from", "intermediate)"]
        for line in lines
    )
    covered = sum(1 for line in lines if line.startswith("S-") and line.split()[1] == "deployed")
    assert covered >= 2
    assert out.endswith(f"{covered} of 31 checklist items have evidence in this plan.\n")


def test_plan_coverage_as_json_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "plan", "--tier", "beginner", "--coverage", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["total"] == 31
    assert data["covered"] == sum(1 for i in data["items"] if i["deployed"]) >= 2
    s09 = next(i for i in data["items"] if i["item"] == "S-09")
    assert s09 == {
        "item": "S-09",
        "deployed": True,
        "status": "deployed",
        "controls": [
            {
                "control": "s3-block-public-access",
                "evidence": ["aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"],
            }
        ],
    }
    _, out, _ = run_cli(capsys, "plan", "--tier", "beginner", "--coverage", "--format", "markdown")
    assert re.search(r"\| S-03 +\| deployed +\| imdsv2-required", out)


V2_PROGRAM = """
import json
import pulumi_aws as aws

def tls_only(arn):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, arn + "/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})

for name, status, algorithm, acl in [
    ("good", "Enabled", "aws:kms", "private"),
    ("weak", "Suspended", None, "public-read"),
]:
    b = aws.s3.Bucket(name)
    aws.s3.BucketPublicAccessBlock(f"{name}-pab", bucket=b.id, block_public_acls=True,
        block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
    aws.s3.BucketPolicy(f"{name}-policy", bucket=b.id, policy=b.arn.apply(tls_only))
    aws.s3.BucketVersioningV2(f"{name}-versioning", bucket=b.id,
        versioning_configuration={"status": status})
    aws.s3.BucketAclV2(f"{name}-acl", bucket=b.id, acl=acl)
    default = {"sse_algorithm": algorithm} if algorithm else None
    aws.s3.BucketServerSideEncryptionConfigurationV2(f"{name}-sse", bucket=b.id,
        rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": True}])
"""


def test_program_with_deprecated_v2_settings_resources(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The V2 settings complete their bucket offline, and their content is checked."""
    (tmp_path / "__main__.py").write_text(V2_PROGRAM)
    code, findings = check_json(capsys, "--program", str(tmp_path))
    assert code == 1
    assert sorted((f["policy"], f["urn"].rsplit("::", 1)[-1]) for f in findings) == [
        ("s3-encryption", "weak-sse"),
        ("s3-no-public-acl", "weak-acl"),
        ("s3-versioning", "weak-versioning"),
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # S-06 is deployed without the database example: the backup-plan Config rules check
        # every database of the account (issue 21); S-14's distribution stays an opt-in.
        (
            "management",
            {"S-24": "deployed", "S-26": "deployed", "S-06": "deployed", "S-14": "opt-in, off"},
        ),
        # The security account enrols every member in GuardDuty, Security Hub, Inspector and
        # Detective and aggregates findings: that is S-24's automated checks, organization-wide.
        ("security", {"S-24": "deployed", "S-26": "management account's stack"}),
        (
            "member",
            {
                "S-24": "management account's stack",
                "S-19": "enabled by the security account",
                "S-15": "deployed",
            },
        ),
    ],
)
def test_coverage_says_why_an_item_is_missing(
    capsys: pytest.CaptureFixture[str], role: str, expected: dict[str, str]
) -> None:
    code, out, _ = run_cli(
        capsys, "plan", "--tier", "advanced", "--role", role, "--coverage", "--format", "json"
    )
    assert code == 0
    status = {i["item"]: i["status"] for i in json.loads(out)["items"]}
    assert {item: status[item] for item in expected} == expected
