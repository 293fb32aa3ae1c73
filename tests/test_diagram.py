"""Pictures drawn from plans: components by region, the rollout order, the finding flow."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from secbaseline.baseline import diagram
from secbaseline.baseline.cli import main
from secbaseline.baseline.cost import example_plan
from secbaseline.baseline.engine import Plan


def test_tier_diagram_has_every_region_and_component_of_the_plan(
    plan_tier: Callable[..., Plan],
) -> None:
    plan = plan_tier(tier="intermediate")
    text = diagram.tier_diagram(plan, "t")
    table = diagram.components_by_region(plan)
    assert set(table) == {"ap-northeast-1", "us-east-1", "eu-west-1", "global"}
    for region, components in table.items():
        caption = f"{region} (home)" if region == "ap-northeast-1" else region
        assert f'["{caption}"]' in text
        for component, count in components.items():
            assert f'{component}: {count}"]' in text
    # Every resource below a component is counted once.
    counted = sum(sum(c.values()) for c in table.values())
    assert counted == sum(1 for r in plan.custom_resources() if diagram.top_component(plan, r))


def test_finding_flow_follows_the_rules_and_targets_of_the_plan(
    plan_tier: Callable[..., Plan],
) -> None:
    text = diagram.finding_flow(plan_tier(tier="intermediate"))
    lines = text.splitlines()
    nodes = {
        line.split("[", 1)[1].strip('"]'): line.split("[", 1)[0].strip()
        for line in lines
        if "[" in line and "-->" not in line and "-.->" not in line
    }
    guardduty = nodes["aws.guardduty: GuardDuty Finding"]
    isolation = nodes["Function incident-response-function"]
    topic = nodes["Topic security-notifications-topic"]
    assert f'  {guardduty} -->|"ap-northeast-1"| {isolation}' in lines
    assert f'  {topic} -->|"ap-northeast-1"| {nodes["email subscribers"]}' in lines
    assert f'  {isolation} -->|"publishes"| {topic}' in lines
    # Other regions forward to the home bus, where the home rules route them.
    bus = nodes[diagram.HOME_BUS]
    assert f'  {guardduty} -->|"eu-west-1, us-east-1"| {bus}' in lines
    assert f'  {bus} -.->|"routed as in the home region"| {guardduty}' in lines


def test_rollout_keeps_the_documented_order() -> None:
    plans = {
        (tier, role): example_plan(tier, role)
        for tier, role in [
            ("beginner", "standalone"),
            ("intermediate", "standalone"),
            ("advanced", "management"),
            ("advanced", "security"),
            ("advanced", "member"),
        ]
    }
    text = diagram.diagrams_block(lambda tier, role: plans[(tier, role)])
    rollout = text.split("## Organization rollout", 1)[1].split("## From finding", 1)[0]
    order = [line.split('"')[1] for line in rollout.splitlines() if "subgraph step" in line]
    assert order == [
        "1. security account: tier intermediate",
        "2. management account: advanced, role management",
        "3. security account: advanced, role security",
        "4. every member account: advanced, role member",
    ]
    assert "step1 --> step2" in rollout and "step3 --> step4" in rollout
    assert "step2_GuardrailPolicies" in rollout and "step3_OrganizationDetection" in rollout
    assert "step4_GuardrailPolicies" not in rollout


def test_docs_diagrams_are_drawn_from_the_current_plans() -> None:
    """Fails when docs/diagrams.md is stale: run `make docs`."""
    text = diagram.PAGE.read_text(encoding="utf-8")
    assert diagram.updated_page(text, example_plan) == text, "run `make docs`"


def test_cli_draws_any_plan_as_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--tier", "beginner", "--format", "mermaid"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart LR\n")
    assert '["ap-northeast-1 (home)"]' in out
    assert main(["plan", "--tier", "beginner", "--format", "mermaid", "--cost"]) == 2
    assert "does not apply to --coverage or --cost" in capsys.readouterr().err
