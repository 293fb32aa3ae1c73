"""Issue 16 item 3 across the tier plans: every VPC a plan creates or adopts has a flow log,
and the default VPC can be deleted outside Pulumi (``secbaseline default-vpc delete``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from secbaseline.baseline import default_vpc
from secbaseline.baseline.cli import main
from secbaseline.baseline.engine import Plan

VPC = "aws:ec2/vpc:Vpc"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

TIER_PLANS: list[dict[str, Any]] = [
    {"tier": "beginner"},
    {"tier": "beginner", "ec2Bastion": {"enabled": True, "region": "us-east-1"}},
    {"tier": "intermediate"},
    {"tier": "advanced", "role": "management"},
    {"tier": "advanced", "role": "security"},
    {"tier": "advanced", "role": "member"},
]


@pytest.mark.parametrize(
    "config",
    TIER_PLANS,
    ids=["beginner", "beginner-ec2-bastion", "intermediate", "management", "security", "member"],
)
def test_every_planned_vpc_has_a_flow_log(
    plan_tier: Callable[..., Plan], config: dict[str, Any]
) -> None:
    plan = plan_tier(**config)
    vpcs = plan.of_type(VPC) + plan.of_type(DEFAULT_VPC)
    assert plan.of_type(DEFAULT_VPC), "the default VPC of every detection region is hardened"
    groups = {g.outputs["arn"]: g for g in plan.of_type(LOG_GROUP)}
    logged = {}
    for flow_log in plan.of_type(FLOW_LOG):
        assert flow_log.inputs["trafficType"] in {"ALL", "REJECT"}  # EC2.6
        group = groups[flow_log.inputs["logDestination"]]
        assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
        assert group.inputs["retentionInDays"] >= 365
        assert plan.region_of(group) == plan.region_of(flow_log)
        logged[flow_log.inputs["vpcId"]] = flow_log
    assert [v.name for v in vpcs if v.id not in logged] == []
    for vpc in vpcs:
        assert plan.region_of(logged[vpc.id]) == plan.region_of(vpc)


# --- secbaseline default-vpc delete, against moto ---------------------------------------------


@pytest.fixture
def aws_account() -> Iterator[None]:
    """A moto account whose eu-west-1 default VPC has an internet gateway, as a real one does
    (moto's default VPCs come without)."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=str(_default_vpc("eu-west-1")))
        yield


def _default_vpc(region: str) -> str | None:
    ec2 = boto3.client("ec2", region_name=region)
    found = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    return found[0]["VpcId"] if found else None


def test_dry_run_reports_and_deletes_nothing(
    aws_account: None, capsys: pytest.CaptureFixture[str]
) -> None:
    vpc_id = _default_vpc("eu-west-1")
    assert vpc_id is not None
    assert main(["default-vpc", "delete", "--region", "eu-west-1"]) == 0
    out = capsys.readouterr().out
    assert "eu-west-1: would delete igw-" in out
    assert out.rstrip().endswith("dry run: add --yes to delete")
    assert vpc_id in out
    assert _default_vpc("eu-west-1") == vpc_id


def test_delete_removes_gateway_subnets_and_vpc(
    aws_account: None, capsys: pytest.CaptureFixture[str]
) -> None:
    vpc_id = _default_vpc("eu-west-1")
    other = _default_vpc("us-east-1")
    assert main(["default-vpc", "delete", "--region", "eu-west-1", "--yes"]) == 0
    assert "eu-west-1: deleted igw-" in capsys.readouterr().out
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    assert _default_vpc("eu-west-1") is None
    assert vpc_id not in {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    assert (
        ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [str(vpc_id)]}])["Subnets"] == []
    )
    assert (
        ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [str(vpc_id)]}]
        )["InternetGateways"]
        == []
    )
    assert _default_vpc("us-east-1") == other  # other regions untouched
    # A second run finds nothing to do.
    assert main(["default-vpc", "delete", "--region", "eu-west-1", "--yes"]) == 0
    assert capsys.readouterr().out == "eu-west-1: no default VPC\n"


def test_a_vpc_in_use_is_not_deleted(aws_account: None, capsys: pytest.CaptureFixture[str]) -> None:
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    vpc_id = _default_vpc("eu-west-1")
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [str(vpc_id)]}])["Subnets"][
        0
    ]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    assert main(["default-vpc", "delete", "--region", "eu-west-1", "--yes"]) == 1
    assert f"in use by 1 network interface(s) ({eni}); not deleted" in capsys.readouterr().out
    assert _default_vpc("eu-west-1") == vpc_id
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]


def test_bad_region_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["default-vpc", "delete", "--region", "moon-1"]) == 2
    assert "--region: unknown AWS region 'moon-1'" in capsys.readouterr().err


def test_report_lines() -> None:
    report = default_vpc.DefaultVpcReport("us-east-1", "vpc-1", ["igw-1"], ["subnet-1"])
    assert report.lines() == ["us-east-1: would delete igw-1, subnet-1, vpc-1"]
