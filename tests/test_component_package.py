"""The component package: Pulumi's analyzer reads every exported component, the committed
schema.json matches, and the provider builds components from what other languages send."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline import docs
from secbaseline.baseline.engine import Plan
from secbaseline.baseline.schema import (
    PACKAGE_NAME,
    BaselineProvider,
    exported_components,
    package_schema,
)


def _portable(schema: dict[str, Any]) -> str:
    """The schema text without pulumi-aws's exact version (it follows the installed one)."""
    text = json.dumps(schema, indent=2, sort_keys=True)
    return re.sub(r'(/aws/v|"version": ")7\.\d+\.\d+', r"\g<1>7.x", text)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return package_schema()


def test_every_exported_component_is_in_the_schema(schema: dict[str, Any]) -> None:
    names = {c.__name__ for c in exported_components()}
    assert len(names) == 30
    assert set(schema["resources"]) == {f"{PACKAGE_NAME}:index:{n}" for n in names}
    for token, resource in schema["resources"].items():
        assert resource["isComponent"] is True, token
        assert resource.get("description"), f"{token} has no description"
        for name, prop in resource.get("inputProperties", {}).items():
            assert prop.get("description"), f"{token}.{name} has no docstring"


def test_committed_schema_is_current(schema: dict[str, Any]) -> None:
    committed = json.loads(docs.SCHEMA_FILE.read_text(encoding="utf-8"))
    assert _portable(committed) == _portable(schema), "schema.json is stale: run `make docs`"


def test_generated_docs_tables_are_current() -> None:
    stale = [p.name for p in docs.stale_files() if p != docs.SCHEMA_FILE]
    assert stale == [], f"run `make docs`: {stale}"


def test_the_provider_reports_the_schema() -> None:
    provider = BaselineProvider(exported_components(), "9.9.9")
    served = json.loads(provider.schema or "{}")
    assert served["version"] == "9.9.9"
    assert set(served["resources"]) == set(package_schema()["resources"])


def test_the_provider_builds_a_component_from_schema_inputs(
    run_program: Callable[..., Plan],
) -> None:
    provider = BaselineProvider(exported_components(), "0.0.0")
    key = "arn:aws:kms:us-east-1:111111111111:key/abc"
    state: dict[str, Any] = {}

    def program() -> None:
        result = provider.construct(
            "uploads",
            f"{PACKAGE_NAME}:index:SecureBucket",
            {"kmsKeyArn": key, "objectLock": {"mode": "COMPLIANCE", "days": 7}, "tags": {"a": "b"}},
        )
        state.update(result.state)

    plan = run_program(program)
    lock = plan.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 7}}
    sse = next(r for r in plan.resources if r.name == "uploads-encryption")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key
    assert plan.of_type("aws:kms/key:Key") == []
    assert {"bucketName", "arn", "kmsKeyArn"} <= set(state)


def test_the_provider_reports_bad_inputs_by_name(run_program: Callable[..., Plan]) -> None:
    provider = BaselineProvider(exported_components(), "0.0.0")

    def program() -> None:
        provider.construct("uploads", f"{PACKAGE_NAME}:index:SecureBucket", {"kmsKeyArn": "x"})

    with pytest.raises(Exception, match=r"kms_key_arn: 'x' is not an ARN"):
        run_program(program)


def test_every_public_class_is_exported() -> None:
    """``components/__init__.py`` is generated (``make docs``): nothing public is left out."""
    from secbaseline.baseline import exports

    assert exports.INIT_FILE.read_text(encoding="utf-8") == exports.render(), "run `make docs`"


def test_the_yaml_program_in_the_docs_uses_declared_inputs(
    schema: dict[str, Any], run_program: Callable[..., Plan]
) -> None:
    """docs/component-package.md's Pulumi YAML program: every property of our components is
    a schema input, every required input is given, and the provider builds them."""
    import yaml

    page = (docs.ROOT / "docs" / "component-package.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```yaml\n(.*?)```", page, re.DOTALL)
    program = yaml.safe_load(block)
    ours = {
        name: r for name, r in program["resources"].items() if r["type"].startswith("secbaseline:")
    }
    assert len(ours) >= 2
    provider = BaselineProvider(exported_components(), "0.0.0")
    for name, resource in ours.items():
        declared = schema["resources"][resource["type"]]
        props = resource.get("properties", {})
        assert set(props) <= set(declared["inputProperties"]), name
        assert set(declared.get("requiredInputs", [])) <= set(props), name
        plain = {k: v for k, v in props.items() if not (isinstance(v, str) and v.startswith("${"))}

        def build(token: str = resource["type"], inputs: dict[str, Any] = plain) -> None:
            provider.construct(name, token, inputs)

        assert run_program(build).resources
