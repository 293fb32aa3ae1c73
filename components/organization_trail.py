"""An organization CloudTrail into an Object Lock bucket only this trail can write (S-24, S-28).

Deployed by the management account (an organization trail can only be created there, or by
CloudTrail's delegated administrator). Skipped when Control Tower owns the organization trail.

Checklist: S-24 (organization-wide logging), S-28 (the trail the SCPs protect).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import bucket_prefix, physical_name
from secbaseline.components.secure_bucket import (
    BUCKET_ARN,
    ObjectLock,
    ObjectLockMode,
    SecureBucket,
    SecureBucketArgs,
)

TYPE_TOKEN = "secbaseline:index:OrganizationTrail"


def _default_lock() -> ObjectLock:
    return ObjectLock(mode=ObjectLockMode.GOVERNANCE, days=365)


@component_args
class OrganizationTrailArgs(ComponentArgs):
    """Inputs of :class:`OrganizationTrail`."""

    organization_id: str = arg(check=validate.organization_id)
    """The organization (o-...): CloudTrail writes under ``AWSLogs/<org id>/``."""
    management_account_id: str = arg(check=validate.account_id)
    """The management account that owns the trail."""
    home_region: str = arg(check=validate.region)
    """Where the trail, bucket and key live."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of physical names (the trail is ``<prefix>-organization-trail``)."""
    object_lock: ObjectLock = arg(default_factory=_default_lock)
    """Default retention of log files (GOVERNANCE 365 days; COMPLIANCE for regulators)."""
    reader_account_ids: Sequence[str] = arg(default_factory=list, each=validate.account_id)
    """Accounts (e.g. security/audit) whose IAM may read the logs: list the bucket, get the
    objects under ``AWSLogs/`` (bucket policy) and decrypt them with the trail's key."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key for the log files instead of a created one. Its policy must let
    CloudTrail encrypt for this trail and the readers decrypt (the statements this component
    puts in the key it creates: see the docs page)."""
    cloudwatch_logs: bool = False
    """Also deliver to a CloudWatch Logs group (for metric filters and alarms)."""
    cloudwatch_logs_retention_days: int = arg(default=365, check=validate.log_retention_days)
    """Retention of that log group (a CloudWatch Logs allowed value)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (trail, buckets, key, log group, role)."""

    @property
    def trail_name(self) -> str:
        """The trail's physical name (known before creation: the policies name its ARN)."""
        return physical_name(self.name_prefix, "organization-trail")

    @property
    def trail_arn(self) -> str:
        """The trail's ARN, computed from the name (needed by the bucket and key policies)."""
        return (
            f"arn:aws:cloudtrail:{self.home_region}:{self.management_account_id}:"
            f"trail/{self.trail_name}"
        )

    def bucket_statements(self) -> list[dict[str, Any]]:
        """Bucket policy: only this organization's trail may check the ACL and write; the
        reader accounts (their IAM decides who) may list the bucket and read the logs."""
        condition = {"StringEquals": {"aws:SourceArn": self.trail_arn}}
        statements = [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": BUCKET_ARN,
                "Condition": condition,
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": [
                    f"{BUCKET_ARN}/AWSLogs/{self.management_account_id}/*",
                    f"{BUCKET_ARN}/AWSLogs/{self.organization_id}/*",
                ],
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceArn": self.trail_arn,
                    }
                },
            },
        ]
        # The management account owns the bucket; other readers need the bucket policy (and
        # kms:Decrypt from the key policy) to read across accounts.
        readers = sorted(set(self.reader_account_ids) - {self.management_account_id})
        if readers:
            principal = {"AWS": [f"arn:aws:iam::{a}:root" for a in readers]}
            statements += [
                {
                    "Sid": "AllowLogReaders",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:GetObject",
                    "Resource": f"{BUCKET_ARN}/AWSLogs/*",
                },
                {
                    "Sid": "AllowLogReadersListBucket",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
                    "Resource": BUCKET_ARN,
                },
            ]
        return statements

    def key_statements(self) -> list[dict[str, Any]]:
        """Key policy additions: CloudTrail encrypts for this trail; readers decrypt."""
        context_key = "kms:EncryptionContext:aws:cloudtrail:arn"
        trails = f"arn:aws:cloudtrail:*:{self.management_account_id}:trail/*"
        statements: list[dict[str, Any]] = [
            {
                "Sid": "AllowCloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",  # in a key policy "*" means this key
                "Condition": {
                    "StringEquals": {"aws:SourceArn": self.trail_arn},
                    "StringLike": {context_key: trails},
                },
            },
            {
                "Sid": "AllowCloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",  # in a key policy "*" means this key
                "Condition": {"StringEquals": {"aws:SourceArn": self.trail_arn}},
            },
        ]
        readers = sorted({self.management_account_id, *self.reader_account_ids})
        statements.append(
            {
                "Sid": "AllowLogReadersDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in readers]},
                "Action": "kms:Decrypt",
                "Resource": "*",  # in a key policy "*" means this key
                "Condition": {"StringLike": {context_key: trails}},
            }
        )
        return statements


