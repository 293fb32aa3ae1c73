"""A bastion that is a Fargate task reached only through ECS Exec / Session Manager.

Checklist: S-01 (no SSH, no inbound port: the security group has no ingress rule), S-02 (a
Fargate task as the bastion), S-04 (managed compute: nothing to patch on the host).
Nothing runs while idle: the task is started on demand and stops itself after a lifetime.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.naming import baseline_tags, physical_name
from secbaseline.components._iam_documents import logs_key_policy, validate_statements
from secbaseline.components.private_network import (
    FARGATE_ENDPOINTS,
    PrivateNetwork,
    PrivateNetworkArgs,
)

TYPE_TOKEN = "secbaseline:index:FargateBastion"
CONTAINER_NAME = "bastion"
PUBLIC_IMAGE = "amazonlinux/amazonlinux:2023"
# Fargate CPU units -> allowed memory (MiB).
FARGATE_SIZES: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: (1024, 2048, 3072, 4096),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[a-z0-9._/-]+)[:@].+$"
)
# ECS Exec's agent opens its control and data channels through these. They do not support
# resource-level permissions (the IAM service authorization reference lists no resource
# type for them), so AWS requires Resource "*".
SSM_MESSAGES_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


@dataclass
class EgressRule:
    """An outbound rule of the bastion's security group (e.g. to a database it forwards to)."""

    port: int
    """TCP port, 1-65535."""
    cidr: str
    """Destination IPv4 CIDR."""
    description: str = ""
    """What the rule is for."""

    def validate(self, field: str) -> None:
        """Raise ValueError naming the field."""
        validate.int_range(f"{field}.port", self.port, 1, 65535)
        validate.cidr(f"{field}.cidr", self.cidr)


