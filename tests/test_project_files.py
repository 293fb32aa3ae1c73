"""Pulumi.yaml, the example stack file and the entry point agree with the code."""

from __future__ import annotations

from pathlib import Path

import yaml

from secbaseline.baseline.engine import run_file
from secbaseline.baseline.plan import EXAMPLE_STACK_FILE, read_stack_file
from secbaseline.baseline.settings import CORE_KEYS, PROJECT, settings_from_config

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_TYPES = {"str": "string", "list": "array", "bool": "boolean", "dict": None}


def test_pulumi_yaml_declares_every_typed_core_key() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"]["name"] == "python"
    assert project["main"] == "stacks/"
    declared = project["config"]
    for key, kind in CORE_KEYS.items():
        expected = SCHEMA_TYPES[kind]
        if expected is None:  # Pulumi's project schema has no object type; tags stay undeclared
            assert key not in declared
            continue
        assert declared[key]["type"] == expected, key
        assert declared[key]["description"]
    assert set(declared) <= set(CORE_KEYS)


def test_schema_defaults_are_valid_settings() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    defaults = {k: v["default"] for k, v in project["config"].items() if "default" in v}
    settings = settings_from_config(defaults, aws_region="us-east-1")
    assert settings.tier == defaults["tier"]
    assert settings.name_prefix == defaults["namePrefix"]


def test_example_stack_file_is_valid_and_obviously_fake() -> None:
    stack = read_stack_file(EXAMPLE_STACK_FILE)
    assert stack.stack == "example"
    settings = settings_from_config(
        stack.project_config, aws_region=stack.other_config.get("aws:region")
    )
    assert settings.management_account_id == "111111111111"
    assert all(e.endswith("@example.com") for e in settings.notification_emails)
    assert "FAKE" in EXAMPLE_STACK_FILE.read_text()


def test_entry_point_runs_like_pulumi_runs_it() -> None:
    """`main: stacks/` makes Pulumi run stacks/__main__.py with config from the stack."""
    plan = run_file(
        ROOT / "stacks" / "__main__.py",
        project=PROJECT,
        stack="entry",
        config={"aws:region": "eu-west-1", "secbaseline:detectionRegions": '["eu-west-1"]'},
    )
    imds = plan.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert [r.inputs["region"] for r in imds] == ["eu-west-1"]
    provider = plan.one("pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-west-1"
