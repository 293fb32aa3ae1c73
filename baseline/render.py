"""Human views of a plan: a table grouped by service and region, or Markdown."""

from __future__ import annotations

from collections import Counter

from tabulate import tabulate

from secbaseline.baseline.engine import Plan, RecordedResource
from secbaseline.baseline.fakes import split_type

GLOBAL = "global"


def service_of(resource: RecordedResource) -> str:
    """``aws:s3/bucket:Bucket`` -> ``s3``."""
    package, module, _ = split_type(resource.type)
    return module if package == "aws" else package


def summary_rows(plan: Plan) -> list[tuple[str, str, int]]:
    """(service, region, count) for every resource a provider would create."""
    counts: Counter[tuple[str, str]] = Counter()
    for resource in plan.custom_resources():
        counts[(service_of(resource), plan.region_of(resource) or GLOBAL)] += 1
    return [(svc, region, n) for (svc, region), n in sorted(counts.items())]


def component_rows(plan: Plan) -> list[tuple[str, str, int]]:
    """(component type, name, resources below it) for every component."""
    rows = []
    for r in plan.resources:
        if not r.custom and r.type != "pulumi:pulumi:Stack":
            below = sum(1 for d in plan.descendants(r.urn) if d.custom)
            rows.append((r.type.rsplit(":", 1)[-1], r.name, below))
    return rows


def render(plan: Plan, fmt: str) -> str:
    """Render as ``table`` (plain text) or ``markdown``."""
    tablefmt = "github" if fmt == "markdown" else "simple"
    settings = plan.settings or {}
    regions = ", ".join(settings.get("detectionRegions") or [])
    header = (
        f"Plan for {plan.project}/{plan.stack}: tier {settings.get('tier')}, "
        f"role {settings.get('role')}, home {settings.get('homeRegion')}, "
        f"detection regions: {regions}"
    )
    rows = summary_rows(plan)
    by_region: Counter[str] = Counter()
    for _, region, n in rows:
        by_region[region] += n
    total = sum(n for *_, n in rows)
    imported = plan.imported()
    parts = [
        f"## {header}" if fmt == "markdown" else header,
        "",
        tabulate(rows, headers=["service", "region", "resources"], tablefmt=tablefmt),
        "",
        tabulate(
            [*sorted(by_region.items()), ("total", total)],
            headers=["region", "resources"],
            tablefmt=tablefmt,
        ),
        "",
        tabulate(
            component_rows(plan), headers=["component", "name", "resources"], tablefmt=tablefmt
        ),
        "",
        f"{total} resources in {len(by_region)} regions (incl. global), "
        f"{len(component_rows(plan))} components. Offline plan: nothing was deployed.",
    ]
    if imported:
        parts[-1:-1] = [
            tabulate(
                [(r.type, plan.region_of(r) or GLOBAL, r.name, r.import_id) for r in imported],
                headers=["imported (not created)", "region", "name", "import id"],
                tablefmt=tablefmt,
            ),
            "",
        ]
        parts[-1] += f" {len(imported)} of the resources are imported, not created."
    return "\n".join(parts) + "\n"
