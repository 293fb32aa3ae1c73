"""Automatic EC2 isolation on GuardDuty findings (S-22, S-23)."""

from __future__ import annotations

from stacks.context import TierContext


def build(ctx: TierContext) -> None:
    """Not built yet: see the open issue for this part."""
    del ctx
