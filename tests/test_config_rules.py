"""ConfigRules (S-15): the curated managed rules, parameters validated, global rules at home."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components import ConfigRules, ConfigRulesArgs, ConformancePack, RuleOptions
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
}
GLOBAL = {"IAM_ROOT_ACCESS_KEY_CHECK", "ROOT_ACCOUNT_MFA_ENABLED"}


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        ConfigRules("rules", ConfigRulesArgs(**{"regions": REGIONS, "home_region": HOME, **kwargs}))

    return run_program(program)


def rules_by_identifier(plan: Plan) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for rule in plan.of_type("aws:cfg/rule:Rule"):
        out.setdefault(rule.inputs["source"]["sourceIdentifier"], {})[rule.inputs["region"]] = rule
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
            assert rule.inputs["source"] == {"owner": "AWS", "sourceIdentifier": identifier}
            assert rule.inputs["name"] == f"secbaseline-{CATALOG[identifier].name}"
            assert "inputParameters" not in rule.inputs
    ssh = rules["INCOMING_SSH_DISABLED"][HOME]
    assert ssh.inputs["name"] == "secbaseline-restricted-ssh"
    assert ssh.inputs["scope"] == {"complianceResourceTypes": ["AWS::EC2::SecurityGroup"]}
    assert "scope" not in rules["SECURITYHUB_ENABLED"][HOME].inputs
    component = plan.one("secbaseline:index:ConfigRules")
    assert all(r.parent == component.urn for r in plan.custom_resources())


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
            "SECURITYHUB_ENABLED": RuleOptions(maximum_execution_frequency="Twelve_Hours"),
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
    markers: dict[str, pulumi.Resource] = {}

    def program() -> None:
        for region in REGIONS:
            markers[region] = pulumi.ComponentResource("test:index:Recorder", f"rec-{region}")
        ConfigRules(
            "rules",
            ConfigRulesArgs(
                regions=REGIONS,
                home_region=HOME,
                rules={r: RuleOptions(enabled=False) for r in CATALOG if r != "EC2_IMDSV2_CHECK"},
                depends_on={region: [marker] for region, marker in markers.items()},
            ),
        )

    plan = run_program(program)
    assert len(plan.of_type("aws:cfg/rule:Rule")) == len(REGIONS)
    for region in REGIONS:
        assert depends[f"rules-ec2-imdsv2-check-{region}"] == [markers[region]]


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


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"rules": {"S3_BUCKET_PUBLIC": RuleOptions()}},
            "configRules.rules.S3_BUCKET_PUBLIC: unknown rule; known rules:",
        ),
        (
            {"rules": {"ENCRYPTED_VOLUMES": RuleOptions(parameters={"kmsKeyId": "x"})}},
            "configRules.rules.ENCRYPTED_VOLUMES.parameters.kmsKeyId: unknown parameter; allowed: kmsId",
        ),
        (
            {"rules": {"INCOMING_SSH_DISABLED": RuleOptions(parameters={"port": 22})}},
            "configRules.rules.INCOMING_SSH_DISABLED.parameters.port: unknown parameter; allowed: none",
        ),
        (
            {"rules": {"EC2_IMDSV2_CHECK": RuleOptions(maximum_execution_frequency="One_Hour")}},
            "configRules.rules.EC2_IMDSV2_CHECK.maximumExecutionFrequency: EC2_IMDSV2_CHECK is change-triggered",
        ),
        (
            {"rules": {"SECURITYHUB_ENABLED": RuleOptions(maximum_execution_frequency="Daily")}},
            "configRules.rules.SECURITYHUB_ENABLED.maximumExecutionFrequency: 'Daily' is not one of",
        ),
        (
            {
                "rules": {
                    "DB_INSTANCE_BACKUP_ENABLED": RuleOptions(
                        parameters={"backupRetentionMinimum": [7]}  # type: ignore[dict-item]
                    )
                }
            },
            "configRules.rules.DB_INSTANCE_BACKUP_ENABLED.parameters.backupRetentionMinimum: expected",
        ),
        ({"home_region": "sa-east-1"}, "configRules.homeRegion: sa-east-1 is not one of"),
        (
            {"conformance_packs": [ConformancePack("cis")]},
            "configRules.conformancePacks[0]: give exactly one of templateBody or templateS3Uri",
        ),
        (
            {"conformance_packs": [ConformancePack("cis", template_s3_uri="https://x/y")]},
            "configRules.conformancePacks[0].templateS3Uri: 'https://x/y' is not an s3://",
        ),
        (
            {"conformance_packs": [ConformancePack("1cis", template_body="x")]},
            "configRules.conformancePacks[0].name: '1cis'",
        ),
        (
            {
                "conformance_packs": [
                    ConformancePack("cis", template_body="x"),
                    ConformancePack("cis", template_body="y"),
                ]
            },
            "configRules.conformancePacks[1].name: cis is used twice",
        ),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    args = ConfigRulesArgs(**{"regions": REGIONS, "home_region": HOME, **kwargs})
    with pytest.raises(ValueError) as err:
        args.validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = ConfigRulesArgs.from_config(
        {
            "rules": {
                "SECURITYHUB_ENABLED": False,
                "ENCRYPTED_VOLUMES": {"parameters": {"kmsId": "alias/ebs"}},
            },
            "conformancePacks": [{"name": "cis", "templateS3Uri": "s3://b/k.yaml"}],
        }
    )
    assert args.rules["SECURITYHUB_ENABLED"].enabled is False
    assert args.rules["ENCRYPTED_VOLUMES"].parameters == {"kmsId": "alias/ebs"}
    assert args.conformance_packs[0].template_s3_uri == "s3://b/k.yaml"
    assert "SECURITYHUB_ENABLED" not in {r.identifier for r in args.enabled_rules()}
    with pytest.raises(ValueError, match=r"^configRules.packs: unknown option"):
        ConfigRulesArgs.from_config({"packs": []})
    with pytest.raises(ValueError, match=r"^configRules.rules.ENCRYPTED_VOLUMES.params: unknown"):
        ConfigRulesArgs.from_config({"rules": {"ENCRYPTED_VOLUMES": {"params": {}}}})
