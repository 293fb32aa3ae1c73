"""Every checklist item is deployed by a component, named in its docs, and held by the catalog."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pulumi
import pytest

from secbaseline import components
from secbaseline.baseline import catalog
from secbaseline.baseline.check import coverage_json
from secbaseline.baseline.plan import plan_config
from tests.conftest import BASE_CONFIG, ORG_CONFIG

ROOT = Path(__file__).resolve().parent.parent
ITEMS = [f"S-{n:02d}" for n in range(1, 32)]
# The opt-in examples of the beginner tier, all switched on.
OPT_INS = {
    "bucket": {
        "enabled": True,
        "objectLock": {"mode": "GOVERNANCE", "days": 30},
        "malwareScanning": True,
    },
    "edge": {
        "enabled": True,
        "certificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/abc",
    },
    "database": {
        "enabled": True,
        "vpcId": "vpc-0123456789abcdef0",
        "subnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    },
    "api": {"enabled": True},
    "uploadScanning": {"enabled": True, "bucketName": "customer-uploads-example"},
}
ROLE_PLANS = [
    ("intermediate", "standalone", OPT_INS),
    ("advanced", "management", {}),
    ("advanced", "security", {}),
    ("advanced", "member", {}),
]


def component_classes() -> dict[str, type[pulumi.ComponentResource]]:
    return {
        name: obj
        for name in components.__all__
        if inspect.isclass(obj := getattr(components, name))
        and issubclass(obj, pulumi.ComponentResource)
    }


def checklist_ids(text: str) -> set[str]:
    match = re.search(r"Checklist:\**(.*?)(?:\n\n|$)", text, re.S)
    return set(re.findall(r"S-\d\d", match.group(1))) if match else set()


def test_every_item_is_deployed_by_some_tier_and_role() -> None:
    deployed: dict[str, list[str]] = {}
    for tier, role, extra in ROLE_PLANS:
        config = {**BASE_CONFIG, "tier": tier, "role": role, **extra}
        if tier == "advanced":
            config = {**ORG_CONFIG, **config}
        for item in coverage_json(plan_config(config, stack="trace"))["items"]:
            if item["deployed"]:
                deployed.setdefault(item["item"], []).append(f"{tier}/{role}")
    assert sorted(deployed) == ITEMS


@pytest.mark.parametrize("name", sorted(component_classes()))
def test_component_names_its_checklist_items_and_the_catalog_agrees(name: str) -> None:
    """A component's own 'Checklist:' line, its docs page and the catalog tell the same story."""
    cls = component_classes()[name]
    module = importlib.import_module(cls.__module__)
    in_code = checklist_ids(module.__doc__ or "")
    assert in_code, f"{cls.__module__} has no 'Checklist:' line"
    in_catalog = {i for c in catalog.CONTROLS if name in c.components for i in c.checklist}
    assert in_code <= in_catalog, f"{name}: {sorted(in_code - in_catalog)} not in the catalog"
    page = ROOT / "docs" / "components" / f"{cls.__module__.rsplit('.', 1)[-1]}.md"
    assert page.is_file(), f"{page} is missing"
    assert checklist_ids(page.read_text()) <= in_catalog
    assert f"secbaseline:index:{name}" == cls_type_token(cls)


def cls_type_token(cls: type[pulumi.ComponentResource]) -> str:
    module = importlib.import_module(cls.__module__)
    token = getattr(module, "TYPE_TOKEN", None)
    assert isinstance(token, str), f"{cls.__module__} defines no TYPE_TOKEN"
    return token


def test_every_item_names_a_component_that_exists() -> None:
    classes = component_classes()
    for item in ITEMS:
        controls = catalog.controls_for_item(item)
        assert controls, item
        named = {c for control in controls for c in control.components}
        assert named & set(classes), f"{item}: no existing component in {sorted(named)}"


def test_catalog_knows_exactly_the_exported_components() -> None:
    assert set(catalog.COMPONENTS) == set(component_classes())


def test_every_opt_in_component_passes_the_policy_pack() -> None:
    """With every opt-in example switched on, the baseline holds to its own pack."""
    from secbaseline.baseline.check import check_plan
    from secbaseline.policies.rules import StackOptions

    config = {**BASE_CONFIG, "tier": "intermediate", "ec2Bastion": {"enabled": True}, **OPT_INS}
    plan = plan_config(config, stack="opt-ins")
    options = StackOptions(tier="intermediate", regions=tuple(BASE_CONFIG["detectionRegions"]))
    findings = check_plan(plan, options=options)
    assert [(f.policy, f.urn, f.message) for f in findings if f.enforcement == "mandatory"] == []
