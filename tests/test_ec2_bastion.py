"""Ec2Bastion (S-01, S-02, S-03): no key, no public IP, IMDSv2, encrypted, SSM core only."""

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.baseline.fakes import digest
from secbaseline.baseline.schema import package_schema
from secbaseline.components import (
    Ec2Bastion,
    Ec2BastionArgs,
    InstanceArchitecture,
    PrivateNetwork,
    PrivateNetworkArgs,
)
from secbaseline.components.ec2_bastion import SSM_CORE_POLICY
from secbaseline.components.private_network import EC2_ENDPOINTS
from tests.tagging import untagged

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
    # (The own network's flow-log role is PrivateNetwork's, tested there.)
    own = [r for r in plan.custom_resources() if "flow-logs" not in r.name]
    assert [r for r in own if r.type == "aws:iam/rolePolicy:RolePolicy"] == []
    [role] = [r for r in own if r.type == "aws:iam/role:Role"]
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
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
            "ec2",
            Ec2BastionArgs(
                region=REGION,
                vpc_id=network.vpc_id,
                subnet_id=network.subnet_ids[0],
                endpoint_security_group_id=network.endpoint_security_group_id,
                ami_id="ami-0123456789abcdef0",
            ),
        )

    plan = run_program(program)
    assert len(plan.of_type("secbaseline:index:PrivateNetwork")) == 1
    instance = plan.one(INSTANCE)
    assert instance.inputs["ami"] == "ami-0123456789abcdef0"
    assert instance.inputs["subnetId"] == plan.one("aws:ec2/subnet:Subnet").id
    sg = next(s for s in plan.of_type("aws:ec2/securityGroup:SecurityGroup") if s.name == "ec2-sg")
    assert sg.inputs["vpcId"] == plan.one("aws:ec2/vpc:Vpc").id
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    endpoints_sg = next(
        s
        for s in plan.of_type("aws:ec2/securityGroup:SecurityGroup")
        if s.name == "shared-endpoints-sg"
    )
    assert rule.inputs["securityGroupId"] == endpoints_sg.id
    assert rule.inputs["referencedSecurityGroupId"] == sg.id
    assert rule.parent == plan.one("secbaseline:index:Ec2Bastion").urn


def test_outputs_from_the_same_program_reach_the_instance(
    run_program: Callable[..., Plan],
) -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        subnet = aws.ec2.Subnet("subnet", vpc_id=vpc.id, cidr_block="10.0.0.0/24")
        key = aws.kms.Key("ebs")
        Ec2Bastion(
            "ec2",
            Ec2BastionArgs(
                region=REGION, vpc_id=vpc.id, subnet_id=subnet.id, root_volume_kms_key_arn=key.arn
            ),
        )

    plan = run_program(program)
    assert plan.of_type("secbaseline:index:PrivateNetwork") == []
    inputs = plan.one(INSTANCE).inputs
    assert inputs["subnetId"] == plan.one("aws:ec2/subnet:Subnet").id
    assert inputs["rootBlockDevice"]["kmsKeyId"] == plan.one("aws:kms/key:Key").outputs["arn"]
    sg = next(s for s in plan.of_type("aws:ec2/securityGroup:SecurityGroup") if s.name == "ec2-sg")
    assert sg.inputs["vpcId"] == plan.one("aws:ec2/vpc:Vpc").id


