"""IncidentResponse (S-22, S-23): the isolation function's wiring, least privilege and alarms."""

import importlib
import inspect
import json
import keyword
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pulumi_aws as aws
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.drill import (
    build_scenario,
    fake_aws_environment,
    finding_for,
    handler_env,
)
from secbaseline.baseline.engine import OfflineEngineError, Plan, RecordedResource
from secbaseline.baseline.schema import package_schema
from secbaseline.components import IncidentResponse, IncidentResponseArgs, IsolationRuntime
from secbaseline.components.incident_response import LAMBDA_HANDLER, event_pattern, lambda_files
from secbaseline.components.lambdas.ec2_isolation.handler import handle
from secbaseline.components.lambdas.ec2_isolation.parse import (
    DEFAULT_TYPE_PREFIXES,
    config_from_env,
)

ACCOUNT = "111111111111"
HOME = "ap-northeast-1"
REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")
TOPIC = f"arn:aws:sns:{HOME}:{ACCOUNT}:secbaseline-notifications"
HOME_BUS = f"arn:aws:events:{HOME}:{ACCOUNT}:event-bus/default"
KEY = f"arn:aws:kms:{HOME}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    args: dict[str, Any] = {
        "home_region": HOME,
        "regions": REGIONS,
        "account_id": ACCOUNT,
        "notification_topic_arn": TOPIC,
        **kwargs,
    }

    def program() -> None:
        IncidentResponse("ir", IncidentResponseArgs(**args))

    return run_program(program, account_id=ACCOUNT, home_region=HOME)


def named(plan: Plan, type_token: str, name: str) -> RecordedResource:
    return next(r for r in plan.of_type(type_token) if r.name == name)


