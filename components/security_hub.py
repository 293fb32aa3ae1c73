"""Security Hub in every detection region, standards subscribed, findings aggregated home.

Checklist: S-16 (continuous posture checks against AWS and CIS standards). Controls that check
global resources (IAM, account settings, IAM-policy KMS checks) are disabled outside the home
region: they would report the same result, and cost the same check, in every region.
"""

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.components import _adoption
from secbaseline.components._adoption import Adoption

TYPE_TOKEN = "secbaseline:index:SecurityHub"

# Config name -> ARN path after ``arn:aws:securityhub:<region>::``.
STANDARDS: Mapping[str, str] = {
    "aws-foundational-security-best-practices": (
        "standards/aws-foundational-security-best-practices/v/1.0.0"
    ),
    "cis-aws-foundations-benchmark-v3.0.0": "standards/cis-aws-foundations-benchmark/v/3.0.0",
    "nist-800-53-r5": "standards/nist-800-53/v/5.0.0",
    "pci-dss-v4.0.1": "standards/pci-dss/v/4.0.1",
}


class SecurityStandard(StrEnum):
    """A Security Hub standard, by the name the config uses."""

    AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES = "aws-foundational-security-best-practices"
    """AWS Foundational Security Best Practices v1.0.0."""
    CIS_AWS_FOUNDATIONS_BENCHMARK_V3_0_0 = "cis-aws-foundations-benchmark-v3.0.0"
    """CIS AWS Foundations Benchmark v3.0.0."""
    NIST_800_53_R5 = "nist-800-53-r5"
    """NIST SP 800-53 Revision 5."""
    PCI_DSS_V4_0_1 = "pci-dss-v4.0.1"
    """PCI DSS v4.0.1."""


DEFAULT_STANDARDS = (
    SecurityStandard.AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES,
    SecurityStandard.CIS_AWS_FOUNDATIONS_BENCHMARK_V3_0_0,
)

# Controls that check global resources (AWS "Suggested controls to disable": Account.*, IAM.*,
# KMS.1/2), per standard that contains them. CloudFront, Route53.2, WAF.1/6/7/8 and
# GlobalAccelerator.1 are global too but exist in one region only, so they are left alone.
# Membership was taken from AWS's per-standard control lists; a control that is not in a
# standard cannot be associated with it, so keep this table per standard.
GLOBAL_CONTROLS: Mapping[str, tuple[str, ...]] = {
    "aws-foundational-security-best-practices": (
        "Account.1",
        "IAM.1",
        "IAM.2",
        "IAM.3",
        "IAM.4",
        "IAM.5",
        "IAM.6",
        "IAM.7",
        "IAM.8",
        "IAM.21",
        "KMS.1",
        "KMS.2",
    ),
    "cis-aws-foundations-benchmark-v3.0.0": (
        "Account.1",
        "IAM.2",
        "IAM.3",
        "IAM.4",
        "IAM.5",
        "IAM.6",
        "IAM.9",
        "IAM.15",
        "IAM.16",
        "IAM.18",
        "IAM.22",
        "IAM.26",
        "IAM.27",
    ),
    "nist-800-53-r5": (
        "Account.1",
        "Account.2",
        "IAM.1",
        "IAM.2",
        "IAM.3",
        "IAM.4",
        "IAM.5",
        "IAM.6",
        "IAM.7",
        "IAM.8",
        "IAM.9",
        "IAM.19",
        "IAM.21",
        "KMS.1",
        "KMS.2",
    ),
    "pci-dss-v4.0.1": (
        "IAM.1",
        "IAM.2",
        "IAM.3",
        "IAM.4",
        "IAM.6",
        "IAM.8",
        "IAM.9",
        "IAM.10",
        "IAM.11",
        "IAM.12",
        "IAM.13",
        "IAM.14",
        "IAM.16",
        "IAM.17",
        "IAM.18",
        "IAM.19",
        "KMS.1",
        "KMS.2",
    ),
}
_CONTROL_ID = re.compile(r"^[A-Za-z0-9]+\.[0-9]+$")


