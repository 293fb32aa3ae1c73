"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy

__all__ = [
    "AccountHardening",
    "AccountHardeningArgs",
    "PasswordPolicy",
]
