"""Automatic EC2 isolation on GuardDuty findings (S-22, S-23)."""

from __future__ import annotations

from secbaseline.components.incident_response import IncidentResponse, IncidentResponseArgs
from secbaseline.stacks.context import TierContext


def build(ctx: TierContext) -> IncidentResponse | None:
    """Deploy the isolation function unless ``incidentResponse: {enabled: false}``."""
    settings = ctx.settings
    section = settings.section("incidentResponse")
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"incidentResponse.enabled: expected true or false, got {enabled!r}")
    if not enabled:
        return None
    args = IncidentResponseArgs.from_config(
        section,
        home_region=settings.home_region,
        regions=settings.regions,
        account_id=ctx.account_id,
        notification_topic_arn=ctx.notification_topic_arn,
        name_prefix=settings.name_prefix,
        tags=dict(settings.tags),
    )
    return IncidentResponse("incident-response", args, opts=ctx.opts())
