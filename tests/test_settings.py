"""Every settings rule, with its exact error message."""

from __future__ import annotations

from typing import Any

import pytest

from secbaseline.baseline.settings import settings_from_config

ORG = {
    "organizationId": "o-exampleorg1",
    "managementAccountId": "111111111111",
    "securityAccountId": "222222222222",
    "notificationEmails": ["security@example.com"],
}


def make(**config: Any) -> Any:
    return settings_from_config({"homeRegion": "ap-northeast-1", **config})


def test_defaults_are_beginner_standalone_home_only() -> None:
    s = make()
    assert s.tier == "beginner"
    assert s.role == "standalone"
    assert s.allowed_regions == ("ap-northeast-1",)
    assert s.detection_regions is None
    assert s.name_prefix == "secbaseline"


def test_home_region_falls_back_to_aws_region() -> None:
    assert settings_from_config({}, aws_region="eu-west-1").home_region == "eu-west-1"


def test_settings_are_immutable() -> None:
    s = make(tags={"a": "b"})
    with pytest.raises(AttributeError):
        s.tier = "advanced"  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.tags["a"] = "c"  # type: ignore[index]


def test_detection_regions_sorted() -> None:
    s = make(detectionRegions=["us-east-1", "ap-northeast-1"])
    assert s.detection_regions == ("ap-northeast-1", "us-east-1")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"tier": "expert"}, "tier: 'expert' is not one of beginner, intermediate, advanced"),
        # ASCII full matches: full-width digits and a trailing newline are not account ids
        ({"accountId": "\uff11" * 12}, "accountId: "),
        ({"accountId": "123456789012\n"}, "accountId: "),
        ({"namePrefix": "\uff53\uff45\uff43"}, "namePrefix: "),
        ({"notificationEmails": ["sec@example.com\n"]}, "notificationEmails[0]: "),
        (
            {"tier": "intermediate"},
            "notificationEmails: required from the intermediate tier on",
        ),
        (
            {"tier": "intermediate", "notificationEmails": ["a@example.com", "A@example.com"]},
            "notificationEmails[1]: 'A@example.com' is already notificationEmails[0]",
        ),
        (
            {"role": "owner"},
            "role: 'owner' is not one of standalone, management, security, member",
        ),
        (
            {"tier": "advanced"},
            "role: the advanced tier needs an organization role (management, security, member), "
            "got 'standalone'",
        ),
        ({"homeRegion": "mars-1"}, "homeRegion: unknown AWS region 'mars-1'"),
        (
            {"detectionRegions": ["us-east-1", "nowhere-1"]},
            "detectionRegions: unknown AWS region 'nowhere-1'",
        ),
        (
            {"detectionRegions": ["us-east-1"]},
            "detectionRegions: must include the home region 'ap-northeast-1'",
        ),
        (
            {"detectionRegions": ["ap-northeast-1", "ap-northeast-1"]},
            "detectionRegions: region 'ap-northeast-1' is listed twice",
        ),
        ({"detectionRegions": "us-east-1"}, "detectionRegions: expected a list, got 'us-east-1'"),
        (
            {"allowedRegions": ["us-east-1"]},
            "allowedRegions: must include the home region 'ap-northeast-1'",
        ),
        ({"accountId": "1234"}, "accountId: '1234' is not a 12-digit AWS account id"),
        ({"accountId": 123456789012}, "accountId: expected a string, got 123456789012"),
        (
            {"notificationEmails": ["not-an-email"]},
            "notificationEmails[0]: 'not-an-email' is not a valid e-mail address",
        ),
        ({"organizationId": "org-1"}, "organizationId: 'org-1' is not an organization id"),
        ({"namePrefix": "Bad_Prefix"}, "namePrefix: 'Bad_Prefix' must be 2-24 characters"),
        ({"tags": {"aws:reserved": "x"}}, "tags: tag key 'aws:reserved' must be 1-128 characters"),
        ({"tags": {"k": 1}}, "tags: tag 'k' value must be a string"),
        ({"controlTower": "yes"}, "controlTower: expected true or false, got 'yes'"),
        ({"surprise": 1}, "surprise: unknown config key; allowed keys are"),
        ({"bastion": "on"}, "bastion: expected a mapping of options, got 'on'"),
        (
            {"tier": "advanced", "role": "management", "organizationId": "o-exampleorg1"},
            "managementAccountId: required for the advanced tier (role 'management')",
        ),
        (
            {**ORG, "securityAccountId": "111111111111"},
            "securityAccountId: must differ from managementAccountId",
        ),
        (
            {**ORG, "role": "management", "accountId": "333333333333"},
            "accountId: a management-role stack must run in managementAccountId",
        ),
        (
            {**ORG, "role": "security", "accountId": "333333333333"},
            "accountId: a security-role stack must run in securityAccountId",
        ),
    ],
)
def test_bad_config_is_rejected_by_name(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        make(**config)
    assert str(err.value).startswith(message)


def test_home_region_required_without_aws_region() -> None:
    with pytest.raises(ValueError, match=r"^homeRegion: required"):
        settings_from_config({})


def test_role_account_defaults_to_the_role_account() -> None:
    assert make(**ORG, tier="advanced", role="security").account_id == "222222222222"
    assert make(**ORG, tier="advanced", role="management").account_id == "111111111111"
    assert make(**ORG, tier="advanced", role="member").account_id is None


def test_resolving_detection_regions_validates_them() -> None:
    s = make()
    assert s.with_detection_regions(("us-east-1", "ap-northeast-1")).regions == (
        "ap-northeast-1",
        "us-east-1",
    )
    with pytest.raises(ValueError, match="must include the home region"):
        s.with_detection_regions(("us-east-1",))
    with pytest.raises(RuntimeError, match="not resolved"):
        _ = s.regions


def test_section_reads_known_and_rejects_unknown_names() -> None:
    s = make(bastion={"enabled": True})
    assert s.section("bastion")["enabled"] is True
    assert dict(s.section("patching")) == {}
    with pytest.raises(KeyError):
        s.section("nope")


def test_empty_declared_defaults_mean_unset() -> None:
    """Pulumi.yaml declares these keys with "" / [] defaults; the CLI fills them in."""
    empty = make(detectionRegions=[], allowedRegions=[], organizationId="")
    assert empty == make()


def test_every_section_has_its_arguments_class() -> None:
    from secbaseline.baseline.settings import SECTION_KEYS
    from secbaseline.stacks.sections import SECTION_ARGS

    assert set(SECTION_ARGS) == SECTION_KEYS


@pytest.mark.parametrize(
    ("config", "message"),
    [
        # beginner stack: the intermediate tier's sections are checked all the same
        ({"securityHub": {"standardz": []}}, "securityHub.standardz: unknown option"),
        (
            {"configRules": {"rulez": {}}},
            "configRules.rulez: unknown option; did you mean 'rules'?",
        ),
        # advanced tier's sections too
        ({"guardrails": {"adminRoles": []}}, "guardrails.adminRoles: unknown option"),
    ],
)
def test_sections_of_other_tiers_are_checked(config: dict[str, Any], message: str) -> None:
    from secbaseline.baseline.plan import plan_config

    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("?", r"\?")):
        plan_config({"homeRegion": "ap-northeast-1", "tier": "beginner", **config}, stack="t")
