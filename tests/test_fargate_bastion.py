"""FargateBastion (S-01, S-02, S-04): ECS Exec only, no ingress, encrypted logged sessions."""

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan, RecordedResource
from secbaseline.baseline.schema import package_schema
from secbaseline.components import (
    CpuArchitecture,
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


def bastion_key(plan: Plan) -> RecordedResource:
    """The bastion's key (its own network has another one, for its flow logs)."""
    [key] = [k for k in plan.of_type("aws:kms/key:Key") if "flow-logs" not in k.name]
    return key


def bastion_sg(plan: Plan) -> RecordedResource:
    return next(sg for sg in plan.of_type(SG) if sg.name == "bastion-sg")


def test_defaults_exec_logged_encrypted_and_no_ingress(run_program: Callable[..., Plan]) -> None:
    captured: dict[str, Any] = {}
    plan = build(run_program, captured)
    key = bastion_key(plan)
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
    groups = [
        g
        for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")
        if "flow-logs" not in g.name  # the own network's, tested with PrivateNetwork
    ]
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
    key_arn = bastion_key(plan).outputs["arn"]
    decrypt = next(s for s in statements if actions(s) == ["kms:Decrypt"])
    assert decrypt["Resource"] == key_arn
    writes = next(s for s in statements if "logs:PutLogEvents" in actions(s))
    assert writes["Resource"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/secbaseline/fargate-bastion/exec:*"
    )
    roles = [r for r in plan.of_type("aws:iam/role:Role") if "flow-logs" not in r.name]
    assert len(roles) == 2
    for role in roles:  # the network's flow-log role is tested with PrivateNetwork
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
        FargateBastion(
            "bastion",
            FargateBastionArgs(
                region=REGION,
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                endpoint_security_group_id=network.endpoint_security_group_id,
            ),
        )

    plan = run_program(program)
    assert len(plan.of_type("secbaseline:index:PrivateNetwork")) == 1
    vpc = plan.one("aws:ec2/vpc:Vpc")
    assert bastion_sg(plan).inputs["vpcId"] == vpc.id
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.parent == plan.one("secbaseline:index:FargateBastion").urn
    assert rule.inputs["referencedSecurityGroupId"] == bastion_sg(plan).id
    endpoints_sg = next(sg for sg in plan.of_type(SG) if sg.name == "shared-endpoints-sg")
    assert rule.inputs["securityGroupId"] == endpoints_sg.id


def test_outputs_from_the_same_program_reach_the_children(
    run_program: Callable[..., Plan],
) -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        subnets = [
            aws.ec2.Subnet(f"subnet-{i}", vpc_id=vpc.id, cidr_block=f"10.0.{i}.0/24")
            for i in range(2)
        ]
        key = aws.kms.Key("mine")
        bucket = aws.s3.Bucket("audit")
        FargateBastion(
            "bastion",
            FargateBastionArgs(
                region=REGION,
                vpc_id=vpc.id,
                subnet_ids=[s.id for s in subnets],
                kms_key_arn=key.arn,
                exec_log_bucket=bucket.bucket,
                service_desired_count=0,
            ),
        )

    plan = run_program(program)
    assert plan.of_type("secbaseline:index:PrivateNetwork") == []
    assert bastion_sg(plan).inputs["vpcId"] == plan.one("aws:ec2/vpc:Vpc").id
    subnets = [s.id for s in plan.of_type("aws:ec2/subnet:Subnet")]
    assert plan.one("aws:ecs/service:Service").inputs["networkConfiguration"]["subnets"] == subnets
    # The given key is used everywhere; none is created.
    key = plan.one("aws:kms/key:Key")
    assert key.name == "mine"
    assert plan.of_type("aws:kms/alias:Alias") == []
    cluster = plan.one(CLUSTER)
    exec_config = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert exec_config["kmsKeyId"] == key.outputs["arn"]
    for group in plan.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    decrypt = next(
        s for s in role_policy(plan, "bastion-task-policy") if actions(s) == ["kms:Decrypt"]
    )
    assert decrypt["Resource"] == key.outputs["arn"]
    bucket = plan.one("aws:s3/bucket:Bucket")
    assert exec_config["logConfiguration"]["s3BucketName"] == bucket.id
    put = next(
        s for s in role_policy(plan, "bastion-task-policy") if actions(s) == ["s3:PutObject"]
    )
    assert put["Resource"] == f"arn:aws:s3:::{bucket.id}/ecs-exec/*"


@pytest.mark.parametrize(
    ("field", "make", "message"),
    [
        ("vpc_id", lambda: aws.sns.Topic("t").arn, "vpc_id: 'arn:aws:sns:"),
        (
            "subnet_ids",
            lambda: [aws.ec2.Vpc("v", cidr_block="10.0.0.0/16").id],
            "subnet_ids[0]: 'vpc-",
        ),
        ("kms_key_arn", lambda: aws.sns.Topic("t").arn, "kms_key_arn: 'arn:aws:sns:"),
        (
            "endpoint_security_group_id",
            lambda: aws.sns.Topic("t").arn,
            "endpoint_security_group_id: 'arn:aws:sns:",
        ),
        ("exec_log_bucket", lambda: aws.sns.Topic("t").arn, "exec_log_bucket: 'arn:aws:sns:"),
    ],
)
def test_a_bad_output_fails_when_it_resolves_naming_the_argument(
    run_program: Callable[..., Plan],
    field: str,
    make: Callable[[], Any],
    message: str,
) -> None:
    def program() -> None:
        values: dict[str, Any] = {
            "vpc_id": "vpc-0123456789abcdef0",
            "subnet_ids": ["subnet-0123456789abcdef0"],
            "service_desired_count": 0,
        }
        values[field] = make()
        FargateBastion("bastion", FargateBastionArgs(region=REGION, **values))

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert message in str(err.value)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "ops"}, service_desired_count=0)
    untaggable = {
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:kms/alias:Alias",
        "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
    }
    children = [r for r in plan.custom_resources() if r.type not in untaggable]
    assert {r.type for r in children} >= {
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:ecs/service:Service",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
    }
    for resource in children:
        assert resource.inputs["tags"]["team"] == "ops", resource.name


