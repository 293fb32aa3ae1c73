"""The "who changed what" alarms: CloudWatch Logs metric filters on a trail's log group and an
alarm on each, to the notification topic (CIS AWS Foundations monitoring, Security Hub
CloudWatch.1-14, plus AWS Organizations changes from CIS v3.0 4.15).

Each pattern is the CIS benchmark's, as Security Hub's CloudWatch controls check them; the
tests evaluate every one against recorded CloudTrail events, matching and near-miss.

Without a log group (``log_group_name`` None), an EventBridge rule per alarm with the same
condition on the CloudTrail events instead, in every region of ``regions`` and us-east-1
(global services' events), forwarded to the home region's bus and from there to the topic.

Checklist: S-21 (people hear about root use, denied calls and changes to IAM, CloudTrail,
KMS, S3, Config and the network), S-22 (the alarm says who changed what, when).
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name
from secbaseline.components._event_forwarding import HomeBusForwarder

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
API_CALL = "AWS API Call via CloudTrail"
CONSOLE_SIGN_IN = "AWS Console Sign In via CloudTrail"


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
    detail: Mapping[str, Any]
    """The same condition as an EventBridge pattern on the event's ``detail`` (the record)."""
    detail_types: tuple[str, ...] = (API_CALL,)
    """The CloudTrail events it concerns, as EventBridge detail-types."""
    read_only: bool = False
    """Also matches read-only calls: the rule must receive all CloudTrail management events
    (state ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS``)."""


