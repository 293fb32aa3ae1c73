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

from secbaseline.baseline import catalog, validate
from secbaseline.baseline.engine import OfflineEngineError, Plan, run_file
from secbaseline.baseline.fakes import AccountContext, MockAnswers, mock_answers
from secbaseline.baseline.plan import read_stack_file
from secbaseline.baseline.project import apply_project_config, load_project
from secbaseline.baseline.settings import TIERS, organization_owned
from secbaseline.policies import rules

_LEVEL_ORDER = {"mandatory": 0, "advisory": 1}
ALL_POLICIES = "all"
"""``--enforcement all=LEVEL`` sets every policy's level."""


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
    parsed: list[tuple[str, str]] = []
    for item in overrides:
        name, sep, level = (part.strip() for part in item.partition("="))
        if not sep:
            raise ValueError(f"--enforcement: expected policy=level, got {item!r}")
        if name != ALL_POLICIES:
            try:
                catalog.policy(name)
            except ValueError as error:
                raise ValueError(f"--enforcement: {str(error).removeprefix('policy: ')}") from None
        if level not in catalog.ENFORCEMENT_LEVELS:
            allowed = ", ".join(catalog.ENFORCEMENT_LEVELS)
            raise ValueError(
                f"--enforcement: {name}: level must be one of {allowed}, got {level!r}"
            )
        parsed.append((name, level))
    # `all=LEVEL` sets every policy first; a named policy overrides it whatever the order, as
    # the pack's `--policy-pack-config` does.
    for name, level in sorted(parsed, key=lambda pair: pair[0] != ALL_POLICIES):
        if name == ALL_POLICIES:
            levels = dict.fromkeys(levels, level)
        else:
            levels[name] = level
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


def _project_file(program: Path) -> Path | None:
    """The ``Pulumi.yaml`` that owns ``program``: in its folder or the nearest above, as the
    Pulumi CLI finds it."""
    folder = (program if program.is_dir() else program.parent).resolve()
    return next(
        (d / "Pulumi.yaml" for d in (folder, *folder.parents) if (d / "Pulumi.yaml").is_file()),
        None,
    )


def _project_data(project_file: Path | None) -> dict[str, Any]:
    if project_file is None:
        return {}
    try:
        data = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        raise ValueError(f"{project_file}: not a valid Pulumi.yaml") from None
    return data if isinstance(data, dict) else {}


def _regions(raw: str | None) -> tuple[str, ...]:
    return tuple(r.strip() for r in (raw or "").split(",") if r.strip())


def read_mocks_file(path: str | None) -> MockAnswers:
    """The user's answers for invokes and StackReferences (``--mocks FILE``)."""
    if path is None:
        return MockAnswers()
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"--mocks: {path} does not exist") from None
    except (OSError, UnicodeDecodeError):
        raise ValueError(f"--mocks: {path} is not a readable UTF-8 text file") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ValueError(f"--mocks: {path} is not valid YAML{where}") from None
    return mock_answers(data, f"--mocks: {path}")


def plan_program(program: Path, config_file: str | None, mocks_file: str | None = None) -> Plan:
    """Run a user's Python Pulumi program offline (``--program``), with its stack file.

    As the Pulumi CLI does: the project is the nearest ``Pulumi.yaml``, a folder holding it runs
    the ``main:`` it names, and the stack's config must satisfy the project's declarations."""
    project_file = _project_file(program)
    data = _project_data(project_file)
    name = data.get("name")
    project = name if isinstance(name, str) and name else "program"
    if program.is_dir() and project_file is not None and project_file.parent == program.resolve():
        main = data.get("main")
        if isinstance(main, str) and main:
            program = program / main
    if not program.exists():
        raise FileNotFoundError(f"--program: {program} does not exist")
    if program.is_dir() and not (program / "__main__.py").is_file():
        raise FileNotFoundError(
            f"--program: {program} has no __main__.py (name the program file, or the folder of "
            "a Pulumi.yaml whose main: points to it)"
        )
    config: dict[str, Any] = {}
    stack = "offline"
    project_config: dict[str, Any] = {}
    if config_file:
        stack_file = read_stack_file(config_file, project=project)
        project_config = stack_file.project_config
        config.update(stack_file.other_config)
        stack = stack_file.stack
    if project_file is not None:
        project_config = apply_project_config(load_project(project_file), stack, project_config)
    config.update({f"{project}:{k}": v for k, v in project_config.items()})
    context = AccountContext(answers=read_mocks_file(mocks_file))
    return run_file(program, project=project, stack=stack, config=config, context=context)


def target_from_args(args: argparse.Namespace) -> tuple[Plan, rules.StackOptions]:
    """Plan the tier (or run ``--program``) and derive the stack rules' options."""
    if args.program:
        check_program_flags(args, allowed=("tier", "regions"))
        tier = args.tier or "beginner"
        if tier not in TIERS:
            raise ValueError(f"--tier: must be one of {', '.join(TIERS)}, got {tier!r}")
        regions = _regions(args.regions)
        for region in regions:
            validate.region("--regions", region)
        plan = plan_program(Path(args.program), args.config, args.mocks)
        return plan, rules.StackOptions(tier=tier, regions=regions)
    check_program_flags(args, allowed=())
    from secbaseline.baseline.cli import plan_from_args

    plan = plan_from_args(args)
    return plan, stack_options(plan.settings or {})


