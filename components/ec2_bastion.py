"""An EC2 bastion for teams that need an instance: Session Manager only, nothing inbound.

Checklist: S-01 (no key pair, no public IP, no ingress rule), S-02 (the EC2 option),
S-03 (IMDSv2 required, hop limit 1).
"""

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import baseline_tags
from secbaseline.components.private_network import (
    DEFAULT_AZ_COUNT,
    DEFAULT_CIDR_BLOCK,
    EC2_ENDPOINTS,
    MAX_AZS,
    PrivateNetwork,
    allow_https_to_endpoints,
    bastion_network,
    check_zones,
    network_cidr,
    network_options_given,
)
from secbaseline.components.session_manager import session_client_statements

TYPE_TOKEN = "secbaseline:index:Ec2Bastion"
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
PATCH_GROUP_TAG = "Patch Group"
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_AMI = re.compile(r"^ami-[0-9a-f]{8}([0-9a-f]{9})?$")
_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")


class InstanceArchitecture(StrEnum):
    """CPU architecture of the EC2 bastion (picks the Amazon Linux 2023 AMI)."""

    ARM64 = "arm64"
    """Graviton (t4g, m7g, ...): cheaper per hour."""
    X86_64 = "x86_64"
    """Intel or AMD (t3, m7i, ...)."""


DEFAULT_INSTANCE_TYPES: Mapping[InstanceArchitecture, str] = {
    InstanceArchitecture.ARM64: "t4g.micro",
    InstanceArchitecture.X86_64: "t3.micro",
}