def test_the_providers_region_without_region(run_program: Callable[..., Plan]) -> None:
    captured: dict[str, Any] = {}

    def program() -> None:
        bastion = FargateBastion("bastion", FargateBastionArgs(az_count=1))
        bastion.exec_command.apply(lambda v: captured.update(exec=v))
        bastion.start_command.apply(lambda v: captured.update(start=v))

    plan = run_program(program)
    region = "us-east-1"
    [container] = json.loads(plan.one(TASK).inputs["containerDefinitions"])
    assert container["logConfiguration"]["options"]["awslogs-region"] == region
    assert container["image"].startswith(f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/")
    key_policy = json.loads(bastion_key(plan).inputs["policy"])["Statement"]
    assert {"Service": f"logs.{region}.amazonaws.com"} in [s["Principal"] for s in key_policy]
    assert captured["exec"].startswith(f"aws ecs execute-command --region {region} ")
    assert captured["start"].startswith(f"aws ecs run-task --region {region} ")
    endpoints = {e.inputs["serviceName"] for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert f"com.amazonaws.{region}.ssmmessages" in endpoints


def test_name_prefix_names_every_physical_name(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, name_prefix="ops")
    assert plan.one(CLUSTER).inputs["name"] == "ops-bastion"
    assert plan.one(TASK).inputs["family"] == "ops-fargate-bastion"
    assert plan.one("aws:kms/alias:Alias").inputs["name"] == "alias/ops-fargate-bastion"
    assert {g.inputs["name"] for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")} == {
        "/ops/fargate-bastion/exec",
        "/ops/fargate-bastion/task",
        "/ops/vpc-flow-logs/bastion-network",
    }
    cache = plan.one("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    assert cache.inputs["ecrRepositoryPrefix"] == "ops-ecr-public"
    assert plan.one("aws:ec2/vpc:Vpc").inputs["tags"]["Name"] == "ops-bastion-vpc"


def test_own_network_options(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, az_count=1, cidr_block="10.20.0.0/24")
    [subnet] = plan.of_type("aws:ec2/subnet:Subnet")
    assert subnet.inputs["cidrBlock"] == "10.20.0.0/25"


OWN = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0"]}
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "mars-1"}, "region: unknown AWS region"),
        ({"vpc_id": "vpc-0123456789abcdef0"}, "vpc_id: give vpc_id and subnet_ids together"),
        ({"subnet_ids": ("subnet-0123456789abcdef0",)}, "vpc_id: give vpc_id and subnet_ids"),
        (
            {"vpc_id": "vpc-xyz", "subnet_ids": ("subnet-0123456789abcdef0",)},
            "vpc_id: 'vpc-xyz' is not a vpc id",
        ),
        (
            {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ("sg-0123456789abcdef0",)},
            "subnet_ids[0]: 'sg-0123456789abcdef0' is not a subnet id",
        ),
        (
            {"endpoint_security_group_id": "sg-0123456789abcdef0"},
            "endpoint_security_group_id: only applies with vpc_id",
        ),
        ({**OWN, "az_count": 1}, "az_count: only applies without vpc_id"),
        ({**OWN, "availability_zones": ["ap-northeast-1a"]}, "availability_zones: only applies"),
        ({"az_count": 9}, "az_count: 9 is out of range 1-4"),
        ({"cidr_block": "10.0.0.0/30"}, "cidr_block: '10.0.0.0/30' must be an IPv4"),
        (
            {"availability_zones": ["eu-west-1a"]},
            "availability_zones: 'eu-west-1a' is not an AZ of ap-northeast-1",
        ),
        ({"cpu": 300}, "cpu: 300 is not one of 256, 512"),
        ({"cpu": "many"}, "cpu: expected a valid integer"),
        ({"memory": "lots"}, "memory: expected a valid integer"),
        ({"memory": 4096}, "memory: 4096 MiB is not valid for 256 CPU units"),
        ({"cpu_architecture": "arm"}, "cpu_architecture: expected 'ARM64' or 'X86_64', got 'arm'"),
        ({"task_lifetime_minutes": 0}, "task_lifetime_minutes: 0 is out of range 1-1440"),
        ({"log_retention_days": 10}, "log_retention_days: 10 is not a CloudWatch Logs retention"),
        ({"image": " "}, "image: ' ' is not an image reference"),
        (
            {"exec_log_bucket": "Bad_Bucket"},
            "exec_log_bucket: 'Bad_Bucket' is not a valid S3 bucket name",
        ),
        ({"kms_key_arn": "arn:aws:s3:::x"}, "kms_key_arn: 'arn:aws:s3:::x' is not an ARN of"),
        ({"account_id": "12345"}, "account_id: '12345' is not a 12-digit AWS account id"),
        (
            {"egress": (EgressRule(port=22, cidr="10.0.0.0/8"), {"port": 0, "cidr": "10.0.0.0/8"})},
            "egress[1].port: 0 is out of range 1-65535",
        ),
        (
            {"egress": ({"port": 22, "cidr": "10.0.0.1/8"},)},
            "egress[0].cidr: '10.0.0.1/8' is not a CIDR",
        ),
        (
            {"task_role_statements": (ALLOW_ALL,)},
            "task_role_statements[0].Action: '*' is not a service:Action name",
        ),
        (
            {"task_role_statements": ({"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"},)},
            "task_role_statements[0].Action: 's3:*' grants every action of the service",
        ),
        (
            {
                "task_role_statements": (
                    {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"},
                )
            },
            "task_role_statements[0].Effect: must be Allow or Deny",
        ),
        (
            {"task_role_statements": ({"Effect": "Allow", "Action": "s3:GetObject"},)},
            "task_role_statements[0].Resource: required",
        ),
        (
            {"task_role_statements": ({"Effect": "Allow", "Action": [], "Resource": "*"},)},
            "task_role_statements[0].Action: must name at least one action",
        ),
        (
            {"task_role_statements": ("s3:*",)},
            "task_role_statements[0]: expected a valid dictionary",
        ),
        ({"service_desired_count": 2}, "service_desired_count: 2 is out of range 0-1"),
        ({"container_insights": "maybe"}, "container_insights: expected a valid boolean"),
        ({"name_prefix": "Ops"}, "name_prefix: 'Ops' must be 2-24 characters"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        FargateBastionArgs(**{"region": REGION, **kwargs})
    assert str(err.value).startswith(message)


def test_egress_rule_names_its_fields() -> None:
    with pytest.raises(ArgumentError, match=r"^port: 70000 is out of range 1-65535$"):
        EgressRule(port=70000, cidr="10.0.0.0/8")
    with pytest.raises(ArgumentError, match=r"^cidr: required"):
        EgressRule(port=22)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"ssh": True}, "bastion.ssh: unknown option"),
        ({"vpcId": "vpc-1"}, "bastion.vpcId: 'vpc-1' is not a vpc id"),
        ({"vpcId": "vpc-0123456789abcdef0"}, "bastion.vpcId: give vpcId and subnetIds together"),
        (
            {"vpcId": "vpc-0123456789abcdef0", "subnetIds": ["subnet-1"]},
            "bastion.subnetIds[0]: 'subnet-1' is not a subnet id",
        ),
        (
            {
                "vpcId": "vpc-0123456789abcdef0",
                "subnetIds": ["subnet-0123456789abcdef0"],
                "azCount": 1,
            },
            "bastion.azCount: only applies without vpcId",
        ),
        (
            {"egress": [{"port": 22, "cidr": "10.0.0.0/8", "ssh": 22}]},
            "bastion.egress[0].ssh: unknown option",
        ),
        ({"egress": "all"}, "bastion.egress: 'str' instances are not allowed"),
        ({"egress": [{"port": 0, "cidr": "10.0.0.0/8"}]}, "bastion.egress[0].port: 0 is out of"),
        ({"memory": 4096}, "bastion.memory: 4096 MiB is not valid for 256 CPU units"),
        ({"cpuArchitecture": "arm"}, "bastion.cpuArchitecture: expected 'ARM64' or 'X86_64'"),
        (
            {"taskRoleStatements": [ALLOW_ALL]},
            "bastion.taskRoleStatements[0].Action: '*' is not a service:Action name",
        ),
        ({"cidrBlock": "10.0.0.0/30"}, "bastion.cidrBlock: '10.0.0.0/30' must be an IPv4"),
        ({"azCount": 7}, "bastion.azCount: 7 is out of range 1-4"),
        ({"serviceDesiredCount": 2}, "bastion.serviceDesiredCount: 2 is out of range 0-1"),
    ],
)
def test_bad_config_names_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        FargateBastionArgs.from_config("bastion", {"region": REGION, **raw})
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = FargateBastionArgs.from_config(
        "bastion",
        {
            "cpu": "1024",
            "memory": 2048,
            "cpuArchitecture": "X86_64",
            "egress": [{"port": 3306, "cidr": "10.0.0.0/16"}],
            "taskRoleStatements": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            "azCount": 1,
            "cidrBlock": "10.20.0.0/24",
        },
        region=REGION,
    )
    assert (args.cpu, args.memory) == (1024, 2048)
    assert args.cpu_architecture == CpuArchitecture.X86_64
    assert args.egress == [EgressRule(port=3306, cidr="10.0.0.0/16")]
    assert (args.az_count, args.cidr_block) == (1, "10.20.0.0/24")
    own = FargateBastionArgs.from_config(
        "bastion",
        {"vpcId": "vpc-0123456789abcdef0", "subnetIds": ["subnet-0123456789abcdef0"]},
        region=REGION,
    )
    assert own.subnet_ids == ["subnet-0123456789abcdef0"]


def test_component_provider_mapping_and_schema() -> None:
    mapping = {"region": REGION, **OWN, "egress": [{"port": 22, "cidr": "10.0.0.0/8"}]}
    assert FargateBastionArgs.coerce(mapping) == FargateBastionArgs(
        region=REGION, **OWN, egress=[EgressRule(port=22, cidr="10.0.0.0/8")]
    )
    schema = package_schema([FargateBastion])
    resource = schema["resources"]["secbaseline:index:FargateBastion"]
    assert not resource.get("requiredInputs")
    for name in ("vpcId", "kmsKeyArn", "execLogBucket", "endpointSecurityGroupId"):
        assert "plain" not in resource["inputProperties"][name], name
    assert "plain" not in resource["inputProperties"]["subnetIds"]["items"]
    assert "secbaseline:index:EgressRule" in schema["types"]
