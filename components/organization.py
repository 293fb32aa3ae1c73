"""The organization itself: adopted, service access, SCPs on, OUs and delegated admins (S-24).

Checklist: S-24 (organization-wide governance), S-25 (the organization itself as code),
S-30 (works with Control Tower: its service access is kept). Deployed by the management
account; the security account it registers as delegated administrator then turns GuardDuty on
for every account (see OrganizationDetection).

The organization is **adopted, never created or deleted**: ``aws.organizations.Organization``
is imported by id (``import_``), protected, and retained if removed from the program.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.components.organization_detection import SecurityHubMode

TYPE_TOKEN = "secbaseline:index:Organization"

SERVICE_ACCESS_PRINCIPALS: tuple[str, ...] = (
    "access-analyzer.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "config.amazonaws.com",
    "detective.amazonaws.com",
    "guardduty.amazonaws.com",
    "inspector2.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "securityhub.amazonaws.com",
)
"""Services trusted to act across the organization (AWS service access)."""
SSO_PRINCIPAL = "sso.amazonaws.com"
CONTROL_TOWER_PRINCIPAL = "controltower.amazonaws.com"


class PolicyType(StrEnum):
    """An organization policy type besides SCPs (always enabled): every type pulumi-aws 7.51
    documents for ``enabled_policy_types``."""

    AISERVICES_OPT_OUT_POLICY = "AISERVICES_OPT_OUT_POLICY"
    """Opt accounts out of AWS AI services using their content."""
    BACKUP_POLICY = "BACKUP_POLICY"
    """AWS Backup plans applied across accounts."""
    BEDROCK_POLICY = "BEDROCK_POLICY"
    """Amazon Bedrock settings enforced across accounts."""
    CHATBOT_POLICY = "CHATBOT_POLICY"
    """AWS Chatbot (Amazon Q Developer in chat applications) access."""
    DECLARATIVE_POLICY_EC2 = "DECLARATIVE_POLICY_EC2"
    """Declarative EC2 settings (e.g. IMDSv2, public AMI sharing)."""
    INSPECTOR_POLICY = "INSPECTOR_POLICY"
    """Amazon Inspector enablement across accounts."""
    RESOURCE_CONTROL_POLICY = "RESOURCE_CONTROL_POLICY"
    """Resource control policies (RCPs): maximum permissions on resources."""
    S3_POLICY = "S3_POLICY"
    """S3 settings enforced across accounts."""
    SECURITYHUB_POLICY = "SECURITYHUB_POLICY"
    """Security Hub enablement across accounts."""
    TAG_POLICY = "TAG_POLICY"
    """Tag policies: standard tag keys and values."""
    UPGRADE_ROLLOUT_POLICY = "UPGRADE_ROLLOUT_POLICY"
    """Upgrade rollout order across accounts."""


POLICY_TYPES = tuple(kind.value for kind in PolicyType)
"""Organization policy types other than SCPs (always enabled) that may be enabled."""
CONTROL_TOWER_POLICY_TYPES = ("RESOURCE_CONTROL_POLICY",)
"""Policy types Control Tower enables besides SCPs (its RCP-based controls)."""
MACIE_PRINCIPAL = "macie.amazonaws.com"

# Services whose delegated administrator is registered through Organizations itself.
ORGANIZATIONS_DELEGATED = {
    "config": "config.amazonaws.com",
    "configMultiAccountSetup": "config-multiaccountsetup.amazonaws.com",
    "accessAnalyzer": "access-analyzer.amazonaws.com",
}
DELEGATIONS: tuple[str, ...] = (
    "guardDuty",
    "securityHub",
    "config",
    "configMultiAccountSetup",
    "accessAnalyzer",
    "inspector",
    "detective",
    "macie",
)
"""Services whose administration moves to the security account (``macie`` is off by default),
as they appear in resource names and config keys."""
_OU_NAME = re.compile(r"^[\s\S]{1,128}$")
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com$")


@component_args
class Delegations(ComponentArgs):
    """Which services the security account administers for the organization."""

    guard_duty: bool = True
    """GuardDuty (delegated administrator in every detection region)."""
    security_hub: bool = True
    """Security Hub (home region; every region in LOCAL mode)."""
    config: bool = True
    """AWS Config (organization rules and conformance packs)."""
    config_multi_account_setup: bool = True
    """AWS Config multi-account setup (organization aggregators)."""
    access_analyzer: bool = True
    """IAM Access Analyzer (organization analyzers)."""
    inspector: bool = True
    """Amazon Inspector (every detection region)."""
    detective: bool = True
    """Amazon Detective (every detection region)."""
    macie: bool = False
    """Amazon Macie (every detection region; also trusts macie.amazonaws.com)."""


def _ou_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not _OU_NAME.match(value) or value.strip() != value:
        raise ValueError(
            f"{field}: {value!r} is not an OU name (1-128 characters, no leading or trailing "
            "spaces)"
        )
    return value


def _distinct_ous(field: str, names: Sequence[str]) -> Sequence[str]:
    seen: dict[str, str] = {}
    for i, ou in enumerate(names):
        key = _slug(ou)
        if key in seen:
            raise ValueError(
                f"{field}[{i}]: {ou!r} collides with {seen[key]!r} (OU names must stay distinct "
                "ignoring case, spaces and punctuation)"
            )
        seen[key] = ou
    return names


def _service_principal(field: str, value: object) -> str:
    if not isinstance(value, str) or not _SERVICE_PRINCIPAL.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a service principal (<service>.amazonaws.com)")
    return value


@component_args
class OrganizationArgs(ComponentArgs):
    """Inputs of :class:`Organization`."""

    organization_id: str = arg(check=validate.organization_id)
    """The existing organization (o-...) to adopt. Nothing is created: it is imported."""
    management_account_id: str = arg(check=validate.account_id)
    """The management account (where this runs)."""
    security_account_id: str = arg(check=validate.account_id)
    """The delegated administrator for the security services (not the management account)."""
    home_region: str = arg(check=validate.region)
    """Where Security Hub's delegated administrator is designated."""
    regions: Sequence[str] = arg(check=validate.regions)
    """Detection regions (including the home region): GuardDuty, Inspector, Detective and
    Macie admins are designated per region."""
    organizational_units: Sequence[str] = arg(
        default_factory=list, each=_ou_name, check=_distinct_ous
    )
    """OU names to create under the root (e.g. Security, Workloads, Sandbox)."""
    enable_sso: bool = False
    """Also trust IAM Identity Center (sso.amazonaws.com)."""
    delegations: Delegations = arg(default_factory=Delegations)
    """Services delegated to the security account (every one but Macie by default)."""
    extra_service_principals: Sequence[str] = arg(default_factory=list, each=_service_principal)
    """More service access principals to enable (``<service>.amazonaws.com``). Principals
    already enabled in the organization are read at deployment and kept, never disabled."""
    extra_policy_types: Sequence[PolicyType] = arg(default_factory=list)
    """Policy types to enable besides SCPs (e.g. TAG_POLICY, BACKUP_POLICY,
    RESOURCE_CONTROL_POLICY). Types already enabled are read at deployment and kept."""
    control_tower: bool = False
    """Control Tower manages the organization: keep its trusted access (controltower, sso)
    and its policy types (RESOURCE_CONTROL_POLICY)."""
    security_hub_mode: SecurityHubMode = SecurityHubMode.CENTRAL
    """OrganizationDetection's Security Hub mode. ``CENTRAL``: the delegated administrator is
    designated in the home region only (central configuration covers the linked regions).
    ``LOCAL``: each region is configured on its own, so it is designated in every region."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the created organizational units (the organization and the delegations take
    none)."""

    def __post_init__(self) -> None:
        if self.security_account_id == self.management_account_id:
            raise ValueError(
                "security_account_id: must differ from the management account (Security Hub "
                "cannot delegate administration to the management account)"
            )
        if self.home_region not in self.regions:
            raise ValueError(f"regions: must include the home region {self.home_region!r}")

    def security_hub_admin_regions(self) -> list[str]:
        """Regions where Security Hub's delegated administrator is designated."""
        if self.security_hub_mode == SecurityHubMode.LOCAL:
            return sorted(self.regions)
        return [self.home_region]

    def delegated(self) -> list[str]:
        """Services delegated to the security account (``DELEGATIONS`` names), in order."""
        chosen = self.delegations
        flags = {
            "guardDuty": chosen.guard_duty,
            "securityHub": chosen.security_hub,
            "config": chosen.config,
            "configMultiAccountSetup": chosen.config_multi_account_setup,
            "accessAnalyzer": chosen.access_analyzer,
            "inspector": chosen.inspector,
            "detective": chosen.detective,
            "macie": chosen.macie,
        }
        return [name for name in DELEGATIONS if flags[name]]

    def service_access_principals(self) -> list[str]:
        """Every service access principal to enable, sorted."""
        principals = set(SERVICE_ACCESS_PRINCIPALS) | set(self.extra_service_principals)
        if self.enable_sso or self.control_tower:
            principals.add(SSO_PRINCIPAL)
        if self.control_tower:
            principals.add(CONTROL_TOWER_PRINCIPAL)
        if "macie" in self.delegated():
            principals.add(MACIE_PRINCIPAL)
        return sorted(principals)

    def policy_types(self) -> list[str]:
        """Policy types to enable: SCPs plus the extras (and Control Tower's), sorted."""
        types = {"SERVICE_CONTROL_POLICY", *(str(kind) for kind in self.extra_policy_types)}
        if self.control_tower:
            types.update(CONTROL_TOWER_POLICY_TYPES)
        return sorted(types)


