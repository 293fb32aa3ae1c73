"""A tiny IAM policy evaluator for tests: enough to prove escalation paths are closed.

It implements the parts of AWS's evaluation logic these policies rely on, and fails loudly
on anything else (an unknown condition operator raises instead of guessing):

* explicit Deny wins, then any Allow, else implicit deny;
* ``Action``/``NotAction`` and ``Resource``/``NotResource`` with ``*`` and ``?`` wildcards
  (case-insensitive actions, case-sensitive resources, as in IAM);
* conditions ``StringEquals``, ``StringNotEquals``, ``StringLike``, ``StringNotLike``,
  ``ArnEquals``, ``ArnLike``, ``ArnNotEquals``, ``ArnNotLike``, ``Bool``; a negated operator
  matches when the key is absent from the request, a positive one does not;
* permissions boundaries: allowed only when the identity policies AND the boundary allow
  and neither denies.

It does not model resource policies, SCPs, sessions, ``...IfExists`` or multi-valued keys.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

ALLOW = "Allow"
DENY = "Deny"  # explicit deny
IMPLICIT_DENY = "ImplicitDeny"

Policy = Mapping[str, Any]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _match(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    if case_sensitive:
        return fnmatch.fnmatchcase(value, pattern)
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _equals(expected: str, actual: str) -> bool:
    return expected == actual


def _like(expected: str, actual: str) -> bool:
    return fnmatch.fnmatchcase(actual, expected)


_OPERATORS = {
    "StringEquals": (_equals, False),
    "StringNotEquals": (_equals, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (_equals, False),
    "ArnNotEquals": (_equals, True),
    "ArnLike": (_like, False),
    "ArnNotLike": (_like, True),
    "Bool": (lambda e, a: e.lower() == a.lower(), False),
}


def conditions_match(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """True when every operator block matches the request context."""
    for operator, checks in condition.items():
        if operator not in _OPERATORS:
            raise NotImplementedError(f"iam_eval: condition operator {operator!r}")
        compare, negated = _OPERATORS[operator]
        for key, expected in checks.items():
            actual = context.get(key)
            if actual is None:
                if not negated:
                    return False
                continue
            hit = any(compare(str(e), actual) for e in _as_list(expected))
            if hit == negated:
                return False
    return True


def statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    """True when the statement covers this action, resource and context."""
    if "Action" in statement:
        if not any(_match(a, action, case_sensitive=False) for a in _as_list(statement["Action"])):
            return False
    elif any(_match(a, action, case_sensitive=False) for a in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(
            _match(r, resource, case_sensitive=True) for r in _as_list(statement["Resource"])
        ):
            return False
    elif any(_match(r, resource, case_sensitive=True) for r in _as_list(statement["NotResource"])):
        return False
    return conditions_match(statement.get("Condition", {}), context)


def evaluate_policies(
    policies: Sequence[Policy], action: str, resource: str, context: Mapping[str, str] | None = None
) -> str:
    """ALLOW, DENY (explicit) or IMPLICIT_DENY for one request against identity policies."""
    ctx = context or {}
    allowed = False
    for policy in policies:
        for statement in _as_list(policy["Statement"]):
            if not statement_applies(statement, action, resource, ctx):
                continue
            if statement["Effect"] == "Deny":
                return DENY
            allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def evaluate(
    identity: Sequence[Policy],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
    *,
    boundary: Policy | None = None,
) -> str:
    """Identity policies, optionally capped by a permissions boundary."""
    decision = evaluate_policies(identity, action, resource, context)
    if boundary is None or decision != ALLOW:
        return decision
    return evaluate_policies([boundary], action, resource, context)
