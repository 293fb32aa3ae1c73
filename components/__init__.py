"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy
from components.guardrail_policies import (
    ControlTowerControl,
    GuardrailPolicies,
    GuardrailPoliciesArgs,
)
from components.organization import Organization, OrganizationArgs
from components.organization_detection import OrganizationDetection, OrganizationDetectionArgs
from components.organization_trail import OrganizationTrail, OrganizationTrailArgs
from components.secure_bucket import ObjectLock, SecureBucket, SecureBucketArgs

__all__ = [
    "AccountHardening",
    "AccountHardeningArgs",
    "ControlTowerControl",
    "GuardrailPolicies",
    "GuardrailPoliciesArgs",
    "ObjectLock",
    "Organization",
    "OrganizationArgs",
    "OrganizationDetection",
    "OrganizationDetectionArgs",
    "OrganizationTrail",
    "OrganizationTrailArgs",
    "PasswordPolicy",
    "SecureBucket",
    "SecureBucketArgs",
]
