"""What a plan costs each month before anyone uses it, from a dated price table.

Only *fixed* costs are computed: what AWS bills by the hour or month for a resource merely
existing (customer managed KMS keys, interface endpoints per Availability Zone, WAF web ACLs and
rules, alarms, secrets, NAT gateways, always-on instances). The detection services bill by use
(events analysed, configuration items, security checks, instances scanned); they are listed with
their drivers, per region, and never turned into a number here. See docs/cost.md.

Prices are AWS on-demand list prices in USD, taken from the pricing page each entry names, as of
:data:`PRICES_AS_OF`. They were not re-read live when this table was last changed (no network
here): check the pages before budgeting. A resource in a region the table has no price for is
reported as *not priced* rather than guessed.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabulate import tabulate

from secbaseline.baseline.engine import Plan, RecordedResource

PRICES_AS_OF = "2026-12-02"
HOURS_PER_MONTH = 730
"""AWS's own convention for monthly figures of hourly prices."""
EVERY_REGION = "*"


@dataclass(frozen=True)
class Price:
    """One line of the price table: USD per unit, by region (``*``: the same everywhere)."""

    item: str
    unit: str
    usd: Mapping[str, float]
    source: str

    def in_region(self, region: str) -> float | None:
        """The unit price in a region, None when the table has none."""
        return self.usd.get(region, self.usd.get(EVERY_REGION))


PRICES: dict[str, Price] = {
    "kms-key": Price(
        "KMS customer managed key",
        "key-month",
        {EVERY_REGION: 1.00},
        "https://aws.amazon.com/kms/pricing/",
    ),
    "interface-endpoint": Price(
        "VPC interface endpoint, per Availability Zone",
        "endpoint-AZ-hour",
        {"us-east-1": 0.01, "ap-northeast-1": 0.014},
        "https://aws.amazon.com/privatelink/pricing/",
    ),
    "waf-web-acl": Price(
        "AWS WAF web ACL", "ACL-month", {EVERY_REGION: 5.00}, "https://aws.amazon.com/waf/pricing/"
    ),
    "waf-rule": Price(
        "AWS WAF rule or managed rule group in a web ACL",
        "rule-month",
        {EVERY_REGION: 1.00},
        "https://aws.amazon.com/waf/pricing/",
    ),
    "cloudwatch-alarm": Price(
        "CloudWatch alarm, standard resolution",
        "alarm-month",
        {"us-east-1": 0.10, "ap-northeast-1": 0.10},
        "https://aws.amazon.com/cloudwatch/pricing/",
    ),
    "secret": Price(
        "Secrets Manager secret",
        "secret-month",
        {EVERY_REGION: 0.40},
        "https://aws.amazon.com/secrets-manager/pricing/",
    ),
    "nat-gateway": Price(
        "NAT gateway",
        "gateway-hour",
        {"us-east-1": 0.045, "ap-northeast-1": 0.062},
        "https://aws.amazon.com/vpc/pricing/",
    ),
    "ec2:t4g.micro": Price(
        "EC2 t4g.micro, Linux, on demand",
        "instance-hour",
        {"us-east-1": 0.0084, "ap-northeast-1": 0.0108},
        "https://aws.amazon.com/ec2/pricing/on-demand/",
    ),
    "ec2:t3.micro": Price(
        "EC2 t3.micro, Linux, on demand",
        "instance-hour",
        {"us-east-1": 0.0104, "ap-northeast-1": 0.0136},
        "https://aws.amazon.com/ec2/pricing/on-demand/",
    ),
}


@dataclass(frozen=True)
class Usage:
    """A service billed by use: what drives its bill, and where its price is."""

    service: str
    driver: str
    source: str
    modules: tuple[str, ...]
    """The pulumi-aws modules (``aws:<module>/...``) whose resources start the billing."""


