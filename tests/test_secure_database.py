"""SecureDatabase (S-07, S-08, S-14): private, KMS-encrypted, TLS-only, backed up."""

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components.secure_database import (
    DEFAULT_VERSIONS,
    BackupPlan,
    DatabaseEngine,
    SecureDatabase,
    SecureDatabaseArgs,
    VaultLock,
    parameter_family,
    performance_insights_supported,
)
from tests.tagging import untagged

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
        "database",
        {
            "engine": "aurora-postgresql",
            "vpcId": VPC,
            "subnetIds": list(SUBNETS),
            "allowedSecurityGroupIds": [APP_SG],
            "backupRetentionDays": 14,
            "backupPlan": {"deleteAfterDays": 30, "vaultLock": {"minRetentionDays": 7}},
        },
    )
    assert args.engine == DatabaseEngine.AURORA_POSTGRESQL and args.backup_retention_days == 14
    assert list(args.allowed_security_group_ids) == [APP_SG]
    assert args.backup_plan.vault_lock == VaultLock(7, 365, None)
    assert args.backup_plan.delete_after_days == 30


BASE = {"vpcId": VPC, "subnetIds": list(SUBNETS)}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"engine": "oracle-ee"}, "database.engine: expected 'postgres', 'mysql', "),
        (
            {"subnetIds": ["subnet-1"]},
            "database.subnetIds[0]: 'subnet-1' is not a subnet id",
        ),
        ({"subnetIds": [SUBNETS[0]]}, "database.subnetIds: a DB subnet group needs at least 2"),
        ({"subnetIds": [SUBNETS[0], SUBNETS[0]]}, "database.subnetIds: a DB subnet group needs"),
        ({"subnetIds": "subnet-0123"}, "database.subnetIds: "),
        ({"vpcId": "vpc-x"}, "database.vpcId: 'vpc-x' is not a vpc id"),
        (
            {"allowedSecurityGroupIds": ["sg-1"]},
            "database.allowedSecurityGroupIds[0]: 'sg-1' is not",
        ),
        ({"instanceClass": "t3.micro"}, "database.instanceClass: 't3.micro' is not an instance"),
        ({"instanceClass": "db.t4g.huge"}, "database.instanceClass: 'db.t4g.huge' is not"),
        ({"backupRetentionDays": 6}, "database.backupRetentionDays: 6 is out of range 7-35"),
        ({"backupRetentionDays": 36}, "database.backupRetentionDays: 36 is out of range 7-35"),
        ({"allocatedStorageGb": 5}, "database.allocatedStorageGb: 5 is out of range"),
        ({"instanceCount": 0}, "database.instanceCount: 0 is out of range 1-15"),
        ({"engineVersion": "latest"}, "database.engineVersion: 'latest' is not a version"),
        ({"kmsKeyArn": "key"}, "database.kmsKeyArn: 'key' is not an ARN"),
        (
            {"masterSecretKmsKeyArn": "arn:aws:s3:::x"},
            "database.masterSecretKmsKeyArn: 'arn:aws:s3:::x' is not an ARN of service 'kms'",
        ),
        ({"masterUsername": "admin"}, "database.masterUsername: 'admin' must be"),
        ({"databaseName": "1db"}, "database.databaseName: '1db' is not a valid name"),
        ({"multiAz": "maybe"}, "database.multiAz: expected a valid boolean"),
        ({"region": "mars-1"}, "database.region: unknown AWS region"),
        ({"namePrefix": "Bad_Prefix"}, "database.namePrefix: 'Bad_Prefix' must be 2-24"),
        ({"tags": {"aws:x": "y"}}, "database.tags: tag key 'aws:x' must be"),
        ({"password": "x"}, "database.password: unknown option"),
        ({"backupPlan": {"schedule": "daily"}}, "database.backupPlan.schedule: 'daily' is not a"),
        (
            {"backupPlan": {"deleteAfterDays": 0}},
            "database.backupPlan.deleteAfterDays: 0 is out of range 1-36500",
        ),
        ({"backupPlan": {"daily": True}}, "database.backupPlan.daily: unknown option"),
        (
            {"backupPlan": {"vaultLock": {"minRetentionDays": 0}}},
            "database.backupPlan.vaultLock.minRetentionDays: 0 is out of range 1-36500",
        ),
        (
            {"backupPlan": {"vaultLock": {"minRetentionDays": 30, "maxRetentionDays": 10}}},
            "database.backupPlan.vaultLock.maxRetentionDays: must be >= minRetentionDays",
        ),
        (
            {"backupPlan": {"vaultLock": {"changeableForDays": 1}}},
            "database.backupPlan.vaultLock.changeableForDays: 1 is out of range 3-36500",
        ),
        (
            {"backupPlan": {"deleteAfterDays": 400, "vaultLock": {"maxRetentionDays": 365}}},
            "database.backupPlan.deleteAfterDays: must lie within the vault lock's 7-365 days",
        ),
        (
            {"backupPlan": {"copyRegion": "eu-west-1", "deleteAfterDays": 400}},
            "database.backupPlan.copyVaultLock: deleteAfterDays 400 must lie within its 7-365",
        ),
        ({"backupPlan": {"copyRegion": "moon-1"}}, "database.backupPlan.copyRegion: unknown AWS"),
        (
            {"backupPlan": {"copyToVaultArn": "arn:aws:s3:::x"}},
            "database.backupPlan.copyToVaultArn: 'arn:aws:s3:::x' is not an ARN of service",
        ),
        (
            {"region": "eu-west-1", "backupPlan": {"copyRegion": "eu-west-1"}},
            "database.backupPlan: copy_region eu-west-1 is the database's own region",
        ),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SecureDatabaseArgs.from_config("database", {**BASE, **section})
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"engine": "oracle-ee"}, "engine: expected 'postgres', 'mysql', "),
        ({"subnet_ids": ["subnet-1"]}, "subnet_ids[0]: 'subnet-1' is not a subnet id"),
        ({"subnet_ids": [SUBNETS[0]]}, "subnet_ids: a DB subnet group needs at least 2"),
        ({"subnet_ids": [SUBNETS[0], SUBNETS[0]]}, "subnet_ids: a DB subnet group needs"),
        ({"vpc_id": "vpc-x"}, "vpc_id: 'vpc-x' is not a vpc id"),
        ({"allowed_security_group_ids": ["sg-1"]}, "allowed_security_group_ids[0]: 'sg-1' is"),
        ({"instance_class": "t3.micro"}, "instance_class: 't3.micro' is not an instance"),
        ({"backup_retention_days": 6}, "backup_retention_days: 6 is out of range 7-35"),
        ({"allocated_storage_gb": 5}, "allocated_storage_gb: 5 is out of range 20-65536"),
        ({"instance_count": 16}, "instance_count: 16 is out of range 1-15"),
        ({"engine_version": "latest"}, "engine_version: 'latest' is not a version"),
        ({"kms_key_arn": "key"}, "kms_key_arn: 'key' is not an ARN"),
        ({"master_secret_kms_key_arn": "key"}, "master_secret_kms_key_arn: 'key' is not an ARN"),
        ({"master_username": "root"}, "master_username: 'root' must be"),
        ({"database_name": "1db"}, "database_name: '1db' is not a valid name"),
        ({"region": "mars-1"}, "region: unknown AWS region"),
        ({"name_prefix": "X"}, "name_prefix: 'X' must be 2-24"),
        ({"passwrd": "x"}, "passwrd: unknown option"),
        (
            {"backup_plan": {"delete_after_days": 400, "vault_lock": {}}},
            "backup_plan.delete_after_days: must lie within the vault lock's 7-365 days",
        ),
        (
            {"backup_plan": {"vault_lock": {"min_retention_days": 30, "max_retention_days": 10}}},
            "backup_plan.vault_lock.max_retention_days: must be >= min_retention_days",
        ),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SecureDatabaseArgs(**{"vpc_id": VPC, "subnet_ids": SUBNETS, **kwargs})
    assert str(err.value).startswith(message)