def handler_statements(plan: Plan) -> list[dict[str, Any]]:
    policy = named(plan, "aws:iam/rolePolicy:RolePolicy", "ir-policy")
    return json.loads(policy.inputs["policy"])["Statement"]  # type: ignore[no-any-return]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_function_settings(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    fn = plan.one("aws:lambda/function:Function")
    assert fn.inputs["runtime"] == "python3.13"
    assert fn.inputs["handler"] == LAMBDA_HANDLER == "ec2_isolation.handler.handler"
    assert fn.inputs["tracingConfig"] == {"mode": "Active"}
    assert fn.inputs["reservedConcurrentExecutions"] == 1
    assert fn.inputs["region"] == HOME
    dlq = plan.one("aws:sqs/queue:Queue")
    assert fn.inputs["deadLetterConfig"] == {"targetArn": dlq.outputs["arn"]}
    key = named(plan, "aws:kms/key:Key", "ir-key")
    assert dlq.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    key_statements = {st["Sid"]: st for st in json.loads(key.inputs["policy"])["Statement"]}
    assert sorted(key_statements) == [
        "AllowCloudWatchLogs",
        "AllowEventBridgeToDeadLetterQueue",
        "EnableAccountIamPolicies",
    ]
    assert key_statements["AllowCloudWatchLogs"]["Principal"] == {
        "Service": f"logs.{HOME}.amazonaws.com"
    }
    assert key_statements["AllowCloudWatchLogs"]["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:*"
        }
    }
    logs = plan.one("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["retentionInDays"] == 365
    assert logs.inputs["kmsKeyId"] == key.outputs["arn"]
    assert fn.inputs["loggingConfig"]["logGroup"] == logs.outputs["name"]
    env = fn.inputs["environment"]["variables"]
    profile = plan.one("aws:iam/instanceProfile:InstanceProfile")
    bucket = named(plan, "aws:s3/bucket:Bucket", "ir-evidence-bucket")
    assert env == {
        "MIN_SEVERITY": "7.0",
        "FINDING_TYPE_PREFIXES": ",".join(DEFAULT_TYPE_PREFIXES),
        "EXEMPT_TAG": "secbaseline:isolation-exempt",
        "DRY_RUN": "false",
        "FAIL_ON_ERROR": "true",
        "EVIDENCE_BUCKET": bucket.outputs["bucket"],
        "NOTIFICATION_TOPIC_ARN": TOPIC,
        "QUARANTINE_PROFILE_ARN": profile.outputs["arn"],
    }
    assets = fn.inputs["code"]["assets"]
    assert sorted(assets) == sorted(lambda_files())
    assert "ec2_isolation/handler.py" in assets and not any("__pycache__" in p for p in assets)
    component = plan.one("secbaseline:index:IncidentResponse")
    assert fn.parent == component.urn


def test_dlq_policy_is_tls_only_and_lets_only_the_rule_deliver(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    statements = json.loads(plan.one("aws:sqs/queuePolicy:QueuePolicy").inputs["policy"])[
        "Statement"
    ]
    assert statements[0]["Effect"] == "Deny"
    assert statements[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    home_rule = named(plan, "aws:cloudwatch/eventRule:EventRule", f"ir-findings-{HOME}")
    assert statements[1]["Principal"] == {"Service": "events.amazonaws.com"}
    assert statements[1]["Condition"] == {"ArnEquals": {"aws:SourceArn": home_rule.outputs["arn"]}}


def test_handler_role_is_least_privilege(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    statements = handler_statements(plan)
    actions = [a for s in statements for a in as_list(s["Action"])]
    assert all(s["Effect"] == "Allow" for s in statements)
    assert not any(a == "*" or a.endswith(":*") for a in actions)
    for statement in statements:
        resources = as_list(statement["Resource"])
        mutating = [
            a
            for a in as_list(statement["Action"])
            if a.split(":")[0] in {"ec2", "autoscaling", "elasticloadbalancing"}
            and not a.split(":")[1].startswith("Describe")
        ]
        if mutating:
            assert "*" not in resources, statement["Sid"]
            assert all(
                r.startswith(
                    ("arn:aws:ec2:", "arn:aws:autoscaling:", "arn:aws:elasticloadbalancing:")
                )
                for r in resources
            )
            assert statement["Condition"]["StringEquals"]["aws:RequestedRegion"] == sorted(REGIONS)
        if "*" in resources:
            # Only actions AWS cannot scope: Describe*, X-Ray, and KMS through SNS.
            assert statement["Sid"] in {"ReadInstanceState", "Tracing", "NotifyEncryptedTopic"}, (
                statement["Sid"]
            )
    by_sid = {s["Sid"]: s for s in statements}
    assert all(
        a.split(":")[1].startswith("Describe") for a in by_sid["ReadInstanceState"]["Action"]
    )
    assert by_sid["NotifyEncryptedTopic"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"sns.{HOME}.amazonaws.com"}
    }
    # Security-group changes only with our isolation groups.
    for sid in ("OnlyIntoIsolationGroups", "SetIsolationGroupRules"):
        assert by_sid[sid]["Condition"]["StringEquals"]["aws:ResourceTag/secbaseline:purpose"] == [
            "isolation",
            "isolation-transit",
        ]
    assert by_sid["CreateIsolationGroups"]["Condition"]["StringEquals"][
        "aws:RequestTag/secbaseline:purpose"
    ] == [
        "isolation",
        "isolation-transit",
    ]
    assert by_sid["RecordIsolationTags"]["Condition"]["ForAllValues:StringLike"] == {
        "aws:TagKeys": ["secbaseline:isolation-*"]
    }
    assert by_sid["ProtectAndReassignInstance"]["Resource"] == [
        f"arn:aws:ec2:*:{ACCOUNT}:instance/*",
        f"arn:aws:ec2:*:{ACCOUNT}:network-interface/*",
    ]
    quarantine_role = named(plan, "aws:iam/role:Role", "ir-quarantine-role")
    assert by_sid["PassQuarantineRole"]["Resource"] == quarantine_role.outputs["arn"]
    assert by_sid["PassQuarantineRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}
    }
    bucket = named(plan, "aws:s3/bucket:Bucket", "ir-evidence-bucket")
    assert by_sid["WriteEvidence"] == {
        "Sid": "WriteEvidence",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"{bucket.outputs['arn']}/isolation/*",
    }
    assert by_sid["Notify"]["Resource"] == TOPIC
    logs = plan.one("aws:cloudwatch/logGroup:LogGroup")
    assert by_sid["WriteLogs"]["Resource"] == f"{logs.outputs['arn']}:*"
    trust = json.loads(named(plan, "aws:iam/role:Role", "ir-role").inputs["assumeRolePolicy"])[
        "Statement"
    ][0]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_every_call_the_handler_makes_is_allowed_by_the_policy(
    run_program: Callable[..., Plan],
) -> None:
    """Run the real handler in moto through every branch (standby, and the detach and
    suspend fallbacks) and check that each operation it called is an action of the role."""
    plan = build(run_program)
    allowed = {a for s in handler_statements(plan) for a in as_list(s["Action"])}
    prefix = {"elbv2": "elasticloadbalancing"}
    called: set[str] = set()
    for refuse in ((), ("EnterStandby",), ("EnterStandby", "DetachInstances")):
        with fake_aws_environment(), mock_aws():  # a fresh moto account per branch
            scenario = build_scenario()
            refusals = set(refuse)

            def factory(service: str, region: str | None, refusals: set[str] = refusals) -> Any:
                client = boto3.client(service, region_name=region or "us-east-1")  # type: ignore[call-overload]

                def before(model: Any, **_: Any) -> None:
                    called.add(f"{prefix.get(service, service)}:{model.name}")
                    if model.name in refusals:
                        refusals.discard(model.name)
                        raise ClientError(
                            {"Error": {"Code": "ValidationError", "Message": "no"}}, model.name
                        )

                client.meta.events.register("before-call.*.*", before)
                return client

            outcome = handle(
                finding_for(scenario.instance_id, scenario.region),
                config_from_env(handler_env(scenario)),
                factory,
            )
            assert outcome["status"] == "isolated"
    assert {
        "autoscaling:EnterStandby",
        "autoscaling:DetachInstances",
        "autoscaling:SuspendProcesses",
    } <= called
    assert called - allowed == set()


def test_rules_route_every_region_to_the_function(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    fn = plan.one("aws:lambda/function:Function")
    rules = {plan.region_of(r): r for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert sorted(rules) == sorted(REGIONS)
    expected = event_pattern(7.0, DEFAULT_TYPE_PREFIXES)
    for rule in rules.values():
        pattern = json.loads(rule.inputs["eventPattern"])
        assert pattern == expected
        assert pattern["detail"]["resource"] == {"resourceType": ["Instance"]}
        assert pattern["detail"]["severity"] == [{"numeric": [">=", 7.0]}]
    targets = {plan.region_of(t): t for t in plan.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    assert sorted(targets) == sorted(REGIONS)
    home = targets[HOME]
    assert home.inputs["arn"] == fn.outputs["arn"]
    assert home.inputs["rule"] == rules[HOME].outputs["name"]
    assert home.inputs["deadLetterConfig"]["arn"] == plan.one("aws:sqs/queue:Queue").outputs["arn"]
    permission = plan.one("aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["sourceArn"] == rules[HOME].outputs["arn"]
    forward_role = named(plan, "aws:iam/role:Role", "ir-forward-role")
    for region in REGIONS:
        if region == HOME:
            continue
        # A rule can target a Lambda only in its own region: other regions forward to the home bus.
        assert targets[region].inputs["arn"] == HOME_BUS
        assert targets[region].inputs["roleArn"] == forward_role.outputs["arn"]
        assert targets[region].inputs["rule"] == rules[region].outputs["name"]
    forward = json.loads(
        named(plan, "aws:iam/rolePolicy:RolePolicy", "ir-forward-policy").inputs["policy"]
    )
    assert forward["Statement"] == [
        {
            "Sid": "PutEventsOnHomeBusOnly",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": HOME_BUS,
        }
    ]
    trust = json.loads(forward_role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}


def test_single_region_needs_no_forwarding(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, regions=(HOME,))
    assert len(plan.of_type("aws:cloudwatch/eventRule:EventRule")) == 1
    assert not any(r.name == "ir-forward-role" for r in plan.of_type("aws:iam/role:Role"))


def test_alarms_on_errors_throttles_and_dlq_depth(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    alarms = {a.name: a for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert sorted(alarms) == ["ir-alarm-dlq", "ir-alarm-errors", "ir-alarm-throttles"]
    fn = plan.one("aws:lambda/function:Function")
    errors = alarms["ir-alarm-errors"].inputs
    assert (errors["namespace"], errors["metricName"], errors["statistic"]) == (
        "AWS/Lambda",
        "Errors",
        "Sum",
    )
    assert errors["dimensions"] == {"FunctionName": fn.outputs["name"]}
    dlq = alarms["ir-alarm-dlq"].inputs
    assert (dlq["namespace"], dlq["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert dlq["dimensions"] == {"QueueName": plan.one("aws:sqs/queue:Queue").outputs["name"]}
    for alarm in alarms.values():
        assert alarm.inputs["alarmActions"] == [TOPIC]
        assert alarm.inputs["threshold"] == 0
        assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
    without_topic = build(run_program, notification_topic_arn=None)
    for alarm in without_topic.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert alarm.inputs.get("alarmActions", []) == []
    statements = handler_statements(without_topic)
    assert not any(s["Sid"].startswith("Notify") for s in statements)
    env = without_topic.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert "NOTIFICATION_TOPIC_ARN" not in env


def test_quarantine_profile_denies_everything(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    policy = json.loads(
        named(plan, "aws:iam/rolePolicy:RolePolicy", "ir-quarantine-deny-all").inputs["policy"]
    )
    assert policy["Statement"] == [
        {"Sid": "DenyEverything", "Effect": "Deny", "Action": "*", "Resource": "*"}
    ]
    role = named(plan, "aws:iam/role:Role", "ir-quarantine-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }
    assert (
        plan.one("aws:iam/instanceProfile:InstanceProfile").inputs["role"] == role.outputs["name"]
    )


def test_options(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        quarantine_profile=False,
        evidence_bucket=False,
        dry_run=True,
        min_severity=8.0,
        finding_type_prefixes=("Backdoor:EC2/",),
        exempt_tag="forensics",
        log_retention_days=90,
        reserved_concurrency=2,
        runtime="python3.12",
    )
    assert plan.of_type("aws:iam/instanceProfile:InstanceProfile") == []
    assert plan.of_type("secbaseline:index:SecureBucket") == []
    fn = plan.one("aws:lambda/function:Function")
    env = fn.inputs["environment"]["variables"]
    assert (
        env["DRY_RUN"] == "true"
        and env["MIN_SEVERITY"] == "8.0"
        and env["EXEMPT_TAG"] == "forensics"
    )
    assert env["FINDING_TYPE_PREFIXES"] == "Backdoor:EC2/"
    assert "QUARANTINE_PROFILE_ARN" not in env and "EVIDENCE_BUCKET" not in env
    assert fn.inputs["runtime"] == "python3.12" and fn.inputs["reservedConcurrentExecutions"] == 2
    assert plan.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 90
    sids = {s["Sid"] for s in handler_statements(plan)}
    assert not sids & {"PassQuarantineRole", "WriteEvidence", "EncryptEvidence"}
    rule = json.loads(plan.of_type("aws:cloudwatch/eventRule:EventRule")[0].inputs["eventPattern"])
    assert rule["detail"]["type"] == [{"prefix": "Backdoor:EC2/"}]
    assert rule["detail"]["severity"] == [{"numeric": [">=", 8.0]}]


def test_evidence_object_lock(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, evidence_object_lock_days=90)
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 90}


def test_evidence_is_locked_by_default_under_the_baseline_prefix(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 365}
    bucket = next(
        b for b in plan.of_type("aws:s3/bucket:Bucket") if b.inputs.get("objectLockEnabled")
    )
    assert bucket.inputs["bucketPrefix"] == "secbaseline-evidence-"
    assert bucket.outputs["bucket"].startswith("secbaseline-evidence-")
    # Opt-out: no lock (the bucket itself stays).
    unlocked = build(run_program, evidence_object_lock_days=None)
    assert not unlocked.of_type(
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
    )
    assert unlocked.of_type("aws:s3/bucket:Bucket")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"home_region": "mars-1"}, "home_region: unknown AWS region 'mars-1'"),
        ({"regions": ("eu-west-1",)}, "regions: must include the home region 'ap-northeast-1'"),
        ({"regions": ()}, "regions: must name at least one region"),
        ({"regions": (HOME, HOME)}, "regions: region 'ap-northeast-1' is listed twice"),
        ({"account_id": "123"}, "account_id: '123' is not a 12-digit AWS account id"),
        (
            {"notification_topic_arn": "arn:aws:sqs:ap-northeast-1:111111111111:q"},
            "notification_topic_arn: 'arn:aws:sqs:ap-northeast-1:111111111111:q' is not an ARN "
            "of service 'sns'",
        ),
        ({"kms_key_arn": "key-1"}, "kms_key_arn: 'key-1' is not an ARN"),
        ({"min_severity": 0.5}, "min_severity: 0.5 is out of range 1-10"),
        ({"min_severity": 10.5}, "min_severity: 10.5 is out of range 1-10"),
        ({"finding_type_prefixes": ()}, "finding_type_prefixes: name at least one"),
        (
            {"finding_type_prefixes": ("Backdoor",)},
            "finding_type_prefixes[0]: 'Backdoor' is not a finding type prefix",
        ),
        (
            {"finding_type_prefixes": "Backdoor:EC2/"},
            "finding_type_prefixes: 'str' instances are not allowed as a Sequence value",
        ),
        ({"exempt_tag": ""}, "exempt_tag: expected a tag key of 1-128 characters"),
        ({"evidence_object_lock_days": 0}, "evidence_object_lock_days: 0 is out of range 1-36500"),
        ({"log_retention_days": 42}, "log_retention_days: 42 is not a CloudWatch Logs retention"),
        ({"reserved_concurrency": 0}, "reserved_concurrency: 0 is out of range 1-100"),
        ({"timeout_seconds": 1000}, "timeout_seconds: 1000 is out of range 30-900"),
        (
            {"runtime": "python3.9"},
            "runtime: expected 'python3.12' or 'python3.13', got 'python3.9'",
        ),
        ({"dry_run": "maybe"}, "dry_run: expected a valid boolean"),
        ({"name_prefix": "Bad_Prefix"}, "name_prefix: 'Bad_Prefix' must be 2-24 characters"),
        ({"tags": {"aws:owner": "x"}}, "tags: tag key 'aws:owner' must be 1-128 characters"),
        ({"isolate": True}, "isolate: unknown option"),
    ],
)
def test_validation_names_the_argument(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"home_region": HOME, "regions": REGIONS, **kwargs}
    with pytest.raises(ArgumentError) as err:
        IncidentResponseArgs(**args)
    assert str(err.value).startswith(message)
    assert "object at 0x" not in str(err.value)


def test_from_config() -> None:
    args = IncidentResponseArgs.from_config(
        "incidentResponse",
        {
            "minSeverity": 8,
            "dryRun": True,
            "findingTypePrefixes": ["Trojan:EC2/"],
            "evidenceObjectLockDays": "30",
            "runtime": "python3.12",
            "kmsKeyArn": KEY,
        },
        home_region=HOME,
        regions=REGIONS,
    )
    assert (args.min_severity, args.dry_run, tuple(args.finding_type_prefixes)) == (
        8,
        True,
        ("Trojan:EC2/",),
    )
    assert args.evidence_object_lock_days == 30
    assert args.runtime is IsolationRuntime.PYTHON_3_12
    assert args.kms_key_arn == KEY
    defaults = IncidentResponseArgs.from_config(
        "incidentResponse", {}, home_region=HOME, regions=REGIONS
    )
    assert defaults == IncidentResponseArgs(home_region=HOME, regions=REGIONS)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"isolate": True}, "incidentResponse.isolate: unknown option; allowed: "),
        ({"dryrun": True}, "incidentResponse.dryrun: unknown option; did you mean 'dryRun'?"),
        (
            {"findingTypePrefixes": "Trojan:EC2/"},
            "incidentResponse.findingTypePrefixes: 'str' instances are not allowed",
        ),
        (
            {"findingTypePrefixes": ["Trojan"]},
            "incidentResponse.findingTypePrefixes[0]: 'Trojan' is not a finding type prefix",
        ),
        ({"minSeverity": 11}, "incidentResponse.minSeverity: 11 is out of range 1-10"),
        ({"minSeverity": "high"}, "incidentResponse.minSeverity: expected a valid number"),
        (
            {"logRetentionDays": 42},
            "incidentResponse.logRetentionDays: 42 is not a CloudWatch Logs retention",
        ),
        ({"reservedConcurrency": 101}, "incidentResponse.reservedConcurrency: 101 is out of range"),
        ({"timeoutSeconds": 10}, "incidentResponse.timeoutSeconds: 10 is out of range 30-900"),
        ({"runtime": "python3.9"}, "incidentResponse.runtime: expected 'python3.12' or"),
        ({"exemptTag": ""}, "incidentResponse.exemptTag: expected a tag key"),
        ({"kmsKeyArn": "arn:aws:s3:::b"}, "incidentResponse.kmsKeyArn: 'arn:aws:s3:::b' is not an"),
        ({"dryRun": "maybe"}, "incidentResponse.dryRun: expected a valid boolean"),
        ([], "incidentResponse: expected a mapping of options, got a list"),
    ],
)
def test_bad_config_names_the_config_key(section: Any, message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        IncidentResponseArgs.from_config(
            "incidentResponse", section, home_region=HOME, regions=REGIONS
        )
    assert str(err.value).startswith(message)


def taggable(type_token: str) -> bool:
    """Whether the pulumi-aws resource of this type takes ``tags``."""
    _, middle, cls = type_token.split(":")
    module = middle.split("/")[0]
    mod = importlib.import_module(
        f"pulumi_aws.{module}_" if keyword.iskeyword(module) else f"pulumi_aws.{module}"
    )
    return "tags" in inspect.signature(getattr(mod, cls)._internal_init).parameters


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    tags = {"team": "security", "cost-centre": "42"}
    plan = build(run_program, tags=tags, evidence_object_lock_days=30)
    aws_resources = [r for r in plan.custom_resources() if r.type.startswith("aws:")]
    tagged = [r for r in aws_resources if taggable(r.type)]
    assert {r.type for r in tagged} >= {
        "aws:kms/key:Key",
        "aws:sqs/queue:Queue",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:lambda/function:Function",
        "aws:iam/role:Role",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:s3/bucket:Bucket",
    }
    for resource in tagged:
        assert resource.inputs.get("tags") == tags, resource.urn


def test_a_given_key_replaces_every_created_key(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, kms_key_arn=KEY)
    assert plan.of_type("aws:kms/key:Key") == []
    assert plan.one("aws:sqs/queue:Queue").inputs["kmsMasterKeyId"] == KEY
    assert plan.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == KEY
    sse = named(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "ir-evidence-encryption",
    )
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == KEY
    by_sid = {s["Sid"]: s for s in handler_statements(plan)}
    assert by_sid["DeadLetterQueueKey"]["Resource"] == KEY
    assert by_sid["EncryptEvidence"]["Resource"] == KEY


def test_resources_built_in_the_same_program_are_wired_in(
    run_program: Callable[..., Plan],
) -> None:
    def program() -> None:
        topic = aws.sns.Topic("alerts", region=HOME)
        key = aws.kms.Key("ir-own-key", region=HOME)
        IncidentResponse(
            "ir",
            IncidentResponseArgs(
                home_region=HOME,
                regions=REGIONS,
                account_id=ACCOUNT,
                notification_topic_arn=topic.arn,
                kms_key_arn=key.arn,
            ),
        )

    plan = run_program(program, account_id=ACCOUNT, home_region=HOME)
    topic_arn = plan.one("aws:sns/topic:Topic").outputs["arn"]
    (key,) = plan.of_type("aws:kms/key:Key")  # only the program's own key
    key_arn = key.outputs["arn"]
    fn = plan.one("aws:lambda/function:Function")
    assert fn.inputs["environment"]["variables"]["NOTIFICATION_TOPIC_ARN"] == topic_arn
    assert plan.one("aws:sqs/queue:Queue").inputs["kmsMasterKeyId"] == key_arn
    assert plan.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == key_arn
    by_sid = {s["Sid"]: s for s in handler_statements(plan)}
    assert by_sid["Notify"]["Resource"] == topic_arn
    for alarm in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert alarm.inputs["alarmActions"] == [topic_arn]


def test_bad_outputs_fail_naming_the_argument(run_program: Callable[..., Plan]) -> None:
    def wrong_topic() -> None:
        queue = aws.sqs.Queue("not-a-topic", region=HOME)
        IncidentResponse(
            "ir",
            IncidentResponseArgs(
                home_region=HOME, regions=REGIONS, notification_topic_arn=queue.arn
            ),
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(wrong_topic, account_id=ACCOUNT, home_region=HOME)
    assert "notification_topic_arn: 'arn:aws:sqs:" in str(err.value)
    assert "is not an ARN of service 'sns'" in str(err.value)

    def wrong_key() -> None:
        topic = aws.sns.Topic("not-a-key", region=HOME)
        IncidentResponse(
            "ir", IncidentResponseArgs(home_region=HOME, regions=REGIONS, kms_key_arn=topic.arn)
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(wrong_key, account_id=ACCOUNT, home_region=HOME)
    assert "kms_key_arn: 'arn:aws:sns:" in str(err.value)


def test_coerce_takes_a_mapping(run_program: Callable[..., Plan]) -> None:
    """The component provider (other Pulumi languages) passes the arguments as a mapping."""
    plan = run_program(
        lambda: IncidentResponse(
            "ir",
            {"home_region": HOME, "regions": [HOME], "runtime": "python3.12"},  # type: ignore[arg-type]
        ),
        account_id=ACCOUNT,
        home_region=HOME,
    )
    assert plan.one("aws:lambda/function:Function").inputs["runtime"] == "python3.12"


def test_intermediate_tier_deploys_it_and_config_opts_out(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="intermediate")
    component = plan.one("secbaseline:index:IncidentResponse")
    assert plan.region_of(isolation_function(plan, component.urn)) == "ap-northeast-1"
    rules = plan.of_type("aws:cloudwatch/eventRule:EventRule")
    ours = [r for r in rules if r.parent == component.urn]
    assert sorted(plan.region_of(r) or "" for r in ours) == [
        "ap-northeast-1",
        "eu-west-1",
        "us-east-1",
    ]
    assert plan.of_type("secbaseline:index:IncidentResponse") == [component]
    off = plan_tier(tier="intermediate", incidentResponse={"enabled": False})
    assert off.of_type("secbaseline:index:IncidentResponse") == []
    assert plan_tier(tier="beginner").of_type("secbaseline:index:IncidentResponse") == []
    custom = plan_tier(tier="intermediate", incidentResponse={"dryRun": True})
    urn = custom.one("secbaseline:index:IncidentResponse").urn
    assert isolation_function(custom, urn).inputs["environment"]["variables"]["DRY_RUN"] == "true"


def isolation_function(plan: Plan, component_urn: str) -> RecordedResource:
    """The component's own Lambda (the tier has others, e.g. the finding formatter)."""
    (fn,) = [r for r in plan.children(component_urn) if r.type == "aws:lambda/function:Function"]
    return fn


def test_enabled_must_be_a_boolean(plan_tier: Callable[..., Plan]) -> None:
    with pytest.raises(ValueError, match=r"incidentResponse\.enabled: expected true or false"):
        plan_tier(tier="intermediate", incidentResponse={"enabled": "no"})


def test_tier_checks_the_section(plan_tier: Callable[..., Plan]) -> None:
    with pytest.raises(ValueError, match=r"incidentResponse\.namePrefix: set by the tier"):
        plan_tier(tier="intermediate", incidentResponse={"namePrefix": "other"})
    # Unknown options are refused even in a switched-off section.
    with pytest.raises(ValueError, match=r"incidentResponse\.dryrun: unknown option"):
        plan_tier(tier="intermediate", incidentResponse={"enabled": False, "dryrun": True})
    with pytest.raises(ValueError, match=r"incidentResponse\.minSeverity: 11 is out of range"):
        plan_tier(tier="intermediate", incidentResponse={"minSeverity": 11})


def test_the_zip_layout_imports_in_a_bare_interpreter(tmp_path: Path) -> None:
    """Build the archive exactly as deployed and call the handler from outside the repo."""
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, source in lambda_files().items():
            zf.write(source, name)
    root = tmp_path / "unzipped"
    zipfile.ZipFile(archive).extractall(root)
    module, function = LAMBDA_HANDLER.rsplit(".", 1)
    script = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        f"fn = getattr(importlib.import_module({module!r}), {function!r})\n"
        "print('RESULT ' + json.dumps(fn({'source': 'aws.ec2'}, None)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert result["status"] == "skipped" and "not a GuardDuty finding" in result["reason"]
    assert "components" not in done.stdout


def test_pulumi_analyzer_reads_the_component() -> None:
    """Other Pulumi languages get the component through the analyzer's schema."""
    schema = package_schema([IncidentResponse])
    resource = schema["resources"]["secbaseline:index:IncidentResponse"]
    assert resource["requiredInputs"] == ["homeRegion", "regions"]
    inputs = resource["inputProperties"]
    for name in ("notificationTopicArn", "kmsKeyArn", "accountId"):
        assert "plain" not in inputs[name], name  # takes Outputs
    assert inputs["runtime"]["$ref"] == "#/types/secbaseline:index:IsolationRuntime"
    assert {"evidenceBucketName", "evidenceBucketArn", "kmsKeyArn"} <= set(resource["properties"])
