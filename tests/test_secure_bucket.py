"""SecureBucket (S-09, S-10, S-11): private, encrypted, versioned, TLS-only, logged."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components.secure_bucket import (
    BUCKET_ARN,
    ObjectLock,
    ObjectLockMode,
    SecureBucket,
    SecureBucketArgs,
)


def build(run_program: Callable[..., Plan], args: SecureBucketArgs | None = None) -> Plan:
    return run_program(lambda: SecureBucket("data", args or SecureBucketArgs()))


def policy_of(plan: Plan, bucket_component: str) -> dict[str, Any]:
    policy = next(
        r
        for r in plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.name == f"{bucket_component}-policy"
    )
    return json.loads(policy.inputs["policy"])


def test_defaults(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    data = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "data-bucket")
    pab = next(
        r
        for r in plan.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        if r.name == "data-public-access-block"
    )
    assert pab.inputs == {
        "bucket": data.id,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    ownership = next(
        r
        for r in plan.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
        if r.name == "data-ownership"
    )
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = next(
        r
        for r in plan.of_type("aws:s3/bucketVersioning:BucketVersioning")
        if r.name == "data-versioning"
    )
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    sse = next(
        r
        for r in plan.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        if r.name == "data-encryption"
    )
    rule = sse.inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith("arn:aws:kms:")
    assert rule["bucketKeyEnabled"] is True
    key = plan.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    # TLS-only: the first statement denies every non-TLS request on bucket and objects.
    statements = policy_of(plan, "data")["Statement"]
    deny = statements[0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert deny["Resource"] == [f"arn:aws:s3:::{data.id}", f"arn:aws:s3:::{data.id}/*"]
    assert not any(s["Effect"] == "Allow" and s.get("Principal") == "*" for s in statements)
    # Access logs go to a created log bucket, which uses SSE-S3 (S3 log delivery cannot use KMS).
    logging = next(
        r for r in plan.of_type("aws:s3/bucketLogging:BucketLogging") if r.name == "data-logging"
    )
    log_bucket = next(
        r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "data-access-logs-bucket"
    )
    assert logging.inputs["targetBucket"] == log_bucket.id
    log_sse = next(
        r
        for r in plan.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        if r.name == "data-access-logs-encryption"
    )
    assert log_sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"
    }
    log_statements = policy_of(plan, "data-access-logs")["Statement"]
    assert log_statements[1]["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert log_statements[1]["Condition"]["StringEquals"]["aws:SourceAccount"] == "111111111111"
    lifecycle = next(
        r
        for r in plan.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        if r.name == "data-lifecycle"
    )
    assert lifecycle.inputs["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert plan.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []


def test_user_statements_are_merged_with_the_bucket_arn(run_program: Callable[..., Plan]) -> None:
    statement = {
        "Sid": "AllowGuardDuty",
        "Effect": "Allow",
        "Principal": {"Service": "guardduty.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET_ARN}/*",
    }
    plan = build(run_program, SecureBucketArgs(policy_statements=[statement], access_logging=False))
    data = plan.one("aws:s3/bucket:Bucket")
    statements = policy_of(plan, "data")["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "AllowGuardDuty"]
    assert statements[1]["Resource"] == f"arn:aws:s3:::{data.id}/*"
    assert plan.of_type("aws:s3/bucketLogging:BucketLogging") == []


def test_given_key_sse_s3_and_object_lock(run_program: Callable[..., Plan]) -> None:
    key_arn = "arn:aws:kms:us-east-1:111111111111:key/abc"
    plan = build(
        run_program,
        SecureBucketArgs(
            kms_key_arn=key_arn, object_lock=ObjectLock(mode=ObjectLockMode.COMPLIANCE, days=365)
        ),
    )
    assert plan.of_type("aws:kms/key:Key") == []
    bucket = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "data-bucket")
    assert bucket.inputs["objectLockEnabled"] is True
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}
    plan = build(run_program, SecureBucketArgs(use_sse_s3=True, access_logging=False))
    assert plan.of_type("aws:kms/key:Key") == []
    sse = plan.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"noncurrent_version_days": 0}, "noncurrent_version_days: 0 is out of range 1-3650"),
        (
            {"bucket_name": "Bad_Name"},
            "bucket_name: 'Bad_Name' is not a valid S3 bucket name",
        ),
        ({"region": "moon-1"}, "region: unknown AWS region 'moon-1'"),
        ({"bucket_prefix": "Logs-"}, "bucket_prefix: 'Logs-' is not a valid S3 bucket name prefix"),
        (
            {"bucket_prefix": "a" * 33},
            f"bucket_prefix: {'a' * 33!r} is not a valid S3 bucket name prefix (1-32 characters",
        ),
        (
            {"bucket_prefix": "logs-", "bucket_name": "logs-1"},
            "bucket_prefix: cannot be combined with bucket_name or import_existing",
        ),
        (
            {"bucket_prefix": "logs-", "import_existing": "logs-1"},
            "bucket_prefix: cannot be combined with bucket_name or import_existing",
        ),
        (
            {"use_sse_s3": True, "kms_key_arn": "arn:aws:kms:us-east-1:111111111111:key/x"},
            "use_sse_s3: cannot be combined with kms_key_arn",
        ),
        (
            {
                "policy_statements": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
                ]
            },
            "policy_statements[0]: Allow for Principal '*'",
        ),
        (
            {
                "policy_statements": [
                    {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:*"}
                ]
            },
            "policy_statements[0]: Allow for Principal '*'",
        ),
        (
            {"key_policy_statements": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*"}]},
            "key_policy_statements[0]: Allow for Principal '*' without a Condition",
        ),
        (
            {"policy_statements": [{"Effect": "Maybe"}]},
            "policy_statements[0]: Effect must be Allow or Deny",
        ),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SecureBucketArgs(**kwargs)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "STRICT"}, "mode: expected 'GOVERNANCE' or 'COMPLIANCE', got 'STRICT'"),
        ({"days": 0}, "days: 0 is out of range 1-36500"),
    ],
)
def test_bad_object_lock(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ObjectLock(**kwargs)
    assert str(err.value) == message


def test_malware_scanning_role_plan_and_unscanned_read_deny(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(
        run_program,
        SecureBucketArgs(malware_scanning=True, deny_unscanned_reads=True, access_logging=False),
    )
    data = plan.one("aws:s3/bucket:Bucket")
    role = plan.one("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "malware-protection-plan.guardduty.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    role_policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in role_policy["Statement"]}
    rule = "arn:aws:events:us-east-1:111111111111:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*"
    assert by_sid["AllowManagedRuleToSendS3EventsToGuardDuty"]["Resource"] == rule
    assert by_sid["AllowManagedRuleToSendS3EventsToGuardDuty"]["Condition"] == {
        "StringLike": {"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}
    }
    assert by_sid["AllowGuardDutyToMonitorEventBridgeManagedRule"]["Resource"] == rule
    assert by_sid["AllowMalwareScan"]["Resource"] == f"arn:aws:s3:::{data.id}/*"
    assert "s3:PutObjectTagging" in by_sid["AllowPostScanTag"]["Action"]
    assert by_sid["AllowCheckBucketOwnership"]["Action"] == "s3:ListBucket"
    key = plan.one("aws:kms/key:Key")
    assert by_sid["AllowDecryptForMalwareScan"]["Resource"] == key.outputs["arn"]
    for statement in role_policy["Statement"]:
        assert "*" not in json.dumps(statement["Action"])
    plan_resource = plan.one("aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan")
    assert plan_resource.inputs["role"] == role.outputs["arn"]
    assert plan_resource.inputs["protectedResource"] == {"s3Bucket": {"bucketName": data.id}}
    assert plan_resource.inputs["actions"] == [{"taggings": [{"status": "ENABLED"}]}]
    deny = policy_of(plan, "data")["Statement"][1]
    assert deny["Sid"] == "DenyReadsOfUnscannedObjects"
    assert deny["Effect"] == "Deny" and "s3:GetObject" in deny["Action"]
    assert deny["Condition"] == {
        "StringNotEquals": {
            "s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "NO_THREATS_FOUND",
            "aws:PrincipalArn": role.outputs["arn"],
        }
    }


def test_malware_scanning_with_sse_s3_has_no_kms_statement(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(
        run_program,
        SecureBucketArgs(malware_scanning=True, use_sse_s3=True, access_logging=False),
    )
    role_policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert "AllowDecryptForMalwareScan" not in {s["Sid"] for s in role_policy["Statement"]}
    assert [s["Sid"] for s in policy_of(plan, "data")["Statement"]] == ["DenyInsecureTransport"]


def test_import_existing_bucket(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, SecureBucketArgs(import_existing="legacy-data", access_logging=False))
    bucket = plan.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == "legacy-data"
    assert bucket.id == "legacy-data"


def test_from_config() -> None:
    args = SecureBucketArgs.from_config(
        "bucket",
        {
            "objectLock": {"mode": "COMPLIANCE", "days": 7},
            "malwareScanning": True,
            "denyUnscannedReads": True,
            "noncurrentVersionDays": 30,
            "tags": {"team": "data"},
        },
    )
    assert args.object_lock == ObjectLock(mode=ObjectLockMode.COMPLIANCE, days=7)
    assert args.malware_scanning and args.deny_unscanned_reads
    assert args.noncurrent_version_days == 30 and args.tags == {"team": "data"}
    assert SecureBucketArgs.from_config("bucket", {}) == SecureBucketArgs()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"colour": "red"}, "bucket.colour: unknown option; allowed: kmsKeyArn, "),
        ({"bucketNmae": "x"}, "bucket.bucketNmae: unknown option; did you mean 'bucketName'?"),
        ({"objectLock": {"mode": "STRICT"}}, "bucket.objectLock.mode: expected 'GOVERNANCE' or"),
        ({"objectLock": {"days": 0}}, "bucket.objectLock.days: 0 is out of range 1-36500"),
        ({"objectLock": {"until": 1}}, "bucket.objectLock.until: unknown option"),
        ({"malwareScanning": "maybe"}, "bucket.malwareScanning: expected a valid boolean"),
        ({"denyUnscannedReads": True}, "bucket.denyUnscannedReads: requires malwareScanning"),
        ({"kmsKeyArn": "arn:aws:s3:::x"}, "bucket.kmsKeyArn: 'arn:aws:s3:::x' is not an ARN of"),
        ({"bucketName": 5}, "bucket.bucketName: expected a valid string, got 5"),
        ([], "bucket: expected a mapping of options, got a list"),
        (
            {"importExisting": "old-bucket", "objectLock": {"mode": "GOVERNANCE", "days": 1}},
            "bucket.objectLock: Object Lock can only be enabled when a bucket is created",
        ),
        ({"importExisting": "Bad_Name"}, "bucket.importExisting: 'Bad_Name' is not a valid"),
        (
            {"importExisting": "old-bucket", "bucketName": "other-bucket"},
            "bucket.bucketName: must be empty or equal importExisting",
        ),
    ],
)
def test_bad_config(section: Any, message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SecureBucketArgs.from_config("bucket", section)
    assert str(err.value).startswith(message)


def test_bucket_prefix_names_the_bucket_and_its_log_bucket(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, SecureBucketArgs(bucket_prefix="secbaseline-data-"))
    buckets = {r.name: r for r in plan.of_type("aws:s3/bucket:Bucket")}
    assert buckets["data-bucket"].inputs["bucketPrefix"] == "secbaseline-data-"
    assert "bucket" not in buckets["data-bucket"].inputs  # S3 completes the name
    logs = buckets["data-access-logs-bucket"]
    assert logs.inputs["bucketPrefix"] == "secbaseline-data-logs-"
    assert all(b.outputs["bucket"].startswith("secbaseline-data-") for b in buckets.values())
    # Without a prefix, Pulumi auto-names (no prefix is sent).
    plain = build(run_program)
    assert all("bucketPrefix" not in b.inputs for b in plain.of_type("aws:s3/bucket:Bucket"))


def test_baseline_bucket_prefix_fits_s3() -> None:
    from secbaseline.baseline.naming import MAX_BUCKET_PREFIX, bucket_prefix

    assert bucket_prefix("secbaseline", "findings") == "secbaseline-findings-"
    longest = bucket_prefix("a" * 24, "org-trail")  # namePrefix allows up to 24 characters
    assert longest == "a" * 24 + "-org-tr-"
    assert len(longest) == MAX_BUCKET_PREFIX
    assert longest.startswith("a" * 24 + "-")  # the boundary's fence still matches
