"""ThreatDetection (S-16): GuardDuty everywhere, switchable plans, encrypted findings export."""

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components.threat_detection import (
    FEATURES,
    GuardDutyFeatures,
    PublishingFrequency,
    RuntimeAgents,
    ThreatDetection,
    ThreatDetectionArgs,
    ThreatList,
    ThreatListFormat,
)
from tests.tagging import untagged

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
        # Every plan on but Runtime Monitoring (opt-in, as in OrganizationDetection).
        assert {n: f.inputs["status"] for n, f in features.items()} == {
            n: "DISABLED" if n == "RUNTIME_MONITORING" else "ENABLED" for n in FEATURES.values()
        }
        runtime = features["RUNTIME_MONITORING"].inputs["additionalConfigurations"]
        assert runtime == [
            {"name": "EKS_ADDON_MANAGEMENT", "status": "DISABLED"},
            {"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "DISABLED"},
            {"name": "EC2_AGENT_MANAGEMENT", "status": "DISABLED"},
        ]

    # One bucket and one key, both in the home region; every region exports to them.
    bucket = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "td-findings-bucket")
    assert bucket.inputs["bucketPrefix"] == "secbaseline-findings-"
    assert bucket.inputs["objectLockEnabled"] is True
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["bucket"] == bucket.id
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 365}
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
    plan = build(
        run_program,
        features=GuardDutyFeatures(ebs_malware_protection=False),
        runtime_agents=RuntimeAgents(ecs_fargate=False),
        finding_publishing_frequency=PublishingFrequency.ONE_HOUR,
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


def test_runtime_monitoring_is_opt_in(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program, features=GuardDutyFeatures(runtime_monitoring=True), export_findings=False
    )
    runtime = [f for f in plan.of_type(FEATURE) if f.inputs["name"] == "RUNTIME_MONITORING"]
    assert len(runtime) == len(REGIONS)
    for feature in runtime:
        assert feature.inputs["status"] == "ENABLED"
        assert {c["status"] for c in feature.inputs["additionalConfigurations"]} == {"ENABLED"}


def test_findings_lock_opt_out_and_name_prefix(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, findings_object_lock_days=None, name_prefix="acme")
    assert not plan.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    bucket = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "td-findings-bucket")
    assert "objectLockEnabled" not in bucket.inputs or not bucket.inputs["objectLockEnabled"]
    assert bucket.outputs["bucket"].startswith("acme-findings-")
    logs = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name != "td-findings-bucket")
    assert logs.outputs["bucket"].startswith("acme-findings-logs-")


def test_runtime_agents_follow_runtime_monitoring(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program, features=GuardDutyFeatures(runtime_monitoring=False), export_findings=False
    )
    runtime = next(f for f in plan.of_type(FEATURE) if f.inputs["name"] == "RUNTIME_MONITORING")
    assert runtime.inputs["status"] == "DISABLED"
    assert {c["status"] for c in runtime.inputs["additionalConfigurations"]} == {"DISABLED"}


def test_trusted_and_threat_lists_in_every_region(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        export_findings=False,
        trusted_ip_lists=[
            ThreatList(name="office", location="https://b.s3.amazonaws.com/trusted.txt")
        ],
        threat_intel_sets=[
            ThreatList(
                name="feed",
                location="https://b.s3.amazonaws.com/bad.csv",
                format=ThreatListFormat.OTX_CSV,
            )
        ],
    )
    ip_sets = plan.of_type("aws:guardduty/iPSet:IPSet")
    intel = plan.of_type("aws:guardduty/threatIntelSet:ThreatIntelSet")
    assert sorted(plan.region_of(r) or "" for r in ip_sets) == sorted(REGIONS)
    assert sorted(plan.region_of(r) or "" for r in intel) == sorted(REGIONS)
    assert {r.inputs["format"] for r in intel} == {"OTX_CSV"}
    assert all(r.inputs["activate"] is True for r in ip_sets + intel)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    tags = {"team": "security"}
    plan = build(
        run_program,
        tags=tags,
        trusted_ip_lists=[ThreatList(name="office", location="https://b.s3.amazonaws.com/t.txt")],
        threat_intel_sets=[ThreatList(name="feed", location="https://b.s3.amazonaws.com/b.txt")],
    )
    assert plan.of_type("aws:kms/key:Key") and len(plan.of_type("aws:s3/bucket:Bucket")) == 2
    assert untagged(plan, tags) == []


