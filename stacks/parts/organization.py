"""Organization guardrails per account role (S-19 all accounts, S-24..S-30).

Run order (one stack per account, ``pulumi up`` in each; see ``stacks/advanced.py``):

1. ``security`` at tier intermediate: its own detectors, Security Hub and Detective graph
   (designating the delegated administrator would otherwise create them, and the security
   stack would then fail creating its own).
2. ``management``: adopt the organization, service access, OUs, delegated administrators
   (reusing the security account's detectors and graphs), the organization trail and the
   guardrail SCPs.
3. ``security`` at tier advanced: organization-wide detection as delegated administrator.
4. ``member``: nothing organization-level; the account baseline comes from the
   intermediate tier.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.settings import thaw
from secbaseline.components.central_backup_vault import CentralBackupVault, CentralBackupVaultArgs
from secbaseline.components.guardrail_policies import GuardrailPolicies, GuardrailPoliciesArgs
from secbaseline.components.organization import Organization, OrganizationArgs
from secbaseline.components.organization_detection import (
    SECURITY_HUB_MODES,
    OrganizationDetection,
    OrganizationDetectionArgs,
    SecurityHubMode,
)
from secbaseline.components.organization_trail import OrganizationTrail, OrganizationTrailArgs
from secbaseline.stacks.context import TierContext
from secbaseline.stacks.parts.trail import build_alarms


def _required(value: str | None, key: str) -> str:
    if value is None:
        raise ValueError(f"{key}: required for the advanced tier")
    return value


def _security_hub_mode(detection: Mapping[str, Any]) -> SecurityHubMode:
    """``organizationDetection.securityHubMode``, which the management stack needs too."""
    mode = detection.get("securityHubMode", SecurityHubMode.CENTRAL)
    if mode not in SECURITY_HUB_MODES:
        raise ArgumentError(
            f"organizationDetection.securityHubMode: expected "
            f"{' or '.join(repr(m) for m in SECURITY_HUB_MODES)}, got {mode!r}"
        )
    return SecurityHubMode(mode)


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
            "organization",
            thaw(s.section("organization")),
            organization_id=org_id,
            management_account_id=management,
            security_account_id=security,
            home_region=s.home_region,
            regions=s.regions,
            control_tower=s.control_tower,
            # LOCAL mode needs the Security Hub admin in every region, not only home.
            security_hub_mode=_security_hub_mode(s.section("organizationDetection")),
        ),
        opts=opts,
    )

    if not s.control_tower:  # Control Tower owns its organization trail
        trail_args = OrganizationTrailArgs.from_config(
            "organizationTrail",
            thaw(s.section("organizationTrail")),
            organization_id=org_id,
            management_account_id=management,
            home_region=s.home_region,
            name_prefix=s.name_prefix,
        )
        # The security account always reads the organization's logs.
        trail_args = dataclasses.replace(
            trail_args,
            reader_account_ids=sorted({security, *trail_args.reader_account_ids}),
        )
        trail = OrganizationTrail(
            "organization-trail",
            trail_args,
            opts=opts.merge(pulumi.ResourceOptions(depends_on=[organization.organization])),
        )
        pulumi.export("organizationTrailArn", trail.trail_arn)
        # On organizationTrail.cloudwatchLogs' group; without it, EventBridge rules (unless an
        # account trail without a log group already made them here).
        build_alarms(
            ctx,
            trail.log_group.name if trail.log_group is not None else None,
            name="organization-change-alarms",
            by_events=not ctx.trail_without_log_group,
        )

    guardrails_raw = thaw(s.section("guardrails"))
    args = GuardrailPoliciesArgs.from_config(
        "guardrails",
        guardrails_raw,
        allowed_regions=s.allowed_regions,
        home_region=s.home_region,
        name_prefix=s.name_prefix,
        organization_id=org_id,
        management_account_id=management,
        control_tower=s.control_tower,
        # The SCPs attach to the organization's root unless the config names targets.
        **({} if "targets" in guardrails_raw else {"targets": [organization.root_id]}),
    )
    guardrails = GuardrailPolicies(
        "guardrails",
        args,
        opts=opts.merge(pulumi.ResourceOptions(depends_on=[organization.organization])),
    )
    # Accounts may copy backups into the security account's central vault (S-06).
    aws.backup.GlobalSettings(
        "backup-cross-account",
        global_settings={"isCrossAccountBackupEnabled": "true"},
        opts=opts.merge(pulumi.ResourceOptions(depends_on=[organization.organization])),
    )
    pulumi.export("organizationRootId", organization.root_id)
    pulumi.export("guardrailPolicyCount", guardrails.policy_count)


def _central_backup(ctx: TierContext) -> None:
    """The locked vault the organization's accounts copy their backups into (S-06), unless
    ``centralBackup.enabled`` is false."""
    s = ctx.settings
    raw = dict(thaw(s.section("centralBackup")))
    CentralBackupVaultArgs.check_keys("centralBackup", raw, extra=("enabled",))
    if not validate.boolean("centralBackup.enabled", raw.pop("enabled", True)):
        return
    for key in ("region", "organizationId", "accountId", "namePrefix"):
        if key in raw:
            raise ArgumentError(f"centralBackup.{key}: set by the tier; remove it")
    args = CentralBackupVaultArgs.from_config(
        "centralBackup",
        raw,
        region=s.home_region,
        organization_id=_required(s.organization_id, "organizationId"),
        account_id=ctx.account_id,
        name_prefix=s.name_prefix,
    )
    vault = CentralBackupVault("central-backup", args, opts=ctx.opts())
    pulumi.export("centralBackupVaultArn", vault.vault_arn)


def build_security(ctx: TierContext) -> None:
    """Organization-wide detection from the delegated administrator account."""
    s = ctx.settings
    security = _required(s.security_account_id, "securityAccountId")
    raw = thaw(s.section("organizationDetection"))
    args = OrganizationDetectionArgs.from_config(
        "organizationDetection",
        raw,
        security_account_id=security,
        home_region=s.home_region,
        regions=s.regions,
        name_prefix=s.name_prefix,
        # The intermediate tier (run first) already enabled GuardDuty, Security Hub, Detective
        # and Inspector in this account: build on them instead of creating them twice.
        **({} if "manageAdminAccountServices" in raw else {"manage_admin_account_services": False}),
    )
    args = dataclasses.replace(
        args,
        detector_ids={**ctx.guardduty_detector_ids, **args.detector_ids},
        graph_arns={**ctx.detective_graph_arns, **args.graph_arns},
        security_hub_dependencies=[
            *(hub.urn for hub in ctx.security_hub),
            *args.security_hub_dependencies,
        ],
    )
    detection = OrganizationDetection("organization-detection", args, opts=ctx.opts())
    _central_backup(ctx)
    pulumi.export("organizationDetectorIds", detection.detector_ids)


def build(ctx: TierContext) -> None:
    """The organization-level part of this account's role."""
    role = ctx.settings.role
    if role == "management":
        build_management(ctx)
    elif role == "security":
        build_security(ctx)
    # member: nothing organization-level; auto-enable and SCPs reach it from above.
