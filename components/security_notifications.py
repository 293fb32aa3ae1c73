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

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.naming import physical_name
from secbaseline.baseline.regions import GLOBAL_CONTROL_REGION
from secbaseline.components._event_forwarding import HomeBusForwarder

TYPE_TOKEN = "secbaseline:index:SecurityNotifications"
HANDLER_DIR = Path(__file__).parent / "lambdas" / "finding_formatter"
SEVERITY_LABELS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
# GuardDuty's numeric bands for the named levels.
GUARDDUTY_LEVELS: Mapping[str, float] = {"LOW": 1.0, "MEDIUM": 4.0, "HIGH": 7.0, "CRITICAL": 9.0}
READ_ONLY_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
_SLACK_WORKSPACE = re.compile(r"^T[A-Z0-9]{8,}$")
_SLACK_CHANNEL = re.compile(r"^C[A-Z0-9]{8,}$")
ROUTES = ("guardduty", "securityhub", "accessanalyzer", "rootsignin")


def guardduty_threshold(field_name: str, value: object) -> float:
    """A GuardDuty severity: a number 0-10 or one of LOW, MEDIUM, HIGH, CRITICAL."""
    if isinstance(value, str):
        if value.upper() not in GUARDDUTY_LEVELS:
            raise ValueError(
                f"{field_name}: {value!r} is not a number 0-10 or one of "
                f"{', '.join(SEVERITY_LABELS)}"
            )
        return GUARDDUTY_LEVELS[value.upper()]
    return validate.number_range(field_name, value, 0, 10)


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


@dataclass
class SlackChannel:
    """An AWS Chatbot Slack channel that receives the topic's messages."""

    workspace_id: str
    """Slack workspace (team) id, e.g. T0123ABCD; authorise it in the Chatbot console first."""
    channel_id: str
    """Slack channel id, e.g. C0123ABCD."""
    region: str | None = None
    """Region of the Chatbot API call; None uses the home region."""

    def validate(self) -> None:
        """Raise ValueError naming the field."""
        if not isinstance(self.workspace_id, str) or not _SLACK_WORKSPACE.match(self.workspace_id):
            raise ValueError(
                f"notifications.slack.workspaceId: {self.workspace_id!r} is not a Slack "
                "workspace id (T followed by 8 or more A-Z/0-9)"
            )
        if not isinstance(self.channel_id, str) or not _SLACK_CHANNEL.match(self.channel_id):
            raise ValueError(
                f"notifications.slack.channelId: {self.channel_id!r} is not a Slack channel id "
                "(C followed by 8 or more A-Z/0-9)"
            )
        if self.region is not None:
            validate.region("notifications.slack.region", self.region)


