"""PatchManagement (S-13): baselines, scan/install windows, inventory and DHMC per region."""

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan, RecordedResource
from secbaseline.components import (
    PatchManagement,
    PatchManagementArgs,
    PatchOperatingSystem,
    RebootOption,
)
from secbaseline.components.patch_management import DHMC_POLICY, DHMC_ROLE_NAME

REGIONS = ("ap-northeast-1", "us-east-1")
ACCOUNT = "111111111111"
ONE = {"regions": ["us-east-1"]}
BASELINE = "aws:ssm/patchBaseline:PatchBaseline"
WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
TARGET = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"


def build(run_program: Callable[..., Plan], **kwargs: Any) -> Plan:
    def program() -> None:
        PatchManagement("patching", PatchManagementArgs(**{"regions": REGIONS, **kwargs}))

    return run_program(program)


def parameters(task: RecordedResource) -> dict[str, list[str]]:
    run_command = task.inputs["taskInvocationParameters"]["runCommandParameters"]
    return {p["name"]: p["values"] for p in run_command["parameters"]}


def test_defaults_in_every_region(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    baselines = plan.of_type(BASELINE)
    assert sorted((b.inputs["region"], b.inputs["operatingSystem"]) for b in baselines) == [
        (region, os_name) for region in REGIONS for os_name in ("AMAZON_LINUX_2023", "WINDOWS")
    ]
    for baseline in baselines:
        rules = baseline.inputs["approvalRules"]
        assert [r["complianceLevel"] for r in rules] == ["CRITICAL", "MEDIUM"]
        assert all(r["approveAfterDays"] == 7 and r["enableNonSecurity"] is False for r in rules)
        filters = {f["key"]: f["values"] for f in rules[0]["patchFilters"]}
        if baseline.inputs["operatingSystem"] == "WINDOWS":
            assert filters == {
                "CLASSIFICATION": ["CriticalUpdates", "SecurityUpdates"],
                "MSRC_SEVERITY": ["Critical", "Important"],
            }
            assert baseline.inputs["availableSecurityUpdatesComplianceStatus"] == "NON_COMPLIANT"
        else:
            assert filters == {
                "CLASSIFICATION": ["Security"],
                "SEVERITY": ["Critical", "Important"],
            }
            assert "availableSecurityUpdatesComplianceStatus" not in baseline.inputs
    groups = plan.of_type("aws:ssm/patchGroup:PatchGroup")
    assert {g.inputs["patchGroup"] for g in groups} == {"secbaseline"}
    assert sorted(g.inputs["baselineId"] for g in groups) == sorted(b.id for b in baselines)
    defaults = plan.of_type("aws:ssm/defaultPatchBaseline:DefaultPatchBaseline")
    assert sorted(d.inputs["baselineId"] for d in defaults) == sorted(b.id for b in baselines)

    # Only installing (which may reboot) is windowed and tag-scoped; scanning covers every
    # managed instance (S-13), through a State Manager association per region.
    windows = plan.of_type(WINDOW)
    assert sorted((w.inputs["region"], w.inputs["schedule"]) for w in windows) == [
        (region, "cron(0 4 ? * SUN *)") for region in REGIONS
    ]
    for window in windows:
        assert window.inputs["scheduleTimezone"] == "UTC"
        assert (window.inputs["duration"], window.inputs["cutoff"]) == (3, 1)
        assert window.inputs["allowUnassociatedTargets"] is False
    for target in plan.of_type(TARGET):
        assert target.inputs["resourceType"] == "INSTANCE"
        assert target.inputs["targets"] == [{"key": "tag:Patch Group", "values": ["secbaseline"]}]
    tasks = plan.of_type(TASK)
    assert len(tasks) == 2
    for task in tasks:
        assert task.inputs["taskArn"] == "AWS-RunPatchBaseline"
        assert task.inputs["taskType"] == "RUN_COMMAND"
        assert (task.inputs["maxConcurrency"], task.inputs["maxErrors"]) == ("10%", "10%")
        # The SSM service-linked role runs the task: no role is created or passed.
        assert "serviceRoleArn" not in task.inputs
        assert (
            "serviceRoleArn" not in task.inputs["taskInvocationParameters"]["runCommandParameters"]
        )
        window = next(w for w in windows if w.id == task.inputs["windowId"])
        target = next(t for t in plan.of_type(TARGET) if t.inputs["windowId"] == window.id)
        assert task.inputs["targets"] == [{"key": "WindowTargetIds", "values": [target.id]}]
        assert parameters(task) == {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]}

    associations = plan.of_type("aws:ssm/association:Association")
    scans = [a for a in associations if a.inputs["name"] == "AWS-RunPatchBaseline"]
    assert sorted(a.inputs["region"] for a in scans) == list(REGIONS)
    for scan in scans:
        assert scan.inputs["associationName"] == "secbaseline-patch-scan"
        assert scan.inputs["targets"] == [{"key": "InstanceIds", "values": ["*"]}]
        assert scan.inputs["parameters"] == {"Operation": "Scan", "RebootOption": "NoReboot"}
        assert scan.inputs["scheduleExpression"] == "cron(0 3 ? * * *)"
        assert (scan.inputs["maxConcurrency"], scan.inputs["maxErrors"]) == ("10%", "10%")
    inventory = [a for a in associations if a not in scans]
    assert sorted(a.inputs["region"] for a in inventory) == list(REGIONS)
    for association in inventory:
        assert association.inputs["name"] == "AWS-GatherSoftwareInventory"
        assert association.inputs["targets"] == [{"key": "InstanceIds", "values": ["*"]}]
        assert association.inputs["scheduleExpression"] == "rate(1 day)"

    role = plan.one("aws:iam/role:Role")
    assert (role.inputs["name"], role.inputs["path"]) == (DHMC_ROLE_NAME, "/service-role/")
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    attachment = plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == DHMC_POLICY
    assert plan.of_type("aws:iam/rolePolicy:RolePolicy") == []
    settings = plan.of_type("aws:ssm/serviceSetting:ServiceSetting")
    assert sorted(s.inputs["settingId"] for s in settings) == [
        f"arn:aws:ssm:{r}:{ACCOUNT}:servicesetting/ssm/managed-instance/"
        "default-ec2-instance-management-role"
        for r in REGIONS
    ]
    assert {s.inputs["settingValue"] for s in settings} == {f"service-role/{DHMC_ROLE_NAME}"}


