"""Service control policy statements of the advanced tier, and the packer that fits them.

Pure data and functions (no Pulumi): every guardrail is a named builder returning SCP
statements; :func:`pack_statements` bins the enabled ones into as few minified policies as
the Organizations limits allow (5,120 characters per SCP, 5 SCPs per target including
``FullAWSAccess``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secbaseline.baseline import validate
from secbaseline.baseline.naming import (
    ISOLATION_ROLE,
    MANAGED_BY,
    MANAGED_BY_TAG,
    REMEDIATION_ROLE,
    physical_name,
)

MAX_SCP_CHARS = 5120
"""Organizations' hard limit on an SCP's size, whitespace included."""
MAX_SCPS_PER_TARGET = 5
"""Organizations' limit on SCPs attached to one root, OU or account."""
DEFAULT_MAX_POLICIES = MAX_SCPS_PER_TARGET - 1
"""What is left for the baseline once ``FullAWSAccess`` is attached."""

Statement = dict[str, Any]

# Services with a single global endpoint (or account-wide APIs) that a region deny must not
# block. Based on AWS Organizations' example "Deny access to AWS based on the requested AWS
# Region" (orgs_manage_policies_scps_examples_general), plus account/billing/SSO consoles.
GLOBAL_SERVICE_ACTIONS: tuple[str, ...] = (
    "a4b:*",
    "account:*",
    "acm:*",
    "aws-marketplace-management:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "billing:*",
    "budgets:*",
    "ce:*",
    "chime:*",
    "cloudfront:*",
    "config:*",
    "cur:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "fms:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "kms:*",
    "mobileanalytics:*",
    "networkmanager:*",
    "organizations:*",
    "pricing:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "route53:*",
    "route53domains:*",
    "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:PutAccountPublic*",
    "shield:*",
    "sso:*",
    "sts:*",
    "support:*",
    "trustedadvisor:*",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
    "wellarchitected:*",
)


CONTROL_TOWER_EXECUTION_ROLE = "arn:aws:iam::*:role/AWSControlTowerExecution"
"""The role Control Tower uses in member accounts to manage Config, CloudTrail and its
stack sets; under Control Tower every exempting statement exempts it too."""


@dataclass(frozen=True)
class GuardrailContext:
    """What the statement builders need to know about the organization."""

    allowed_regions: tuple[str, ...]
    """Regions where workloads may run (region deny)."""
    name_prefix: str = "secbaseline"
    """Physical-name prefix of the baseline's own roles, functions and rules."""
    admin_role_arns: tuple[str, ...] = ()
    """Principals every statement exempts (ArnNotLike aws:PrincipalArn; wildcards allowed)."""
    break_glass_role_arn: str | None = None
    """Emergency role exempt from every statement (also ArnNotLike)."""
    control_tower: bool = False
    """Control Tower manages the organization: its execution role is exempt as well."""

    @property
    def exempt_principals(self) -> list[str]:
        """Sorted exempt principal ARNs (admins, break glass, Control Tower's role)."""
        exempt = set(self.admin_role_arns)
        if self.break_glass_role_arn:
            exempt.add(self.break_glass_role_arn)
        if self.control_tower:
            exempt.add(CONTROL_TOWER_EXECUTION_ROLE)
        return sorted(exempt)

    def runtime_role_arn(self, role: str) -> str:
        """ARN pattern (any member account) of one of the baseline's own runtime roles."""
        return f"arn:aws:iam::*:role/{physical_name(self.name_prefix, role)}"


def _deny(
    sid: str,
    ctx: GuardrailContext,
    actions: Sequence[str],
    *,
    resource: str | list[str] = "*",
    condition: Mapping[str, Mapping[str, Any]] | None = None,
    not_action: bool = False,
    exempt_admins: bool = True,
    runtime_roles: Sequence[str] = (),
) -> Statement:
    """A Deny statement; ``runtime_roles`` (role names after ``<name_prefix>-``) are the
    baseline's own roles that must act where the statement denies: exempt by name, which
    ``protect_baseline_resources`` keeps anyone but admins from creating or changing."""
    statement: Statement = {
        "Sid": sid,
        "Effect": "Deny",
        ("NotAction" if not_action else "Action"): sorted(actions),
        "Resource": resource,
    }
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (condition or {}).items()}
    exempt = list(ctx.exempt_principals) if exempt_admins else []
    exempt += [ctx.runtime_role_arn(role) for role in runtime_roles]
    if exempt:
        merged.setdefault("ArnNotLike", {})["aws:PrincipalArn"] = sorted(set(exempt))
    if merged:
        statement["Condition"] = merged
    return statement