RegionalAdmin = Callable[[str, str, str, pulumi.ResourceOptions], pulumi.CustomResource]

# Services whose delegated administrator is designated per region.
_REGIONAL_ADMINS: dict[str, RegionalAdmin] = {
    "guardDuty": lambda n, admin, region, o: aws.guardduty.OrganizationAdminAccount(
        n, admin_account_id=admin, region=region, opts=o
    ),
    "inspector": lambda n, admin, region, o: aws.inspector2.DelegatedAdminAccount(
        n, account_id=admin, region=region, opts=o
    ),
    "detective": lambda n, admin, region, o: aws.detective.OrganizationAdminAccount(
        n, account_id=admin, region=region, opts=o
    ),
    "macie": lambda n, admin, region, o: aws.macie2.OrganizationAdminAccount(
        n, admin_account_id=admin, region=region, opts=o
    ),
}


def adoption_options(
    organization_id: str, parent: pulumi.Resource | None
) -> pulumi.ResourceOptions:
    """Adopt, never create: import the organization by id, protect it from ``pulumi destroy``
    and keep it in AWS if it ever leaves the program."""
    return pulumi.ResourceOptions(
        parent=parent, import_=organization_id, protect=True, retain_on_delete=True
    )


def _slug(name: str) -> str:
    """An OU name as it appears in resource names (and for collision checks)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "ou"


def keep_enabled(required: Sequence[str]) -> Callable[[Sequence[str] | None], list[str]]:
    """Merge what the organization has enabled today with what we require, sorted: adopting
    the organization never switches off trusted access or a policy type already in use."""

    def merge(current: Sequence[str] | None) -> list[str]:
        return sorted({*(current or ()), *required})

    return merge


def _root_id(roots: Sequence[aws.organizations.outputs.OrganizationRoot]) -> str:
    """The id of the organization's single root."""
    if not roots or roots[0].id is None:
        raise ValueError("organization: the adopted organization reports no root")
    return roots[0].id


