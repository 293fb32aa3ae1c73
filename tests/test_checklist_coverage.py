"""Issue 21: S-05, S-06, S-07, S-12, S-13 and S-20 show account-wide evidence in the coverage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline import catalog
from secbaseline.baseline.check import coverage_json
from secbaseline.baseline.engine import Plan


def evidence(plan: Plan) -> dict[str, dict[str, list[str]]]:
    """item -> control -> evidence found in the plan."""
    return {
        entry["item"]: {c["control"]: c["evidence"] for c in entry["controls"]}
        for entry in coverage_json(plan)["items"]
    }


def test_intermediate_tier_checks_the_whole_account(plan_tier: Callable[..., Plan]) -> None:
    found = evidence(plan_tier(tier="intermediate"))
    rule = catalog.config_rule
    assert found["S-05"]["lambda-public-access-check"] == [
        rule("LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED")
    ]
    assert found["S-06"]["database-backup-coverage"] == sorted(
        [
            rule("RDS_RESOURCES_PROTECTED_BY_BACKUP_PLAN"),
            rule("AURORA_RESOURCES_PROTECTED_BY_BACKUP_PLAN"),
        ]
    )
    assert found["S-07"]["database-tls"] == [rule("DATABASE_TLS_REQUIRED")]
    assert found["S-13"]["patch-compliance-check"] == sorted(
        [
            rule("EC2_INSTANCE_MANAGED_BY_SSM"),
            rule("EC2_MANAGEDINSTANCE_PATCH_COMPLIANCE_STATUS_CHECK"),
        ]
    )
    assert found["S-20"]["detective"] == ["aws:detective/graph:Graph"]


def test_beginner_tier_scans_and_patches_every_instance_and_existing_uploads(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(
        tier="beginner", uploadScanning={"enabled": True, "bucketName": "customer-uploads"}
    )
    found = evidence(plan)
    assert found["S-13"]["patch-management"]
    assert found["S-13"]["vulnerability-scanning"] == ["aws:inspector2/enabler:Enabler"]
    for item in ("S-12", "S-31"):
        assert found[item]["s3-malware-scanning"] == [
            "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"
        ]
    scans = [
        a
        for a in plan.of_type("aws:ssm/association:Association")
        if a.inputs["name"] == "AWS-RunPatchBaseline"
    ]
    assert scans and all(
        s.inputs["targets"] == [{"key": "InstanceIds", "values": ["*"]}] for s in scans
    )


@pytest.mark.parametrize(
    ("resource_type", "inputs", "expected"),
    [
        (
            "aws:cfg/rule:Rule",
            {"source": {"owner": "AWS", "sourceIdentifier": "EC2_IMDSV2_CHECK"}},
            {"aws:cfg/rule:Rule", "aws:cfg/rule:Rule#EC2_IMDSV2_CHECK"},
        ),
        (
            "aws:cfg/rule:Rule",
            {
                "source": {"owner": "CUSTOM_LAMBDA", "sourceIdentifier": "arn:aws:lambda:x"},
                "description": "DATABASE_TLS_REQUIRED (checklist S-07)",
            },
            {"aws:cfg/rule:Rule", "aws:cfg/rule:Rule#DATABASE_TLS_REQUIRED"},
        ),
        (
            "aws:cfg/rule:Rule",
            {"source": {"owner": "CUSTOM_LAMBDA"}, "description": "my own rule"},
            {"aws:cfg/rule:Rule"},
        ),
        ("aws:s3/bucket:Bucket", {"description": "X"}, {"aws:s3/bucket:Bucket"}),
    ],
)
def test_evidence_keys(resource_type: str, inputs: dict[str, Any], expected: set[str]) -> None:
    assert catalog.evidence_keys(resource_type, inputs) == expected


def test_inspector_findings_reach_the_topic_joined_with_patch_state(
    plan_tier: Callable[..., Plan],
) -> None:
    from tests.event_routes import reaches_topic
    from tests.test_patch_finding_notices import finding

    plan = plan_tier(tier="intermediate")
    (topic,) = [
        t for t in plan.of_type("aws:sns/topic:Topic") if t.name == "security-notifications-topic"
    ]
    topic_arn = topic.outputs["arn"]
    component = plan.one("secbaseline:index:PatchFindingNotices")
    joiner = next(r for r in plan.descendants(component.urn) if r.type.endswith("Function"))
    for region in ("ap-northeast-1", "eu-west-1", "us-east-1"):
        hops = reaches_topic(plan, finding(region), topic_arn)
        assert hops and joiner.name in hops[-1], (region, hops)
    off = plan_tier(tier="intermediate", vulnerabilityScanning={"patchFindingNotices": False})
    assert off.of_type("secbaseline:index:PatchFindingNotices") == []
