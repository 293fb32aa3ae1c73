"""AWS Config, remediation and permissions-boundary delegation (S-15, S-16, S-18)."""

from __future__ import annotations

from stacks.context import TierContext


def build(ctx: TierContext) -> None:
    """Not built yet: see the open issue for this part."""
    del ctx
