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

import functools
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name

TYPE_TOKEN = "secbaseline:index:OrganizationDetection"


class GuardDutyFeature(StrEnum):
    """A GuardDuty protection plan auto-enabled for members (pulumi-aws's names)."""

    S3_DATA_EVENTS = "S3_DATA_EVENTS"
    """S3 Protection: data events of S3 buckets."""
    EKS_AUDIT_LOGS = "EKS_AUDIT_LOGS"
    """EKS Protection: Kubernetes audit logs."""
    EBS_MALWARE_PROTECTION = "EBS_MALWARE_PROTECTION"
    """Malware Protection for EC2: scans EBS volumes of flagged instances."""
    RDS_LOGIN_EVENTS = "RDS_LOGIN_EVENTS"
    """RDS Protection: Aurora and RDS login activity."""
    LAMBDA_NETWORK_LOGS = "LAMBDA_NETWORK_LOGS"
    """Lambda Protection: network activity of functions."""
    RUNTIME_MONITORING = "RUNTIME_MONITORING"
    """Runtime Monitoring with the managed agent on EKS, ECS Fargate and EC2 (billed per vCPU)."""


class AutoEnable(StrEnum):
    """Which member accounts GuardDuty enables automatically."""

    ALL = "ALL"
    """Existing and new accounts."""
    NEW = "NEW"
    """New accounts only."""
    NONE = "NONE"
    """None: members are enabled by hand."""


class SecurityHubMode(StrEnum):
    """How Security Hub is configured across the organization."""

    CENTRAL = "CENTRAL"
    """Central configuration: one policy (FSBP + CIS v3.0) from the home region for the root."""
    LOCAL = "LOCAL"
    """Local configuration: auto-enable in each region on its own."""


GUARDDUTY_FEATURES: tuple[str, ...] = tuple(feature.value for feature in GuardDutyFeature)
"""GuardDuty organization features the baseline knows (pulumi-aws's valid names)."""
DEFAULT_GUARDDUTY_FEATURES: tuple[GuardDutyFeature, ...] = tuple(GuardDutyFeature)[:-1]
"""Runtime Monitoring (an agent, billed per vCPU) is opt-in."""
RUNTIME_AGENTS = ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")
AUTO_ENABLE = tuple(mode.value for mode in AutoEnable)
SECURITY_HUB_MODES = tuple(mode.value for mode in SecurityHubMode)
CONFIG_ORGANIZATIONS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"
_detective_graph_arn = validate.arn_of("detective")


def standard_arns(region: str) -> list[str]:
    """AWS Foundational Security Best Practices and CIS AWS Foundations v3.0 in a region."""
    return [
        f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
        f"arn:aws:securityhub:{region}::standards/cis-aws-foundations-benchmark/v/3.0.0",
    ]


def _distinct(field: str, values: Sequence[Any]) -> Sequence[Any]:
    if len(set(values)) != len(values):
        raise ValueError(f"{field}: a feature is listed twice")
    return values


def _by_region(field: str, value: Mapping[str, Any]) -> Mapping[str, Any]:
    """Region names as keys."""
    for region in value:
        validate.region(field, region)
    return value