def deny_leave_organization(ctx: GuardrailContext) -> list[Statement]:
    """Member accounts cannot leave the organization (and its guardrails)."""
    return [_deny("DenyLeaveOrganization", ctx, ["organizations:LeaveOrganization"])]


def deny_cloudtrail_changes(ctx: GuardrailContext) -> list[Statement]:
    """CloudTrail trails and Lake event data stores cannot be stopped, deleted or
    reconfigured (S-28)."""
    actions = [
        "cloudtrail:DeleteEventDataStore",
        "cloudtrail:DeleteTrail",
        "cloudtrail:PutEventSelectors",
        "cloudtrail:PutInsightSelectors",
        "cloudtrail:StopEventDataStoreIngestion",
        "cloudtrail:StopLogging",
        "cloudtrail:UpdateEventDataStore",
        "cloudtrail:UpdateTrail",
    ]
    return [_deny("DenyCloudTrailChanges", ctx, actions)]


def deny_guardduty_changes(ctx: GuardrailContext) -> list[Statement]:
    """GuardDuty detectors, members and exports stay on; accounts stay with the admin, and
    nobody silences it while it runs (S-29).

    As in AWS's example SCP: no suppression rules (``CreateFilter``/``UpdateFilter`` with the
    ARCHIVE action hide future findings before anyone is notified), no trusted IP lists (no
    findings for those addresses) and no changes to or deletion of threat lists. Archiving a
    finding (``ArchiveFindings``) and feedback stay allowed: they act after the finding was
    published to EventBridge, and triage in the administrator account needs them.
    """
    actions = [
        "guardduty:CreateFilter",
        "guardduty:CreateIPSet",
        "guardduty:CreateThreatIntelSet",
        "guardduty:DeleteDetector",
        "guardduty:DeleteMembers",
        "guardduty:DeletePublishingDestination",
        "guardduty:DeleteThreatIntelSet",
        "guardduty:DisassociateFromAdministratorAccount",
        "guardduty:DisassociateFromMasterAccount",
        "guardduty:DisassociateMembers",
        "guardduty:StopMonitoringMembers",
        "guardduty:UpdateDetector",
        "guardduty:UpdateFilter",
        "guardduty:UpdateIPSet",
        "guardduty:UpdatePublishingDestination",
        "guardduty:UpdateThreatIntelSet",
    ]
    return [_deny("DenyGuardDutyChanges", ctx, actions)]


def deny_security_hub_changes(ctx: GuardrailContext) -> list[Statement]:
    """Security Hub and its standards stay enabled; accounts stay with the admin."""
    actions = [
        "securityhub:BatchDisableStandards",
        "securityhub:DeleteMembers",
        "securityhub:DisableSecurityHub",
        "securityhub:DisassociateFromAdministratorAccount",
        "securityhub:DisassociateFromMasterAccount",
        "securityhub:DisassociateMembers",
        "securityhub:UpdateStandardsControl",
    ]
    return [_deny("DenySecurityHubChanges", ctx, actions)]


def deny_config_changes(ctx: GuardrailContext) -> list[Statement]:
    """Config recorders, delivery channels, rules and aggregators cannot be removed."""
    actions = [
        "config:DeleteAggregationAuthorization",
        "config:DeleteConfigRule",
        "config:DeleteConfigurationAggregator",
        "config:DeleteConfigurationRecorder",
        "config:DeleteConformancePack",
        "config:DeleteDeliveryChannel",
        "config:DeleteRetentionConfiguration",
        "config:StopConfigurationRecorder",
    ]
    return [_deny("DenyConfigChanges", ctx, actions)]


def deny_access_analyzer_deletion(ctx: GuardrailContext) -> list[Statement]:
    """IAM Access Analyzer analyzers cannot be deleted."""
    return [_deny("DenyAccessAnalyzerDeletion", ctx, ["access-analyzer:DeleteAnalyzer"])]