class OrganizationTrail(pulumi.ComponentResource):
    """A multi-region, validated, KMS-encrypted organization trail in a locked bucket."""

    trail: aws.cloudtrail.Trail
    """The organization trail."""
    trail_arn: pulumi.Output[str]
    """The trail's ARN."""
    bucket_name: pulumi.Output[str]
    """The log bucket's name."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts the log files (the given one or the created one)."""
    log_group: aws.cloudwatch.LogGroup | None
    """The CloudWatch Logs group (None unless ``cloudwatch_logs``)."""

    def __init__(
        self,
        name: str,
        args: OrganizationTrailArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = OrganizationTrailArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None

        self._bucket = SecureBucket(
            f"{name}-logs",
            SecureBucketArgs(
                bucket_prefix=bucket_prefix(args.name_prefix, "org-trail"),
                object_lock=args.object_lock,
                policy_statements=args.bucket_statements(),
                key_policy_statements=args.key_statements(),
                kms_key_arn=args.kms_key_arn,
                region=args.home_region,
                tags=args.tags,
            ),
            opts=child,
        )
        assert self._bucket.kms_key_arn is not None  # SSE-KMS: the given key or a created one
        self.kms_key_arn = self._bucket.kms_key_arn

        self.log_group = None
        group_arn: pulumi.Output[str] | None = None
        role_arn: pulumi.Output[str] | None = None
        if args.cloudwatch_logs:
            self.log_group = aws.cloudwatch.LogGroup(
                f"{name}-log-group",
                name=f"/aws/cloudtrail/{args.trail_name}",
                retention_in_days=args.cloudwatch_logs_retention_days,
                region=args.home_region,
                tags=tags,
                opts=child,
            )
            role = aws.iam.Role(
                f"{name}-cloudwatch-role",
                name=physical_name(args.name_prefix, "org-trail-to-logs"),
                assume_role_policy=iam.service_assume_role_policy(
                    "cloudtrail.amazonaws.com", source_account=args.management_account_id
                ),
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
                            "Resource": pulumi.Output.concat(self.log_group.arn, ":log-stream:*"),
                        }
                    ]
                ),
                opts=child,
            )
            group_arn = pulumi.Output.concat(self.log_group.arn, ":*")
            role_arn = role.arn

        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=self._bucket.bucket_name,
            is_organization_trail=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=self._bucket.kms_key_arn,
            cloud_watch_logs_group_arn=group_arn,
            cloud_watch_logs_role_arn=role_arn,
            region=args.home_region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._bucket.policy]),
        )
        self.trail_arn = self.trail.arn

        self.bucket_name = self._bucket.bucket_name

        self.register_outputs(
            {
                "trailArn": self.trail_arn,
                "bucketName": self.bucket_name,
                "kmsKeyArn": self.kms_key_arn,
            }
        )

    @property
    def bucket(self) -> SecureBucket:
        """The log bucket (Object Lock, KMS key with CloudTrail statements)."""
        return self._bucket
