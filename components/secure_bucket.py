"""An S3 bucket that is private, encrypted, versioned, TLS-only and access-logged by default.

Checklist: S-09 (Block Public Access), S-10 (versioning), S-11 (Object Lock, optional),
S-12 (upload malware scanning with GuardDuty Malware Protection for S3, optional).
Other components (GuardDuty exports, Config delivery, CloudTrail, evidence) build on it.
"""

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.components._kms import account_key

TYPE_TOKEN = "secbaseline:index:SecureBucket"
BUCKET_ARN = "${bucket_arn}"
"""Placeholder for the bucket's ARN inside ``policy_statements`` (like CloudFormation's Sub)."""
SCAN_STATUS_TAG = "GuardDutyMalwareScanStatus"
"""Tag GuardDuty Malware Protection for S3 writes on every scanned object."""
CLEAN_SCAN_STATUS = "NO_THREATS_FOUND"
MALWARE_RULE_PREFIX = "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3"
"""EventBridge managed rules GuardDuty creates for the plan (the role manages only these)."""
MALWARE_SERVICE = "malware-protection-plan.guardduty.amazonaws.com"


class ObjectLockMode(StrEnum):
    """Object Lock retention mode."""

    GOVERNANCE = "GOVERNANCE"
    """Users with s3:BypassGovernanceRetention may shorten or remove the retention."""
    COMPLIANCE = "COMPLIANCE"
    """Nobody can shorten or remove the retention, not even the root user."""


OBJECT_LOCK_MODES = tuple(mode.value for mode in ObjectLockMode)


@component_args
class ObjectLock(ComponentArgs):
    """Default Object Lock retention (S-11). Object Lock can only be enabled at bucket creation."""

    mode: ObjectLockMode = ObjectLockMode.GOVERNANCE
    """GOVERNANCE (privileged users may override) or COMPLIANCE (nobody can, not even root)."""
    days: int = arg(default=30, ge=1, le=36500)
    """Default retention in days, 1-36500."""


def _bucket_statement(field: str, statement: Any) -> Any:
    if not isinstance(statement, Mapping) or statement.get("Effect") not in ("Allow", "Deny"):
        raise ValueError(f"{field}: Effect must be Allow or Deny")
    if iam.is_public_allow(statement):
        raise ValueError(
            f"{field}: Allow for Principal '*' would make the bucket public; name the principals "
            "instead"
        )
    return statement


def _key_statement(field: str, statement: Any) -> Any:
    if not isinstance(statement, Mapping):
        raise ValueError(f"{field}: expected a policy statement")
    if iam.is_public_allow(statement) and not statement.get("Condition"):
        raise ValueError(
            f"{field}: Allow for Principal '*' without a Condition would let any AWS account use "
            "the key"
        )
    return statement


