"""ChangeAlarms: every pattern against recorded CloudTrail events (match and near miss), the
filters and alarms it plans, and its arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components import ChangeAlarm, ChangeAlarms, ChangeAlarmsArgs
from secbaseline.components.change_alarms import PATTERNS, event_pattern
from tests import event_routes
from tests.log_filters import PatternError, matches, parse

FIXTURES = Path(__file__).parent / "fixtures" / "cloudtrail"
HOME = "ap-northeast-1"
TOPIC = "arn:aws:sns:ap-northeast-1:111111111111:secbaseline-security-notifications"
GROUP = "/aws/cloudtrail/secbaseline-account-trail"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = event_routes.RULE
TARGET = event_routes.TARGET
ALL_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
DETAIL_TYPES = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
}
A = ChangeAlarm

EXPECTED: dict[str, set[ChangeAlarm]] = {
    "root-console-login": {A.ROOT_USAGE},
    "root-describe-instances": {A.ROOT_USAGE},
    "root-call-invoked-by-service": set(),  # a service acting for root is not root use
    "iam-user-console-login-with-mfa": set(),
    "iam-user-console-login-without-mfa": {A.CONSOLE_SIGNIN_WITHOUT_MFA},
    "sso-console-federation": set(),  # federated sign-in: MFA is the identity provider's
    "iam-user-console-login-failed": {A.CONSOLE_SIGNIN_FAILURES},
    "ec2-run-instances-unauthorized": {A.UNAUTHORIZED_CALLS},
    "s3-get-bucket-policy-access-denied": {A.UNAUTHORIZED_CALLS},
    "ec2-describe-throttled": set(),  # an error, but not a denial
    "iam-put-role-policy": {A.IAM_POLICY_CHANGES},
    "iam-create-role": set(),
    "cloudtrail-stop-logging": {A.CLOUDTRAIL_CHANGES},
    "cloudtrail-describe-trails": set(),
    "kms-schedule-key-deletion": {A.KMS_KEY_DISABLED},
    "kms-disable-key-rotation": set(),
    "s3-put-bucket-policy": {A.S3_POLICY_CHANGES},
    "s3-put-bucket-versioning": set(),
    "config-stop-configuration-recorder": {A.CONFIG_CHANGES},
    "config-put-config-rule": set(),
    "ec2-authorize-security-group-ingress": {A.SECURITY_GROUP_CHANGES},
    # A denied change is still an attempted change (and a denied call).
    "ec2-authorize-security-group-ingress-denied": {A.SECURITY_GROUP_CHANGES, A.UNAUTHORIZED_CALLS},
    "ec2-describe-security-groups": set(),
    "ec2-create-network-acl-entry": {A.NACL_CHANGES},
    "ec2-attach-internet-gateway": {A.NETWORK_GATEWAY_CHANGES},
    "ec2-create-route": {A.ROUTE_TABLE_CHANGES},
    "apigateway-create-route": set(),  # same event name, API Gateway: why the source is pinned
    "ec2-create-vpc": {A.VPC_CHANGES},
    "organizations-attach-policy": {A.ORGANIZATIONS_CHANGES},
    # CIS's IAM pattern does not pin the event source: an SCP created is an IAM "CreatePolicy"
    # to it. Both alarms fire; kept as CIS wrote it (Security Hub checks that pattern).
    "organizations-create-policy": {A.ORGANIZATIONS_CHANGES, A.IAM_POLICY_CHANGES},
    "organizations-describe-organization": set(),
}


def record(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def test_every_fixture_is_listed_and_shaped_like_cloudtrail() -> None:
    files = {p.stem for p in FIXTURES.glob("*.json")}
    assert files == set(EXPECTED)
    for name in files:
        event = record(name)
        for key in ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName"):
            assert key in event, f"{name}: no {key}"
        assert event["eventType"] in ("AwsApiCall", "AwsConsoleSignIn", "AwsServiceEvent"), name
        assert event["recipientAccountId"] == event["userIdentity"]["accountId"], name


def test_every_alarm_has_a_matching_and_a_near_miss_record() -> None:
    for alarm in ChangeAlarm:
        assert any(alarm in hits for hits in EXPECTED.values()), f"{alarm}: nothing matches"
    # Near misses: same service or same event name, and no match for that alarm.
    misses = {name for name, hits in EXPECTED.items() if not hits}
    assert len(misses) >= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_patterns_match_exactly_the_expected_records(name: str) -> None:
    event = record(name)
    hits = {alarm for alarm, spec in PATTERNS.items() if matches(spec.pattern, event)}
    assert hits == EXPECTED[name]


def as_event(name: str, region: str | None = None) -> dict[str, Any]:
    """The record as EventBridge delivers it (the record in ``detail``)."""
    detail = record(name)
    source = detail["eventSource"].removesuffix(".amazonaws.com")
    return {
        "version": "0",
        "id": detail["eventID"],
        "detail-type": DETAIL_TYPES[detail["eventType"]],
        "source": f"aws.{source}",
        "account": detail["recipientAccountId"],
        "time": detail["eventTime"],
        "region": region or detail["awsRegion"],
        "resources": [],
        "detail": detail,
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_patterns_match_exactly_what_the_filters_match(name: str) -> None:
    event = as_event(name)
    hits = {alarm for alarm in ChangeAlarm if event_routes.matches(event_pattern(alarm), event)}
    assert hits == EXPECTED[name]
    # EventBridge hands read-only calls only to rules that ask for all management events.
    if event["detail"].get("readOnly"):
        assert all(PATTERNS[alarm].read_only for alarm in hits), hits


def test_event_patterns_fit_eventbridge_and_name_the_cloudtrail_detail_types() -> None:
    for alarm in ChangeAlarm:
        pattern = event_pattern(alarm)
        assert len(json.dumps(pattern)) <= 4096  # EventPattern's maximum length
        assert set(pattern["detail-type"]) <= set(DETAIL_TYPES.values()) - {
            "AWS Service Event via CloudTrail"
        }


def test_event_pattern_matcher_knows_exists_and_suffix() -> None:
    event = as_event("root-call-invoked-by-service")
    assert not event_routes.matches(
        {"detail": {"userIdentity": {"invokedBy": [{"exists": False}]}}}, event
    )
    assert event_routes.matches(
        {"detail": {"userIdentity": {"invokedBy": [{"exists": True}]}}}, event
    )
    assert event_routes.matches(
        {"detail": {"eventName": [{"suffix": event["detail"]["eventName"][-3:]}]}}, event
    )
    assert not event_routes.matches({"detail": {"eventName": [{"suffix": "Nope"}]}}, event)


def test_every_alarm_has_a_pattern_and_a_security_hub_or_cis_id() -> None:
    assert set(PATTERNS) == set(ChangeAlarm)
    controls = [PATTERNS[a].control for a in ChangeAlarm]
    assert controls[:14] == [f"CloudWatch.{n}" for n in range(1, 15)]
    assert controls[14] == "CIS 4.15"
    for spec in PATTERNS.values():
        parse(spec.pattern)  # within the evaluator's subset: no ambiguous precedence


def test_the_evaluator_refuses_what_the_documentation_leaves_open() -> None:
    event = record("iam-create-role")
    with pytest.raises(PatternError, match="precedence"):
        matches("{ $.a = 1 && $.b = 2 || $.c = 3 }", event)
    with pytest.raises(PatternError, match="!= on a record without it"):
        matches('{ $.additionalEventData.MFAUsed != "Yes" }', event)
    with pytest.raises(PatternError, match="enclosed"):
        matches("$.eventName = CreateRole", event)
    assert matches("{ $.eventName = Create* }", event)
    assert matches("{ $.errorCode NOT EXISTS }", event)
    assert not matches("{ $.eventName = CreateRol }", event)


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    args: dict[str, Any] = {
        "log_group_name": GROUP,
        "home_region": HOME,
        "notification_topic_arn": TOPIC,
        **kwargs,
    }
    args = {key: value for key, value in args.items() if value is not None}

    def program() -> None:
        ChangeAlarms("alarms", ChangeAlarmsArgs(**args))

    return run_program(program, account_id="111111111111", home_region=HOME)


def test_one_filter_and_alarm_per_pattern_to_the_topic(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "security"})
    filters = {f.inputs["name"]: f for f in plan.of_type(FILTER)}
    alarms = {a.inputs["name"]: a for a in plan.of_type(ALARM)}
    assert sorted(filters) == sorted(f"secbaseline-{a.value}" for a in ChangeAlarm)
    assert sorted(alarms) == sorted(filters)
    for name, metric_filter in filters.items():
        alarm_name = name.removeprefix("secbaseline-")
        assert metric_filter.inputs["pattern"] == PATTERNS[ChangeAlarm(alarm_name)].pattern
        assert metric_filter.inputs["logGroupName"] == GROUP
        assert plan.region_of(metric_filter) == HOME
        transformation = metric_filter.inputs["metricTransformation"]
        alarm = alarms[name]
        # The alarm watches exactly the metric its filter writes.
        assert alarm.inputs["metricName"] == transformation["name"] == name
        assert alarm.inputs["namespace"] == transformation["namespace"] == "SecBaseline/CloudTrail"
        assert transformation["value"] == "1"
        assert alarm.inputs["statistic"] == "Sum"
        assert alarm.inputs["threshold"] == 1
        assert alarm.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm.inputs["treatMissingData"] == "notBreaching"
        assert alarm.inputs["alarmActions"] == [TOPIC]
        assert plan.region_of(alarm) == HOME
        assert alarm.inputs["tags"] == {"team": "security"}
        assert PATTERNS[ChangeAlarm(alarm_name)].control in alarm.inputs["alarmDescription"]


def test_a_subset_of_alarms(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        alarms=[ChangeAlarm.ROOT_USAGE, ChangeAlarm.CLOUDTRAIL_CHANGES],
        metric_namespace="Acme/Trail",
        period_seconds=60,
    )
    assert sorted(a.inputs["name"] for a in plan.of_type(ALARM)) == [
        "secbaseline-cloudtrail-changes",
        "secbaseline-root-usage",
    ]
    for alarm in plan.of_type(ALARM):
        assert alarm.inputs["namespace"] == "Acme/Trail"
        assert alarm.inputs["period"] == 60


def test_without_a_log_group_rules_in_every_region_and_us_east_1(
    run_program: Callable[..., Plan],
) -> None:
    regions = [HOME, "eu-west-1"]
    plan = build(run_program, log_group_name=None, regions=regions, account_id="111111111111")
    assert plan.of_type(FILTER) == [] and plan.of_type(ALARM) == []
    covered = [HOME, "eu-west-1", "us-east-1"]  # global services' events arrive in us-east-1
    rules = plan.of_type(RULE)
    assert len(rules) == len(ChangeAlarm) * len(covered)
    assert {plan.region_of(r) for r in rules} == set(covered)
    for rule in rules:
        alarm = ChangeAlarm(rule.inputs["name"].removeprefix("secbaseline-"))
        assert json.loads(rule.inputs["eventPattern"]) == event_pattern(alarm)
        assert rule.inputs.get("state") == (ALL_EVENTS if PATTERNS[alarm].read_only else None)
        targets = event_routes.targets_of(plan, rule)
        assert len(targets) == 1
        expected = (
            TOPIC
            if plan.region_of(rule) == HOME
            else f"arn:aws:events:{HOME}:111111111111:event-bus/default"
        )
        assert targets[0].inputs["arn"] == expected
    # Every recorded sample reaches the topic from every covered region exactly when it matches.
    for name, hits in EXPECTED.items():
        for region in covered:
            route = event_routes.reaches_topic(plan, as_event(name, region), TOPIC)
            assert bool(route) == bool(hits), (name, region, route)


def test_rules_for_a_subset_in_the_home_region_only(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        log_group_name=None,
        home_region="us-east-1",
        notification_topic_arn="arn:aws:sns:us-east-1:111111111111:t",
        regions=["us-east-1"],
        alarms=["vpc-changes"],
    )
    assert [r.inputs["name"] for r in plan.of_type(RULE)] == ["secbaseline-vpc-changes"]
    assert plan.of_type("aws:iam/role:Role") == []  # nothing to forward


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"log_group_name": "bad group!"}, "log_group_name: 'bad group!' is not a log group"),
        ({"home_region": "mars-1"}, "home_region: unknown AWS region 'mars-1'"),
        ({"notification_topic_arn": "topic"}, "notification_topic_arn: 'topic' is not an ARN"),
        (
            {"notification_topic_arn": "arn:aws:sqs:ap-northeast-1:111111111111:q"},
            "notification_topic_arn: 'arn:aws:sqs:ap-northeast-1:111111111111:q' is not an ARN "
            "of service 'sns'",
        ),
        ({"alarms": ["root-usage", "root-usage"]}, "alarms: an alarm is listed twice"),
        ({"alarms": ["root-use"]}, "alarms[0]: expected 'root-usage'"),
        ({"metric_namespace": "AWS/Logs"}, "metric_namespace: 'AWS/Logs' must be 1-255"),
        ({"period_seconds": 30}, "period_seconds: 30 is out of range 60-86400"),
        ({"name_prefix": "Acme"}, "name_prefix: 'Acme' must be 2-24 characters"),
        ({"log_group_name": None}, "regions: required without log_group_name"),
        ({"regions": ["eu-west-1"]}, "home_region: ap-northeast-1 is not one of the regions"),
        ({"regions": ["mars-1"]}, "regions: unknown AWS region 'mars-1'"),
        ({"account_id": "12"}, "account_id:"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {
        "log_group_name": GROUP,
        "home_region": HOME,
        "notification_topic_arn": TOPIC,
    }
    with pytest.raises(ArgumentError) as err:
        ChangeAlarmsArgs(**{key: v for key, v in {**base, **kwargs}.items() if v is not None})
    assert str(err.value).startswith(message)


def test_config_section_names_its_keys() -> None:
    tier = {"log_group_name": GROUP, "home_region": HOME, "notification_topic_arn": TOPIC}
    args = ChangeAlarmsArgs.from_config(
        "changeAlarms", {"alarms": ["vpc-changes"], "periodSeconds": "600"}, **tier
    )
    assert args.alarms == [ChangeAlarm.VPC_CHANGES] and args.period_seconds == 600
    with pytest.raises(ArgumentError, match=r"^changeAlarms\.alarmz: unknown option"):
        ChangeAlarmsArgs.from_config("changeAlarms", {"alarmz": []}, **tier)
    with pytest.raises(ArgumentError, match=r"^changeAlarms\.metricNamespace: 'AWS/x' must"):
        ChangeAlarmsArgs.from_config("changeAlarms", {"metricNamespace": "AWS/x"}, **tier)
