"""The pulumi-policy wiring: names, levels and severities from the catalog, validators driven
through the SDK's own argument objects (unknown-checking and secret proxies), and the pack
entry point, all without starting the analyzer server."""

from __future__ import annotations

import ast
import runpy
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from secbaseline.baseline import catalog
from secbaseline.policies import pack

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def sdk_props(raw: dict[str, Any]) -> Any:
    """Props exactly as the analyzer's Analyze builds them from a gRPC request."""
    struct = struct_pb2.Struct()
    struct.update(raw)
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], None, [], None)  # type: ignore[arg-type]


def by_name() -> dict[str, Any]:
    return {p.name: p for p in pack.build_policies()}


def test_policies_mirror_the_catalog() -> None:
    built = pack.build_policies()
    assert [p.name for p in built] == [p.name for p in catalog.POLICIES]
    for policy, spec in zip(built, catalog.POLICIES, strict=True):
        assert policy.description == spec.description
        assert policy.enforcement_level == EnforcementLevel(spec.enforcement)
        assert policy.severity is not None and policy.severity.value == spec.severity
        assert policy.tags == list(catalog.checklist_for_policy(spec.name))
        kind = ResourceValidationPolicy if spec.kind == "resource" else StackValidationPolicy
        assert isinstance(policy, kind)


def test_default_levels() -> None:
    levels = {p.name: p.enforcement_level for p in pack.build_policies()}
    assert levels["s3-block-public-access"] == EnforcementLevel.MANDATORY
    assert levels["guardduty-all-regions"] == EnforcementLevel.MANDATORY
    assert levels["sns-topic-encrypted"] == EnforcementLevel.ADVISORY


def test_detection_policies_take_tier_regions_and_organization_config() -> None:
    policies = by_name()
    for name in ("guardduty-all-regions", "securityhub-all-regions", "config-all-regions"):
        schema = policies[name].config_schema
        assert set(schema.properties) == {"tier", "regions", "organizationManaged"}
        assert schema.properties["tier"]["enum"] == ["beginner", "intermediate", "advanced"]
    assert policies["s3-bucket-configuration-complete"].config_schema is None


def run_resource(name: str, rtype: str, raw: dict[str, Any]) -> list[str]:
    reported: list[str] = []
    args = ResourceValidationArgs(rtype, sdk_props(raw), "urn:x", "x", options(), None)
    by_name()[name].validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_resource_validator_reports_through_the_sdk() -> None:
    assert run_resource(
        "security-group-no-public-admin-ports",
        catalog.SECURITY_GROUP,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}
            ]
        },
    ) == ["ingress[0] allows 0.0.0.0/0 to port 22 (SSH)"]


def test_resource_validator_survives_unknowns_without_raising() -> None:
    """The SDK proxy raises UnknownValueError on access; the wrapper unwraps it first."""
    assert (
        run_resource(
            "ec2-imdsv2-required",
            catalog.EC2_INSTANCE,
            {"metadataOptions": {"httpTokens": UNKNOWN}},
        )
        == []
    )
    assert run_resource("iam-no-full-admin", "aws:iam/policy:Policy", {"policy": UNKNOWN}) == []


def test_resource_validator_sees_through_secrets() -> None:
    secret_doc = '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
    raw = {"policy": {**SECRET_SIG, "value": secret_doc}}
    assert run_resource("iam-no-full-admin", "aws:iam/policy:Policy", raw) == [
        'policy statement 0 allows "*" on "*" (full admin)'
    ]


def policy_resource(
    rtype: str,
    name: str,
    raw: dict[str, Any],
    region: str | None = None,
    deps: dict[str, list[PolicyResource]] | None = None,
) -> PolicyResource:
    provider = None
    if region:
        provider = PolicyProviderResource(
            "pulumi:providers:aws", sdk_props({"region": region}), "urn:p", "p"
        )
    return PolicyResource(
        rtype, sdk_props(raw), f"urn:{name}", name, options(), provider, None, [], deps or {}
    )


