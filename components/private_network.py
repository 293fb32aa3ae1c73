"""A minimal private VPC for bastions: no internet gateway, no NAT, only VPC endpoints.

Checklist: S-01 (no inbound path from the internet: there is no route to it at all). Its flow
logs go to a KMS-encrypted log group (Security Hub EC2.6); its default security group has no
rules (EC2.2).
Created by :class:`FargateBastion` and :class:`Ec2Bastion` when they are given no VPC; to share
one network, create it yourself and pass its ``vpc_id``, ``subnet_ids`` and
``endpoint_security_group_id`` to the bastions.
"""

import ipaddress
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import baseline_tags
from secbaseline.components._flow_logs import (
    DEFAULT_RETENTION_DAYS,
    FlowLogDestination,
    delivery_role,
    vpc_flow_log,
)

TYPE_TOKEN = "secbaseline:index:PrivateNetwork"
DEFAULT_CIDR_BLOCK = "10.64.0.0/24"
DEFAULT_AZ_COUNT = 2
MAX_AZS = 4
_AZ_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+[a-z]$")


class InterfaceEndpoint(StrEnum):
    """An AWS service a bastion may reach through an interface VPC endpoint."""

    SSM = "ssm"
    """Systems Manager API (EC2 instances register and fetch documents)."""
    SSMMESSAGES = "ssmmessages"
    """Session Manager / ECS Exec data channel."""
    EC2MESSAGES = "ec2messages"
    """Run Command messages for the SSM agent on EC2."""
    ECR_API = "ecr.api"
    """ECR API (Fargate image pulls)."""
    ECR_DKR = "ecr.dkr"
    """ECR registry (Fargate image pulls)."""
    LOGS = "logs"
    """CloudWatch Logs (container and session logs)."""
    KMS = "kms"
    """KMS (session and ECS Exec encryption)."""
    STS = "sts"
    """STS (role credentials for tools inside the bastion)."""


# Interface endpoints a bastion may need, and why.
KNOWN_INTERFACE_ENDPOINTS: Mapping[str, str] = {
    member.value: (member.__doc__ or "").strip() for member in InterfaceEndpoint
}
FARGATE_ENDPOINTS: tuple[str, ...] = ("ecr.api", "ecr.dkr", "kms", "logs", "ssmmessages")
EC2_ENDPOINTS: tuple[str, ...] = ("ec2messages", "kms", "logs", "ssm", "ssmmessages")


def network_cidr(field: str, value: Any) -> str:
    """A private IPv4 block from /16 to /26 (the sizes a VPC may have)."""
    cidr = validate.cidr(field, value)
    network = ipaddress.ip_network(cidr)
    if network.version != 4 or not 16 <= network.prefixlen <= 26:
        raise ValueError(f"{field}: {cidr!r} must be an IPv4 block from /16 to /26")
    if not network.is_private:
        raise ValueError(f"{field}: {cidr!r} is not a private (RFC 1918) range")
    return cidr


def check_zones(field: str, region: str | None, zones: Sequence[str]) -> None:
    """AZ names of ``region`` (of one region when it is None), each once, at most four
    (``field`` names the argument)."""
    for zone in zones:
        if region is not None and not re.fullmatch(rf"{re.escape(region)}[a-z]", zone):
            raise ValueError(f"{field}: {zone!r} is not an AZ of {region}")
        if region is None and not _AZ_NAME.fullmatch(zone):
            raise ValueError(f"{field}: {zone!r} is not an availability zone name")
    if region is None and len({zone[:-1] for zone in zones}) > 1:
        raise ValueError(f"{field}: the AZs are in different regions")
    if len(set(zones)) != len(zones):
        raise ValueError(f"{field}: an AZ is listed twice")
    if len(zones) > MAX_AZS:
        raise ValueError(f"{field}: at most {MAX_AZS} AZs")


def network_options_given(args: Any) -> list[str]:
    """Which network arguments (``cidr_block``, ``availability_zones``, ``az_count``) of a
    bastion's args differ from their defaults: they only apply when it creates its network."""
    given = []
    if args.cidr_block != DEFAULT_CIDR_BLOCK:
        given.append("cidr_block")
    if list(args.availability_zones):
        given.append("availability_zones")
    if args.az_count != DEFAULT_AZ_COUNT:
        given.append("az_count")
    return given


