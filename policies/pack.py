"""pulumi-policy wrappers around :mod:`policies.rules`; builds the pack's policies, never the pack.

Each policy's name, description, severity and default enforcement come from
:data:`baseline.catalog.POLICIES`. Enforcement can be changed per policy with Pulumi's pack
config (``pulumi preview --policy-pack policies --policy-pack-config config.json`` with
``{"s3-versioning": "advisory"}``); the detection policies also take ``tier`` and ``regions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    Severity,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from secbaseline.baseline import catalog
from secbaseline.baseline.fakes import is_global
from secbaseline.policies import rules

PACK_NAME = "aws-security-baseline"

DETECTION_CONFIG = PolicyConfigSchema(
    properties={
        "tier": {
            "type": "string",
            "enum": ["beginner", "intermediate", "advanced"],
            "default": "beginner",
            "description": "Baseline tier of the stack; detection is required from intermediate.",
        },
        "regions": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Detection regions; empty means every region the stack uses.",
        },
        "organizationManaged": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": [
                    "guardduty",
                    "securityhub",
                    "inspector",
                    "detective",
                    "config",
                    "cloudtrail",
                ],
            },
            "default": [],
            "description": "Services the organization enables for this account (e.g. "
            "guardduty and securityhub in advanced-tier members); not required in the stack.",
        },
    }
)


def plain(value: Any) -> Any:
    """Policy SDK props as plain dicts/lists: unknowns kept as placeholders, secrets unwrapped.

    Only the SDK's public behaviour: its props read like a mapping whose items raise
    ``UnknownValueError`` (carrying the engine's unknown sentinel) when a value is unknown in a
    preview, and secrets arrive unwrapped or as ``Secret``.
    """
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(_item(value, k)) for k in value}
    if isinstance(value, Sequence):
        return [plain(_item(value, i)) for i in range(len(value))]
    return value


def _item(container: Any, key: Any) -> Any:
    """``container[key]``, or the unknown sentinel the rules treat as "not known yet"."""
    try:
        return container[key]
    except UnknownValueError as unknown:
        return unknown.unknown_type_sentinel


def _resource_validator(name: str) -> ResourceValidation:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        props = plain(args.props)
        for message in rules.check_resource(name, args.resource_type, props, args.urn, args.name):
            report_violation(message, None)

    return validate


def _region(resource: PolicyResource, props: Mapping[str, Any]) -> str | None:
    region = props.get("region")
    if region is None and resource.provider is not None:
        region = plain(resource.provider.props).get("region")
    return region if isinstance(region, str) else None


def stack_resource(resource: PolicyResource) -> rules.StackResource:
    """A pulumi-policy resource as the stack rules see it (global types have no region)."""
    props = plain(resource.props)
    global_type = is_global(resource.resource_type)
    return rules.StackResource(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=props,
        region=None if global_type else _region(resource, props),
        id=props.get("id") if isinstance(props.get("id"), str) else None,
        dependencies={
            key: tuple(dep.urn for dep in deps)
            for key, deps in (resource.property_dependencies or {}).items()
        },
    )


def stack_options(config: Mapping[str, Any]) -> rules.StackOptions:
    """Pack config of a stack policy as rule options."""
    regions = config.get("regions") or ()
    managed = config.get("organizationManaged") or ()
    return rules.StackOptions(
        tier=str(config.get("tier") or "beginner"),
        regions=tuple(str(r) for r in regions),
        organization_managed=frozenset(str(m) for m in managed),
    )


def _stack_validator(name: str) -> StackValidation:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [stack_resource(r) for r in args.resources if r.resource_type]
        options = stack_options(args.get_config())
        for violation in rules.check_stack(name, resources, options):
            report_violation(violation.message, violation.urn)

    return validate


def _tags(spec: catalog.Policy) -> list[str]:
    return list(catalog.checklist_for_policy(spec.name))


def build_policies() -> list[Policy]:
    """Every policy of the pack, in catalog order."""
    built: list[Policy] = []
    for spec in catalog.POLICIES:
        common: dict[str, Any] = {
            "enforcement_level": EnforcementLevel(spec.enforcement),
            "severity": Severity(spec.severity),
            "tags": _tags(spec),
        }
        if spec.kind == "resource":
            built.append(
                ResourceValidationPolicy(
                    spec.name, spec.description, validate=_resource_validator(spec.name), **common
                )
            )
        else:
            schema = DETECTION_CONFIG if spec.name != "s3-bucket-configuration-complete" else None
            built.append(
                StackValidationPolicy(
                    spec.name,
                    spec.description,
                    validate=_stack_validator(spec.name),
                    config_schema=schema,
                    **common,
                )
            )
    return built
