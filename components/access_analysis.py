"""IAM Access Analyzer: external-access analysis in every region, unused access at home.

Checklist: S-17 (find resources shared outside the account, and unused permissions).
External-access analyzers are regional (they inspect the region's buckets, keys, queues, ...),
so one runs in every detection region. The unused-access analyzer inspects IAM roles and users,
which are global: one in the home region covers them all, and each extra one would bill the
same roles and users again.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name
from secbaseline.components import _adoption
from secbaseline.components._adoption import Adoption

TYPE_TOKEN = "secbaseline:index:AccessAnalysis"
FILTER_OPERATORS = ("eq", "neq", "contains", "exists")
_RULE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,254}$")


def _filter_values(field: str, values: Any) -> Any:
    if len(values) > 20:
        raise ValueError(f"{field}: at most 20 values")
    return values


def _filter_value(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field}: expected a non-empty string")
    return value


def _criteria(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field}: required (a finding attribute name)")
    return value


def _rule_name(field: str, value: Any) -> Any:
    if not isinstance(value, str) or not _RULE_NAME.match(value):
        raise ValueError(
            f"{field}: {value!r} must start with a letter and use letters, digits, '_', '.', "
            "'-' (up to 255 characters)"
        )
    return value


def _non_empty(field: str, values: Any) -> Any:
    if not values:
        raise ValueError(f"{field}: at least one filter is required")
    return values


@component_args
class ArchiveFilter(ComponentArgs):
    """One archive-rule condition: ``criteria`` compared with exactly one operator."""

    criteria: str = arg(check=_criteria)
    """Finding attribute, e.g. ``principal.AWS``, ``resourceType``, ``isPublic``."""
    eq: Sequence[str] = arg(default_factory=list, check=_filter_values, each=_filter_value)
    """Matches when the attribute equals one of these values (at most 20)."""
    neq: Sequence[str] = arg(default_factory=list, check=_filter_values, each=_filter_value)
    """Matches when the attribute equals none of these values (at most 20)."""
    contains: Sequence[str] = arg(default_factory=list, check=_filter_values, each=_filter_value)
    """Matches when the attribute contains one of these values (at most 20)."""
    exists: bool | None = None
    """Matches when the attribute is (True) or is not (False) present."""

    def __post_init__(self) -> None:
        used = [
            op
            for op, value in (
                ("eq", self.eq),
                ("neq", self.neq),
                ("contains", self.contains),
                ("exists", self.exists),
            )
            if value not in ((), [], None)
        ]
        if len(used) != 1:
            raise ValueError(
                f"use exactly one of {', '.join(FILTER_OPERATORS)} "
                f"(got {', '.join(used) or 'none'})"
            )

    def to_args(self) -> aws.accessanalyzer.ArchiveRuleFilterArgsDict:
        """The pulumi-aws filter."""
        out: aws.accessanalyzer.ArchiveRuleFilterArgsDict = {"criteria": self.criteria}
        if self.eq:
            out["eqs"] = list(self.eq)
        if self.neq:
            out["neqs"] = list(self.neq)
        if self.contains:
            out["contains"] = list(self.contains)
        if self.exists is not None:
            out["exists"] = "true" if self.exists else "false"
        return out


@component_args
class ArchiveRule(ComponentArgs):
    """Findings that match every filter are archived automatically (expected access)."""

    name: str = arg(check=_rule_name)
    """Rule name: a letter, then letters, digits, ``_ . -`` (up to 255)."""
    filters: Sequence[ArchiveFilter] = arg(check=_non_empty)
    """All must match; at least one."""


@component_args
class AccessAnalysisArgs(ComponentArgs):
    """Inputs of :class:`AccessAnalysis`."""

    regions: Sequence[str] = arg(check=validate.regions)
    """Detection regions: one external-access analyzer in each (set by the tier)."""
    home_region: str = arg(check=validate.region)
    """Region of the unused-access analyzer; one of ``regions`` (set by the tier)."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the analyzers' names (set by the tier from ``namePrefix``)."""
    unused_access: bool = False
    """Add an unused-access analyzer (billed per IAM role and user analysed each month)."""
    unused_access_age_days: int = arg(default=90, ge=1, le=365)
    """Days without use after which access is reported as unused, 1-365."""
    archive_rules: Sequence[ArchiveRule] = arg(default_factory=list)
    """Archive rules added to every external-access analyzer (names must be unique)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the analyzers."""
    adopt_analyzers: Mapping[str, Adoption] = arg(default_factory=dict, check=_adoption.by_region)
    """Region -> an existing external-access (ACCOUNT) analyzer: create (default), import (id:
    its name, which it keeps) or skip (no analyzer nor archive rules there). See
    docs/adoption.md."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region!r} is not one of the regions")
        _adoption.within("adopt_analyzers", self.adopt_analyzers, self.regions)
        _adoption.needs_id("adopt_analyzers", self.adopt_analyzers, "analyzer name")
        names: set[str] = set()
        for rule in self.archive_rules:
            if rule.name in names:
                raise ValueError(f"archive_rules: rule name {rule.name!r} is used twice")
            names.add(rule.name)


class AccessAnalysis(pulumi.ComponentResource):
    """External-access analyzers in every region; optional unused-access analyzer at home."""

    analyzers: dict[str, aws.accessanalyzer.Analyzer]
    """External-access analyzer per region."""
    unused_access_analyzer: aws.accessanalyzer.Analyzer | None
    """The unused-access analyzer (home region), if enabled."""

    def __init__(
        self,
        name: str,
        args: AccessAnalysisArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = AccessAnalysisArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None

        self.analyzers = {}
        for region in sorted(args.regions):
            adoption = _adoption.entry(args.adopt_analyzers, region)
            if adoption.skipped:
                continue
            analyzer = aws.accessanalyzer.Analyzer(
                f"{name}-external-{region}",
                # The name cannot change in place: an adopted analyzer keeps its own.
                analyzer_name=adoption.name(physical_name(args.name_prefix, "external-access")),
                type="ACCOUNT",
                region=region,
                tags=tags,
                opts=_adoption.options(adoption, child, ignore=["tags"], region=region),
            )
            self.analyzers[region] = analyzer
            for rule in args.archive_rules:
                aws.accessanalyzer.ArchiveRule(
                    f"{name}-archive-{rule.name}-{region}",
                    analyzer_name=analyzer.analyzer_name,
                    rule_name=rule.name,
                    filters=[f.to_args() for f in rule.filters],
                    region=region,
                    opts=child,
                )

        self.unused_access_analyzer = None
        if args.unused_access:
            self.unused_access_analyzer = aws.accessanalyzer.Analyzer(
                f"{name}-unused-access",
                analyzer_name=physical_name(args.name_prefix, "unused-access"),
                type="ACCOUNT_UNUSED_ACCESS",
                configuration={"unused_access": {"unused_access_age": args.unused_access_age_days}},
                region=args.home_region,
                tags=tags,
                opts=child,
            )

        self.register_outputs(
            {
                "regions": sorted(self.analyzers),
                "unusedAccess": args.unused_access,
            }
        )
