"""An RDS or Aurora database that is private, encrypted, TLS-only and backed up by AWS Backup.

Checklist: S-06 (restorable: automated backups of 7+ days and an AWS Backup plan with an
optional vault lock), S-07 (TLS in transit, enforced by the parameter group), S-08 (IAM
database authentication; the master password lives in Secrets Manager). Also private,
KMS-encrypted and deletion-protected.
"""

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name
from secbaseline.components._kms import account_key

TYPE_TOKEN = "secbaseline:index:SecureDatabase"


class DatabaseEngine(StrEnum):
    """Database engine."""

    POSTGRES = "postgres"
    """RDS for PostgreSQL (one instance, optional Multi-AZ standby)."""
    MYSQL = "mysql"
    """RDS for MySQL (one instance, optional Multi-AZ standby)."""
    AURORA_POSTGRESQL = "aurora-postgresql"
    """Aurora PostgreSQL-Compatible (a cluster of 1-15 instances)."""
    AURORA_MYSQL = "aurora-mysql"
    """Aurora MySQL-Compatible (a cluster of 1-15 instances)."""


ENGINES = tuple(engine.value for engine in DatabaseEngine)
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
_VERSION = re.compile(r"\d+(\.\d+)*(\.mysql_aurora\.\d+\.\d+\.\d+)?")
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_RESERVED_USERNAMES = frozenset({"admin", "root", "postgres", "rdsadmin"})
_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


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


def _instance_class(field: str, value: str) -> str:
    if not _INSTANCE_CLASS.match(value):
        raise ValueError(
            f"{field}: {value!r} is not an instance class such as db.t4g.micro or db.r6g.large"
        )
    return value


def _engine_version(field: str, value: str) -> str:
    if not _VERSION.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a version")
    return value


def _master_username(field: str, value: str) -> str:
    if not _USERNAME.match(value) or value.lower() in _RESERVED_USERNAMES:
        raise ValueError(
            f"{field}: {value!r} must be 1-16 letters, digits or '_', start with a letter, and "
            "not be a reserved name (admin, root, postgres)"
        )
    return value


def _database_name(field: str, value: str) -> str:
    if not _DB_NAME.match(value):
        raise ValueError(f"{field}: {value!r} is not a valid name")
    return value


def _distinct_subnets(subnet_ids: Sequence[str]) -> list[str]:
    """Resolved subnet ids: a DB subnet group needs two different ones."""
    if len(set(subnet_ids)) < 2:
        raise ValueError(
            "subnet_ids: a DB subnet group needs at least 2 subnets in different AZs, got "
            f"{', '.join(subnet_ids)}"
        )
    return list(subnet_ids)


@component_args
class VaultLock(ComponentArgs):
    """AWS Backup Vault Lock: recovery points cannot be deleted before ``min_retention_days``."""

    min_retention_days: int = arg(default=7, ge=1, le=36500)
    """Shortest retention a backup in the vault may have, 1-36500."""
    max_retention_days: int = arg(default=365, ge=1, le=36500)
    """Longest retention a backup in the vault may have, 1-36500 (>= min)."""
    changeable_for_days: int | None = arg(default=None, ge=3, le=36500)
    """Grace days (>= 3) before the lock becomes immutable (compliance mode); None keeps
    governance mode, where privileged users can still remove the lock."""

    def __post_init__(self) -> None:
        if self.max_retention_days < self.min_retention_days:
            raise ValueError("max_retention_days: must be >= min_retention_days")


@component_args
class BackupPlan(ComponentArgs):
    """AWS Backup plan for the database (S-06)."""

    enabled: bool = True
    """Create the vault, plan, selection and role (opt-out: False)."""
    schedule: str = arg(default="cron(0 17 * * ? *)", check=validate.schedule_expression)
    """Backup schedule (AWS Backup cron expression, UTC)."""
    delete_after_days: int = arg(default=35, ge=1, le=36500)
    """Retention of each recovery point, 1-36500."""
    vault_lock: VaultLock | None = None
    """Lock the vault (min/max retention); None leaves it unlocked."""
    copy_region: str | None = arg(default=None, check=validate.region)
    """Copy every recovery point to a vault created in this second region (the tier sets the
    first other detection region); None: no cross-region copy."""
    copy_vault_lock: VaultLock | None = arg(default_factory=VaultLock)
    """Vault Lock of the cross-region copy vault: on by default in governance mode (privileged
    users can still remove it); compliance mode (``changeable_for_days``) is an explicit
    opt-in; None leaves the copy vault unlocked."""
    copy_to_vault_arn: pulumi.Input[str] | None = arg(default=None, check=validate.arn_of("backup"))
    """Also copy every recovery point to this vault in another account (the advanced tier's
    central vault in the security account, locked there), so a compromised account cannot
    delete every copy. The database key is shared with that account for the copy."""

    def __post_init__(self) -> None:
        lock = self.vault_lock
        if lock is not None and not (
            lock.min_retention_days <= self.delete_after_days <= lock.max_retention_days
        ):
            raise ValueError(
                "delete_after_days: must lie within the vault lock's "
                f"{lock.min_retention_days}-{lock.max_retention_days} days"
            )
        lock = self.copy_vault_lock
        if (
            self.copy_region is not None
            and lock is not None
            and not lock.min_retention_days <= self.delete_after_days <= lock.max_retention_days
        ):
            raise ValueError(
                "copy_vault_lock: delete_after_days "
                f"{self.delete_after_days} must lie within its "
                f"{lock.min_retention_days}-{lock.max_retention_days} days"
            )


