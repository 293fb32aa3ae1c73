"""Threat detection and notifications in every region (S-16, S-17, S-19..S-21)."""

from __future__ import annotations

from stacks.context import TierContext


def build(ctx: TierContext) -> None:
    """Not built yet: see the open issue for this part."""
    del ctx
