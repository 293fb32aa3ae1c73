"""An organization CloudTrail into an Object Lock bucket only this trail can write (S-24, S-28).

Deployed by the management account (an organization trail can only be created there, or by
CloudTrail's delegated administrator). Skipped when Control Tower owns the organization trail.

Checklist: S-24 (organization-wide logging), S-28 (the trail the SCPs protect).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import bucket_prefix, physical_name
from secbaseline.components import _trail
from secbaseline.components.secure_bucket import (
    BUCKET_ARN,
    ObjectLock,
    ObjectLockMode,
    SecureBucket,
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
    """Also deliver to a CloudWatch Logs group (for metric filters and alarms), encrypted with
    a customer managed key created for it."""
    cloudwatch_logs_retention_days: int = arg(default=365, check=validate.log_retention_days)
    """Retention of that log group (a CloudWatch Logs allowed value)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (trail, buckets, keys, log group, role)."""

    @property
    def trail_name(self) -> str:
        """The trail's physical name (known before creation: the policies name its ARN)."""
        return physical_name(self.name_prefix, "organization-trail")

    @property
    def trail_arn(self) -> str:
        """The trail's ARN, computed from the name (needed by the bucket and key policies)."""
        arn = _trail.trail_arn(self.home_region, self.management_account_id, self.trail_name)
        assert isinstance(arn, str)  # every part is plain text
        return arn

    def bucket_statements(self) -> list[dict[str, Any]]:
        """Bucket policy: only this organization's trail may check the ACL and write; the
        reader accounts (their IAM decides who) may list the bucket and read the logs."""
        statements = _trail.bucket_statements(
            self.trail_arn,
            [f"AWSLogs/{self.management_account_id}", f"AWSLogs/{self.organization_id}"],
        )
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
        trails = f"arn:aws:cloudtrail:*:{self.management_account_id}:trail/*"
        statements = _trail.key_statements(self.trail_arn, self.management_account_id)
        readers = sorted({self.management_account_id, *self.reader_account_ids})
        statements.append(
            {
                "Sid": "AllowLogReadersDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in readers]},
                "Action": "kms:Decrypt",
                "Resource": "*",  # in a key policy "*" means this key
                "Condition": {"StringLike": {_trail.ENCRYPTION_CONTEXT: trails}},
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
    """The CloudWatch Logs group (None unless ``cloudwatch_logs``), encrypted with a customer
    managed key of its own."""
    log_group_kms_key_arn: pulumi.Output[str] | None
    """The key that encrypts the log group (None unless ``cloudwatch_logs``)."""

    def __init__(
        self,
        name: str,
        args: OrganizationTrailArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = OrganizationTrailArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)

        built = _trail.build(
            name,
            self,
            trail_name=args.trail_name,
            bucket_prefix=bucket_prefix(args.name_prefix, "org-trail"),
            region=args.home_region,
            account_id=args.management_account_id,
            object_lock=args.object_lock,
            policy_statements=args.bucket_statements(),
            key_policy_statements=args.key_statements(),
            kms_key_arn=args.kms_key_arn,
            logs_role_name=physical_name(args.name_prefix, "org-trail-to-logs")
            if args.cloudwatch_logs
            else None,
            logs_retention_days=args.cloudwatch_logs_retention_days,
            tags=args.tags,
            organization=True,
        )
        self.trail = built.trail
        self._bucket = built.bucket
        self.kms_key_arn = built.kms_key_arn
        self.log_group = built.delivery.log_group if built.delivery else None
        self.log_group_kms_key_arn = built.delivery.kms_key_arn if built.delivery else None
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
