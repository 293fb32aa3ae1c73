"""Fixed monthly cost from the dated price table, usage-billed services, the region warning."""

from __future__ import annotations

import json
from typing import Any

import pytest

from secbaseline.baseline import cost
from secbaseline.baseline.cli import main
from secbaseline.baseline.engine import Plan, RecordedResource


def _resource(type_: str, name: str, **inputs: Any) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:pulumi:test::p::{type_}::{name}",
        type=type_,
        custom=True,
        parent=None,
        provider=None,
        inputs=inputs,
    )


def _plan(*resources: RecordedResource) -> Plan:
    return Plan(project="p", stack="test", resources=list(resources), default_region="us-east-1")


def test_each_fixed_cost_is_quantity_times_the_tables_unit_price() -> None:
    plan = _plan(
        _resource(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "ssm",
            region="ap-northeast-1",
            vpcEndpointType="Interface",
            subnetIds=["subnet-a", "subnet-b"],
        ),
        _resource("aws:kms/key:Key", "k1", region="ap-northeast-1"),
        _resource("aws:kms/key:Key", "k2", region="ap-northeast-1"),
        _resource("aws:wafv2/webAcl:WebAcl", "acl", rules=[{}, {}, {}], scope="CLOUDFRONT"),
        _resource("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm"),
    )
    report = cost.cost_of(plan)
    by_item = {(line.price, line.region): line.monthly_usd for line in report.lines}
    assert by_item == {
        ("interface-endpoint", "ap-northeast-1"): round(2 * 730 * 0.014, 2),
        ("kms-key", "ap-northeast-1"): 2.00,
        ("waf-web-acl", "us-east-1"): 5.00,
        ("waf-rule", "us-east-1"): 3.00,
        ("cloudwatch-alarm", "us-east-1"): 0.10,
    }
    assert report.total_usd == round(20.44 + 2 + 5 + 3 + 0.10, 2)


def test_free_resources_and_unknown_prices_stay_out_of_the_total() -> None:
    plan = _plan(
        _resource(
            "aws:ec2/vpcEndpoint:VpcEndpoint", "s3", region="us-east-1", vpcEndpointType="Gateway"
        ),
        _resource(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "logs",
            region="eu-west-1",
            vpcEndpointType="Interface",
            subnetIds=["subnet-a"],
        ),
        _resource(
            "aws:ec2/instance:Instance", "big", region="us-east-1", instanceType="m7i.48xlarge"
        ),
        _resource("aws:s3/bucket:Bucket", "logs", region="us-east-1"),
    )
    report = cost.cost_of(plan)
    assert report.total_usd == 0
    assert report.priced == []
    assert {(line.price, line.region) for line in report.unpriced} == {
        ("interface-endpoint", "eu-west-1"),
        ("ec2:m7i.48xlarge", "us-east-1"),
    }
    text = cost.render_cost(plan, "table")
    assert "not priced" in text
    assert "EC2 m7i.48xlarge, on demand in us-east-1" in text
    assert [u.service for u, _ in report.usage] == ["S3"]


def test_every_price_names_its_source_and_the_two_home_regions() -> None:
    for key, price in cost.PRICES.items():
        assert price.source.startswith("https://aws.amazon.com/"), key
        for region in ("us-east-1", "ap-northeast-1"):
            assert price.in_region(region) is not None, (key, region)
    page = (cost.README.parent / "docs" / "cost.md").read_text(encoding="utf-8")
    assert f"({cost.PRICES_AS_OF})" in page, "docs/cost.md names another price date"


def test_intermediate_plan_lists_the_detection_services_per_region(
    plan_tier: Any,
) -> None:
    plan = plan_tier(tier="intermediate")
    report = cost.cost_of(plan)
    usage = {u.service: regions for u, regions in report.usage}
    for service in ("GuardDuty", "AWS Config", "Security Hub", "Amazon Inspector"):
        assert usage[service] == ["ap-northeast-1", "eu-west-1", "us-east-1"], service
    kms_keys = len(plan.of_type("aws:kms/key:Key"))
    kms = sum(line.monthly_usd or 0 for line in report.lines if line.price == "kms-key")
    assert kms == kms_keys * 1.00


def test_cli_cost_json_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--tier", "intermediate", "--cost", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["pricesAsOf"] == cost.PRICES_AS_OF
    assert doc["currency"] == "USD"
    assert doc["fixedMonthlyTotal"] == round(sum(line["monthly"] for line in doc["fixed"]), 2)
    assert {line["item"] for line in doc["fixed"]} >= {
        "VPC interface endpoint, per Availability Zone",
        "KMS customer managed key",
    }
    for line in doc["fixed"]:
        assert line["monthly"] == round(line["quantity"] * line["unitPrice"], 2)


def test_cost_and_coverage_are_one_or_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--tier", "beginner", "--cost", "--coverage"]) == 2
    assert "--coverage and --cost: choose one" in capsys.readouterr().err


def test_readme_tier_costs_are_generated_from_the_plans() -> None:
    """Fails when README.md's tier-cost table is stale: run `make docs`."""
    text = cost.README.read_text(encoding="utf-8")
    assert cost.updated_readme(text) == text, "README.md tier costs are stale: run `make docs`"


def test_unset_detection_regions_warn_about_per_region_billing(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(
        'config:\n  aws:region: ap-northeast-1\n  secbaseline:accountId: "333333333333"\n'
    )
    assert main(["plan", "--config", str(stack)]) == 0
    err = capsys.readouterr().err
    assert "detectionRegions is not set: detection runs in all 17 regions" in err
    assert "bill per region" in err

    stack.write_text(
        "config:\n  aws:region: ap-northeast-1\n"
        '  secbaseline:accountId: "333333333333"\n'
        "  secbaseline:detectionRegions: [ap-northeast-1]\n"
    )
    assert main(["plan", "--config", str(stack)]) == 0
    assert "detectionRegions" not in capsys.readouterr().err
