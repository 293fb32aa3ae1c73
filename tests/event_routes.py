"""Follow EventBridge routes in a recorded plan: rule -> target -> (home bus -> rule) -> topic.

A small, explicit EventBridge pattern matcher (exact values, ``numeric``, ``anything-but``,
``prefix``, ``suffix``, ``exists``, ``$or``, nested objects and arrays of objects) is enough for the patterns the
baseline writes; :func:`transform` applies an input transformer the way EventBridge does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from secbaseline.baseline.engine import Plan, RecordedResource

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
FUNCTION = "aws:lambda/function:Function"
AGGREGATOR = "aws:securityhub/findingAggregator:FindingAggregator"
_NUMERIC = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "=": lambda a, b: a == b,
}


_MISSING = object()


def _value_matches(conditions: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for condition in conditions:
        for item in values:
            if isinstance(condition, Mapping):
                if "numeric" in condition:
                    ops = condition["numeric"]
                    if isinstance(item, int | float) and all(
                        _NUMERIC[ops[i]](item, ops[i + 1]) for i in range(0, len(ops), 2)
                    ):
                        return True
                elif "anything-but" in condition:
                    if item not in (None, _MISSING) and item not in condition["anything-but"]:
                        return True
                elif "prefix" in condition:
                    if isinstance(item, str) and item.startswith(condition["prefix"]):
                        return True
                elif "suffix" in condition:
                    if isinstance(item, str) and item.endswith(condition["suffix"]):
                        return True
                elif "exists" in condition:
                    # A missing field is _MISSING (a JSON null counts as there).
                    if (item is not _MISSING) is condition["exists"]:
                        return True
                else:
                    raise AssertionError(f"matcher does not know {condition}")
            elif condition == item:
                return True
    return False


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """True when ``event`` matches the EventBridge ``pattern``."""
    for key, condition in pattern.items():
        if key == "$or":
            if not any(matches(option, event) for option in condition):
                return False
            continue
        value = event.get(key, _MISSING)
        if isinstance(condition, Mapping):
            if isinstance(value, list):
                if not any(isinstance(v, Mapping) and matches(condition, v) for v in value):
                    return False
            elif not isinstance(value, Mapping) or not matches(condition, value):
                return False
        elif not _value_matches(list(condition), value):
            return False
    return True


def rules_in(plan: Plan, region: str) -> list[RecordedResource]:
    """Rules on the default bus of one region."""
    return [
        r
        for r in plan.of_type(RULE)
        if plan.region_of(r) == region and r.inputs.get("eventBusName", "default") == "default"
    ]


def targets_of(plan: Plan, rule: RecordedResource) -> list[RecordedResource]:
    """Targets attached to a rule (same region, same rule name)."""
    return [
        t
        for t in plan.of_type(TARGET)
        if t.inputs["rule"] == rule.id and plan.region_of(t) == plan.region_of(rule)
    ]


def reaches_topic(
    plan: Plan, event: Mapping[str, Any], topic_arn: str, *, depth: int = 0
) -> list[str]:
    """The hops by which ``event`` (in ``event['region']``) reaches the topic; [] if none."""
    if depth > 3:
        return []
    region = str(event["region"])
    functions = {f.outputs["arn"]: f for f in plan.of_type(FUNCTION)}
    for rule in rules_in(plan, region):
        if "eventPattern" not in rule.inputs:  # a schedule
            continue
        if not matches(json.loads(rule.inputs["eventPattern"]), event):
            continue
        for target in targets_of(plan, rule):
            arn = target.inputs["arn"]
            hop = f"{region}:{rule.name}->{arn}"
            if arn == topic_arn:
                return [hop]
            function = functions.get(arn)
            if function is not None:
                env = function.inputs.get("environment", {}).get("variables", {})
                if env.get("TOPIC_ARN") == topic_arn:
                    return [hop, f"{function.name}->{topic_arn}"]
            if arn.startswith("arn:aws:events:") and arn.endswith(":event-bus/default"):
                assert target.inputs.get("roleArn"), f"{hop}: cross-region target needs a role"
                bus_region = arn.split(":")[3]
                rest = reaches_topic(
                    plan, {**event, "region": bus_region}, topic_arn, depth=depth + 1
                )
                if rest:
                    return [hop, *rest]
    return []


def security_hub_home(plan: Plan, region: str) -> str | None:
    """Where a Security Hub finding from ``region`` is sent to EventBridge after aggregation."""
    aggregator = plan.one(AGGREGATOR)
    home = plan.region_of(aggregator)
    assert home is not None
    linked = aggregator.inputs.get("specifiedRegions") or []
    if region == home or (
        aggregator.inputs["linkingMode"] == "SPECIFIED_REGIONS" and region in linked
    ):
        return home
    return None


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def json_path(event: Mapping[str, Any], path: str) -> Any:
    """The value at a simple JSONPath (``$.detail.findings[0].Id``); KeyError if absent."""
    assert path.startswith("$."), path
    value: Any = event
    for name, index in _PATH_PART.findall(path[2:]):
        value = value[int(index)] if index else value[name]
    return value


def transform(transformer: Mapping[str, Any], event: Mapping[str, Any]) -> str:
    """The body EventBridge sends for ``event`` through an input transformer: every input path
    must resolve; a placeholder inside a JSON string gets the value's text (escaped), one
    outside a string the value as JSON."""
    values = {name: json_path(event, path) for name, path in transformer["inputPaths"].items()}
    template = str(transformer["inputTemplate"])
    out: list[str] = []
    in_string = escaped = False
    i = 0
    while i < len(template):
        char = template[i]
        match = re.match(r"<([A-Za-z0-9_-]+)>", template[i:])
        if match and match.group(1) in values:
            value = values[match.group(1)]
            if in_string:
                text = value if isinstance(value, str) else json.dumps(value)
                out.append(json.dumps(text)[1:-1])
            else:
                out.append(json.dumps(value))
            i += match.end()
            continue
        if in_string and char == "\\" and not escaped:
            escaped = True
        else:
            if char == '"' and not escaped:
                in_string = not in_string
            escaped = False
        out.append(char)
        i += 1
    return "".join(out)
