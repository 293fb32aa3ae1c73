"""AccountHardening (S-03, S-09): account defaults in every region, validated inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.baseline.plan import plan_config
from secbaseline.baseline.regions import DEFAULT_ENABLED_REGIONS
from secbaseline.components import AccountHardening, AccountHardeningArgs, PasswordPolicy

REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        AccountHardening("hardening", AccountHardeningArgs(regions=REGIONS, **kwargs))

    return run_program(program)


def test_defaults_block_public_access_and_require_imdsv2_everywhere(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program)
    pab = plan.one("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")
    assert pab.inputs == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    imds = plan.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert sorted(r.inputs["region"] for r in imds) == list(REGIONS)
    for r in imds:
        assert r.inputs["httpTokens"] == "required"
        assert r.inputs["httpPutResponseHopLimit"] == 1
    ebs = plan.of_type("aws:ebs/encryptionByDefault:EncryptionByDefault")
    assert sorted(r.inputs["region"] for r in ebs) == list(REGIONS)
    assert all(r.inputs["enabled"] is True for r in ebs)
    assert plan.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey") == []
    policy = plan.one("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    assert policy.inputs["minimumPasswordLength"] == 14
    assert policy.inputs["passwordReusePrevention"] == 24
    assert "maxPasswordAge" not in policy.inputs
    component = plan.one("secbaseline:index:AccountHardening")
    assert all(r.parent == component.urn for r in plan.custom_resources())


def test_customer_key_per_region(run_program: Callable[..., Plan]) -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    plan = build(run_program, ebs_kms_key_arns={"eu-west-1": key})
    keys = plan.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey")
    assert [(r.inputs["region"], r.inputs["keyArn"]) for r in keys] == [("eu-west-1", key)]


def test_opt_outs_are_explicit(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, block_public_access=False, manage_password_policy=False)
    assert plan.of_type("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock") == []
    assert plan.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ()}, "accountHardening.regions: must name at least one region"),
        ({"regions": ("moon-1",)}, "accountHardening.regions: unknown AWS region 'moon-1'"),
        ({"imds_hop_limit": 0}, "accountHardening.imdsHopLimit: 0 is out of range 1-64"),
        (
            {"ebs_kms_key_arns": {"eu-west-1": "not-an-arn"}},
            "accountHardening.ebsKmsKeyArns[eu-west-1]: 'not-an-arn' is not an ARN",
        ),
        (
            {"ebs_kms_key_arns": {"eu-west-1": "arn:aws:kms:us-east-1:123456789012:key/x"}},
            "accountHardening.ebsKmsKeyArns[eu-west-1]: key arn:aws:kms:us-east-1:123456789012:key/x is in another region",
        ),
        (
            {"ebs_kms_key_arns": {"sa-east-1": "arn:aws:kms:sa-east-1:123456789012:key/x"}},
            "accountHardening.ebsKmsKeyArns: sa-east-1 is not one of the regions",
        ),
        (
            {"block_public_access": "no"},
            "accountHardening.blockPublicAccess: expected true or false",
        ),
    ],
)
def test_bad_args_raise_naming_the_field(kwargs: dict[str, Any], message: str) -> None:
    args = AccountHardeningArgs(**{"regions": REGIONS, **kwargs})
    with pytest.raises(ValueError) as err:
        args.validate()
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minimum_length": 6}, "passwordPolicy.minimumLength: 6 is out of range 8-128"),
        ({"reuse_prevention": 25}, "passwordPolicy.reusePrevention: 25 is out of range 1-24"),
        ({"max_age_days": 0}, "passwordPolicy.maxAgeDays: 0 is out of range 1-1095"),
    ],
)
def test_bad_password_policy(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        PasswordPolicy(**kwargs)


def test_from_config_reads_the_section_and_rejects_unknown_options() -> None:
    args = AccountHardeningArgs.from_config(
        {"imdsHopLimit": 2, "passwordPolicy": {"maxAgeDays": 90}}
    )
    assert args.imds_hop_limit == 2
    assert args.password_policy.max_age_days == 90
    with pytest.raises(ValueError, match=r"^accountHardening.imdsv1: unknown option"):
        AccountHardeningArgs.from_config({"imdsv1": True})
    with pytest.raises(
        ValueError, match=r"^accountHardening.imdsHopLimit: 'two' is not an integer"
    ):
        AccountHardeningArgs.from_config({"imdsHopLimit": "two"})


def test_tier_deploys_hardening_in_every_detection_region(plan_tier: Callable[..., Plan]) -> None:
    regions = ["ap-northeast-1", "ap-southeast-2", "eu-central-1", "us-east-1"]
    plan = plan_tier(tier="beginner", detectionRegions=regions)
    imds = plan.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert sorted(r.inputs["region"] for r in imds) == regions
    # One provider for the account: every regional resource names its region itself.
    providers = [r for r in plan.resources if r.type == "pulumi:providers:aws"]
    assert len(providers) == 1


def test_default_detection_regions_are_the_enabled_regions() -> None:
    plan = plan_config({"homeRegion": "ap-northeast-1"}, stack="t")
    imds = plan.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert sorted(r.inputs["region"] for r in imds) == sorted(DEFAULT_ENABLED_REGIONS)
    assert plan.settings is not None
    assert plan.settings["detectionRegions"] == sorted(DEFAULT_ENABLED_REGIONS)
