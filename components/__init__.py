"""Public Pulumi components of the security baseline: ``from components import X``."""

from secbaseline.components.access_analysis import (
    AccessAnalysis,
    AccessAnalysisArgs,
    ArchiveFilter,
    ArchiveRule,
)
from secbaseline.components.account_hardening import (
    AccountHardening,
    AccountHardeningArgs,
    PasswordPolicy,
)
from secbaseline.components.api_function import ApiFunction, ApiFunctionArgs
from secbaseline.components.auto_remediation import (
    AutoRemediation,
    AutoRemediationArgs,
    RemediationOptions,
)
from secbaseline.components.config_recording import (
    ConfigRecording,
    ConfigRecordingArgs,
    RecordingOverride,
)
from secbaseline.components.config_rules import (
    ConfigRules,
    ConfigRulesArgs,
    ConformancePack,
    RuleOptions,
)
from secbaseline.components.delegated_iam_admin import DelegatedIamAdmin, DelegatedIamAdminArgs
from secbaseline.components.ec2_bastion import Ec2Bastion, Ec2BastionArgs
from secbaseline.components.edge_protection import EdgeProtection, EdgeProtectionArgs
from secbaseline.components.fargate_bastion import EgressRule, FargateBastion, FargateBastionArgs
from secbaseline.components.guardrail_policies import (
    ControlTowerControl,
    GuardrailPolicies,
    GuardrailPoliciesArgs,
)
from secbaseline.components.incident_response import IncidentResponse, IncidentResponseArgs
from secbaseline.components.investigation import Investigation, InvestigationArgs
from secbaseline.components.organization import Organization, OrganizationArgs
from secbaseline.components.organization_detection import (
    OrganizationDetection,
    OrganizationDetectionArgs,
)
from secbaseline.components.organization_trail import OrganizationTrail, OrganizationTrailArgs
from secbaseline.components.patch_management import PatchManagement, PatchManagementArgs
from secbaseline.components.private_network import PrivateNetwork, PrivateNetworkArgs
from secbaseline.components.secure_bucket import ObjectLock, SecureBucket, SecureBucketArgs
from secbaseline.components.secure_database import (
    BackupPlan,
    SecureDatabase,
    SecureDatabaseArgs,
    VaultLock,
)
from secbaseline.components.security_hub import SecurityHub, SecurityHubArgs, SecurityStandard
from secbaseline.components.security_notifications import (
    NotificationRoute,
    SecurityNotifications,
    SecurityNotificationsArgs,
    SeverityLabel,
    SlackChannel,
)
from secbaseline.components.session_manager import (
    SessionManagerPreferences,
    SessionManagerPreferencesArgs,
)
from secbaseline.components.threat_detection import (
    GuardDutyFeatures,
    PublishingFrequency,
    RuntimeAgents,
    ThreatDetection,
    ThreatDetectionArgs,
    ThreatList,
    ThreatListFormat,
)
from secbaseline.components.vulnerability_scanning import (
    VulnerabilityScanning,
    VulnerabilityScanningArgs,
)

__all__ = [
    "AccessAnalysis",
    "AccessAnalysisArgs",
    "AccountHardening",
    "AccountHardeningArgs",
    "ApiFunction",
    "ApiFunctionArgs",
    "ArchiveFilter",
    "ArchiveRule",
    "AutoRemediation",
    "AutoRemediationArgs",
    "BackupPlan",
    "ConfigRecording",
    "ConfigRecordingArgs",
    "ConfigRules",
    "ConfigRulesArgs",
    "ConformancePack",
    "ControlTowerControl",
    "DelegatedIamAdmin",
    "DelegatedIamAdminArgs",
    "Ec2Bastion",
    "Ec2BastionArgs",
    "EdgeProtection",
    "EdgeProtectionArgs",
    "EgressRule",
    "FargateBastion",
    "FargateBastionArgs",
    "GuardDutyFeatures",
    "GuardrailPolicies",
    "GuardrailPoliciesArgs",
    "IncidentResponse",
    "IncidentResponseArgs",
    "Investigation",
    "InvestigationArgs",
    "NotificationRoute",
    "ObjectLock",
    "Organization",
    "OrganizationArgs",
    "OrganizationDetection",
    "OrganizationDetectionArgs",
    "OrganizationTrail",
    "OrganizationTrailArgs",
    "PasswordPolicy",
    "PatchManagement",
    "PatchManagementArgs",
    "PrivateNetwork",
    "PrivateNetworkArgs",
    "PublishingFrequency",
    "RecordingOverride",
    "RemediationOptions",
    "RuleOptions",
    "RuntimeAgents",
    "SecureBucket",
    "SecureBucketArgs",
    "SecureDatabase",
    "SecureDatabaseArgs",
    "SecurityHub",
    "SecurityHubArgs",
    "SecurityNotifications",
    "SecurityNotificationsArgs",
    "SecurityStandard",
    "SessionManagerPreferences",
    "SessionManagerPreferencesArgs",
    "SeverityLabel",
    "SlackChannel",
    "ThreatDetection",
    "ThreatDetectionArgs",
    "ThreatList",
    "ThreatListFormat",
    "VaultLock",
    "VulnerabilityScanning",
    "VulnerabilityScanningArgs",
]
