"""The advanced tier per account role: management, security, member (offline plans)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.baseline.plan import plan_config
from secbaseline.baseline.settings import settings_from_config
from tests.conftest import BASE_CONFIG, ORG_CONFIG
from tests.scp_eval import Request, denied

ORG_COMPONENTS = {
    "secbaseline:index:Organization",
    "secbaseline:index:OrganizationTrail",
    "secbaseline:index:GuardrailPolicies",
    "secbaseline:index:OrganizationDetection",
}
POLICY = "aws:organizations/policy:Policy"


def components(plan: Plan) -> set[str]:
    return {r.type for r in plan.resources if r.type.startswith("secbaseline:index:")}


def scps(plan: Plan) -> list[dict[str, Any]]:
    return [json.loads(r.inputs["content"]) for r in plan.of_type(POLICY)]


def test_management_role_deploys_organization_trail_and_guardrails(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(
        tier="advanced",
        role="management",
        allowedRegions=["ap-northeast-1", "us-east-1"],
        guardrails={"adminRoleArns": ["arn:aws:iam::*:role/secbaseline-deployer"]},
        organization={"organizationalUnits": ["Security", "Workloads", "Sandbox"]},
    )
    found = components(plan)
    assert {
        "secbaseline:index:Organization",
        "secbaseline:index:OrganizationTrail",
        "secbaseline:index:GuardrailPolicies",
        "secbaseline:index:AccountHardening",
    } <= found
    assert "secbaseline:index:OrganizationDetection" not in found
    org = plan.one("aws:organizations/organization:Organization")
    root = org.outputs["roots"][0]["id"]
    attachments = plan.of_type("aws:organizations/policyAttachment:PolicyAttachment")
    assert {a.inputs["targetId"] for a in attachments} == {root}
    documents = scps(plan)
    assert 1 <= len(documents) <= 4
    assert all(len(r.inputs["content"]) <= 5120 for r in plan.of_type(POLICY))
    assert denied(documents, Request("ec2:RunInstances", region="eu-west-1"))
    developer_role = "arn:aws:iam::333333333333:role/app-orders"
    assert not denied(
        documents, Request("iam:CreateRole", region="eu-west-1", resource=developer_role)
    )
    assert not denied(
        documents,
        Request("cloudtrail:StopLogging", "arn:aws:iam::333333333333:role/secbaseline-deployer"),
    )
    gd_admins = plan.of_type("aws:guardduty/organizationAdminAccount:OrganizationAdminAccount")
    assert sorted(r.inputs["region"] for r in gd_admins) == sorted(BASE_CONFIG["detectionRegions"])
    assert plan.one("aws:cloudtrail/trail:Trail").inputs["isOrganizationTrail"] is True
    assert len(plan.of_type("aws:organizations/organizationalUnit:OrganizationalUnit")) == 3


def test_management_follows_the_security_hub_mode_of_the_detection_config(
    plan_tier: Callable[..., Plan],
) -> None:
    hub = "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount"
    central = plan_tier(tier="advanced", role="management")
    assert [r.inputs["region"] for r in central.of_type(hub)] == [BASE_CONFIG["homeRegion"]]
    local = plan_tier(
        tier="advanced",
        role="management",
        organizationDetection={"securityHubMode": "LOCAL"},
    )
    assert sorted(r.inputs["region"] for r in local.of_type(hub)) == sorted(
        BASE_CONFIG["detectionRegions"]
    )


def test_management_under_control_tower_leaves_trail_and_region_deny_to_it(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(
        tier="advanced",
        role="management",
        controlTower=True,
        guardrails={
            "controlTowerControls": [
                {"control": "AWS-GR_RESTRICT_ROOT_USER", "targets": ["ou-ab12-cdefgh12"]}
            ],
            # Member stacks are deployed by AWSControlTowerExecution here, which every
            # statement exempts under Control Tower: no role of our own needs the exemption.
            "noAdminExemption": True,
        },
    )
    assert "secbaseline:index:OrganizationTrail" not in components(plan)
    assert plan.of_type("aws:cloudtrail/trail:Trail") == []
    documents = scps(plan)
    assert len(documents) <= 2  # Control Tower's own SCPs share the 5-per-target limit
    sids = {s["Sid"] for d in documents for s in d["Statement"]}
    assert "DenyOutsideAllowedRegions" not in sids
    assert "DenyCloudTrailChanges" in sids
    control = plan.one("aws:controltower/controlTowerControl:ControlTowerControl")
    assert control.inputs["controlIdentifier"].endswith("/AWS-GR_RESTRICT_ROOT_USER")


def test_security_role_deploys_organization_detection(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="advanced", role="security")
    found = components(plan)
    assert "secbaseline:index:OrganizationDetection" in found
    assert not found & (ORG_COMPONENTS - {"secbaseline:index:OrganizationDetection"})
    gd = plan.of_type("aws:guardduty/organizationConfiguration:OrganizationConfiguration")
    assert sorted(r.inputs["region"] for r in gd) == sorted(BASE_CONFIG["detectionRegions"])
    assert {r.inputs["autoEnableOrganizationMembers"] for r in gd} == {"ALL"}
    assert plan.of_type(POLICY) == []
    assert plan.settings is not None
    assert plan.settings["accountId"] == ORG_CONFIG["securityAccountId"]


def test_member_role_deploys_only_the_account_baseline(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="advanced", role="member")
    found = components(plan)
    assert not found & ORG_COMPONENTS
    assert "secbaseline:index:AccountHardening" in found
    assert not [r for r in plan.resources if ":organizations/" in r.type]


def test_organization_owned_tells_the_parts_what_the_organization_enables() -> None:
    def owned(**config: object) -> frozenset[str]:
        return settings_from_config({**BASE_CONFIG, **ORG_CONFIG, **config}).organization_owned

    assert owned(tier="advanced", role="member") == {
        "guardduty",
        "securityhub",
        "inspector",
        "detective",
        "cloudtrail",
    }
    assert owned(tier="advanced", role="security") == {"cloudtrail"}
    assert owned(tier="advanced", role="management") == {"cloudtrail"}
    assert "config" in owned(tier="advanced", role="member", controlTower=True)
    assert owned(tier="intermediate") == frozenset()
    assert owned(tier="intermediate", controlTower=True) == {"config", "cloudtrail"}


def test_member_leaves_org_enabled_services_to_the_organization(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(tier="advanced", role="member")
    for token in (
        "aws:guardduty/detector:Detector",
        "aws:securityhub/account:Account",
        "aws:detective/graph:Graph",
        "aws:inspector2/enabler:Enabler",
    ):
        assert plan.of_type(token) == [], token
    # What the member still owns: Config recording, notifications, access analyzers.
    regions = sorted(BASE_CONFIG["detectionRegions"])
    recorders = plan.of_type("aws:cfg/recorder:Recorder")
    assert sorted(r.inputs["region"] for r in recorders) == regions
    assert plan.of_type("aws:sns/topic:Topic")


def test_security_account_builds_on_its_own_detection(plan_tier: Callable[..., Plan]) -> None:
    """One detector, hub and graph per region: the organization part reuses them."""
    plan = plan_tier(tier="advanced", role="security")
    regions = sorted(BASE_CONFIG["detectionRegions"])
    detectors = plan.of_type("aws:guardduty/detector:Detector")
    assert sorted(r.inputs["region"] for r in detectors) == regions
    hubs = plan.of_type("aws:securityhub/account:Account")
    assert sorted(r.inputs["region"] for r in hubs) == regions
    assert len(plan.of_type("aws:securityhub/findingAggregator:FindingAggregator")) == 1
    graphs = plan.of_type("aws:detective/graph:Graph")
    assert len(graphs) == len({r.inputs["region"] for r in graphs})
    assert len(plan.of_type("aws:inspector2/enabler:Enabler")) == len(regions)
    by_region = {r.inputs["region"]: r.id for r in detectors}
    for config in plan.of_type("aws:guardduty/organizationConfiguration:OrganizationConfiguration"):
        assert config.inputs["detectorId"] == by_region[config.inputs["region"]]
    graph_arns = {r.id for r in graphs}
    detective = plan.of_type("aws:detective/organizationConfiguration:OrganizationConfiguration")
    assert detective and {r.inputs["graphArn"] for r in detective} <= graph_arns
    # Central configuration owns the standards: no local subscriptions in this account.
    assert plan.of_type("aws:securityhub/standardsSubscription:StandardsSubscription") == []
    assert plan.one("aws:securityhub/configurationPolicy:ConfigurationPolicy")


def test_security_account_local_mode_keeps_local_standards(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(
        tier="advanced", role="security", organizationDetection={"securityHubMode": "LOCAL"}
    )
    assert plan.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"tier": "advanced", "role": "management", "organizationId": None},
            "organizationId: required for the advanced tier",
        ),
        (
            {"tier": "advanced", "role": "management", "securityAccountId": "111111111111"},
            "securityAccountId: must differ from managementAccountId",
        ),
        (
            {"tier": "advanced", "role": "management", "allowedRegions": ["us-east-1"]},
            "allowedRegions: must include the home region",
        ),
        (
            {"tier": "advanced", "role": "management", "guardrails": {"statements": {"x": True}}},
            "guardrails.statements.x: unknown statement",
        ),
        (
            {"tier": "advanced", "role": "management", "guardrails": {"targets": ["ou-1"]}},
            "guardrails.targets[0]: 'ou-1' is not an OU id",
        ),
        (
            {
                "tier": "advanced",
                "role": "management",
                "guardrails": {"adminRoleArns": ["arn:aws:iam::1:role/x"]},
            },
            "guardrails.adminRoleArns[0]:",
        ),
        (
            {
                "tier": "advanced",
                "role": "management",
                "organization": {"organizationalUnits": ["Sandbox", "SANDBOX"]},
            },
            "organization.organizationalUnits[1]: 'SANDBOX' collides with 'Sandbox'",
        ),
        (
            {
                "tier": "advanced",
                "role": "management",
                "controlTower": True,
                "guardrails": {"controlTowerControls": [{"control": "X", "targets": []}]},
            },
            "guardrails.controlTowerControls[0].control: unknown control identifier 'X'",
        ),
        (
            {"tier": "advanced", "role": "security", "organizationDetection": {"rootId": "r"}},
            "organizationDetection.rootId: 'r' is not",
        ),
        (
            {
                "tier": "advanced",
                "role": "management",
                "organizationDetection": {"securityHubMode": "HYBRID"},
            },
            "organizationDetection.securityHubMode: expected 'CENTRAL' or 'LOCAL', got 'HYBRID'",
        ),
        (
            {
                "tier": "advanced",
                "role": "security",
                "organizationDetection": {"securityHubMode": "HYBRID"},
            },
            "organizationDetection.securityHubMode: expected 'CENTRAL' or 'LOCAL', got 'HYBRID'",
        ),
        (
            {
                "tier": "advanced",
                "role": "management",
                "organizationTrail": {"readerAccountIds": ["1"]},
            },
            "organizationTrail.readerAccountIds[0]: '1' is not a 12-digit AWS account id",
        ),
        (
            {
                "tier": "advanced",
                "role": "management",
                "organization": {"delegations": {"guardduty": False}},
            },
            "organization.delegations.guardduty: unknown option; did you mean 'guardDuty'?",
        ),
    ],
)
def test_bad_advanced_config_is_refused(config: dict[str, object], message: str) -> None:
    merged = {**BASE_CONFIG, **ORG_CONFIG, **config}
    merged = {k: v for k, v in merged.items() if v is not None}
    with pytest.raises((ValueError, OfflineEngineError)) as err:
        plan_config(merged, stack="test")
    assert message in str(err.value)


def test_management_without_guardrail_exemption_is_refused(
    plan_tier: Callable[..., Plan],
) -> None:
    """SCPs with no exempt role would lock the baseline's own member deployments out."""
    with pytest.raises(
        ValueError, match=r"guardrails\.adminRoleArns: none given.*noAdminExemption"
    ):
        plan_tier(tier="advanced", role="management", guardrails={})
    plan = plan_tier(tier="advanced", role="management", guardrails={"noAdminExemption": True})
    assert plan.of_type("aws:organizations/policy:Policy")
