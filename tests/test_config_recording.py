"""ConfigRecording (S-15): a started recorder per region, global types only at home."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components import (
    ConfigRecording,
    ConfigRecordingArgs,
    RecordingFrequency,
    RecordingOverride,
    SnapshotFrequency,
)
from secbaseline.components.config_recording import GLOBAL_IAM_TYPES

REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")
HOME = "ap-northeast-1"
ACCOUNT = "111111111111"
SERVICE_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
)


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        ConfigRecording(
            "recording",
            ConfigRecordingArgs(
                **{"regions": REGIONS, "home_region": HOME, "account_id": ACCOUNT, **kwargs}
            ),
        )

    return run_program(program)


def by_region(plan: Plan, token: str) -> dict[str, Any]:
    return {r.inputs["region"]: r for r in plan.of_type(token)}


def test_recorder_channel_and_status_in_every_region(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    recorders = by_region(plan, "aws:cfg/recorder:Recorder")
    channels = by_region(plan, "aws:cfg/deliveryChannel:DeliveryChannel")
    statuses = by_region(plan, "aws:cfg/recorderStatus:RecorderStatus")
    assert sorted(recorders) == sorted(channels) == sorted(statuses) == list(REGIONS)
    bucket = next(
        r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name.endswith("delivery-bucket")
    )
    key = plan.one("aws:kms/key:Key")
    for region in REGIONS:
        assert recorders[region].inputs["roleArn"] == SERVICE_ROLE
        assert recorders[region].inputs["name"] == "secbaseline-recorder"
        assert recorders[region].inputs["recordingMode"] == {"recordingFrequency": "CONTINUOUS"}
        # One bucket and key in the home region receive every region's delivery.
        assert channels[region].inputs["s3BucketName"] == bucket.id
        assert channels[region].inputs["s3KmsKeyArn"] == key.outputs["arn"]
        assert channels[region].inputs["snapshotDeliveryProperties"] == {
            "deliveryFrequency": "TwentyFour_Hours"
        }
        assert statuses[region].inputs == {
            "name": "secbaseline-recorder",
            "isEnabled": True,
            "region": region,
        }
    assert bucket.inputs["region"] == HOME
    assert key.inputs["region"] == HOME
    slr = plan.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert slr.inputs["awsServiceName"] == "config.amazonaws.com"
    component = plan.one("secbaseline:index:ConfigRecording")
    assert {r.urn for r in plan.descendants(component.urn)} >= {
        r.urn for r in plan.custom_resources() if r.type.startswith("aws:cfg")
    }


def test_global_types_are_recorded_only_in_the_home_region(
    run_program: Callable[..., Plan],
) -> None:
    recorders = by_region(build(run_program), "aws:cfg/recorder:Recorder")
    home = recorders[HOME].inputs["recordingGroup"]
    assert home["allSupported"] is True
    assert home["includeGlobalResourceTypes"] is True
    assert home["recordingStrategies"] == [{"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}]
    for region in set(REGIONS) - {HOME}:
        group = recorders[region].inputs["recordingGroup"]
        assert group["allSupported"] is False
        assert group["includeGlobalResourceTypes"] is False
        assert group["recordingStrategies"] == [{"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}]
        assert group["exclusionByResourceTypes"] == [{"resourceTypes": list(GLOBAL_IAM_TYPES)}]
    assert set(GLOBAL_IAM_TYPES) == {
        "AWS::IAM::User",
        "AWS::IAM::Group",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
    }


def test_bucket_and_key_policies_let_config_deliver(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    bucket = next(
        r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name.endswith("delivery-bucket")
    )
    arn = f"arn:aws:s3:::{bucket.id}"
    policy = next(
        r
        for r in plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.name == "recording-delivery-policy"
    )
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    acl = statements["AWSConfigBucketPermissionsCheck"]
    assert (acl["Principal"], acl["Action"], acl["Resource"]) == (
        {"Service": "config.amazonaws.com"},
        "s3:GetBucketAcl",
        arn,
    )
    assert acl["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert statements["AWSConfigBucketExistenceCheck"]["Action"] == "s3:ListBucket"
    put = statements["AWSConfigBucketDelivery"]
    assert put["Action"] == "s3:PutObject"
    assert put["Resource"] == f"{arn}/AWSLogs/{ACCOUNT}/Config/*"
    assert put["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": ACCOUNT}
    }
    key_statements = {
        s["Sid"]: s for s in json.loads(plan.one("aws:kms/key:Key").inputs["policy"])["Statement"]
    }
    config = key_statements["AllowConfigDelivery"]
    assert config["Principal"] == {"Service": "config.amazonaws.com"}
    assert sorted(config["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert config["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_daily_recording_with_an_override(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        recording_frequency="DAILY",
        recording_overrides=[
            RecordingOverride(
                ("AWS::EC2::SecurityGroup",), frequency="CONTINUOUS", description="drift"
            )
        ],
        snapshot_frequency="Six_Hours",
    )
    for recorder in plan.of_type("aws:cfg/recorder:Recorder"):
        assert recorder.inputs["recordingMode"] == {
            "recordingFrequency": "DAILY",
            "recordingModeOverride": {
                "recordingFrequency": "CONTINUOUS",
                "resourceTypes": ["AWS::EC2::SecurityGroup"],
                "description": "drift",
            },
        }
    channel = plan.of_type("aws:cfg/deliveryChannel:DeliveryChannel")[0]
    assert channel.inputs["snapshotDeliveryProperties"] == {"deliveryFrequency": "Six_Hours"}


def test_control_tower_managed_recorders_create_nothing(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, manage_recorders=False)
    assert plan.custom_resources() == []


def test_existing_service_linked_role_is_not_created(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, create_service_linked_role=False)
    assert plan.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    assert len(plan.of_type("aws:cfg/recorder:Recorder")) == len(REGIONS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ()}, "regions: must name at least one region"),
        ({"regions": ["moon-1"]}, "regions: unknown AWS region 'moon-1'"),
        ({"home_region": "sa-east-1"}, "home_region: sa-east-1 is not one of the regions"),
        ({"recording_frequency": "HOURLY"}, "recording_frequency: expected 'CONTINUOUS' or"),
        ({"snapshot_frequency": "Daily"}, "snapshot_frequency: expected 'One_Hour', "),
        ({"account_id": "123"}, "account_id: '123' is not a 12-digit"),
        ({"name_prefix": "Bad_Prefix"}, "name_prefix: 'Bad_Prefix' must be 2-24 characters"),
        ({"kms_key_arn": "arn:aws:s3:::x"}, "kms_key_arn: 'arn:aws:s3:::x' is not an ARN of"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x' must be 1-128 characters"),
        (
            {"recording_overrides": [{"resource_types": ["EC2 instances"]}]},
            "recording_overrides[0].resource_types: 'EC2 instances' is not a resource type",
        ),
        (
            {"recording_overrides": [{"resource_types": []}]},
            "recording_overrides[0].resource_types: must list at least one",
        ),
        (
            {"recording_overrides": [{"resource_types": ["AWS::EC2::Instance"], "frequency": "X"}]},
            "recording_overrides[0].frequency: expected 'CONTINUOUS' or 'DAILY', got 'X'",
        ),
        (
            {
                "recording_overrides": [
                    RecordingOverride(("AWS::EC2::Instance",)),
                    RecordingOverride(("AWS::EC2::Volume",)),
                ]
            },
            "recording_overrides: pulumi-aws 7 takes one override block",
        ),
        (
            {
                "recording_overrides": [
                    RecordingOverride(("AWS::EC2::Instance", "AWS::EC2::Instance")),
                ]
            },
            "recording_overrides: AWS::EC2::Instance is overridden twice",
        ),
        ({"noncurrent_version_days": 0}, "noncurrent_version_days: 0 is out of range 1-3650"),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ConfigRecordingArgs(**{"regions": REGIONS, "home_region": HOME, **kwargs})
    assert str(err.value).startswith(message)


def test_bad_override() -> None:
    with pytest.raises(ArgumentError, match=r"^resource_types: 'EC2' is not a resource type"):
        RecordingOverride(resource_types=["EC2"])
    with pytest.raises(ArgumentError, match=r"^frequency: expected 'CONTINUOUS' or 'DAILY'"):
        RecordingOverride(resource_types=["AWS::EC2::Instance"], frequency="WEEKLY")  # type: ignore[arg-type]


def test_regions_are_required() -> None:
    with pytest.raises(ArgumentError, match=r"^regions: required; home_region: required$"):
        ConfigRecordingArgs()  # type: ignore[call-arg]


def test_from_config() -> None:
    args = ConfigRecordingArgs.from_config(
        "configRecording",
        {
            "recordingFrequency": "DAILY",
            "recordingOverrides": [
                {"resourceTypes": ["AWS::EC2::Instance"], "frequency": "CONTINUOUS"}
            ],
            "manageRecorders": False,
            "tags": {"team": "security"},
        },
        regions=REGIONS,
        home_region=HOME,
    )
    assert args.recording_frequency is RecordingFrequency.DAILY
    assert args.snapshot_frequency is SnapshotFrequency.TWENTY_FOUR_HOURS
    assert args.manage_recorders is False
    assert args.tags == {"team": "security"}
    assert args.recording_overrides == [
        RecordingOverride(["AWS::EC2::Instance"], RecordingFrequency.CONTINUOUS)
    ]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"allRegions": True}, "configRecording.allRegions: unknown option"),
        ({"recordingFrequency": "WEEKLY"}, "configRecording.recordingFrequency: expected"),
        ({"snapshotFrequency": "Daily"}, "configRecording.snapshotFrequency: expected"),
        ({"noncurrentVersionDays": 0}, "configRecording.noncurrentVersionDays: 0 is out of range"),
        ({"kmsKeyArn": "nope"}, "configRecording.kmsKeyArn: 'nope' is not an ARN"),
        (
            {"recordingOverrides": [{"resourceTypes": ["AWS::EC2::Instance"], "kind": "x"}]},
            "configRecording.recordingOverrides[0].kind: unknown option; allowed: resourceTypes",
        ),
        (
            {"recordingOverrides": [{"resourceTypes": ["EC2"]}]},
            "configRecording.recordingOverrides[0].resourceTypes: 'EC2' is not a resource type",
        ),
        (
            {"recordingOverrides": [{"resourceTypes": ["AWS::EC2::Instance"]}] * 2},
            "configRecording.recordingOverrides: pulumi-aws 7 takes one override block",
        ),
        ({"manageRecorders": "maybe"}, "configRecording.manageRecorders: expected a valid boolean"),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ConfigRecordingArgs.from_config(
            "configRecording", section, regions=REGIONS, home_region=HOME
        )
    assert str(err.value).startswith(message)


def test_home_region_outside_the_regions_names_the_config_key() -> None:
    with pytest.raises(ArgumentError, match=r"^configRecording.homeRegion: sa-east-1 is not one"):
        ConfigRecordingArgs.from_config(
            "configRecording", {}, regions=REGIONS, home_region="sa-east-1"
        )


def test_given_key_output_reaches_the_bucket_and_channels(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        key = aws.kms.Key("own-key")
        ConfigRecording(
            "recording",
            ConfigRecordingArgs(
                regions=REGIONS, home_region=HOME, account_id=ACCOUNT, kms_key_arn=key.arn
            ),
        )

    plan = run_program(program)
    key = plan.one("aws:kms/key:Key")  # only the given one: no key is created
    assert key.name == "own-key"
    for channel in plan.of_type("aws:cfg/deliveryChannel:DeliveryChannel"):
        assert channel.inputs["s3KmsKeyArn"] == key.outputs["arn"]
    sse = next(
        r
        for r in plan.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        if r.name == "recording-delivery-encryption"
    )
    default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default["kmsMasterKeyId"] == key.outputs["arn"]


def test_bad_key_output_fails_when_it_resolves(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        topic = aws.sns.Topic("topic")
        ConfigRecording(
            "recording",
            ConfigRecordingArgs(
                regions=REGIONS, home_region=HOME, account_id=ACCOUNT, kms_key_arn=topic.arn
            ),
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert "kms_key_arn: 'arn:aws:sns:" in str(err.value)
    assert "is not an ARN of service 'kms'" in str(err.value)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "security"})
    taggable = [
        r
        for r in plan.custom_resources()
        if r.type
        in {
            "aws:s3/bucket:Bucket",
            "aws:kms/key:Key",
            "aws:iam/serviceLinkedRole:ServiceLinkedRole",
        }
    ]
    assert len(taggable) == 4  # delivery bucket, its key, access-log bucket, service role
    for resource in taggable:
        assert resource.inputs["tags"] == {"team": "security"}, resource.name


def test_component_provider_mapping_and_opts_pass_through(
    run_program: Callable[..., Plan],
) -> None:
    def program() -> None:
        ConfigRecording(
            "recording",
            {"regions": list(REGIONS), "home_region": HOME, "account_id": ACCOUNT},  # type: ignore[arg-type]
        )

    plan = run_program(program)
    assert len(plan.of_type("aws:cfg/recorder:Recorder")) == len(REGIONS)


def test_delivery_bucket_is_named_under_the_prefix_without_object_lock(
    run_program: Callable[..., Plan],
) -> None:
    """Named ``<prefix>-config-`` so the delegation boundary fences it; no Object Lock, because
    AWS Config does not deliver to a bucket with Object Lock enabled (AWS::Config::DeliveryChannel
    documentation)."""
    plan = build(run_program, name_prefix="acme")
    buckets = plan.of_type("aws:s3/bucket:Bucket")
    assert {b.inputs["bucketPrefix"] for b in buckets} == {"acme-config-", "acme-config-logs-"}
    assert not any(b.inputs.get("objectLockEnabled") for b in buckets)
    assert not plan.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
