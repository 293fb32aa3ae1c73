"""Key policies and user-statement checks the access components share (plain dicts)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from secbaseline.baseline import iam


def logs_key_policy(account_id: pulumi.Input[str], region: str) -> pulumi.Output[str]:
    """Key policy: the account administers the key; CloudWatch Logs in ``region`` uses it."""
    return iam.dumps(
        [iam.key_admin_statement(account_id), iam.logs_key_statement(region, account_id)]
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
            if action.endswith(":*"):
                raise ValueError(
                    f"{where}.Action: {action!r} grants every action of the service; "
                    "name the actions the bastion needs"
                )
        if "Resource" not in statement:
            raise ValueError(f"{where}.Resource: required")
