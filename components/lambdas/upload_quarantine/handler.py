"""Act on a GuardDuty Malware Protection for S3 scan result (checklist S-12, S-31).

Invoked by EventBridge with a ``GuardDuty Malware Protection Object Scan Result`` event for one
protected bucket (the rule leaves out NO_THREATS_FOUND). For THREATS_FOUND, when
``QUARANTINE_BUCKET`` is set, the scanned object version is copied (with its tags) to
``<quarantine bucket>/<source bucket>/<key>`` and then deleted from the upload bucket, so
nobody downloads it; the version is deleted by id, so no older copy is left readable. Every
result (threats, and scans that could not complete: UNSUPPORTED, ACCESS_DENIED, FAILED) is
published to ``TOPIC_ARN`` when set. Uses boto3 only.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

SUBJECT_LIMIT = 100
THREATS_FOUND = "THREATS_FOUND"


def _topic_region(topic_arn: str) -> str:
    return topic_arn.split(":")[3]


def quarantine(s3: Any, bucket: str, key: str, version: str | None, quarantine_bucket: str) -> str:
    """Move one object version to the quarantine bucket; the quarantine key."""
    target = f"{bucket}/{key}"
    source: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version and version != "null":
        source["VersionId"] = version
    s3.copy_object(
        Bucket=quarantine_bucket,
        Key=target,
        CopySource=source,
        MetadataDirective="COPY",
        TaggingDirective="COPY",
    )
    delete: dict[str, str] = {"Bucket": bucket, "Key": key}
    if "VersionId" in source:
        delete["VersionId"] = source["VersionId"]
    s3.delete_object(**delete)
    return target


def message(detail: dict[str, Any], account: str, region: str, action: str) -> tuple[str, str]:
    """(subject, body) of the notice for one scan result."""
    obj = detail.get("s3ObjectDetails", {})
    result = detail.get("scanResultDetails", {})
    status = str(result.get("scanResultStatus", "UNKNOWN"))
    threats = [str(t.get("name", "?")) for t in result.get("threats") or []]
    where = f"s3://{obj.get('bucketName', '?')}/{obj.get('objectKey', '?')}"
    subject = f"[S3 malware scan] {status}: {where}"
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 3] + "..."
    subject = subject.encode("ascii", "replace").decode("ascii")
    lines = [
        f"GuardDuty Malware Protection scanned {where}",
        "",
        f"Result:   {status}",
        f"Threats:  {', '.join(threats) or '-'}",
        f"Version:  {obj.get('versionId') or '-'}",
        f"Account:  {account}",
        f"Region:   {region}",
        f"Action:   {action}",
    ]
    return subject, "\n".join(lines)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Quarantine a positive scan and notify people of every result that needs a look."""
    detail = event.get("detail") or {}
    obj = detail.get("s3ObjectDetails") or {}
    status = (detail.get("scanResultDetails") or {}).get("scanResultStatus")
    bucket, key = obj.get("bucketName"), obj.get("objectKey")
    quarantine_bucket = os.environ.get("QUARANTINE_BUCKET", "")
    topic_arn = os.environ.get("TOPIC_ARN", "")
    action = "none (scan did not find a threat; review why it could not complete)"
    moved_to = None
    if status == THREATS_FOUND and bucket and key:
        if quarantine_bucket:
            try:
                moved_to = quarantine(
                    boto3.client("s3"), bucket, key, obj.get("versionId"), quarantine_bucket
                )
                action = f"moved to s3://{quarantine_bucket}/{moved_to}"
            except Exception as error:  # still tell people, then fail so EventBridge retries
                action = f"quarantine FAILED ({error}); the object is still in the bucket"
                _notify(topic_arn, detail, event, action)
                raise
        else:
            action = "not quarantined (no quarantine bucket); the object is tagged THREATS_FOUND"
    published = _notify(topic_arn, detail, event, action)
    print(json.dumps({"status": status, "moved_to": moved_to, "published": published}))
    return {"status": status, "moved_to": moved_to, "published": published}


def _notify(topic_arn: str, detail: dict[str, Any], event: dict[str, Any], action: str) -> bool:
    if not topic_arn:
        return False
    subject, body = message(
        detail, str(event.get("account", "?")), str(event.get("region", "?")), action
    )
    sns = boto3.client("sns", region_name=_topic_region(topic_arn))
    sns.publish(TopicArn=topic_arn, Subject=subject, Message=body)
    return True
