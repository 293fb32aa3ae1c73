"""AWS Config custom rule: every RDS instance and Aurora cluster in the region requires TLS.

A periodic rule (checklist S-07). For each DB instance that is not a cluster member, and each
DB cluster, it reads the TLS parameter of the instance's DB parameter group or the cluster's
cluster parameter group and reports COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE to Config:

- PostgreSQL, Aurora PostgreSQL and SQL Server: ``rds.force_ssl`` must be 1 (RDS for PostgreSQL
  15 and later default to 1 when the group leaves it unset; older versions default to 0).
- MySQL, MariaDB and Aurora MySQL: ``require_secure_transport`` must be 1/ON (default off).
- Other engines (Oracle: TLS is an option-group setting, Db2, custom engines): NOT_APPLICABLE.

Evaluations use the ids Config records: ``DbiResourceId`` for ``AWS::RDS::DBInstance`` and
``DbClusterResourceId`` for ``AWS::RDS::DBCluster``. A result token of ``TESTMODE`` (what
Config's rule development kit passes in tests) sends them with ``TestMode``. Uses boto3 only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

FORCE_SSL = "rds.force_ssl"
SECURE_TRANSPORT = "require_secure_transport"
INSTANCE_TYPE = "AWS::RDS::DBInstance"
CLUSTER_TYPE = "AWS::RDS::DBCluster"
BATCH = 100  # PutEvaluations takes at most 100 evaluations per call
ANNOTATION_LIMIT = 256
ON_VALUES = frozenset({"1", "on", "true"})
_MAJOR = re.compile(r"^(\d+)")


def tls_parameter(engine: str) -> str | None:
    """The parameter that forces TLS for ``engine``; None when TLS is set elsewhere."""
    if engine in ("postgres", "aurora-postgresql") or engine.startswith("sqlserver"):
        return FORCE_SSL
    if engine in ("mysql", "mariadb", "aurora-mysql", "aurora"):
        return SECURE_TRANSPORT
    return None


def engine_default_on(engine: str, version: str) -> bool:
    """Whether the engine forces TLS when the parameter group leaves the parameter unset.

    RDS for PostgreSQL 15 and later default ``rds.force_ssl`` to 1; every other engine here
    defaults to plaintext allowed.
    """
    match = _MAJOR.match(version or "")
    return engine == "postgres" and match is not None and int(match.group(1)) >= 15


@dataclass(frozen=True)
class Evaluation:
    """One verdict, in the shape PutEvaluations takes."""

    resource_type: str
    resource_id: str
    compliance: str
    annotation: str

    def to_api(self, timestamp: datetime) -> dict[str, Any]:
        """The ``Evaluations`` item."""
        return {
            "ComplianceResourceType": self.resource_type,
            "ComplianceResourceId": self.resource_id,
            "ComplianceType": self.compliance,
            "Annotation": self.annotation[:ANNOTATION_LIMIT],
            "OrderingTimestamp": timestamp,
        }


def _parameter_value(pages: Iterable[dict[str, Any]], name: str) -> str | None:
    for page in pages:
        for parameter in page.get("Parameters", []):
            if parameter.get("ParameterName") == name:
                value = parameter.get("ParameterValue")
                return None if value is None else str(value)
    return None


def verdict(
    *,
    resource_type: str,
    resource_id: str,
    label: str,
    engine: str,
    version: str,
    group: str | None,
    value: str | None,
) -> Evaluation:
    """The verdict for one database from its engine and its group's TLS parameter value."""
    parameter = tls_parameter(engine)
    if parameter is None:
        return Evaluation(
            resource_type,
            resource_id,
            "NOT_APPLICABLE",
            f"{label}: engine {engine} sets TLS outside parameter groups; check it by hand",
        )
    where = f"parameter group {group}" if group else "its parameter group"
    if value is None:
        if engine_default_on(engine, version):
            return Evaluation(
                resource_type,
                resource_id,
                "COMPLIANT",
                f"{label}: {parameter} unset in {where}; {engine} {version} defaults to 1",
            )
        return Evaluation(
            resource_type,
            resource_id,
            "NON_COMPLIANT",
            f"{label}: {parameter} is not set in {where} (engine default allows plaintext)",
        )
    if value.strip().lower() in ON_VALUES:
        return Evaluation(
            resource_type, resource_id, "COMPLIANT", f"{label}: {parameter}={value} in {where}"
        )
    return Evaluation(
        resource_type,
        resource_id,
        "NON_COMPLIANT",
        f"{label}: {parameter}={value} in {where} allows connections without TLS",
    )


