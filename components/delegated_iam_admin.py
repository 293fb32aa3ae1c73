"""Permissions-boundary delegation: developers create IAM roles without escalating.

Checklist: S-18. Two managed policies:

* the **boundary**: the most any developer-created role may ever do (workload services; no
  IAM writes except passing roles under the prefix; no organization/account changes; no
  disabling of security services; no deletion of the baseline's keys; no IMDSv1);
* the **delegation** policy for developers: create and change roles and policies only under
  the delegated path and name prefix, only with the boundary attached, never remove or swap
  the boundary, never edit the boundary (or this policy), pass only roles under the prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.naming import MANAGED_BY, MANAGED_BY_TAG, physical_name

TYPE_TOKEN = "secbaseline:index:DelegatedIamAdmin"
SECTION = "iamDelegation"
_PREFIX = re.compile(r"^[A-Za-z0-9+=,.@_-]{2,32}$")
_PATH = re.compile(r"^/([A-Za-z0-9+=,.@_-]+/)*$")
_ROLE_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")

DEFAULT_WORKLOAD_SERVICES = (
    "apigateway",
    "application-autoscaling",
    "autoscaling",
    "cloudwatch",
    "dynamodb",
    "ecr",
    "ecs",
    "elasticloadbalancing",
    "events",
    "kinesis",
    "lambda",
    "logs",
    "rds",
    "rds-data",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssmmessages",
    "states",
    "xray",
)
"""Services a developer-created role may use (``<service>:*``) unless configured otherwise."""

FORBIDDEN_SERVICES = frozenset(
    {
        "access-analyzer",
        "account",
        "cloudtrail",
        "config",
        "detective",
        "guardduty",
        "iam",
        "inspector2",
        "organizations",
        "securityhub",
        "sts",
    }
)
"""Services that may not be granted wholesale through the boundary."""

# Changing, deleting or invoking the baseline's own alerting and response resources: a role
# under the boundary could otherwise silence alerts, or run the isolation function's code
# (and so its role) with code of its own.
BASELINE_RESOURCE_ACTIONS = (
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
    "cloudwatch:PutMetricAlarm",
    "events:DeleteRule",
    "events:DisableRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "lambda:AddPermission",
    "lambda:DeleteFunction",
    "lambda:InvokeFunction",
    "lambda:PutFunctionConcurrency",
    "lambda:RemovePermission",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "logs:PutRetentionPolicy",
    "sns:DeleteTopic",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
    "sns:Unsubscribe",
    "sqs:DeleteQueue",
    "sqs:PurgeQueue",
    "sqs:SetQueueAttributes",
)
# Object Lock is the evidence's last line of defence; workloads never need to bypass it.
OBJECT_LOCK_ACTIONS = ("s3:BypassGovernanceRetention", "s3:PutBucketObjectLockConfiguration")

SECURITY_TAMPERING_ACTIONS = (
    "access-analyzer:DeleteAnalyzer",
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
    "config:DeleteConfigRule",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "config:DeleteRemediationConfiguration",
    "config:StopConfigurationRecorder",
    "detective:DeleteGraph",
    "detective:DisassociateMembership",
    "guardduty:DeleteDetector",
    "guardduty:DeleteMembers",
    "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:DisassociateFromMasterAccount",
    "guardduty:StopMonitoringMembers",
    "guardduty:UpdateDetector",
    "inspector2:Disable",
    "inspector2:DisableDelegatedAdminAccount",
    "securityhub:BatchDisableStandards",
    "securityhub:DisableSecurityHub",
    "securityhub:DisassociateFromAdministratorAccount",
    "securityhub:DisassociateFromMasterAccount",
)
"""Disabling/deleting actions of the security services the baseline runs."""

ROLE_WRITE_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)
"""Role actions that ``iam:PermissionsBoundary`` conditions: allowed only with the boundary."""

ROLE_HOUSEKEEPING_ACTIONS = (
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
"""Other role changes (the boundary stays attached, so these cannot widen a role)."""

IAM_WRITE_VERBS = (
    "iam:Add*",
    "iam:Attach*",
    "iam:Change*",
    "iam:Create*",
    "iam:Deactivate*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:Enable*",
    "iam:Put*",
    "iam:Remove*",
    "iam:Reset*",
    "iam:Set*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
    "iam:Upload*",
)
"""Every IAM write verb: denied to developer-created roles by the boundary."""

POLICY_WRITE_ACTIONS = (
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
"""Managed-policy actions, allowed on policies under the prefix only."""


@dataclass
class DelegatedIamAdminArgs:
    """Inputs of :class:`DelegatedIamAdmin`."""

    role_prefix: str = "app-"
    """Name prefix of every role and policy developers may create (not empty, not ``*``)."""
    path: str = "/delegated/"
    """IAM path developers' roles and policies must use (``/a/b/``)."""
    name_prefix: str = "secbaseline"
    """The baseline's own name prefix; ``role_prefix`` may not overlap it."""
    protected_role_names: Sequence[str] = ()
    """Security team / admin role names ``role_prefix`` may not match (e.g. ``Admin``)."""
    workload_services: Sequence[str] = DEFAULT_WORKLOAD_SERVICES
    """Services the boundary allows; IAM, Organizations and security services are refused."""
    protected_key_arns: Sequence[str] = ()
    """KMS keys nobody under the boundary may schedule for deletion (besides tagged ones)."""
    attach_to_roles: Sequence[str] = ()
    """Existing developer role names that get the delegation policy attached."""
    account_id: pulumi.Input[str] | None = None
    """The account id (ARNs); None asks AWS (one invoke)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for both policies."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.name_prefix(f"{SECTION}.namePrefix", self.name_prefix)
        prefix = self.role_prefix
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            raise ValueError(
                f"{SECTION}.rolePrefix: {prefix!r} must be 2-32 characters of letters, digits "
                "and +=,.@_- (no wildcards, not empty)"
            )
        lowered = prefix.lower()
        baseline = self.name_prefix.lower()
        if baseline.startswith(lowered) or lowered.startswith(baseline):
            raise ValueError(
                f"{SECTION}.rolePrefix: {prefix!r} overlaps the baseline's own prefix "
                f"{self.name_prefix!r}; developers could take over the baseline's roles"
            )
        for index, role in enumerate(self.protected_role_names):
            if not isinstance(role, str) or not _ROLE_NAME.match(role):
                raise ValueError(
                    f"{SECTION}.protectedRoleNames[{index}]: {role!r} is not an IAM role name"
                )
            if role.lower().startswith(lowered):
                raise ValueError(
                    f"{SECTION}.rolePrefix: {prefix!r} matches the protected role {role!r}"
                )
        if not isinstance(self.path, str) or not _PATH.match(self.path) or len(self.path) > 512:
            raise ValueError(
                f"{SECTION}.path: {self.path!r} must start and end with '/' "
                "(e.g. /delegated/) and use letters, digits and +=,.@_-"
            )
        if isinstance(self.workload_services, str) or not self.workload_services:
            raise ValueError(f"{SECTION}.workloadServices: must list at least one service")
        for service in self.workload_services:
            if not isinstance(service, str) or not re.fullmatch(r"[a-z0-9-]+", service):
                raise ValueError(f"{SECTION}.workloadServices: {service!r} is not a service prefix")
            if service in FORBIDDEN_SERVICES:
                raise ValueError(
                    f"{SECTION}.workloadServices: {service!r} cannot be granted through the "
                    f"boundary (refused: {', '.join(sorted(FORBIDDEN_SERVICES))})"
                )
        for index, key_arn in enumerate(self.protected_key_arns):
            validate.arn(f"{SECTION}.protectedKeyArns[{index}]", key_arn, service="kms")
        for index, role in enumerate(self.attach_to_roles):
            if not isinstance(role, str) or not _ROLE_NAME.match(role):
                raise ValueError(
                    f"{SECTION}.attachToRoles[{index}]: {role!r} is not an IAM role name"
                )
        if isinstance(self.account_id, str):
            validate.account_id(f"{SECTION}.accountId", self.account_id)
        validate.tags(f"{SECTION}.tags", dict(self.tags))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> DelegatedIamAdminArgs:
        """Build from the ``iamDelegation`` section (name prefix and account set by the tier)."""
        raw = validate.known_keys(
            SECTION,
            section,
            {
                "rolePrefix",
                "path",
                "protectedRoleNames",
                "workloadServices",
                "protectedKeyArns",
                "attachToRoles",
            },
        )

        def text(key: str, default: str) -> str:
            value = raw.get(key, default)
            if not isinstance(value, str):
                raise ValueError(f"{SECTION}.{key}: expected a string, got {value!r}")
            return value

        def strings(key: str, default: Sequence[str]) -> tuple[str, ...]:
            value = raw.get(key, default)
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise ValueError(f"{SECTION}.{key}: expected a list of strings")
            return tuple(value)

        return cls(
            role_prefix=text("rolePrefix", "app-"),
            path=text("path", "/delegated/"),
            protected_role_names=strings("protectedRoleNames", ()),
            workload_services=strings("workloadServices", DEFAULT_WORKLOAD_SERVICES),
            protected_key_arns=strings("protectedKeyArns", ()),
            attach_to_roles=strings("attachToRoles", ()),
        )


def _arn(account_id: pulumi.Input[str], resource: str) -> pulumi.Output[str]:
    return pulumi.Output.concat(f"arn:{iam.PARTITION}:iam::", account_id, f":{resource}")


def _baseline_named_resources(
    prefix: str, account_id: pulumi.Input[str]
) -> list[pulumi.Output[str]]:
    """ARN patterns of the alerting and response resources the baseline names ``<prefix>-*``."""
    patterns = (
        ("cloudwatch", f"alarm:{prefix}-*"),
        ("events", f"rule/{prefix}-*"),
        ("lambda", f"function:{prefix}-*"),
        ("logs", f"log-group:/aws/lambda/{prefix}-*"),
        ("sns", f"{prefix}-*"),
        ("sqs", f"{prefix}-*"),
    )
    return [
        pulumi.Output.concat(f"arn:{iam.PARTITION}:{service}:*:", account_id, f":{resource}")
        for service, resource in patterns
    ]


def boundary_statements(
    args: DelegatedIamAdminArgs, account_id: pulumi.Input[str]
) -> list[dict[str, Any]]:
    """The permissions boundary: the ceiling for every developer-created role."""
    delegated_roles = _arn(account_id, f"role{args.path}{args.role_prefix}*")
    key_deletion: list[dict[str, Any]] = [
        {
            "Sid": "DenyDeletingBaselineKeys",
            "Effect": "Deny",
            "Action": ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
            "Resource": "*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{MANAGED_BY_TAG}": MANAGED_BY}},
        }
    ]
    if args.protected_key_arns:
        key_deletion.append(
            {
                "Sid": "DenyDeletingProtectedKeys",
                "Effect": "Deny",
                "Action": ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
                "Resource": sorted(args.protected_key_arns),
            }
        )
    return [
        {
            "Sid": "AllowWorkloadServices",
            "Effect": "Allow",
            "Action": sorted(f"{service}:*" for service in set(args.workload_services)),
            "Resource": "*",
        },
        {
            # Reading configuration is a workload need; ssm:* would include SendCommand to any
            # instance and automation runs, which are operator powers.
            "Sid": "AllowReadingParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            "Resource": "*",
        },
        {
            # Encrypting with keys is a workload need; administering keys is not.
            "Sid": "AllowUsingKeys",
            "Effect": "Allow",
            "Action": [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            "Resource": "*",
        },
        {
            "Sid": "AllowPassingDelegatedRoles",
            "Effect": "Allow",
            "Action": ["iam:GetRole", "iam:PassRole"],
            "Resource": delegated_roles,
        },
        {
            # A developer-created role may not write IAM at all: no new roles, users, keys.
            "Sid": "DenyIamWrites",
            "Effect": "Deny",
            "Action": list(IAM_WRITE_VERBS),
            "Resource": "*",
        },
        {
            "Sid": "DenyPassingOtherRoles",
            "Effect": "Deny",
            "Action": "iam:PassRole",
            "NotResource": delegated_roles,
        },
        {
            "Sid": "DenyOrganizationAndAccountChanges",
            "Effect": "Deny",
            "Action": ["account:*", "organizations:*"],
            "Resource": "*",
        },
        {
            "Sid": "DenySecurityServiceTampering",
            "Effect": "Deny",
            "Action": list(SECURITY_TAMPERING_ACTIONS),
            "Resource": "*",
        },
        *key_deletion,
        {
            "Sid": "DenyChangingBaselineResources",
            "Effect": "Deny",
            "Action": list(BASELINE_RESOURCE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{MANAGED_BY_TAG}": MANAGED_BY}},
        },
        {
            # Same actions by name, for requests where the service does not evaluate the tag.
            "Sid": "DenyChangingBaselineResourcesByName",
            "Effect": "Deny",
            "Action": list(BASELINE_RESOURCE_ACTIONS),
            "Resource": _baseline_named_resources(args.name_prefix, account_id),
        },
        {
            "Sid": "DenyBypassingObjectLock",
            "Effect": "Deny",
            "Action": list(OBJECT_LOCK_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "DenyInstancesWithoutImdsv2",
            "Effect": "Deny",
            "Action": "ec2:RunInstances",
            "Resource": f"arn:{iam.PARTITION}:ec2:*:*:instance/*",
            "Condition": {"StringNotEquals": {"ec2:MetadataHttpTokens": "required"}},
        },
        {
            "Sid": "DenyRelaxingInstanceMetadata",
            "Effect": "Deny",
            "Action": ["ec2:ModifyInstanceMetadataDefaults", "ec2:ModifyInstanceMetadataOptions"],
            "Resource": "*",
        },
    ]


def delegation_statements(
    args: DelegatedIamAdminArgs,
    account_id: pulumi.Input[str],
    boundary_arn: pulumi.Input[str],
    delegation_arn: pulumi.Input[str],
) -> list[dict[str, Any]]:
    """The developers' policy: role and policy management confined to prefix and boundary."""
    roles = _arn(account_id, f"role{args.path}{args.role_prefix}*")
    policies = _arn(account_id, f"policy{args.path}{args.role_prefix}*")
    with_boundary = {"ArnEquals": {"iam:PermissionsBoundary": boundary_arn}}
    return [
        {
            "Sid": "CreateAndChangeRolesWithTheBoundary",
            "Effect": "Allow",
            "Action": list(ROLE_WRITE_ACTIONS),
            "Resource": roles,
            "Condition": with_boundary,
        },
        {
            "Sid": "RoleHousekeeping",
            "Effect": "Allow",
            "Action": list(ROLE_HOUSEKEEPING_ACTIONS),
            "Resource": roles,
        },
        {
            "Sid": "ManagePoliciesUnderThePrefix",
            "Effect": "Allow",
            "Action": list(POLICY_WRITE_ACTIONS),
            "Resource": policies,
        },
        {
            "Sid": "PassRolesUnderThePrefix",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": roles,
        },
        {
            "Sid": "ReadRoles",
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
            ],
            "Resource": _arn(account_id, "role/*"),
        },
        {
            "Sid": "ReadPolicies",
            "Effect": "Allow",
            "Action": ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"],
            "Resource": _arn(account_id, "policy/*"),
        },
        {
            "Sid": "ListRolesAndPolicies",
            "Effect": "Allow",
            "Action": ["iam:ListPolicies", "iam:ListRoles"],
            "Resource": "*",  # List calls accept no resource ARN
        },
        {
            "Sid": "DenyCreatingOrChangingRolesWithoutTheBoundary",
            "Effect": "Deny",
            "Action": list(ROLE_WRITE_ACTIONS),
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {
            "Sid": "DenyRemovingTheBoundary",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
            "Resource": "*",
        },
        {
            "Sid": "DenyEditingTheBoundaryAndThisPolicy",
            "Effect": "Deny",
            "Action": list(POLICY_WRITE_ACTIONS),
            "Resource": [boundary_arn, delegation_arn],
        },
    ]


