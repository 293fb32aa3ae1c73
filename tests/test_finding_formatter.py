"""The finding formatter Lambda, against documented event shapes, with moto's SNS and SQS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from secbaseline.components.lambdas.finding_formatter import handler

FIXTURES = Path(__file__).parent / "fixtures" / "events"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def published(event: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Run the handler against a moto topic and return what an SQS subscriber received."""
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic_arn = sns.create_topic(Name="security-notifications")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("TOPIC_ARN", topic_arn)
        result = handler.handler(event, None)
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert result["published"] == len(messages)
    return [json.loads(m["Body"]) for m in messages]


def test_guardduty_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    [message] = published(load("guardduty_finding"), monkeypatch)
    assert message["Subject"].startswith(
        "[HIGH (8)] GuardDuty CryptoCurrency:EC2/BitcoinTool.B!DNS: Bitcoin-related domain name"
    )
    assert len(message["Subject"]) == 100 and message["Subject"].endswith("...")
    body = message["Message"]
    assert body.startswith("Bitcoin-related domain name queried by EC2 instance i-99999999.")
    assert "Severity: HIGH (8)" in body
    assert "Account:  111111111111" in body
    assert "Region:   eu-west-1" in body
    assert "Resource: Instance i-99999999" in body
    assert (
        "https://eu-west-1.console.aws.amazon.com/guardduty/home?region=eu-west-1"
        "#/findings?macros=current&fId=16afba5c5c43e07c9e3e5e2e544e95df" in body
    )


def test_subject_is_ascii_and_at_most_100_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    event = load("guardduty_finding")
    event["detail"]["title"] = (
        "Zugriff verweigert \u2013 \u6771\u4eac\u30ea\u30fc\u30b8\u30e7\u30f3 \x07 caf\u00e9"
    )
    [message] = published(event, monkeypatch)
    subject = message["Subject"]
    assert subject == (
        "[HIGH (8)] GuardDuty CryptoCurrency:EC2/BitcoinTool.B!DNS: "
        "Zugriff verweigert ? ??????? ? caf?"
    )
    assert subject.isascii() and subject.isprintable()
    event["detail"]["title"] = "\u00fc" * 300
    [message] = published(event, monkeypatch)
    subject = message["Subject"]
    assert subject.isascii() and len(subject) == 100 and subject.endswith("?...")


def test_security_hub_findings_one_message_each(monkeypatch: pytest.MonkeyPatch) -> None:
    messages = published(load("securityhub_findings_imported"), monkeypatch)
    bodies = sorted(m["Message"] for m in messages)
    assert len(bodies) == 2
    s3 = next(b for b in bodies if "S3.8" in b)
    assert "Severity: HIGH" in s3
    assert "Region:   us-east-1" in s3  # where the finding was raised
    assert "Resource: AwsS3Bucket arn:aws:s3:::example-public-bucket" in s3
    # Aggregated findings open in the aggregation (home) region's console.
    assert "https://ap-northeast-1.console.aws.amazon.com/securityhub/home" in s3
    ec2 = next(b for b in bodies if "EC2.19" in b)
    assert "Severity: CRITICAL" in ec2 and "Region:   eu-west-1" in ec2


def test_access_analyzer_and_root_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    [shared] = published(load("access_analyzer_finding"), monkeypatch)
    assert shared["Subject"] == (
        "[MEDIUM] IAM Access Analyzer: AWS::S3::Bucket is shared outside the account"
    )
    assert 'Principal: {"AWS": "999999999999"}' in shared["Message"]
    [root] = published(load("root_console_signin"), monkeypatch)
    assert root["Subject"] == "[CRITICAL] Sign-in: Root user console sign-in (Success)"
    assert "From 203.0.113.10, MFA used: Yes" in root["Message"]
    assert "/cloudtrail/home?region=us-east-1#/events/7a4b8a29" in root["Message"]


def test_unknown_source_still_notifies(monkeypatch: pytest.MonkeyPatch) -> None:
    event = {
        "source": "aws.inspector2",
        "detail-type": "Inspector2 Finding",
        "account": "111111111111",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:111111111111:instance/i-1"],
        "detail": {"severity": "HIGH"},
    }
    [message] = published(event, monkeypatch)
    assert message["Subject"] == "[UNKNOWN] aws.inspector2: Inspector2 Finding"
    assert "instance/i-1" in message["Message"]


def test_per_protocol_bodies_for_email_and_slack() -> None:
    calls: list[dict[str, Any]] = []

    class RecordingSns:
        def publish(self, **kwargs: Any) -> dict[str, str]:
            calls.append(kwargs)
            return {"MessageId": "m-1"}

    ids = handler.publish(load("guardduty_finding"), "arn:aws:sns:us-east-1:1:t", RecordingSns())
    assert ids == ["m-1"]
    assert calls[0]["MessageStructure"] == "json"
    bodies = json.loads(calls[0]["Message"])
    assert bodies["email"] == bodies["default"]
    chatbot = json.loads(bodies["https"])
    assert chatbot["version"] == "1.0" and chatbot["source"] == "custom"
    assert chatbot["content"]["title"].startswith("[HIGH (8)] Bitcoin-related")


@pytest.mark.parametrize(
    ("score", "label"), [(0.5, "LOW"), (3.9, "LOW"), (4, "MEDIUM"), (7, "HIGH"), (9.2, "CRITICAL")]
)
def test_guardduty_bands(score: float, label: str) -> None:
    assert handler.guardduty_label(score) == label


def test_daily_digest_drains_the_queue_into_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """MEDIUM and LOW findings wait in the digest queue; the schedule sends one digest to the
    low-priority topic and empties the queue only after publishing."""
    samples = json.loads((FIXTURES / "by_severity.json").read_text())
    low = [
        s["event"]
        for s in samples
        if s["name"] in {"guardduty-medium", "guardduty-low", "securityhub-low"}
    ]
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        digest_topic = sns.create_topic(Name="security-digest")["TopicArn"]
        digest_queue = sqs.create_queue(QueueName="security-digest")["QueueUrl"]
        inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=digest_topic, Protocol="sqs", Endpoint=inbox_arn)
        for event in low:  # what EventBridge's SQS target delivers: the event as JSON
            sqs.send_message(QueueUrl=digest_queue, MessageBody=json.dumps(event))
        monkeypatch.setenv("DIGEST_QUEUE_URL", digest_queue)
        monkeypatch.setenv("DIGEST_TOPIC_ARN", digest_topic)
        monkeypatch.setenv("TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:unused")
        schedule = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        result = handler.handler(schedule, None)
        (message,) = [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
        ]
        left = sqs.receive_message(QueueUrl=digest_queue, MaxNumberOfMessages=10)
        empty = handler.handler(schedule, None)
    assert result["digest"] == 3
    assert message["Subject"] == "[secbaseline] Security digest: 3 finding(s)"
    body = message["Message"]
    assert "3 security finding(s) below the paging threshold" in body
    assert "[MEDIUM (5)] GuardDuty Recon:EC2/PortProbeUnprotectedPort" in body
    assert "[LOW (2)] GuardDuty UnauthorizedAccess:EC2/SSHBruteForce" in body
    assert "[LOW] Security Hub S3.8" in body
    assert "Messages" not in left  # deleted after publishing
    assert empty == {"digest": 0, "messageId": None}  # nothing to say: no message
