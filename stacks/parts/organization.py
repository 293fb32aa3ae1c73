"""Organization guardrails per account role (S-24..S-30)."""

from __future__ import annotations

from stacks.context import TierContext


def build(ctx: TierContext) -> None:
    """Not built yet: see the open issue for this part."""
    del ctx
