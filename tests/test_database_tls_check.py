"""The database TLS Config rule Lambda (S-07) against moto's RDS and Config."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from secbaseline.components.lambdas.database_tls_check import handler

REGION = "us-east-1"
EVENT = {
    "invokingEvent": json.dumps(
        {
            "messageType": "ScheduledNotification",
            "notificationCreationTime": "2026-12-01T03:00:00.000Z",
        }
    ),
    "ruleParameters": "{}",
    "resultToken": "TESTMODE",
    "configRuleName": "secbaseline-database-tls",
    "accountId": "123456789012",
}


def _instance(rds: Any, name: str, engine: str, version: str, group: str | None) -> str:
    extra = {"DBParameterGroupName": group} if group else {}
    db = rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t4g.micro",
        Engine=engine,
        EngineVersion=version,
        AllocatedStorage=20,
        MasterUsername="dbadmin",
        MasterUserPassword="not-a-real-password",
        **extra,
    )["DBInstance"]
    resource_id: str = db["DbiResourceId"]
    return resource_id


def _group(rds: Any, name: str, family: str, parameter: str | None, value: str | None) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName=name, DBParameterGroupFamily=family, Description="test"
    )
    if parameter is not None and value is not None:
        rds.modify_db_parameter_group(
            DBParameterGroupName=name,
            Parameters=[
                {"ParameterName": parameter, "ParameterValue": value, "ApplyMethod": "immediate"}
            ],
        )


def _cluster(rds: Any, name: str, engine: str, group: str, value: str | None) -> str:
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group, DBParameterGroupFamily=f"{engine}16", Description="t"
    )
    if value is not None:
        rds.modify_db_cluster_parameter_group(
            DBClusterParameterGroupName=group,
            Parameters=[
                {
                    "ParameterName": handler.tls_parameter(engine),
                    "ParameterValue": value,
                    "ApplyMethod": "pending-reboot",
                }
            ],
        )
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine=engine,
        MasterUsername="dbadmin",
        MasterUserPassword="not-a-real-password",
        DBClusterParameterGroupName=group,
    )["DBCluster"]
    resource_id: str = cluster["DbClusterResourceId"]
    return resource_id


def run() -> dict[str, str]:
    result = handler.handler(EVENT, None)
    assert result["failed"] == 0
    return {e["id"]: e["compliance"] for e in result["evaluations"]}


@pytest.fixture
def rds(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("rds", region_name=REGION)


def test_parameter_groups_decide_per_engine(rds: Any) -> None:
    _group(rds, "pg-forced", "postgres14", "rds.force_ssl", "1")
    _group(rds, "pg-off", "postgres14", "rds.force_ssl", "0")
    _group(rds, "pg-unset", "postgres14", None, None)
    _group(rds, "my-forced", "mysql8.0", "require_secure_transport", "1")
    _group(rds, "my-off", "mysql8.0", "require_secure_transport", "OFF")
    _group(rds, "maria-on", "mariadb10.11", "require_secure_transport", "ON")
    ids = {
        "pg-forced": _instance(rds, "pg-forced", "postgres", "14.12", "pg-forced"),
        "pg-off": _instance(rds, "pg-off", "postgres", "14.12", "pg-off"),
        "pg-unset-14": _instance(rds, "pg-unset-14", "postgres", "14.12", "pg-unset"),
        "my-forced": _instance(rds, "my-forced", "mysql", "8.0.39", "my-forced"),
        "my-off": _instance(rds, "my-off", "mysql", "8.0.39", "my-off"),
        "maria-on": _instance(rds, "maria-on", "mariadb", "10.11.9", "maria-on"),
    }
    verdicts = run()
    assert verdicts == {
        ids["pg-forced"]: "COMPLIANT",
        ids["pg-off"]: "NON_COMPLIANT",
        ids["pg-unset-14"]: "NON_COMPLIANT",
        ids["my-forced"]: "COMPLIANT",
        ids["my-off"]: "NON_COMPLIANT",
        ids["maria-on"]: "COMPLIANT",
    }


def test_default_groups_use_the_engine_default(rds: Any) -> None:
    """No group named: PostgreSQL 15+ forces TLS by default, MySQL and PostgreSQL 14 do not."""
    pg16 = _instance(rds, "pg16", "postgres", "16.4", None)
    pg14 = _instance(rds, "pg14", "postgres", "14.12", None)
    mysql = _instance(rds, "mysql", "mysql", "8.0.39", None)
    assert run() == {pg16: "COMPLIANT", pg14: "NON_COMPLIANT", mysql: "NON_COMPLIANT"}


def test_aurora_clusters_are_judged_by_their_cluster_parameter_group(rds: Any) -> None:
    forced = _cluster(rds, "aurora-forced", "aurora-postgresql", "apg-forced", "1")
    unset = _cluster(rds, "aurora-unset", "aurora-postgresql", "apg-unset", None)
    mysql = _cluster(rds, "aurora-my", "aurora-mysql", "amy-on", "ON")
    # A member instance is judged with its cluster, not on its own.
    rds.create_db_instance(
        DBInstanceIdentifier="aurora-forced-1",
        DBInstanceClass="db.t4g.medium",
        Engine="aurora-postgresql",
        DBClusterIdentifier="aurora-forced",
    )
    result = handler.handler(EVENT, None)
    types = {e["id"]: e["type"] for e in result["evaluations"]}
    assert {e["id"]: e["compliance"] for e in result["evaluations"]} == {
        forced: "COMPLIANT",
        unset: "NON_COMPLIANT",
        mysql: "COMPLIANT",
    }
    assert set(types.values()) == {"AWS::RDS::DBCluster"}


def test_oracle_is_not_applicable(rds: Any) -> None:
    oracle = _instance(rds, "ora", "oracle-ee", "19.0.0.0.ru-2024-07.rur-2024-07.r1", None)
    assert run() == {oracle: "NOT_APPLICABLE"}


def test_no_databases_sends_nothing(rds: Any) -> None:
    assert handler.handler(EVENT, None) == {"evaluations": [], "failed": 0}


@pytest.mark.parametrize(
    ("engine", "version", "value", "expected"),
    [
        ("postgres", "15.7", None, "COMPLIANT"),
        ("postgres", "15.7", "0", "NON_COMPLIANT"),
        ("aurora-postgresql", "16.4", None, "NON_COMPLIANT"),
        ("sqlserver-se", "16.00", "1", "COMPLIANT"),
        ("aurora-mysql", "8.0.mysql_aurora.3.08.0", "OFF", "NON_COMPLIANT"),
        ("mysql", "8.0.39", "true", "COMPLIANT"),
    ],
)
def test_verdict(engine: str, version: str, value: str | None, expected: str) -> None:
    item = handler.verdict(
        resource_type=handler.INSTANCE_TYPE,
        resource_id="db-1",
        label="DB instance x",
        engine=engine,
        version=version,
        group="g",
        value=value,
    )
    assert item.compliance == expected
    assert item.annotation.startswith("DB instance x: ")
    assert len(item.to_api(handler.datetime.now(handler.UTC))["Annotation"]) <= 256
