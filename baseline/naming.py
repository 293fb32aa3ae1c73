"""Physical names and tags shared by every component."""

from __future__ import annotations

import re
from collections.abc import Mapping

MANAGED_BY = "pulumi-aws-security-baseline"
MANAGED_BY_TAG = "secbaseline:managed-by"

MAX_BUCKET_PREFIX = 32
"""S3 allows 37 characters before the 26-character unique suffix it appends to a
``bucket_prefix``; 5 stay free for the access-log bucket's ``logs-``."""
REMEDIATION_ROLE = "config-remediation"
"""Name (after ``<name_prefix>-``) of the role Config remediation runbooks run as; the SCPs
exempt it by name where a runbook must act (instance metadata options, region deny)."""
ISOLATION_ROLE = "ec2-isolation"
"""Name (after ``<name_prefix>-``) of the EC2-isolation function's role (SCP region deny)."""


def bucket_prefix(name_prefix: str, purpose: str) -> str:
    """``<name_prefix>-<purpose>-``: the physical-name prefix of one of the baseline's buckets.

    Every bucket the baseline creates for itself is named under ``<name_prefix>-`` so that the
    delegation permissions boundary can fence them by ARN (``arn:aws:s3:::<name_prefix>-*``).
    The purpose is cut short when a long ``name_prefix`` (up to 24 characters) would exceed
    :data:`MAX_BUCKET_PREFIX`; ``<name_prefix>-`` itself always fits.
    """
    base = physical_name(name_prefix, purpose)[: MAX_BUCKET_PREFIX - 1].rstrip("-")
    return f"{base}-"


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