class Organization(pulumi.ComponentResource):
    """Adopt the organization and hand the security services to the security account."""

    organization: aws.organizations.Organization
    """The adopted organization (protected, retained on delete)."""
    root_id: pulumi.Output[str]
    """The organization root's id (r-...)."""
    organizational_units: dict[str, aws.organizations.OrganizationalUnit]
    """Created OUs by name."""
    organization_id: pulumi.Output[str]
    """The organization's id (o-...)."""
    organization_arn: pulumi.Output[str]
    """The organization's ARN."""
    organizational_unit_ids: dict[str, pulumi.Output[str]]
    """Created OU ids (ou-...) by name, e.g. for GuardrailPolicies targets."""
    delegated_services: list[str]
    """Services delegated to the security account."""

    def __init__(
        self,
        name: str,
        args: OrganizationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = OrganizationArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None

        # The import reconciles the organization to exactly these lists, so start from what is
        # enabled today (e.g. IAM Identity Center, tag or backup policies) and only add.
        current = aws.organizations.get_organization_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.organization = aws.organizations.Organization(
            f"{name}-organization",
            aws_service_access_principals=current.aws_service_access_principals.apply(
                keep_enabled(args.service_access_principals())
            ),
            enabled_policy_types=current.enabled_policy_types.apply(
                keep_enabled(args.policy_types())
            ),
            feature_set="ALL",
            opts=adoption_options(args.organization_id, self),
        )
        self.root_id = self.organization.roots.apply(_root_id)

        self.organizational_units = {
            ou: aws.organizations.OrganizationalUnit(
                f"{name}-ou-{_slug(ou)}",
                name=ou,
                parent_id=self.root_id,
                tags=tags,
                opts=child,
            )
            for ou in args.organizational_units
        }

        after_org = pulumi.ResourceOptions(parent=self, depends_on=[self.organization])
        admin = args.security_account_id
        delegated = args.delegated()
        self._delegated_admins: list[pulumi.CustomResource] = []
        for service in delegated:
            if service in ORGANIZATIONS_DELEGATED:
                self._delegated_admins.append(
                    aws.organizations.DelegatedAdministrator(
                        f"{name}-delegate-{service}",
                        account_id=admin,
                        service_principal=ORGANIZATIONS_DELEGATED[service],
                        opts=after_org,
                    )
                )
        if "securityHub" in delegated:
            # CENTRAL: once, in the home region (central configuration lives there and covers
            # the linked regions). LOCAL: every region is configured on its own.
            for region in args.security_hub_admin_regions():
                suffix = "" if region == args.home_region else f"-{region}"
                self._delegated_admins.append(
                    aws.securityhub.OrganizationAdminAccount(
                        f"{name}-delegate-securityhub{suffix}",
                        admin_account_id=admin,
                        region=region,
                        opts=after_org,
                    )
                )
        for region in sorted(args.regions):
            for service in delegated:
                make = _REGIONAL_ADMINS.get(service)
                if make is not None:
                    resource_name = f"{name}-delegate-{service.lower()}-{region}"
                    self._delegated_admins.append(make(resource_name, admin, region, after_org))

        self.organization_id = self.organization.id
        self.organization_arn = self.organization.arn
        self.delegated_services = delegated
        self.organizational_unit_ids = {
            ou: unit.id for ou, unit in self.organizational_units.items()
        }
        self.register_outputs(
            {
                "organizationId": self.organization_id,
                "organizationArn": self.organization_arn,
                "rootId": self.root_id,
                "organizationalUnitIds": self.organizational_unit_ids,
                "delegatedServices": delegated,
            }
        )

    @property
    def delegated_admins(self) -> list[pulumi.CustomResource]:
        """Every delegated-administrator registration (Python only: the resources are of
        several types)."""
        return self._delegated_admins
