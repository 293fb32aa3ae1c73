"""Eager validation of plain values. Every failure is a ValueError naming the field."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence

from secbaseline.baseline.regions import COMMERCIAL_REGIONS

_ACCOUNT_ID = re.compile(r"^\d{12}$", re.ASCII)
# Deliberately simple: one @, a dot in the domain, no spaces. AWS SNS accepts these.
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$", re.ASCII)
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$", re.ASCII)
_OU_ID = re.compile(r"^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$", re.ASCII)
_ROOT_ID = re.compile(r"^r-[a-z0-9]{4,32}$", re.ASCII)
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,23}$", re.ASCII)
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$", re.ASCII)
_RESOURCE_ID = {
    "vpc": re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$", re.ASCII),
    "subnet": re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$", re.ASCII),
    "sg": re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$", re.ASCII),
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
    if not isinstance(value, str) or not _ACCOUNT_ID.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a 12-digit AWS account id (quote it in YAML)")
    return value


def email(field: str, value: object) -> str:
    """An e-mail address."""
    if not isinstance(value, str) or not _EMAIL.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a valid e-mail address")
    return value


def organization_id(field: str, value: object) -> str:
    """An AWS Organizations id such as o-a1b2c3d4e5."""
    if not isinstance(value, str) or not _ORG_ID.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not an organization id (o- and 10-32 a-z0-9)")
    return value


def ou_or_root_id(field: str, value: object) -> str:
    """An organizational unit id (ou-...) or root id (r-...)."""
    if not isinstance(value, str) or not (_OU_ID.fullmatch(value) or _ROOT_ID.fullmatch(value)):
        raise ValueError(
            f"{field}: {value!r} is not an OU id (ou-xxxx-yyyyyyyy) or root id (r-xxxx)"
        )
    return value


def name_prefix(field: str, value: object) -> str:
    """A resource name prefix: lowercase letters, digits and dashes, 2-24 characters."""
    if not isinstance(value, str) or not _NAME_PREFIX.fullmatch(value):
        raise ValueError(
            f"{field}: {value!r} must be 2-24 characters of a-z, 0-9 and '-', starting with a letter"
        )
    return value


def kms_key_arn(field: str, value: object) -> str:
    """A KMS key (or alias) ARN."""
    return arn(field, value, service="kms")


def vpc_id(field: str, value: object) -> str:
    """A VPC id (vpc-...)."""
    return resource_id(field, value, "vpc")


def subnet_id(field: str, value: object) -> str:
    """A subnet id (subnet-...)."""
    return resource_id(field, value, "subnet")


def security_group_id(field: str, value: object) -> str:
    """A security group id (sg-...)."""
    return resource_id(field, value, "sg")


def arn_of(service: str) -> Callable[[str, object], str]:
    """A check for ARNs of one service, for :func:`secbaseline.baseline.args.arg`."""

    def check(field: str, value: object) -> str:
        return arn(field, value, service=service)

    check.__doc__ = f"An ARN of service {service!r}."
    return check


def arn(field: str, value: object, *, service: str | None = None) -> str:
    """An ARN in the aws partitions, optionally of one service."""
    if not isinstance(value, str) or not _ARN.fullmatch(value):
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
    if not isinstance(value, str) or not pattern.fullmatch(value):
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


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$", re.ASCII)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (name, low, high, names) of the cron fields AWS schedules use, in order; year is optional.
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _WEEKDAYS),
    ("year", 1970, 2199, ()),
)


def _cron_value(token: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if token.upper() in names:
        return True
    return token.isdigit() and low <= int(token) <= high


def _cron_part(part: str, index: int) -> bool:
    """One comma-separated part of a cron field: *, ?, a, a-b, a/b, */b, L, nW, n#k, nL."""
    _, low, high, names = _CRON_FIELDS[index]
    if part == "*" or (part == "?" and index in (2, 4)):
        return True
    if index == 2 and (part in ("L", "LW") or re.fullmatch(r"([1-9]|[12]\d|3[01])W", part)):
        return True
    if index == 4:
        if part == "L" or re.fullmatch(r"[1-7]L", part):
            return True
        nth = re.fullmatch(r"(\w+)#[1-5]", part)
        if nth:
            return _cron_value(nth.group(1), low, high, names)
    base, slash, step = part.partition("/")
    if slash and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*" and slash:
        return True
    first, dash, last = base.partition("-")
    if dash:
        return _cron_value(first, low, high, names) and _cron_value(last, low, high, names)
    return _cron_value(first, low, high, names)