@component_args
class PrivateNetworkArgs(ComponentArgs):
    """Inputs of :class:`PrivateNetwork`."""

    region: str | None = arg(default=None, check=validate.region)
    """Region of the VPC; None uses the provider's region."""
    cidr_block: str = arg(default=DEFAULT_CIDR_BLOCK, check=network_cidr)
    """Private IPv4 block of the VPC, /16 to /26; split into one equal subnet per AZ."""
    availability_zones: Sequence[str] = arg(default_factory=list)
    """AZ names of ``region`` (e.g. ap-northeast-1a), at most 4; empty: the first ``az_count``
    available AZs."""
    az_count: int = arg(default=DEFAULT_AZ_COUNT, ge=1, le=MAX_AZS)
    """How many AZs when ``availability_zones`` is empty, 1-4. Endpoints bill per AZ."""
    interface_endpoints: Sequence[InterfaceEndpoint] = arg(default_factory=list)
    """Interface endpoint services (private DNS on). A bastion that creates its network adds
    the ones it needs."""
    s3_gateway_endpoint: bool = True
    """Add the free S3 gateway endpoint (ECR layers, AL2023 repositories, patch baselines)."""
    flow_logs: bool = True
    """Log all traffic of the VPC to a KMS-encrypted CloudWatch log group (Security Hub EC2.6).
    Opt-out (False) only when you log the VPC another way."""
    flow_log_retention_days: int = arg(
        default=DEFAULT_RETENTION_DAYS, check=validate.log_retention_days
    )
    """Retention of the flow log group (a CloudWatch Logs retention value; default 365)."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """Account id for the flow log key policy and delivery role; None: looked up with one
    caller-identity invoke (only with ``flow_logs``)."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of Name tags and of the flow log group (``/<prefix>/vpc-flow-logs/<name>``)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (VPC, subnets, route table, security groups, endpoints,
    ingress rules, flow log, its key, log group and role)."""

    def __post_init__(self) -> None:
        check_zones("availability_zones", self.region, list(self.availability_zones))

    def zone_count(self) -> int:
        """How many subnets (one per AZ) the network has."""
        return len(self.availability_zones) or self.az_count


def subnet_cidrs(cidr_block: str, count: int) -> list[str]:
    """``count`` equal subnets carved from the VPC block (the smallest power of two that fits)."""
    network = ipaddress.ip_network(cidr_block)
    extra_bits = max(1, (count - 1).bit_length())
    return [str(s) for s in list(network.subnets(prefixlen_diff=extra_bits))[:count]]


def allow_https_to_endpoints(
    name: str,
    endpoint_security_group_id: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    *,
    region: str | None,
    parent: pulumi.Resource,
    tags: Mapping[str, str] | None = None,
) -> aws.vpc.SecurityGroupIngressRule:
    """Admit HTTPS from one security group to a network's interface endpoints."""
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=endpoint_security_group_id,
        referenced_security_group_id=security_group_id,
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        description="HTTPS from a bastion to the VPC endpoints",
        region=region,
        tags=dict(tags) if tags else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )


