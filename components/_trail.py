"""What the organization trail and the account trail share: the policy statements that let
exactly one trail write its bucket and use its key, and KMS-encrypted CloudWatch Logs delivery.

Not a component: the resources are children of the caller and keep the logical names it gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam
from secbaseline.components._log_encryption import log_group, logs_key
from secbaseline.components.secure_bucket import (
    BUCKET_ARN,
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
)

SERVICE = "cloudtrail.amazonaws.com"
ENCRYPTION_CONTEXT = "kms:EncryptionContext:aws:cloudtrail:arn"


def _join(*parts: pulumi.Input[str]) -> pulumi.Input[str]:
    """The parts concatenated: plain text when every part is plain, else an Output."""
    if all(isinstance(part, str) for part in parts):
        return "".join(str(part) for part in parts)
    return pulumi.Output.concat(*parts)


def trail_arn(region: str, account_id: pulumi.Input[str], trail_name: str) -> pulumi.Input[str]:
    """A trail's ARN from its fixed name, known before the trail exists (the bucket and key
    policies name it: confused-deputy protection without a dependency cycle)."""
    return _join(f"arn:{iam.PARTITION}:cloudtrail:{region}:", account_id, f":trail/{trail_name}")


def bucket_statements(
    arn: pulumi.Input[str], write_prefixes: Sequence[pulumi.Input[str]]
) -> list[dict[str, Any]]:
    """Bucket policy: only the trail ``arn`` may check the ACL and write under the prefixes
    (``AWSLogs/<account or org id>``); ``${bucket_arn}`` is filled in by SecureBucket."""
    return [
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": SERVICE},
            "Action": "s3:GetBucketAcl",
            "Resource": BUCKET_ARN,
            "Condition": {"StringEquals": {"aws:SourceArn": arn}},
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": SERVICE},
            "Action": "s3:PutObject",
            "Resource": [_join(f"{BUCKET_ARN}/", prefix, "/*") for prefix in write_prefixes],
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceArn": arn,
                }
            },
        },
    ]


def key_statements(arn: pulumi.Input[str], account_id: pulumi.Input[str]) -> list[dict[str, Any]]:
    """Key policy additions: CloudTrail encrypts log files for the trail ``arn`` and describes
    the key; the encryption context names a trail of ``account_id``."""
    trails = _join(f"arn:{iam.PARTITION}:cloudtrail:*:", account_id, ":trail/*")
    return [
        {
            "Sid": "AllowCloudTrailEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": SERVICE},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",  # in a key policy "*" means this key
            "Condition": {
                "StringEquals": {"aws:SourceArn": arn},
                "StringLike": {ENCRYPTION_CONTEXT: trails},
            },
        },
        {
            "Sid": "AllowCloudTrailDescribeKey",
            "Effect": "Allow",
            "Principal": {"Service": SERVICE},
            "Action": "kms:DescribeKey",
            "Resource": "*",  # in a key policy "*" means this key
            "Condition": {"StringEquals": {"aws:SourceArn": arn}},
        },
    ]


@dataclass
class LogsDelivery:
    """The CloudWatch Logs copy of a trail's events."""

    log_group: aws.cloudwatch.LogGroup
    """``/aws/cloudtrail/<trail>``, encrypted with ``kms_key_arn``."""
    kms_key: aws.kms.Key | None
    """The key created for the group (None when the caller gave one)."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts the group."""
    group_arn: pulumi.Output[str]
    """What the trail's ``cloud_watch_logs_group_arn`` takes (the group ARN with ``:*``)."""
    role_arn: pulumi.Output[str]
    """The role CloudTrail assumes to write the group."""


