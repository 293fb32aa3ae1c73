"""Route what matters from every region to people: one encrypted topic, e-mail and Slack.

Checklist: S-21 (someone hears about findings). Routes, each source exactly once:

- GuardDuty findings at or above a severity, IAM Access Analyzer active findings and root
  console sign-ins: a rule in every non-home detection region forwards them to the home
  region's default event bus (GuardDuty and Access Analyzer events are regional, and Security
  Hub's copies of them are excluded below so they are not sent twice). Root sign-ins are also
  caught in us-east-1, where sign-ins through the global endpoint are delivered.
- Security Hub findings (HIGH/CRITICAL, workflow NEW, not from GuardDuty or Access Analyzer):
  the finding aggregator already brings every linked region's findings to the home region,
  where they are sent to EventBridge, so no forwarding is added for them.
- In the home region, one rule per source sends the event to a small formatter Lambda that
  publishes a readable message (title, severity, account, region, resource, console link).
"""

import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ArgumentError, ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name
from secbaseline.baseline.regions import GLOBAL_CONTROL_REGION
from secbaseline.components._event_forwarding import HomeBusForwarder
from secbaseline.components._kms import account_key

TYPE_TOKEN = "secbaseline:index:SecurityNotifications"
HANDLER_DIR = Path(__file__).parent / "lambdas" / "finding_formatter"


class SeverityLabel(StrEnum):
    """A finding severity label (Security Hub's; GuardDuty's bands have the same names)."""

    LOW = "LOW"
    """Low: GuardDuty 1.0-3.9."""
    MEDIUM = "MEDIUM"
    """Medium: GuardDuty 4.0-6.9."""
    HIGH = "HIGH"
    """High: GuardDuty 7.0-8.9."""
    CRITICAL = "CRITICAL"
    """Critical: GuardDuty 9.0 and above."""


class NotificationRoute(StrEnum):
    """A source of events that reaches the topic."""

    GUARDDUTY = "guardduty"
    """GuardDuty findings at or above ``guard_duty_min_severity``."""
    SECURITYHUB = "securityhub"
    """Security Hub findings (not from GuardDuty or Access Analyzer) at or above
    ``security_hub_min_severity``, workflow NEW."""
    ACCESSANALYZER = "accessanalyzer"
    """IAM Access Analyzer active findings."""
    ROOTSIGNIN = "rootsignin"
    """Console sign-ins of the root user."""


SEVERITY_LABELS = tuple(label.value for label in SeverityLabel)
# GuardDuty's numeric bands for the named levels.
GUARDDUTY_LEVELS: Mapping[str, float] = {"LOW": 1.0, "MEDIUM": 4.0, "HIGH": 7.0, "CRITICAL": 9.0}
READ_ONLY_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
_SLACK_WORKSPACE = re.compile(r"^T[A-Z0-9]{8,}$")
_SLACK_CHANNEL = re.compile(r"^C[A-Z0-9]{8,}$")
ROUTES = tuple(route.value for route in NotificationRoute)


def guardduty_threshold(field_name: str, value: object) -> float:
    """A GuardDuty severity: a number 0-10 (or its text) or one of LOW, MEDIUM, HIGH, CRITICAL."""
    if isinstance(value, str):
        if value.upper() in GUARDDUTY_LEVELS:
            return GUARDDUTY_LEVELS[value.upper()]
        try:
            value = float(value)
        except ValueError:
            raise ArgumentError(
                f"{field_name}: {value!r} is not a number 0-10 or one of "
                f"{', '.join(SEVERITY_LABELS)}"
            ) from None
    try:
        return validate.number_range(field_name, value, 0, 10)
    except ValueError as error:
        raise ArgumentError(str(error)) from None


def labels_from(minimum: str) -> list[str]:
    """Security Hub labels at or above ``minimum``."""
    return list(SEVERITY_LABELS[SEVERITY_LABELS.index(minimum) :])


