"""One typed, immutable settings object for a baseline stack, built from Pulumi config.

Config keys are the project's (``secbaseline:<key>`` in a stack file). Core keys are typed
fields; per-component sections (``bastion``, ``patching``, ...) are kept as read-only
mappings and validated by the component that consumes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, cast

from secbaseline.baseline import validate

Tier = Literal["beginner", "intermediate", "advanced"]
Role = Literal["standalone", "management", "security", "member"]

TIERS: tuple[Tier, ...] = ("beginner", "intermediate", "advanced")
ROLES: tuple[Role, ...] = ("standalone", "management", "security", "member")
ORGANIZATION_ROLES: tuple[Role, ...] = ("management", "security", "member")
PROJECT = "secbaseline"
SECRET_PLACEHOLDER = "[secret]"
"""What offline plans show instead of a secret value (stack-file secrets, secret inputs)."""

# Core config keys and the shape each must have.
CORE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "tier": "str",
        "role": "str",
        "homeRegion": "str",
        "detectionRegions": "list",
        "allowedRegions": "list",
        "accountId": "str",
        "organizationId": "str",
        "managementAccountId": "str",
        "securityAccountId": "str",
        "notificationEmails": "list",
        "tags": "dict",
        "namePrefix": "str",
        "controlTower": "bool",
    }
)

UNSET_WHEN_EMPTY: frozenset[str] = frozenset(
    {
        "homeRegion",
        "detectionRegions",
        "allowedRegions",
        "organizationId",
        "managementAccountId",
        "securityAccountId",
        "notificationEmails",
    }
)
"""Keys ``Pulumi.yaml`` declares with an empty default: empty means "not set" (the CLI fills the
default in, so the program sees ``""`` or ``[]`` for a key the stack does not set)."""

# Per-component sections. Each is a mapping validated by the component's own parser.
SECTION_KEYS: frozenset[str] = frozenset(
    {
        "adopt",
        "accountHardening",
        "bastion",
        "ec2Bastion",
        "sessionManager",
        "patching",
        "vulnerabilityScanning",
        "bucket",
        "edge",
        "database",
        "api",
        "threatDetection",
        "securityHub",
        "investigation",
        "accessAnalysis",
        "notifications",
        "configRecording",
        "configRules",
        "remediation",
        "iamDelegation",
        "incidentResponse",
        "organization",
        "organizationTrail",
        "guardrails",
        "organizationDetection",
        "accountTrail",
        "changeAlarms",
    }
)


def organization_owned(tier: str, role: str, control_tower: bool) -> frozenset[str]:
    """Services the organization enables for an account, which its own stack must not create.

    Advanced-tier members get GuardDuty, Security Hub, Inspector and Detective from the
    security account's auto-enable; Control Tower records Config and runs the organization
    trail in every enrolled account; the advanced tier's own organization trail logs every
    account. Values: guardduty, securityhub, inspector, detective, config, cloudtrail.
    """
    owned: set[str] = set()
    if tier == "advanced":
        owned.add("cloudtrail")
        if role == "member":
            owned |= {"guardduty", "securityhub", "inspector", "detective"}
    if control_tower:
        owned |= {"config", "cloudtrail"}
    return frozenset(owned)


def _freeze(value: Any) -> Any:
    """Deep-freeze config data: dicts become read-only mappings, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Inverse of the freeze: plain dicts and lists, e.g. for JSON output."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Settings:
    """Resolved, validated settings for one stack (one AWS account)."""

    project: str
    """Pulumi project name."""
    stack: str
    """Pulumi stack name."""
    tier: Tier
    """beginner, intermediate or advanced; each tier includes the ones before it."""
    role: Role
    """What this account is: standalone, or management/security/member of an organization."""
    home_region: str
    """Where single-region resources (notifications, aggregators, IAM controls) live."""
    detection_regions: tuple[str, ...] | None
    """Regions where detection runs; None until resolved to the account's enabled regions."""
    allowed_regions: tuple[str, ...]
    """Regions where workloads may run (the region-deny SCP uses this). Includes home."""
    account_id: str | None = None
    """The account this stack is meant for, if pinned."""
    organization_id: str | None = None
    """AWS Organizations id (o-...), required for the advanced tier."""
    management_account_id: str | None = None
    """Organization management account id."""
    security_account_id: str | None = None
    """Delegated administrator / audit account id."""
    notification_emails: tuple[str, ...] = ()
    """Who receives security notifications."""
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Tags added to every taggable resource."""
    name_prefix: str = "secbaseline"
    """Prefix of every physical name the baseline creates."""
    control_tower: bool = False
    """True when AWS Control Tower manages the organization's trail, recorders and SCPs."""
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    """Per-component config sections, read-only."""

    def section(self, name: str) -> Mapping[str, Any]:
        """A component's config section (empty when not configured)."""
        if name not in SECTION_KEYS:
            raise KeyError(f"unknown config section {name!r}")
        return self.sections.get(name, MappingProxyType({}))

    @property
    def regions(self) -> tuple[str, ...]:
        """Detection regions; raises if they have not been resolved yet."""
        if self.detection_regions is None:
            raise RuntimeError("detection regions are not resolved; call resolve_regions first")
        return self.detection_regions

    def at_least(self, tier: Tier) -> bool:
        """True when this stack's tier includes ``tier``."""
        return TIERS.index(self.tier) >= TIERS.index(tier)

    @property
    def organization_owned(self) -> frozenset[str]:
        """Services the organization (or Control Tower) enables here: see the function."""
        return organization_owned(self.tier, self.role, self.control_tower)

    def with_detection_regions(self, regions: tuple[str, ...]) -> Settings:
        """A copy with detection regions resolved (validated, sorted, home included)."""
        resolved = validate.regions("detectionRegions", list(regions))
        if self.home_region not in resolved:
            raise ValueError(f"detectionRegions: must include the home region {self.home_region!r}")
        return replace(self, detection_regions=resolved)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view with the config's camelCase keys."""
        return {
            "project": self.project,
            "stack": self.stack,
            "tier": self.tier,
            "role": self.role,
            "homeRegion": self.home_region,
            "detectionRegions": list(self.detection_regions)
            if self.detection_regions is not None
            else None,
            "allowedRegions": list(self.allowed_regions),
            "accountId": self.account_id,
            "organizationId": self.organization_id,
            "managementAccountId": self.management_account_id,
            "securityAccountId": self.security_account_id,
            "notificationEmails": list(self.notification_emails),
            "tags": dict(self.tags),
            "namePrefix": self.name_prefix,
            "controlTower": self.control_tower,
            "sections": thaw(self.sections),
        }


