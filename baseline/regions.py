"""AWS commercial-partition regions the baseline knows about.

Lists are plain data so that validation never needs an AWS call. Update them when AWS
launches a region; an unknown name is rejected rather than silently skipped.
"""

from __future__ import annotations

# Regions enabled by default in every account (no opt-in needed).
DEFAULT_ENABLED_REGIONS: tuple[str, ...] = (
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)

# Regions an account must opt in to before use.
OPT_IN_REGIONS: tuple[str, ...] = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
)

COMMERCIAL_REGIONS: frozenset[str] = frozenset(DEFAULT_ENABLED_REGIONS + OPT_IN_REGIONS)

# CloudFront-scoped WAF web ACLs, ACM certificates for CloudFront and other
# "global" control planes live here.
GLOBAL_CONTROL_REGION = "us-east-1"


def sort_regions(regions: list[str] | tuple[str, ...] | set[str]) -> tuple[str, ...]:
    """Deduplicate and sort region names so plans are deterministic."""
    return tuple(sorted(set(regions)))
