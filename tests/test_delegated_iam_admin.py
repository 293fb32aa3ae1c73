"""DelegatedIamAdmin (S-18): the escalation paths are closed, proven with a tiny evaluator.

moto cannot evaluate IAM policies, so the documents are parsed from the plan and evaluated by
``tests/iam_eval.py`` (explicit deny wins, wildcard matching, the condition operators used).
"""

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components import DelegatedIamAdmin, DelegatedIamAdminArgs
from tests.iam_eval import ALLOW, DENY, IMPLICIT_DENY, evaluate

ACCOUNT = "111111111111"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/secbaseline/secbaseline-developer-boundary"
DELEGATION = f"arn:aws:iam::{ACCOUNT}:policy/secbaseline/secbaseline-iam-delegation"
ROLE_UNDER_PREFIX = f"arn:aws:iam::{ACCOUNT}:role/delegated/app-orders"
POLICY_UNDER_PREFIX = f"arn:aws:iam::{ACCOUNT}:policy/delegated/app-orders-read"
WITH_BOUNDARY = {"iam:PermissionsBoundary": BOUNDARY}


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        DelegatedIamAdmin("delegation", DelegatedIamAdminArgs(account_id=ACCOUNT, **kwargs))

    return run_program(program)


def documents(plan: Plan) -> tuple[dict[str, Any], dict[str, Any]]:
    policies = {r.name: r for r in plan.of_type("aws:iam/policy:Policy")}
    return (
        json.loads(policies["delegation-boundary"].inputs["policy"]),
        json.loads(policies["delegation-delegation"].inputs["policy"]),
    )


@pytest.fixture
def docs(run_program: Callable[..., Plan]) -> tuple[dict[str, Any], dict[str, Any]]:
    return documents(build(run_program))


