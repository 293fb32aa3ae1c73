"""The account's own trail and the "who changed what" alarms (S-15, S-21, S-22).

- ``accountTrail``: on by default from the intermediate tier in a **standalone** account (the
  beginner tier may switch it on with ``enabled: true``). Accounts of an organization (role
  management, security or member) and Control Tower accounts are covered by the organization
  trail and skip it unless the section says ``enabled: true`` (an organization without an
  organization trail).
- ``changeAlarms``: from the intermediate tier (they notify the notifications topic), on the
  account trail's log group, and in the management account on the organization trail's log
  group when ``organizationTrail.cloudwatchLogs`` is on. Where there is no such log group,
  EventBridge rules on the CloudTrail events instead, in every detection region and us-east-1:
  an account trail with ``cloudwatchLogs: false``, the management account whose organization
  trail has no log copy, and member and security accounts in the advanced tier (their events
  reach no log group they own). ``enabled: false`` switches them off.
"""

from __future__ import annotations

from typing import Any

import pulumi

from secbaseline.baseline import validate
from secbaseline.baseline.args import ArgumentError, ComponentArgs, config_key
from secbaseline.baseline.settings import Settings, thaw
from secbaseline.components.account_trail import AccountTrail, AccountTrailArgs
from secbaseline.components.change_alarms import ChangeAlarms, ChangeAlarmsArgs
from secbaseline.stacks.context import TierContext

TRAIL = "accountTrail"
ALARMS = "changeAlarms"
TRAIL_SET = ("home_region", "account_id", "name_prefix")
ALARMS_SET = (
    "log_group_name",
    "home_region",
    "notification_topic_arn",
    "name_prefix",
    "regions",
    "account_id",
)
"""Arguments the tier sets from the stack's settings, refused in the sections."""


def _section(
    ctx: TierContext, name: str, args: type[ComponentArgs], tier_set: tuple[str, ...]
) -> tuple[dict[str, Any], Any]:
    """The section without ``enabled`` (keys checked, tier-set keys refused) and its
    ``enabled`` value (None when the section leaves it out)."""
    raw = dict(thaw(ctx.settings.section(name)))
    args.check_keys(name, raw, extra=("enabled",))
    for key in tier_set:
        if config_key("", key) in raw:
            raise ArgumentError(
                f"{config_key(name, key)}: set by the tier from the stack's settings; remove it"
            )
    return raw, raw.pop("enabled", None)


def trail_by_default(settings: Settings) -> bool:
    """The account trail's default: intermediate tier and up, in a standalone account that
    Control Tower does not log."""
    return (
        settings.at_least("intermediate")
        and settings.role == "standalone"
        and "cloudtrail" not in settings.organization_owned
    )


def build_trail(ctx: TierContext) -> AccountTrail | None:
    """The account trail when ``accountTrail`` is on (see the module docstring)."""
    settings = ctx.settings
    raw, enabled = _section(ctx, TRAIL, AccountTrailArgs, TRAIL_SET)
    on = (
        trail_by_default(settings)
        if enabled is None
        else validate.boolean(f"{TRAIL}.enabled", enabled)
    )
    if not on:
        return None
    args = AccountTrailArgs.from_config(
        TRAIL,
        raw,
        home_region=settings.home_region,
        account_id=ctx.account_id,
        name_prefix=settings.name_prefix,
    )
    trail = AccountTrail("account-trail", args, opts=ctx.opts())
    ctx.trail_log_group_name = trail.log_group_name
    ctx.trail_without_log_group = trail.log_group_name is None
    pulumi.export("accountTrailArn", trail.trail_arn)
    return trail


def events_instead(ctx: TierContext) -> bool:
    """Whether this account's change alarms, without a trail log group of its own, are
    EventBridge rules: its account trail logs to no group, or it is a member or security
    account of the advanced tier (the organization trail's log copy, if any, is the management
    account's)."""
    settings = ctx.settings
    return ctx.trail_without_log_group or (
        settings.at_least("advanced") and settings.role in ("member", "security")
    )


def build_alarms(
    ctx: TierContext,
    log_group_name: pulumi.Input[str] | None,
    *,
    name: str = "change-alarms",
    by_events: bool = False,
) -> ChangeAlarms | None:
    """Alarms on ``log_group_name`` to the notifications topic; without it, EventBridge rules
    when ``by_events``; nothing when ``changeAlarms`` says ``enabled: false`` or there is no
    topic."""
    settings = ctx.settings
    raw, enabled = _section(ctx, ALARMS, ChangeAlarmsArgs, ALARMS_SET)
    if enabled is not None and not validate.boolean(f"{ALARMS}.enabled", enabled):
        return None
    if (log_group_name is None and not by_events) or ctx.notification_topic_arn is None:
        return None
    where: dict[str, Any] = (
        {"log_group_name": log_group_name}
        if log_group_name is not None
        else {"regions": settings.regions, "account_id": ctx.account_id}
    )
    args = ChangeAlarmsArgs.from_config(
        ALARMS,
        raw,
        home_region=settings.home_region,
        notification_topic_arn=ctx.notification_topic_arn,
        name_prefix=settings.name_prefix,
        **where,
    )
    return ChangeAlarms(name, args, opts=ctx.opts())
