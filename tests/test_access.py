"""The beginner tier's access part (S-01..S-04, S-13) planned end to end from config."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components.private_network import EC2_ENDPOINTS, FARGATE_ENDPOINTS

HOME = "ap-northeast-1"
DETECTION = ["ap-northeast-1", "eu-west-1", "us-east-1"]


def components(plan: Plan, kind: str) -> list[str]:
    return [r.name for r in plan.of_type(f"secbaseline:index:{kind}")]


def regions(plan: Plan, token: str) -> list[str]:
    return sorted(str(plan.region_of(r)) for r in plan.of_type(token))


def test_beginner_defaults(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="beginner")
    assert components(plan, "FargateBastion") == ["fargate-bastion"]
    assert components(plan, "PrivateNetwork") == ["bastion-network"]
    assert components(plan, "Ec2Bastion") == []
    assert regions(plan, "aws:ecs/cluster:Cluster") == [HOME]
    assert regions(plan, "aws:ec2/vpc:Vpc") == [HOME]
    endpoints = {
        e.inputs["serviceName"].removeprefix(f"com.amazonaws.{HOME}.")
        for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert endpoints == {*FARGATE_ENDPOINTS, "s3"}
    # Session Manager preferences, patching and Inspector in every detection region.
    assert regions(plan, "aws:ssm/document:Document") == DETECTION
    # Inventory and the patch scan cover every managed instance in every detection region.
    assert regions(plan, "aws:ssm/association:Association") == sorted(DETECTION * 2)
    assert regions(plan, "aws:ssm/patchBaseline:PatchBaseline") == sorted(DETECTION * 2)
    assert regions(plan, "aws:ssm/maintenanceWindow:MaintenanceWindow") == DETECTION
    assert regions(plan, "aws:inspector2/enabler:Enabler") == DETECTION
    # DHMC (patching) and blocked public sharing of documents (account hardening).
    assert regions(plan, "aws:ssm/serviceSetting:ServiceSetting") == sorted(DETECTION * 2)
    # One account provider; every resource of this part uses it.
    assert len([r for r in plan.resources if r.type == "pulumi:providers:aws"]) == 1
    provider = next(r for r in plan.resources if r.type == "pulumi:providers:aws")
    assert all(r.provider and r.provider.startswith(provider.urn) for r in plan.custom_resources())
    for enabler in plan.of_type("aws:inspector2/enabler:Enabler"):
        assert enabler.inputs["accountIds"] == ["333333333333"]
    patch_groups = {g.inputs["patchGroup"] for g in plan.of_type("aws:ssm/patchGroup:PatchGroup")}
    assert patch_groups == {"secbaseline"}


def test_no_ingress_anywhere_and_imdsv2_everywhere(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="beginner", ec2Bastion={"enabled": True})
    for group in plan.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.inputs.get("ingress"), group.name
    bastion_groups = {
        g.id
        for g in plan.of_type("aws:ec2/securityGroup:SecurityGroup")
        if g.name in {"fargate-bastion-sg", "ec2-bastion-sg"}
    }
    # The only ingress rules admit the bastions' groups to the endpoints, on 443.
    for rule in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        assert rule.inputs["referencedSecurityGroupId"] in bastion_groups
        assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443, 443)
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
    for instance in plan.of_type("aws:ec2/instance:Instance"):
        assert instance.inputs["metadataOptions"]["httpTokens"] == "required"
        assert instance.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert instance.inputs["associatePublicIpAddress"] is False
        assert "keyName" not in instance.inputs
    for kind in ("InternetGateway", "NatGateway", "Eip"):
        assert not [r for r in plan.resources if r.type.endswith(f":{kind}")]


def test_ec2_bastion_shares_the_network_and_session_settings(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(tier="beginner", ec2Bastion={"enabled": True})
    assert components(plan, "PrivateNetwork") == ["bastion-network"]
    endpoints = {
        e.inputs["serviceName"].removeprefix(f"com.amazonaws.{HOME}.")
        for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert endpoints == {*FARGATE_ENDPOINTS, *EC2_ENDPOINTS, "s3"}
    instance = plan.one("aws:ec2/instance:Instance")
    assert instance.inputs["tags"]["Patch Group"] == "secbaseline"
    subnets = {s.id for s in plan.of_type("aws:ec2/subnet:Subnet")}
    assert instance.inputs["subnetId"] in subnets
    policy = next(
        p
        for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name == "ec2-bastion-session-logging"
    )
    statements = json.loads(policy.inputs["policy"])["Statement"]
    key = next(
        k for k in plan.of_type("aws:kms/key:Key") if k.name == f"session-manager-key-{HOME}"
    )
    assert {
        "Sid": "DecryptSessionData",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key.outputs["arn"],
    } in statements


def dhmc_session_policy(plan: Plan) -> dict[str, Any] | None:
    role = next(r for r in plan.of_type("aws:iam/role:Role") if r.name == "patching-dhmc-role")
    policies = [
        p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.id
    ]
    if not policies:
        return None
    [policy] = policies
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


def test_dhmc_role_may_open_encrypted_logged_sessions(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="beginner", sessionManager={"regions": ["ap-northeast-1", "us-east-1"]})
    keys = {
        k.name.removeprefix("session-manager-key-"): k.outputs["arn"]
        for k in plan.of_type("aws:kms/key:Key")
        if k.name.startswith("session-manager-key-")
    }
    groups = {
        g.name.removeprefix("session-manager-logs-"): g.outputs["arn"]
        for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")
        if g.name.startswith("session-manager-logs-")
    }
    assert sorted(keys) == sorted(groups) == ["ap-northeast-1", "us-east-1"]
    statements = dhmc_session_policy(plan)
    assert statements == {
        "DecryptSessionData": {
            "Sid": "DecryptSessionData",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": [keys["ap-northeast-1"], keys["us-east-1"]],
        },
        "FindSessionLogGroup": {
            "Sid": "FindSessionLogGroup",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": "*",
        },
        "WriteSessionLogs": {
            "Sid": "WriteSessionLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": [f"{groups['ap-northeast-1']}:*", f"{groups['us-east-1']}:*"],
        },
    }
    # Only when both the preferences and Default Host Management are on.
    plan = plan_tier(tier="beginner", patching={"defaultHostManagement": False})
    assert not [r for r in plan.of_type("aws:iam/role:Role") if r.name == "patching-dhmc-role"]
    assert not [p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if "dhmc" in p.name]
    plan = plan_tier(tier="beginner", sessionManager={"enabled": False})
    assert dhmc_session_policy(plan) is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"sessionManager": {"namePrefix": "acme"}},
            "sessionManager.namePrefix: set by the tier; remove it from the section",
        ),
        (
            {"patching": {"enabled": False, "scanSchedul": "rate(1 day)"}},
            "patching.scanSchedul: unknown option; did you mean 'scanSchedule'?",
        ),
        (
            {"patching": {"regions": ["us-east-1", "eu-west-1", "us-east-1"]}},
            "patching.regions: region 'us-east-1' is listed twice",
        ),
        (
            {"vulnerabilityScanning": {"accountId": "111111111111"}},
            "vulnerabilityScanning.accountId: set by the tier; remove it from the section",
        ),
        (
            {"vulnerabilityScanning": {"enabled": False, "lambdaCod": True}},
            "vulnerabilityScanning.lambdaCod: unknown option; did you mean 'lambdaCode'?",
        ),
        (
            {"sessionManager": {"enabled": False, "idleTimeout": 5}},
            "sessionManager.idleTimeout: unknown option; did you mean 'idleTimeoutMinutes'?",
        ),
        (
            {"sessionManager": {"regions": ["us-east-1"], "kmsKeyArn": "arn:aws:kms:x"}},
            "sessionManager.kmsKeyArn: 'arn:aws:kms:x' is not an ARN",
        ),
        ({"sessionManager": {"enabled": "no"}}, "sessionManager.enabled: expected true or false"),
    ],
)
def test_ops_sections_are_checked_naming_the_key(
    plan_tier: Callable[..., Plan], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as err:
        plan_tier(tier="beginner", **config)
    assert str(err.value).startswith(message)


def test_sections_move_and_disable_things(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(
        tier="beginner",
        bastion={"enabled": False},
        ec2Bastion={
            "enabled": True,
            "region": "us-east-1",
            "vpcId": "vpc-0123456789abcdef0",
            "subnetId": "subnet-0123456789abcdef0",
        },
        sessionManager={"regions": ["ap-northeast-1", "us-east-1"]},
        patching={
            "regions": ["ap-northeast-1"],
            "operatingSystems": ["AMAZON_LINUX_2023"],
            "patchGroup": "prod",
        },
        vulnerabilityScanning={"enabled": False},
    )
    assert components(plan, "FargateBastion") == []
    assert components(plan, "PrivateNetwork") == []
    assert regions(plan, "aws:ec2/instance:Instance") == ["us-east-1"]
    assert plan.one("aws:ec2/instance:Instance").inputs["tags"]["Patch Group"] == "prod"
    assert regions(plan, "aws:ssm/document:Document") == ["ap-northeast-1", "us-east-1"]
    assert regions(plan, "aws:ssm/patchBaseline:PatchBaseline") == ["ap-northeast-1"]
    assert plan.of_type("aws:inspector2/enabler:Enabler") == []
    plan = plan_tier(
        tier="beginner", sessionManager={"enabled": False}, patching={"enabled": False}
    )
    assert plan.of_type("aws:ssm/document:Document") == []
    assert plan.of_type("aws:ssm/patchBaseline:PatchBaseline") == []


def test_bastion_in_own_vpc_with_a_service(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(
        tier="beginner",
        bastion={
            "vpcId": "vpc-0123456789abcdef0",
            "subnetIds": ["subnet-0123456789abcdef0"],
            "serviceDesiredCount": 0,
        },
    )
    assert components(plan, "PrivateNetwork") == []
    assert plan.one("aws:ecs/service:Service").inputs["desiredCount"] == 0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"bastion": {"vpcId": "vpc-0123456789abcdef0"}},
            "bastion.vpcId: give vpcId and subnetIds together",
        ),
        ({"bastion": {"vpcId": "vpc-1"}}, "bastion.vpcId: 'vpc-1' is not a vpc id"),
        ({"ec2Bastion": {"keyName": "mine"}}, "ec2Bastion.keyName: unknown option"),
        ({"bastion": {"namePrefix": "ops"}}, "bastion.namePrefix: set by the tier"),
        ({"bastion": {"accountId": "123456789012"}}, "bastion.accountId: set by the tier"),
        ({"bastion": {"enabled": "yes"}}, "bastion.enabled: expected true or false"),
        (
            {"bastion": {"cidrBlock": "10.0.0.0/30"}},
            "bastion.cidrBlock: '10.0.0.0/30' must be an IPv4",
        ),
        (
            {"ec2Bastion": {"enabled": True, "subnetId": "subnet-0123456789abcdef0"}},
            "ec2Bastion.vpcId: give vpcId and subnetId",
        ),
        (
            {"patching": {"scanSchedule": "every day"}},
            "patching.scanSchedule: 'every day' is not a schedule",
        ),
        (
            {"patching": {"operatingSystems": ["DOS"]}},
            "patching.operatingSystems[0]: expected 'AMAZON_LINUX_2023', 'AMAZON_LINUX_2',",
        ),
        ({"patching": {"maxErrors": "200%"}}, "patching.maxErrors: '200%' is out of range"),
        (
            {"sessionManager": {"idleTimeoutMinutes": 0}},
            "sessionManager.idleTimeoutMinutes: 0 is out of range",
        ),
        (
            {"vulnerabilityScanning": {"resourceTypes": ["RDS"]}},
            "vulnerabilityScanning.resourceTypes[0]: expected 'EC2', 'ECR', 'LAMBDA' or",
        ),
    ],
)
def test_bad_config_raises_naming_the_field(
    plan_tier: Callable[..., Plan], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as err:
        plan_tier(tier="beginner", **config)
    assert str(err.value).startswith(message)


def test_ec2_network_keys_are_named_after_its_section(plan_tier: Callable[..., Plan]) -> None:
    with pytest.raises(ValueError, match=r"^ec2Bastion.azCount: 7 is out of range 1-4"):
        plan_tier(
            tier="beginner", bastion={"enabled": False}, ec2Bastion={"enabled": True, "azCount": 7}
        )


def test_shared_network_keys_belong_to_the_bastion_section(plan_tier: Callable[..., Plan]) -> None:
    with pytest.raises(ValueError, match=r"^ec2Bastion.azCount: the EC2 bastion shares"):
        plan_tier(tier="beginner", ec2Bastion={"enabled": True, "azCount": 1})
    plan = plan_tier(tier="beginner", bastion={"azCount": 1}, ec2Bastion={"enabled": True})
    assert len(plan.of_type("aws:ec2/subnet:Subnet")) == 1


def test_bastion_sections_may_set_what_the_tier_would(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(
        tier="beginner",
        bastion={"tags": {"team": "ops"}},
        ec2Bastion={"enabled": True, "patchGroup": "bastions"},
    )
    assert plan.one("aws:ec2/instance:Instance").inputs["tags"]["Patch Group"] == "bastions"
    # The shared network carries the Fargate bastion's tags.
    vpc = plan.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["tags"]["team"] == "ops"
    assert vpc.inputs["tags"]["Name"] == "secbaseline-bastion-vpc"
    # Both bastions are admitted to the shared endpoints.
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.name for r in rules) == [
        "ec2-bastion-endpoint-access",
        "fargate-bastion-endpoint-access",
    ]
