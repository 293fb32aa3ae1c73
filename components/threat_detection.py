"""GuardDuty in every detection region, with findings exported to one encrypted bucket.

Checklist: S-19 (threat detection turned on everywhere). Every protection plan is a separate
``aws.guardduty.DetectorFeature`` so each can be switched on or off on its own, and every
region's detector exports its findings to one KMS-encrypted S3 bucket in the home region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.components.secure_bucket import BUCKET_ARN, SecureBucket, SecureBucketArgs

TYPE_TOKEN = "secbaseline:index:ThreatDetection"
PUBLISHING_FREQUENCIES = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")

# Config key -> GuardDuty feature name (UpdateDetector ``Features[].Name``).
FEATURES: Mapping[str, str] = {
    "s3DataEvents": "S3_DATA_EVENTS",
    "eksAuditLogs": "EKS_AUDIT_LOGS",
    "ebsMalwareProtection": "EBS_MALWARE_PROTECTION",
    "rdsLoginEvents": "RDS_LOGIN_EVENTS",
    "lambdaNetworkLogs": "LAMBDA_NETWORK_LOGS",
    "runtimeMonitoring": "RUNTIME_MONITORING",
}
# Config key -> RUNTIME_MONITORING additional configuration (automated agent management).
RUNTIME_AGENTS: Mapping[str, str] = {
    "eks": "EKS_ADDON_MANAGEMENT",
    "ecsFargate": "ECS_FARGATE_AGENT_MANAGEMENT",
    "ec2": "EC2_AGENT_MANAGEMENT",
}
LIST_FORMATS = ("TXT", "STIX", "OTX_CSV", "ALIEN_VAULT", "PROOF_POINT", "FIRE_EYE")


def _status(enabled: bool) -> str:
    return "ENABLED" if enabled else "DISABLED"


@dataclass
class ThreatList:
    """A trusted IP list or threat intelligence set stored in S3."""

    name: str
    """Display name, 1-300 characters."""
    location: str
    """HTTPS URL of the object, e.g. ``https://bucket.s3.amazonaws.com/lists/trusted.txt``."""
    format: str = "TXT"
    """One of TXT, STIX, OTX_CSV, ALIEN_VAULT, PROOF_POINT, FIRE_EYE."""

    def validate(self, field_name: str) -> None:
        """Raise ValueError naming the field."""
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 300:
            raise ValueError(f"{field_name}.name: must be 1-300 characters")
        if not isinstance(self.location, str) or not self.location.startswith("https://"):
            raise ValueError(
                f"{field_name}.location: {self.location!r} must be an https:// S3 object URL"
            )
        validate.one_of(f"{field_name}.format", self.format, LIST_FORMATS)


