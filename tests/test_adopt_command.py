"""``secbaseline adopt``: read-only discovery against moto (and recorded responses where moto
has none), and the printed config planned offline: every singleton imported, nothing created
that would collide.

moto 5 answers IAM, GuardDuty, Security Hub's DescribeHub, Config, Inspector2, SSM, EC2's
GetEbsEncryptionByDefault and STS. It does not implement ``accessanalyzer.ListAnalyzers``,
``securityhub.GetEnabledStandards``/``ListFindingAggregators`` or
``ec2.GetEbsDefaultKmsKeyId`` (tried: "Not yet implemented"); those answers come from
``tests/fixtures/adopt`` (botocore's Stubber for the Access Analyzer client, the same
validated before-call answer for single operations of the other clients).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from botocore.validate import ParamValidator
from moto import mock_aws

from secbaseline.baseline import adopt, cli
from secbaseline.baseline.adopt import Discovery, WriteRefused, discover, read_only, render
from secbaseline.baseline.plan import plan_config

# One worker runs the module: its brownfield account is built once.
pytestmark = pytest.mark.xdist_group("adopt-command")

ACCOUNT = "123456789012"  # moto's account
HOME, OTHER = "us-east-1", "eu-west-1"
REGIONS = (HOME, OTHER)
FIXTURES = Path(__file__).parent / "fixtures" / "adopt"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def _answer(client: Any, operation: str, response: dict[str, Any]) -> None:
    """Answer one operation of a (moto) client with a recorded response, checked against the
    operation's output shape first (what Stubber does)."""
    model = client.meta.service_model.operation_model(operation)
    report = ParamValidator().validate(response, model.output_shape)
    assert not report.has_errors(), report.generate_report()

    def reply(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://recorded", 200, {}, None), dict(response)  # type: ignore[arg-type]  # no raw body

    client.meta.events.register(f"before-call.*.{operation}", reply)


class Account:
    """Clients for ``discover``: moto, plus recorded answers; every call's name is kept."""

    def __init__(self, *, analyzers: bool = True, hub_extras: bool = True) -> None:
        self.calls: list[str] = []
        self.made: dict[tuple[str, str], Any] = {}
        self.analyzers = analyzers
        self.hub_extras = hub_extras
        self.stubbers: list[Stubber] = []

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def __call__(self, service: str, region: str) -> Any:
        if (service, region) in self.made:
            return self.made[(service, region)]
        client = read_only(boto3.client(service, region_name=region))
        client.meta.events.register("before-call.*.*", self._record)
        if service == "accessanalyzer":
            stubber = Stubber(client)
            found = (
                "list_analyzers.us-east-1"
                if region == HOME and self.analyzers
                else "list_analyzers.empty"
            )
            stubber.add_response("list_analyzers", fixture(found), {"type": "ACCOUNT"})
            stubber.activate()
            self.stubbers.append(stubber)
        if service == "ec2":
            _answer(
                client, "GetEbsDefaultKmsKeyId", fixture("get_ebs_default_kms_key_id.aws-managed")
            )
        if service == "securityhub":
            standards = (
                fixture("get_enabled_standards.us-east-1")
                if region == HOME and self.hub_extras
                else {"StandardsSubscriptions": []}
            )
            _answer(client, "GetEnabledStandards", standards)
            aggregators = (
                fixture("list_finding_aggregators.us-east-1")
                if self.hub_extras
                else {"FindingAggregators": []}
            )
            _answer(client, "ListFindingAggregators", aggregators)
        self.made[(service, region)] = client
        return client


@pytest.fixture
def moto_account() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def brownfield_account() -> Iterator[tuple[Account, Discovery]]:
    """One brownfield moto account and what discovery found in it, shared by the module's
    tests (they only read it)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in (
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", HOME),
        ):
            patch.setenv(key, value)
        with mock_aws():
            brownfield()
            account = Account()
            found = discover(account, account_id=ACCOUNT, regions=REGIONS, home_region=HOME)
            yield account, found


def brownfield() -> None:
    """An account that already has every singleton (in the home region; GuardDuty in both)."""
    iam = boto3.client("iam", region_name=HOME)
    iam.update_account_password_policy(MinimumPasswordLength=8)
    iam.create_service_linked_role(AWSServiceName="config.amazonaws.com")
    for region in REGIONS:
        boto3.client("guardduty", region_name=region).create_detector(Enable=True)
    boto3.client("securityhub", region_name=HOME).enable_security_hub(EnableDefaultStandards=False)
    boto3.client("s3", region_name=HOME).create_bucket(Bucket="config-bucket-123456789012")
    config = boto3.client("config", region_name=HOME)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={"name": "default", "s3BucketName": "config-bucket-123456789012"}
    )
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    boto3.client("inspector2", region_name=HOME).enable(
        accountIds=[ACCOUNT], resourceTypes=["EC2", "ECR"]
    )
    boto3.client("ec2", region_name=HOME).enable_ebs_encryption_by_default()
    boto3.client("ssm", region_name=HOME).create_document(
        Name="SSM-SessionManagerRunShell",
        DocumentType="Session",
        DocumentFormat="JSON",
        Content=json.dumps(
            {
                "schemaVersion": "1.0",
                "description": "console preferences",
                "sessionType": "Standard_Stream",
                "inputs": {"idleSessionTimeout": "20"},
            }
        ),
    )


def test_fresh_account_has_nothing_to_adopt(moto_account: None) -> None:
    account = Account(analyzers=False, hub_extras=False)
    found = discover(account, account_id=ACCOUNT, regions=REGIONS, home_region=HOME)
    assert found.found == [] and found.sections == {}
    assert "Nothing to adopt" in render(found, "yaml", "dev")
    assert all(adopt.READ_ONLY.match(name) for name in account.calls)


def test_writes_are_refused_before_they_are_sent(moto_account: None) -> None:
    guardduty = read_only(boto3.client("guardduty", region_name=HOME))
    with pytest.raises(WriteRefused, match="refused CreateDetector"):
        guardduty.create_detector(Enable=True)
    assert boto3.client("guardduty", region_name=HOME).list_detectors()["DetectorIds"] == []
    assert guardduty.list_detectors()["DetectorIds"] == []  # reads still go through


def test_brownfield_discovery(brownfield_account: tuple[Account, Discovery]) -> None:
    account, found = brownfield_account
    for stubber in account.stubbers:
        stubber.assert_no_pending_responses()
    # Only reads were made, and every service was asked in every region.
    assert account.calls and all(adopt.READ_ONLY.match(name) for name in account.calls)
    assert account.calls.count("ListDetectors") == 2
    assert account.calls.count("DescribeConfigurationRecorders") == 2
    section = found.adopt_section()
    detectors = {
        r: boto3.client("guardduty", region_name=r).list_detectors()["DetectorIds"][0]
        for r in REGIONS
    }
    assert section["guardDuty"] == {r: {"mode": "import", "id": detectors[r]} for r in REGIONS}
    assert section["passwordPolicy"] == "import"
    assert section["securityHub"] == {HOME: {"mode": "import", "id": ACCOUNT}}
    # CIS 1.2 is not one of the baseline's standards: left alone
    assert section["securityHubStandards"] == {
        HOME: [
            f"arn:aws:securityhub:{HOME}:{ACCOUNT}:subscription/"
            "aws-foundational-security-best-practices/v/1.0.0"
        ]
    }
    assert section["securityHubAggregator"]["mode"] == "import"
    # the FAILED analyzer is not adopted
    assert section["accessAnalyzer"] == {HOME: {"mode": "import", "id": "ConsoleAnalyzer-5c1d2e3f"}}
    assert section["configRecorder"] == {HOME: {"mode": "import", "id": "default"}}
    assert section["configDeliveryChannel"] == {HOME: {"mode": "import", "id": "default"}}
    assert section["inspector"] == {HOME: {"mode": "import", "id": f"{ACCOUNT}-EC2:ECR"}}
    assert section["ebsEncryption"] == {HOME: "import"}
    assert "ebsDefaultKey" not in section  # alias/aws/ebs: nothing to adopt
    assert section["sessionManagerDocument"] == {HOME: "import"}
    assert found.sections == {"configRecording": {"createServiceLinkedRole": False}}


SINGLETONS = {
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
    "aws:ebs/encryptionByDefault:EncryptionByDefault",
    "aws:guardduty/detector:Detector",
    "aws:securityhub/account:Account",
    "aws:securityhub/findingAggregator:FindingAggregator",
    "aws:accessanalyzer/analyzer:Analyzer",
    "aws:cfg/recorder:Recorder",
    "aws:cfg/recorderStatus:RecorderStatus",
    "aws:cfg/deliveryChannel:DeliveryChannel",
    "aws:inspector2/enabler:Enabler",
    "aws:ssm/document:Document",
}


def test_printed_config_plans_imports_and_no_collisions(
    brownfield_account: tuple[Account, Discovery],
) -> None:
    _, found = brownfield_account
    printed = yaml.safe_load(render(found, "yaml", "prod"))["config"]
    config = {key.removeprefix("secbaseline:"): value for key, value in printed.items()}
    config |= {
        "tier": "intermediate",
        "homeRegion": HOME,
        "accountId": ACCOUNT,
        "detectionRegions": list(REGIONS),
        "notificationEmails": ["security@example.com"],
        "sessionManager": {"regions": list(REGIONS)},
    }
    plan = plan_config(config, stack="prod", other_config={"aws:region": HOME})
    imported = {(r.type, plan.region_of(r)): r.import_id for r in plan.imported()}
    # Everything discovered is imported, with the id `pulumi import` takes.
    expected = {
        (
            item.type,
            None if item.type.startswith("aws:iam/") else item.region or HOME,
        ): item.import_id
        for item in found.found
    }
    assert imported == expected
    assert len(imported) == len(found.found) == 13
    # Nothing that exists is created as well: no singleton of an imported type is created in
    # a region where one exists; Config's service-linked role exists, so it is not created.
    for resource in plan.custom_resources():
        where = (resource.type, plan.region_of(resource))
        if resource.type in SINGLETONS and where in imported:
            assert resource.import_id is not None, where
    assert plan.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    # Standards are one per standard: the subscribed one is imported, the other one created.
    home_standards = {
        r.inputs["standardsArn"].split(":standards/", 1)[-1]: r.operation
        for r in plan.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")
        if plan.region_of(r) == HOME
    }
    assert home_standards == {
        "aws-foundational-security-best-practices/v/1.0.0": "import",
        "cis-aws-foundations-benchmark/v/3.0.0": "create",
    }
    # The region without them still gets them created.
    created = {
        r.type
        for r in plan.custom_resources()
        if plan.region_of(r) == OTHER and r.import_id is None
    }
    assert {
        "aws:securityhub/account:Account",
        "aws:cfg/recorder:Recorder",
        "aws:ssm/document:Document",
    } <= created


def test_commands_format(brownfield_account: tuple[Account, Discovery]) -> None:
    _, found = brownfield_account
    text = render(found, "commands", "prod")
    assert "pulumi config set --path 'secbaseline:adopt.guardDuty.us-east-1.mode' 'import'" in text
    assert (
        "pulumi config set --path 'secbaseline:configRecording.createServiceLinkedRole' 'false'"
        in text
    )
    assert (
        "pulumi import 'aws:ssm/document:Document' 'session-manager-preferences-us-east-1' "
        "'SSM-SessionManagerRunShell@us-east-1' --parent 'session-manager=urn:pulumi:prod::"
        "secbaseline::secbaseline:index:SessionManagerPreferences::session-manager'"
    ) in text
    assert "adopting changes" in text


def test_cli(
    brownfield_account: tuple[Account, Discovery],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    account = Account()  # fresh clients (and stubs) on the shared account
    monkeypatch.setattr(adopt, "boto3_clients", lambda profile=None: account)
    assert cli.main(["adopt", "--regions", ",".join(REGIONS), "--home-region", HOME]) == 0
    out = capsys.readouterr().out
    assert "secbaseline:adopt:" in out and "nothing was changed" in out
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(
        yaml.safe_dump({"config": {"aws:region": HOME, "secbaseline:accountId": "999999999999"}})
    )
    assert cli.main(["adopt", "--config", str(stack), "--regions", HOME]) == 2
    assert (
        "accountId is 999999999999 but the credentials are for account 123456789012"
        in capsys.readouterr().err
    )
    assert cli.main(["adopt", "--regions", HOME]) == 2
    assert "--home-region: required" in capsys.readouterr().err

    # An AWS error (access denied on ListDetectors) is one line, exit 2.
    def refuse(service: str, region: str) -> Any:
        client = Account()(service, region)
        if service == "guardduty":
            stubber = Stubber(client)
            stubber.add_client_error("list_detectors", "AccessDeniedException", "not allowed")
            stubber.activate()
        return client

    monkeypatch.setattr(adopt, "boto3_clients", lambda profile=None: refuse)
    assert cli.main(["adopt", "--regions", HOME, "--home-region", HOME]) == 2
    assert "secbaseline: error: AWS: " in capsys.readouterr().err


def test_tier_refuses_adopt_entries_outside_detection_regions() -> None:
    config = {
        "tier": "beginner",
        "homeRegion": HOME,
        "accountId": ACCOUNT,
        "detectionRegions": [HOME],
        "adopt": {"ebsEncryption": {"ap-south-1": "import"}},
    }
    with pytest.raises(
        ValueError, match=r"adopt\.ebsEncryption\.ap-south-1: not one of the regions"
    ):
        plan_config(config, other_config={"aws:region": HOME})


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("threatDetection", "adoptDetectors"),
        ("configRecording", "adoptRecorders"),
        ("sessionManager", "adoptDocuments"),
        ("accountHardening", "adoptPasswordPolicy"),
    ],
)
def test_tier_refuses_adopt_keys_in_component_sections(section: str, key: str) -> None:
    config = {
        "tier": "intermediate",
        "homeRegion": HOME,
        "accountId": ACCOUNT,
        "detectionRegions": [HOME],
        "notificationEmails": ["security@example.com"],
        section: {key: {}},
    }
    with pytest.raises(ValueError, match=f"{section}.{key}: set by the tier"):
        plan_config(config, other_config={"aws:region": HOME})
