"""``secbaseline check``: run the policy pack's rules offline over a tier plan or any program.

The rules are the ones ``pulumi preview --policy-pack policies/`` runs (``policies/rules.py``);
here they read the offline plan instead of the engine's gRPC requests. ``plan --coverage``
(the checklist coverage matrix) also lives here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from tabulate import tabulate

from secbaseline.baseline import catalog
from secbaseline.baseline.engine import Plan, run_file
from secbaseline.baseline.plan import read_stack_file
from secbaseline.baseline.settings import organization_owned
from secbaseline.policies import rules

_LEVEL_ORDER = {"mandatory": 0, "advisory": 1}


@dataclass(frozen=True)
class Finding:
    """One violation, with what a reviewer needs to act on it."""

    policy: str
    enforcement: str
    severity: str
    urn: str | None
    message: str
    checklist: tuple[str, ...]


def enforcement_levels(overrides: Sequence[str] = ()) -> dict[str, str]:
    """Catalog defaults with ``policy=level`` overrides applied (ValueError on bad input)."""
    levels: dict[str, str] = {p.name: p.enforcement for p in catalog.POLICIES}
    for item in overrides:
        name, sep, level = item.partition("=")
        if not sep:
            raise ValueError(f"--enforcement: expected policy=level, got {item!r}")
        catalog.policy(name.strip())
        if level.strip() not in catalog.ENFORCEMENT_LEVELS:
            allowed = ", ".join(catalog.ENFORCEMENT_LEVELS)
            raise ValueError(
                f"--enforcement: {name}: level must be one of {allowed}, got {level!r}"
            )
        levels[name.strip()] = level.strip()
    return levels


def stack_resources(plan: Plan) -> list[rules.StackResource]:
    """The plan's provider-managed resources as the stack rules see them."""
    return [
        rules.StackResource(
            type=r.type,
            name=r.name,
            urn=r.urn,
            props=r.inputs,
            region=plan.region_of(r),
            id=r.id,
        )
        for r in plan.custom_resources()
    ]


