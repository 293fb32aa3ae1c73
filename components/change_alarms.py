"""The "who changed what" alarms: CloudWatch Logs metric filters on a trail's log group and an
alarm on each, to the notification topic (CIS AWS Foundations monitoring, Security Hub
CloudWatch.1-14, plus AWS Organizations changes from CIS v3.0 4.15).

Each pattern is the CIS benchmark's, as Security Hub's CloudWatch controls check them; the
tests evaluate every one against recorded CloudTrail events, matching and near-miss.

Checklist: S-21 (people hear about root use, denied calls and changes to IAM, CloudTrail,
KMS, S3, Config and the network), S-22 (the alarm says who changed what, when).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name

TYPE_TOKEN = "secbaseline:index:ChangeAlarms"
DEFAULT_NAMESPACE = "SecBaseline/CloudTrail"
_LOG_GROUP = re.compile(r"^[\w\-/.#]{1,512}$")


class ChangeAlarm(StrEnum):
    """One "who changed what" alarm (its Security Hub control in the description)."""

    ROOT_USAGE = "root-usage"
    """CloudWatch.1: the root user made a call."""
    UNAUTHORIZED_CALLS = "unauthorized-calls"
    """CloudWatch.2: calls denied by IAM (UnauthorizedOperation, AccessDenied*)."""
    CONSOLE_SIGNIN_WITHOUT_MFA = "console-signin-without-mfa"
    """CloudWatch.3: an IAM user signed in to the console without MFA."""
    IAM_POLICY_CHANGES = "iam-policy-changes"
    """CloudWatch.4: IAM policies created, changed, attached or detached."""
    CLOUDTRAIL_CHANGES = "cloudtrail-changes"
    """CloudWatch.5: trails created, updated, deleted, started or stopped."""
    CONSOLE_SIGNIN_FAILURES = "console-signin-failures"
    """CloudWatch.6: console sign-ins that failed authentication."""
    KMS_KEY_DISABLED = "kms-key-disabled"
    """CloudWatch.7: customer managed keys disabled or scheduled for deletion."""
    S3_POLICY_CHANGES = "s3-policy-changes"
    """CloudWatch.8: bucket ACLs, policies, CORS, lifecycle or replication changed."""
    CONFIG_CHANGES = "config-changes"
    """CloudWatch.9: AWS Config recorders or delivery channels stopped or changed."""
    SECURITY_GROUP_CHANGES = "security-group-changes"
    """CloudWatch.10: security groups created, deleted or their rules changed."""
    NACL_CHANGES = "nacl-changes"
    """CloudWatch.11: network ACLs or their entries changed."""
    NETWORK_GATEWAY_CHANGES = "network-gateway-changes"
    """CloudWatch.12: internet or customer gateways changed."""
    ROUTE_TABLE_CHANGES = "route-table-changes"
    """CloudWatch.13: routes or route tables changed."""
    VPC_CHANGES = "vpc-changes"
    """CloudWatch.14: VPCs or peering connections changed."""
    ORGANIZATIONS_CHANGES = "organizations-changes"
    """CIS v3.0 4.15: AWS Organizations accounts, policies or structure changed."""


CHANGE_ALARMS = tuple(alarm.value for alarm in ChangeAlarm)


def _any_event(*names: str) -> str:
    return " || ".join(f"($.eventName = {name})" for name in names)


@dataclass(frozen=True)
class ChangePattern:
    """A metric filter's pattern and what it means."""

    control: str
    """The Security Hub control (or CIS v3.0 recommendation) it satisfies."""
    title: str
    """The alarm's description."""
    pattern: str
    """The CloudWatch Logs filter pattern over CloudTrail records."""


