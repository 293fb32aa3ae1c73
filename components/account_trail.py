"""A CloudTrail trail for an account no organization trail covers: every region, validated,
KMS-encrypted, into an Object Lock bucket only this trail can write (CIS 3.1-3.7).

Without a trail an account keeps 90 days of management-event history and nothing more:
incident response (who launched the instance, who changed the security group, which key was
used) has no record to work from, and the Config rule ``cloudtrail-enabled`` and Security Hub's
CloudTrail.1-5 controls fail on the baseline's own account.

Checklist: S-15 (the account's state is known and checked), S-22 (incident response needs
the record of who did what), S-23 (the EC2 investigation works from that record), S-11 (the
log bucket is locked).
"""

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import bucket_prefix, physical_name
from secbaseline.components import _trail
from secbaseline.components.secure_bucket import ObjectLock, ObjectLockMode, SecureBucket

TYPE_TOKEN = "secbaseline:index:AccountTrail"


class DataEvents(StrEnum):
    """Data events a trail can record besides management events (billed per event)."""

    S3 = "s3"
    """Object-level S3 API calls on every bucket (GetObject, PutObject, DeleteObject, ...)."""
    LAMBDA = "lambda"
    """Invocations of every Lambda function."""


DATA_EVENT_KINDS = tuple(kind.value for kind in DataEvents)
_DATA_RESOURCES: Mapping[str, tuple[str, str]] = {
    DataEvents.S3: ("AWS::S3::Object", f"arn:{iam.PARTITION}:s3"),
    DataEvents.LAMBDA: ("AWS::Lambda::Function", f"arn:{iam.PARTITION}:lambda"),
}
"""Each kind's data-resource type and the ARN prefix that selects every resource of it."""
INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")


def _default_lock() -> ObjectLock:
    return ObjectLock(mode=ObjectLockMode.GOVERNANCE, days=365)


def _unique(field: str, values: Any) -> Any:
    if len(set(values)) != len(values):
        raise ValueError(f"{field}: a kind is listed twice")
    return values


@component_args
class AccountTrailArgs(ComponentArgs):
    """Inputs of :class:`AccountTrail`."""

    home_region: str = arg(check=validate.region)
    """Where the trail, bucket, keys and log group live (the trail records every region)."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """The account (for the policies' conditions); None asks the provider (one invoke)."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of physical names (the trail is ``<prefix>-account-trail``)."""
    object_lock: ObjectLock | None = arg(default_factory=_default_lock)
    """Default retention of log files (GOVERNANCE 365 days; COMPLIANCE for regulators). None
    is an opt-out: log files can then be deleted by anyone allowed to delete objects."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key for the log files instead of a created one. Its policy must let CloudTrail
    encrypt for this trail (the statements listed on the docs page)."""
    cloudwatch_logs: bool = True
    """Also deliver to a KMS-encrypted CloudWatch Logs group (the change alarms and
    Security Hub's CloudTrail.5 need it; CloudWatch Logs ingestion is billed per GB)."""
    cloudwatch_logs_retention_days: int = arg(default=365, check=validate.log_retention_days)
    """Retention of that log group (a CloudWatch Logs allowed value)."""
    data_events: Sequence[DataEvents] = arg(default_factory=list, check=_unique)
    """Data events to record for every resource of each kind: ``s3`` (object-level calls,
    Security Hub S3.22/S3.23), ``lambda`` (invocations). Billed per 100,000 events."""
    insights: bool = False
    """CloudTrail Insights on API call and error rates (billed per 100,000 events analysed)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (trail, buckets, keys, log group, role)."""

    @property
    def trail_name(self) -> str:
        """The trail's physical name (known before creation: the policies name its ARN)."""
        return physical_name(self.name_prefix, "account-trail")


class AccountTrail(pulumi.ComponentResource):
    """A multi-region, validated, KMS-encrypted account trail in a locked bucket."""

    trail: aws.cloudtrail.Trail
    """The trail."""
    trail_arn: pulumi.Output[str]
    """The trail's ARN."""
    bucket_name: pulumi.Output[str]
    """The log bucket's name."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts the log files (the given one or the created one)."""
    log_group: aws.cloudwatch.LogGroup | None
    """The CloudWatch Logs group (None without ``cloudwatch_logs``)."""
    log_group_name: pulumi.Output[str] | None
    """Its name, for metric filters (None without ``cloudwatch_logs``)."""

    def __init__(
        self,
        name: str,
        args: AccountTrailArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = AccountTrailArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        account_id = iam.account_id_or_caller(args.account_id, self)
        arn = _trail.trail_arn(args.home_region, account_id, args.trail_name)

        data_resources: list[aws.cloudtrail.TrailEventSelectorDataResourceArgsDict] = [
            {"type": _DATA_RESOURCES[kind][0], "values": [_DATA_RESOURCES[kind][1]]}
            for kind in args.data_events
        ]
        selector: aws.cloudtrail.TrailEventSelectorArgsDict = {
            "read_write_type": "All",
            "include_management_events": True,
        }
        if data_resources:
            selector["data_resources"] = data_resources
        insights: list[aws.cloudtrail.TrailInsightSelectorArgsDict] | None = (
            [{"insight_type": kind} for kind in INSIGHT_TYPES] if args.insights else None
        )

        built = _trail.build(
            name,
            self,
            trail_name=args.trail_name,
            bucket_prefix=bucket_prefix(args.name_prefix, "trail"),
            region=args.home_region,
            account_id=account_id,
            object_lock=args.object_lock,
            policy_statements=_trail.bucket_statements(
                arn, [pulumi.Output.concat("AWSLogs/", account_id)]
            ),
            key_policy_statements=_trail.key_statements(arn, account_id),
            kms_key_arn=args.kms_key_arn,
            logs_role_name=physical_name(args.name_prefix, "account-trail-to-logs")
            if args.cloudwatch_logs
            else None,
            logs_retention_days=args.cloudwatch_logs_retention_days,
            tags=args.tags,
            event_selectors=[selector],
            insight_selectors=insights,
        )
        self.trail = built.trail
        self._bucket = built.bucket
        self.kms_key_arn = built.kms_key_arn
        self.log_group = built.delivery.log_group if built.delivery else None
        self.log_group_name = self.log_group.name if self.log_group else None
        self.trail_arn = self.trail.arn
        self.bucket_name = self._bucket.bucket_name

        self.register_outputs(
            {
                "trailArn": self.trail_arn,
                "bucketName": self.bucket_name,
                "kmsKeyArn": self.kms_key_arn,
                "logGroupName": self.log_group_name,
            }
        )

    @property
    def bucket(self) -> SecureBucket:
        """The log bucket (Object Lock, KMS key with CloudTrail statements)."""
        return self._bucket
