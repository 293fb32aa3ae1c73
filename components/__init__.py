"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy
from components.api_function import ApiFunction, ApiFunctionArgs
from components.edge_protection import EdgeProtection, EdgeProtectionArgs
from components.secure_bucket import ObjectLock, SecureBucket, SecureBucketArgs
from components.secure_database import BackupPlan, SecureDatabase, SecureDatabaseArgs, VaultLock

__all__ = [
    "AccountHardening",
    "AccountHardeningArgs",
    "ApiFunction",
    "ApiFunctionArgs",
    "BackupPlan",
    "EdgeProtection",
    "EdgeProtectionArgs",
    "ObjectLock",
    "PasswordPolicy",
    "SecureBucket",
    "SecureBucketArgs",
    "SecureDatabase",
    "SecureDatabaseArgs",
    "VaultLock",
]