@pytest.mark.parametrize(
    ("field", "make", "message"),
    [
        ("vpc_id", lambda: aws.sns.Topic("t").arn, "is not a vpc id"),
        ("subnet_id", lambda: aws.ec2.Vpc("v", cidr_block="10.0.0.0/16").id, "is not a subnet id"),
        (
            "root_volume_kms_key_arn",
            lambda: aws.sns.Topic("t").arn,
            "is not an ARN of service 'kms'",
        ),
    ],
)
def test_a_bad_output_fails_when_it_resolves_naming_the_argument(
    run_program: Callable[..., Plan],
    field: str,
    make: Callable[[], pulumi.Output[str]],
    message: str,
) -> None:
    def program() -> None:
        values: dict[str, Any] = {
            "vpc_id": "vpc-0123456789abcdef0",
            "subnet_id": "subnet-0123456789abcdef0",
        }
        values[field] = make()
        Ec2Bastion("ec2", Ec2BastionArgs(region=REGION, **values))

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert f"{field}: " in str(err.value)
    assert message in str(err.value)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "ops"}, name_prefix="ops")
    children = plan.custom_resources()
    assert {r.type for r in children} >= {
        "aws:ec2/instance:Instance",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:iam/role:Role",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/vpc:Vpc",
    }
    assert untagged(plan, {"team": "ops"}) == []
    instance = plan.one(INSTANCE)
    assert instance.inputs["volumeTags"]["team"] == "ops"
    assert instance.inputs["tags"]["Name"] == "ops-ec2-bastion"
    assert plan.one("aws:ec2/vpc:Vpc").inputs["tags"]["Name"] == "ops-bastion-vpc"


def test_own_network_options(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program, cidr_block="10.9.0.0/24", availability_zones=["eu-west-1b"], az_count=2
    )
    [subnet] = plan.of_type("aws:ec2/subnet:Subnet")
    assert (subnet.inputs["cidrBlock"], subnet.inputs["availabilityZone"]) == (
        "10.9.0.0/25",
        "eu-west-1b",
    )
    network = plan.one("secbaseline:index:PrivateNetwork")
    assert network.parent == plan.one("secbaseline:index:Ec2Bastion").urn


