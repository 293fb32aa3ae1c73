"""AccountHardening (S-03, S-09): account defaults in every region, validated inputs."""

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.baseline.plan import plan_config
from secbaseline.baseline.regions import DEFAULT_ENABLED_REGIONS
from secbaseline.baseline.schema import package_schema
from secbaseline.components import AccountHardening, AccountHardeningArgs, PasswordPolicy
from secbaseline.components.account_hardening import SUPPORT_POLICY_ARN, DefaultVpcAction
from tests.conftest import BASE_CONFIG
from tests.tagging import untagged

BASE_REGIONS = BASE_CONFIG["detectionRegions"]

REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")
ACCOUNT = "123456789012"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SNAPSHOT_BPA = "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"
IMAGE_BPA = "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess"
SSM_SETTING = "aws:ssm/serviceSetting:ServiceSetting"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


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
    plan = build(run_program, ebs_kms_key_arns={"eu-west-1": KEY})
    keys = plan.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey")
    assert [(r.inputs["region"], r.inputs["keyArn"]) for r in keys] == [("eu-west-1", KEY)]
    # The only keys it creates encrypt the default VPCs' flow logs.
    flow_log_keys = plan.of_type("aws:kms/key:Key")
    assert all("-default-vpc-flow-logs-" in r.name for r in flow_log_keys)
    assert plan.of_type("aws:kms/key:Key") != []
    plan = build(run_program, ebs_kms_key_arns={"eu-west-1": KEY}, default_vpc="keep")
    assert plan.of_type("aws:kms/key:Key") == []


