"""UploadScanning (S-12, S-31): malware scanning of an existing bucket, quarantine, notice."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto import mock_aws

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components.lambdas.upload_quarantine import handler
from secbaseline.components.upload_scanning import (
    QuarantineMode,
    UploadScanning,
    UploadScanningArgs,
)
from tests.event_routes import matches
from tests.tagging import untagged

REGION = "eu-west-1"
BUCKET = "customer-uploads"
TOPIC = "arn:aws:sns:ap-northeast-1:111111111111:security-notifications"
KEY = "arn:aws:kms:ap-northeast-1:111111111111:key/11111111-2222-3333-4444-555555555555"


def scan_event(status: str, key: str = "in/invoice.pdf", version: str | None = None) -> Any:
    """A documented ``GuardDuty Malware Protection Object Scan Result`` event."""
    return {
        "version": "0",
        "id": "1",
        "detail-type": "GuardDuty Malware Protection Object Scan Result",
        "source": "aws.guardduty",
        "account": "111111111111",
        "time": "2026-12-01T03:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {
            "schemaVersion": "1.0",
            "scanStatus": "COMPLETED",
            "resourceType": "S3_OBJECT",
            "s3ObjectDetails": {
                "bucketName": BUCKET,
                "objectKey": key,
                "eTag": "etag",
                "versionId": version,
                "s3Throttled": False,
            },
            "scanResultDetails": {
                "scanResultStatus": status,
                "threats": [{"name": "EICAR-Test-File"}] if status == "THREATS_FOUND" else None,
            },
        },
    }


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    values = {"bucket_name": BUCKET, "region": REGION, **kwargs}
    return run_program(lambda: UploadScanning("uploads", UploadScanningArgs(**values)))


def statements(document: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(document)["Statement"]
    return found


def test_plan_on_the_existing_bucket_with_a_role_scoped_to_it(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, object_prefixes=["in/"], bucket_kms_key_arn=KEY)
    protection = plan.one("aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan")
    assert protection.inputs["protectedResource"] == {
        "s3Bucket": {"bucketName": BUCKET, "objectPrefixes": ["in/"]}
    }
    assert protection.inputs["actions"] == [{"taggings": [{"status": "ENABLED"}]}]
    assert plan.region_of(protection) == REGION
    # Nothing about the bucket itself is managed: no adoption, no policy on it.
    buckets = plan.of_type("aws:s3/bucket:Bucket")
    assert [b.inputs.get("bucket") for b in buckets if b.inputs.get("bucket") == BUCKET] == []
    scan_role = next(
        r
        for r in plan.of_type("aws:iam/role:Role")
        if "malware-protection-plan" in r.inputs["assumeRolePolicy"]
    )
    assert protection.inputs["role"] == scan_role.outputs["arn"]
    [trust] = statements(scan_role.inputs["assumeRolePolicy"])
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    policy = next(
        p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == scan_role.id
    )
    resources = {
        r
        for s in statements(policy.inputs["policy"])
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert resources == {
        f"arn:aws:s3:::{BUCKET}",
        f"arn:aws:s3:::{BUCKET}/*",
        f"arn:aws:s3:::{BUCKET}/malware-protection-resource-validation-object",
        f"arn:aws:events:{REGION}:111111111111:rule/"
        "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*",
        KEY,
    }


def test_positive_scans_route_to_the_quarantine_function(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, notification_topic_arn=TOPIC, notification_kms_key_arn=KEY)
    rule = plan.one("aws:cloudwatch/eventRule:EventRule")
    assert plan.region_of(rule) == REGION
    pattern = json.loads(rule.inputs["eventPattern"])
    for status in ("THREATS_FOUND", "UNSUPPORTED", "ACCESS_DENIED", "FAILED"):
        assert matches(pattern, scan_event(status)), status
    assert not matches(pattern, scan_event("NO_THREATS_FOUND"))
    other = scan_event("THREATS_FOUND")
    other["detail"]["s3ObjectDetails"]["bucketName"] = "another-bucket"
    assert not matches(pattern, other)
    function = plan.one("aws:lambda/function:Function")
    target = plan.one("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["arn"] == function.outputs["arn"]
    permission = plan.one("aws:lambda/permission:Permission")
    assert permission.inputs["sourceArn"] == rule.outputs["arn"]
    quarantine = plan.one("secbaseline:index:SecureBucket")
    bucket = next(b for b in plan.of_type("aws:s3/bucket:Bucket") if b.parent == quarantine.urn)
    env = function.inputs["environment"]["variables"]
    assert env == {"QUARANTINE_BUCKET": bucket.outputs["bucket"], "TOPIC_ARN": TOPIC}
    policy = next(
        p
        for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.inputs["role"].startswith("secbaseline-upload-quarantine")
    )
    granted = {s["Sid"]: s for s in statements(policy.inputs["policy"])}
    assert granted["PublishResults"]["Resource"] == TOPIC
    assert granted["UseTheTopicKey"]["Resource"] == KEY
    assert granted["ReadAndRemoveInfectedObjects"]["Resource"] == f"arn:aws:s3:::{BUCKET}/*"
    assert granted["WriteQuarantine"]["Resource"] == f"{bucket.outputs['arn']}/*"


def test_notify_mode_keeps_objects_in_place(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, quarantine=QuarantineMode.NOTIFY, notification_topic_arn=TOPIC)
    assert plan.of_type("secbaseline:index:SecureBucket") == []
    env = plan.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert env == {"TOPIC_ARN": TOPIC}


def test_deny_read_statement_blocks_infected_objects(run_program: Callable[..., Plan]) -> None:
    found: dict[str, Any] = {}

    def program() -> None:
        component = UploadScanning("u", UploadScanningArgs(bucket_name=BUCKET, region=REGION))
        found["statement"] = component.deny_read_statement

    run_program(program)
    statement = found["statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {
        "StringEquals": {"s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "THREATS_FOUND"}
    }


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    tags = {"team": "uploads"}
    plan = build(run_program, tags=tags)
    assert untagged(plan, tags) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bucket_name": "Not_A_Bucket"}, "bucket_name: 'Not_A_Bucket' is not a valid S3 bucket"),
        ({"object_prefixes": ["a", "b", "c", "d", "e", "f"]}, "object_prefixes: at most 5"),
        ({"object_prefixes": ["a", "a"]}, "object_prefixes: a prefix is listed twice"),
        ({"object_prefixes": [""]}, "object_prefixes[0]: '' is not an object key prefix"),
        ({"quarantine": "delete"}, "quarantine: expected 'move' or 'notify'"),
        ({"quarantine": "notify"}, "quarantine: 'notify' needs notification_topic_arn"),
        ({"notification_topic_arn": KEY}, "notification_topic_arn: "),
        ({"notification_kms_key_arn": KEY}, "notification_kms_key_arn: needs notification_topic"),
        ({"region": "moon-1"}, "region: unknown AWS region"),
        ({}, "bucket_name: required"),
    ],
)
def test_bad_args_name_the_argument(kwargs: dict[str, Any], message: str) -> None:
    values = {"bucket_name": BUCKET, **kwargs} if "bucket_name" in kwargs or kwargs else {}
    with pytest.raises(ArgumentError) as err:
        UploadScanningArgs(**values)
    assert str(err.value).startswith(message)


# --- the quarantine function, against moto's S3 and SNS -----------------------------------


@pytest.fixture
def aws_account(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        config = {"LocationConstraint": REGION}
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration=config)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.create_bucket(Bucket="quarantine", CreateBucketConfiguration=config)
        sns = boto3.client("sns", region_name="ap-northeast-1")
        sqs = boto3.client("sqs", region_name="ap-northeast-1")
        topic = sns.create_topic(Name="security-notifications")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("QUARANTINE_BUCKET", "quarantine")
        monkeypatch.setenv("TOPIC_ARN", topic)
        yield s3, sqs, queue


def messages(sqs: Any, queue: str) -> list[dict[str, Any]]:
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def test_infected_version_is_moved_and_reported(aws_account: Any) -> None:
    s3, sqs, queue = aws_account
    clean = s3.put_object(Bucket=BUCKET, Key="in/invoice.pdf", Body=b"clean")["VersionId"]
    bad = s3.put_object(Bucket=BUCKET, Key="in/invoice.pdf", Body=b"X5O!P%@AP")["VersionId"]
    s3.put_object_tagging(
        Bucket=BUCKET,
        Key="in/invoice.pdf",
        VersionId=bad,
        Tagging={"TagSet": [{"Key": "GuardDutyMalwareScanStatus", "Value": "THREATS_FOUND"}]},
    )
    result = handler.handler(scan_event("THREATS_FOUND", version=bad), None)
    assert result == {
        "status": "THREATS_FOUND",
        "moved_to": f"{BUCKET}/in/invoice.pdf",
        "published": True,
    }
    moved = s3.get_object(Bucket="quarantine", Key=f"{BUCKET}/in/invoice.pdf")
    assert moved["Body"].read() == b"X5O!P%@AP"
    tags = s3.get_object_tagging(Bucket="quarantine", Key=f"{BUCKET}/in/invoice.pdf")["TagSet"]
    assert tags == [{"Key": "GuardDutyMalwareScanStatus", "Value": "THREATS_FOUND"}]
    # The infected version is gone; the earlier clean version is what the bucket now serves.
    versions = s3.list_object_versions(Bucket=BUCKET)["Versions"]
    assert [v["VersionId"] for v in versions] == [clean]
    assert s3.get_object(Bucket=BUCKET, Key="in/invoice.pdf")["Body"].read() == b"clean"
    [notice] = messages(sqs, queue)
    assert notice["Subject"] == f"[S3 malware scan] THREATS_FOUND: s3://{BUCKET}/in/invoice.pdf"
    assert "Threats:  EICAR-Test-File" in notice["Message"]
    assert f"Action:   moved to s3://quarantine/{BUCKET}/in/invoice.pdf" in notice["Message"]


def test_scans_that_could_not_complete_are_reported_not_moved(aws_account: Any) -> None:
    s3, sqs, queue = aws_account
    s3.put_object(Bucket=BUCKET, Key="big.iso", Body=b"x")
    result = handler.handler(scan_event("UNSUPPORTED", key="big.iso"), None)
    assert result["moved_to"] is None and result["published"] is True
    assert s3.get_object(Bucket=BUCKET, Key="big.iso")["Body"].read() == b"x"
    [notice] = messages(sqs, queue)
    assert notice["Subject"].startswith("[S3 malware scan] UNSUPPORTED: ")


def test_a_failed_move_is_reported_and_raised_for_a_retry(
    aws_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sqs, queue = aws_account
    monkeypatch.setenv("QUARANTINE_BUCKET", "no-such-bucket")
    with pytest.raises(Exception, match=r"NoSuchKey|NoSuchBucket"):
        handler.handler(scan_event("THREATS_FOUND", key="missing.exe"), None)
    [notice] = messages(sqs, queue)
    assert "quarantine FAILED" in notice["Message"]