def _group_value(rds: Any, operation: str, key: str, group: str | None, name: str) -> str | None:
    """The parameter's value in a DB or cluster parameter group (None: unset or not found)."""
    if not group:
        return None
    try:
        pages = rds.get_paginator(operation).paginate(**{key: group})
        return _parameter_value(pages, name)
    except rds.exceptions.DBParameterGroupNotFoundFault:
        return None  # default groups are not always listed: judged by the engine default


def evaluate(rds: Any) -> Iterator[Evaluation]:
    """Verdicts for every standalone DB instance and every DB cluster in the client's region."""
    for page in rds.get_paginator("describe_db_instances").paginate():
        for db in page.get("DBInstances", []):
            if db.get("DBClusterIdentifier"):
                continue  # the cluster's parameter group decides; judged with the cluster
            engine, version = db.get("Engine", ""), db.get("EngineVersion", "")
            groups = db.get("DBParameterGroups") or [{}]
            group = groups[0].get("DBParameterGroupName")
            parameter = tls_parameter(engine)
            value = (
                _group_value(
                    rds, "describe_db_parameters", "DBParameterGroupName", group, parameter
                )
                if parameter
                else None
            )
            yield verdict(
                resource_type=INSTANCE_TYPE,
                resource_id=db["DbiResourceId"],
                label=f"DB instance {db['DBInstanceIdentifier']}",
                engine=engine,
                version=version,
                group=group,
                value=value,
            )
    for page in rds.get_paginator("describe_db_clusters").paginate():
        for cluster in page.get("DBClusters", []):
            engine, version = cluster.get("Engine", ""), cluster.get("EngineVersion", "")
            group = cluster.get("DBClusterParameterGroup")
            parameter = tls_parameter(engine)
            value = (
                _group_value(
                    rds,
                    "describe_db_cluster_parameters",
                    "DBClusterParameterGroupName",
                    group,
                    parameter,
                )
                if parameter
                else None
            )
            yield verdict(
                resource_type=CLUSTER_TYPE,
                resource_id=cluster["DbClusterResourceId"],
                label=f"DB cluster {cluster['DBClusterIdentifier']}",
                engine=engine,
                version=version,
                group=group,
                value=value,
            )


def _timestamp(event: dict[str, Any]) -> datetime:
    invoking = json.loads(event.get("invokingEvent") or "{}")
    raw = invoking.get("notificationCreationTime")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.now(UTC)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Evaluate the region's databases and report every verdict to Config."""
    rds = boto3.client("rds")
    config = boto3.client("config")
    timestamp = _timestamp(event)
    token = event["resultToken"]
    evaluations = list(evaluate(rds))
    failed = 0
    for start in range(0, len(evaluations), BATCH):
        batch = [e.to_api(timestamp) for e in evaluations[start : start + BATCH]]
        response = config.put_evaluations(
            Evaluations=batch, ResultToken=token, TestMode=token == "TESTMODE"
        )
        failed += len(response.get("FailedEvaluations", []))
    counts: dict[str, int] = {}
    for item in evaluations:
        counts[item.compliance] = counts.get(item.compliance, 0) + 1
    print(json.dumps({"evaluations": counts, "failed": failed}))
    return {
        "evaluations": [
            {"type": e.resource_type, "id": e.resource_id, "compliance": e.compliance}
            for e in evaluations
        ],
        "failed": failed,
    }
