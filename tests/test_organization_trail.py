"""OrganizationTrail: org-wide, multi-region, validated, KMS, locked bucket only it can write."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components import ObjectLock, OrganizationTrail, OrganizationTrailArgs
from secbaseline.components.secure_bucket import ObjectLockMode

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
        object_lock=ObjectLock(mode=ObjectLockMode.COMPLIANCE, days=2555),
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


def test_cloudwatch_logs_copy_is_encrypted_with_its_own_customer_key(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, cloudwatch_logs=True)
    group = plan.one("aws:cloudwatch/logGroup:LogGroup")
    keys = {k.name: k for k in plan.of_type("aws:kms/key:Key")}
    assert sorted(keys) == ["org-trail-log-group-key", "org-trail-logs-key"]
    logs_key = keys["org-trail-log-group-key"]
    assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
    assert logs_key.inputs["enableKeyRotation"] is True
    grant = statements(logs_key.inputs["policy"])["AllowCloudWatchLogs"]
    assert grant["Principal"] == {"Service": "logs.ap-northeast-1.amazonaws.com"}
    assert grant["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": (
                "arn:aws:logs:ap-northeast-1:111111111111:log-group:*"
            )
        }
    }
    # The log files keep their own key: CloudTrail's statements are not in the logs key.
    assert "AllowCloudTrailEncrypt" not in statements(logs_key.inputs["policy"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"organization_id": "o-1"}, "organization_id: 'o-1' is not an organization id"),
        ({"management_account_id": "x"}, "management_account_id: 'x' is not a 12-digit"),
        ({"home_region": "mars-1"}, "home_region: unknown AWS region 'mars-1'"),
        ({"reader_account_ids": ("12",)}, "reader_account_ids[0]: '12' is not a 12-digit"),
        (
            {"cloudwatch_logs_retention_days": 100},
            "cloudwatch_logs_retention_days: 100 is not a CloudWatch Logs retention",
        ),
        ({"name_prefix": "Acme"}, "name_prefix: 'Acme' must be 2-24 characters"),
        ({"kms_key_arn": "key"}, "kms_key_arn: 'key' is not an ARN"),
        ({"object_lock": {"days": 0}}, "object_lock.days: 0 is out of range 1-36500"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x' must be 1-128 characters"),
        ({"cloudwatch_logz": True}, "cloudwatch_logz: unknown option; did you mean"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        OrganizationTrailArgs(**{**BASE, **kwargs})
    assert str(err.value).startswith(message)


def test_required_arguments() -> None:
    with pytest.raises(ArgumentError) as err:
        OrganizationTrailArgs()  # type: ignore[call-arg]
    assert str(err.value) == (
        "organization_id: required; management_account_id: required; home_region: required"
    )


IDS: dict[str, Any] = {
    "organization_id": "o-exampleorg1",
    "management_account_id": "111111111111",
    "home_region": "ap-northeast-1",
    "name_prefix": "acme",
}


def test_from_config() -> None:
    args = OrganizationTrailArgs.from_config(
        "organizationTrail",
        {
            "objectLock": {"mode": "COMPLIANCE", "days": 400},
            "readerAccountIds": ["444444444444"],
            "cloudwatchLogs": True,
            "cloudwatchLogsRetentionDays": "90",
            "tags": {"team": "security"},
        },
        **IDS,
    )
    assert args.object_lock == ObjectLock(mode=ObjectLockMode.COMPLIANCE, days=400)
    assert args.reader_account_ids == ["444444444444"]
    assert args.cloudwatch_logs and args.cloudwatch_logs_retention_days == 90
    assert args.trail_name == "acme-organization-trail"
    assert args.tags == {"team": "security"}
    assert OrganizationTrailArgs.from_config("organizationTrail", {}, **IDS) == (
        OrganizationTrailArgs(**IDS)
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"objectLock": {"mode": "FOREVER"}},
            "organizationTrail.objectLock.mode: expected 'GOVERNANCE' or 'COMPLIANCE'",
        ),
        ({"dataEvents": True}, "organizationTrail.dataEvents: unknown option"),
        (
            {"readerAccountIds": ["12"]},
            "organizationTrail.readerAccountIds[0]: '12' is not a 12-digit AWS account id",
        ),
        (
            {"readerAccountIds": "222222222222"},
            "organizationTrail.readerAccountIds: 'str' instances",
        ),
        (
            {"cloudwatchLogsRetentionDays": 100},
            "organizationTrail.cloudwatchLogsRetentionDays: 100 is not a CloudWatch Logs",
        ),
        ({"cloudwatchLogs": "maybe"}, "organizationTrail.cloudwatchLogs: expected a valid boolean"),
        ({"kmsKeyArn": "arn:aws:s3:::x"}, "organizationTrail.kmsKeyArn: 'arn:aws:s3:::x' is not"),
    ],
)
def test_bad_config_names_the_config_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        OrganizationTrailArgs.from_config("organizationTrail", section, **IDS)
    assert str(err.value).startswith(message)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, cloudwatch_logs=True, tags={"team": "security"})
    taggable = [
        *plan.of_type(TRAIL),
        *plan.of_type("aws:s3/bucket:Bucket"),
        *plan.of_type("aws:kms/key:Key"),
        *plan.of_type("aws:cloudwatch/logGroup:LogGroup"),
        *plan.of_type("aws:iam/role:Role"),
    ]
    assert len(taggable) == 7  # trail, log bucket, access-log bucket, 2 keys, group, role
    for resource in taggable:
        assert resource.inputs["tags"] == {"team": "security"}, resource.name


def test_given_key_creates_no_key(run_program: Callable[..., Plan]) -> None:
    key_arn = "arn:aws:kms:ap-northeast-1:111111111111:key/abc"
    plan = build(run_program, kms_key_arn=key_arn)
    assert plan.of_type("aws:kms/key:Key") == []
    assert plan.one(TRAIL).inputs["kmsKeyId"] == key_arn


def test_a_key_built_in_the_same_program_is_wired_in(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        key = aws.kms.Key("my-key", region="ap-northeast-1")
        OrganizationTrail("org-trail", OrganizationTrailArgs(**BASE, kms_key_arn=key.arn))

    plan = run_program(program, account_id="111111111111")
    key = plan.one("aws:kms/key:Key")
    assert key.name == "my-key"
    trail = plan.one(TRAIL)
    assert trail.inputs["kmsKeyId"] == key.outputs["arn"]
    sse = next(
        r
        for r in plan.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        if r.name == "org-trail-logs-encryption"
    )
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"] == key.outputs["arn"]


def test_a_bad_key_output_fails_when_it_resolves(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        topic = aws.sns.Topic("topic")
        OrganizationTrail("org-trail", OrganizationTrailArgs(**BASE, kms_key_arn=topic.arn))

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program, account_id="111111111111")
    assert "kms_key_arn: 'arn:aws:sns:" in str(err.value)
    assert "is not an ARN of service 'kms'" in str(err.value)