def test_bad_nested_args() -> None:
    with pytest.raises(ArgumentError, match=r"^max_retention_days: must be >= min_retention_days"):
        VaultLock(30, 10)
    with pytest.raises(ArgumentError, match=r"^changeable_for_days: 2 is out of range 3-36500"):
        VaultLock(changeable_for_days=2)
    with pytest.raises(ArgumentError, match=r"^schedule: 'daily' is not a schedule expression"):
        BackupPlan(schedule="daily")


def test_required_fields() -> None:
    with pytest.raises(ArgumentError, match=r"^vpc_id: required; subnet_ids: required$"):
        SecureDatabaseArgs()  # type: ignore[call-arg]
    with pytest.raises(ArgumentError, match=r"^database\.vpcId: required"):
        SecureDatabaseArgs.from_config("database", {})


def test_wired_outputs_reach_the_children(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        a = aws.ec2.Subnet("a", vpc_id=vpc.id, cidr_block="10.0.0.0/24")
        b = aws.ec2.Subnet("b", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
        app = aws.ec2.SecurityGroup("app", vpc_id=vpc.id)
        key = aws.kms.Key("mine")
        SecureDatabase(
            "db",
            SecureDatabaseArgs(
                vpc_id=vpc.id,
                subnet_ids=[a.id, b.id],
                allowed_security_group_ids=[app.id, APP_SG],
                kms_key_arn=key.arn,
                master_secret_kms_key_arn=key.arn,
            ),
        )

    plan = run_program(program)
    vpc = plan.one("aws:ec2/vpc:Vpc")
    subnets = {s.name: s.id for s in plan.of_type("aws:ec2/subnet:Subnet")}
    groups = {g.name: g for g in plan.of_type("aws:ec2/securityGroup:SecurityGroup")}
    key = plan.one("aws:kms/key:Key")  # the user's key only: none is created
    assert key.name == "mine"
    assert groups["db-sg"].inputs["vpcId"] == vpc.id
    subnet_group = plan.one("aws:rds/subnetGroup:SubnetGroup")
    assert subnet_group.inputs["subnetIds"] == [subnets["a"], subnets["b"]]
    rules = {
        r.name: r for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    }
    assert rules["db-ingress-input-0"].inputs["referencedSecurityGroupId"] == groups["app"].id
    assert rules["db-ingress-input-0"].inputs["description"] == f"postgres from {groups['app'].id}"
    assert rules[f"db-ingress-{APP_SG}"].inputs["referencedSecurityGroupId"] == APP_SG
    db = plan.one("aws:rds/instance:Instance")
    assert db.inputs["kmsKeyId"] == key.outputs["arn"]
    assert db.inputs["masterUserSecretKmsKeyId"] == key.outputs["arn"]
    assert plan.one("aws:backup/vault:Vault").inputs["kmsKeyArn"] == key.outputs["arn"]


@pytest.mark.parametrize(
    ("wiring", "message"),
    [
        ("vpc_id", "vpc_id: 'arn:aws:sns:"),
        ("subnet", "subnet_ids[1]: 'vpc-"),
        ("same_subnet", "subnet_ids: a DB subnet group needs at least 2 subnets"),
        ("group", "allowed_security_group_ids[0]: 'subnet-"),
        ("key", "kms_key_arn: 'arn:aws:sns:"),
    ],
)
def test_bad_outputs_fail_when_they_resolve(
    run_program: Callable[..., Plan], wiring: str, message: str
) -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        a = aws.ec2.Subnet("a", vpc_id=vpc.id, cidr_block="10.0.0.0/24")
        b = aws.ec2.Subnet("b", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
        topic = aws.sns.Topic("t")
        kwargs: dict[str, Any] = {"vpc_id": vpc.id, "subnet_ids": [a.id, b.id]}
        kwargs.update(
            {
                "vpc_id": {"vpc_id": topic.arn},
                "subnet": {"subnet_ids": [a.id, vpc.id]},
                "same_subnet": {"subnet_ids": [a.id, a.id]},
                "group": {"allowed_security_group_ids": [a.id]},
                "key": {"kms_key_arn": topic.arn},
            }[wiring]
        )
        SecureDatabase("db", SecureDatabaseArgs(**kwargs))

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert message in str(err.value)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    tags = {"team": "orders"}
    for engine in ("postgres", "aurora-mysql"):
        plan = build(
            run_program,
            engine=engine,
            tags=tags,
            allowed_security_group_ids=[APP_SG],
            backup_plan=BackupPlan(vault_lock=VaultLock()),
        )
        assert untagged(plan, tags) == [], engine


def test_name_prefix_sets_the_physical_names(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, name_prefix="shop")
    assert plan.one("aws:rds/instance:Instance").inputs["finalSnapshotIdentifier"] == (
        "shop-db-final"
    )
    assert plan.one("aws:backup/selection:Selection").inputs["name"] == "shop-db-database"
    plan = build(run_program)
    assert plan.one("aws:backup/selection:Selection").inputs["name"] == "db-database"


def test_the_component_provider_passes_a_mapping(run_program: Callable[..., Plan]) -> None:
    args: Any = {"vpc_id": VPC, "subnet_ids": list(SUBNETS), "engine": "mysql"}
    plan = run_program(lambda: SecureDatabase("db", args))
    assert plan.one("aws:rds/instance:Instance").inputs["engine"] == "mysql"


CENTRAL = "arn:aws:backup:ap-northeast-1:222222222222:backup-vault:secbaseline-central"


@pytest.mark.parametrize("engine", ["postgres", "aurora-mysql"])
def test_backups_are_copied_to_a_locked_vault_in_a_second_region_and_another_account(
    run_program: Callable[..., Plan], engine: str
) -> None:
    """S-06: a compromised account or a lost region does not take every copy with it."""
    plan = build(
        run_program,
        engine=engine,
        region="ap-northeast-1",
        backup_plan=BackupPlan(copy_region="ap-southeast-1", copy_to_vault_arn=CENTRAL),
    )
    vaults = {plan.region_of(v): v for v in plan.of_type("aws:backup/vault:Vault")}
    assert sorted(vaults) == ["ap-northeast-1", "ap-southeast-1"]
    copy_vault = vaults["ap-southeast-1"]
    copy_key = next(
        k for k in plan.of_type("aws:kms/key:Key") if plan.region_of(k) == "ap-southeast-1"
    )
    assert copy_vault.inputs["kmsKeyArn"] == copy_key.outputs["arn"]
    [lock] = plan.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert plan.region_of(lock) == "ap-southeast-1"
    assert lock.inputs["backupVaultName"] == copy_vault.outputs["name"]
    # Governance mode by default: no changeable_for_days (compliance mode is an opt-in).
    assert "changeableForDays" not in lock.inputs
    assert (lock.inputs["minRetentionDays"], lock.inputs["maxRetentionDays"]) == (7, 365)
    [rule] = plan.one("aws:backup/plan:Plan").inputs["rules"]
    assert rule["copyActions"] == [
        {"destinationVaultArn": copy_vault.outputs["arn"], "lifecycle": {"deleteAfter": 35}},
        {"destinationVaultArn": CENTRAL, "lifecycle": {"deleteAfter": 35}},
    ]
    # The database key is shared with the central account so the copy can be made.
    db_key = next(
        k for k in plan.of_type("aws:kms/key:Key") if plan.region_of(k) == "ap-northeast-1"
    )
    shared = [
        st
        for st in json.loads(db_key.inputs["policy"])["Statement"]
        if st.get("Sid") == "AllowBackupCopyAccountToUseTheKey"
    ]
    assert shared == [
        {
            "Sid": "AllowBackupCopyAccountToUseTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
            "Resource": "*",
        }
    ]
    selection = plan.one("aws:backup/selection:Selection")
    arn = (
        plan.one("aws:rds/cluster:Cluster")
        if engine.startswith("aurora")
        else plan.one("aws:rds/instance:Instance")
    ).outputs["arn"]
    assert selection.inputs["resources"] == [arn]


def test_compliance_mode_and_unlocked_copy_are_explicit(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        backup_plan=BackupPlan(
            copy_region="ap-southeast-1", copy_vault_lock=VaultLock(7, 365, changeable_for_days=3)
        ),
    )
    lock = plan.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert lock.inputs["changeableForDays"] == 3
    plan = build(
        run_program, backup_plan=BackupPlan(copy_region="ap-southeast-1", copy_vault_lock=None)
    )
    assert plan.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []
    assert len(plan.of_type("aws:backup/vault:Vault")) == 2
