"""AWS Config recording in every region, delivering to one KMS-encrypted bucket at home.

Checklist: S-15 (know at any time whether the account is secure: Config records the state
that rules judge). Security Hub's checks build on this recording too.

Global resource types (IAM users, groups, roles, customer managed policies) are recorded only
in the home region: recording them in N regions bills every IAM change N times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.naming import physical_name
from secbaseline.components.secure_bucket import BUCKET_ARN, SecureBucket, SecureBucketArgs

TYPE_TOKEN = "secbaseline:index:ConfigRecording"
CONFIG_SERVICE = "config.amazonaws.com"
SERVICE_ROLE_PATH = "role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
RECORDING_FREQUENCIES = ("CONTINUOUS", "DAILY")
SNAPSHOT_FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
GLOBAL_IAM_TYPES = ("AWS::IAM::Group", "AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::User")
"""The global types AWS Config records with a recorder unless excluded."""
_RESOURCE_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
SECTION = "configRecording"


def service_role_arn(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """ARN of AWS Config's service-linked role in the account."""
    return pulumi.Output.concat(f"arn:{iam.PARTITION}:iam::", account_id, f":{SERVICE_ROLE_PATH}")


@dataclass
class RecordingOverride:
    """A different recording frequency for some resource types (Config bills per item)."""

    resource_types: Sequence[str]
    """Types such as ``AWS::EC2::NetworkInterface`` (high churn types suit DAILY)."""
    frequency: str = "DAILY"
    """CONTINUOUS or DAILY."""
    description: str | None = None
    """Why these types are recorded differently."""

    def validate(self, field_name: str) -> None:
        """Raise ValueError naming the first bad field."""
        validate.one_of(f"{field_name}.frequency", self.frequency, RECORDING_FREQUENCIES)
        if isinstance(self.resource_types, str) or not self.resource_types:
            raise ValueError(f"{field_name}.resourceTypes: must list at least one resource type")
        for resource_type in self.resource_types:
            if not isinstance(resource_type, str) or not _RESOURCE_TYPE.match(resource_type):
                raise ValueError(
                    f"{field_name}.resourceTypes: {resource_type!r} is not a resource type "
                    "such as AWS::EC2::Instance"
                )


