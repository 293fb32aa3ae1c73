"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.access_analysis import AccessAnalysis, AccessAnalysisArgs
from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy
from components.investigation import Investigation, InvestigationArgs
from components.secure_bucket import ObjectLock, SecureBucket, SecureBucketArgs
from components.security_hub import SecurityHub, SecurityHubArgs
from components.security_notifications import SecurityNotifications, SecurityNotificationsArgs
from components.threat_detection import ThreatDetection, ThreatDetectionArgs

__all__ = [
    "AccessAnalysis",
    "AccessAnalysisArgs",
    "AccountHardening",
    "AccountHardeningArgs",
    "Investigation",
    "InvestigationArgs",
    "ObjectLock",
    "PasswordPolicy",
    "SecureBucket",
    "SecureBucketArgs",
    "SecurityHub",
    "SecurityHubArgs",
    "SecurityNotifications",
    "SecurityNotificationsArgs",
    "ThreatDetection",
    "ThreatDetectionArgs",
]