OWN = {"vpc_id": "vpc-0123456789abcdef0", "subnet_id": "subnet-0123456789abcdef0"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "xx-1"}, "region: unknown AWS region"),
        ({"vpc_id": "vpc-0123456789abcdef0"}, "vpc_id: give vpc_id and subnet_id together"),
        (
            {"vpc_id": "vpc-0123456789abcdef0", "subnet_id": "subnet-12"},
            "subnet_id: 'subnet-12' is not a subnet id",
        ),
        (
            {"vpc_id": "vpc-01234567z9abcdef0", "subnet_id": "subnet-0123456789abcdef0"},
            "vpc_id: 'vpc-01234567z9abcdef0' is not a vpc id",
        ),
        (
            {**OWN, "endpoint_security_group_id": "vpc-0123456789abcdef0"},
            "endpoint_security_group_id: 'vpc-0123456789abcdef0' is not a sg id",
        ),
        (
            {"endpoint_security_group_id": "sg-0123456789abcdef0"},
            "endpoint_security_group_id: only applies with vpc_id",
        ),
        ({**OWN, "az_count": 1}, "az_count: only applies without vpc_id"),
        ({**OWN, "cidr_block": "10.1.0.0/24"}, "cidr_block: only applies without vpc_id"),
        ({"cidr_block": "8.8.8.0/24"}, "cidr_block: '8.8.8.0/24' is not a private"),
        ({"az_count": 7}, "az_count: 7 is out of range 1-4"),
        (
            {"availability_zones": ["us-east-1a"]},
            "availability_zones: 'us-east-1a' is not an AZ of eu-west-1",
        ),
        ({"instance_type": "micro"}, "instance_type: 'micro' is not an instance type"),
        ({"architecture": "arm"}, "architecture: expected 'arm64' or 'x86_64', got 'arm'"),
        ({"instance_type": "t3.micro"}, "instance_type: t3.micro does not run arm64"),
        (
            {"instance_type": "m7g.large", "architecture": "x86_64"},
            "instance_type: m7g.large does not run x86_64",
        ),
        ({"ami_id": "ami-xyz"}, "ami_id: 'ami-xyz' is not an AMI id"),
        ({"root_volume_size_gb": 4}, "root_volume_size_gb: 4 is out of range 8-1024"),
        ({"root_volume_kms_key_arn": "key"}, "root_volume_kms_key_arn: 'key' is not an ARN"),
        (
            {"root_volume_kms_key_arn": "arn:aws:s3:::bucket"},
            "root_volume_kms_key_arn: 'arn:aws:s3:::bucket' is not an ARN of service 'kms'",
        ),
        (
            {"session_log_group_arn": "arn:aws:kms:eu-west-1:111111111111:key/x"},
            "session_log_group_arn: 'arn:aws:kms:eu-west-1:111111111111:key/x' is not an ARN of",
        ),
        ({"patch_group": "a" * 300}, "patch_group:"),
        ({"name_prefix": "X"}, "name_prefix: 'X' must be 2-24 characters"),
        ({"tags": {"aws:x": "1"}}, "tags: tag key 'aws:x'"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        Ec2BastionArgs(**{"region": REGION, **kwargs})
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"keyName": "mine"}, "ec2Bastion.keyName: unknown option"),
        ({"vpcId": "vpc-0123456789abcdef0"}, "ec2Bastion.vpcId: give vpcId and subnetId together"),
        ({"subnetId": "subnet-1"}, "ec2Bastion.subnetId: 'subnet-1' is not a subnet id"),
        (
            {
                "vpcId": "vpc-0123456789abcdef0",
                "subnetId": "subnet-0123456789abcdef0",
                "azCount": 1,
            },
            "ec2Bastion.azCount: only applies without vpcId",
        ),
        ({"azCount": 7}, "ec2Bastion.azCount: 7 is out of range 1-4"),
        ({"instanceType": "t3.micro"}, "ec2Bastion.instanceType: t3.micro does not run arm64"),
        ({"rootVolumeKmsKeyArn": "key"}, "ec2Bastion.rootVolumeKmsKeyArn: 'key' is not an ARN"),
        ({"region": "xx-1"}, "ec2Bastion.region: unknown AWS region"),
    ],
)
def test_bad_config_names_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        Ec2BastionArgs.from_config("ec2Bastion", {"region": REGION, **raw})
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = Ec2BastionArgs.from_config(
        "ec2Bastion", {"architecture": "x86_64", "rootVolumeSizeGb": "20"}, region=REGION
    )
    assert args.architecture == InstanceArchitecture.X86_64
    assert args.root_volume_size_gb == 20
    assert args.instance_type is None
    own = Ec2BastionArgs.from_config(
        "ec2Bastion",
        {"vpcId": "vpc-0123456789abcdef0", "subnetId": "subnet-0123456789abcdef0"},
        region=REGION,
    )
    assert own.vpc_id == "vpc-0123456789abcdef0"


def test_the_providers_region_without_region(run_program: Callable[..., Plan]) -> None:
    captured: dict[str, Any] = {}

    def program() -> None:
        bastion = Ec2Bastion("ec2", Ec2BastionArgs(**OWN))
        bastion.start_session_command.apply(lambda v: captured.update(start=v))

    plan = run_program(program)
    instance = plan.one(INSTANCE)
    parameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    assert instance.inputs["ami"] == f"ami-{digest(parameter, 'us-east-1')}"
    assert captured["start"] == f"aws ssm start-session --region us-east-1 --target {instance.id}"


def test_x86_64_defaults_to_t3_micro(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, **OWN, architecture="x86_64")
    assert plan.one(INSTANCE).inputs["instanceType"] == "t3.micro"


def test_component_provider_mapping_and_schema() -> None:
    assert Ec2BastionArgs.coerce({"region": REGION, **OWN}) == Ec2BastionArgs(region=REGION, **OWN)
    schema = package_schema([Ec2Bastion])
    resource = schema["resources"]["secbaseline:index:Ec2Bastion"]
    assert not resource.get("requiredInputs")
    for name in ("vpcId", "subnetId", "rootVolumeKmsKeyArn", "endpointSecurityGroupId"):
        assert "plain" not in resource["inputProperties"][name], name