@component_args
class SecureDatabaseArgs(ComponentArgs):
    """Inputs of :class:`SecureDatabase`. ``vpc_id`` and ``subnet_ids`` are required."""

    vpc_id: pulumi.Input[str] = arg(check=validate.vpc_id)
    """VPC of the database's security group."""
    subnet_ids: Sequence[pulumi.Input[str]] = arg(each=validate.subnet_id)
    """At least two private subnets (in different AZs) for the DB subnet group."""
    engine: DatabaseEngine = DatabaseEngine.POSTGRES
    """postgres, mysql, aurora-postgresql or aurora-mysql."""
    engine_version: str | None = arg(default=None, check=_engine_version)
    """Engine version; None uses a current default of the engine (see "Engine versions")."""
    instance_class: str | None = arg(default=None, check=_instance_class)
    """Instance class such as db.t4g.micro; None: db.t4g.micro (RDS) or db.t4g.medium (Aurora)."""
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = arg(
        default_factory=list, each=validate.security_group_id
    )
    """Security groups allowed to connect on the engine port (none by default: no ingress)."""
    allocated_storage_gb: int = arg(default=20, ge=20, le=65536)
    """RDS storage in GiB, 20-65536 (autoscaling up to 4x). Ignored for Aurora."""
    multi_az: bool = False
    """RDS Multi-AZ standby (doubles instance cost). Ignored for Aurora."""
    instance_count: int = arg(default=1, ge=1, le=15)
    """Aurora instances, 1-15 (2+ for a reader in another AZ). Ignored for RDS."""
    backup_retention_days: int = arg(default=7, ge=7, le=35)
    """Automated backup retention, 7-35 days."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Customer KMS key for storage, Performance Insights and the backup vault; None creates one."""
    master_username: str = arg(default="dbadmin", check=_master_username)
    """Master user name; the password is generated and kept in Secrets Manager by RDS."""
    master_secret_kms_key_arn: pulumi.Input[str] | None = arg(
        default=None, check=validate.kms_key_arn
    )
    """KMS key for the master user secret; None uses the Secrets Manager AWS-managed key."""
    database_name: str | None = arg(default=None, check=_database_name)
    """Initial database name (optional)."""
    deletion_protection: bool = True
    """Refuse deletion (opt-out: False; required off before `pulumi destroy`)."""
    backup_plan: BackupPlan = arg(default_factory=BackupPlan)
    """AWS Backup plan and vault."""
    name_prefix: str | None = arg(default=None, check=validate.name_prefix)
    """Prefix of the physical names this component sets (final snapshot, backup selection);
    None derives them from the component's name alone."""
    region: str | None = arg(default=None, check=validate.region)
    """Region of the database; None uses the provider's region."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the database and every taggable child (key, security group and its rules,
    subnet and parameter groups, instances, backup vault, plan and role)."""

    def __post_init__(self) -> None:
        if len(self.subnet_ids) < 2:
            raise ValueError(
                "subnet_ids: a DB subnet group needs at least 2 subnets in different AZs"
            )
        plain = [s for s in self.subnet_ids if isinstance(s, str)]
        if len(plain) == len(self.subnet_ids):
            _distinct_subnets(plain)
        copy_region = self.backup_plan.copy_region
        if copy_region is not None and copy_region == self.region:
            raise ValueError(
                f"backup_plan: copy_region {copy_region} is the database's own region; name a "
                "second region"
            )

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