def event_patterns(guardduty_min: float, securityhub_min: str) -> dict[str, dict[str, Any]]:
    """The EventBridge pattern of each route."""
    return {
        "guardduty": {
            "source": ["aws.guardduty"],
            "detail-type": ["GuardDuty Finding"],
            "detail": {"severity": [{"numeric": [">=", guardduty_min]}]},
        },
        "securityhub": {
            "source": ["aws.securityhub"],
            "detail-type": ["Security Hub Findings - Imported"],
            "detail": {
                "findings": {
                    "Severity": {"Label": labels_from(securityhub_min)},
                    "Workflow": {"Status": ["NEW"]},
                    "RecordState": ["ACTIVE"],
                    # Routed natively (with their own thresholds): do not send them twice.
                    "ProductName": [{"anything-but": ["GuardDuty", "IAM Access Analyzer"]}],
                }
            },
        },
        "accessanalyzer": {
            "source": ["aws.access-analyzer"],
            "detail-type": ["Access Analyzer Finding"],
            "detail": {"status": ["ACTIVE"]},
        },
        "rootsignin": {
            "source": ["aws.signin"],
            "detail-type": ["AWS Console Sign In via CloudTrail"],
            "detail": {"userIdentity": {"type": ["Root"]}},
        },
    }


def _workspace_id(field: str, value: Any) -> Any:
    if not _SLACK_WORKSPACE.match(value):
        raise ValueError(
            f"{field}: {value!r} is not a Slack workspace id (T followed by 8 or more A-Z/0-9)"
        )
    return value


def _channel_id(field: str, value: Any) -> Any:
    if not _SLACK_CHANNEL.match(value):
        raise ValueError(
            f"{field}: {value!r} is not a Slack channel id (C followed by 8 or more A-Z/0-9)"
        )
    return value


def _unique_routes(field: str, values: Any) -> Any:
    if len(set(values)) != len(values):
        raise ValueError(f"{field}: a route is listed twice")
    return values


@component_args
class SlackChannel(ComponentArgs):
    """An AWS Chatbot Slack channel that receives the topic's messages."""

    workspace_id: str = arg(check=_workspace_id)
    """Slack workspace (team) id, e.g. T0123ABCD; authorise it in the Chatbot console first."""
    channel_id: str = arg(check=_channel_id)
    """Slack channel id, e.g. C0123ABCD."""
    region: str | None = arg(default=None, check=validate.region)
    """Region of the Chatbot API call; None uses the home region."""


