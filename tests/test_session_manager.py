"""SessionManagerPreferences (S-01): encrypted, logged sessions per region."""

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline import iam
from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan
from secbaseline.components import SessionManagerPreferences, SessionManagerPreferencesArgs

REGIONS = ("ap-northeast-1", "us-east-1")
ONE = {"regions": ["us-east-1"]}
KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/0b5e2f4c-1111-2222-3333-444455556666"
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
        cloud_watch_streaming=False,
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
        ({"regions": ()}, "regions: must name at least one region"),
        ({"regions": ("moon-1",)}, "regions: unknown AWS region 'moon-1'"),
        ({"idle_timeout_minutes": 61}, "idle_timeout_minutes: 61 is out of range 1-60"),
        ({"max_session_minutes": 0}, "max_session_minutes: 0 is out of range 1-1440"),
        ({"log_retention_days": 2}, "log_retention_days: 2 is not a CloudWatch"),
        ({"s3_bucket_name": "a..b"}, "s3_bucket_name: 'a..b' is not a valid S3 bucket name"),
        ({"cloud_watch_streaming": "maybe"}, "cloud_watch_streaming: expected a valid boolean"),
        (
            {"run_as_default_user": "ops"},
            "run_as_default_user: only applies with run_as_enabled: true",
        ),
        (
            {"run_as_enabled": True, "run_as_default_user": "Root User"},
            "run_as_default_user: 'Root User' is not a Linux user name",
        ),
        ({"kms_key_arn": "arn:aws:s3:::bucket"}, "kms_key_arn: 'arn:aws:s3:::bucket' is not an"),
        ({"kms_key_arn": KEY_ARN}, "kms_key_arn: a KMS key is regional"),
        (
            {"regions": ("eu-west-1",), "kms_key_arn": KEY_ARN},
            "kms_key_arn: the key is in us-east-1, not in eu-west-1",
        ),
        ({"account_id": "12345"}, "account_id: '12345' is not a 12-digit AWS account id"),
        ({"name_prefix": "Acme"}, "name_prefix: 'Acme' must be 2-24 characters"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x' must be 1-128 characters"),
        ({"idle_timeout": 5}, "idle_timeout: unknown option; did you mean 'idle_timeout_minutes'?"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SessionManagerPreferencesArgs(**{"regions": REGIONS, **kwargs})
    assert str(err.value).startswith(message)
    assert "object at 0x" not in str(err.value)


def test_regions_are_required() -> None:
    with pytest.raises(ArgumentError, match=r"^regions: required"):
        SessionManagerPreferencesArgs()  # type: ignore[call-arg]


def test_from_config() -> None:
    args = SessionManagerPreferencesArgs.from_config(
        "sessionManager", {"idleTimeoutMinutes": 5}, regions=["us-east-1"]
    )
    assert (args.regions, args.idle_timeout_minutes) == (("us-east-1",), 5)
    args = SessionManagerPreferencesArgs.from_config(
        "sessionManager",
        {"regions": ["us-east-1", "eu-west-1"], "maxSessionMinutes": "120", "runAsEnabled": True},
    )
    assert args.regions == ("eu-west-1", "us-east-1")
    assert (args.max_session_minutes, args.run_as_enabled) == (120, True)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({}, "sessionManager.regions: required"),
        ({"regions": ["us-east-1"], "logLevel": 1}, "sessionManager.logLevel: unknown option"),
        ({**ONE, "idleTimeout": 1}, "sessionManager.idleTimeout: unknown option; did you mean"),
        ({"regions": "us-east-1"}, "sessionManager.regions: 'str' instances are not allowed"),
        ({"regions": []}, "sessionManager.regions: must name at least one region"),
        (
            {**ONE, "idleTimeoutMinutes": 0},
            "sessionManager.idleTimeoutMinutes: 0 is out of range 1-60",
        ),
        (
            {**ONE, "maxSessionMinutes": 2000},
            "sessionManager.maxSessionMinutes: 2000 is out of range",
        ),
        ({**ONE, "logRetentionDays": 2}, "sessionManager.logRetentionDays: 2 is not a CloudWatch"),
        ({**ONE, "s3BucketName": "a..b"}, "sessionManager.s3BucketName: 'a..b' is not a valid S3"),
        (
            {**ONE, "cloudWatchStreaming": 1.5},
            "sessionManager.cloudWatchStreaming: expected a valid",
        ),
        (
            {**ONE, "runAsDefaultUser": "ops"},
            "sessionManager.runAsDefaultUser: only applies with runAsEnabled: true",
        ),
        (
            {**ONE, "runAsEnabled": True, "runAsDefaultUser": "Root User"},
            "sessionManager.runAsDefaultUser: 'Root User' is not a Linux user name",
        ),
        ({**ONE, "kmsKeyArn": "key-1"}, "sessionManager.kmsKeyArn: 'key-1' is not an ARN"),
        ([], "sessionManager: expected a mapping of options, got a list"),
    ],
)
def test_bad_config_names_the_key(section: Any, message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        SessionManagerPreferencesArgs.from_config("sessionManager", section)
    assert str(err.value).startswith(message)


def test_wired_outputs_reach_the_children(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        key = aws.kms.Key("own-key", region="us-east-1")
        bucket = aws.s3.Bucket("session-logs")
        SessionManagerPreferences(
            "sm",
            SessionManagerPreferencesArgs(
                regions=["us-east-1"], kms_key_arn=key.arn, s3_bucket_name=bucket.bucket
            ),
        )

    plan = run_program(program)
    key = plan.one("aws:kms/key:Key")
    assert key.name == "own-key"  # the given key: none created
    assert plan.of_type("aws:kms/alias:Alias") == []
    bucket = plan.one("aws:s3/bucket:Bucket")
    group = plan.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    inputs = json.loads(plan.one(DOCUMENT).inputs["content"])["inputs"]
    assert inputs["kmsKeyId"] == key.outputs["arn"]
    assert inputs["s3BucketName"] == bucket.outputs["bucket"]
    assert inputs["s3KeyPrefix"] == "session-manager/"


def test_bad_output_fails_when_it_resolves(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        topic = aws.sns.Topic("t")
        SessionManagerPreferences(
            "sm", SessionManagerPreferencesArgs(regions=["us-east-1"], kms_key_arn=topic.arn)
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert "kms_key_arn: 'arn:aws:sns:" in str(err.value)
    assert "is not an ARN of service 'kms'" in str(err.value)


def test_given_key_in_one_region_creates_no_key(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, regions=("us-east-1",), kms_key_arn=KEY_ARN)
    assert plan.of_type("aws:kms/key:Key") == []
    assert plan.of_type("aws:kms/alias:Alias") == []
    assert plan.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == KEY_ARN

    def program() -> list[dict[str, Any]]:
        component = SessionManagerPreferences(
            "sm", SessionManagerPreferencesArgs(regions=["us-east-1"], kms_key_arn=KEY_ARN)
        )
        aws.iam.Policy("client", policy=iam.dumps(component.client_statements()))
        return []

    plan = run_program(program)
    statements = json.loads(plan.one("aws:iam/policy:Policy").inputs["policy"])["Statement"]
    assert statements[0] == {
        "Sid": "DecryptSessionData",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": KEY_ARN,
    }


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "ops"})
    taggable = [
        *plan.of_type("aws:kms/key:Key"),
        *plan.of_type("aws:cloudwatch/logGroup:LogGroup"),
        *plan.of_type(DOCUMENT),
    ]
    assert len(taggable) == 3 * len(REGIONS)
    for resource in taggable:
        assert resource.inputs["tags"]["team"] == "ops", resource.name
        assert resource.inputs["tags"]["secbaseline:component"] == "SessionManagerPreferences"
    component = plan.one(f"secbaseline:index:{SessionManagerPreferences.__name__}")
    assert all(r.parent == component.urn for r in plan.custom_resources())


def test_the_component_provider_passes_a_mapping(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        SessionManagerPreferences(
            "sm",
            {"regions": ["us-east-1"], "idle_timeout_minutes": 9},  # type: ignore[arg-type]
        )

    content = json.loads(run_program(program).one(DOCUMENT).inputs["content"])
    assert content["inputs"]["idleSessionTimeout"] == "9"
