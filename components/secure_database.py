"""An RDS or Aurora database that is private, encrypted, TLS-only and backed up by AWS Backup.

Checklist: S-06 (restorable: automated backups of 7+ days and an AWS Backup plan with an
optional vault lock), S-07 (TLS in transit, enforced by the parameter group), S-08 (IAM
database authentication; the master password lives in Secrets Manager). Also private,
KMS-encrypted and deletion-protected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate

TYPE_TOKEN = "secbaseline:index:SecureDatabase"
ENGINES = ("postgres", "mysql", "aurora-postgresql", "aurora-mysql")
# RDS takes a version prefix when minor upgrades are automatic, so the defaults name only the
# major version and AWS picks (and later upgrades) the minor. Aurora needs a full version to
# create the cluster; its engine_version is then ignored (see SecureDatabase), because AWS
# upgrades the minor and a pinned value would make the next update try to downgrade.
DEFAULT_VERSIONS = {
    "postgres": "16",
    "mysql": "8.0",
    "aurora-postgresql": "16.4",
    "aurora-mysql": "8.0.mysql_aurora.3.08.0",
}
PORTS = {"postgres": 5432, "aurora-postgresql": 5432, "mysql": 3306, "aurora-mysql": 3306}
LOG_EXPORTS = {
    "postgres": ["postgresql", "upgrade"],
    "aurora-postgresql": ["postgresql"],
    "mysql": ["error", "general", "slowquery"],
    "aurora-mysql": ["error", "general", "slowquery"],
}
BACKUP_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+\.(micro|small|medium|large|[0-9]*xlarge|serverless)$")
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
DATABASE_KEYS = frozenset(
    {
        "enabled",
        "engine",
        "engineVersion",
        "instanceClass",
        "vpcId",
        "subnetIds",
        "allowedSecurityGroupIds",
        "allocatedStorageGb",
        "multiAz",
        "instanceCount",
        "backupRetentionDays",
        "kmsKeyArn",
        "masterUsername",
        "masterSecretKmsKeyArn",
        "databaseName",
        "deletionProtection",
        "backupPlan",
        "region",
        "tags",
    }
)
BACKUP_KEYS = frozenset({"enabled", "schedule", "deleteAfterDays", "vaultLock"})
VAULT_LOCK_KEYS = frozenset({"minRetentionDays", "maxRetentionDays", "changeableForDays"})


def parameter_family(engine: str, version: str) -> str:
    """The parameter group family of an engine version (``postgres16``, ``aurora-mysql8.0``)."""
    if engine in ("postgres", "aurora-postgresql"):
        return f"{engine}{version.split('.', maxsplit=1)[0]}"
    major_minor = ".".join(version.split(".")[:2])
    return f"{engine}{major_minor}"


def tls_parameter(engine: str) -> tuple[str, str]:
    """The parameter (name, value) that refuses unencrypted connections on this engine."""
    if engine in ("postgres", "aurora-postgresql"):
        return "rds.force_ssl", "1"
    # RDS for MySQL stores this boolean as 1/0 in DB parameter groups; Aurora MySQL cluster
    # parameter groups take ON/OFF.
    return "require_secure_transport", "ON" if engine == "aurora-mysql" else "1"


def performance_insights_supported(engine: str, instance_class: str) -> bool:
    """False where AWS does not offer Performance Insights / Database Insights: the MySQL
    engines on db.t2/db.t3 micro and small, db.t4g micro and small (Aurora MySQL: all t2/t3)."""
    if engine not in ("mysql", "aurora-mysql"):
        return True
    family, size = instance_class.split(".")[1:3]
    if engine == "aurora-mysql" and family in ("t2", "t3"):
        return False
    return not (family in ("t2", "t3", "t4g") and size in ("micro", "small"))


@dataclass
class VaultLock:
    """AWS Backup Vault Lock: recovery points cannot be deleted before ``min_retention_days``."""

    min_retention_days: int = 7
    """Shortest retention a backup in the vault may have, 1-36500."""
    max_retention_days: int = 365
    """Longest retention a backup in the vault may have, 1-36500 (>= min)."""
    changeable_for_days: int | None = None
    """Grace days (>= 3) before the lock becomes immutable (compliance mode); None keeps
    governance mode, where privileged users can still remove the lock."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.int_range("vaultLock.minRetentionDays", self.min_retention_days, 1, 36500)
        validate.int_range("vaultLock.maxRetentionDays", self.max_retention_days, 1, 36500)
        if self.max_retention_days < self.min_retention_days:
            raise ValueError("vaultLock.maxRetentionDays: must be >= minRetentionDays")
        if self.changeable_for_days is not None:
            validate.int_range("vaultLock.changeableForDays", self.changeable_for_days, 3, 36500)


