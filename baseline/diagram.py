"""Pictures drawn from plans, never by hand: Mermaid flowcharts that GitHub renders.

* :func:`tier_diagram`: the components of one plan, by region (and global);
* :func:`rollout_diagram`: the organization's stacks in their run order (docs/organization.md);
* :func:`finding_flow`: which events reach which targets (EventBridge rules -> SNS topics,
  Lambda functions, the home region's event bus) and who is subscribed.

``secbaseline plan --format mermaid`` prints the first for any plan; ``make docs`` writes all
three for the example stack into docs/diagrams.md, and a test fails when that page is stale.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from secbaseline.baseline.engine import Plan, RecordedResource

GLOBAL = "global"
HOME_BUS = "home region event bus"
PAGE = Path(__file__).resolve().parent.parent / "docs" / "diagrams.md"
BEGIN = "<!-- diagrams:begin (generated from the example stack's plans by `make docs`) -->"
END = "<!-- diagrams:end -->"


def _id(*parts: str) -> str:
    return "_".join(re.sub(r"\W+", "_", p) for p in parts).strip("_")


def _label(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def top_component(plan: Plan, resource: RecordedResource) -> str | None:
    """The type name of the outermost component above a resource (None: none)."""
    found = None
    parent = resource.parent
    while parent:
        try:
            node = plan.by_urn(parent)
        except KeyError:
            break
        if not node.custom and node.type != "pulumi:pulumi:Stack":
            found = node.type.rsplit(":", 1)[-1]
        parent = node.parent
    return found


def components_by_region(plan: Plan) -> dict[str, Counter[str]]:
    """region (or ``global``) -> component type -> resources it creates there."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for resource in plan.custom_resources():
        component = top_component(plan, resource)
        if component is not None:
            table[plan.region_of(resource) or GLOBAL][component] += 1
    return table


def _region_order(region: str) -> tuple[int, str]:
    return (1 if region == GLOBAL else 0, region)


def tier_diagram(plan: Plan, title: str | None = None) -> str:
    """One subgraph per region with the components (and resource counts) deployed there."""
    lines = ["flowchart LR"]
    settings = plan.settings or {}
    home = settings.get("homeRegion")
    for region, components in sorted(
        components_by_region(plan).items(), key=lambda kv: _region_order(kv[0])
    ):
        caption = f"{region} (home)" if region == home else region
        lines.append(f"  subgraph {_id(title or 'plan', region)}[{_label(caption)}]")
        for component, count in sorted(components.items()):
            node = _id(title or "plan", region, component)
            lines.append(f"    {node}[{_label(f'{component}: {count}')}]")
        lines.append("  end")
    return "\n".join(lines) + "\n"


def _components(plan: Plan) -> list[tuple[str, int]]:
    totals: Counter[str] = Counter()
    for counts in components_by_region(plan).values():
        totals.update(counts)
    return sorted(totals.items())


def rollout_diagram(steps: Sequence[tuple[str, Plan]]) -> str:
    """The stacks in run order, each with the components its plan deploys."""
    lines = ["flowchart TB"]
    per_step = [dict(_components(plan)) for _, plan in steps]
    common = set.intersection(*(set(c) for c in per_step)) if per_step else set()
    for index, ((caption, _), components) in enumerate(zip(steps, per_step, strict=True), 1):
        step = f"step{index}"
        lines.append(f"  subgraph {step}[{_label(f'{index}. {caption}')}]")
        lines.append("    direction LR")
        shared = sum(n for c, n in components.items() if c in common)
        lines.append(
            f"    {step}_baseline[{_label(f'account baseline, {len(common)} components: {shared}')}]"
        )
        for component, count in sorted(components.items()):
            if component not in common:
                lines.append(f"    {step}_{_id(component)}[{_label(f'{component}: {count}')}]")
        lines.append("  end")
    lines += [f"  step{i} --> step{i + 1}" for i in range(1, len(steps))]
    return "\n".join(lines) + "\n"


def _target_name(plan: Plan, arn: str, by_arn: dict[str, RecordedResource]) -> str:
    target = by_arn.get(arn)
    if target is not None:
        return f"{target.type.rsplit(':', 1)[-1]} {target.name}"
    if ":event-bus/" in arn:
        region = arn.split(":")[3]
        home = (plan.settings or {}).get("homeRegion")
        return HOME_BUS if region == home else f"event bus in {region}"
    return arn