def stack_options(settings: Mapping[str, Any]) -> rules.StackOptions:
    """The stack rules' options for a tier plan, from its resolved settings."""
    tier = str(settings.get("tier", "beginner"))
    return rules.StackOptions(
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


def render_findings(findings: Sequence[Finding], fmt: str, checked: int | None = None) -> str:
    """Findings as a table, a Markdown table (for a pull-request comment) or JSON."""
    if fmt == "json":
        return json.dumps([asdict(f) for f in findings], indent=2) + "\n"
    counted = f"{checked} resources checked" if checked is not None else "Checked"
    if not findings:
        return f"{counted}: no policy violations.\n"
    markdown = fmt == "markdown"
    rows = [
        (
            f.enforcement,
            f.policy,
            f"`{_short(f.urn)}`" if markdown else _short(f.urn),
            f.message.replace("|", "\\|") if markdown else f.message,
            ", ".join(f.checklist) or "-",
        )
        for f in findings
    ]
    mandatory = sum(1 for f in findings if f.enforcement == "mandatory")
    table = tabulate(
        rows,
        headers=["level", "policy", "resource", "violation", "checklist"],
        tablefmt="github" if markdown else "simple",
    )
    summary = f"{counted}: {len(findings)} violation(s), {mandatory} mandatory."
    if markdown:
        return f"### secbaseline check\n\n{table}\n\n{summary}\n"
    return f"{table}\n\n{summary}\n"


def _check(args: argparse.Namespace) -> int:
    levels = enforcement_levels(args.enforcement or ())
    plan, options = target_from_args(args)
    show_log(plan)
    checked = len(plan.custom_resources())
    if checked == 0:
        raise OfflineEngineError(
            "the program created no resources, so there is nothing to check (is --program the "
            "folder or file that builds your stack?)"
        )
    findings = check_plan(plan, options=options, levels=levels)
    sys.stdout.write(render_findings(findings, args.format, checked))
    return 1 if any(f.enforcement == "mandatory" for f in findings) else 0


def show_log(plan: Plan) -> None:
    """What the program logged with ``pulumi.log`` (stderr: stdout may carry JSON)."""
    for line in plan.log:
        sys.stderr.write(f"{line}\n")


TARGET_FLAGS = {
    "tier": "--tier",
    "role": "--role",
    "regions": "--regions",
    "home_region": "--home-region",
}


def check_program_flags(args: argparse.Namespace, *, allowed: Sequence[str]) -> None:
    """Refuse flags that mean nothing for the target: tier flags with ``--program`` (only
    ``allowed`` apply), ``--mocks`` without it."""
    if not getattr(args, "program", None):
        if getattr(args, "mocks", None):
            raise ValueError("--mocks: applies only with --program (tiers need no mocks)")
        return
    for dest, flag in TARGET_FLAGS.items():
        if dest not in allowed and getattr(args, dest, None) is not None:
            raise ValueError(
                f"{flag}: does not apply with --program (your program and its stack file "
                "decide that)"
            )


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
    add_mocks_argument(parser)
    parser.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    parser.add_argument(
        "--enforcement",
        action="append",
        metavar="POLICY=LEVEL",
        help="override a policy's enforcement (advisory, mandatory, disabled); `all=LEVEL` sets "
        "every policy, named policies override it; repeatable",
    )
    parser.set_defaults(run=_check)


def add_mocks_argument(parser: argparse.ArgumentParser) -> None:
    """``--mocks FILE``: answers for the invokes and StackReferences of a ``--program``."""
    parser.add_argument(
        "--mocks",
        metavar="FILE",
        help="with --program: a YAML file answering its invokes and StackReferences "
        "(docs/policy-pack.md)",
    )


def coverage_json(plan: Plan) -> dict[str, Any]:
    """The coverage matrix as data; ``status`` says why an item without evidence is missing."""
    settings = plan.settings or {}
    tier, role = settings.get("tier"), settings.get("role")
    items = []
    for item, controls in catalog.coverage([r.type for r in plan.resources]):
        deployed = any(found for _, found in controls)
        items.append(
            {
                "item": item,
                "deployed": deployed,
                "status": catalog.item_status(item, deployed, tier, role),
                "controls": [{"control": c, "evidence": found} for c, found in controls],
            }
        )
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
                    entry["status"] if first else "",
                    control["control"],
                    ", ".join(t.rsplit(":", 1)[-1] for t in control["evidence"]) or "-",
                )
            )
    tablefmt = "github" if fmt == "markdown" else "simple"
    headers = ["item", "status", "control", "evidence in this plan"]
    table = tabulate(rows, headers=headers, tablefmt=tablefmt)
    summary = f"{data['covered']} of {data['total']} checklist items have evidence in this plan."
    return f"{table}\n\n{summary}\n"
