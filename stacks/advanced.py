"""Advanced tier (S-19 all accounts, S-24..S-30): the organization enforces the baseline.

One stack per account, run in this order (see docs/organization.md, "Order of the stacks"):

1. ``security`` account with ``tier: intermediate``: its own GuardDuty detectors, Security
   Hub and Detective graph in every detection region. They must exist before step 2:
   designating the delegated administrator enables GuardDuty (a detector) and Detective (a
   graph) in the security account in each region, and the security stack's ThreatDetection
   and Investigation would then fail creating them. An admin that already has a detector or
   graph keeps it: the designation reuses it.
2. ``management`` (``tier: advanced``, ``role: management``): the account baseline
   (intermediate tier), then the organization (adopted), delegated administrators,
   organization trail and guardrail SCPs.
3. ``security`` switched to ``tier: advanced``, ``role: security``: the account baseline
   unchanged, then organization-wide detection as delegated administrator, built on the
   existing detectors and graph. Its notification topic (intermediate tier) receives the
   aggregated findings of every account.
4. ``member`` accounts: the account baseline only. GuardDuty, Security Hub, Inspector and
   Detective are enabled by the security account's auto-enable, CloudTrail by the
   organization trail, and the SCPs reach it from the root. What the member still deploys
   itself: account hardening, access (SSM), data protection, Config recording per region
   (unless Control Tower records it), incident response, and the change alarms as EventBridge
   rules (its events reach no log group it owns). ``Settings.organization_owned``
   (baseline/settings.py) tells the intermediate parts which services the organization owns
   for this account so they skip them rather than create duplicates (e.g. a second
   GuardDuty detector in a region).
"""

from __future__ import annotations

from secbaseline.stacks import intermediate
from secbaseline.stacks.context import TierContext
from secbaseline.stacks.parts import organization


def build(ctx: TierContext) -> None:
    """Deploy the advanced tier for this account's role (includes intermediate)."""
    # Every role keeps the account-level baseline: the management and security accounts
    # are accounts too, and SCPs never restrict the management account.
    intermediate.build(ctx)
    organization.build(ctx)
