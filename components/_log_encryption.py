"""KMS-encrypted CloudWatch log groups with a retention, shared by the edge and API components."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.components._kms import account_key

retention = validate.log_retention_days
"""A CloudWatch Logs retention in days (one of the values the service accepts)."""


def logs_key(
    name: str,
    parent: pulumi.Resource,
    region: pulumi.Input[str],
    account_id: pulumi.Input[str],
    *,
    services: Sequence[str] = (),
    tags: Mapping[str, str] | None = None,
) -> aws.kms.Key:
    """A key CloudWatch Logs in ``region`` may use for this account's log groups only."""
    logs_statement = iam.logs_key_statement(region, account_id)
    extra = [
        iam.service_key_statement(f"Allow{i}", service, account_id)
        for i, service in enumerate(services)
    ]
    return account_key(
        name,
        description="Encrypts CloudWatch log groups",
        account_id=account_id,
        statements=[logs_statement, *extra],
        region=region,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def log_group(
    name: str,
    parent: pulumi.Resource,
    *,
    key_arn: pulumi.Input[str],
    retention_days: int,
    region: pulumi.Input[str],
    log_group_name: pulumi.Input[str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> aws.cloudwatch.LogGroup:
    """A log group encrypted with the key ``key_arn`` (created by :func:`logs_key` or the
    user's own) and kept ``retention_days``."""
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        kms_key_id=key_arn,
        retention_in_days=retention_days,
        region=region,
        tags=dict(tags) if tags else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
