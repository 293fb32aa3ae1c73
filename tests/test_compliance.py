"""The intermediate tier's compliance part: Config, remediation and delegation, linted IAM."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import parliament
import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components import AutoRemediation, AutoRemediationArgs
from secbaseline.components.config_rules import CATALOG

REGIONS = ["ap-northeast-1", "eu-west-1", "us-east-1"]  # conftest BASE_CONFIG, sorted
HOME = "ap-northeast-1"

# Parliament findings accepted on purpose, per policy and issue, with the reason.
PAGING_TOPIC = "security-notifications-topic"
ACCEPTED_FINDINGS: dict[tuple[str, str], str] = {
    (
        "iam-delegation-boundary",
        "RESOURCE_STAR",
    ): "a permissions boundary is a ceiling over whole services; the developer's own "
    "identity policies scope resources, the boundary only caps them",
    (
        "incident-response-policy",
        "RESOURCE_MISMATCH",
    ): "the EC2 isolation role splits each mutating action by resource type on purpose: "
    "instances and interfaces in one statement, only the tagged isolation groups in another; "
    "parliament judges statements one by one",
    (
        "patch-finding-notices-policy",
        "RESOURCE_STAR",
    ): "read-only: the function joins a finding with the patch state and windows of whichever "
    "managed instance the finding names, in any detection region, so no instance or window "
    "is known when the policy is written",
    (
        "fargate-bastion-execution-policy",
        "RESOURCE_MISMATCH",
    ): "parliament's action database predates repository-scoped ecr:BatchImportUpstreamImage; "
    "AWS documents it as grantable in a repository policy, so scoping it to the bastion's "
    "pull-through repository is correct",
}


@pytest.fixture(scope="module")
def intermediate() -> Plan:
    from tests.conftest import BASE_CONFIG, cached_plan

    return cached_plan({**BASE_CONFIG, "tier": "intermediate"})


def regions_of(plan: Plan, token: str) -> list[str]:
    return sorted(r.inputs["region"] for r in plan.of_type(token))


def test_recording_rules_and_remediation_in_every_region(intermediate: Plan) -> None:
    plan = intermediate
    for token in (
        "aws:cfg/recorder:Recorder",
        "aws:cfg/deliveryChannel:DeliveryChannel",
        "aws:cfg/recorderStatus:RecorderStatus",
    ):
        assert regions_of(plan, token) == REGIONS, token
    rules = plan.of_type("aws:cfg/rule:Rule")
    per_region = {
        region: {r.inputs["description"].split()[0] for r in rules if r.inputs["region"] == region}
        for region in REGIONS
    }
    assert per_region[HOME] == set(CATALOG)
    for region in REGIONS[1:]:
        assert per_region[region] == set(CATALOG) - {
            "IAM_ROOT_ACCESS_KEY_CHECK",
            "ROOT_ACCOUNT_MFA_ENABLED",
        }
    remediations = plan.of_type("aws:cfg/remediationConfiguration:RemediationConfiguration")
    assert {r.inputs["region"] for r in remediations} == set(REGIONS)
    assert len(remediations) == 7 * len(REGIONS)  # every runbook but the SSL-only one
    rule_names = {(r.inputs["region"], r.inputs["name"]) for r in rules}
    assert all((r.inputs["region"], r.inputs["configRuleName"]) in rule_names for r in remediations)
    policies = {r.name for r in plan.of_type("aws:iam/policy:Policy")}
    assert policies == {"iam-delegation-boundary", "iam-delegation-delegation"}
    assert plan.settings is not None and plan.settings["tier"] == "intermediate"


def test_beginner_tier_has_no_config(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="beginner")
    assert plan.of_type("aws:cfg/recorder:Recorder") == []
    assert plan.of_type("aws:iam/policy:Policy") == []


def test_control_tower_keeps_its_recorders(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="intermediate", controlTower=True)
    assert plan.of_type("aws:cfg/recorder:Recorder") == []
    assert plan.of_type("aws:cfg/deliveryChannel:DeliveryChannel") == []
    assert regions_of(plan, "aws:cfg/rule:Rule").count(HOME) == len(CATALOG)
    plan = plan_tier(
        tier="intermediate", controlTower=True, configRecording={"manageRecorders": True}
    )
    assert regions_of(plan, "aws:cfg/recorder:Recorder") == REGIONS


def test_sections_reach_the_components(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(
        tier="intermediate",
        namePrefix="acme",
        configRecording={"recordingFrequency": "DAILY"},
        configRules={"rules": {"SECURITYHUB_ENABLED": False}},
        remediation={
            "rules": {"EC2_IMDSV2_CHECK": {"automatic": True}},
            "retryAttemptSeconds": 300,
        },
        iamDelegation={"rolePrefix": "team-"},
    )
    assert {
        r.inputs["recordingMode"]["recordingFrequency"]
        for r in plan.of_type("aws:cfg/recorder:Recorder")
    } == {"DAILY"}
    identifiers = {
        r.inputs["source"]["sourceIdentifier"] for r in plan.of_type("aws:cfg/rule:Rule")
    }
    assert "SECURITYHUB_ENABLED" not in identifiers
    imds = [
        r
        for r in plan.of_type("aws:cfg/remediationConfiguration:RemediationConfiguration")
        if r.inputs["targetId"] == "AWSConfigRemediation-EnforceEC2InstanceIMDSv2"
    ]
    assert len(imds) == len(REGIONS) and all(r.inputs["automatic"] is True for r in imds)
    assert all(r.inputs["retryAttemptSeconds"] == 300 for r in imds)
    assert all(r.inputs["name"].startswith("acme-") for r in plan.of_type("aws:cfg/rule:Rule"))
    delegation = next(
        r for r in plan.of_type("aws:iam/policy:Policy") if r.name == "iam-delegation-delegation"
    )
    assert "role/delegated/team-*" in delegation.inputs["policy"]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"configRules": {"rules": {"NO_SUCH_RULE": True}}},
            "configRules.rules.NO_SUCH_RULE: unknown rule",
        ),
        (
            {"configRules": {"rules": {"ENCRYPTED_VOLUMES": {"parameters": {"keyId": "x"}}}}},
            "configRules.rules.ENCRYPTED_VOLUMES.parameters.keyId: unknown parameter",
        ),
        (
            {"remediation": {"maximumAutomaticAttempts": 0}},
            "remediation.maximumAutomaticAttempts: 0",
        ),
        (
            {"remediation": {"retryAttemptSeconds": 2592001}},
            "remediation.retryAttemptSeconds: 2592001",
        ),
        (
            {
                "configRules": {"rules": {"EC2_IMDSV2_CHECK": False}},
                "remediation": {"rules": {"EC2_IMDSV2_CHECK": {"automatic": True}}},
            },
            "remediation.rules: the Config rule EC2_IMDSV2_CHECK is not deployed",
        ),
        ({"iamDelegation": {"rolePrefix": "*"}}, "iamDelegation.rolePrefix: '*'"),
        ({"iamDelegation": {"rolePrefix": ""}}, "iamDelegation.rolePrefix: ''"),
        ({"iamDelegation": {"rolePrefix": "secb"}}, "iamDelegation.rolePrefix: 'secb' overlaps"),
        (
            {"configRecording": {"regions": ["us-east-1"]}},
            "configRecording.regions: set by the tier; remove it from the section",
        ),
        (
            {"configRules": {"homeRegion": "us-east-1"}},
            "configRules.homeRegion: set by the tier",
        ),
        (
            {"remediation": {"notificationTopicArn": "arn:aws:sns:us-east-1:111111111111:x"}},
            "remediation.notificationTopicArn: set by the tier",
        ),
        ({"iamDelegation": {"namePrefix": "other"}}, "iamDelegation.namePrefix: set by the tier"),
        (
            {"iamDelegation": {"protectedKeyArns": ["arn:aws:s3:::b"]}},
            "iamDelegation.protectedKeyArns[0]: 'arn:aws:s3:::b' is not an ARN of service 'kms'",
        ),
        (
            {"configRecording": {"recordingFrequncy": "DAILY"}},
            "configRecording.recordingFrequncy: unknown option; did you mean 'recordingFrequency'?",
        ),
        (
            {"configRecording": {"recordingFrequency": "HOURLY"}},
            "configRecording.recordingFrequency",
        ),
    ],
)
def test_bad_sections_raise(
    plan_tier: Callable[..., Plan], section: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as err:
        plan_tier(tier="intermediate", **section)
    assert message in str(err.value)


def _findings(name: str, text: str) -> list[tuple[str, str, str]]:
    policy = parliament.analyze_policy_string(text)
    return [(name, f.issue, str(f.detail)) for f in policy.findings]


def identity_policies(plan: Plan) -> dict[str, str]:
    return {
        r.name: r.inputs["policy"]
        for r in plan.resources
        if r.type in {"aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy"}
    }


def test_parliament_is_clean_on_every_identity_policy(
    intermediate: Plan, run_program: Callable[..., Plan]
) -> None:
    documents = identity_policies(intermediate)
    # The notification-forwarding role exists only when the detection part provides a topic.
    with_topic = run_program(
        lambda: AutoRemediation(
            "forwarding",
            AutoRemediationArgs(
                regions=REGIONS,
                home_region=HOME,
                account_id="111111111111",
                notification_topic_arn="arn:aws:sns:ap-northeast-1:111111111111:alerts",
            ),
        )
    )
    documents.update(identity_policies(with_topic))
    assert set(documents) >= {
        "auto-remediation-permissions",
        "iam-delegation-boundary",
        "iam-delegation-delegation",
        "forwarding-forward-permissions",
    }
    unexpected = []
    accepted = set()
    for name, text in documents.items():
        json.loads(text)
        for finding in _findings(name, text):
            key = (finding[0], finding[1])
            if key in ACCEPTED_FINDINGS:
                accepted.add(key)
            else:
                unexpected.append(finding)
    assert unexpected == []
    # Every accepted finding still occurs: stale exceptions must be removed.
    assert accepted == set(ACCEPTED_FINDINGS)


def test_parliament_flags_a_bad_policy() -> None:
    """The linter is really running: a known-bad document produces findings."""
    bad = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
        }
    )
    assert any(issue == "UNKNOWN_ACTION" for _, issue, _ in _findings("bad", bad))


def test_regions_with_home_validator() -> None:
    from secbaseline.baseline import validate

    assert validate.regions_with_home("x", ["us-east-1", "ap-northeast-1"], "us-east-1") == (
        "ap-northeast-1",
        "us-east-1",
    )
    with pytest.raises(ValueError, match=r"^x.homeRegion: eu-west-1 is not one of the regions"):
        validate.regions_with_home("x", ["us-east-1"], "eu-west-1")
    with pytest.raises(ValueError, match=r"^x.homeRegion: unknown AWS region 'moon-1'"):
        validate.regions_with_home("x", ["us-east-1"], "moon-1")
    with pytest.raises(ValueError, match=r"^x.regions: must name at least one region"):
        validate.regions_with_home("x", [], "us-east-1")


def test_account_id_falls_back_to_the_caller(run_program: Callable[..., Plan]) -> None:
    from secbaseline.components import DelegatedIamAdmin, DelegatedIamAdminArgs

    plan = run_program(
        lambda: DelegatedIamAdmin("d", DelegatedIamAdminArgs()), account_id="444444444444"
    )
    delegation = next(r for r in plan.of_type("aws:iam/policy:Policy") if r.name == "d-delegation")
    assert "arn:aws:iam::444444444444:role/delegated/app-*" in delegation.inputs["policy"]


@pytest.mark.parametrize(
    ("identifier", "resource_type"),
    [
        ("LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED", "AWS::Lambda::Function"),  # S-05
        ("RDS_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "AWS::RDS::DBInstance"),  # S-06
        ("AURORA_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "AWS::RDS::DBCluster"),  # S-06
        ("DATABASE_TLS_REQUIRED", "AWS::RDS::DBCluster"),  # S-07
        ("EC2_MANAGEDINSTANCE_PATCH_COMPLIANCE_STATUS_CHECK", "AWS::SSM::PatchCompliance"),  # S-13
        ("EC2_INSTANCE_MANAGED_BY_SSM", "AWS::EC2::Instance"),  # S-13
    ],
)
def test_account_wide_violations_reach_the_topic_from_every_region(
    intermediate: Plan, identifier: str, resource_type: str
) -> None:
    """A NON_COMPLIANT evaluation of the account-wide rules, in any detection region, is
    published to the notifications topic (forwarded to the home region first)."""
    from tests.event_routes import reaches_topic

    plan = intermediate
    (topic,) = [t for t in plan.of_type("aws:sns/topic:Topic") if t.name == PAGING_TOPIC]
    topic_arn = topic.outputs["arn"]
    rule_name = f"secbaseline-{CATALOG[identifier].name}"
    for region in REGIONS:
        assert any(
            r.inputs["name"] == rule_name and r.inputs["region"] == region
            for r in plan.of_type("aws:cfg/rule:Rule")
        ), (identifier, region)
        evaluation = {
            "version": "0",
            "source": "aws.config",
            "detail-type": "Config Rules Compliance Change",
            "account": "111111111111",
            "region": region,
            "detail": {
                "resourceId": "resource-1",
                "awsRegion": region,
                "awsAccountId": "111111111111",
                "configRuleName": rule_name,
                "messageType": "ComplianceChangeNotification",
                "resourceType": resource_type,
                "newEvaluationResult": {"complianceType": "NON_COMPLIANT"},
            },
        }
        assert reaches_topic(plan, evaluation, topic_arn), (identifier, region)
        compliant = json.loads(json.dumps(evaluation))
        compliant["detail"]["newEvaluationResult"]["complianceType"] = "COMPLIANT"
        assert reaches_topic(plan, compliant, topic_arn) == []
