"""GuardDuty in every detection region, with findings exported to one encrypted bucket.

Checklist: S-19 (threat detection turned on everywhere). Every protection plan is a separate
``aws.guardduty.DetectorFeature`` so each can be switched on or off on its own, and every
region's detector exports its findings to one KMS-encrypted S3 bucket in the home region.
"""

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import bucket_prefix
from secbaseline.components import _adoption
from secbaseline.components._adoption import Adoption
from secbaseline.components.secure_bucket import (
    BUCKET_ARN,
    ObjectLock,
    ObjectLockMode,
    SecureBucket,
    SecureBucketArgs,
)

TYPE_TOKEN = "secbaseline:index:ThreatDetection"


class PublishingFrequency(StrEnum):
    """How often GuardDuty publishes updates of existing findings."""

    FIFTEEN_MINUTES = "FIFTEEN_MINUTES"
    """Every 15 minutes (this component's default)."""
    ONE_HOUR = "ONE_HOUR"
    """Every hour."""
    SIX_HOURS = "SIX_HOURS"
    """Every six hours (AWS's default)."""


class ThreatListFormat(StrEnum):
    """File format of a trusted IP list or threat intelligence set."""

    TXT = "TXT"
    """Plain text, one address or CIDR per line."""
    STIX = "STIX"
    """Structured Threat Information Expression."""
    OTX_CSV = "OTX_CSV"
    """Open Threat Exchange CSV."""
    ALIEN_VAULT = "ALIEN_VAULT"
    """AlienVault reputation feed."""
    PROOF_POINT = "PROOF_POINT"
    """Proofpoint ET Intelligence feed."""
    FIRE_EYE = "FIRE_EYE"
    """FireEye iSIGHT Threat Intelligence."""


PUBLISHING_FREQUENCIES = tuple(f.value for f in PublishingFrequency)
LIST_FORMATS = tuple(f.value for f in ThreatListFormat)

# GuardDutyFeatures field -> GuardDuty feature name (UpdateDetector ``Features[].Name``).
FEATURES: Mapping[str, str] = {
    "s3_data_events": "S3_DATA_EVENTS",
    "eks_audit_logs": "EKS_AUDIT_LOGS",
    "ebs_malware_protection": "EBS_MALWARE_PROTECTION",
    "rds_login_events": "RDS_LOGIN_EVENTS",
    "lambda_network_logs": "LAMBDA_NETWORK_LOGS",
    "runtime_monitoring": "RUNTIME_MONITORING",
}
# RuntimeAgents field -> RUNTIME_MONITORING additional configuration (agent management).
RUNTIME_AGENTS: Mapping[str, str] = {
    "eks": "EKS_ADDON_MANAGEMENT",
    "ecs_fargate": "ECS_FARGATE_AGENT_MANAGEMENT",
    "ec2": "EC2_AGENT_MANAGEMENT",
}


def _status(enabled: bool) -> str:
    return "ENABLED" if enabled else "DISABLED"


def _list_name(field: str, value: Any) -> Any:
    if not 1 <= len(value) <= 300:
        raise ValueError(f"{field}: must be 1-300 characters")
    return value


