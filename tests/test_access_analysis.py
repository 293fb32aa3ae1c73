"""AccessAnalysis (S-17)."""

from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components.access_analysis import (
    AccessAnalysis,
    AccessAnalysisArgs,
    ArchiveFilter,
    ArchiveRule,
)
from tests.tagging import untagged

REGIONS = ("ap-northeast-1", "us-east-1", "eu-west-1")
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"


def test_external_access_everywhere_no_unused_by_default(run_program: Callable[..., Plan]) -> None:
    args = AccessAnalysisArgs(regions=REGIONS, home_region="ap-northeast-1")
    plan = run_program(lambda: AccessAnalysis("aa", args))
    analyzers = plan.of_type(ANALYZER)
    assert sorted(plan.region_of(a) or "" for a in analyzers) == sorted(REGIONS)
    assert {a.inputs["type"] for a in analyzers} == {"ACCOUNT"}
    assert {a.inputs["analyzerName"] for a in analyzers} == {"secbaseline-external-access"}
    assert plan.of_type("aws:accessanalyzer/archiveRule:ArchiveRule") == []


def test_unused_access_home_only_and_archive_rules(run_program: Callable[..., Plan]) -> None:
    rule = ArchiveRule(
        "trusted-partner",
        [
            ArchiveFilter("principal.AWS", eq=["999999999999"]),
            ArchiveFilter("isPublic", eq=["false"]),
            ArchiveFilter("condition.aws:SourceVpc", exists=True),
        ],
    )
    args = AccessAnalysisArgs(
        regions=REGIONS,
        home_region="ap-northeast-1",
        unused_access=True,
        unused_access_age_days=45,
        archive_rules=[rule],
    )
    plan = run_program(lambda: AccessAnalysis("aa", args))
    unused = [a for a in plan.of_type(ANALYZER) if a.inputs["type"] == "ACCOUNT_UNUSED_ACCESS"]
    assert len(unused) == 1 and plan.region_of(unused[0]) == "ap-northeast-1"
    assert unused[0].inputs["configuration"] == {"unusedAccess": {"unusedAccessAge": 45}}
    rules = plan.of_type("aws:accessanalyzer/archiveRule:ArchiveRule")
    assert sorted(plan.region_of(r) or "" for r in rules) == sorted(REGIONS)
    assert rules[0].inputs["ruleName"] == "trusted-partner"
    assert rules[0].inputs["analyzerName"] == "secbaseline-external-access"
    assert rules[0].inputs["filters"] == [
        {"criteria": "principal.AWS", "eqs": ["999999999999"]},
        {"criteria": "isPublic", "eqs": ["false"]},
        {"criteria": "condition.aws:SourceVpc", "exists": "true"},
    ]


def test_tags_reach_every_analyzer(run_program: Callable[..., Plan]) -> None:
    tags = {"team": "security"}
    args = AccessAnalysisArgs(
        regions=REGIONS, home_region="ap-northeast-1", unused_access=True, tags=tags
    )
    plan = run_program(lambda: AccessAnalysis("aa", args))
    assert len(plan.of_type(ANALYZER)) == 4
    assert untagged(plan, tags) == []


def test_name_prefix_and_the_component_providers_mapping(
    run_program: Callable[..., Plan],
) -> None:
    args: Any = {"regions": ["us-east-1"], "home_region": "us-east-1", "name_prefix": "acme"}
    plan = run_program(lambda: AccessAnalysis("aa", args))
    assert plan.one(ANALYZER).inputs["analyzerName"] == "acme-external-access"