@dataclass
class ThreatDetectionArgs:
    """Inputs of :class:`ThreatDetection`."""

    regions: Sequence[str] = ()
    """Detection regions: one detector in each. Required (set by the tier)."""
    home_region: str = ""
    """Region of the findings bucket and its key. Required (set by the tier)."""
    account_id: pulumi.Input[str] | None = None
    """Account id for policy conditions; None asks the provider (one invoke)."""
    finding_publishing_frequency: str = "FIFTEEN_MINUTES"
    """How often updates of existing findings are published: FIFTEEN_MINUTES, ONE_HOUR or
    SIX_HOURS (AWS's default is SIX_HOURS; new findings are always published at once)."""
    features: Mapping[str, bool] = field(default_factory=lambda: dict.fromkeys(FEATURES, True))
    """Protection plans by config key (s3DataEvents, eksAuditLogs, ebsMalwareProtection,
    rdsLoginEvents, lambdaNetworkLogs, runtimeMonitoring); all on by default."""
    runtime_agents: Mapping[str, bool] = field(
        default_factory=lambda: dict.fromkeys(RUNTIME_AGENTS, True)
    )
    """Let GuardDuty manage the runtime agent for eks, ecsFargate, ec2 (with runtimeMonitoring)."""
    export_findings: bool = True
    """Export findings from every region to one KMS-encrypted bucket in the home region."""
    findings_retention_days: int = 365
    """Noncurrent-version expiry of the findings bucket, 1-3650 days."""
    trusted_ip_lists: Sequence[ThreatList] = ()
    """Trusted IP lists (no findings for these addresses), created in every region."""
    threat_intel_sets: Sequence[ThreatList] = ()
    """Known-bad IP/domain lists (findings for these), created in every region."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for taggable resources."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        regions = validate.regions("threatDetection.regions", list(self.regions))
        validate.region("threatDetection.homeRegion", self.home_region)
        if self.home_region not in regions:
            raise ValueError(
                f"threatDetection.regions: must include the home region {self.home_region!r}"
            )
        validate.one_of(
            "threatDetection.findingPublishingFrequency",
            self.finding_publishing_frequency,
            PUBLISHING_FREQUENCIES,
        )
        for key, value in self.features.items():
            validate.one_of("threatDetection.features", key, FEATURES)
            validate.boolean(f"threatDetection.features.{key}", value)
        for key, value in self.runtime_agents.items():
            validate.one_of("threatDetection.runtimeAgents", key, RUNTIME_AGENTS)
            validate.boolean(f"threatDetection.runtimeAgents.{key}", value)
        validate.boolean("threatDetection.exportFindings", self.export_findings)
        validate.int_range(
            "threatDetection.findingsRetentionDays", self.findings_retention_days, 1, 3650
        )
        for kind, lists in (
            ("trustedIpLists", self.trusted_ip_lists),
            ("threatIntelSets", self.threat_intel_sets),
        ):
            for index, item in enumerate(lists):
                item.validate(f"threatDetection.{kind}[{index}]")
        if len(self.trusted_ip_lists) > 1:
            raise ValueError(
                "threatDetection.trustedIpLists: GuardDuty allows one trusted IP list per detector"
            )
        validate.tags("threatDetection.tags", dict(self.tags))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ThreatDetectionArgs:
        """Build from the ``threatDetection`` config section (regions set by the tier)."""
        raw = validate.known_keys(
            "threatDetection",
            section,
            {
                "findingPublishingFrequency",
                "features",
                "runtimeAgents",
                "exportFindings",
                "findingsRetentionDays",
                "trustedIpLists",
                "threatIntelSets",
            },
        )
        features = validate.known_keys(
            "threatDetection.features", raw.get("features", {}), FEATURES
        )
        agents = validate.known_keys(
            "threatDetection.runtimeAgents", raw.get("runtimeAgents", {}), RUNTIME_AGENTS
        )

        def lists(key: str) -> list[ThreatList]:
            items = raw.get(key, [])
            if not isinstance(items, list | tuple):
                raise ValueError(f"threatDetection.{key}: expected a list of lists")
            out = []
            for index, item in enumerate(items):
                entry = validate.known_keys(
                    f"threatDetection.{key}[{index}]", item, {"name", "location", "format"}
                )
                item_args = ThreatList(
                    name=str(entry.get("name", "")),
                    location=str(entry.get("location", "")),
                    format=str(entry.get("format", "TXT")),
                )
                item_args.validate(f"threatDetection.{key}[{index}]")
                out.append(item_args)
            return out

        args = cls(
            finding_publishing_frequency=str(
                raw.get("findingPublishingFrequency", "FIFTEEN_MINUTES")
            ),
            features={
                key: validate.boolean(f"threatDetection.features.{key}", features.get(key, True))
                for key in FEATURES
            },
            runtime_agents={
                key: validate.boolean(f"threatDetection.runtimeAgents.{key}", agents.get(key, True))
                for key in RUNTIME_AGENTS
            },
            export_findings=validate.boolean(
                "threatDetection.exportFindings", raw.get("exportFindings", True)
            ),
            findings_retention_days=validate.int_range(
                "threatDetection.findingsRetentionDays",
                raw.get("findingsRetentionDays", 365),
                1,
                3650,
            ),
            trusted_ip_lists=lists("trustedIpLists"),
            threat_intel_sets=lists("threatIntelSets"),
        )
        validate.one_of(
            "threatDetection.findingPublishingFrequency",
            args.finding_publishing_frequency,
            PUBLISHING_FREQUENCIES,
        )
        return args


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
    findings_bucket: SecureBucket | None
    """The findings export bucket in the home region (None when export is off)."""
    publishing_destinations: dict[str, aws.guardduty.PublishingDestination]
    """Export destination per region."""

    def __init__(
        self,
        name: str,
        args: ThreatDetectionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        regions = sorted(args.regions)
        tags = dict(args.tags) or None

        self.detectors = {}
        self.detector_ids = {}
        for region in regions:
            detector = aws.guardduty.Detector(
                f"{name}-detector-{region}",
                enable=True,
                finding_publishing_frequency=args.finding_publishing_frequency,
                region=region,
                tags=tags,
                opts=child,
            )
            self.detectors[region] = detector
            self.detector_ids[region] = detector.id
            feature_opts = pulumi.ResourceOptions(parent=self, depends_on=[detector])
            for key, feature in FEATURES.items():
                enabled = args.features.get(key, True)
                extra: list[aws.guardduty.DetectorFeatureAdditionalConfigurationArgsDict] = []
                if feature == "RUNTIME_MONITORING":
                    extra = [
                        {
                            "name": agent,
                            "status": _status(enabled and args.runtime_agents.get(agent_key, True)),
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

        self.findings_bucket = None
        self.publishing_destinations = {}
        if args.export_findings:
            account_id = (
                args.account_id
                or (
                    aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
                ).account_id
            )
            arns = [self.detectors[r].arn for r in regions]
            conditions = _guardduty_conditions(account_id, arns)
            guardduty = {"Service": "guardduty.amazonaws.com"}
            self.findings_bucket = SecureBucket(
                f"{name}-findings",
                SecureBucketArgs(
                    region=args.home_region,
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
            assert bucket.kms_key_arn is not None  # a created key: SSE-KMS is the default
            for region in regions:
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
                "findingsBucket": self.findings_bucket.bucket_name
                if self.findings_bucket
                else None,
            }
        )
