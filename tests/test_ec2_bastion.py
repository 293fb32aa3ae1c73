"""Ec2Bastion (S-01, S-02, S-03): no key, no public IP, IMDSv2, encrypted, SSM core only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.baseline.fakes import digest
from secbaseline.components import Ec2Bastion, Ec2BastionArgs, PrivateNetwork, PrivateNetworkArgs
from secbaseline.components.ec2_bastion import SSM_CORE_POLICY
from secbaseline.components.private_network import EC2_ENDPOINTS

REGION = "eu-west-1"
INSTANCE = "aws:ec2/instance:Instance"


def build(
    run_program: Callable[..., Plan], captured: dict[str, Any] | None = None, **kwargs: Any
) -> Plan:
    def program() -> None:
        bastion = Ec2Bastion("ec2", Ec2BastionArgs(**{"region": REGION, **kwargs}))
        if captured is not None:
            bastion.start_session_command.apply(lambda v: captured.update(start=v))

    return run_program(program)


def test_defaults(run_program: Callable[..., Plan]) -> None:
    captured: dict[str, Any] = {}
    plan = build(run_program, captured)
    instance = plan.one(INSTANCE)
    inputs = instance.inputs
    assert "keyName" not in inputs
    assert inputs["associatePublicIpAddress"] is False
    assert inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }
    assert inputs["rootBlockDevice"]["encrypted"] is True
    assert inputs["rootBlockDevice"]["volumeType"] == "gp3"
    assert "kmsKeyId" not in inputs["rootBlockDevice"]
    assert inputs["instanceType"] == "t4g.micro"
    parameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    assert inputs["ami"] == f"ami-{digest(parameter, REGION)}"
    assert "Patch Group" not in inputs["tags"]
    sg = next(s for s in plan.of_type("aws:ec2/securityGroup:SecurityGroup") if s.name == "ec2-sg")
    assert sg.inputs["ingress"] == []
    assert [(e["fromPort"], e["toPort"]) for e in sg.inputs["egress"]] == [(443, 443)]
    assert inputs["vpcSecurityGroupIds"] == [sg.id]
    subnet = plan.of_type("aws:ec2/subnet:Subnet")[0]
    assert inputs["subnetId"] == subnet.id
    # SSM core only: one managed policy, no inline policy.
    attachments = plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert [a.inputs["policyArn"] for a in attachments] == [SSM_CORE_POLICY]
    assert plan.of_type("aws:iam/rolePolicy:RolePolicy") == []
    [trust] = json.loads(plan.one("aws:iam/role:Role").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}
    profile = plan.one("aws:iam/instanceProfile:InstanceProfile")
    assert inputs["iamInstanceProfile"] == profile.outputs["name"]
    endpoints = {
        e.inputs["serviceName"].removeprefix(f"com.amazonaws.{REGION}.")
        for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert endpoints == {*EC2_ENDPOINTS, "s3"}
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == sg.id
    assert captured["start"] == f"aws ssm start-session --region {REGION} --target {instance.id}"


def test_options(run_program: Callable[..., Plan]) -> None:
    ebs_key = f"arn:aws:kms:{REGION}:111111111111:key/ebs"
    session_key = f"arn:aws:kms:{REGION}:111111111111:key/session"
    group = f"arn:aws:logs:{REGION}:111111111111:log-group:/secbaseline/session-manager"
    plan = build(
        run_program,
        vpc_id="vpc-0123456789abcdef0",
        subnet_id="subnet-0123456789abcdef0",
        instance_type="t3.small",
        architecture="x86_64",
        root_volume_size_gb=20,
        root_volume_kms_key_arn=ebs_key,
        patch_group="secbaseline",
        session_kms_key_arn=session_key,
        session_log_group_arn=group,
    )
    assert plan.of_type("secbaseline:index:PrivateNetwork") == []
    inputs = plan.one(INSTANCE).inputs
    assert inputs["subnetId"] == "subnet-0123456789abcdef0"
    assert inputs["instanceType"] == "t3.small"
    parameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    assert inputs["ami"] == f"ami-{digest(parameter, REGION)}"
    assert inputs["rootBlockDevice"]["kmsKeyId"] == ebs_key
    assert inputs["rootBlockDevice"]["volumeSize"] == 20
    assert inputs["tags"]["Patch Group"] == "secbaseline"
    statements = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["DecryptSessionData"] == {
        "Sid": "DecryptSessionData",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": session_key,
    }
    assert by_sid["WriteSessionLogs"]["Resource"] == f"{group}:*"
    assert by_sid["FindSessionLogGroup"]["Action"] == "logs:DescribeLogGroups"
    assert by_sid["FindSessionLogGroup"]["Resource"] == "*"


def test_pinned_ami_and_shared_network(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        network = PrivateNetwork("shared", PrivateNetworkArgs(region=REGION, az_count=1))
        Ec2Bastion(
            "ec2", Ec2BastionArgs(region=REGION, network=network, ami_id="ami-0123456789abcdef0")
        )

    plan = run_program(program)
    assert len(plan.of_type("secbaseline:index:PrivateNetwork")) == 1
    assert plan.one(INSTANCE).inputs["ami"] == "ami-0123456789abcdef0"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "xx-1"}, "ec2Bastion.region: unknown AWS region"),
        ({"vpc_id": "vpc-0123456789abcdef0"}, "ec2Bastion.vpcId: give vpcId and subnetId together"),
        (
            {"vpc_id": "vpc-0123456789abcdef0", "subnet_id": "subnet-12"},
            "ec2Bastion.subnetId: 'subnet-12' is not a subnet id",
        ),
        (
            {"vpc_id": "vpc-01234567z9abcdef0", "subnet_id": "subnet-0123456789abcdef0"},
            "ec2Bastion.vpcId: 'vpc-01234567z9abcdef0' is not a vpc id",
        ),
        ({"instance_type": "micro"}, "ec2Bastion.instanceType: 'micro' is not an instance type"),
        ({"architecture": "arm"}, "ec2Bastion.architecture: 'arm' is not one of"),
        ({"instance_type": "t3.micro"}, "ec2Bastion.instanceType: t3.micro does not run arm64"),
        (
            {"instance_type": "m7g.large", "architecture": "x86_64"},
            "ec2Bastion.instanceType: m7g.large does not run x86_64",
        ),
        ({"ami_id": "ami-xyz"}, "ec2Bastion.amiId: 'ami-xyz' is not an AMI id"),
        ({"root_volume_size_gb": 4}, "ec2Bastion.rootVolumeSizeGb: 4 is out of range 8-1024"),
        ({"root_volume_kms_key_arn": "key"}, "ec2Bastion.rootVolumeKmsKeyArn: 'key' is not an ARN"),
        (
            {"root_volume_kms_key_arn": "arn:aws:s3:::bucket"},
            "ec2Bastion.rootVolumeKmsKeyArn: 'arn:aws:s3:::bucket' is not an ARN of service 'kms'",
        ),
        ({"patch_group": "a" * 300}, "ec2Bastion.patchGroup:"),
    ],
)
def test_bad_args_raise_naming_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        Ec2BastionArgs(**{"region": REGION, **kwargs}).validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = Ec2BastionArgs.from_config({"enabled": True, "architecture": "x86_64"}, REGION)
    args.validate()
    assert (args.instance_type, args.architecture) == ("t3.micro", "x86_64")
    assert args.network_args is not None
    own = Ec2BastionArgs.from_config(
        {"vpcId": "vpc-0123456789abcdef0", "subnetId": "subnet-0123456789abcdef0"}, REGION
    )
    own.validate()
    assert own.network_args is None
    with pytest.raises(ValueError, match=r"^ec2Bastion.keyName: unknown option"):
        Ec2BastionArgs.from_config({"keyName": "mine"}, REGION)
