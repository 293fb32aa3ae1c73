"""``secbaseline diff BASE.json HEAD.json``: what changes between two plans, and what gets weaker.

Both files are plan documents (``secbaseline plan --format json``, docs/plan-format.md). The
diff lists resources added, removed and changed (inputs compared key by key), grouped by
component and region, then names every **weakening**:

* ``detection``: a detector, recorder, hub, analyzer, trail or notification route (EventBridge
  rule or target to the SNS topic or the home event bus, the topic, its subscriptions) removed
  or switched off, with its region;
* ``policy-verdict``: a policy-pack verdict that passes on BASE and fails on HEAD (the same rules
  ``secbaseline check`` runs, each plan held to its own tier);
* ``policy-statement``: a Deny statement removed or narrowed, an Allow statement added or
  widened, an SCP detached or a permissions boundary removed, in SCPs, IAM policies (boundaries
  among them), trust policies, and bucket, key, topic and queue policies;
* ``encryption``, ``versioning``, ``object-lock``, ``logging``: the setting turned off, or its
  settings resource removed while the resource it protects stays.

The statement comparison is conservative: wildcards are compared as patterns (``s3:*`` covers
``s3:Get*``, not the other way round), a changed condition counts as possibly wider, and a
statement that cannot be paired with one in the other plan counts as removed (Deny) or added
(Allow). Output is deterministic: every list is sorted.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tabulate import tabulate

from secbaseline.baseline import fakes
from secbaseline.baseline.catalog import (
    S3_SSE,
    S3_SSE_V2,
    S3_VERSIONING,
    S3_VERSIONING_V2,
)
from secbaseline.baseline.check import check_plan, stack_options
from secbaseline.baseline.engine import STACK_TYPE, Plan, RecordedResource
from secbaseline.baseline.plan import OFFLINE_ACCOUNT_ID
from secbaseline.policies import rules

FORMATS = ("markdown", "json", "table")
FAIL_ON = ("weakening",)
KINDS = (
    "detection",
    "policy-verdict",
    "policy-statement",
    "encryption",
    "versioning",
    "object-lock",
    "logging",
)
"""Weakening kinds, in the order the report lists them."""
GLOBAL = "global"
"""The region column of resources that live outside any region (IAM, Organizations)."""
DETAILS_OVER = 40
"""Markdown folds a weakening table longer than this into a collapsible ``<details>`` block
(resource lists are always folded)."""
MARKDOWN_ROWS = 100
"""Rows per resource list in markdown: a GitHub comment holds at most 65,536 characters."""

# --- what counts as detection -----------------------------------------------------------------

DETECTION_TYPES: dict[str, str] = {
    "aws:guardduty/detector:Detector": "GuardDuty detector",
    "aws:guardduty/detectorFeature:DetectorFeature": "GuardDuty protection plan",
    "aws:guardduty/publishingDestination:PublishingDestination": "GuardDuty findings export",
    "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount": (
        "GuardDuty delegated administrator"
    ),
    "aws:guardduty/organizationConfiguration:OrganizationConfiguration": (
        "GuardDuty organization auto-enable"
    ),
    "aws:guardduty/organizationConfigurationFeature:OrganizationConfigurationFeature": (
        "GuardDuty organization protection plan"
    ),
    "aws:securityhub/account:Account": "Security Hub",
    "aws:securityhub/standardsSubscription:StandardsSubscription": "Security Hub standard",
    "aws:securityhub/standardsControlAssociation:StandardsControlAssociation": (
        "Security Hub control"
    ),
    "aws:securityhub/findingAggregator:FindingAggregator": "Security Hub finding aggregator",
    "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount": (
        "Security Hub delegated administrator"
    ),
    "aws:securityhub/organizationConfiguration:OrganizationConfiguration": (
        "Security Hub organization configuration"
    ),
    "aws:securityhub/configurationPolicy:ConfigurationPolicy": "Security Hub configuration policy",
    "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation": (
        "Security Hub configuration policy association"
    ),
    "aws:cfg/recorder:Recorder": "Config recorder",
    "aws:cfg/recorderStatus:RecorderStatus": "Config recorder status",
    "aws:cfg/deliveryChannel:DeliveryChannel": "Config delivery channel",
    "aws:cfg/rule:Rule": "Config rule",
    "aws:cfg/organizationManagedRule:OrganizationManagedRule": "Config organization rule",
    "aws:cfg/configurationAggregator:ConfigurationAggregator": "Config aggregator",
    "aws:cfg/conformancePack:ConformancePack": "Config conformance pack",
    "aws:accessanalyzer/analyzer:Analyzer": "IAM Access Analyzer analyzer",
    "aws:cloudtrail/trail:Trail": "CloudTrail trail",
    "aws:inspector2/enabler:Enabler": "Inspector",
    "aws:inspector2/delegatedAdminAccount:DelegatedAdminAccount": (
        "Inspector delegated administrator"
    ),
    "aws:inspector2/organizationConfiguration:OrganizationConfiguration": (
        "Inspector organization auto-enable"
    ),
    "aws:detective/graph:Graph": "Detective graph",
    "aws:detective/organizationConfiguration:OrganizationConfiguration": (
        "Detective organization auto-enable"
    ),
    "aws:macie2/account:Account": "Macie",
}
# Removing a control association hands the control back to its standard's default (enabled):
# only switching one off is a weakening.
_ONLY_SWITCHED_OFF = frozenset(
    {"aws:securityhub/standardsControlAssociation:StandardsControlAssociation"}
)
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
ROUTE_LABELS = {
    EVENT_RULE: "notification route (EventBridge rule)",
    EVENT_TARGET: "notification route (EventBridge target)",
    SNS_TOPIC: "notification topic",
    SNS_SUBSCRIPTION: "notification subscription",
}
_NO_LONGER_ROUTED = {
    EVENT_RULE: "none of its targets reaches a notification topic any more",
    SNS_TOPIC: "no EventBridge route delivers findings to it any more",
    SNS_SUBSCRIPTION: "its topic no longer receives findings",
}
_ON_FLAGS = frozenset({"enable", "enabled", "isEnabled", "enableLogging", "autoEnable"})
_STATUS_KEYS = frozenset({"status", "state", "associationStatus"})
_OFF_STATES = frozenset({"DISABLED", "SUSPENDED", "NONE", "OFF"})
"""A ``status``/``state`` that switches a detector off (absent keeps the provider's default)."""
_COVERAGE_LISTS = frozenset({"resourceTypes", "specifiedRegions", "features"})

# --- settings that protect data ---------------------------------------------------------------

BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_LOGGING_V2 = "aws:s3/bucketLoggingV2:BucketLoggingV2"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
OBJECT_LOCK_V2 = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
SETTING_TYPES: dict[str, tuple[str, str]] = {
    S3_SSE: ("encryption", "bucket default encryption"),
    S3_SSE_V2: ("encryption", "bucket default encryption"),
    "aws:ebs/encryptionByDefault:EncryptionByDefault": ("encryption", "EBS encryption by default"),
    "aws:ebs/defaultKmsKey:DefaultKmsKey": ("encryption", "EBS default KMS key"),
    S3_VERSIONING: ("versioning", "bucket versioning"),
    S3_VERSIONING_V2: ("versioning", "bucket versioning"),
    OBJECT_LOCK: ("object-lock", "bucket Object Lock"),
    OBJECT_LOCK_V2: ("object-lock", "bucket Object Lock"),
    BUCKET_LOGGING: ("logging", "bucket access logging"),
    BUCKET_LOGGING_V2: ("logging", "bucket access logging"),
    "aws:ec2/flowLog:FlowLog": ("logging", "VPC flow log"),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        "logging",
        "WAF logging",
    ),
}
"""Resources that only switch a protection on for another resource: removing one while that
resource stays turns the protection off."""
ENCRYPTION_KEYS = frozenset(
    {
        "kmsKeyId",
        "kmsKeyArn",
        "kmsMasterKeyId",
        "s3KmsKeyArn",
        "kmsKey",
        "encrypted",
        "storageEncrypted",
        "sseAlgorithm",
        "serverSideEncryption",
        "serverSideEncryptionConfiguration",
        "encryptionConfiguration",
    }
)
LOGGING_KEYS = frozenset(
    {
        "accessLogSettings",
        "loggingConfig",
        "loggingConfiguration",
        "logging",
        "loggingInfo",
        "logPublishingOptions",
        "enabledCloudwatchLogsExports",
        "enableLogging",
        "enableLogFileValidation",
        "isMultiRegionTrail",
        "includeGlobalServiceEvents",
        "logDestination",
    }
)
_OFF_WORDS = frozenset({"NONE", "OFF", "DISABLED", "Disabled", "Suspended", "false"})
_ENCRYPTION_FLAG_TYPES = frozenset({"aws:ebs/encryptionByDefault:EncryptionByDefault"})

