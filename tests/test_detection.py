"""Intermediate tier detection part: complete per-region coverage and routes to the topic."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan, RecordedResource
from tests.event_routes import matches, reaches_topic, rules_in, security_hub_home

FIXTURES = Path(__file__).parent / "fixtures" / "events"
TOPIC = "aws:sns/topic:Topic"
REGION_SETS = {
    1: ["ap-northeast-1"],
    3: ["ap-northeast-1", "us-east-1", "eu-west-1"],
    5: ["ap-northeast-1", "us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"],
}


def paging_topic(plan: Plan) -> RecordedResource:
    """The paging topic (the digest topic is the other one)."""
    (topic,) = [t for t in plan.of_type(TOPIC) if t.name == "security-notifications-topic"]
    return topic


def event(name: str, region: str) -> dict[str, Any]:
    """A documented sample event, moved to ``region``."""
    sample: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    out = copy.deepcopy(sample)
    out["region"] = region
    if isinstance(out["detail"], dict) and "region" in out["detail"]:
        out["detail"]["region"] = region
    return out


# One worker plans the region sets once for the whole module (pytest-xdist --dist loadgroup).
pytestmark = pytest.mark.xdist_group("detection-region-sets")


@pytest.fixture(scope="module")
def plans() -> dict[int, Plan]:
    from tests.conftest import BASE_CONFIG, cached_plan

    return {
        n: cached_plan(
            {
                **BASE_CONFIG,
                "tier": "intermediate",
                "homeRegion": "ap-northeast-1",
                "detectionRegions": regions,
            }
        )
        for n, regions in REGION_SETS.items()
    }


@pytest.mark.parametrize("count", sorted(REGION_SETS))
def test_one_of_each_per_region_and_one_aggregator(plans: dict[int, Plan], count: int) -> None:
    plan = plans[count]
    regions = sorted(REGION_SETS[count])
    for token in (
        "aws:guardduty/detector:Detector",
        "aws:securityhub/account:Account",
        "aws:accessanalyzer/analyzer:Analyzer",
    ):
        found = sorted(plan.region_of(r) or "" for r in plan.of_type(token))
        assert found == regions, token
    aggregator = plan.one("aws:securityhub/findingAggregator:FindingAggregator")
    assert plan.region_of(aggregator) == "ap-northeast-1"
    linked = sorted(r for r in regions if r != "ap-northeast-1")
    if linked:
        assert aggregator.inputs["linkingMode"] == "SPECIFIED_REGIONS"
        assert sorted(aggregator.inputs["specifiedRegions"]) == linked
    else:
        assert aggregator.inputs["linkingMode"] == "NO_REGIONS"
    exports = sorted(
        plan.region_of(r) or ""
        for r in plan.of_type("aws:guardduty/publishingDestination:PublishingDestination")
    )
    assert exports == regions
    assert sorted(t.name for t in plan.of_type(TOPIC)) == [
        "security-notifications-digest-topic",
        "security-notifications-topic",
    ]
    graphs = sorted(plan.region_of(r) or "" for r in plan.of_type("aws:detective/graph:Graph"))
    assert graphs == regions  # S-20: a graph wherever GuardDuty raises findings


@pytest.mark.parametrize("count", sorted(REGION_SETS))
def test_findings_from_every_region_reach_the_topic(plans: dict[int, Plan], count: int) -> None:
    plan = plans[count]
    topic_arn = paging_topic(plan).outputs["arn"]
    for region in REGION_SETS[count]:
        for name in ("guardduty_finding", "access_analyzer_finding", "root_console_signin"):
            hops = reaches_topic(plan, event(name, region), topic_arn)
            assert hops, f"{name} raised in {region} does not reach the topic"
            if region != "ap-northeast-1":
                assert hops[0].startswith(f"{region}:"), hops
                assert ":events:ap-northeast-1:" in hops[0], hops
        # Security Hub: the aggregator brings the finding home, where a rule sends it on.
        home = security_hub_home(plan, region)
        assert home == "ap-northeast-1", f"Security Hub findings in {region} are not aggregated"
        assert reaches_topic(plan, event("securityhub_findings_imported", home), topic_arn)


def test_root_sign_ins_in_us_east_1_are_forwarded_when_it_is_not_a_detection_region(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(
        tier="intermediate", homeRegion="ap-northeast-1", detectionRegions=["ap-northeast-1"]
    )
    topic_arn = paging_topic(plan).outputs["arn"]
    assert reaches_topic(plan, event("root_console_signin", "us-east-1"), topic_arn)
    # Only the sign-in route exists there: no detectors, so no other forwarding.
    assert [r.name for r in rules_in(plan, "us-east-1")] == [
        "security-notifications-rootsignin-forward-us-east-1"
    ]
    assert len(plan.of_type("aws:guardduty/detector:Detector")) == 1


def test_each_source_is_routed_once(plans: dict[int, Plan]) -> None:
    plan = plans[5]
    home = "ap-northeast-1"
    # Other consumers (incident response) may match the same events; the notification
    # routes must match each source once.
    notifications = plan.one("secbaseline:index:SecurityNotifications").urn
    for region in REGION_SETS[5]:
        for name in (
            "guardduty_finding",
            "access_analyzer_finding",
            "root_console_signin",
            "securityhub_findings_imported",
        ):
            sample = event(name, region)
            local = [
                r
                for r in rules_in(plan, region)
                if r.parent == notifications
                and "eventPattern" in r.inputs  # not the digest schedule
                and not r.name.split("-forward-")[0].endswith("-low")  # the digest's share
                and matches(json.loads(r.inputs["eventPattern"]), sample)
            ]
            expected = 0 if (name == "securityhub_findings_imported" and region != home) else 1
            assert len(local) == expected, (name, region, [r.name for r in local])
    # Security Hub's copies of GuardDuty and Access Analyzer findings are not sent again.
    copy_event = event("securityhub_findings_imported", home)
    for finding in copy_event["detail"]["findings"]:
        finding["ProductName"] = "GuardDuty"
    assert not [
        r
        for r in rules_in(plan, home)
        if r.parent == notifications
        and "eventPattern" in r.inputs
        and matches(json.loads(r.inputs["eventPattern"]), copy_event)
    ]


def test_topic_arn_is_handed_to_other_parts() -> None:
    import pulumi

    from secbaseline.baseline.engine import run
    from secbaseline.baseline.settings import settings_from_config
    from secbaseline.stacks import program

    seen: list[str] = []

    def main() -> None:
        settings = settings_from_config(
            {
                "tier": "intermediate",
                "homeRegion": "us-east-1",
                "detectionRegions": ["us-east-1"],
                "notificationEmails": ["security@example.com"],
            }
        )
        ctx = program.build(settings)
        assert ctx.notification_topic_arn is not None
        ctx.notification_topic_arn.apply(seen.append)
        pulumi.export("topic", ctx.notification_topic_arn)

    plan = run(main, project="secbaseline", stack="test")
    assert seen == [paging_topic(plan).outputs["arn"]]
    assert seen[0].startswith("arn:aws:sns:us-east-1:")


def test_detection_config_sections_are_validated(plan_tier: Callable[..., Plan]) -> None:
    with pytest.raises(ValueError, match=r"^threatDetection.findingPublishingFrequency"):
        plan_tier(tier="intermediate", threatDetection={"findingPublishingFrequency": "DAILY"})
    with pytest.raises(ValueError, match=r"^securityHub.standards\[0\]: expected .* got 'cis-1.2'"):
        plan_tier(tier="intermediate", securityHub={"standards": ["cis-1.2"]})
    with pytest.raises(ValueError, match=r"^notifications.slack.channelId"):
        plan_tier(
            tier="intermediate",
            notifications={"slack": {"workspaceId": "T01234567", "channelId": "general"}},
        )
    with pytest.raises(ValueError, match=r"^accessAnalysis.bogus: unknown option"):
        plan_tier(tier="intermediate", accessAnalysis={"bogus": 1})
    with pytest.raises(ValueError, match=r"^investigation.allRegions: expected a valid boolean"):
        plan_tier(tier="intermediate", investigation={"allRegions": "maybe"})


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("threatDetection", "regions", ["us-east-1"]),
        ("securityHub", "centrallyManaged", True),
        ("accessAnalysis", "namePrefix", "other"),
        ("notifications", "emails", ["someone@example.com"]),
        ("investigation", "homeRegion", "us-east-1"),
    ],
)
def test_values_the_tier_sets_are_refused_in_sections(
    plan_tier: Callable[..., Plan], section: str, key: str, value: object
) -> None:
    """A valid value is refused all the same: the tier owns the key (an invalid one is refused
    earlier, for its value, before anything is built)."""
    with pytest.raises(ValueError, match=rf"^{section}.{key}: set by the tier"):
        plan_tier(tier="intermediate", **{section: {key: value}})


def test_component_tags_and_key_options_from_config(plan_tier: Callable[..., Plan]) -> None:
    key = "arn:aws:kms:ap-northeast-1:111111111111:key/abc"
    plan = plan_tier(
        tier="intermediate",
        notifications={"kmsKeyArn": key, "guardDutyMinSeverity": "MEDIUM"},
        investigation={"tags": {"graph": "yes"}},
    )
    assert paging_topic(plan).inputs["kmsMasterKeyId"] == key
    graphs = plan.of_type("aws:detective/graph:Graph")
    assert len(graphs) == 3 and all(g.inputs["tags"]["graph"] == "yes" for g in graphs)


def test_route_helper_notices_a_missing_hop(plans: dict[int, Plan]) -> None:
    """The coverage helper must fail when a region's forwarding target is missing."""
    from dataclasses import replace

    plan = plans[3]
    topic_arn = paging_topic(plan).outputs["arn"]
    assert reaches_topic(plan, event("guardduty_finding", "eu-west-1"), topic_arn)
    broken = replace(
        plan,
        resources=[
            r
            for r in plan.resources
            if not (r.type.endswith(":EventTarget") and plan.region_of(r) == "eu-west-1")
        ],
    )
    assert reaches_topic(broken, event("guardduty_finding", "eu-west-1"), topic_arn) == []
    assert reaches_topic(broken, event("guardduty_finding", "us-east-1"), topic_arn)
    # A finding below the threshold has no route at all.
    low = event("guardduty_finding", "ap-northeast-1")
    low["detail"]["severity"] = 5.0
    assert reaches_topic(plan, low, topic_arn) == []
