"""Read settings, create the account provider, resolve regions and run the tier program."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws

from secbaseline.baseline.naming import baseline_tags
from secbaseline.baseline.regions import COMMERCIAL_REGIONS
from secbaseline.baseline.settings import Settings, settings_from_pulumi
from secbaseline.stacks import advanced, beginner, intermediate
from secbaseline.stacks.context import TierContext
from secbaseline.stacks.sections import check_sections

TIER_PROGRAMS: dict[str, Callable[[TierContext], None]] = {
    "beginner": beginner.build,
    "intermediate": intermediate.build,
    "advanced": advanced.build,
}


def enabled_regions(provider: aws.Provider) -> tuple[str, ...]:
    """The account's enabled regions (opt-in-not-required plus opted-in), known names only."""
    found = aws.get_regions(opts=pulumi.InvokeOptions(provider=provider)).names
    unknown = sorted(set(found) - COMMERCIAL_REGIONS)
    if unknown:
        pulumi.log.warn(
            f"ignoring regions this baseline does not know yet: {', '.join(unknown)}; "
            "list them in detectionRegions once baseline/regions.py knows them"
        )
    return tuple(sorted(set(found) & COMMERCIAL_REGIONS))


def build(settings: Settings) -> TierContext:
    """Create the account provider and run the tier program for these settings."""
    check_sections(settings)
    provider = aws.Provider(
        "account",
        region=settings.home_region,
        default_tags={"tags": baseline_tags(settings.tags)},
        allowed_account_ids=[settings.account_id] if settings.account_id else None,
    )
    if settings.detection_regions is None:
        settings = settings.with_detection_regions(enabled_regions(provider))
        pulumi.log.warn(
            f"detectionRegions is not set: detection runs in all {len(settings.regions)} regions "
            "enabled in the account, and GuardDuty, Config, Security Hub and Inspector bill per "
            "region; set secbaseline:detectionRegions to the regions you use (docs/cost.md)"
        )
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
    ctx = TierContext(settings=settings, provider=provider, account_id=identity.account_id)
    TIER_PROGRAMS[settings.tier](ctx)
    pulumi.export("tier", settings.tier)
    pulumi.export("role", settings.role)
    pulumi.export("detectionRegions", list(settings.regions))
    return ctx


def main() -> None:
    """Entry point for ``pulumi up``/``preview`` and the offline engine."""
    build(settings_from_pulumi())
