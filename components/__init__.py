"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy
from components.incident_response import IncidentResponse, IncidentResponseArgs
from components.secure_bucket import ObjectLock, SecureBucket, SecureBucketArgs

__all__ = [
    "AccountHardening",
    "AccountHardeningArgs",
    "IncidentResponse",
    "IncidentResponseArgs",
    "ObjectLock",
    "PasswordPolicy",
    "SecureBucket",
    "SecureBucketArgs",
]
