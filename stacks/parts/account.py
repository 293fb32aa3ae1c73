"""Account-level hardening every tier relies on (S-03, S-09)."""

from __future__ import annotations

from secbaseline.components.account_hardening import AccountHardening, AccountHardeningArgs
from secbaseline.stacks.context import TierContext


def build(ctx: TierContext) -> AccountHardening:
    """Account defaults in every detection region."""
    args = AccountHardeningArgs.from_config(ctx.settings.section("accountHardening"))
    args.regions = ctx.settings.regions
    return AccountHardening("account-hardening", args, opts=ctx.opts())