_IAM_POLICY_EVENTS = (
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
_TRAIL_EVENTS = ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")
_KMS_EVENTS = ("DisableKey", "ScheduleKeyDeletion")
_S3_EVENTS = (
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
_CONFIG_EVENTS = (
    "StopConfigurationRecorder",
    "DeleteDeliveryChannel",
    "PutDeliveryChannel",
    "PutConfigurationRecorder",
)
_SECURITY_GROUP_EVENTS = (
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
)
_NACL_EVENTS = (
    "CreateNetworkAcl",
    "CreateNetworkAclEntry",
    "DeleteNetworkAcl",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
)
_GATEWAY_EVENTS = (
    "CreateCustomerGateway",
    "DeleteCustomerGateway",
    "AttachInternetGateway",
    "CreateInternetGateway",
    "DeleteInternetGateway",
    "DetachInternetGateway",
)
_ROUTE_EVENTS = (
    "CreateRoute",
    "CreateRouteTable",
    "ReplaceRoute",
    "ReplaceRouteTableAssociation",
    "DeleteRouteTable",
    "DeleteRoute",
    "DisassociateRouteTable",
)
_VPC_EVENTS = (
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
_ORGANIZATIONS_EVENTS = (
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


def _in_source(source: str, names: tuple[str, ...]) -> str:
    return f"{{ ($.eventSource = {source}) && ({_any_event(*names)}) }}"


def _events(names: tuple[str, ...], source: str | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"eventName": list(names)}
    if source is not None:
        detail["eventSource"] = [source]
    return detail


PATTERNS: Mapping[ChangeAlarm, ChangePattern] = {
    ChangeAlarm.ROOT_USAGE: ChangePattern(
        "CloudWatch.1",
        "The root user was used",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }',
        # Service events have their own detail-type, which the rule does not take.
        {"userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]}},
        detail_types=(API_CALL, CONSOLE_SIGN_IN),
        read_only=True,
    ),
    ChangeAlarm.UNAUTHORIZED_CALLS: ChangePattern(
        "CloudWatch.2",
        "API calls were denied (unauthorized operation or access denied)",
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        {"errorCode": [{"suffix": "UnauthorizedOperation"}, {"prefix": "AccessDenied"}]},
        read_only=True,
    ),
    ChangeAlarm.CONSOLE_SIGNIN_WITHOUT_MFA: ChangePattern(
        "CloudWatch.3",
        "An IAM user signed in to the console without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
        {
            "eventName": ["ConsoleLogin"],
            "additionalEventData": {"MFAUsed": [{"anything-but": ["Yes"]}]},
            "userIdentity": {"type": ["IAMUser"]},
            "responseElements": {"ConsoleLogin": ["Success"]},
        },
        detail_types=(CONSOLE_SIGN_IN,),
    ),
    ChangeAlarm.IAM_POLICY_CHANGES: ChangePattern(
        "CloudWatch.4",
        "IAM policies were created, changed, attached or detached",
        "{ " + _any_event(*_IAM_POLICY_EVENTS) + " }",
        _events(_IAM_POLICY_EVENTS),
    ),
    ChangeAlarm.CLOUDTRAIL_CHANGES: ChangePattern(
        "CloudWatch.5",
        "A trail was created, updated, deleted, started or stopped",
        "{ " + _any_event(*_TRAIL_EVENTS) + " }",
        _events(_TRAIL_EVENTS),
    ),
    ChangeAlarm.CONSOLE_SIGNIN_FAILURES: ChangePattern(
        "CloudWatch.6",
        "Console sign-ins failed authentication",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
        {"eventName": ["ConsoleLogin"], "errorMessage": ["Failed authentication"]},
        detail_types=(CONSOLE_SIGN_IN,),
    ),
    ChangeAlarm.KMS_KEY_DISABLED: ChangePattern(
        "CloudWatch.7",
        "A customer managed key was disabled or scheduled for deletion",
        "{ ($.eventSource = kms.amazonaws.com) && "
        "(($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
        _events(_KMS_EVENTS, "kms.amazonaws.com"),
    ),
    ChangeAlarm.S3_POLICY_CHANGES: ChangePattern(
        "CloudWatch.8",
        "A bucket's ACL, policy, CORS, lifecycle or replication changed",
        _in_source("s3.amazonaws.com", _S3_EVENTS),
        _events(_S3_EVENTS, "s3.amazonaws.com"),
    ),
    ChangeAlarm.CONFIG_CHANGES: ChangePattern(
        "CloudWatch.9",
        "AWS Config recording or delivery was stopped or changed",
        _in_source("config.amazonaws.com", _CONFIG_EVENTS),
        _events(_CONFIG_EVENTS, "config.amazonaws.com"),
    ),
    ChangeAlarm.SECURITY_GROUP_CHANGES: ChangePattern(
        "CloudWatch.10",
        "A security group or its rules changed",
        "{ " + _any_event(*_SECURITY_GROUP_EVENTS) + " }",
        _events(_SECURITY_GROUP_EVENTS),
    ),
    ChangeAlarm.NACL_CHANGES: ChangePattern(
        "CloudWatch.11",
        "A network ACL or its entries changed",
        "{ " + _any_event(*_NACL_EVENTS) + " }",
        _events(_NACL_EVENTS),
    ),
    ChangeAlarm.NETWORK_GATEWAY_CHANGES: ChangePattern(
        "CloudWatch.12",
        "An internet or customer gateway changed",
        "{ " + _any_event(*_GATEWAY_EVENTS) + " }",
        _events(_GATEWAY_EVENTS),
    ),
    ChangeAlarm.ROUTE_TABLE_CHANGES: ChangePattern(
        "CloudWatch.13",
        "A route or route table changed",
        _in_source("ec2.amazonaws.com", _ROUTE_EVENTS),
        _events(_ROUTE_EVENTS, "ec2.amazonaws.com"),
    ),
    ChangeAlarm.VPC_CHANGES: ChangePattern(
        "CloudWatch.14",
        "A VPC or a peering connection changed",
        "{ " + _any_event(*_VPC_EVENTS) + " }",
        _events(_VPC_EVENTS),
    ),
    ChangeAlarm.ORGANIZATIONS_CHANGES: ChangePattern(
        "CIS 4.15",
        "AWS Organizations accounts, policies or structure changed",
        _in_source("organizations.amazonaws.com", _ORGANIZATIONS_EVENTS),
        _events(_ORGANIZATIONS_EVENTS, "organizations.amazonaws.com"),
    ),
}
"""Every alarm's pattern (CIS AWS Foundations v1.4.0 / v3.0 section 4)."""

GLOBAL_EVENTS_REGION = "us-east-1"
"""IAM, Organizations, STS (global endpoint) and most console sign-in events reach
EventBridge here only: without a log group, the rules always include this region."""


def event_pattern(alarm: ChangeAlarm) -> dict[str, Any]:
    """The EventBridge pattern of ``alarm`` over CloudTrail events (the record in ``detail``)."""
    spec = PATTERNS[alarm]
    return {"detail-type": list(spec.detail_types), "detail": dict(spec.detail)}


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


def _regions(field: str, values: Any) -> Any:
    return validate.regions(field, values, allow_empty=True)


def _namespace(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not 1 <= len(value) <= 255 or value.startswith(("AWS/", ":")):
        raise ValueError(
            f"{field}: {value!r} must be 1-255 characters and not start with 'AWS/' or ':'"
        )
    return value


@component_args
class ChangeAlarmsArgs(ComponentArgs):
    """Inputs of :class:`ChangeAlarms`."""

    home_region: str = arg(check=validate.region)
    """Region of the log group, the metric filters and the alarms, or of the EventBridge rules
    that notify the topic (set by the tier)."""
    notification_topic_arn: pulumi.Input[str] = arg(check=validate.arn_of("sns"))
    """The topic each alarm notifies (set by the tier: the notifications topic). Its policy must
    let ``cloudwatch.amazonaws.com`` (alarms) or ``events.amazonaws.com`` (rules) publish."""
    log_group_name: pulumi.Input[str] | None = arg(default=None, check=_log_group_name)
    """The CloudWatch Logs group a trail delivers to (set by the tier from the account or
    organization trail). None: EventBridge rules on CloudTrail events instead, in every one of
    ``regions`` and us-east-1, forwarded to ``home_region``'s bus and from there to the topic."""
    regions: Sequence[str] = arg(default_factory=list, check=_regions)
    """Detection regions, for the EventBridge rules without a log group (set by the tier)."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """Account id (the forwarding role's trust); None: looked up with one caller-identity
    invoke, only when rules forward from other regions."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the filter and alarm names (set by the tier)."""
    alarms: Sequence[ChangeAlarm] = arg(default_factory=lambda: list(ChangeAlarm), check=_unique)
    """Which alarms to create (all by default)."""
    metric_namespace: str = arg(default=DEFAULT_NAMESPACE, check=_namespace)
    """CloudWatch namespace of the filters' metrics."""
    period_seconds: int = arg(default=300, ge=60, le=86400)
    """Each alarm sums its metric over this period (60-86400 s) and fires at 1 or more."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the alarms, rules and forwarding role (metric filters take none)."""

    def __post_init__(self) -> None:
        if self.log_group_name is None and not self.regions:
            raise ValueError(
                "regions: required without log_group_name (the EventBridge rules' regions)"
            )
        if self.regions and self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region} is not one of the regions")


class ChangeAlarms(pulumi.ComponentResource):
    """A metric filter and an alarm per "who changed what" pattern, to one topic; without a
    log group, an EventBridge rule per pattern in every region instead."""

    filters: dict[str, aws.cloudwatch.LogMetricFilter]
    """The metric filters, by alarm name (empty without a log group)."""
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    """The alarms, by alarm name (empty without a log group)."""
    rules: dict[str, dict[str, aws.cloudwatch.EventRule]]
    """The EventBridge rules without a log group, by alarm name then region (empty with one)."""

    def __init__(
        self,
        name: str,
        args: ChangeAlarmsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = ChangeAlarmsArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        tags = dict(args.tags) or None
        self.filters = {}
        self.alarms = {}
        self.rules = {}
        if args.log_group_name is None:
            self._rules(name, args, tags)
            self.register_outputs(
                {
                    "ruleArns": {
                        key: {region: rule.arn for region, rule in rules.items()}
                        for key, rules in self.rules.items()
                    }
                }
            )
            return
        child = pulumi.ResourceOptions(parent=self)
        actions = [args.notification_topic_arn]
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

    def _rules(self, name: str, args: ChangeAlarmsArgs, tags: dict[str, str] | None) -> None:
        """A rule per alarm in the home region to the topic, and in every other region (us-east-1
        always: global services' events arrive there) one forwarding to the home bus."""
        child = pulumi.ResourceOptions(parent=self)
        home = args.home_region
        others = sorted({*args.regions, GLOBAL_EVENTS_REGION} - {home})
        forwarder = None
        if others and args.alarms:
            forwarder = HomeBusForwarder(
                self,
                home_region=home,
                account_id=iam.account_id_or_caller(args.account_id, self),
                role_resource=f"{name}-forward-role",
                policy_resource=f"{name}-forward-permissions",
                role_name=physical_name(args.name_prefix, "change-events-forward"),
                description="Forwards who-changed-what CloudTrail events to the home region's bus",
                tags=tags,
            )
        for alarm in args.alarms:
            spec = PATTERNS[alarm]
            pattern = json.dumps(event_pattern(alarm), sort_keys=True)
            rule_name = physical_name(args.name_prefix, alarm.value)
            # Read-only calls (root describing, denied reads) reach only such rules.
            state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" if spec.read_only else None
            rules: dict[str, aws.cloudwatch.EventRule] = {}
            rules[home] = aws.cloudwatch.EventRule(
                f"{name}-{alarm.value}-{home}",
                name=rule_name,
                description=f"{spec.title} ({spec.control}): CloudTrail events to the topic",
                event_pattern=pattern,
                state=state,
                region=home,
                tags=tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{alarm.value}-topic",
                rule=rules[home].name,
                arn=args.notification_topic_arn,
                region=home,
                opts=child,
            )
            for region in others:
                assert forwarder is not None
                rules[region] = forwarder.forward(
                    region,
                    pattern,
                    rule_resource=f"{name}-{alarm.value}-{region}",
                    target_resource=f"{name}-{alarm.value}-forward-{region}",
                    description=f"{spec.title} ({spec.control}): forwarded to {home}",
                    rule_name=rule_name,
                    state=state,
                )
            self.rules[alarm.value] = rules
