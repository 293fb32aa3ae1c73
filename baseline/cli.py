"""``secbaseline``: plan (and later check, drill) the baseline offline."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from secbaseline import __version__
from secbaseline.baseline import plan as planning
from secbaseline.baseline.adopt import add_adopt
from secbaseline.baseline.check import (
    add_check_command,
    add_mocks_argument,
    check_program_flags,
    plan_program,
    render_coverage,
    show_log,
)
from secbaseline.baseline.cost import cost_of, render_cost
from secbaseline.baseline.default_vpc import add_default_vpc_command
from secbaseline.baseline.diagram import tier_diagram
from secbaseline.baseline.diff import add_diff_command
from secbaseline.baseline.drill import add_drill
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.baseline.fakes import UnansweredInvokeError
from secbaseline.baseline.project import apply_project_config, load_project
from secbaseline.baseline.render import render
from secbaseline.baseline.review import add_review_command
from secbaseline.baseline.settings import ROLES, TIERS


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every command that plans a tier."""
    parser.add_argument("--tier", help=f"one of {', '.join(TIERS)} (overrides the stack file)")
    parser.add_argument("--role", help=f"one of {', '.join(ROLES)} (overrides the stack file)")
    parser.add_argument("--regions", help="detection regions, comma-separated")
    parser.add_argument("--home-region", help="home region (overrides the stack file)")
    parser.add_argument(
        "--config",
        metavar="Pulumi.<stack>.yaml",
        help="stack file to read (default: the shipped Pulumi.example.yaml, fake ids)",
    )


def plan_from_args(args: argparse.Namespace) -> Plan:
    """Read the stack file, apply flag overrides and plan the tier offline."""
    stack_file = planning.read_stack_file(args.config or planning.EXAMPLE_STACK_FILE)
    # The Pulumi CLI's own rules first (required keys, declared types), with its messages.
    stack_config = apply_project_config(load_project(), stack_file.stack, stack_file.project_config)
    regions = None
    if args.regions is not None:
        regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    config = planning.merge_overrides(
        stack_config,
        {
            "tier": args.tier,
            "role": args.role,
            "homeRegion": args.home_region,
            "detectionRegions": regions,
            # --role management/security plans the stack of that account of the organization
            "accountId": _role_account(stack_config, args.role),
        },
    )
    return planning.plan_config(
        config, stack=stack_file.stack, other_config=stack_file.other_config
    )


def _role_account(config: dict[str, object], role: str | None) -> object:
    """The account a ``--role`` override names (None: keep the stack file's ``accountId``)."""
    key = {"management": "managementAccountId", "security": "securityAccountId"}.get(role or "")
    return config.get(key) or None if key else None


def _plan(args: argparse.Namespace) -> int:
    check_program_flags(args, allowed=())
    if args.program:
        plan = plan_program(Path(args.program), args.config, args.mocks)
        show_log(plan)
    else:
        plan = plan_from_args(args)
        show_log(plan)
    if args.coverage and args.cost:
        raise ValueError("--coverage and --cost: choose one")
    if args.format == "mermaid":
        if args.coverage or args.cost:
            raise ValueError(
                "--format mermaid draws the plan; it does not apply to --coverage or --cost"
            )
        sys.stdout.write(tier_diagram(plan))
        return 0
    if args.coverage:
        sys.stdout.write(render_coverage(plan, args.format))
        return 0
    if args.cost:
        if args.format == "json":
            sys.stdout.write(json.dumps(cost_of(plan).to_json(), indent=2, sort_keys=True) + "\n")
        else:
            sys.stdout.write(render_cost(plan, args.format))
        return 0
    if args.format == "json":
        sys.stdout.write(plan.dumps() + "\n")
    else:
        sys.stdout.write(render(plan, args.format))
    return 0


def _add_plan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("plan", help="show what a tier would deploy (offline)")
    add_target_arguments(parser)
    parser.add_argument(
        "--format",
        choices=["table", "json", "markdown", "mermaid"],
        default="table",
        help="mermaid: a flowchart of the components by region (docs/diagrams.md)",
    )
    parser.add_argument("--coverage", action="store_true", help="print the checklist coverage")
    parser.add_argument(
        "--cost",
        action="store_true",
        help="print the fixed monthly cost (dated price table) and the services billed by use",
    )
    parser.add_argument(
        "--program",
        metavar="PATH",
        help="plan your own Python Pulumi program (__main__.py or its folder) instead of a tier; "
        "--config then names its stack file",
    )
    add_mocks_argument(parser)
    parser.set_defaults(run=_plan)


# Each command module adds its parser here; keep one line per command.
COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_plan,
    add_check_command,
    add_drill,
    add_review_command,
    add_diff_command,
    add_adopt,
    add_default_vpc_command,
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="secbaseline",
        description="Plan and check the AWS security baseline offline (no AWS account needed).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point. Bad input: one line on stderr, exit 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except (ValueError, FileNotFoundError, UnansweredInvokeError) as exc:
        sys.stderr.write(f"secbaseline: error: {exc}\n")
        return 2
    except OfflineEngineError as exc:
        sys.stderr.write(f"secbaseline: offline engine: {exc}\n")
        return 3
    return code


if __name__ == "__main__":
    sys.exit(main())
