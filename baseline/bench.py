"""``make bench``: offline synthesis cost of each tier and role against Pulumi's floor.

For each target the baseline's program is planned in a fresh process (``ours``). Its recorded
resources are then replayed in another fresh process (``floor``): the same pulumi and
pulumi-aws modules imported (every one ours had loaded), and the same resources (type, name, parent, provider, inputs) registered with
Pulumi's generic ``CustomResource``/``ComponentResource`` under the same offline engine. The
floor is what any program that declares these resources must pay; the ratio is the cost of
our components' own logic (validation, policy building, loops over regions).

Figures: CPU seconds (user + system) and peak resident memory of each process, median of
``--repeat`` runs. Each run is its own process, so imports are counted on both sides.
"""

import argparse
import importlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from secbaseline.baseline.regions import DEFAULT_ENABLED_REGIONS

BASE = {
    "homeRegion": "ap-northeast-1",
    "notificationEmails": ["security@example.com"],
    "organizationId": "o-exampleorg1",
    "managementAccountId": "111111111111",
    "securityAccountId": "222222222222",
    "guardrails": {"adminRoleArns": ["arn:aws:iam::111111111111:role/Admin"]},
}
THREE = ["ap-northeast-1", "us-east-1", "eu-west-1"]
TARGETS: dict[str, dict[str, Any]] = {
    "beginner": {"tier": "beginner", "detectionRegions": THREE},
    "intermediate": {"tier": "intermediate", "detectionRegions": THREE},
    "advanced/management": {"tier": "advanced", "role": "management", "detectionRegions": THREE},
    "advanced/security": {"tier": "advanced", "role": "security", "detectionRegions": THREE},
    "advanced/member": {"tier": "advanced", "role": "member", "detectionRegions": THREE},
    "advanced/management@17": {
        "tier": "advanced",
        "role": "management",
        "detectionRegions": list(DEFAULT_ENABLED_REGIONS),
    },
}


def _usage() -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) of this process so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime, own.ru_maxrss / 1024


def _ours(target: str, dump: Path) -> dict[str, Any]:
    from secbaseline.baseline.plan import plan_config

    plan = plan_config({**BASE, **TARGETS[target]}, stack="bench")
    records = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "custom": r.custom,
            "parent": r.parent,
            "provider": r.provider,
            "inputs": r.inputs,
        }
        for r in plan.resources
    ]
    modules = sorted(m for m in sys.modules if m.split(".", 1)[0] in ("pulumi_aws", "pulumi"))
    dump.write_text(json.dumps({"records": records, "modules": modules}))
    return {"resources": len(records)}


def _floor(dump: Path) -> dict[str, Any]:
    import pulumi

    from secbaseline.baseline.engine import run
    from secbaseline.baseline.fakes import AccountContext

    recorded = json.loads(dump.read_text())
    records = recorded["records"]
    for module in recorded["modules"]:  # the same pulumi and pulumi-aws modules ours loaded
        importlib.import_module(module)

    def program() -> None:
        made: dict[str, pulumi.Resource] = {}
        for r in records:
            if r["type"] == "pulumi:pulumi:Stack":
                continue
            parent = made.get(r["parent"] or "")
            provider_urn = (r["provider"] or "").rsplit("::", 1)[0]
            provider = made.get(provider_urn)
            opts = pulumi.ResourceOptions(
                parent=parent,
                provider=provider if isinstance(provider, pulumi.ProviderResource) else None,
            )
            created: pulumi.Resource
            if r["type"].startswith("pulumi:providers:"):
                package = r["type"].rsplit(":", 1)[-1]
                created = pulumi.ProviderResource(package, r["name"], r["inputs"], opts)
            elif r["custom"]:
                created = pulumi.CustomResource(r["type"], r["name"], r["inputs"], opts)
            else:
                created = pulumi.ComponentResource(r["type"], r["name"], None, opts)
            made[r["urn"]] = created

    plan = run(program, project="secbaseline", stack="bench", context=AccountContext())
    return {"resources": len(plan.resources)}


def _child(mode: str, target: str, dump: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; returns its figures."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own module, arguments from TARGETS)
        [sys.executable, "-m", "secbaseline.baseline.bench", "--child", mode, target, str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench {mode} {target} failed:\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - started
    return figures


def measure(target: str, repeat: int) -> dict[str, Any]:
    """Median figures of ``repeat`` runs of ours and of the floor for one target."""
    with tempfile.TemporaryDirectory() as folder:
        dump = Path(folder) / "plan.json"
        ours = [_child("ours", target, dump) for _ in range(repeat)]
        floor = [_child("floor", target, dump) for _ in range(repeat)]

    def median(runs: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(float(r[key]) for r in runs))

    return {
        "target": target,
        "resources": ours[0]["resources"],
        "replayed": floor[0]["resources"],
        "cpu": median(ours, "cpu"),
        "floor_cpu": median(floor, "cpu"),
        "cpu_ratio": median(ours, "cpu") / median(floor, "cpu"),
        "rss_mb": median(ours, "rss_mb"),
        "floor_rss_mb": median(floor, "rss_mb"),
        "rss_ratio": median(ours, "rss_mb") / median(floor, "rss_mb"),
    }


def render(rows: list[dict[str, Any]]) -> str:
    """A markdown table of the figures."""
    lines = [
        "| target | resources | CPU s | floor CPU s | CPU ratio | peak MB | floor MB | memory ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['target']} | {r['resources']} | {r['cpu']:.2f} | {r['floor_cpu']:.2f} | "
            f"{r['cpu_ratio']:.2f}x | {r['rss_mb']:.0f} | {r['floor_rss_mb']:.0f} | "
            f"{r['rss_ratio']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m secbaseline.baseline.bench [--repeat N] [TARGET ...]``."""
    parser = argparse.ArgumentParser(prog="secbaseline-bench", description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "TARGET", "DUMP"), help="internal")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (median)")
    parser.add_argument("targets", nargs="*", choices=[[], *TARGETS], default=[])
    args = parser.parse_args(argv)
    if args.child:
        mode, target, dump = args.child
        figures = _ours(target, Path(dump)) if mode == "ours" else _floor(Path(dump))
        cpu, rss = _usage()
        print(json.dumps({**figures, "cpu": cpu, "rss_mb": rss}))
        return 0
    rows = [measure(t, args.repeat) for t in (args.targets or list(TARGETS))]
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