def _instance_type(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _INSTANCE_TYPE.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not an instance type")
    return value


def _ami_id(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _AMI.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not an AMI id")
    return value


def _patch_group(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _TAG_VALUE.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a tag value")
    return value


def is_graviton(instance_type: str) -> bool:
    """Whether an instance type runs arm64 images (a1 and the ``g`` families)."""
    family = instance_type.split(".", maxsplit=1)[0]
    return family == "a1" or re.fullmatch(r"[a-z]+\d+[a-z]*g[a-z]*", family) is not None


@component_args
class Ec2BastionArgs(ComponentArgs):
    """Inputs of :class:`Ec2Bastion`."""

    region: str | None = arg(default=None, check=validate.region)
    """Region of the instance; None uses the provider's region."""
    vpc_id: pulumi.Input[str] | None = arg(default=None, check=validate.vpc_id)
    """Your VPC (give it with ``subnet_id``); None creates a PrivateNetwork."""
    subnet_id: pulumi.Input[str] | None = arg(default=None, check=validate.subnet_id)
    """Your private subnet (it must reach SSM: endpoints or a NAT)."""
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
    """Without ``vpc_id``: how many AZs the created network spans, 1-4."""
    instance_type: str | None = arg(default=None, check=_instance_type)
    """Instance type matching ``architecture``; None: t4g.micro (arm64) or t3.micro (x86_64)."""
    architecture: InstanceArchitecture = InstanceArchitecture.ARM64
    """arm64 or x86_64: picks the latest Amazon Linux 2023 AMI from the SSM public parameter."""
    ami_id: str | None = arg(default=None, check=_ami_id)
    """Pin an AMI (ami-...) instead of the latest AL2023."""
    root_volume_size_gb: int = arg(default=8, ge=8, le=1024)
    """Root volume size, 8-1024 GiB (gp3, always encrypted)."""
    root_volume_kms_key_arn: pulumi.Input[str] | None = arg(
        default=None, check=validate.kms_key_arn
    )
    """Customer KMS key for the root volume; None: the account's default EBS key."""
    patch_group: str | None = arg(default=None, check=_patch_group)
    """Value of the ``Patch Group`` tag, so PatchManagement's windows patch this instance."""
    session_kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Session Manager's KMS key: the instance may Decrypt with it (encrypted sessions)."""
    session_log_group_arn: pulumi.Input[str] | None = arg(
        default=None, check=validate.arn_of("logs")
    )
    """Session Manager's log group: the instance may write session logs to it."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of Name tags (and of the created network's)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (instance, volumes, security group, role, instance
    profile, ingress rule, created network)."""

    def __post_init__(self) -> None:
        if (self.vpc_id is None) != (self.subnet_id is None):
            raise ValueError("vpc_id: give vpc_id and subnet_id together, or neither")
        if self.vpc_id is None:
            if self.endpoint_security_group_id is not None:
                raise ValueError("endpoint_security_group_id: only applies with vpc_id")
            check_zones("availability_zones", self.region, list(self.availability_zones))
        else:
            for name in network_options_given(self):
                raise ValueError(f"{name}: only applies without vpc_id")
        if self.instance_type is not None and is_graviton(self.instance_type) != (
            self.architecture == InstanceArchitecture.ARM64
        ):
            raise ValueError(
                f"instance_type: {self.instance_type} does not run {self.architecture} images"
            )


class Ec2Bastion(pulumi.ComponentResource):
    """A private EC2 instance managed by Systems Manager; connect with ``aws ssm start-session``."""

    instance: aws.ec2.Instance
    """The bastion instance."""
    security_group: aws.ec2.SecurityGroup
    """Its security group: no ingress rule."""
    role: aws.iam.Role
    """The instance role (AmazonSSMManagedInstanceCore, plus session log/KMS access if given)."""
    instance_profile: aws.iam.InstanceProfile
    """The instance profile."""
    start_session_command: pulumi.Output[str]
    """The one line that opens a shell."""

    def __init__(
        self,
        name: str,
        args: Ec2BastionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = Ec2BastionArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        tags = baseline_tags(args.tags, component="Ec2Bastion")

        self._network: PrivateNetwork | None = None
        vpc_id: pulumi.Input[str]
        subnet_id: pulumi.Input[str]
        endpoint_sg: pulumi.Input[str] | None
        if args.vpc_id is not None and args.subnet_id is not None:
            vpc_id, subnet_id = args.vpc_id, args.subnet_id
            endpoint_sg = args.endpoint_security_group_id
        else:
            self._network = bastion_network(name, args, region, EC2_ENDPOINTS, child)
            vpc_id, subnet_id = self._network.vpc_id, self._network.subnet_ids[0]
            endpoint_sg = self._network.endpoint_security_group_id

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="EC2 bastion: no inbound rules; reached through Session Manager only",
            vpc_id=vpc_id,
            ingress=[],
            egress=[
                {
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": ["0.0.0.0/0"],
                    "description": "HTTPS to Systems Manager, KMS, logs and package repositories",
                }
            ],
            region=region,
            tags={**tags, "Name": f"{args.name_prefix}-ec2-bastion"},
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

        self.role = aws.iam.Role(
            f"{name}-role",
            description="EC2 bastion: managed by Systems Manager, nothing else",
            assume_role_policy=iam.service_assume_role_policy("ec2.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-ssm-core", role=self.role.name, policy_arn=SSM_CORE_POLICY, opts=child
        )
        session_statements = session_client_statements(
            [args.session_kms_key_arn] if args.session_kms_key_arn is not None else [],
            [args.session_log_group_arn] if args.session_log_group_arn is not None else [],
        )
        if session_statements:
            aws.iam.RolePolicy(
                f"{name}-session-logging",
                role=self.role.id,
                policy=iam.dumps(session_statements),
                opts=child,
            )
        self.instance_profile = aws.iam.InstanceProfile(
            f"{name}-profile", role=self.role.name, tags=tags, opts=child
        )

        ami: pulumi.Input[str]
        if args.ami_id is not None:
            ami = args.ami_id
        else:
            ami = aws.ssm.get_parameter_output(
                name=AMI_PARAMETER.format(arch=args.architecture.value),
                region=region,
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).value
        instance_tags = {**tags, "Name": f"{args.name_prefix}-ec2-bastion"}
        if args.patch_group is not None:
            instance_tags[PATCH_GROUP_TAG] = args.patch_group
        root: aws.ec2.InstanceRootBlockDeviceArgsDict = {
            "encrypted": True,
            "volume_type": "gp3",
            "volume_size": args.root_volume_size_gb,
            "delete_on_termination": True,
        }
        if args.root_volume_kms_key_arn is not None:
            root["kms_key_id"] = args.root_volume_kms_key_arn
        self.instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=ami,
            instance_type=args.instance_type or DEFAULT_INSTANCE_TYPES[args.architecture],
            subnet_id=subnet_id,
            vpc_security_group_ids=[self.security_group.id],
            associate_public_ip_address=False,
            iam_instance_profile=self.instance_profile.name,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            },
            root_block_device=root,
            monitoring=False,
            region=region,
            tags=instance_tags,
            volume_tags=tags,
            # A new AL2023 release would otherwise replace the bastion; Patch Manager updates
            # it in place. Pin ami_id (or drop this) to roll it deliberately.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["ami"]),
        )
        region_name = (
            pulumi.Output.from_input(region)
            if region
            else aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        )
        self.start_session_command = pulumi.Output.concat(
            "aws ssm start-session --region ", region_name, " --target ", self.instance.id
        )
        self.register_outputs(
            {
                "instanceId": self.instance.id,
                "securityGroupId": self.security_group.id,
                "startSessionCommand": self.start_session_command,
            }
        )

    @property
    def network(self) -> PrivateNetwork | None:
        """The PrivateNetwork created for the bastion (None when given ``vpc_id``)."""
        return self._network
