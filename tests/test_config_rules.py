"""ConfigRules (S-15): the curated managed rules, parameters validated, global rules at home."""

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components import (
    ConfigRules,
    ConfigRulesArgs,
    ConformancePack,
    ExecutionFrequency,
    RuleOptions,
)
from secbaseline.components.config_rules import CATALOG

REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")
HOME = "ap-northeast-1"
REQUIRED = {
    "S3_BUCKET_PUBLIC_READ_PROHIBITED",
    "S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
    "S3_BUCKET_SSL_REQUESTS_ONLY",
    "S3_BUCKET_VERSIONING_ENABLED",
    "EC2_IMDSV2_CHECK",
    "INCOMING_SSH_DISABLED",
    "RESTRICTED_INCOMING_TRAFFIC",
    "ENCRYPTED_VOLUMES",
    "RDS_STORAGE_ENCRYPTED",
    "RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
    "DB_INSTANCE_BACKUP_ENABLED",
    "IAM_ROOT_ACCESS_KEY_CHECK",
    "ROOT_ACCOUNT_MFA_ENABLED",
    "CLOUD_TRAIL_ENABLED",
    "GUARDDUTY_ENABLED_CENTRALIZED",
    "SECURITYHUB_ENABLED",
    "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    # S-05, S-06, S-07, S-13: account-wide checks beyond what the components build
    "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED",
    "RDS_RESOURCES_PROTECTED_BY_BACKUP_PLAN",
    "AURORA_RESOURCES_PROTECTED_BY_BACKUP_PLAN",
    "DATABASE_TLS_REQUIRED",
    "EC2_MANAGEDINSTANCE_PATCH_COMPLIANCE_STATUS_CHECK",
    "EC2_INSTANCE_MANAGED_BY_SSM",
}
CUSTOM = {"DATABASE_TLS_REQUIRED"}
GLOBAL = {"IAM_ROOT_ACCESS_KEY_CHECK", "ROOT_ACCOUNT_MFA_ENABLED"}


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        ConfigRules("rules", ConfigRulesArgs(**{"regions": REGIONS, "home_region": HOME, **kwargs}))

    return run_program(program)


def rules_by_identifier(plan: Plan) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for rule in plan.of_type("aws:cfg/rule:Rule"):
        identifier = rule.inputs["description"].split()[0]
        out.setdefault(identifier, {})[rule.inputs["region"]] = rule
    return out


