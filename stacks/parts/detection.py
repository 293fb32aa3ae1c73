"""Threat detection and notifications in every region (S-16, S-17, S-19..S-21)."""

from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi

from secbaseline.baseline.args import ArgumentError, ComponentArgs, config_key
from secbaseline.baseline.settings import thaw
from secbaseline.components.access_analysis import AccessAnalysis, AccessAnalysisArgs
from secbaseline.components.investigation import Investigation, InvestigationArgs
from secbaseline.components.security_hub import SecurityHub, SecurityHubArgs
from secbaseline.components.security_notifications import (
    SecurityNotifications,
    SecurityNotificationsArgs,
)
from secbaseline.components.threat_detection import ThreatDetection, ThreatDetectionArgs
from secbaseline.stacks.adoption import adopt_args
from secbaseline.stacks.context import TierContext

_A = TypeVar("_A", bound=ComponentArgs)


def _args(ctx: TierContext, cls: type[_A], section: str, **values: Any) -> _A:
    """``cls`` from the config section plus the values the tier sets (Python names); the
    section may not set those itself (they come from the stack's top-level settings)."""
    raw = thaw(ctx.settings.section(section))
    if isinstance(raw, dict):
        for name in values:
            if config_key("", name) in raw:
                raise ArgumentError(
                    f"{config_key(section, name)}: set by the tier from the stack's settings; "
                    "remove it from this section"
                )
    return cls.from_config(section, raw, **values)


@dataclass
class Detection:
    """The detection components of one account (None where the organization owns them)."""

    threat_detection: ThreatDetection | None
    security_hub: SecurityHub | None
    investigation: Investigation | None
    access_analysis: AccessAnalysis
    notifications: SecurityNotifications


def _central_security_hub(ctx: TierContext) -> bool:
    """The security account applies a central configuration policy to the whole organization."""
    settings = ctx.settings
    mode = settings.section("organizationDetection").get("securityHubMode", "CENTRAL")
    return settings.tier == "advanced" and settings.role == "security" and mode == "CENTRAL"


def build(ctx: TierContext) -> Detection:
    """Detection in every detection region, notifications in the home region.

    Sets ``ctx.notification_topic_arn`` for the parts that publish alerts, and this account's
    detector ids, graph ARNs and Security Hub for the organization part. Services the
    organization enables for this account (``settings.organization_owned``: GuardDuty,
    Security Hub and Detective in advanced-tier members) are left to it; validating their
    config sections still happens. Tags come from the provider's default tags.
    """
    settings = ctx.settings
    regions = settings.regions
    home = settings.home_region
    owned = settings.organization_owned
    adopt = adopt_args(ctx)

    threat = _args(
        ctx,
        ThreatDetectionArgs,
        "threatDetection",
        regions=regions,
        home_region=home,
        account_id=ctx.account_id,
        name_prefix=settings.name_prefix,
        adopt_detectors=adopt.guard_duty,
    )
    threat_detection = None
    if "guardduty" not in owned:
        threat_detection = ThreatDetection("threat-detection", threat, opts=ctx.opts())
        ctx.guardduty_detector_ids = dict(threat_detection.detector_ids)

    hub = _args(
        ctx,
        SecurityHubArgs,
        "securityHub",
        regions=regions,
        home_region=home,
        centrally_managed=_central_security_hub(ctx),
        adopt_hubs=adopt.security_hub,
        adopt_standards=adopt.security_hub_standards,
        adopt_aggregator=adopt.security_hub_aggregator,
    )
    security_hub = None
    if "securityhub" not in owned:
        security_hub = SecurityHub("security-hub", hub, opts=ctx.opts())
        ctx.security_hub = [security_hub]

    graph = _args(ctx, InvestigationArgs, "investigation", regions=regions, home_region=home)
    investigation = None
    if "detective" not in owned:
        investigation = Investigation(
            "investigation",
            graph,
            # Detective ingests GuardDuty findings: enable it after the detectors (the
            # detectors themselves, not the whole component with every feature and export).
            opts=ctx.opts().merge(
                pulumi.ResourceOptions(
                    depends_on=list(threat_detection.detectors.values()) if threat_detection else []
                )
            ),
        )
        ctx.detective_graph_arns = dict(investigation.graph_arns)

    access = _args(
        ctx,
        AccessAnalysisArgs,
        "accessAnalysis",
        regions=regions,
        home_region=home,
        name_prefix=settings.name_prefix,
        adopt_analyzers=adopt.access_analyzer,
    )
    access_analysis = AccessAnalysis("access-analysis", access, opts=ctx.opts())

    notify = _args(
        ctx,
        SecurityNotificationsArgs,
        "notifications",
        regions=regions,
        home_region=home,
        account_id=ctx.account_id,
        emails=list(settings.notification_emails),
        name_prefix=settings.name_prefix,
    )
    notifications = SecurityNotifications("security-notifications", notify, opts=ctx.opts())
    ctx.notification_topic_arn = notifications.topic_arn

    return Detection(threat_detection, security_hub, investigation, access_analysis, notifications)
