"""Advanced tier (S-24..S-30): organization-wide guardrails, per account role."""

from __future__ import annotations

from stacks import intermediate
from stacks.context import TierContext
from stacks.parts import organization


def build(ctx: TierContext) -> None:
    """Deploy the advanced tier (includes intermediate)."""
    intermediate.build(ctx)
    organization.build(ctx)