class SecureDatabase(pulumi.ComponentResource):
    """A private, KMS-encrypted, TLS-only RDS or Aurora database with AWS Backup."""

    kms_key: aws.kms.Key | None
    """The key created for this database (None with a given ``kms_key_arn``)."""
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
    copy_vault: aws.backup.Vault | None
    """The cross-region copy vault (None without ``backup_plan.copy_region``)."""

    def __init__(
        self,
        name: str,
        args: SecureDatabaseArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = SecureDatabaseArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        tags = dict(args.tags) or None
        engine = args.engine.value
        self.port = PORTS[engine]
        self._physical = physical_name(args.name_prefix, name) if args.name_prefix else name
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id

        self.kms_key = None
        if args.kms_key_arn is None:
            key_statements = []
            copy_to = args.backup_plan.copy_to_vault_arn
            if args.backup_plan.enabled and copy_to is not None:
                # A cross-account copy of an RDS snapshot needs its customer managed key shared
                # with the destination account (AWS Backup re-encrypts with that vault's key).
                key_statements.append(
                    {
                        "Sid": "AllowBackupCopyAccountToUseTheKey",
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": pulumi.Output.from_input(copy_to).apply(
                                lambda arn: f"arn:aws:iam::{arn.split(':')[4]}:root"
                            )
                        },
                        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
                        "Resource": "*",
                    }
                )
            self.kms_key = account_key(
                f"{name}-key",
                description=f"Encrypts the {name} database, its Performance Insights and backups",
                account_id=account_id,
                statements=key_statements,
                region=region,
                tags=tags,
                opts=child,
            )
            self.kms_key_arn = self.kms_key.arn
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
        # Plain ids name their rule (stable when the list changes); ids that are Outputs of
        # this program cannot, so they are named by their position.
        plain_groups = sorted({g for g in args.allowed_security_group_ids if isinstance(g, str)})
        wired_groups = [g for g in args.allowed_security_group_ids if not isinstance(g, str)]
        rules: list[tuple[str, pulumi.Input[str]]] = [(g, g) for g in plain_groups]
        rules += [(f"input-{index}", g) for index, g in enumerate(wired_groups)]
        for label, group in rules:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-{label}",
                security_group_id=self.security_group.id,
                referenced_security_group_id=group,
                ip_protocol="tcp",
                from_port=self.port,
                to_port=self.port,
                description=pulumi.Output.concat(engine, " from ", group),
                region=region,
                tags=tags,
                opts=child,
            )
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = list(args.subnet_ids)
        if not all(isinstance(s, str) for s in args.subnet_ids):
            # Checked when the ids resolve: two distinct subnets at least.
            subnet_ids = pulumi.Output.all(*args.subnet_ids).apply(_distinct_subnets)
        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=subnet_ids,
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
            "final_snapshot_identifier": re.sub(r"[^A-Za-z0-9]+", "-", f"{self._physical}-final"),
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
                tags=tags,
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
                tags=tags,
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
        self.copy_vault = None
        if args.backup_plan.enabled:
            self._backup(name, args, region, tags)

        self.register_outputs(
            {
                "arn": self.arn,
                "endpoint": self.endpoint,
                "port": self.port,
                "securityGroupId": self.security_group.id,
                "masterUserSecretArn": self.master_user_secret_arn,
                "kmsKeyArn": self.kms_key_arn,
            }
        )

    def _copy_vault(
        self, name: str, plan_args: "BackupPlan", copy_region: str, tags: dict[str, str] | None
    ) -> aws.backup.Vault:
        """A vault in the second region, with its own key there (a copied RDS snapshot is
        re-encrypted with the destination vault's key) and Vault Lock unless opted out."""
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id
        key = account_key(
            f"{name}-copy-key",
            description=f"Encrypts the {name} database's backup copies in {copy_region}",
            account_id=account_id,
            region=copy_region,
            tags=tags,
            opts=child,
        )
        vault = aws.backup.Vault(
            f"{name}-copy-vault",
            kms_key_arn=key.arn,
            region=copy_region,
            tags=tags,
            opts=child,
        )
        lock = plan_args.copy_vault_lock
        if lock is not None:
            aws.backup.VaultLockConfiguration(
                f"{name}-copy-vault-lock",
                backup_vault_name=vault.name,
                min_retention_days=lock.min_retention_days,
                max_retention_days=lock.max_retention_days,
                changeable_for_days=lock.changeable_for_days,
                region=copy_region,
                opts=child,
            )
        return vault

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
        copies: list[aws.backup.PlanRuleCopyActionArgsDict] = []
        self.copy_vault = None
        if plan_args.copy_region is not None:
            self.copy_vault = self._copy_vault(name, plan_args, plan_args.copy_region, tags)
            copies.append(
                {
                    "destination_vault_arn": self.copy_vault.arn,
                    "lifecycle": {"delete_after": plan_args.delete_after_days},
                }
            )
        if plan_args.copy_to_vault_arn is not None:
            copies.append(
                {
                    "destination_vault_arn": plan_args.copy_to_vault_arn,
                    "lifecycle": {"delete_after": plan_args.delete_after_days},
                }
            )
        rule: aws.backup.PlanRuleArgsDict = {
            "rule_name": "daily",
            "target_vault_name": vault.name,
            "schedule": plan_args.schedule,
            "lifecycle": {"delete_after": plan_args.delete_after_days},
        }
        if copies:
            rule["copy_actions"] = copies
        plan = aws.backup.Plan(
            f"{name}-backup-plan",
            rules=[rule],
            region=region,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-backup-role",
            description=f"AWS Backup backs up and restores the {name} database",
            assume_role_policy=iam.service_assume_role_policy("backup.amazonaws.com"),
            tags=tags,
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
            name=f"{self._physical}-database",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[self.arn],
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
