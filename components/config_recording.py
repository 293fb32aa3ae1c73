"""AWS Config recording in every region, delivering to one KMS-encrypted bucket at home.

Checklist: S-15 (know at any time whether the account is secure: Config records the state
that rules judge). Security Hub's checks build on this recording too.

Global resource types (IAM users, groups, roles, customer managed policies) are recorded only
in the home region: recording them in N regions bills every IAM change N times.
"""

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import bucket_prefix, physical_name
from secbaseline.components import _adoption
from secbaseline.components._adoption import Adoption
from secbaseline.components.secure_bucket import BUCKET_ARN, SecureBucket, SecureBucketArgs

TYPE_TOKEN = "secbaseline:index:ConfigRecording"
CONFIG_SERVICE = "config.amazonaws.com"
SERVICE_ROLE_PATH = "role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
GLOBAL_IAM_TYPES = ("AWS::IAM::Group", "AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::User")
"""The global types AWS Config records with a recorder unless excluded."""
_RESOURCE_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
SECTION = "configRecording"


class RecordingFrequency(StrEnum):
    """How often AWS Config records a configuration item."""

    CONTINUOUS = "CONTINUOUS"
    """Every change (about $0.003 per item)."""
    DAILY = "DAILY"
    """At most one item per resource per day (about $0.012 per item)."""


class SnapshotFrequency(StrEnum):
    """How often AWS Config delivers a configuration snapshot."""

    ONE_HOUR = "One_Hour"
    """Every hour."""
    THREE_HOURS = "Three_Hours"
    """Every three hours."""
    SIX_HOURS = "Six_Hours"
    """Every six hours."""
    TWELVE_HOURS = "Twelve_Hours"
    """Every twelve hours."""
    TWENTY_FOUR_HOURS = "TwentyFour_Hours"
    """Once a day."""


RECORDING_FREQUENCIES = tuple(f.value for f in RecordingFrequency)
SNAPSHOT_FREQUENCIES = tuple(f.value for f in SnapshotFrequency)


def service_role_arn(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """ARN of AWS Config's service-linked role in the account."""
    return pulumi.Output.concat(f"arn:{iam.PARTITION}:iam::", account_id, f":{SERVICE_ROLE_PATH}")


def _resource_types(field: str, values: Any) -> Any:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"{field}: must list at least one resource type")
    for value in values:
        if not isinstance(value, str) or not _RESOURCE_TYPE.match(value):
            raise ValueError(
                f"{field}: {value!r} is not a resource type such as AWS::EC2::Instance"
            )
    return values


def _regions(field: str, values: Any) -> Any:
    return validate.regions(field, values)


@component_args
class RecordingOverride(ComponentArgs):
    """A different recording frequency for some resource types (Config bills per item)."""

    resource_types: Sequence[str] = arg(check=_resource_types)
    """Types such as ``AWS::EC2::NetworkInterface`` (high churn types suit DAILY)."""
    frequency: RecordingFrequency = RecordingFrequency.DAILY
    """CONTINUOUS or DAILY."""
    description: str | None = None
    """Why these types are recorded differently."""


def _overrides(field: str, overrides: Any) -> Any:
    if len(overrides) > 1:
        raise ValueError(
            f"{field}: pulumi-aws 7 takes one override block; list every type that shares a "
            "frequency in one entry"
        )
    return overrides


