"""SecureDatabase (S-07, S-08, S-14): private, KMS-encrypted, TLS-only, backed up."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components.secure_database import (
    DEFAULT_VERSIONS,
    BackupPlan,
    SecureDatabase,
    SecureDatabaseArgs,
    VaultLock,
    parameter_family,
    performance_insights_supported,
)

VPC = "vpc-0123456789abcdef0"
SUBNETS = ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
APP_SG = "sg-0123456789abcdef0"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    args = SecureDatabaseArgs(vpc_id=VPC, subnet_ids=SUBNETS, **kwargs)
    return run_program(lambda: SecureDatabase("db", args))


def test_postgres_defaults(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    key = plan.one("aws:kms/key:Key")
    key_arn = key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    db = plan.one("aws:rds/instance:Instance")
    sg = plan.one("aws:ec2/securityGroup:SecurityGroup")
    subnets = plan.one("aws:rds/subnetGroup:SubnetGroup")
    params = plan.one("aws:rds/parameterGroup:ParameterGroup")
    assert subnets.inputs["subnetIds"] == list(SUBNETS)
    assert sg.inputs["vpcId"] == VPC
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs
    assert plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []
    assert params.inputs["family"] == "postgres16"
    assert params.inputs["parameters"] == [
        {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"}
    ]
    expected = {
        "engine": "postgres",
        # A major-version prefix: AWS picks and upgrades the minor (auto minor upgrades on).
        "engineVersion": "16",
        "autoMinorVersionUpgrade": True,
        "instanceClass": "db.t4g.micro",
        "storageEncrypted": True,
        "kmsKeyId": key_arn,
        "publiclyAccessible": False,
        "deletionProtection": True,
        "backupRetentionPeriod": 7,
        "copyTagsToSnapshot": True,
        "iamDatabaseAuthenticationEnabled": True,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "manageMasterUserPassword": True,
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": key_arn,
        "dbSubnetGroupName": subnets.outputs["name"],
        "vpcSecurityGroupIds": [sg.id],
        "parameterGroupName": params.outputs["name"],
        "skipFinalSnapshot": False,
        "storageType": "gp3",
        "multiAz": False,
        "username": "dbadmin",
    }
    assert {k: db.inputs.get(k) for k in expected} == expected
    assert "password" not in db.inputs
    assert db.inputs["finalSnapshotIdentifier"] == "db-final"
    assert db.ignore_changes == ()  # the prefix already follows minor upgrades
    # AWS Backup: vault with the key, daily plan, selection of this database, managed policies.
    vault = plan.one("aws:backup/vault:Vault")
    assert vault.inputs["kmsKeyArn"] == key_arn
    backup_plan = plan.one("aws:backup/plan:Plan")
    rule = backup_plan.inputs["rules"][0]
    assert rule["targetVaultName"] == vault.outputs["name"]
    assert rule["lifecycle"] == {"deleteAfter": 35}
    selection = plan.one("aws:backup/selection:Selection")
    assert selection.inputs["resources"] == [db.outputs["arn"]]
    role = plan.one("aws:iam/role:Role")
    assert selection.inputs["iamRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    assert sorted(
        a.inputs["policyArn"]
        for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    ) == [
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    ]
    assert plan.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []


def test_mysql_with_ingress_and_given_keys(run_program: Callable[..., Plan]) -> None:
    key = "arn:aws:kms:us-east-1:111111111111:key/abc"
    secret_key = "arn:aws:kms:us-east-1:111111111111:key/def"
    plan = build(
        run_program,
        engine="mysql",
        allowed_security_group_ids=[APP_SG],
        kms_key_arn=key,
        master_secret_kms_key_arn=secret_key,
        backup_retention_days=35,
    )
    assert plan.of_type("aws:kms/key:Key") == []
    db = plan.one("aws:rds/instance:Instance")
    assert db.inputs["kmsKeyId"] == key
    assert db.inputs["masterUserSecretKmsKeyId"] == secret_key
    assert db.inputs["backupRetentionPeriod"] == 35
    assert db.inputs["engineVersion"] == "8.0"
    params = plan.one("aws:rds/parameterGroup:ParameterGroup")
    assert params.inputs["family"] == "mysql8.0"
    assert params.inputs["parameters"][0]["name"] == "require_secure_transport"
    assert params.inputs["parameters"][0]["value"] == "1"  # RDS MySQL: 1/0; Aurora: ON/OFF
    # AWS offers no Performance Insights for MySQL on db.t4g.micro (the default class).
    assert db.inputs["performanceInsightsEnabled"] is False
    assert "performanceInsightsKmsKeyId" not in db.inputs
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    sg = plan.one("aws:ec2/securityGroup:SecurityGroup")
    assert rule.inputs == {
        "securityGroupId": sg.id,
        "referencedSecurityGroupId": APP_SG,
        "ipProtocol": "tcp",
        "fromPort": 3306,
        "toPort": 3306,
        "description": f"mysql from {APP_SG}",
    }


@pytest.mark.parametrize("engine", ["aurora-postgresql", "aurora-mysql"])
def test_aurora_cluster(run_program: Callable[..., Plan], engine: str) -> None:
    plan = build(
        run_program,
        engine=engine,
        instance_count=2,
        backup_plan=BackupPlan(vault_lock=VaultLock(7, 365, 3)),
    )
    assert plan.of_type("aws:rds/instance:Instance") == []
    cluster = plan.one("aws:rds/cluster:Cluster")
    params = plan.one("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    tls = (
        {"name": "rds.force_ssl", "value": "1"}
        if engine == "aurora-postgresql"
        else {"name": "require_secure_transport", "value": "ON"}
    )
    assert params.inputs["parameters"] == [{**tls, "applyMethod": "immediate"}]
    key_arn = plan.one("aws:kms/key:Key").outputs["arn"]
    for k, v in {
        "storageEncrypted": True,
        "kmsKeyId": key_arn,
        "deletionProtection": True,
        "iamDatabaseAuthenticationEnabled": True,
        "manageMasterUserPassword": True,
        "copyTagsToSnapshot": True,
        "dbClusterParameterGroupName": params.outputs["name"],
    }.items():
        assert cluster.inputs[k] == v, k
    instances = plan.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 2
    for instance in instances:
        assert instance.inputs["publiclyAccessible"] is False
        assert instance.inputs["performanceInsightsKmsKeyId"] == key_arn
        assert instance.inputs["clusterIdentifier"] == cluster.id
        assert instance.inputs["instanceClass"] == "db.t4g.medium"
        assert instance.inputs["autoMinorVersionUpgrade"] is True
    # AWS upgrades the minor version: the next update must not try to set the old one back.
    assert cluster.inputs["engineVersion"] == DEFAULT_VERSIONS[engine]
    for resource in (cluster, *instances):
        assert resource.ignore_changes == ("engineVersion",), resource.name
    family = "aurora-postgresql16" if engine == "aurora-postgresql" else "aurora-mysql8.0"
    assert params.inputs["family"] == family
    selection = plan.one("aws:backup/selection:Selection")
    assert selection.inputs["resources"] == [cluster.outputs["arn"]]
    lock = plan.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert (lock.inputs["minRetentionDays"], lock.inputs["maxRetentionDays"]) == (7, 365)
    assert lock.inputs["changeableForDays"] == 3


def test_backup_plan_off(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, backup_plan=BackupPlan(enabled=False))
    assert plan.of_type("aws:backup/vault:Vault") == []
    assert plan.of_type("aws:backup/selection:Selection") == []


def test_performance_insights_support() -> None:
    assert performance_insights_supported("postgres", "db.t4g.micro")
    assert not performance_insights_supported("mysql", "db.t3.small")
    assert performance_insights_supported("mysql", "db.t4g.medium")
    assert not performance_insights_supported("aurora-mysql", "db.t3.medium")
    assert performance_insights_supported("aurora-mysql", "db.r6g.large")


def test_parameter_family() -> None:
    assert parameter_family("aurora-mysql", "8.0.mysql_aurora.3.08.0") == "aurora-mysql8.0"
    assert parameter_family("aurora-postgresql", "15.6") == "aurora-postgresql15"
    assert parameter_family("postgres", "16") == "postgres16"
    assert parameter_family("mysql", "8.0") == "mysql8.0"
    assert parameter_family("mysql", "8.4.3") == "mysql8.4"


def test_from_config() -> None:
    args = SecureDatabaseArgs.from_config(
        {
            "enabled": True,
            "engine": "aurora-postgresql",
            "vpcId": VPC,
            "subnetIds": list(SUBNETS),
            "allowedSecurityGroupIds": [APP_SG],
            "backupRetentionDays": 14,
            "backupPlan": {"deleteAfterDays": 30, "vaultLock": {"minRetentionDays": 7}},
        }
    )
    assert args.engine == "aurora-postgresql" and args.backup_retention_days == 14
    assert args.allowed_security_group_ids == (APP_SG,)
    assert args.backup_plan.vault_lock == VaultLock(7, 365, None)
    assert args.backup_plan.delete_after_days == 30


BASE = {"vpcId": VPC, "subnetIds": list(SUBNETS)}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"engine": "oracle-ee"}, "database.engine: 'oracle-ee' is not one of"),
        ({"subnetIds": ["subnet-1"]}, "database.subnetIds: 'subnet-1' is not a subnet id"),
        ({"subnetIds": [SUBNETS[0]]}, "database.subnetIds: a DB subnet group needs at least 2"),
        ({"subnetIds": [SUBNETS[0], SUBNETS[0]]}, "database.subnetIds: a DB subnet group needs"),
        ({"subnetIds": "subnet-0123"}, "database.subnetIds: expected a list of ids"),
        ({"vpcId": "vpc-x"}, "database.vpcId: 'vpc-x' is not a vpc id"),
        ({"allowedSecurityGroupIds": ["sg-1"]}, "database.allowedSecurityGroupIds: 'sg-1' is not"),
        ({"instanceClass": "t3.micro"}, "database.instanceClass: 't3.micro' is not an instance"),
        ({"instanceClass": "db.t4g.huge"}, "database.instanceClass: 'db.t4g.huge' is not"),
        ({"backupRetentionDays": 6}, "database.backupRetentionDays: 6 is out of range 7-35"),
        ({"backupRetentionDays": 36}, "database.backupRetentionDays: 36 is out of range 7-35"),
        ({"allocatedStorageGb": 5}, "database.allocatedStorageGb: 5 is out of range"),
        ({"instanceCount": 0}, "database.instanceCount: 0 is out of range 1-15"),
        ({"engineVersion": "latest"}, "database.engineVersion: 'latest' is not a version"),
        ({"kmsKeyArn": "key"}, "database.kmsKeyArn: 'key' is not an ARN"),
        ({"masterUsername": "admin"}, "database.masterUsername: 'admin' must be"),
        ({"databaseName": "1db"}, "database.databaseName: '1db' is not a valid name"),
        ({"multiAz": "yes"}, "database.multiAz: expected true or false"),
        ({"region": "mars-1"}, "database.region: unknown AWS region"),
        ({"password": "x"}, "database.password: unknown option"),
        ({"backupPlan": {"schedule": "daily"}}, "backupPlan.schedule: 'daily' is not cron"),
        ({"backupPlan": {"deleteAfterDays": 0}}, "backupPlan.deleteAfterDays: 0 is out of range"),
        (
            {"backupPlan": {"vaultLock": {"minRetentionDays": 0}}},
            "vaultLock.minRetentionDays: 0 is out of range",
        ),
        (
            {"backupPlan": {"vaultLock": {"minRetentionDays": 30, "maxRetentionDays": 10}}},
            "vaultLock.maxRetentionDays: must be >= minRetentionDays",
        ),
        (
            {"backupPlan": {"vaultLock": {"changeableForDays": 1}}},
            "vaultLock.changeableForDays: 1 is out of range 3-36500",
        ),
        (
            {"backupPlan": {"deleteAfterDays": 400, "vaultLock": {"maxRetentionDays": 365}}},
            "backupPlan.deleteAfterDays: must lie within the vault lock's 7-365 days",
        ),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        SecureDatabaseArgs.from_config({**BASE, **section})
    assert str(err.value).startswith(message)


def test_required_fields() -> None:
    with pytest.raises(ValueError, match=r"^database\.vpcId: '' is not a vpc id"):
        SecureDatabaseArgs().validate()