def test_opt_outs_are_explicit(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, block_public_access=False, manage_password_policy=False)
    assert plan.of_type("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock") == []
    assert plan.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ()}, "regions: must name at least one region"),
        ({"regions": ("moon-1",)}, "regions: unknown AWS region 'moon-1'"),
        ({"regions": ("us-east-1", "us-east-1")}, "regions: region 'us-east-1' is listed twice"),
        ({"regions": "us-east-1"}, "regions: 'str' instances are not allowed"),
        ({"imds_hop_limit": 0}, "imds_hop_limit: 0 is out of range 1-64"),
        ({"imds_hop_limit": 65}, "imds_hop_limit: 65 is out of range 1-64"),
        (
            {"ebs_kms_key_arns": {"eu-west-1": "not-an-arn"}},
            "ebs_kms_key_arns[eu-west-1]: 'not-an-arn' is not an ARN",
        ),
        (
            {"ebs_kms_key_arns": {"eu-west-1": "arn:aws:sns:eu-west-1:123456789012:t"}},
            "ebs_kms_key_arns[eu-west-1]: 'arn:aws:sns:eu-west-1:123456789012:t' is not an ARN "
            "of service 'kms'",
        ),
        (
            {"ebs_kms_key_arns": {"eu-west-1": "arn:aws:kms:us-east-1:123456789012:key/x"}},
            "ebs_kms_key_arns[eu-west-1]: key arn:aws:kms:us-east-1:123456789012:key/x is in "
            "another region",
        ),
        (
            {"ebs_kms_key_arns": {"moon-1": "arn:aws:kms:moon-1:123456789012:key/x"}},
            "ebs_kms_key_arns[moon-1]: unknown AWS region 'moon-1'",
        ),
        (
            {"ebs_kms_key_arns": {"sa-east-1": "arn:aws:kms:sa-east-1:123456789012:key/x"}},
            "ebs_kms_key_arns: sa-east-1 is not one of the regions",
        ),
        (
            {"block_public_access": "maybe"},
            "block_public_access: expected a valid boolean",
        ),
        (
            {"manage_password_policy": "maybe"},
            "manage_password_policy: expected a valid boolean",
        ),
        (
            {"password_policy": {"minimum_length": 6}},
            "password_policy.minimum_length: 6 is out of range 8-128",
        ),
        ({"colour": "red"}, "colour: unknown option"),
        ({"default_vpc": "remove"}, "default_vpc: expected 'harden', 'delete' or 'keep'"),
        (
            {"default_vpc_regions": {"us-east-1": "gone"}},
            "default_vpc_regions.us-east-1: expected 'harden', 'delete' or 'keep'",
        ),
        (
            {"default_vpc_regions": {"moon-1": "keep"}},
            "default_vpc_regions[moon-1]: unknown AWS region 'moon-1'",
        ),
        (
            {"default_vpc_regions": {"sa-east-1": "keep"}},
            "default_vpc_regions: sa-east-1 is not one of the regions",
        ),
        (
            {"flow_log_retention_days": 10},
            "flow_log_retention_days: 10 is not a CloudWatch Logs retention",
        ),
        ({"support_role": "maybe"}, "support_role: expected a valid boolean"),
        ({"block_public_snapshots": "maybe"}, "block_public_snapshots: expected a valid boolean"),
        ({"block_public_images": "maybe"}, "block_public_images: expected a valid boolean"),
        ({"block_public_documents": "maybe"}, "block_public_documents: expected a valid boolean"),
        ({"account_id": "12345"}, "account_id: '12345' is not a 12-digit AWS account id"),
        ({"name_prefix": "Bad Prefix"}, "name_prefix: 'Bad Prefix' must be"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x' must be"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        AccountHardeningArgs(**{"regions": REGIONS, **kwargs})
    assert str(err.value).startswith(message)
    assert "object at 0x" not in str(err.value)


def test_regions_are_required() -> None:
    with pytest.raises(ArgumentError, match=r"^regions: required"):
        AccountHardeningArgs()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minimum_length": 6}, "minimum_length: 6 is out of range 8-128"),
        ({"minimum_length": 129}, "minimum_length: 129 is out of range 8-128"),
        ({"reuse_prevention": 25}, "reuse_prevention: 25 is out of range 1-24"),
        ({"reuse_prevention": 0}, "reuse_prevention: 0 is out of range 1-24"),
        ({"max_age_days": 0}, "max_age_days: 0 is out of range 1-1095"),
        ({"max_age_days": 1096}, "max_age_days: 1096 is out of range 1-1095"),
    ],
)
def test_bad_password_policy(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        PasswordPolicy(**kwargs)
    assert str(err.value) == message


def test_password_policy_options_reach_the_resource(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        password_policy=PasswordPolicy(minimum_length=20, reuse_prevention=5, max_age_days=90),
    )
    policy = plan.one("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    assert policy.inputs["minimumPasswordLength"] == 20
    assert policy.inputs["passwordReusePrevention"] == 5
    assert policy.inputs["maxPasswordAge"] == 90
    plan = build(run_program, imds_hop_limit=2)
    imds = plan.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert {r.inputs["httpPutResponseHopLimit"] for r in imds} == {2}


def test_from_config_reads_the_section() -> None:
    args = AccountHardeningArgs.from_config(
        "accountHardening",
        {
            "imdsHopLimit": "2",
            "passwordPolicy": {"maxAgeDays": 90},
            "blockPublicAccess": False,
            "ebsKmsKeyArns": {"eu-west-1": KEY},
        },
        regions=REGIONS,
    )
    assert args.imds_hop_limit == 2
    assert args.password_policy == PasswordPolicy(max_age_days=90)
    assert args.block_public_access is False
    assert args.ebs_kms_key_arns == {"eu-west-1": KEY}
    assert args.regions == REGIONS


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"imdsv1": True}, "accountHardening.imdsv1: unknown option; allowed: "),
        ({"imdsHopLimt": 2}, "accountHardening.imdsHopLimt: unknown option; did you mean"),
        ({"imdsHopLimit": "two"}, "accountHardening.imdsHopLimit: expected a valid integer"),
        ({"imdsHopLimit": 0}, "accountHardening.imdsHopLimit: 0 is out of range 1-64"),
        (
            {"passwordPolicy": {"maxAgeDays": 0}},
            "accountHardening.passwordPolicy.maxAgeDays: 0 is out of range 1-1095",
        ),
        (
            {"passwordPolicy": {"minimumLength": 6}},
            "accountHardening.passwordPolicy.minimumLength: 6 is out of range 8-128",
        ),
        (
            {"passwordPolicy": {"length": 16}},
            "accountHardening.passwordPolicy.length: unknown option",
        ),
        (
            {"ebsKmsKeyArns": {"eu-west-1": "arn:aws:kms:us-east-1:123456789012:key/x"}},
            "accountHardening.ebsKmsKeyArns[eu-west-1]: key arn:aws:kms:us-east-1:123456789012:"
            "key/x is in another region",
        ),
        (
            {"ebsKmsKeyArns": {"sa-east-1": "arn:aws:kms:sa-east-1:123456789012:key/x"}},
            "accountHardening.ebsKmsKeyArns: sa-east-1 is not one of the regions",
        ),
        (
            {"ebsKmsKeyArns": ["x"]},
            "accountHardening.ebsKmsKeyArns: expected a valid dictionary, got a list",
        ),
        (
            {"blockPublicAccess": "maybe"},
            "accountHardening.blockPublicAccess: expected a valid boolean",
        ),
        (
            {"managePasswordPolicy": "maybe"},
            "accountHardening.managePasswordPolicy: expected a valid boolean",
        ),
        ([], "accountHardening: expected a mapping of options, got a list"),
    ],
)
def test_bad_config_names_the_config_key(section: Any, message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        AccountHardeningArgs.from_config("accountHardening", section, regions=REGIONS)
    assert str(err.value).startswith(message)


def test_a_key_built_in_the_same_program_is_wired_in(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        key = aws.kms.Key("ebs", region="eu-west-1")
        AccountHardening(
            "hardening",
            AccountHardeningArgs(regions=REGIONS, ebs_kms_key_arns={"eu-west-1": key.arn}),
        )

    plan = run_program(program)
    key = next(r for r in plan.of_type("aws:kms/key:Key") if r.name == "ebs")
    default = plan.one("aws:ebs/defaultKmsKey:DefaultKmsKey")
    assert default.inputs["region"] == "eu-west-1"
    assert default.inputs["keyArn"] == key.outputs["arn"]
    assert key.outputs["arn"].startswith("arn:aws:kms:eu-west-1:")


def test_a_key_output_in_another_region_fails_naming_the_argument(
    run_program: Callable[..., Plan],
) -> None:
    def program() -> None:
        key = aws.kms.Key("ebs", region="us-east-1")
        AccountHardening(
            "hardening",
            AccountHardeningArgs(regions=REGIONS, ebs_kms_key_arns={"eu-west-1": key.arn}),
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert "ebs_kms_key_arns[eu-west-1]: key arn:aws:kms:us-east-1:" in str(err.value)
    assert "is in another region" in str(err.value)

    def not_a_key() -> None:
        topic = aws.sns.Topic("t", region="eu-west-1")
        AccountHardening(
            "hardening",
            AccountHardeningArgs(regions=REGIONS, ebs_kms_key_arns={"eu-west-1": topic.arn}),
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(not_a_key)
    assert "ebs_kms_key_arns[eu-west-1]: 'arn:aws:sns:eu-west-1:" in str(err.value)


def test_coerce_takes_a_mapping(run_program: Callable[..., Plan]) -> None:
    """The component provider (other Pulumi languages) passes the arguments as a mapping."""
    plan = run_program(
        lambda: AccountHardening(
            "hardening",
            {"regions": ["us-east-1"], "password_policy": {"minimum_length": 16}},  # type: ignore[arg-type]
        )
    )
    policy = plan.one("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    assert policy.inputs["minimumPasswordLength"] == 16


def test_tier_refuses_regions_in_the_section(plan_tier: Callable[..., Plan]) -> None:
    with pytest.raises(ValueError, match=r"accountHardening\.regions: set by the tier"):
        plan_tier(tier="beginner", accountHardening={"regions": ["us-east-1"]})


def test_tier_reads_the_section(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(
        tier="beginner", accountHardening={"imdsHopLimit": 2, "managePasswordPolicy": False}
    )
    imds = plan.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert {r.inputs["httpPutResponseHopLimit"] for r in imds} == {2}
    assert plan.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy") == []
    with pytest.raises(ValueError, match=r"accountHardening\.imdsHopLimit: 0 is out of range"):
        plan_tier(tier="beginner", accountHardening={"imdsHopLimit": 0})


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


def test_pulumi_analyzer_reads_the_component() -> None:
    """Other Pulumi languages get the component through the analyzer's schema."""
    schema = package_schema([AccountHardening])
    resource = schema["resources"]["secbaseline:index:AccountHardening"]
    assert resource["requiredInputs"] == ["regions"]
    keys = resource["inputProperties"]["ebsKmsKeyArns"]
    assert keys["additionalProperties"]["type"] == "string"
    assert "plain" not in keys["additionalProperties"]  # takes Outputs
    policy = schema["types"]["secbaseline:index:PasswordPolicy"]["properties"]
    assert policy["minimumLength"]["type"] == "integer"


def test_public_sharing_of_snapshots_images_and_documents_is_blocked_in_every_region(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, account_id=ACCOUNT)
    snapshots = plan.of_type(SNAPSHOT_BPA)
    assert sorted(r.inputs["region"] for r in snapshots) == list(REGIONS)
    assert {r.inputs["state"] for r in snapshots} == {"block-all-sharing"}
    images = plan.of_type(IMAGE_BPA)
    assert sorted(r.inputs["region"] for r in images) == list(REGIONS)
    assert {r.inputs["state"] for r in images} == {"block-new-sharing"}
    sharing = plan.of_type(SSM_SETTING)
    assert sorted(r.inputs["region"] for r in sharing) == list(REGIONS)
    for setting in sharing:
        region = setting.inputs["region"]
        assert setting.inputs["settingValue"] == "Disable"
        assert setting.inputs["settingId"] == (
            f"arn:aws:ssm:{region}:{ACCOUNT}:servicesetting/ssm/documents/console/"
            "public-sharing-permission"
        )
    plan = build(
        run_program,
        block_public_snapshots=False,
        block_public_images=False,
        block_public_documents=False,
    )
    assert plan.of_type(SNAPSHOT_BPA) == plan.of_type(IMAGE_BPA) == plan.of_type(SSM_SETTING) == []


def test_default_vpcs_are_hardened_by_default(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, account_id=ACCOUNT)
    vpcs = {r.inputs["region"]: r for r in plan.of_type(DEFAULT_VPC)}
    assert sorted(vpcs) == list(REGIONS)
    # Adopted, never deleted by the stack (force_destroy off).
    assert not any(r.inputs.get("forceDestroy") for r in vpcs.values())
    groups = {r.inputs["region"]: r for r in plan.of_type(DEFAULT_SG)}
    flow_logs = {r.inputs["region"]: r for r in plan.of_type(FLOW_LOG)}
    log_groups = {r.inputs["region"]: r for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    keys = {r.outputs["arn"]: r for r in plan.of_type("aws:kms/key:Key")}
    role = plan.one("aws:iam/rolePolicy:RolePolicy")
    delivery = next(r for r in plan.of_type("aws:iam/role:Role") if "flow-logs" in r.name)
    for region in REGIONS:
        assert groups[region].inputs["vpcId"] == vpcs[region].id
        assert groups[region].inputs["ingress"] == groups[region].inputs["egress"] == []
        flow_log = flow_logs[region]
        assert flow_log.inputs["vpcId"] == vpcs[region].id
        assert flow_log.inputs["trafficType"] == "ALL"
        assert flow_log.inputs["logDestination"] == log_groups[region].outputs["arn"]
        assert flow_log.inputs["iamRoleArn"] == delivery.outputs["arn"]
        key = keys[log_groups[region].inputs["kmsKeyId"]]
        assert key.inputs["region"] == region
        assert log_groups[region].inputs["retentionInDays"] == 365
        assert log_groups[region].inputs["name"] == "/secbaseline/vpc-flow-logs/default-vpc"
    # One delivery role for every region, allowed to write to these groups only.
    trust = json.loads(delivery.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:ec2:*:{ACCOUNT}:vpc-flow-log/*"
    )
    statements = json.loads(role.inputs["policy"])["Statement"]
    write = next(s for s in statements if s["Sid"] == "WriteFlowLogs")
    assert sorted(write["Resource"]) == sorted(f"{g.outputs['arn']}:*" for g in log_groups.values())


def test_default_vpc_per_region_choice(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        default_vpc="keep",
        default_vpc_regions={"eu-west-1": "harden", "us-east-1": "delete"},
        flow_log_retention_days=90,
    )
    assert [r.inputs["region"] for r in plan.of_type(DEFAULT_VPC)] == ["eu-west-1"]
    assert [r.inputs["region"] for r in plan.of_type(DEFAULT_SG)] == ["eu-west-1"]
    assert [r.inputs["region"] for r in plan.of_type(FLOW_LOG)] == ["eu-west-1"]
    group = plan.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["retentionInDays"] == 90
    # A single region: the delivery role trusts flow logs of that region only.
    delivery = next(r for r in plan.of_type("aws:iam/role:Role") if "flow-logs" in r.name)
    condition = json.loads(delivery.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert condition["ArnLike"]["aws:SourceArn"].startswith("arn:aws:ec2:eu-west-1:")
    args = AccountHardeningArgs(
        regions=REGIONS, default_vpc="delete", default_vpc_regions={"eu-west-1": "keep"}
    )
    assert [args.default_vpc_action(r) for r in REGIONS] == [
        DefaultVpcAction.DELETE,
        DefaultVpcAction.KEEP,
        DefaultVpcAction.DELETE,
    ]
    plan = build(run_program, default_vpc="delete", support_role=False)
    for kind in (DEFAULT_VPC, DEFAULT_SG, FLOW_LOG, "aws:iam/role:Role", "aws:kms/key:Key"):
        assert plan.of_type(kind) == []


def test_support_role_for_iam_18(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, account_id=ACCOUNT, name_prefix="acme", default_vpc="keep")
    role = plan.one("aws:iam/role:Role")
    assert role.inputs["name"] == "acme-aws-support"
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
        }
    ]
    attachment = plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == SUPPORT_POLICY_ARN
    assert SUPPORT_POLICY_ARN == "arn:aws:iam::aws:policy/AWSSupportAccess"
    assert attachment.inputs["role"] == role.outputs["name"]
    plan = build(run_program, support_role=False, default_vpc="keep")
    assert plan.of_type("aws:iam/role:Role") == []
    assert plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "platform"})
    assert {r.type for r in plan.custom_resources()} >= {DEFAULT_VPC, DEFAULT_SG, FLOW_LOG}
    assert untagged(plan, {"team": "platform", "secbaseline:component": "AccountHardening"}) == []


def test_tier_hardens_the_account_with_the_stack_settings(plan_tier: Callable[..., Plan]) -> None:
    plan = plan_tier(tier="beginner")
    regions = sorted(BASE_REGIONS)
    assert sorted(r.inputs["region"] for r in plan.of_type(DEFAULT_VPC)) == regions
    assert sorted(r.inputs["region"] for r in plan.of_type(SNAPSHOT_BPA)) == regions
    assert sorted(r.inputs["region"] for r in plan.of_type(IMAGE_BPA)) == regions
    support = next(
        r
        for r in plan.of_type("aws:iam/role:Role")
        if r.inputs.get("name") == "secbaseline-aws-support"
    )
    trust = json.loads(support.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"]["AWS"].endswith(":root")
    plan = plan_tier(
        tier="beginner",
        accountHardening={"defaultVpc": "keep", "defaultVpcRegions": {"us-east-1": "harden"}},
    )
    assert [r.inputs["region"] for r in plan.of_type(DEFAULT_VPC)] == ["us-east-1"]
    for key, value in (("accountId", "123456789012"), ("namePrefix", "acme")):
        with pytest.raises(ValueError, match=rf"accountHardening\.{key}: set by the tier"):
            plan_tier(tier="beginner", accountHardening={key: value})
    with pytest.raises(ValueError, match=r"accountHardening\.defaultVpc: expected 'harden'"):
        plan_tier(tier="beginner", accountHardening={"defaultVpc": "drop"})