@component_args
class SecurityNotificationsArgs(ComponentArgs):
    """Inputs of :class:`SecurityNotifications`."""

    regions: Sequence[str] = arg(check=validate.regions)
    """Detection regions; findings from each reach the topic (set by the tier)."""
    home_region: str = arg(check=validate.region)
    """Region of the topic, the formatter and the receiving event bus; one of ``regions`` (set
    by the tier)."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """Account id for policy conditions; None asks the provider (one invoke)."""
    emails: Sequence[pulumi.Input[str]] = arg(default_factory=list, each=validate.email)
    """E-mail addresses subscribed to the topic (each must confirm the subscription; set by the
    tier from ``notificationEmails``)."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of physical names (set by the tier from ``namePrefix``)."""
    guard_duty_min_severity: float = arg(default=7.0, ge=0, le=10)
    """GuardDuty findings at or above this score (0-10) are sent; LOW = 1, MEDIUM = 4,
    HIGH = 7, CRITICAL = 9 (the stack config also takes these labels)."""
    security_hub_min_severity: SeverityLabel = SeverityLabel.HIGH
    """Security Hub findings at or above this label are sent."""
    routes: Sequence[NotificationRoute] = arg(
        default_factory=lambda: list(NotificationRoute), check=_unique_routes
    )
    """Which routes to build (all four by default)."""
    slack: SlackChannel | None = None
    """Optional AWS Chatbot Slack channel subscribed to the topic."""
    log_retention_days: int = arg(default=365, check=validate.log_retention_days)
    """Retention of the formatter's log group (a value CloudWatch Logs accepts)."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key (in the home region) for the topic; None creates one. Its policy must let
    ``events.amazonaws.com`` and ``cloudwatch.amazonaws.com`` use it (``kms:GenerateDataKey*``,
    ``kms:Decrypt``)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (key, topic, formatter, its role and log group, rules,
    forwarding role, Slack channel)."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region!r} is not one of the regions")

    @classmethod
    def from_config(cls, section: str, raw: Mapping[str, Any], **values: Any) -> Self:
        """As :meth:`ComponentArgs.from_config`; the severities also take labels in any case
        (``guardDutyMinSeverity: HIGH`` is 7, ``securityHubMinSeverity: critical``)."""
        if isinstance(raw, Mapping):
            raw = dict(raw)
            key = "guardDutyMinSeverity"
            if isinstance(raw.get(key), str):
                raw[key] = guardduty_threshold(f"{section}.{key}", raw[key])
            if isinstance(raw.get("securityHubMinSeverity"), str):
                raw["securityHubMinSeverity"] = raw["securityHubMinSeverity"].upper()
        return super().from_config(section, raw, **values)


class SecurityNotifications(pulumi.ComponentResource):
    """An encrypted SNS topic fed by EventBridge rules in every detection region."""

    topic: aws.sns.Topic
    """The notification topic (home region)."""
    topic_arn: pulumi.Output[str]
    """ARN of the topic."""
    kms_key: aws.kms.Key | None
    """The key created for the topic (None with ``kms_key_arn``)."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts the topic (created or given)."""
    formatter: aws.lambda_.Function
    """The Lambda that formats events and publishes them to the topic."""
    home_rules: dict[str, aws.cloudwatch.EventRule]
    """Home-region rule per route."""

    def __init__(
        self,
        name: str,
        args: SecurityNotificationsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = SecurityNotificationsArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        home = args.home_region
        tags = dict(args.tags) or None
        account_id = (
            args.account_id
            if args.account_id is not None
            else aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)
            ).account_id
        )
        source_account = {"StringEquals": {"aws:SourceAccount": account_id}}

        self.kms_key = None
        if args.kms_key_arn is not None:
            self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)
        else:
            self.kms_key = self._key(name, home, account_id, tags)
            self.kms_key_arn = self.kms_key.arn
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=physical_name(args.name_prefix, "security-notifications"),
            kms_master_key_id=self.kms_key_arn,
            region=home,
            tags=tags,
            opts=child,
        )
        self.topic_arn = self.topic.arn
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic.arn,
            policy=iam.dumps(
                [
                    {
                        "Sid": "AllowEventBridgePublish",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": self.topic.arn,
                        "Condition": source_account,
                    },
                    {
                        "Sid": "AllowCloudWatchAlarmsPublish",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": self.topic.arn,
                        "Condition": source_account,
                    },
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sns:Publish",
                        "Resource": self.topic.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ]
            ),
            region=home,
            opts=child,
        )
        for index, email in enumerate(args.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                region=home,
                opts=child,
            )
        if args.slack is not None:
            self._slack(name, args, args.slack, tags)

        self.formatter = self._formatter(name, args, self.kms_key_arn, tags)
        patterns = event_patterns(args.guard_duty_min_severity, args.security_hub_min_severity)

        self.home_rules = {}
        for route in args.routes:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{route}",
                description=f"Security notifications: {route} (all detection regions)",
                event_pattern=json.dumps(patterns[route]),
                region=home,
                tags=tags,
                opts=child,
            )
            self.home_rules[route] = rule
            aws.cloudwatch.EventTarget(
                f"{name}-{route}-formatter",
                rule=rule.name,
                arn=self.formatter.arn,
                retry_policy={"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185},
                region=home,
                opts=child,
            )
            aws.lambda_.Permission(
                f"{name}-{route}-invoke",
                function=self.formatter.name,
                action="lambda:InvokeFunction",
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                source_account=account_id,
                region=home,
                opts=child,
            )

        # Python-only (tuple keys have no schema type, so Pulumi's analyzer does not see it).
        self.forward_rules: dict[tuple[str, str], aws.cloudwatch.EventRule] = {}
        """Forwarding rule per (region, route) outside the home region."""
        forward_routes = [r for r in args.routes if r != "securityhub"]  # the aggregator's job
        sources: dict[str, list[str]] = {
            r: [x for x in sorted(args.regions) if x != home] for r in forward_routes
        }
        if "rootsignin" in sources and home != GLOBAL_CONTROL_REGION:
            # Sign-ins through the global endpoint are delivered in us-east-1.
            sources["rootsignin"] = sorted({*sources["rootsignin"], GLOBAL_CONTROL_REGION})
        if any(sources.values()):
            forwarder = HomeBusForwarder(
                self,
                home_region=home,
                account_id=account_id,
                role_resource=f"{name}-forwarder-role",
                policy_resource=f"{name}-forwarder-policy",
                role_name=physical_name(args.name_prefix, "security-event-forwarder"),
                description="Forwards security events to the home region's event bus",
                tags=tags,
            )
            for source, regions in sources.items():
                for region in regions:
                    self.forward_rules[(region, source)] = forwarder.forward(
                        region,
                        json.dumps(patterns[source]),
                        rule_resource=f"{name}-{source}-forward-{region}",
                        target_resource=f"{name}-{source}-forward-{region}-target",
                        description=f"Forward {source} events to the home region {home}",
                    )

        self.register_outputs({"topicArn": self.topic_arn, "kmsKeyArn": self.kms_key_arn})

    def _key(
        self,
        name: str,
        home: str,
        account_id: pulumi.Input[str],
        tags: dict[str, str] | None,
    ) -> aws.kms.Key:
        return account_key(
            f"{name}-key",
            description="Encrypts the security notifications topic",
            account_id=account_id,
            statements=[
                # AWS's documented key policy for these publishers has no SourceAccount
                # condition (their KMS calls may not carry it, and a mismatch drops alerts
                # silently); the topic policy below pins the account instead.
                iam.service_key_statement(
                    "AllowEventBridgeToPublish",
                    "events.amazonaws.com",
                    account_id,
                    pin_source_account=False,
                ),
                # CloudWatch alarms (incident response, yours) notify this topic too.
                iam.service_key_statement(
                    "AllowCloudWatchAlarmsToPublish",
                    "cloudwatch.amazonaws.com",
                    account_id,
                    pin_source_account=False,
                ),
            ],
            region=home,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _formatter(
        self,
        name: str,
        args: SecurityNotificationsArgs,
        key_arn: pulumi.Output[str],
        tags: dict[str, str] | None,
    ) -> aws.lambda_.Function:
        child = pulumi.ResourceOptions(parent=self)
        function_name = physical_name(args.name_prefix, "finding-formatter")
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-formatter-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            region=args.home_region,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-formatter-role",
            name=physical_name(args.name_prefix, "finding-formatter"),
            assume_role_policy=iam.service_assume_role_policy("lambda.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-formatter-policy",
            role=role.name,
            policy=iam.dumps(
                [
                    {
                        "Sid": "PublishToTheTopic",
                        "Effect": "Allow",
                        "Action": "sns:Publish",
                        "Resource": self.topic.arn,
                    },
                    {
                        "Sid": "UseTheTopicKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": key_arn,
                    },
                    {
                        "Sid": "WriteOwnLogs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": pulumi.Output.concat(log_group.arn, ":*"),
                    },
                ]
            ),
            opts=child,
        )
        return aws.lambda_.Function(
            f"{name}-formatter",
            name=function_name,
            runtime=aws.lambda_.Runtime.PYTHON3D12,
            handler="handler.handler",
            code=pulumi.FileArchive(str(HANDLER_DIR)),
            role=role.arn,
            timeout=30,
            memory_size=128,
            environment={"variables": {"TOPIC_ARN": self.topic.arn}},
            region=args.home_region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )

    def _slack(
        self,
        name: str,
        args: SecurityNotificationsArgs,
        slack: SlackChannel,
        tags: dict[str, str] | None,
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-chatbot-role",
            name=physical_name(args.name_prefix, "chatbot-slack"),
            assume_role_policy=iam.service_assume_role_policy("chatbot.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-chatbot-policy",
            role=role.name,
            policy=json.dumps(
                iam.document(
                    [
                        {
                            # AWS Chatbot's "Notification permissions" template: read metrics
                            # to render alarm notifications. CloudWatch's read actions do not
                            # support resource-level permissions, so the resource is "*".
                            "Sid": "ReadMetricsForNotifications",
                            "Effect": "Allow",
                            "Action": [
                                "cloudwatch:Describe*",
                                "cloudwatch:Get*",
                                "cloudwatch:List*",
                            ],
                            "Resource": "*",
                        }
                    ]
                )
            ),
            opts=child,
        )
        aws.chatbot.SlackChannelConfiguration(
            f"{name}-slack",
            configuration_name=physical_name(args.name_prefix, "security-notifications"),
            iam_role_arn=role.arn,
            slack_team_id=slack.workspace_id,
            slack_channel_id=slack.channel_id,
            sns_topic_arns=[self.topic.arn],
            guardrail_policy_arns=[READ_ONLY_POLICY],
            logging_level="ERROR",
            region=slack.region or args.home_region,
            tags=tags,
            opts=child,
        )