def test_from_config() -> None:
    args = AccessAnalysisArgs.from_config(
        "accessAnalysis",
        {
            "unusedAccess": True,
            "archiveRules": [
                {"name": "org", "filters": [{"criteria": "principal.AWS", "neq": ["123456789012"]}]}
            ],
        },
        regions=["us-east-1"],
        home_region="us-east-1",
    )
    assert args.unused_access is True and args.unused_access_age_days == 90
    assert args.archive_rules[0].filters[0].neq == ["123456789012"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unused_access_age_days": 0}, "unused_access_age_days: 0 is out of range 1-365"),
        ({"name_prefix": "X"}, "name_prefix: 'X' must be 2-24 characters"),
        ({"home_region": "eu-west-1"}, "home_region: 'eu-west-1' is not one of the regions"),
        ({"regions": ["moon-1"]}, "regions: unknown AWS region 'moon-1'"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x'"),
        (
            {
                "archive_rules": [
                    ArchiveRule("r", [ArchiveFilter("a", eq=["b"])]),
                    ArchiveRule("r", [ArchiveFilter("a", eq=["c"])]),
                ]
            },
            "archive_rules: rule name 'r' is used twice",
        ),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        AccessAnalysisArgs(**{"regions": ["us-east-1"], "home_region": "us-east-1", **kwargs})
    assert str(err.value).startswith(message)


def test_bad_rule_and_filter_args() -> None:
    with pytest.raises(ArgumentError, match=r"^name: '1bad' must start with a letter"):
        ArchiveRule(name="1bad", filters=[ArchiveFilter(criteria="a", eq=["b"])])
    with pytest.raises(ArgumentError, match=r"^filters: at least one filter is required"):
        ArchiveRule(name="r", filters=[])
    with pytest.raises(ArgumentError, match=r"^use exactly one of eq, neq, contains, exists"):
        ArchiveFilter("a", eq=["b"], exists=True)
    with pytest.raises(ArgumentError, match=r"^eq: at most 20 values"):
        ArchiveFilter("a", eq=[str(i) for i in range(21)])
    with pytest.raises(ArgumentError, match=r"^criteria: required"):
        ArchiveFilter(criteria="", eq=["b"])


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"unusedAccessAgeDays": 400}, "accessAnalysis.unusedAccessAgeDays: 400 is out of range"),
        ({"unusedAccess": "maybe"}, "accessAnalysis.unusedAccess: expected a valid boolean"),
        (
            {"archiveRules": [{"name": "1bad", "filters": [{"criteria": "a", "eq": ["b"]}]}]},
            "accessAnalysis.archiveRules[0].name: '1bad' must start with a letter",
        ),
        (
            {"archiveRules": [{"name": "r", "filters": []}]},
            "accessAnalysis.archiveRules[0].filters: at least one filter",
        ),
        (
            {"archiveRules": [{"name": "r", "filters": [{"criteria": "a"}]}]},
            "accessAnalysis.archiveRules[0].filters[0]: use exactly one of eq, neq, contains, exists",
        ),
        (
            {
                "archiveRules": [
                    {"name": "r", "filters": [{"criteria": "a", "eq": ["b"], "neq": ["c"]}]}
                ]
            },
            "accessAnalysis.archiveRules[0].filters[0]: use exactly one of",
        ),
        (
            {"archiveRules": [{"name": "r", "filters": [{"criteria": "a", "like": ["b"]}]}]},
            "accessAnalysis.archiveRules[0].filters[0].like: unknown option",
        ),
        (
            {"archiveRules": [{"name": "r", "filters": [{"criteria": "a", "eq": [""]}]}]},
            "accessAnalysis.archiveRules[0].filters[0].eq[0]: expected a non-empty string",
        ),
        (
            {
                "archiveRules": [
                    {"name": "r", "filters": [{"criteria": "a", "eq": ["b"]}]},
                    {"name": "r", "filters": [{"criteria": "a", "eq": ["c"]}]},
                ]
            },
            "accessAnalysis.archiveRules: rule name 'r' is used twice",
        ),
        ({"namePrefix": "X"}, "accessAnalysis.namePrefix: 'X' must be 2-24"),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        AccessAnalysisArgs.from_config(
            "accessAnalysis", section, regions=["us-east-1"], home_region="us-east-1"
        )
    assert str(err.value).startswith(message)