class PrivateNetwork(pulumi.ComponentResource):
    """VPC with private subnets, no route to the internet, and the endpoints a bastion needs."""

    vpc: aws.ec2.Vpc
    """The VPC (DNS support and hostnames on, required by private-DNS endpoints)."""
    vpc_id: pulumi.Output[str]
    """The VPC id."""
    subnet_ids: list[pulumi.Output[str]]
    """Private subnet ids, one per AZ."""
    route_table_id: pulumi.Output[str]
    """The subnets' route table: local routes plus the S3 gateway endpoint only."""
    endpoint_security_group_id: pulumi.Output[str]
    """Security group of the interface endpoints; admits 443 only from allowed groups."""
    endpoints: dict[str, aws.ec2.VpcEndpoint]
    """Endpoint per service name ("s3" for the gateway endpoint)."""
    flow_log: aws.ec2.FlowLog | None
    """The VPC's flow log (None with ``flow_logs: False``)."""
    flow_log_group: aws.cloudwatch.LogGroup | None
    """The encrypted log group the flow log writes to (None with ``flow_logs: False``)."""

    def __init__(
        self,
        name: str,
        args: PrivateNetworkArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = PrivateNetworkArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._region = args.region
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        region_name = (
            pulumi.Output.from_input(region)
            if region
            else aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        )
        self._tags = baseline_tags(args.tags, component="PrivateNetwork")
        tags = self._tags

        def named(suffix: str) -> dict[str, str]:
            return {**tags, "Name": f"{args.name_prefix}-{suffix}"}

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            region=region,
            tags=named("bastion-vpc"),
            opts=child,
        )
        self.vpc_id = self.vpc.id
        self.flow_log = self.flow_log_group = None
        if args.flow_logs:
            self._flow_logs(name, args, region_name, named("flow-logs"))
        # CIS AWS 5.4: the default security group admits and sends nothing.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            region=region,
            tags=named("default-deny"),
            opts=child,
        )
        count = args.zone_count()
        zones: Sequence[pulumi.Input[str]]
        if args.availability_zones:
            zones = list(args.availability_zones)
        else:
            found = aws.get_availability_zones_output(
                state="available", region=region, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            zones = [found.names[i] for i in range(count)]
        route_table = aws.ec2.RouteTable(
            f"{name}-private-rt",
            vpc_id=self.vpc.id,
            region=region,
            tags=named("private"),
            opts=child,
        )
        self.route_table_id = route_table.id
        self.subnet_ids = []
        for index, (zone, cidr) in enumerate(
            zip(zones, subnet_cidrs(args.cidr_block, count), strict=True)
        ):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                region=region,
                tags=named(f"private-{index}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}-rt",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                region=region,
                opts=child,
            )
            self.subnet_ids.append(subnet.id)

        # No inline ingress: each client group is admitted by allow_https_from. No egress:
        # endpoints only answer connections (security groups are stateful).
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            description="VPC interface endpoints: HTTPS from the bastion security groups only",
            vpc_id=self.vpc.id,
            egress=[],
            region=region,
            tags=named("endpoints"),
            opts=child,
        )
        self.endpoint_security_group_id = endpoint_sg.id
        self.endpoints = {}
        for service in sorted({str(s) for s in args.interface_endpoints}):
            self.endpoints[service] = aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", region_name, f".{service}"),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.subnet_ids,
                security_group_ids=[endpoint_sg.id],
                region=region,
                tags=named(service),
                opts=child,
            )
        if args.s3_gateway_endpoint:
            self.endpoints["s3"] = aws.ec2.VpcEndpoint(
                f"{name}-s3",
                vpc_id=self.vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", region_name, ".s3"),
                vpc_endpoint_type="Gateway",
                route_table_ids=[route_table.id],
                region=region,
                tags=named("s3"),
                opts=child,
            )
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "subnetIds": self.subnet_ids,
                "routeTableId": self.route_table_id,
                "endpointSecurityGroupId": self.endpoint_security_group_id,
                "flowLogId": self.flow_log.id if self.flow_log is not None else None,
            }
        )

    def _flow_logs(
        self,
        name: str,
        args: PrivateNetworkArgs,
        region_name: pulumi.Input[str],
        tags: Mapping[str, str],
    ) -> None:
        """All traffic to a KMS-encrypted log group through a role that may write there only."""
        account = iam.account_id_or_caller(args.account_id, self)
        destination = FlowLogDestination(
            f"{name}-flow-logs",
            log_group_name=f"/{args.name_prefix}/vpc-flow-logs/{name}",
            account_id=account,
            region=region_name,
            retention_days=args.flow_log_retention_days,
            tags=tags,
            parent=self,
        )
        role = delivery_role(
            f"{name}-flow-logs-role",
            account_id=account,
            region=region_name,
            log_group_arns=[destination.group.arn],
            tags=tags,
            parent=self,
        )
        self.flow_log_group = destination.group
        self.flow_log = vpc_flow_log(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            destination=destination,
            role=role,
            region=self._region,
            tags=tags,
            parent=self,
        )

    @property
    def region(self) -> str | None:
        """The network's region (None: the provider's)."""
        return self._region

    def allow_https_from(
        self, name: str, security_group_id: pulumi.Input[str], parent: pulumi.Resource
    ) -> aws.vpc.SecurityGroupIngressRule:
        """Admit HTTPS from one security group to the interface endpoints."""
        return allow_https_to_endpoints(
            name,
            self.endpoint_security_group_id,
            security_group_id,
            region=self._region,
            parent=parent,
            tags=self._tags,
        )


def bastion_network(
    name: str,
    args: Any,
    region: str | None,
    endpoints: Sequence[str],
    opts: pulumi.ResourceOptions,
) -> PrivateNetwork:
    """The network a bastion creates when it is given no ``vpc_id``: built from the bastion
    args' ``cidr_block``, ``availability_zones``, ``az_count``, ``name_prefix``, ``tags`` (and
    ``account_id`` where the bastion has one), with the interface ``endpoints`` the bastion
    needs and flow logs on."""
    return PrivateNetwork(
        f"{name}-network",
        PrivateNetworkArgs(
            region=region,
            cidr_block=args.cidr_block,
            availability_zones=args.availability_zones,
            az_count=args.az_count,
            interface_endpoints=[InterfaceEndpoint(e) for e in endpoints],
            account_id=getattr(args, "account_id", None),
            name_prefix=args.name_prefix,
            tags=args.tags,
        ),
        opts=opts,
    )
