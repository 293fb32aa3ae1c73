"""Organization: adopted (never created), service access, OUs, delegated administrators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from baseline.engine import Plan
from components import Organization, OrganizationArgs
from components.organization import SERVICE_ACCESS_PRINCIPALS, adoption_options

REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")
BASE: dict[str, Any] = {
    "organization_id": "o-exampleorg1",
    "management_account_id": "111111111111",
    "security_account_id": "222222222222",
    "home_region": "ap-northeast-1",
    "regions": REGIONS,
}
ORG = "aws:organizations/organization:Organization"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        org = Organization("org", OrganizationArgs(**{**BASE, **kwargs}))
        pulumi.export("root", org.root_id)

    return run_program(program)


def test_adopts_the_organization_with_scps_and_service_access(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    org = plan.one(ORG)
    assert org.inputs["featureSet"] == "ALL"
    assert org.inputs["enabledPolicyTypes"] == ["SERVICE_CONTROL_POLICY"]
    principals = org.inputs["awsServiceAccessPrincipals"]
    assert principals == sorted(principals)
    for service in (
        "guardduty",
        "securityhub",
        "config",
        "config-multiaccountsetup",
        "access-analyzer",
        "inspector2",
        "detective",
        "cloudtrail",
        "member.org.stacksets.cloudformation",
        "malware-protection.guardduty",
    ):
        assert f"{service}.amazonaws.com" in principals
    assert "sso.amazonaws.com" not in principals
    assert "macie.amazonaws.com" not in principals
    assert org.id == "o-exampleorg1"


def test_adoption_options_import_protect_and_retain() -> None:
    opts = adoption_options("o-exampleorg1", None)
    assert opts.import_ == "o-exampleorg1"
    assert opts.protect is True
    assert opts.retain_on_delete is True


def test_delegated_administrators(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    org = plan.one(ORG)
    gd = plan.of_type("aws:guardduty/organizationAdminAccount:OrganizationAdminAccount")
    assert sorted(r.inputs["region"] for r in gd) == list(REGIONS)
    assert {r.inputs["adminAccountId"] for r in gd} == {"222222222222"}
    hub = plan.one("aws:securityhub/organizationAdminAccount:OrganizationAdminAccount")
    assert hub.inputs == {"adminAccountId": "222222222222", "region": "ap-northeast-1"}
    inspector = plan.of_type("aws:inspector2/delegatedAdminAccount:DelegatedAdminAccount")
    assert sorted(r.inputs["region"] for r in inspector) == list(REGIONS)
    detective = plan.of_type("aws:detective/organizationAdminAccount:OrganizationAdminAccount")
    assert sorted(r.inputs["region"] for r in detective) == list(REGIONS)
    assert {r.inputs["accountId"] for r in inspector + detective} == {"222222222222"}
    orgs_delegated = plan.of_type("aws:organizations/delegatedAdministrator:DelegatedAdministrator")
    assert sorted(r.inputs["servicePrincipal"] for r in orgs_delegated) == [
        "access-analyzer.amazonaws.com",
        "config-multiaccountsetup.amazonaws.com",
        "config.amazonaws.com",
    ]
    assert plan.of_type("aws:macie2/organizationAdminAccount:OrganizationAdminAccount") == []
    component = plan.one("secbaseline:index:Organization")
    assert all(r.parent == component.urn for r in plan.custom_resources())
    assert org.urn


def test_existing_trusted_access_and_policy_types_are_kept(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(
        run_program,
        control_tower=True,
        extra_policy_types=("TAG_POLICY", "BACKUP_POLICY"),
        extra_service_principals=("ram.amazonaws.com",),
    )
    org = plan.one(ORG)
    assert org.inputs["enabledPolicyTypes"] == [
        "BACKUP_POLICY",
        "SERVICE_CONTROL_POLICY",
        "TAG_POLICY",
    ]
    principals = org.inputs["awsServiceAccessPrincipals"]
    for kept in ("controltower.amazonaws.com", "sso.amazonaws.com", "ram.amazonaws.com"):
        assert kept in principals


def test_ous_sso_macie_and_opting_out(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        organizational_units=("Security", "Workloads", "Sandbox"),
        enable_sso=True,
        delegations={"macie": True, "detective": False},
    )
    ous = plan.of_type("aws:organizations/organizationalUnit:OrganizationalUnit")
    assert sorted(o.inputs["name"] for o in ous) == ["Sandbox", "Security", "Workloads"]
    assert all(o.inputs["parentId"].startswith("r-") for o in ous)
    principals = plan.one(ORG).inputs["awsServiceAccessPrincipals"]
    assert "sso.amazonaws.com" in principals
    assert "macie.amazonaws.com" in principals
    macie = plan.of_type("aws:macie2/organizationAdminAccount:OrganizationAdminAccount")
    assert len(macie) == len(REGIONS)
    assert plan.of_type("aws:detective/organizationAdminAccount:OrganizationAdminAccount") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"organization_id": ""}, "organization.organizationId: '' is not an organization id"),
        ({"organization_id": "org-1"}, "organization.organizationId: 'org-1' is not"),
        (
            {"security_account_id": "111111111111"},
            "organization.securityAccountId: must differ from the management account",
        ),
        ({"management_account_id": "1234"}, "organization.managementAccountId: '1234' is not"),
        (
            {"regions": ("us-east-1",)},
            "organization.regions: must include the home region 'ap-northeast-1'",
        ),
        (
            {"organizational_units": ("Security", "security")},
            "organization.organizationalUnits[1]: 'security' collides with 'Security'",
        ),
        (
            {"organizational_units": (" Sandbox",)},
            "organization.organizationalUnits[0]: ' Sandbox' is not an OU name",
        ),
        (
            {"organizational_units": ("x" * 129,)},
            "organization.organizationalUnits[0]:",
        ),
        ({"delegations": {"shield": True}}, "organization.delegations: 'shield' is not one of"),
        (
            {"organizational_units": ("Work Loads", "work-loads")},
            "organization.organizationalUnits[1]: 'work-loads' collides with 'Work Loads'",
        ),
        (
            {"extra_policy_types": ("MAGIC_POLICY",)},
            "organization.extraPolicyTypes: 'MAGIC_POLICY' is not one of",
        ),
        (
            {"extra_service_principals": ("ram",)},
            "organization.extraServicePrincipals[0]: 'ram' is not a service principal",
        ),
    ],
)
def test_bad_args_raise_naming_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        OrganizationArgs(**{**BASE, **kwargs}).validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    ids = {k: v for k, v in BASE.items()}
    args = OrganizationArgs.from_config(
        {"organizationalUnits": ["Security"], "enableSso": True, "delegations": {"macie": True}},
        **ids,
    )
    args.validate()
    assert args.organizational_units == ("Security",)
    assert "macie" in args.delegated()
    assert SERVICE_ACCESS_PRINCIPALS[0] in args.service_access_principals()
    with pytest.raises(ValueError, match=r"^organization.ous: unknown option"):
        OrganizationArgs.from_config({"ous": []}, **ids)
    with pytest.raises(ValueError, match=r"^organization.organizationalUnits: expected a list"):
        OrganizationArgs.from_config({"organizationalUnits": "Security"}, **ids)
