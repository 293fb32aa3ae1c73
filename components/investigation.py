"""Amazon Detective behavior graph for investigating findings.

Checklist: S-20 (investigate what detection raises). Detective builds a behavior graph from
CloudTrail, VPC Flow Logs, GuardDuty findings and (optionally) EKS audit logs, so a responder
can see what a principal or instance did around a finding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate

TYPE_TOKEN = "secbaseline:index:Investigation"


@dataclass
class InvestigationArgs:
    """Inputs of :class:`Investigation`."""

    regions: Sequence[str] = ()
    """Detection regions. Required (set by the tier)."""
    home_region: str = ""
    """Region of the graph when ``all_regions`` is False. Required (set by the tier)."""
    all_regions: bool = False
    """One graph in every detection region (Detective is regional; it bills per GB ingested)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the graphs."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        regions = validate.regions("investigation.regions", list(self.regions))
        validate.region("investigation.homeRegion", self.home_region)
        if self.home_region not in regions:
            raise ValueError(
                f"investigation.regions: must include the home region {self.home_region!r}"
            )
        validate.boolean("investigation.allRegions", self.all_regions)
        validate.tags("investigation.tags", dict(self.tags))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> InvestigationArgs:
        """Build from the ``investigation`` config section (regions set by the tier)."""
        raw = validate.known_keys("investigation", section, {"allRegions"})
        return cls(
            all_regions=validate.boolean("investigation.allRegions", raw.get("allRegions", False))
        )


class Investigation(pulumi.ComponentResource):
    """Detective behavior graph(s): home region by default, optionally every region."""

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
        args.validate()
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
