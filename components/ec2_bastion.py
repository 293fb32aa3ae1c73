"""An EC2 bastion for teams that need an instance: Session Manager only, nothing inbound.

Checklist: S-01 (no key pair, no public IP, no ingress rule), S-02 (the EC2 option),
S-03 (IMDSv2 required, hop limit 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.naming import baseline_tags
from secbaseline.components.private_network import EC2_ENDPOINTS, PrivateNetwork, PrivateNetworkArgs
from secbaseline.components.session_manager import session_client_statements

TYPE_TOKEN = "secbaseline:index:Ec2Bastion"
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
PATCH_GROUP_TAG = "Patch Group"
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_AMI = re.compile(r"^ami-[0-9a-f]{8}([0-9a-f]{9})?$")


@dataclass
class Ec2BastionArgs:
    """Inputs of :class:`Ec2Bastion`."""

    region: str = ""
    """Region of the instance. Required."""
    vpc_id: str | None = None
    """Your VPC; give it with ``subnet_id``. None: use ``network`` or create a PrivateNetwork."""
    subnet_id: str | None = None
    """Your private subnet (it must reach SSM: endpoints or a NAT)."""
    network: PrivateNetwork | None = None
    """A PrivateNetwork to run in (e.g. the Fargate bastion's); its first subnet is used."""
    network_args: PrivateNetworkArgs | None = None
    """Options of the PrivateNetwork created when neither VPC nor network is given."""
    instance_type: str = "t4g.micro"
    """Instance type; match ``architecture`` (t4g: arm64, t3: x86_64)."""
    architecture: str = "arm64"
    """arm64 or x86_64: picks the latest Amazon Linux 2023 AMI from the SSM public parameter."""
    ami_id: str | None = None
    """Pin an AMI instead of the latest AL2023 (ami-...)."""
    root_volume_size_gb: int = 8
    """Root volume size, 8-1024 GiB (gp3, always encrypted)."""
    root_volume_kms_key_arn: str | None = None
    """Customer KMS key for the root volume; None: the account's default EBS key."""
    patch_group: str | None = None
    """Value of the ``Patch Group`` tag, so PatchManagement's windows patch this instance."""
    session_kms_key_arn: pulumi.Input[str] | None = None
    """Session Manager's KMS key: the instance may Decrypt with it (encrypted sessions)."""
    session_log_group_arn: pulumi.Input[str] | None = None
    """Session Manager's log group: the instance may write session logs to it."""
    name_prefix: str = "secbaseline"
    """Prefix of Name tags."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags on every resource."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.region("ec2Bastion.region", self.region)
        if (self.vpc_id is None) != (self.subnet_id is None):
            raise ValueError("ec2Bastion.vpcId: give vpcId and subnetId together, or neither")
        if self.vpc_id is not None:
            if self.network is not None:
                raise ValueError(
                    "ec2Bastion.vpcId: give either vpcId/subnetId or network, not both"
                )
            validate.resource_id("ec2Bastion.vpcId", self.vpc_id, "vpc")
            validate.resource_id("ec2Bastion.subnetId", self.subnet_id, "subnet")
        if self.network is not None and self.network.region != self.region:
            raise ValueError(
                f"ec2Bastion.network: the network is in {self.network.region}, not {self.region}"
            )
        if self.network_args is not None:
            self.network_args.validate()
        if not isinstance(self.instance_type, str) or not _INSTANCE_TYPE.fullmatch(
            self.instance_type
        ):
            raise ValueError(
                f"ec2Bastion.instanceType: {self.instance_type!r} is not an instance type"
            )
        validate.one_of("ec2Bastion.architecture", self.architecture, ("arm64", "x86_64"))
        family = self.instance_type.split(".")[0]
        graviton = family == "a1" or re.fullmatch(r"[a-z]+\d+[a-z]*g[a-z]*", family) is not None
        if graviton != (self.architecture == "arm64"):
            raise ValueError(
                f"ec2Bastion.instanceType: {self.instance_type} does not run "
                f"{self.architecture} images"
            )
        if self.ami_id is not None and not _AMI.fullmatch(self.ami_id):
            raise ValueError(f"ec2Bastion.amiId: {self.ami_id!r} is not an AMI id")
        validate.int_range("ec2Bastion.rootVolumeSizeGb", self.root_volume_size_gb, 8, 1024)
        if self.root_volume_kms_key_arn is not None:
            validate.arn(
                "ec2Bastion.rootVolumeKmsKeyArn", self.root_volume_kms_key_arn, service="kms"
            )
        if self.patch_group is not None and not re.fullmatch(
            r"[\w .:/=+\-@]{1,256}", self.patch_group
        ):
            raise ValueError(f"ec2Bastion.patchGroup: {self.patch_group!r} is not a tag value")

    @classmethod
    def from_config(cls, section: Mapping[str, Any], region: str) -> Ec2BastionArgs:
        """Build from the ``ec2Bastion`` config section (``enabled`` is read by the tier)."""
        from secbaseline.components.fargate_bastion import (
            NETWORK_CONFIG_KEYS,
            network_args_from_config,
        )

        raw = validate.known_keys(
            "ec2Bastion",
            section,
            {
                "enabled",
                "region",
                "vpcId",
                "subnetId",
                "instanceType",
                "architecture",
                "amiId",
                "rootVolumeSizeGb",
                "rootVolumeKmsKeyArn",
                *NETWORK_CONFIG_KEYS,
            },
        )
        where = str(raw.get("region", region))
        architecture = str(raw.get("architecture", "arm64"))
        default_type = "t4g.micro" if architecture == "arm64" else "t3.micro"
        return cls(
            region=where,
            vpc_id=raw.get("vpcId"),  # type: ignore[arg-type]  # validated by validate()
            subnet_id=raw.get("subnetId"),  # type: ignore[arg-type]  # validated by validate()
            network_args=network_args_from_config("ec2Bastion", raw, where),
            instance_type=raw.get("instanceType", default_type),  # type: ignore[arg-type]  # validated by validate()
            architecture=architecture,
            ami_id=raw.get("amiId"),  # type: ignore[arg-type]  # validated by validate()
            root_volume_size_gb=raw.get("rootVolumeSizeGb", 8),  # type: ignore[arg-type]  # validated by validate()
            root_volume_kms_key_arn=raw.get("rootVolumeKmsKeyArn"),  # type: ignore[arg-type]  # validated by validate()
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
    network: PrivateNetwork | None
    """The private network used or created (None with your own VPC)."""
    start_session_command: pulumi.Output[str]
    """The one line that opens a shell."""

    def __init__(
        self,
        name: str,
        args: Ec2BastionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        tags = baseline_tags(args.tags, component="Ec2Bastion")

        self.network = args.network
        vpc_id: pulumi.Input[str]
        subnet_id: pulumi.Input[str]
        if args.vpc_id is not None and args.subnet_id is not None:
            vpc_id, subnet_id = args.vpc_id, args.subnet_id
        else:
            if self.network is None:
                net_args = args.network_args or PrivateNetworkArgs(region=region)
                net_args.region = region
                net_args.name_prefix = args.name_prefix
                net_args.interface_endpoints = tuple(
                    sorted(set(net_args.interface_endpoints) | set(EC2_ENDPOINTS))
                )
                self.network = PrivateNetwork(f"{name}-network", net_args, opts=child)
            vpc_id, subnet_id = self.network.vpc_id, self.network.subnet_ids[0]

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
        if self.network is not None:
            self.network.allow_https_from(f"{name}-endpoint-access", self.security_group.id, self)

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
                name=AMI_PARAMETER.format(arch=args.architecture),
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
            instance_type=args.instance_type,
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
        self.start_session_command = self.instance.id.apply(
            lambda i: f"aws ssm start-session --region {region} --target {i}"
        )
        self.register_outputs(
            {
                "instanceId": self.instance.id,
                "securityGroupId": self.security_group.id,
                "startSessionCommand": self.start_session_command,
            }
        )