def deny_s3_public_access_changes(ctx: GuardrailContext) -> list[Statement]:
    """The account-level S3 Block Public Access cannot be changed or removed (S-09).

    ``DeletePublicAccessBlock`` on the account is authorised by the same action.
    """
    return [_deny("DenyS3AccountPublicAccessChanges", ctx, ["s3:PutAccountPublicAccessBlock"])]


def deny_root_user(ctx: GuardrailContext) -> list[Statement]:
    """Member accounts' root users can do nothing (use the management account to recover).

    Centralized root access sessions (``sts:AssumeRoot`` from the management account or the
    delegated administrator) carry ``aws:AssumedRoot`` and stay possible, as in AWS's
    example SCP: they are how a locked member account is recovered.
    """
    return [
        _deny(
            "DenyRootUser",
            ctx,
            ["*"],
            condition={
                "StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]},
                "Null": {"aws:AssumedRoot": "true"},
            },
            exempt_admins=False,  # an admin role is never the root user
        )
    ]


def require_imdsv2(ctx: GuardrailContext) -> list[Statement]:
    """Instances launch with IMDSv2 only; nobody but admins relaxes metadata options (S-03).

    Condition keys from the EC2 user guide: ``ec2:MetadataHttpTokens`` on RunInstances,
    ``ec2:RoleDelivery`` (credentials delivered by IMDSv1 report 1.0).
    """
    return [
        _deny(
            "DenyRunInstancesWithoutImdsv2",
            ctx,
            ["ec2:RunInstances"],
            resource="arn:aws:ec2:*:*:instance/*",
            condition={"StringNotEquals": {"ec2:MetadataHttpTokens": "required"}},
        ),
        _deny(
            "DenyMetadataOptionChanges",
            ctx,
            ["ec2:ModifyInstanceMetadataDefaults", "ec2:ModifyInstanceMetadataOptions"],
            # The EC2_IMDSV2_CHECK runbook sets HttpTokens=required as this role.
            runtime_roles=(REMEDIATION_ROLE,),
        ),
        _deny(
            "DenyImdsv1RoleCredentials",
            ctx,
            ["*"],
            condition={"NumericLessThan": {"ec2:RoleDelivery": "2.0"}},
            exempt_admins=False,  # applies to instance credentials, never to admin roles
        ),
    ]


_ROLE_ACTIONS = (
    "iam:AttachRolePolicy",
    # Creating a role under the baseline's name would claim its SCP exemptions.
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
)
_FUNCTION_ACTIONS = (
    "lambda:AddPermission",
    "lambda:DeleteFunction",
    "lambda:PutFunctionConcurrency",
    "lambda:RemovePermission",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
)
_RULE_ACTIONS = (
    "events:DeleteRule",
    "events:DisableRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
)
TAMPER_ACTIONS: tuple[str, ...] = _ROLE_ACTIONS + _FUNCTION_ACTIONS + _RULE_ACTIONS