def test_policies_are_named_outside_the_delegated_path(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    policies = {r.name: r for r in plan.of_type("aws:iam/policy:Policy")}
    boundary = policies["delegation-boundary"]
    assert boundary.inputs["path"] == "/secbaseline/"
    assert boundary.outputs["arn"] == BOUNDARY
    assert policies["delegation-delegation"].outputs["arn"] == DELEGATION
    component = plan.one("secbaseline:index:DelegatedIamAdmin")
    assert all(r.parent == component.urn for r in plan.custom_resources())


def test_developer_can_create_a_role_with_the_boundary_under_the_prefix(
    docs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, delegation = docs
    assert evaluate([delegation], "iam:CreateRole", ROLE_UNDER_PREFIX, WITH_BOUNDARY) == ALLOW
    assert evaluate([delegation], "iam:PutRolePolicy", ROLE_UNDER_PREFIX, WITH_BOUNDARY) == ALLOW
    assert evaluate([delegation], "iam:PassRole", ROLE_UNDER_PREFIX) == ALLOW
    assert evaluate([delegation], "iam:CreatePolicy", POLICY_UNDER_PREFIX) == ALLOW


def test_role_without_the_boundary_is_denied(docs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, delegation = docs
    assert evaluate([delegation], "iam:CreateRole", ROLE_UNDER_PREFIX) == DENY
    other = {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert evaluate([delegation], "iam:CreateRole", ROLE_UNDER_PREFIX, other) == DENY
    # Swapping the boundary for a wider one is denied too.
    assert evaluate([delegation], "iam:PutRolePermissionsBoundary", ROLE_UNDER_PREFIX, other) == (
        DENY
    )
    assert evaluate([delegation], "iam:AttachRolePolicy", ROLE_UNDER_PREFIX) == DENY


def test_boundary_cannot_be_removed(docs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, delegation = docs
    assert evaluate([delegation], "iam:DeleteRolePermissionsBoundary", ROLE_UNDER_PREFIX) == DENY


@pytest.mark.parametrize(
    "action",
    [
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
    ],
)
def test_boundary_and_delegation_policies_cannot_be_edited(
    docs: tuple[dict[str, Any], dict[str, Any]], action: str
) -> None:
    _, delegation = docs
    assert evaluate([delegation], action, BOUNDARY) == DENY
    assert evaluate([delegation], action, DELEGATION) == DENY


@pytest.mark.parametrize(
    "role",
    [
        f"arn:aws:iam::{ACCOUNT}:role/secbaseline-config-remediation",
        f"arn:aws:iam::{ACCOUNT}:role/Admin",
        f"arn:aws:iam::{ACCOUNT}:role/delegated/other-team",
        f"arn:aws:iam::{ACCOUNT}:role/app-orders",  # right prefix, wrong path
    ],
)
def test_roles_outside_the_prefix_cannot_be_created_or_passed(
    docs: tuple[dict[str, Any], dict[str, Any]], role: str
) -> None:
    _, delegation = docs
    assert evaluate([delegation], "iam:CreateRole", role, WITH_BOUNDARY) != ALLOW
    assert evaluate([delegation], "iam:PassRole", role) != ALLOW
    assert evaluate([delegation], "iam:AttachRolePolicy", role, WITH_BOUNDARY) != ALLOW


def test_users_and_access_keys_are_not_delegated(
    docs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, delegation = docs
    user = f"arn:aws:iam::{ACCOUNT}:user/delegated/app-bot"
    assert evaluate([delegation], "iam:CreateUser", user) == IMPLICIT_DENY
    assert evaluate([delegation], "iam:CreateAccessKey", user) == IMPLICIT_DENY


def test_boundary_caps_what_a_developer_role_can_do(
    docs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    boundary, _ = docs
    # Even a role a developer gives AdministratorAccess stays inside the boundary.
    admin = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

    def can(action: str, resource: str = "*", context: dict[str, str] | None = None) -> str:
        return evaluate([admin], action, resource, context, boundary=boundary)

    assert can("s3:GetObject", "arn:aws:s3:::orders/a.json") == ALLOW
    assert can("dynamodb:PutItem") == ALLOW
    assert can("iam:PassRole", ROLE_UNDER_PREFIX) == ALLOW
    assert can("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/Admin") == DENY
    assert can("iam:CreateRole", ROLE_UNDER_PREFIX, WITH_BOUNDARY) == DENY
    assert can("iam:CreateAccessKey") == DENY
    assert can("organizations:LeaveOrganization") == DENY
    assert can("guardduty:DeleteDetector") == DENY
    assert can("securityhub:DisableSecurityHub") == DENY
    assert can("config:StopConfigurationRecorder") == DENY
    assert can("cloudtrail:StopLogging") == DENY
    assert can("access-analyzer:DeleteAnalyzer") == DENY
    assert can("detective:DeleteGraph") == DENY
    assert can("inspector2:Disable") == DENY
    tagged = {"aws:ResourceTag/secbaseline:managed-by": "pulumi-aws-security-baseline"}
    key = "arn:aws:kms:ap-northeast-1:111111111111:key/abc"
    assert can("kms:ScheduleKeyDeletion", key, tagged) == DENY
    assert can("kms:Decrypt", key, tagged) == ALLOW
    instance = "arn:aws:ec2:ap-northeast-1:111111111111:instance/*"
    assert can("ec2:RunInstances", instance, {"ec2:MetadataHttpTokens": "optional"}) == DENY
    assert can("ec2:RunInstances", instance) == DENY  # no metadata options: IMDSv1 allowed
    assert can("ec2:ModifyInstanceMetadataOptions", instance) == DENY
    assert can("sts:AssumeRole") == IMPLICIT_DENY  # not a workload service by default
    assert can("ssm:GetParameter") == ALLOW
    assert can("ssm:SendCommand") == IMPLICIT_DENY  # an operator power, not a workload need
    # The baseline's alerting and response resources, by tag and by name.
    isolation = f"arn:aws:lambda:ap-northeast-1:{ACCOUNT}:function:secbaseline-ec2-isolation"
    assert can("lambda:UpdateFunctionCode", isolation) == DENY
    assert can("lambda:InvokeFunction", isolation) == DENY
    rule = f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/security-notifications-guardduty-1a2b3c"
    assert can("events:DisableRule", rule, tagged) == DENY
    assert can("events:DisableRule", f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/orders") == ALLOW
    topic = f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:secbaseline-security-notifications"
    assert can("sns:DeleteTopic", topic) == DENY
    assert can("sns:Publish", topic) == ALLOW
    assert can("cloudwatch:DeleteAlarms", "*", tagged) == DENY
    assert can("s3:BypassGovernanceRetention", "arn:aws:s3:::evidence/x") == DENY
    own_function = f"arn:aws:lambda:ap-northeast-1:{ACCOUNT}:function:orders-api"
    assert can("lambda:UpdateFunctionCode", own_function) == ALLOW


def test_protected_key_arns_are_denied_explicitly(run_program: Callable[..., Plan]) -> None:
    key = "arn:aws:kms:us-east-1:111111111111:key/1234"
    boundary, _ = documents(build(run_program, protected_key_arns=[key]))
    admin = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assert evaluate([admin], "kms:ScheduleKeyDeletion", key, boundary=boundary) == DENY
    other = "arn:aws:kms:us-east-1:111111111111:key/9999"
    assert evaluate([admin], "kms:ScheduleKeyDeletion", other, boundary=boundary) == (IMPLICIT_DENY)


def test_custom_prefix_path_and_attachment(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, role_prefix="team-a-", path="/", attach_to_roles=["Developer"])
    _, delegation = documents(plan)
    role = f"arn:aws:iam::{ACCOUNT}:role/team-a-api"
    assert evaluate([delegation], "iam:CreateRole", role, WITH_BOUNDARY) == ALLOW
    assert evaluate([delegation], "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/team-b") != ALLOW
    attachment = plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["role"] == "Developer"
    assert attachment.inputs["policyArn"] == DELEGATION


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role_prefix": ""}, "role_prefix: '' must be 2-32 characters"),
        ({"role_prefix": "*"}, "role_prefix: '*' must be 2-32 characters"),
        ({"role_prefix": "app*"}, "role_prefix: 'app*' must be 2-32 characters"),
        ({"role_prefix": "sec"}, "role_prefix: 'sec' overlaps the baseline's own prefix"),
        (
            {"role_prefix": "secbaseline-dev-"},
            "role_prefix: 'secbaseline-dev-' overlaps the baseline's",
        ),
        (
            {"role_prefix": "Adm", "protected_role_names": ["AdminRole"]},
            "role_prefix: 'Adm' matches the protected role 'AdminRole'",
        ),
        (
            {"role_prefix": "adm", "protected_role_names": ["AdminRole"]},
            "role_prefix: 'adm' matches the protected role 'AdminRole'",
        ),
        ({"protected_role_names": ["bad name"]}, "protected_role_names[0]: 'bad name' is not an"),
        ({"path": "delegated"}, "path: 'delegated' must start and end with '/'"),
        ({"workload_services": ["iam"]}, "workload_services: 'iam' cannot be granted"),
        ({"workload_services": ["S3"]}, "workload_services: 'S3' is not a service prefix"),
        ({"workload_services": []}, "workload_services: must list at least one"),
        (
            {"protected_key_arns": ["arn:aws:s3:::bucket"]},
            "protected_key_arns[0]: 'arn:aws:s3:::bucket' is not an ARN of service 'kms'",
        ),
        ({"attach_to_roles": ["bad name"]}, "attach_to_roles[0]: 'bad name' is not an IAM role"),
        ({"account_id": "1"}, "account_id: '1' is not a 12-digit AWS account id"),
        ({"name_prefix": "X"}, "name_prefix: 'X' must be 2-24 characters"),
        ({"tags": {"aws:x": "1"}}, "tags: tag key 'aws:x'"),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        DelegatedIamAdminArgs(**kwargs)
    assert str(err.value).startswith(message)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role_prefix": ""}, "rolePrefix: '' must be 2-32 characters"),
        ({"role_prefix": "*"}, "rolePrefix: '*' must be 2-32 characters"),
        ({"role_prefix": "app*"}, "rolePrefix: 'app*' must be 2-32 characters"),
        ({"role_prefix": "sec"}, "rolePrefix: 'sec' overlaps the baseline's own prefix"),
        (
            {"role_prefix": "secbaseline-dev-"},
            "rolePrefix: 'secbaseline-dev-' overlaps the baseline's",
        ),
        (
            {"role_prefix": "Adm", "protected_role_names": ["AdminRole"]},
            "rolePrefix: 'Adm' matches the protected role 'AdminRole'",
        ),
        (
            {"role_prefix": "adm", "protected_role_names": ["AdminRole"]},
            "rolePrefix: 'adm' matches the protected role 'AdminRole'",
        ),
        ({"protected_role_names": ["bad name"]}, "protectedRoleNames[0]: 'bad name' is not an"),
        ({"path": "delegated"}, "path: 'delegated' must start and end with '/'"),
        ({"workload_services": ["iam"]}, "workloadServices: 'iam' cannot be granted"),
        ({"workload_services": ["S3"]}, "workloadServices: 'S3' is not a service prefix"),
        ({"workload_services": []}, "workloadServices: must list at least one"),
        (
            {"protected_key_arns": ["arn:aws:s3:::bucket"]},
            "protectedKeyArns[0]: 'arn:aws:s3:::bucket' is not an ARN of service 'kms'",
        ),
        ({"attach_to_roles": ["bad name"]}, "attachToRoles[0]: 'bad name' is not an IAM role"),
        ({"account_id": "1"}, "accountId: '1' is not a 12-digit AWS account id"),
        ({"name_prefix": "X"}, "namePrefix: 'X' must be 2-24 characters"),
        ({"tags": {"aws:x": "1"}}, "tags: tag key 'aws:x'"),
    ],
)
def test_bad_config(kwargs: dict[str, Any], message: str) -> None:
    section = {_camel(key): value for key, value in kwargs.items()}
    with pytest.raises(ArgumentError) as err:
        DelegatedIamAdminArgs.from_config("iamDelegation", section)
    assert str(err.value).startswith(f"iamDelegation.{message}")


def test_from_config() -> None:
    args = DelegatedIamAdminArgs.from_config(
        "iamDelegation",
        {"rolePrefix": "team-", "path": "/teams/", "protectedRoleNames": ["Admin"]},
        name_prefix="acme",
        account_id=ACCOUNT,
    )
    assert (args.role_prefix, args.path, tuple(args.protected_role_names)) == (
        "team-",
        "/teams/",
        ("Admin",),
    )
    assert args.name_prefix == "acme"
    with pytest.raises(ArgumentError, match=r"^iamDelegation.prefix: unknown option"):
        DelegatedIamAdminArgs.from_config("iamDelegation", {"prefix": "x"})
    with pytest.raises(ArgumentError, match=r"^iamDelegation.rolePrefix: expected a valid string"):
        DelegatedIamAdminArgs.from_config("iamDelegation", {"rolePrefix": None})
    with pytest.raises(ArgumentError, match=r"^iamDelegation.protectedRoleNames: "):
        DelegatedIamAdminArgs.from_config("iamDelegation", {"protectedRoleNames": "Admin"})


def test_outputs_reach_the_policy_and_attachment(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        key = aws.kms.Key("data")
        role = aws.iam.Role("developer", assume_role_policy="{}")
        DelegatedIamAdmin(
            "delegation",
            DelegatedIamAdminArgs(
                account_id=ACCOUNT, protected_key_arns=[key.arn], attach_to_roles=[role.name]
            ),
        )

    plan = run_program(program)
    key = plan.one("aws:kms/key:Key")
    role = plan.one("aws:iam/role:Role")
    boundary, _ = documents(plan)
    protected = next(s for s in boundary["Statement"] if s["Sid"] == "DenyDeletingProtectedKeys")
    assert protected["Resource"] == [key.outputs["arn"]]
    attachment = plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.name == "delegation-attach-0"
    assert attachment.inputs["role"] == role.outputs["name"]
    assert attachment.inputs["policyArn"] == DELEGATION


def test_bad_key_output_fails_when_it_resolves(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        topic = aws.sns.Topic("t")
        DelegatedIamAdmin(
            "delegation",
            DelegatedIamAdminArgs(account_id=ACCOUNT, protected_key_arns=[topic.arn]),
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert "protected_key_arns[0]: 'arn:aws:sns:" in str(err.value)
    assert "is not an ARN of service 'kms'" in str(err.value)


def test_tags_reach_both_policies(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "security"})
    policies = plan.of_type("aws:iam/policy:Policy")
    assert len(policies) == 2
    assert all(p.inputs["tags"] == {"team": "security"} for p in policies)


def test_evaluator_itself_distinguishes_allow_and_deny() -> None:
    """Guard against a vacuous evaluator: every rule it implements changes an outcome."""
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "data"}},
            },
        ]
    }
    team = {"aws:PrincipalTag/team": "data"}
    assert evaluate([policy], "s3:getobject", "arn:aws:s3:::b/k", team) == ALLOW
    assert evaluate([policy], "s3:GetObject", "arn:aws:s3:::b/k") == DENY  # absent key
    assert evaluate([policy], "s3:GetObjectAcl", "arn:aws:s3:::b/k") == ALLOW
    assert evaluate([policy], "s3:PutObject", "arn:aws:s3:::b/k", team) == IMPLICIT_DENY
    assert evaluate([policy], "s3:GetObject", "arn:aws:s3:::other/k", team) == IMPLICIT_DENY
    with pytest.raises(NotImplementedError):
        evaluate(
            [
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "*",
                            "Resource": "*",
                            "Condition": {"NumericLessThan": {"x": "1"}},
                        }
                    ]
                }
            ],
            "s3:GetObject",
            "*",
        )


