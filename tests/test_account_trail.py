"""AccountTrail: multi-region, validated, KMS, locked bucket only it can write, encrypted
CloudWatch Logs copy; and where the tiers deploy it (and the change alarms on its log group)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan, RecordedResource
from secbaseline.components import AccountTrail, AccountTrailArgs, ChangeAlarm, DataEvents
from secbaseline.components.secure_bucket import ObjectLock, ObjectLockMode
from tests.tagging import untagged

ACCOUNT = "111111111111"
HOME = "ap-northeast-1"
TRAIL = "aws:cloudtrail/trail:Trail"
GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TRAIL_ARN = f"arn:aws:cloudtrail:{HOME}:{ACCOUNT}:trail/secbaseline-account-trail"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    args: dict[str, Any] = {"home_region": HOME, "account_id": ACCOUNT, **kwargs}

    def program() -> None:
        AccountTrail("trail", AccountTrailArgs(**args))

    return run_program(program, account_id=ACCOUNT, home_region=HOME)


def statements(document: str) -> dict[str, dict[str, Any]]:
    return {s.get("Sid", ""): s for s in json.loads(document)["Statement"]}


def log_bucket(plan: Plan) -> tuple[RecordedResource, dict[str, dict[str, Any]]]:
    bucket = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "trail-logs-bucket")
    policy = next(
        r
        for r in plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.inputs["bucket"] == bucket.id
    )
    return bucket, statements(policy.inputs["policy"])


def test_trail_is_multi_region_validated_encrypted_and_logs_to_cloudwatch(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    trail = plan.one(TRAIL)
    inputs = trail.inputs
    assert inputs["name"] == "secbaseline-account-trail"
    assert inputs["isMultiRegionTrail"] is True
    assert inputs["includeGlobalServiceEvents"] is True
    assert inputs["enableLogFileValidation"] is True
    assert inputs["enableLogging"] is True
    assert "isOrganizationTrail" not in inputs
    assert inputs["eventSelectors"] == [{"readWriteType": "All", "includeManagementEvents": True}]
    assert "insightSelectors" not in inputs
    assert trail.outputs["arn"] == TRAIL_ARN  # the ARN the policies name up front
    bucket, _ = log_bucket(plan)
    assert inputs["s3BucketName"] == bucket.outputs["bucket"]
    trail_key = next(k for k in plan.of_type(KEY) if k.name == "trail-logs-key")
    assert inputs["kmsKeyId"] == trail_key.outputs["arn"]
    group = plan.one(GROUP)
    assert group.inputs["name"] == "/aws/cloudtrail/secbaseline-account-trail"
    assert group.inputs["retentionInDays"] == 365
    assert inputs["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*"
    role = plan.one("aws:iam/role:Role")
    assert inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    permissions = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert permissions["Statement"] == [
        {
            "Sid": "DeliverTrailEvents",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{group.outputs['arn']}:log-stream:*",
        }
    ]


def test_log_group_has_its_own_customer_key(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    group = plan.one(GROUP)
    logs_key = next(k for k in plan.of_type(KEY) if k.name == "trail-log-group-key")
    assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
    assert logs_key.inputs["enableKeyRotation"] is True
    grant = statements(logs_key.inputs["policy"])["AllowCloudWatchLogs"]
    assert grant["Principal"] == {"Service": f"logs.{HOME}.amazonaws.com"}
    assert grant["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:*"
        }
    }


def test_bucket_is_locked_tls_only_and_only_this_trail_writes(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 365}
    bucket, sids = log_bucket(plan)
    assert bucket.inputs["objectLockEnabled"] is True
    arn = bucket.outputs["arn"]
    assert sids["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    acl = sids["AWSCloudTrailAclCheck"]
    assert acl["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert (acl["Action"], acl["Resource"]) == ("s3:GetBucketAcl", arn)
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    write = sids["AWSCloudTrailWrite"]
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == [f"{arn}/AWSLogs/{ACCOUNT}/*"]
    assert write["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN}
    }
    # Nothing else may write or read by bucket policy: the account's IAM decides readers.
    assert set(sids) == {"DenyInsecureTransport", "AWSCloudTrailAclCheck", "AWSCloudTrailWrite"}
    key = next(k for k in plan.of_type(KEY) if k.name == "trail-logs-key")
    key_sids = statements(key.inputs["policy"])
    encrypt = key_sids["AllowCloudTrailEncrypt"]
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN},
        "StringLike": {
            "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
        },
    }
    assert key_sids["AllowCloudTrailDescribeKey"]["Action"] == "kms:DescribeKey"


def test_data_events_insights_and_opt_outs(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        data_events=[DataEvents.S3, DataEvents.LAMBDA],
        insights=True,
        cloudwatch_logs=False,
        object_lock=ObjectLock(mode=ObjectLockMode.COMPLIANCE, days=2555),
    )
    trail = plan.one(TRAIL).inputs
    assert trail["eventSelectors"] == [
        {
            "readWriteType": "All",
            "includeManagementEvents": True,
            "dataResources": [
                {"type": "AWS::S3::Object", "values": ["arn:aws:s3"]},
                {"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]},
            ],
        }
    ]
    assert trail["insightSelectors"] == [
        {"insightType": "ApiCallRateInsight"},
        {"insightType": "ApiErrorRateInsight"},
    ]
    assert "cloudWatchLogsGroupArn" not in trail
    assert plan.of_type(GROUP) == []
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 2555}
    unlocked = build(run_program, object_lock=None)
    assert (
        unlocked.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []
    )


def test_given_key_creates_no_bucket_key(run_program: Callable[..., Plan]) -> None:
    key_arn = f"arn:aws:kms:{HOME}:{ACCOUNT}:key/abc"
    plan = build(run_program, kms_key_arn=key_arn)
    assert plan.one(TRAIL).inputs["kmsKeyId"] == key_arn
    assert [k.name for k in plan.of_type(KEY)] == ["trail-log-group-key"]


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "security"})
    assert untagged(plan, {"team": "security"}) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"home_region": "mars-1"}, "home_region: unknown AWS region 'mars-1'"),
        ({"account_id": "12"}, "account_id: '12' is not a 12-digit"),
        ({"kms_key_arn": "key"}, "kms_key_arn: 'key' is not an ARN"),
        ({"cloudwatch_logs_retention_days": 100}, "cloudwatch_logs_retention_days: 100 is not"),
        ({"data_events": ["s3", "s3"]}, "data_events: a kind is listed twice"),
        ({"data_events": ["dynamodb"]}, "data_events[0]: expected 's3' or 'lambda'"),
        ({"object_lock": {"days": 0}}, "object_lock.days: 0 is out of range 1-36500"),
        ({"name_prefix": "Acme"}, "name_prefix: 'Acme' must be 2-24 characters"),
        ({"insight": True}, "insight: unknown option; did you mean 'insights'?"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        AccountTrailArgs(**{"home_region": HOME, **kwargs})
    assert str(err.value).startswith(message)


# --- where the tiers deploy it ------------------------------------------------------------


def test_default_intermediate_plan_has_the_trail_and_the_alarms(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(tier="intermediate")
    trail = plan.one(TRAIL)
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["kmsKeyId"].startswith(f"arn:aws:kms:{HOME}:")
    group = next(g for g in plan.of_type(GROUP) if g.name == "account-trail-log-group")
    assert group.inputs["kmsKeyId"].startswith(f"arn:aws:kms:{HOME}:")
    filters = plan.of_type(FILTER)
    assert len(filters) == len(ChangeAlarm)
    assert {f.inputs["logGroupName"] for f in filters} == {group.outputs["name"]}
    topic = next(
        t for t in plan.of_type("aws:sns/topic:Topic") if t.name == "security-notifications-topic"
    )
    alarms = [a for a in plan.of_type(ALARM) if a.name.startswith("change-alarms-")]
    assert len(alarms) == len(ChangeAlarm)
    assert {tuple(a.inputs["alarmActions"]) for a in alarms} == {(topic.outputs["arn"],)}


def test_beginner_has_no_trail_unless_switched_on(plan_tier: Callable[..., Plan]) -> None:
    assert plan_tier(tier="beginner").of_type(TRAIL) == []
    plan = plan_tier(tier="beginner", accountTrail={"enabled": True, "insights": True})
    assert plan.one(TRAIL).inputs["insightSelectors"]
    assert plan.of_type(FILTER) == []  # no notifications topic in the beginner tier


def test_organization_accounts_are_left_to_the_organization_trail(
    plan_tier: Callable[..., Plan],
) -> None:
    member = plan_tier(tier="advanced", role="member")
    assert member.of_type(TRAIL) == []
    assert member.of_type(FILTER) == []
    management = plan_tier(tier="advanced", role="management")
    assert [t.inputs.get("isOrganizationTrail") for t in management.of_type(TRAIL)] == [True]
    assert plan_tier(tier="intermediate", controlTower=True).of_type(TRAIL) == []


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"tier": "intermediate"}, True),
        ({"tier": "advanced", "role": "management"}, False),
        ({"tier": "beginner"}, False),
        # The run order deploys the security account at intermediate first: an account trail
        # there would be deleted (with its locked bucket) when the account moves to advanced.
        ({"tier": "intermediate", "role": "security"}, False),
        ({"tier": "intermediate", "role": "member"}, False),
        ({"tier": "intermediate", "controlTower": True}, False),
    ],
)
def test_trail_default_per_tier_and_role(config: dict[str, Any], expected: bool) -> None:
    from secbaseline.baseline.settings import settings_from_config
    from secbaseline.stacks.parts.trail import trail_by_default
    from tests.conftest import BASE_CONFIG, ORG_CONFIG

    merged = {**BASE_CONFIG, **config}
    if "role" in config:
        merged = {**ORG_CONFIG, **merged}
    merged.pop("guardrails", None)
    assert trail_by_default(settings_from_config(merged)) is expected


def test_section_switches_and_refuses_tier_keys(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(
        tier="intermediate",
        accountTrail={"cloudwatchLogs": False},
    )
    assert "cloudWatchLogsGroupArn" not in plan.one(TRAIL).inputs
    assert plan.of_type(FILTER) == []  # no log group: no metric filters
    off = plan_tier(tier="intermediate", changeAlarms={"enabled": False})
    assert off.of_type(TRAIL) and off.of_type(FILTER) == []
    from secbaseline.baseline.engine import OfflineEngineError

    for section, message in (
        ({"accountTrail": {"homeRegion": "us-east-1"}}, "accountTrail.homeRegion: set by the tier"),
        ({"changeAlarms": {"logGroupName": "x"}}, "changeAlarms.logGroupName: set by the tier"),
    ):
        with pytest.raises((ValueError, OfflineEngineError)) as err:
            plan_tier(tier="intermediate", **section)
        assert message in str(err.value)


def test_member_may_switch_the_trail_on(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="advanced", role="member", accountTrail={"enabled": True})
    assert plan.one(TRAIL).inputs["name"] == "secbaseline-account-trail"
    assert len(plan.of_type(FILTER)) == len(ChangeAlarm)


def test_management_alarms_watch_the_organization_trail(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="advanced", role="management", organizationTrail={"cloudwatchLogs": True})
    group = next(g for g in plan.of_type(GROUP) if g.name == "organization-trail-log-group")
    assert group.inputs["kmsKeyId"].startswith(f"arn:aws:kms:{HOME}:")
    filters = plan.of_type(FILTER)
    assert len(filters) == len(ChangeAlarm)
    assert {f.inputs["logGroupName"] for f in filters} == {group.outputs["name"]}
    assert all(f.name.startswith("organization-change-alarms-") for f in filters)


# --- without a log group: EventBridge rules ---------------------------------------------------

RULE = "aws:cloudwatch/eventRule:EventRule"
REGIONS = {"ap-northeast-1", "us-east-1", "eu-west-1"}  # BASE_CONFIG's detection regions


def change_rules(plan: Plan, prefix: str = "change-alarms-") -> list[RecordedResource]:
    return [r for r in plan.of_type(RULE) if r.name.startswith(prefix)]


def assert_rules_everywhere(plan: Plan, prefix: str) -> None:
    rules = change_rules(plan, prefix)
    assert len(rules) == len(ChangeAlarm) * len(REGIONS)
    for region in REGIONS:
        names = {r.inputs["name"] for r in rules if plan.region_of(r) == region}
        assert names == {f"secbaseline-{a.value}" for a in ChangeAlarm}, region
    topic = next(
        t for t in plan.of_type("aws:sns/topic:Topic") if t.name == "security-notifications-topic"
    )
    home_targets = [
        t
        for t in plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.name.startswith(prefix) and plan.region_of(t) == HOME
    ]
    assert {t.inputs["arn"] for t in home_targets} == {topic.outputs["arn"]}
    assert len(home_targets) == len(ChangeAlarm)


def test_trail_without_log_group_gets_rules_in_every_region(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="intermediate", accountTrail={"cloudwatchLogs": False})
    assert plan.of_type(FILTER) == []
    assert not [a for a in plan.of_type(ALARM) if a.name.startswith("change-alarms-")]
    assert_rules_everywhere(plan, "change-alarms-")
    # Default: the log group's metric filters, and no such rules.
    assert change_rules(plan_tier(tier="intermediate")) == []
    off = plan_tier(
        tier="intermediate", accountTrail={"cloudwatchLogs": False}, changeAlarms={"enabled": False}
    )
    assert change_rules(off) == []


@pytest.mark.parametrize("role", ["member", "security"])
def test_advanced_member_and_security_accounts_get_rules(
    plan_tier: Callable[..., Plan], role: str
) -> None:
    plan = plan_tier(tier="advanced", role=role)
    assert plan.of_type(FILTER) == []
    assert_rules_everywhere(plan, "change-alarms-")
    # At intermediate (no organization-wide baseline yet) they stay as before.
    assert change_rules(plan_tier(tier="intermediate", role=role)) == []


def test_management_without_organization_trail_logs_gets_rules(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(tier="advanced", role="management")
    assert plan.of_type(FILTER) == []
    assert_rules_everywhere(plan, "organization-change-alarms-")
    with_logs = plan_tier(
        tier="advanced", role="management", organizationTrail={"cloudwatchLogs": True}
    )
    assert change_rules(with_logs, "organization-change-alarms-") == []
    # An account trail without a log group there already made the rules: not twice.
    both = plan_tier(
        tier="advanced",
        role="management",
        accountTrail={"enabled": True, "cloudwatchLogs": False},
    )
    assert change_rules(both, "organization-change-alarms-") == []
    assert_rules_everywhere(both, "change-alarms-")
