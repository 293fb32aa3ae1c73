"""Permissions-boundary delegation: developers create IAM roles without escalating.

Checklist: S-18. Two managed policies:

* the **boundary**: the most any developer-created role may ever do (workload services; no
  IAM writes except passing roles under the prefix; no organization/account changes; no
  disabling of security services; no deletion of the baseline's keys; no changes to the
  account's S3 Block Public Access or to the baseline's own buckets (``<name_prefix>-*``), their
  configuration or objects; no IMDSv1);
* the **delegation** policy for developers: create and change roles and policies only under
  the delegated path and name prefix, only with the boundary attached, never remove or swap
  the boundary, never edit the boundary (or this policy), pass only roles under the prefix.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
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
# The baseline's own buckets (logs, findings, evidence) are named ``<name_prefix>-*``: a role
# under the boundary may neither reconfigure nor delete them, nor forge or delete their
# objects. The Delete* bucket APIs are authorised by these Put* actions (DeleteBucketPolicy
# excepted, listed itself).
BASELINE_BUCKET_ACTIONS = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutBucketLogging",
    "s3:PutBucketNotification",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutReplicationConfiguration",
)
BASELINE_OBJECT_ACTIONS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObject",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
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


def _role_prefix(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not _PREFIX.match(value):
        raise ValueError(
            f"{field}: {value!r} must be 2-32 characters of letters, digits and +=,.@_- "
            "(no wildcards, not empty)"
        )
    return value


def _iam_path(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not _PATH.match(value) or len(value) > 512:
        raise ValueError(
            f"{field}: {value!r} must start and end with '/' (e.g. /delegated/) and use letters, "
            "digits and +=,.@_-"
        )
    return value


def _role_name(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not _ROLE_NAME.match(value):
        raise ValueError(f"{field}: {value!r} is not an IAM role name")
    return value


def _services(field: str, values: Any) -> Any:
    if isinstance(values, str) or not values:
        raise ValueError(f"{field}: must list at least one service")
    for service in values:
        if not isinstance(service, str) or not re.fullmatch(r"[a-z0-9-]+", service):
            raise ValueError(f"{field}: {service!r} is not a service prefix")
        if service in FORBIDDEN_SERVICES:
            raise ValueError(
                f"{field}: {service!r} cannot be granted through the boundary "
                f"(refused: {', '.join(sorted(FORBIDDEN_SERVICES))})"
            )
    return values


@component_args
class DelegatedIamAdminArgs(ComponentArgs):
    """Inputs of :class:`DelegatedIamAdmin`."""

    role_prefix: str = arg(default="app-", check=_role_prefix)
    """Name prefix of every role and policy developers may create (not empty, not ``*``; may
    not overlap ``name_prefix`` or match a protected role)."""
    path: str = arg(default="/delegated/", check=_iam_path)
    """IAM path developers' roles and policies must use (``/a/b/``)."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """The baseline's own name prefix (policy names and path); ``role_prefix`` may not overlap
    it."""
    protected_role_names: Sequence[str] = arg(default_factory=list, each=_role_name)
    """Security team / admin role names ``role_prefix`` may not match (e.g. ``Admin``)."""
    workload_services: Sequence[str] = arg(
        default_factory=lambda: list(DEFAULT_WORKLOAD_SERVICES), check=_services
    )
    """Services the boundary allows (``<service>:*``); IAM, Organizations and security services
    are refused."""
    protected_key_arns: Sequence[pulumi.Input[str]] = arg(
        default_factory=list, each=validate.kms_key_arn
    )
    """KMS keys nobody under the boundary may disable, re-policy or schedule for deletion
    (besides the baseline's tagged ones)."""
    attach_to_roles: Sequence[pulumi.Input[str]] = arg(default_factory=list, each=_role_name)
    """Existing developer role names that get the delegation policy attached."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """The account id (ARNs); None asks AWS (one invoke)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for both policies."""

    def __post_init__(self) -> None:
        prefix = self.role_prefix
        lowered = prefix.lower()
        baseline = self.name_prefix.lower()
        if baseline.startswith(lowered) or lowered.startswith(baseline):
            raise ValueError(
                f"role_prefix: {prefix!r} overlaps the baseline's own prefix "
                f"{self.name_prefix!r}; developers could take over the baseline's roles"
            )
        for role in self.protected_role_names:
            if role.lower().startswith(lowered):
                raise ValueError(f"role_prefix: {prefix!r} matches the protected role {role!r}")


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
                "Resource": sorted(k for k in args.protected_key_arns if isinstance(k, str))
                + [k for k in args.protected_key_arns if not isinstance(k, str)],
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
            # S-09: the account-wide S3 Block Public Access (DeleteAccountPublicAccessBlock is
            # authorised by the same action).
            "Sid": "DenyOrganizationAndAccountChanges",
            "Effect": "Deny",
            "Action": ["account:*", "organizations:*", "s3:PutAccountPublicAccessBlock"],
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
            "Sid": "DenyChangingBaselineBuckets",
            "Effect": "Deny",
            "Action": list(BASELINE_BUCKET_ACTIONS),
            "Resource": f"arn:{iam.PARTITION}:s3:::{args.name_prefix}-*",
        },
        {
            "Sid": "DenyWritingBaselineObjects",
            "Effect": "Deny",
            "Action": list(BASELINE_OBJECT_ACTIONS),
            "Resource": f"arn:{iam.PARTITION}:s3:::{args.name_prefix}-*/*",
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
        args = DelegatedIamAdminArgs.coerce(args)
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
        for index, role in enumerate(args.attach_to_roles):
            # Plain names keep their resource names; a role built in the program goes by index.
            resource = (
                f"{name}-attach-{role}" if isinstance(role, str) else f"{name}-attach-{index}"
            )
            aws.iam.RolePolicyAttachment(
                resource, role=role, policy_arn=self.delegation.arn, opts=child
            )
        self.boundary_arn = self.boundary.arn
        self.delegation_arn = self.delegation.arn
        self.register_outputs(
            {"boundaryArn": self.boundary_arn, "delegationArn": self.delegation_arn}
        )
