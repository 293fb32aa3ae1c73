"""VPC flow logs to a KMS-encrypted CloudWatch log group (Security Hub EC2.6, CIS AWS 3.7).

Shared by :class:`PrivateNetwork` (the VPCs the baseline creates) and
:class:`AccountHardening` (the default VPC of each region it hardens).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam
from secbaseline.components._log_encryption import log_group, logs_key

DEFAULT_RETENTION_DAYS = 365
"""Flow logs are kept a year by default (CIS and most incident-response needs)."""
TRAFFIC_TYPE = "ALL"
"""Accepted and rejected traffic (EC2.6 asks for at least REJECT)."""
FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"


def delivery_trust_policy(
    account_id: pulumi.Input[str], region: pulumi.Input[str] | None
) -> pulumi.Output[str]:
    """Only this account's flow logs (in ``region``; None: any region) may assume the role."""
    return iam.dumps(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": FLOW_LOGS_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": pulumi.Output.concat(
                            f"arn:{iam.PARTITION}:ec2:",
                            region if region is not None else "*",
                            ":",
                            account_id,
                            ":vpc-flow-log/*",
                        )
                    },
                },
            }
        ]
    )


def delivery_statements(log_group_arns: Sequence[pulumi.Input[str]]) -> list[dict[str, Any]]:
    """What the flow-logs service needs to write to these groups (they exist already, so no
    ``logs:CreateLogGroup``)."""
    streams = [pulumi.Output.concat(arn, ":*") for arn in log_group_arns]
    return [
        {
            "Sid": "WriteFlowLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": streams[0] if len(streams) == 1 else streams,
        },
        {
            "Sid": "FindFlowLogGroups",
            "Effect": "Allow",
            # A List-type call that takes no resource: AWS documents it for the delivery role.
            "Action": "logs:DescribeLogGroups",
            "Resource": "*",
        },
    ]


def delivery_role(
    name: str,
    *,
    account_id: pulumi.Input[str],
    region: pulumi.Input[str] | None,
    log_group_arns: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.iam.Role:
    """The role the flow-logs service assumes to write to ``log_group_arns`` only."""
    role = aws.iam.Role(
        name,
        description="VPC flow logs delivery to their encrypted log groups",
        assume_role_policy=delivery_trust_policy(account_id, region),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.iam.RolePolicy(
        f"{name}-policy",
        role=role.id,
        policy=iam.dumps(delivery_statements(log_group_arns)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return role


class FlowLogDestination:
    """A customer key and an encrypted log group for flow logs in one region."""

    key: aws.kms.Key
    group: aws.cloudwatch.LogGroup

    def __init__(
        self,
        name: str,
        *,
        log_group_name: str,
        account_id: pulumi.Input[str],
        region: pulumi.Input[str],
        retention_days: int,
        tags: Mapping[str, str],
        parent: pulumi.Resource,
    ) -> None:
        self.key = logs_key(f"{name}-key", parent, region, account_id, tags=tags)
        self.group = log_group(
            name,
            parent,
            key_arn=self.key.arn,
            retention_days=retention_days,
            region=region,
            log_group_name=log_group_name,
            tags=tags,
        )


def vpc_flow_log(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    destination: FlowLogDestination,
    role: aws.iam.Role,
    region: pulumi.Input[str] | None,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.ec2.FlowLog:
    """All traffic of one VPC to ``destination``'s log group through ``role``."""
    return aws.ec2.FlowLog(
        name,
        vpc_id=vpc_id,
        traffic_type=TRAFFIC_TYPE,
        log_destination_type="cloud-watch-logs",
        log_destination=destination.group.arn,
        iam_role_arn=role.arn,
        max_aggregation_interval=600,
        region=region,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
