"""SecurityNotifications (S-21): encrypted topic, subscriptions, Slack, routes, formatter."""

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan, RecordedResource
from secbaseline.components.security_notifications import (
    CHATBOT_REGIONS,
    NotificationRoute,
    SecurityNotifications,
    SecurityNotificationsArgs,
    SeverityLabel,
    SlackChannel,
    TicketingSink,
    chatbot_region,
    event_patterns,
)
from tests.tagging import untagged

REGIONS = ("ap-northeast-1", "us-east-1", "eu-west-1")
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    args = SecurityNotificationsArgs(
        regions=kwargs.pop("regions", REGIONS),
        home_region="ap-northeast-1",
        account_id="111111111111",
        emails=["sec@example.com", "oncall@example.com"],
        **kwargs,
    )
    return run_program(lambda: SecurityNotifications("sn", args))


def named(plan: Plan, type_token: str, name: str) -> RecordedResource:
    found = [r for r in plan.of_type(type_token) if r.name == name]
    assert len(found) == 1, f"{type_token} {name}: {len(found)}"
    return found[0]


def paging_topic(plan: Plan) -> RecordedResource:
    return named(plan, "aws:sns/topic:Topic", "sn-topic")


def role_policy(plan: Plan, name: str) -> dict[str, Any]:
    found = next(r for r in plan.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == name)
    policy: dict[str, Any] = json.loads(found.inputs["policy"])
    return policy


