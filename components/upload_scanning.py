"""Malware scanning of an existing upload bucket by name, with quarantine and notification.

Checklist: S-12 and S-31 (scan uploaded files). SecureBucket scans the buckets it creates; this
component protects a bucket that already exists (made by another stack, a console or a vendor)
without adopting it: nothing about the bucket itself is managed, so its policy, encryption and
lifecycle stay with their owner.

- GuardDuty Malware Protection for S3 on the bucket (optionally only some prefixes), with the
  documented service role scoped to this one bucket (and its KMS key when given). Every
  scanned object is tagged ``GuardDutyMalwareScanStatus``.
- Quarantine (default ``move``): an EventBridge rule on the scan results of this bucket invokes
  a small function that copies a THREATS_FOUND object version to a private quarantine bucket
  and deletes that version from the upload bucket. Moving was chosen over a tag-based deny in
  the bucket policy because the policy belongs to the bucket's owner (a bucket has exactly one
  policy, and writing it here would replace theirs); ``deny_read_statement`` gives that deny
  for owners who prefer to keep the object in place (``quarantine: notify``).
- Notification: with ``notification_topic_arn``, the same function publishes every result
  that needs a person (threats, and scans that could not complete) to the topic.
"""

from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name
from secbaseline.components.secure_bucket import (
    MALWARE_RULE_PREFIX,
    MALWARE_SERVICE,
    SCAN_STATUS_TAG,
    SecureBucket,
    SecureBucketArgs,
    scan_role_statements,
)

TYPE_TOKEN = "secbaseline:index:UploadScanning"
HANDLER_DIR = Path(__file__).parent / "lambdas" / "upload_quarantine"
SCAN_RESULT = "GuardDuty Malware Protection Object Scan Result"
_PREFIX_LIMIT = 5  # GuardDuty accepts at most five object prefixes per plan


class QuarantineMode(StrEnum):
    """What happens to an object GuardDuty finds malware in."""

    MOVE = "move"
    """Copy it to the quarantine bucket and delete that version from the upload bucket."""
    NOTIFY = "notify"
    """Leave it (tagged THREATS_FOUND) and only notify; add ``deny_read_statement`` to the
    bucket's policy to block downloads."""


def _prefixes(field: str, value: Any) -> Any:
    if len(value) > _PREFIX_LIMIT:
        raise ValueError(f"{field}: at most {_PREFIX_LIMIT} prefixes (a GuardDuty limit)")
    for index, prefix in enumerate(value):
        if not isinstance(prefix, str) or not prefix or len(prefix) > 1024:
            raise ValueError(f"{field}[{index}]: {prefix!r} is not an object key prefix")
    if len(set(value)) != len(value):
        raise ValueError(f"{field}: a prefix is listed twice")
    return value


@component_args
class UploadScanningArgs(ComponentArgs):
    """Inputs of :class:`UploadScanning`. ``bucket_name`` is required."""

    bucket_name: pulumi.Input[str] = arg(check=validate.bucket_name)
    """Name of the existing bucket to protect (not adopted: nothing about it is changed)."""
    region: str | None = arg(default=None, check=validate.region)
    """The bucket's region (the plan, rule and function must be there); None: the provider's."""
    object_prefixes: Sequence[str] = arg(default_factory=list, check=_prefixes)
    """Scan only keys under these prefixes (at most 5); empty: every uploaded object."""
    bucket_kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """The bucket's SSE-KMS key, which the scanner and the quarantine function must use; None
    when the bucket uses SSE-S3."""
    quarantine: QuarantineMode = QuarantineMode.MOVE
    """``move`` (default) or ``notify`` (leave the object in place, tagged)."""
    notification_topic_arn: pulumi.Input[str] | None = arg(
        default=None, check=validate.arn_of("sns")
    )
    """SNS topic for scan results that need a person; None: no notification."""
    notification_kms_key_arn: pulumi.Input[str] | None = arg(
        default=None, check=validate.kms_key_arn
    )
    """KMS key of an encrypted notification topic (the function may encrypt with it)."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """The bucket's account; None: one caller-identity invoke."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the function's and role's physical names."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (plan, roles, function, rule, quarantine bucket)."""

    def __post_init__(self) -> None:
        if self.notification_kms_key_arn is not None and self.notification_topic_arn is None:
            raise ValueError("notification_kms_key_arn: needs notification_topic_arn")
        if self.quarantine == QuarantineMode.NOTIFY and self.notification_topic_arn is None:
            raise ValueError(
                "quarantine: 'notify' needs notification_topic_arn (otherwise nobody hears of "
                "a positive scan); use 'move'"
            )


