"""AutoRemediation (S-15): runbooks wired to rules, a least-privilege role, notifications."""

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components import AutoRemediation, AutoRemediationArgs, RemediationOptions
from secbaseline.components.auto_remediation import RUNBOOKS, non_compliant_pattern

REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")
HOME = "ap-northeast-1"
ACCOUNT = "111111111111"
TOPIC = f"arn:aws:sns:{HOME}:{ACCOUNT}:secbaseline-notifications"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/secbaseline-config-remediation"
AUTOMATIC = {
    "S3_BUCKET_PUBLIC_READ_PROHIBITED",
    "S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
    "INCOMING_SSH_DISABLED",
    "EC2_EBS_ENCRYPTION_BY_DEFAULT",
}


def deployed_rules(identifiers: Any = RUNBOOKS) -> dict[str, dict[str, str]]:
    return {
        identifier: {region: f"secbaseline-{identifier.lower()}" for region in REGIONS}
        for identifier in identifiers
    }


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        AutoRemediation(
            "remediation",
            AutoRemediationArgs(
                **{
                    "regions": REGIONS,
                    "home_region": HOME,
                    "account_id": ACCOUNT,
                    "rule_names": deployed_rules(),
                    **kwargs,
                }
            ),
        )

    return run_program(program)


def configurations(plan: Plan) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for config in plan.of_type("aws:cfg/remediationConfiguration:RemediationConfiguration"):
        out.setdefault(config.inputs["targetId"], {})[config.inputs["region"]] = config
    return out


def test_every_runbook_in_every_region_with_role_and_resource_id(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    configs = configurations(plan)
    assert set(configs) == {r.document for r in RUNBOOKS.values()}
    for identifier, runbook in RUNBOOKS.items():
        per_region = configs[runbook.document]
        assert sorted(per_region) == list(REGIONS)
        for region, config in per_region.items():
            inputs = config.inputs
            assert inputs["configRuleName"] == f"secbaseline-{identifier.lower()}"
            assert inputs["targetType"] == "SSM_DOCUMENT"
            assert inputs["automatic"] is (identifier in AUTOMATIC), identifier
            assert inputs["maximumAutomaticAttempts"] == 5
            assert inputs["retryAttemptSeconds"] == 60
            assert inputs["executionControls"] == {
                "ssmControls": {"concurrentExecutionRatePercentage": 10, "errorPercentage": 10}
            }
            params = {p["name"]: p for p in inputs["parameters"]}
            assert params["AutomationAssumeRole"] == {
                "name": "AutomationAssumeRole",
                "staticValue": ROLE_ARN,
            }
            if runbook.resource_parameter:
                assert params[runbook.resource_parameter]["resourceValue"] == "RESOURCE_ID"
            assert region == inputs["region"]


@pytest.mark.parametrize(
    ("identifier", "document", "resource_parameter", "static"),
    [
        (
            "S3_BUCKET_PUBLIC_READ_PROHIBITED",
            "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
            "BucketName",
            {
                "BlockPublicAcls": "true",
                "BlockPublicPolicy": "true",
                "IgnorePublicAcls": "true",
                "RestrictPublicBuckets": "true",
            },
        ),
        (
            "S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
            "AWS-DisableS3BucketPublicReadWrite",
            "S3BucketName",
            {},
        ),
        ("INCOMING_SSH_DISABLED", "AWS-DisableIncomingSSHOnPort22", "SecurityGroupIds", {}),
        (
            "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
            "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules",
            "GroupId",
            {},
        ),
        (
            "EC2_EBS_ENCRYPTION_BY_DEFAULT",
            "AWSConfigRemediation-EnableEbsEncryptionByDefault",
            None,
            {},
        ),
        (
            "S3_BUCKET_VERSIONING_ENABLED",
            "AWS-ConfigureS3BucketVersioning",
            "BucketName",
            {"VersioningState": "Enabled"},
        ),
    ],
)
def test_runbook_parameters(
    run_program: Callable[..., Plan],
    identifier: str,
    document: str,
    resource_parameter: str | None,
    static: dict[str, str],
) -> None:
    plan = build(run_program, rule_names=deployed_rules([identifier]))
    config = configurations(plan)[document][HOME]
    params = {p["name"]: p for p in config.inputs["parameters"]}
    expected_names = {"AutomationAssumeRole", *static}
    if resource_parameter:
        expected_names.add(resource_parameter)
    assert set(params) == expected_names
    for name, value in static.items():
        assert params[name]["staticValue"] == value


def test_role_trusts_ssm_for_this_account_and_holds_only_runbook_permissions(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, rule_names=deployed_rules(["INCOMING_SSH_DISABLED"]))
    role = plan.one("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["RemediateSecurityGroup"] == {
        "Sid": "RemediateSecurityGroup",
        "Effect": "Allow",
        "Action": ["ec2:RevokeSecurityGroupIngress"],
        "Resource": f"arn:aws:ec2:*:{ACCOUNT}:security-group/*",
    }
    assert statements["CallsWithoutResourceArns"]["Action"] == ["ec2:DescribeSecurityGroups"]
    assert statements["RunTheseRunbooksOnly"]["Resource"] == [
        f"arn:aws:ssm:*:{ACCOUNT}:automation-definition/AWS-DisableIncomingSSHOnPort22:*",
        f"arn:aws:ssm:*:{ACCOUNT}:automation-execution/*",
    ]
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert not any(a.startswith("s3:") for a in actions)  # no permission for unused runbooks
    assert all("*" not in a for a in actions)


def test_every_statement_sid_is_unique_and_actions_are_named(
    run_program: Callable[..., Plan],
) -> None:
    policy = json.loads(build(run_program).one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))
    scoped = [s for s in policy["Statement"] if s["Resource"] != "*"]
    assert {a for s in scoped for a in s["Action"]} >= {
        "s3:PutBucketPublicAccessBlock",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:ModifyInstanceMetadataOptions",
    }
    unscoped = next(s for s in policy["Statement"] if s["Resource"] == "*")
    assert set(unscoped["Action"]) == {
        "ec2:DescribeInstances",
        "ec2:DescribeSecurityGroups",
        "ec2:EnableEbsEncryptionByDefault",
        "ec2:GetEbsEncryptionByDefault",
    }


