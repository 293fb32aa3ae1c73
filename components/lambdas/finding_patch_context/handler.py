"""Join an Amazon Inspector finding on an EC2 instance with the instance's patch state and its
next patch window, and publish one readable notice (checklist S-13).

Inspector says *what* is vulnerable; Patch Manager knows whether the instance is patched and
when it will be. For an ``Inspector2 Finding`` event on an ``AWS_EC2_INSTANCE`` the function
reads, in the finding's region: the instance's last patch scan or install
(``DescribeInstancePatchStates``: missing, failed and pending-reboot counts, patch group) and
the enabled maintenance windows that target it, by instance id or by one of its tags, picking
the one that runs next. Either may be absent (the instance is not managed by SSM, or no
window targets it); the notice then says so. Publishes to ``TOPIC_ARN``. Uses boto3 only.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

import boto3

SUBJECT_LIMIT = 100


def patch_state(ssm: Any, instance_id: str) -> dict[str, Any] | None:
    """The instance's patch state, or None when it has never been scanned."""
    states = ssm.describe_instance_patch_states(InstanceIds=[instance_id]).get(
        "InstancePatchStates", []
    )
    return states[0] if states else None


def _instance_tags(ec2: Any, instance_id: str) -> dict[str, str]:
    pages = ec2.get_paginator("describe_tags").paginate(
        Filters=[{"Name": "resource-id", "Values": [instance_id]}]
    )
    return {t["Key"]: t["Value"] for page in pages for t in page.get("Tags", [])}


def _targets_instance(
    targets: list[dict[str, Any]], instance_id: str, tags: dict[str, str]
) -> bool:
    for target in targets:
        key, values = target.get("Key", ""), target.get("Values", [])
        if key == "InstanceIds" and (instance_id in values or "*" in values):
            return True
        if key.startswith("tag:") and tags.get(key[4:]) in values:
            return True
    return False


def next_window(ssm: Any, ec2: Any, instance_id: str) -> dict[str, Any] | None:
    """The enabled maintenance window that targets the instance and runs next (by
    ``NextExecutionTime``; windows without one sort last), or None."""
    tags = _instance_tags(ec2, instance_id)
    found: list[dict[str, Any]] = []
    pages = ssm.get_paginator("describe_maintenance_windows").paginate(
        Filters=[{"Key": "Enabled", "Values": ["true"]}]
    )
    for page in pages:
        for window in page.get("WindowIdentities", []):
            targets = ssm.describe_maintenance_window_targets(WindowId=window["WindowId"]).get(
                "Targets", []
            )
            if any(
                t.get("ResourceType", "INSTANCE") == "INSTANCE"
                and _targets_instance(t.get("Targets", []), instance_id, tags)
                for t in targets
            ):
                found.append(window)
    if not found:
        return None
    return min(
        found, key=lambda w: (w.get("NextExecutionTime") is None, w.get("NextExecutionTime") or "")
    )


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value else "unknown"


def notice(
    event: dict[str, Any], state: dict[str, Any] | None, window: dict[str, Any] | None
) -> tuple[str, str]:
    """(subject, body) of the joined notice."""
    detail = event.get("detail", {})
    resource = (detail.get("resources") or [{}])[0]
    instance_id = resource.get("id", "?")
    vulnerability = detail.get("packageVulnerabilityDetails", {})
    packages = vulnerability.get("vulnerablePackages") or []
    fixes = sorted(
        {f"{p.get('name')} {p.get('fixedInVersion')}" for p in packages if p.get("fixedInVersion")}
    )
    severity = str(detail.get("severity", "?"))
    subject = f"[{severity}] Inspector: {detail.get('title', 'finding')} on {instance_id}"
    subject = " ".join(subject.split()).encode("ascii", "replace").decode("ascii")
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 3] + "..."
    lines = [
        str(detail.get("title", "Inspector finding")),
        "",
        f"Severity:      {severity}",
        f"Vulnerability: {vulnerability.get('vulnerabilityId', '-')}",
        f"Fixed in:      {', '.join(fixes) or '-'}",
        f"Instance:      {instance_id}",
        f"Account:       {event.get('account', '?')}",
        f"Region:        {event.get('region', '?')}",
        "",
    ]
    if state is None:
        lines.append("Patch state:   none reported (not managed by SSM or never scanned)")
    else:
        lines += [
            f"Patch state:   {state.get('Operation', '?')} at {_when(state.get('OperationEndTime'))}"
            f" (patch group {state.get('PatchGroup') or '-'})",
            f"  missing {state.get('MissingCount', 0)}, failed {state.get('FailedCount', 0)}, "
            f"pending reboot {state.get('InstalledPendingRebootCount', 0)}, "
            f"critical non-compliant {state.get('CriticalNonCompliantCount', 0)}, "
            f"security non-compliant {state.get('SecurityNonCompliantCount', 0)}",
        ]
    if window is None:
        lines.append("Next window:   none targets this instance (patch it by hand or tag it)")
    else:
        lines.append(
            f"Next window:   {window.get('Name', window.get('WindowId'))} at "
            f"{_when(window.get('NextExecutionTime'))}"
        )
    return subject, "\n".join(lines)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Publish the joined notice for one Inspector finding on an EC2 instance."""
    detail = event.get("detail", {})
    resource = (detail.get("resources") or [{}])[0]
    if resource.get("type") != "AWS_EC2_INSTANCE" or not resource.get("id"):
        return {"published": False, "reason": "not an EC2 instance finding"}
    region = resource.get("region") or event.get("region")
    instance_id = resource["id"]
    ssm = boto3.client("ssm", region_name=region)
    ec2 = boto3.client("ec2", region_name=region)
    state = patch_state(ssm, instance_id)
    window = next_window(ssm, ec2, instance_id)
    subject, body = notice(event, state, window)
    topic_arn = os.environ["TOPIC_ARN"]
    boto3.client("sns", region_name=topic_arn.split(":")[3]).publish(
        TopicArn=topic_arn, Subject=subject, Message=body
    )
    print(
        json.dumps(
            {"instance": instance_id, "patch_state": state is not None, "window": bool(window)}
        )
    )
    return {"published": True, "instance": instance_id}
