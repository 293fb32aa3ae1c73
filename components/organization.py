"""The organization itself: adopted, service access, SCPs on, OUs and delegated admins (S-24).

Checklist: S-24 (organization-wide governance), S-25 (the organization itself as code),
S-30 (works with Control Tower: its service access is kept). Deployed by the management
account; the security account it registers as delegated administrator then turns GuardDuty on
for every account (see OrganizationDetection).

The organization is **adopted, never created or deleted**: ``aws.organizations.Organization``
is imported by id (``import_``), protected, and retained if removed from the program.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.components.organization_detection import SECURITY_HUB_MODES

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
POLICY_TYPES = (
    "AISERVICES_OPT_OUT_POLICY",
    "BACKUP_POLICY",
    "BEDROCK_POLICY",
    "CHATBOT_POLICY",
    "DECLARATIVE_POLICY_EC2",
    "INSPECTOR_POLICY",
    "RESOURCE_CONTROL_POLICY",
    "S3_POLICY",
    "SECURITYHUB_POLICY",
    "TAG_POLICY",
    "UPGRADE_ROLLOUT_POLICY",
)
"""Organization policy types other than SCPs (always enabled) that may be enabled: every type
pulumi-aws 7.51 documents for ``enabled_policy_types``."""
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
"""Services whose administration moves to the security account (``macie`` is off by default)."""
_OU_NAME = re.compile(r"^[\s\S]{1,128}$")


@dataclass
class OrganizationArgs:
    """Inputs of :class:`Organization`."""

    organization_id: str = ""
    """The existing organization (o-...) to adopt. Required: nothing is created."""
    management_account_id: str = ""
    """The management account (where this runs)."""
    security_account_id: str = ""
    """The delegated administrator for the security services (not the management account)."""
    home_region: str = ""
    """Where Security Hub's delegated administrator is designated."""
    regions: Sequence[str] = ()
    """Detection regions: GuardDuty, Inspector, Detective and Macie admins are per region."""
    organizational_units: Sequence[str] = ()
    """OU names to create under the root (e.g. Security, Workloads, Sandbox)."""
    enable_sso: bool = False
    """Also trust IAM Identity Center (sso.amazonaws.com)."""
    delegations: Mapping[str, bool] = field(default_factory=dict)
    """Service -> delegate to the security account; every one but ``macie`` defaults to on."""
    extra_service_principals: Sequence[str] = ()
    """More service access principals to enable (``<service>.amazonaws.com``). Principals
    already enabled in the organization are read at deployment and kept, never disabled."""
    extra_policy_types: Sequence[str] = ()
    """Policy types to enable besides SCPs (e.g. TAG_POLICY, BACKUP_POLICY,
    RESOURCE_CONTROL_POLICY). Types already enabled are read at deployment and kept."""
    control_tower: bool = False
    """Control Tower manages the organization: keep its trusted access (controltower, sso)
    and its policy types (RESOURCE_CONTROL_POLICY)."""
    security_hub_mode: str = "CENTRAL"
    """OrganizationDetection's Security Hub mode. ``CENTRAL``: the delegated administrator is
    designated in the home region only (central configuration covers the linked regions).
    ``LOCAL``: each region is configured on its own, so it is designated in every region."""

    def security_hub_admin_regions(self) -> list[str]:
        """Regions where Security Hub's delegated administrator is designated."""
        if self.security_hub_mode == "LOCAL":
            return sorted(self.regions)
        return [self.home_region]

    def delegated(self) -> list[str]:
        """Services delegated to the security account, in a fixed order."""
        chosen = {name: name != "macie" for name in DELEGATIONS}
        chosen.update(self.delegations)
        return [name for name in DELEGATIONS if chosen[name]]

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
        types = {"SERVICE_CONTROL_POLICY", *self.extra_policy_types}
        if self.control_tower:
            types.update(CONTROL_TOWER_POLICY_TYPES)
        return sorted(types)

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        for kind in self.extra_policy_types:
            validate.one_of("organization.extraPolicyTypes", kind, POLICY_TYPES)
        validate.boolean("organization.controlTower", self.control_tower)
        validate.one_of(
            "organizationDetection.securityHubMode", self.security_hub_mode, SECURITY_HUB_MODES
        )
        validate.organization_id("organization.organizationId", self.organization_id)
        validate.account_id("organization.managementAccountId", self.management_account_id)
        validate.account_id("organization.securityAccountId", self.security_account_id)
        if self.security_account_id == self.management_account_id:
            raise ValueError(
                "organization.securityAccountId: must differ from the management account "
                "(Security Hub cannot delegate administration to the management account)"
            )
        validate.region("organization.homeRegion", self.home_region)
        regions = validate.regions("organization.regions", list(self.regions))
        if self.home_region not in regions:
            raise ValueError(
                f"organization.regions: must include the home region {self.home_region!r}"
            )
        seen: dict[str, str] = {}
        for i, ou in enumerate(self.organizational_units):
            if not isinstance(ou, str) or not _OU_NAME.match(ou) or ou.strip() != ou or not ou:
                raise ValueError(
                    f"organization.organizationalUnits[{i}]: {ou!r} is not an OU name "
                    "(1-128 characters, no leading or trailing spaces)"
                )
            key = _slug(ou)
            if key in seen:
                raise ValueError(
                    f"organization.organizationalUnits[{i}]: {ou!r} collides with {seen[key]!r} "
                    "(OU names must stay distinct ignoring case, spaces and punctuation)"
                )
            seen[key] = ou
        for name, enabled in self.delegations.items():
            validate.one_of("organization.delegations", name, DELEGATIONS)
            validate.boolean(f"organization.delegations.{name}", enabled)
        validate.boolean("organization.enableSso", self.enable_sso)
        for i, principal in enumerate(self.extra_service_principals):
            if not isinstance(principal, str) or not re.fullmatch(
                r"[a-z0-9.-]+\.amazonaws\.com", principal
            ):
                raise ValueError(
                    f"organization.extraServicePrincipals[{i}]: {principal!r} is not a service "
                    "principal (<service>.amazonaws.com)"
                )

    @classmethod
    def from_config(
        cls,
        section: Mapping[str, Any],
        *,
        organization_id: str,
        management_account_id: str,
        security_account_id: str,
        home_region: str,
        regions: Sequence[str],
        control_tower: bool = False,
        security_hub_mode: str = "CENTRAL",
    ) -> OrganizationArgs:
        """Build from the ``organization`` config section (ids and regions from settings).

        Keys: ``organizationalUnits`` (names), ``enableSso``, ``delegations`` (service ->
        bool), ``extraServicePrincipals``, ``extraPolicyTypes``.
        """
        raw = validate.known_keys(
            "organization",
            section,
            {
                "organizationalUnits",
                "enableSso",
                "delegations",
                "extraServicePrincipals",
                "extraPolicyTypes",
            },
        )
        delegations = raw.get("delegations", {})
        if not isinstance(delegations, Mapping):
            raise ValueError("organization.delegations: expected a mapping of service -> bool")
        ous = _strings("organization.organizationalUnits", raw.get("organizationalUnits", ()))
        principals = _strings(
            "organization.extraServicePrincipals", raw.get("extraServicePrincipals", ())
        )
        return cls(
            organization_id=organization_id,
            management_account_id=management_account_id,
            security_account_id=security_account_id,
            home_region=home_region,
            regions=tuple(regions),
            organizational_units=ous,
            enable_sso=validate.boolean("organization.enableSso", raw.get("enableSso", False)),
            delegations={str(k): v for k, v in delegations.items()},
            extra_service_principals=principals,
            extra_policy_types=_strings(
                "organization.extraPolicyTypes", raw.get("extraPolicyTypes", ())
            ),
            control_tower=control_tower,
            security_hub_mode=security_hub_mode,
        )


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


def _strings(field_name: str, value: object) -> tuple[str, ...]:
    """A config list (not a bare string), kept as given: the args' validate checks items."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{field_name}: expected a list, got {value!r}")
    return tuple(value)


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
    delegated_admins: list[pulumi.CustomResource]
    """Every delegated-administrator registration."""

    def __init__(
        self,
        name: str,
        args: OrganizationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

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
                opts=child,
            )
            for ou in args.organizational_units
        }

        after_org = pulumi.ResourceOptions(parent=self, depends_on=[self.organization])
        admin = args.security_account_id
        delegated = args.delegated()
        self.delegated_admins = []
        for service in delegated:
            if service in ORGANIZATIONS_DELEGATED:
                self.delegated_admins.append(
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
                self.delegated_admins.append(
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
                    self.delegated_admins.append(make(resource_name, admin, region, after_org))

        self.register_outputs(
            {
                "organizationId": self.organization.id,
                "rootId": self.root_id,
                "delegatedServices": delegated,
            }
        )
