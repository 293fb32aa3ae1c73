"""Automatic EC2 isolation on GuardDuty findings (S-22, S-23)."""

from secbaseline.baseline import validate
from secbaseline.baseline.args import ArgumentError, config_key
from secbaseline.baseline.settings import thaw
from secbaseline.components.incident_response import IncidentResponse, IncidentResponseArgs
from secbaseline.stacks.context import TierContext

SECTION = "incidentResponse"
TIER_SET = (
    "home_region",
    "regions",
    "account_id",
    "notification_topic_arn",
    "name_prefix",
    "tags",
)
"""Arguments the tier sets from the project settings, refused in the section."""


def build(ctx: TierContext) -> IncidentResponse | None:
    """Deploy the isolation function unless ``incidentResponse: {enabled: false}``."""
    settings = ctx.settings
    raw = dict(thaw(settings.section(SECTION)))
    IncidentResponseArgs.check_keys(SECTION, raw, extra=("enabled",))
    for name in TIER_SET:
        if config_key("", name) in raw:
            raise ArgumentError(
                f"{config_key(SECTION, name)}: set by the tier from the project settings; remove it"
            )
    if not validate.boolean(f"{SECTION}.enabled", raw.pop("enabled", True)):
        return None
    args = IncidentResponseArgs.from_config(
        SECTION,
        raw,
        home_region=settings.home_region,
        regions=settings.regions,
        account_id=ctx.account_id,
        notification_topic_arn=ctx.notification_topic_arn,
        name_prefix=settings.name_prefix,
        tags=dict(settings.tags),
    )
    return IncidentResponse("incident-response", args, opts=ctx.opts())