def test_options_override_defaults(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        rules={
            "VPC_DEFAULT_SECURITY_GROUP_CLOSED": RemediationOptions(automatic=True),
            "INCOMING_SSH_DISABLED": RemediationOptions(automatic=False),
            "S3_BUCKET_VERSIONING_ENABLED": RemediationOptions(enabled=False),
        },
        maximum_automatic_attempts=25,
        retry_attempt_seconds=2_592_000,
    )
    configs = configurations(plan)
    assert "AWS-ConfigureS3BucketVersioning" not in configs
    sg = configs["AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules"][HOME]
    assert sg.inputs["automatic"] is True
    assert sg.inputs["maximumAutomaticAttempts"] == 25
    assert sg.inputs["retryAttemptSeconds"] == 2_592_000
    assert configs["AWS-DisableIncomingSSHOnPort22"][HOME].inputs["automatic"] is False


def test_rules_not_deployed_get_no_remediation(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, rule_names={})
    assert plan.of_type("aws:cfg/remediationConfiguration:RemediationConfiguration") == []
    assert plan.of_type("aws:iam/role:Role") == []


def test_non_compliant_events_from_every_region_reach_the_topic(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, notification_topic_arn=TOPIC)
    rules = {r.inputs["region"]: r for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert sorted(rules) == list(REGIONS)
    for rule in rules.values():
        assert json.loads(rule.inputs["eventPattern"]) == non_compliant_pattern("secbaseline")
    detail = non_compliant_pattern("secbaseline")["detail"]
    assert detail["newEvaluationResult"] == {"complianceType": ["NON_COMPLIANT"]}
    # Only the baseline's own rules: Security Hub's service-linked rules would flood the topic.
    assert detail["configRuleName"] == [{"prefix": "secbaseline-"}]
    targets = {
        t.inputs["region"]: t for t in plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
    }
    home_bus = f"arn:aws:events:{HOME}:{ACCOUNT}:event-bus/default"
    # Home: the rule publishes to the topic (it also matches events forwarded to this bus).
    assert targets[HOME].inputs["arn"] == TOPIC
    assert targets[HOME].inputs["rule"] == rules[HOME].id
    forward_role = next(
        r for r in plan.of_type("aws:iam/role:Role") if r.name == "remediation-forward-role"
    )
    for region in set(REGIONS) - {HOME}:
        assert targets[region].inputs["arn"] == home_bus
        assert targets[region].inputs["rule"] == rules[region].id
        assert targets[region].inputs["roleArn"] == forward_role.outputs["arn"]
    trust = json.loads(forward_role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    forward_policy = next(
        r
        for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "remediation-forward-permissions"
    )
    assert json.loads(forward_policy.inputs["policy"])["Statement"] == [
        {
            "Sid": "PutEventsOnHomeBusOnly",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": home_bus,
        }
    ]
    # Every region routes to the topic: directly at home, via the home bus elsewhere.
    for region, target in targets.items():
        assert target.inputs["arn"] == TOPIC or (
            target.inputs["arn"] == home_bus and region != HOME
        )


def test_without_a_topic_no_notification_resources(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    assert plan.of_type("aws:cloudwatch/eventRule:EventRule") == []
    assert plan.of_type("aws:cloudwatch/eventTarget:EventTarget") == []


def test_single_region_needs_no_forwarding(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        regions=(HOME,),
        rule_names={"INCOMING_SSH_DISABLED": {HOME: "secbaseline-restricted-ssh"}},
        notification_topic_arn=TOPIC,
    )
    assert [t.inputs["arn"] for t in plan.of_type("aws:cloudwatch/eventTarget:EventTarget")] == [
        TOPIC
    ]
    assert [r.name for r in plan.of_type("aws:iam/role:Role")] == ["remediation-role"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"maximum_automatic_attempts": 0},
            "maximum_automatic_attempts: 0 is out of range 1-25",
        ),
        (
            {"maximum_automatic_attempts": 26},
            "maximum_automatic_attempts: 26 is out of range 1-25",
        ),
        ({"retry_attempt_seconds": 0}, "retry_attempt_seconds: 0 is out of range 1-2592000"),
        (
            {"retry_attempt_seconds": 2_592_001},
            "retry_attempt_seconds: 2592001 is out of range 1-2592000",
        ),
        (
            {"concurrent_execution_percentage": 0},
            "concurrent_execution_percentage: 0 is out of range 1-100",
        ),
        ({"error_percentage": 101}, "error_percentage: 101 is out of range 1-100"),
        (
            {"rules": {"ROOT_ACCOUNT_MFA_ENABLED": RemediationOptions()}},
            "rules.ROOT_ACCOUNT_MFA_ENABLED: no remediation runbook for this rule",
        ),
        (
            {
                "rule_names": deployed_rules(["INCOMING_SSH_DISABLED"]),
                "rules": {"EC2_IMDSV2_CHECK": RemediationOptions(automatic=True)},
            },
            "rules: the Config rule EC2_IMDSV2_CHECK is not deployed",
        ),
        ({"home_region": "sa-east-1"}, "home_region: sa-east-1 is not one of the regions"),
        ({"account_id": "12"}, "account_id: '12' is not a 12-digit AWS account id"),
        ({"name_prefix": "-x"}, "name_prefix: '-x' must be 2-24 characters"),
        (
            {"notification_topic_arn": "arn:aws:sqs:us-east-1:111111111111:q"},
            "notification_topic_arn: ",
        ),
        ({"tags": {"aws:x": "1"}}, "tags: tag key 'aws:x'"),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        AutoRemediationArgs(
            **{"regions": REGIONS, "home_region": HOME, "rule_names": deployed_rules(), **kwargs}
        )
    assert str(err.value).startswith(message)


def test_bad_options() -> None:
    with pytest.raises(ArgumentError, match=r"^automatic: expected a valid boolean"):
        RemediationOptions(automatic="maybe")  # type: ignore[arg-type]


def test_from_config() -> None:
    args = AutoRemediationArgs.from_config(
        "remediation",
        {
            "rules": {"EC2_IMDSV2_CHECK": {"automatic": True}, "INCOMING_SSH_DISABLED": False},
            "maximumAutomaticAttempts": 3,
            "tags": {"team": "security"},
        },
        regions=REGIONS,
        home_region=HOME,
        rule_names=deployed_rules(),
    )
    assert args.rules["EC2_IMDSV2_CHECK"].automatic is True
    assert args.rules["INCOMING_SSH_DISABLED"].enabled is False
    assert args.maximum_automatic_attempts == 3
    assert args.tags == {"team": "security"}
    assert "INCOMING_SSH_DISABLED" not in args.active()
    assert args.active()["EC2_IMDSV2_CHECK"][1] is True


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"maximumAutomaticAttempts": 30}, "remediation.maximumAutomaticAttempts: 30 is out of"),
        ({"retries": 3}, "remediation.retries: unknown option"),
        (
            {"rules": {"EC2_IMDSV2_CHECK": {"auto": True}}},
            "remediation.rules.EC2_IMDSV2_CHECK.auto: unknown option; did you mean 'automatic'?",
        ),
        (
            {"rules": {"EC2_IMDSV2_CHECK": {"automatic": "maybe"}}},
            "remediation.rules.EC2_IMDSV2_CHECK.automatic: expected a valid boolean",
        ),
        (
            {"rules": {"ROOT_ACCOUNT_MFA_ENABLED": True}},
            "remediation.rules.ROOT_ACCOUNT_MFA_ENABLED: no remediation runbook",
        ),
        ({"errorPercentage": "lots"}, "remediation.errorPercentage: expected a valid integer"),
        (
            {"notificationTopicArn": "arn:aws:sqs:us-east-1:111111111111:q"},
            "remediation.notificationTopicArn: 'arn:aws:sqs:",
        ),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        AutoRemediationArgs.from_config(
            "remediation", section, regions=REGIONS, home_region=HOME, rule_names=deployed_rules()
        )
    assert str(err.value).startswith(message)


