"""OrganizationTrail: org-wide, multi-region, validated, KMS, locked bucket only it can write."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components import ObjectLock, OrganizationTrail, OrganizationTrailArgs

BASE: dict[str, Any] = {
    "organization_id": "o-exampleorg1",
    "management_account_id": "111111111111",
    "home_region": "ap-northeast-1",
    "reader_account_ids": ("222222222222",),
}
TRAIL_ARN = "arn:aws:cloudtrail:ap-northeast-1:111111111111:trail/secbaseline-organization-trail"
TRAIL = "aws:cloudtrail/trail:Trail"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        OrganizationTrail("org-trail", OrganizationTrailArgs(**{**BASE, **kwargs}))

    return run_program(program, account_id="111111111111")


def statements(document: str) -> dict[str, dict[str, Any]]:
    return {s.get("Sid", ""): s for s in json.loads(document)["Statement"]}


def test_trail_is_organization_wide_validated_and_encrypted(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    trail = plan.one(TRAIL)
    assert trail.inputs["name"] == "secbaseline-organization-trail"
    assert trail.inputs["isOrganizationTrail"] is True
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["region"] == "ap-northeast-1"
    key = next(r for r in plan.of_type("aws:kms/key:Key"))
    assert trail.inputs["kmsKeyId"].startswith("arn:aws:kms:ap-northeast-1:")
    assert "cloudWatchLogsGroupArn" not in trail.inputs
    assert trail.outputs["arn"] == TRAIL_ARN  # the ARN the policies name up front
    assert key.inputs["enableKeyRotation"] is True


def test_bucket_is_locked_and_accepts_only_this_trail(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 365}
    trail = plan.one(TRAIL)
    bucket = next(
        r for r in plan.of_type("aws:s3/bucket:Bucket") if r.inputs.get("objectLockEnabled")
    )
    assert trail.inputs["s3BucketName"] == bucket.outputs["bucket"]
    policy = next(
        r
        for r in plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.inputs["bucket"] == bucket.id
    )
    sids = statements(policy.inputs["policy"])
    acl = sids["AWSCloudTrailAclCheck"]
    arn = bucket.outputs["arn"]
    assert acl["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert acl["Action"] == "s3:GetBucketAcl"
    assert acl["Resource"] == arn
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    write = sids["AWSCloudTrailWrite"]
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == [
        f"{arn}/AWSLogs/111111111111/*",
        f"{arn}/AWSLogs/o-exampleorg1/*",
    ]
    assert write["Condition"] == {
        "StringEquals": {
            "s3:x-amz-acl": "bucket-owner-full-control",
            "aws:SourceArn": TRAIL_ARN,
        }
    }
    assert "DenyInsecureTransport" in sids


def bucket_policy(plan: Plan) -> tuple[str, dict[str, dict[str, Any]]]:
    """The log bucket's ARN and its policy statements by Sid."""
    bucket = next(
        r for r in plan.of_type("aws:s3/bucket:Bucket") if r.inputs.get("objectLockEnabled")
    )
    policy = next(
        r
        for r in plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.inputs["bucket"] == bucket.id
    )
    return bucket.outputs["arn"], statements(policy.inputs["policy"])


def test_reader_accounts_may_list_and_read_the_logs(run_program: Callable[..., Plan]) -> None:
    arn, sids = bucket_policy(
        build(run_program, reader_account_ids=("222222222222", "444444444444"))
    )
    readers = {"AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::444444444444:root"]}
    read = sids["AllowLogReaders"]
    assert read["Effect"] == "Allow"
    assert read["Principal"] == readers
    assert read["Action"] == "s3:GetObject"
    assert read["Resource"] == f"{arn}/AWSLogs/*"
    listing = sids["AllowLogReadersListBucket"]
    assert listing["Principal"] == readers
    assert listing["Action"] == ["s3:GetBucketLocation", "s3:ListBucket"]
    assert listing["Resource"] == arn


def test_no_reader_statements_without_other_readers(run_program: Callable[..., Plan]) -> None:
    _, sids = bucket_policy(build(run_program, reader_account_ids=("111111111111",)))
    assert "AllowLogReaders" not in sids
    assert "AllowLogReadersListBucket" not in sids


def test_key_policy_lets_cloudtrail_encrypt_and_readers_decrypt(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    key = plan.one("aws:kms/key:Key")
    sids = statements(key.inputs["policy"])
    encrypt = sids["AllowCloudTrailEncrypt"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN},
        "StringLike": {
            "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111111111111:trail/*"
        },
    }
    decrypt = sids["AllowLogReadersDecrypt"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Principal"] == {
        "AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]
    }
    assert sids["AllowCloudTrailDescribeKey"]["Action"] == "kms:DescribeKey"


def test_cloudwatch_logs_delivery_and_compliance_lock(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        cloudwatch_logs=True,
        cloudwatch_logs_retention_days=90,
        object_lock=ObjectLock(mode="COMPLIANCE", days=2555),
    )
    group = plan.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "/aws/cloudtrail/secbaseline-organization-trail"
    assert group.inputs["retentionInDays"] == 90
    trail = plan.one(TRAIL)
    assert trail.inputs["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*"
    role = plan.one("aws:iam/role:Role")
    assert trail.inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    permissions = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert permissions["Statement"][0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert permissions["Statement"][0]["Resource"] == f"{group.outputs['arn']}:log-stream:*"
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 2555}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"organization_id": "o-1"}, "organizationTrail.organizationId: 'o-1' is not"),
        ({"management_account_id": "x"}, "organizationTrail.managementAccountId: 'x' is not"),
        ({"home_region": "mars-1"}, "organizationTrail.homeRegion: unknown AWS region"),
        ({"reader_account_ids": ("12",)}, "organizationTrail.readerAccountIds[0]: '12' is not"),
        (
            {"cloudwatch_logs_retention_days": 100},
            "organizationTrail.cloudwatchLogsRetentionDays: 100 is not a CloudWatch Logs retention",
        ),
    ],
)
def test_bad_args_raise_naming_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        OrganizationTrailArgs(**{**BASE, **kwargs}).validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    ids = {
        "organization_id": "o-exampleorg1",
        "management_account_id": "111111111111",
        "security_account_id": "222222222222",
        "home_region": "ap-northeast-1",
        "name_prefix": "acme",
    }
    args = OrganizationTrailArgs.from_config(
        {"objectLock": {"mode": "COMPLIANCE", "days": 400}, "readerAccountIds": ["444444444444"]},
        **ids,
    )
    args.validate()
    assert args.object_lock == ObjectLock(mode="COMPLIANCE", days=400)
    assert args.reader_account_ids == ("222222222222", "444444444444")
    assert args.trail_name == "acme-organization-trail"
    with pytest.raises(ValueError, match=r"^objectLock.mode: 'FOREVER' is not one of"):
        OrganizationTrailArgs.from_config({"objectLock": {"mode": "FOREVER"}}, **ids)
    with pytest.raises(ValueError, match=r"^organizationTrail.dataEvents: unknown option"):
        OrganizationTrailArgs.from_config({"dataEvents": True}, **ids)
