"""What isolation records on the instance (tags) so it can be resumed and reversed.

Tags are the recovery record: they live with the instance, need no extra permission to
read, and survive a failed run. The evidence bucket keeps the full metadata as JSON.
A tag value holds at most 256 characters, so long values are split over numbered keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PREFIX = "secbaseline:isolation"
STATUS = f"{PREFIX}-status"
FINDING = f"{PREFIX}-finding"
FINDING_TYPE = f"{PREFIX}-finding-type"
TIME = f"{PREFIX}-time"
ERROR = f"{PREFIX}-error"
PENDING = f"{PREFIX}-pending"
"""Finding id of an isolation that waits for a person's approval."""
PENDING_TYPE = f"{PREFIX}-pending-type"
PENDING_SEVERITY = f"{PREFIX}-pending-severity"
PENDING_TIME = f"{PREFIX}-pending-time"
RESTORED_TIME = f"{PREFIX}-restored-time"
ORIGINAL_PROFILE = f"{PREFIX}-original-profile"
ORIGINAL_PROTECTION = f"{PREFIX}-original-protection"
ORIGINAL_TARGETS = f"{PREFIX}-original-target-groups"
AUTO_SCALING = f"{PREFIX}-auto-scaling"
ORIGINAL_GROUPS = f"{PREFIX}-original-groups"
"""On each network interface: its security groups before isolation."""
PURPOSE = "secbaseline:purpose"
"""On the security groups this function creates: isolation or isolation-transit."""
SNAPSHOT_VOLUME = f"{PREFIX}-volume"

ISOLATING = "isolating"
ISOLATED = "isolated"
RESTORED = "restored"
NO_PROFILE = "none"
TAG_VALUE_MAX = 256


def split_value(key: str, value: str) -> dict[str, str]:
    """``{key: part1, key#2: part2, ...}`` so that every value fits in a tag."""
    parts = [value[i : i + TAG_VALUE_MAX] for i in range(0, len(value), TAG_VALUE_MAX)] or [""]
    return {key if i == 0 else f"{key}#{i + 1}": part for i, part in enumerate(parts)}


def join_value(tags: Mapping[str, str], key: str) -> str | None:
    """Inverse of :func:`split_value`; None when the key is absent."""
    if key not in tags:
        return None
    value, index = tags[key], 2
    while f"{key}#{index}" in tags:
        value += tags[f"{key}#{index}"]
        index += 1
    return value


def keys_of(tags: Mapping[str, str], key: str) -> list[str]:
    """The tag keys a split value occupies."""
    found = [key] if key in tags else []
    index = 2
    while f"{key}#{index}" in tags:
        found.append(f"{key}#{index}")
        index += 1
    return found


def tag_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """EC2 ``[{"Key", "Value"}]`` to a dict."""
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags or ()}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """A dict to EC2's ``[{"Key", "Value"}]``."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


@dataclass
class AutoScaling:
    """The instance's Auto Scaling group and what isolation did to keep it."""

    group: str
    action: str = "pending"
    """pending (nothing yet), standby, already-standby, detached or suspended."""
    suspended: tuple[str, ...] = ()
    """Processes this function suspended (only those that were not suspended before)."""

    def encode(self) -> str:
        return "|".join([self.group, self.action, "+".join(self.suspended)])

    @classmethod
    def decode(cls, value: str) -> AutoScaling:
        group, action, suspended = ([*value.split("|"), "", ""])[:3]
        return cls(
            group=group,
            action=action or "pending",
            suspended=tuple(filter(None, suspended.split("+"))),
        )


@dataclass
class OriginalState:
    """Everything isolation changes, as it was before."""

    groups_by_interface: dict[str, list[str]] = field(default_factory=dict)
    profile_arn: str | None = None
    disable_api_termination: bool = False
    disable_api_stop: bool = False
    target_groups: list[tuple[str, int | None]] = field(default_factory=list)
    auto_scaling: AutoScaling | None = None

    def instance_tags(self) -> dict[str, str]:
        """The instance tags that hold this state."""
        tags = {
            ORIGINAL_PROFILE: self.profile_arn or NO_PROFILE,
            ORIGINAL_PROTECTION: (
                f"termination={str(self.disable_api_termination).lower()},"
                f"stop={str(self.disable_api_stop).lower()}"
            ),
        }
        targets = ";".join(
            f"{arn}|{'' if port is None else port}" for arn, port in self.target_groups
        )
        if targets:
            tags.update(split_value(ORIGINAL_TARGETS, targets))
        if self.auto_scaling is not None:
            tags[AUTO_SCALING] = self.auto_scaling.encode()
        return tags

    def interface_tags(self, interface_id: str) -> dict[str, str]:
        """The tags of one network interface that hold its original groups."""
        return split_value(ORIGINAL_GROUPS, ",".join(self.groups_by_interface[interface_id]))

    @classmethod
    def from_tags(
        cls, instance_tags: Mapping[str, str], interface_tags: Mapping[str, Mapping[str, str]]
    ) -> OriginalState:
        """Rebuild the state from the instance's and its interfaces' tags."""
        protection = dict(
            part.split("=", 1)
            for part in instance_tags.get(ORIGINAL_PROTECTION, "").split(",")
            if "=" in part
        )
        profile = instance_tags.get(ORIGINAL_PROFILE, NO_PROFILE)
        targets: list[tuple[str, int | None]] = []
        for item in filter(None, (join_value(instance_tags, ORIGINAL_TARGETS) or "").split(";")):
            arn, _, port = item.partition("|")
            targets.append((arn, int(port) if port else None))
        groups = {
            eni: (join_value(tags, ORIGINAL_GROUPS) or "").split(",")
            for eni, tags in interface_tags.items()
            if ORIGINAL_GROUPS in tags
        }
        scaling = instance_tags.get(AUTO_SCALING)
        return cls(
            groups_by_interface={k: [g for g in v if g] for k, v in groups.items()},
            profile_arn=None if profile == NO_PROFILE else profile,
            disable_api_termination=protection.get("termination") == "true",
            disable_api_stop=protection.get("stop") == "true",
            target_groups=targets,
            auto_scaling=AutoScaling.decode(scaling) if scaling else None,
        )

    def to_json(self) -> dict[str, Any]:
        """JSON view for the evidence file."""
        return {
            "securityGroupsByNetworkInterface": self.groups_by_interface,
            "instanceProfileArn": self.profile_arn,
            "disableApiTermination": self.disable_api_termination,
            "disableApiStop": self.disable_api_stop,
            "targetGroups": [{"arn": a, "port": p} for a, p in self.target_groups],
            "autoScaling": None
            if self.auto_scaling is None
            else {
                "group": self.auto_scaling.group,
                "action": self.auto_scaling.action,
                "suspendedProcesses": list(self.auto_scaling.suspended),
            },
        }
