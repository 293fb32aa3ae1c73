"""Validate the incoming EventBridge event and read the function's settings from env."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_MIN_SEVERITY = 7.0
DEFAULT_EXEMPT_TAG = "secbaseline:isolation-exempt"
# GuardDuty finding families whose resource can be an EC2 instance. Runtime Monitoring
# findings (``*:Runtime/``) also cover ECS and EKS; the resourceType check keeps instances only.
DEFAULT_TYPE_PREFIXES: tuple[str, ...] = (
    "Backdoor:EC2/",
    "Behavior:EC2/",
    "CryptoCurrency:EC2/",
    "DefenseEvasion:EC2/",
    "Discovery:EC2/",
    "Execution:EC2/",
    "Impact:EC2/",
    "Recon:EC2/",
    "Trojan:EC2/",
    "UnauthorizedAccess:EC2/",
    "Backdoor:Runtime/",
    "CryptoCurrency:Runtime/",
    "DefenseEvasion:Runtime/",
    "Execution:Runtime/",
    "Impact:Runtime/",
    "Persistence:Runtime/",
    "PrivilegeEscalation:Runtime/",
)
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8}([0-9a-f]{9})?$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
MODES = ("notify", "approve", "automatic")
"""``notify``: only notify; ``approve``: notify with the one step that isolates, isolate when a
person approves; ``automatic``: isolate at once."""
DEFAULT_MODE = "approve"
APPROVE_ACTION = "approve-isolation"
"""The ``action`` of the event a person sends to approve a pending isolation."""
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Rejected(ValueError):
    """The event is malformed or not one this function acts on; nothing was called."""


@dataclass(frozen=True)
class Finding:
    """The parts of a GuardDuty finding the isolation needs."""

    id: str
    type: str
    severity: float
    region: str
    account_id: str
    instance_id: str
    title: str


@dataclass(frozen=True)
class Config:
    """Function settings (environment variables)."""

    min_severity: float = DEFAULT_MIN_SEVERITY
    type_prefixes: tuple[str, ...] = DEFAULT_TYPE_PREFIXES
    exempt_tag: str = DEFAULT_EXEMPT_TAG
    evidence_bucket: str | None = None
    topic_arn: str | None = None
    quarantine_profile: str | None = None
    """Instance profile ARN or name that replaces the instance's own; None disassociates."""
    dry_run: bool = False
    fail_on_error: bool = True
    """Raise after an error so Lambda retries the event and then sends it to the DLQ."""
    mode: str = DEFAULT_MODE
    """One of :data:`MODES`."""
    function_name: str = "secbaseline-ec2-isolation"
    """This function's name (Lambda sets ``AWS_LAMBDA_FUNCTION_NAME``): the approval step
    names it."""
    function_region: str | None = None
    """This function's region (Lambda sets ``AWS_REGION``)."""


@dataclass(frozen=True)
class Approval:
    """A person's approval of a pending isolation (sent by invoking the function)."""

    instance_id: str
    region: str
    finding_id: str
    approved_by: str


def approval_event(instance_id: str, region: str, finding_id: str) -> dict[str, str]:
    """The payload that approves isolating ``instance_id`` for ``finding_id``."""
    return {
        "action": APPROVE_ACTION,
        "instanceId": instance_id,
        "region": region,
        "findingId": finding_id,
        "approvedBy": "<your name>",
    }


def is_approval(event: object) -> bool:
    """An approval event (rather than a GuardDuty finding)."""
    return isinstance(event, Mapping) and event.get("action") == APPROVE_ACTION


def parse_approval(event: object) -> Approval:
    """The approval, or ``Rejected`` naming the bad field (no AWS call is made)."""
    if not isinstance(event, Mapping) or event.get("action") != APPROVE_ACTION:
        raise Rejected(f"event: not an approval (action must be {APPROVE_ACTION!r})")
    instance_id = _text(event, "instanceId", "approval")
    if not _INSTANCE_ID.match(instance_id):
        raise Rejected(f"approval.instanceId: {instance_id!r} is not an instance id")
    region = _text(event, "region", "approval")
    if not _REGION.match(region):
        raise Rejected(f"approval.region: {region!r} is not a region name")
    finding_id = _text(event, "findingId", "approval")
    approved_by = event.get("approvedBy")
    if not isinstance(approved_by, str) or not approved_by.strip() or approved_by.startswith("<"):
        raise Rejected("approval.approvedBy: say who approves (a name or e-mail address)")
    return Approval(instance_id, region, finding_id, approved_by.strip()[:128])