@dataclass
class SecurityNotificationsArgs:
    """Inputs of :class:`SecurityNotifications`."""

    regions: Sequence[str] = ()
    """Detection regions; findings from each reach the topic. Required (set by the tier)."""
    home_region: str = ""
    """Region of the topic, the formatter and the receiving event bus. Required."""
    account_id: pulumi.Input[str] | None = None
    """Account id for policy conditions; None asks the provider (one invoke)."""
    emails: Sequence[str] = ()
    """E-mail addresses subscribed to the topic (each must confirm the subscription)."""
    name_prefix: str = "secbaseline"
    """Prefix of physical names."""
    guardduty_min_severity: float = 7.0
    """GuardDuty findings at or above this score (0-10) are sent; HIGH = 7, CRITICAL = 9."""
    securityhub_min_severity: str = "HIGH"
    """Security Hub findings at or above this label (LOW, MEDIUM, HIGH, CRITICAL) are sent."""
    routes: Sequence[str] = ROUTES
    """Which routes to build: guardduty, securityhub, accessanalyzer, rootsignin."""
    slack: SlackChannel | None = None
    """Optional AWS Chatbot Slack channel subscribed to the topic."""
    log_retention_days: int = 365
    """Retention of the formatter's log group."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for taggable resources."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        regions = validate.regions("notifications.regions", list(self.regions))
        validate.region("notifications.homeRegion", self.home_region)
        if self.home_region not in regions:
            raise ValueError(
                f"notifications.regions: must include the home region {self.home_region!r}"
            )
        for index, email in enumerate(self.emails):
            validate.email(f"notificationEmails[{index}]", email)
        validate.name_prefix("notifications.namePrefix", self.name_prefix)
        guardduty_threshold("notifications.guardDutyMinSeverity", self.guardduty_min_severity)
        validate.one_of(
            "notifications.securityHubMinSeverity", self.securityhub_min_severity, SEVERITY_LABELS
        )
        for route in self.routes:
            validate.one_of("notifications.routes", route, ROUTES)
        if self.slack is not None:
            self.slack.validate()
        validate.int_range("notifications.logRetentionDays", self.log_retention_days, 1, 3653)
        validate.tags("notifications.tags", dict(self.tags))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> SecurityNotificationsArgs:
        """Build from the ``notifications`` config section (regions and e-mails set by the tier)."""
        raw = validate.known_keys(
            "notifications",
            section,
            {"guardDutyMinSeverity", "securityHubMinSeverity", "routes", "slack"},
        )
        slack = None
        if "slack" in raw:
            slack_raw = validate.known_keys(
                "notifications.slack", raw["slack"], {"workspaceId", "channelId", "region"}
            )
            region = slack_raw.get("region")
            slack = SlackChannel(
                workspace_id=str(slack_raw.get("workspaceId", "")),
                channel_id=str(slack_raw.get("channelId", "")),
                region=str(region) if region is not None else None,
            )
            slack.validate()
        routes = raw.get("routes", ROUTES)
        if isinstance(routes, str) or not isinstance(routes, Sequence):
            raise ValueError(f"notifications.routes: expected a list, got {routes!r}")
        label = raw.get("securityHubMinSeverity", "HIGH")
        if not isinstance(label, str):
            raise ValueError(
                f"notifications.securityHubMinSeverity: {label!r} is not one of "
                f"{', '.join(SEVERITY_LABELS)}"
            )
        args = cls(
            guardduty_min_severity=guardduty_threshold(
                "notifications.guardDutyMinSeverity", raw.get("guardDutyMinSeverity", 7.0)
            ),
            securityhub_min_severity=validate.one_of(
                "notifications.securityHubMinSeverity", label.upper(), SEVERITY_LABELS
            ),
            routes=tuple(str(r) for r in routes),
            slack=slack,
        )
        for route in args.routes:
            validate.one_of("notifications.routes", route, ROUTES)
        return args


class SecurityNotifications(pulumi.ComponentResource):
    """An encrypted SNS topic fed by EventBridge rules in every detection region."""

    topic: aws.sns.Topic
    """The notification topic (home region)."""
    topic_arn: pulumi.Output[str]
    """ARN of the topic."""
    formatter: aws.lambda_.Function
    """The Lambda that formats events and publishes them to the topic."""
    home_rules: dict[str, aws.cloudwatch.EventRule]
    """Home-region rule per route."""
    forward_rules: dict[tuple[str, str], aws.cloudwatch.EventRule]
    """Forwarding rule per (region, route) outside the home region."""

    def __init__(
        self,
        name: str,
        args: SecurityNotificationsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        home = args.home_region
        tags = dict(args.tags) or None
        account_id = (
            args.account_id
            if args.account_id is not None
            else aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        )
        source_account = {"StringEquals": {"aws:SourceAccount": account_id}}

        key = aws.kms.Key(
            f"{name}-key",
            description="Encrypts the security notifications topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=iam.dumps(
                [
                    iam.key_admin_statement(account_id),
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
                ]
            ),
            region=home,
            tags=tags,
            opts=child,
        )
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=physical_name(args.name_prefix, "security-notifications"),
            kms_master_key_id=key.arn,
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

        self.formatter = self._formatter(name, args, key, tags)
        patterns = event_patterns(args.guardduty_min_severity, args.securityhub_min_severity)

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

        self.forward_rules = {}
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
            for route, regions in sources.items():
                for region in regions:
                    self.forward_rules[(region, route)] = forwarder.forward(
                        region,
                        json.dumps(patterns[route]),
                        rule_resource=f"{name}-{route}-forward-{region}",
                        target_resource=f"{name}-{route}-forward-{region}-target",
                        description=f"Forward {route} events to the home region {home}",
                    )

        self.register_outputs({"topicArn": self.topic_arn})

    def _formatter(
        self,
        name: str,
        args: SecurityNotificationsArgs,
        key: aws.kms.Key,
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
                        "Resource": key.arn,
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
