"""SecurityNotifications (S-21): encrypted topic, subscriptions, Slack, routes, formatter."""

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components.security_notifications import (
    NotificationRoute,
    SecurityNotifications,
    SecurityNotificationsArgs,
    SeverityLabel,
    SlackChannel,
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


def test_topic_key_and_policies(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    topic = plan.one("aws:sns/topic:Topic")
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
    policy = json.loads(plan.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
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
    subscriptions = plan.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == [
        "oncall@example.com",
        "sec@example.com",
    ]
    assert {s.inputs["protocol"] for s in subscriptions} == {"email"}
    assert plan.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration") == []


def test_formatter_lambda_least_privilege(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    topic = plan.one("aws:sns/topic:Topic")
    function = plan.one("aws:lambda/function:Function")
    assert function.inputs["environment"] == {"variables": {"TOPIC_ARN": topic.outputs["arn"]}}
    assert function.inputs["handler"] == "handler.handler"
    assert function.inputs["runtime"] == "python3.12"
    policy = json.loads(
        next(
            r
            for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")
            if r.name == "sn-formatter-policy"
        ).inputs["policy"]
    )
    actions = {s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"]}
    assert actions["PublishToTheTopic"] == ("sns:Publish", topic.outputs["arn"])
    assert actions["UseTheTopicKey"][1] == plan.one("aws:kms/key:Key").outputs["arn"]
    assert actions["WriteOwnLogs"][1].startswith("arn:aws:logs:ap-northeast-1:")
    assert actions["WriteOwnLogs"][1].endswith(
        ":log-group:/aws/lambda/secbaseline-finding-formatter:*"
    )
    assert "*" not in {str(resource) for _, resource in actions.values()}
    permissions = plan.of_type("aws:lambda/permission:Permission")
    rules = {r.outputs["arn"] for r in plan.of_type(RULE) if plan.region_of(r) == "ap-northeast-1"}
    assert {p.inputs["sourceArn"] for p in permissions} == rules
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
    patterns = event_patterns(4.0, "MEDIUM")
    assert patterns["guardduty"]["detail"] == {"severity": [{"numeric": [">=", 4.0]}]}
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
    )
    rules = plan.of_type(RULE)
    assert sorted(r.name for r in rules) == [
        "sn-guardduty",
        "sn-guardduty-forward-eu-west-1",
        "sn-guardduty-forward-us-east-1",
    ]
    assert json.loads(rules[0].inputs["eventPattern"])["detail"] == {
        "severity": [{"numeric": [">=", 9]}]
    }


def test_slack_channel(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program, slack=SlackChannel(workspace_id="T0123ABCD9", channel_id="C0123ABCD9")
    )
    slack = plan.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    assert slack.inputs["slackTeamId"] == "T0123ABCD9"
    assert slack.inputs["slackChannelId"] == "C0123ABCD9"
    assert slack.inputs["snsTopicArns"] == [plan.one("aws:sns/topic:Topic").outputs["arn"]]
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
    assert plan.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == key_arn
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
    assert plan.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == key.outputs["arn"]
    subscription = plan.one("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["endpoint"] == "team@example.com"

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