BUCKET_CONFIGURATION_ACTIONS = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketLogging",
    "s3:DeleteBucket",
)


@pytest.mark.parametrize(
    "config",
    [{"tier": "intermediate"}, {"tier": "advanced", "role": "management"}],
    ids=["intermediate", "management"],
)
def test_boundary_fences_every_bucket_the_baseline_plans(
    plan_tier: Callable[..., Plan], config: dict[str, str]
) -> None:
    """Every bucket of the default plans is named under ``secbaseline-``, and a developer role
    (AdministratorAccess inside the boundary) can neither reconfigure nor delete it."""
    plan = plan_tier(**config)
    boundary = json.loads(
        next(
            p
            for p in plan.of_type("aws:iam/policy:Policy")
            if p.inputs.get("name") == "secbaseline-developer-boundary"
        ).inputs["policy"]
    )
    admin = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

    def can(action: str, resource: str = "*") -> str:
        return evaluate([admin], action, resource, boundary=boundary)

    names = sorted(b.outputs["bucket"] for b in plan.of_type("aws:s3/bucket:Bucket"))
    assert names
    for name in names:
        assert name.startswith("secbaseline-"), name
        bucket = f"arn:aws:s3:::{name}"
        for action in BUCKET_CONFIGURATION_ACTIONS:
            assert can(action, bucket) == DENY, (action, name)
        assert can("s3:DeleteObjectVersion", f"{bucket}/AWSLogs/1/x.json.gz") == DENY
        assert can("s3:PutObject", f"{bucket}/isolation/i-1/state.json") == DENY
        assert can("s3:GetObject", f"{bucket}/AWSLogs/1/x.json.gz") == ALLOW  # reading is fine
    assert can("s3:PutAccountPublicAccessBlock") == DENY
    # The developers' own buckets stay theirs.
    assert can("s3:PutBucketPolicy", "arn:aws:s3:::app-orders") == ALLOW
    assert can("s3:CreateBucket", "arn:aws:s3:::app-orders") == ALLOW
    assert can("s3:CreateBucket", "arn:aws:s3:::secbaseline-config-x") == DENY