def _expect(key: str, value: Any, kind: str) -> Any:
    checks: dict[str, tuple[type | tuple[type, ...], str]] = {
        "str": (str, "a string"),
        "list": ((list, tuple), "a list"),
        "dict": (Mapping, "a mapping"),
        "bool": (bool, "true or false"),
    }
    typ, label = checks[kind]
    if not isinstance(value, typ):
        raise ValueError(f"{key}: expected {label}, got {value!r}")
    return value


def settings_from_config(
    config: Mapping[str, Any],
    *,
    project: str = PROJECT,
    stack: str = "dev",
    aws_region: str | None = None,
) -> Settings:
    """Validate project config (unqualified camelCase keys) into Settings.

    ``aws_region`` is the ``aws:region`` value, the fallback for ``homeRegion``.
    """
    allowed_keys = set(CORE_KEYS) | SECTION_KEYS
    for key in config:
        if key not in allowed_keys:
            raise ValueError(
                f"{key}: unknown config key; allowed keys are {', '.join(sorted(allowed_keys))}"
            )
    values = {
        k: _expect(k, config[k], kind)
        for k, kind in CORE_KEYS.items()
        if k in config and not (k in UNSET_WHEN_EMPTY and config[k] in ("", [], ()))
    }

    tier = cast(Tier, validate.one_of("tier", values.get("tier", "beginner"), TIERS))
    role = cast(Role, validate.one_of("role", values.get("role", "standalone"), ROLES))
    if tier == "advanced" and role not in ORGANIZATION_ROLES:
        raise ValueError(
            f"role: the advanced tier needs an organization role "
            f"({', '.join(ORGANIZATION_ROLES)}), got {role!r}"
        )

    home = values.get("homeRegion", aws_region)
    if home is None:
        raise ValueError("homeRegion: required (set secbaseline:homeRegion or aws:region)")
    home_region = validate.region("homeRegion", home)

    detection: tuple[str, ...] | None = None
    if "detectionRegions" in values:
        detection = validate.regions("detectionRegions", list(values["detectionRegions"]))
        if home_region not in detection:
            raise ValueError(f"detectionRegions: must include the home region {home_region!r}")

    allowed = validate.regions("allowedRegions", list(values.get("allowedRegions", [home_region])))
    if home_region not in allowed:
        raise ValueError(f"allowedRegions: must include the home region {home_region!r}")

    def optional(key: str, check: Any) -> str | None:
        return check(key, values[key]) if key in values else None

    organization_id = optional("organizationId", validate.organization_id)
    management_id = optional("managementAccountId", validate.account_id)
    security_id = optional("securityAccountId", validate.account_id)
    account_id = optional("accountId", validate.account_id)

    if role in ORGANIZATION_ROLES or tier == "advanced":
        missing = [
            key
            for key, val in (
                ("organizationId", organization_id),
                ("managementAccountId", management_id),
                ("securityAccountId", security_id),
            )
            if val is None and tier == "advanced"
        ]
        if missing:
            raise ValueError(
                f"{missing[0]}: required for the advanced tier (role {role!r}); "
                f"also check {', '.join(missing[1:]) or 'nothing else'}"
            )
    if management_id is not None and management_id == security_id:
        raise ValueError(
            "securityAccountId: must differ from managementAccountId "
            "(the management account cannot be the delegated administrator)"
        )
    if account_id is None:
        account_id = {"management": management_id, "security": security_id}.get(role)
    elif role == "management" and management_id is not None and account_id != management_id:
        raise ValueError("accountId: a management-role stack must run in managementAccountId")
    elif role == "security" and security_id is not None and account_id != security_id:
        raise ValueError("accountId: a security-role stack must run in securityAccountId")

    emails = tuple(
        validate.email(f"notificationEmails[{i}]", e)
        for i, e in enumerate(values.get("notificationEmails", []))
    )
    seen: dict[str, int] = {}
    for i, address in enumerate(emails):
        if address.lower() in seen:
            raise ValueError(
                f"notificationEmails[{i}]: {address!r} is already notificationEmails"
                f"[{seen[address.lower()]}]; list each address once"
            )
        seen[address.lower()] = i
    if tier != "beginner" and not emails:
        raise ValueError(
            f"notificationEmails: required from the intermediate tier on (tier {tier!r}): "
            "findings and alarms are mailed there; set "
            "`pulumi config set --path 'secbaseline:notificationEmails[0]' you@example.com`"
        )
    sections: dict[str, Any] = {}
    for key in sorted(SECTION_KEYS & set(config)):
        section = config[key]
        if not isinstance(section, Mapping):
            raise ValueError(f"{key}: expected a mapping of options, got {section!r}")
        sections[key] = section

    return Settings(
        project=project,
        stack=stack,
        tier=tier,
        role=role,
        home_region=home_region,
        detection_regions=detection,
        allowed_regions=allowed,
        account_id=account_id,
        organization_id=organization_id,
        management_account_id=management_id,
        security_account_id=security_id,
        notification_emails=emails,
        tags=MappingProxyType(validate.tags("tags", dict(values.get("tags", {})))),
        name_prefix=validate.name_prefix("namePrefix", values.get("namePrefix", "secbaseline")),
        control_tower=bool(values.get("controlTower", False)),
        sections=_freeze(sections),
    )


def _decode(key: str, raw: str) -> Any:
    """Pulumi stores structured config as JSON text and scalars as plain text."""
    kind = CORE_KEYS.get(key, "object")
    if kind == "str":
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError(f"{key}: expected {kind} config (JSON), got {raw!r}") from None


def settings_from_pulumi() -> Settings:
    """Read the running Pulumi program's config (real deployment or mock runtime)."""
    import pulumi  # local import: keeps this module importable without the SDK's runtime
    from pulumi.runtime.config import CONFIG, get_config_env

    project = pulumi.get_project()
    prefix = f"{project}:"
    every = {**get_config_env(), **CONFIG.get()}
    raw = {k[len(prefix) :]: v for k, v in every.items() if k.startswith(prefix)}
    config = {k: _decode(k, v) for k, v in raw.items()}
    aws_region = every.get("aws:region")
    return settings_from_config(
        config, project=project, stack=pulumi.get_stack(), aws_region=aws_region
    )