def test_options(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        regions=("eu-west-1",),
        operating_systems=("AMAZON_LINUX_2", "REDHAT_ENTERPRISE_LINUX"),
        approve_after_days=0,
        patch_group="prod",
        default_baselines=False,
        target_tag_key="PatchWave",
        target_tag_values=("wave-1", "wave-2"),
        scan_schedule="rate(12 hours)",
        install_schedule="cron(30 1 ? * SAT#2 *)",
        schedule_timezone="Asia/Tokyo",
        window_duration_hours=4,
        window_cutoff_hours=0,
        max_concurrency="2",
        max_errors="0",
        reboot_option="NoReboot",
        inventory=False,
        default_host_management=False,
        scan_all_instances=False,
    )
    assert sorted(b.inputs["operatingSystem"] for b in plan.of_type(BASELINE)) == [
        "AMAZON_LINUX_2",
        "REDHAT_ENTERPRISE_LINUX",
    ]
    assert all(
        r["approveAfterDays"] == 0
        for b in plan.of_type(BASELINE)
        for r in b.inputs["approvalRules"]
    )
    # Each Linux family is filtered with its publisher's severity scale.
    severities = {
        b.inputs["operatingSystem"]: [
            next(f["values"] for f in r["patchFilters"] if f["key"] == "SEVERITY")
            for r in b.inputs["approvalRules"]
        ]
        for b in plan.of_type(BASELINE)
    }
    assert severities == {
        "AMAZON_LINUX_2": [["Critical", "Important"], ["Medium", "Low"]],
        "REDHAT_ENTERPRISE_LINUX": [["Critical", "Important"], ["Moderate", "Low"]],
    }
    assert {g.inputs["patchGroup"] for g in plan.of_type("aws:ssm/patchGroup:PatchGroup")} == {
        "prod"
    }
    assert plan.of_type("aws:ssm/defaultPatchBaseline:DefaultPatchBaseline") == []
    assert sorted(w.inputs["schedule"] for w in plan.of_type(WINDOW)) == [
        "cron(30 1 ? * SAT#2 *)",
        "rate(12 hours)",
    ]
    for window in plan.of_type(WINDOW):
        assert window.inputs["scheduleTimezone"] == "Asia/Tokyo"
        assert (window.inputs["duration"], window.inputs["cutoff"]) == (4, 0)
    for target in plan.of_type(TARGET):
        assert target.inputs["targets"] == [
            {"key": "tag:PatchWave", "values": ["wave-1", "wave-2"]}
        ]
    for task in plan.of_type(TASK):
        assert (task.inputs["maxConcurrency"], task.inputs["maxErrors"]) == ("2", "0")
        assert parameters(task)["RebootOption"] == ["NoReboot"]
    assert plan.of_type("aws:ssm/association:Association") == []
    assert plan.of_type("aws:iam/role:Role") == []
    assert plan.of_type("aws:ssm/serviceSetting:ServiceSetting") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ("nowhere-1",)}, "regions: unknown AWS region"),
        ({"operating_systems": ()}, "operating_systems: name at least one OS family"),
        (
            {"operating_systems": ("MACOS",)},
            "operating_systems[0]: expected 'AMAZON_LINUX_2023', 'AMAZON_LINUX_2', "
            "'REDHAT_ENTERPRISE_LINUX', 'UBUNTU', 'DEBIAN' or 'WINDOWS', got 'MACOS'",
        ),
        (
            {"operating_systems": ("WINDOWS", "WINDOWS")},
            "operating_systems: an OS family is listed twice",
        ),
        ({"approve_after_days": 400}, "approve_after_days: 400 is out of range 0-360"),
        ({"patch_group": ""}, "patch_group: '' is not a tag value"),
        ({"target_tag_key": "a" * 200}, "target_tag_key: 'aaaa"),
        ({"target_tag_values": ("ok", "bad\n")}, "target_tag_values[1]: 'bad\\n'"),
        ({"scan_schedule": "daily"}, "scan_schedule: 'daily' is not a schedule"),
        (
            {"install_schedule": "cron(0 4 * * SUN *)"},
            "install_schedule: 'cron(0 4 * * SUN *)': exactly one",
        ),
        ({"inventory_schedule": "rate(1 days)"}, "inventory_schedule: 'rate(1 days)'"),
        (
            {"schedule_timezone": "Mars/Olympus"},
            "schedule_timezone: 'Mars/Olympus' is not an IANA",
        ),
        ({"window_duration_hours": 25}, "window_duration_hours: 25 is out of range 1-24"),
        (
            {"window_cutoff_hours": 3},
            "window_cutoff_hours: 3 is out of range 0-2 (less than window_duration_hours)",
        ),
        ({"max_concurrency": "0"}, "max_concurrency: '0' is out of range 1-10000"),
        ({"max_concurrency": "150%"}, "max_concurrency: '150%' is out of range 1-100%"),
        ({"max_errors": "-1"}, "max_errors: '-1' is not a count"),
        ({"reboot_option": "Always"}, "reboot_option: expected 'RebootIfNeeded' or 'NoReboot'"),
        ({"inventory": "perhaps"}, "inventory: expected a valid boolean"),
        ({"scan_all_instances": "all"}, "scan_all_instances: expected a valid boolean"),
        ({"default_host_management": None}, "default_host_management: expected a valid boolean"),
        ({"account_id": "12"}, "account_id: '12' is not a 12-digit AWS account id"),
        ({"name_prefix": "-x"}, "name_prefix: '-x' must be 2-24 characters"),
        ({"tags": {"aws:x": "y"}}, "tags: tag key 'aws:x'"),
        ({"install_now": True}, "install_now: unknown option"),
    ],
)
def test_bad_args_raise_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        PatchManagementArgs(**{"regions": REGIONS, **kwargs})
    assert str(err.value).startswith(message)
    assert "object at 0x" not in str(err.value)


