"""PrivateNetwork: a VPC with no route to the internet and only the endpoints a bastion needs."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.baseline.schema import package_schema
from secbaseline.components import InterfaceEndpoint, PrivateNetwork, PrivateNetworkArgs
from secbaseline.components.private_network import FARGATE_ENDPOINTS, subnet_cidrs
from tests.tagging import untagged

REGION = "ap-northeast-1"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ACCOUNT = "123456789012"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        PrivateNetwork("net", PrivateNetworkArgs(**{"region": REGION, **kwargs}))

    return run_program(program)


def test_defaults_private_subnets_and_fargate_endpoints(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, interface_endpoints=FARGATE_ENDPOINTS)
    vpc = plan.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.64.0.0/24"
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True
    subnets = plan.of_type("aws:ec2/subnet:Subnet")
    assert [(s.inputs["cidrBlock"], s.inputs["availabilityZone"]) for s in subnets] == [
        ("10.64.0.0/25", "ap-northeast-1a"),
        ("10.64.0.128/25", "ap-northeast-1b"),
    ]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    # No way out to the internet at all.
    for kind in ("InternetGateway", "NatGateway", "Eip", "EgressOnlyInternetGateway"):
        assert not [r for r in plan.resources if r.type.endswith(f":{kind}")]
    route_table = plan.one("aws:ec2/routeTable:RouteTable")
    assert not route_table.inputs.get("routes")
    assert len(plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")) == 2
    interface = [e for e in plan.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    assert sorted(e.inputs["serviceName"] for e in interface) == [
        f"com.amazonaws.{REGION}.{s}" for s in sorted(FARGATE_ENDPOINTS)
    ]
    endpoint_sg = next(
        sg
        for sg in plan.of_type("aws:ec2/securityGroup:SecurityGroup")
        if sg.name == "net-endpoints-sg"
    )
    for endpoint in interface:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert len(endpoint.inputs["subnetIds"]) == 2
        assert endpoint.inputs["securityGroupIds"] == [endpoint_sg.id]
        assert endpoint.inputs["region"] == REGION
    s3 = next(e for e in plan.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway")
    assert s3.inputs["serviceName"] == f"com.amazonaws.{REGION}.s3"
    assert s3.inputs["routeTableIds"] == [route_table.id]
    # The endpoint group has no rules until a bastion is admitted; the default group none ever.
    assert endpoint_sg.inputs["egress"] == []
    assert "ingress" not in endpoint_sg.inputs
    default_sg = plan.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs["ingress"] == []
    assert default_sg.inputs["egress"] == []
    component = plan.one("secbaseline:index:PrivateNetwork")
    assert all(r.parent == component.urn for r in plan.custom_resources())


def test_options_zones_endpoints_and_no_s3(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        cidr_block="10.1.0.0/16",
        availability_zones=("ap-northeast-1c", "ap-northeast-1d", "ap-northeast-1a"),
        interface_endpoints=("ssm", "ssmmessages", "ec2messages"),
        s3_gateway_endpoint=False,
    )
    subnets = plan.of_type("aws:ec2/subnet:Subnet")
    assert [(s.inputs["cidrBlock"], s.inputs["availabilityZone"]) for s in subnets] == [
        ("10.1.0.0/18", "ap-northeast-1c"),
        ("10.1.64.0/18", "ap-northeast-1d"),
        ("10.1.128.0/18", "ap-northeast-1a"),
    ]
    services = sorted(
        e.inputs["serviceName"].removeprefix(f"com.amazonaws.{REGION}.")
        for e in plan.of_type(ENDPOINT)
    )
    assert services == ["ec2messages", "ssm", "ssmmessages"]


def test_single_az_and_no_interface_endpoints_unless_asked(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, az_count=1)
    assert [e.inputs["vpcEndpointType"] for e in plan.of_type(ENDPOINT)] == ["Gateway"]
    assert [s.inputs["cidrBlock"] for s in plan.of_type("aws:ec2/subnet:Subnet")] == [
        "10.64.0.0/25"
    ]


def test_allow_https_from_admits_one_group_on_443(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        net = PrivateNetwork("net", PrivateNetworkArgs(region=REGION))
        net.allow_https_from("net-from-bastion", "sg-0123456789abcdef0", net)

    plan = run_program(program)
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == "sg-0123456789abcdef0"
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
        "tcp",
        443,
        443,
    )
    assert "cidrIpv4" not in rule.inputs
    assert rule.inputs["region"] == REGION


def test_subnet_cidrs() -> None:
    assert subnet_cidrs("10.0.0.0/24", 1) == ["10.0.0.0/25"]
    assert subnet_cidrs("10.0.0.0/24", 3) == ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26"]
    assert subnet_cidrs("10.0.0.0/26", 4) == [
        "10.0.0.0/28",
        "10.0.0.16/28",
        "10.0.0.32/28",
        "10.0.0.48/28",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "moon-1"}, "region: unknown AWS region"),
        ({"cidr_block": "10.0.0.1/24"}, "cidr_block: '10.0.0.1/24' is not a CIDR"),
        ({"cidr_block": "vpc"}, "cidr_block: 'vpc' is not a CIDR"),
        ({"cidr_block": "10.0.0.0/28"}, "cidr_block: '10.0.0.0/28' must be an IPv4"),
        ({"cidr_block": "10.0.0.0/8"}, "cidr_block: '10.0.0.0/8' must be an IPv4"),
        ({"cidr_block": "fd00::/56"}, "cidr_block: 'fd00::/56' must be an IPv4"),
        ({"cidr_block": "8.8.0.0/16"}, "cidr_block: '8.8.0.0/16' is not a private"),
        (
            {"availability_zones": ("us-east-1a",)},
            "availability_zones: 'us-east-1a' is not an AZ of ap-northeast-1",
        ),
        (
            {"availability_zones": ("ap-northeast-1a", "ap-northeast-1a")},
            "availability_zones: an AZ is listed twice",
        ),
        (
            {"availability_zones": [f"ap-northeast-1{z}" for z in "abcde"]},
            "availability_zones: at most 4 AZs",
        ),
        ({"az_count": 0}, "az_count: 0 is out of range 1-4"),
        ({"az_count": 5}, "az_count: 5 is out of range 1-4"),
        (
            {"interface_endpoints": ("ssm", "ec2")},
            "interface_endpoints[1]: expected 'ssm', 'ssmmessages',",
        ),
        ({"s3_gateway_endpoint": "maybe"}, "s3_gateway_endpoint: expected a valid boolean"),
        ({"name_prefix": "Bad Prefix"}, "name_prefix: 'Bad Prefix' must be 2-24 characters"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x' must be 1-128 characters"),
        ({"flow_logs": "maybe"}, "flow_logs: expected a valid boolean"),
        (
            {"flow_log_retention_days": 100},
            "flow_log_retention_days: 100 is not a CloudWatch Logs retention",
        ),
        ({"account_id": "12345"}, "account_id: '12345' is not"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        PrivateNetworkArgs(**{"region": REGION, **kwargs})
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"region": "moon-1"}, "net.region: unknown AWS region 'moon-1'"),
        ({"region": REGION, "cidrBlock": "8.8.0.0/16"}, "net.cidrBlock: '8.8.0.0/16' is not a"),
        (
            {"region": REGION, "availabilityZones": ["us-east-1a"]},
            "net.availabilityZones: 'us-east-1a' is not an AZ of ap-northeast-1",
        ),
        ({"region": REGION, "azCount": 9}, "net.azCount: 9 is out of range 1-4"),
        (
            {"region": REGION, "interfaceEndpoints": ["ec2"]},
            "net.interfaceEndpoints[0]: expected 'ssm',",
        ),
        ({"region": REGION, "azcount": 1}, "net.azcount: unknown option; did you mean 'azCount'?"),
    ],
)
def test_bad_config_names_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        PrivateNetworkArgs.from_config("net", raw)
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = PrivateNetworkArgs.from_config(
        "net",
        {"cidrBlock": "10.1.0.0/16", "azCount": "1", "interfaceEndpoints": ["ssm", "ecr.api"]},
        region=REGION,
    )
    assert args == PrivateNetworkArgs(
        region=REGION,
        cidr_block="10.1.0.0/16",
        az_count=1,
        interface_endpoints=[InterfaceEndpoint.SSM, InterfaceEndpoint.ECR_API],
    )


def test_the_providers_region_without_region(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        PrivateNetwork(
            "net",
            PrivateNetworkArgs(
                availability_zones=["us-east-1b"], interface_endpoints=[InterfaceEndpoint.SSM]
            ),
        )

    plan = run_program(program)
    services = sorted(e.inputs["serviceName"] for e in plan.of_type(ENDPOINT))
    assert services == ["com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.ssm"]
    assert plan.one("aws:ec2/subnet:Subnet").inputs["availabilityZone"] == "us-east-1b"
    with pytest.raises(ArgumentError, match=r"^availability_zones: the AZs are in different"):
        PrivateNetworkArgs(availability_zones=["us-east-1a", "eu-west-1a"])
    with pytest.raises(ArgumentError, match=r"^availability_zones: 'east' is not an avail"):
        PrivateNetworkArgs(availability_zones=["east"])


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        net = PrivateNetwork(
            "net",
            PrivateNetworkArgs(
                region=REGION, interface_endpoints=["ssm"], name_prefix="ops", tags={"team": "a"}
            ),
        )
        net.allow_https_from("net-from-bastion", "sg-0123456789abcdef0", net)

    plan = run_program(program)
    assert {r.type for r in plan.custom_resources()} >= {
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        FLOW_LOG,
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
    }
    assert untagged(plan, {"team": "a"}) == []
    assert plan.one("aws:ec2/vpc:Vpc").inputs["tags"]["Name"] == "ops-bastion-vpc"


def test_component_provider_mapping_and_schema() -> None:
    assert PrivateNetworkArgs.coerce({"region": REGION, "az_count": 1}) == PrivateNetworkArgs(
        region=REGION, az_count=1
    )
    schema = package_schema([PrivateNetwork])
    resource = schema["resources"]["secbaseline:index:PrivateNetwork"]
    assert not resource.get("requiredInputs")
    assert set(resource["properties"]) >= {"vpcId", "subnetIds", "endpointSecurityGroupId"}


def test_flow_logs_all_traffic_to_an_encrypted_group_through_a_narrow_role(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, account_id=ACCOUNT)
    vpc = plan.one("aws:ec2/vpc:Vpc")
    flow_log = plan.one(FLOW_LOG)
    group = plan.one("aws:cloudwatch/logGroup:LogGroup")
    key = plan.one("aws:kms/key:Key")
    role = plan.one("aws:iam/role:Role")
    assert flow_log.inputs["vpcId"] == vpc.id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"]
    assert flow_log.inputs["region"] == REGION
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["name"] == "/secbaseline/vpc-flow-logs/net"
    assert group.inputs["region"] == key.inputs["region"] == REGION
    assert key.inputs["enableKeyRotation"] is True
    key_policy = json.loads(key.inputs["policy"])
    logs = next(s for s in key_policy["Statement"] if s.get("Sid") == "AllowCloudWatchLogs")
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/*"},
            },
        }
    ]
    policy = plan.one("aws:iam/rolePolicy:RolePolicy")
    assert policy.inputs["role"] == role.id
    statements = json.loads(policy.inputs["policy"])["Statement"]
    write = next(s for s in statements if s["Sid"] == "WriteFlowLogs")
    assert write["Resource"] == f"{group.outputs['arn']}:*"
    assert sorted(write["Action"]) == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    # Only the List-type DescribeLogGroups is on "*"; nothing may create or delete groups.
    assert [s["Action"] for s in statements if s["Resource"] == "*"] == ["logs:DescribeLogGroups"]
    component = plan.one("secbaseline:index:PrivateNetwork")
    assert {r.parent for r in (flow_log, group, key, role, policy)} == {component.urn}


def test_flow_log_retention_and_opt_out(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, flow_log_retention_days=731)
    assert plan.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 731
    # Without an account id the key policy and trust use the caller's account.
    trust = json.loads(plan.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"].isdigit()
    plan = build(run_program, flow_logs=False)
    for kind in (FLOW_LOG, "aws:cloudwatch/logGroup:LogGroup", "aws:kms/key:Key"):
        assert plan.of_type(kind) == []
    assert plan.of_type("aws:iam/role:Role") == []