@component_args
class SecureBucketArgs(ComponentArgs):
    """Inputs of :class:`SecureBucket`. Every default is the secure choice."""

    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Customer KMS key for SSE-KMS; None creates a dedicated key with rotation on."""
    use_sse_s3: bool = False
    """Opt-out: SSE-S3 (AES256) instead of SSE-KMS. Needed for targets of S3 server access logs."""
    policy_statements: Sequence[Mapping[str, Any]] = arg(
        default_factory=list, each=_bucket_statement
    )
    """Extra bucket-policy statements merged after the TLS-only deny; ``${bucket_arn}`` is
    replaced by the bucket ARN. Allow statements for everyone (``Principal: "*"``) are refused."""
    key_policy_statements: Sequence[Mapping[str, Any]] = arg(
        default_factory=list, each=_key_statement
    )
    """Extra statements for the created KMS key's policy (e.g. a service that writes here)."""
    access_logging: bool = True
    """Write S3 server access logs (to ``log_bucket_name`` or a created log bucket)."""
    log_bucket_name: pulumi.Input[str] | None = arg(default=None, check=validate.bucket_name)
    """Existing bucket for server access logs; None creates one beside this bucket."""
    noncurrent_version_days: int = arg(default=90, ge=1, le=3650)
    """Expire noncurrent object versions after this many days, 1-3650."""
    object_lock: ObjectLock | None = None
    """Enable Object Lock with this default retention (only possible on a new bucket)."""
    bucket_name: pulumi.Input[str] | None = arg(default=None, check=validate.bucket_name)
    """Explicit physical name; None lets Pulumi auto-name (recommended)."""
    bucket_prefix: str | None = arg(default=None, check=validate.bucket_prefix)
    """Name the bucket ``<bucket_prefix><unique suffix>`` (S3 appends 26 characters), 1-32
    characters; its access-log bucket gets ``<bucket_prefix>logs-``. The baseline's own buckets
    use ``<namePrefix>-<purpose>-`` so the delegation boundary can fence them by name."""
    force_destroy: bool = False
    """Allow `pulumi destroy` to delete a non-empty bucket (never for evidence or logs)."""
    region: str | None = arg(default=None, check=validate.region)
    """Region of the bucket; None uses the provider's region."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the bucket and every taggable child (key, log bucket, scanner role and plan)."""
    import_existing: str | None = arg(default=None, check=validate.bucket_name)
    """Adopt this existing bucket (by name) instead of creating one (``import_``): its settings
    are then brought to this component's secure defaults. Cannot be combined with Object Lock."""
    malware_scanning: bool = False
    """Scan every uploaded object with GuardDuty Malware Protection for S3 and tag it with
    ``GuardDutyMalwareScanStatus`` (S-12). Billed per GB scanned and per object."""
    deny_unscanned_reads: bool = False
    """With ``malware_scanning``: deny ``s3:GetObject`` of objects not tagged
    ``GuardDutyMalwareScanStatus=NO_THREATS_FOUND`` (the scanner role itself is exempt)."""

    def __post_init__(self) -> None:
        if self.import_existing is not None:
            if self.object_lock is not None:
                raise ValueError(
                    "object_lock: Object Lock can only be enabled when a bucket is created; it "
                    f"cannot be turned on while adopting the existing bucket "
                    f"{self.import_existing!r} (create a new bucket and copy the objects)"
                )
            if self.bucket_name not in (None, self.import_existing):
                raise ValueError(
                    "bucket_name: must be empty or equal import_existing when adopting a bucket"
                )
        if self.bucket_prefix is not None and (
            self.bucket_name is not None or self.import_existing is not None
        ):
            raise ValueError(
                "bucket_prefix: cannot be combined with bucket_name or import_existing (the "
                "name is either given or generated under the prefix)"
            )
        if self.deny_unscanned_reads and not self.malware_scanning:
            raise ValueError("deny_unscanned_reads: requires malware_scanning")
        if self.use_sse_s3 and self.kms_key_arn is not None:
            raise ValueError("use_sse_s3: cannot be combined with kms_key_arn")


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