def _https_location(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith("https://"):
        raise ValueError(f"{field}: {value!r} must be an https:// S3 object URL")
    return value


def _one_trusted_list(field: str, values: Any) -> Any:
    if len(values) > 1:
        raise ValueError(f"{field}: GuardDuty allows one trusted IP list per detector")
    return values


@component_args
class ThreatList(ComponentArgs):
    """A trusted IP list or threat intelligence set stored in S3."""

    name: str = arg(check=_list_name)
    """Display name, 1-300 characters."""
    location: pulumi.Input[str] = arg(check=_https_location)
    """HTTPS URL of the object, e.g. ``https://bucket.s3.amazonaws.com/lists/trusted.txt``."""
    format: ThreatListFormat = ThreatListFormat.TXT
    """File format of the list."""


@component_args
class GuardDutyFeatures(ComponentArgs):
    """GuardDuty protection plans; each is switched on or off on its own (all on by default
    but Runtime Monitoring, as in the organization path)."""

    s3_data_events: bool = True
    """S3 Protection: analyse S3 data events (S3_DATA_EVENTS)."""
    eks_audit_logs: bool = True
    """EKS Protection: analyse Kubernetes audit logs (EKS_AUDIT_LOGS)."""
    ebs_malware_protection: bool = True
    """Malware Protection for EC2: scan EBS volumes when a finding suggests malware."""
    rds_login_events: bool = True
    """RDS Protection: analyse Aurora/RDS login activity (RDS_LOGIN_EVENTS)."""
    lambda_network_logs: bool = True
    """Lambda Protection: analyse Lambda network activity (LAMBDA_NETWORK_LOGS)."""
    runtime_monitoring: bool = False
    """Opt-in: Runtime Monitoring of EKS, ECS (Fargate) and EC2 workloads (RUNTIME_MONITORING).
    Off by default, as ``OrganizationDetection`` keeps it: it is billed per vCPU monitored and
    GuardDuty installs a security agent (EKS add-on, Fargate sidecar, EC2 SSM package) in the
    workloads, which their owners should choose."""


@component_args
class RuntimeAgents(ComponentArgs):
    """Which runtime agents GuardDuty deploys and manages (with ``runtime_monitoring``)."""

    eks: bool = True
    """Manage the EKS add-on (EKS_ADDON_MANAGEMENT)."""
    ecs_fargate: bool = True
    """Manage the ECS Fargate sidecar agent (ECS_FARGATE_AGENT_MANAGEMENT)."""
    ec2: bool = True
    """Manage the EC2 agent through Systems Manager (EC2_AGENT_MANAGEMENT)."""


@component_args
class ThreatDetectionArgs(ComponentArgs):
    """Inputs of :class:`ThreatDetection`."""

    regions: Sequence[str] = arg(check=validate.regions)
    """Detection regions: one detector in each (set by the tier)."""
    home_region: str = arg(check=validate.region)
    """Region of the findings bucket and its key; one of ``regions`` (set by the tier)."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """Account id for policy conditions; None asks the provider (one invoke)."""
    finding_publishing_frequency: PublishingFrequency = PublishingFrequency.FIFTEEN_MINUTES
    """How often updates of existing findings are published (new findings are always
    published at once)."""
    features: GuardDutyFeatures = arg(default_factory=GuardDutyFeatures)
    """Protection plans; all on by default."""
    runtime_agents: RuntimeAgents = arg(default_factory=RuntimeAgents)
    """Let GuardDuty manage the runtime agents (with ``runtime_monitoring``; off without it)."""
    export_findings: bool = True
    """Export findings from every region to one KMS-encrypted bucket in the home region."""
    findings_retention_days: int = arg(default=365, ge=1, le=3650)
    """Noncurrent-version expiry of the findings bucket, 1-3650 days."""
    findings_object_lock_days: int | None = arg(default=365, ge=1, le=36500)
    """Object Lock (GOVERNANCE) default retention of exported findings, 1-36500 days; None:
    no lock (opt-out; Object Lock can only be enabled when the bucket is created)."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the findings bucket's name (``<prefix>-findings-...``)."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key (in the home region) for the findings bucket; None creates one. Its policy
    must let ``guardduty.amazonaws.com`` call ``kms:GenerateDataKey``."""
    trusted_ip_lists: Sequence[ThreatList] = arg(default_factory=list, check=_one_trusted_list)
    """Trusted IP lists (no findings for these addresses), created in every region; at most one
    (GuardDuty allows one per detector)."""
    threat_intel_sets: Sequence[ThreatList] = arg(default_factory=list)
    """Known-bad IP/domain lists (findings for these), created in every region."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (detectors, lists, export destinations, findings bucket,
    its key and its access-log bucket)."""
    adopt_detectors: Mapping[str, Adoption] = arg(default_factory=dict, check=_adoption.by_region)
    """Region -> an existing detector: create (default), import (id: the detector id) or skip
    (no detector, features, lists or export there; an id given is still reported in
    ``detector_ids``). See docs/adoption.md."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region!r} is not one of the regions")
        _adoption.within("adopt_detectors", self.adopt_detectors, self.regions)
        _adoption.needs_id("adopt_detectors", self.adopt_detectors, "detector id")


def _guardduty_conditions(
    account_id: pulumi.Input[str], detector_arns: Sequence[pulumi.Output[str]]
) -> dict[str, Any]:
    """Only this account's own detectors may write (confused-deputy protection)."""
    return {
        "StringEquals": {
            "aws:SourceAccount": account_id,
            "aws:SourceArn": list(detector_arns),
        }
    }


