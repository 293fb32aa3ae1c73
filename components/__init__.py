"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy
from components.secure_bucket import ObjectLock, SecureBucket, SecureBucketArgs

__all__ = [
    "AccountHardening",
    "AccountHardeningArgs",
    "ObjectLock",
    "PasswordPolicy",
    "SecureBucket",
    "SecureBucketArgs",
]
