"""The beginner tier's data-protection part: opt-in components driven by config sections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan

COMPONENTS = (
    "secbaseline:index:SecureBucket",
    "secbaseline:index:EdgeProtection",
    "secbaseline:index:SecureDatabase",
    "secbaseline:index:ApiFunction",
)
DATABASE = {
    "enabled": True,
    "vpcId": "vpc-0123456789abcdef0",
    "subnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
}


def test_nothing_by_default(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="beginner")
    for token in COMPONENTS:
        assert plan.of_type(token) == []


def test_disabled_sections_create_nothing(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="beginner", database={"enabled": False}, bucket={"enabled": False})
    assert plan.of_type("secbaseline:index:SecureDatabase") == []
    assert plan.of_type("secbaseline:index:SecureBucket") == []


def test_enabled_sections_appear_in_the_plan(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(
        tier="beginner",
        bucket={
            "enabled": True,
            "objectLock": {"mode": "GOVERNANCE", "days": 30},
            "malwareScanning": True,
        },
        edge={
            "enabled": True,
            "rateLimit": 1000,
            "blockedCountries": ["KP"],
            "certificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/abc",
        },
        database={**DATABASE, "engine": "aurora-postgresql"},
        api={"enabled": True},
    )
    data = next(
        r for r in plan.of_type("secbaseline:index:SecureBucket") if r.name == "secbaseline-data"
    )
    descendants = plan.descendants(data.urn)
    types = {r.type for r in descendants}
    assert "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan" in types
    assert "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration" in types
    edge = plan.one("secbaseline:index:EdgeProtection")
    acl = next(r for r in plan.descendants(edge.urn) if r.type == "aws:wafv2/webAcl:WebAcl")
    assert acl.inputs["rules"][0]["statement"] == {"geoMatchStatement": {"countryCodes": ["KP"]}}
    database = plan.one("secbaseline:index:SecureDatabase")
    cluster = next(r for r in plan.descendants(database.urn) if r.type == "aws:rds/cluster:Cluster")
    assert cluster.inputs["engine"] == "aurora-postgresql"
    assert plan.region_of(cluster) == "ap-northeast-1"
    # S-06: the tier copies the backups to the first other detection region, to a locked vault.
    vaults = [r for r in plan.descendants(database.urn) if r.type == "aws:backup/vault:Vault"]
    assert sorted(plan.region_of(v) or "" for v in vaults) == ["ap-northeast-1", "eu-west-1"]
    lock_type = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
    [lock] = [r for r in plan.descendants(database.urn) if r.type == lock_type]
    assert plan.region_of(lock) == "eu-west-1"
    api = plan.one("secbaseline:index:ApiFunction")
    assert any(r.type == "aws:lambda/function:Function" for r in plan.descendants(api.urn))
    # An enabled API is not public unless the config opts out.
    assert plan.one("aws:apigatewayv2/route:Route").inputs["authorizationType"] == "AWS_IAM"
    assert plan.of_type("aws:lambda/functionUrl:FunctionUrl") == []
    # Everything uses the account's one provider (regions are per-resource arguments).
    providers = {
        r.provider
        for component in (data, edge, database, api)
        for r in plan.descendants(component.urn)
        if r.custom
    }
    assert len(providers) == 1
    assert next(iter(providers)).split("::")[-1].startswith("account")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"bucket": {"enabled": "yes"}}, "bucket.enabled: expected true or false"),
        ({"bucket": {"enabled": False, "colour": 1}}, "bucket.colour: unknown option"),
        ({"edge": {"enabled": True, "rateLimit": 5}}, "edge.rateLimit: 5 is out of range"),
        ({"database": {"enabled": True}}, "database.vpcId: required"),
        ({"database": {"enabled": False, "vpcID": "x"}}, "database.vpcID: unknown option"),
        (
            {"database": {**DATABASE, "backupRetentionDays": 1}},
            "database.backupRetentionDays: 1 is out of range 7-35",
        ),
        ({"api": {"enabled": True, "apiType": "SOAP"}}, "api.apiType: expected 'HTTP' or 'REST'"),
        ({"api": {"enabled": False, "colour": 1}}, "api.colour: unknown option"),
    ],
)
def test_bad_sections_fail_the_plan(
    plan_tier: Callable[..., Plan], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(Exception, match=message.replace(".", r"\.")) as err:
        plan_tier(tier="beginner", **config)
    assert message in str(err.value)
