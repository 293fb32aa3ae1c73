"""OrganizationDetection: every service auto-enables new accounts in every detection region."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components import (
    AutoEnable,
    GuardDutyFeature,
    OrganizationDetection,
    OrganizationDetectionArgs,
    SecurityHubMode,
)
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
        guard_duty_auto_enable="NEW",
        guard_duty_features=("S3_DATA_EVENTS", "RUNTIME_MONITORING"),
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
        ({"regions": ("us-east-1",)}, "regions: must include the home region 'ap-northeast-1'"),
        ({"regions": ("us-east-1", "mars-1")}, "regions: unknown AWS region 'mars-1'"),
        ({"home_region": "mars-1"}, "home_region: unknown AWS region 'mars-1'"),
        (
            {"guard_duty_auto_enable": "SOME"},
            "guard_duty_auto_enable: expected 'ALL', 'NEW' or 'NONE', got 'SOME'",
        ),
        ({"guard_duty_features": ("MAGIC",)}, "guard_duty_features[0]: expected 'S3_DATA_EVENTS'"),
        (
            {"guard_duty_features": ("S3_DATA_EVENTS", "S3_DATA_EVENTS")},
            "guard_duty_features: a feature is listed twice",
        ),
        (
            {"detector_ids": {"sa-east-1": "abc"}},
            "detector_ids: sa-east-1 is not a detection region",
        ),
        ({"detector_ids": {"moon": "abc"}}, "detector_ids: unknown AWS region 'moon'"),
        (
            {"graph_arns": {"us-east-1": "arn:aws:s3:::x"}},
            "graph_arns.us-east-1: 'arn:aws:s3:::x' is not an ARN of service 'detective'",
        ),
        ({"security_hub_mode": "HYBRID"}, "security_hub_mode: expected 'CENTRAL' or 'LOCAL'"),
        ({"root_id": "root"}, "root_id: 'root' is not an OU id"),
        ({"root_id": "ou-ab12-cdefgh12"}, "root_id: 'ou-ab12-cdefgh12' is an OU, not the root"),
        ({"security_account_id": "2"}, "security_account_id: '2' is not a 12-digit"),
        ({"name_prefix": "X"}, "name_prefix: 'X' must be 2-24 characters"),
        ({"tags": {"": "x"}}, "tags: tag key '' must be 1-128 characters"),
        ({"inspector": "maybe"}, "inspector: expected a valid boolean"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        OrganizationDetectionArgs(**{**BASE, **kwargs})
    assert str(err.value).startswith(message)


IDS: dict[str, Any] = {**BASE, "name_prefix": "secbaseline"}


def test_from_config() -> None:
    args = OrganizationDetectionArgs.from_config(
        "organizationDetection",
        {
            "guardDutyAutoEnable": "NEW",
            "guardDutyFeatures": ["S3_DATA_EVENTS", "RUNTIME_MONITORING"],
            "securityHubMode": "LOCAL",
            "detective": False,
            "rootId": "r-ab12",
            "tags": {"team": "security"},
        },
        **IDS,
    )
    assert args.guard_duty_auto_enable is AutoEnable.NEW
    assert args.security_hub_mode is SecurityHubMode.LOCAL
    assert args.guard_duty_features == [
        GuardDutyFeature.S3_DATA_EVENTS,
        GuardDutyFeature.RUNTIME_MONITORING,
    ]
    assert (args.detective, args.root_id, args.tags) == (False, "r-ab12", {"team": "security"})
    assert OrganizationDetectionArgs.from_config("organizationDetection", {}, **IDS) == (
        OrganizationDetectionArgs(**IDS)
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"detective": "maybe"}, "organizationDetection.detective: expected a valid boolean"),
        ({"macie": True}, "organizationDetection.macie: unknown option"),
        ({"securityHubMod": "LOCAL"}, "organizationDetection.securityHubMod: unknown option; did"),
        ({"rootId": "r"}, "organizationDetection.rootId: 'r' is not an OU id"),
        (
            {"guardDutyFeatures": ["S3_DATA_EVENTS", "S3_DATA_EVENTS"]},
            "organizationDetection.guardDutyFeatures: a feature is listed twice",
        ),
        (
            {"guardDutyAutoEnable": "SOME"},
            "organizationDetection.guardDutyAutoEnable: expected 'ALL', 'NEW' or 'NONE'",
        ),
        (
            {"detectorIds": {"sa-east-1": "abc"}},
            "organizationDetection.detectorIds: sa-east-1 is not a detection region",
        ),
        (
            {"graphArns": {"us-east-1": "graph"}},
            "organizationDetection.graphArns.us-east-1: 'graph' is not an ARN",
        ),
    ],
)
def test_bad_config_names_the_config_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        OrganizationDetectionArgs.from_config("organizationDetection", section, **IDS)
    assert str(err.value).startswith(message)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "security"})
    taggable = [
        *plan.of_type("aws:guardduty/detector:Detector"),
        *plan.of_type("aws:detective/graph:Graph"),
        *plan.of_type("aws:accessanalyzer/analyzer:Analyzer"),
        *plan.of_type("aws:iam/role:Role"),
        *plan.of_type("aws:cfg/configurationAggregator:ConfigurationAggregator"),
    ]
    assert len(taggable) == 3 * len(REGIONS) + 2
    for resource in taggable:
        assert resource.inputs["tags"] == {"team": "security"}, resource.name


def test_resources_built_in_the_same_program_are_wired_in(
    run_program: Callable[..., Plan],
) -> None:
    def program() -> None:
        detector = aws.guardduty.Detector("mine", enable=True, region="us-east-1")
        graph = aws.detective.Graph("graph", region="us-east-1")
        hub = aws.securityhub.Account("hub", region="ap-northeast-1")
        OrganizationDetection(
            "org-detection",
            OrganizationDetectionArgs(
                **BASE,
                detector_ids={"us-east-1": detector.id},
                graph_arns={"us-east-1": graph.id},
                security_hub_dependencies=[hub.id],
                manage_admin_account_services=False,
                root_id="r-ab12",
            ),
        )

    plan = run_program(program, account_id="222222222222")
    mine = next(d for d in plan.of_type("aws:guardduty/detector:Detector") if d.name == "mine")
    us_east = next(
        c
        for c in plan.of_type("aws:guardduty/organizationConfiguration:OrganizationConfiguration")
        if c.inputs["region"] == "us-east-1"
    )
    assert us_east.inputs["detectorId"] == mine.id
    graph = plan.one("aws:detective/graph:Graph")
    detective = plan.one("aws:detective/organizationConfiguration:OrganizationConfiguration")
    assert detective.inputs["graphArn"] == graph.id
    org = plan.one("aws:securityhub/organizationConfiguration:OrganizationConfiguration")
    assert org.inputs["autoEnableStandards"] == "NONE"


def test_a_bad_graph_output_fails_when_it_resolves(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        topic = aws.sns.Topic("topic")
        OrganizationDetection(
            "org-detection", OrganizationDetectionArgs(**BASE, graph_arns={"us-east-1": topic.arn})
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program, account_id="222222222222")
    assert "graph_arns.us-east-1: 'arn:aws:sns:" in str(err.value)
    assert "is not an ARN of service 'detective'" in str(err.value)


def test_detective_auto_enable_names_the_graph_arn(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    for config in plan.of_type("aws:detective/organizationConfiguration:OrganizationConfiguration"):
        region = config.inputs["region"]
        assert config.inputs["graphArn"].startswith(
            f"arn:aws:detective:{region}:222222222222:graph:"
        )