@dataclass
class FargateBastionArgs:
    """Inputs of :class:`FargateBastion`."""

    region: str = ""
    """Region of the bastion. Required."""
    vpc_id: str | None = None
    """Your VPC; give it with ``subnet_ids``. None: use ``network`` or create a PrivateNetwork."""
    subnet_ids: Sequence[str] = ()
    """Your private subnets for the task (they must reach SSM: endpoints or a NAT)."""
    network: PrivateNetwork | None = None
    """A PrivateNetwork to run in (shared with an Ec2Bastion); overrides creating one."""
    network_args: PrivateNetworkArgs | None = None
    """Options of the PrivateNetwork created when neither VPC nor network is given."""
    image: str | None = None
    """Container image. None: Amazon Linux 2023 from ECR Public through a pull-through cache
    rule, so a private subnet without internet access can pull it."""
    cpu: int = 256
    """Fargate CPU units: 256, 512, 1024, 2048 or 4096."""
    memory: int = 512
    """Memory in MiB, valid for the CPU size."""
    cpu_architecture: str = "ARM64"
    """ARM64 (Graviton, cheaper) or X86_64."""
    task_lifetime_minutes: int = 60
    """The task exits after this many minutes (1-1440) so a forgotten session stops costing."""
    log_retention_days: int = 365
    """Retention of the exec-session and container log groups."""
    exec_log_bucket: str | None = None
    """Also write exec session logs to this S3 bucket (encrypted uploads required)."""
    exec_log_prefix: str = "ecs-exec/"
    """Key prefix in ``exec_log_bucket``."""
    egress: Sequence[EgressRule] = ()
    """Extra outbound rules (databases to forward to). HTTPS 443 out is always allowed."""
    task_role_statements: Sequence[Mapping[str, Any]] = ()
    """Extra IAM statements for the task role (what the bastion's tools may do)."""
    service_desired_count: int | None = None
    """None (default): no ECS service, run tasks on demand. 0 or 1: an ECS service with that
    desired count (scale it to 1 with ``aws ecs update-service`` when needed)."""
    container_insights: bool = True
    """Container Insights on the cluster."""
    account_id: pulumi.Input[str] | None = None
    """Account id for ARNs; None: looked up with one caller-identity invoke."""
    name_prefix: str = "secbaseline"
    """Prefix of physical names."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags on every resource."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.region("bastion.region", self.region)
        if (self.vpc_id is None) != (not self.subnet_ids):
            raise ValueError("bastion.vpcId: give vpcId and subnetIds together, or neither")
        if self.vpc_id is not None:
            if self.network is not None:
                raise ValueError("bastion.vpcId: give either vpcId/subnetIds or network, not both")
            validate.resource_id("bastion.vpcId", self.vpc_id, "vpc")
            for i, subnet in enumerate(self.subnet_ids):
                validate.resource_id(f"bastion.subnetIds[{i}]", subnet, "subnet")
        if self.network is not None and self.network.region != self.region:
            raise ValueError(
                f"bastion.network: the network is in {self.network.region}, not {self.region}"
            )
        if self.network_args is not None:
            self.network_args.validate()
        # Type first: YAML may give "256", which would pass as text and then miss the table.
        for size_field, size in (("bastion.cpu", self.cpu), ("bastion.memory", self.memory)):
            if isinstance(size, bool) or not isinstance(size, int):
                raise ValueError(f"{size_field}: {size!r} is not an integer")
        validate.one_of("bastion.cpu", str(self.cpu), [str(c) for c in FARGATE_SIZES])
        if self.memory not in FARGATE_SIZES[self.cpu]:
            raise ValueError(
                f"bastion.memory: {self.memory!r} MiB is not valid for {self.cpu} CPU units; "
                f"use one of {', '.join(map(str, FARGATE_SIZES[self.cpu]))}"
            )
        validate.one_of("bastion.cpuArchitecture", self.cpu_architecture, ("ARM64", "X86_64"))
        validate.int_range("bastion.taskLifetimeMinutes", self.task_lifetime_minutes, 1, 1440)
        validate.log_retention_days("bastion.logRetentionDays", self.log_retention_days)
        if self.image is not None and (not isinstance(self.image, str) or not self.image.strip()):
            raise ValueError(f"bastion.image: {self.image!r} is not an image reference")
        if self.exec_log_bucket is not None:
            validate.bucket_name("bastion.execLogBucket", self.exec_log_bucket)
        for i, rule in enumerate(self.egress):
            rule.validate(f"bastion.egress[{i}]")
        validate_statements("bastion.taskRoleStatements", self.task_role_statements)
        if self.service_desired_count is not None:
            validate.int_range("bastion.serviceDesiredCount", self.service_desired_count, 0, 1)
        validate.boolean("bastion.containerInsights", self.container_insights)
        validate.name_prefix("bastion.namePrefix", self.name_prefix)

    @classmethod
    def from_config(cls, section: Mapping[str, Any], region: str) -> FargateBastionArgs:
        """Build from the ``bastion`` config section (``enabled`` is read by the tier)."""
        raw = validate.known_keys("bastion", section, BASTION_CONFIG_KEYS)
        egress = raw.get("egress", [])
        if not isinstance(egress, list | tuple):
            raise ValueError("bastion.egress: expected a list of {port, cidr, description}")
        rules = []
        for i, rule in enumerate(egress):
            item = validate.known_keys(
                f"bastion.egress[{i}]", rule, {"port", "cidr", "description"}
            )
            rules.append(
                EgressRule(
                    port=item.get("port"),  # type: ignore[arg-type]  # validated by EgressRule.validate
                    cidr=item.get("cidr"),  # type: ignore[arg-type]  # validated by EgressRule.validate
                    description=str(item.get("description", "")),
                )
            )
        statements = raw.get("taskRoleStatements", [])
        if not isinstance(statements, list | tuple):
            raise ValueError("bastion.taskRoleStatements: expected a list of IAM statements")
        subnets = raw.get("subnetIds", [])
        if not isinstance(subnets, list | tuple):
            raise ValueError("bastion.subnetIds: expected a list of subnet ids")
        args = cls(
            region=str(raw.get("region", region)),
            vpc_id=raw.get("vpcId"),  # type: ignore[arg-type]  # validated by validate()
            subnet_ids=tuple(subnets),
            network_args=network_args_from_config("bastion", raw, str(raw.get("region", region))),
            image=raw.get("image"),  # type: ignore[arg-type]  # validated by validate()
            cpu=raw.get("cpu", 256),  # type: ignore[arg-type]  # validated by validate()
            memory=raw.get("memory", 512),  # type: ignore[arg-type]  # validated by validate()
            cpu_architecture=str(raw.get("cpuArchitecture", "ARM64")),
            task_lifetime_minutes=raw.get("taskLifetimeMinutes", 60),  # type: ignore[arg-type]  # validated by validate()
            log_retention_days=raw.get("logRetentionDays", 365),  # type: ignore[arg-type]  # validated by validate()
            exec_log_bucket=raw.get("execLogBucket"),  # type: ignore[arg-type]  # validated by validate()
            exec_log_prefix=str(raw.get("execLogPrefix", "ecs-exec/")),
            egress=rules,
            task_role_statements=[dict(s) for s in statements],
            service_desired_count=raw.get("serviceDesiredCount"),  # type: ignore[arg-type]  # validated by validate()
            container_insights=raw.get("containerInsights", True),  # type: ignore[arg-type]  # validated by validate()
        )
        if args.vpc_id is None and args.network_args is None:
            args.network_args = PrivateNetworkArgs(region=args.region)
        return args


NETWORK_CONFIG_KEYS = {"cidrBlock", "availabilityZones", "azCount"}
BASTION_CONFIG_KEYS = {
    "enabled",
    "region",
    "vpcId",
    "subnetIds",
    "image",
    "cpu",
    "memory",
    "cpuArchitecture",
    "taskLifetimeMinutes",
    "logRetentionDays",
    "execLogBucket",
    "execLogPrefix",
    "egress",
    "taskRoleStatements",
    "serviceDesiredCount",
    "containerInsights",
    *NETWORK_CONFIG_KEYS,
}


def network_args_from_config(
    section_name: str, raw: Mapping[str, object], region: str
) -> PrivateNetworkArgs | None:
    """PrivateNetworkArgs from a bastion section's network keys (None when a VPC is given)."""
    if raw.get("vpcId") is not None:
        for key in NETWORK_CONFIG_KEYS & set(raw):
            raise ValueError(f"{section_name}.{key}: only applies without vpcId")
        return None
    zones = raw.get("availabilityZones", [])
    if not isinstance(zones, list | tuple):
        raise ValueError(f"{section_name}.availabilityZones: expected a list of AZ names")
    return PrivateNetworkArgs(
        region=region,
        cidr_block=raw.get("cidrBlock", "10.64.0.0/24"),  # type: ignore[arg-type]  # validated by PrivateNetworkArgs.validate
        availability_zones=tuple(zones),
        az_count=raw.get("azCount", 2),  # type: ignore[arg-type]  # validated by PrivateNetworkArgs.validate
        config_section=section_name,
    )