def schedule_expression(field: str, value: object) -> str:
    """An AWS schedule: ``rate(N unit)`` or ``cron(min hour day-of-month month day-of-week [year])``.

    The form Systems Manager (maintenance windows, associations) and EventBridge accept:
    one of day-of-month and day-of-week must be ``?``; ``rate`` takes a positive count with a
    singular unit for 1 and a plural one otherwise.
    """
    if not isinstance(value, str):
        raise ValueError(f"{field}: {value!r} is not a schedule expression")
    rate = _RATE.fullmatch(value)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if count < 1:
            raise ValueError(f"{field}: {value!r}: the rate must be at least 1")
        if (count == 1) != (not unit.endswith("s")):
            raise ValueError(
                f"{field}: {value!r}: use a singular unit for 1 and a plural one otherwise"
            )
        return value
    if not (value.startswith("cron(") and value.endswith(")")):
        raise ValueError(
            f"{field}: {value!r} is not a schedule expression; expected rate(N unit) "
            "or cron(minutes hours day-of-month month day-of-week [year])"
        )
    fields = value[len("cron(") : -1].split()
    if len(fields) not in (5, 6):
        raise ValueError(
            f"{field}: {value!r}: cron needs 5 or 6 fields "
            f"(minutes hours day-of-month month day-of-week [year]), got {len(fields)}"
        )
    for index, text in enumerate(fields):
        if not all(part and _cron_part(part, index) for part in text.split(",")):
            raise ValueError(f"{field}: {value!r}: bad {_CRON_FIELDS[index][0]} field {text!r}")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ValueError(
            f"{field}: {value!r}: exactly one of day-of-month and day-of-week must be '?'"
        )
    return value


_COUNT_OR_PERCENT = re.compile(r"^(\d+)(%?)$", re.ASCII)


def count_or_percentage(field: str, value: object, *, allow_zero: bool = False) -> str:
    """A count (``"1"``) or percentage (``"10%"``), as SSM max concurrency / max errors take.

    Integers are accepted and returned as text. Percentages are 0-100; zero only if allowed.
    """
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    match = _COUNT_OR_PERCENT.fullmatch(text) if isinstance(text, str) else None
    if match is None or not isinstance(text, str):
        raise ValueError(f"{field}: {value!r} is not a count (e.g. 1) or percentage (e.g. 10%)")
    number, percent = int(match.group(1)), bool(match.group(2))
    low = 0 if allow_zero else 1
    if number < low or (percent and number > 100) or (not percent and number > 10000):
        limit = "100%" if percent else "10000"
        raise ValueError(f"{field}: {value!r} is out of range {low}-{limit}")
    return f"{number}{'%' if percent else ''}"


LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", re.ASCII)


def log_retention_days(field: str, value: object) -> int:
    """A retention period CloudWatch Logs accepts (days)."""
    if not isinstance(value, int) or isinstance(value, bool) or value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{field}: {value!r} is not a CloudWatch Logs retention; use one of "
            f"{', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    return value


_BUCKET_PREFIX = re.compile(r"^[a-z0-9][a-z0-9.-]{0,31}$", re.ASCII)


def bucket_prefix(field: str, value: object) -> str:
    """A prefix S3 completes with a unique suffix: 1-32 characters of a-z, 0-9, '.' and '-'."""
    if not isinstance(value, str) or not _BUCKET_PREFIX.fullmatch(value) or ".." in value:
        raise ValueError(
            f"{field}: {value!r} is not a valid S3 bucket name prefix (1-32 characters of a-z, "
            "0-9, '.', '-', starting with a letter or digit)"
        )
    return value


def bucket_name(field: str, value: object) -> str:
    """An S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', no '..'."""
    if not isinstance(value, str) or not _BUCKET_NAME.fullmatch(value) or ".." in value:
        raise ValueError(
            f"{field}: {value!r} is not a valid S3 bucket name (3-63 characters of a-z, 0-9, "
            "'.', '-', starting and ending with a letter or digit)"
        )
    return value
