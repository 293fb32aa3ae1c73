"""Edge, bucket, database and API examples (S-05..S-12, S-14, S-31)."""

from __future__ import annotations

from stacks.context import TierContext


def build(ctx: TierContext) -> None:
    """Not built yet: see the open issue for this part."""
    del ctx
