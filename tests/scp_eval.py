"""A tiny SCP evaluator for tests: does any Deny statement match this request?

Supports what the baseline's guardrails use: Action/NotAction and Resource with IAM
wildcards, and the condition operators StringEquals, StringNotEquals, StringLike,
StringNotLike, ArnLike, ArnNotLike, NumericLessThan, Null and ForAnyValue:StringEquals. A key
missing from the request makes a positive operator false and a negated one true, as IAM does
for single-valued keys. Only ``Deny`` statements exist in SCPs of a deny-list strategy.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """One API call as IAM sees it."""

    action: str
    principal_arn: str = "arn:aws:iam::333333333333:role/developer"
    region: str = "ap-northeast-1"
    resource: str = "*"
    context: Mapping[str, Any] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        if key == "aws:PrincipalArn":
            return self.principal_arn
        if key == "aws:RequestedRegion":
            return self.region
        return self.context.get(key)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _match(pattern: str, value: str, *, case: bool) -> bool:
    if case:
        return fnmatch.fnmatchcase(value, pattern)
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _condition(operator: str, key: str, expected: Any, request: Request) -> bool:
    actual = request.value(key)
    wanted = [str(v) for v in _listed(expected)]
    if operator == "Null":  # "true": the key is absent; "false": it is present
        return any((actual is None) == (w.lower() == "true") for w in wanted)
    if operator == "ForAnyValue:StringEquals":
        return actual is not None and any(str(a) in wanted for a in _listed(actual))
    negated = "Not" in operator
    if actual is None:
        return negated
    text = str(actual)
    if operator in ("StringEquals", "StringNotEquals"):
        hit = text in wanted
    elif operator in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        hit = any(_match(w, text, case=True) for w in wanted)
    elif operator == "NumericLessThan":
        return any(float(text) < float(w) for w in wanted)
    else:
        raise AssertionError(f"scp_eval does not know condition operator {operator!r}")
    return not hit if negated else hit


def statement_denies(statement: Mapping[str, Any], request: Request) -> bool:
    """True when this Deny statement applies to the request."""
    assert statement["Effect"] == "Deny", "deny-list SCPs only"
    if "Action" in statement:
        acts = any(_match(a, request.action, case=False) for a in _listed(statement["Action"]))
    else:
        acts = not any(
            _match(a, request.action, case=False) for a in _listed(statement["NotAction"])
        )
    if not acts:
        return False
    resources = _listed(statement["Resource"])
    if request.resource != "*" and not any(
        _match(r, request.resource, case=True) for r in resources
    ):
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, expected in keys.items():
            if not _condition(operator, key, expected, request):
                return False
    return True


def denied(policies: Iterable[Mapping[str, Any]], request: Request) -> bool:
    """True when any statement of any of these SCP documents denies the request."""
    return any(
        statement_denies(statement, request)
        for policy in policies
        for statement in policy["Statement"]
    )


def denying_sids(policies: Iterable[Mapping[str, Any]], request: Request) -> list[str]:
    """Sids of the statements that deny the request (for assertion messages)."""
    return [
        str(s.get("Sid")) for p in policies for s in p["Statement"] if statement_denies(s, request)
    ]
