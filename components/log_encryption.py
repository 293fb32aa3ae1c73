"""KMS-encrypted CloudWatch log groups with a retention, shared by the edge and API components."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from baseline import iam

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
"""The retention values CloudWatch Logs accepts."""


def retention(field: str, value: object) -> int:
    """A CloudWatch Logs retention in days (one of the values the service accepts)."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in RETENTION_DAYS:
        raise ValueError(
            f"{field}: {value!r} is not a CloudWatch Logs retention; allowed: "
            f"{', '.join(str(d) for d in RETENTION_DAYS)}"
        )
    return value


def logs_key(
    name: str,
    parent: pulumi.Resource,
    region: pulumi.Input[str],
    account_id: pulumi.Input[str],
    *,
    services: Sequence[str] = (),
) -> aws.kms.Key:
    """A key CloudWatch Logs in ``region`` may use for this account's log groups only."""
    logs_statement = {
        "Sid": "AllowCloudWatchLogs",
        "Effect": "Allow",
        "Principal": {"Service": pulumi.Output.concat("logs.", region, ".amazonaws.com")},
        "Action": [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ],
        "Resource": "*",  # in a key policy "*" means this key
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                    "arn:aws:logs:", region, ":", account_id, ":log-group:*"
                )
            }
        },
    }
    extra = [
        iam.service_key_statement(f"Allow{i}", service, account_id)
        for i, service in enumerate(services)
    ]
    return aws.kms.Key(
        name,
        description="Encrypts CloudWatch log groups",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=iam.dumps([iam.key_admin_statement(account_id), logs_statement, *extra]),
        region=region,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def log_group(
    name: str,
    parent: pulumi.Resource,
    *,
    key: aws.kms.Key,
    retention_days: int,
    region: pulumi.Input[str],
    log_group_name: pulumi.Input[str] | None = None,
) -> aws.cloudwatch.LogGroup:
    """A log group encrypted with ``key`` and kept ``retention_days``."""
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        kms_key_id=key.arn,
        retention_in_days=retention_days,
        region=region,
        opts=pulumi.ResourceOptions(parent=parent),
    )
