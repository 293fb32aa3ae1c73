"""A locked backup vault in the security account that every account of the organization copies
its backups into.

Checklist: S-06 (restorable even when an account is compromised). A recovery point copied into
another account's locked vault survives the deletion of the source account's backups (and of
the source account). The vault's access policy lets accounts of the organization copy in, and
nothing else; Vault Lock is on by default in governance mode (privileged users of the security
account can still remove it); compliance mode (after ``changeable_for_days`` nobody can) is an
explicit opt-in. Copies are encrypted with the vault's own customer managed key.
"""

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name
from secbaseline.components._kms import account_key
from secbaseline.components.secure_database import VaultLock

TYPE_TOKEN = "secbaseline:index:CentralBackupVault"
VAULT_NAME = "central-backup"


def central_vault_arn(region: str, account_id: str, name_prefix: str) -> str:
    """ARN of the central vault (for the accounts that copy into it)."""
    name = physical_name(name_prefix, VAULT_NAME)
    return f"arn:{iam.PARTITION}:backup:{region}:{account_id}:backup-vault:{name}"


@component_args
class CentralBackupVaultArgs(ComponentArgs):
    """Inputs of :class:`CentralBackupVault`."""

    region: str = arg(check=validate.region)
    """Region of the vault (the tier uses the home region)."""
    organization_id: str = arg(check=validate.organization_id)
    """Only accounts of this organization may copy into the vault."""
    vault_lock: VaultLock | None = arg(default_factory=VaultLock)
    """Vault Lock: on by default in governance mode (7-365 days); compliance mode with
    ``changeable_for_days``; None leaves the vault unlocked."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """The security account; None: one caller-identity invoke."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the vault's name (``<prefix>-central-backup``)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the vault and its key."""


class CentralBackupVault(pulumi.ComponentResource):
    """The organization's locked copy vault."""

    vault: aws.backup.Vault
    """The vault."""
    vault_arn: pulumi.Output[str]
    """Its ARN (what ``SecureDatabase``'s ``backup_plan.copy_to_vault_arn`` names)."""

    def __init__(
        self,
        name: str,
        args: CentralBackupVaultArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = CentralBackupVaultArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        account = iam.account_id_or_caller(args.account_id, self)
        key = account_key(
            f"{name}-key",
            description="Encrypts the organization's backup copies in the central vault",
            account_id=account,
            region=args.region,
            tags=tags,
            opts=child,
        )
        self.vault = aws.backup.Vault(
            f"{name}-vault",
            name=physical_name(args.name_prefix, VAULT_NAME),
            kms_key_arn=key.arn,
            region=args.region,
            tags=tags,
            opts=child,
        )
        self.vault_arn = self.vault.arn
        aws.backup.VaultPolicy(
            f"{name}-policy",
            backup_vault_name=self.vault.name,
            policy=iam.dumps(
                [
                    {
                        "Sid": "AllowCopiesFromTheOrganization",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "backup:CopyIntoBackupVault",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": args.organization_id}},
                    }
                ]
            ),
            region=args.region,
            opts=child,
        )
        lock = args.vault_lock
        if lock is not None:
            aws.backup.VaultLockConfiguration(
                f"{name}-lock",
                backup_vault_name=self.vault.name,
                min_retention_days=lock.min_retention_days,
                max_retention_days=lock.max_retention_days,
                changeable_for_days=lock.changeable_for_days,
                region=args.region,
                opts=child,
            )
        self.register_outputs({"vaultArn": self.vault_arn})