def deny_read_statement(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Bucket-policy statement that blocks downloads of objects tagged THREATS_FOUND."""
    return {
        "Sid": "DenyReadOfInfectedObjects",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:GetObject", "s3:GetObjectVersion"],
        "Resource": pulumi.Output.concat(bucket_arn, "/*"),
        "Condition": {"StringEquals": {f"s3:ExistingObjectTag/{SCAN_STATUS_TAG}": "THREATS_FOUND"}},
    }


class UploadScanning(pulumi.ComponentResource):
    """Malware Protection plan, quarantine and notification for one existing bucket."""

    plan: aws.guardduty.MalwareProtectionPlan
    """The GuardDuty Malware Protection plan on the bucket."""
    scan_role: aws.iam.Role
    """The role GuardDuty assumes to scan and tag the bucket's objects."""
    quarantine_bucket_name: pulumi.Output[str] | None
    """Name of the bucket infected objects are moved to (None with ``quarantine: notify``)."""
    function: aws.lambda_.Function
    """The function that quarantines and notifies."""
    rule: aws.cloudwatch.EventRule
    """The EventBridge rule on this bucket's scan results (except NO_THREATS_FOUND)."""

    def __init__(
        self,
        name: str,
        args: UploadScanningArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = UploadScanningArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        account = iam.account_id_or_caller(args.account_id, self)
        region: pulumi.Input[str] = (
            args.region
            if args.region
            else aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        )
        bucket_arn = pulumi.Output.concat(f"arn:{iam.PARTITION}:s3:::", args.bucket_name)
        self._deny_read_statement = deny_read_statement(bucket_arn)
        rule_arn = pulumi.Output.concat(
            f"arn:{iam.PARTITION}:events:", region, ":", account, f":rule/{MALWARE_RULE_PREFIX}*"
        )

        self.scan_role = aws.iam.Role(
            f"{name}-scan-role",
            description="GuardDuty Malware Protection for S3 scans one existing bucket",
            assume_role_policy=iam.service_assume_role_policy(
                MALWARE_SERVICE, source_account=account
            ),
            tags=tags,
            opts=child,
        )
        scan_policy = aws.iam.RolePolicy(
            f"{name}-scan-policy",
            role=self.scan_role.id,
            policy=iam.dumps(scan_role_statements(bucket_arn, rule_arn, args.bucket_kms_key_arn)),
            opts=child,
        )
        protected: aws.guardduty.MalwareProtectionPlanProtectedResourceS3BucketArgsDict = {
            "bucket_name": args.bucket_name
        }
        if args.object_prefixes:
            protected["object_prefixes"] = list(args.object_prefixes)
        self.plan = aws.guardduty.MalwareProtectionPlan(
            f"{name}-plan",
            role=self.scan_role.arn,
            protected_resource={"s3_bucket": protected},
            actions=[{"taggings": [{"status": "ENABLED"}]}],
            region=args.region,
            tags=tags,
            # GuardDuty validates the role when the plan is created: wait for its policy.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[scan_policy]),
        )

        self._quarantine_bucket: SecureBucket | None = None
        self.quarantine_bucket_name = None
        if args.quarantine == QuarantineMode.MOVE:
            self._quarantine_bucket = SecureBucket(
                f"{name}-quarantine",
                SecureBucketArgs(
                    # Written only by the quarantine function; its uploads are malware, so it
                    # is not scanned again. Reads are audited by CloudTrail data events.
                    access_logging=False,
                    region=args.region,
                    tags=args.tags,
                ),
                opts=child,
            )
            self.quarantine_bucket_name = self._quarantine_bucket.bucket_name
        self.function = self._function(name, args, bucket_arn, tags)
        pattern = pulumi.Output.json_dumps(
            {
                "source": ["aws.guardduty"],
                "detail-type": [SCAN_RESULT],
                "detail": {
                    "s3ObjectDetails": {"bucketName": [args.bucket_name]},
                    "scanResultDetails": {
                        "scanResultStatus": [{"anything-but": ["NO_THREATS_FOUND"]}]
                    },
                },
            }
        )
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-scan-results",
            description="GuardDuty Malware Protection scan results that need action",
            event_pattern=pattern,
            region=args.region,
            tags=tags,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-scan-results-target",
            rule=self.rule.name,
            arn=self.function.arn,
            retry_policy={"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185},
            region=args.region,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke",
            function=self.function.name,
            action="lambda:InvokeFunction",
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
            source_account=account,
            region=args.region,
            opts=child,
        )
        self.register_outputs(
            {
                "planArn": self.plan.arn,
                "quarantineBucketName": self.quarantine_bucket_name,
            }
        )

    @property
    def quarantine_bucket(self) -> SecureBucket | None:
        """The quarantine bucket (None with ``quarantine: notify``)."""
        return self._quarantine_bucket

    @property
    def deny_read_statement(self) -> dict[str, Any]:
        """A bucket-policy statement denying downloads of THREATS_FOUND objects, to merge into
        the bucket's own policy if you keep infected objects in place."""
        return self._deny_read_statement

    def _function(
        self,
        name: str,
        args: UploadScanningArgs,
        bucket_arn: pulumi.Output[str],
        tags: dict[str, str] | None,
    ) -> aws.lambda_.Function:
        child = pulumi.ResourceOptions(parent=self)
        function_name = physical_name(args.name_prefix, "upload-quarantine", name)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=365,
            region=args.region,
            tags=tags,
            opts=child,
        )
        statements: list[dict[str, Any]] = [
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(log_group.arn, ":*"),
            }
        ]
        variables: dict[str, pulumi.Input[str]] = {}
        quarantine = self._quarantine_bucket
        if quarantine is not None:
            variables["QUARANTINE_BUCKET"] = quarantine.bucket_name
            statements += [
                {
                    "Sid": "ReadAndRemoveInfectedObjects",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObject",
                        "s3:GetObjectVersion",
                        "s3:GetObjectTagging",
                        "s3:GetObjectVersionTagging",
                        "s3:DeleteObject",
                        "s3:DeleteObjectVersion",
                    ],
                    "Resource": pulumi.Output.concat(bucket_arn, "/*"),
                },
                {
                    "Sid": "WriteQuarantine",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:PutObjectTagging"],
                    "Resource": pulumi.Output.concat(quarantine.arn, "/*"),
                },
            ]
            keys = [args.bucket_kms_key_arn, quarantine.kms_key_arn]
            usable = [k for k in keys if k is not None]
            if usable:
                statements.append(
                    {
                        "Sid": "UseBucketKeys",
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                        "Resource": usable,
                    }
                )
        if args.notification_topic_arn is not None:
            variables["TOPIC_ARN"] = args.notification_topic_arn
            statements.append(
                {
                    "Sid": "PublishResults",
                    "Effect": "Allow",
                    "Action": "sns:Publish",
                    "Resource": args.notification_topic_arn,
                }
            )
            if args.notification_kms_key_arn is not None:
                statements.append(
                    {
                        "Sid": "UseTheTopicKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": args.notification_kms_key_arn,
                    }
                )
        role = aws.iam.Role(
            f"{name}-function-role",
            name=function_name,
            assume_role_policy=iam.service_assume_role_policy("lambda.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-function-policy", role=role.name, policy=iam.dumps(statements), opts=child
        )
        return aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Quarantines and reports S3 objects GuardDuty finds malware in",
            runtime=aws.lambda_.Runtime.PYTHON3D12,
            handler="handler.handler",
            code=pulumi.FileArchive(str(HANDLER_DIR)),
            role=role.arn,
            timeout=300,
            memory_size=256,
            environment={"variables": variables} if variables else None,
            logging_config={"log_format": "Text", "log_group": log_group.name},
            region=args.region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group]),
        )
