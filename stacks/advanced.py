"""Advanced tier (S-19 all accounts, S-24..S-30): the organization enforces the baseline.

One stack per account role, run in this order (see docs/organization.md):

- ``management``: the account baseline (intermediate tier), then the organization
  (adopted), delegated administrators, organization trail and guardrail SCPs.
- ``security``: the account baseline, then organization-wide detection as delegated
  administrator. Its notification topic (intermediate tier) receives the aggregated
  findings of every account.
- ``member``: the account baseline only. GuardDuty, Security Hub, Inspector and Detective
  are enabled by the security account's auto-enable, CloudTrail by the organization trail,
  and the SCPs reach it from the root. What the member still deploys itself: account
  hardening, access (SSM), data protection, Config recording per region (unless Control
  Tower records it), incident response. ``organization.ownership(settings)`` tells the
  intermediate parts which services the organization owns for this account so they skip
  them rather than create duplicates (e.g. a second GuardDuty detector in a region).
"""

from __future__ import annotations

from stacks import intermediate
from stacks.context import TierContext
from stacks.parts import organization


def build(ctx: TierContext) -> None:
    """Deploy the advanced tier for this account's role (includes intermediate)."""
    # Every role keeps the account-level baseline: the management and security accounts
    # are accounts too, and SCPs never restrict the management account.
    intermediate.build(ctx)
    organization.build(ctx)