@dataclass
class ConfigRecordingArgs:
    """Inputs of :class:`ConfigRecording`."""

    regions: Sequence[str] = ()
    """Regions with a recorder and delivery channel (the detection regions). Required."""
    home_region: str = ""
    """Where the delivery bucket lives and global (IAM) types are recorded. Required."""
    account_id: pulumi.Input[str] | None = None
    """The account id (bucket paths, conditions); None asks AWS (one invoke)."""
    name_prefix: str = "secbaseline"
    """Prefix of the recorder and delivery channel names."""
    manage_recorders: bool = True
    """False when AWS Control Tower (or another tool) owns the recorders: nothing is created."""
    create_service_linked_role: bool = True
    """Create AWSServiceRoleForConfig (once per account); False when it already exists."""
    recording_frequency: str = "CONTINUOUS"
    """Default frequency: CONTINUOUS (~$0.003 per item) or DAILY (~$0.012 per item, fewer items)."""
    recording_overrides: Sequence[RecordingOverride] = ()
    """Per-type frequency overrides, e.g. DAILY for high-churn types."""
    snapshot_frequency: str = "TwentyFour_Hours"
    """How often Config delivers a configuration snapshot to the bucket."""
    noncurrent_version_days: int = 365
    """Days before superseded objects in the delivery bucket expire (1-3650)."""
    force_destroy: bool = False
    """Let ``pulumi destroy`` remove a non-empty delivery bucket (keep False outside tests)."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.regions_with_home(SECTION, list(self.regions), self.home_region)
        if isinstance(self.account_id, str):
            validate.account_id(f"{SECTION}.accountId", self.account_id)
        validate.name_prefix(f"{SECTION}.namePrefix", self.name_prefix)
        validate.boolean(f"{SECTION}.manageRecorders", self.manage_recorders)
        validate.boolean(f"{SECTION}.createServiceLinkedRole", self.create_service_linked_role)
        validate.one_of(
            f"{SECTION}.recordingFrequency", self.recording_frequency, RECORDING_FREQUENCIES
        )
        validate.one_of(
            f"{SECTION}.snapshotFrequency", self.snapshot_frequency, SNAPSHOT_FREQUENCIES
        )
        if len(self.recording_overrides) > 1:
            raise ValueError(
                f"{SECTION}.recordingOverrides: pulumi-aws 7 takes one override block; "
                "list every type that shares a frequency in one entry"
            )
        seen: set[str] = set()
        for index, override in enumerate(self.recording_overrides):
            override.validate(f"{SECTION}.recordingOverrides[{index}]")
            for resource_type in override.resource_types:
                if resource_type in seen:
                    raise ValueError(
                        f"{SECTION}.recordingOverrides[{index}].resourceTypes: {resource_type} "
                        "is overridden twice"
                    )
                seen.add(resource_type)
        validate.int_range(
            f"{SECTION}.noncurrentVersionDays", self.noncurrent_version_days, 1, 3650
        )
        validate.boolean(f"{SECTION}.forceDestroy", self.force_destroy)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ConfigRecordingArgs:
        """Build from the ``configRecording`` section (regions and account set by the tier)."""
        raw = validate.known_keys(
            SECTION,
            section,
            {
                "manageRecorders",
                "createServiceLinkedRole",
                "recordingFrequency",
                "recordingOverrides",
                "snapshotFrequency",
                "noncurrentVersionDays",
                "forceDestroy",
            },
        )
        overrides_raw = raw.get("recordingOverrides", [])
        if isinstance(overrides_raw, str | Mapping) or not isinstance(overrides_raw, Sequence):
            raise ValueError(f"{SECTION}.recordingOverrides: expected a list of overrides")
        overrides = []
        for index, item in enumerate(overrides_raw):
            entry = validate.known_keys(
                f"{SECTION}.recordingOverrides[{index}]",
                item,
                {"resourceTypes", "frequency", "description"},
            )
            types = entry.get("resourceTypes", [])
            overrides.append(
                RecordingOverride(
                    resource_types=tuple(types) if isinstance(types, Sequence) else (),
                    frequency=str(entry.get("frequency", "DAILY")),
                    description=None
                    if entry.get("description") is None
                    else str(entry.get("description")),
                )
            )
        args = cls(
            manage_recorders=validate.boolean(
                f"{SECTION}.manageRecorders", raw.get("manageRecorders", True)
            ),
            create_service_linked_role=validate.boolean(
                f"{SECTION}.createServiceLinkedRole", raw.get("createServiceLinkedRole", True)
            ),
            recording_frequency=validate.one_of(
                f"{SECTION}.recordingFrequency",
                str(raw.get("recordingFrequency", "CONTINUOUS")),
                RECORDING_FREQUENCIES,
            ),
            recording_overrides=tuple(overrides),
            snapshot_frequency=validate.one_of(
                f"{SECTION}.snapshotFrequency",
                str(raw.get("snapshotFrequency", "TwentyFour_Hours")),
                SNAPSHOT_FREQUENCIES,
            ),
            noncurrent_version_days=validate.int_range(
                f"{SECTION}.noncurrentVersionDays", raw.get("noncurrentVersionDays", 365), 1, 3650
            ),
            force_destroy=validate.boolean(
                f"{SECTION}.forceDestroy", raw.get("forceDestroy", False)
            ),
        )
        for index, override in enumerate(args.recording_overrides):
            override.validate(f"{SECTION}.recordingOverrides[{index}]")
        return args


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

    bucket: SecureBucket | None
    """The delivery bucket in the home region (None when recorders are not managed)."""
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
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.recorder_name = physical_name(args.name_prefix, "recorder")
        self.bucket = None
        self.service_linked_role = None
        self.recorders = {}
        self.delivery_channels = {}
        self.statuses = {}
        if not args.manage_recorders:
            self.register_outputs({"managed": False})
            return

        account_id = iam.account_id_or_caller(args.account_id, self)
        self.bucket = SecureBucket(
            f"{name}-delivery",
            SecureBucketArgs(
                region=args.home_region,
                policy_statements=delivery_bucket_statements(account_id),
                key_policy_statements=[
                    iam.service_key_statement("AllowConfigDelivery", CONFIG_SERVICE, account_id)
                ],
                noncurrent_version_days=args.noncurrent_version_days,
                force_destroy=args.force_destroy,
            ),
            opts=child,
        )
        role_dependencies: list[pulumi.Resource] = []
        if args.create_service_linked_role:
            self.service_linked_role = aws.iam.ServiceLinkedRole(
                f"{name}-service-role", aws_service_name=CONFIG_SERVICE, opts=child
            )
            role_dependencies.append(self.service_linked_role)
        role_arn = service_role_arn(account_id)
        mode = self._recording_mode(args)

        for region in sorted(args.regions):
            recorder = aws.cfg.Recorder(
                f"{name}-recorder-{region}",
                name=self.recorder_name,
                role_arn=role_arn,
                recording_group=self._recording_group(region == args.home_region),
                recording_mode=mode,
                region=region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=role_dependencies),
            )
            channel = aws.cfg.DeliveryChannel(
                f"{name}-channel-{region}",
                name=self.recorder_name,
                s3_bucket_name=self.bucket.bucket_name,
                s3_kms_key_arn=self.bucket.kms_key_arn,
                snapshot_delivery_properties={"delivery_frequency": args.snapshot_frequency},
                region=region,
                # Config checks bucket access when the channel is created.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[recorder, self.bucket.policy]),
            )
            self.recorders[region] = recorder
            self.delivery_channels[region] = channel
            self.statuses[region] = aws.cfg.RecorderStatus(
                f"{name}-status-{region}",
                name=recorder.name,
                is_enabled=True,
                region=region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[channel]),
            )

        self.register_outputs(
            {
                "managed": True,
                "bucketName": self.bucket.bucket_name,
                "regions": sorted(args.regions),
                "recorderName": self.recorder_name,
            }
        )

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
    "RecordingOverride",
    "delivery_bucket_statements",
    "service_role_arn",
]
