"""An S3 bucket that is private, encrypted, versioned, TLS-only and access-logged by default.

Checklist: S-09 (Block Public Access), S-10 (versioning), S-11 (Object Lock, optional),
S-12 (upload malware scanning with GuardDuty Malware Protection for S3, optional).
Other components (GuardDuty exports, Config delivery, CloudTrail, evidence) build on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate

TYPE_TOKEN = "secbaseline:index:SecureBucket"
BUCKET_ARN = "${bucket_arn}"
"""Placeholder for the bucket's ARN inside ``policy_statements`` (like CloudFormation's Sub)."""
OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
SCAN_STATUS_TAG = "GuardDutyMalwareScanStatus"
"""Tag GuardDuty Malware Protection for S3 writes on every scanned object."""
CLEAN_SCAN_STATUS = "NO_THREATS_FOUND"
MALWARE_RULE_PREFIX = "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3"
"""EventBridge managed rules GuardDuty creates for the plan (the role manages only these)."""
MALWARE_SERVICE = "malware-protection-plan.guardduty.amazonaws.com"
BUCKET_KEYS = frozenset(
    {
        "enabled",
        "kmsKeyArn",
        "useSseS3",
        "accessLogging",
        "logBucketName",
        "noncurrentVersionDays",
        "objectLock",
        "bucketName",
        "importExisting",
        "forceDestroy",
        "region",
        "malwareScanning",
        "denyUnscannedReads",
        "tags",
    }
)


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
    import_existing: str | None = None
    """Adopt this existing bucket (by name) instead of creating one (``import_``): its settings
    are then brought to this component's secure defaults. Cannot be combined with Object Lock."""
    malware_scanning: bool = False
    """Scan every uploaded object with GuardDuty Malware Protection for S3 and tag it with
    ``GuardDutyMalwareScanStatus`` (S-12). Billed per GB scanned and per object."""
    deny_unscanned_reads: bool = False
    """With ``malware_scanning``: deny ``s3:GetObject`` of objects not tagged
    ``GuardDutyMalwareScanStatus=NO_THREATS_FOUND`` (the scanner role itself is exempt)."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        if self.import_existing is not None:
            validate.bucket_name("bucket.importExisting", self.import_existing)
            if self.object_lock is not None:
                raise ValueError(
                    "bucket.objectLock: Object Lock can only be enabled when a bucket is created; "
                    f"it cannot be turned on while adopting the existing bucket "
                    f"{self.import_existing!r} (create a new bucket and copy the objects)"
                )
            if self.bucket_name not in (None, self.import_existing):
                raise ValueError(
                    "bucket.bucketName: must be empty or equal importExisting when adopting a bucket"
                )
        validate.boolean("bucket.malwareScanning", self.malware_scanning)
        validate.boolean("bucket.denyUnscannedReads", self.deny_unscanned_reads)
        if self.deny_unscanned_reads and not self.malware_scanning:
            raise ValueError("bucket.denyUnscannedReads: requires malwareScanning")
        if self.malware_scanning and self.is_log_bucket:
            raise ValueError("bucket.malwareScanning: not for access-log buckets")
        validate.int_range("bucket.noncurrentVersionDays", self.noncurrent_version_days, 1, 3650)
        if self.region is not None:
            validate.region("bucket.region", self.region)
        if self.bucket_name is not None:
            validate.bucket_name("bucket.bucketName", self.bucket_name)
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
        for index, statement in enumerate(self.key_policy_statements):
            if iam.is_public_allow(statement) and not statement.get("Condition"):
                raise ValueError(
                    f"bucket.keyPolicyStatements[{index}]: Allow for Principal '*' without a "
                    "Condition would let any AWS account use the key"
                )
        validate.tags("bucket.tags", dict(self.tags))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> SecureBucketArgs:
        """Build from the ``bucket`` config section (``enabled`` is read by the tier)."""
        raw = validate.known_keys("bucket", section, BUCKET_KEYS)
        lock_raw = raw.get("objectLock")
        lock = None
        if lock_raw is not None:
            lock_keys = validate.known_keys("bucket.objectLock", lock_raw, {"mode", "days"})
            mode = validate.one_of(
                "objectLock.mode", str(lock_keys.get("mode", "GOVERNANCE")), OBJECT_LOCK_MODES
            )
            lock = ObjectLock(
                mode="COMPLIANCE" if mode == "COMPLIANCE" else "GOVERNANCE",
                days=validate.int_range("objectLock.days", lock_keys.get("days", 30), 1, 36500),
            )

        def text(key: str) -> str | None:
            value = raw.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"bucket.{key}: expected a string, got {value!r}")
            return value

        key_arn = text("kmsKeyArn")
        if key_arn is not None:
            validate.arn("bucket.kmsKeyArn", key_arn, service="kms")
        args = cls(
            kms_key_arn=key_arn,
            use_sse_s3=validate.boolean("bucket.useSseS3", raw.get("useSseS3", False)),
            access_logging=validate.boolean("bucket.accessLogging", raw.get("accessLogging", True)),
            log_bucket_name=text("logBucketName"),
            noncurrent_version_days=validate.int_range(
                "bucket.noncurrentVersionDays", raw.get("noncurrentVersionDays", 90), 1, 3650
            ),
            object_lock=lock,
            bucket_name=text("bucketName"),
            import_existing=text("importExisting"),
            force_destroy=validate.boolean("bucket.forceDestroy", raw.get("forceDestroy", False)),
            region=text("region"),
            malware_scanning=validate.boolean(
                "bucket.malwareScanning", raw.get("malwareScanning", False)
            ),
            deny_unscanned_reads=validate.boolean(
                "bucket.denyUnscannedReads", raw.get("denyUnscannedReads", False)
            ),
            tags=validate.tags("bucket.tags", raw.get("tags", {})),
        )
        args.validate()
        return args


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
    malware_protection_plan: aws.guardduty.MalwareProtectionPlan | None
    """The GuardDuty Malware Protection plan (None unless ``malware_scanning``)."""
    malware_scan_role: aws.iam.Role | None
    """The role GuardDuty assumes to scan and tag objects (None unless ``malware_scanning``)."""

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
            bucket=args.import_existing or args.bucket_name,
            object_lock_enabled=True if args.object_lock else None,
            force_destroy=args.force_destroy,
            region=region,
            tags=dict(args.tags) or None,
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

        self.malware_protection_plan = None
        self.malware_scan_role = None
        statements: list[Mapping[str, Any]] = [iam.deny_insecure_transport(self.bucket.arn)]
        if args.malware_scanning:
            self._malware_scanning(name, region)
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

    def _malware_scanning(self, name: str, region: str | None) -> None:
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
        objects = pulumi.Output.concat(self.bucket.arn, "/*")
        statements: list[Mapping[str, Any]] = [
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
                "Resource": self.bucket.arn,
            },
            {
                "Sid": "AllowPutValidationObject",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(
                    self.bucket.arn, "/malware-protection-resource-validation-object"
                ),
            },
            {
                "Sid": "AllowCheckBucketOwnership",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": self.bucket.arn,
            },
            {
                "Sid": "AllowMalwareScan",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": objects,
            },
        ]
        if self.kms_key_arn is not None:
            statements.append(
                {
                    "Sid": "AllowDecryptForMalwareScan",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": self.kms_key_arn,
                    "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
                }
            )
        role = aws.iam.Role(
            f"{name}-malware-scan-role",
            description=f"GuardDuty Malware Protection for S3 scans the {name} bucket",
            assume_role_policy=iam.service_assume_role_policy(
                MALWARE_SERVICE, source_account=identity.account_id
            ),
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
            # GuardDuty validates the role when the plan is created: wait for its policy.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
