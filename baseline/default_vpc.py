"""``secbaseline default-vpc delete``: delete the default VPC of regions, once nothing uses it.

``AccountHardening``'s ``defaultVpc: delete`` leaves the default VPC out of the stack: Pulumi
has no safe way to delete it (``aws.ec2.DefaultVpc`` with ``force_destroy`` deletes only on
``pulumi destroy``, cannot remove the internet gateway and subnets first, and re-creates a
default VPC when adopting one that is gone). This command does what the console's "Delete VPC"
does, with the caller's own credentials:

1. find the region's default VPC (none: nothing to do);
2. refuse when any network interface is in it (instances, endpoints, load balancers, Lambda
   functions ... still use it);
3. detach and delete its internet gateways, delete its subnets, then the VPC (its default
   security group, network ACL and main route table go with it).

Without ``--yes`` it only prints what it would delete. It is the one command of the CLI that
talks to a real AWS account; its tests run against moto.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from secbaseline.baseline import validate


@dataclass
class DefaultVpcReport:
    """What was (or would be) deleted in one region."""

    region: str
    vpc_id: str | None = None
    internet_gateways: list[str] = field(default_factory=list)
    subnets: list[str] = field(default_factory=list)
    in_use_by: list[str] = field(default_factory=list)
    deleted: bool = False

    def lines(self) -> list[str]:
        """Human-readable lines for the terminal."""
        if self.vpc_id is None:
            return [f"{self.region}: no default VPC"]
        if self.in_use_by:
            return [
                f"{self.region}: {self.vpc_id} is in use by {len(self.in_use_by)} network "
                f"interface(s) ({', '.join(self.in_use_by[:5])}); not deleted"
            ]
        verb = "deleted" if self.deleted else "would delete"
        parts = [*self.internet_gateways, *self.subnets, self.vpc_id]
        return [f"{self.region}: {verb} {', '.join(parts)}"]


def delete_default_vpc(ec2: Any, region: str, *, apply: bool) -> DefaultVpcReport:
    """Delete ``region``'s default VPC through the EC2 client ``ec2`` (``apply=False``: only
    report what would be deleted)."""
    report = DefaultVpcReport(region)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        return report
    vpc_id = report.vpc_id = vpcs[0]["VpcId"]
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc_id]}]
    interfaces = ec2.describe_network_interfaces(Filters=vpc_filter)["NetworkInterfaces"]
    report.in_use_by = sorted(i["NetworkInterfaceId"] for i in interfaces)
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    report.internet_gateways = sorted(g["InternetGatewayId"] for g in gateways)
    subnets = ec2.describe_subnets(Filters=vpc_filter)["Subnets"]
    report.subnets = sorted(s["SubnetId"] for s in subnets)
    if report.in_use_by or not apply:
        return report
    for gateway in report.internet_gateways:
        ec2.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id)
        ec2.delete_internet_gateway(InternetGatewayId=gateway)
    for subnet in report.subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc_id)
    report.deleted = True
    return report


def _client(region: str) -> Any:
    import boto3  # the caller's credentials; only this command needs them

    return boto3.client("ec2", region_name=region)


def run(
    regions: Sequence[str], *, apply: bool, client: Callable[[str], Any] = _client
) -> list[DefaultVpcReport]:
    """Delete (or report) the default VPC of every region."""
    return [delete_default_vpc(client(r), r, apply=apply) for r in regions]


def _command(args: argparse.Namespace) -> int:
    regions = validate.regions("--region", args.region)
    reports = run(regions, apply=args.yes)
    for report in reports:
        for line in report.lines():
            sys.stdout.write(line + "\n")
    if not args.yes and any(r.vpc_id and not r.in_use_by for r in reports):
        sys.stdout.write("dry run: add --yes to delete\n")
    return 1 if any(r.in_use_by for r in reports) else 0


def add_default_vpc_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``secbaseline default-vpc delete --region R [--region R ...] [--yes]``."""
    parser = sub.add_parser(
        "default-vpc",
        help="delete the default VPC of regions marked defaultVpc: delete (uses your AWS "
        "credentials)",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    delete = actions.add_parser(
        "delete",
        help="delete the default VPC (internet gateway, subnets, VPC) when nothing uses it",
    )
    delete.add_argument(
        "--region", action="append", required=True, help="a region (repeat for more)"
    )
    delete.add_argument(
        "--yes", action="store_true", help="really delete (default: only show what would go)"
    )
    delete.set_defaults(run=_command)
