"""The offline engine records what a real preview would send, and fails loudly."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws
import pytest

from secbaseline.baseline.engine import SECRET_PLACEHOLDER, OfflineEngineError, Plan
from secbaseline.baseline.fakes import UnansweredInvokeError


class _Widget(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secbaseline:index:Widget", name, None, opts)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            region="eu-west-1",
            tags={"secret": pulumi.Output.secret("hidden")},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


def test_records_components_parents_providers_and_camelcase_inputs(
    run_program: Callable[..., Plan],
) -> None:
    def program() -> None:
        provider = aws.Provider("acct", region="us-east-1")
        _Widget("w", opts=pulumi.ResourceOptions(provider=provider))
        aws.s3.Bucket("loose")

    plan = run_program(program)
    component = plan.one("secbaseline:index:Widget")
    assert component.custom is False
    assert component.parent == "urn:pulumi:test::test::pulumi:pulumi:Stack::test-test"
    assert component.urn == "urn:pulumi:test::test::secbaseline:index:Widget::w"

    versioning = plan.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.parent == component.urn
    assert versioning.urn.endswith(
        "secbaseline:index:Widget$aws:s3/bucketVersioning:BucketVersioning::w-versioning"
    )
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert versioning.provider is not None
    assert versioning.provider.startswith("urn:pulumi:test::test::pulumi:providers:aws::acct::")

    bucket = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "w-bucket")
    # The fabricated bucket name flows into the dependent's input.
    assert versioning.inputs["bucket"] == bucket.id
    assert bucket.inputs["tags"]["secret"] == SECRET_PLACEHOLDER
    assert plan.region_of(bucket) == "eu-west-1"
    assert plan.region_of(versioning) == "us-east-1"  # from the provider

    loose = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "loose")
    assert loose.provider is not None and "pulumi:providers:aws::default_" in loose.provider
    assert plan.resources[0].type == "pulumi:pulumi:Stack"


def test_invokes_are_answered_from_the_context(run_program: Callable[..., Plan]) -> None:
    seen: dict[str, object] = {}

    def program() -> None:
        seen["account"] = aws.get_caller_identity().account_id
        seen["regions"] = aws.get_regions().names
        seen["azs"] = aws.get_availability_zones(region="eu-west-1").names
        seen["ami"] = aws.ssm.get_parameter(
            name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        ).value

    run_program(program, account_id="123456789012", enabled_regions=("eu-west-1", "us-east-1"))
    assert seen["account"] == "123456789012"
    assert seen["regions"] == ["eu-west-1", "us-east-1"]
    assert seen["azs"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert str(seen["ami"]).startswith("ami-")


def test_unknown_invoke_fails_naming_the_token(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        aws.ec2.get_vpc(default=True)

    with pytest.raises(UnansweredInvokeError, match="aws:ec2/getVpc:getVpc"):
        run_program(program)


def test_unknown_ssm_parameter_fails(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        aws.ssm.get_parameter(name="/my/app/secret")

    with pytest.raises(UnansweredInvokeError, match="/my/app/secret"):
        run_program(program)


def test_program_errors_surface(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        raise RuntimeError("boom")

    with pytest.raises(OfflineEngineError, match="boom"):
        run_program(program)


def test_runs_do_not_leak_into_each_other(run_program: Callable[..., Plan]) -> None:
    first = run_program(lambda: aws.s3.Bucket("one"))
    second = run_program(lambda: aws.s3.Bucket("two"))
    assert [r.name for r in first.of_type("aws:s3/bucket:Bucket")] == ["one"]
    assert [r.name for r in second.of_type("aws:s3/bucket:Bucket")] == ["two"]


def test_outputs_resolve_to_plausible_arns(run_program: Callable[..., Plan]) -> None:
    got: dict[str, str] = {}

    def program() -> pulumi.Output[None]:
        role = aws.iam.Role("r", assume_role_policy="{}")
        topic = aws.sns.Topic("t", region="eu-west-1")
        return pulumi.Output.all(role.arn, topic.arn).apply(
            lambda arns: got.update(role=arns[0], topic=arns[1])
        )

    run_program(program, account_id="123456789012")
    assert got["role"].startswith("arn:aws:iam::123456789012:role/r-")
    assert got["topic"].startswith("arn:aws:sns:eu-west-1:123456789012:t-")


def test_asset_paths_inside_the_repository_are_relative(run_program: Callable[..., Plan]) -> None:
    from pathlib import Path

    handler = Path(__file__).resolve().parent.parent / "components" / "__init__.py"

    def program() -> None:
        aws.lambda_.Function(
            "f",
            role="arn:aws:iam::111111111111:role/r",
            runtime="python3.13",
            handler="h.handler",
            code=pulumi.AssetArchive({"h.py": pulumi.FileAsset(str(handler))}),
        )

    plan = run_program(program)
    code = plan.one("aws:lambda/function:Function").inputs["code"]
    assert code["assets"]["h.py"]["path"] == "components/__init__.py"


def test_nested_component_urns_carry_the_whole_parent_type_chain(
    run_program: Callable[..., Plan],
) -> None:
    """Pulumi builds a child's type from its parent's full qualified type, as stack export shows."""

    class Outer(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("secbaseline:index:Outer", name, None, None)
            _Widget(f"{name}-inner", opts=pulumi.ResourceOptions(parent=self))
            self.register_outputs({})

    plan = run_program(lambda: Outer("o"))
    bucket = plan.one("aws:s3/bucket:Bucket")
    assert bucket.urn == (
        "urn:pulumi:test::test::secbaseline:index:Outer$secbaseline:index:Widget"
        "$aws:s3/bucket:Bucket::o-inner-bucket"
    )
    assert plan.by_urn(bucket.parent or "").type == "secbaseline:index:Widget"