def _graph_arns(field: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """Region -> Detective graph ARN; Outputs are checked when they resolve."""
    _by_region(field, value)
    out: dict[str, Any] = {}
    for region, arn in value.items():
        label = f"{field}.{region}"
        if isinstance(arn, pulumi.Output):
            out[region] = arn.apply(functools.partial(_detective_graph_arn, label))
        else:
            out[region] = _detective_graph_arn(label, arn)
    return out


def organization_root_id(field: str, value: object) -> str:
    """The organization root's id (r-...), not an OU."""
    validate.ou_or_root_id(field, value)
    if not str(value).startswith("r-"):
        raise ValueError(f"{field}: {value!r} is an OU, not the root")
    return str(value)


@component_args
class OrganizationDetectionArgs(ComponentArgs):
    """Inputs of :class:`OrganizationDetection`."""

    security_account_id: str = arg(check=validate.account_id)
    """The delegated administrator (where this runs)."""
    home_region: str = arg(check=validate.region)
    """Security Hub central configuration and the Config aggregator live here."""
    regions: Sequence[str] = arg(check=validate.regions)
    """Detection regions (including the home region): auto-enable is configured in each."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of physical names."""
    guard_duty_auto_enable: AutoEnable = AutoEnable.ALL
    """GuardDuty members to enable: ALL (existing and new), NEW, or NONE."""
    guard_duty_features: Sequence[GuardDutyFeature] = arg(
        default_factory=lambda: [f.value for f in DEFAULT_GUARDDUTY_FEATURES], check=_distinct
    )
    """GuardDuty protection plans auto-enabled for members (every one but Runtime Monitoring
    by default)."""
    detector_ids: Mapping[str, pulumi.Input[str]] = arg(default_factory=dict, check=_by_region)
    """Region -> the security account's own GuardDuty detector id, when another component
    created it. Regions missing here get a detector created by this component."""
    graph_arns: Mapping[str, pulumi.Input[str]] = arg(default_factory=dict, check=_graph_arns)
    """Region -> the security account's own Detective graph ARN, when another component
    created it. Detective auto-enable is configured in these regions (and in every region when
    ``manage_admin_account_services`` creates the graphs)."""
    security_hub_dependencies: Sequence[pulumi.Input[str]] = arg(default_factory=list)
    """Outputs of the resources that enable Security Hub in this account when another
    component created them (e.g. ``aws.securityhub.Account(...).id``, the finding
    aggregator's id, or a component's ``urn``): the organization configuration waits for
    them."""
    security_hub_mode: SecurityHubMode = SecurityHubMode.CENTRAL
    """CENTRAL: one configuration policy (FSBP + CIS v3.0) for the root; LOCAL: auto-enable."""
    root_id: pulumi.Input[str] | None = arg(default=None, check=organization_root_id)
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
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (detectors, graphs, analyzers, aggregator and its role)."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"regions: must include the home region {self.home_region!r}")
        for region in self.detector_ids:
            if region not in self.regions:
                raise ValueError(f"detector_ids: {region} is not a detection region")
        for region in self.graph_arns:
            if region not in self.regions:
                raise ValueError(f"graph_arns: {region} is not a detection region")


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
        args = OrganizationDetectionArgs.coerce(args)
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
                auto_enable_organization_members=args.guard_duty_auto_enable,
                region=region,
                opts=child,
            )
            self.guardduty_configurations[region] = configuration
            after = pulumi.ResourceOptions(parent=self, depends_on=[configuration])
            for feature in args.guard_duty_features:
                extra: list[
                    aws.guardduty.OrganizationConfigurationFeatureAdditionalConfigurationArgsDict
                ] = []
                if feature == "RUNTIME_MONITORING":
                    extra = [
                        {"name": agent, "auto_enable": args.guard_duty_auto_enable}
                        for agent in RUNTIME_AGENTS
                    ]
                aws.guardduty.OrganizationConfigurationFeature(
                    f"{name}-guardduty-{feature.lower().replace('_', '-')}-{region}",
                    detector_id=detector_id,
                    name=feature,
                    auto_enable=args.guard_duty_auto_enable,
                    additional_configurations=extra or None,
                    region=region,
                    opts=after,
                )

        # --- Security Hub.
        self.configuration_policy = None
        hub_deps: list[pulumi.Resource] = []
        waits = list(args.security_hub_dependencies)

        def after_hub(value: str) -> pulumi.Input[str]:
            """``value``, once the given Security Hub resources exist: an input that depends
            on their Outputs makes the organization configuration wait for them."""
            if not waits:
                return value
            return pulumi.Output.all(*waits).apply(lambda _: value)

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
                auto_enable_standards=after_hub("NONE"),
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
                    auto_enable_standards=after_hub("DEFAULT"),
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
                "guardDutyAutoEnable": args.guard_duty_auto_enable,
                "securityHubMode": args.security_hub_mode,
            }
        )
