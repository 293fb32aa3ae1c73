"""SecurityHub (S-17): enabled everywhere, standards, global controls home-only, aggregator."""

from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components.security_hub import (
    GLOBAL_CONTROLS,
    SecurityHub,
    SecurityHubArgs,
    SecurityStandard,
    standards_arn,
)

REGIONS = ("ap-northeast-1", "us-east-1", "eu-west-1")
ASSOCIATION = "aws:securityhub/standardsControlAssociation:StandardsControlAssociation"
FSBP = "aws-foundational-security-best-practices"
CIS = "cis-aws-foundations-benchmark-v3.0.0"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    args = SecurityHubArgs(regions=REGIONS, home_region="ap-northeast-1", **kwargs)
    return run_program(lambda: SecurityHub("hub", args))


def disabled(plan: Plan) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (
            plan.region_of(r) or "",
            f"{r.inputs['standardsArn']}|{r.inputs['securityControlId']}",
        ): r.inputs
        for r in plan.of_type(ASSOCIATION)
    }


def test_defaults(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    hubs = plan.of_type("aws:securityhub/account:Account")
    assert sorted(plan.region_of(h) or "" for h in hubs) == sorted(REGIONS)
    for hub in hubs:
        assert hub.inputs["enableDefaultStandards"] is False
        assert hub.inputs["controlFindingGenerator"] == "SECURITY_CONTROL"
        assert hub.inputs["autoEnableControls"] is True
    subscriptions = {
        (plan.region_of(s), s.inputs["standardsArn"])
        for s in plan.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")
    }
    assert subscriptions == {
        (region, f"arn:aws:securityhub:{region}::standards/{path}")
        for region in REGIONS
        for path in (
            "aws-foundational-security-best-practices/v/1.0.0",
            "cis-aws-foundations-benchmark/v/3.0.0",
        )
    }
    aggregator = plan.one("aws:securityhub/findingAggregator:FindingAggregator")
    assert plan.region_of(aggregator) == "ap-northeast-1"
    assert aggregator.inputs["linkingMode"] == "SPECIFIED_REGIONS"
    assert sorted(aggregator.inputs["specifiedRegions"]) == ["eu-west-1", "us-east-1"]


def test_global_controls_run_in_the_home_region_only(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    found = disabled(plan)
    assert not [key for key in found if key[0] == "ap-northeast-1"]
    for region in ("us-east-1", "eu-west-1"):
        for standard in (FSBP, CIS):
            arn = standards_arn(standard, region)
            for control in GLOBAL_CONTROLS[standard]:
                inputs = found[(region, f"{arn}|{control}")]
                assert inputs["associationStatus"] == "DISABLED"
                assert "home region ap-northeast-1" in inputs["updatedReason"]
    # IAM.1 is not part of CIS v3.0.0: it must not be associated with that standard.
    assert ("us-east-1", f"{standards_arn(CIS, 'us-east-1')}|IAM.1") not in found
    assert len(found) == 2 * (len(GLOBAL_CONTROLS[FSBP]) + len(GLOBAL_CONTROLS[CIS]))


def test_user_disabled_controls_and_opt_outs(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        standards=[FSBP, "nist-800-53-r5"],
        disabled_controls={FSBP: {"EC2.10": "No VPC endpoints by design", "IAM.1": "Reviewed"}},
        global_controls_home_only=False,
        aggregate_findings=False,
    )
    found = disabled(plan)
    assert sorted(found) == sorted(
        (region, f"{standards_arn(FSBP, region)}|{control}")
        for region in REGIONS
        for control in ("EC2.10", "IAM.1")
    )
    assert found[("us-east-1", f"{standards_arn(FSBP, 'us-east-1')}|EC2.10")]["updatedReason"] == (
        "No VPC endpoints by design"
    )
    assert plan.of_type("aws:securityhub/findingAggregator:FindingAggregator") == []
    assert any(
        s.inputs["standardsArn"].endswith("standards/nist-800-53/v/5.0.0")
        for s in plan.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")
    )


def test_user_reason_wins_over_the_global_reason(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, disabled_controls={CIS: {"IAM.9": "Root MFA checked by audit"}})
    found = disabled(plan)
    assert (
        found[("ap-northeast-1", f"{standards_arn(CIS, 'ap-northeast-1')}|IAM.9")]["updatedReason"]
        == "Root MFA checked by audit"
    )
    assert (
        found[("eu-west-1", f"{standards_arn(CIS, 'eu-west-1')}|IAM.9")]["updatedReason"]
        == "Root MFA checked by audit"
    )


def test_single_region_aggregator_links_no_regions(run_program: Callable[..., Plan]) -> None:
    args = SecurityHubArgs(regions=["eu-west-1"], home_region="eu-west-1")
    plan = run_program(lambda: SecurityHub("hub", args))
    aggregator = plan.one("aws:securityhub/findingAggregator:FindingAggregator")
    assert aggregator.inputs["linkingMode"] == "NO_REGIONS"
    assert "specifiedRegions" not in aggregator.inputs
    assert plan.of_type(ASSOCIATION) == []


def test_centrally_managed_enables_the_hub_and_aggregator_only(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, centrally_managed=True)
    assert len(plan.of_type("aws:securityhub/account:Account")) == 3
    assert plan.of_type("aws:securityhub/standardsSubscription:StandardsSubscription") == []
    assert plan.of_type(ASSOCIATION) == []
    assert plan.one("aws:securityhub/findingAggregator:FindingAggregator")


def test_enum_members_and_the_component_providers_mapping(
    run_program: Callable[..., Plan],
) -> None:
    args: Any = {
        "regions": ["us-east-1"],
        "home_region": "us-east-1",
        "standards": [SecurityStandard.PCI_DSS_V4_0_1],
    }
    plan = run_program(lambda: SecurityHub("hub", args))
    subscription = plan.one("aws:securityhub/standardsSubscription:StandardsSubscription")
    assert subscription.inputs["standardsArn"] == standards_arn("pci-dss-v4.0.1", "us-east-1")
    assert subscription.name == "hub-pci-dss-v4.0.1-us-east-1"


def test_from_config() -> None:
    args = SecurityHubArgs.from_config(
        "securityHub",
        {"standards": [FSBP], "disabledControls": {FSBP: {"EC2.10": "by design"}}},
        regions=["us-east-1"],
        home_region="us-east-1",
    )
    assert args.standards == [SecurityStandard.AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES]
    assert args.disabled_controls == {FSBP: {"EC2.10": "by design"}}
    assert SecurityHubArgs.from_config(
        "securityHub", {}, regions=["us-east-1"], home_region="us-east-1"
    ) == SecurityHubArgs(regions=["us-east-1"], home_region="us-east-1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"standards": ["cis-1.2.0"]}, "standards[0]: expected 'aws-foundational"),
        ({"standards": []}, "standards: expected a non-empty list"),
        ({"standards": [FSBP, FSBP]}, "standards: a standard is listed twice"),
        (
            {"standards": [FSBP], "disabled_controls": {CIS: {"IAM.1": "x"}}},
            f"disabled_controls: '{CIS}' is not one of the subscribed standards",
        ),
        (
            {"disabled_controls": {FSBP: {"iam one": "x"}}},
            f"disabled_controls.{FSBP}: 'iam one' is not a control id",
        ),
        (
            {"disabled_controls": {FSBP: {"IAM.1": ""}}},
            f"disabled_controls.{FSBP}.IAM.1: a reason is required",
        ),
        ({"home_region": "eu-west-1"}, "home_region: 'eu-west-1' is not one of the regions"),
        ({"regions": ["moon-1"]}, "regions: unknown AWS region 'moon-1'"),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SecurityHubArgs(**{"regions": ["us-east-1"], "home_region": "us-east-1", **kwargs})
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"standards": ["cis-1.2.0"]}, "securityHub.standards[0]: expected 'aws-foundational"),
        ({"standards": "cis"}, "securityHub.standards: 'str' instances are not allowed"),
        ({"standards": []}, "securityHub.standards: expected a non-empty list"),
        ({"standards": [FSBP, FSBP]}, "securityHub.standards: a standard is listed twice"),
        (
            {"disabledControls": {CIS: {"IAM.1": "x"}}, "standards": [FSBP]},
            f"securityHub.disabledControls: '{CIS}' is not one of the subscribed standards",
        ),
        (
            {"disabledControls": {FSBP: {"iam one": "x"}}},
            f"securityHub.disabledControls.{FSBP}: 'iam one' is not a control id",
        ),
        (
            {"disabledControls": {FSBP: {"IAM.1": " "}}},
            f"securityHub.disabledControls.{FSBP}.IAM.1: a reason is required",
        ),
        ({"aggregateFindings": "x"}, "securityHub.aggregateFindings: expected a valid boolean"),
        ({"extra": 1}, "securityHub.extra: unknown option"),
        ({"globalControlsHomeOnly": []}, "securityHub.globalControlsHomeOnly: expected"),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SecurityHubArgs.from_config(
            "securityHub", section, regions=["us-east-1"], home_region="us-east-1"
        )
    assert str(err.value).startswith(message)
