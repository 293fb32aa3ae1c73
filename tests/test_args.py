"""Declared arguments (secbaseline.baseline.args): validation now and on resolve, names, schema."""

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline import validate
from secbaseline.baseline.args import ArgumentError, ComponentArgs, arg, component_args
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.baseline.schema import package_schema


class Colour(StrEnum):
    """A colour."""

    RED = "RED"
    BLUE = "BLUE"


@component_args
class Inner(ComponentArgs):
    """Nested options."""

    colour: Colour = Colour.RED
    """The colour."""
    days: int = arg(default=30, ge=1, le=365)
    """Days, 1-365."""


@component_args
class ExampleArgs(ComponentArgs):
    """Arguments of the example component."""

    vpc_id: pulumi.Input[str] = arg(check=validate.vpc_id)
    """The VPC."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = arg(
        default_factory=list, each=validate.subnet_id
    )
    """Subnets."""
    inner: Inner | None = None
    """Nested options."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags."""
    use_default_key: bool = False
    """Use the AWS managed key."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """A key."""

    def __post_init__(self) -> None:
        if self.use_default_key and self.kms_key_arn is not None:
            raise ValueError("use_default_key: cannot be combined with kms_key_arn")


class Example(pulumi.ComponentResource):
    """An example component."""

    vpc_id: pulumi.Output[str]
    """The VPC it was given."""

    def __init__(
        self, name: str, args: ExampleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = ExampleArgs.coerce(args)
        super().__init__("secbaseline:index:Example", name, None, opts)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id, opts=pulumi.ResourceOptions(parent=self)
        )
        self.vpc_id = group.vpc_id
        self.register_outputs({"vpcId": self.vpc_id})


VPC = "vpc-0123456789abcdef0"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "vpc_id: required"),
        ({"vpc_id": 3}, "vpc_id: expected a valid string, got 3"),
        ({"vpc_id": "vpc-x"}, "vpc_id: 'vpc-x' is not a vpc id (vpc- and 8 or 17 hex digits)"),
        ({"vpc_id": "vpc-01234567\n"}, "vpc_id: 'vpc-01234567\\n' is not a vpc id"),
        ({"vpc_id": VPC, "subnet_ids": ["x"]}, "subnet_ids[0]: 'x' is not a subnet id"),
        ({"vpc_id": VPC, "inner": {"days": 0}}, "inner.days: 0 is out of range 1-365"),
        (
            {"vpc_id": VPC, "inner": {"colour": "GREEN"}},
            "inner.colour: expected 'RED' or 'BLUE', got 'GREEN'",
        ),
        ({"vpc_id": VPC, "tagz": {}}, "tagz: unknown option; did you mean 'tags'?"),
        (
            {"vpc_id": VPC, "use_default_key": True, "kms_key_arn": "arn:aws:kms:::key/x"},
            "use_default_key: cannot be combined with kms_key_arn",
        ),
        (
            {"vpc_id": VPC, "tags": 5},
            "tags: expected a valid dictionary, got 5",
        ),
    ],
)
def test_python_callers_see_python_names(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ExampleArgs(**kwargs)  # type: ignore[arg-type]
    assert str(err.value).startswith(message)
    assert "object at 0x" not in str(err.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "net.vpcId: required"),
        ({"vpcId": "vpc-x"}, "net.vpcId: 'vpc-x' is not a vpc id"),
        ({"vpcId": VPC, "subnetIds": ["x"]}, "net.subnetIds[0]: 'x' is not a subnet id"),
        ({"vpcId": VPC, "inner": {"dayz": 3}}, "net.inner.dayz: unknown option; did you mean"),
        (
            {"vpcId": VPC, "useDefaultKey": True, "kmsKeyArn": "arn:aws:kms:::key/x"},
            "net.useDefaultKey: cannot be combined with kmsKeyArn",
        ),
        ({"vpcid": VPC}, "net.vpcId: required; net.vpcid: unknown option; did you mean 'vpcId'?"),
        (["x"], "net: expected a mapping of options, got a list"),
    ],
)
def test_stack_config_sees_config_keys(raw: object, message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ExampleArgs.from_config("net", raw)  # type: ignore[arg-type]
    assert str(err.value).startswith(message)


def test_config_parses_text_numbers_and_nested_objects() -> None:
    args = ExampleArgs.from_config("net", {"vpcId": VPC, "inner": {"colour": "BLUE", "days": "7"}})
    assert args.inner == Inner(colour=Colour.BLUE, days=7)
    assert ExampleArgs.from_config("net", {"vpcId": VPC}, tags={"a": "b"}).tags == {"a": "b"}


def test_check_keys_refuses_unknown_keys_of_a_disabled_section() -> None:
    ExampleArgs.check_keys("net", {"enabled": False, "vpcId": ""}, extra=("enabled",))
    with pytest.raises(ArgumentError, match=r"^net.colour: unknown option; allowed: vpcId, "):
        ExampleArgs.check_keys("net", {"enabled": False, "colour": 1}, extra=("enabled",))


def test_coerce_takes_the_component_providers_mapping() -> None:
    assert ExampleArgs.coerce({"vpc_id": VPC}) == ExampleArgs(vpc_id=VPC)
    with pytest.raises(ArgumentError, match=r"^args: expected ExampleArgs, got 5$"):
        ExampleArgs.coerce(5)  # type: ignore[arg-type]


def test_outputs_are_checked_when_they_resolve(run_program: Callable[..., Plan]) -> None:
    def good() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        Example("ex", ExampleArgs(vpc_id=vpc.id))

    plan = run_program(good)
    vpc = plan.one("aws:ec2/vpc:Vpc")
    assert plan.one("aws:ec2/securityGroup:SecurityGroup").inputs["vpcId"] == vpc.id

    def bad() -> None:
        topic = aws.sns.Topic("t")
        Example("ex", ExampleArgs(vpc_id=topic.arn))

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(bad)
    assert "vpc_id: 'arn:aws:sns:" in str(err.value)
    assert "is not a vpc id" in str(err.value)


def test_pulumi_analyzer_reads_the_declaration() -> None:
    schema = package_schema([Example])
    resource = schema["resources"]["secbaseline:index:Example"]
    assert resource["requiredInputs"] == ["vpcId"]
    assert resource["inputProperties"]["vpcId"] == {"type": "string", "description": "The VPC."}
    assert resource["inputProperties"]["subnetIds"]["items"]["type"] == "string"
    assert "subnetIds" not in resource["requiredInputs"]  # a default makes it optional
    inner = schema["types"]["secbaseline:index:Inner"]["properties"]
    assert inner["days"]["description"] == "Days, 1-365."
    colours = schema["types"]["secbaseline:index:Colour"]["enum"]
    assert [c["value"] for c in colours] == ["RED", "BLUE"]
    assert resource["properties"]["vpcId"]["type"] == "string"
