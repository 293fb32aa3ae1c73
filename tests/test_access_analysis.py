"""AccessAnalysis (S-17)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components.access_analysis import (
    AccessAnalysis,
    AccessAnalysisArgs,
    ArchiveFilter,
    ArchiveRule,
)

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


def test_from_config() -> None:
    args = AccessAnalysisArgs.from_config(
        {
            "unusedAccess": True,
            "archiveRules": [
                {"name": "org", "filters": [{"criteria": "principal.AWS", "neq": "123456789012"}]}
            ],
        }
    )
    assert args.unused_access is True and args.unused_access_age_days == 90
    assert args.archive_rules[0].filters[0].neq == ("123456789012",)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"unusedAccessAgeDays": 400}, "accessAnalysis.unusedAccessAgeDays: 400 is out of range"),
        ({"unusedAccess": "true"}, "accessAnalysis.unusedAccess: expected true or false"),
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
            {
                "archiveRules": [
                    {"name": "r", "filters": [{"criteria": "a", "eq": ["b"]}]},
                    {"name": "r", "filters": [{"criteria": "a", "eq": ["c"]}]},
                ]
            },
            "accessAnalysis.archiveRules[1].name: 'r' is used twice",
        ),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        args = AccessAnalysisArgs.from_config(section)
        args.regions, args.home_region = ["us-east-1"], "us-east-1"
        args.validate()
    assert str(err.value).startswith(message)
