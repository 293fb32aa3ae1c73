"""ConfigRecording (S-15): a started recorder per region, global types only at home."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components import ConfigRecording, ConfigRecordingArgs, RecordingOverride
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
        ({"regions": ()}, "configRecording.regions: must name at least one region"),
        ({"home_region": "sa-east-1"}, "configRecording.homeRegion: sa-east-1 is not one of"),
        ({"recording_frequency": "HOURLY"}, "configRecording.recordingFrequency: 'HOURLY'"),
        ({"snapshot_frequency": "Daily"}, "configRecording.snapshotFrequency: 'Daily'"),
        ({"account_id": "123"}, "configRecording.accountId: '123' is not a 12-digit"),
        (
            {"recording_overrides": [RecordingOverride(("EC2 instances",))]},
            "configRecording.recordingOverrides[0].resourceTypes: 'EC2 instances'",
        ),
        (
            {"recording_overrides": [RecordingOverride(())]},
            "configRecording.recordingOverrides[0].resourceTypes: must list at least one",
        ),
        (
            {"recording_overrides": [RecordingOverride(("AWS::EC2::Instance",), "WEEKLY")]},
            "configRecording.recordingOverrides[0].frequency: 'WEEKLY'",
        ),
        (
            {
                "recording_overrides": [
                    RecordingOverride(("AWS::EC2::Instance",)),
                    RecordingOverride(("AWS::EC2::Volume",)),
                ]
            },
            "configRecording.recordingOverrides: pulumi-aws 7 takes one override block",
        ),
        (
            {"noncurrent_version_days": 0},
            "configRecording.noncurrentVersionDays: 0 is out of range",
        ),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    args = ConfigRecordingArgs(**{"regions": REGIONS, "home_region": HOME, **kwargs})
    with pytest.raises(ValueError) as err:
        args.validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = ConfigRecordingArgs.from_config(
        {
            "recordingFrequency": "DAILY",
            "recordingOverrides": [
                {"resourceTypes": ["AWS::EC2::Instance"], "frequency": "CONTINUOUS"}
            ],
            "manageRecorders": False,
        }
    )
    assert args.recording_frequency == "DAILY"
    assert args.manage_recorders is False
    assert list(args.recording_overrides[0].resource_types) == ["AWS::EC2::Instance"]
    with pytest.raises(ValueError, match=r"^configRecording.allRegions: unknown option"):
        ConfigRecordingArgs.from_config({"allRegions": True})
    with pytest.raises(ValueError, match=r"^configRecording.recordingFrequency: 'WEEKLY'"):
        ConfigRecordingArgs.from_config({"recordingFrequency": "WEEKLY"})
    with pytest.raises(ValueError, match=r"^configRecording.recordingOverrides\[0\].kind: unknown"):
        ConfigRecordingArgs.from_config({"recordingOverrides": [{"kind": "x"}]})
