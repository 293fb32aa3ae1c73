"""Physical names and tags shared by every component."""

from __future__ import annotations

import re
from collections.abc import Mapping

MANAGED_BY = "pulumi-aws-security-baseline"
MANAGED_BY_TAG = "secbaseline:managed-by"


def physical_name(prefix: str, *parts: str, max_length: int = 64) -> str:
    """``prefix-part-part`` lowercased with unsafe characters replaced by '-'.

    Raises ValueError if the result would exceed ``max_length`` (most AWS names allow 64).
    """
    raw = "-".join(p for p in (prefix, *parts) if p)
    name = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name)
    if len(name) > max_length:
        raise ValueError(
            f"name {name!r} is longer than {max_length} characters; shorten namePrefix"
        )
    return name


def baseline_tags(
    extra: Mapping[str, str] | None = None, *, component: str | None = None
) -> dict[str, str]:
    """Tags that mark a resource as the baseline's, plus the user's own."""
    tags = {MANAGED_BY_TAG: MANAGED_BY}
    if component:
        tags["secbaseline:component"] = component
    if extra:
        tags.update(extra)
    return tags