def test_from_config() -> None:
    args = PatchManagementArgs.from_config(
        "patching",
        {"operatingSystems": ["WINDOWS"], "maxConcurrency": 5, "maxErrors": 0},
        regions=list(REGIONS),
    )
    assert args.regions == REGIONS
    assert args.operating_systems == [PatchOperatingSystem.WINDOWS]
    assert (args.max_concurrency, args.max_errors) == ("5", "0")
    args = PatchManagementArgs.from_config(
        "patching",
        {"regions": ["us-east-1"], "rebootOption": "NoReboot", "windowDurationHours": "4"},
    )
    assert (args.reboot_option, args.window_duration_hours) == (RebootOption.NO_REBOOT, 4)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({}, "patching.regions: required"),
        ({**ONE, "installNow": True}, "patching.installNow: unknown option"),
        ({**ONE, "scanSchedul": "x"}, "patching.scanSchedul: unknown option; did you mean"),
        (
            {**ONE, "operatingSystems": "WINDOWS"},
            "patching.operatingSystems: 'str' instances are not allowed",
        ),
        ({**ONE, "operatingSystems": ["DOS"]}, "patching.operatingSystems[0]: expected"),
        ({**ONE, "maxErrors": "1000%"}, "patching.maxErrors: '1000%' is out of range"),
        ({**ONE, "maxConcurrency": 0}, "patching.maxConcurrency: '0' is out of range"),
        (
            {**ONE, "windowDurationHours": 2, "windowCutoffHours": 2},
            "patching.windowCutoffHours: 2 is out of range 0-1 (less than windowDurationHours)",
        ),
        ({**ONE, "scheduleTimezone": "Nowhere"}, "patching.scheduleTimezone: 'Nowhere' is not"),
        ({**ONE, "targetTagValues": ["a", 5]}, "patching.targetTagValues[1]: expected a valid"),
        ({**ONE, "approveAfterDays": -1}, "patching.approveAfterDays: -1 is out of range 0-360"),
        ([], "patching: expected a mapping of options, got a list"),
    ],
)
def test_bad_config_names_the_key(section: Any, message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        PatchManagementArgs.from_config("patching", section)
    assert str(err.value).startswith(message)


def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, tags={"team": "ops"})
    taggable = [
        *plan.of_type("aws:iam/role:Role"),
        *plan.of_type(BASELINE),
        *plan.of_type(WINDOW),
        *plan.of_type("aws:ssm/association:Association"),
    ]
    assert len(taggable) == 1 + len(REGIONS) * (2 + 1 + 2)
    for resource in taggable:
        assert resource.inputs["tags"]["team"] == "ops", resource.name
        assert resource.inputs["tags"]["secbaseline:component"] == "PatchManagement"
    component = plan.one("secbaseline:index:PatchManagement")
    assert all(r.parent == component.urn for r in plan.custom_resources())