def protect_baseline_resources(ctx: GuardrailContext) -> list[Statement]:
    """The baseline's roles, functions and rules (by name prefix or tag) are left alone, and
    nobody but admins creates a role under the prefix (which would claim its exemptions)."""
    prefix = ctx.name_prefix
    return [
        _deny(
            "ProtectBaselineByName",
            ctx,
            TAMPER_ACTIONS,
            resource=[
                f"arn:aws:events:*:*:rule/{prefix}-*",
                f"arn:aws:iam::*:role/{prefix}-*",
                f"arn:aws:lambda:*:*:function:{prefix}-*",
            ],
        ),
        _deny(
            "ProtectBaselineByTag",
            ctx,
            TAMPER_ACTIONS,
            condition={"StringEquals": {f"aws:ResourceTag/{MANAGED_BY_TAG}": MANAGED_BY}},
        ),
        # Neither removing nor setting (overwriting, or adding to a role to claim it) the
        # managed-by tag: either would move a resource in or out of ProtectBaselineByTag.
        _deny(
            "ProtectBaselineTag",
            ctx,
            [
                "events:TagResource",
                "events:UntagResource",
                "iam:TagRole",
                "iam:UntagRole",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
            condition={"ForAnyValue:StringEquals": {"aws:TagKeys": [MANAGED_BY_TAG]}},
        ),
    ]


def deny_outside_allowed_regions(ctx: GuardrailContext) -> list[Statement]:
    """Regional actions outside ``allowed_regions`` are denied; global services are not (S-27).

    AWS service-linked roles are not subject to SCPs, so GuardDuty, Security Hub, Config and
    the other detection services keep running in every region. The baseline's own Config
    remediation and EC2-isolation roles act on findings in every detection region, also those
    outside ``allowed_regions``: they are exempt by name.
    """
    return [
        _deny(
            "DenyOutsideAllowedRegions",
            ctx,
            GLOBAL_SERVICE_ACTIONS,
            not_action=True,
            condition={"StringNotEquals": {"aws:RequestedRegion": sorted(ctx.allowed_regions)}},
            runtime_roles=(REMEDIATION_ROLE, ISOLATION_ROLE),
        )
    ]


STATEMENTS: Mapping[str, Callable[[GuardrailContext], list[Statement]]] = {
    "denyLeaveOrganization": deny_leave_organization,
    "denyCloudTrailChanges": deny_cloudtrail_changes,
    "denyGuardDutyChanges": deny_guardduty_changes,
    "denySecurityHubChanges": deny_security_hub_changes,
    "denyConfigChanges": deny_config_changes,
    "denyAccessAnalyzerDeletion": deny_access_analyzer_deletion,
    "denyS3PublicAccessChanges": deny_s3_public_access_changes,
    "denyRootUser": deny_root_user,
    "requireImdsv2": require_imdsv2,
    "protectBaselineResources": protect_baseline_resources,
    "denyOutsideAllowedRegions": deny_outside_allowed_regions,
}
"""Every guardrail the library knows, by its config name."""


def statement_names() -> tuple[str, ...]:
    """The known guardrail names, in library order."""
    return tuple(STATEMENTS)


def build_statements(names: Sequence[str], ctx: GuardrailContext) -> list[Statement]:
    """The statements of the named guardrails, in the order given."""
    out: list[Statement] = []
    for name in names:
        validate.one_of("guardrails.statements", name, STATEMENTS)
        out.extend(STATEMENTS[name](ctx))
    return out


def minify(document: Mapping[str, Any]) -> str:
    """JSON without whitespace: what Organizations counts against the size limit."""
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


def policy_document(statements: Sequence[Statement]) -> dict[str, Any]:
    """An SCP document holding these statements."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def pack_statements(
    statements: Sequence[Statement],
    max_chars: int = MAX_SCP_CHARS,
    max_policies: int = DEFAULT_MAX_POLICIES,
) -> list[dict[str, Any]]:
    """Pack statements into as few SCP documents as fit, first-fit decreasing by size.

    Deterministic: statements are ordered by minified size (largest first) then Sid, and
    each goes into the first document it fits in. Raises ``ValueError`` naming the statement
    that cannot fit in any SCP, or the count when more than ``max_policies`` are needed.
    """
    if max_chars < len(minify(policy_document([]))):
        raise ValueError(f"max_chars: {max_chars} cannot hold even an empty policy")
    if max_policies < 1:
        raise ValueError(f"max_policies: {max_policies} must be at least 1")
    sids = [str(s.get("Sid", "")) for s in statements]
    duplicates = sorted({sid for sid in sids if sid and sids.count(sid) > 1})
    if duplicates:
        raise ValueError(f"statements: Sid {duplicates[0]!r} is used twice")
    sized = sorted(
        ((len(minify(s)), str(s.get("Sid", "")), i, s) for i, s in enumerate(statements)),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    bins: list[list[Statement]] = []
    for size, sid, _, statement in sized:
        alone = len(minify(policy_document([statement])))
        if alone > max_chars:
            raise ValueError(
                f"statement {sid or '(no Sid)'!r} is {size} characters minified "
                f"({alone} as a policy); an SCP holds at most {max_chars}"
            )
        for bin_ in bins:
            if len(minify(policy_document([*bin_, statement]))) <= max_chars:
                bin_.append(statement)
                break
        else:
            bins.append([statement])
    if len(bins) > max_policies:
        raise ValueError(
            f"guardrails: the {len(statements)} enabled statements need {len(bins)} SCPs of "
            f"at most {max_chars} characters, but only {max_policies} may be attached per "
            "target; disable some statements or raise maxPoliciesPerTarget"
        )
    return [policy_document(b) for b in bins]
