"""AWS Config, remediation and permissions-boundary delegation (S-15, S-16, S-18).

Each section is parsed by its component's declared arguments (``from_config``): unknown keys
and bad values fail the preview naming ``<section>.<key>``. Values the tier sets itself
(regions, home region, account, name prefix, ...) are refused in the sections.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.settings import thaw
from secbaseline.components.auto_remediation import AutoRemediation, AutoRemediationArgs
from secbaseline.components.config_recording import ConfigRecording, ConfigRecordingArgs
from secbaseline.components.config_rules import ConfigRules, ConfigRulesArgs
from secbaseline.components.delegated_iam_admin import DelegatedIamAdmin, DelegatedIamAdminArgs
from secbaseline.stacks.adoption import adopt_args
from secbaseline.stacks.context import TierContext


@dataclass
class Compliance:
    """What the compliance part built."""

    recording: ConfigRecording
    rules: ConfigRules
    remediation: AutoRemediation
    delegation: DelegatedIamAdmin


def _section(ctx: TierContext, name: str, tier_keys: Sequence[str]) -> dict[str, Any]:
    """The section as plain data; keys the tier sets are refused (they would be overridden)."""
    raw = thaw(ctx.settings.section(name))
    if not isinstance(raw, Mapping):
        raise ArgumentError(f"{name}: expected a mapping of options")
    for key in tier_keys:
        if key in raw:
            raise ArgumentError(f"{name}.{key}: set by the tier; remove it from the section")
    return dict(raw)


_REGIONAL = ("regions", "homeRegion", "accountId", "namePrefix")


def build(ctx: TierContext) -> Compliance:
    """Config recording, rules and remediation in every detection region; IAM delegation."""
    settings = ctx.settings
    regions = settings.regions
    home = settings.home_region

    adopt = adopt_args(ctx)
    recording_section = _section(
        ctx, "configRecording", (*_REGIONAL, "adoptRecorders", "adoptDeliveryChannels")
    )
    # Control Tower owns the recorders in enrolled accounts unless the stack says otherwise.
    recording_section.setdefault("manageRecorders", "config" not in settings.organization_owned)
    recording_args = ConfigRecordingArgs.from_config(
        "configRecording",
        recording_section,
        regions=regions,
        home_region=home,
        account_id=ctx.account_id,
        name_prefix=settings.name_prefix,
        adopt_recorders=adopt.config_recorder,
        adopt_delivery_channels=adopt.config_delivery_channel,
    )
    recording = ConfigRecording("config-recording", recording_args, opts=ctx.opts())

    rules_args = ConfigRulesArgs.from_config(
        "configRules",
        _section(ctx, "configRules", ("regions", "homeRegion", "namePrefix")),
        regions=regions,
        home_region=home,
        name_prefix=settings.name_prefix,
    )
    # Rules wait for the started recorders. Depending on the recorder statuses, not on the
    # whole component, keeps each rule's dependency list short (a component expands to every
    # child, which Pulumi then walks for cycles: O(rules x children) at 17 regions).
    rules = ConfigRules(
        "config-rules",
        rules_args,
        opts=ctx.opts().merge(pulumi.ResourceOptions(depends_on=list(recording.statuses.values()))),
    )

    remediation_args = AutoRemediationArgs.from_config(
        "remediation",
        _section(ctx, "remediation", (*_REGIONAL, "ruleNames", "notificationTopicArn")),
        regions=regions,
        home_region=home,
        account_id=ctx.account_id,
        name_prefix=settings.name_prefix,
        rule_names={
            identifier: {region: rule.name for region, rule in per_region.items()}
            for identifier, per_region in rules.rules.items()
        },
        notification_topic_arn=ctx.notification_topic_arn,
    )
    # Each remediation already waits for its rule: it takes the rule's name as an Output.
    remediation = AutoRemediation("auto-remediation", remediation_args, opts=ctx.opts())

    delegation_args = DelegatedIamAdminArgs.from_config(
        "iamDelegation",
        _section(ctx, "iamDelegation", ("namePrefix", "accountId")),
        name_prefix=settings.name_prefix,
        account_id=ctx.account_id,
    )
    delegation = DelegatedIamAdmin("iam-delegation", delegation_args, opts=ctx.opts())

    return Compliance(recording, rules, remediation, delegation)
