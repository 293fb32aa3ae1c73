"""IAM and resource-policy documents as plain dicts (no getPolicyDocument invokes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pulumi

Statement = Mapping[str, Any]
PARTITION = "aws"


def document(statements: Iterable[Statement]) -> dict[str, Any]:
    """A policy document with the current version."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def dumps(statements: Iterable[Statement]) -> pulumi.Output[str]:
    """JSON text of a policy document; statements may contain Outputs."""
    return pulumi.Output.json_dumps(document(statements))


def service_assume_role_policy(
    *services: str, source_account: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """Trust policy for AWS service principals, optionally pinned to the account (confused deputy)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": sorted(services) if len(services) > 1 else services[0]},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return dumps([statement])


def account_id_or_caller(
    account_id: pulumi.Input[str] | None, parent: pulumi.Resource
) -> pulumi.Input[str]:
    """The given account id, else the caller's (one getCallerIdentity invoke)."""
    if account_id is not None:
        return account_id
    import pulumi_aws as aws  # local import: the documents above need only pulumi

    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id


def account_root(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """``arn:aws:iam::<account>:root``: the account as a principal."""
    return pulumi.Output.concat(f"arn:{PARTITION}:iam::", account_id, ":root")


def key_admin_statement(account_id: pulumi.Input[str]) -> dict[str, Any]:
    """The account's IAM decides who administers the key (AWS's default key policy)."""
    return {
        "Sid": "EnableAccountIamPolicies",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(account_id)},
        "Action": "kms:*",  # AWS's default key policy: without it the key can become unmanageable
        "Resource": "*",  # in a key policy "*" means this key
    }


def service_key_statement(
    sid: str,
    service: str,
    account_id: pulumi.Input[str],
    actions: Sequence[str] = ("kms:GenerateDataKey*", "kms:Decrypt"),
    extra_conditions: Mapping[str, Any] | None = None,
    *,
    pin_source_account: bool = True,
) -> dict[str, Any]:
    """Let one AWS service use the key on this account's behalf only.

    ``pin_source_account=False`` leaves out the ``aws:SourceAccount`` condition, for services
    whose KMS calls on a resource's behalf are not documented to carry it (EventBridge and
    CloudWatch alarms publishing to an encrypted SNS topic); the resource's own policy then
    pins the account.
    """
    condition: dict[str, Any] = (
        {"StringEquals": {"aws:SourceAccount": account_id}} if pin_source_account else {}
    )
    for operator, values in (extra_conditions or {}).items():
        condition.setdefault(operator, {}).update(values)
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": list(actions),
        "Resource": "*",  # in a key policy "*" means this key
    }
    if condition:
        statement["Condition"] = condition
    return statement


def logs_key_statement(region: pulumi.Input[str], account_id: pulumi.Input[str]) -> dict[str, Any]:
    """Let CloudWatch Logs in ``region`` use the key for this account's log groups only."""
    return {
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
                    f"arn:{PARTITION}:logs:", region, ":", account_id, ":log-group:*"
                )
            }
        },
    }


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Deny every S3 request that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def is_public_allow(statement: Statement) -> bool:
    """True for an Allow statement whose principal is everyone."""
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws_principal = principal.get("AWS")
        values = aws_principal if isinstance(aws_principal, list) else [aws_principal]
        return "*" in values
    return False
