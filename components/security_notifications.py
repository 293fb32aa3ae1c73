"""Route what matters from every region to people: a paging topic, a daily digest, Slack.

Checklist: S-21 (someone hears about findings). Routing by severity (docs/incident-response.md
says the same, and a test over sample findings of every severity holds the two together):

- **Page** (the notification topic: e-mail, Slack, the optional ticketing webhook): GuardDuty
  findings at or above ``guard_duty_min_severity`` (HIGH), named high-signal GuardDuty findings
  whatever their severity (``page_finding_types``: root credential use, S3 Block Public Access
  switched off, CloudTrail logging stopped...), Security Hub findings at or above
  ``security_hub_min_severity`` (HIGH), IAM Access Analyzer findings, root console sign-ins.
- **Digest** (``low_priority``): the other GuardDuty and Security Hub findings (MEDIUM, LOW)
  wait in an encrypted queue; once a day the formatter sends one digest of them to a second,
  low-priority topic.
- Suppressed findings never reach either: GuardDuty does not publish archived findings (and
  the patterns require ``archived: false``), Security Hub routes take workflow ``NEW`` only.

Routes, each source exactly once:

- GuardDuty findings, IAM Access Analyzer active findings and root
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
from collections.abc import Callable, Mapping, Sequence
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
CHATBOT_REGIONS = ("us-east-2", "us-west-2", "ap-southeast-1", "eu-west-1")
"""Regions where AWS Chatbot's API (and so a Slack channel configuration) exists."""
HIGH_SIGNAL_FINDING_TYPES: tuple[str, ...] = (
    "Policy:IAMUser/RootCredentialUsage",
    "Policy:S3/AccountBlockPublicAccessDisabled",
    "Policy:S3/BucketBlockPublicAccessDisabled",
    "Stealth:IAMUser/CloudTrailLoggingDisabled",
    "Stealth:IAMUser/PasswordPolicyChange",
    "Stealth:S3/ServerAccessLoggingDisabled",
)
"""GuardDuty finding types that page whatever their severity (all LOW in GuardDuty, each a
sign that a protection was switched off or the root user acted); the runbook lists them."""
DEFAULT_DIGEST_SCHEDULE = "cron(0 0 * * ? *)"
FORMATTER_TIMEOUT = 120
"""Seconds; the digest drains its queue within one run."""
RETRY_POLICY: aws.cloudwatch.EventTargetRetryPolicyArgsDict = {
    "maximum_event_age_in_seconds": 86400,
    "maximum_retry_attempts": 185,
}


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


def labels_below(minimum: str) -> list[str]:
    """Security Hub labels below ``minimum`` (the digest's share)."""
    return list(SEVERITY_LABELS[: SEVERITY_LABELS.index(minimum)])


