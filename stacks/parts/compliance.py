"""AWS Config, remediation and permissions-boundary delegation (S-15, S-16, S-18)."""

from __future__ import annotations

from dataclasses import dataclass

from secbaseline.components.auto_remediation import AutoRemediation, AutoRemediationArgs
from secbaseline.components.config_recording import ConfigRecording, ConfigRecordingArgs
from secbaseline.components.config_rules import ConfigRules, ConfigRulesArgs
from secbaseline.components.delegated_iam_admin import DelegatedIamAdmin, DelegatedIamAdminArgs
from secbaseline.stacks.context import TierContext


@dataclass
class Compliance:
    """What the compliance part built."""

    recording: ConfigRecording
    rules: ConfigRules
    remediation: AutoRemediation
    delegation: DelegatedIamAdmin


def build(ctx: TierContext) -> Compliance:
    """Config recording, rules and remediation in every detection region; IAM delegation."""
    settings = ctx.settings
    regions = settings.regions
    home = settings.home_region

    recording_section = dict(settings.section("configRecording"))
    # Control Tower owns the recorders in enrolled accounts unless the stack says otherwise.
    recording_section.setdefault("manageRecorders", "config" not in settings.organization_owned)
    recording_args = ConfigRecordingArgs.from_config(recording_section)
    recording_args.regions = regions
    recording_args.home_region = home
    recording_args.account_id = ctx.account_id
    recording_args.name_prefix = settings.name_prefix
    recording = ConfigRecording("config-recording", recording_args, opts=ctx.opts())

    rules_args = ConfigRulesArgs.from_config(settings.section("configRules"))
    rules_args.regions = regions
    rules_args.home_region = home
    rules_args.name_prefix = settings.name_prefix
    rules_args.depends_on = {region: [status] for region, status in recording.statuses.items()}
    rules = ConfigRules("config-rules", rules_args, opts=ctx.opts())

    remediation_args = AutoRemediationArgs.from_config(settings.section("remediation"))
    remediation_args.regions = regions
    remediation_args.home_region = home
    remediation_args.account_id = ctx.account_id
    remediation_args.name_prefix = settings.name_prefix
    remediation_args.rules = {
        identifier: {region: rule.name for region, rule in per_region.items()}
        for identifier, per_region in rules.rules.items()
    }
    remediation_args.depends_on = [rules]
    remediation_args.notification_topic_arn = ctx.notification_topic_arn
    remediation = AutoRemediation("auto-remediation", remediation_args, opts=ctx.opts())

    delegation_args = DelegatedIamAdminArgs.from_config(settings.section("iamDelegation"))
    delegation_args.name_prefix = settings.name_prefix
    delegation_args.account_id = ctx.account_id
    delegation = DelegatedIamAdmin("iam-delegation", delegation_args, opts=ctx.opts())

    return Compliance(recording, rules, remediation, delegation)