USAGE: tuple[Usage, ...] = (
    Usage(
        "GuardDuty",
        "CloudTrail management events, VPC flow log and DNS log volume analysed, plus each "
        "protection plan switched on (S3 data events, EKS, runtime, malware scans), per region",
        "https://aws.amazon.com/guardduty/pricing/",
        ("guardduty",),
    ),
    Usage(
        "AWS Config",
        "configuration items recorded (resource changes) and rule evaluations, per region",
        "https://aws.amazon.com/config/pricing/",
        ("cfg",),
    ),
    Usage(
        "Security Hub",
        "security checks run by the enabled standards and findings ingested, per region",
        "https://aws.amazon.com/security-hub/pricing/",
        ("securityhub",),
    ),
    Usage(
        "Amazon Inspector",
        "EC2 instances, container images and Lambda functions scanned each month, per region",
        "https://aws.amazon.com/inspector/pricing/",
        ("inspector2",),
    ),
    Usage(
        "Amazon Detective",
        "GB of log data ingested into the behaviour graph, per region",
        "https://aws.amazon.com/detective/pricing/",
        ("detective",),
    ),
    Usage(
        "CloudTrail",
        "the first copy of management events is free; further copies, data events and "
        "Insights events are billed per 100,000 events",
        "https://aws.amazon.com/cloudtrail/pricing/",
        ("cloudtrail",),
    ),
    Usage(
        "CloudWatch Logs and EventBridge",
        "GB of logs ingested and stored; EventBridge rules for AWS service events are free",
        "https://aws.amazon.com/cloudwatch/pricing/",
        ("cloudwatch",),
    ),
    Usage(
        "S3",
        "GB stored (object versions and Object Lock retention keep data longer) and requests",
        "https://aws.amazon.com/s3/pricing/",
        ("s3",),
    ),
    Usage(
        "AWS Backup",
        "GB of backups stored, per vault",
        "https://aws.amazon.com/backup/pricing/",
        ("backup",),
    ),
    Usage(
        "Fargate (bastion tasks)",
        "vCPU and memory per hour while a bastion task runs",
        "https://aws.amazon.com/fargate/pricing/",
        ("ecs",),
    ),
    Usage(
        "Lambda, SNS, SQS",
        "invocations, messages and compute time (usually inside the free tier for findings)",
        "https://aws.amazon.com/lambda/pricing/",
        ("lambda", "sns", "sqs"),
    ),
    Usage(
        "RDS",
        "instance hours by class and engine, storage and backups beyond the database size",
        "https://aws.amazon.com/rds/pricing/",
        ("rds",),
    ),
)


@dataclass(frozen=True)
class CostLine:
    """A fixed cost of the plan: a quantity of a price's unit in one region."""

    price: str
    region: str
    quantity: float
    resources: int

    @property
    def unit_usd(self) -> float | None:
        return price(self.price).in_region(self.region)

    @property
    def monthly_usd(self) -> float | None:
        unit = self.unit_usd
        return None if unit is None else round(unit * self.quantity, 2)


Counter = Callable[[RecordedResource], Sequence[tuple[str, float]]]


def _kms_key(_: RecordedResource) -> Sequence[tuple[str, float]]:
    return [("kms-key", 1)]


def _endpoint(resource: RecordedResource) -> Sequence[tuple[str, float]]:
    if resource.inputs.get("vpcEndpointType") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) are free
    zones = len(resource.inputs.get("subnetIds") or []) or 1
    return [("interface-endpoint", zones * HOURS_PER_MONTH)]


def _web_acl(resource: RecordedResource) -> Sequence[tuple[str, float]]:
    return [("waf-web-acl", 1), ("waf-rule", len(resource.inputs.get("rules") or []))]


def _alarm(_: RecordedResource) -> Sequence[tuple[str, float]]:
    return [("cloudwatch-alarm", 1)]


def _secret(_: RecordedResource) -> Sequence[tuple[str, float]]:
    return [("secret", 1)]


def _nat(_: RecordedResource) -> Sequence[tuple[str, float]]:
    return [("nat-gateway", HOURS_PER_MONTH)]


def _instance(resource: RecordedResource) -> Sequence[tuple[str, float]]:
    return [(f"ec2:{resource.inputs.get('instanceType')}", HOURS_PER_MONTH)]


FIXED: dict[str, Counter] = {
    "aws:kms/key:Key": _kms_key,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _endpoint,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/instance:Instance": _instance,
}
"""Resource types that cost money by existing, and the units each one is billed in."""


@dataclass(frozen=True)
class CostReport:
    """Fixed monthly cost of a plan, what could not be priced and the usage-billed services."""

    lines: list[CostLine]
    usage: list[tuple[Usage, list[str]]]

    @property
    def priced(self) -> list[CostLine]:
        return [line for line in self.lines if line.monthly_usd is not None]

    @property
    def unpriced(self) -> list[CostLine]:
        return [line for line in self.lines if line.monthly_usd is None]

    @property
    def total_usd(self) -> float:
        return round(sum(line.monthly_usd or 0.0 for line in self.lines), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "pricesAsOf": PRICES_AS_OF,
            "currency": "USD",
            "fixedMonthlyTotal": self.total_usd,
            "fixed": [
                {
                    "item": price(line.price).item,
                    "region": line.region,
                    "resources": line.resources,
                    "quantity": line.quantity,
                    "unit": price(line.price).unit,
                    "unitPrice": line.unit_usd,
                    "monthly": line.monthly_usd,
                    "source": price(line.price).source,
                }
                for line in self.lines
            ],
            "usage": [
                {"service": u.service, "regions": regions, "driver": u.driver, "source": u.source}
                for u, regions in self.usage
            ],
        }


def price(key: str) -> Price:
    """The table's price; an instance type it does not list gets an entry with no prices."""
    if key in PRICES:
        return PRICES[key]
    return Price(f"EC2 {key.removeprefix('ec2:')}, on demand", "instance-hour", {}, "")


