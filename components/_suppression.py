"""Triage as code: what every suppression rule (Security Hub automation rule, GuardDuty filter)
must carry, a reason and an expiry date, and how it is recorded on the resource.

The expiry is written as the tag ``secbaseline:expires`` and the reason into the resource's
description, so the policy pack (``triage-rule-not-expired``) can refuse an expired or
unexplained rule in any program's plan, not only in ours.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from secbaseline.baseline.catalog import TRIAGE_EXPIRES_TAG

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def today() -> datetime.date:
    """Today's date in UTC (the day a plan or check runs)."""
    return datetime.datetime.now(datetime.UTC).date()


def expires(field: str, value: Any) -> Any:
    """An ISO date (YYYY-MM-DD) that has not passed (quote it in YAML)."""
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError(f"{field}: {value!r} is not a date YYYY-MM-DD")
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a date YYYY-MM-DD") from None
    if day < today():
        raise ValueError(
            f"{field}: the rule expired on {value}; review it, then renew the date or remove "
            "the rule"
        )
    return value


def reason(field: str, value: Any) -> Any:
    """Why findings are suppressed: 10-400 characters a reviewer can judge."""
    if not isinstance(value, str) or not 10 <= len(value.strip()) <= 400:
        raise ValueError(
            f"{field}: say why these findings are suppressed (10-400 characters), got {value!r}"
        )
    return value.strip()


def description(reason_text: str, expiry: str) -> str:
    """The rule's description: its reason and expiry, readable in the AWS console."""
    return f"{reason_text} (expires {expiry}; secbaseline)"


def tags(expiry: str, tags: dict[str, str] | None) -> dict[str, str]:
    """The resource's tags plus its expiry."""
    return {**(tags or {}), TRIAGE_EXPIRES_TAG: expiry}
