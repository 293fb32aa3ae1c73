"""GuardrailPolicies: packed SCPs attached to every target, validation, Control Tower."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline import scp
from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components import ControlTowerControl, GuardrailPolicies, GuardrailPoliciesArgs
from tests.scp_eval import Request, denied

POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
CONTROL = "aws:controltower/controlTowerControl:ControlTowerControl"
ADMIN = "arn:aws:iam::*:role/secbaseline-deployer"
BASE: dict[str, Any] = {
    "allowed_regions": ("ap-northeast-1", "us-east-1"),
    "home_region": "ap-northeast-1",
    "organization_id": "o-exampleorg1",
    "management_account_id": "111111111111",
    "admin_role_arns": (ADMIN,),
    "targets": ("r-ab12",),
}


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        GuardrailPolicies("guardrails", GuardrailPoliciesArgs(**{**BASE, **kwargs}))

    return run_program(program)


def scps(plan: Plan) -> list[dict[str, Any]]:
    return [json.loads(r.inputs["content"]) for r in plan.of_type(POLICY)]


def test_defaults_attach_every_guardrail_to_the_root(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    policies = plan.of_type(POLICY)
    assert 1 <= len(policies) <= 4
    for policy in policies:
        assert policy.inputs["type"] == "SERVICE_CONTROL_POLICY"
        assert len(policy.inputs["content"]) <= 5120
        assert policy.inputs["content"] == scp.minify(json.loads(policy.inputs["content"]))
    attachments = plan.of_type(ATTACHMENT)
    assert len(attachments) == len(policies)
    assert {a.inputs["targetId"] for a in attachments} == {"r-ab12"}
    documents = scps(plan)
    sids = {s["Sid"] for d in documents for s in d["Statement"]}
    assert {"DenyLeaveOrganization", "DenyCloudTrailChanges", "DenyGuardDutyChanges"} <= sids
    assert "DenyOutsideAllowedRegions" in sids
    assert denied(documents, Request("cloudtrail:StopLogging"))
    assert not denied(
        documents,
        Request("cloudtrail:StopLogging", "arn:aws:iam::333333333333:role/secbaseline-deployer"),
    )
    component = plan.one("secbaseline:index:GuardrailPolicies")
    assert all(r.parent == component.urn for r in plan.custom_resources())


def test_switching_statements_off_and_several_targets(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        statements={"denyOutsideAllowedRegions": False, "denyRootUser": False},
        targets=("ou-ab12-cdefgh12", "ou-ab12-ijklmn34", "444444444444"),
    )
    documents = scps(plan)
    sids = {s["Sid"] for d in documents for s in d["Statement"]}
    assert "DenyOutsideAllowedRegions" not in sids
    assert "DenyRootUser" not in sids
    launch = Request(
        "ec2:RunInstances", region="eu-west-1", context={"ec2:MetadataHttpTokens": "required"}
    )
    assert not denied(documents, launch)
    targets = sorted(a.inputs["targetId"] for a in plan.of_type(ATTACHMENT))
    assert targets == sorted(
        ["ou-ab12-cdefgh12", "ou-ab12-ijklmn34", "444444444444"] * len(documents)
    )


def test_limits_are_configurable(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, max_policy_chars=2500, max_policies_per_target=4)
    assert all(len(r.inputs["content"]) <= 2500 for r in plan.of_type(POLICY))
    assert len(plan.of_type(POLICY)) > 2
    with pytest.raises(ArgumentError, match=r"^max_policies_per_target: the \d+ enabled"):
        GuardrailPoliciesArgs(**{**BASE, "max_policies_per_target": 1})


def test_control_tower_drops_the_region_deny_by_default_and_enables_controls(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(
        run_program,
        control_tower=True,
        max_policies_per_target=2,
        control_tower_controls=(
            ControlTowerControl("AWS-GR_RESTRICT_ROOT_USER", ("ou-ab12-cdefgh12",)),
            ControlTowerControl(
                "arn:aws:controltower:ap-northeast-1::control/CT.S3.PR.1", ("ou-ab12-ijklmn34",)
            ),
        ),
    )
    sids = {s["Sid"] for d in scps(plan) for s in d["Statement"]}
    assert "DenyOutsideAllowedRegions" not in sids
    controls = plan.of_type(CONTROL)
    assert sorted(
        (c.inputs["controlIdentifier"], c.inputs["targetIdentifier"]) for c in controls
    ) == [
        (
            "arn:aws:controltower:ap-northeast-1::control/AWS-GR_RESTRICT_ROOT_USER",
            "arn:aws:organizations::111111111111:ou/o-exampleorg1/ou-ab12-cdefgh12",
        ),
        (
            "arn:aws:controltower:ap-northeast-1::control/CT.S3.PR.1",
            "arn:aws:organizations::111111111111:ou/o-exampleorg1/ou-ab12-ijklmn34",
        ),
    ]
    assert all(c.inputs["region"] == "ap-northeast-1" for c in controls)
    # Control Tower's own role keeps managing Config and CloudTrail in member accounts.
    execution = "arn:aws:iam::333333333333:role/AWSControlTowerExecution"
    documents = scps(plan)
    for action in ("config:StopConfigurationRecorder", "cloudtrail:UpdateTrail"):
        assert not denied(documents, Request(action, execution)), action
        assert denied(documents, Request(action)), action


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"allowed_regions": ("us-east-1",)},
            "allowed_regions: must include the home region 'ap-northeast-1'",
        ),
        ({"allowed_regions": ()}, "allowed_regions: must name at least one region"),
        ({"allowed_regions": ("us-east-1", "us-east-1")}, "allowed_regions: region 'us-east-1'"),
        ({"statements": {"denyFun": True}}, "statements.denyFun: unknown statement"),
        ({"statements": {"denyRootUser": "maybe"}}, "statements.denyRootUser: expected a valid"),
        (
            {"admin_role_arns": ("admin",)},
            "admin_role_arns[0]: 'admin' is not an IAM role ARN",
        ),
        (
            {"admin_role_arns": ("arn:aws:iam::123456789012:user/bob",)},
            "admin_role_arns[0]: 'arn:aws:iam::123456789012:user/bob' is not an IAM role ARN",
        ),
        (
            {"break_glass_role_arn": "arn:aws:s3:::bucket"},
            "break_glass_role_arn: 'arn:aws:s3:::bucket' is not an IAM role ARN",
        ),
        ({"targets": ()}, "targets: at least one root, OU or account id is required"),
        ({"targets": ("ou-bad",)}, "targets[0]: 'ou-bad' is not an OU id"),
        ({"targets": ("r-ab12", "r-ab12")}, "targets: a target is listed twice"),
        ({"max_policies_per_target": 5}, "max_policies_per_target: 5 is out of range 1-4"),
        ({"max_policy_chars": 6000}, "max_policy_chars: 6000 is out of range 100-5120"),
        ({"name_prefix": "-x"}, "name_prefix: '-x' must be 2-24 characters"),
        ({"organization_id": "org"}, "organization_id: 'org' is not an organization id"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x'"),
        (
            {"control_tower_controls": (ControlTowerControl("AWS-GR_X", ("ou-ab12-cdefgh12",)),)},
            "control_tower_controls: needs control_tower: true",
        ),
        (
            {
                "control_tower": True,
                "control_tower_controls": (ControlTowerControl("AWS-GR_X", ("ou-ab12-cdefgh12",)),),
                "organization_id": None,
            },
            "organization_id: required with control_tower_controls",
        ),
        (
            {
                "control_tower": True,
                "control_tower_controls": ({"control": "MY-CONTROL", "targets": ["ou-ab12-cd12"]},),
            },
            "control_tower_controls[0].control: unknown control identifier 'MY-CONTROL'",
        ),
        (
            {
                "control_tower": True,
                "control_tower_controls": ({"control": "AWS-GR_X", "targets": ["r-ab12"]},),
            },
            "control_tower_controls[0].targets[0]: 'r-ab12' is a root",
        ),
        (
            {
                "control_tower": True,
                "control_tower_controls": ({"control": "AWS-GR_X", "targets": []},),
            },
            "control_tower_controls[0].targets: names no target OU",
        ),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        GuardrailPoliciesArgs(**{**BASE, **kwargs})
    assert str(err.value).startswith(message)


def test_statements_that_cannot_fit_fail_at_construction() -> None:
    with pytest.raises(
        ArgumentError,
        match=r"^max_policy_chars: statement 'DenyOutsideAllowedRegions' is \d+ characters",
    ):
        GuardrailPoliciesArgs(**{**BASE, "max_policy_chars": 900})


COMMON: dict[str, Any] = {
    "allowed_regions": ("ap-northeast-1",),
    "home_region": "ap-northeast-1",
    "name_prefix": "secbaseline",
    "organization_id": "o-exampleorg1",
    "management_account_id": "111111111111",
    "targets": ["r-ab12"],
}


def test_from_config_reads_the_section() -> None:
    args = GuardrailPoliciesArgs.from_config(
        "guardrails",
        {
            "statements": {"denyRootUser": False},
            "adminRoleArns": [ADMIN],
            "breakGlassRoleArn": "arn:aws:iam::*:role/break-glass",
            "maxPoliciesPerTarget": "3",
            "tags": {"team": "security"},
        },
        **COMMON,
    )
    assert "denyRootUser" not in args.enabled_statements()
    assert args.targets == ["r-ab12"]
    assert args.max_policies_per_target == 3
    assert args.break_glass_role_arn == "arn:aws:iam::*:role/break-glass"
    no_targets = {k: v for k, v in COMMON.items() if k != "targets"}
    configured = GuardrailPoliciesArgs.from_config(
        "guardrails",
        {"targets": ["ou-ab12-cdefgh12", "444444444444"], "adminRoleArns": [ADMIN]},
        **no_targets,
    )
    assert configured.targets == ["ou-ab12-cdefgh12", "444444444444"]
    under_ct = GuardrailPoliciesArgs.from_config(
        "guardrails",
        {
            "controlTowerControls": [{"control": "CT.EC2.PR.8", "targets": ["ou-ab12-cdefgh12"]}],
            "adminRoleArns": [ADMIN],
        },
        control_tower=True,
        **COMMON,
    )
    assert under_ct.policy_limit() == 2  # Control Tower's SCPs share the limit
    assert under_ct.control_tower_controls[0] == ControlTowerControl(
        control="CT.EC2.PR.8", targets=["ou-ab12-cdefgh12"]
    )
    assert GuardrailPoliciesArgs(**BASE).policy_limit() == 4


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"denyAll": True}, "guardrails.denyAll: unknown option"),
        ({"targets": "r-ab12"}, "guardrails.targets: 'str' instances"),
        ({"targets": ["ou-bad"]}, "guardrails.targets[0]: 'ou-bad' is not an OU id"),
        ({"targets": []}, "guardrails.targets: at least one root, OU or account id is required"),
        (
            {"controlTowerControls": [{"targets": ["ou-ab12-cdefgh12"]}]},
            "guardrails.controlTowerControls[0].control: required",
        ),
        (
            {
                "controlTowerControls": [{"control": "AWS-GR_X", "targets": ["ou-ab12-cdefgh12"]}],
                "adminRoleArns": [ADMIN],
            },
            "guardrails.controlTowerControls: needs controlTower: true",
        ),
        (
            {"controlTowerControls": [{"control": "AWS-GR_X", "ous": []}]},
            "guardrails.controlTowerControls[0].targets: required; "
            "guardrails.controlTowerControls[0].ous: unknown option",
        ),
        ({"adminRoleArns": ["admin"]}, "guardrails.adminRoleArns[0]: 'admin' is not an IAM"),
        ({"maxPoliciesPerTarget": 9}, "guardrails.maxPoliciesPerTarget: 9 is out of range 1-4"),
        ({"statements": {"denyFun": True}}, "guardrails.statements.denyFun: unknown statement"),
        ({"statements": []}, "guardrails.statements: expected a valid dictionary"),
    ],
)
def test_bad_config_names_the_config_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        GuardrailPoliciesArgs.from_config(
            "guardrails",
            {"targets": ["r-ab12"], **section},
            **{k: v for k, v in COMMON.items() if k != "targets"},
        )
    assert str(err.value).startswith(message)


def test_tags_reach_the_policies(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "security"})
    assert plan.of_type(POLICY)
    for policy in plan.of_type(POLICY):
        assert policy.inputs["tags"] == {"team": "security"}


def test_ous_built_in_the_same_program_are_wired_in(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        ou = aws.organizations.OrganizationalUnit("workloads", name="Workloads", parent_id="r-ab12")
        guardrails = GuardrailPolicies(
            "guardrails",
            GuardrailPoliciesArgs(
                **{
                    **BASE,
                    "targets": [ou.id],
                    "control_tower": True,
                    "control_tower_controls": [
                        ControlTowerControl(control="AWS-GR_RESTRICT_ROOT_USER", targets=[ou.id])
                    ],
                }
            ),
        )
        pulumi.export("count", guardrails.policy_count)

    plan = run_program(program)
    ou = plan.one("aws:organizations/organizationalUnit:OrganizationalUnit")
    attachments = plan.of_type(ATTACHMENT)
    assert attachments and {a.inputs["targetId"] for a in attachments} == {ou.id}
    control = plan.one(CONTROL)
    assert control.inputs["targetIdentifier"] == (
        f"arn:aws:organizations::111111111111:ou/o-exampleorg1/{ou.id}"
    )


def test_a_bad_target_output_fails_when_it_resolves(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        topic = aws.sns.Topic("topic")
        GuardrailPolicies("guardrails", GuardrailPoliciesArgs(**{**BASE, "targets": [topic.arn]}))

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert "targets[0]: 'arn:aws:sns:" in str(err.value)
    assert "is not an OU id" in str(err.value)


def test_no_exempt_role_is_refused_unless_accepted() -> None:
    base = dict(COMMON)
    with pytest.raises(ArgumentError, match=r"^admin_role_arns: none given.*no_admin_exemption"):
        GuardrailPoliciesArgs(**base)
    assert GuardrailPoliciesArgs(**base, no_admin_exemption=True).admin_role_arns == []
    assert GuardrailPoliciesArgs(**base, break_glass_role_arn="arn:aws:iam::*:role/bg")


def test_management_plan_scps_deny_silencing_guardduty_and_exempt_the_baseline_roles(
    plan_tier: Callable[..., Plan],
) -> None:
    """The default management plan: members cannot silence GuardDuty or CloudTrail, and the
    baseline's own remediation and isolation roles (named as the member plan names them) act
    outside ``allowedRegions`` and fix metadata options."""
    documents = scps(plan_tier(tier="advanced", role="management"))
    for action in (
        "guardduty:CreateFilter",
        "guardduty:UpdateFilter",
        "guardduty:CreateIPSet",
        "guardduty:UpdateIPSet",
        "guardduty:CreateThreatIntelSet",
        "guardduty:UpdateThreatIntelSet",
        "cloudtrail:PutInsightSelectors",
        "cloudtrail:DeleteEventDataStore",
    ):
        assert denied(documents, Request(action)), action
    member = plan_tier(tier="advanced", role="member")
    roles = {r.inputs.get("name") for r in member.of_type("aws:iam/role:Role")}
    assert {"secbaseline-config-remediation", "secbaseline-ec2-isolation"} <= roles
    outside = "eu-north-1"  # a region no allowedRegions list of the example stack holds
    for role in ("secbaseline-config-remediation", "secbaseline-ec2-isolation"):
        arn = f"arn:aws:iam::333333333333:role/{role}"
        assert not denied(documents, Request("ec2:DescribeInstances", arn, region=outside))
        assert denied(documents, Request("ec2:DescribeInstances", region=outside))
    fix = Request(
        "ec2:ModifyInstanceMetadataOptions",
        "arn:aws:iam::333333333333:role/secbaseline-config-remediation",
        region="ap-northeast-1",
    )
    assert not denied(documents, fix)
    assert denied(documents, Request("ec2:ModifyInstanceMetadataOptions", region="ap-northeast-1"))