def check_plan(
    plan: Plan,
    *,
    options: rules.StackOptions,
    levels: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every violation of every enabled policy, mandatory first."""
    levels = levels or enforcement_levels()
    resources = stack_resources(plan)
    findings: list[Finding] = []
    for spec in catalog.POLICIES:
        level = levels.get(spec.name, spec.enforcement)
        if level == "disabled":
            continue
        checklist = catalog.checklist_for_policy(spec.name)
        if spec.kind == "resource":
            found: list[tuple[str | None, str]] = [
                (r.urn, message)
                for r in resources
                for message in rules.check_resource(spec.name, r.type, r.props, r.urn, r.name)
            ]
        else:
            found = [(v.urn, v.message) for v in rules.check_stack(spec.name, resources, options)]
        findings += [
            Finding(spec.name, level, spec.severity, urn, message, checklist)
            for urn, message in found
        ]
    findings.sort(key=lambda f: (_LEVEL_ORDER.get(f.enforcement, 2), f.policy, f.urn or ""))
    return findings


def _project_name(program: Path) -> str:
    folder = program if program.is_dir() else program.parent
    project_file = folder / "Pulumi.yaml"
    if project_file.is_file():
        data = yaml.safe_load(project_file.read_text()) or {}
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str):
            return name
    return "program"


def _regions(raw: str | None) -> tuple[str, ...]:
    return tuple(r.strip() for r in (raw or "").split(",") if r.strip())


def plan_program(program: Path, config_file: str | None) -> Plan:
    """Run a user's Python Pulumi program offline (``--program``), with its stack file."""
    project = _project_name(program)
    config: dict[str, Any] = {}
    stack = "offline"
    if config_file:
        stack_file = read_stack_file(config_file, project=project)
        config = {f"{project}:{k}": v for k, v in stack_file.project_config.items()}
        config.update(stack_file.other_config)
        stack = stack_file.stack
    return run_file(program, project=project, stack=stack, config=config)


def target_from_args(args: argparse.Namespace) -> tuple[Plan, rules.StackOptions]:
    """Plan the tier (or run ``--program``) and derive the stack rules' options."""
    if args.program:
        plan = plan_program(Path(args.program), args.config)
        return plan, rules.StackOptions(
            tier=args.tier or "beginner", regions=_regions(args.regions)
        )
    from secbaseline.baseline.cli import plan_from_args

    plan = plan_from_args(args)
    settings = plan.settings or {}
    tier = str(settings.get("tier", "beginner"))
    return plan, rules.StackOptions(
        tier=tier,
        regions=tuple(settings.get("detectionRegions") or ()),
        organization_managed=organization_owned(
            tier, str(settings.get("role")), bool(settings.get("controlTower"))
        ),
    )


def _short(urn: str | None) -> str:
    """``urn:...::aws:s3/bucket:Bucket::logs`` -> ``Bucket::logs`` (the JSON keeps the URN)."""
    if urn is None:
        return "(stack)"
    parts = urn.split("::")
    return f"{parts[-2].rsplit(':', 1)[-1]}::{parts[-1]}" if len(parts) >= 2 else urn


def render_findings(findings: Sequence[Finding], fmt: str) -> str:
    """Findings as a table or JSON."""
    if fmt == "json":
        return json.dumps([asdict(f) for f in findings], indent=2) + "\n"
    if not findings:
        return "No policy violations.\n"
    rows = [
        (f.enforcement, f.policy, _short(f.urn), f.message, ", ".join(f.checklist) or "-")
        for f in findings
    ]
    mandatory = sum(1 for f in findings if f.enforcement == "mandatory")
    table = tabulate(rows, headers=["level", "policy", "resource", "violation", "checklist"])
    return f"{table}\n\n{len(findings)} violation(s), {mandatory} mandatory.\n"


def _check(args: argparse.Namespace) -> int:
    levels = enforcement_levels(args.enforcement or ())
    plan, options = target_from_args(args)
    findings = check_plan(plan, options=options, levels=levels)
    sys.stdout.write(render_findings(findings, args.format))
    return 1 if any(f.enforcement == "mandatory" for f in findings) else 0


def add_check_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``secbaseline check``."""
    from secbaseline.baseline.cli import add_target_arguments

    parser = sub.add_parser(
        "check",
        help="run the policy pack offline over a tier plan or any Python Pulumi program",
    )
    add_target_arguments(parser)
    parser.add_argument(
        "--program",
        metavar="PATH",
        help="a Python Pulumi program (__main__.py or its folder) to check instead of a tier; "
        "--config then names its stack file, --tier/--regions set the stack policies",
    )
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument(
        "--enforcement",
        action="append",
        metavar="POLICY=LEVEL",
        help="override a policy's enforcement (advisory, mandatory, disabled); repeatable",
    )
    parser.set_defaults(run=_check)


def coverage_json(plan: Plan) -> dict[str, Any]:
    """The coverage matrix as data."""
    items = [
        {
            "item": item,
            "deployed": any(found for _, found in controls),
            "controls": [{"control": c, "evidence": found} for c, found in controls],
        }
        for item, controls in catalog.coverage([r.type for r in plan.resources])
    ]
    return {
        "covered": sum(1 for i in items if i["deployed"]),
        "total": len(items),
        "items": items,
    }


def render_coverage(plan: Plan, fmt: str = "table") -> str:
    """The checklist coverage matrix: item -> controls -> evidence found in this plan."""
    data = coverage_json(plan)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    rows = []
    for entry in data["items"]:
        for index, control in enumerate(entry["controls"]):
            first = index == 0
            rows.append(
                (
                    entry["item"] if first else "",
                    ("yes" if entry["deployed"] else "no") if first else "",
                    control["control"],
                    ", ".join(t.rsplit(":", 1)[-1] for t in control["evidence"]) or "-",
                )
            )
    tablefmt = "github" if fmt == "markdown" else "simple"
    headers = ["item", "deployed", "control", "evidence in this plan"]
    table = tabulate(rows, headers=headers, tablefmt=tablefmt)
    summary = f"{data['covered']} of {data['total']} checklist items have evidence in this plan."
    return f"{table}\n\n{summary}\n"
