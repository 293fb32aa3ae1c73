"""The Pulumi CLI's rules for a stack's config, applied offline.

``pulumi preview``/``up`` merge a stack file with the ``config:`` block of ``Pulumi.yaml``
before the program runs (pulumi/pulumi ``sdk/go/common/workspace``, ``mergeConfig`` and
``validateStackConfigValue``):

* a key the project declares **without** ``default`` (or ``value``) is required; every missing
  one is reported in one error, ``Stack 'dev' is missing configuration values 'a' and 'b'``;
* a missing key with a default gets the default;
* a key declared with a ``type`` must hold that type (``string``, ``integer``, ``boolean``, or
  ``array`` of ``items``), else ``Stack 'dev' with configuration key 'x' must be of type
  'array<string>'``. Secrets (``{secure: ...}``) are not decrypted offline; they pass.

``secbaseline plan --config``/``check --config`` apply the same rules with the same messages, so
the offline check refuses what the CLI refuses.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secbaseline.baseline.settings import SECRET_PLACEHOLDER

PROJECT_FILE = Path(__file__).parent / "Pulumi.yaml"
"""The project file, shipped in the package: a link to the repository's own ``Pulumi.yaml``."""


class StackConfigError(ValueError):
    """The stack's config breaks a rule the Pulumi CLI enforces."""


@dataclass(frozen=True)
class ConfigType:
    """One declaration under ``config:`` in ``Pulumi.yaml``."""

    type: str | None = None
    items: str | None = None
    default: Any = None
    has_default: bool = False
    secret: bool = False

    @property
    def type_name(self) -> str:
        """Pulumi's ``InferFullTypeName``: ``array<string>`` for arrays."""
        return f"array<{self.items}>" if self.type == "array" else str(self.type)


@dataclass(frozen=True)
class ProjectConfig:
    """The ``config:`` block of a project file (keys without the project's namespace)."""

    name: str
    declared: Mapping[str, ConfigType] = field(default_factory=dict)


def load_project(path: str | Path = PROJECT_FILE) -> ProjectConfig:
    """Read a ``Pulumi.yaml``'s name and config declarations."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    name = str(data.get("name", ""))
    declared: dict[str, ConfigType] = {}
    for written, spec in (data.get("config") or {}).items():
        key = str(written).removeprefix(f"{name}:")
        if not isinstance(spec, Mapping):  # shorthand `key: value` is a default
            declared[key] = ConfigType(default=spec, has_default=True)
            continue
        items = spec.get("items")
        has_default = "default" in spec or "value" in spec
        declared[key] = ConfigType(
            type=spec.get("type"),
            items=items.get("type") if isinstance(items, Mapping) else None,
            default=spec.get("default", spec.get("value")),
            has_default=has_default and spec.get("default", spec.get("value")) is not None,
            secret=bool(spec.get("secret", False)),
        )
    return ProjectConfig(name=name, declared=declared)


def _is_secure(value: Any) -> bool:
    """A secret: as written in the stack file, or as the offline plan shows it."""
    return value == SECRET_PLACEHOLDER or (isinstance(value, Mapping) and set(value) == {"secure"})


def _matches(kind: str | None, items: str | None, value: Any, *, top: bool = True) -> bool:
    """Pulumi's ``ValidateConfigValue``: a top-level scalar arrives as text, items of an
    array as JSON values."""
    if kind is None:
        return True
    if kind == "string":
        return isinstance(value, str) or (
            top and isinstance(value, int | float) and not isinstance(value, bool)
        )
    if kind == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        return isinstance(value, str) and value.lstrip("-").isdigit()
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if kind == "array":
        return isinstance(value, list) and all(_matches(items, None, v, top=False) for v in value)
    return True


def _quoted(keys: list[str]) -> str:
    """Pulumi's ``formatMissingKeys``: ``'a'``, ``'a' and 'b'``, ``'a', 'b' and 'c'``."""
    if len(keys) == 1:
        return f"'{keys[0]}'"
    keys = sorted(keys)
    return ", ".join(f"'{k}'" for k in keys[:-1]) + f" and '{keys[-1]}'"


def apply_project_config(
    project: ProjectConfig, stack: str, config: Mapping[str, Any]
) -> dict[str, Any]:
    """The stack's project-namespace config (keys without namespace, as written in the stack
    file) after the CLI's rules: defaults filled in; missing required keys and wrong types
    refused with the CLI's messages."""
    merged = dict(config)
    missing: list[str] = []
    for key in sorted(project.declared):
        spec = project.declared[key]
        if ":" in key:  # another namespace (e.g. aws:region): not ours to check
            continue
        if key not in merged:
            if spec.has_default:
                merged[key] = spec.default
            else:
                missing.append(key)
    if missing:
        noun = "values" if len(missing) > 1 else "value"
        raise StackConfigError(
            f"Stack '{stack}' is missing configuration {noun} {_quoted(missing)}"
        )
    for key in sorted(project.declared):
        spec = project.declared[key]
        if ":" in key or key not in merged:
            continue
        value = merged[key]
        if spec.secret and not _is_secure(config.get(key)) and key in config:
            raise StackConfigError(
                f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret"
            )
        if _is_secure(value):
            continue
        if not _matches(spec.type, spec.items, value):
            raise StackConfigError(
                f"Stack '{stack}' with configuration key '{key}' must be of type '{spec.type_name}'"
            )
    return merged
