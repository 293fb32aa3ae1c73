"""IncidentResponse (S-22, S-23): the isolation function's wiring, least privilege and alarms."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from secbaseline.baseline.drill import (
    build_scenario,
    fake_aws_environment,
    finding_for,
    handler_env,
)
from secbaseline.baseline.engine import Plan, RecordedResource
from secbaseline.components import IncidentResponse, IncidentResponseArgs
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


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"home_region": "mars-1"}, "incidentResponse.homeRegion: unknown AWS region"),
        ({"regions": ("eu-west-1",)}, "incidentResponse.regions: must include the home region"),
        ({"regions": ()}, "incidentResponse.regions: must name at least one region"),
        ({"min_severity": 0.5}, "incidentResponse.minSeverity"),
        ({"finding_type_prefixes": ()}, "incidentResponse.findingTypePrefixes"),
        ({"finding_type_prefixes": ("Backdoor",)}, "incidentResponse.findingTypePrefixes"),
        ({"exempt_tag": ""}, "incidentResponse.exemptTag"),
        ({"evidence_bucket": False, "evidence_object_lock_days": 30}, "needs evidenceBucket true"),
        ({"evidence_object_lock_days": 0}, "incidentResponse.evidenceObjectLockDays"),
        ({"log_retention_days": 42}, "incidentResponse.logRetentionDays: 42 is not one of"),
        ({"reserved_concurrency": 0}, "incidentResponse.reservedConcurrency"),
        ({"timeout_seconds": 1000}, "incidentResponse.timeoutSeconds"),
        (
            {"runtime": "python3.9"},
            "incidentResponse.runtime: 'python3.9' is not one of python3.12, python3.13",
        ),
        ({"dry_run": "yes"}, "incidentResponse.dryRun"),
    ],
)
def test_validation(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"home_region": HOME, "regions": REGIONS, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        IncidentResponseArgs(**args).validate()


def test_from_config() -> None:
    args = IncidentResponseArgs.from_config(
        {
            "minSeverity": 8,
            "dryRun": True,
            "findingTypePrefixes": ["Trojan:EC2/"],
            "evidenceObjectLockDays": 30,
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
    with pytest.raises(ValueError, match=r"incidentResponse\.isolate: unknown option"):
        IncidentResponseArgs.from_config({"isolate": True}, home_region=HOME, regions=REGIONS)
    with pytest.raises(ValueError, match=r"incidentResponse\.findingTypePrefixes: expected a list"):
        IncidentResponseArgs.from_config(
            {"findingTypePrefixes": "Trojan:EC2/"}, home_region=HOME, regions=REGIONS
        )


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
