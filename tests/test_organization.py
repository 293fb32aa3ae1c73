"""Organization: adopted (never created), service access, OUs, delegated administrators."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components import Organization, OrganizationArgs
from secbaseline.components.organization import (
    SERVICE_ACCESS_PRINCIPALS,
    adoption_options,
    keep_enabled,
)

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
    # TAG_POLICY is enabled in the (fake) organization today: kept, never switched off.
    assert org.inputs["enabledPolicyTypes"] == ["SERVICE_CONTROL_POLICY", "TAG_POLICY"]
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
    assert "macie.amazonaws.com" not in principals
    assert org.id == "o-exampleorg1"
    required = OrganizationArgs(**BASE)
    assert "sso.amazonaws.com" not in required.service_access_principals()
    assert required.policy_types() == ["SERVICE_CONTROL_POLICY"]


def test_adoption_keeps_what_the_organization_has_enabled_today(
    run_program: Callable[..., Plan],
) -> None:
    # The fake organization has IAM Identity Center trusted access and tag policies on; an
    # import that set only our lists would disable both.
    org = build(run_program).one(ORG)
    assert "sso.amazonaws.com" in org.inputs["awsServiceAccessPrincipals"]
    assert "TAG_POLICY" in org.inputs["enabledPolicyTypes"]
    assert "sso.amazonaws.com" not in OrganizationArgs(**BASE).service_access_principals()


def test_keep_enabled_is_the_sorted_union() -> None:
    merge = keep_enabled(["b", "c"])
    assert merge(["d", "a", "b"]) == ["a", "b", "c", "d"]
    assert merge(None) == ["b", "c"]
    assert merge([]) == ["b", "c"]


def test_every_policy_type_pulumi_aws_documents_is_accepted() -> None:
    doc = aws.organizations.OrganizationArgs.__init__.__doc__ or ""
    documented = set(re.findall(r"`([A-Z0-9_]+_POLICY(?:_[A-Z0-9]+)?)`", doc))
    assert {"BEDROCK_POLICY", "DECLARATIVE_POLICY_EC2", "UPGRADE_ROLLOUT_POLICY"} <= documented
    extras = tuple(sorted(documented - {"SERVICE_CONTROL_POLICY"}))
    args = OrganizationArgs(**{**BASE, "extra_policy_types": extras})
    args.validate()
    assert args.policy_types() == sorted(documented)


def test_control_tower_keeps_resource_control_policies(
    run_program: Callable[..., Plan],
) -> None:
    assert (
        "RESOURCE_CONTROL_POLICY"
        in OrganizationArgs(**{**BASE, "control_tower": True}).policy_types()
    )
    org = build(run_program, control_tower=True).one(ORG)
    assert "RESOURCE_CONTROL_POLICY" in org.inputs["enabledPolicyTypes"]
    assert "controltower.amazonaws.com" in org.inputs["awsServiceAccessPrincipals"]


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


def test_security_hub_local_mode_designates_the_admin_in_every_region(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, security_hub_mode="LOCAL")
    hubs = plan.of_type("aws:securityhub/organizationAdminAccount:OrganizationAdminAccount")
    assert sorted(h.inputs["region"] for h in hubs) == list(REGIONS)
    assert {h.inputs["adminAccountId"] for h in hubs} == {"222222222222"}
    # The home region's keeps its name, so switching modes does not replace it.
    home = next(h for h in hubs if h.inputs["region"] == "ap-northeast-1")
    assert home.name == "org-delegate-securityhub"


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
        "RESOURCE_CONTROL_POLICY",
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
            {"security_hub_mode": "HYBRID"},
            "organizationDetection.securityHubMode: 'HYBRID' is not one of CENTRAL, LOCAL",
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
