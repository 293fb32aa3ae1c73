"""FargateBastion (S-01, S-02, S-04): ECS Exec only, no ingress, encrypted logged sessions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan, RecordedResource
from secbaseline.components import (
    EgressRule,
    FargateBastion,
    FargateBastionArgs,
    PrivateNetwork,
    PrivateNetworkArgs,
)
from secbaseline.components.fargate_bastion import SSM_MESSAGES_ACTIONS

REGION = "ap-northeast-1"
ACCOUNT = "111111111111"
CLUSTER = "aws:ecs/cluster:Cluster"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SG = "aws:ec2/securityGroup:SecurityGroup"


def build(
    run_program: Callable[..., Plan], captured: dict[str, Any] | None = None, **kwargs: Any
) -> Plan:
    def program() -> None:
        bastion = FargateBastion("bastion", FargateBastionArgs(**{"region": REGION, **kwargs}))
        if captured is not None:
            bastion.start_command.apply(lambda v: captured.update(start=v))
            bastion.exec_command.apply(lambda v: captured.update(exec=v))
            bastion.run_task_network_configuration.apply(lambda v: captured.update(network=v))

    return run_program(program)


def role_policy(plan: Plan, name: str) -> list[dict[str, Any]]:
    policy = next(p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == name)
    document = json.loads(policy.inputs["policy"])
    assert document["Version"] == "2012-10-17"
    return list(document["Statement"])


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def bastion_sg(plan: Plan) -> RecordedResource:
    return next(sg for sg in plan.of_type(SG) if sg.name == "bastion-sg")


def test_defaults_exec_logged_encrypted_and_no_ingress(run_program: Callable[..., Plan]) -> None:
    captured: dict[str, Any] = {}
    plan = build(run_program, captured)
    key = plan.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    key_policy = json.loads(key.inputs["policy"])["Statement"]
    logs = next(
        s for s in key_policy if s["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    )
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"
    )
    assert "kms:*" not in actions(logs)
    key_arn = key.outputs["arn"]

    cluster = plan.one(CLUSTER)
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    exec_config = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert exec_config["logging"] == "OVERRIDE"
    assert exec_config["kmsKeyId"] == key_arn
    assert exec_config["logConfiguration"] == {
        "cloudWatchLogGroupName": "/secbaseline/fargate-bastion/exec",
        "cloudWatchEncryptionEnabled": True,
    }
    groups = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert {g.inputs["name"] for g in groups} == {
        "/secbaseline/fargate-bastion/exec",
        "/secbaseline/fargate-bastion/task",
    }
    assert all(
        g.inputs["kmsKeyId"] == key_arn and g.inputs["retentionInDays"] == 365 for g in groups
    )

    task = plan.one(TASK)
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert task.inputs["networkMode"] == "awsvpc"
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("256", "512")
    assert task.inputs["runtimePlatform"] == {
        "cpuArchitecture": "ARM64",
        "operatingSystemFamily": "LINUX",
    }
    [container] = json.loads(task.inputs["containerDefinitions"])
    assert container["command"] == ["sleep", "3600"]
    assert container["image"] == (
        f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/secbaseline-ecr-public/amazonlinux/amazonlinux:2023"
    )
    assert container["linuxParameters"] == {"initProcessEnabled": True}
    assert container["logConfiguration"]["options"]["awslogs-group"] == (
        "/secbaseline/fargate-bastion/task"
    )
    cache = plan.one("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    assert cache.inputs["upstreamRegistryUrl"] == "public.ecr.aws"
    assert cache.inputs["ecrRepositoryPrefix"] == "secbaseline-ecr-public"

    # No ingress, and egress only HTTPS.
    sg = bastion_sg(plan)
    assert sg.inputs["ingress"] == []
    assert [(e["fromPort"], e["toPort"], e["protocol"]) for e in sg.inputs["egress"]] == [
        (443, 443, "tcp")
    ]
    assert plan.of_type("aws:ecs/service:Service") == []

    # The minimal network is created and admits the bastion's group to its endpoints only.
    network = plan.one("secbaseline:index:PrivateNetwork")
    assert network.parent == plan.one("secbaseline:index:FargateBastion").urn
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == sg.id
    endpoints = {
        e.inputs["serviceName"].removeprefix(f"com.amazonaws.{REGION}.")
        for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert endpoints == {"ecr.api", "ecr.dkr", "kms", "logs", "s3", "ssmmessages"}

    start, exec_command, network_config = captured["start"], captured["exec"], captured["network"]
    subnets = [s.id for s in plan.of_type("aws:ec2/subnet:Subnet")]
    assert network_config == {
        "awsvpcConfiguration": {
            "subnets": subnets,
            "securityGroups": [sg.id],
            "assignPublicIp": "DISABLED",
        }
    }
    assert start.startswith(
        f"aws ecs run-task --region {REGION} --cluster secbaseline-bastion "
        "--task-definition secbaseline-fargate-bastion --launch-type FARGATE "
        "--enable-execute-command --network-configuration '"
    )
    assert json.loads(start.split("'")[1]) == network_config
    assert exec_command == (
        f"aws ecs execute-command --region {REGION} --cluster secbaseline-bastion "
        "--task TASK_ID --container bastion --interactive --command /bin/sh"
    )


def test_task_role_is_least_privilege(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    statements = role_policy(plan, "bastion-task-policy")
    star = [s for s in statements if s["Resource"] == "*"]
    # Only the actions AWS offers no resource-level permission for may use "*".
    assert sorted(a for s in star for a in actions(s)) == sorted(
        [*SSM_MESSAGES_ACTIONS, "logs:DescribeLogGroups"]
    )
    assert all("*" not in a.split(":")[1] for s in statements for a in actions(s))
    key_arn = plan.one("aws:kms/key:Key").outputs["arn"]
    decrypt = next(s for s in statements if actions(s) == ["kms:Decrypt"])
    assert decrypt["Resource"] == key_arn
    writes = next(s for s in statements if "logs:PutLogEvents" in actions(s))
    assert writes["Resource"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/secbaseline/fargate-bastion/exec:*"
    )
    for role in plan.of_type("aws:iam/role:Role"):
        [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    execution = role_policy(plan, "bastion-execution-policy")
    login = next(s for s in execution if s["Resource"] == "*")
    assert actions(login) == ["ecr:GetAuthorizationToken"]
    pull = next(s for s in execution if "ecr:BatchGetImage" in actions(s))
    assert pull["Resource"] == (
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/secbaseline-ecr-public/*"
    )
    assert "ecr:BatchImportUpstreamImage" in actions(pull)


def test_own_vpc_private_ecr_image_and_options(run_program: Callable[..., Plan]) -> None:
    image = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/tools/bastion:1.2"
    extra = {
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": "arn:aws:rds-db:*:*:dbuser:*/ops",
    }
    plan = build(
        run_program,
        vpc_id="vpc-0123456789abcdef0",
        subnet_ids=("subnet-0123456789abcdef0", "subnet-abcdef0123456789a"),
        image=image,
        cpu=512,
        memory=2048,
        cpu_architecture="X86_64",
        task_lifetime_minutes=15,
        log_retention_days=30,
        exec_log_bucket="audit-logs",
        exec_log_prefix="exec/",
        egress=(EgressRule(port=5432, cidr="10.0.8.0/24", description="postgres"),),
        task_role_statements=(extra,),
        service_desired_count=0,
        container_insights=False,
        account_id="444444444444",
    )
    assert plan.of_type("secbaseline:index:PrivateNetwork") == []
    assert plan.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule") == []
    sg = bastion_sg(plan)
    assert sg.inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert sg.inputs["ingress"] == []
    assert [(e["fromPort"], e["cidrBlocks"]) for e in sg.inputs["egress"]] == [
        (443, ["0.0.0.0/0"]),
        (5432, ["10.0.8.0/24"]),
    ]
    task = plan.one(TASK)
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "2048")
    assert task.inputs["runtimePlatform"]["cpuArchitecture"] == "X86_64"
    [container] = json.loads(task.inputs["containerDefinitions"])
    assert container["image"] == image
    assert container["command"] == ["sleep", "900"]
    cluster = plan.one(CLUSTER)
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    log_config = cluster.inputs["configuration"]["executeCommandConfiguration"]["logConfiguration"]
    assert log_config["s3BucketName"] == "audit-logs"
    assert log_config["s3KeyPrefix"] == "exec/"
    assert log_config["s3BucketEncryptionEnabled"] is True
    statements = role_policy(plan, "bastion-task-policy")
    put = next(s for s in statements if actions(s) == ["s3:PutObject"])
    assert put["Resource"] == "arn:aws:s3:::audit-logs/exec/*"
    assert statements[-1] == extra
    pull = next(
        s
        for s in role_policy(plan, "bastion-execution-policy")
        if "ecr:BatchGetImage" in actions(s)
    )
    assert pull["Resource"] == "arn:aws:ecr:eu-west-1:222222222222:repository/tools/bastion"
    assert "ecr:CreateRepository" not in actions(pull)
    service = plan.one("aws:ecs/service:Service")
    assert service.inputs["desiredCount"] == 0
    assert service.inputs["enableExecuteCommand"] is True
    assert service.inputs["launchType"] == "FARGATE"
    assert service.inputs["networkConfiguration"] == {
        "subnets": ["subnet-0123456789abcdef0", "subnet-abcdef0123456789a"],
        "securityGroups": [sg.id],
        "assignPublicIp": False,
    }
    for group in plan.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["retentionInDays"] == 30
    trust = json.loads(plan.of_type("aws:iam/role:Role")[0].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] == "444444444444"


def test_public_registry_image_needs_no_ecr_permissions(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        vpc_id="vpc-0123456789abcdef0",
        subnet_ids=("subnet-0123456789abcdef0",),
        image="docker.io/library/alpine:3",
    )
    execution = role_policy(plan, "bastion-execution-policy")
    assert [a for s in execution for a in actions(s)] == [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]


def test_shared_network(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        network = PrivateNetwork("shared", PrivateNetworkArgs(region=REGION))
        FargateBastion("bastion", FargateBastionArgs(region=REGION, network=network))

    plan = run_program(program)
    assert len(plan.of_type("secbaseline:index:PrivateNetwork")) == 1
    vpc = plan.one("aws:ec2/vpc:Vpc")
    assert bastion_sg(plan).inputs["vpcId"] == vpc.id
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.parent == plan.one("secbaseline:index:FargateBastion").urn


def test_network_in_another_region_is_rejected(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        network = PrivateNetwork("shared", PrivateNetworkArgs(region="us-east-1"))
        FargateBastion("bastion", FargateBastionArgs(region=REGION, network=network))

    with pytest.raises(ValueError, match=r"^bastion.network: the network is in us-east-1"):
        run_program(program)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "mars-1"}, "bastion.region: unknown AWS region"),
        ({"vpc_id": "vpc-0123456789abcdef0"}, "bastion.vpcId: give vpcId and subnetIds together"),
        ({"subnet_ids": ("subnet-0123456789abcdef0",)}, "bastion.vpcId: give vpcId and subnetIds"),
        (
            {"vpc_id": "vpc-xyz", "subnet_ids": ("subnet-0123456789abcdef0",)},
            "bastion.vpcId: 'vpc-xyz' is not a vpc id",
        ),
        (
            {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ("sg-0123456789abcdef0",)},
            "bastion.subnetIds[0]: 'sg-0123456789abcdef0' is not a subnet id",
        ),
        ({"cpu": 300}, "bastion.cpu: '300' is not one of"),
        ({"cpu": "256"}, "bastion.cpu: '256' is not an integer"),
        ({"cpu": True}, "bastion.cpu: True is not an integer"),
        ({"memory": "512"}, "bastion.memory: '512' is not an integer"),
        ({"memory": 4096}, "bastion.memory: 4096 MiB is not valid for 256 CPU units"),
        ({"cpu_architecture": "arm"}, "bastion.cpuArchitecture: 'arm' is not one of"),
        ({"task_lifetime_minutes": 0}, "bastion.taskLifetimeMinutes: 0 is out of range 1-1440"),
        (
            {"log_retention_days": 10},
            "bastion.logRetentionDays: 10 is not a CloudWatch Logs retention",
        ),
        ({"image": " "}, "bastion.image: ' ' is not an image reference"),
        (
            {"exec_log_bucket": "Bad_Bucket"},
            "bastion.execLogBucket: 'Bad_Bucket' is not a valid S3 bucket name",
        ),
        (
            {"egress": (EgressRule(port=0, cidr="10.0.0.0/8"),)},
            "bastion.egress[0].port: 0 is out of range",
        ),
        (
            {"egress": (EgressRule(port=22, cidr="10.0.0.1/8"),)},
            "bastion.egress[0].cidr: '10.0.0.1/8' is not a CIDR",
        ),
        (
            {"task_role_statements": ({"Effect": "Allow", "Action": "*", "Resource": "*"},)},
            "bastion.taskRoleStatements[0].Action: '*' is not a service:Action name",
        ),
        (
            {"task_role_statements": ({"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"},)},
            "bastion.taskRoleStatements[0].Action: 's3:*' grants every action of the service",
        ),
        (
            {
                "task_role_statements": (
                    {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"},
                )
            },
            "bastion.taskRoleStatements[0].Effect: must be Allow or Deny",
        ),
        (
            {"task_role_statements": ({"Effect": "Allow", "Action": "s3:GetObject"},)},
            "bastion.taskRoleStatements[0].Resource: required",
        ),
        (
            {"task_role_statements": ({"Effect": "Allow", "Action": [], "Resource": "*"},)},
            "bastion.taskRoleStatements[0].Action: must name at least one action",
        ),
        (
            {"task_role_statements": ("s3:*",)},
            "bastion.taskRoleStatements[0]: expected an IAM statement",
        ),
        ({"service_desired_count": 2}, "bastion.serviceDesiredCount: 2 is out of range 0-1"),
        ({"container_insights": "on"}, "bastion.containerInsights: expected true or false"),
        ({"network_args": PrivateNetworkArgs(region=REGION, az_count=9)}, "privateNetwork.azCount"),
    ],
)
def test_bad_args_raise_naming_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        FargateBastionArgs(**{"region": REGION, **kwargs}).validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = FargateBastionArgs.from_config(
        {
            "cpu": 1024,
            "memory": 2048,
            "egress": [{"port": 3306, "cidr": "10.0.0.0/16"}],
            "taskRoleStatements": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            "azCount": 1,
            "cidrBlock": "10.20.0.0/24",
        },
        REGION,
    )
    args.validate()
    assert (args.cpu, args.memory) == (1024, 2048)
    assert args.egress == [EgressRule(port=3306, cidr="10.0.0.0/16")]
    assert args.network_args is not None
    assert (args.network_args.az_count, args.network_args.cidr_block) == (1, "10.20.0.0/24")
    own = FargateBastionArgs.from_config(
        {"vpcId": "vpc-0123456789abcdef0", "subnetIds": ["subnet-0123456789abcdef0"]}, REGION
    )
    assert own.network_args is None
    with pytest.raises(ValueError, match=r"^bastion.ssh: unknown option"):
        FargateBastionArgs.from_config({"ssh": True}, REGION)
    with pytest.raises(ValueError, match=r"^bastion.azCount: only applies without vpcId"):
        FargateBastionArgs.from_config({"vpcId": "vpc-0123456789abcdef0", "azCount": 1}, REGION)
    with pytest.raises(ValueError, match=r"^bastion.egress\[0\].ssh: unknown option"):
        FargateBastionArgs.from_config({"egress": [{"ssh": 22}]}, REGION)
    with pytest.raises(ValueError, match=r"^bastion.egress: expected a list"):
        FargateBastionArgs.from_config({"egress": "all"}, REGION)
    # A quoted size from YAML is a ValueError naming the field, not a KeyError.
    quoted = FargateBastionArgs.from_config({"cpu": "256"}, REGION)
    with pytest.raises(ValueError, match=r"^bastion.cpu: '256' is not an integer"):
        quoted.validate()
