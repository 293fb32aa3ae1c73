"""PatchManagement (S-13): baselines, scan/install windows, inventory and DHMC per region."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan, RecordedResource
from secbaseline.components import PatchManagement, PatchManagementArgs
from secbaseline.components.patch_management import DHMC_POLICY, DHMC_ROLE_NAME

REGIONS = ("ap-northeast-1", "us-east-1")
ACCOUNT = "111111111111"
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

    windows = plan.of_type(WINDOW)
    assert sorted((w.inputs["region"], w.inputs["schedule"]) for w in windows) == sorted(
        (region, schedule)
        for region in REGIONS
        for schedule in ("cron(0 3 ? * * *)", "cron(0 4 ? * SUN *)")
    )
    for window in windows:
        assert window.inputs["scheduleTimezone"] == "UTC"
        assert (window.inputs["duration"], window.inputs["cutoff"]) == (3, 1)
        assert window.inputs["allowUnassociatedTargets"] is False
    for target in plan.of_type(TARGET):
        assert target.inputs["resourceType"] == "INSTANCE"
        assert target.inputs["targets"] == [{"key": "tag:Patch Group", "values": ["secbaseline"]}]
    tasks = plan.of_type(TASK)
    assert len(tasks) == 4
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
        expected = "Scan" if window.inputs["schedule"].startswith("cron(0 3") else "Install"
        assert parameters(task) == {
            "Operation": [expected],
            "RebootOption": ["RebootIfNeeded" if expected == "Install" else "NoReboot"],
        }

    inventory = plan.of_type("aws:ssm/association:Association")
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
        ({"regions": ("nowhere-1",)}, "patching.regions: unknown AWS region"),
        ({"operating_systems": ()}, "patching.operatingSystems: name at least one OS family"),
        ({"operating_systems": ("MACOS",)}, "patching.operatingSystems: 'MACOS' is not one of"),
        (
            {"operating_systems": ("WINDOWS", "WINDOWS")},
            "patching.operatingSystems: an OS family is listed twice",
        ),
        ({"approve_after_days": 400}, "patching.approveAfterDays: 400 is out of range 0-360"),
        ({"patch_group": ""}, "patching.patchGroup: '' is not a tag value"),
        ({"target_tag_key": "a" * 200}, "patching.targetTagKey:"),
        ({"target_tag_values": ("ok", "bad\n")}, "patching.targetTagValues: 'bad\\n'"),
        ({"scan_schedule": "daily"}, "patching.scanSchedule: 'daily' is not a schedule"),
        (
            {"install_schedule": "cron(0 4 * * SUN *)"},
            "patching.installSchedule: 'cron(0 4 * * SUN *)': exactly one",
        ),
        ({"inventory_schedule": "rate(1 days)"}, "patching.inventorySchedule: 'rate(1 days)'"),
        (
            {"schedule_timezone": "Mars/Olympus"},
            "patching.scheduleTimezone: 'Mars/Olympus' is not an IANA",
        ),
        ({"window_duration_hours": 25}, "patching.windowDurationHours: 25 is out of range 1-24"),
        ({"window_cutoff_hours": 3}, "patching.windowCutoffHours: 3 is out of range 0-2"),
        ({"max_concurrency": "0"}, "patching.maxConcurrency: '0' is out of range 1-10000"),
        ({"max_concurrency": "150%"}, "patching.maxConcurrency: '150%' is out of range 1-100%"),
        ({"max_errors": "-1"}, "patching.maxErrors: '-1' is not a count"),
        ({"reboot_option": "Always"}, "patching.rebootOption: 'Always' is not one of"),
        ({"inventory": "yes"}, "patching.inventory: expected true or false"),
        ({"default_host_management": None}, "patching.defaultHostManagement: expected true"),
    ],
)
def test_bad_args_raise_naming_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        PatchManagementArgs(**{"regions": REGIONS, **kwargs}).validate()
    assert str(err.value).startswith(message)


def test_from_config() -> None:
    args = PatchManagementArgs.from_config(
        {"operatingSystems": ["WINDOWS"], "maxConcurrency": 5, "maxErrors": 0, "enabled": True},
        REGIONS,
    )
    args.validate()
    assert args.regions == REGIONS
    assert args.operating_systems == ("WINDOWS",)
    assert (args.max_concurrency, args.max_errors) == ("5", "0")
    with pytest.raises(ValueError, match=r"^patching.installNow: unknown option"):
        PatchManagementArgs.from_config({"installNow": True}, REGIONS)
    with pytest.raises(ValueError, match=r"^patching.operatingSystems: expected a list"):
        PatchManagementArgs.from_config({"operatingSystems": "WINDOWS"}, REGIONS)
    with pytest.raises(ValueError, match=r"^patching.maxErrors: '1000%' is out of range"):
        PatchManagementArgs.from_config({"maxErrors": "1000%"}, REGIONS)
