"""CentralBackupVault (S-06): the organization's locked copy vault in the security account."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components.central_backup_vault import (
    CentralBackupVault,
    CentralBackupVaultArgs,
    central_vault_arn,
)
from secbaseline.components.secure_database import VaultLock
from tests.tagging import untagged

ORG = "o-abcdefghij"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    args = CentralBackupVaultArgs(**{"region": "ap-northeast-1", "organization_id": ORG, **kwargs})
    return run_program(lambda: CentralBackupVault("central", args))


def test_locked_vault_only_the_organization_copies_into(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "security"})
    vault = plan.one("aws:backup/vault:Vault")
    assert vault.inputs["name"] == "secbaseline-central-backup"
    assert vault.inputs["kmsKeyArn"] == plan.one("aws:kms/key:Key").outputs["arn"]
    [statement] = json.loads(plan.one("aws:backup/vaultPolicy:VaultPolicy").inputs["policy"])[
        "Statement"
    ]
    assert statement["Action"] == "backup:CopyIntoBackupVault"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    lock = plan.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert (lock.inputs["minRetentionDays"], lock.inputs["maxRetentionDays"]) == (7, 365)
    assert "changeableForDays" not in lock.inputs  # governance mode by default
    assert untagged(plan, {"team": "security"}) == []
    # The member stacks compute this ARN without a StackReference: it must be the real one.
    assert vault.outputs["arn"] == central_vault_arn(
        "ap-northeast-1", "111111111111", "secbaseline"
    )


def test_compliance_mode_is_explicit(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, vault_lock=VaultLock(7, 365, changeable_for_days=3))
    lock = plan.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert lock.inputs["changeableForDays"] == 3
    plan = build(run_program, vault_lock=None)
    assert plan.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"organization_id": "org-1"}, "organization_id: 'org-1'"),
        ({"region": "moon-1"}, "region: unknown AWS region"),
        ({"vault_lock": {"min_retention_days": 0}}, "vault_lock.min_retention_days: 0 is out"),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        CentralBackupVaultArgs(**{"region": "ap-northeast-1", "organization_id": ORG, **kwargs})
    assert str(err.value).startswith(message)


DATABASE = {
    "enabled": True,
    "vpcId": "vpc-0123456789abcdef0",
    "subnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
}


def test_the_advanced_tier_copies_member_databases_into_the_security_vault(
    plan_tier: Callable[..., Plan],
) -> None:
    from tests.conftest import ORG_CONFIG

    security = plan_tier(tier="advanced", role="security")
    vault = security.one("secbaseline:index:CentralBackupVault")
    assert vault.name == "central-backup"
    management = plan_tier(tier="advanced", role="management")
    settings = management.one("aws:backup/globalSettings:GlobalSettings")
    assert settings.inputs["globalSettings"] == {"isCrossAccountBackupEnabled": "true"}
    member = plan_tier(tier="advanced", role="member", database=DATABASE)
    [rule] = member.one("aws:backup/plan:Plan").inputs["rules"]
    central = central_vault_arn("ap-northeast-1", ORG_CONFIG["securityAccountId"], "secbaseline")
    assert {"destinationVaultArn": central, "lifecycle": {"deleteAfter": 35}} in rule["copyActions"]
    assert len(rule["copyActions"]) == 2  # and the second region's vault