# --- policies whose statements are compared ---------------------------------------------------

POLICY_DOCUMENTS: dict[str, tuple[str, str]] = {
    "aws:organizations/policy:Policy": ("content", "SCP"),
    "aws:iam/policy:Policy": ("policy", "IAM policy"),
    "aws:iam/rolePolicy:RolePolicy": ("policy", "IAM role policy"),
    "aws:iam/userPolicy:UserPolicy": ("policy", "IAM user policy"),
    "aws:iam/groupPolicy:GroupPolicy": ("policy", "IAM group policy"),
    "aws:iam/role:Role": ("assumeRolePolicy", "role trust policy"),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy", "bucket policy"),
    "aws:kms/key:Key": ("policy", "key policy"),
    "aws:kms/keyPolicy:KeyPolicy": ("policy", "key policy"),
    SNS_TOPIC: ("policy", "topic policy"),
    "aws:sns/topicPolicy:TopicPolicy": ("policy", "topic policy"),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy", "queue policy"),
}
ORG_POLICY = "aws:organizations/policy:Policy"
ORG_POLICY_ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
_ORG_POLICY_LABELS = {
    "SERVICE_CONTROL_POLICY": "SCP",
    "RESOURCE_CONTROL_POLICY": "RCP",
    "TAG_POLICY": "tag policy",
    "BACKUP_POLICY": "backup policy",
    "AISERVICES_OPT_OUT_POLICY": "AI services opt-out policy",
}
_BOUNDARY_HOLDERS = ("aws:iam/role:Role", "aws:iam/user:User")
# Inputs that name the resource a policy or setting belongs to (the owner must stay for its
# removal to weaken anything).
_OWNER_INPUTS = ("bucket", "arn", "queueUrl", "keyId", "role", "user", "group")


# --- reading plan documents -------------------------------------------------------------------


def _fabricated(r: RecordedResource, region: str | None, context: fakes.AccountContext) -> Any:
    facts = fakes.ResourceFacts(
        type=r.type,
        name=r.name,
        urn=r.urn,
        inputs=r.inputs,
        region=region or context.home_region,
        context=context,
    )
    return fakes.fabricate(facts)


SCHEMA_VERSIONS = (1, 2)
"""Plan documents ``diff`` reads: 2 adds ``operation`` and ``importId`` (docs/plan-format.md);
a plan written before it (1) still compares."""


def plan_from_document(data: Any, label: str) -> Plan:
    """A plan document (schemaVersion 1 or 2) as a :class:`Plan`; ValueError names ``label``.

    Ids and outputs are not part of a plan document: they are fabricated again as the offline
    engine fabricates them (``baseline/fakes.py``), so ``check`` joins S3 settings to their
    buckets exactly as it does for a fresh plan."""
    if not isinstance(data, dict):
        raise ValueError(f"{label}: not a plan document (expected a JSON object)")
    if data.get("schemaVersion") not in SCHEMA_VERSIONS:
        raise ValueError(
            f"{label}: schemaVersion must be 1 or 2 (secbaseline plan --format json), "
            f"got {data.get('schemaVersion')!r}"
        )
    raw = data.get("resources")
    if not isinstance(raw, list):
        raise ValueError(f"{label}: 'resources' must be a list")
    records: list[RecordedResource] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("urn"), str):
            raise ValueError(f"{label}: resources[{index}] needs a string 'urn'")
        if not isinstance(item.get("type"), str) or not isinstance(item.get("inputs", {}), dict):
            raise ValueError(
                f"{label}: resources[{index}] needs a string 'type' and 'inputs' object"
            )
        records.append(
            RecordedResource(
                urn=item["urn"],
                type=item["type"],
                custom=bool(item.get("custom")),
                parent=item.get("parent"),
                provider=item.get("provider"),
                inputs=dict(item.get("inputs") or {}),
                import_id=item["importId"] if isinstance(item.get("importId"), str) else None,
            )
        )
    raw_settings = data.get("settings")
    settings: dict[str, Any] = raw_settings if isinstance(raw_settings, dict) else {}
    home = settings.get("homeRegion") if isinstance(settings.get("homeRegion"), str) else None
    plan = Plan(
        project=str(data.get("project", "")),
        stack=str(data.get("stack", "")),
        resources=records,
        settings=settings,
        default_region=home,
    )
    account = settings.get("accountId")
    context = fakes.AccountContext(
        account_id=account if isinstance(account, str) and account else OFFLINE_ACCOUNT_ID,
        home_region=home or "us-east-1",
    )
    rebuilt = []
    for r in records:
        if r.custom and not r.type.startswith("pulumi:"):
            made = _fabricated(r, plan.region_of(r), context)
            rebuilt.append(replace(r, id=made.id, outputs=made.outputs))
        else:
            rebuilt.append(r)
    plan.resources = rebuilt
    return plan


