"""The one way the components create a customer managed KMS key."""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam


def account_key(
    name: str,
    *,
    description: str,
    account_id: pulumi.Input[str],
    statements: Sequence[Any] = (),
    region: pulumi.Input[str] | None,
    tags: Mapping[str, str] | None,
    opts: pulumi.ResourceOptions,
) -> aws.kms.Key:
    """A key with rotation on and a 30-day deletion window, administered by the account
    (``iam.key_admin_statement``) and usable as ``statements`` allow."""
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=iam.dumps([iam.key_admin_statement(account_id), *statements]),
        region=region,
        tags=dict(tags) if tags else None,
        opts=opts,
    )