def test_catalog_rules_in_every_region_global_ones_at_home(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    rules = rules_by_identifier(plan)
    assert set(rules) == set(CATALOG) and set(rules) >= REQUIRED
    for identifier, per_region in rules.items():
        expected = [HOME] if identifier in GLOBAL else list(REGIONS)
        assert sorted(per_region) == expected, identifier
        for rule in per_region.values():
            if identifier in CUSTOM:
                continue  # see test_database_tls_custom_rule
            assert rule.inputs["source"] == {"owner": "AWS", "sourceIdentifier": identifier}
            assert rule.inputs["name"] == f"secbaseline-{CATALOG[identifier].name}"
            assert "inputParameters" not in rule.inputs
    ssh = rules["INCOMING_SSH_DISABLED"][HOME]
    assert ssh.inputs["name"] == "secbaseline-restricted-ssh"
    assert ssh.inputs["scope"] == {"complianceResourceTypes": ["AWS::EC2::SecurityGroup"]}
    assert "scope" not in rules["SECURITYHUB_ENABLED"][HOME].inputs
    component = plan.one("secbaseline:index:ConfigRules")
    assert all(r.parent == component.urn for r in plan.custom_resources())


def test_account_wide_checks_name_the_documented_scopes(
    run_program: Callable[..., Plan],
) -> None:
    """S-05/S-06/S-13 managed rules: AWS names and resource types from the Config docs."""
    rules = rules_by_identifier(build(run_program))
    expected = {
        "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED": (
            "lambda-function-public-access-prohibited",
            ["AWS::Lambda::Function"],
        ),
        "RDS_RESOURCES_PROTECTED_BY_BACKUP_PLAN": (
            "rds-resources-protected-by-backup-plan",
            ["AWS::RDS::DBInstance"],
        ),
        "AURORA_RESOURCES_PROTECTED_BY_BACKUP_PLAN": (
            "aurora-resources-protected-by-backup-plan",
            ["AWS::RDS::DBCluster"],
        ),
        "EC2_MANAGEDINSTANCE_PATCH_COMPLIANCE_STATUS_CHECK": (
            "ec2-managedinstance-patch-compliance-status-check",
            ["AWS::SSM::PatchCompliance"],
        ),
        "EC2_INSTANCE_MANAGED_BY_SSM": (
            "ec2-instance-managed-by-systems-manager",
            ["AWS::EC2::Instance", "AWS::SSM::ManagedInstanceInventory"],
        ),
    }
    for identifier, (aws_name, types) in expected.items():
        assert sorted(rules[identifier]) == sorted(REGIONS), identifier
        for rule in rules[identifier].values():
            assert rule.inputs["name"] == f"secbaseline-{aws_name}"
            assert rule.inputs["scope"] == {"complianceResourceTypes": types}


def test_database_tls_custom_rule(run_program: Callable[..., Plan]) -> None:
    """S-07: a periodic custom rule whose function (in the rule's region) reads parameter
    groups; Config may invoke it from this account only; the role reads RDS and reports."""
    plan = build(
        run_program,
        rules={
            "DATABASE_TLS_REQUIRED": RuleOptions(
                maximum_execution_frequency=ExecutionFrequency.TWELVE_HOURS
            )
        },
    )
    rules = rules_by_identifier(plan)["DATABASE_TLS_REQUIRED"]
    functions = {
        f.inputs["region"]: f
        for f in plan.of_type("aws:lambda/function:Function")
        if f.inputs["name"] == "secbaseline-database-tls"
    }
    assert sorted(rules) == sorted(functions) == sorted(REGIONS)
    for region, rule in rules.items():
        function = functions[region]
        assert rule.inputs["name"] == "secbaseline-database-tls"
        assert rule.inputs["source"] == {
            "owner": "CUSTOM_LAMBDA",
            "sourceIdentifier": function.outputs["arn"],
            "sourceDetails": [
                {
                    "messageType": "ScheduledNotification",
                    "maximumExecutionFrequency": "Twelve_Hours",
                }
            ],
        }
        assert "maximumExecutionFrequency" not in rule.inputs
        assert rule.inputs["scope"] == {
            "complianceResourceTypes": ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"]
        }
        assert function.inputs["handler"] == "handler.handler"
        assert function.inputs["runtime"] == "python3.12"
    permissions = [
        p
        for p in plan.of_type("aws:lambda/permission:Permission")
        if p.inputs["principal"] == "config.amazonaws.com"
    ]
    assert sorted(p.inputs["region"] for p in permissions) == sorted(REGIONS)
    assert all(p.inputs["sourceAccount"] == "111111111111" for p in permissions)
    role = plan.one("aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    allowed = {
        (action, resource)
        for statement in policy["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
        for resource in (
            [statement["Resource"]]
            if isinstance(statement["Resource"], str)
            else statement["Resource"]
        )
    }
    assert ("config:PutEvaluations", "*") in allowed
    assert ("rds:DescribeDBParameters", "arn:aws:rds:*:111111111111:pg:*") in allowed
    assert (
        "rds:DescribeDBClusterParameters",
        "arn:aws:rds:*:111111111111:cluster-pg:*",
    ) in allowed
    # Only the PutEvaluations statement is unscoped (AWS offers no resource-level permission).
    assert [a for a, r in allowed if r == "*"] == ["config:PutEvaluations"]
    assert not any(a.endswith(":*") or a == "*" for a, _ in allowed)


def test_without_the_custom_rule_there_is_no_function(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, rules={"DATABASE_TLS_REQUIRED": RuleOptions(enabled=False)})
    assert plan.of_type("aws:lambda/function:Function") == []
    assert plan.of_type("aws:iam/role:Role") == []


def test_parameters_switches_and_frequency(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        rules={
            "DB_INSTANCE_BACKUP_ENABLED": RuleOptions(
                parameters={"backupRetentionMinimum": 7, "checkReadReplicas": True}
            ),
            "RESTRICTED_INCOMING_TRAFFIC": RuleOptions(
                parameters={"blockedPort1": 3389, "blockedPort2": 3306}
            ),
            "SECURITYHUB_ENABLED": RuleOptions(
                maximum_execution_frequency=ExecutionFrequency.TWELVE_HOURS
            ),
            "GUARDDUTY_ENABLED_CENTRALIZED": RuleOptions(enabled=False),
        },
    )
    rules = rules_by_identifier(plan)
    assert "GUARDDUTY_ENABLED_CENTRALIZED" not in rules
    backup = rules["DB_INSTANCE_BACKUP_ENABLED"]["eu-west-1"]
    assert json.loads(backup.inputs["inputParameters"]) == {
        "backupRetentionMinimum": "7",
        "checkReadReplicas": "true",
    }
    ports = rules["RESTRICTED_INCOMING_TRAFFIC"]["us-east-1"]
    assert json.loads(ports.inputs["inputParameters"]) == {
        "blockedPort1": "3389",
        "blockedPort2": "3306",
    }
    hub = rules["SECURITYHUB_ENABLED"][HOME]
    assert hub.inputs["maximumExecutionFrequency"] == "Twelve_Hours"


def test_rules_wait_for_their_regions_recorder(
    run_program: Callable[..., Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    depends: dict[str, list[pulumi.Resource]] = {}
    original = aws.cfg.Rule

    class SpyRule(original):  # type: ignore[misc, valid-type]
        def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
            opts = kwargs.get("opts")
            depends[resource_name] = list(opts.depends_on or []) if opts else []
            super().__init__(resource_name, *args, **kwargs)

    monkeypatch.setattr(aws.cfg, "Rule", SpyRule)
    markers: list[pulumi.Resource] = []

    def program() -> None:
        markers.append(pulumi.ComponentResource("test:index:Recorder", "recording"))
        ConfigRules(
            "rules",
            ConfigRulesArgs(
                regions=REGIONS,
                home_region=HOME,
                rules={r: RuleOptions(enabled=False) for r in CATALOG if r != "EC2_IMDSV2_CHECK"},
            ),
            # The component's dependencies reach its rules (Pulumi does not do that itself).
            opts=pulumi.ResourceOptions(depends_on=markers),
        )

    plan = run_program(program)
    assert len(plan.of_type("aws:cfg/rule:Rule")) == len(REGIONS)
    for region in REGIONS:
        assert depends[f"rules-ec2-imdsv2-check-{region}"] == markers


def test_conformance_packs(run_program: Callable[..., Plan]) -> None:
    body = "Resources:\n  Rule:\n    Type: AWS::Config::ConfigRule\n"
    plan = build(
        run_program,
        rules={r: RuleOptions(enabled=False) for r in CATALOG},
        conformance_packs=[
            ConformancePack("cis", template_body=body, parameters={"MaxAge": "90"}),
            ConformancePack(
                "ops", template_s3_uri="s3://my-packs/ops.yaml", home_region_only=False
            ),
        ],
    )
    packs = plan.of_type("aws:cfg/conformancePack:ConformancePack")
    cis = [p for p in packs if p.inputs["name"] == "secbaseline-cis"]
    ops = [p for p in packs if p.inputs["name"] == "secbaseline-ops"]
    assert [p.inputs["region"] for p in cis] == [HOME]
    assert cis[0].inputs["templateBody"] == body
    assert cis[0].inputs["inputParameters"] == [{"parameterName": "MaxAge", "parameterValue": "90"}]
    assert sorted(p.inputs["region"] for p in ops) == list(REGIONS)
    assert ops[0].inputs["templateS3Uri"] == "s3://my-packs/ops.yaml"


def test_tags_reach_every_rule(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "security"})
    rules = plan.of_type("aws:cfg/rule:Rule")
    assert rules and all(r.inputs["tags"] == {"team": "security"} for r in rules)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"rules": {"S3_BUCKET_PUBLIC": RuleOptions()}},
            "rules.S3_BUCKET_PUBLIC: unknown rule; known rules:",
        ),
        (
            {"rules": {"ENCRYPTED_VOLUMES": RuleOptions(parameters={"kmsKeyId": "x"})}},
            "rules.ENCRYPTED_VOLUMES.parameters.kmsKeyId: unknown parameter; allowed: kmsId",
        ),
        (
            {"rules": {"INCOMING_SSH_DISABLED": RuleOptions(parameters={"port": 22})}},
            "rules.INCOMING_SSH_DISABLED.parameters.port: unknown parameter; allowed: none",
        ),
        (
            {
                "rules": {
                    "EC2_IMDSV2_CHECK": RuleOptions(
                        maximum_execution_frequency=ExecutionFrequency.ONE_HOUR
                    )
                }
            },
            "rules.EC2_IMDSV2_CHECK: EC2_IMDSV2_CHECK is change-triggered",
        ),
        ({"home_region": "sa-east-1"}, "home_region: sa-east-1 is not one of the regions"),
        ({"regions": []}, "regions: must name at least one region"),
        ({"name_prefix": "X"}, "name_prefix: 'X' must be 2-24 characters"),
        ({"tags": {"aws:x": "1"}}, "tags: tag key 'aws:x'"),
        (
            {
                "conformance_packs": [
                    ConformancePack("cis", template_body="x"),
                    ConformancePack("cis", template_body="y"),
                ]
            },
            "conformance_packs[1].name: cis is used twice",
        ),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ConfigRulesArgs(**{"regions": REGIONS, "home_region": HOME, **kwargs})
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"maximum_execution_frequency": "Daily"}, "maximum_execution_frequency: expected 'One_"),
        (
            {"parameters": {"backupRetentionMinimum": [7]}},
            "parameters.backupRetentionMinimum: expected a string, number or boolean",
        ),
        ({"enabled": "maybe"}, "enabled: expected a valid boolean"),
    ],
)
def test_bad_rule_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        RuleOptions(**kwargs)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "template_body: give exactly one of template_body or template_s3_uri"),
        (
            {"template_body": "x", "template_s3_uri": "s3://bbb/k"},
            "template_body: give exactly one of",
        ),
        ({"template_s3_uri": "https://x/y"}, "template_s3_uri: 'https://x/y' is not an s3://"),
        ({"template_body": "  "}, "template_body: must not be empty"),
        ({"name": "1cis", "template_body": "x"}, "name: '1cis' must be 1-51"),
    ],
)
def test_bad_conformance_pack(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ConformancePack(**{"name": "cis", **kwargs})
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = ConfigRulesArgs.from_config(
        "configRules",
        {
            "rules": {
                "SECURITYHUB_ENABLED": False,
                "ENCRYPTED_VOLUMES": {"parameters": {"kmsId": "alias/ebs"}},
                "RESTRICTED_INCOMING_TRAFFIC": {"parameters": {"blockedPort1": 3389}},
                "CLOUD_TRAIL_ENABLED": {"maximumExecutionFrequency": "Six_Hours"},
            },
            "conformancePacks": [{"name": "cis", "templateS3Uri": "s3://packs/k.yaml"}],
            "tags": {"team": "security"},
        },
        regions=REGIONS,
        home_region=HOME,
    )
    assert args.rules["SECURITYHUB_ENABLED"].enabled is False
    assert args.rules["ENCRYPTED_VOLUMES"].parameters == {"kmsId": "alias/ebs"}
    assert args.rules["RESTRICTED_INCOMING_TRAFFIC"].parameters == {"blockedPort1": "3389"}
    assert (
        args.rules["CLOUD_TRAIL_ENABLED"].maximum_execution_frequency
        is ExecutionFrequency.SIX_HOURS
    )
    assert args.conformance_packs[0].template_s3_uri == "s3://packs/k.yaml"
    assert args.tags == {"team": "security"}
    assert "SECURITYHUB_ENABLED" not in {r.identifier for r in args.enabled_rules()}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"packs": []}, "configRules.packs: unknown option; allowed: regions, "),
        (
            {"rules": {"ENCRYPTED_VOLUMES": {"params": {}}}},
            "configRules.rules.ENCRYPTED_VOLUMES.params: unknown option; did you mean 'parameters'?",
        ),
        (
            {"rules": {"S3_BUCKET_PUBLIC": False}},
            "configRules.rules.S3_BUCKET_PUBLIC: unknown rule",
        ),
        (
            {"rules": {"ENCRYPTED_VOLUMES": {"parameters": {"kmsKeyId": "x"}}}},
            "configRules.rules.ENCRYPTED_VOLUMES.parameters.kmsKeyId: unknown parameter",
        ),
        (
            {"rules": {"EC2_IMDSV2_CHECK": {"maximumExecutionFrequency": "One_Hour"}}},
            "configRules.rules.EC2_IMDSV2_CHECK: EC2_IMDSV2_CHECK is change-triggered",
        ),
        (
            {"rules": {"SECURITYHUB_ENABLED": {"maximumExecutionFrequency": "Daily"}}},
            "configRules.rules.SECURITYHUB_ENABLED.maximumExecutionFrequency: expected 'One_Hour'",
        ),
        (
            {"rules": {"DB_INSTANCE_BACKUP_ENABLED": {"parameters": {"checkReadReplicas": [1]}}}},
            "configRules.rules.DB_INSTANCE_BACKUP_ENABLED.parameters.checkReadReplicas: expected",
        ),
        (
            {"rules": {"SECURITYHUB_ENABLED": 5}},
            "configRules.rules.SECURITYHUB_ENABLED: expected a",
        ),
        ({"rules": []}, "configRules.rules: expected a valid dictionary, got a list"),
        (
            {"conformancePacks": [{"name": "cis"}]},
            "configRules.conformancePacks[0].templateBody: give exactly one of templateBody or "
            "templateS3Uri",
        ),
        (
            {"conformancePacks": [{"name": "cis", "templateS3Uri": "https://x/y"}]},
            "configRules.conformancePacks[0].templateS3Uri: 'https://x/y' is not an s3://",
        ),
        (
            {"conformancePacks": [{"name": "1cis", "templateBody": "x"}]},
            "configRules.conformancePacks[0].name: '1cis'",
        ),
        (
            {"conformancePacks": [{"name": "cis", "templateBody": "x"}] * 2},
            "configRules.conformancePacks[1].name: cis is used twice",
        ),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ConfigRulesArgs.from_config("configRules", section, regions=REGIONS, home_region=HOME)
    assert str(err.value).startswith(message)


def test_component_provider_mapping(run_program: Callable[..., Plan]) -> None:
    plan = run_program(
        lambda: ConfigRules(
            "rules",
            {"regions": [HOME], "home_region": HOME, "rules": {"SECURITYHUB_ENABLED": False}},  # type: ignore[arg-type]
        )
    )
    assert "SECURITYHUB_ENABLED" not in rules_by_identifier(plan)