class ThreatDetection(pulumi.ComponentResource):
    """A GuardDuty detector with chosen protection plans in every detection region."""

    detectors: dict[str, aws.guardduty.Detector]
    """Detector per region."""
    detector_ids: dict[str, pulumi.Output[str]]
    """Detector id per region."""
    findings_bucket_name: pulumi.Output[str] | None
    """Name of the findings export bucket in the home region (None when export is off)."""
    findings_bucket_arn: pulumi.Output[str] | None
    """ARN of the findings export bucket (None when export is off)."""
    publishing_destinations: dict[str, aws.guardduty.PublishingDestination]
    """Export destination per region."""

    def __init__(
        self,
        name: str,
        args: ThreatDetectionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = ThreatDetectionArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        regions = sorted(args.regions)
        tags = dict(args.tags) or None

        self.detectors = {}
        self.detector_ids = {}
        for region in regions:
            adoption = _adoption.entry(args.adopt_detectors, region)
            if adoption.skipped:  # unmanaged: its features, lists and export too
                if adoption.id is not None:
                    self.detector_ids[region] = pulumi.Output.from_input(adoption.id)
                continue
            detector = aws.guardduty.Detector(
                f"{name}-detector-{region}",
                enable=True,
                finding_publishing_frequency=args.finding_publishing_frequency,
                region=region,
                tags=tags,
                opts=_adoption.options(
                    adoption,
                    child,
                    ignore=["enable", "findingPublishingFrequency", "tags"],
                    region=region,
                ),
            )
            self.detectors[region] = detector
            self.detector_ids[region] = detector.id
            feature_opts = pulumi.ResourceOptions(parent=self, depends_on=[detector])
            for key, feature in FEATURES.items():
                enabled = bool(getattr(args.features, key))
                extra: list[aws.guardduty.DetectorFeatureAdditionalConfigurationArgsDict] = []
                if feature == "RUNTIME_MONITORING":
                    extra = [
                        {
                            "name": agent,
                            "status": _status(enabled and getattr(args.runtime_agents, agent_key)),
                        }
                        for agent_key, agent in RUNTIME_AGENTS.items()
                    ]
                aws.guardduty.DetectorFeature(
                    f"{name}-{feature.lower().replace('_', '-')}-{region}",
                    detector_id=detector.id,
                    name=feature,
                    status=_status(enabled),
                    additional_configurations=extra or None,
                    region=region,
                    opts=feature_opts,
                )
            if args.trusted_ip_lists:
                item = args.trusted_ip_lists[0]
                aws.guardduty.IPSet(
                    f"{name}-trusted-ips-{region}",
                    detector_id=detector.id,
                    name=item.name,
                    location=item.location,
                    format=item.format,
                    activate=True,
                    region=region,
                    tags=tags,
                    opts=child,
                )
            for index, item in enumerate(args.threat_intel_sets):
                aws.guardduty.ThreatIntelSet(
                    f"{name}-threat-intel-{index}-{region}",
                    detector_id=detector.id,
                    name=item.name,
                    location=item.location,
                    format=item.format,
                    activate=True,
                    region=region,
                    tags=tags,
                    opts=child,
                )

        # Python-only: the bucket component (other languages get its name and ARN).
        self.findings_bucket: SecureBucket | None = None
        self.findings_bucket_name = None
        self.findings_bucket_arn = None
        self.publishing_destinations = {}
        if args.export_findings and self.detectors:
            account_id = (
                args.account_id
                if args.account_id is not None
                else aws.get_caller_identity_output(
                    opts=pulumi.InvokeOutputOptions(parent=self)
                ).account_id
            )
            managed = sorted(self.detectors)
            arns = [self.detectors[r].arn for r in managed]
            conditions = _guardduty_conditions(account_id, arns)
            guardduty = {"Service": "guardduty.amazonaws.com"}
            self.findings_bucket = SecureBucket(
                f"{name}-findings",
                SecureBucketArgs(
                    region=args.home_region,
                    bucket_prefix=bucket_prefix(args.name_prefix, "findings"),
                    object_lock=ObjectLock(
                        mode=ObjectLockMode.GOVERNANCE, days=args.findings_object_lock_days
                    )
                    if args.findings_object_lock_days
                    else None,
                    kms_key_arn=args.kms_key_arn,
                    noncurrent_version_days=args.findings_retention_days,
                    tags=args.tags,
                    policy_statements=[
                        {
                            "Sid": "AllowGuardDutyGetBucketLocation",
                            "Effect": "Allow",
                            "Principal": guardduty,
                            "Action": "s3:GetBucketLocation",
                            "Resource": BUCKET_ARN,
                            "Condition": conditions,
                        },
                        {
                            "Sid": "AllowGuardDutyPutObject",
                            "Effect": "Allow",
                            "Principal": guardduty,
                            "Action": "s3:PutObject",
                            "Resource": f"{BUCKET_ARN}/*",
                            "Condition": conditions,
                        },
                    ],
                    key_policy_statements=[
                        {
                            "Sid": "AllowGuardDutyEncryptFindings",
                            "Effect": "Allow",
                            "Principal": guardduty,
                            "Action": "kms:GenerateDataKey",
                            "Resource": "*",  # in a key policy "*" means this key
                            "Condition": conditions,
                        }
                    ],
                ),
                opts=child,
            )
            bucket = self.findings_bucket
            self.findings_bucket_name = bucket.bucket_name
            self.findings_bucket_arn = bucket.arn
            assert bucket.kms_key_arn is not None  # SSE-KMS: the created key or the given one
            for region in managed:
                self.publishing_destinations[region] = aws.guardduty.PublishingDestination(
                    f"{name}-export-{region}",
                    detector_id=self.detectors[region].id,
                    destination_arn=bucket.arn,
                    kms_key_arn=bucket.kms_key_arn,
                    destination_type="S3",
                    region=region,
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket.policy, bucket]),
                )

        self.register_outputs(
            {
                "detectorIds": self.detector_ids,
                "findingsBucketName": self.findings_bucket_name,
                "findingsBucketArn": self.findings_bucket_arn,
            }
        )
