"""Brownfield adoption (issue 14): every singleton in the three modes, and bad entries.

Each component is planned once with one region per mode: ``ap-northeast-1`` create,
``us-east-1`` import, ``eu-west-1`` skip.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan, RecordedResource
from secbaseline.baseline.render import render
from secbaseline.components import (
    AccessAnalysis,
    AccessAnalysisArgs,
    AccountHardening,
    AccountHardeningArgs,
    ConfigRecording,
    ConfigRecordingArgs,
    SecurityHub,
    SecurityHubArgs,
    SessionManagerPreferences,
    SessionManagerPreferencesArgs,
    ThreatDetection,
    ThreatDetectionArgs,
    VulnerabilityScanning,
    VulnerabilityScanningArgs,
)
from secbaseline.components._adoption import AdoptArgs, Adoption

CREATE, IMPORT, SKIP = "ap-northeast-1", "us-east-1", "eu-west-1"
REGIONS = (CREATE, IMPORT, SKIP)
ACCOUNT = "111111111111"
ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "baseline" / "plan-schema.json").read_text())


def imp(resource_id: str | None = None) -> Adoption:
    return Adoption(mode="import", id=resource_id)


def modes(import_id: str | None = None) -> dict[str, Adoption]:
    """One region per mode (create is the default: no entry)."""
    return {IMPORT: imp(import_id), SKIP: Adoption(mode="skip")}


def by_region(plan: Plan, type_token: str) -> dict[str, RecordedResource]:
    found = {plan.region_of(r) or "": r for r in plan.of_type(type_token)}
    assert len(found) == len(plan.of_type(type_token)), "one per region"
    return found


def assert_modes(
    plan: Plan, type_token: str, import_id: str, ignored: set[str] | None = None
) -> RecordedResource:
    """Created in CREATE, imported with ``import_id`` in IMPORT, absent in SKIP."""
    found = by_region(plan, type_token)
    assert sorted(found) == sorted([CREATE, IMPORT]), type_token
    assert found[CREATE].import_id is None and found[CREATE].operation == "create"
    imported = found[IMPORT]
    assert imported.import_id == import_id and imported.operation == "import"
    if ignored is not None:
        assert set(imported.ignore_changes) == ignored
        assert found[CREATE].ignore_changes == ()
    return imported


def test_guardduty_detector(run_program: Callable[..., Plan]) -> None:
    args = ThreatDetectionArgs(
        regions=REGIONS,
        home_region=CREATE,
        account_id=ACCOUNT,
        adopt_detectors={IMPORT: imp("d0e1"), SKIP: Adoption(mode="skip", id="d5")},
    )
    made: list[ThreatDetection] = []
    plan = run_program(lambda: made.append(ThreatDetection("td", args)))
    assert_modes(
        plan,
        "aws:guardduty/detector:Detector",
        "d0e1@us-east-1",
        {"enable", "findingPublishingFrequency", "tags"},
    )
    # The imported detector's features are configured on its id; the skipped region gets no
    # features and no export, but its given id is still reported for dependents.
    features = plan.of_type("aws:guardduty/detectorFeature:DetectorFeature")
    assert {plan.region_of(f) for f in features} == {CREATE, IMPORT}
    assert {f.inputs["detectorId"] for f in features if plan.region_of(f) == IMPORT} == {"d0e1"}
    exports = plan.of_type("aws:guardduty/publishingDestination:PublishingDestination")
    assert {plan.region_of(e) for e in exports} == {CREATE, IMPORT}
    assert sorted(made[0].detector_ids) == sorted(REGIONS)


def test_security_hub(run_program: Callable[..., Plan]) -> None:
    fsbp = f"arn:aws:securityhub:{IMPORT}:{ACCOUNT}:subscription/aws-foundational-security-best-practices/v/1.0.0"
    aggregator = f"arn:aws:securityhub:{CREATE}:{ACCOUNT}:finding-aggregator/0a1b"
    args = SecurityHubArgs(
        regions=REGIONS,
        home_region=CREATE,
        adopt_hubs=modes(ACCOUNT),
        adopt_standards={IMPORT: [fsbp]},
        adopt_aggregator=imp(aggregator),
    )
    plan = run_program(lambda: SecurityHub("hub", args))
    assert_modes(
        plan,
        "aws:securityhub/account:Account",
        f"{ACCOUNT}@us-east-1",
        {"enableDefaultStandards", "controlFindingGenerator", "autoEnableControls"},
    )
    subscriptions = plan.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")
    assert {plan.region_of(s) for s in subscriptions} == {CREATE, IMPORT}  # skip: none
    imported = [s for s in subscriptions if s.import_id is not None]
    assert [(s.import_id, plan.region_of(s)) for s in imported] == [(fsbp, IMPORT)]
    # the other standard in the import region is subscribed (created)
    assert len([s for s in subscriptions if plan.region_of(s) == IMPORT]) == 2
    assert not [
        c
        for c in plan.of_type(
            "aws:securityhub/standardsControlAssociation:StandardsControlAssociation"
        )
        if plan.region_of(c) == SKIP
    ]
    assert plan.one("aws:securityhub/findingAggregator:FindingAggregator").import_id == aggregator


def test_security_hub_aggregator_skipped(run_program: Callable[..., Plan]) -> None:
    args = SecurityHubArgs(
        regions=[CREATE], home_region=CREATE, adopt_aggregator=Adoption(mode="skip")
    )
    plan = run_program(lambda: SecurityHub("hub", args))
    assert plan.of_type("aws:securityhub/findingAggregator:FindingAggregator") == []
    assert len(plan.of_type("aws:securityhub/account:Account")) == 1


def test_access_analyzer(run_program: Callable[..., Plan]) -> None:
    args = AccessAnalysisArgs(
        regions=REGIONS, home_region=CREATE, adopt_analyzers=modes("ConsoleAnalyzer-3f2")
    )
    plan = run_program(lambda: AccessAnalysis("aa", args))
    imported = assert_modes(
        plan, "aws:accessanalyzer/analyzer:Analyzer", "ConsoleAnalyzer-3f2@us-east-1", {"tags"}
    )
    # The name cannot change in place: the imported analyzer keeps its own.
    assert imported.inputs["analyzerName"] == "ConsoleAnalyzer-3f2"
    created = by_region(plan, "aws:accessanalyzer/analyzer:Analyzer")[CREATE]
    assert created.inputs["analyzerName"] == "secbaseline-external-access"


def test_account_hardening(run_program: Callable[..., Plan]) -> None:
    key = f"arn:aws:kms:{IMPORT}:{ACCOUNT}:key/1111-2222"
    args = AccountHardeningArgs(
        regions=REGIONS,
        ebs_kms_key_arns={IMPORT: key, SKIP: f"arn:aws:kms:{SKIP}:{ACCOUNT}:key/3333"},
        adopt_password_policy=imp(),
        adopt_ebs_encryption=modes(),
        adopt_ebs_default_key={IMPORT: imp(key), SKIP: Adoption(mode="skip")},
    )
    plan = run_program(lambda: AccountHardening("ah", args))
    assert_modes(plan, "aws:ebs/encryptionByDefault:EncryptionByDefault", "default@us-east-1")
    keys = by_region(plan, "aws:ebs/defaultKmsKey:DefaultKmsKey")
    assert sorted(keys) == [IMPORT] and keys[IMPORT].import_id == key
    policy = plan.one("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    assert policy.import_id == "iam-account-password-policy"
    assert "minimumPasswordLength" in policy.ignore_changes
    # IMDSv2 defaults are not singletons to adopt: set in every region
    assert len(plan.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")) == 3


@pytest.mark.parametrize("mode", ["create", "skip"])
def test_password_policy_create_and_skip(run_program: Callable[..., Plan], mode: str) -> None:
    args = AccountHardeningArgs(regions=[CREATE], adopt_password_policy=Adoption(mode=mode))
    plan = run_program(lambda: AccountHardening("ah", args))
    policies = plan.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    assert [p.operation for p in policies] == (["create"] if mode == "create" else [])


def test_after_the_import_named_singletons_keep_their_names(
    run_program: Callable[..., Plan],
) -> None:
    """The follow-up run (mode create, id kept) manages the same resources: no new name, so
    nothing is replaced, and nothing is imported any more."""

    def program() -> None:
        ConfigRecording(
            "rec",
            ConfigRecordingArgs(
                regions=[IMPORT],
                home_region=IMPORT,
                account_id=ACCOUNT,
                adopt_recorders={IMPORT: Adoption(mode="create", id="default")},
                adopt_delivery_channels={IMPORT: Adoption(mode="create", id="default")},
            ),
        )
        AccessAnalysis(
            "aa",
            AccessAnalysisArgs(
                regions=[IMPORT],
                home_region=IMPORT,
                adopt_analyzers={IMPORT: Adoption(mode="create", id="ConsoleAnalyzer-3f2")},
            ),
        )

    plan = run_program(program)
    assert plan.imported() == []
    assert plan.one("aws:cfg/recorder:Recorder").inputs["name"] == "default"
    assert plan.one("aws:cfg/deliveryChannel:DeliveryChannel").inputs["name"] == "default"
    assert plan.one("aws:cfg/recorderStatus:RecorderStatus").inputs["name"] == "default"
    analyzer = plan.one("aws:accessanalyzer/analyzer:Analyzer")
    assert analyzer.inputs["analyzerName"] == "ConsoleAnalyzer-3f2"
    assert analyzer.ignore_changes == ()  # the baseline's settings apply now


def test_config_recorder_channel_status(run_program: Callable[..., Plan]) -> None:
    args = ConfigRecordingArgs(
        regions=REGIONS,
        home_region=CREATE,
        account_id=ACCOUNT,
        adopt_recorders=modes("default"),
        adopt_delivery_channels={IMPORT: imp("default-channel"), SKIP: Adoption(mode="skip")},
    )
    made: list[ConfigRecording] = []
    plan = run_program(lambda: made.append(ConfigRecording("rec", args)))
    recorder = assert_modes(plan, "aws:cfg/recorder:Recorder", "default@us-east-1")
    assert recorder.inputs["name"] == "default"  # keeps its name
    channel = assert_modes(
        plan, "aws:cfg/deliveryChannel:DeliveryChannel", "default-channel@us-east-1"
    )
    assert channel.inputs["name"] == "default-channel"
    status = assert_modes(plan, "aws:cfg/recorderStatus:RecorderStatus", "default@us-east-1")
    assert status.inputs["name"] == "default"
    assert sorted(made[0].statuses) == [CREATE, IMPORT]


def test_inspector_enabler(run_program: Callable[..., Plan]) -> None:
    args = VulnerabilityScanningArgs(
        regions=REGIONS, account_id=ACCOUNT, adopt_enablers=modes(f"{ACCOUNT}-EC2:ECR")
    )
    plan = run_program(lambda: VulnerabilityScanning("vs", args))
    assert_modes(
        plan, "aws:inspector2/enabler:Enabler", f"{ACCOUNT}-EC2:ECR@us-east-1", {"resourceTypes"}
    )


def test_session_manager_document(run_program: Callable[..., Plan]) -> None:
    args = SessionManagerPreferencesArgs(
        regions=REGIONS, account_id=ACCOUNT, adopt_documents=modes()
    )
    plan = run_program(lambda: SessionManagerPreferences("sm", args))
    assert_modes(
        plan,
        "aws:ssm/document:Document",
        "SSM-SessionManagerRunShell@us-east-1",
        {"content", "documentFormat", "tags"},
    )
    # skip leaves the preferences alone; the key and log group are still made there
    assert len(plan.of_type("aws:cloudwatch/logGroup:LogGroup")) == 3


def test_plan_document_records_imports(run_program: Callable[..., Plan]) -> None:
    args = SessionManagerPreferencesArgs(regions=[IMPORT], adopt_documents={IMPORT: imp()})
    plan = run_program(lambda: SessionManagerPreferences("sm", args))
    data = plan.to_json()
    jsonschema.validate(data, SCHEMA)
    assert data["schemaVersion"] == 2
    document = next(r for r in data["resources"] if r["type"] == "aws:ssm/document:Document")
    assert (document["operation"], document["importId"]) == (
        "import",
        "SSM-SessionManagerRunShell@us-east-1",
    )
    group = next(r for r in data["resources"] if r["type"].endswith(":LogGroup"))
    assert (group["operation"], group["importId"]) == ("create", None)
    component = next(r for r in data["resources"] if not r["custom"])
    assert component["operation"] is None
    text = render(plan, "table")
    assert "SSM-SessionManagerRunShell@us-east-1" in text
    assert "1 of the resources are imported, not created." in text
    broken = json.loads(json.dumps(data))
    next(r for r in broken["resources"] if r["operation"] == "import")["importId"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


# --- bad entries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: ThreatDetectionArgs(
                regions=[IMPORT], home_region=IMPORT, adopt_detectors={IMPORT: imp()}
            ),
            "adopt_detectors.us-east-1: import needs the detector id",
        ),
        (
            lambda: ThreatDetectionArgs(
                regions=[IMPORT], home_region=IMPORT, adopt_detectors={SKIP: imp("d")}
            ),
            "adopt_detectors.eu-west-1: not one of the regions",
        ),
        (
            lambda: SecurityHubArgs(
                regions=[IMPORT], home_region=IMPORT, adopt_hubs={IMPORT: imp()}
            ),
            "adopt_hubs.us-east-1: import needs the account id",
        ),
        (
            lambda: SecurityHubArgs(
                regions=[IMPORT],
                home_region=IMPORT,
                standards=["aws-foundational-security-best-practices"],
                adopt_standards={
                    IMPORT: [f"arn:aws:securityhub:{IMPORT}:{ACCOUNT}:subscription/pci-dss/v/4.0.1"]
                },
            ),
            "is not a subscription of one of the standards",
        ),
        (
            lambda: SecurityHubArgs(
                regions=[IMPORT],
                home_region=IMPORT,
                adopt_standards={IMPORT: [f"arn:aws:securityhub:{SKIP}:{ACCOUNT}:subscription/x"]},
            ),
            "adopt_standards.us-east-1[0]",
        ),
        (
            lambda: SecurityHubArgs(regions=[IMPORT], home_region=IMPORT, adopt_aggregator=imp()),
            "adopt_aggregator: import needs the aggregator's ARN",
        ),
        (
            lambda: AccessAnalysisArgs(
                regions=[IMPORT], home_region=IMPORT, adopt_analyzers={IMPORT: imp()}
            ),
            "adopt_analyzers.us-east-1: import needs the analyzer name",
        ),
        (
            lambda: ConfigRecordingArgs(
                regions=[IMPORT], home_region=IMPORT, adopt_recorders={IMPORT: imp()}
            ),
            "adopt_recorders.us-east-1: import needs the name",
        ),
        (
            lambda: ConfigRecordingArgs(
                regions=[IMPORT], home_region=IMPORT, adopt_delivery_channels={IMPORT: imp()}
            ),
            "adopt_delivery_channels.us-east-1: import needs the name",
        ),
        (
            lambda: VulnerabilityScanningArgs(regions=[IMPORT], adopt_enablers={IMPORT: imp()}),
            "adopt_enablers.us-east-1: import needs the enabler id",
        ),
        (
            lambda: SessionManagerPreferencesArgs(
                regions=[IMPORT], adopt_documents={"mars-1": imp()}
            ),
            "adopt_documents.mars-1: unknown AWS region",
        ),
        (
            lambda: AccountHardeningArgs(
                regions=[IMPORT], adopt_ebs_default_key={IMPORT: imp("arn:aws:kms:x")}
            ),
            "adopt_ebs_default_key.us-east-1: not one of the regions",
        ),
        (lambda: Adoption(mode="adopt"), "mode"),
        (lambda: Adoption(mode="import", id=" "), "id: expected a non-empty string"),
    ],
)
def test_bad_component_entries(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ArgumentError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"guardDuty": {IMPORT: "import"}},
            "adopt.guardDuty.us-east-1: import needs the detector id",
        ),
        (
            {"guardDuty": {IMPORT: "adopt"}},
            "adopt.guardDuty.us-east-1: 'adopt' is not one of create, import, skip",
        ),
        ({"guardDuty": {"mars-1": "skip"}}, "adopt.guardDuty.mars-1: unknown AWS region"),
        ({"guardDuty": "import"}, "adopt.guardDuty"),
        ({"guardDty": {}}, "adopt.guardDty: unknown option; did you mean 'guardDuty'?"),
        ({"passwordPolicy": {"mode": "create", "id": " "}}, "adopt.passwordPolicy.id: expected"),
        (
            {"securityHub": {IMPORT: {"mode": "import"}}},
            "adopt.securityHub.us-east-1: import needs the account id",
        ),
        (
            {"securityHubAggregator": "import"},
            "adopt.securityHubAggregator: import needs the aggregator's ARN",
        ),
        (
            {"securityHubStandards": {IMPORT: ["arn:aws:iam::1:x"]}},
            r"adopt.securityHubStandards.us-east-1\[0\]: .* is not a Security Hub",
        ),
        (
            {"configRecorder": {IMPORT: "import"}},
            "adopt.configRecorder.us-east-1: import needs the recorder name",
        ),
        (
            {"configDeliveryChannel": {IMPORT: "import"}},
            "adopt.configDeliveryChannel.us-east-1: import needs the delivery channel name",
        ),
        (
            {"accessAnalyzer": {IMPORT: "import"}},
            "adopt.accessAnalyzer.us-east-1: import needs the analyzer name",
        ),
        (
            {"inspector": {IMPORT: "import"}},
            "adopt.inspector.us-east-1: import needs the enabler id",
        ),
        (
            {"ebsDefaultKey": {IMPORT: "import"}},
            "adopt.ebsDefaultKey.us-east-1: import needs the key ARN",
        ),
    ],
)
def test_bad_adopt_section(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        AdoptArgs.from_config("adopt", section)


def test_adopt_section_shorthand() -> None:
    args = AdoptArgs.from_config(
        "adopt",
        {
            "passwordPolicy": "import",
            "guardDuty": {IMPORT: {"mode": "import", "id": "d"}, SKIP: "skip"},
        },
    )
    assert args.password_policy == Adoption(mode="import")
    assert args.guard_duty == {IMPORT: Adoption(mode="import", id="d"), SKIP: Adoption(mode="skip")}
    assert AdoptArgs.from_config("adopt", {}).guard_duty == {}


def test_documented_adopt_section_is_valid() -> None:
    """The example in docs/adoption.md parses (and every field it shows is a real key)."""
    import re

    import yaml

    text = (ROOT / "docs" / "adoption.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert block is not None
    config = yaml.safe_load(block.group(1))["config"]
    args = AdoptArgs.from_config("adopt", config["secbaseline:adopt"])
    assert args.guard_duty[SKIP].skipped and args.password_policy.imported
    assert set(config["secbaseline:adopt"]) == {
        "passwordPolicy",
        "guardDuty",
        "securityHub",
        "securityHubStandards",
        "securityHubAggregator",
        "accessAnalyzer",
        "configRecorder",
        "configDeliveryChannel",
        "inspector",
        "ebsEncryption",
        "ebsDefaultKey",
        "sessionManagerDocument",
    }