def test_topic_key_and_policies(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    topic = paging_topic(plan)
    key = plan.one("aws:kms/key:Key")
    assert plan.region_of(topic) == plan.region_of(key) == "ap-northeast-1"
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    key_statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    events = key_statements["AllowEventBridgeToPublish"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    # No SourceAccount on the key for EventBridge (AWS's documented form); the topic policy
    # pins the account instead (asserted below).
    assert "Condition" not in events
    assert key_statements["EnableAccountIamPolicies"]["Principal"] == {
        "AWS": "arn:aws:iam::111111111111:root"
    }
    policy = json.loads(
        named(plan, "aws:sns/topicPolicy:TopicPolicy", "sn-topic-policy").inputs["policy"]
    )
    publish = policy["Statement"][0]
    assert publish["Principal"] == {"Service": "events.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert publish["Resource"] == topic.outputs["arn"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    alarms = policy["Statement"][1]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    assert key_statements["AllowCloudWatchAlarmsToPublish"]["Principal"] == {
        "Service": "cloudwatch.amazonaws.com"
    }
    assert policy["Statement"][2]["Effect"] == "Deny"
    subscriptions = [
        s
        for s in plan.of_type("aws:sns/topicSubscription:TopicSubscription")
        if s.inputs["topic"] == topic.outputs["arn"]
    ]
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == [
        "oncall@example.com",
        "sec@example.com",
    ]
    assert {s.inputs["protocol"] for s in subscriptions} == {"email"}
    assert plan.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration") == []


def test_formatter_lambda_least_privilege(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    topic = paging_topic(plan)
    digest = named(plan, "aws:sns/topic:Topic", "sn-digest-topic")
    queue = named(plan, "aws:sqs/queue:Queue", "sn-digest-queue")
    dlq = named(plan, "aws:sqs/queue:Queue", "sn-dlq")
    function = plan.one("aws:lambda/function:Function")
    assert function.inputs["environment"] == {
        "variables": {
            "TOPIC_ARN": topic.outputs["arn"],
            "DIGEST_QUEUE_URL": queue.outputs["url"],
            "DIGEST_TOPIC_ARN": digest.outputs["arn"],
        }
    }
    assert function.inputs["handler"] == "handler.handler"
    assert function.inputs["runtime"] == "python3.12"
    policy = role_policy(plan, "sn-formatter-policy")
    actions = {s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"]}
    assert actions["PublishToTheTopics"] == (
        "sns:Publish",
        [topic.outputs["arn"], digest.outputs["arn"]],
    )
    assert actions["DeadLetterQueue"] == ("sqs:SendMessage", dlq.outputs["arn"])
    assert actions["DrainTheDigestQueue"] == (
        ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        queue.outputs["arn"],
    )
    assert actions["UseTheTopicKey"][1] == plan.one("aws:kms/key:Key").outputs["arn"]
    assert actions["WriteOwnLogs"][1].startswith("arn:aws:logs:ap-northeast-1:")
    assert actions["WriteOwnLogs"][1].endswith(
        ":log-group:/aws/lambda/secbaseline-finding-formatter:*"
    )
    assert "*" not in {str(resource) for _, resource in actions.values()}
    permissions = plan.of_type("aws:lambda/permission:Permission")
    rules = {
        r.outputs["arn"]
        for r in plan.of_type(RULE)
        if plan.region_of(r) == "ap-northeast-1" and not r.name.endswith("-low")
    }
    assert {p.inputs["sourceArn"] for p in permissions} == rules  # low rules go to the queue
    assert len(rules) == 5  # four paging routes and the digest schedule
    assert {p.inputs["principal"] for p in permissions} == {"events.amazonaws.com"}


def test_forwarding_role_may_only_put_events_on_the_home_bus(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    home_bus = "arn:aws:events:ap-northeast-1:111111111111:event-bus/default"
    role = next(r for r in plan.of_type("aws:iam/role:Role") if r.name == "sn-forwarder-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    policy = json.loads(
        next(
            r
            for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")
            if r.name == "sn-forwarder-policy"
        ).inputs["policy"]
    )
    assert policy["Statement"] == [
        {
            "Sid": "PutEventsOnHomeBusOnly",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": home_bus,
        }
    ]
    forwards = [t for t in plan.of_type(TARGET) if plan.region_of(t) != "ap-northeast-1"]
    assert forwards and all(t.inputs["arn"] == home_bus for t in forwards)
    assert all(t.inputs["roleArn"] == role.outputs["arn"] for t in forwards)
    # No Security Hub forwarding: the aggregator brings those findings home.
    assert not [
        r
        for r in plan.of_type(RULE)
        if plan.region_of(r) != "ap-northeast-1" and "securityhub" in r.name
    ]


def test_event_patterns() -> None:
    patterns = event_patterns(4.0, "MEDIUM", page_types=())
    assert patterns["guardduty"]["detail"] == {
        "service": {"archived": [False]},
        "severity": [{"numeric": [">=", 4.0]}],
    }
    assert patterns["guardduty-low"]["detail"] == {
        "service": {"archived": [False]},
        "severity": [{"numeric": ["<", 4.0]}],
    }
    assert patterns["securityhub-low"]["detail"]["findings"]["Severity"] == {"Label": ["LOW"]}
    assert "securityhub-low" not in event_patterns(4.0, "LOW")
    assert "guardduty-low" not in event_patterns(0, "LOW")
    paging = event_patterns(7.0, "HIGH", page_types=["Policy:IAMUser/RootCredentialUsage"])
    assert paging["guardduty"]["detail"]["$or"] == [
        {"severity": [{"numeric": [">=", 7.0]}]},
        {"type": ["Policy:IAMUser/RootCredentialUsage"]},
    ]
    assert paging["guardduty-low"]["detail"]["type"] == [
        {"anything-but": ["Policy:IAMUser/RootCredentialUsage"]}
    ]
    findings = patterns["securityhub"]["detail"]["findings"]
    assert findings["Severity"] == {"Label": ["MEDIUM", "HIGH", "CRITICAL"]}
    assert findings["Workflow"] == {"Status": ["NEW"]}
    assert patterns["securityhub"]["detail-type"] == ["Security Hub Findings - Imported"]
    assert patterns["rootsignin"]["detail"] == {"userIdentity": {"type": ["Root"]}}
    assert patterns["accessanalyzer"]["detail"] == {"status": ["ACTIVE"]}


def test_severity_and_routes_from_config(run_program: Callable[..., Plan]) -> None:
    args = SecurityNotificationsArgs.from_config(
        "notifications",
        {
            "guardDutyMinSeverity": "CRITICAL",
            "securityHubMinSeverity": "critical",
            "routes": ["guardduty"],
        },
        regions=["us-east-1"],
        home_region="us-east-1",
    )
    assert args.guard_duty_min_severity == 9.0
    assert args.security_hub_min_severity == SeverityLabel.CRITICAL
    assert args.routes == [NotificationRoute.GUARDDUTY]
    plan = build(
        run_program,
        guard_duty_min_severity=args.guard_duty_min_severity,
        routes=args.routes,
        page_finding_types=[],
    )
    rules = plan.of_type(RULE)
    assert sorted(r.name for r in rules) == [
        "sn-digest-schedule",
        "sn-guardduty",
        "sn-guardduty-forward-eu-west-1",
        "sn-guardduty-forward-us-east-1",
        "sn-guardduty-low",
        "sn-guardduty-low-forward-eu-west-1",
        "sn-guardduty-low-forward-us-east-1",
    ]
    assert json.loads(named(plan, RULE, "sn-guardduty").inputs["eventPattern"])["detail"] == {
        "service": {"archived": [False]},
        "severity": [{"numeric": [">=", 9]}],
    }
    quiet = build(run_program, routes=args.routes, low_priority=False)
    assert sorted(r.name for r in quiet.of_type(RULE)) == [
        "sn-guardduty",
        "sn-guardduty-forward-eu-west-1",
        "sn-guardduty-forward-us-east-1",
    ]
    assert len(quiet.of_type("aws:sns/topic:Topic")) == 1


def test_slack_channel(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program, slack=SlackChannel(workspace_id="T0123ABCD9", channel_id="C0123ABCD9")
    )
    slack = plan.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    assert slack.inputs["slackTeamId"] == "T0123ABCD9"
    assert slack.inputs["slackChannelId"] == "C0123ABCD9"
    assert slack.inputs["snsTopicArns"] == [paging_topic(plan).outputs["arn"]]
    # ap-northeast-1 has no AWS Chatbot API: the nearest region that has one.
    assert plan.region_of(slack) == "ap-southeast-1"
    assert slack.inputs["guardrailPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    role = next(r for r in plan.of_type("aws:iam/role:Role") if r.name == "sn-chatbot-role")
    assert slack.inputs["iamRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "chatbot.amazonaws.com"}
    policy = json.loads(
        next(
            r
            for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")
            if r.name == "sn-chatbot-policy"
        ).inputs["policy"]
    )
    assert all(a.startswith("cloudwatch:") for a in policy["Statement"][0]["Action"])


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"guardDutyMinSeverity": 11},
            "notifications.guardDutyMinSeverity: 11 is out of range 0-10",
        ),
        ({"guardDutyMinSeverity": -1}, "notifications.guardDutyMinSeverity: -1 is out of range"),
        (
            {"guardDutyMinSeverity": "SEVERE"},
            "notifications.guardDutyMinSeverity: 'SEVERE' is not a number 0-10 or one of LOW",
        ),
        (
            {"securityHubMinSeverity": "INFORMATIONAL"},
            "notifications.securityHubMinSeverity: expected 'LOW', 'MEDIUM', 'HIGH' or 'CRITICAL', "
            "got 'INFORMATIONAL'",
        ),
        ({"guardDutyMinSeverity": "7.5"}, None),
        ({"guardDutyMinSeverity": "high"}, None),
        ({"securityHubMinSeverity": 7}, "notifications.securityHubMinSeverity: expected 'LOW'"),
        ({"routes": ["pagerduty"]}, "notifications.routes[0]: expected 'guardduty'"),
        ({"routes": ["guardduty", "guardduty"]}, "notifications.routes: a route is listed twice"),
        ({"logRetentionDays": 2}, "notifications.logRetentionDays: 2 is not a CloudWatch Logs"),
        ({"kmsKeyArn": "arn:aws:s3:::x"}, "notifications.kmsKeyArn: 'arn:aws:s3:::x' is not"),
        (
            {"slack": {"workspaceId": "W0123ABCD9", "channelId": "C0123ABCD9"}},
            "notifications.slack.workspaceId: 'W0123ABCD9' is not a Slack workspace id",
        ),
        (
            {"slack": {"workspaceId": "T0123ABCD9", "channelId": "#security"}},
            "notifications.slack.channelId: '#security' is not a Slack channel id",
        ),
        (
            {"slack": {"workspaceId": "T0123ABCD9", "channelId": "C0123ABCD9", "region": "x"}},
            "notifications.slack.region: unknown AWS region 'x'",
        ),
        ({"email": "x"}, "notifications.email: unknown option"),
        ({"emails": ["security@"]}, "notifications.emails[0]: 'security@' is not a valid"),
        ({"homeRegion": "eu-west-1"}, "notifications.homeRegion: 'eu-west-1' is not one of"),
    ],
)
def test_bad_config(section: dict[str, Any], message: str | None) -> None:
    def parse() -> SecurityNotificationsArgs:
        return SecurityNotificationsArgs.from_config(
            "notifications", {"regions": ["us-east-1"], "homeRegion": "us-east-1", **section}
        )

    if message is None:
        assert 0 <= parse().guard_duty_min_severity <= 10
        return
    with pytest.raises(ArgumentError) as err:
        parse()
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"emails": ["security@"]}, "emails[0]: 'security@' is not a valid e-mail address"),
        ({"guard_duty_min_severity": 11}, "guard_duty_min_severity: 11 is out of range 0-10"),
        ({"security_hub_min_severity": "SEVERE"}, "security_hub_min_severity: expected 'LOW'"),
        ({"routes": ["pagerduty"]}, "routes[0]: expected 'guardduty'"),
        ({"home_region": "eu-west-1"}, "home_region: 'eu-west-1' is not one of the regions"),
        ({"name_prefix": "X"}, "name_prefix: 'X' must be 2-24 characters"),
        ({"log_retention_days": 2}, "log_retention_days: 2 is not a CloudWatch Logs retention"),
        ({"account_id": "1"}, "account_id: '1' is not a 12-digit AWS account id"),
        ({"kms_key_arn": "k"}, "kms_key_arn: 'k' is not an ARN"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x'"),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SecurityNotificationsArgs(
            **{"regions": ["us-east-1"], "home_region": "us-east-1", **kwargs}
        )
    assert str(err.value).startswith(message)


def test_bad_slack_args() -> None:
    with pytest.raises(ArgumentError, match=r"^workspace_id: 'W0123ABCD9' is not a Slack"):
        SlackChannel(workspace_id="W0123ABCD9", channel_id="C0123ABCD9")
    with pytest.raises(ArgumentError, match=r"^channel_id: '#general' is not a Slack channel"):
        SlackChannel(workspace_id="T0123ABCD9", channel_id="#general")


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    tags = {"team": "security"}
    plan = build(
        run_program,
        tags=tags,
        slack=SlackChannel(workspace_id="T0123ABCD9", channel_id="C0123ABCD9"),
    )
    assert plan.of_type("aws:kms/key:Key") and plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert untagged(plan, tags) == []


def test_given_key_creates_no_key(run_program: Callable[..., Plan]) -> None:
    key_arn = "arn:aws:kms:ap-northeast-1:111111111111:key/abc"
    plan = build(run_program, kms_key_arn=key_arn)
    assert plan.of_type("aws:kms/key:Key") == []
    assert {t.inputs["kmsMasterKeyId"] for t in plan.of_type("aws:sns/topic:Topic")} == {key_arn}
    assert {q.inputs["kmsMasterKeyId"] for q in plan.of_type("aws:sqs/queue:Queue")} == {key_arn}
    assert plan.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == key_arn
    policy = json.loads(
        next(
            r
            for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")
            if r.name == "sn-formatter-policy"
        ).inputs["policy"]
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["UseTheTopicKey"]["Resource"] == key_arn


def test_outputs_are_wired_and_checked_when_they_resolve(
    run_program: Callable[..., Plan],
) -> None:
    def good() -> None:
        key = aws.kms.Key("mine")
        team = aws.iam.User("team", name="team")
        address = team.name.apply(lambda name: f"{name}@example.com")
        SecurityNotifications(
            "sn",
            SecurityNotificationsArgs(
                regions=["us-east-1"],
                home_region="us-east-1",
                account_id="111111111111",
                kms_key_arn=key.arn,
                emails=[address],
            ),
        )

    plan = run_program(good)
    key = plan.one("aws:kms/key:Key")
    assert paging_topic(plan).inputs["kmsMasterKeyId"] == key.outputs["arn"]
    subscriptions = plan.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert {s.inputs["endpoint"] for s in subscriptions} == {"team@example.com"}
    assert len(subscriptions) == 2  # the paging topic and the digest

    def bad() -> None:
        address = aws.sns.Topic("t").name
        SecurityNotifications(
            "sn",
            SecurityNotificationsArgs(
                regions=["us-east-1"], home_region="us-east-1", emails=[address]
            ),
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(bad)
    assert "emails[0]: 't-" in str(err.value)
    assert "is not a valid e-mail address" in str(err.value)


def test_the_component_providers_mapping(run_program: Callable[..., Plan]) -> None:
    args: Any = {
        "regions": ["us-east-1"],
        "home_region": "us-east-1",
        "routes": ["rootsignin"],
        "slack": {"workspace_id": "T0123ABCD9", "channel_id": "C0123ABCD9"},
    }
    plan = run_program(lambda: SecurityNotifications("sn", args))
    assert [r.name for r in plan.of_type(RULE)] == ["sn-rootsignin"]
    assert plan.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")


def test_formatter_has_an_encrypted_dead_letter_queue_and_alarms(
    run_program: Callable[..., Plan],
) -> None:
    """Issue 16: a failing formatter no longer drops notifications silently."""
    plan = build(run_program)
    key = plan.one("aws:kms/key:Key")
    topic = paging_topic(plan)
    dlq = named(plan, "aws:sqs/queue:Queue", "sn-dlq")
    assert dlq.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    function = plan.one("aws:lambda/function:Function")
    assert function.inputs["deadLetterConfig"] == {"targetArn": dlq.outputs["arn"]}
    home_targets = [t for t in plan.of_type(TARGET) if plan.region_of(t) == "ap-northeast-1"]
    assert home_targets
    assert all(t.inputs["deadLetterConfig"] == {"arn": dlq.outputs["arn"]} for t in home_targets)
    policy = json.loads(
        named(plan, "aws:sqs/queuePolicy:QueuePolicy", "sn-dlq-policy").inputs["policy"]
    )
    deny, allow = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    home_rules = sorted(
        r.outputs["arn"] for r in plan.of_type(RULE) if plan.region_of(r) == "ap-northeast-1"
    )
    assert sorted(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == home_rules
    alarms = {a.name: a.inputs for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert sorted(alarms) == ["sn-alarm-dlq", "sn-alarm-errors"]
    assert alarms["sn-alarm-errors"]["metricName"] == "Errors"
    assert alarms["sn-alarm-errors"]["dimensions"] == {"FunctionName": function.outputs["name"]}
    assert alarms["sn-alarm-dlq"]["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarms["sn-alarm-dlq"]["dimensions"] == {"QueueName": dlq.outputs["name"]}
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [topic.outputs["arn"]]
        assert alarm["threshold"] == 0 and alarm["comparisonOperator"] == "GreaterThanThreshold"
    assert {plan.region_of(a) for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")} == {
        "ap-northeast-1"
    }


def test_formatter_log_group_uses_the_customer_key(run_program: Callable[..., Plan]) -> None:
    """Issue 16: the formatter's log group is encrypted with a customer KMS key."""
    plan = build(run_program)
    key = plan.one("aws:kms/key:Key")
    logs = plan.one("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["kmsKeyId"] == key.outputs["arn"]
    assert logs.inputs["name"] == "/aws/lambda/secbaseline-finding-formatter"
    function = plan.one("aws:lambda/function:Function")
    assert function.inputs["loggingConfig"]["logGroup"] == logs.outputs["name"]
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["AllowCloudWatchLogs"]["Principal"] == {
        "Service": "logs.ap-northeast-1.amazonaws.com"
    }


@pytest.mark.parametrize(
    ("home", "expected"),
    [
        ("ap-northeast-1", "ap-southeast-1"),
        ("ap-south-1", "ap-southeast-1"),
        ("eu-central-1", "eu-west-1"),
        ("me-south-1", "eu-west-1"),
        ("us-east-1", "us-east-2"),
        ("sa-east-1", "us-east-2"),
        ("us-west-2", "us-west-2"),
        ("eu-west-1", "eu-west-1"),
    ],
)
def test_chatbot_region_default(home: str, expected: str) -> None:
    assert chatbot_region(home) == expected
    assert expected in CHATBOT_REGIONS


def test_slack_channel_in_a_chosen_chatbot_region(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        slack=SlackChannel(workspace_id="T0123ABCD9", channel_id="C0123ABCD9", region="us-west-2"),
    )
    slack = plan.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    assert plan.region_of(slack) == "us-west-2"
    with pytest.raises(ArgumentError) as err:
        SlackChannel(workspace_id="T0123ABCD9", channel_id="C0123ABCD9", region="ap-northeast-1")
    assert str(err.value).startswith(
        "region: AWS Chatbot's API does not exist in 'ap-northeast-1'; use one of us-east-2, "
        "us-west-2, ap-southeast-1, eu-west-1"
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {
                "slack": {
                    "workspaceId": "T0123ABCD9",
                    "channelId": "C0123ABCD9",
                    "region": "us-east-1",
                }
            },
            "notifications.slack.region: AWS Chatbot's API does not exist in 'us-east-1'",
        ),
        (
            {"pageFindingTypes": ["RootCredentialUsage"]},
            "notifications.pageFindingTypes[0]: 'RootCredentialUsage' is not a GuardDuty finding",
        ),
        ({"digestSchedule": "daily"}, "notifications.digestSchedule: "),
        ({"digestEmails": ["x"]}, "notifications.digestEmails[0]: 'x' is not a valid"),
        (
            {"ticketing": {"endpoint": "http://example.com/hook", "apiKey": "k"}},
            "notifications.ticketing.endpoint: 'http://example.com/hook' is not an https:// URL",
        ),
        (
            {"ticketing": {"endpoint": "https://example.com/hook"}},
            "notifications.ticketing.apiKey: ",
        ),
        (
            {
                "ticketing": {
                    "endpoint": "https://example.com/hook",
                    "apiKey": "k",
                    "apiKeyHeader": "X Auth",
                }
            },
            "notifications.ticketing.apiKeyHeader: 'X Auth' is not an HTTP header name",
        ),
        (
            {
                "ticketing": {
                    "endpoint": "https://example.com/hook",
                    "apiKey": "k",
                    "rateLimitPerSecond": 0,
                }
            },
            "notifications.ticketing.rateLimitPerSecond: 0 is out of range 1-300",
        ),
        ({"lowPriority": "sometimes"}, "notifications.lowPriority: expected a valid boolean"),
    ],
)
def test_bad_routing_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SecurityNotificationsArgs.from_config(
            "notifications", {"regions": ["us-east-1"], "homeRegion": "us-east-1", **section}
        )
    assert str(err.value).startswith(message)


def test_ticketing_connection_keeps_the_key_secret(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        ticketing=TicketingSink(endpoint="https://example.com/hook", api_key="s3cr3t"),
    )
    connection = plan.one("aws:cloudwatch/eventConnection:EventConnection")
    assert connection.inputs["authParameters"]["apiKey"]["key"] == "Authorization"
    policy = role_policy(plan, "sn-ticketing-policy")
    (statement,) = policy["Statement"]
    destination = plan.one("aws:cloudwatch/eventApiDestination:EventApiDestination")
    assert statement["Action"] == "events:InvokeApiDestination"
    assert statement["Resource"] == destination.outputs["arn"] + "*"
    assert destination.inputs["invocationRateLimitPerSecond"] == 10
    targets = [t for t in plan.of_type(TARGET) if t.inputs["arn"] == destination.outputs["arn"]]
    assert len(targets) == 4
    assert all(
        "routing_key" not in json.loads(t.inputs["inputTransformer"]["inputTemplate"])
        for t in targets
    )
