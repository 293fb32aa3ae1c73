"""SSM-only access, patching and vulnerability scanning (S-01..S-04, S-13)."""

from __future__ import annotations

from stacks.context import TierContext


def build(ctx: TierContext) -> None:
    """Not built yet: see the open issue for this part."""
    del ctx