class DelegatedIamAdmin(pulumi.ComponentResource):
    """The permissions boundary and the delegation policy that enforces it."""

    boundary: aws.iam.Policy
    """The permissions boundary policy."""
    delegation: aws.iam.Policy
    """The policy for developers who create roles."""
    boundary_arn: pulumi.Output[str]
    """ARN to pass as ``--permissions-boundary``."""
    delegation_arn: pulumi.Output[str]
    """ARN of the developers' policy."""

    def __init__(
        self,
        name: str,
        args: DelegatedIamAdminArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account_id = iam.account_id_or_caller(args.account_id, self)
        # The baseline's own policies live under /<name_prefix>/, outside the delegated path.
        own_path = f"/{args.name_prefix}/"
        boundary_name = physical_name(args.name_prefix, "developer-boundary")
        delegation_name = physical_name(args.name_prefix, "iam-delegation")
        boundary_arn = _arn(account_id, f"policy{own_path}{boundary_name}")
        delegation_arn = _arn(account_id, f"policy{own_path}{delegation_name}")
        tags = dict(args.tags) or None

        self.boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=boundary_name,
            path=own_path,
            description=f"Permissions boundary for roles under {args.path}{args.role_prefix}*",
            policy=iam.dumps(boundary_statements(args, account_id)),
            tags=tags,
            opts=child,
        )
        self.delegation = aws.iam.Policy(
            f"{name}-delegation",
            name=delegation_name,
            path=own_path,
            description="Create roles and policies only under the prefix and with the boundary",
            policy=iam.dumps(delegation_statements(args, account_id, boundary_arn, delegation_arn)),
            tags=tags,
            opts=child,
        )
        for role in args.attach_to_roles:
            aws.iam.RolePolicyAttachment(
                f"{name}-attach-{role}", role=role, policy_arn=self.delegation.arn, opts=child
            )
        self.boundary_arn = self.boundary.arn
        self.delegation_arn = self.delegation.arn
        self.register_outputs(
            {"boundaryArn": self.boundary_arn, "delegationArn": self.delegation_arn}
        )