def event_patterns(
    guardduty_min: float,
    securityhub_min: str,
    page_types: Sequence[str] = HIGH_SIGNAL_FINDING_TYPES,
) -> dict[str, dict[str, Any]]:
    """The EventBridge pattern of each route: the four paging routes and, named
    ``<route>-low``, the digest's share of GuardDuty and Security Hub findings."""
    not_archived = {"archived": [False]}  # suppressed (auto-archived) findings stay quiet
    guardduty_page: dict[str, Any] = {
        "service": not_archived,
        "severity": [{"numeric": [">=", guardduty_min]}],
    }
    guardduty_low: dict[str, Any] = {
        "service": not_archived,
        "severity": [{"numeric": ["<", guardduty_min]}],
    }
    if page_types:
        severity = guardduty_page.pop("severity")
        guardduty_page["$or"] = [{"severity": severity}, {"type": list(page_types)}]
        guardduty_low["type"] = [{"anything-but": list(page_types)}]

    def securityhub(labels: list[str]) -> dict[str, Any]:
        return {
            "source": ["aws.securityhub"],
            "detail-type": ["Security Hub Findings - Imported"],
            "detail": {
                "findings": {
                    "Severity": {"Label": labels},
                    # Suppressed (workflow SUPPRESSED) and resolved findings are not sent.
                    "Workflow": {"Status": ["NEW"]},
                    "RecordState": ["ACTIVE"],
                    # Routed natively (with their own thresholds): do not send them twice.
                    "ProductName": [{"anything-but": ["GuardDuty", "IAM Access Analyzer"]}],
                }
            },
        }

    patterns = {
        "guardduty": {
            "source": ["aws.guardduty"],
            "detail-type": ["GuardDuty Finding"],
            "detail": guardduty_page,
        },
        "securityhub": securityhub(labels_from(securityhub_min)),
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
    if guardduty_min > 0:
        patterns["guardduty-low"] = {
            "source": ["aws.guardduty"],
            "detail-type": ["GuardDuty Finding"],
            "detail": guardduty_low,
        }
    if labels_below(securityhub_min):
        patterns["securityhub-low"] = securityhub(labels_below(securityhub_min))
    return patterns


def chatbot_region(home_region: str) -> str:
    """The AWS Chatbot region for a home region: the home region where Chatbot's API exists,
    else the nearest one (Americas us-east-2, Europe/Middle East/Africa eu-west-1, Asia
    Pacific ap-southeast-1)."""
    if home_region in CHATBOT_REGIONS:
        return home_region
    if home_region.startswith(("ap-", "cn-")):
        return "ap-southeast-1"
    if home_region.startswith(("eu-", "me-", "af-", "il-")):
        return "eu-west-1"
    return "us-east-2"


def _chatbot_region(field: str, value: Any) -> Any:
    validate.region(field, value)
    if value not in CHATBOT_REGIONS:
        raise ValueError(
            f"{field}: AWS Chatbot's API does not exist in {value!r}; use one of "
            f"{', '.join(CHATBOT_REGIONS)} (None picks the nearest to the home region)"
        )
    return value


def _finding_type(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not re.match(r"^[A-Za-z]+:[A-Za-z0-9]+/[\w.!-]+$", value):
        raise ValueError(
            f"{field}: {value!r} is not a GuardDuty finding type such as "
            "'Policy:IAMUser/RootCredentialUsage'"
        )
    return value


def _https_url(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not re.match(r"^https://[^\s/]+(/\S*)?$", value):
        raise ValueError(f"{field}: {value!r} is not an https:// URL")
    return value


def _header_name(field: str, value: Any) -> Any:
    if not re.match(r"^[A-Za-z0-9-]{1,512}$", value):
        raise ValueError(f"{field}: {value!r} is not an HTTP header name (letters, digits, -)")
    return value


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
    region: str | None = arg(default=None, check=_chatbot_region)
    """Region of the Chatbot channel configuration: one of us-east-2, us-west-2,
    ap-southeast-1, eu-west-1 (the only regions with AWS Chatbot's API); None: the home region
    when it is one of them, else the nearest (Asia Pacific ap-southeast-1, Europe eu-west-1,
    elsewhere us-east-2)."""


@component_args
class TicketingSink(ComponentArgs):
    """An EventBridge API destination (PagerDuty, Opsgenie, Jira-style webhook) that receives
    every paging finding as JSON keyed on the finding id, so updates land on one ticket."""

    endpoint: str = arg(check=_https_url)
    """The webhook URL (https), e.g. ``https://events.pagerduty.com/v2/enqueue``."""
    api_key: pulumi.Input[str] = arg()
    """Value of the API-key header (a secret: set it with ``pulumi config set --secret``);
    EventBridge keeps it in a Secrets Manager secret it owns."""
    api_key_header: str = arg(default="Authorization", check=_header_name)
    """Name of the header that carries ``api_key``."""
    routing_key: pulumi.Input[str] | None = None
    """Sent as ``routing_key`` in the body (PagerDuty Events API v2 integration key); None
    leaves it out."""
    rate_limit_per_second: int = arg(default=10, ge=1, le=300)
    """Most calls per second EventBridge makes to the endpoint, 1-300."""


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
    page_finding_types: Sequence[str] = arg(default=HIGH_SIGNAL_FINDING_TYPES, each=_finding_type)
    """GuardDuty finding types that page whatever their severity (default: root credential
    use, S3 Block Public Access disabled on an account or bucket, CloudTrail logging stopped,
    password policy changed, S3 access logging disabled); empty: severity alone decides."""
    low_priority: bool = True
    """Send the GuardDuty and Security Hub findings below the paging thresholds to a daily
    digest on a second, low-priority topic; False: they are not sent at all."""
    digest_schedule: str = arg(default=DEFAULT_DIGEST_SCHEDULE, check=validate.schedule_expression)
    """When the digest is sent (EventBridge schedule expression; default daily 00:00 UTC)."""
    digest_emails: Sequence[pulumi.Input[str]] = arg(default_factory=list, each=validate.email)
    """E-mail addresses subscribed to the low-priority topic; empty: the ``emails``."""
    slack: SlackChannel | None = None
    """Optional AWS Chatbot Slack channel subscribed to the paging topic."""
    ticketing: TicketingSink | None = None
    """Optional ticketing/on-call webhook (EventBridge API destination) for paging findings."""
    log_retention_days: int = arg(default=365, check=validate.log_retention_days)
    """Retention of the formatter's log group (a value CloudWatch Logs accepts)."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key (in the home region) for the topics, queues and the formatter's log group;
    None creates one. Its policy must let ``events.amazonaws.com`` and
    ``cloudwatch.amazonaws.com`` use it (``kms:GenerateDataKey*``, ``kms:Decrypt``), and
    CloudWatch Logs (``logs.<home>.amazonaws.com``) too."""
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


PAGE_ROUTES = ROUTES
"""Routes that page (the notification topic and the ticketing webhook)."""
# Paging route -> (ticket field -> JSONPath into the event). ``id`` keys the ticket.
TICKET_FIELDS: Mapping[str, Mapping[str, str]] = {
    "guardduty": {
        "id": "$.detail.id",
        "title": "$.detail.title",
        "type": "$.detail.type",
        "severity": "$.detail.severity",
        "account": "$.detail.accountId",
        "region": "$.detail.region",
    },
    "securityhub": {
        "id": "$.detail.findings[0].Id",
        "title": "$.detail.findings[0].Title",
        "type": "$.detail.findings[0].ProductName",
        "severity": "$.detail.findings[0].Severity.Label",
        "account": "$.detail.findings[0].AwsAccountId",
        "region": "$.detail.findings[0].Region",
    },
    "accessanalyzer": {
        "id": "$.detail.id",
        "title": "$.detail.resource",
        "type": "$.detail.resourceType",
        "severity": "$.detail.isPublic",
        "account": "$.detail.accountId",
        "region": "$.region",
    },
    "rootsignin": {
        "id": "$.detail.eventID",
        "title": "$.detail.sourceIPAddress",
        "type": "$.detail-type",
        "severity": "$.detail.responseElements.ConsoleLogin",
        "account": "$.account",
        "region": "$.region",
    },
}
_TICKET_SUMMARY = {
    "guardduty": "GuardDuty: <title>",
    "securityhub": "Security Hub: <title>",
    "accessanalyzer": "IAM Access Analyzer: <type> <title> is shared outside the account",
    "rootsignin": "Root user console sign-in from <title>",
}


def ticket_transformer(route: str, routing_key: str | None = None) -> tuple[dict[str, str], str]:
    """The EventBridge input transformer (input paths, template) that turns a paging event of
    ``route`` into a PagerDuty Events API v2 style body keyed on the finding id (``dedup_key``):
    every update of a finding lands on the same ticket or alert."""
    body: dict[str, Any] = {
        "event_action": "trigger",
        "dedup_key": "<id>",
        "payload": {
            "summary": _TICKET_SUMMARY[route],
            "source": "<account>/<region>",
            "severity": "critical",
            "custom_details": {
                "route": route,
                "type": "<type>",
                "severity": "<severity>",
                "account": "<account>",
                "region": "<region>",
            },
        },
    }
    if routing_key is not None:
        body = {"routing_key": routing_key, **body}
    return dict(TICKET_FIELDS[route]), json.dumps(body)


class SecurityNotifications(pulumi.ComponentResource):
    """Encrypted paging and digest topics fed by EventBridge rules in every detection region."""

    topic: aws.sns.Topic
    """The paging notification topic (home region)."""
    topic_arn: pulumi.Output[str]
    """ARN of the paging topic."""
    digest_topic: aws.sns.Topic | None
    """The low-priority topic that receives the daily digest (None without ``low_priority``)."""
    digest_topic_arn: pulumi.Output[str] | None
    """ARN of the low-priority topic."""
    digest_queue: aws.sqs.Queue | None
    """Encrypted queue where MEDIUM and LOW findings wait for the digest."""
    dead_letter_queue: aws.sqs.Queue
    """Encrypted dead-letter queue of the formatter (and of every rule target)."""
    kms_key: aws.kms.Key | None
    """The key created for the topics, queues and logs (None with ``kms_key_arn``)."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts the topics, queues and the formatter's logs (created or given)."""
    formatter: aws.lambda_.Function
    """The Lambda that formats events and publishes them to the topic (and the digest)."""
    log_group: aws.cloudwatch.LogGroup
    """The formatter's log group (encrypted, with retention)."""
    home_rules: dict[str, aws.cloudwatch.EventRule]
    """Home-region rule per route (``<route>-low`` for the digest's share)."""
    alarms: list[aws.cloudwatch.MetricAlarm]
    """Formatter errors and dead-letter queue depth, notifying the paging topic."""
    api_destination: aws.cloudwatch.EventApiDestination | None
    """The ticketing webhook (None without ``ticketing``)."""

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
        self._account_id = account_id
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
        deny_insecure = {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": self.topic.arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
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
                    deny_insecure,
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

        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=physical_name(args.name_prefix, "finding-formatter-dlq"),
            kms_master_key_id=self.kms_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=14 * 24 * 3600,
            region=home,
            tags=tags,
            opts=child,
        )
        patterns = event_patterns(
            args.guard_duty_min_severity, args.security_hub_min_severity, args.page_finding_types
        )
        low_routes = (
            [f"{r}-low" for r in args.routes if f"{r}-low" in patterns] if args.low_priority else []
        )

        self.digest_topic = None
        self.digest_topic_arn = None
        self.digest_queue = None
        if low_routes:
            self.digest_topic = aws.sns.Topic(
                f"{name}-digest-topic",
                name=physical_name(args.name_prefix, "security-digest"),
                kms_master_key_id=self.kms_key_arn,
                region=home,
                tags=tags,
                opts=child,
            )
            self.digest_topic_arn = self.digest_topic.arn
            aws.sns.TopicPolicy(
                f"{name}-digest-topic-policy",
                arn=self.digest_topic.arn,
                policy=iam.dumps([{**deny_insecure, "Resource": self.digest_topic.arn}]),
                region=home,
                opts=child,
            )
            for index, email in enumerate(args.digest_emails or args.emails):
                aws.sns.TopicSubscription(
                    f"{name}-digest-email-{index}",
                    topic=self.digest_topic.arn,
                    protocol="email",
                    endpoint=email,
                    region=home,
                    opts=child,
                )
            self.digest_queue = aws.sqs.Queue(
                f"{name}-digest-queue",
                name=physical_name(args.name_prefix, "security-digest"),
                kms_master_key_id=self.kms_key_arn,
                kms_data_key_reuse_period_seconds=300,
                message_retention_seconds=14 * 24 * 3600,
                visibility_timeout_seconds=3 * FORMATTER_TIMEOUT,
                region=home,
                tags=tags,
                opts=child,
            )

        self.formatter = self._formatter(name, args, self.kms_key_arn, tags)

        self.home_rules = {}
        page_targets: dict[str, aws.cloudwatch.EventRule] = {}
        for route in [*args.routes, *low_routes]:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{route}",
                description=f"Security notifications: {route} (all detection regions)",
                event_pattern=json.dumps(patterns[route]),
                region=home,
                tags=tags,
                opts=child,
            )
            self.home_rules[route] = rule
            if route.endswith("-low"):
                assert self.digest_queue is not None
                aws.cloudwatch.EventTarget(
                    f"{name}-{route}-digest",
                    rule=rule.name,
                    arn=self.digest_queue.arn,
                    retry_policy=RETRY_POLICY,
                    dead_letter_config={"arn": self.dead_letter_queue.arn},
                    region=home,
                    opts=child,
                )
                continue
            page_targets[route] = rule
            aws.cloudwatch.EventTarget(
                f"{name}-{route}-formatter",
                rule=rule.name,
                arn=self.formatter.arn,
                retry_policy=RETRY_POLICY,
                dead_letter_config={"arn": self.dead_letter_queue.arn},
                region=home,
                opts=child,
            )
            self._invoke_permission(f"{name}-{route}-invoke", rule, home, account_id)

        digest_rule = None
        if self.digest_queue is not None:
            digest_rule = aws.cloudwatch.EventRule(
                f"{name}-digest-schedule",
                description="Security notifications: daily digest of MEDIUM and LOW findings",
                schedule_expression=args.digest_schedule,
                region=home,
                tags=tags,
                opts=child,
            )
            self.home_rules["digest"] = digest_rule
            aws.cloudwatch.EventTarget(
                f"{name}-digest-schedule-formatter",
                rule=digest_rule.name,
                arn=self.formatter.arn,
                retry_policy=RETRY_POLICY,
                dead_letter_config={"arn": self.dead_letter_queue.arn},
                region=home,
                opts=child,
            )
            self._invoke_permission(f"{name}-digest-invoke", digest_rule, home, account_id)
            aws.sqs.QueuePolicy(
                f"{name}-digest-queue-policy",
                queue_url=self.digest_queue.url,
                policy=iam.dumps(
                    [
                        _deny_insecure_queue(self.digest_queue.arn),
                        {
                            "Sid": "LowPriorityFindings",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": self.digest_queue.arn,
                            "Condition": {
                                "ArnEquals": {
                                    "aws:SourceArn": [self.home_rules[r].arn for r in low_routes]
                                }
                            },
                        },
                    ]
                ),
                region=home,
                opts=child,
            )
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=self.dead_letter_queue.url,
            policy=iam.dumps(
                [
                    _deny_insecure_queue(self.dead_letter_queue.arn),
                    {
                        "Sid": "EventBridgeDeliveryFailures",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": self.dead_letter_queue.arn,
                        "Condition": {
                            "ArnEquals": {
                                "aws:SourceArn": [r.arn for r in self.home_rules.values()]
                            }
                        },
                    },
                ]
            ),
            region=home,
            opts=child,
        )

        self.api_destination = None
        if args.ticketing is not None and page_targets:
            self.api_destination = self._ticketing(name, args, args.ticketing, page_targets, tags)

        self.alarms = self._alarms(name, args, tags)

        # Python-only (tuple keys have no schema type, so Pulumi's analyzer does not see it).
        self.forward_rules: dict[tuple[str, str], aws.cloudwatch.EventRule] = {}
        """Forwarding rule per (region, route) outside the home region."""
        forward_routes = [
            r for r in [*args.routes, *low_routes] if not r.startswith("securityhub")
        ]  # Security Hub findings: the aggregator's job
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

        self.register_outputs(
            {
                "topicArn": self.topic_arn,
                "digestTopicArn": self.digest_topic_arn,
                "kmsKeyArn": self.kms_key_arn,
            }
        )

    def _invoke_permission(
        self,
        resource: str,
        rule: aws.cloudwatch.EventRule,
        home: str,
        account_id: pulumi.Input[str],
    ) -> None:
        aws.lambda_.Permission(
            resource,
            function=self.formatter.name,
            action="lambda:InvokeFunction",
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            source_account=account_id,
            region=home,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _key(
        self,
        name: str,
        home: str,
        account_id: pulumi.Input[str],
        tags: dict[str, str] | None,
    ) -> aws.kms.Key:
        return account_key(
            f"{name}-key",
            description="Encrypts the security notification topics, queues and logs",
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
                # The formatter's log group.
                iam.logs_key_statement(home, account_id),
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
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-formatter-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=key_arn,
            region=args.home_region,
            tags=tags,
            opts=child,
        )
        topics: list[pulumi.Input[str]] = [self.topic.arn]
        if self.digest_topic is not None:
            topics.append(self.digest_topic.arn)
        statements: list[dict[str, Any]] = [
            {
                "Sid": "PublishToTheTopics",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": topics,
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
                "Resource": pulumi.Output.concat(self.log_group.arn, ":*"),
            },
            {
                "Sid": "DeadLetterQueue",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": self.dead_letter_queue.arn,
            },
        ]
        variables: dict[str, pulumi.Input[str]] = {"TOPIC_ARN": self.topic.arn}
        if self.digest_queue is not None and self.digest_topic is not None:
            statements.append(
                {
                    "Sid": "DrainTheDigestQueue",
                    "Effect": "Allow",
                    "Action": [
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                    ],
                    "Resource": self.digest_queue.arn,
                }
            )
            variables["DIGEST_QUEUE_URL"] = self.digest_queue.url
            variables["DIGEST_TOPIC_ARN"] = self.digest_topic.arn
        policy = aws.iam.RolePolicy(
            f"{name}-formatter-policy",
            role=self._formatter_role(name, args, tags).name,
            policy=iam.dumps(statements),
            opts=child,
        )
        return aws.lambda_.Function(
            f"{name}-formatter",
            name=function_name,
            runtime=aws.lambda_.Runtime.PYTHON3D12,
            handler="handler.handler",
            code=pulumi.FileArchive(str(HANDLER_DIR)),
            role=self._formatter_role_arn,
            timeout=FORMATTER_TIMEOUT,
            memory_size=128,
            dead_letter_config={"target_arn": self.dead_letter_queue.arn},
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            environment={"variables": variables},
            region=args.home_region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, policy]),
        )

    def _formatter_role(
        self, name: str, args: SecurityNotificationsArgs, tags: dict[str, str] | None
    ) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-formatter-role",
            name=physical_name(args.name_prefix, "finding-formatter"),
            assume_role_policy=iam.service_assume_role_policy("lambda.amazonaws.com"),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._formatter_role_arn = role.arn
        return role

    def _alarms(
        self, name: str, args: SecurityNotificationsArgs, tags: dict[str, str] | None
    ) -> list[aws.cloudwatch.MetricAlarm]:
        """Formatter errors and DLQ depth notify the topic directly (not through the
        formatter), so a broken formatter is still heard of."""
        actions = [self.topic.arn]
        alarms = []
        for suffix, description, namespace, metric, statistic, dimensions in (
            (
                "errors",
                "The finding formatter failed: notifications may be missing",
                "AWS/Lambda",
                "Errors",
                "Sum",
                {"FunctionName": self.formatter.name},
            ),
            (
                "dlq",
                "Security events the formatter or EventBridge could not deliver are waiting "
                "in the dead-letter queue",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "Maximum",
                {"QueueName": self.dead_letter_queue.name},
            ),
        ):
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-alarm-{suffix}",
                    name=physical_name(args.name_prefix, "finding-formatter", suffix),
                    alarm_description=f"{description}: see docs/incident-response.md",
                    namespace=namespace,
                    metric_name=metric,
                    statistic=statistic,
                    dimensions=dimensions,
                    period=300,
                    evaluation_periods=1,
                    threshold=0,
                    comparison_operator="GreaterThanThreshold",
                    treat_missing_data="notBreaching",
                    alarm_actions=actions,
                    ok_actions=actions,
                    region=args.home_region,
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        return alarms

    def _ticketing(
        self,
        name: str,
        args: SecurityNotificationsArgs,
        sink: TicketingSink,
        rules: Mapping[str, aws.cloudwatch.EventRule],
        tags: dict[str, str] | None,
    ) -> aws.cloudwatch.EventApiDestination:
        child = pulumi.ResourceOptions(parent=self)
        home = args.home_region
        connection = aws.cloudwatch.EventConnection(
            f"{name}-ticketing-connection",
            name=physical_name(args.name_prefix, "ticketing"),
            description="Security findings to the ticketing/on-call webhook",
            authorization_type="API_KEY",
            auth_parameters={
                "api_key": {
                    "key": sink.api_key_header,
                    "value": pulumi.Output.secret(sink.api_key),
                }
            },
            region=home,
            opts=child,
        )
        destination = aws.cloudwatch.EventApiDestination(
            f"{name}-ticketing",
            name=physical_name(args.name_prefix, "ticketing"),
            description="Security findings to the ticketing/on-call webhook",
            connection_arn=connection.arn,
            invocation_endpoint=sink.endpoint,
            http_method="POST",
            invocation_rate_limit_per_second=sink.rate_limit_per_second,
            region=home,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-ticketing-role",
            name=physical_name(args.name_prefix, "ticketing"),
            description="EventBridge: call the ticketing API destination",
            assume_role_policy=iam.service_assume_role_policy(
                "events.amazonaws.com", source_account=self._account_id
            ),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-ticketing-policy",
            role=role.name,
            policy=iam.dumps(
                [
                    {
                        "Sid": "InvokeTheTicketingDestination",
                        "Effect": "Allow",
                        "Action": "events:InvokeApiDestination",
                        "Resource": pulumi.Output.concat(destination.arn, "*"),
                    }
                ]
            ),
            opts=child,
        )
        routing_key = pulumi.Output.from_input(sink.routing_key)
        for route, rule in rules.items():
            paths, _ = ticket_transformer(route)
            transformer: aws.cloudwatch.EventTargetInputTransformerArgsDict = {
                "input_paths": paths,
                "input_template": routing_key.apply(_template_for(route)),
            }
            aws.cloudwatch.EventTarget(
                f"{name}-{route}-ticketing",
                rule=rule.name,
                arn=destination.arn,
                role_arn=role.arn,
                input_transformer=transformer,
                retry_policy=RETRY_POLICY,
                dead_letter_config={"arn": self.dead_letter_queue.arn},
                region=home,
                opts=child,
            )
        return destination

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
            # Chatbot's API exists in four regions only; it subscribes to a topic in any region.
            region=slack.region or chatbot_region(args.home_region),
            tags=tags,
            opts=child,
        )


def _template_for(route: str) -> Callable[[str | None], str]:
    def template(routing_key: str | None) -> str:
        return ticket_transformer(route, routing_key)[1]

    return template


def _deny_insecure_queue(queue_arn: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
