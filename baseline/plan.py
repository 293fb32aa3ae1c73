"""Plan a tier offline: stack-file config + flags -> settings -> recorded resources."""

from __future__ import annotations

import difflib
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping (YAML forbids it;
    PyYAML would keep the last one silently)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice (line {line})", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _unique_mapping,
)


def _namespace_typo(namespace: str, project: str) -> bool:
    """``secbasline`` for ``secbaseline``: close to the project's name but not it."""
    return namespace != project and difflib.SequenceMatcher(None, namespace, project).ratio() >= 0.8


def read_stack_file(path: str | Path, project: str = PROJECT) -> StackFile:
    """Read a stack file's config block. Every problem is one line naming the file."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"--config: {path} is not a file")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"--config: {path} is not UTF-8 text (a stack file is YAML)") from None
    except OSError as exc:
        raise ValueError(f"--config: {path} cannot be read ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader) or {}  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"--config: {path} is not valid YAML{at}: {problem}") from None
    if not isinstance(data, dict):
        raise ValueError(
            f"--config: {path} is not a stack file: expected a mapping with a 'config:' block, "
            f"got {type(data).__name__}"
        )
    if "runtime" in data or ("config" not in data and "name" in data):
        raise ValueError(
            f"--config: {path} is a project file (Pulumi.yaml); pass a stack file, "
            "Pulumi.<stack>.yaml"
        )
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"--config: {path}: 'config' must be a mapping")
    mine: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = str(key).rpartition(":")
        if namespace in ("", project):
            mine[name] = _plain(value, top=True)
        elif _namespace_typo(namespace, project):
            raise ValueError(
                f"--config: {path}: {key}: unknown namespace {namespace!r}; "
                f"did you mean '{project}:{name}'?"
            )
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