def finding_flow(plan: Plan) -> str:
    """Event sources -> rules' targets -> subscribers, merged across regions."""
    by_arn = {str(r.outputs["arn"]): r for r in plan.resources if r.outputs.get("arn")}
    rules = {
        str(rule.outputs.get("name") or rule.id): rule
        for rule in plan.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for target in plan.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        rule = rules.get(str(target.inputs.get("rule")))
        if rule is None or not isinstance(rule.inputs.get("eventPattern"), str):
            continue
        pattern = json.loads(rule.inputs["eventPattern"])
        region = plan.region_of(rule) or GLOBAL
        for source in pattern.get("source") or ["(any source)"]:
            for kind in pattern.get("detail-type") or ["(any event)"]:
                edges[(f"{source}: {kind}", _target_name(plan, target.inputs["arn"], by_arn))].add(
                    region
                )
    for function in plan.of_type("aws:lambda/function:Function"):
        variables = (function.inputs.get("environment") or {}).get("variables") or {}
        for value in variables.values():
            published = by_arn.get(str(value))
            if published is not None and published.type == "aws:sns/topic:Topic":
                edges[
                    (
                        _target_name(plan, str(function.outputs.get("arn")), by_arn),
                        _target_name(plan, str(value), by_arn),
                    )
                ].add("publishes")
    for sub in plan.of_type("aws:sns/topicSubscription:TopicSubscription"):
        topic = _target_name(plan, str(sub.inputs.get("topic")), by_arn)
        edges[(topic, f"{sub.inputs.get('protocol')} subscribers")].add(
            plan.region_of(sub) or GLOBAL
        )
    regions = len((plan.settings or {}).get("detectionRegions") or []) or 1
    lines = ["flowchart LR"]
    nodes: dict[str, str] = {}

    def node(name: str) -> str:
        if name not in nodes:
            nodes[name] = f"n{len(nodes)}"
            lines.append(f"  {nodes[name]}[{_label(name)}]")
        return nodes[name]

    forwarded = set()
    for (origin, destination), where in sorted(edges.items()):
        label = "every detection region" if len(where) >= regions > 1 else ", ".join(sorted(where))
        lines.append(f"  {node(origin)} -->|{_label(label)}| {node(destination)}")
        if destination == HOME_BUS:
            forwarded.add(origin)
    for source in sorted(forwarded):
        lines.append(
            f"  {node(HOME_BUS)} -.->|{_label('routed as in the home region')}| {node(source)}"
        )
    return "\n".join(lines) + "\n"


def _mermaid(text: str) -> str:
    return f"```mermaid\n{text}```"


def diagrams_block(plan_of: Callable[[str, str], Plan]) -> str:
    """The generated part of docs/diagrams.md, from ``plan_of(tier, role)`` plans."""
    beginner = plan_of("beginner", "standalone")
    intermediate = plan_of("intermediate", "standalone")
    steps = [
        ("security account: tier intermediate", plan_of("intermediate", "standalone")),
        ("management account: advanced, role management", plan_of("advanced", "management")),
        ("security account: advanced, role security", plan_of("advanced", "security")),
        ("every member account: advanced, role member", plan_of("advanced", "member")),
    ]
    parts = [
        BEGIN,
        "",
        "## Beginner tier: components by region",
        "",
        _mermaid(tier_diagram(beginner, "beginner")),
        "",
        "## Intermediate tier: components by region",
        "",
        _mermaid(tier_diagram(intermediate, "intermediate")),
        "",
        "## Organization rollout, in run order",
        "",
        "Each box is one stack; the numbers are the resources each component creates there. "
        "The account baseline is what every one of these stacks has in common.",
        "",
        _mermaid(rollout_diagram(steps)),
        "",
        "## From finding to response (intermediate tier)",
        "",
        "EventBridge rules by event source and type, their targets, and the topic's subscribers.",
        "",
        _mermaid(finding_flow(intermediate)),
        "",
        END,
    ]
    return "\n".join(parts)


def updated_page(text: str, plan_of: Callable[[str, str], Plan]) -> str:
    """docs/diagrams.md with its generated block replaced."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"{PAGE.name}: no generated block; add the lines\n{BEGIN}\n{END}")
    head, rest = text.split(BEGIN, 1)
    return head + diagrams_block(plan_of) + rest.split(END, 1)[1]


def main() -> int:
    """``python -m secbaseline.baseline.diagram``: regenerate docs/diagrams.md."""
    from secbaseline.baseline.cost import example_plan

    text = PAGE.read_text(encoding="utf-8")
    new = updated_page(text, example_plan)
    if new != text:
        PAGE.write_text(new, encoding="utf-8")
        print("wrote docs/diagrams.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