@dataclass
class BackupPlan:
    """AWS Backup plan for the database (S-14)."""

    enabled: bool = True
    """Create the vault, plan, selection and role (opt-out: False)."""
    schedule: str = "cron(0 17 * * ? *)"
    """Backup schedule (AWS Backup cron expression, UTC)."""
    delete_after_days: int = 35
    """Retention of each recovery point, 1-36500."""
    vault_lock: VaultLock | None = None
    """Lock the vault (min/max retention); None leaves it unlocked."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.boolean("backupPlan.enabled", self.enabled)
        if not re.fullmatch(r"(cron|rate)\(.+\)", self.schedule):
            raise ValueError(
                f"backupPlan.schedule: {self.schedule!r} is not cron(...) or rate(...)"
            )
        validate.int_range("backupPlan.deleteAfterDays", self.delete_after_days, 1, 36500)
        if self.vault_lock is not None:
            self.vault_lock.validate()
            lock = self.vault_lock
            if not lock.min_retention_days <= self.delete_after_days <= lock.max_retention_days:
                raise ValueError(
                    "backupPlan.deleteAfterDays: must lie within the vault lock's "
                    f"{lock.min_retention_days}-{lock.max_retention_days} days"
                )


@dataclass
class SecureDatabaseArgs:
    """Inputs of :class:`SecureDatabase`. ``vpc_id`` and ``subnet_ids`` are required."""

    vpc_id: str = ""
    """VPC of the database's security group."""
    subnet_ids: Sequence[str] = ()
    """At least two private subnets (in different AZs) for the DB subnet group."""
    engine: str = "postgres"
    """postgres, mysql, aurora-postgresql or aurora-mysql."""
    engine_version: str | None = None
    """Engine version; None uses a current default of the engine."""
    instance_class: str | None = None
    """Instance class such as db.t4g.micro; None: db.t4g.micro (RDS) or db.t4g.medium (Aurora)."""
    allowed_security_group_ids: Sequence[str] = ()
    """Security groups allowed to connect on the engine port (none by default: no ingress)."""
    allocated_storage_gb: int = 20
    """RDS storage in GiB, 20-65536 (autoscaling up to 4x). Ignored for Aurora."""
    multi_az: bool = False
    """RDS Multi-AZ standby (doubles instance cost). Ignored for Aurora."""
    instance_count: int = 1
    """Aurora instances, 1-15 (2+ for a reader in another AZ). Ignored for RDS."""
    backup_retention_days: int = 7
    """Automated backup retention, 7-35 days."""
    kms_key_arn: str | None = None
    """Customer KMS key for storage, Performance Insights and the backup vault; None creates one."""
    master_username: str = "dbadmin"
    """Master user name; the password is generated and kept in Secrets Manager by RDS."""
    master_secret_kms_key_arn: str | None = None
    """KMS key for the master user secret; None uses the Secrets Manager AWS-managed key."""
    database_name: str | None = None
    """Initial database name (optional)."""
    deletion_protection: bool = True
    """Refuse deletion (opt-out: False; required off before `pulumi destroy`)."""
    backup_plan: BackupPlan = field(default_factory=BackupPlan)
    """AWS Backup plan and vault."""
    region: str | None = None
    """Region of the database; None uses the provider's region."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the database resources."""

    @property
    def is_aurora(self) -> bool:
        """True for the Aurora engines."""
        return self.engine.startswith("aurora-")

    @property
    def resolved_instance_class(self) -> str:
        """The instance class, with the engine's default applied."""
        if self.instance_class:
            return self.instance_class
        return "db.t4g.medium" if self.is_aurora else "db.t4g.micro"

    @property
    def resolved_version(self) -> str:
        """The engine version, with the engine's default applied."""
        return self.engine_version or DEFAULT_VERSIONS[self.engine]

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.one_of("database.engine", self.engine, ENGINES)
        validate.resource_id("database.vpcId", self.vpc_id, "vpc")
        if isinstance(self.subnet_ids, str):
            raise ValueError("database.subnetIds: expected a list of subnet ids")
        for subnet in self.subnet_ids:
            validate.resource_id("database.subnetIds", subnet, "subnet")
        if len(set(self.subnet_ids)) < 2:
            raise ValueError(
                "database.subnetIds: a DB subnet group needs at least 2 subnets in different AZs"
            )
        for group in self.allowed_security_group_ids:
            validate.resource_id("database.allowedSecurityGroupIds", group, "sg")
        if not _INSTANCE_CLASS.match(self.resolved_instance_class):
            raise ValueError(
                f"database.instanceClass: {self.resolved_instance_class!r} is not an instance "
                "class such as db.t4g.micro or db.r6g.large"
            )
        if self.engine_version is not None and not re.fullmatch(
            r"\d+(\.\d+)*(\.mysql_aurora\.\d+\.\d+\.\d+)?", self.engine_version
        ):
            raise ValueError(f"database.engineVersion: {self.engine_version!r} is not a version")
        validate.int_range("database.allocatedStorageGb", self.allocated_storage_gb, 20, 65536)
        validate.boolean("database.multiAz", self.multi_az)
        validate.int_range("database.instanceCount", self.instance_count, 1, 15)
        validate.int_range("database.backupRetentionDays", self.backup_retention_days, 7, 35)
        for key_field, key in (
            ("database.kmsKeyArn", self.kms_key_arn),
            ("database.masterSecretKmsKeyArn", self.master_secret_kms_key_arn),
        ):
            if key is not None:
                validate.arn(key_field, key, service="kms")
        if not _USERNAME.match(self.master_username) or self.master_username.lower() in {
            "admin",
            "root",
            "postgres",
            "rdsadmin",
        }:
            raise ValueError(
                f"database.masterUsername: {self.master_username!r} must be 1-16 letters, digits "
                "or '_', start with a letter, and not be a reserved name (admin, root, postgres)"
            )
        if self.database_name is not None and not _DB_NAME.match(self.database_name):
            raise ValueError(f"database.databaseName: {self.database_name!r} is not a valid name")
        validate.boolean("database.deletionProtection", self.deletion_protection)
        self.backup_plan.validate()
        if self.region is not None:
            validate.region("database.region", self.region)
        validate.tags("database.tags", dict(self.tags))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> SecureDatabaseArgs:
        """Build from the ``database`` config section (``enabled`` is read by the tier)."""
        raw = validate.known_keys("database", section, DATABASE_KEYS)
        backup_raw = validate.known_keys(
            "database.backupPlan", raw.get("backupPlan", {}), BACKUP_KEYS
        )
        lock = None
        if backup_raw.get("vaultLock") is not None:
            lock_raw = validate.known_keys(
                "database.backupPlan.vaultLock", backup_raw["vaultLock"], VAULT_LOCK_KEYS
            )
            lock = VaultLock(
                min_retention_days=_int(lock_raw, "minRetentionDays", 7, "vaultLock"),
                max_retention_days=_int(lock_raw, "maxRetentionDays", 365, "vaultLock"),
                changeable_for_days=_optional_int(lock_raw, "changeableForDays", "vaultLock"),
            )
        backup = BackupPlan(
            enabled=validate.boolean("backupPlan.enabled", backup_raw.get("enabled", True)),
            schedule=_str(backup_raw, "schedule", "backupPlan") or BackupPlan.schedule,
            delete_after_days=_int(backup_raw, "deleteAfterDays", 35, "backupPlan"),
            vault_lock=lock,
        )
        args = cls(
            vpc_id=_str(raw, "vpcId", "database") or "",
            subnet_ids=_str_list(raw, "subnetIds"),
            engine=_str(raw, "engine", "database") or "postgres",
            engine_version=_str(raw, "engineVersion", "database"),
            instance_class=_str(raw, "instanceClass", "database"),
            allowed_security_group_ids=_str_list(raw, "allowedSecurityGroupIds"),
            allocated_storage_gb=_int(raw, "allocatedStorageGb", 20, "database"),
            multi_az=validate.boolean("database.multiAz", raw.get("multiAz", False)),
            instance_count=_int(raw, "instanceCount", 1, "database"),
            backup_retention_days=_int(raw, "backupRetentionDays", 7, "database"),
            kms_key_arn=_str(raw, "kmsKeyArn", "database"),
            master_username=_str(raw, "masterUsername", "database") or "dbadmin",
            master_secret_kms_key_arn=_str(raw, "masterSecretKmsKeyArn", "database"),
            database_name=_str(raw, "databaseName", "database"),
            deletion_protection=validate.boolean(
                "database.deletionProtection", raw.get("deletionProtection", True)
            ),
            backup_plan=backup,
            region=_str(raw, "region", "database"),
            tags=validate.tags("database.tags", raw.get("tags", {})),
        )
        args.validate()
        return args


