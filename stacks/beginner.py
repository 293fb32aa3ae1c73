"""Beginner tier (S-01..S-14): account hardening, SSM-only access, patching, data protection."""

from __future__ import annotations

from secbaseline.stacks.context import TierContext
from secbaseline.stacks.parts import access, account, data_protection, trail


def build(ctx: TierContext) -> None:
    """Deploy the beginner tier into the account."""
    account.build(ctx)
    access.build(ctx)
    data_protection.build(ctx)
    trail.build_trail(ctx)  # opt-in here; on by default from intermediate (standalone)
