"""Every example program under docs/examples/ plans offline and passes the policy pack."""

from pathlib import Path

import pytest

from secbaseline.baseline.check import check_plan, plan_program
from secbaseline.policies import rules

EXAMPLES = sorted(
    p.parent
    for p in (Path(__file__).resolve().parent.parent / "docs" / "examples").glob("*/__main__.py")
)


def test_there_are_examples() -> None:
    assert [p.name for p in EXAMPLES] == ["own-network"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_plans_and_passes_the_pack(example: Path) -> None:
    stack_file = example / "Pulumi.example.yaml"
    plan = plan_program(example, str(stack_file) if stack_file.is_file() else None)
    types = {r.type for r in plan.resources}
    assert "aws:ec2/vpc:Vpc" in types
    assert {r.type for r in plan.resources if not r.custom} >= {
        "secbaseline:index:SecureBucket",
        "secbaseline:index:SecureDatabase",
        "secbaseline:index:Ec2Bastion",
        "secbaseline:index:EdgeProtection",
    }
    findings = check_plan(plan, options=rules.StackOptions(tier="beginner"))
    mandatory = [f for f in findings if f.enforcement == "mandatory"]
    assert mandatory == [], [f"{f.policy}: {f.message}" for f in mandatory]


def test_own_network_wires_its_resources_into_the_components() -> None:
    example = next(p for p in EXAMPLES if p.name == "own-network")
    plan = plan_program(example, str(example / "Pulumi.example.yaml"))
    vpc = plan.one("aws:ec2/vpc:Vpc")
    alb = plan.one("aws:lb/loadBalancer:LoadBalancer")
    certificate = plan.one("aws:acm/certificate:Certificate")
    subnet_group = plan.one("aws:rds/subnetGroup:SubnetGroup")
    private = {r.id for r in plan.of_type("aws:ec2/subnet:Subnet") if "private" in r.name}
    assert set(subnet_group.inputs["subnetIds"]) == private
    assert any(
        r.inputs.get("vpcId") == vpc.id
        for r in plan.of_type("aws:ec2/securityGroup:SecurityGroup")
        if r.name.startswith("orders")
    )
    distribution = plan.one("aws:cloudfront/distribution:Distribution")
    assert (
        distribution.inputs["viewerCertificate"]["acmCertificateArn"] == certificate.outputs["arn"]
    )
    origin = distribution.inputs["origins"][0]
    assert origin["domainName"] == alb.outputs["dnsName"]
    association = plan.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == alb.outputs["arn"]
