"""Amazon Detective behavior graph for investigating findings.

Checklist: S-20 (investigate what detection raises). Detective builds a behavior graph from
CloudTrail, VPC Flow Logs, GuardDuty findings and (optionally) EKS audit logs, so a responder
can see what a principal or instance did around a finding. Detective is regional, like the
GuardDuty findings it ingests, so by default there is one graph in every detection region
(each billed per GB ingested; a quiet region costs little). ``all_regions=False`` keeps one
graph in the home region, leaving the other regions' findings without a graph.
"""

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args

TYPE_TOKEN = "secbaseline:index:Investigation"


@component_args
class InvestigationArgs(ComponentArgs):
    """Inputs of :class:`Investigation`."""

    regions: Sequence[str] = arg(check=validate.regions)
    """Detection regions (set by the tier from ``detectionRegions``)."""
    home_region: str = arg(check=validate.region)
    """Region of the graph when ``all_regions`` is False; one of ``regions`` (set by the tier)."""
    all_regions: bool = True
    """One graph in every detection region, as GuardDuty runs there (Detective is regional and
    bills per GB ingested); opt-out: False keeps only the home region's graph."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the graphs."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region!r} is not one of the regions")


class Investigation(pulumi.ComponentResource):
    """Detective behavior graphs: every detection region by default, optionally home only."""

    graphs: dict[str, aws.detective.Graph]
    """Graph per region."""
    graph_arns: dict[str, pulumi.Output[str]]
    """Graph ARN per region."""

    def __init__(
        self,
        name: str,
        args: InvestigationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = InvestigationArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        regions = sorted(args.regions) if args.all_regions else [args.home_region]
        self.graphs = {
            region: aws.detective.Graph(
                f"{name}-graph-{region}", region=region, tags=dict(args.tags) or None, opts=child
            )
            for region in regions
        }
        self.graph_arns = {region: graph.graph_arn for region, graph in self.graphs.items()}
        self.register_outputs({"graphArns": self.graph_arns})