def test_account_id_output_is_wired_and_checked(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        account = aws.get_caller_identity_output().account_id
        PatchManagement("patching", PatchManagementArgs(regions=["us-east-1"], account_id=account))

    setting = run_program(program).one("aws:ssm/serviceSetting:ServiceSetting")
    assert setting.inputs["settingId"].startswith(f"arn:aws:ssm:us-east-1:{ACCOUNT}:")

    def bad() -> None:
        topic = aws.sns.Topic("t")
        PatchManagement(
            "patching", PatchManagementArgs(regions=["us-east-1"], account_id=topic.arn)
        )

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(bad)
    assert "account_id: 'arn:aws:sns:" in str(err.value)


def test_outputs_by_region(run_program: Callable[..., Plan]) -> None:
    found: dict[str, Any] = {}

    def program() -> None:
        component = PatchManagement(
            "patching",
            {"regions": ["us-east-1"], "operating_systems": ["WINDOWS"]},  # type: ignore[arg-type]
        )
        found["baselines"] = {r: sorted(b) for r, b in component.baselines.items()}
        found["windows"] = {r: sorted(w) for r, w in component.windows.items()}
        found["scans"] = sorted(component.scans)
        found["patch_group"] = component.patch_group

    run_program(program)
    assert found == {
        "baselines": {"us-east-1": ["WINDOWS"]},
        "windows": {"us-east-1": ["install"]},
        "scans": ["us-east-1"],
        "patch_group": "secbaseline",
    }


def test_ubuntu_and_debian_baselines_approve_by_priority_without_a_delay(
    run_program: Callable[..., Plan],
) -> None:
    """Their repositories carry no release dates: AWS rejects approve_after_days there."""
    plan = build(run_program, regions=("us-east-1",), operating_systems=("UBUNTU", "DEBIAN"))
    baselines = {b.inputs["operatingSystem"]: b for b in plan.of_type(BASELINE)}
    assert sorted(baselines) == ["DEBIAN", "UBUNTU"]
    for baseline in baselines.values():
        rules = baseline.inputs["approvalRules"]
        assert [
            ({f["key"]: f["values"] for f in r["patchFilters"]}, r["complianceLevel"])
            for r in rules
        ] == [
            ({"PRIORITY": ["Required", "Important"]}, "CRITICAL"),
            ({"PRIORITY": ["Standard", "Optional", "Extra"]}, "MEDIUM"),
        ]
        assert all("approveAfterDays" not in r and r["enableNonSecurity"] is False for r in rules)
        assert "at once" in baseline.inputs["description"]
    defaults = plan.of_type("aws:ssm/defaultPatchBaseline:DefaultPatchBaseline")
    assert sorted(d.inputs["operatingSystem"] for d in defaults) == ["DEBIAN", "UBUNTU"]
