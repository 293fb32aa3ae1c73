"""SessionManagerPreferences (S-01): encrypted, logged sessions per region."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components import SessionManagerPreferences, SessionManagerPreferencesArgs

REGIONS = ("ap-northeast-1", "us-east-1")
DOCUMENT = "aws:ssm/document:Document"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        SessionManagerPreferences(
            "sm", SessionManagerPreferencesArgs(**{"regions": REGIONS, **kwargs})
        )

    return run_program(program)


def test_defaults_per_region(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    keys = {k.inputs["region"]: k for k in plan.of_type("aws:kms/key:Key")}
    groups = {g.inputs["region"]: g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    documents = {d.inputs["region"]: d for d in plan.of_type(DOCUMENT)}
    assert sorted(keys) == sorted(groups) == sorted(documents) == list(REGIONS)
    for region in REGIONS:
        key = keys[region]
        assert key.inputs["enableKeyRotation"] is True
        statements = json.loads(key.inputs["policy"])["Statement"]
        assert {"Service": f"logs.{region}.amazonaws.com"} in [s["Principal"] for s in statements]
        group = groups[region]
        assert group.inputs["name"] == "/secbaseline/session-manager"
        assert group.inputs["kmsKeyId"] == key.outputs["arn"]
        assert group.inputs["retentionInDays"] == 365
        document = documents[region]
        assert document.inputs["name"] == "SSM-SessionManagerRunShell"
        assert document.inputs["documentType"] == "Session"
        assert document.inputs["documentFormat"] == "JSON"
        content = json.loads(document.inputs["content"])
        assert content["schemaVersion"] == "1.0"
        assert content["sessionType"] == "Standard_Stream"
        assert content["inputs"] == {
            "s3BucketName": "",
            "s3KeyPrefix": "",
            "s3EncryptionEnabled": True,
            "cloudWatchLogGroupName": "/secbaseline/session-manager",
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": True,
            "idleSessionTimeout": "20",
            "maxSessionDuration": "",
            "kmsKeyId": key.outputs["keyId"],
            "runAsEnabled": False,
            "runAsDefaultUser": "",
            "shellProfile": {"linux": "", "windows": ""},
        }


def test_options(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        regions=("eu-west-1",),
        idle_timeout_minutes=10,
        max_session_minutes=120,
        log_retention_days=90,
        s3_bucket_name="session-logs",
        s3_key_prefix="ssm/",
        cloudwatch_streaming=False,
        run_as_enabled=True,
        run_as_default_user="ops",
        linux_shell_profile="exec bash",
        name_prefix="acme",
    )
    document = plan.one(DOCUMENT)
    inputs = json.loads(document.inputs["content"])["inputs"]
    assert inputs["s3BucketName"] == "session-logs"
    assert inputs["s3KeyPrefix"] == "ssm/"
    assert inputs["s3EncryptionEnabled"] is True
    assert inputs["cloudWatchStreamingEnabled"] is False
    assert inputs["cloudWatchLogGroupName"] == "/acme/session-manager"
    assert (inputs["idleSessionTimeout"], inputs["maxSessionDuration"]) == ("10", "120")
    assert (inputs["runAsEnabled"], inputs["runAsDefaultUser"]) == (True, "ops")
    assert inputs["shellProfile"]["linux"] == "exec bash"
    assert plan.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 90
    assert plan.one("aws:kms/alias:Alias").inputs["name"] == "alias/acme-session-manager"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ()}, "sessionManager.regions: must name at least one region"),
        (
            {"idle_timeout_minutes": 61},
            "sessionManager.idleTimeoutMinutes: 61 is out of range 1-60",
        ),
        ({"max_session_minutes": 0}, "sessionManager.maxSessionMinutes: 0 is out of range 1-1440"),
        ({"log_retention_days": 2}, "sessionManager.logRetentionDays: 2 is not a CloudWatch"),
        (
            {"s3_bucket_name": "a..b"},
            "sessionManager.s3BucketName: 'a..b' is not a valid S3 bucket name",
        ),
        ({"cloudwatch_streaming": 1}, "sessionManager.cloudWatchStreaming: expected true or false"),
        ({"run_as_default_user": "ops"}, "sessionManager.runAsDefaultUser: only applies with"),
        (
            {"run_as_enabled": True, "run_as_default_user": "Root User"},
            "sessionManager.runAsDefaultUser: 'Root User' is not a Linux user name",
        ),
    ],
)
def test_bad_args_raise_naming_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        SessionManagerPreferencesArgs(**{"regions": REGIONS, **kwargs}).validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = SessionManagerPreferencesArgs.from_config({"idleTimeoutMinutes": 5}, ("us-east-1",))
    assert (args.regions, args.idle_timeout_minutes) == (("us-east-1",), 5)
    args = SessionManagerPreferencesArgs.from_config(
        {"regions": ["eu-west-1", "us-east-1"]}, ("us-east-1",)
    )
    assert args.regions == ("eu-west-1", "us-east-1")
    with pytest.raises(ValueError, match=r"^sessionManager.logLevel: unknown option"):
        SessionManagerPreferencesArgs.from_config({"logLevel": 1}, ("us-east-1",))
    with pytest.raises(ValueError, match=r"^sessionManager.regions: expected a list"):
        SessionManagerPreferencesArgs.from_config({"regions": "us-east-1"}, ("us-east-1",))