def read_plan_file(path: str, label: str) -> Plan:
    """Read a plan document from ``path`` (``-`` for stdin); ValueError names ``label``."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{label}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError):
        raise ValueError(f"{label}: {path} is not a readable UTF-8 text file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{label}: {path} is not JSON (line {error.lineno}); write it with "
            "`secbaseline plan --format json`"
        ) from None
    return plan_from_document(data, f"{label} ({path})")


# --- the diff ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputChange:
    """One changed input, by dotted path (``versioningConfiguration.status``)."""

    path: str
    base: Any
    head: Any


@dataclass(frozen=True)
class ResourceChange:
    """One resource added, removed or changed."""

    change: str
    """``added``, ``removed`` or ``changed``."""
    urn: str
    type: str
    name: str
    component: str
    region: str
    inputs: tuple[InputChange, ...] = ()

    @property
    def changed_keys(self) -> list[str]:
        return [c.path for c in self.inputs]


@dataclass(frozen=True)
class Weakening:
    """One way HEAD is weaker than BASE."""

    kind: str
    """One of :data:`KINDS`."""
    what: str
    """What got weaker, in a few words (``GuardDuty detector removed``)."""
    component: str
    region: str
    urn: str | None
    detail: str = ""
    """Why, when the words above are not enough (which statement, which key)."""


@dataclass
class PlanDiff:
    """The comparison of two plans."""

    base: Plan
    head: Plan
    changes: list[ResourceChange]
    weakenings: list[Weakening]
    unchanged: int
    notes: list[str] = field(default_factory=list)

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)


def urn_key(urn: str) -> str:
    """The URN without its stack and project, so plans of two stacks can be compared."""
    parts = urn.split("::", 2)
    return parts[2] if len(parts) == 3 and urn.startswith("urn:pulumi:") else urn


def _subject(r: RecordedResource) -> bool:
    """Resources the diff lists: everything but the stack itself."""
    return r.type != STACK_TYPE


def match_resources(
    base: Plan, head: Plan
) -> list[tuple[RecordedResource | None, RecordedResource | None]]:
    """Pairs (base, head): by URN (stack and project left out), then, for what is left, by
    type and logical name when that pair is unique on both sides (a resource moved to another
    parent keeps its identity)."""
    base_items = [r for r in base.resources if _subject(r)]
    head_items = [r for r in head.resources if _subject(r)]
    head_by_key = {urn_key(r.urn): r for r in head_items}
    pairs: list[tuple[RecordedResource | None, RecordedResource | None]] = []
    left_base: list[RecordedResource] = []
    taken: set[str] = set()
    for r in base_items:
        other = head_by_key.get(urn_key(r.urn))
        if other is None:
            left_base.append(r)
        else:
            pairs.append((r, other))
            taken.add(other.urn)
    left_head = [r for r in head_items if r.urn not in taken]

    def by_name(items: list[RecordedResource]) -> dict[tuple[str, str], list[RecordedResource]]:
        found: dict[tuple[str, str], list[RecordedResource]] = {}
        for r in items:
            found.setdefault((r.type, r.name), []).append(r)
        return found

    base_names, head_names = by_name(left_base), by_name(left_head)
    for r in left_base:
        same_base = base_names[(r.type, r.name)]
        same_head = head_names.get((r.type, r.name), [])
        if len(same_base) == 1 and len(same_head) == 1:
            pairs.append((r, same_head[0]))
            taken.add(same_head[0].urn)
        else:
            pairs.append((r, None))
    pairs += [(None, r) for r in left_head if r.urn not in taken]
    return pairs


class _Index:
    """Lookups over one plan: by URN, component, region, fabricated id."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.by_urn = {r.urn: r for r in plan.resources}
        self.by_id: dict[str, list[RecordedResource]] = {}
        for r in plan.resources:
            for value in (r.id, r.outputs.get("arn"), r.inputs.get("bucket")):
                if isinstance(value, str) and value:
                    self.by_id.setdefault(value, []).append(r)

    @functools.cache  # noqa: B019 (one index per diff; the cache dies with it)
    def component(self, urn: str) -> str:
        """``<Component> <name>`` of the nearest component at or above the resource."""
        r = self.by_urn.get(urn)
        while r is not None:
            if not r.custom and r.type not in (STACK_TYPE,):
                return f"{r.type.rsplit(':', 1)[-1]} {r.name}"
            r = self.by_urn.get(r.parent or "")
        return "(stack)"

    def region(self, r: RecordedResource) -> str:
        if not r.custom:
            return "-"
        return self.plan.region_of(r) or GLOBAL

    def weakening(self, kind: str, what: str, r: RecordedResource, detail: str) -> Weakening:
        """A weakening of resource ``r`` of this plan, with its component and region."""
        return Weakening(kind, what, self.component(r.urn), self.region(r), r.urn, detail)

    def owner(self, r: RecordedResource) -> RecordedResource | None:
        """The resource ``r`` configures: the one its bucket/arn/... input names, else its
        parent (None when that is the stack or unknown)."""
        for key in _OWNER_INPUTS:
            value = r.inputs.get(key)
            if isinstance(value, str):
                for found in self.by_id.get(value, []):
                    if found.urn != r.urn:
                        return found
        parent = self.by_urn.get(r.parent or "")
        return parent if parent is not None and parent.type != STACK_TYPE else None


