"""A bastion that is a Fargate task reached only through ECS Exec / Session Manager.

Checklist: S-01 (no SSH, no inbound port: the security group has no ingress rule), S-02 (a
Fargate task as the bastion), S-04 (managed compute: nothing to patch on the host).
Nothing runs while idle: the task is started on demand and stops itself after a lifetime.
"""

import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import baseline_tags, physical_name
from secbaseline.components._iam_documents import validate_statements
from secbaseline.components._kms import account_key
from secbaseline.components.private_network import (
    DEFAULT_AZ_COUNT,
    DEFAULT_CIDR_BLOCK,
    FARGATE_ENDPOINTS,
    MAX_AZS,
    PrivateNetwork,
    allow_https_to_endpoints,
    bastion_network,
    check_zones,
    network_cidr,
    network_options_given,
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


class CpuArchitecture(StrEnum):
    """CPU architecture of the Fargate task."""

    ARM64 = "ARM64"
    """Graviton: about 20% cheaper per vCPU-hour."""
    X86_64 = "X86_64"
    """Intel/AMD, for images built only for x86_64."""


@component_args
class EgressRule(ComponentArgs):
    """An outbound rule of the bastion's security group (e.g. to a database it forwards to)."""

    port: int = arg(ge=1, le=65535)
    """TCP port, 1-65535."""
    cidr: str = arg(check=validate.cidr)
    """Destination CIDR block."""
    description: str = ""
    """What the rule is for."""


def _cpu(field: str, value: Any) -> int:
    if value not in FARGATE_SIZES:
        raise ValueError(
            f"{field}: {value!r} is not one of {', '.join(map(str, FARGATE_SIZES))} CPU units"
        )
    return int(value)


def _image(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: {value!r} is not an image reference")
    return value


def _statements(field: str, value: Any) -> Any:
    validate_statements(field, value)
    return value


@component_args
class FargateBastionArgs(ComponentArgs):
    """Inputs of :class:`FargateBastion`."""

    region: str | None = arg(default=None, check=validate.region)
    """Region of the bastion; None uses the provider's region."""
    vpc_id: pulumi.Input[str] | None = arg(default=None, check=validate.vpc_id)
    """Your VPC (give it with ``subnet_ids``); None creates a PrivateNetwork."""
    subnet_ids: Sequence[pulumi.Input[str]] = arg(default_factory=list, each=validate.subnet_id)
    """Your private subnets for the task (they must reach SSM: endpoints or a NAT)."""
    endpoint_security_group_id: pulumi.Input[str] | None = arg(
        default=None, check=validate.security_group_id
    )
    """With ``vpc_id``: the security group of the VPC's interface endpoints (for example a
    PrivateNetwork's ``endpoint_security_group_id``); the bastion admits itself to it on 443."""
    cidr_block: str = arg(default=DEFAULT_CIDR_BLOCK, check=network_cidr)
    """Without ``vpc_id``: private IPv4 block of the created network, /16 to /26."""
    availability_zones: Sequence[str] = arg(default_factory=list)
    """Without ``vpc_id``: AZ names of ``region`` for the created network (at most 4); empty:
    the first ``az_count`` available AZs."""
    az_count: int = arg(default=DEFAULT_AZ_COUNT, ge=1, le=MAX_AZS)
    """Without ``vpc_id``: how many AZs the created network spans, 1-4. Endpoints bill per
    AZ."""
    image: str | None = arg(default=None, check=_image)
    """Container image. None: Amazon Linux 2023 from ECR Public through a pull-through cache
    rule, so a private subnet without internet access can pull it."""
    cpu: int = arg(default=256, check=_cpu)
    """Fargate CPU units: 256, 512, 1024, 2048 or 4096."""
    memory: int = 512
    """Memory in MiB, valid for the CPU size (256: 512-2048; 512: 1024-4096; ...)."""
    cpu_architecture: CpuArchitecture = CpuArchitecture.ARM64
    """ARM64 (Graviton, cheaper) or X86_64."""
    task_lifetime_minutes: int = arg(default=60, ge=1, le=1440)
    """The task exits after this many minutes (1-1440) so a forgotten session stops costing."""
    log_retention_days: int = arg(default=365, check=validate.log_retention_days)
    """Retention of the exec-session and container log groups (a CloudWatch Logs value)."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key for ECS Exec sessions and the log groups (its policy must let
    ``logs.<region>.amazonaws.com`` use it); None creates a key with rotation on."""
    exec_log_bucket: pulumi.Input[str] | None = arg(default=None, check=validate.bucket_name)
    """Also write exec session logs to this S3 bucket (encrypted uploads required)."""
    exec_log_prefix: str = "ecs-exec/"
    """Key prefix in ``exec_log_bucket``."""
    egress: Sequence[EgressRule] = arg(default_factory=list)
    """Extra outbound rules (databases to forward to). HTTPS 443 out is always allowed."""
    task_role_statements: Sequence[Mapping[str, Any]] = arg(default_factory=list, check=_statements)
    """Extra IAM statements for the task role (what the bastion's tools may do); named
    actions only (no ``*`` or ``service:*``)."""
    service_desired_count: int | None = arg(default=None, ge=0, le=1)
    """None (default): no ECS service, run tasks on demand. 0 or 1: an ECS service with that
    desired count (scale it to 1 with ``aws ecs update-service`` when needed)."""
    container_insights: bool = True
    """Container Insights on the cluster."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """Account id for ARNs; None: looked up with one caller-identity invoke."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of physical names (cluster, task family, log groups, key alias, cache rule)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (key, log groups, roles, security group, cluster, task
    definition, service, ingress rule, created network)."""

    def __post_init__(self) -> None:
        if (self.vpc_id is None) != (not self.subnet_ids):
            raise ValueError("vpc_id: give vpc_id and subnet_ids together, or neither")
        if self.vpc_id is None:
            if self.endpoint_security_group_id is not None:
                raise ValueError("endpoint_security_group_id: only applies with vpc_id")
            check_zones("availability_zones", self.region, list(self.availability_zones))
        else:
            for name in network_options_given(self):
                raise ValueError(f"{name}: only applies without vpc_id")
        if self.memory not in FARGATE_SIZES[self.cpu]:
            raise ValueError(
                f"memory: {self.memory!r} MiB is not valid for {self.cpu} CPU units; "
                f"use one of {', '.join(map(str, FARGATE_SIZES[self.cpu]))}"
            )


def _arn(
    service: str, region: pulumi.Input[str], account: pulumi.Input[str], resource: str
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
    kms_key: aws.kms.Key | None
    """The key created for exec session encryption and the log groups (None with
    ``kms_key_arn``)."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts exec sessions and the log groups."""
    exec_log_group: aws.cloudwatch.LogGroup
    """CloudWatch log group of exec sessions."""
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
        args = FargateBastionArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        tags = baseline_tags(args.tags, component="FargateBastion")
        region_name = (
            pulumi.Output.from_input(region)
            if region
            else aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        )
        account: pulumi.Input[str] = (
            args.account_id
            if args.account_id is not None
            else aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)
            ).account_id
        )

        # --- network ---------------------------------------------------------------------
        self._network: PrivateNetwork | None = None
        vpc_id: pulumi.Input[str]
        subnets: Sequence[pulumi.Input[str]]
        endpoint_sg: pulumi.Input[str] | None
        if args.vpc_id is not None:
            vpc_id, subnets = args.vpc_id, list(args.subnet_ids)
            endpoint_sg = args.endpoint_security_group_id
        else:
            self._network = bastion_network(name, args, region, FARGATE_ENDPOINTS, child)
            vpc_id, subnets = self._network.vpc_id, self._network.subnet_ids
            endpoint_sg = self._network.endpoint_security_group_id
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
        if endpoint_sg is not None:
            allow_https_to_endpoints(
                f"{name}-endpoint-access",
                endpoint_sg,
                self.security_group.id,
                region=region,
                parent=self,
                tags=tags,
            )

        # --- encryption and logs ---------------------------------------------------------
        self.kms_key = None
        if args.kms_key_arn is None:
            self.kms_key = account_key(
                f"{name}-key",
                description="Fargate bastion: ECS Exec session and log encryption",
                account_id=account,
                statements=[iam.logs_key_statement(region_name, account)],
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
            self.kms_key_arn = self.kms_key.arn
        else:
            self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)
        self.exec_log_group = aws.cloudwatch.LogGroup(
            f"{name}-exec-logs",
            name=f"/{args.name_prefix}/fargate-bastion/exec",
            kms_key_id=self.kms_key_arn,
            retention_in_days=args.log_retention_days,
            region=region,
            tags=tags,
            opts=child,
        )
        task_log_group = aws.cloudwatch.LogGroup(
            f"{name}-task-logs",
            name=f"/{args.name_prefix}/fargate-bastion/task",
            kms_key_id=self.kms_key_arn,
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
                account,
                ".dkr.ecr.",
                region_name,
                ".amazonaws.com/",
                cache_prefix,
                "/",
                PUBLIC_IMAGE,
            )
            repository_arn = _arn("ecr", region_name, account, f"repository/{cache_prefix}/*")
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
                "Resource": self.kms_key_arn,
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
            bucket_arn = pulumi.Output.concat("arn:aws:s3:::", args.exec_log_bucket)
            task_statements += [
                {
                    "Sid": "EcsExecSessionLogsToS3",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(bucket_arn, f"/{args.exec_log_prefix}*"),
                },
                {
                    "Sid": "EcsExecCheckBucketEncryption",
                    "Effect": "Allow",
                    "Action": "s3:GetEncryptionConfiguration",
                    "Resource": bucket_arn,
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
                    "kms_key_id": self.kms_key_arn,
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
                    "awslogs-region": region_name,
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
                "cpu_architecture": args.cpu_architecture.value,
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
            self.run_task_network_configuration,
            self.cluster.name,
            self.task_definition.family,
            region_name,
        ).apply(
            lambda v: (
                f"aws ecs run-task --region {v[3]} --cluster {v[1]} --task-definition {v[2]} "
                "--launch-type FARGATE --enable-execute-command "
                f"--network-configuration '{json.dumps(v[0], separators=(',', ':'))}'"
            )
        )
        self.exec_command = pulumi.Output.all(self.cluster.name, region_name).apply(
            lambda v: (
                f"aws ecs execute-command --region {v[1]} --cluster {v[0]} --task TASK_ID "
                f"--container {CONTAINER_NAME} --interactive --command /bin/sh"
            )
        )
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "taskDefinitionArn": self.task_definition.arn,
                "securityGroupId": self.security_group.id,
                "kmsKeyArn": self.kms_key_arn,
                "subnetIds": self.subnet_ids,
                "runTaskNetworkConfiguration": self.run_task_network_configuration,
                "startCommand": self.start_command,
                "execCommand": self.exec_command,
            }
        )

    @property
    def network(self) -> PrivateNetwork | None:
        """The PrivateNetwork created for the bastion (None when given ``vpc_id``)."""
        return self._network
