"""ThreatDetection (S-16): GuardDuty everywhere, switchable plans, encrypted findings export."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components.threat_detection import (
    FEATURES,
    ThreatDetection,
    ThreatDetectionArgs,
    ThreatList,
)

REGIONS = ("ap-northeast-1", "us-east-1", "eu-west-1")
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    args = ThreatDetectionArgs(
        regions=REGIONS, home_region="ap-northeast-1", account_id="111111111111", **kwargs
    )
    return run_program(lambda: ThreatDetection("td", args))


def test_defaults(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    detectors = plan.of_type("aws:guardduty/detector:Detector")
    assert sorted(plan.region_of(d) or "" for d in detectors) == sorted(REGIONS)
    for detector in detectors:
        assert detector.inputs["enable"] is True
        assert detector.inputs["findingPublishingFrequency"] == "FIFTEEN_MINUTES"
        assert "datasources" not in detector.inputs  # deprecated: features are used instead
        region = plan.region_of(detector)
        features = {
            f.inputs["name"]: f
            for f in plan.of_type(FEATURE)
            if plan.region_of(f) == region and f.inputs["detectorId"] == detector.id
        }
        assert sorted(features) == sorted(FEATURES.values())
        assert {f.inputs["status"] for f in features.values()} == {"ENABLED"}
        runtime = features["RUNTIME_MONITORING"].inputs["additionalConfigurations"]
        assert runtime == [
            {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"},
            {"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "ENABLED"},
            {"name": "EC2_AGENT_MANAGEMENT", "status": "ENABLED"},
        ]

    # One bucket and one key, both in the home region; every region exports to them.
    bucket = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "td-findings-bucket")
    key = plan.one("aws:kms/key:Key")
    assert plan.region_of(bucket) == plan.region_of(key) == "ap-northeast-1"
    destinations = plan.of_type("aws:guardduty/publishingDestination:PublishingDestination")
    assert sorted(plan.region_of(d) or "" for d in destinations) == sorted(REGIONS)
    for destination in destinations:
        assert destination.inputs["destinationArn"] == bucket.outputs["arn"]
        assert destination.inputs["kmsKeyArn"] == key.outputs["arn"]
        assert destination.inputs["destinationType"] == "S3"

    detector_arns = sorted(d.outputs["arn"] for d in detectors)
    policy = json.loads(
        next(
            r
            for r in plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
            if r.name == "td-findings-policy"
        ).inputs["policy"]
    )
    by_sid = {s.get("Sid"): s for s in policy["Statement"]}
    location = by_sid["AllowGuardDutyGetBucketLocation"]
    assert location["Principal"] == {"Service": "guardduty.amazonaws.com"}
    assert location["Action"] == "s3:GetBucketLocation"
    assert location["Resource"] == bucket.outputs["arn"]
    put = by_sid["AllowGuardDutyPutObject"]
    assert put["Action"] == "s3:PutObject"
    assert put["Resource"] == f"{bucket.outputs['arn']}/*"
    for statement in (location, put):
        condition = statement["Condition"]["StringEquals"]
        assert condition["aws:SourceAccount"] == "111111111111"
        assert sorted(condition["aws:SourceArn"]) == detector_arns
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"

    key_policy = json.loads(key.inputs["policy"])
    grant = next(
        s for s in key_policy["Statement"] if s.get("Sid") == "AllowGuardDutyEncryptFindings"
    )
    assert grant["Action"] == "kms:GenerateDataKey"
    assert grant["Principal"] == {"Service": "guardduty.amazonaws.com"}
    assert sorted(grant["Condition"]["StringEquals"]["aws:SourceArn"]) == detector_arns


def test_features_switch_individually(run_program: Callable[..., Plan]) -> None:
    features = dict.fromkeys(FEATURES, True)
    features["ebsMalwareProtection"] = False
    plan = build(
        run_program,
        features=features,
        runtime_agents={"eks": True, "ecsFargate": False, "ec2": True},
        finding_publishing_frequency="ONE_HOUR",
        export_findings=False,
    )
    statuses = {
        (plan.region_of(f), f.inputs["name"]): f.inputs["status"] for f in plan.of_type(FEATURE)
    }
    for region in REGIONS:
        assert statuses[(region, "EBS_MALWARE_PROTECTION")] == "DISABLED"
        assert statuses[(region, "S3_DATA_EVENTS")] == "ENABLED"
    runtime = next(f for f in plan.of_type(FEATURE) if f.inputs["name"] == "RUNTIME_MONITORING")
    assert {"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "DISABLED"} in runtime.inputs[
        "additionalConfigurations"
    ]
    assert {
        d.inputs["findingPublishingFrequency"]
        for d in plan.of_type("aws:guardduty/detector:Detector")
    } == {"ONE_HOUR"}
    assert plan.of_type("aws:guardduty/publishingDestination:PublishingDestination") == []
    assert plan.of_type("aws:s3/bucket:Bucket") == []


def test_runtime_agents_follow_runtime_monitoring(run_program: Callable[..., Plan]) -> None:
    features = dict.fromkeys(FEATURES, True)
    features["runtimeMonitoring"] = False
    plan = build(run_program, features=features, export_findings=False)
    runtime = next(f for f in plan.of_type(FEATURE) if f.inputs["name"] == "RUNTIME_MONITORING")
    assert runtime.inputs["status"] == "DISABLED"
    assert {c["status"] for c in runtime.inputs["additionalConfigurations"]} == {"DISABLED"}


def test_trusted_and_threat_lists_in_every_region(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        export_findings=False,
        trusted_ip_lists=[ThreatList("office", "https://b.s3.amazonaws.com/trusted.txt")],
        threat_intel_sets=[ThreatList("feed", "https://b.s3.amazonaws.com/bad.csv", "OTX_CSV")],
    )
    ip_sets = plan.of_type("aws:guardduty/iPSet:IPSet")
    intel = plan.of_type("aws:guardduty/threatIntelSet:ThreatIntelSet")
    assert sorted(plan.region_of(r) or "" for r in ip_sets) == sorted(REGIONS)
    assert sorted(plan.region_of(r) or "" for r in intel) == sorted(REGIONS)
    assert {r.inputs["format"] for r in intel} == {"OTX_CSV"}
    assert all(r.inputs["activate"] is True for r in ip_sets + intel)


def test_from_config() -> None:
    args = ThreatDetectionArgs.from_config(
        {
            "findingPublishingFrequency": "SIX_HOURS",
            "features": {"lambdaNetworkLogs": False},
            "runtimeAgents": {"ec2": False},
            "threatIntelSets": [{"name": "feed", "location": "https://x.s3.amazonaws.com/a"}],
        }
    )
    assert args.finding_publishing_frequency == "SIX_HOURS"
    assert args.features["lambdaNetworkLogs"] is False and args.features["s3DataEvents"] is True
    assert args.runtime_agents == {"eks": True, "ecsFargate": True, "ec2": False}
    assert args.threat_intel_sets[0].format == "TXT"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"findingPublishingFrequency": "ONE_DAY"},
            "threatDetection.findingPublishingFrequency: 'ONE_DAY' is not one of FIFTEEN_MINUTES",
        ),
        ({"features": {"dnsLogs": True}}, "threatDetection.features.dnsLogs: unknown option"),
        ({"features": {"s3DataEvents": "on"}}, "threatDetection.features.s3DataEvents: expected"),
        ({"runtimeAgents": {"k8s": True}}, "threatDetection.runtimeAgents.k8s: unknown option"),
        ({"findingsRetentionDays": 0}, "threatDetection.findingsRetentionDays: 0 is out of range"),
        (
            {"threatIntelSets": [{"name": "x", "location": "s3://b/k"}]},
            "threatDetection.threatIntelSets[0].location: 's3://b/k' must be an https://",
        ),
        (
            {"trustedIpLists": [{"name": "x", "location": "https://b/k", "format": "XML"}]},
            "threatDetection.trustedIpLists[0].format: 'XML' is not one of",
        ),
        ({"exportFindings": "yes"}, "threatDetection.exportFindings: expected true or false"),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        ThreatDetectionArgs.from_config(section).validate()
    assert str(err.value).startswith(message)


def test_bad_args() -> None:
    with pytest.raises(ValueError, match=r"^threatDetection.regions: must include the home"):
        ThreatDetectionArgs(regions=["us-east-1"], home_region="eu-west-1").validate()
    with pytest.raises(ValueError, match=r"^threatDetection.trustedIpLists: GuardDuty allows one"):
        ThreatDetectionArgs(
            regions=["us-east-1"],
            home_region="us-east-1",
            trusted_ip_lists=[ThreatList("a", "https://a"), ThreatList("b", "https://b")],
        ).validate()
