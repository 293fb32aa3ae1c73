"""IAM, KMS and trust policy documents the access components share (plain dicts)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

ACCOUNT_ROOT = "arn:aws:iam::{account}:root"


def service_trust_policy(
    service: str, account_id: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """Trust policy letting one AWS service principal assume a role, for this account only."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if account_id is not None:
        # Confused-deputy guard: only this account's resources may hand the role to the service.
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account_id}}
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [statement]})


def logs_key_policy(account_id: pulumi.Input[str], region: str) -> pulumi.Output[str]:
    """Key policy: the account administers the key; CloudWatch Logs in ``region`` may use it
    for this account's log groups only (the encryption context names the log group ARN)."""
    account = pulumi.Output.from_input(account_id)
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersTheKeyThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": account.apply(lambda a: ACCOUNT_ROOT.format(account=a))},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": account.apply(
                                lambda a: f"arn:aws:logs:{region}:{a}:log-group:*"
                            )
                        }
                    },
                },
            ],
        }
    )


_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")


def validate_statements(field: str, statements: Sequence[Mapping[str, Any]]) -> None:
    """User-supplied IAM statements: Allow/Deny, named actions (no bare ``*``), a resource."""
    for index, statement in enumerate(statements):
        where = f"{field}[{index}]"
        if not isinstance(statement, Mapping):
            raise ValueError(f"{where}: expected an IAM statement mapping, got {statement!r}")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise ValueError(f"{where}.Effect: must be Allow or Deny")
        actions = statement.get("Action")
        if isinstance(actions, str):
            actions = [actions]
        if not actions or not isinstance(actions, list | tuple):
            raise ValueError(f"{where}.Action: must name at least one action")
        for action in actions:
            if not isinstance(action, str) or not _ACTION.fullmatch(action):
                raise ValueError(
                    f"{where}.Action: {action!r} is not a service:Action name "
                    "(a bare '*' is not allowed: least privilege)"
                )
        if "Resource" not in statement:
            raise ValueError(f"{where}.Resource: required")
