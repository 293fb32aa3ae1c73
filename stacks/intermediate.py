"""Intermediate tier (S-15..S-23): everything in beginner, plus detection and response."""

from __future__ import annotations

from secbaseline.stacks import beginner
from secbaseline.stacks.context import TierContext
from secbaseline.stacks.parts import (
    access,
    compliance,
    data_protection,
    detection,
    incident_response,
    trail,
)


def build(ctx: TierContext) -> None:
    """Deploy the intermediate tier (includes beginner)."""
    beginner.build(ctx)
    detection.build(ctx)  # sets ctx.notification_topic_arn, used by the parts below
    data_protection.build_upload_scanning(ctx)
    access.build_patch_finding_notices(ctx)
    compliance.build(ctx)
    incident_response.build(ctx)
    trail.build_alarms(ctx, ctx.trail_log_group_name, by_events=trail.events_instead(ctx))