def test_not_deployed_rule_names_the_config_key() -> None:
    with pytest.raises(
        ArgumentError, match=r"^remediation.rules: the Config rule EC2_IMDSV2_CHECK"
    ):
        AutoRemediationArgs.from_config(
            "remediation",
            {"rules": {"EC2_IMDSV2_CHECK": {"automatic": True}}},
            regions=REGIONS,
            home_region=HOME,
            rule_names=deployed_rules(["INCOMING_SSH_DISABLED"]),
        )


def test_outputs_reach_the_children(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        topic = aws.sns.Topic("alerts", region=HOME)
        rule = aws.cfg.Rule(
            "ssh",
            source={"owner": "AWS", "source_identifier": "INCOMING_SSH_DISABLED"},
            region=HOME,
        )
        AutoRemediation(
            "remediation",
            AutoRemediationArgs(
                regions=[HOME],
                home_region=HOME,
                account_id=ACCOUNT,
                rule_names={"INCOMING_SSH_DISABLED": {HOME: rule.name}},
                notification_topic_arn=topic.arn,
            ),
        )

    plan = run_program(program)
    topic = plan.one("aws:sns/topic:Topic")
    rule = plan.one("aws:cfg/rule:Rule")
    target = plan.one("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["arn"] == topic.outputs["arn"]
    config = plan.one("aws:cfg/remediationConfiguration:RemediationConfiguration")
    assert config.inputs["configRuleName"] == rule.outputs["name"]


def test_bad_topic_output_fails_when_it_resolves(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        queue = aws.sqs.Queue("q")
        AutoRemediation(
            "remediation",
            AutoRemediationArgs(
                regions=[HOME],
                home_region=HOME,
                account_id=ACCOUNT,
                notification_topic_arn=queue.arn,
            ),
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert "notification_topic_arn: 'arn:aws:sqs:" in str(err.value)
    assert "is not an ARN of service 'sns'" in str(err.value)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, notification_topic_arn=TOPIC, tags={"team": "security"})
    taggable = plan.of_type("aws:iam/role:Role") + plan.of_type(
        "aws:cloudwatch/eventRule:EventRule"
    )
    assert len(taggable) == 2 + len(REGIONS)  # remediation and forwarding roles, rules
    for resource in taggable:
        assert resource.inputs["tags"] == {"team": "security"}, resource.name


def test_depends_on_reaches_the_configurations(
    run_program: Callable[..., Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    depends: list[list[pulumi.Resource]] = []
    original = aws.cfg.RemediationConfiguration

    class Spy(original):  # type: ignore[misc, valid-type]
        def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
            depends.append(list(kwargs["opts"].depends_on))
            super().__init__(resource_name, *args, **kwargs)

    monkeypatch.setattr(aws.cfg, "RemediationConfiguration", Spy)
    markers: list[pulumi.Resource] = []

    def program() -> None:
        markers.append(pulumi.ComponentResource("test:index:Rules", "rules"))
        AutoRemediation(
            "remediation",
            AutoRemediationArgs(
                regions=REGIONS,
                home_region=HOME,
                account_id=ACCOUNT,
                rule_names=deployed_rules(["INCOMING_SSH_DISABLED"]),
            ),
            opts=pulumi.ResourceOptions(depends_on=markers),
        )

    run_program(program)
    assert len(depends) == len(REGIONS)
    assert all(markers[0] in d for d in depends)


def test_no_runbook_may_rewrite_bucket_policies(run_program: Callable[..., Plan]) -> None:
    """Every runbook enabled: the role still cannot put or delete any bucket's policy (an IAM
    linter's resource-policy privilege escalation), and the SSL-only rule is not offered."""
    plan = build(run_program)
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert actions & {"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl"} == set()
    assert "S3_BUCKET_SSL_REQUESTS_ONLY" not in RUNBOOKS
    with pytest.raises(ArgumentError, match="S3_BUCKET_SSL_REQUESTS_ONLY: no remediation runbook"):
        AutoRemediationArgs(
            regions=REGIONS,
            home_region=HOME,
            rules={"S3_BUCKET_SSL_REQUESTS_ONLY": RemediationOptions()},
        )