def _arn(
    service: str, region: str, account: pulumi.Input[str], resource: str
) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:", service, ":", region, ":", account, ":", resource)


class FargateBastion(pulumi.ComponentResource):
    """ECS cluster + Fargate task definition with ECS Exec, logged and KMS-encrypted."""

    cluster: aws.ecs.Cluster
    """The ECS cluster (Container Insights on, exec logging OVERRIDE)."""
    task_definition: aws.ecs.TaskDefinition
    """The bastion task definition."""
    security_group: aws.ec2.SecurityGroup
    """The task's security group: no ingress rule."""
    task_role: aws.iam.Role
    """The task role (ECS Exec permissions plus the user's statements)."""
    execution_role: aws.iam.Role
    """The task execution role (image pull and container logs)."""
    kms_key: aws.kms.Key
    """Key for exec session encryption and the log groups."""
    exec_log_group: aws.cloudwatch.LogGroup
    """CloudWatch log group of exec sessions."""
    network: PrivateNetwork | None
    """The private network the bastion created or was given (None with your own VPC)."""
    service: aws.ecs.Service | None
    """The optional ECS service (None by default: run tasks on demand)."""
    subnet_ids: pulumi.Output[list[str]]
    """Subnets the task runs in."""
    run_task_network_configuration: pulumi.Output[dict[str, Any]]
    """The ``--network-configuration`` JSON for ``aws ecs run-task``."""
    start_command: pulumi.Output[str]
    """One line that starts a bastion task."""
    exec_command: pulumi.Output[str]
    """The command that opens a shell in a running task (replace TASK_ID)."""

    def __init__(
        self,
        name: str,
        args: FargateBastionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        tags = baseline_tags(args.tags, component="FargateBastion")
        account: pulumi.Input[str] = (
            args.account_id
            if args.account_id is not None
            else aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)
            ).account_id
        )

        # --- network ---------------------------------------------------------------------
        self.network = args.network
        vpc_id: pulumi.Input[str]
        subnets: Sequence[pulumi.Input[str]]
        if args.vpc_id is not None:
            vpc_id, subnets = args.vpc_id, list(args.subnet_ids)
        else:
            if self.network is None:
                net_args = args.network_args or PrivateNetworkArgs(region=region)
                net_args.region = region
                net_args.name_prefix = args.name_prefix
                net_args.interface_endpoints = tuple(
                    sorted(set(net_args.interface_endpoints) | set(FARGATE_ENDPOINTS))
                )
                self.network = PrivateNetwork(f"{name}-network", net_args, opts=child)
            vpc_id, subnets = self.network.vpc_id, self.network.subnet_ids
        self.subnet_ids = pulumi.Output.all(*subnets).apply(lambda ids: [str(i) for i in ids])

        egress: list[aws.ec2.SecurityGroupEgressArgsDict] = [
            {
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "cidr_blocks": ["0.0.0.0/0"],
                "description": "HTTPS to AWS APIs (SSM messages, ECR, logs, KMS)",
            }
        ]
        egress += [
            {
                "protocol": "tcp",
                "from_port": rule.port,
                "to_port": rule.port,
                "cidr_blocks": [rule.cidr],
                "description": rule.description or f"forwarding to port {rule.port}",
            }
            for rule in args.egress
        ]
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="Fargate bastion: no inbound rules; reached through ECS Exec only",
            vpc_id=vpc_id,
            ingress=[],
            egress=egress,
            region=region,
            tags={**tags, "Name": f"{args.name_prefix}-fargate-bastion"},
            opts=child,
        )
        if self.network is not None:
            self.network.allow_https_from(f"{name}-endpoint-access", self.security_group.id, self)

        # --- encryption and logs ---------------------------------------------------------
        self.kms_key = aws.kms.Key(
            f"{name}-key",
            description="Fargate bastion: ECS Exec session and log encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=logs_key_policy(account, region),
            region=region,
            tags=tags,
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{physical_name(args.name_prefix, 'fargate-bastion')}",
            target_key_id=self.kms_key.key_id,
            region=region,
            opts=child,
        )
        self.exec_log_group = aws.cloudwatch.LogGroup(
            f"{name}-exec-logs",
            name=f"/{args.name_prefix}/fargate-bastion/exec",
            kms_key_id=self.kms_key.arn,
            retention_in_days=args.log_retention_days,
            region=region,
            tags=tags,
            opts=child,
        )
        task_log_group = aws.cloudwatch.LogGroup(
            f"{name}-task-logs",
            name=f"/{args.name_prefix}/fargate-bastion/task",
            kms_key_id=self.kms_key.arn,
            retention_in_days=args.log_retention_days,
            region=region,
            tags=tags,
            opts=child,
        )

        # --- image -----------------------------------------------------------------------
        image: pulumi.Input[str]
        repository_arn: pulumi.Input[str] | None = None
        pull_through = args.image is None
        if args.image is None:
            cache_prefix = physical_name(args.name_prefix, "ecr-public", max_length=30)
            aws.ecr.PullThroughCacheRule(
                f"{name}-ecr-public-cache",
                ecr_repository_prefix=cache_prefix,
                upstream_registry_url="public.ecr.aws",
                region=region,
                opts=child,
            )
            image = pulumi.Output.concat(
                account, ".dkr.ecr.", region, ".amazonaws.com/", cache_prefix, "/", PUBLIC_IMAGE
            )
            repository_arn = _arn("ecr", region, account, f"repository/{cache_prefix}/*")
        else:
            image = args.image
            ecr = _ECR_IMAGE.fullmatch(args.image)
            if ecr:
                repository_arn = (
                    f"arn:aws:ecr:{ecr['region']}:{ecr['account']}:repository/{ecr['repo']}"
                )

        # --- roles -----------------------------------------------------------------------
        execution_statements: list[dict[str, Any]] = [
            {
                "Sid": "ContainerLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(task_log_group.arn, ":*"),
            }
        ]
        if repository_arn is not None:
            pull_actions = [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ]
            if pull_through:
                # The first pull through the cache creates the repository and imports the image.
                pull_actions += ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]
            execution_statements += [
                {
                    "Sid": "EcrLogin",
                    "Effect": "Allow",
                    # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
                    "Action": "ecr:GetAuthorizationToken",
                    "Resource": "*",
                },
                {
                    "Sid": "PullTheBastionImage",
                    "Effect": "Allow",
                    "Action": pull_actions,
                    "Resource": repository_arn,
                },
            ]
        self.execution_role = aws.iam.Role(
            f"{name}-execution-role",
            description="Fargate bastion task execution: pull the image, write container logs",
            assume_role_policy=iam.service_assume_role_policy(
                "ecs-tasks.amazonaws.com", source_account=account
            ),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=self.execution_role.id,
            policy=iam.dumps(execution_statements),
            opts=child,
        )

        task_statements: list[Any] = [
            {
                "Sid": "EcsExecChannels",
                "Effect": "Allow",
                "Action": list(SSM_MESSAGES_ACTIONS),
                # ssmmessages actions support no resource-level permissions: "*" is required.
                "Resource": "*",
            },
            {
                "Sid": "EcsExecSessionEncryption",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": self.kms_key.arn,
            },
            {
                "Sid": "EcsExecFindLogGroup",
                "Effect": "Allow",
                # The exec agent lists log groups to find its own; a List-type call on "*".
                "Action": "logs:DescribeLogGroups",
                "Resource": "*",
            },
            {
                "Sid": "EcsExecSessionLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(self.exec_log_group.arn, ":*"),
            },
        ]
        if args.exec_log_bucket is not None:
            task_statements += [
                {
                    "Sid": "EcsExecSessionLogsToS3",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{args.exec_log_bucket}/{args.exec_log_prefix}*",
                },
                {
                    "Sid": "EcsExecCheckBucketEncryption",
                    "Effect": "Allow",
                    "Action": "s3:GetEncryptionConfiguration",
                    "Resource": f"arn:aws:s3:::{args.exec_log_bucket}",
                },
            ]
        task_statements += [dict(s) for s in args.task_role_statements]
        self.task_role = aws.iam.Role(
            f"{name}-task-role",
            description="Fargate bastion task: ECS Exec only, plus statements added explicitly",
            assume_role_policy=iam.service_assume_role_policy(
                "ecs-tasks.amazonaws.com", source_account=account
            ),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-task-policy",
            role=self.task_role.id,
            policy=iam.dumps(task_statements),
            opts=child,
        )

        # --- cluster and task ------------------------------------------------------------
        log_configuration: aws.ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgsDict = {
            "cloud_watch_log_group_name": self.exec_log_group.name,
            "cloud_watch_encryption_enabled": True,
        }
        if args.exec_log_bucket is not None:
            log_configuration["s3_bucket_name"] = args.exec_log_bucket
            log_configuration["s3_key_prefix"] = args.exec_log_prefix
            log_configuration["s3_bucket_encryption_enabled"] = True
        cluster_name = physical_name(args.name_prefix, "bastion")
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            settings=[
                {
                    "name": "containerInsights",
                    "value": "enabled" if args.container_insights else "disabled",
                }
            ],
            configuration={
                "execute_command_configuration": {
                    "kms_key_id": self.kms_key.arn,
                    "logging": "OVERRIDE",
                    "log_configuration": log_configuration,
                }
            },
            region=region,
            tags=tags,
            opts=child,
        )
        container = {
            "name": CONTAINER_NAME,
            "image": image,
            "essential": True,
            # Sleep, then exit: the task stops by itself and stops costing.
            "command": ["sleep", str(args.task_lifetime_minutes * 60)],
            # ECS Exec's agent needs a writable root filesystem, so it is not made read-only.
            "readonlyRootFilesystem": False,
            "linuxParameters": {"initProcessEnabled": True},
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": task_log_group.name,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": "bastion",
                },
            },
        }
        family = physical_name(args.name_prefix, "fargate-bastion")
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=family,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(args.cpu),
            memory=str(args.memory),
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": args.cpu_architecture,
            },
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=pulumi.Output.json_dumps([container]),
            region=region,
            tags=tags,
            opts=child,
        )

        self.service = None
        if args.service_desired_count is not None:
            self.service = aws.ecs.Service(
                f"{name}-service",
                name=physical_name(args.name_prefix, "bastion"),
                cluster=self.cluster.arn,
                task_definition=self.task_definition.arn,
                desired_count=args.service_desired_count,
                launch_type="FARGATE",
                enable_execute_command=True,
                network_configuration={
                    "subnets": subnets,
                    "security_groups": [self.security_group.id],
                    "assign_public_ip": False,
                },
                region=region,
                tags=tags,
                opts=child,
            )

        self.run_task_network_configuration = pulumi.Output.all(
            self.subnet_ids, self.security_group.id
        ).apply(
            lambda v: {
                "awsvpcConfiguration": {
                    "subnets": v[0],
                    "securityGroups": [v[1]],
                    "assignPublicIp": "DISABLED",
                }
            }
        )
        self.start_command = pulumi.Output.all(
            self.run_task_network_configuration, self.cluster.name, self.task_definition.family
        ).apply(
            lambda v: (
                f"aws ecs run-task --region {region} --cluster {v[1]} --task-definition {v[2]} "
                "--launch-type FARGATE --enable-execute-command "
                f"--network-configuration '{json.dumps(v[0], separators=(',', ':'))}'"
            )
        )
        self.exec_command = self.cluster.name.apply(
            lambda c: (
                f"aws ecs execute-command --region {region} --cluster {c} --task TASK_ID "
                f"--container {CONTAINER_NAME} --interactive --command /bin/sh"
            )
        )
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "taskDefinitionArn": self.task_definition.arn,
                "securityGroupId": self.security_group.id,
                "subnetIds": self.subnet_ids,
                "runTaskNetworkConfiguration": self.run_task_network_configuration,
                "startCommand": self.start_command,
                "execCommand": self.exec_command,
            }
        )
