"""Organization: adopted (never created), service access, OUs, delegated administrators."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components import (
    Delegations,
    GuardrailPolicies,
    GuardrailPoliciesArgs,
    Organization,
    OrganizationArgs,
    PolicyType,
)
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
    assert args.policy_types() == sorted(documented)
    assert set(PolicyType) == set(extras)


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
        delegations=Delegations(macie=True, detective=False),
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
        ({"organization_id": ""}, "organization_id: '' is not an organization id"),
        ({"organization_id": "org-1"}, "organization_id: 'org-1' is not"),
        (
            {"security_account_id": "111111111111"},
            "security_account_id: must differ from the management account",
        ),
        ({"management_account_id": "1234"}, "management_account_id: '1234' is not"),
        ({"regions": ("us-east-1",)}, "regions: must include the home region 'ap-northeast-1'"),
        ({"home_region": "atlantis-1"}, "home_region: unknown AWS region 'atlantis-1'"),
        (
            {"organizational_units": ("Security", "security")},
            "organizational_units[1]: 'security' collides with 'Security'",
        ),
        (
            {"organizational_units": (" Sandbox",)},
            "organizational_units[0]: ' Sandbox' is not an OU name",
        ),
        ({"organizational_units": ("x" * 129,)}, "organizational_units[0]:"),
        ({"delegations": {"shield": True}}, "delegations.shield: unknown option; allowed:"),
        ({"delegations": {"macie": "maybe"}}, "delegations.macie: expected a valid boolean"),
        (
            {"organizational_units": ("Work Loads", "work-loads")},
            "organizational_units[1]: 'work-loads' collides with 'Work Loads'",
        ),
        ({"extra_policy_types": ("MAGIC_POLICY",)}, "extra_policy_types[0]: expected"),
        ({"security_hub_mode": "HYBRID"}, "security_hub_mode: expected 'CENTRAL' or 'LOCAL'"),
        (
            {"extra_service_principals": ("ram",)},
            "extra_service_principals[0]: 'ram' is not a service principal",
        ),
        ({"tags": {"aws:team": "x"}}, "tags: tag key 'aws:team'"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        OrganizationArgs(**{**BASE, **kwargs})
    assert str(err.value).startswith(message)
    assert "object at 0x" not in str(err.value)


def test_from_config() -> None:
    args = OrganizationArgs.from_config(
        "organization",
        {
            "organizationalUnits": ["Security"],
            "enableSso": True,
            "delegations": {"macie": True, "configMultiAccountSetup": False},
            "extraPolicyTypes": ["TAG_POLICY"],
            "tags": {"team": "platform"},
        },
        **BASE,
    )
    assert args.organizational_units == ["Security"]
    assert args.delegations == Delegations(macie=True, config_multi_account_setup=False)
    assert "macie" in args.delegated()
    assert "configMultiAccountSetup" not in args.delegated()
    assert args.extra_policy_types == [PolicyType.TAG_POLICY]
    assert SERVICE_ACCESS_PRINCIPALS[0] in args.service_access_principals()
    assert OrganizationArgs.from_config("organization", {}, **BASE) == OrganizationArgs(**BASE)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"ous": []}, "organization.ous: unknown option"),
        ({"organizationalUnits": "Security"}, "organization.organizationalUnits: 'str'"),
        (
            {"organizationalUnits": ["Security", "SECURITY"]},
            "organization.organizationalUnits[1]: 'SECURITY' collides with 'Security'",
        ),
        (
            {"delegations": {"guardduty": False}},
            "organization.delegations.guardduty: unknown option; did you mean 'guardDuty'?",
        ),
        ({"delegations": []}, "organization.delegations: "),
        ({"enableSso": "maybe"}, "organization.enableSso: expected a valid boolean"),
        (
            {"extraServicePrincipals": ["ram"]},
            "organization.extraServicePrincipals[0]: 'ram' is not a service principal",
        ),
        ({"extraPolicyTypes": ["MAGIC"]}, "organization.extraPolicyTypes[0]: expected"),
    ],
)
def test_bad_config_names_the_config_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        OrganizationArgs.from_config("organization", section, **BASE)
    assert str(err.value).startswith(message)


def test_tags_reach_the_organizational_units(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, organizational_units=("Security", "Workloads"), tags={"a": "b"})
    ous = plan.of_type("aws:organizations/organizationalUnit:OrganizationalUnit")
    assert len(ous) == 2
    assert all(o.inputs["tags"] == {"a": "b"} for o in ous)


def test_root_and_ous_wire_into_guardrails(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        org = Organization("org", OrganizationArgs(**BASE, organizational_units=["Workloads"]))
        GuardrailPolicies(
            "guardrails",
            GuardrailPoliciesArgs(
                allowed_regions=list(REGIONS),
                home_region="ap-northeast-1",
                admin_role_arns=["arn:aws:iam::*:role/deployer"],
                targets=[org.root_id, org.organizational_unit_ids["Workloads"]],
            ),
        )

    plan = run_program(program)
    ou = plan.one("aws:organizations/organizationalUnit:OrganizationalUnit")
    targets = {
        a.inputs["targetId"]
        for a in plan.of_type("aws:organizations/policyAttachment:PolicyAttachment")
    }
    assert targets == {ou.inputs["parentId"], ou.id}
    assert ou.inputs["parentId"].startswith("r-")


def test_coerce_takes_the_component_providers_mapping() -> None:
    args = OrganizationArgs.coerce({**BASE, "delegations": {"macie": True}})
    assert args.delegations == Delegations(macie=True)
    assert args == OrganizationArgs(**BASE, delegations=Delegations(macie=True))
