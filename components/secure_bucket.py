"""An S3 bucket that is private, encrypted, versioned, TLS-only and access-logged by default.

Checklist: S-09 (Block Public Access), S-10 (versioning), S-11 (Object Lock, optional).
Other components (GuardDuty exports, Config delivery, CloudTrail, evidence) build on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from baseline import iam, validate

TYPE_TOKEN = "secbaseline:index:SecureBucket"
BUCKET_ARN = "${bucket_arn}"
"""Placeholder for the bucket's ARN inside ``policy_statements`` (like CloudFormation's Sub)."""
OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


@dataclass
class ObjectLock:
    """Default Object Lock retention (S-11). Object Lock can only be enabled at bucket creation."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    """GOVERNANCE (privileged users may override) or COMPLIANCE (nobody can, not even root)."""
    days: int = 30
    """Default retention in days, 1-36500."""

    def __post_init__(self) -> None:
        validate.one_of("objectLock.mode", self.mode, OBJECT_LOCK_MODES)
        validate.int_range("objectLock.days", self.days, 1, 36500)


@dataclass
class SecureBucketArgs:
    """Inputs of :class:`SecureBucket`. Every default is the secure choice."""

    kms_key_arn: pulumi.Input[str] | None = None
    """Customer KMS key for SSE-KMS; None creates a dedicated key with rotation on."""
    use_sse_s3: bool = False
    """Opt-out: SSE-S3 (AES256) instead of SSE-KMS. Needed for targets of S3 server access logs."""
    policy_statements: Sequence[Mapping[str, Any]] = ()
    """Extra bucket-policy statements merged after the TLS-only deny; ``${bucket_arn}`` is
    replaced by the bucket ARN. Allow statements for everyone (``Principal: "*"``) are refused."""
    key_policy_statements: Sequence[Mapping[str, Any]] = ()
    """Extra statements for the created KMS key's policy (e.g. a service that writes here)."""
    access_logging: bool = True
    """Write S3 server access logs (to ``log_bucket_name`` or a created log bucket)."""
    log_bucket_name: pulumi.Input[str] | None = None
    """Existing bucket for server access logs; None creates one beside this bucket."""
    noncurrent_version_days: int = 90
    """Expire noncurrent object versions after this many days, 1-3650."""
    object_lock: ObjectLock | None = None
    """Enable Object Lock with this default retention (only possible on a new bucket)."""
    bucket_name: str | None = None
    """Explicit physical name; None lets Pulumi auto-name (recommended)."""
    force_destroy: bool = False
    """Allow `pulumi destroy` to delete a non-empty bucket (never for evidence or logs)."""
    region: str | None = None
    """Region of the bucket; None uses the provider's region."""
    is_log_bucket: bool = False
    """Internal: this bucket receives S3 server access logs (SSE-S3, logging service allowed)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the bucket."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.int_range("bucket.noncurrentVersionDays", self.noncurrent_version_days, 1, 3650)
        if self.region is not None:
            validate.region("bucket.region", self.region)
        if self.bucket_name is not None and not _valid_bucket_name(self.bucket_name):
            raise ValueError(
                f"bucket.bucketName: {self.bucket_name!r} is not a valid S3 bucket name "
                "(3-63 characters of a-z, 0-9, '.', '-', starting and ending with a letter or digit)"
            )
        if self.use_sse_s3 and self.kms_key_arn is not None:
            raise ValueError("bucket.useSseS3: cannot be combined with kmsKeyArn")
        for index, statement in enumerate(self.policy_statements):
            if statement.get("Effect") not in ("Allow", "Deny"):
                raise ValueError(f"bucket.policyStatements[{index}]: Effect must be Allow or Deny")
            if iam.is_public_allow(statement):
                raise ValueError(
                    f"bucket.policyStatements[{index}]: Allow for Principal '*' would make the "
                    "bucket public; name the principals instead"
                )
        validate.tags("bucket.tags", dict(self.tags))


def _valid_bucket_name(name: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name)) and ".." not in name


def _substitute(value: Any, bucket_arn: pulumi.Output[str]) -> Any:
    """Replace ``${bucket_arn}`` in every string of a statement with the bucket's ARN."""
    if isinstance(value, str) and BUCKET_ARN in value:
        head, *rest = value.split(BUCKET_ARN)
        pieces: list[pulumi.Input[str]] = [head]
        for tail in rest:
            pieces += [bucket_arn, tail]
        return pulumi.Output.concat(*pieces)
    if isinstance(value, pulumi.Output):  # e.g. a resource path that contains the account id
        return value.apply(lambda resolved: _substitute(resolved, bucket_arn))
    if isinstance(value, Mapping):
        return {k: _substitute(v, bucket_arn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_substitute(v, bucket_arn) for v in value]
    return value


class SecureBucket(pulumi.ComponentResource):
    """A private, encrypted, versioned, TLS-only S3 bucket with access logging."""

    bucket: aws.s3.Bucket
    """The bucket."""
    bucket_name: pulumi.Output[str]
    """The bucket's physical name."""
    arn: pulumi.Output[str]
    """The bucket's ARN."""
    kms_key: aws.kms.Key | None
    """The key created for this bucket (None with SSE-S3 or a given key)."""
    kms_key_arn: pulumi.Output[str] | None
    """The key that encrypts objects (None with SSE-S3)."""
    log_bucket: SecureBucket | None
    """The created access-log bucket, if any."""
    policy: aws.s3.BucketPolicy
    """The bucket policy (TLS-only deny plus the given statements)."""

    def __init__(
        self,
        name: str,
        args: SecureBucketArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or SecureBucketArgs()
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            object_lock_enabled=True if args.object_lock else None,
            force_destroy=args.force_destroy,
            region=region,
            tags=dict(args.tags) or None,
            opts=child,
        )
        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        bucket_id = self.bucket.id

        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            region=region,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},  # ACLs off
            region=region,
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration={"status": "Enabled"},
            region=region,
            opts=child,
        )

        self.kms_key = None
        self.kms_key_arn = None
        if not args.use_sse_s3 and not args.is_log_bucket:
            if args.kms_key_arn is None:
                account_id = aws.get_caller_identity_output(
                    opts=pulumi.InvokeOutputOptions(parent=self)
                ).account_id
                self.kms_key = aws.kms.Key(
                    f"{name}-key",
                    description=f"Encrypts objects of the {name} bucket",
                    enable_key_rotation=True,
                    deletion_window_in_days=30,
                    policy=iam.dumps(
                        [iam.key_admin_statement(account_id), *args.key_policy_statements]
                    ),
                    region=region,
                    opts=child,
                )
                self.kms_key_arn = self.kms_key.arn
            else:
                self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)
        sse: aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict
        if self.kms_key_arn is not None:
            sse = {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": self.kms_key_arn,
                },
                "bucket_key_enabled": True,
            }
        else:
            sse = {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket_id, rules=[sse], region=region, opts=child
        )

        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": args.noncurrent_version_days
                    },
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            region=region,
            opts=child,
        )

        if args.object_lock:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule={
                    "default_retention": {
                        "mode": args.object_lock.mode,
                        "days": args.object_lock.days,
                    }
                },
                region=region,
                opts=child,
            )

        self.log_bucket = None
        if args.access_logging and not args.is_log_bucket:
            target = args.log_bucket_name
            if target is None:
                self.log_bucket = SecureBucket(
                    f"{name}-access-logs",
                    SecureBucketArgs(
                        is_log_bucket=True,
                        region=region,
                        noncurrent_version_days=args.noncurrent_version_days,
                        force_destroy=args.force_destroy,
                    ),
                    opts=child,
                )
                target = self.log_bucket.bucket_name
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=target,
                target_prefix=pulumi.Output.concat(self.bucket.bucket, "/"),
                region=region,
                opts=child,
            )

        statements: list[Mapping[str, Any]] = [iam.deny_insecure_transport(self.bucket.arn)]
        if args.is_log_bucket:
            statements.append(
                {
                    "Sid": "AllowS3ServerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(self.bucket.arn, "/*"),
                    "Condition": {
                        "StringEquals": {
                            "aws:SourceAccount": aws.get_caller_identity_output(
                                opts=pulumi.InvokeOutputOptions(parent=self)
                            ).account_id
                        }
                    },
                }
            )
        statements += [_substitute(s, self.bucket.arn) for s in args.policy_statements]
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=iam.dumps(statements),
            region=region,
            opts=child,
        )

        self.register_outputs(
            {"bucketName": self.bucket_name, "arn": self.arn, "kmsKeyArn": self.kms_key_arn}
        )
