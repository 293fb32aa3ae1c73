"""The SCP library (baseline/scp.py): every guardrail's intent, proven with a tiny evaluator,
and the packer's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from secbaseline.baseline import scp
from tests.scp_eval import Request, denied, denying_sids

ADMIN = "arn:aws:iam::*:role/secbaseline-deployer"
BREAK_GLASS = "arn:aws:iam::*:role/break-glass"
CTX = scp.GuardrailContext(
    allowed_regions=("ap-northeast-1", "us-east-1"),
    name_prefix="secbaseline",
    admin_role_arns=(ADMIN,),
    break_glass_role_arn=BREAK_GLASS,
)
USER = "arn:aws:iam::333333333333:role/developer"
ADMIN_ROLE = "arn:aws:iam::333333333333:role/secbaseline-deployer"
BREAK_GLASS_ROLE = "arn:aws:iam::333333333333:role/break-glass"
ROOT = "arn:aws:iam::333333333333:root"
REMEDIATION_ROLE = "arn:aws:iam::333333333333:role/secbaseline-config-remediation"
ISOLATION_ROLE = "arn:aws:iam::333333333333:role/secbaseline-ec2-isolation"


def policies(*names: str) -> list[dict[str, Any]]:
    chosen = list(names) or list(scp.STATEMENTS)
    return scp.pack_statements(scp.build_statements(chosen, CTX))


ALL = policies()


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("denyLeaveOrganization", "organizations:LeaveOrganization"),
        ("denyCloudTrailChanges", "cloudtrail:StopLogging"),
        ("denyCloudTrailChanges", "cloudtrail:DeleteTrail"),
        ("denyCloudTrailChanges", "cloudtrail:UpdateTrail"),
        ("denyCloudTrailChanges", "cloudtrail:PutEventSelectors"),
        ("denyCloudTrailChanges", "cloudtrail:PutInsightSelectors"),
        ("denyCloudTrailChanges", "cloudtrail:DeleteEventDataStore"),
        ("denyCloudTrailChanges", "cloudtrail:StopEventDataStoreIngestion"),
        ("denyCloudTrailChanges", "cloudtrail:UpdateEventDataStore"),
        ("denyGuardDutyChanges", "guardduty:DeleteDetector"),
        ("denyGuardDutyChanges", "guardduty:UpdateDetector"),
        ("denyGuardDutyChanges", "guardduty:DisassociateFromAdministratorAccount"),
        ("denyGuardDutyChanges", "guardduty:DeleteMembers"),
        ("denyGuardDutyChanges", "guardduty:DeletePublishingDestination"),
        ("denyGuardDutyChanges", "guardduty:StopMonitoringMembers"),
        # Silencing GuardDuty while it runs: suppression rules, trusted IPs, threat lists.
        ("denyGuardDutyChanges", "guardduty:CreateFilter"),
        ("denyGuardDutyChanges", "guardduty:UpdateFilter"),
        ("denyGuardDutyChanges", "guardduty:CreateIPSet"),
        ("denyGuardDutyChanges", "guardduty:UpdateIPSet"),
        ("denyGuardDutyChanges", "guardduty:CreateThreatIntelSet"),
        ("denyGuardDutyChanges", "guardduty:UpdateThreatIntelSet"),
        ("denyGuardDutyChanges", "guardduty:DeleteThreatIntelSet"),
        ("protectBaselineResources", "iam:CreateRole"),
        ("denySecurityHubChanges", "securityhub:DisableSecurityHub"),
        ("denySecurityHubChanges", "securityhub:BatchDisableStandards"),
        ("denySecurityHubChanges", "securityhub:DisassociateFromAdministratorAccount"),
        ("denyConfigChanges", "config:StopConfigurationRecorder"),
        ("denyConfigChanges", "config:DeleteConfigurationRecorder"),
        ("denyConfigChanges", "config:DeleteDeliveryChannel"),
        ("denyConfigChanges", "config:DeleteConfigRule"),
        ("denyAccessAnalyzerDeletion", "access-analyzer:DeleteAnalyzer"),
        ("denyS3PublicAccessChanges", "s3:PutAccountPublicAccessBlock"),
        ("requireImdsv2", "ec2:ModifyInstanceMetadataOptions"),
        ("requireImdsv2", "ec2:ModifyInstanceMetadataDefaults"),
    ],
)
def test_guardrail_denies_normal_principals_and_exempts_admins(name: str, action: str) -> None:
    own = policies(name)
    assert denied(own, Request(action, principal_arn=USER)), f"{name} must deny {action}"
    assert not denied(own, Request(action, principal_arn=ADMIN_ROLE))
    assert not denied(own, Request(action, principal_arn=BREAK_GLASS_ROLE))
    # The full packed set agrees, and only the intended statement is responsible.
    assert denied(ALL, Request(action, principal_arn=USER))
    assert not denied(ALL, Request(action, principal_arn=ADMIN_ROLE))


@pytest.mark.parametrize(
    "action",
    [
        "cloudtrail:LookupEvents",
        "cloudtrail:StartLogging",
        "guardduty:GetFindings",
        "guardduty:CreateDetector",
        "securityhub:GetFindings",
        "config:PutConfigurationRecorder",
        "config:StartConfigurationRecorder",
        "access-analyzer:CreateAnalyzer",
        "s3:GetAccountPublicAccessBlock",
        "organizations:DescribeOrganization",
    ],
)
def test_guardrails_leave_reading_and_enabling_alone(action: str) -> None:
    request = Request(action, principal_arn=USER, region="ap-northeast-1")
    assert not denied(ALL, request), denying_sids(ALL, request)


def test_root_user_is_denied_everything_even_with_admin_exemptions() -> None:
    own = policies("denyRootUser")
    assert denied(own, Request("s3:ListBucket", principal_arn=ROOT))
    assert denied(own, Request("iam:CreateUser", principal_arn=ROOT))
    assert not denied(own, Request("s3:ListBucket", principal_arn=USER))
    assert not denied(own, Request("s3:ListBucket", principal_arn=ADMIN_ROLE))


def test_centralized_root_access_sessions_are_not_blocked() -> None:
    """sts:AssumeRoot sessions carry aws:AssumedRoot (AWS's sample SCP exempts them)."""
    own = policies("denyRootUser")
    (statement,) = own[0]["Statement"]
    assert statement["Condition"]["Null"] == {"aws:AssumedRoot": "true"}
    assumed = Request(
        "s3:DeleteBucketPolicy", principal_arn=ROOT, context={"aws:AssumedRoot": "true"}
    )
    assert not denied(own, assumed)
    assert denied(own, Request("s3:DeleteBucketPolicy", principal_arn=ROOT))
    assert denied(ALL, Request("iam:CreateAccessKey", principal_arn=ROOT))


def test_evaluator_null_operator() -> None:
    present = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    absent_required = {**present, "Condition": {"Null": {"k": "true"}}}
    present_required = {**present, "Condition": {"Null": {"k": "false"}}}
    with_key = Request("s3:GetObject", context={"k": "v"})
    without_key = Request("s3:GetObject")
    assert denied([{"Statement": [absent_required]}], without_key)
    assert not denied([{"Statement": [absent_required]}], with_key)
    assert denied([{"Statement": [present_required]}], with_key)
    assert not denied([{"Statement": [present_required]}], without_key)


def test_control_tower_execution_role_is_exempt_from_every_exempting_statement() -> None:
    ctx = scp.GuardrailContext(
        allowed_regions=CTX.allowed_regions,
        admin_role_arns=(ADMIN,),
        control_tower=True,
    )
    statements = scp.build_statements(list(scp.STATEMENTS), ctx)
    not_exempting = {"DenyRootUser", "DenyImdsv1RoleCredentials"}
    for entry in statements:
        exempt = entry.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalArn", [])
        if entry["Sid"] in not_exempting:
            assert scp.CONTROL_TOWER_EXECUTION_ROLE not in exempt
        else:
            assert scp.CONTROL_TOWER_EXECUTION_ROLE in exempt, entry["Sid"]
            assert ADMIN in exempt, entry["Sid"]
    packed = scp.pack_statements(statements, max_policies=2)
    control_tower = "arn:aws:iam::333333333333:role/AWSControlTowerExecution"
    for action in ("config:DeleteConfigurationRecorder", "cloudtrail:StopLogging"):
        assert not denied(packed, Request(action, control_tower)), action
        assert denied(packed, Request(action)), action
    # Without Control Tower the role is an ordinary principal.
    assert denied(ALL, Request("config:DeleteConfigurationRecorder", control_tower))
    assert scp.CONTROL_TOWER_EXECUTION_ROLE not in CTX.exempt_principals


def test_imdsv2_required_at_launch() -> None:
    own = policies("requireImdsv2")
    instance = "arn:aws:ec2:ap-northeast-1:333333333333:instance/i-0123456789abcdef0"
    v1 = Request(
        "ec2:RunInstances",
        resource=instance,
        context={"ec2:MetadataHttpTokens": "optional"},
    )
    v2 = Request(
        "ec2:RunInstances",
        resource=instance,
        context={"ec2:MetadataHttpTokens": "required"},
    )
    assert denied(own, v1)
    assert not denied(own, v2)
    # Other resources of RunInstances (subnets, volumes) are not held to the instance key.
    subnet = "arn:aws:ec2:ap-northeast-1:333333333333:subnet/subnet-0123456789abcdef0"
    assert not denied(own, Request("ec2:RunInstances", resource=subnet))
    # Admins launch what they need (e.g. a legacy AMI under an exception).
    assert not denied(own, Request("ec2:RunInstances", ADMIN_ROLE, resource=instance))
    # Credentials delivered through IMDSv1 are useless anywhere.
    stolen = Request("s3:GetObject", context={"ec2:RoleDelivery": "1.0"})
    assert denied(own, stolen)
    assert not denied(own, Request("s3:GetObject", context={"ec2:RoleDelivery": "2.0"}))


def test_only_the_baselines_remediation_role_may_enforce_imdsv2() -> None:
    own = policies("requireImdsv2")
    instance = "arn:aws:ec2:ap-northeast-1:333333333333:instance/i-0123456789abcdef0"
    modify = "ec2:ModifyInstanceMetadataOptions"
    assert not denied(own, Request(modify, REMEDIATION_ROLE, resource=instance))
    assert denied(own, Request(modify, USER, resource=instance))
    assert denied(own, Request(modify, ISOLATION_ROLE, resource=instance))
    # The exemption is only as good as the name: nobody but admins creates a role under it.
    protect = policies("protectBaselineResources")
    assert denied(protect, Request("iam:CreateRole", USER, resource=REMEDIATION_ROLE))
    assert not denied(protect, Request("iam:CreateRole", ADMIN_ROLE, resource=REMEDIATION_ROLE))
    # The name follows the prefix.
    ctx = scp.GuardrailContext(allowed_regions=("us-east-1",), name_prefix="acme-sec")
    statement = scp.require_imdsv2(ctx)[1]
    assert statement["Condition"]["ArnNotLike"] == {
        "aws:PrincipalArn": ["arn:aws:iam::*:role/acme-sec-config-remediation"]
    }


def test_baseline_resources_are_protected_by_name_and_by_tag() -> None:
    own = policies("protectBaselineResources")
    by_name = [
        ("iam:DeleteRole", "arn:aws:iam::333333333333:role/secbaseline-isolate"),
        (
            "lambda:UpdateFunctionCode",
            "arn:aws:lambda:us-east-1:333333333333:function:secbaseline-x",
        ),
        ("events:DisableRule", "arn:aws:events:us-east-1:333333333333:rule/secbaseline-findings"),
    ]
    for action, resource in by_name:
        assert denied(own, Request(action, resource=resource)), action
        assert not denied(own, Request(action, ADMIN_ROLE, resource=resource)), action
        other = resource.replace("secbaseline-", "team-")
        assert not denied(own, Request(action, resource=other)), action
    tagged = Request(
        "iam:PutRolePolicy",
        resource="arn:aws:iam::333333333333:role/any-name",
        context={"aws:ResourceTag/secbaseline:managed-by": "pulumi-aws-security-baseline"},
    )
    assert denied(own, tagged)
    untag = Request(
        "iam:UntagRole",
        resource="arn:aws:iam::333333333333:role/any-name",
        context={"aws:TagKeys": ["secbaseline:managed-by"]},
    )
    assert denied(own, untag)
    other_tag = Request("iam:UntagRole", context={"aws:TagKeys": ["team"]})
    assert not denied(own, other_tag)


@pytest.mark.parametrize("action", ["iam:TagRole", "lambda:TagResource", "events:TagResource"])
def test_managed_by_tag_cannot_be_overwritten_by_non_admins(action: str) -> None:
    own = policies("protectBaselineResources")
    overwrite = {"aws:TagKeys": ["team", "secbaseline:managed-by"]}
    assert denied(own, Request(action, context=overwrite))
    assert not denied(own, Request(action, ADMIN_ROLE, context=overwrite))
    assert not denied(own, Request(action, BREAK_GLASS_ROLE, context=overwrite))
    assert not denied(own, Request(action, context={"aws:TagKeys": ["team"]}))


def test_protection_follows_the_name_prefix() -> None:
    ctx = scp.GuardrailContext(allowed_regions=("us-east-1",), name_prefix="acme-sec")
    statements = scp.protect_baseline_resources(ctx)
    assert "arn:aws:iam::*:role/acme-sec-*" in statements[0]["Resource"]


class TestRegionDeny:
    own = policies("denyOutsideAllowedRegions")

    def test_regional_actions_outside_allowed_regions_are_denied(self) -> None:
        for action in ("ec2:RunInstances", "s3:CreateBucket", "lambda:CreateFunction"):
            assert denied(self.own, Request(action, region="eu-west-1")), action

    def test_global_services_are_exempt_in_any_region(self) -> None:
        for action in (
            "iam:CreateRole",
            "sts:AssumeRole",
            "organizations:DescribeOrganization",
            "cloudfront:CreateDistribution",
            "route53:ChangeResourceRecordSets",
            "support:CreateCase",
            "budgets:ViewBudget",
            "health:DescribeEvents",
            "sso:ListInstances",
        ):
            assert not denied(self.own, Request(action, region="us-west-2")), action

    def test_everything_is_allowed_in_allowed_regions(self) -> None:
        for region in CTX.allowed_regions:
            assert not denied(self.own, Request("ec2:RunInstances", region=region))

    def test_admins_and_break_glass_are_exempt(self) -> None:
        for principal in (ADMIN_ROLE, BREAK_GLASS_ROLE):
            assert not denied(self.own, Request("ec2:RunInstances", principal, region="eu-west-1"))

    def test_statement_shape_matches_the_aws_example(self) -> None:
        statement = self.own[0]["Statement"][0]
        assert statement["Resource"] == "*"
        assert set(scp.GLOBAL_SERVICE_ACTIONS) == set(statement["NotAction"])
        assert statement["Condition"]["StringNotEquals"] == {
            "aws:RequestedRegion": ["ap-northeast-1", "us-east-1"]
        }
        assert statement["Condition"]["ArnNotLike"] == {
            "aws:PrincipalArn": [
                BREAK_GLASS,
                "arn:aws:iam::*:role/secbaseline-config-remediation",
                ADMIN,
                "arn:aws:iam::*:role/secbaseline-ec2-isolation",
            ]
        }

    def test_the_baselines_remediation_and_isolation_roles_act_in_every_region(self) -> None:
        for role in (REMEDIATION_ROLE, ISOLATION_ROLE):
            for action in ("ec2:ModifyInstanceAttribute", "ec2:CreateSnapshot"):
                assert not denied(self.own, Request(action, role, region="us-east-2")), role
        # By exact name: a look-alike role of a developer is not exempt.
        look_alike = "arn:aws:iam::333333333333:role/secbaseline-ec2-isolation-copy"
        assert denied(self.own, Request("ec2:RunInstances", look_alike, region="us-east-2"))
        assert denied(self.own, Request("ec2:RunInstances", USER, region="us-east-2"))


def test_without_exemptions_no_principal_condition_is_added() -> None:
    ctx = scp.GuardrailContext(allowed_regions=("us-east-1",))
    statement = scp.deny_cloudtrail_changes(ctx)[0]
    assert "Condition" not in statement
    assert denied([scp.policy_document([statement])], Request("cloudtrail:StopLogging", ADMIN_ROLE))


def test_every_default_policy_is_within_the_limits() -> None:
    assert 1 <= len(ALL) <= scp.DEFAULT_MAX_POLICIES
    for document in ALL:
        assert len(scp.minify(document)) <= scp.MAX_SCP_CHARS
    sids = [s["Sid"] for d in ALL for s in d["Statement"]]
    expected = [s["Sid"] for s in scp.build_statements(list(scp.STATEMENTS), CTX)]
    assert sorted(sids) == sorted(expected)
    assert len(sids) == len(set(sids))


def test_unknown_statement_name_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^guardrails.statements: 'denyFun' is not one of"):
        scp.build_statements(["denyFun"], CTX)


# --- the packer ---------------------------------------------------------------------------


def statement(sid: str, size: int) -> dict[str, Any]:
    """A Deny statement whose minified JSON is exactly ``size`` characters."""
    base = {"Sid": sid, "Effect": "Deny", "Action": "", "Resource": "*"}
    pad = size - len(scp.minify(base))
    assert pad >= 0
    base["Action"] = "x" * pad
    assert len(scp.minify(base)) == size
    return base


OVERHEAD = len(scp.minify(scp.policy_document([])))  # {"Version":...,"Statement":[]}


def test_many_small_statements_share_one_policy() -> None:
    statements = [statement(f"S{i:02d}", 100) for i in range(20)]
    packed = scp.pack_statements(statements)
    assert len(packed) == 1
    assert len(packed[0]["Statement"]) == 20


def test_exactly_at_the_limit_fits_and_one_more_character_does_not() -> None:
    exact = statement("Exact", scp.MAX_SCP_CHARS - OVERHEAD)
    [document] = scp.pack_statements([exact])
    assert len(scp.minify(document)) == scp.MAX_SCP_CHARS
    over = statement("TooBig", scp.MAX_SCP_CHARS - OVERHEAD + 1)
    with pytest.raises(
        ValueError, match=r"^statement 'TooBig' is 5082 characters minified \(5121 as a policy\)"
    ):
        scp.pack_statements([over])


def test_near_limit_statements_each_take_a_policy_first_fit_decreasing() -> None:
    # Two big ones cannot share; the small ones fill the gaps of the first bins.
    big = scp.MAX_SCP_CHARS - OVERHEAD - 200
    statements = [
        statement("Small1", 150),
        statement("Big1", big),
        statement("Big2", big),
        statement("Small2", 150),
    ]
    packed = scp.pack_statements(statements)
    assert [[s["Sid"] for s in p["Statement"]] for p in packed] == [
        ["Big1", "Small1"],
        ["Big2", "Small2"],
    ]
    assert all(len(scp.minify(p)) <= scp.MAX_SCP_CHARS for p in packed)


def test_more_policies_than_allowed_is_an_error() -> None:
    half = scp.MAX_SCP_CHARS // 2 + 10
    statements = [statement(f"Half{i}", half) for i in range(5)]
    with pytest.raises(ValueError, match=r"need 5 SCPs .* only 4 may be attached per target"):
        scp.pack_statements(statements)
    assert len(scp.pack_statements(statements, max_policies=5)) == 5
    with pytest.raises(ValueError, match=r"only 2 may be attached"):
        scp.pack_statements(statements[:3], max_policies=2)


def test_packing_is_deterministic_whatever_the_input_order() -> None:
    statements = [statement(f"S{i}", 300 + (i * 37) % 900) for i in range(25)]
    first = scp.pack_statements(statements)
    second = scp.pack_statements(list(reversed(statements)))
    assert json.dumps(first) == json.dumps(second)
    assert sum(len(p["Statement"]) for p in first) == 25
    assert all(len(scp.minify(p)) <= scp.MAX_SCP_CHARS for p in first)


def test_duplicate_sids_and_bad_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"^statements: Sid 'A' is used twice"):
        scp.pack_statements([statement("A", 100), statement("A", 120)])
    with pytest.raises(ValueError, match=r"^max_policies: 0 must be at least 1"):
        scp.pack_statements([statement("A", 100)], max_policies=0)
    with pytest.raises(ValueError, match=r"^max_chars: 10 cannot hold even an empty policy"):
        scp.pack_statements([statement("A", 100)], max_chars=10)


def test_smaller_max_chars_splits_the_library() -> None:
    statements = scp.build_statements(list(scp.STATEMENTS), CTX)
    packed = scp.pack_statements(statements, max_chars=2048, max_policies=10)
    assert len(packed) > len(ALL)
    assert all(len(scp.minify(p)) <= 2048 for p in packed)


def test_every_action_is_a_real_iam_action() -> None:
    """parliament's IAM database knows every action (and wildcard) the guardrails name."""
    import parliament

    actions: set[str] = set()
    for document in ALL:
        for entry in document["Statement"]:
            listed = entry.get("Action", entry.get("NotAction"))
            actions |= set(listed if isinstance(listed, list) else [listed])
    actions.discard("*")
    assert actions
    for action in sorted(actions):
        assert parliament.expand_action(action), action
    for document in ALL:
        findings = parliament.analyze_policy_string(json.dumps(document)).findings
        assert [f.issue for f in findings] == []
    with pytest.raises(parliament.UnknownActionException):
        parliament.expand_action("guardduty:DeleteDetectorz")  # the check can fail