def cost_of(plan: Plan) -> CostReport:
    """Fixed monthly cost lines (grouped by price and region) and the usage-billed services."""
    quantities: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    usage_regions: dict[str, set[str]] = defaultdict(set)
    for resource in plan.custom_resources():
        region = plan.region_of(resource) or "us-east-1"  # global services bill in us-east-1
        for key, quantity in FIXED.get(resource.type, _no_fixed_cost)(resource):
            if quantity:
                quantities[(key, region)] += quantity
                counts[(key, region)] += 1
        if resource.type.startswith("aws:") and plan.region_of(resource) is not None:
            usage_regions[resource.type.split(":")[1].split("/")[0]].add(region)
    lines = [
        CostLine(key, region, quantities[(key, region)], counts[(key, region)])
        for key, region in sorted(quantities, key=lambda k: (k[1], k[0]))
    ]
    usage = [(u, sorted(set().union(*(usage_regions[m] for m in u.modules)))) for u in USAGE]
    return CostReport(lines, [(u, regions) for u, regions in usage if regions])


def _no_fixed_cost(_: RecordedResource) -> Sequence[tuple[str, float]]:
    return []


def _money(value: float | None, *, unit: bool = False) -> str:
    if value is None:
        return "not priced"
    return f"{value:,.4f}".rstrip("0").rstrip(".") if unit else f"{value:,.2f}"


def render_cost(plan: Plan, fmt: str) -> str:
    """The cost report as ``table`` or ``markdown`` text."""
    report = cost_of(plan)
    tablefmt = "github" if fmt == "markdown" else "simple"
    rows = [
        (
            price(line.price).item,
            line.region,
            f"{line.quantity:g} {price(line.price).unit}",
            _money(line.unit_usd, unit=True),
            _money(line.monthly_usd),
        )
        for line in report.lines
    ]
    title = (
        f"Fixed monthly cost of {plan.project}/{plan.stack} (USD, AWS on-demand list prices as of "
        f"{PRICES_AS_OF}; usage not included)"
    )
    parts = [
        f"## {title}" if fmt == "markdown" else title,
        "",
        tabulate(
            rows,
            headers=["item", "region", "quantity", "unit USD", "USD/month"],
            tablefmt=tablefmt,
            disable_numparse=True,
        ),
        "",
        f"Fixed total: {report.total_usd:,.2f} USD/month",
    ]
    if report.unpriced:
        missing = sorted({f"{price(line.price).item} in {line.region}" for line in report.unpriced})
        parts += [
            "",
            "Not priced (the price table has no entry; not included in the total): "
            + "; ".join(missing),
        ]
    parts += [
        "",
        "Billed by use (no fixed cost; the 30-day free trials of GuardDuty, Security Hub, "
        "Inspector and Detective show an estimate in their consoles):",
        "",
        tabulate(
            [(u.service, ", ".join(regions), u.driver) for u, regions in report.usage],
            headers=["service", "regions", "what drives the bill"],
            tablefmt=tablefmt,
        ),
        "",
        "Prices: " + ", ".join(sorted({p.source for p in PRICES.values()})),
    ]
    return "\n".join(parts) + "\n"


README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- tier-costs:begin (generated from the example stack's plans by `make docs`) -->"
END = "<!-- tier-costs:end -->"
EXAMPLE_TARGETS: tuple[tuple[str, str], ...] = (
    ("beginner", "standalone"),
    ("intermediate", "standalone"),
    ("advanced", "management"),
    ("advanced", "security"),
    ("advanced", "member"),
)


def example_plan(tier: str, role: str) -> Plan:
    """The plan ``secbaseline plan --tier T --role R`` prints for the shipped example stack."""
    from secbaseline.baseline.cli import plan_from_args

    target = argparse.Namespace(config=None, tier=tier, role=role, regions=None, home_region=None)
    return plan_from_args(target)


def tier_cost_table() -> str:
    """The README block: size and fixed monthly cost of each tier and role of the example."""
    rows = []
    for tier, role in EXAMPLE_TARGETS:
        plan = example_plan(tier, role)
        regions = {plan.region_of(r) for r in plan.custom_resources()} - {None}
        rows.append(
            (
                tier if role == "standalone" else f"{tier}, {role}",
                len(plan.custom_resources()),
                len(regions),
                f"{cost_of(plan).total_usd:,.2f}",
            )
        )
    table = tabulate(
        rows,
        headers=["tier (example stack)", "resources", "regions", "fixed USD/month"],
        tablefmt="github",
        disable_numparse=True,
        colalign=("left", "right", "right", "right"),
    )
    return f"{BEGIN}\n{table}\n{END}"


def updated_readme(text: str) -> str:
    """README text with its generated tier-cost block replaced."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"README.md: no generated block; add the lines\n{BEGIN}\n{END}")
    head, rest = text.split(BEGIN, 1)
    return head + tier_cost_table() + rest.split(END, 1)[1]


def main() -> int:
    """``python -m secbaseline.baseline.cost``: regenerate the README's tier-cost block."""
    text = README.read_text(encoding="utf-8")
    new = updated_readme(text)
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("wrote README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
