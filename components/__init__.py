"""Public Pulumi components of the security baseline: ``from components import X``."""

from components.account_hardening import AccountHardening, AccountHardeningArgs, PasswordPolicy
from components.ec2_bastion import Ec2Bastion, Ec2BastionArgs
from components.fargate_bastion import EgressRule, FargateBastion, FargateBastionArgs
from components.patch_management import PatchManagement, PatchManagementArgs
from components.private_network import PrivateNetwork, PrivateNetworkArgs
from components.session_manager import SessionManagerPreferences, SessionManagerPreferencesArgs
from components.vulnerability_scanning import VulnerabilityScanning, VulnerabilityScanningArgs

__all__ = [
    "AccountHardening",
    "AccountHardeningArgs",
    "Ec2Bastion",
    "Ec2BastionArgs",
    "EgressRule",
    "FargateBastion",
    "FargateBastionArgs",
    "PasswordPolicy",
    "PatchManagement",
    "PatchManagementArgs",
    "PrivateNetwork",
    "PrivateNetworkArgs",
    "SessionManagerPreferences",
    "SessionManagerPreferencesArgs",
    "VulnerabilityScanning",
    "VulnerabilityScanningArgs",
]
