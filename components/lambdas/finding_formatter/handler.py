"""Turn a security event from EventBridge into a message a person can read, and publish it.

Handles GuardDuty findings, Security Hub ``Findings - Imported`` events (one message per
finding), IAM Access Analyzer findings and console sign-ins. Publishes to ``TOPIC_ARN`` with a
per-protocol body: plain text for e-mail and queues, and AWS Chatbot's custom-notification JSON
for Slack (https). Uses boto3 only.

Invoked by the daily schedule (an ``aws.events`` ``Scheduled Event``), it drains the digest
queue ``DIGEST_QUEUE_URL`` (MEDIUM and LOW findings routed there by EventBridge) and publishes
one digest to ``DIGEST_TOPIC_ARN``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import boto3

SUBJECT_LIMIT = 100  # SNS rejects longer subjects
DIGEST_LIMIT = 200_000  # characters of digest text; SNS messages stop at 256 KB
DIGEST_MAX_MESSAGES = 5000  # per run; the rest waits for the next digest


@dataclass(frozen=True)
class Notice:
    """What a person needs to triage one finding."""

    title: str
    severity: str
    account: str
    region: str
    resource: str
    console_url: str
    source: str
    detail: str = ""

    def subject(self) -> str:
        """E-mail subject: ASCII-safe, single line, at most 100 characters."""
        text = f"[{self.severity}] {self.source}: {self.title}"
        text = " ".join(text.split())
        # SNS rejects subjects with non-ASCII or control characters: each becomes "?".
        text = text.encode("ascii", "replace").decode("ascii")
        text = "".join(c if c.isprintable() else "?" for c in text)
        return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."

    def text(self) -> str:
        """The plain-text body."""
        lines = [
            self.title,
            "",
            f"Severity: {self.severity}",
            f"Source:   {self.source}",
            f"Account:  {self.account}",
            f"Region:   {self.region}",
            f"Resource: {self.resource}",
        ]
        if self.detail:
            lines += ["", self.detail]
        lines += ["", f"Open in the console: {self.console_url}"]
        return "\n".join(lines)

    def chatbot(self) -> str:
        """AWS Chatbot custom notification (Slack)."""
        return json.dumps(
            {
                "version": "1.0",
                "source": "custom",
                "content": {
                    "textType": "client-markdown",
                    "title": f"[{self.severity}] {self.title}",
                    "description": (
                        f"*{self.source}* in account `{self.account}`, region `{self.region}`\n"
                        f"Resource: `{self.resource}`\n<{self.console_url}|Open in the console>"
                    ),
                },
            }
        )


def guardduty_label(score: float) -> str:
    """GuardDuty's severity bands: 1-3.9 low, 4-6.9 medium, 7-8.9 high, 9-10 critical."""
    if score >= 9:
        return "CRITICAL"
    if score >= 7:
        return "HIGH"
    if score >= 4:
        return "MEDIUM"
    return "LOW"


def _guardduty(event: dict[str, Any]) -> list[Notice]:
    detail = event["detail"]
    region = detail.get("region") or event.get("region", "")
    resource = detail.get("resource", {})
    resource_type = resource.get("resourceType", "Unknown")
    instance = resource.get("instanceDetails", {}).get("instanceId")
    access_key = resource.get("accessKeyDetails", {}).get("userName")
    buckets: list[dict[str, Any]] = resource.get("s3BucketDetails") or [{}]
    bucket = buckets[0].get("name")
    what = instance or access_key or bucket or ""
    score = float(detail.get("severity", 0))
    url = (
        f"https://{region}.console.aws.amazon.com/guardduty/home?region={region}"
        f"#/findings?macros=current&fId={quote(str(detail.get('id', '')))}"
    )
    return [
        Notice(
            title=str(detail.get("title") or detail.get("type", "GuardDuty finding")),
            severity=f"{guardduty_label(score)} ({score:g})",
            account=str(detail.get("accountId") or event.get("account", "")),
            region=region,
            resource=f"{resource_type} {what}".strip(),
            console_url=url,
            source=f"GuardDuty {detail.get('type', '')}".strip(),
            detail=str(detail.get("description", "")),
        )
    ]


def _security_hub(event: dict[str, Any]) -> list[Notice]:
    home = event.get("region", "")
    notices = []
    for finding in event["detail"].get("findings", []):
        resources = finding.get("Resources") or [{}]
        first = resources[0]
        finding_id = str(finding.get("Id", ""))
        # Aggregated findings are viewed in the aggregation (home) region, where the event is.
        url = (
            f"https://{home}.console.aws.amazon.com/securityhub/home?region={home}"
            f"#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A"
            f"{quote(quote(finding_id, safe=''), safe='')}"
        )
        control = finding.get("Compliance", {}).get("SecurityControlId")
        notices.append(
            Notice(
                title=str(finding.get("Title", "Security Hub finding")),
                severity=str(finding.get("Severity", {}).get("Label", "UNKNOWN")),
                account=str(finding.get("AwsAccountId") or event.get("account", "")),
                region=str(finding.get("Region") or home),
                resource=f"{first.get('Type', 'Unknown')} {first.get('Id', '')}".strip(),
                console_url=url,
                source=f"Security Hub {control or finding.get('ProductName', '')}".strip(),
                detail=str(finding.get("Description", "")),
            )
        )
    return notices


