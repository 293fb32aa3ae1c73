"""A small evaluator of CloudWatch Logs JSON filter patterns, enough for the change alarms.

Supported (the subset the baseline writes, from the CloudWatch Logs filter-pattern syntax):
``{ ... }`` around the expression; ``$.a.b`` selectors; ``=`` and ``!=`` with a quoted or bare
string value, where ``*`` is a wildcard; ``NOT EXISTS`` and ``EXISTS``; ``&&``, ``||`` and
parentheses. Anything else raises, and so do two cases the documentation leaves open, so a
test never passes on a guess: ``&&`` mixed with ``||`` without parentheses, and ``!=`` on a
property the record does not have.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>&&|\|\||!=|=|\(|\))
      | (?P<selector>\$(?:\.[A-Za-z0-9_]+)+)
      | (?P<quoted>"(?:[^"\\]|\\.)*")
      | (?P<keyword>NOT\s+EXISTS|EXISTS)\b
      | (?P<bare>[A-Za-z0-9_.*:/@+-]+)
    )""",
    re.X,
)


class PatternError(ValueError):
    """The pattern is outside the supported subset, or its meaning is not documented."""


@dataclass
class _Tokens:
    items: list[tuple[str, str]]
    pos: int = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def take(self) -> tuple[str, str]:
        item = self.peek()
        if item is None:
            raise PatternError("unexpected end of pattern")
        self.pos += 1
        return item


def _tokenize(body: str) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        match = _TOKEN.match(body, pos)
        if match is None or match.end() == pos:
            raise PatternError(f"cannot read the pattern at {body[pos:]!r}")
        kind = match.lastgroup
        assert kind is not None
        items.append((kind, match.group(kind)))
        pos = match.end()
    return items


Node = tuple[Any, ...]


def parse(pattern: str) -> Node:
    """The expression tree of a JSON filter pattern ``{ ... }``."""
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise PatternError("a JSON filter pattern is enclosed in { }")
    tokens = _Tokens(_tokenize(text[1:-1]))
    node = _expression(tokens)
    if tokens.peek() is not None:
        raise PatternError(f"unexpected {tokens.peek()!r}")
    return node


def _expression(tokens: _Tokens) -> Node:
    terms = [_term(tokens)]
    operators: set[str] = set()
    while (item := tokens.peek()) is not None and item[1] in ("&&", "||"):
        operators.add(tokens.take()[1])
        terms.append(_term(tokens))
    if len(operators) > 1:
        raise PatternError("&& and || mixed without parentheses: precedence is not documented")
    if not operators:
        return terms[0]
    return ("and" if operators == {"&&"} else "or", terms)


def _term(tokens: _Tokens) -> Node:
    kind, value = tokens.take()
    if value == "(":
        node = _expression(tokens)
        if tokens.take()[1] != ")":
            raise PatternError("missing )")
        return node
    if kind != "selector":
        raise PatternError(f"expected a $.selector, got {value!r}")
    path = value[2:].split(".")
    op_kind, op = tokens.take()
    if op_kind == "keyword":
        return ("exists", path, not op.startswith("NOT"))
    if op not in ("=", "!="):
        raise PatternError(f"unsupported operator {op!r}")
    value_kind, raw = tokens.take()
    if value_kind == "quoted":
        literal = raw[1:-1].replace('\\"', '"')
    elif value_kind == "bare":
        literal = raw
    else:
        raise PatternError(f"expected a value after {op}, got {raw!r}")
    return (op, path, literal)


_MISSING = object()


def _lookup(record: Mapping[str, Any], path: list[str]) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _equals(value: Any, literal: str) -> bool:
    if isinstance(value, bool):
        return literal == str(value).lower()
    if not isinstance(value, str | int | float):
        return False  # objects, lists and null equal no string
    text = str(value)
    if "*" in literal:
        return fnmatch.fnmatchcase(text, literal.replace("[", "[[]"))
    return text == literal


def evaluate(node: Node, record: Mapping[str, Any]) -> bool:
    """True when ``record`` matches the parsed pattern."""
    kind = node[0]
    if kind == "and":
        return all(evaluate(n, record) for n in node[1])
    if kind == "or":
        return any(evaluate(n, record) for n in node[1])
    if kind == "exists":
        return (_lookup(record, node[1]) is not _MISSING) is node[2]
    value = _lookup(record, node[1])
    if value is _MISSING:
        if kind == "!=":
            raise PatternError(
                f"$.{'.'.join(node[1])} != on a record without it: not documented; "
                "give the record the property"
            )
        return False
    return _equals(value, node[2]) if kind == "=" else not _equals(value, node[2])


def matches(pattern: str, record: Mapping[str, Any]) -> bool:
    """True when the CloudWatch Logs JSON filter ``pattern`` matches the CloudTrail record."""
    return evaluate(parse(pattern), record)