def standards_arn(standard: str, region: str, partition: str = "aws") -> str:
    """The ARN Security Hub uses for a standard in one region."""
    return f"arn:{partition}:securityhub:{region}::{STANDARDS[standard]}"


def _standard_of(subscription_arn: str) -> str | None:
    """The config name of the standard a subscription ARN subscribes to (None: not ours)."""
    path = subscription_arn.split(":subscription/", 1)[-1]
    for name, standard_path in STANDARDS.items():
        if standard_path.removeprefix("standards/") == path:
            return name
    return None


def _standards(field: str, values: Any) -> Any:
    if not values:
        raise ValueError(f"{field}: expected a non-empty list of standards")
    if len(set(values)) != len(values):
        raise ValueError(f"{field}: a standard is listed twice")
    return values


def _disabled_controls(field: str, value: Any) -> Any:
    for standard, controls in value.items():
        validate.one_of(field, standard, STANDARDS)
        for control, reason in controls.items():
            if not _CONTROL_ID.match(control):
                raise ValueError(
                    f"{field}.{standard}: {control!r} is not a control id such as IAM.1 or EC2.10"
                )
            if not reason.strip():
                raise ValueError(f"{field}.{standard}.{control}: a reason is required")
    return value


@component_args
class SecurityHubArgs(ComponentArgs):
    """Inputs of :class:`SecurityHub`."""

    regions: Sequence[str] = arg(check=validate.regions)
    """Detection regions: Security Hub is enabled in each (set by the tier)."""
    home_region: str = arg(check=validate.region)
    """Aggregation region, one of ``regions``; global-resource controls run only here (set by
    the tier)."""
    standards: Sequence[SecurityStandard] = arg(
        default_factory=lambda: list(DEFAULT_STANDARDS), check=_standards
    )
    """Standards to subscribe (each once): aws-foundational-security-best-practices,
    cis-aws-foundations-benchmark-v3.0.0, nist-800-53-r5, pci-dss-v4.0.1."""
    disabled_controls: Mapping[str, Mapping[str, str]] = arg(
        default_factory=dict, check=_disabled_controls
    )
    """Controls to disable in every region: ``{standard: {control id: reason}}``; the standard
    must be subscribed, control ids look like ``IAM.1``, reasons are required."""
    global_controls_home_only: bool = True
    """Disable global-resource controls (IAM.*, Account.*, KMS.1/2) outside the home region."""
    aggregate_findings: bool = True
    """Create the cross-region finding aggregator in the home region."""
    centrally_managed: bool = False
    """An organization configuration policy (Security Hub central configuration) owns the
    standards and controls of this account: enable the hub and aggregator only, since a
    centrally managed account cannot change its standards locally (set by the tier)."""
    adopt_hubs: Mapping[str, Adoption] = arg(default_factory=dict, check=_adoption.by_region)
    """Region -> Security Hub already enabled there: create (default), import (id: the account
    id) or skip (hub, standards and controls there left alone). See docs/adoption.md."""
    adopt_standards: Mapping[str, Sequence[str]] = arg(
        default_factory=dict, check=_adoption.subscription_arns
    )
    """Region -> ARNs of standards subscriptions that exist and are imported (each one of
    ``standards``); the other standards are subscribed."""
    adopt_aggregator: Adoption = arg(default_factory=Adoption)
    """The finding aggregator that exists in the home region: create (default), import (id:
    its ARN) or skip."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region!r} is not one of the regions")
        _adoption.within("adopt_hubs", self.adopt_hubs, self.regions)
        _adoption.needs_id("adopt_hubs", self.adopt_hubs, "account id")
        _adoption.within("adopt_standards", self.adopt_standards, self.regions)
        for region, arns in self.adopt_standards.items():
            for index, arn in enumerate(arns):
                if _standard_of(arn) not in self.standards:
                    raise ValueError(
                        f"adopt_standards.{region}[{index}]: {arn} is not a subscription of "
                        f"one of the standards ({', '.join(self.standards)})"
                    )
        if self.adopt_aggregator.imported and self.adopt_aggregator.id is None:
            raise ValueError("adopt_aggregator: import needs the aggregator's ARN as id")
        for standard in self.disabled_controls:
            if standard not in self.standards:
                raise ValueError(
                    f"disabled_controls: {standard!r} is not one of the subscribed standards "
                    f"({', '.join(self.standards)})"
                )


class SecurityHub(pulumi.ComponentResource):
    """Security Hub with chosen standards in every region and one finding aggregator."""

    accounts: dict[str, aws.securityhub.Account]
    """The Security Hub enablement per region."""
    aggregator: aws.securityhub.FindingAggregator | None
    """The cross-region finding aggregator in the home region."""

    def __init__(
        self,
        name: str,
        args: SecurityHubArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = SecurityHubArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        regions = sorted(args.regions)

        self.accounts = {}
        # Python-only attributes (tuple keys have no schema type, so they are not declared on
        # the class, which is what Pulumi's analyzer reads).
        self.subscriptions: dict[tuple[str, str], aws.securityhub.StandardsSubscription] = {}
        """Standards subscription per (region, standard)."""
        self.disabled: dict[tuple[str, str, str], aws.securityhub.StandardsControlAssociation] = {}
        """Disabled control per (region, standard, control id)."""
        for region in regions:
            adoption = _adoption.entry(args.adopt_hubs, region)
            if adoption.skipped:  # unmanaged: its standards and controls too
                continue
            hub = aws.securityhub.Account(
                f"{name}-hub-{region}",
                enable_default_standards=False,
                control_finding_generator="SECURITY_CONTROL",
                auto_enable_controls=True,
                region=region,
                opts=_adoption.options(
                    adoption,
                    child,
                    ignore=[
                        "enableDefaultStandards",
                        "controlFindingGenerator",
                        "autoEnableControls",
                    ],
                    region=region,
                ),
            )
            self.accounts[region] = hub
            existing = {_standard_of(arn): arn for arn in args.adopt_standards.get(region, ())}
            for standard in () if args.centrally_managed else args.standards:
                subscription_arn = existing.get(str(standard))
                subscription = aws.securityhub.StandardsSubscription(
                    f"{name}-{standard}-{region}",
                    standards_arn=standards_arn(standard, region),
                    region=region,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=[hub],
                        # The ARN names the region; nothing to ignore (one input, the same).
                        import_=subscription_arn,
                    ),
                )
                self.subscriptions[(region, standard)] = subscription
                reasons = dict(args.disabled_controls.get(standard, {}))
                if args.global_controls_home_only and region != args.home_region:
                    for control in GLOBAL_CONTROLS[standard]:
                        reasons.setdefault(
                            control,
                            f"Checks a global resource; evaluated in the home region "
                            f"{args.home_region} only",
                        )
                for control, reason in sorted(reasons.items()):
                    self.disabled[(region, standard, control)] = (
                        aws.securityhub.StandardsControlAssociation(
                            f"{name}-{standard}-{control.lower().replace('.', '-')}-{region}",
                            standards_arn=subscription.standards_arn,
                            security_control_id=control,
                            association_status="DISABLED",
                            updated_reason=reason,
                            region=region,
                            opts=pulumi.ResourceOptions(parent=self, depends_on=[subscription]),
                        )
                    )

        self.aggregator = None
        if args.aggregate_findings and not args.adopt_aggregator.skipped:
            linked = [r for r in regions if r != args.home_region]
            self.aggregator = aws.securityhub.FindingAggregator(
                f"{name}-aggregator",
                linking_mode="SPECIFIED_REGIONS" if linked else "NO_REGIONS",
                specified_regions=linked or None,
                region=args.home_region,
                opts=_adoption.options(
                    args.adopt_aggregator,
                    pulumi.ResourceOptions(parent=self, depends_on=list(self.accounts.values())),
                    ignore=["linkingMode", "specifiedRegions"],
                ),
            )

        self.register_outputs(
            {
                "regions": regions,
                "standards": [str(s) for s in args.standards],
                "aggregatorRegion": args.home_region if self.aggregator else None,
            }
        )