def scan_role_statements(
    bucket_arn: pulumi.Input[str],
    rule_arn: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str] | None,
) -> list[dict[str, Any]]:
    """GuardDuty Malware Protection for S3's documented role policy, for one bucket."""
    objects = pulumi.Output.concat(bucket_arn, "/*")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowManagedRuleToSendS3EventsToGuardDuty",
            "Effect": "Allow",
            "Action": [
                "events:PutRule",
                "events:DeleteRule",
                "events:PutTargets",
                "events:RemoveTargets",
            ],
            "Resource": rule_arn,
            "Condition": {"StringLike": {"events:ManagedBy": MALWARE_SERVICE}},
        },
        {
            "Sid": "AllowGuardDutyToMonitorEventBridgeManagedRule",
            "Effect": "Allow",
            "Action": ["events:DescribeRule", "events:ListTargetsByRule"],
            "Resource": rule_arn,
        },
        {
            "Sid": "AllowPostScanTag",
            "Effect": "Allow",
            "Action": [
                "s3:PutObjectTagging",
                "s3:GetObjectTagging",
                "s3:PutObjectVersionTagging",
                "s3:GetObjectVersionTagging",
            ],
            "Resource": objects,
        },
        {
            "Sid": "AllowEnableS3EventBridgeEvents",
            "Effect": "Allow",
            "Action": ["s3:PutBucketNotification", "s3:GetBucketNotification"],
            "Resource": bucket_arn,
        },
        {
            "Sid": "AllowPutValidationObject",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(
                bucket_arn, "/malware-protection-resource-validation-object"
            ),
        },
        {
            "Sid": "AllowCheckBucketOwnership",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
        },
        {
            "Sid": "AllowMalwareScan",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": objects,
        },
    ]
    if kms_key_arn is not None:
        statements.append(
            {
                "Sid": "AllowDecryptForMalwareScan",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": kms_key_arn,
                "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
            }
        )
    return statements


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
    log_bucket_name: pulumi.Output[str] | None
    """The bucket that receives this bucket's access logs (None without access logging)."""
    policy: aws.s3.BucketPolicy
    """The bucket policy (TLS-only deny plus the given statements)."""
    malware_protection_plan: aws.guardduty.MalwareProtectionPlan | None
    """The GuardDuty Malware Protection plan (None unless ``malware_scanning``)."""
    malware_scan_role: aws.iam.Role | None
    """The role GuardDuty assumes to scan and tag objects (None unless ``malware_scanning``)."""

    def __init__(
        self,
        name: str,
        args: SecureBucketArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        _receives_access_logs: bool = False,
    ) -> None:
        args = SecureBucketArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        tags = dict(args.tags) or None
        self._log_bucket: SecureBucket | None = None

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.import_existing or args.bucket_name,
            bucket_prefix=args.bucket_prefix,
            object_lock_enabled=True if args.object_lock else None,
            force_destroy=args.force_destroy,
            region=region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, import_=args.import_existing),
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
        if not args.use_sse_s3 and not _receives_access_logs:
            if args.kms_key_arn is None:
                account_id = aws.get_caller_identity_output(
                    opts=pulumi.InvokeOutputOptions(parent=self)
                ).account_id
                self.kms_key = account_key(
                    f"{name}-key",
                    description=f"Encrypts objects of the {name} bucket",
                    account_id=account_id,
                    statements=args.key_policy_statements,
                    region=region,
                    tags=tags,
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

        self.log_bucket_name = None
        if args.access_logging and not _receives_access_logs:
            target = args.log_bucket_name
            if target is None:
                self._log_bucket = SecureBucket(
                    f"{name}-access-logs",
                    SecureBucketArgs(
                        region=region,
                        bucket_prefix=f"{args.bucket_prefix}logs-" if args.bucket_prefix else None,
                        noncurrent_version_days=args.noncurrent_version_days,
                        force_destroy=args.force_destroy,
                        tags=args.tags,
                    ),
                    opts=child,
                    _receives_access_logs=True,
                )
                target = self._log_bucket.bucket_name
            self.log_bucket_name = pulumi.Output.from_input(target)
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=target,
                target_prefix=pulumi.Output.concat(self.bucket.bucket, "/"),
                region=region,
                opts=child,
            )

        self.malware_protection_plan = None
        self.malware_scan_role = None
        statements: list[Mapping[str, Any]] = [iam.deny_insecure_transport(self.bucket.arn)]
        if args.malware_scanning:
            self._malware_scanning(name, region, tags)
            if args.deny_unscanned_reads and self.malware_scan_role is not None:
                statements.append(
                    {
                        "Sid": "DenyReadsOfUnscannedObjects",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                        "Resource": pulumi.Output.concat(self.bucket.arn, "/*"),
                        "Condition": {
                            "StringNotEquals": {
                                f"s3:ExistingObjectTag/{SCAN_STATUS_TAG}": CLEAN_SCAN_STATUS,
                                "aws:PrincipalArn": self.malware_scan_role.arn,
                            }
                        },
                    }
                )
        if _receives_access_logs:
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
            {
                "bucketName": self.bucket_name,
                "arn": self.arn,
                "kmsKeyArn": self.kms_key_arn,
                "logBucketName": self.log_bucket_name,
            }
        )

    @property
    def log_bucket(self) -> "SecureBucket | None":
        """The created access-log bucket (None with ``log_bucket_name`` or no logging)."""
        return self._log_bucket

    def _malware_scanning(self, name: str, region: str | None, tags: dict[str, str] | None) -> None:
        """GuardDuty Malware Protection for S3: the documented service role and the plan."""
        child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        current_region = (
            pulumi.Output.from_input(region)
            if region
            else aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        )
        rule_arn = pulumi.Output.concat(
            "arn:aws:events:",
            current_region,
            ":",
            identity.account_id,
            f":rule/{MALWARE_RULE_PREFIX}*",
        )
        statements = scan_role_statements(self.bucket.arn, rule_arn, self.kms_key_arn)
        role = aws.iam.Role(
            f"{name}-malware-scan-role",
            description=f"GuardDuty Malware Protection for S3 scans the {name} bucket",
            assume_role_policy=iam.service_assume_role_policy(
                MALWARE_SERVICE, source_account=identity.account_id
            ),
            tags=tags,
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-malware-scan-policy",
            role=role.id,
            policy=iam.dumps(statements),
            opts=child,
        )
        self.malware_scan_role = role
        self.malware_protection_plan = aws.guardduty.MalwareProtectionPlan(
            f"{name}-malware-protection",
            role=role.arn,
            protected_resource={"s3_bucket": {"bucket_name": self.bucket.bucket}},
            actions=[{"taggings": [{"status": "ENABLED"}]}],
            region=region,
            tags=tags,
            # GuardDuty validates the role when the plan is created: wait for its policy.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