def logs_delivery(
    name: str,
    parent: pulumi.Resource,
    *,
    trail_name: str,
    role_name: str,
    region: str,
    account_id: pulumi.Input[str],
    retention_days: int,
    kms_key_arn: pulumi.Input[str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> LogsDelivery:
    """A KMS-encrypted log group for the trail and the role CloudTrail writes it with (only
    ``CreateLogStream``/``PutLogEvents`` on that group). Resources: ``<name>-log-group``,
    ``<name>-log-group-key`` (unless ``kms_key_arn``), ``<name>-cloudwatch-role`` and
    ``<name>-cloudwatch-policy``."""
    child = pulumi.ResourceOptions(parent=parent)
    tags = dict(tags) if tags else None
    key = None
    if kms_key_arn is None:
        key = logs_key(f"{name}-log-group-key", parent, region, account_id, tags=tags)
        key_arn = key.arn
    else:
        key_arn = pulumi.Output.from_input(kms_key_arn)
    group = log_group(
        f"{name}-log-group",
        parent,
        key_arn=key_arn,
        retention_days=retention_days,
        region=region,
        log_group_name=f"/aws/cloudtrail/{trail_name}",
        tags=tags,
    )
    role = aws.iam.Role(
        f"{name}-cloudwatch-role",
        name=role_name,
        assume_role_policy=iam.service_assume_role_policy(SERVICE, source_account=account_id),
        tags=tags,
        opts=child,
    )
    aws.iam.RolePolicy(
        f"{name}-cloudwatch-policy",
        role=role.id,
        policy=iam.dumps(
            [
                {
                    "Sid": "DeliverTrailEvents",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": pulumi.Output.concat(group.arn, ":log-stream:*"),
                }
            ]
        ),
        opts=child,
    )
    return LogsDelivery(
        log_group=group,
        kms_key=key,
        kms_key_arn=key_arn,
        group_arn=pulumi.Output.concat(group.arn, ":*"),
        role_arn=role.arn,
    )


@dataclass
class Trail:
    """What :func:`build` made."""

    trail: aws.cloudtrail.Trail
    """The trail."""
    bucket: SecureBucket
    """Its locked log bucket."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts the log files (given, or created with the bucket)."""
    delivery: LogsDelivery | None
    """The CloudWatch Logs copy (None without it)."""


def build(
    name: str,
    parent: pulumi.Resource,
    *,
    trail_name: str,
    bucket_prefix: str,
    region: str,
    account_id: pulumi.Input[str],
    object_lock: ObjectLock | None,
    policy_statements: Sequence[Mapping[str, Any]],
    key_policy_statements: Sequence[Mapping[str, Any]],
    kms_key_arn: pulumi.Input[str] | None,
    logs_role_name: str | None,
    logs_retention_days: int,
    tags: Mapping[str, str],
    organization: bool = False,
    event_selectors: Sequence[aws.cloudtrail.TrailEventSelectorArgsDict] | None = None,
    insight_selectors: Sequence[aws.cloudtrail.TrailInsightSelectorArgsDict] | None = None,
) -> Trail:
    """A baseline trail: the ``<name>-logs`` SecureBucket named under ``bucket_prefix`` (SSE-KMS with ``kms_key_arn`` or a
    key created with ``key_policy_statements``), the CloudWatch Logs copy when
    ``logs_role_name`` is given (:func:`logs_delivery`), and ``<name>-trail``: every region,
    global service events, log file validation, KMS, logging on. The trail waits for the
    bucket policy, which CloudTrail checks when it creates the trail."""
    bucket = SecureBucket(
        f"{name}-logs",
        SecureBucketArgs(
            bucket_prefix=bucket_prefix,
            object_lock=object_lock,
            policy_statements=policy_statements,
            key_policy_statements=key_policy_statements,
            kms_key_arn=kms_key_arn,
            region=region,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    assert bucket.kms_key_arn is not None  # SSE-KMS: the given key or a created one
    delivery = None
    if logs_role_name is not None:
        delivery = logs_delivery(
            name,
            parent,
            trail_name=trail_name,
            role_name=logs_role_name,
            region=region,
            account_id=account_id,
            retention_days=logs_retention_days,
            tags=tags,
        )
    trail = aws.cloudtrail.Trail(
        f"{name}-trail",
        name=trail_name,
        s3_bucket_name=bucket.bucket_name,
        is_organization_trail=True if organization else None,
        is_multi_region_trail=True,
        include_global_service_events=True,
        enable_log_file_validation=True,
        enable_logging=True,
        kms_key_id=bucket.kms_key_arn,
        cloud_watch_logs_group_arn=delivery.group_arn if delivery else None,
        cloud_watch_logs_role_arn=delivery.role_arn if delivery else None,
        event_selectors=event_selectors,
        insight_selectors=insight_selectors,
        region=region,
        tags=dict(tags) or None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[bucket.policy]),
    )
    return Trail(trail=trail, bucket=bucket, kms_key_arn=bucket.kms_key_arn, delivery=delivery)
