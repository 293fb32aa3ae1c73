"""Which component reads each stack-config section, so every section is checked whatever the
tier: a misspelt key in a section the current tier does not build (``securityHub`` in a
beginner stack, ``guardrails`` in a member stack) fails now, not when the tier is raised."""

from collections.abc import Mapping
from types import MappingProxyType

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs
from secbaseline.baseline.settings import Settings, thaw
from secbaseline.components import (
    AccessAnalysisArgs,
    AccountHardeningArgs,
    AccountTrailArgs,
    ApiFunctionArgs,
    AutoRemediationArgs,
    ChangeAlarmsArgs,
    ConfigRecordingArgs,
    ConfigRulesArgs,
    DelegatedIamAdminArgs,
    Ec2BastionArgs,
    EdgeProtectionArgs,
    FargateBastionArgs,
    GuardrailPoliciesArgs,
    IncidentResponseArgs,
    InvestigationArgs,
    OrganizationArgs,
    OrganizationDetectionArgs,
    OrganizationTrailArgs,
    PatchManagementArgs,
    SecureBucketArgs,
    SecureDatabaseArgs,
    SecurityHubArgs,
    SecurityNotificationsArgs,
    SessionManagerPreferencesArgs,
    ThreatDetectionArgs,
    VulnerabilityScanningArgs,
)
from secbaseline.components._adoption import AdoptArgs

SECTION_ARGS: Mapping[str, type[ComponentArgs]] = MappingProxyType(
    {
        "adopt": AdoptArgs,
        "accountHardening": AccountHardeningArgs,
        "bastion": FargateBastionArgs,
        "ec2Bastion": Ec2BastionArgs,
        "sessionManager": SessionManagerPreferencesArgs,
        "patching": PatchManagementArgs,
        "vulnerabilityScanning": VulnerabilityScanningArgs,
        "bucket": SecureBucketArgs,
        "edge": EdgeProtectionArgs,
        "database": SecureDatabaseArgs,
        "api": ApiFunctionArgs,
        "threatDetection": ThreatDetectionArgs,
        "securityHub": SecurityHubArgs,
        "investigation": InvestigationArgs,
        "accessAnalysis": AccessAnalysisArgs,
        "notifications": SecurityNotificationsArgs,
        "configRecording": ConfigRecordingArgs,
        "configRules": ConfigRulesArgs,
        "remediation": AutoRemediationArgs,
        "iamDelegation": DelegatedIamAdminArgs,
        "incidentResponse": IncidentResponseArgs,
        "organization": OrganizationArgs,
        "organizationTrail": OrganizationTrailArgs,
        "guardrails": GuardrailPoliciesArgs,
        "organizationDetection": OrganizationDetectionArgs,
        "accountTrail": AccountTrailArgs,
        "changeAlarms": ChangeAlarmsArgs,
    }
)
"""Config section -> the arguments class that parses it (its keys are the config keys)."""


def check_sections(settings: Settings) -> None:
    """Refuse unknown keys and bad values in every section the stack sets, built by this tier
    or not, before any resource is registered. ``enabled`` is read by the tier."""
    for name, frozen in sorted(settings.sections.items()):
        raw = thaw(frozen)
        SECTION_ARGS[name].check_keys(name, raw, extra=("enabled",))
        if isinstance(raw, Mapping) and "enabled" in raw:
            validate.boolean(f"{name}.enabled", raw["enabled"])
        SECTION_ARGS[name].check_values(name, raw, extra=("enabled",))
