"""Organization-wide detection run by the delegated administrator (S-19 all accounts, S-24).

Checklist: S-19 (GuardDuty in every region of every account), S-24 (automated security
checks across the organization).

Deployed by the **security** account after the management stack registered it as delegated
administrator. New accounts are covered automatically: GuardDuty, Inspector and Detective
auto-enable every member in every detection region, Security Hub's central configuration
policy is associated with the root, and the organization Access Analyzer and Config
aggregator see every account. Aggregated findings reach the security account's
notification topic (the intermediate tier's notifications component is wired there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.naming import physical_name

TYPE_TOKEN = "secbaseline:index:OrganizationDetection"

GUARDDUTY_FEATURES: tuple[str, ...] = (
    "S3_DATA_EVENTS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "LAMBDA_NETWORK_LOGS",
    "RUNTIME_MONITORING",
)
"""GuardDuty organization features the baseline knows (pulumi-aws's valid names)."""
DEFAULT_GUARDDUTY_FEATURES: tuple[str, ...] = GUARDDUTY_FEATURES[:-1]
"""Runtime Monitoring (an agent, billed per vCPU) is opt-in."""
RUNTIME_AGENTS = ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")
AUTO_ENABLE = ("ALL", "NEW", "NONE")
SECURITY_HUB_MODES = ("CENTRAL", "LOCAL")
CONFIG_ORGANIZATIONS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"


def standard_arns(region: str) -> list[str]:
    """AWS Foundational Security Best Practices and CIS AWS Foundations v3.0 in a region."""
    return [
        f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
        f"arn:aws:securityhub:{region}::standards/cis-aws-foundations-benchmark/v/3.0.0",
    ]


@dataclass
class OrganizationDetectionArgs:
    """Inputs of :class:`OrganizationDetection`."""

    security_account_id: str = ""
    """The delegated administrator (where this runs)."""
    home_region: str = ""
    """Security Hub central configuration and the Config aggregator live here."""
    regions: Sequence[str] = ()
    """Detection regions: auto-enable is configured in each."""
    name_prefix: str = "secbaseline"
    """Prefix of physical names."""
    guardduty_auto_enable: Literal["ALL", "NEW", "NONE"] = "ALL"
    """GuardDuty members to enable: ALL (existing and new), NEW, or NONE."""
    guardduty_features: Sequence[str] = DEFAULT_GUARDDUTY_FEATURES
    """GuardDuty protection plans auto-enabled for members."""
    detector_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """The security account's own detector per region, when another component created it.
    Regions missing here get a detector created by this component (one per region only)."""
    graph_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """The security account's own Detective graph per region, when another component created
    it. Detective auto-enable is configured in these regions (and in every region when
    ``manage_admin_account_services`` creates the graphs)."""
    security_hub_resources: Sequence[pulumi.Resource] = ()
    """This account's Security Hub enablement when another component created it; the
    organization configuration waits for it."""
    security_hub_mode: Literal["CENTRAL", "LOCAL"] = "CENTRAL"
    """CENTRAL: one configuration policy (FSBP + CIS v3.0) for the root; LOCAL: auto-enable."""
    root_id: str | None = None
    """The organization root (r-...) for the central policy; None looks it up (invoke)."""
    manage_admin_account_services: bool = True
    """Also enable the services in the security account itself (Security Hub, finding
    aggregator, Detective graphs, Inspector). Set False once the intermediate-tier
    components own them in this account."""
    inspector: bool = True
    """Auto-enable Amazon Inspector (EC2, ECR, Lambda) for members."""
    detective: bool = True
    """Auto-enable Amazon Detective for members (billed per GB ingested)."""
    access_analyzer: bool = True
    """An ORGANIZATION external-access analyzer in each region."""
    config_aggregator: bool = True
    """An organization Config aggregator (all regions) in the home region."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for taggable resources."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.account_id("organizationDetection.securityAccountId", self.security_account_id)
        validate.region("organizationDetection.homeRegion", self.home_region)
        regions = validate.regions("organizationDetection.regions", list(self.regions))
        if self.home_region not in regions:
            raise ValueError(
                f"organizationDetection.regions: must include the home region {self.home_region!r}"
            )
        validate.name_prefix("organizationDetection.namePrefix", self.name_prefix)
        validate.one_of(
            "organizationDetection.guardDutyAutoEnable", self.guardduty_auto_enable, AUTO_ENABLE
        )
        for feature in self.guardduty_features:
            validate.one_of("organizationDetection.guardDutyFeatures", feature, GUARDDUTY_FEATURES)
        if len(set(self.guardduty_features)) != len(self.guardduty_features):
            raise ValueError("organizationDetection.guardDutyFeatures: a feature is listed twice")
        for region in self.detector_ids:
            validate.region("organizationDetection.detectorIds", region)
            if region not in regions:
                raise ValueError(
                    f"organizationDetection.detectorIds: {region} is not a detection region"
                )
        validate.one_of(
            "organizationDetection.securityHubMode", self.security_hub_mode, SECURITY_HUB_MODES
        )
        if self.root_id is not None:
            validate.ou_or_root_id("organizationDetection.rootId", self.root_id)
            if not self.root_id.startswith("r-"):
                raise ValueError(
                    f"organizationDetection.rootId: {self.root_id!r} is an OU, not the root"
                )
        for key in (
            "manage_admin_account_services",
            "inspector",
            "detective",
            "access_analyzer",
            "config_aggregator",
        ):
            validate.boolean(f"organizationDetection.{key}", getattr(self, key))
        validate.tags("organizationDetection.tags", dict(self.tags))

    @classmethod
    def from_config(
        cls,
        section: Mapping[str, Any],
        *,
        security_account_id: str,
        home_region: str,
        regions: Sequence[str],
        name_prefix: str,
    ) -> OrganizationDetectionArgs:
        """Build from the ``organizationDetection`` config section.

        Keys: ``guardDutyAutoEnable``, ``guardDutyFeatures``, ``securityHubMode``, ``rootId``,
        ``manageAdminAccountServices``, ``inspector``, ``detective``, ``accessAnalyzer``,
        ``configAggregator``.
        """
        raw = validate.known_keys(
            "organizationDetection",
            section,
            {
                "guardDutyAutoEnable",
                "guardDutyFeatures",
                "securityHubMode",
                "rootId",
                "manageAdminAccountServices",
                "inspector",
                "detective",
                "accessAnalyzer",
                "configAggregator",
            },
        )
        features = raw.get("guardDutyFeatures", DEFAULT_GUARDDUTY_FEATURES)
        if isinstance(features, str) or not isinstance(features, Sequence):
            raise ValueError(
                f"organizationDetection.guardDutyFeatures: expected a list, got {features!r}"
            )
        root = raw.get("rootId")

        def flag(key: str) -> bool:
            return validate.boolean(f"organizationDetection.{key}", raw.get(key, True))

        auto = validate.one_of(
            "organizationDetection.guardDutyAutoEnable",
            str(raw.get("guardDutyAutoEnable", "ALL")),
            AUTO_ENABLE,
        )
        mode = validate.one_of(
            "organizationDetection.securityHubMode",
            str(raw.get("securityHubMode", "CENTRAL")),
            SECURITY_HUB_MODES,
        )
        args = cls(
            security_account_id=security_account_id,
            home_region=home_region,
            regions=tuple(regions),
            name_prefix=name_prefix,
            guardduty_auto_enable=cast(Literal["ALL", "NEW", "NONE"], auto),
            guardduty_features=tuple(str(f) for f in features),
            security_hub_mode=cast(Literal["CENTRAL", "LOCAL"], mode),
            root_id=None if root is None else str(root),
            manage_admin_account_services=flag("manageAdminAccountServices"),
            inspector=flag("inspector"),
            detective=flag("detective"),
            access_analyzer=flag("accessAnalyzer"),
            config_aggregator=flag("configAggregator"),
        )
        args.validate()
        return args


class OrganizationDetection(pulumi.ComponentResource):
    """Auto-enable the detection services for every account, from the delegated admin."""

    detector_ids: dict[str, pulumi.Output[str]]
    """The security account's GuardDuty detector per region."""
    guardduty_configurations: dict[str, aws.guardduty.OrganizationConfiguration]
    """GuardDuty organization configuration per region."""
    analyzers: dict[str, aws.accessanalyzer.Analyzer]
    """Organization Access Analyzer per region."""
    aggregator: aws.cfg.ConfigurationAggregator | None
    """The organization Config aggregator."""
    configuration_policy: aws.securityhub.ConfigurationPolicy | None
    """Security Hub central configuration policy (None in LOCAL mode)."""

    def __init__(
        self,
        name: str,
        args: OrganizationDetectionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        regions = sorted(args.regions)
        tags = dict(args.tags) or None

        # --- GuardDuty: the admin's detector, then auto-enable members and features.
        self.detector_ids = {}
        self.guardduty_configurations = {}
        for region in regions:
            given = args.detector_ids.get(region)
            if given is not None:
                detector_id = pulumi.Output.from_input(given)
            else:
                detector_id = aws.guardduty.Detector(
                    f"{name}-detector-{region}",
                    enable=True,
                    finding_publishing_frequency="FIFTEEN_MINUTES",
                    region=region,
                    tags=tags,
                    opts=child,
                ).id
            self.detector_ids[region] = detector_id
            configuration = aws.guardduty.OrganizationConfiguration(
                f"{name}-guardduty-{region}",
                detector_id=detector_id,
                auto_enable_organization_members=args.guardduty_auto_enable,
                region=region,
                opts=child,
            )
            self.guardduty_configurations[region] = configuration
            after = pulumi.ResourceOptions(parent=self, depends_on=[configuration])
            for feature in args.guardduty_features:
                extra: list[
                    aws.guardduty.OrganizationConfigurationFeatureAdditionalConfigurationArgsDict
                ] = []
                if feature == "RUNTIME_MONITORING":
                    extra = [
                        {"name": agent, "auto_enable": args.guardduty_auto_enable}
                        for agent in RUNTIME_AGENTS
                    ]
                aws.guardduty.OrganizationConfigurationFeature(
                    f"{name}-guardduty-{feature.lower().replace('_', '-')}-{region}",
                    detector_id=detector_id,
                    name=feature,
                    auto_enable=args.guardduty_auto_enable,
                    additional_configurations=extra or None,
                    region=region,
                    opts=after,
                )

        # --- Security Hub.
        self.configuration_policy = None
        hub_deps: list[pulumi.Resource] = list(args.security_hub_resources)
        if args.manage_admin_account_services:
            hub = aws.securityhub.Account(
                f"{name}-securityhub",
                enable_default_standards=False,
                auto_enable_controls=True,
                control_finding_generator="SECURITY_CONTROL",
                region=args.home_region,
                opts=child,
            )
            linked = [r for r in regions if r != args.home_region]
            # SPECIFIED_REGIONS needs at least one region: with home alone, link none.
            aggregator = aws.securityhub.FindingAggregator(
                f"{name}-finding-aggregator",
                linking_mode="SPECIFIED_REGIONS" if linked else "NO_REGIONS",
                specified_regions=linked or None,
                region=args.home_region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[hub]),
            )
            hub_deps += [hub, aggregator]
        if args.security_hub_mode == "CENTRAL":
            org_config = aws.securityhub.OrganizationConfiguration(
                f"{name}-securityhub-organization",
                auto_enable=False,  # central configuration: the policy decides
                auto_enable_standards="NONE",
                organization_configuration={"configuration_type": "CENTRAL"},
                region=args.home_region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=hub_deps),
            )
            self.configuration_policy = aws.securityhub.ConfigurationPolicy(
                f"{name}-securityhub-policy",
                name=physical_name(args.name_prefix, "baseline"),
                description="Security Hub on with FSBP and CIS v3.0 in every linked region",
                configuration_policy={
                    "service_enabled": True,
                    "enabled_standard_arns": standard_arns(args.home_region),
                    "security_controls_configuration": {"disabled_control_identifiers": []},
                },
                region=args.home_region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[org_config]),
            )
            root_id: pulumi.Input[str]
            if args.root_id is not None:
                root_id = args.root_id
            else:
                root_id = aws.organizations.get_organization_output(
                    opts=pulumi.InvokeOutputOptions(parent=self)
                ).roots.apply(lambda roots: roots[0].id)
            aws.securityhub.ConfigurationPolicyAssociation(
                f"{name}-securityhub-policy-root",
                policy_id=self.configuration_policy.id,
                target_id=root_id,
                region=args.home_region,
                opts=child,
            )
        else:
            for region in regions:
                aws.securityhub.OrganizationConfiguration(
                    f"{name}-securityhub-organization-{region}",
                    auto_enable=True,
                    auto_enable_standards="DEFAULT",
                    organization_configuration={"configuration_type": "LOCAL"},
                    region=region,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=hub_deps),
                )

        # --- Inspector and Detective: auto-enable new members per region.
        for region in regions:
            if args.inspector:
                inspector_deps: list[pulumi.Resource] = []
                if args.manage_admin_account_services:
                    inspector_deps.append(
                        aws.inspector2.Enabler(
                            f"{name}-inspector-{region}",
                            account_ids=[args.security_account_id],
                            resource_types=["EC2", "ECR", "LAMBDA"],
                            region=region,
                            opts=child,
                        )
                    )
                aws.inspector2.OrganizationConfiguration(
                    f"{name}-inspector-organization-{region}",
                    auto_enable={"ec2": True, "ecr": True, "lambda_": True},
                    region=region,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=inspector_deps),
                )
            graph_arn = args.graph_arns.get(region)
            if args.detective and graph_arn is None and args.manage_admin_account_services:
                graph_arn = aws.detective.Graph(
                    f"{name}-detective-{region}", region=region, tags=tags, opts=child
                ).id  # the graph's id is its ARN
            if args.detective and graph_arn is not None:
                aws.detective.OrganizationConfiguration(
                    f"{name}-detective-organization-{region}",
                    auto_enable=True,
                    graph_arn=graph_arn,
                    region=region,
                    opts=child,
                )

        # --- Access Analyzer for the whole organization, per region.
        self.analyzers = {}
        if args.access_analyzer:
            for region in regions:
                self.analyzers[region] = aws.accessanalyzer.Analyzer(
                    f"{name}-access-analyzer-{region}",
                    analyzer_name=physical_name(args.name_prefix, "organization"),
                    type="ORGANIZATION",
                    region=region,
                    tags=tags,
                    opts=child,
                )

        # --- Config aggregator over every account and region.
        self.aggregator = None
        if args.config_aggregator:
            role = aws.iam.Role(
                f"{name}-config-aggregator-role",
                name=physical_name(args.name_prefix, "config-aggregator"),
                assume_role_policy=iam.service_assume_role_policy("config.amazonaws.com"),
                tags=tags,
                opts=child,
            )
            attachment = aws.iam.RolePolicyAttachment(
                f"{name}-config-aggregator-policy",
                role=role.name,
                policy_arn=CONFIG_ORGANIZATIONS_POLICY,
                opts=child,
            )
            self.aggregator = aws.cfg.ConfigurationAggregator(
                f"{name}-config-aggregator",
                name=physical_name(args.name_prefix, "organization"),
                organization_aggregation_source={"role_arn": role.arn, "all_regions": True},
                region=args.home_region,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
            )

        self.register_outputs(
            {
                "regions": regions,
                "guardDutyAutoEnable": args.guardduty_auto_enable,
                "securityHubMode": args.security_hub_mode,
            }
        )