@component_args
class ConfigRecordingArgs(ComponentArgs):
    """Inputs of :class:`ConfigRecording`."""

    regions: Sequence[str] = arg(check=_regions)
    """Regions with a recorder and delivery channel (the tier passes the detection regions)."""
    home_region: str = arg(check=validate.region)
    """Where the delivery bucket lives and global (IAM) types are recorded; one of ``regions``."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """The account id (bucket paths, conditions); None asks AWS (one invoke)."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the recorder and delivery channel names (``<prefix>-recorder``)."""
    manage_recorders: bool = True
    """False when AWS Control Tower (or another tool) owns the recorders: nothing is created."""
    create_service_linked_role: bool = True
    """Create AWSServiceRoleForConfig (once per account); False when it already exists."""
    recording_frequency: RecordingFrequency = RecordingFrequency.CONTINUOUS
    """Default frequency: CONTINUOUS (~$0.003 per item) or DAILY (~$0.012 per item, fewer items)."""
    recording_overrides: Sequence[RecordingOverride] = arg(default_factory=list, check=_overrides)
    """Per-type frequency overrides, e.g. DAILY for high-churn types (at most one entry:
    pulumi-aws 7 takes one override block)."""
    snapshot_frequency: SnapshotFrequency = SnapshotFrequency.TWENTY_FOUR_HOURS
    """How often Config delivers a configuration snapshot to the bucket."""
    noncurrent_version_days: int = arg(default=365, ge=1, le=3650)
    """Days before superseded objects in the delivery bucket expire, 1-3650."""
    force_destroy: bool = False
    """Let ``pulumi destroy`` remove a non-empty delivery bucket (keep False outside tests)."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key for the delivery bucket and channel instead of a created one. Its policy
    must let ``config.amazonaws.com`` use ``kms:GenerateDataKey*`` and ``kms:Decrypt``."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (delivery bucket, its key and log bucket, service role)."""
    adopt_recorders: Mapping[str, Adoption] = arg(default_factory=dict, check=_adoption.by_region)
    """Region -> an existing recorder (AWS allows one): create (default), import (id: its name,
    which it keeps; its status is imported too) or skip (recorder and status left alone). See
    docs/adoption.md."""
    adopt_delivery_channels: Mapping[str, Adoption] = arg(
        default_factory=dict, check=_adoption.by_region
    )
    """Region -> an existing delivery channel (AWS allows one): create (default), import (id:
    its name, which it keeps) or skip."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region} is not one of the regions")
        for field in ("adopt_recorders", "adopt_delivery_channels"):
            value = getattr(self, field)
            _adoption.within(field, value, self.regions)
            _adoption.needs_id(field, value, "name")
        seen: set[str] = set()
        for override in self.recording_overrides:
            for resource_type in override.resource_types:
                if resource_type in seen:
                    raise ValueError(f"recording_overrides: {resource_type} is overridden twice")
                seen.add(resource_type)


def delivery_bucket_statements(account_id: pulumi.Input[str]) -> list[dict[str, Any]]:
    """Bucket-policy statements AWS Config needs to deliver history and snapshots."""
    source = {"aws:SourceAccount": account_id}
    return [
        {
            "Sid": "AWSConfigBucketPermissionsCheck",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG_SERVICE},
            "Action": "s3:GetBucketAcl",
            "Resource": BUCKET_ARN,
            "Condition": {"StringEquals": source},
        },
        {
            "Sid": "AWSConfigBucketExistenceCheck",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG_SERVICE},
            "Action": "s3:ListBucket",
            "Resource": BUCKET_ARN,
            "Condition": {"StringEquals": source},
        },
        {
            "Sid": "AWSConfigBucketDelivery",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG_SERVICE},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.from_input(account_id).apply(
                lambda account: f"{BUCKET_ARN}/AWSLogs/{account}/Config/*"
            ),
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
        },
    ]


class ConfigRecording(pulumi.ComponentResource):
    """A started configuration recorder and delivery channel in every region."""

    bucket_name: pulumi.Output[str] | None
    """The delivery bucket's name (None when recorders are not managed)."""
    kms_key_arn: pulumi.Output[str] | None
    """The key that encrypts the deliveries (None when recorders are not managed)."""
    service_linked_role: aws.iam.ServiceLinkedRole | None
    """AWSServiceRoleForConfig, when created here."""
    recorders: dict[str, aws.cfg.Recorder]
    """Recorder per region."""
    delivery_channels: dict[str, aws.cfg.DeliveryChannel]
    """Delivery channel per region."""
    statuses: dict[str, aws.cfg.RecorderStatus]
    """Recorder status (started) per region: rules should depend on these."""
    recorder_name: str
    """The recorder name used in every region."""

    def __init__(
        self,
        name: str,
        args: ConfigRecordingArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = ConfigRecordingArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        self.recorder_name = physical_name(args.name_prefix, "recorder")
        self._bucket: SecureBucket | None = None
        self.bucket_name = None
        self.kms_key_arn = None
        self.service_linked_role = None
        self.recorders = {}
        self.delivery_channels = {}
        self.statuses = {}
        if not args.manage_recorders:
            self.register_outputs({"managed": False})
            return

        account_id = iam.account_id_or_caller(args.account_id, self)
        bucket = self._bucket = SecureBucket(
            f"{name}-delivery",
            SecureBucketArgs(
                region=args.home_region,
                bucket_prefix=bucket_prefix(args.name_prefix, "config"),
                kms_key_arn=args.kms_key_arn,
                policy_statements=delivery_bucket_statements(account_id),
                key_policy_statements=[]
                if args.kms_key_arn is not None
                else [iam.service_key_statement("AllowConfigDelivery", CONFIG_SERVICE, account_id)],
                noncurrent_version_days=args.noncurrent_version_days,
                force_destroy=args.force_destroy,
                tags=args.tags,
            ),
            opts=child,
        )
        self.bucket_name = bucket.bucket_name
        self.kms_key_arn = bucket.kms_key_arn
        role_dependencies: list[pulumi.Resource] = []
        if args.create_service_linked_role:
            self.service_linked_role = aws.iam.ServiceLinkedRole(
                f"{name}-service-role",
                aws_service_name=CONFIG_SERVICE,
                tags=tags,
                opts=child,
            )
            role_dependencies.append(self.service_linked_role)
        role_arn = service_role_arn(account_id)
        mode = self._recording_mode(args)

        for region in sorted(args.regions):
            recorder_adoption = _adoption.entry(args.adopt_recorders, region)
            channel_adoption = _adoption.entry(args.adopt_delivery_channels, region)
            recorder_name = recorder_adoption.name(self.recorder_name)
            recorder = None
            if not recorder_adoption.skipped:
                recorder = aws.cfg.Recorder(
                    f"{name}-recorder-{region}",
                    name=recorder_name,
                    role_arn=role_arn,
                    recording_group=self._recording_group(region == args.home_region),
                    recording_mode=mode,
                    region=region,
                    opts=_adoption.options(
                        recorder_adoption,
                        pulumi.ResourceOptions(parent=self, depends_on=role_dependencies),
                        ignore=["roleArn", "recordingGroup", "recordingMode"],
                        region=region,
                    ),
                )
                self.recorders[region] = recorder
            channel = None
            if not channel_adoption.skipped:
                channel = aws.cfg.DeliveryChannel(
                    f"{name}-channel-{region}",
                    name=channel_adoption.name(self.recorder_name),
                    s3_bucket_name=bucket.bucket_name,
                    s3_kms_key_arn=bucket.kms_key_arn,
                    snapshot_delivery_properties={"delivery_frequency": args.snapshot_frequency},
                    region=region,
                    # Config checks bucket access when the channel is created.
                    opts=_adoption.options(
                        channel_adoption,
                        pulumi.ResourceOptions(
                            parent=self,
                            depends_on=[r for r in (recorder, bucket.policy) if r is not None],
                        ),
                        ignore=[
                            "s3BucketName",
                            "s3KmsKeyArn",
                            "s3KeyPrefix",
                            "snsTopicArn",
                            "snapshotDeliveryProperties",
                        ],
                        region=region,
                    ),
                )
                self.delivery_channels[region] = channel
            if recorder is not None:
                # Starting a started recorder changes nothing; an imported one's status is
                # imported with it (same name).
                self.statuses[region] = aws.cfg.RecorderStatus(
                    f"{name}-status-{region}",
                    name=recorder.name,
                    is_enabled=True,
                    region=region,
                    opts=_adoption.options(
                        recorder_adoption,
                        pulumi.ResourceOptions(
                            parent=self, depends_on=[channel] if channel is not None else []
                        ),
                        ignore=["isEnabled"],
                        region=region,
                    ),
                )

        self.register_outputs(
            {
                "managed": True,
                "bucketName": bucket.bucket_name,
                "kmsKeyArn": bucket.kms_key_arn,
                "regions": sorted(args.regions),
                "recorderName": self.recorder_name,
            }
        )

    @property
    def bucket(self) -> SecureBucket | None:
        """The delivery bucket in the home region (None when recorders are not managed)."""
        return self._bucket

    @staticmethod
    def _recording_group(home: bool) -> aws.cfg.RecorderRecordingGroupArgsDict:
        if home:
            return {
                "all_supported": True,
                "include_global_resource_types": True,
                "recording_strategies": [{"use_only": "ALL_SUPPORTED_RESOURCE_TYPES"}],
            }
        # Everything except the global IAM types, which the home region already records.
        return {
            "all_supported": False,
            "include_global_resource_types": False,
            "exclusion_by_resource_types": [{"resource_types": list(GLOBAL_IAM_TYPES)}],
            "recording_strategies": [{"use_only": "EXCLUSION_BY_RESOURCE_TYPES"}],
        }

    @staticmethod
    def _recording_mode(args: ConfigRecordingArgs) -> aws.cfg.RecorderRecordingModeArgsDict:
        mode: aws.cfg.RecorderRecordingModeArgsDict = {
            "recording_frequency": args.recording_frequency
        }
        overrides = list(args.recording_overrides)
        if overrides:
            override: aws.cfg.RecorderRecordingModeRecordingModeOverrideArgsDict = {
                "recording_frequency": overrides[0].frequency,
                "resource_types": list(overrides[0].resource_types),
            }
            if overrides[0].description:
                override["description"] = overrides[0].description
            mode["recording_mode_override"] = override
        return mode


__all__ = [
    "GLOBAL_IAM_TYPES",
    "ConfigRecording",
    "ConfigRecordingArgs",
    "RecordingFrequency",
    "RecordingOverride",
    "SnapshotFrequency",
    "delivery_bucket_statements",
    "service_role_arn",
]
