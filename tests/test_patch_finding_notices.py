"""PatchFindingNotices (S-13): Inspector EC2 findings joined with patch state and next window."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components.lambdas.finding_patch_context import handler
from secbaseline.components.patch_finding_notices import (
    PatchFindingNotices,
    PatchFindingNoticesArgs,
)
from tests.event_routes import matches, reaches_topic
from tests.tagging import untagged

REGIONS = ("ap-northeast-1", "eu-west-1", "us-east-1")
HOME = "ap-northeast-1"
TOPIC = "arn:aws:sns:ap-northeast-1:111111111111:security-notifications"


def finding(region: str, instance: str = "i-0123456789abcdef0", severity: str = "HIGH") -> Any:
    """A documented ``Inspector2 Finding`` event for a package vulnerability on an instance."""
    return {
        "version": "0",
        "id": "1",
        "detail-type": "Inspector2 Finding",
        "source": "aws.inspector2",
        "account": "111111111111",
        "time": "2026-12-01T03:00:00Z",
        "region": region,
        "resources": [f"arn:aws:ec2:{region}:111111111111:instance/{instance}"],
        "detail": {
            "awsAccountId": "111111111111",
            "severity": severity,
            "status": "ACTIVE",
            "title": "CVE-2024-6387 - openssh",
            "type": "PACKAGE_VULNERABILITY",
            "packageVulnerabilityDetails": {
                "vulnerabilityId": "CVE-2024-6387",
                "vulnerablePackages": [
                    {"name": "openssh", "version": "8.7p1", "fixedInVersion": "8.7p1-38"}
                ],
            },
            "resources": [{"id": instance, "type": "AWS_EC2_INSTANCE", "region": region}],
        },
    }


def test_findings_from_every_region_reach_the_function(run_program: Callable[..., Plan]) -> None:
    args = PatchFindingNoticesArgs(
        regions=REGIONS, home_region=HOME, notification_topic_arn=TOPIC, tags={"team": "ops"}
    )
    plan = run_program(lambda: PatchFindingNotices("notices", args))
    function = plan.one("aws:lambda/function:Function")
    assert plan.region_of(function) == HOME
    assert function.inputs["environment"]["variables"] == {"TOPIC_ARN": TOPIC}
    for region in REGIONS:
        # reaches_topic follows a function whose TOPIC_ARN is the topic.
        assert reaches_topic(plan, finding(region), TOPIC), region
        assert reaches_topic(plan, finding(region, severity="LOW"), TOPIC) == []
    home_rule = next(
        r for r in plan.of_type("aws:cloudwatch/eventRule:EventRule") if plan.region_of(r) == HOME
    )
    lambda_finding = finding(HOME)
    lambda_finding["detail"]["resources"][0]["type"] = "AWS_LAMBDA_FUNCTION"
    assert not matches(json.loads(home_rule.inputs["eventPattern"]), lambda_finding)
    policy = next(
        p
        for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if "PublishNotices" in p.inputs["policy"]
    )
    granted = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert granted["PublishNotices"]["Resource"] == TOPIC
    assert granted["ReadPatchStateAndWindows"]["Action"] == [
        "ssm:DescribeInstancePatchStates",
        "ssm:DescribeMaintenanceWindows",
        "ssm:DescribeMaintenanceWindowTargets",
        "ec2:DescribeTags",
    ]
    assert untagged(plan, {"team": "ops"}) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"home_region": "us-west-2"}, "home_region: us-west-2 is not one of the regions"),
        ({"severities": []}, "severities: name at least one severity"),
        ({"severities": ["SEVERE"]}, "severities[0]: 'SEVERE' is not one of CRITICAL"),
        ({"notification_topic_arn": "arn:aws:s3:::b"}, "notification_topic_arn: "),
    ],
)
def test_bad_args_name_the_argument(kwargs: dict[str, Any], message: str) -> None:
    values = {
        "regions": REGIONS,
        "home_region": HOME,
        "notification_topic_arn": TOPIC,
        **kwargs,
    }
    with pytest.raises(ArgumentError) as err:
        PatchFindingNoticesArgs(**values)
    assert str(err.value).startswith(message)


# --- the function ---------------------------------------------------------------------------


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        ssm = boto3.client("ssm", region_name="eu-west-1")
        yield ec2, ssm


def _window(ssm: Any, name: str, targets: list[dict[str, Any]]) -> str:
    window_id: str = ssm.create_maintenance_window(
        Name=name,
        Schedule="cron(0 4 ? * SUN *)",
        Duration=3,
        Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]
    ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", Targets=targets
    )
    return window_id


def test_next_window_matches_by_tag_or_instance_id(account: Any) -> None:
    ec2, ssm = account
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Patch Group", "Value": "prod"}]}
        ],
    )["Instances"][0]["InstanceId"]
    _window(ssm, "other-group", [{"Key": "tag:Patch Group", "Values": ["dev"]}])
    assert handler.next_window(ssm, ec2, instance) is None
    tagged = _window(ssm, "prod-install", [{"Key": "tag:Patch Group", "Values": ["prod"]}])
    assert handler.next_window(ssm, ec2, instance)["WindowId"] == tagged
    by_id = _window(ssm, "by-id", [{"Key": "InstanceIds", "Values": [instance]}])
    found = {
        w["WindowId"]
        for w in ssm.describe_maintenance_windows()["WindowIdentities"]
        if handler._targets_instance(
            ssm.describe_maintenance_window_targets(WindowId=w["WindowId"])["Targets"][0][
                "Targets"
            ],
            instance,
            {"Patch Group": "prod"},
        )
    }
    assert found == {tagged, by_id}


def test_the_next_window_is_the_earliest() -> None:
    ssm = boto3.client("ssm", region_name="eu-west-1")
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    with Stubber(ssm) as s, Stubber(ec2) as e:
        e.add_response("describe_tags", {"Tags": []})
        s.add_response(
            "describe_maintenance_windows",
            {
                "WindowIdentities": [
                    {
                        "WindowId": "mw-0000000000000000a",
                        "Name": "later",
                        "NextExecutionTime": "2026-12-13T04:00Z",
                    },
                    {
                        "WindowId": "mw-0000000000000000b",
                        "Name": "sooner",
                        "NextExecutionTime": "2026-12-06T04:00Z",
                    },
                ]
            },
        )
        for _ in range(2):
            s.add_response(
                "describe_maintenance_window_targets",
                {
                    "Targets": [
                        {
                            "ResourceType": "INSTANCE",
                            "Targets": [{"Key": "InstanceIds", "Values": ["i-1"]}],
                        }
                    ]
                },
            )
        assert handler.next_window(ssm, ec2, "i-1")["Name"] == "sooner"


def test_notice_joins_finding_patch_state_and_window() -> None:
    state = {
        "InstanceId": "i-0123456789abcdef0",
        "PatchGroup": "prod",
        "BaselineId": "pb-0123456789abcdef0",
        "Operation": "Scan",
        "OperationStartTime": datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
        "OperationEndTime": datetime(2026, 12, 1, 3, 5, tzinfo=UTC),
        "MissingCount": 4,
        "FailedCount": 0,
        "InstalledPendingRebootCount": 1,
        "CriticalNonCompliantCount": 2,
        "SecurityNonCompliantCount": 3,
    }
    ssm = boto3.client("ssm", region_name="eu-west-1")
    with Stubber(ssm) as s:
        s.add_response(
            "describe_instance_patch_states",
            {"InstancePatchStates": [state]},
            {"InstanceIds": ["i-0123456789abcdef0"]},
        )
        got = handler.patch_state(ssm, "i-0123456789abcdef0")
    window = {
        "WindowId": "mw-1",
        "Name": "secbaseline-patch-install",
        "NextExecutionTime": "2026-12-06T04:00Z",
    }
    subject, body = handler.notice(finding("eu-west-1"), got, window)
    assert subject == "[HIGH] Inspector: CVE-2024-6387 - openssh on i-0123456789abcdef0"
    assert "Vulnerability: CVE-2024-6387" in body
    assert "Fixed in:      openssh 8.7p1-38" in body
    assert "Patch state:   Scan at 2026-12-01T03:05:00+00:00 (patch group prod)" in body
    assert "missing 4, failed 0, pending reboot 1, critical non-compliant 2" in body
    assert "Next window:   secbaseline-patch-install at 2026-12-06T04:00Z" in body
    _, bare = handler.notice(finding("eu-west-1"), None, None)
    assert "Patch state:   none reported (not managed by SSM or never scanned)" in bare
    assert "Next window:   none targets this instance" in bare


def test_handler_publishes_and_skips_other_resources(
    account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sns = boto3.client("sns", region_name=HOME)
    sqs = boto3.client("sqs", region_name=HOME)
    topic = sns.create_topic(Name="security-notifications")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("TOPIC_ARN", topic)
    # moto has no DescribeInstancePatchStates: the instance reads as never scanned.
    monkeypatch.setattr(handler, "patch_state", lambda ssm, instance: None)
    assert handler.handler(finding("eu-west-1"), None) == {
        "published": True,
        "instance": "i-0123456789abcdef0",
    }
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert "CVE-2024-6387" in json.loads(message["Body"])["Subject"]
    other = finding("eu-west-1")
    other["detail"]["resources"][0]["type"] = "AWS_ECR_CONTAINER_IMAGE"
    assert handler.handler(other, None)["published"] is False
