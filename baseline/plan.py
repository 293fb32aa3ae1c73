"""Plan a tier offline: stack-file config + flags -> settings -> recorded resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secbaseline.baseline.engine import Plan, run
from secbaseline.baseline.fakes import AccountContext
from secbaseline.baseline.regions import DEFAULT_ENABLED_REGIONS
from secbaseline.baseline.settings import (
    PROJECT,
    SECRET_PLACEHOLDER,
    Settings,
    settings_from_config,
)

EXAMPLE_STACK_FILE = Path(__file__).parent / "Pulumi.example.yaml"
"""The example stack (fake ids), shipped in the package: a link to the repository's own file."""
# Stand-in for the account when the settings do not pin one. Obviously fake.
OFFLINE_ACCOUNT_ID = "333333333333"


@dataclass(frozen=True)
class StackFile:
    """The ``config:`` block of a ``Pulumi.<stack>.yaml`` file, split by namespace."""

    stack: str
    project_config: dict[str, Any]
    other_config: dict[str, Any] = field(default_factory=dict)


def _plain(value: Any, *, top: bool = False) -> Any:
    """Stack-file config as the program sees it, with secrets kept out of plans.

    Secure values (``{secure: ...}``, also nested ones set with ``--path --secret``) become
    ``"[secret]"``. Pulumi hands a top-level number to the program as text, so an unquoted
    ``accountId: 123456789012`` is read as the string it is in a real deployment.
    """
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if top and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def read_stack_file(path: str | Path, project: str = PROJECT) -> StackFile:
    """Read a stack file's config block with PyYAML."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"--config: {path} is not a file")
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"--config: {path} is not valid YAML ({exc})") from None
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"--config: {path}: 'config' must be a mapping")
    mine: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = str(key).rpartition(":")
        if namespace in ("", project):
            mine[name] = _plain(value, top=True)
        else:
            other[str(key)] = _plain(value, top=True)
    name = file.name
    stack = name[len("Pulumi.") : -len(".yaml")] if name.startswith("Pulumi.") else file.stem
    return StackFile(stack=stack, project_config=mine, other_config=other)


def account_context(settings: Settings) -> AccountContext:
    """The fake account the engine answers for, consistent with the settings."""
    named = set(settings.detection_regions or ()) | set(settings.allowed_regions)
    return AccountContext(
        account_id=settings.account_id or OFFLINE_ACCOUNT_ID,
        home_region=settings.home_region,
        enabled_regions=tuple(sorted(set(DEFAULT_ENABLED_REGIONS) | named)),
        organization_id=settings.organization_id or AccountContext.organization_id,
        management_account_id=settings.management_account_id
        or AccountContext.management_account_id,
    )


def plan_config(
    config: Mapping[str, Any],
    *,
    stack: str = "example",
    other_config: Mapping[str, Any] | None = None,
    project: str = PROJECT,
) -> Plan:
    """Validate project config and plan the tier it names, offline."""
    other = dict(other_config or {})
    settings = settings_from_config(
        config, project=project, stack=stack, aws_region=other.get("aws:region")
    )
    resolved: list[Settings] = []

    def program() -> None:
        from secbaseline.baseline.settings import settings_from_pulumi
        from secbaseline.stacks.program import build

        resolved.append(build(settings_from_pulumi()).settings)

    full = {**other, **{f"{project}:{k}": v for k, v in config.items()}}
    plan = run(
        program, project=project, stack=stack, config=full, context=account_context(settings)
    )
    plan.settings = (resolved[0] if resolved else settings).to_dict()
    return plan


def merge_overrides(config: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Flags win over the stack file; None means 'not given'."""
    merged = dict(config)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return merged
