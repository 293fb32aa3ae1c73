"""OrganizationDetection: every service auto-enables new accounts in every detection region."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components import OrganizationDetection, OrganizationDetectionArgs
from secbaseline.components.organization_detection import DEFAULT_GUARDDUTY_FEATURES

REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")
BASE: dict[str, Any] = {
    "security_account_id": "222222222222",
    "home_region": "ap-northeast-1",
    "regions": REGIONS,
}


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        OrganizationDetection("org-detection", OrganizationDetectionArgs(**{**BASE, **kwargs}))

    return run_program(program, account_id="222222222222")


def regions_of(plan: Plan, token: str) -> list[str]:
    return sorted(r.inputs["region"] for r in plan.of_type(token))


def test_new_accounts_are_auto_enabled_for_every_service_in_every_region(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    detectors = plan.of_type("aws:guardduty/detector:Detector")
    assert sorted(d.inputs["region"] for d in detectors) == list(REGIONS)
    assert all(d.inputs["findingPublishingFrequency"] == "FIFTEEN_MINUTES" for d in detectors)
    gd = plan.of_type("aws:guardduty/organizationConfiguration:OrganizationConfiguration")
    assert sorted(r.inputs["region"] for r in gd) == list(REGIONS)
    for config in gd:
        assert config.inputs["autoEnableOrganizationMembers"] == "ALL"
        detector = next(d for d in detectors if d.inputs["region"] == config.inputs["region"])
        assert config.inputs["detectorId"] == detector.id
    features = plan.of_type(
        "aws:guardduty/organizationConfigurationFeature:OrganizationConfigurationFeature"
    )
    assert sorted((f.inputs["region"], f.inputs["name"]) for f in features) == sorted(
        (region, name) for region in REGIONS for name in DEFAULT_GUARDDUTY_FEATURES
    )
    assert {f.inputs["autoEnable"] for f in features} == {"ALL"}

    inspector = plan.of_type("aws:inspector2/organizationConfiguration:OrganizationConfiguration")
    assert sorted(r.inputs["region"] for r in inspector) == list(REGIONS)
    for config in inspector:
        assert config.inputs["autoEnable"] == {"ec2": True, "ecr": True, "lambda": True}
    detective = plan.of_type("aws:detective/organizationConfiguration:OrganizationConfiguration")
    graphs = {g.inputs["region"]: g.id for g in plan.of_type("aws:detective/graph:Graph")}
    assert sorted(r.inputs["region"] for r in detective) == list(REGIONS)
    for config in detective:
        assert config.inputs["autoEnable"] is True
        assert config.inputs["graphArn"] == graphs[config.inputs["region"]]

    analyzers = plan.of_type("aws:accessanalyzer/analyzer:Analyzer")
    assert sorted(a.inputs["region"] for a in analyzers) == list(REGIONS)
    assert {a.inputs["type"] for a in analyzers} == {"ORGANIZATION"}


def test_security_hub_central_configuration_for_the_root(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, root_id="r-ab12")
    org = plan.one("aws:securityhub/organizationConfiguration:OrganizationConfiguration")
    assert org.inputs["organizationConfiguration"] == {"configurationType": "CENTRAL"}
    assert org.inputs["autoEnable"] is False
    assert org.inputs["region"] == "ap-northeast-1"
    policy = plan.one("aws:securityhub/configurationPolicy:ConfigurationPolicy")
    body = policy.inputs["configurationPolicy"]
    assert body["serviceEnabled"] is True
    assert body["enabledStandardArns"] == [
        "arn:aws:securityhub:ap-northeast-1::standards/aws-foundational-security-best-practices/v/1.0.0",
        "arn:aws:securityhub:ap-northeast-1::standards/cis-aws-foundations-benchmark/v/3.0.0",
    ]
    association = plan.one(
        "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation"
    )
    assert association.inputs["targetId"] == "r-ab12"
    assert association.inputs["policyId"] == policy.id
    aggregator = plan.one("aws:securityhub/findingAggregator:FindingAggregator")
    assert aggregator.inputs["linkingMode"] == "SPECIFIED_REGIONS"
    assert sorted(aggregator.inputs["specifiedRegions"]) == ["eu-west-1", "us-east-1"]


def test_finding_aggregator_links_no_regions_when_home_is_the_only_one(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, regions=("ap-northeast-1",))
    aggregator = plan.one("aws:securityhub/findingAggregator:FindingAggregator")
    assert aggregator.inputs["linkingMode"] == "NO_REGIONS"
    assert "specifiedRegions" not in aggregator.inputs
    assert aggregator.inputs["region"] == "ap-northeast-1"


def test_root_is_looked_up_when_not_given(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    association = plan.one(
        "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation"
    )
    assert association.inputs["targetId"] == "r-ex01"  # the offline organization's root


def test_security_hub_local_mode_auto_enables_per_region(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, security_hub_mode="LOCAL")
    configs = plan.of_type("aws:securityhub/organizationConfiguration:OrganizationConfiguration")
    assert sorted(c.inputs["region"] for c in configs) == list(REGIONS)
    for config in configs:
        assert config.inputs["autoEnable"] is True
        assert config.inputs["autoEnableStandards"] == "DEFAULT"
        assert config.inputs["organizationConfiguration"] == {"configurationType": "LOCAL"}
    assert plan.of_type("aws:securityhub/configurationPolicy:ConfigurationPolicy") == []


def test_config_aggregator_covers_the_organization(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    aggregator = plan.one("aws:cfg/configurationAggregator:ConfigurationAggregator")
    role = plan.one("aws:iam/role:Role")
    source = aggregator.inputs["organizationAggregationSource"]
    assert source == {"roleArn": role.outputs["arn"], "allRegions": True}
    assert aggregator.inputs["region"] == "ap-northeast-1"
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "config.amazonaws.com"}
    attachment = plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"].endswith("service-role/AWSConfigRoleForOrganizations")


def test_given_detectors_runtime_monitoring_and_opt_outs(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        detector_ids={region: f"det{region}" for region in REGIONS},
        guardduty_auto_enable="NEW",
        guardduty_features=("S3_DATA_EVENTS", "RUNTIME_MONITORING"),
        manage_admin_account_services=False,
        detective=False,
        config_aggregator=False,
        access_analyzer=False,
        root_id="r-ab12",
    )
    assert plan.of_type("aws:guardduty/detector:Detector") == []
    gd = plan.of_type("aws:guardduty/organizationConfiguration:OrganizationConfiguration")
    assert {c.inputs["detectorId"] for c in gd} == {f"det{r}" for r in REGIONS}
    assert {c.inputs["autoEnableOrganizationMembers"] for c in gd} == {"NEW"}
    runtime = [
        f
        for f in plan.of_type(
            "aws:guardduty/organizationConfigurationFeature:OrganizationConfigurationFeature"
        )
        if f.inputs["name"] == "RUNTIME_MONITORING"
    ]
    assert len(runtime) == len(REGIONS)
    assert {c["name"] for c in runtime[0].inputs["additionalConfigurations"]} == {
        "EKS_ADDON_MANAGEMENT",
        "ECS_FARGATE_AGENT_MANAGEMENT",
        "EC2_AGENT_MANAGEMENT",
    }
    for token in (
        "aws:securityhub/account:Account",
        "aws:securityhub/findingAggregator:FindingAggregator",
        "aws:detective/graph:Graph",
        "aws:inspector2/enabler:Enabler",
        "aws:cfg/configurationAggregator:ConfigurationAggregator",
        "aws:accessanalyzer/analyzer:Analyzer",
    ):
        assert plan.of_type(token) == [], token
    assert regions_of(
        plan, "aws:inspector2/organizationConfiguration:OrganizationConfiguration"
    ) == list(REGIONS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"regions": ("us-east-1",)},
            "organizationDetection.regions: must include the home region 'ap-northeast-1'",
        ),
        (
            {"guardduty_auto_enable": "SOME"},
            "organizationDetection.guardDutyAutoEnable: 'SOME' is not one of ALL, NEW, NONE",
        ),
        (
            {"guardduty_features": ("MAGIC",)},
            "organizationDetection.guardDutyFeatures: 'MAGIC' is not one of",
        ),
        (
            {"guardduty_features": ("S3_DATA_EVENTS", "S3_DATA_EVENTS")},
            "organizationDetection.guardDutyFeatures: a feature is listed twice",
        ),
        (
            {"detector_ids": {"sa-east-1": "abc"}},
            "organizationDetection.detectorIds: sa-east-1 is not a detection region",
        ),
        (
            {"security_hub_mode": "HYBRID"},
            "organizationDetection.securityHubMode: 'HYBRID' is not one of CENTRAL, LOCAL",
        ),
        ({"root_id": "root"}, "organizationDetection.rootId: 'root' is not an OU id"),
        (
            {"root_id": "ou-ab12-cdefgh12"},
            "organizationDetection.rootId: 'ou-ab12-cdefgh12' is an OU, not the root",
        ),
        ({"security_account_id": "2"}, "organizationDetection.securityAccountId: '2' is not"),
    ],
)
def test_bad_args_raise_naming_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        OrganizationDetectionArgs(**{**BASE, **kwargs}).validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    common: dict[str, Any] = {**BASE, "name_prefix": "secbaseline"}
    args = OrganizationDetectionArgs.from_config(
        {"guardDutyAutoEnable": "NEW", "securityHubMode": "LOCAL", "detective": False}, **common
    )
    assert (args.guardduty_auto_enable, args.security_hub_mode, args.detective) == (
        "NEW",
        "LOCAL",
        False,
    )
    with pytest.raises(ValueError, match=r"^organizationDetection.detective: expected true"):
        OrganizationDetectionArgs.from_config({"detective": "no"}, **common)
    with pytest.raises(ValueError, match=r"^organizationDetection.macie: unknown option"):
        OrganizationDetectionArgs.from_config({"macie": True}, **common)


def test_detective_auto_enable_names_the_graph_arn(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    for config in plan.of_type("aws:detective/organizationConfiguration:OrganizationConfiguration"):
        region = config.inputs["region"]
        assert config.inputs["graphArn"].startswith(
            f"arn:aws:detective:{region}:222222222222:graph:"
        )
