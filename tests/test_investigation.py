"""Investigation (S-20): Amazon Detective behavior graphs."""

from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components.investigation import Investigation, InvestigationArgs
from tests.tagging import untagged

REGIONS = ("ap-northeast-1", "us-east-1", "eu-west-1")
HOME = "ap-northeast-1"


def test_every_region_by_default_or_home_only(run_program: Callable[..., Plan]) -> None:
    args = InvestigationArgs(regions=REGIONS, home_region=HOME)
    plan = run_program(lambda: Investigation("inv", args))
    graphs = plan.of_type("aws:detective/graph:Graph")
    assert sorted(plan.region_of(g) or "" for g in graphs) == sorted(REGIONS)
    for graph in graphs:
        region = plan.region_of(graph)
        assert graph.outputs["graphArn"].startswith(f"arn:aws:detective:{region}:")
    args = InvestigationArgs.from_config(
        "investigation", {"allRegions": False}, regions=REGIONS, home_region=HOME
    )
    plan = run_program(lambda: Investigation("inv", args))
    graph = plan.one("aws:detective/graph:Graph")
    assert plan.region_of(graph) == HOME


def test_tags_reach_every_graph(run_program: Callable[..., Plan]) -> None:
    tags = {"team": "security"}
    args = InvestigationArgs(regions=REGIONS, home_region=HOME, all_regions=True, tags=tags)
    plan = run_program(lambda: Investigation("inv", args))
    assert len(plan.of_type("aws:detective/graph:Graph")) == 3
    assert untagged(plan, tags) == []


def test_the_component_provider_passes_a_mapping(run_program: Callable[..., Plan]) -> None:
    args: Any = {"regions": ["us-east-1"], "home_region": "us-east-1"}
    plan = run_program(lambda: Investigation("inv", args))
    assert plan.region_of(plan.one("aws:detective/graph:Graph")) == "us-east-1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"regions": ["us-east-1"], "home_region": "eu-west-1"},
            "home_region: 'eu-west-1' is not one of the regions",
        ),
        ({"regions": ["us-east-1"], "home_region": "moon-1"}, "home_region: unknown AWS region"),
        ({"regions": [], "home_region": "us-east-1"}, "regions: must name at least one region"),
        (
            {"regions": ["us-east-1", "us-east-1"], "home_region": "us-east-1"},
            "regions: region 'us-east-1' is listed twice",
        ),
        (
            {"regions": ["us-east-1"], "home_region": "us-east-1", "tags": {"aws:x": "y"}},
            "tags: tag key 'aws:x' must be 1-128 characters",
        ),
        ({}, "regions: required; home_region: required"),
    ],
)
def test_bad_args(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        InvestigationArgs(**kwargs)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("section", "home", "message"),
    [
        ({"allRegions": "maybe"}, HOME, "investigation.allRegions: expected a valid boolean"),
        ({}, "eu-central-1", "investigation.homeRegion: 'eu-central-1' is not one of the regions"),
        ({"tags": {"aws:x": "y"}}, HOME, "investigation.tags: tag key 'aws:x'"),
        ({"allRegion": True}, HOME, "investigation.allRegion: unknown option; did you mean"),
    ],
)
def test_bad_config(section: dict[str, Any], home: str, message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        InvestigationArgs.from_config("investigation", section, regions=REGIONS, home_region=home)
    assert str(err.value).startswith(message)
