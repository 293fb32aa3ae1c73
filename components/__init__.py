"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy
from components.auto_remediation import AutoRemediation, AutoRemediationArgs, RemediationOptions
from components.config_recording import ConfigRecording, ConfigRecordingArgs, RecordingOverride
from components.config_rules import ConfigRules, ConfigRulesArgs, ConformancePack, RuleOptions
from components.delegated_iam_admin import DelegatedIamAdmin, DelegatedIamAdminArgs
from components.secure_bucket import ObjectLock, SecureBucket, SecureBucketArgs

__all__ = [
    "AccountHardening",
    "AccountHardeningArgs",
    "AutoRemediation",
    "AutoRemediationArgs",
    "ConfigRecording",
    "ConfigRecordingArgs",
    "ConfigRules",
    "ConfigRulesArgs",
    "ConformancePack",
    "DelegatedIamAdmin",
    "DelegatedIamAdminArgs",
    "ObjectLock",
    "PasswordPolicy",
    "RecordingOverride",
    "RemediationOptions",
    "RuleOptions",
    "SecureBucket",
    "SecureBucketArgs",
]
