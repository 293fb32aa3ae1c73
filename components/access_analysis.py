"""IAM Access Analyzer: external-access analysis in every region, unused access at home.

Checklist: S-17 (find resources shared outside the account, and unused permissions).
External-access analyzers are regional (they inspect the region's buckets, keys, queues, ...),
so one runs in every detection region. The unused-access analyzer inspects IAM roles and users,
which are global: one in the home region covers them all, and each extra one would bill the
same roles and users again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.naming import physical_name

TYPE_TOKEN = "secbaseline:index:AccessAnalysis"
FILTER_OPERATORS = ("eq", "neq", "contains", "exists")
_RULE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,254}$")


@dataclass
class ArchiveFilter:
    """One archive-rule condition: ``criteria`` compared with exactly one operator."""

    criteria: str
    """Finding attribute, e.g. ``principal.AWS``, ``resourceType``, ``isPublic``."""
    eq: Sequence[str] = ()
    """Matches when the attribute equals one of these values."""
    neq: Sequence[str] = ()
    """Matches when the attribute equals none of these values."""
    contains: Sequence[str] = ()
    """Matches when the attribute contains one of these values."""
    exists: bool | None = None
    """Matches when the attribute is (True) or is not (False) present."""

    def validate(self, field_name: str) -> None:
        """Raise ValueError naming the field."""
        if not isinstance(self.criteria, str) or not self.criteria:
            raise ValueError(f"{field_name}.criteria: required (a finding attribute name)")
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
                f"{field_name}: use exactly one of {', '.join(FILTER_OPERATORS)} "
                f"(got {', '.join(used) or 'none'})"
            )
        for op, values in (("eq", self.eq), ("neq", self.neq), ("contains", self.contains)):
            if isinstance(values, str) or not all(isinstance(v, str) and v for v in values):
                raise ValueError(f"{field_name}.{op}: expected a list of non-empty strings")
            if len(values) > 20:
                raise ValueError(f"{field_name}.{op}: at most 20 values")
        if self.exists is not None:
            validate.boolean(f"{field_name}.exists", self.exists)

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


@dataclass
class ArchiveRule:
    """Findings that match every filter are archived automatically (expected access)."""

    name: str
    """Rule name: a letter, then letters, digits, ``_ . -`` (up to 255)."""
    filters: Sequence[ArchiveFilter]
    """All must match."""

    def validate(self, field_name: str) -> None:
        """Raise ValueError naming the field."""
        if not isinstance(self.name, str) or not _RULE_NAME.match(self.name):
            raise ValueError(
                f"{field_name}.name: {self.name!r} must start with a letter and use letters, "
                "digits, '_', '.', '-' (up to 255 characters)"
            )
        if not self.filters:
            raise ValueError(f"{field_name}.filters: at least one filter is required")
        for index, item in enumerate(self.filters):
            item.validate(f"{field_name}.filters[{index}]")


@dataclass
class AccessAnalysisArgs:
    """Inputs of :class:`AccessAnalysis`."""

    regions: Sequence[str] = ()
    """Detection regions: one external-access analyzer in each. Required (set by the tier)."""
    home_region: str = ""
    """Region of the unused-access analyzer. Required (set by the tier)."""
    name_prefix: str = "secbaseline"
    """Prefix of the analyzers' names."""
    unused_access: bool = False
    """Add an unused-access analyzer (billed per IAM role and user analysed each month)."""
    unused_access_age_days: int = 90
    """Days without use after which access is reported as unused, 1-365."""
    archive_rules: Sequence[ArchiveRule] = ()
    """Archive rules added to every external-access analyzer."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the analyzers."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        regions = validate.regions("accessAnalysis.regions", list(self.regions))
        validate.region("accessAnalysis.homeRegion", self.home_region)
        if self.home_region not in regions:
            raise ValueError(
                f"accessAnalysis.regions: must include the home region {self.home_region!r}"
            )
        validate.name_prefix("accessAnalysis.namePrefix", self.name_prefix)
        validate.boolean("accessAnalysis.unusedAccess", self.unused_access)
        validate.int_range(
            "accessAnalysis.unusedAccessAgeDays", self.unused_access_age_days, 1, 365
        )
        names: set[str] = set()
        for index, rule in enumerate(self.archive_rules):
            rule.validate(f"accessAnalysis.archiveRules[{index}]")
            if rule.name in names:
                raise ValueError(
                    f"accessAnalysis.archiveRules[{index}].name: {rule.name!r} is used twice"
                )
            names.add(rule.name)
        validate.tags("accessAnalysis.tags", dict(self.tags))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> AccessAnalysisArgs:
        """Build from the ``accessAnalysis`` config section (regions set by the tier)."""
        raw = validate.known_keys(
            "accessAnalysis", section, {"unusedAccess", "unusedAccessAgeDays", "archiveRules"}
        )
        rules_raw = raw.get("archiveRules", [])
        if not isinstance(rules_raw, list | tuple):
            raise ValueError("accessAnalysis.archiveRules: expected a list of rules")
        rules = []
        for index, item in enumerate(rules_raw):
            where = f"accessAnalysis.archiveRules[{index}]"
            entry = validate.known_keys(where, item, {"name", "filters"})
            filters_raw = entry.get("filters", [])
            if not isinstance(filters_raw, list | tuple):
                raise ValueError(f"{where}.filters: expected a list of filters")
            filters = []
            for f_index, f_item in enumerate(filters_raw):
                f_entry = validate.known_keys(
                    f"{where}.filters[{f_index}]", f_item, {"criteria", *FILTER_OPERATORS}
                )
                exists = f_entry.get("exists")
                filters.append(
                    ArchiveFilter(
                        criteria=str(f_entry.get("criteria", "")),
                        eq=_strings(f_entry.get("eq", ())),
                        neq=_strings(f_entry.get("neq", ())),
                        contains=_strings(f_entry.get("contains", ())),
                        exists=None
                        if exists is None
                        else validate.boolean(f"{where}.filters[{f_index}].exists", exists),
                    )
                )
            rules.append(ArchiveRule(name=str(entry.get("name", "")), filters=filters))
        return cls(
            unused_access=validate.boolean(
                "accessAnalysis.unusedAccess", raw.get("unusedAccess", False)
            ),
            unused_access_age_days=validate.int_range(
                "accessAnalysis.unusedAccessAgeDays", raw.get("unusedAccessAgeDays", 90), 1, 365
            ),
            archive_rules=rules,
        )


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(value)
    return ()


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
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None

        self.analyzers = {}
        for region in sorted(args.regions):
            analyzer = aws.accessanalyzer.Analyzer(
                f"{name}-external-{region}",
                analyzer_name=physical_name(args.name_prefix, "external-access"),
                type="ACCOUNT",
                region=region,
                tags=tags,
                opts=child,
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
