"""Organization guardrails per account role (S-19 all accounts, S-24..S-30).

Run order (one stack per account, ``pulumi up`` in each):

1. ``management``: adopt the organization, service access, OUs, delegated administrators,
   the organization trail and the guardrail SCPs.
2. ``security``: organization-wide detection as delegated administrator.
3. ``member``: nothing organization-level; the account baseline comes from the
   intermediate tier (see ``stacks/advanced.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from baseline.settings import Settings
from components.guardrail_policies import GuardrailPolicies, GuardrailPoliciesArgs
from components.organization import Organization, OrganizationArgs
from components.organization_detection import OrganizationDetection, OrganizationDetectionArgs
from components.organization_trail import OrganizationTrail, OrganizationTrailArgs
from stacks.context import TierContext


@dataclass(frozen=True)
class OrganizationOwnership:
    """What the organization (or Control Tower) manages for this account, so the
    account-level parts of the intermediate tier can skip it instead of fighting it."""

    guardduty: bool
    """GuardDuty is enabled by the delegated administrator's auto-enable (members)."""
    security_hub: bool
    """Security Hub is enabled by the central configuration policy (members)."""
    config_recorder: bool
    """Control Tower records Config in enrolled accounts: do not create recorders."""
    cloudtrail: bool
    """An organization trail (ours or Control Tower's) already logs this account."""


def ownership(settings: Settings) -> OrganizationOwnership:
    """Which services the organization owns for an advanced-tier account of this role."""
    advanced = settings.tier == "advanced"
    member = advanced and settings.role == "member"
    return OrganizationOwnership(
        guardduty=member,
        security_hub=member,
        config_recorder=advanced and settings.control_tower,
        cloudtrail=advanced,
    )


def _required(value: str | None, key: str) -> str:
    if value is None:
        raise ValueError(f"{key}: required for the advanced tier")
    return value


def build_management(ctx: TierContext) -> None:
    """Organization, delegated admins, organization trail (unless Control Tower) and SCPs."""
    s = ctx.settings
    org_id = _required(s.organization_id, "organizationId")
    management = _required(s.management_account_id, "managementAccountId")
    security = _required(s.security_account_id, "securityAccountId")
    opts = ctx.opts()

    organization = Organization(
        "organization",
        OrganizationArgs.from_config(
            s.section("organization"),
            organization_id=org_id,
            management_account_id=management,
            security_account_id=security,
            home_region=s.home_region,
            regions=s.regions,
            control_tower=s.control_tower,
        ),
        opts=opts,
    )

    if not s.control_tower:  # Control Tower owns its organization trail
        trail = OrganizationTrail(
            "organization-trail",
            OrganizationTrailArgs.from_config(
                s.section("organizationTrail"),
                organization_id=org_id,
                management_account_id=management,
                security_account_id=security,
                home_region=s.home_region,
                name_prefix=s.name_prefix,
            ),
            opts=opts.merge(pulumi.ResourceOptions(depends_on=[organization.organization])),
        )
        pulumi.export("organizationTrailArn", trail.trail_arn)

    args = GuardrailPoliciesArgs.from_config(
        s.section("guardrails"),
        allowed_regions=s.allowed_regions,
        home_region=s.home_region,
        name_prefix=s.name_prefix,
        organization_id=org_id,
        management_account_id=management,
        control_tower=s.control_tower,
    )
    if not args.targets:
        args.targets = (organization.root_id,)
    guardrails = GuardrailPolicies(
        "guardrails",
        args,
        opts=opts.merge(pulumi.ResourceOptions(depends_on=[organization.organization])),
    )
    pulumi.export("organizationRootId", organization.root_id)
    pulumi.export("guardrailPolicyCount", len(guardrails.documents))


def build_security(ctx: TierContext) -> None:
    """Organization-wide detection from the delegated administrator account."""
    s = ctx.settings
    security = _required(s.security_account_id, "securityAccountId")
    # The intermediate tier's detection part deploys this account's own detectors, Security
    # Hub and notification topic once it lands; until then OrganizationDetection enables them
    # itself (manageAdminAccountServices, on by default). The lead passes detector ids here.
    detection = OrganizationDetection(
        "organization-detection",
        OrganizationDetectionArgs.from_config(
            s.section("organizationDetection"),
            security_account_id=security,
            home_region=s.home_region,
            regions=s.regions,
            name_prefix=s.name_prefix,
        ),
        opts=ctx.opts(),
    )
    pulumi.export("organizationDetectorIds", detection.detector_ids)


def build(ctx: TierContext) -> None:
    """The organization-level part of this account's role."""
    role = ctx.settings.role
    if role == "management":
        build_management(ctx)
    elif role == "security":
        build_security(ctx)
    # member: nothing organization-level; auto-enable and SCPs reach it from above.
