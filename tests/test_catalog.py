"""The control catalog: consistent, every checklist item served, docs/controls.md up to date."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from secbaseline.baseline import catalog
from secbaseline.policies import rules

ROOT = Path(__file__).resolve().parent.parent
SECURITY_HUB_ID = re.compile(r"^[A-Za-z0-9]+\.\d+$")


def test_catalog_has_no_problems() -> None:
    assert catalog.problems() == []


@pytest.mark.parametrize("item", catalog.CHECKLIST_IDS)
def test_every_checklist_item_is_served(item: str) -> None:
    assert catalog.controls_for_item(item), f"{item} is served by no control"


def test_checklist_ids_match_the_checklist_document() -> None:
    text = (ROOT / "docs" / "checklist.md").read_text()
    assert set(re.findall(r"^- (S-\d\d) ", text, re.MULTILINE)) == set(catalog.CHECKLIST_IDS)


def test_every_policy_has_a_rule_and_every_rule_a_policy() -> None:
    names = {p.name for p in catalog.POLICIES}
    assert set(rules.RESOURCE_RULES) == {p.name for p in catalog.POLICIES if p.kind == "resource"}
    assert set(rules.STACK_RULES) == {p.name for p in catalog.POLICIES if p.kind == "stack"}
    assert len(names) == len(catalog.POLICIES)


def test_resource_policies_name_their_types_and_stack_policies_do_not() -> None:
    for spec in catalog.POLICIES:
        assert bool(spec.resource_types) == (spec.kind == "resource"), spec.name
        for token in spec.resource_types:
            assert re.match(r"^aws:[a-zA-Z0-9]+/[a-zA-Z0-9]+:[A-Z][A-Za-z0-9]+$", token), token


def test_security_hub_ids_and_evidence_tokens_are_well_formed() -> None:
    for control in catalog.CONTROLS:
        for sh in control.security_hub:
            assert SECURITY_HUB_ID.match(sh), (control.id, sh)
        for token in control.evidence:
            assert re.match(
                r"^(aws|secbaseline):[a-zA-Z0-9]+(/[a-zA-Z0-9]+)?:[A-Z][A-Za-z0-9]+(#[A-Z0-9_]+)?$",
                token,
            ), token


def test_examples_from_the_issue_are_mapped() -> None:
    mapped = {sh: c.id for c in catalog.CONTROLS for sh in c.security_hub}
    for sh in ("S3.1", "EC2.8", "GuardDuty.1", "CloudTrail.1"):
        assert sh in mapped
    guardduty = next(c for c in catalog.CONTROLS if c.id == "guardduty")
    assert "aws:guardduty/detector:Detector" in guardduty.evidence


def test_problems_reports_each_kind_of_defect(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = catalog.Control("Bad Id", "t", "low", ("S-99",), (), ("Nope",), ("no-such",), ())
    monkeypatch.setattr(catalog, "CONTROLS", (*catalog.CONTROLS, bad))
    assert catalog.problems() == [
        "Bad Id: duplicate or malformed control id",
        "Bad Id: unknown checklist id S-99",
        "Bad Id: unknown component Nope",
        "Bad Id: unknown policy no-such",
    ]
    monkeypatch.setattr(
        catalog, "CONTROLS", tuple(c for c in catalog.CONTROLS if "S-20" not in c.checklist)
    )
    assert "S-20: served by no control" in catalog.problems()


def test_unknown_policy_lookup_names_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=r"policy: unknown policy 'x'; known: apigateway-access-logging, "
    ):
        catalog.policy("x")


def test_controls_doc_is_up_to_date() -> None:
    """Fails when docs/controls.md is stale: run `make docs`."""
    assert catalog.CONTROLS_DOC.read_text() == catalog.render_controls_markdown()


def test_controls_doc_lists_every_control_policy_and_item() -> None:
    text = catalog.render_controls_markdown()
    for control in catalog.CONTROLS:
        assert f"| `{control.id}` |" in text
    for spec in catalog.POLICIES:
        assert f"| `{spec.name}` | {spec.kind} |" in text
    for item in catalog.CHECKLIST_IDS:
        assert f"\n| {item} | " in text


def test_write_controls_doc_only_rewrites_when_stale(tmp_path: Path) -> None:
    target = tmp_path / "controls.md"
    assert catalog.write_controls_doc(target) is True
    assert catalog.write_controls_doc(target) is False
    target.write_text("stale")
    assert catalog.write_controls_doc(target) is True
    assert target.read_text() == catalog.render_controls_markdown()


def test_pack_needs_only_pulumi_policy() -> None:
    """`pulumi preview --policy-pack` installs only policies/requirements.txt (pulumi-policy)."""
    code = (
        "import sys, secbaseline.policies.pack; "
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'pulumi_aws', 'tabulate', 'boto3'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_coverage_maps_present_types_to_items() -> None:
    rows = dict(catalog.coverage(["aws:guardduty/detector:Detector"]))
    assert rows["S-19"] == [
        ("guardduty", ["aws:guardduty/detector:Detector"]),
        ("organization-detection", []),
    ]
    assert rows["S-03"] == [("imdsv2-required", [])]
