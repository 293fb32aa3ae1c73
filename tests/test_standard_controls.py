"""docs/controls.md's Security Hub table: every control it says the default plans pass is
checked against the default intermediate plan here; every other entry gives its reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from secbaseline.baseline import catalog
from secbaseline.baseline.engine import Plan

GUARDDUTY_FEATURES = {
    "GuardDuty.5": "EKS_AUDIT_LOGS",
    "GuardDuty.6": "LAMBDA_NETWORK_LOGS",
    "GuardDuty.8": "EBS_MALWARE_PROTECTION",
    "GuardDuty.9": "RDS_LOGIN_EVENTS",
    "GuardDuty.10": "S3_DATA_EVENTS",
}
# Lambda runtimes AWS supports (not deprecated) as of 2026; Lambda.2 fails on anything else.
SUPPORTED_RUNTIMES = {"python3.11", "python3.12", "python3.13", "python3.14"}
ADMIN_PORTS = {22, 3389}


def _regions(plan: Plan, token: str, **match: Any) -> set[str]:
    return {
        plan.region_of(r) or ""
        for r in plan.of_type(token)
        if all(r.inputs.get(k) == v for k, v in match.items())
    }


def _every_bucket(plan: Plan, token: str, check: Callable[[dict[str, Any]], bool]) -> None:
    buckets = {b.id for b in plan.of_type("aws:s3/bucket:Bucket")}
    assert buckets
    covered = {r.inputs["bucket"] for r in plan.of_type(token) if check(r.inputs)}
    assert covered == buckets, token


def _guardduty(feature: str) -> Callable[[Plan, set[str]], None]:
    def check(plan: Plan, regions: set[str]) -> None:
        token = "aws:guardduty/detectorFeature:DetectorFeature"
        assert _regions(plan, token, name=feature, status="ENABLED") == regions

    return check


def _tls_only(plan: Plan, regions: set[str]) -> None:
    def denies_plain_http(inputs: dict[str, Any]) -> bool:
        return any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in json.loads(inputs["policy"])["Statement"]
        )

    _every_bucket(plan, "aws:s3/bucketPolicy:BucketPolicy", denies_plain_http)


def _no_admin_ports(plan: Plan, regions: set[str]) -> None:
    rules = [
        *(
            rule
            for group in plan.of_type("aws:ec2/securityGroup:SecurityGroup")
            for rule in group.inputs.get("ingress") or []
        ),
        *(
            r.inputs
            for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        ),
    ]
    for rule in rules:
        opened = set(range(int(rule.get("fromPort", 0)), int(rule.get("toPort", 65535)) + 1))
        everyone = "0.0.0.0/0" in (rule.get("cidrBlocks") or [rule.get("cidrIpv4")]) or "::/0" in (
            rule.get("ipv6CidrBlocks") or [rule.get("cidrIpv6")]
        )
        assert not (everyone and opened & ADMIN_PORTS), rule


def _no_full_admin(plan: Plan, regions: set[str]) -> None:
    documents = [r.inputs["policy"] for r in plan.of_type("aws:iam/policy:Policy")]
    documents += [r.inputs["policy"] for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")]
    assert documents
    for document in documents:
        for statement in json.loads(document)["Statement"]:
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if statement["Effect"] == "Allow" and "*" in actions:
                raise AssertionError(f"full admin statement: {statement}")


def _holds(condition: bool, control: str) -> None:
    assert condition, f"{control} does not hold on the default plan"


def _password(plan: Plan) -> dict[str, Any]:
    return dict(plan.one("aws:iam/accountPasswordPolicy:AccountPasswordPolicy").inputs)


def _account_bpa(plan: Plan) -> dict[str, Any]:
    return dict(plan.one("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock").inputs)


def _inspector(kind: str) -> Callable[[Plan, set[str]], None]:
    def check(plan: Plan, regions: set[str]) -> None:
        enablers = plan.of_type("aws:inspector2/enabler:Enabler")
        _holds(all(kind in e.inputs["resourceTypes"] for e in enablers), kind)
        _holds(_regions(plan, "aws:inspector2/enabler:Enabler") == regions, kind)

    return check


BPA_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _trail(plan: Plan, regions: set[str]) -> None:
    trail = plan.one("aws:cloudtrail/trail:Trail").inputs
    _holds(
        trail["isMultiRegionTrail"] is True
        and trail["includeGlobalServiceEvents"] is True
        and trail["enableLogFileValidation"] is True
        and bool(trail.get("kmsKeyId"))
        and bool(trail.get("cloudWatchLogsGroupArn")),
        "CloudTrail.1",
    )


def _change_alarms(plan: Plan, regions: set[str]) -> None:
    filters = plan.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    metrics = {f.inputs["metricTransformation"]["name"] for f in filters}
    alarmed = {
        a.inputs.get("metricName") for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    _holds(len(filters) >= 14 and metrics <= alarmed, "CloudWatch.1")


def _vpcs(plan: Plan) -> set[str]:
    return {
        str(v.id)
        for token in ("aws:ec2/vpc:Vpc", "aws:ec2/defaultVpc:DefaultVpc")
        for v in plan.of_type(token)
    }


def _default_groups_closed(plan: Plan, regions: set[str]) -> None:
    groups = plan.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    closed = {g.inputs["vpcId"] for g in groups if not g.inputs.get("ingress")}
    _holds(closed == _vpcs(plan) and not any(g.inputs.get("egress") for g in groups), "EC2.2")


def _flow_logs(plan: Plan, regions: set[str]) -> None:
    logged = {f.inputs["vpcId"] for f in plan.of_type("aws:ec2/flowLog:FlowLog")}
    _holds(logged == _vpcs(plan), "EC2.6")


def _support_role(plan: Plan, regions: set[str]) -> None:
    attached = [
        a
        for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["policyArn"] == "arn:aws:iam::aws:policy/AWSSupportAccess"
    ]
    _holds(len(attached) == 1, "IAM.18")


CHECKS: dict[str, Callable[[Plan, set[str]], None]] = {
    "EC2.2": _default_groups_closed,
    "EC2.6": _flow_logs,
    "IAM.18": _support_role,
    "CloudTrail.1": _trail,
    "CloudWatch.1": _change_alarms,
    "Config.1": lambda plan, regions: _holds(
        _regions(plan, "aws:cfg/recorder:Recorder") == regions
        and plan.one("aws:iam/serviceLinkedRole:ServiceLinkedRole").inputs["awsServiceName"]
        == "config.amazonaws.com",
        "Config.1",
    ),
    "SecurityHub.1": lambda plan, regions: _holds(
        _regions(plan, "aws:securityhub/account:Account") == regions, "SecurityHub.1"
    ),
    "GuardDuty.1": lambda plan, regions: _holds(
        _regions(plan, "aws:guardduty/detector:Detector", enable=True) == regions, "GuardDuty.1"
    ),
    **{control: _guardduty(feature) for control, feature in GUARDDUTY_FEATURES.items()},
    "S3.1": lambda plan, regions: _holds(all(_account_bpa(plan)[k] for k in BPA_FLAGS), "S3.1"),
    "S3.5": _tls_only,
    "S3.8": lambda plan, regions: _every_bucket(
        plan,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        lambda i: all(i.get(k) for k in BPA_FLAGS),
    ),
    "S3.12": lambda plan, regions: _every_bucket(
        plan,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        lambda i: i["rule"]["objectOwnership"] == "BucketOwnerEnforced",
    ),
    "S3.13": lambda plan, regions: _every_bucket(
        plan,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        lambda i: bool(i["rules"]),
    ),
    "S3.14": lambda plan, regions: _every_bucket(
        plan,
        "aws:s3/bucketVersioning:BucketVersioning",
        lambda i: i["versioningConfiguration"]["status"] == "Enabled",
    ),
    "KMS.4": lambda plan, regions: _holds(
        all(k.inputs.get("enableKeyRotation") is True for k in plan.of_type("aws:kms/key:Key")),
        "KMS.4",
    ),
    "SQS.1": lambda plan, regions: _holds(
        all(q.inputs.get("kmsMasterKeyId") for q in plan.of_type("aws:sqs/queue:Queue")),
        "SQS.1",
    ),
    "Lambda.1": lambda plan, regions: _holds(
        all(
            # A service principal scoped to a resource or (Config custom rules, whose ARN AWS
            # makes up after the rule is created) to the account: not public.
            p.inputs["principal"].endswith(".amazonaws.com")
            and (p.inputs.get("sourceArn") or p.inputs.get("sourceAccount"))
            for p in plan.of_type("aws:lambda/permission:Permission")
        ),
        "Lambda.1",
    ),
    "Lambda.2": lambda plan, regions: _holds(
        all(
            f.inputs["runtime"] in SUPPORTED_RUNTIMES
            for f in plan.of_type("aws:lambda/function:Function")
        ),
        "Lambda.2",
    ),
    "EC2.7": lambda plan, regions: _holds(
        _regions(plan, "aws:ebs/encryptionByDefault:EncryptionByDefault", enabled=True) == regions,
        "EC2.7",
    ),
    "EC2.8": lambda plan, regions: _holds(
        _regions(
            plan, "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults", httpTokens="required"
        )
        == regions
        and not plan.of_type("aws:ec2/instance:Instance"),
        "EC2.8",
    ),
    "EC2.15": lambda plan, regions: _holds(
        not any(s.inputs.get("mapPublicIpOnLaunch") for s in plan.of_type("aws:ec2/subnet:Subnet")),
        "EC2.15",
    ),
    "EC2.53": _no_admin_ports,
    "ECS.12": lambda plan, regions: _holds(
        all(
            {"name": "containerInsights", "value": "enabled"} in (c.inputs.get("settings") or [])
            for c in plan.of_type("aws:ecs/cluster:Cluster")
        ),
        "ECS.12",
    ),
    "IAM.1": _no_full_admin,
    "IAM.15": lambda plan, regions: _holds(
        _password(plan)["minimumPasswordLength"] >= 14, "IAM.15"
    ),
    "IAM.16": lambda plan, regions: _holds(
        _password(plan)["passwordReusePrevention"] >= 24, "IAM.16"
    ),
    "IAM.28": lambda plan, regions: _holds(
        _regions(plan, "aws:accessanalyzer/analyzer:Analyzer", type="ACCOUNT") == regions,
        "IAM.28",
    ),
    "Inspector.1": _inspector("EC2"),
    "Inspector.2": _inspector("ECR"),
    "Inspector.4": _inspector("LAMBDA"),
}


def test_standard_controls_are_consistent() -> None:
    assert catalog.problems() == []
    assert {s.status for s in catalog.STANDARD_CONTROLS} <= set(catalog.STANDARD_STATUSES)


def test_every_pass_claim_is_checked_against_the_default_plan(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(tier="intermediate")
    regions = {plan.region_of(d) or "" for d in plan.of_type("aws:guardduty/detector:Detector")}
    assert len(regions) == 3
    passing = {s.id for s in catalog.STANDARD_CONTROLS if s.status == "pass"}
    assert passing == set(CHECKS), "a 'pass' entry without a plan check, or a stale check"
    for control in sorted(passing):
        CHECKS[control](plan, regions)


def test_accepted_failures_are_real(plan_tier: Callable[..., Plan]) -> None:
    """The accepted entries describe the plan as it is (so a fix shows up as a stale entry)."""
    plan = plan_tier(tier="intermediate")
    locked = {
        r.inputs["bucket"]
        for r in plan.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    }
    buckets = {b.id for b in plan.of_type("aws:s3/bucket:Bucket")}
    assert locked and locked < buckets  # S3.15: some buckets locked, not all
    kms = {
        r.inputs["bucket"]
        for r in plan.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        if r.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    }
    assert kms and kms < buckets  # S3.17: access-log buckets use SSE-S3
    runtime = [
        f
        for f in plan.of_type("aws:guardduty/detectorFeature:DetectorFeature")
        if f.inputs["name"] == "RUNTIME_MONITORING"
    ]
    assert runtime and {f.inputs["status"] for f in runtime} == {"DISABLED"}  # GuardDuty.7/11
    tasks = plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert any(
        not c.get("readonlyRootFilesystem")
        for t in tasks
        for c in json.loads(t.inputs["containerDefinitions"])
    )  # ECS.5


def test_controls_doc_lists_them() -> None:
    text = catalog.render_controls_markdown()
    for standard in catalog.STANDARD_CONTROLS:
        assert f"| {standard.id} |" in text