PATTERNS: Mapping[ChangeAlarm, ChangePattern] = {
    ChangeAlarm.ROOT_USAGE: ChangePattern(
        "CloudWatch.1",
        "The root user was used",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }',
    ),
    ChangeAlarm.UNAUTHORIZED_CALLS: ChangePattern(
        "CloudWatch.2",
        "API calls were denied (unauthorized operation or access denied)",
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    ),
    ChangeAlarm.CONSOLE_SIGNIN_WITHOUT_MFA: ChangePattern(
        "CloudWatch.3",
        "An IAM user signed in to the console without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    ChangeAlarm.IAM_POLICY_CHANGES: ChangePattern(
        "CloudWatch.4",
        "IAM policies were created, changed, attached or detached",
        "{ "
        + _any_event(
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        )
        + " }",
    ),
    ChangeAlarm.CLOUDTRAIL_CHANGES: ChangePattern(
        "CloudWatch.5",
        "A trail was created, updated, deleted, started or stopped",
        "{ "
        + _any_event("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")
        + " }",
    ),
    ChangeAlarm.CONSOLE_SIGNIN_FAILURES: ChangePattern(
        "CloudWatch.6",
        "Console sign-ins failed authentication",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    ChangeAlarm.KMS_KEY_DISABLED: ChangePattern(
        "CloudWatch.7",
        "A customer managed key was disabled or scheduled for deletion",
        "{ ($.eventSource = kms.amazonaws.com) && "
        "(($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    ),
    ChangeAlarm.S3_POLICY_CHANGES: ChangePattern(
        "CloudWatch.8",
        "A bucket's ACL, policy, CORS, lifecycle or replication changed",
        "{ ($.eventSource = s3.amazonaws.com) && ("
        + _any_event(
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        )
        + ") }",
    ),
    ChangeAlarm.CONFIG_CHANGES: ChangePattern(
        "CloudWatch.9",
        "AWS Config recording or delivery was stopped or changed",
        "{ ($.eventSource = config.amazonaws.com) && ("
        + _any_event(
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        )
        + ") }",
    ),
    ChangeAlarm.SECURITY_GROUP_CHANGES: ChangePattern(
        "CloudWatch.10",
        "A security group or its rules changed",
        "{ "
        + _any_event(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        )
        + " }",
    ),
    ChangeAlarm.NACL_CHANGES: ChangePattern(
        "CloudWatch.11",
        "A network ACL or its entries changed",
        "{ "
        + _any_event(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        )
        + " }",
    ),
    ChangeAlarm.NETWORK_GATEWAY_CHANGES: ChangePattern(
        "CloudWatch.12",
        "An internet or customer gateway changed",
        "{ "
        + _any_event(
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        )
        + " }",
    ),
    ChangeAlarm.ROUTE_TABLE_CHANGES: ChangePattern(
        "CloudWatch.13",
        "A route or route table changed",
        "{ ($.eventSource = ec2.amazonaws.com) && ("
        + _any_event(
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        )
        + ") }",
    ),
    ChangeAlarm.VPC_CHANGES: ChangePattern(
        "CloudWatch.14",
        "A VPC or a peering connection changed",
        "{ "
        + _any_event(
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        )
        + " }",
    ),
    ChangeAlarm.ORGANIZATIONS_CHANGES: ChangePattern(
        "CIS 4.15",
        "AWS Organizations accounts, policies or structure changed",
        "{ ($.eventSource = organizations.amazonaws.com) && ("
        + _any_event(
            "AcceptHandshake",
            "AttachPolicy",
            "CreateAccount",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "DetachPolicy",
            "DisablePolicyType",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "LeaveOrganization",
            "MoveAccount",
            "RemoveAccountFromOrganization",
            "UpdatePolicy",
            "UpdateOrganizationalUnit",
        )
        + ") }",
    ),
}
"""Every alarm's pattern (CIS AWS Foundations v1.4.0 / v3.0 section 4)."""


def _unique(field: str, values: Any) -> Any:
    if len(set(values)) != len(values):
        raise ValueError(f"{field}: an alarm is listed twice")
    return values


def _log_group_name(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not _LOG_GROUP.fullmatch(value):
        raise ValueError(
            f"{field}: {value!r} is not a log group name (1-512 of a-z, A-Z, 0-9, '_-/.#')"
        )
    return value


def _namespace(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not 1 <= len(value) <= 255 or value.startswith(("AWS/", ":")):
        raise ValueError(
            f"{field}: {value!r} must be 1-255 characters and not start with 'AWS/' or ':'"
        )
    return value


@component_args
class ChangeAlarmsArgs(ComponentArgs):
    """Inputs of :class:`ChangeAlarms`."""

    log_group_name: pulumi.Input[str] = arg(check=_log_group_name)
    """The CloudWatch Logs group a trail delivers to (set by the tier from the account or
    organization trail)."""
    home_region: str = arg(check=validate.region)
    """Region of that log group, the metric filters and the alarms (set by the tier)."""
    notification_topic_arn: pulumi.Input[str] = arg(check=validate.arn_of("sns"))
    """The topic each alarm notifies (set by the tier: the notifications topic). Its policy must
    let ``cloudwatch.amazonaws.com`` publish."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the filter and alarm names (set by the tier)."""
    alarms: Sequence[ChangeAlarm] = arg(default_factory=lambda: list(ChangeAlarm), check=_unique)
    """Which alarms to create (all by default)."""
    metric_namespace: str = arg(default=DEFAULT_NAMESPACE, check=_namespace)
    """CloudWatch namespace of the filters' metrics."""
    period_seconds: int = arg(default=300, ge=60, le=86400)
    """Each alarm sums its metric over this period (60-86400 s) and fires at 1 or more."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the alarms (metric filters take none)."""


class ChangeAlarms(pulumi.ComponentResource):
    """A metric filter and an alarm per "who changed what" pattern, to one topic."""

    filters: dict[str, aws.cloudwatch.LogMetricFilter]
    """The metric filters, by alarm name."""
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    """The alarms, by alarm name."""

    def __init__(
        self,
        name: str,
        args: ChangeAlarmsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = ChangeAlarmsArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        actions = [args.notification_topic_arn]
        self.filters = {}
        self.alarms = {}
        for alarm in args.alarms:
            spec = PATTERNS[alarm]
            metric = physical_name(args.name_prefix, alarm.value)
            self.filters[alarm.value] = aws.cloudwatch.LogMetricFilter(
                f"{name}-{alarm.value}",
                name=metric,
                log_group_name=args.log_group_name,
                pattern=spec.pattern,
                metric_transformation={
                    "name": metric,
                    "namespace": args.metric_namespace,
                    "value": "1",
                },
                region=args.home_region,
                opts=child,
            )
            self.alarms[alarm.value] = aws.cloudwatch.MetricAlarm(
                f"{name}-{alarm.value}-alarm",
                name=metric,
                alarm_description=f"{spec.title} ({spec.control}): see the trail's log group",
                namespace=args.metric_namespace,
                metric_name=metric,
                statistic="Sum",
                period=args.period_seconds,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                region=args.home_region,
                tags=tags,
                # The metric exists once its filter does.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.filters[alarm.value]]),
            )

        self.register_outputs({"alarmArns": {key: alarm.arn for key, alarm in self.alarms.items()}})