def _flag(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{key}: expected true or false, got {raw!r}")


def config_from_env(env: Mapping[str, str]) -> Config:
    """Read settings; a bad value raises ValueError naming the variable."""
    raw_severity = env.get("MIN_SEVERITY", str(DEFAULT_MIN_SEVERITY))
    try:
        min_severity = float(raw_severity)
    except ValueError:
        raise ValueError(f"MIN_SEVERITY: expected a number, got {raw_severity!r}") from None
    if not 0 <= min_severity <= 10:
        raise ValueError(f"MIN_SEVERITY: expected 0-10, got {min_severity}")
    prefixes = DEFAULT_TYPE_PREFIXES
    if env.get("FINDING_TYPE_PREFIXES"):
        prefixes = tuple(p.strip() for p in env["FINDING_TYPE_PREFIXES"].split(",") if p.strip())
    return Config(
        min_severity=min_severity,
        type_prefixes=prefixes,
        exempt_tag=env.get("EXEMPT_TAG") or DEFAULT_EXEMPT_TAG,
        evidence_bucket=env.get("EVIDENCE_BUCKET") or None,
        topic_arn=env.get("NOTIFICATION_TOPIC_ARN") or None,
        quarantine_profile=env.get("QUARANTINE_PROFILE_ARN") or None,
        dry_run=_flag(env, "DRY_RUN", False),
        fail_on_error=_flag(env, "FAIL_ON_ERROR", True),
        mode=_mode(env.get("MODE", DEFAULT_MODE)),
        function_name=env.get("AWS_LAMBDA_FUNCTION_NAME") or Config.function_name,
        function_region=env.get("AWS_REGION") or None,
    )


def _mode(raw: str) -> str:
    value = raw.strip().lower()
    if value not in MODES:
        raise ValueError(f"MODE: expected one of {', '.join(MODES)}, got {raw!r}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise Rejected(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def _mapping(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise Rejected(f"{where}.{key}: expected an object, got {type(value).__name__}")
    return value


def parse_event(event: object, config: Config) -> Finding:
    """The finding to act on, or ``Rejected`` with the reason (no AWS call is made)."""
    if not isinstance(event, Mapping):
        raise Rejected(f"event: expected an object, got {type(event).__name__}")
    if event.get("source") != "aws.guardduty" or event.get("detail-type") != "GuardDuty Finding":
        raise Rejected(
            f"event: not a GuardDuty finding (source={event.get('source')!r}, "
            f"detail-type={event.get('detail-type')!r})"
        )
    detail = _mapping(event, "detail", "event")
    finding_id = _text(detail, "id", "detail")
    finding_type = _text(detail, "type", "detail")
    region = _text(detail, "region", "detail")
    if not _REGION.match(region):
        raise Rejected(f"detail.region: {region!r} is not a region name")
    account_id = _text(detail, "accountId", "detail")
    severity = detail.get("severity")
    if isinstance(severity, bool) or not isinstance(severity, int | float):
        raise Rejected(f"detail.severity: expected a number, got {severity!r}")
    resource = _mapping(detail, "resource", "detail")
    resource_type = resource.get("resourceType")
    if resource_type != "Instance":
        raise Rejected(f"detail.resource.resourceType: {resource_type!r} is not an EC2 instance")
    instance = _mapping(resource, "instanceDetails", "detail.resource")
    instance_id = _text(instance, "instanceId", "detail.resource.instanceDetails")
    if not _INSTANCE_ID.match(instance_id):
        raise Rejected(
            f"detail.resource.instanceDetails.instanceId: {instance_id!r} is not an instance id"
        )
    if float(severity) < config.min_severity:
        raise Rejected(f"detail.severity: {severity} is below MIN_SEVERITY {config.min_severity}")
    if not finding_type.startswith(config.type_prefixes):
        raise Rejected(f"detail.type: {finding_type!r} is not one of the configured types")
    title = detail.get("title")
    return Finding(
        id=finding_id,
        type=finding_type,
        severity=float(severity),
        region=region,
        account_id=account_id,
        instance_id=instance_id,
        title=title if isinstance(title, str) else finding_type,
    )
