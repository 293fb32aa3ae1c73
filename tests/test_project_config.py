"""The Pulumi CLI's config rules (required keys, declared types) hold for the README's deploy
steps and every shipped stack file, and `secbaseline plan --config` applies them too."""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from secbaseline.baseline import cli
from secbaseline.baseline.plan import read_stack_file
from secbaseline.baseline.project import (
    ConfigType,
    ProjectConfig,
    StackConfigError,
    apply_project_config,
    load_project,
)
from secbaseline.baseline.settings import settings_from_config

ROOT = Path(__file__).resolve().parents[1]
PROJECT = load_project(ROOT / "Pulumi.yaml")
FAKE_ACCOUNT = "123456789012"
FULL_WIDTH_ACCOUNT = "".join(chr(0xFF10 + int(d)) for d in FAKE_ACCOUNT)


def _readme_config() -> tuple[dict[str, Any], dict[str, Any]]:
    """What the README's `pulumi config set` lines store: (project keys, other namespaces)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Deploy it to a real account") :]
    block = section[section.index("```bash") : section.index("```", section.index("```bash") + 7)]
    mine: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words[:3] != ["pulumi", "config", "set"]:
            continue
        args = [w for w in words[3:] if w != "--path"]
        key, value = args[0], args[1]
        if value.startswith("$("):  # command substitution: the caller's account id
            value = FAKE_ACCOUNT
        namespace, _, name = key.rpartition(":")
        target = mine if namespace == PROJECT.name else other
        if (match := re.fullmatch(r"(\w+)\[(\d+)\]", name)) is not None:
            items = target.setdefault(match[1], [])
            assert int(match[2]) == len(items)
            items.append(value)
        else:
            target[name if target is mine else key] = value
    return mine, other


def test_pulumi_yaml_requires_only_the_account() -> None:
    required = {k for k, spec in PROJECT.declared.items() if not spec.has_default}
    assert required == {"accountId"}


def test_the_readme_deploy_steps_satisfy_the_cli_and_the_program() -> None:
    mine, other = _readme_config()
    assert "accountId" in mine, "the README must set the one required key"
    merged = apply_project_config(PROJECT, "prod", mine)
    settings = settings_from_config(merged, stack="prod", aws_region=other["aws:region"])
    assert settings.account_id == FAKE_ACCOUNT
    assert settings.tier == "intermediate"
    assert settings.notification_emails


def _shipped_stack_files() -> list[Path]:
    found = [ROOT / "Pulumi.example.yaml"]
    found += sorted((ROOT / "docs").rglob("Pulumi.*.yaml"))
    return [p for p in found if p.name != "Pulumi.yaml"]


@pytest.mark.parametrize("path", _shipped_stack_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_stack_file_satisfies_the_cli(path: Path) -> None:
    project = load_project(path.parent / "Pulumi.yaml") if path.parent != ROOT else PROJECT
    stack = read_stack_file(path, project=project.name)
    merged = apply_project_config(project, stack.stack, stack.project_config)
    required = {k for k, spec in project.declared.items() if not spec.has_default and ":" not in k}
    assert required <= set(merged), f"{path.name} misses {sorted(required - set(merged))}"


def test_missing_required_keys_are_reported_as_the_cli_does() -> None:
    with pytest.raises(StackConfigError) as one:
        apply_project_config(PROJECT, "dev", {"tier": "beginner"})
    assert str(one.value) == "Stack 'dev' is missing configuration value 'accountId'"
    two = ProjectConfig(PROJECT.name, {**PROJECT.declared, "zone": ConfigType(type="string")})
    with pytest.raises(StackConfigError) as both:
        apply_project_config(two, "dev", {})
    assert str(both.value) == "Stack 'dev' is missing configuration values 'accountId' and 'zone'"


@pytest.mark.parametrize(
    ("key", "value", "type_name"),
    [
        ("detectionRegions", "ap-northeast-1", "array<string>"),
        ("notificationEmails", [1, 2], "array<string>"),
        ("controlTower", "yes", "boolean"),
        ("accountId", ["123456789012"], "string"),
    ],
)
def test_declared_types_are_enforced(key: str, value: object, type_name: str) -> None:
    with pytest.raises(StackConfigError) as error:
        apply_project_config(PROJECT, "dev", {"accountId": FAKE_ACCOUNT, key: value})
    assert str(error.value) == (
        f"Stack 'dev' with configuration key '{key}' must be of type '{type_name}'"
    )


def test_defaults_fill_in_and_empty_means_not_set() -> None:
    merged = apply_project_config(PROJECT, "dev", {"accountId": FAKE_ACCOUNT})
    assert merged["detectionRegions"] == [] and merged["homeRegion"] == ""
    settings = settings_from_config(merged, aws_region="eu-west-1")
    assert settings.home_region == "eu-west-1"
    assert settings.detection_regions is None  # every enabled region, resolved at run time
    assert settings.allowed_regions == ("eu-west-1",)


def test_a_secret_account_id_passes_the_cli_rules() -> None:
    merged = apply_project_config(PROJECT, "dev", {"accountId": "[secret]"})
    assert merged["accountId"] == "[secret]"


def _stack(tmp_path: Path, body: str, name: str = "Pulumi.dev.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _plan_error(capsys: pytest.CaptureFixture[str], path: Path | str) -> str:
    assert cli.main(["plan", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_plan_refuses_what_the_cli_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _stack(tmp_path, "config:\n  aws:region: eu-west-1\n  secbaseline:tier: beginner\n")
    assert "Stack 'dev' is missing configuration value 'accountId'" in _plan_error(capsys, path)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("- a\n- b\n", "is not a stack file: expected a mapping"),
        ("just text\n", "is not a stack file"),
        ("name: shop\nruntime: python\n", "is a project file (Pulumi.yaml)"),
        (
            "config:\n  secbaseline:tier: beginner\n  secbaseline:tier: advanced\n",
            "key 'secbaseline:tier' appears twice",
        ),
        (
            "config:\n  secbaseline:accountId: '123456789012'\n  secbasline:controlTower: true\n",
            "did you mean 'secbaseline:controlTower'?",
        ),
        ("config: [1, 2\n", "is not valid YAML at line"),
    ],
    ids=["list", "scalar", "project-file", "duplicate-key", "namespace-typo", "broken-yaml"],
)
def test_bad_stack_files_give_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    path = _stack(tmp_path, body)
    err = _plan_error(capsys, path)
    assert expected in err and str(path) in err


def test_a_non_utf8_file_names_the_file_and_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_bytes(b"config:\n  secbaseline:tier: \xff\xfe\n")
    err = _plan_error(capsys, path)
    assert f"--config: {path} is not UTF-8 text" in err


@pytest.mark.parametrize(
    "account", [FULL_WIDTH_ACCOUNT, "123456789012\n", " 123456789012", "12345678901"]
)
def test_account_ids_are_ascii_and_exact(account: str) -> None:
    with pytest.raises(ValueError, match=r"^accountId: "):
        settings_from_config({"accountId": account, "homeRegion": "eu-west-1"})


def test_intermediate_needs_notification_addresses_each_once() -> None:
    base = {"homeRegion": "eu-west-1", "tier": "intermediate"}
    with pytest.raises(ValueError, match=r"^notificationEmails: required from the intermediate"):
        settings_from_config(base)
    with pytest.raises(ValueError, match=r"^notificationEmails\[1\]: 'A@example.com' is already"):
        settings_from_config({**base, "notificationEmails": ["a@example.com", "A@example.com"]})
    assert settings_from_config({**base, "notificationEmails": ["a@example.com"]})