def run_stack(
    name: str, resources: list[PolicyResource], config: dict[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    args = StackValidationArgs(resources, config or {})
    by_name()[name].validate(args, lambda message, urn=None: reported.append((message, urn)))
    return reported


def test_stack_validator_joins_settings_by_property_dependency() -> None:
    fresh = policy_resource(catalog.BUCKET, "fresh", {"bucket": UNKNOWN}, "us-east-1")
    pab = policy_resource(
        catalog.S3_PAB,
        "pab",
        {"bucket": UNKNOWN, "blockPublicAcls": True},
        "us-east-1",
        {"bucket": [fresh]},
    )
    found = run_stack("s3-bucket-configuration-complete", [fresh, pab])
    assert ("bucket fresh has no BucketPublicAccessBlock", "urn:fresh") not in found
    assert ("bucket fresh has no versioning (BucketVersioning)", "urn:fresh") in found


def test_stack_validator_judges_inline_bucket_outputs_by_content() -> None:
    """The stack sees outputs: pulumi-aws 7 fills the deprecated inline settings for every bucket
    (defaults once deployed, unknowns in preview); neither counts as a configured setting."""
    deployed = policy_resource(
        catalog.BUCKET,
        "deployed",
        {
            "bucket": "deployed",
            "versioning": {"enabled": False, "mfaDelete": False},
            "serverSideEncryptionConfiguration": UNKNOWN,
            "policy": "",
        },
        "us-east-1",
    )
    fresh = policy_resource(
        catalog.BUCKET,
        "fresh",
        {"bucket": UNKNOWN, "versioning": UNKNOWN, "policy": UNKNOWN},
        "us-east-1",
    )
    found = run_stack("s3-bucket-configuration-complete", [deployed, fresh])
    for name in ("deployed", "fresh"):
        assert (f"bucket {name} has no versioning (BucketVersioning)", f"urn:{name}") in found
        assert (
            f"bucket {name} has no TLS-only bucket policy (BucketPolicy)",
            f"urn:{name}",
        ) in found
        assert (
            f"bucket {name} has no default encryption (BucketServerSideEncryptionConfiguration)",
            f"urn:{name}",
        ) in found


def test_stack_validator_reads_regions_from_provider_and_input_and_config() -> None:
    detectors = [
        policy_resource(catalog.GUARDDUTY_DETECTOR, "d1", {}, "ap-northeast-1"),
        policy_resource(
            catalog.GUARDDUTY_DETECTOR, "d2", {"region": "us-east-1"}, "ap-northeast-1"
        ),
    ]
    config = {"tier": "intermediate", "regions": ["ap-northeast-1", "us-east-1", "eu-west-1"]}
    assert run_stack("guardduty-all-regions", detectors, config) == [
        ("GuardDuty is not enabled in eu-west-1", None)
    ]
    assert run_stack("guardduty-all-regions", detectors, {"tier": "beginner"}) == []
    assert run_stack("guardduty-all-regions", detectors) == []  # default tier: beginner


def test_global_resources_have_no_region() -> None:
    role = policy_resource("aws:iam/role:Role", "r", {}, "ap-northeast-1")
    assert pack.stack_resource(role).region is None


def test_only_the_entry_point_builds_the_pack() -> None:
    for path in (ROOT / "policies").glob("*.py"):
        names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
        assert ("PolicyPack" in names) == (path.name == "__main__.py"), path


def test_entry_point_serves_every_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[dict[str, Any]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="__main__")
    assert len(built) == 1
    assert built[0]["name"] == pack.PACK_NAME
    assert [p.name for p in built[0]["policies"]] == [p.name for p in catalog.POLICIES]


def test_pack_files_are_shipped() -> None:
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    # beside the pack, made from its requirements: a copy of the folder works anywhere
    assert manifest["runtime"]["options"]["virtualenv"] == "venv"
    requirements = (ROOT / "policies" / "requirements.txt").read_text().splitlines()
    names = {r.split("=")[0].split(">")[0] for r in requirements if r and not r.startswith("#")}
    assert names == {"pulumi-aws-security-baseline", "pulumi-policy"}


def test_the_pack_uses_no_private_sdk_names() -> None:
    """Only pulumi-policy's public API: private classes change without notice."""
    for path in (ROOT / "policies").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pulumi_policy"):
                assert not [a.name for a in node.names if a.name.startswith("_")], path
            if isinstance(node, ast.Attribute):
                assert not node.attr.startswith("_Dict") and node.attr != "__target", path
        assert "__target" not in path.read_text(), path