def _access_analyzer(event: dict[str, Any]) -> list[Notice]:
    detail = event["detail"]
    region = detail.get("region") or event.get("region", "")
    principal = json.dumps(detail.get("principal", {}), sort_keys=True)
    public = " (public)" if detail.get("isPublic") else ""
    return [
        Notice(
            title=f"{detail.get('resourceType', 'Resource')} is shared outside the account{public}",
            severity="HIGH" if detail.get("isPublic") else "MEDIUM",
            account=str(detail.get("accountId") or event.get("account", "")),
            region=region,
            resource=str(detail.get("resource", "")),
            console_url=(
                f"https://{region}.console.aws.amazon.com/access-analyzer/home?region={region}"
                "#/findings"
            ),
            source="IAM Access Analyzer",
            detail=f"Principal: {principal}\nActions: {', '.join(detail.get('action', []))}",
        )
    ]


def _sign_in(event: dict[str, Any]) -> list[Notice]:
    detail = event["detail"]
    region = event.get("region", "")
    result = detail.get("responseElements", {}).get("ConsoleLogin", "")
    mfa = detail.get("additionalEventData", {}).get("MFAUsed", "unknown")
    return [
        Notice(
            title=f"Root user console sign-in ({result or 'unknown result'})",
            severity="CRITICAL" if result == "Success" else "HIGH",
            account=str(detail.get("recipientAccountId") or event.get("account", "")),
            region=region,
            resource=str(detail.get("userIdentity", {}).get("arn", "root")),
            console_url=(
                f"https://{region}.console.aws.amazon.com/cloudtrail/home?region={region}"
                f"#/events/{quote(str(detail.get('eventID', '')))}"
            ),
            source="Sign-in",
            detail=f"From {detail.get('sourceIPAddress', 'unknown')}, MFA used: {mfa}",
        )
    ]


FORMATTERS = {
    "aws.guardduty": _guardduty,
    "aws.securityhub": _security_hub,
    "aws.access-analyzer": _access_analyzer,
    "aws.signin": _sign_in,
}


def notices(event: dict[str, Any]) -> list[Notice]:
    """The notices for one EventBridge event (a generic one for unknown sources)."""
    formatter = FORMATTERS.get(str(event.get("source", "")))
    if formatter is not None:
        return formatter(event)
    region = str(event.get("region", ""))
    return [
        Notice(
            title=str(event.get("detail-type", "Security event")),
            severity="UNKNOWN",
            account=str(event.get("account", "")),
            region=region,
            resource=", ".join(event.get("resources", [])) or "-",
            console_url=f"https://{region}.console.aws.amazon.com/events/home?region={region}",
            source=str(event.get("source", "unknown")),
            detail=json.dumps(event.get("detail", {}), indent=2, sort_keys=True)[:2000],
        )
    ]


def publish(event: dict[str, Any], topic_arn: str, sns: Any = None) -> list[str]:
    """Publish one message per notice; returns the SNS message ids."""
    client = sns or boto3.client("sns")
    ids = []
    for notice in notices(event):
        text = notice.text()
        response = client.publish(
            TopicArn=topic_arn,
            Subject=notice.subject(),
            MessageStructure="json",
            Message=json.dumps({"default": text, "email": text, "https": notice.chatbot()}),
        )
        ids.append(str(response["MessageId"]))
    return ids


def is_schedule(event: dict[str, Any]) -> bool:
    """The daily digest's trigger (an EventBridge schedule)."""
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def digest_line(notice: Notice) -> str:
    """One finding in the digest."""
    return (
        f"- [{notice.severity}] {notice.source}: {notice.title}\n"
        f"  account {notice.account}, {notice.region}, {notice.resource}\n"
        f"  {notice.console_url}"
    )


def send_digest(queue_url: str, topic_arn: str, sqs: Any = None, sns: Any = None) -> dict[str, Any]:
    """Drain the digest queue into one message on the low-priority topic; the queue's
    messages are deleted only after the digest was published."""
    sqs = sqs or boto3.client("sqs")
    sns = sns or boto3.client("sns")
    received: list[dict[str, Any]] = []
    while len(received) < DIGEST_MAX_MESSAGES:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not batch:
            break
        received += batch
    lines: list[str] = []
    for message in received:
        try:
            event = json.loads(message["Body"])
            lines += [digest_line(n) for n in notices(event)]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            lines.append(f"- (unreadable event {message.get('MessageId')}: {error})")
    if not received:
        return {"digest": 0, "messageId": None}
    text = "\n".join(lines)
    if len(text) > DIGEST_LIMIT:
        text = text[:DIGEST_LIMIT] + "\n... (truncated: see Security Hub and GuardDuty)"
    count = len(lines)
    body = (
        f"{count} security finding(s) below the paging threshold since the last digest.\n"
        "Review them this week; docs/incident-response.md says what each source means.\n\n" + text
    )
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=f"[secbaseline] Security digest: {count} finding(s)"[:SUBJECT_LIMIT],
        Message=body,
    )
    for start in range(0, len(received), 10):
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(received[start : start + 10])
            ],
        )
    return {"digest": count, "messageId": str(response["MessageId"])}


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point."""
    del context
    if is_schedule(event):
        return send_digest(os.environ["DIGEST_QUEUE_URL"], os.environ["DIGEST_TOPIC_ARN"])
    ids = publish(event, os.environ["TOPIC_ARN"])
    return {"published": len(ids), "messageIds": ids}