def _str(raw: Mapping[str, object], key: str, section: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{section}.{key}: expected a string, got {value!r}")
    return value


def _int(raw: Mapping[str, object], key: str, default: int, section: str) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{section}.{key}: {value!r} is not an integer")
    return value


def _optional_int(raw: Mapping[str, object], key: str, section: str) -> int | None:
    return None if raw.get(key) is None else _int(raw, key, 0, section)


def _str_list(raw: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = raw.get(key, ())
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"database.{key}: expected a list of ids, got {value!r}")
    if not all(isinstance(v, str) for v in value):
        raise ValueError(f"database.{key}: every id must be a string")
    return tuple(str(v) for v in value)


class SecureDatabase(pulumi.ComponentResource):
    """A private, KMS-encrypted, TLS-only RDS or Aurora database with AWS Backup."""

    kms_key_arn: pulumi.Output[str]
    """The key encrypting storage, Performance Insights and the backup vault."""
    security_group: aws.ec2.SecurityGroup
    """The database's security group (ingress only from the allowed groups)."""
    subnet_group: aws.rds.SubnetGroup
    """The DB subnet group."""
    instance: aws.rds.Instance | None
    """The RDS instance (None for Aurora)."""
    cluster: aws.rds.Cluster | None
    """The Aurora cluster (None for RDS)."""
    cluster_instances: list[aws.rds.ClusterInstance]
    """The Aurora instances."""
    arn: pulumi.Output[str]
    """ARN of the instance or cluster (what AWS Backup protects)."""
    endpoint: pulumi.Output[str]
    """Connection endpoint."""
    port: int
    """The engine port."""
    master_user_secret_arn: pulumi.Output[str]
    """Secrets Manager secret holding the master password (managed by RDS)."""
    backup_vault: aws.backup.Vault | None
    """The AWS Backup vault (None when the backup plan is off)."""

    def __init__(
        self,
        name: str,
        args: SecureDatabaseArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        tags = dict(args.tags) or None
        engine = args.engine
        self.port = PORTS[engine]
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id

        if args.kms_key_arn is None:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Encrypts the {name} database, its Performance Insights and backups",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=iam.dumps([iam.key_admin_statement(account_id)]),
                region=region,
                tags=tags,
                opts=child,
            )
            self.kms_key_arn = key.arn
        else:
            self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)

        # No ingress and no egress rules: a database never initiates connections.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description=f"{name} database: ingress only from allowed security groups",
            vpc_id=args.vpc_id,
            region=region,
            tags=tags,
            opts=child,
        )
        for group in sorted(set(args.allowed_security_group_ids)):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-{group}",
                security_group_id=self.security_group.id,
                referenced_security_group_id=group,
                ip_protocol="tcp",
                from_port=self.port,
                to_port=self.port,
                description=f"{engine} from {group}",
                region=region,
                opts=child,
            )
        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.subnet_ids),
            description=f"Private subnets of the {name} database",
            region=region,
            tags=tags,
            opts=child,
        )

        insights = performance_insights_supported(engine, args.resolved_instance_class)
        family = parameter_family(engine, args.resolved_version)
        tls_name, tls_value = tls_parameter(engine)
        common: dict[str, Any] = {
            "engine": engine,
            "engine_version": args.resolved_version,
            "storage_encrypted": True,
            "kms_key_id": self.kms_key_arn,
            "db_subnet_group_name": self.subnet_group.name,
            "vpc_security_group_ids": [self.security_group.id],
            "deletion_protection": args.deletion_protection,
            "backup_retention_period": args.backup_retention_days,
            "copy_tags_to_snapshot": True,
            "iam_database_authentication_enabled": True,
            "enabled_cloudwatch_logs_exports": LOG_EXPORTS[engine],
            "manage_master_user_password": True,
            "master_user_secret_kms_key_id": args.master_secret_kms_key_arn,
            "skip_final_snapshot": False,
            # Snapshot identifiers allow letters, digits and single hyphens only.
            "final_snapshot_identifier": re.sub(r"[^A-Za-z0-9]+", "-", f"{name}-final"),
            "region": region,
            "tags": tags,
        }
        self.instance = None
        self.cluster = None
        self.cluster_instances = []
        if args.is_aurora:
            # Minor versions are upgraded by AWS (auto_minor_version_upgrade below): keep the
            # upgraded version instead of trying to set the configured one back.
            follows_minor_upgrades = pulumi.ResourceOptions(
                parent=self, ignore_changes=["engine_version"]
            )
            params = aws.rds.ClusterParameterGroup(
                f"{name}-cluster-params",
                family=family,
                description=f"{name}: TLS required",
                parameters=[{"name": tls_name, "value": tls_value, "apply_method": "immediate"}],
                region=region,
                opts=child,
            )
            self.cluster = aws.rds.Cluster(
                f"{name}-cluster",
                **common,
                master_username=args.master_username,
                database_name=args.database_name,
                db_cluster_parameter_group_name=params.name,
                opts=follows_minor_upgrades,
            )
            for index in range(args.instance_count):
                self.cluster_instances.append(
                    aws.rds.ClusterInstance(
                        f"{name}-instance-{index}",
                        cluster_identifier=self.cluster.id,
                        engine=aws.rds.EngineType(engine),
                        engine_version=args.resolved_version,
                        instance_class=args.resolved_instance_class,
                        db_subnet_group_name=self.subnet_group.name,
                        publicly_accessible=False,
                        performance_insights_enabled=insights,
                        performance_insights_kms_key_id=self.kms_key_arn if insights else None,
                        auto_minor_version_upgrade=True,
                        copy_tags_to_snapshot=True,
                        region=region,
                        tags=tags,
                        opts=follows_minor_upgrades,
                    )
                )
            self.arn = self.cluster.arn
            self.endpoint = self.cluster.endpoint
            self.master_user_secret_arn = self.cluster.master_user_secrets.apply(
                lambda s: s[0].secret_arn or "" if s else ""
            )
        else:
            params_instance = aws.rds.ParameterGroup(
                f"{name}-params",
                family=family,
                description=f"{name}: TLS required",
                parameters=[{"name": tls_name, "value": tls_value, "apply_method": "immediate"}],
                region=region,
                opts=child,
            )
            self.instance = aws.rds.Instance(
                f"{name}-instance",
                **common,
                instance_class=args.resolved_instance_class,
                allocated_storage=args.allocated_storage_gb,
                max_allocated_storage=args.allocated_storage_gb * 4,
                storage_type="gp3",
                multi_az=args.multi_az,
                publicly_accessible=False,
                username=args.master_username,
                db_name=args.database_name,
                parameter_group_name=params_instance.name,
                performance_insights_enabled=insights,
                performance_insights_kms_key_id=self.kms_key_arn if insights else None,
                auto_minor_version_upgrade=True,
                opts=child,
            )
            self.arn = self.instance.arn
            self.endpoint = self.instance.endpoint
            self.master_user_secret_arn = self.instance.master_user_secrets.apply(
                lambda s: s[0].secret_arn or "" if s else ""
            )

        self.backup_vault = None
        if args.backup_plan.enabled:
            self._backup(name, args, region, tags)

        self.register_outputs(
            {
                "arn": self.arn,
                "endpoint": self.endpoint,
                "port": self.port,
                "securityGroupId": self.security_group.id,
                "masterUserSecretArn": self.master_user_secret_arn,
            }
        )

    def _backup(
        self, name: str, args: SecureDatabaseArgs, region: str | None, tags: dict[str, str] | None
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        plan_args = args.backup_plan
        vault = aws.backup.Vault(
            f"{name}-backup-vault",
            kms_key_arn=self.kms_key_arn,
            region=region,
            tags=tags,
            opts=child,
        )
        self.backup_vault = vault
        if plan_args.vault_lock is not None:
            aws.backup.VaultLockConfiguration(
                f"{name}-backup-vault-lock",
                backup_vault_name=vault.name,
                min_retention_days=plan_args.vault_lock.min_retention_days,
                max_retention_days=plan_args.vault_lock.max_retention_days,
                changeable_for_days=plan_args.vault_lock.changeable_for_days,
                region=region,
                opts=child,
            )
        plan = aws.backup.Plan(
            f"{name}-backup-plan",
            rules=[
                {
                    "rule_name": "daily",
                    "target_vault_name": vault.name,
                    "schedule": plan_args.schedule,
                    "lifecycle": {"delete_after": plan_args.delete_after_days},
                }
            ],
            region=region,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-backup-role",
            description=f"AWS Backup backs up and restores the {name} database",
            assume_role_policy=iam.service_assume_role_policy("backup.amazonaws.com"),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-role-{policy.rsplit('For', 1)[1].lower()}",
                role=role.name,
                policy_arn=policy,
                opts=child,
            )
            for policy in BACKUP_POLICIES
        ]
        aws.backup.Selection(
            f"{name}-backup-selection",
            name=f"{name}-database",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[self.arn],
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
