"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.access_analysis import AccessAnalysis, AccessAnalysisArgs
from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy
from components.api_function import ApiFunction, ApiFunctionArgs
from components.auto_remediation import AutoRemediation, AutoRemediationArgs, RemediationOptions
from components.config_recording import ConfigRecording, ConfigRecordingArgs, RecordingOverride
from components.config_rules import ConfigRules, ConfigRulesArgs, ConformancePack, RuleOptions
from components.delegated_iam_admin import DelegatedIamAdmin, DelegatedIamAdminArgs
from components.ec2_bastion import Ec2Bastion, Ec2BastionArgs
from components.edge_protection import EdgeProtection, EdgeProtectionArgs
from components.fargate_bastion import EgressRule, FargateBastion, FargateBastionArgs
from components.guardrail_policies import (
    ControlTowerControl,
    GuardrailPolicies,
    GuardrailPoliciesArgs,
)
from components.incident_response import IncidentResponse, IncidentResponseArgs
from components.investigation import Investigation, InvestigationArgs
from components.organization import Organization, OrganizationArgs
from components.organization_detection import OrganizationDetection, OrganizationDetectionArgs
from components.organization_trail import OrganizationTrail, OrganizationTrailArgs
from components.patch_management import PatchManagement, PatchManagementArgs
from components.private_network import PrivateNetwork, PrivateNetworkArgs
from components.secure_bucket import ObjectLock, SecureBucket, SecureBucketArgs
from components.secure_database import BackupPlan, SecureDatabase, SecureDatabaseArgs, VaultLock
from components.security_hub import SecurityHub, SecurityHubArgs
from components.security_notifications import SecurityNotifications, SecurityNotificationsArgs
from components.session_manager import SessionManagerPreferences, SessionManagerPreferencesArgs
from components.threat_detection import ThreatDetection, ThreatDetectionArgs
from components.vulnerability_scanning import VulnerabilityScanning, VulnerabilityScanningArgs

__all__ = [
    "AccessAnalysis",
    "AccessAnalysisArgs",
    "AccountHardening",
    "AccountHardeningArgs",
    "ApiFunction",
    "ApiFunctionArgs",
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
    "GuardrailPolicies",
    "GuardrailPoliciesArgs",
    "IncidentResponse",
    "IncidentResponseArgs",
    "Investigation",
    "InvestigationArgs",
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
    "RecordingOverride",
    "RemediationOptions",
    "RuleOptions",
    "SecureBucket",
    "SecureBucketArgs",
    "SecureDatabase",
    "SecureDatabaseArgs",
    "SecurityHub",
    "SecurityHubArgs",
    "SecurityNotifications",
    "SecurityNotificationsArgs",
    "SessionManagerPreferences",
    "SessionManagerPreferencesArgs",
    "ThreatDetection",
    "ThreatDetectionArgs",
    "VaultLock",
    "VulnerabilityScanning",
    "VulnerabilityScanningArgs",
]