def _json_value(value: Any) -> Any:
    """A JSON-text input (policy document, event pattern) parsed, so formatting is no change."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


_ABSENT = object()


def _input_changes(base: Any, head: Any, path: str = "") -> Iterator[InputChange]:
    if isinstance(base, Mapping) and isinstance(head, Mapping):
        for key in sorted(set(base) | set(head)):
            yield from _input_changes(
                base.get(key, _ABSENT), head.get(key, _ABSENT), f"{path}.{key}" if path else key
            )
        return
    if _json_value(base) != _json_value(head):
        yield InputChange(
            path,
            None if base is _ABSENT else base,
            None if head is _ABSENT else head,
        )


def _resource_changes(
    pairs: Sequence[tuple[RecordedResource | None, RecordedResource | None]],
    base: _Index,
    head: _Index,
) -> tuple[list[ResourceChange], int]:
    changes: list[ResourceChange] = []
    unchanged = 0
    for b, h in pairs:
        if b is None and h is not None:
            changes.append(
                ResourceChange(
                    "added", h.urn, h.type, h.name, head.component(h.urn), head.region(h)
                )
            )
        elif h is None and b is not None:
            changes.append(
                ResourceChange(
                    "removed", b.urn, b.type, b.name, base.component(b.urn), base.region(b)
                )
            )
        elif b is not None and h is not None:
            found = list(_input_changes(b.inputs, h.inputs))
            for label, old, new in (
                ("(parent)", b.parent, h.parent),
                ("(provider)", b.provider, h.provider),
            ):
                if urn_key(old or "") != urn_key(new or ""):
                    found.append(InputChange(label, old, new))
            if found:
                changes.append(
                    ResourceChange(
                        "changed",
                        h.urn,
                        h.type,
                        h.name,
                        head.component(h.urn),
                        head.region(h),
                        tuple(found),
                    )
                )
            else:
                unchanged += 1
    changes.sort(key=lambda c: (c.component, c.region, c.type, c.name, c.change))
    return changes, unchanged


# --- flattened inputs, for the "turned off" checks --------------------------------------------


def _flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every node of an input tree by path: containers and leaves alike."""
    if path:
        yield path, value
    if isinstance(value, Mapping):
        for key in sorted(value):
            yield from _flatten(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{path}[{index}]")


_INDEX = re.compile(r"\[\d+\]")


def _segments(path: str) -> list[str]:
    return _INDEX.sub("", path).split(".")


def _on(value: Any) -> bool:
    """A setting that is on: true, a non-empty value that is not an 'off' word."""
    if value is None or value is False or rules.is_unknown(value):
        return False
    if isinstance(value, str):
        return bool(value) and value not in _OFF_WORDS
    if isinstance(value, list | Mapping):
        return bool(value)
    return True


def _turned_off(
    b: RecordedResource, h: RecordedResource, keys: frozenset[str]
) -> Iterator[tuple[str, Any, Any]]:
    """(path, base, head) where an input named in ``keys`` (at any depth) was on and is off
    or gone; only the topmost such path is reported."""
    head_nodes = dict(_flatten(h.inputs))
    reported: list[str] = []
    for path, value in _flatten(b.inputs):
        if _segments(path)[-1] not in keys or any(
            path.startswith(p + ".") or path.startswith(p + "[") for p in reported
        ):
            continue
        new = head_nodes.get(path)
        if rules.is_unknown(new):
            continue
        if _on(value) and not _on(new):
            reported.append(path)
            yield path, value, new
        elif isinstance(value, list) and isinstance(new, list):
            lost = [v for v in value if v not in new]
            if lost and all(isinstance(v, str) for v in lost):
                reported.append(path)
                yield path, value, new


def _short(value: Any, limit: int = 60) -> str:
    text = "absent" if value is None else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _change_text(path: str, old: Any, new: Any) -> str:
    if isinstance(old, list) and isinstance(new, list):
        lost = sorted(str(v) for v in old if v not in new)
        return f"{path}: no longer {', '.join(lost)}"
    return f"{path}: {_short(old)} -> {_short(new)}"


# --- detection ------------------------------------------------------------------------------


def _routes(index: _Index) -> set[str]:
    """URNs of the notification routes of a plan: EventBridge targets that deliver to an SNS
    topic, forward to an event bus, or invoke a function that publishes to a topic of the plan
    (a finding formatter), their rules, those topics and their subscriptions."""
    plan = index.plan
    found: set[str] = set()
    topic_arns = {t.outputs.get("arn") for t in plan.of_type(SNS_TOPIC)} - {None}
    relays: dict[str, set[str]] = {}
    for function in plan.of_type(LAMBDA_FUNCTION):
        text = json.dumps(function.inputs.get("environment"))
        reached = {arn for arn in topic_arns if isinstance(arn, str) and arn in text}
        if reached and isinstance(function.outputs.get("arn"), str):
            relays[function.outputs["arn"]] = reached
    rules_by_name: dict[tuple[str, str | None], RecordedResource] = {}
    for r in plan.of_type(EVENT_RULE):
        for name in (r.id, r.inputs.get("name")):
            if isinstance(name, str):
                rules_by_name[(name, plan.region_of(r))] = r
    topics: set[str] = set()
    for target in plan.of_type(EVENT_TARGET):
        arn = target.inputs.get("arn")
        if not isinstance(arn, str):
            continue
        if ":sns:" in arn:
            topics.add(arn)
        elif arn in relays:
            topics |= relays[arn]
        elif not (":events:" in arn and ":event-bus/" in arn):
            continue
        found.add(target.urn)
        rule = rules_by_name.get((str(target.inputs.get("rule")), plan.region_of(target)))
        if rule is not None:
            found.add(rule.urn)
    for topic in plan.of_type(SNS_TOPIC):
        if topic.outputs.get("arn") in topics:
            found.add(topic.urn)
    for subscription in plan.of_type(SNS_SUBSCRIPTION):
        if subscription.inputs.get("topic") in topics:
            found.add(subscription.urn)
    return found


def _detection_label(r: RecordedResource, routes: set[str]) -> str | None:
    if r.type in DETECTION_TYPES:
        return DETECTION_TYPES[r.type]
    if r.urn in routes:
        return ROUTE_LABELS[r.type]
    return None


def _switched_off(b: RecordedResource, h: RecordedResource) -> Iterator[str]:
    """Why a detection resource present in both plans detects less in HEAD."""
    head_nodes = dict(_flatten(h.inputs))
    for path, value in _flatten(b.inputs):
        key = _segments(path)[-1]
        new = head_nodes.get(path)
        if rules.is_unknown(new):
            continue
        if key in _ON_FLAGS and value is True and new is not True:
            yield f"{path}: true -> {_short(new)}"
        elif (
            key in _STATUS_KEYS
            and isinstance(value, str)
            and value.upper().startswith("ENABLED")
            and isinstance(new, str)
            and new.upper() in _OFF_STATES
        ):
            yield f"{path}: {value} -> {_short(new)}"
        elif key in _COVERAGE_LISTS and isinstance(value, list):
            lost = [v for v in value if not isinstance(new, list) or v not in new]
            if lost:
                yield f"{path}: no longer {', '.join(sorted(_short(v, 40) for v in lost))}"


_SERVICE_OF_MODULE = {
    "guardduty": "guardduty",
    "securityhub": "securityhub",
    "inspector2": "inspector",
    "detective": "detective",
    "cfg": "config",
    "cloudtrail": "cloudtrail",
}


def _organization_services(plan: Plan) -> dict[str, str]:
    """Services a plan's settings leave to the organization, with the reason (tier, role)."""
    settings = plan.settings or {}
    why = ", ".join(f"{key} {settings[key]}" for key in ("tier", "role") if settings.get(key)) + (
        ", Control Tower" if settings.get("controlTower") else ""
    )
    return dict.fromkeys(sorted(stack_options(settings).organization_managed), why)


def _detection(
    pairs: Sequence[tuple[RecordedResource | None, RecordedResource | None]],
    base: _Index,
    head: _Index,
) -> Iterator[Weakening]:
    base_routes, head_routes = _routes(base), _routes(head)
    handed_over = _organization_services(head.plan)
    for b, h in pairs:
        if b is None:
            continue
        label = _detection_label(b, base_routes)
        if label is None:
            continue
        if h is None:
            if b.type not in _ONLY_SWITCHED_OFF:
                detail = "" if b.type in DETECTION_TYPES else _route_detail(b)
                service = _SERVICE_OF_MODULE.get(b.type.split(":")[1].split("/")[0])
                if service in handed_over:
                    detail = (
                        f"HEAD leaves {service} to the organization ({handed_over[service]}): "
                        "confirm its auto-enable covers this account and region"
                    )
                yield base.weakening(
                    "detection",
                    f"{label} removed",
                    b,
                    detail,
                )
            continue
        if b.urn in base_routes and h.urn not in head_routes and b.type not in DETECTION_TYPES:
            yield head.weakening(
                "detection",
                f"{label} no longer delivers",
                h,
                f"{b.name}: {_route_detail(b)} -> {_route_detail(h)}"
                if b.type == EVENT_TARGET
                else f"{b.name}: {_NO_LONGER_ROUTED[b.type]}",
            )
            continue
        for why in _switched_off(b, h):
            yield head.weakening(
                "detection",
                f"{label} switched off",
                h,
                f"{h.name}: {why}",
            )


def _route_detail(r: RecordedResource) -> str:
    if r.type == EVENT_TARGET:
        return f"target {r.inputs.get('arn')}"
    if r.type == SNS_SUBSCRIPTION:
        return f"{r.inputs.get('protocol')} subscription"
    return ""


# --- policy verdicts -------------------------------------------------------------------------


def _verdicts(base: Plan, head: Plan, head_index: _Index) -> Iterator[Weakening]:
    """Policy-pack findings on HEAD that BASE does not have (each plan held to its own tier)."""

    def key(finding: Any) -> tuple[str, str, str]:
        return (finding.policy, urn_key(finding.urn or ""), finding.message)

    before = {key(f) for f in check_plan(base, options=stack_options(base.settings or {}))}
    for finding in check_plan(head, options=stack_options(head.settings or {})):
        if key(finding) in before:
            continue
        r = head_index.by_urn.get(finding.urn or "")
        yield Weakening(
            "policy-verdict",
            f"policy {finding.policy} now fails ({finding.enforcement})",
            head_index.component(r.urn) if r is not None else "(stack)",
            head_index.region(r) if r is not None else "-",
            finding.urn,
            finding.message,
        )


# --- policy statements ----------------------------------------------------------------------


@functools.cache
def _glob(pattern: str, fold_case: bool) -> re.Pattern[str]:
    """An IAM wildcard pattern (``*`` any run, ``?`` one character) as a regular expression."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", (re.IGNORECASE if fold_case else 0) | re.DOTALL)


def covered(value: str, patterns: Iterable[str], *, fold_case: bool = False) -> bool:
    """True when one of ``patterns`` matches ``value`` (itself a pattern: ``s3:*`` covers
    ``s3:Get*``, ``s3:Get*`` does not cover ``s3:*``)."""
    return any(_glob(p, fold_case).match(value) for p in patterns)


@dataclass(frozen=True)
class _Statement:
    sid: str
    effect: str
    blocks: Mapping[str, frozenset[str]]
    """``Action``/``NotAction``/``Resource``/``NotResource``/``Principal``/``NotPrincipal``."""
    conditions: Mapping[tuple[str, str], tuple[str, ...]]
    index: int

    @property
    def label(self) -> str:
        return (
            f"{self.effect} statement {self.sid!r}"
            if self.sid
            else (f"{self.effect} statement #{self.index + 1}")
        )


def _principals(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if value == "*":
        return frozenset({"*"})
    found: set[str] = set()
    if isinstance(value, Mapping):
        for kind, items in value.items():
            for item in items if isinstance(items, list) else [items]:
                found.add("*" if kind == "AWS" and item == "*" else f"{kind}:{item}")
    return frozenset(found)


def _parse_statements(document: Mapping[str, Any]) -> list[_Statement]:
    parsed = []
    for index, raw in enumerate(rules.statements(document)):
        blocks: dict[str, frozenset[str]] = {}
        for name in ("Action", "NotAction", "Resource", "NotResource"):
            if name in raw:
                value = raw[name]
                items = value if isinstance(value, list) else [value]
                blocks[name] = frozenset(str(v) for v in items)
        for name in ("Principal", "NotPrincipal"):
            if name in raw:
                blocks[name] = _principals(raw[name])
        conditions: dict[tuple[str, str], tuple[str, ...]] = {}
        condition = raw.get("Condition")
        if isinstance(condition, Mapping):
            for operator, pairs in condition.items():
                if isinstance(pairs, Mapping):
                    for key, values in pairs.items():
                        items = values if isinstance(values, list) else [values]
                        conditions[(str(operator), str(key).lower())] = tuple(
                            sorted(str(v) for v in items)
                        )
        parsed.append(
            _Statement(
                sid=str(raw.get("Sid") or ""),
                effect=str(raw.get("Effect", "")),
                blocks=blocks,
                conditions=conditions,
                index=index,
            )
        )
    return parsed


def _uncovered(values: Iterable[str], patterns: Iterable[str], block: str) -> list[str]:
    fold = "Action" in block
    patterns = list(patterns)
    return sorted(v for v in values if not covered(v, patterns, fold_case=fold))


def _reach_beyond(inner: _Statement, outer: _Statement, excepted: str) -> list[str]:
    """Where ``outer`` reaches beyond ``inner`` in actions, resources and principals
    (``excepted`` words an exception of ``inner`` that ``outer`` lacks)."""
    reasons = []
    for positive, negative, noun in (
        ("Action", "NotAction", "actions"),
        ("Resource", "NotResource", "resources"),
        ("Principal", "NotPrincipal", "principals"),
    ):
        in_pos, in_neg = inner.blocks.get(positive), inner.blocks.get(negative)
        out_pos, out_neg = outer.blocks.get(positive), outer.blocks.get(negative)
        if out_pos is not None and in_pos is not None:
            extra = _uncovered(out_pos, in_pos, positive)
            if extra:
                reasons.append(f"{noun} {', '.join(extra)}")
        elif out_neg is not None and in_neg is not None:
            extra = _uncovered(in_neg, out_neg, negative)
            if extra:
                reasons.append(f"{noun} {excepted} by {negative}: {', '.join(extra)}")
        elif out_pos is None and out_neg is None:
            if in_pos is not None or in_neg is not None:
                reasons.append(f"every {noun[:-1]} ({positive} and {negative} absent)")
        else:
            reasons.append(f"{noun}: {positive}/{negative} switched (not comparable)")
    return reasons


def _condition_changes(old: _Statement, new: _Statement, *, effect: str) -> list[str]:
    """Condition changes that may weaken a statement: on an Allow a condition removed (it
    applies more often), on a Deny one added (it applies less often); on both a changed value
    (whether it widens depends on the operator, so it is reported)."""
    reasons = []
    for key in sorted(set(old.conditions) | set(new.conditions)):
        before, after = old.conditions.get(key), new.conditions.get(key)
        operator, name = key
        if before is not None and after is None and effect == "Allow":
            reasons.append(f"condition {operator} {name} removed")
        elif before is None and after is not None and effect == "Deny":
            reasons.append(f"condition {operator} {name} added")
        elif before is not None and after is not None and before != after:
            reasons.append(f"condition {operator} {name} changed {list(before)} -> {list(after)}")
    return reasons


def _weaker(old: _Statement, new: _Statement) -> list[str]:
    """Why ``new`` is weaker than ``old``: an Allow that reaches further, a Deny that reaches
    less far (the old Deny covered something the new one does not)."""
    if old.effect == "Allow":
        reach = [f"grants {r}" for r in _reach_beyond(old, new, "no longer excepted")]
    else:
        reach = [f"no longer denies {r}" for r in _reach_beyond(new, old, "newly excepted")]
    return reach + _condition_changes(old, new, effect=old.effect)


def _statement_changes(old_doc: Any, new_doc: Any) -> list[str]:
    """Each statement of ``old_doc`` removed or weakened in ``new_doc``, and each Allow added."""
    old_statements = _parse_statements(old_doc) if old_doc else []
    new_statements = _parse_statements(new_doc) if new_doc else []
    left_new = list(new_statements)
    pairs: list[tuple[_Statement, _Statement | None]] = []
    unpaired: list[_Statement] = []
    for statement in old_statements:
        twin = next(
            (
                s
                for s in left_new
                if (s.effect, s.blocks, s.conditions)
                == (statement.effect, statement.blocks, statement.conditions)
            ),
            None,
        )
        if twin is not None:
            left_new.remove(twin)
            continue
        named = next(
            (s for s in left_new if statement.sid and s.sid == statement.sid),
            None,
        )
        if named is not None:
            left_new.remove(named)
            pairs.append((statement, named))
        else:
            unpaired.append(statement)
    # Statements without a matching Sid: pair them in order within the same effect.
    for statement in unpaired:
        twin = next(
            (s for s in left_new if s.effect == statement.effect and not (s.sid and statement.sid)),
            None,
        )
        if twin is not None:
            left_new.remove(twin)
        pairs.append((statement, twin))
    reasons: list[str] = []
    for old, new in pairs:
        if new is None or new.effect != old.effect:
            if old.effect == "Deny":
                reasons.append(f"{old.label} removed")
            if new is not None and new.effect == "Allow":
                reasons.append(f"{old.label} became Allow")
            continue
        why = _weaker(old, new)
        if why:
            word = "wider" if old.effect == "Allow" else "narrower"
            reasons.append(f"{old.label} {word}: {'; '.join(why)}")
    reasons += [f"{s.label} added" for s in left_new if s.effect == "Allow"]
    return reasons


def _policy_label(r: RecordedResource, boundaries: set[str]) -> str:
    label = POLICY_DOCUMENTS[r.type][1]
    if r.type == ORG_POLICY:
        return _ORG_POLICY_LABELS.get(str(r.inputs.get("type") or "SERVICE_CONTROL_POLICY"), label)
    if r.urn in boundaries:
        return "permissions boundary"
    return label


def _boundaries(index: _Index) -> set[str]:
    """URNs of the IAM policies some role or user of the plan has as its boundary."""
    arns = {
        r.inputs.get("permissionsBoundary")
        for t in _BOUNDARY_HOLDERS
        for r in index.plan.of_type(t)
    }
    return {
        r.urn for r in index.plan.of_type("aws:iam/policy:Policy") if r.outputs.get("arn") in arns
    }


def _stays(r: RecordedResource, base: _Index, matched: Mapping[str, RecordedResource]) -> bool:
    """True when what ``r`` configures (see :meth:`_Index.owner`) is still in HEAD."""
    owner = base.owner(r)
    return owner is None or owner.urn in matched


def _statements(
    pairs: Sequence[tuple[RecordedResource | None, RecordedResource | None]],
    base: _Index,
    head: _Index,
    matched: Mapping[str, RecordedResource],
) -> Iterator[Weakening]:
    boundaries = _boundaries(base)
    for b, h in pairs:
        if b is None:
            continue
        if b.type in POLICY_DOCUMENTS:
            key = POLICY_DOCUMENTS[b.type][0]
            old = rules.policy_document(b.inputs.get(key))
            if h is None:
                if old is None or b.type in (SNS_TOPIC, "aws:kms/key:Key", "aws:iam/role:Role"):
                    continue  # the resource itself is gone, and with it what its policy guards
                if b.type != ORG_POLICY and not _stays(b, base, matched):
                    continue
                new = None
                index, r = base, b
            else:
                if rules.is_unknown(h.inputs.get(key)):
                    continue
                new = rules.policy_document(h.inputs.get(key))
                if old is None:
                    continue
                index, r = head, h
            for reason in _statement_changes(old, new):
                yield index.weakening(
                    "policy-statement",
                    f"{_policy_label(b, boundaries)} {'removed' if h is None else 'weakened'}",
                    r,
                    f"{r.name}: {reason}",
                )
        elif b.type == ORG_POLICY_ATTACHMENT and (
            h is None or h.inputs.get("targetId") != b.inputs.get("targetId")
        ):
            yield Weakening(
                "policy-statement",
                "SCP detached",
                base.component(b.urn),
                GLOBAL,
                b.urn,
                f"{b.name}: policy {b.inputs.get('policyId')} no longer attached to "
                f"{b.inputs.get('targetId')}",
            )
        if b.type in _BOUNDARY_HOLDERS and h is not None:
            old_boundary = b.inputs.get("permissionsBoundary")
            new_boundary = h.inputs.get("permissionsBoundary")
            if old_boundary and old_boundary != new_boundary:
                yield Weakening(
                    "policy-statement",
                    "permissions boundary removed"
                    if not new_boundary
                    else ("permissions boundary replaced"),
                    head.component(h.urn),
                    GLOBAL,
                    h.urn,
                    f"{h.name}: {old_boundary} -> {new_boundary or 'none'}",
                )


# --- encryption, versioning, Object Lock, logging -------------------------------------------


def _protections(
    pairs: Sequence[tuple[RecordedResource | None, RecordedResource | None]],
    base: _Index,
    head: _Index,
    matched: Mapping[str, RecordedResource],
) -> Iterator[Weakening]:
    for b, h in pairs:
        if b is None:
            continue
        if h is None:
            if b.type in SETTING_TYPES and _stays(b, base, matched):
                kind, label = SETTING_TYPES[b.type]
                owner = base.owner(b)
                target = f" for {owner.name}" if owner is not None else ""
                yield base.weakening(
                    kind,
                    f"{label} removed",
                    b,
                    f"{b.name} removed{target}, which stays",
                )
            continue
        yield from _protection_changes(b, h, head)


def _setting_weakened(path: list[str], old: Any, new: Any) -> tuple[str, str] | None:
    """(kind, what) when one versioning or Object Lock input of a resource got weaker."""
    key = path[-1]
    switched_off = _on(old) and not _on(new)
    if key == "mfaDelete" or (key == "status" and "versioningConfiguration" in path):
        return ("versioning", "versioning turned off") if switched_off else None
    if key == "enabled" and "versioning" in path:
        return ("versioning", "versioning turned off") if switched_off else None
    if key == "objectLockEnabled":
        return ("object-lock", "Object Lock turned off") if switched_off else None
    if "defaultRetention" not in path:
        return None
    if key == "mode" and old == "COMPLIANCE" and new != "COMPLIANCE":
        return ("object-lock", "Object Lock retention weakened")
    shorter = not isinstance(new, int | float) or new < old
    if key in ("days", "years") and isinstance(old, int | float) and shorter:
        return ("object-lock", "Object Lock retention shortened")
    return None


def _protection_changes(
    b: RecordedResource, h: RecordedResource, head: _Index
) -> Iterator[Weakening]:
    def weakening(kind: str, what: str, detail: str) -> Weakening:
        return head.weakening(kind, what, h, detail)

    encryption_keys = ENCRYPTION_KEYS | (
        {"enabled"} if b.type in _ENCRYPTION_FLAG_TYPES else frozenset()
    )
    for path, old, new in _turned_off(b, h, encryption_keys):
        yield weakening(
            "encryption", "encryption turned off", f"{h.name}: {_change_text(path, old, new)}"
        )
    for path, old, new in _turned_off(b, h, LOGGING_KEYS):
        yield weakening(
            "logging", "logging turned off", f"{h.name}: {_change_text(path, old, new)}"
        )
    new_nodes = dict(_flatten(h.inputs))
    for path, old in _flatten(b.inputs):
        new = new_nodes.get(path)
        found = None if rules.is_unknown(new) else _setting_weakened(_segments(path), old, new)
        if found is not None:
            yield weakening(*found, f"{h.name}: {_change_text(path, old, new)}")
    if (
        b.type in (OBJECT_LOCK, OBJECT_LOCK_V2)
        and b.inputs.get("rule")
        and not h.inputs.get("rule")
    ):
        yield weakening("object-lock", "Object Lock retention removed", f"{h.name}: rule removed")


# --- putting it together ---------------------------------------------------------------------


def diff_plans(base: Plan, head: Plan) -> PlanDiff:
    """Compare two plans: resource changes and every weakening, sorted."""
    base_index, head_index = _Index(base), _Index(head)
    pairs = match_resources(base, head)
    matched = {b.urn: h for b, h in pairs if b is not None and h is not None}
    changes, unchanged = _resource_changes(pairs, base_index, head_index)
    found = [
        *_detection(pairs, base_index, head_index),
        *_verdicts(base, head, head_index),
        *_statements(pairs, base_index, head_index, matched),
        *_protections(pairs, base_index, head_index, matched),
    ]
    weakenings = sorted(
        set(found),
        key=lambda w: (KINDS.index(w.kind), w.what, w.component, w.region, w.urn or "", w.detail),
    )
    notes = []
    if base.stack != head.stack or base.project != head.project:
        notes.append(
            f"BASE is stack {base.project}/{base.stack} and HEAD {head.project}/{head.stack}: "
            "resources are matched by URN without the stack, then by type and name"
        )
    return PlanDiff(base, head, changes, weakenings, unchanged, notes)


# --- output ---------------------------------------------------------------------------------


def _describe(plan: Plan) -> str:
    settings = plan.settings or {}
    parts = [str(settings[k]) for k in ("tier", "role") if settings.get(k)]
    return f"{plan.stack} ({', '.join(parts)})" if parts else plan.stack


def _type_name(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1] if ":" in type_token else type_token


def grouped_weakenings(diff: PlanDiff) -> list[dict[str, Any]]:
    """Weakenings folded by (kind, what, component, detail): one row lists every region."""
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for w in diff.weakenings:
        row = rows.setdefault(
            (w.kind, w.what, w.component, w.detail),
            {
                "kind": w.kind,
                "what": w.what,
                "component": w.component,
                "detail": w.detail,
                "regions": [],
                "count": 0,
            },
        )
        row["count"] += 1
        if w.region not in row["regions"]:
            row["regions"].append(w.region)
    for row in rows.values():
        row["regions"] = sorted(row["regions"])
    return list(rows.values())


def to_json(diff: PlanDiff) -> dict[str, Any]:
    """The machine-readable report (``--format json``)."""
    return {
        "base": {"stack": diff.base.stack, "settings": diff.base.settings or {}},
        "head": {"stack": diff.head.stack, "settings": diff.head.settings or {}},
        "summary": {
            "added": diff.count("added"),
            "removed": diff.count("removed"),
            "changed": diff.count("changed"),
            "unchanged": diff.unchanged,
            "weakenings": len(diff.weakenings),
            "weakeningsByKind": {
                kind: n
                for kind in KINDS
                if (n := sum(1 for w in diff.weakenings if w.kind == kind))
            },
        },
        "weakenings": [asdict(w) for w in diff.weakenings],
        "resources": [
            {
                "change": c.change,
                "urn": c.urn,
                "type": c.type,
                "name": c.name,
                "component": c.component,
                "region": c.region,
                "changedKeys": c.changed_keys,
                "inputs": [asdict(i) for i in c.inputs],
            }
            for c in diff.changes
        ],
        "notes": diff.notes,
    }


def _headline(diff: PlanDiff) -> str:
    weak = len(diff.weakenings)
    verdict = f"{weak} weakening(s)" if weak else "no weakening"
    return (
        f"{verdict}; {diff.count('added')} added, {diff.count('removed')} removed, "
        f"{diff.count('changed')} changed, {diff.unchanged} unchanged"
    )


def _cell(text: str, markdown: bool) -> str:
    return text.replace("|", "\\|").replace("\n", " ") if markdown else text


def _weakening_rows(diff: PlanDiff, markdown: bool) -> list[tuple[str, ...]]:
    return [
        (
            row["kind"],
            _cell(row["what"], markdown),
            _cell(row["component"], markdown),
            ", ".join(row["regions"]),
            _cell(row["detail"], markdown) or (f"{row['count']} resource(s)"),
        )
        for row in grouped_weakenings(diff)
    ]


def _change_rows(diff: PlanDiff, change: str, markdown: bool) -> list[tuple[str, ...]]:
    rows = []
    for c in diff.changes:
        if c.change != change:
            continue
        name = f"`{c.name}`" if markdown else c.name
        row: tuple[str, ...] = (_cell(c.component, markdown), c.region, _type_name(c.type), name)
        if change == "changed":
            keys = ", ".join(
                _cell(_change_text(i.path, i.base, i.head), markdown)
                if not isinstance(i.base, Mapping | list)
                and not isinstance(i.head, Mapping | list)
                and len(str(i.base)) + len(str(i.head)) < 80
                else _cell(i.path, markdown)
                for i in c.inputs
            )
            row = (*row, keys)
        rows.append(row)
    return rows


def render_markdown(diff: PlanDiff) -> str:
    """The pull-request comment: headline, weakenings, then resource changes folded."""
    out = [
        f"### secbaseline diff: {_describe(diff.base)} -> {_describe(diff.head)}",
        "",
        f"**{_headline(diff)}**",
        "",
    ]
    out += [f"> {note}" for note in diff.notes] + ([""] if diff.notes else [])
    out += ["#### What gets weaker", ""]
    if diff.weakenings:
        by_kind = to_json(diff)["summary"]["weakeningsByKind"]
        out += [", ".join(f"{kind}: {n}" for kind, n in by_kind.items()), ""]
        rows = _weakening_rows(diff, True)
        table = tabulate(
            rows, headers=["kind", "what", "component", "regions", "detail"], tablefmt="github"
        )
        out += _fold(table, len(rows), f"{len(rows)} weakening rows", open_=True)
    else:
        out += [
            "Nothing: no detection removed, no new policy-pack violation, no policy "
            "statement widened, no encryption, versioning, Object Lock or logging turned off.",
            "",
        ]
    out += ["#### Resources", ""]
    if not diff.changes:
        out += ["No resource added, removed or changed.", ""]
    for change in ("removed", "added", "changed"):
        rows = _change_rows(diff, change, True)
        if not rows:
            continue
        headers = ["component", "region", "type", "name"]
        if change == "changed":
            headers.append("changed inputs")
        table = tabulate(rows[:MARKDOWN_ROWS], headers=headers, tablefmt="github")
        if len(rows) > MARKDOWN_ROWS:
            table += (
                f"\n\n... and {len(rows) - MARKDOWN_ROWS} more (`--format json` lists them all)"
            )
        out += _fold(table, len(rows), f"{change.capitalize()} ({len(rows)})", open_=False)
    return "\n".join(out).rstrip() + "\n"


def _fold(table: str, rows: int, summary: str, *, open_: bool) -> list[str]:
    """A table, folded into ``<details>`` when it is long (or always for resource lists)."""
    if open_ and rows <= DETAILS_OVER:
        return [table, ""]
    return ["<details>", f"<summary>{summary}</summary>", "", table, "", "</details>", ""]


def render_table(diff: PlanDiff) -> str:
    """Plain text for a terminal."""
    out = [
        f"secbaseline diff: {_describe(diff.base)} -> {_describe(diff.head)}",
        _headline(diff),
        "",
    ]
    out += diff.notes + ([""] if diff.notes else [])
    if diff.weakenings:
        out += [
            "What gets weaker:",
            tabulate(
                _weakening_rows(diff, False),
                headers=["kind", "what", "component", "regions", "detail"],
                tablefmt="simple",
            ),
            "",
        ]
    for change in ("removed", "added", "changed"):
        rows = _change_rows(diff, change, False)
        if rows:
            headers = ["component", "region", "type", "name"]
            if change == "changed":
                headers.append("changed inputs")
            out += [f"{change.capitalize()} ({len(rows)}):", tabulate(rows, headers=headers), ""]
    return "\n".join(out).rstrip() + "\n"


def render_diff(diff: PlanDiff, fmt: str) -> str:
    """The report in one of :data:`FORMATS`."""
    if fmt == "json":
        return json.dumps(to_json(diff), indent=2, sort_keys=True, default=str) + "\n"
    if fmt == "markdown":
        return render_markdown(diff)
    return render_table(diff)


def _diff(args: argparse.Namespace) -> int:
    base = read_plan_file(args.base, "BASE")
    head = read_plan_file(args.head, "HEAD")
    result = diff_plans(base, head)
    sys.stdout.write(render_diff(result, args.format))
    return 1 if args.fail_on == "weakening" and result.weakenings else 0


def add_diff_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``secbaseline diff``."""
    parser = sub.add_parser(
        "diff",
        help="compare two plan documents: resources changed and what gets weaker",
        description="Compare two plans written by `secbaseline plan --format json`: resources "
        "added, removed and changed, and every weakening (detection removed, policy-pack "
        "verdicts newly failing, policy statements removed or widened, encryption, versioning, "
        "Object Lock or logging turned off).",
    )
    parser.add_argument("base", metavar="BASE.json", help="the plan before the change")
    parser.add_argument("head", metavar="HEAD.json", help="the plan after the change")
    parser.add_argument("--format", choices=FORMATS, default="markdown")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        help="exit 1 when HEAD weakens anything (default: always exit 0)",
    )
    parser.set_defaults(run=_diff)
