"""What the tier programs share while they build one account's stack."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from secbaseline.baseline.settings import Settings


@dataclass
class TierContext:
    """Settings plus the account's one provider and values parts hand to each other."""

    settings: Settings
    """Validated settings with detection regions resolved."""
    provider: aws.Provider
    """The account's single AWS provider; regional resources set ``region`` themselves."""
    account_id: pulumi.Output[str]
    """The account id, from one caller-identity invoke per stack."""
    notification_topic_arn: pulumi.Output[str] | None = None
    """Set by the notifications part (intermediate tier) for parts that publish alerts."""
    notification_key_arn: pulumi.Output[str] | None = None
    """The KMS key of that topic (publishers must be allowed to encrypt with it)."""
    guardduty_detector_ids: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    """This account's GuardDuty detector per region, set by the detection part."""
    detective_graph_arns: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    """This account's Detective graph per region, set by the detection part."""
    security_hub: list[pulumi.Resource] = field(default_factory=list)
    """This account's Security Hub enablement, for resources that must come after it."""
    trail_log_group_name: pulumi.Output[str] | None = None
    """The account trail's CloudWatch Logs group, set by the trail part for the change alarms."""
    trail_without_log_group: bool = False
    """True when the account trail logs to no CloudWatch Logs group (change alarms by events)."""

    def opts(self) -> pulumi.ResourceOptions:
        """Resource options that use the account provider (merge more with ``.merge``)."""
        return pulumi.ResourceOptions(provider=self.provider)
