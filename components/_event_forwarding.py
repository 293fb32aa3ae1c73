"""Cross-region EventBridge forwarding to the home region's default event bus.

A rule can only target a Lambda function or SNS topic in its own region, but it can target an
event bus in another region. Components that react to events from every detection region
(notifications, Config compliance alerts, EC2 isolation) therefore forward them from each
other region to the home region's default bus, through one role per component that may only
``events:PutEvents`` on that bus.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam


def home_bus_arn(home_region: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """ARN of the account's default event bus in the home region."""
    return pulumi.Output.concat(
        f"arn:{iam.PARTITION}:events:{home_region}:", account_id, ":event-bus/default"
    )


class HomeBusForwarder:
    """Creates the forwarding role once, then a rule and target per forwarded region.

    Not a component of its own: the resources are children of ``parent`` and keep the
    logical names the caller gives, so each component keeps its stable URNs.
    """

    def __init__(
        self,
        parent: pulumi.Resource,
        *,
        home_region: str,
        account_id: pulumi.Input[str],
        role_resource: str,
        policy_resource: str,
        role_name: str,
        description: str,
        statement_sid: str = "PutEventsOnHomeBusOnly",
        tags: dict[str, str] | None = None,
    ) -> None:
        self.home_region = home_region
        self.bus_arn = home_bus_arn(home_region, account_id)
        self._child = pulumi.ResourceOptions(parent=parent)
        self._tags = tags
        self.role = aws.iam.Role(
            role_resource,
            name=role_name,
            description=description,
            assume_role_policy=iam.service_assume_role_policy(
                "events.amazonaws.com", source_account=account_id
            ),
            tags=tags,
            opts=self._child,
        )
        aws.iam.RolePolicy(
            policy_resource,
            role=self.role.name,
            policy=iam.dumps(
                [
                    {
                        "Sid": statement_sid,
                        "Effect": "Allow",
                        "Action": "events:PutEvents",
                        "Resource": self.bus_arn,
                    }
                ]
            ),
            opts=self._child,
        )

    def forward(
        self,
        region: str,
        event_pattern: pulumi.Input[str],
        *,
        rule_resource: str,
        target_resource: str,
        description: str,
        rule_name: pulumi.Input[str] | None = None,
        state: str | None = None,
    ) -> aws.cloudwatch.EventRule:
        """A rule in ``region`` whose matching events go to the home region's default bus."""
        if region == self.home_region:
            raise ValueError(f"forwarding: {region} is the home region; nothing to forward")
        rule = aws.cloudwatch.EventRule(
            rule_resource,
            name=rule_name,
            description=description,
            event_pattern=event_pattern,
            state=state,
            region=region,
            tags=self._tags,
            opts=self._child,
        )
        aws.cloudwatch.EventTarget(
            target_resource,
            rule=rule.name,
            arn=self.bus_arn,
            role_arn=self.role.arn,
            region=region,
            opts=self._child,
        )
        return rule