def test_given_key_creates_no_key(run_program: Callable[..., Plan]) -> None:
    key_arn = "arn:aws:kms:ap-northeast-1:111111111111:key/abc"
    plan = build(run_program, kms_key_arn=key_arn)
    assert plan.of_type("aws:kms/key:Key") == []
    destinations = plan.of_type("aws:guardduty/publishingDestination:PublishingDestination")
    assert {d.inputs["kmsKeyArn"] for d in destinations} == {key_arn}


def test_outputs_are_wired_and_checked_when_they_resolve(
    run_program: Callable[..., Plan],
) -> None:
    def good() -> None:
        key = aws.kms.Key("mine")
        bucket = aws.s3.Bucket("lists")
        location = pulumi.Output.concat("https://", bucket.bucket_regional_domain_name, "/t.txt")
        ThreatDetection(
            "td",
            ThreatDetectionArgs(
                regions=REGIONS,
                home_region="ap-northeast-1",
                account_id="111111111111",
                kms_key_arn=key.arn,
                threat_intel_sets=[ThreatList(name="feed", location=location)],
            ),
        )

    plan = run_program(good)
    key = plan.one("aws:kms/key:Key")
    destinations = plan.of_type("aws:guardduty/publishingDestination:PublishingDestination")
    assert {d.inputs["kmsKeyArn"] for d in destinations} == {key.outputs["arn"]}
    lists = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "lists")
    intel = plan.of_type("aws:guardduty/threatIntelSet:ThreatIntelSet")
    location = f"https://{lists.outputs['bucketRegionalDomainName']}/t.txt"
    assert {r.inputs["location"] for r in intel} == {location}

    def bad() -> None:
        topic = aws.sns.Topic("t")
        ThreatDetection(
            "td",
            ThreatDetectionArgs(
                regions=REGIONS, home_region="ap-northeast-1", kms_key_arn=topic.arn
            ),
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(bad)
    assert "kms_key_arn: 'arn:aws:sns:" in str(err.value)
    assert "is not an ARN of service 'kms'" in str(err.value)


def test_the_component_providers_mapping(run_program: Callable[..., Plan]) -> None:
    args: Any = {
        "regions": ["us-east-1"],
        "home_region": "us-east-1",
        "features": {"s3_data_events": False},
        "export_findings": False,
    }
    plan = run_program(lambda: ThreatDetection("td", args))
    s3 = next(f for f in plan.of_type(FEATURE) if f.inputs["name"] == "S3_DATA_EVENTS")
    assert s3.inputs["status"] == "DISABLED"


def test_from_config() -> None:
    args = ThreatDetectionArgs.from_config(
        "threatDetection",
        {
            "findingPublishingFrequency": "SIX_HOURS",
            "features": {"lambdaNetworkLogs": False},
            "runtimeAgents": {"ec2": False},
            "threatIntelSets": [{"name": "feed", "location": "https://x.s3.amazonaws.com/a"}],
        },
        regions=["us-east-1"],
        home_region="us-east-1",
    )
    assert args.finding_publishing_frequency == PublishingFrequency.SIX_HOURS
    assert args.features == GuardDutyFeatures(lambda_network_logs=False)
    assert args.runtime_agents == RuntimeAgents(ec2=False)
    assert args.threat_intel_sets[0].format == ThreatListFormat.TXT
    assert set(FEATURES) == set(GuardDutyFeatures.__dataclass_fields__)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"findingPublishingFrequency": "ONE_DAY"},
            "threatDetection.findingPublishingFrequency: expected 'FIFTEEN_MINUTES', 'ONE_HOUR'",
        ),
        ({"features": {"dnsLogs": True}}, "threatDetection.features.dnsLogs: unknown option"),
        (
            {"features": {"s3DataEvents": "maybe"}},
            "threatDetection.features.s3DataEvents: expected a valid boolean",
        ),
        ({"runtimeAgents": {"k8s": True}}, "threatDetection.runtimeAgents.k8s: unknown option"),
        ({"findingsRetentionDays": 0}, "threatDetection.findingsRetentionDays: 0 is out of range"),
        (
            {"threatIntelSets": [{"name": "x", "location": "s3://b/k"}]},
            "threatDetection.threatIntelSets[0].location: 's3://b/k' must be an https://",
        ),
        (
            {"trustedIpLists": [{"name": "x", "location": "https://b/k", "format": "XML"}]},
            "threatDetection.trustedIpLists[0].format: expected 'TXT'",
        ),
        (
            {
                "trustedIpLists": [
                    {"name": "a", "location": "https://a"},
                    {"name": "b", "location": "https://b"},
                ]
            },
            "threatDetection.trustedIpLists: GuardDuty allows one trusted IP list per detector",
        ),
        ({"exportFindings": "maybe"}, "threatDetection.exportFindings: expected a valid boolean"),
        ({"kmsKeyArn": "arn:aws:s3:::x"}, "threatDetection.kmsKeyArn: 'arn:aws:s3:::x' is not"),
        ({"threatIntelSets": [{"location": "https://a"}]}, "threatDetection.threatIntelSets[0]"),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ThreatDetectionArgs.from_config(
            "threatDetection", section, regions=["us-east-1"], home_region="us-east-1"
        )
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"home_region": "eu-west-1"}, "home_region: 'eu-west-1' is not one of the regions"),
        (
            {
                "trusted_ip_lists": [
                    ThreatList(name="a", location="https://a"),
                    ThreatList(name="b", location="https://b"),
                ]
            },
            "trusted_ip_lists: GuardDuty allows one trusted IP list per detector",
        ),
        ({"finding_publishing_frequency": "DAILY"}, "finding_publishing_frequency: expected"),
        ({"findings_retention_days": 4000}, "findings_retention_days: 4000 is out of range"),
        ({"account_id": "12"}, "account_id: '12' is not a 12-digit AWS account id"),
        ({"kms_key_arn": "key"}, "kms_key_arn: 'key' is not an ARN"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x'"),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ThreatDetectionArgs(**{"regions": ["us-east-1"], "home_region": "us-east-1", **kwargs})
    assert str(err.value).startswith(message)


def test_bad_list_args() -> None:
    with pytest.raises(ArgumentError, match=r"^location: 's3://b/k' must be an https://"):
        ThreatList(name="x", location="s3://b/k")
    with pytest.raises(ArgumentError, match=r"^name: must be 1-300 characters"):
        ThreatList(name="", location="https://b/k")


def test_findings_lock_config_null_opts_out_and_bad_days_are_refused() -> None:
    home = {"regions": ["ap-northeast-1"], "home_region": "ap-northeast-1"}
    args = ThreatDetectionArgs.from_config(
        "threatDetection", {"findingsObjectLockDays": None}, **home
    )
    assert args.findings_object_lock_days is None
    assert (
        ThreatDetectionArgs.from_config("threatDetection", {}, **home).findings_object_lock_days
        == 365
    )
    with pytest.raises(
        ArgumentError, match=r"threatDetection.findingsObjectLockDays: 0 is out of range 1-36500"
    ):
        ThreatDetectionArgs.from_config("threatDetection", {"findingsObjectLockDays": 0}, **home)
