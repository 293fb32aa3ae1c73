"""Eager validation of plain values. Every failure is a ValueError naming the field."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from baseline.regions import COMMERCIAL_REGIONS

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# Deliberately simple: one @, a dot in the domain, no spaces. AWS SNS accepts these.
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_OU_ID = re.compile(r"^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$")
_ROOT_ID = re.compile(r"^r-[a-z0-9]{4,32}$")
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,23}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")
_RESOURCE_ID = {
    "vpc": re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "subnet": re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "sg": re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$"),
}


def one_of(field: str, value: str, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; otherwise raise naming the field."""
    options = list(allowed)
    if value not in options:
        raise ValueError(f"{field}: {value!r} is not one of {', '.join(options)}")
    return value


def region(field: str, value: str) -> str:
    """A known commercial AWS region name."""
    if not isinstance(value, str) or value not in COMMERCIAL_REGIONS:
        raise ValueError(
            f"{field}: unknown AWS region {value!r}; expected a commercial region name "
            f"such as us-east-1 or ap-northeast-1"
        )
    return value


def regions(field: str, values: Sequence[str], *, allow_empty: bool = False) -> tuple[str, ...]:
    """A list of known regions; duplicates are rejected, the result is sorted."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValueError(f"{field}: expected a list of region names, got {values!r}")
    if not values and not allow_empty:
        raise ValueError(f"{field}: must name at least one region")
    seen: set[str] = set()
    for value in values:
        region(field, value)
        if value in seen:
            raise ValueError(f"{field}: region {value!r} is listed twice")
        seen.add(value)
    return tuple(sorted(seen))


def regions_with_home(section: str, values: Sequence[str], home: str) -> tuple[str, ...]:
    """``<section>.regions`` (validated, sorted) that include ``<section>.homeRegion``."""
    resolved = regions(f"{section}.regions", values)
    region(f"{section}.homeRegion", home)
    if home not in resolved:
        raise ValueError(f"{section}.homeRegion: {home} is not one of the regions")
    return resolved


def account_id(field: str, value: object) -> str:
    """A 12-digit AWS account id (as a string: leading zeros matter)."""
    if not isinstance(value, str) or not _ACCOUNT_ID.match(value):
        raise ValueError(f"{field}: {value!r} is not a 12-digit AWS account id (quote it in YAML)")
    return value


def email(field: str, value: object) -> str:
    """An e-mail address."""
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise ValueError(f"{field}: {value!r} is not a valid e-mail address")
    return value


def organization_id(field: str, value: object) -> str:
    """An AWS Organizations id such as o-a1b2c3d4e5."""
    if not isinstance(value, str) or not _ORG_ID.match(value):
        raise ValueError(f"{field}: {value!r} is not an organization id (o- and 10-32 a-z0-9)")
    return value


def ou_or_root_id(field: str, value: object) -> str:
    """An organizational unit id (ou-...) or root id (r-...)."""
    if not isinstance(value, str) or not (_OU_ID.match(value) or _ROOT_ID.match(value)):
        raise ValueError(
            f"{field}: {value!r} is not an OU id (ou-xxxx-yyyyyyyy) or root id (r-xxxx)"
        )
    return value


def name_prefix(field: str, value: object) -> str:
    """A resource name prefix: lowercase letters, digits and dashes, 2-24 characters."""
    if not isinstance(value, str) or not _NAME_PREFIX.match(value):
        raise ValueError(
            f"{field}: {value!r} must be 2-24 characters of a-z, 0-9 and '-', starting with a letter"
        )
    return value


def arn(field: str, value: object, *, service: str | None = None) -> str:
    """An ARN in the aws partitions, optionally of one service."""
    if not isinstance(value, str) or not _ARN.match(value):
        raise ValueError(f"{field}: {value!r} is not an ARN")
    if service is not None and value.split(":")[2] != service:
        raise ValueError(f"{field}: {value!r} is not an ARN of service {service!r}")
    return value


def cidr(field: str, value: object) -> str:
    """An IPv4 or IPv6 CIDR block in canonical form (host bits zero)."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: {value!r} is not a CIDR block")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{field}: {value!r} is not a CIDR block ({exc})") from None
    return str(network)


def resource_id(field: str, value: object, kind: str) -> str:
    """An EC2 resource id of one kind: vpc, subnet or sg."""
    pattern = _RESOURCE_ID[kind]
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"{field}: {value!r} is not a {kind} id ({kind}- and 8 or 17 hex digits)")
    return value


def int_range(field: str, value: object, low: int, high: int) -> int:
    """An integer in [low, high] (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field}: {value!r} is not an integer")
    if not low <= value <= high:
        raise ValueError(f"{field}: {value} is out of range {low}-{high}")
    return value


def number_range(field: str, value: object, low: float, high: float) -> float:
    """A number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{field}: {value!r} is not a number")
    if not low <= float(value) <= high:
        raise ValueError(f"{field}: {value} is out of range {low}-{high}")
    return float(value)


def tags(field: str, value: object) -> dict[str, str]:
    """AWS tags: string keys (1-128 chars, not aws:) and string values (0-256 chars)."""
    if not isinstance(value, dict):
        raise ValueError(f"{field}: expected a mapping of tag names to values, got {value!r}")
    out: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise ValueError(
                f"{field}: tag key {key!r} must be 1-128 characters, not starting aws:"
            )
        if not isinstance(val, str) or len(val) > 256:
            raise ValueError(
                f"{field}: tag {key!r} value must be a string of at most 256 characters"
            )
        out[key] = val
    return out


def known_keys(field: str, value: object, allowed: Iterable[str]) -> dict[str, object]:
    """A config mapping whose keys are all in ``allowed``; returns a plain dict copy."""
    if not hasattr(value, "items"):
        raise ValueError(f"{field}: expected a mapping of options, got {value!r}")
    options = sorted(allowed)
    out: dict[str, object] = {}
    for key, val in value.items():
        if key not in options:
            raise ValueError(f"{field}.{key}: unknown option; allowed: {', '.join(options)}")
        out[str(key)] = val
    return out


def boolean(field: str, value: object) -> bool:
    """A true/false value (not a truthy string)."""
    if not isinstance(value, bool):
        raise ValueError(f"{field}: expected true or false, got {value!r}")
    return value
