"""Patch Manager, Inventory and Default Host Management: every instance known and patched.

Checklist: S-13 (OS and middleware vulnerability management: SSM Inventory + Patch Manager).

Every managed instance in every region is inventoried and scanned for missing patches (State
Manager associations targeting all instances); installing patches, which may reboot, stays
scoped to the instances tagged for the install window.
"""

import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws
import pydantic

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import baseline_tags, physical_name

TYPE_TOKEN = "secbaseline:index:PatchManagement"
DHMC_ROLE_NAME = "AWSSystemsManagerDefaultEC2InstanceManagementRole"
DHMC_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"
DHMC_SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
COMPLIANCE_LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
REBOOT_OPTIONS = ("RebootIfNeeded", "NoReboot")
_PATCH_GROUP = re.compile(r"^[\w .:/=+\-@]{1,256}$")
_TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")


@dataclass(frozen=True)
class ApprovalRule:
    """One approval rule of a baseline: which patches, and how severe missing them is."""

    filters: Mapping[str, tuple[str, ...]]
    """Patch filter key -> values (keys depend on the OS)."""
    compliance_level: str
    """Severity of an instance missing these patches."""
    dated: bool = True
    """False where the OS repositories carry no reliable release dates (Ubuntu, Debian): AWS
    refuses ``approve_after_days`` there and approves matching patches at once."""


def _linux_rules(lower_severities: tuple[str, ...]) -> tuple[ApprovalRule, ...]:
    """Security fixes rated critical/important first, then the lower-rated security fixes."""
    return (
        ApprovalRule(
            {"CLASSIFICATION": ("Security",), "SEVERITY": ("Critical", "Important")}, "CRITICAL"
        ),
        ApprovalRule(
            {"CLASSIFICATION": ("Security", "Bugfix"), "SEVERITY": lower_severities}, "MEDIUM"
        ),
    )


def _debian_family_rules() -> tuple[ApprovalRule, ...]:
    """Ubuntu and Debian rate packages by Debian priority (Required/Important/Standard/Optional/
    Extra); with non-security updates off, only the security pockets are approved."""
    return (
        ApprovalRule({"PRIORITY": ("Required", "Important")}, "CRITICAL", dated=False),
        ApprovalRule({"PRIORITY": ("Standard", "Optional", "Extra")}, "MEDIUM", dated=False),
    )


# Supported OS families (the patch baseline operating_system value) and their default rules.
# SEVERITY values are the publisher's: Amazon Linux advisories (ALAS) rate
# Critical/Important/Medium/Low, Red Hat errata Critical/Important/Moderate/Low.
OS_RULES: Mapping[str, tuple[ApprovalRule, ...]] = {
    "AMAZON_LINUX_2023": _linux_rules(("Medium", "Low")),
    "AMAZON_LINUX_2": _linux_rules(("Medium", "Low")),
    "REDHAT_ENTERPRISE_LINUX": _linux_rules(("Moderate", "Low")),
    "UBUNTU": _debian_family_rules(),
    "DEBIAN": _debian_family_rules(),
    "WINDOWS": (
        ApprovalRule(
            {
                "CLASSIFICATION": ("CriticalUpdates", "SecurityUpdates"),
                "MSRC_SEVERITY": ("Critical", "Important"),
            },
            "CRITICAL",
        ),
        ApprovalRule(
            {
                "CLASSIFICATION": ("CriticalUpdates", "SecurityUpdates", "UpdateRollups"),
                "MSRC_SEVERITY": ("Moderate", "Low", "Unspecified"),
            },
            "MEDIUM",
        ),
    ),
}


class PatchOperatingSystem(StrEnum):
    """An OS family with a patch baseline (the baseline's ``operating_system``)."""

    AMAZON_LINUX_2023 = "AMAZON_LINUX_2023"
    """Amazon Linux 2023 (ALAS severities Critical/Important/Medium/Low)."""
    AMAZON_LINUX_2 = "AMAZON_LINUX_2"
    """Amazon Linux 2 (ALAS severities Critical/Important/Medium/Low)."""
    REDHAT_ENTERPRISE_LINUX = "REDHAT_ENTERPRISE_LINUX"
    """Red Hat Enterprise Linux (errata severities Critical/Important/Moderate/Low)."""
    UBUNTU = "UBUNTU"
    """Ubuntu Server (Debian priorities; approved at once, no release dates in the repos)."""
    DEBIAN = "DEBIAN"
    """Debian Server (Debian priorities; approved at once, no release dates in the repos)."""
    WINDOWS = "WINDOWS"
    """Windows Server (MSRC severities)."""


class RebootOption(StrEnum):
    """What an install run does when a patch needs a reboot."""

    REBOOT_IF_NEEDED = "RebootIfNeeded"
    """Reboot when a patch needs it, so installed patches take effect."""
    NO_REBOOT = "NoReboot"
    """Never reboot; patches needing one stay pending (the instance reports it)."""


DEFAULT_OPERATING_SYSTEMS = ("AMAZON_LINUX_2023", "WINDOWS")


def _tag_value(field: str, value: object) -> str:
    if not isinstance(value, str) or not _PATCH_GROUP.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a tag value")
    return value


def _tag_key(field: str, value: object) -> str:
    if not isinstance(value, str) or not _TAG_KEY.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a tag key")
    return value


def _time_zone(field: str, value: object) -> str:
    try:
        zoneinfo.ZoneInfo(str(value))
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ValueError(f"{field}: {value!r} is not an IANA time zone") from None
    return str(value)


def _operating_systems(field: str, value: Any) -> Any:
    if not value:
        raise ValueError(f"{field}: name at least one OS family")
    if len(set(value)) != len(value):
        raise ValueError(f"{field}: an OS family is listed twice")
    return value


def _max_errors(field: str, value: object) -> str:
    return validate.count_or_percentage(field, value, allow_zero=True)


@component_args
class PatchManagementArgs(ComponentArgs):
    """Inputs of :class:`PatchManagement`."""

    regions: Sequence[str] = arg(check=validate.regions)
    """Regions to manage (baselines, windows and associations are regional)."""
    operating_systems: Sequence[PatchOperatingSystem] = arg(
        default_factory=lambda: list(DEFAULT_OPERATING_SYSTEMS), check=_operating_systems
    )
    """OS families to create baselines for: AMAZON_LINUX_2023, AMAZON_LINUX_2,
    REDHAT_ENTERPRISE_LINUX, UBUNTU, DEBIAN, WINDOWS."""
    approve_after_days: int = arg(default=7, ge=0, le=360)
    """Auto-approve matching patches this many days after release, 0-360 (not for UBUNTU and
    DEBIAN, whose repositories carry no release dates: AWS approves those at once)."""
    patch_group: str = arg(default="secbaseline", check=_tag_value)
    """Patch group the baselines serve; instances join with the ``Patch Group`` tag."""
    default_baselines: bool = True
    """Also make the baselines the region's default for their OS (untagged instances)."""
    scan_all_instances: bool = True
    """Scan every managed instance in each region (a State Manager association of
    AWS-RunPatchBaseline, Operation=Scan, on ``scan_schedule`` in UTC); False: scan only the
    tagged instances, in a scan maintenance window."""
    target_tag_key: str = arg(default="Patch Group", check=_tag_key)
    """The install window (and the scan window without ``scan_all_instances``) targets
    instances with this tag..."""
    target_tag_values: Sequence[str] = arg(default_factory=list, each=_tag_value)
    """...and one of these values (empty: the patch group)."""
    scan_schedule: str = arg(default="cron(0 3 ? * * *)", check=validate.schedule_expression)
    """When to scan for missing patches (daily 03:00 by default): ``cron(...)`` or
    ``rate(N unit)``; UTC with ``scan_all_instances`` (associations take no time zone)."""
    install_schedule: str = arg(default="cron(0 4 ? * SUN *)", check=validate.schedule_expression)
    """When to install approved patches (weekly, Sunday 04:00 by default)."""
    schedule_timezone: str = arg(default="UTC", check=_time_zone)
    """IANA time zone of the schedules (e.g. Asia/Tokyo)."""
    window_duration_hours: int = arg(default=3, ge=1, le=24)
    """Length of each maintenance window, 1-24 hours."""
    window_cutoff_hours: int = arg(default=1, ge=0, le=23)
    """Stop starting new tasks this many hours before the window ends (less than duration)."""
    max_concurrency: str = arg(default="10%", check=validate.count_or_percentage)
    """How many instances are patched at once: a count (1-10000) or a percentage (1-100%)."""
    max_errors: str = arg(default="10%", check=_max_errors)
    """Stop after this many failures: a count or a percentage (0 allowed)."""
    reboot_option: RebootOption = RebootOption.REBOOT_IF_NEEDED
    """RebootIfNeeded (patches take effect) or NoReboot, for install runs."""
    inventory: bool = True
    """Gather software inventory from every managed instance (AWS-GatherSoftwareInventory)."""
    inventory_schedule: str = arg(default="rate(1 day)", check=validate.schedule_expression)
    """How often inventory is gathered."""
    default_host_management: bool = True
    """Default Host Management Configuration: EC2 instances are managed without a profile."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """Account id for the service setting ARN; None: looked up with one caller-identity invoke."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of physical names (baselines, windows, targets, tasks, inventory association)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Extra tags on every taggable child (DHMC role, baselines, windows, associations)."""

    @pydantic.field_validator("max_concurrency", "max_errors", mode="before")
    @classmethod
    def _count_as_text(cls, value: Any) -> Any:
        """YAML and other languages may give a count as a number; SSM takes text."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def __post_init__(self) -> None:
        if self.window_cutoff_hours >= self.window_duration_hours:
            raise ValueError(
                f"window_cutoff_hours: {self.window_cutoff_hours} is out of range "
                f"0-{self.window_duration_hours - 1} (less than window_duration_hours)"
            )


class PatchManagement(pulumi.ComponentResource):
    """Patch baselines, scan and install windows, inventory, and DHMC in every region."""

    baselines: dict[str, dict[str, aws.ssm.PatchBaseline]]
    """Region -> OS family -> patch baseline."""
    windows: dict[str, dict[str, aws.ssm.MaintenanceWindow]]
    """Region -> "install" (and "scan" without ``scan_all_instances``) -> maintenance window."""
    scans: dict[str, aws.ssm.Association]
    """Region -> scan association over every managed instance (``scan_all_instances``)."""
    inventory: dict[str, aws.ssm.Association]
    """Region -> inventory association."""
    dhmc_role: aws.iam.Role | None
    """The Default Host Management role (None when not managed)."""
    patch_group: str
    """The patch group name (tag instances ``Patch Group: <this>`` to join it)."""

    def __init__(
        self,
        name: str,
        args: PatchManagementArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = PatchManagementArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = baseline_tags(args.tags, component="PatchManagement")
        targets = list(args.target_tag_values) or [args.patch_group]
        self.patch_group = args.patch_group
        self.baselines, self.windows, self.inventory, self.scans = {}, {}, {}, {}

        self.dhmc_role = None
        account: pulumi.Input[str] | None = None
        if args.default_host_management:
            account = (
                args.account_id
                if args.account_id is not None
                else aws.get_caller_identity_output(
                    opts=pulumi.InvokeOutputOptions(parent=self)
                ).account_id
            )
            # Name and path are the ones AWS documents for DHMC (the console creates the same).
            self.dhmc_role = aws.iam.Role(
                f"{name}-dhmc-role",
                name=DHMC_ROLE_NAME,
                path="/service-role/",
                description="Default Host Management: SSM manages EC2 instances without a profile",
                assume_role_policy=iam.service_assume_role_policy("ssm.amazonaws.com"),
                tags=tags,
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-dhmc-policy", role=self.dhmc_role.name, policy_arn=DHMC_POLICY, opts=child
            )

        for region in sorted(args.regions):
            self.baselines[region], self.windows[region] = {}, {}
            for os_name in sorted(str(o) for o in args.operating_systems):
                self._baseline(
                    name=name, args=args, region=region, os_name=os_name, tags=tags, child=child
                )
            windowed = [("install", args.install_schedule)]
            if args.scan_all_instances:
                self.scans[region] = self._scan_everything(name, args, region, tags, child)
            else:
                windowed.insert(0, ("scan", args.scan_schedule))
            for operation, schedule in windowed:
                self._window(
                    name=name,
                    args=args,
                    region=region,
                    operation=operation,
                    schedule=schedule,
                    targets=targets,
                    tags=tags,
                    child=child,
                )
            if args.inventory:
                self.inventory[region] = aws.ssm.Association(
                    f"{name}-inventory-{region}",
                    association_name=physical_name(args.name_prefix, "inventory"),
                    name="AWS-GatherSoftwareInventory",
                    targets=[{"key": "InstanceIds", "values": ["*"]}],
                    schedule_expression=args.inventory_schedule,
                    region=region,
                    tags=tags,
                    opts=child,
                )
            if self.dhmc_role is not None and account is not None:
                aws.ssm.ServiceSetting(
                    f"{name}-dhmc-{region}",
                    setting_id=pulumi.Output.concat(
                        "arn:aws:ssm:", region, ":", account, ":servicesetting", DHMC_SETTING
                    ),
                    setting_value=pulumi.Output.concat("service-role/", self.dhmc_role.name),
                    region=region,
                    opts=child,
                )
        self.register_outputs(
            {
                "regions": sorted(args.regions),
                "operatingSystems": sorted(str(o) for o in args.operating_systems),
                "patchGroup": args.patch_group,
                "scanAllInstances": args.scan_all_instances,
            }
        )

    @staticmethod
    def _scan_everything(
        name: str,
        args: PatchManagementArgs,
        region: str,
        tags: Mapping[str, str],
        child: pulumi.ResourceOptions,
    ) -> aws.ssm.Association:
        """A Scan of every managed instance: reports missing patches, installs nothing."""
        return aws.ssm.Association(
            f"{name}-scan-{region}",
            association_name=physical_name(args.name_prefix, "patch-scan"),
            name="AWS-RunPatchBaseline",
            parameters={"Operation": "Scan", "RebootOption": RebootOption.NO_REBOOT.value},
            targets=[{"key": "InstanceIds", "values": ["*"]}],
            schedule_expression=args.scan_schedule,
            max_concurrency=args.max_concurrency,
            max_errors=args.max_errors,
            compliance_severity="HIGH",
            region=region,
            tags=tags,
            opts=child,
        )

    def _baseline(
        self,
        *,
        name: str,
        args: PatchManagementArgs,
        region: str,
        os_name: str,
        tags: Mapping[str, str],
        child: pulumi.ResourceOptions,
    ) -> None:
        slug = os_name.lower().replace("_", "-")
        rules: list[aws.ssm.PatchBaselineApprovalRuleArgsDict] = []
        for rule in OS_RULES[os_name]:
            approval: aws.ssm.PatchBaselineApprovalRuleArgsDict = {
                "compliance_level": rule.compliance_level,
                "enable_non_security": False,
                "patch_filters": [
                    {"key": key, "values": list(values)} for key, values in rule.filters.items()
                ],
            }
            if rule.dated:
                approval["approve_after_days"] = args.approve_after_days
            rules.append(approval)
        dated = all(rule.dated for rule in OS_RULES[os_name])
        when = f"after {args.approve_after_days} days" if dated else "at once (no release dates)"
        extra: dict[str, Any] = {}
        if os_name == "WINDOWS":
            # Security updates not approved yet still make the instance non-compliant.
            extra["available_security_updates_compliance_status"] = "NON_COMPLIANT"
        baseline = aws.ssm.PatchBaseline(
            f"{name}-{slug}-{region}",
            name=physical_name(args.name_prefix, slug),
            description=f"{os_name}: security patches approved {when}",
            operating_system=os_name,
            approval_rules=rules,
            approved_patches_compliance_level="HIGH",
            region=region,
            tags=tags,
            opts=child,
            **extra,
        )
        self.baselines[region][os_name] = baseline
        aws.ssm.PatchGroup(
            f"{name}-{slug}-group-{region}",
            baseline_id=baseline.id,
            patch_group=args.patch_group,
            region=region,
            opts=child,
        )
        if args.default_baselines:
            aws.ssm.DefaultPatchBaseline(
                f"{name}-{slug}-default-{region}",
                baseline_id=baseline.id,
                operating_system=os_name,
                region=region,
                opts=child,
            )

    def _window(
        self,
        *,
        name: str,
        args: PatchManagementArgs,
        region: str,
        operation: str,
        schedule: str,
        targets: Sequence[str],
        tags: Mapping[str, str],
        child: pulumi.ResourceOptions,
    ) -> None:
        window = aws.ssm.MaintenanceWindow(
            f"{name}-{operation}-window-{region}",
            name=physical_name(args.name_prefix, f"patch-{operation}"),
            description=f"AWS-RunPatchBaseline {operation.capitalize()} on tagged instances",
            schedule=schedule,
            schedule_timezone=args.schedule_timezone,
            duration=args.window_duration_hours,
            cutoff=args.window_cutoff_hours,
            allow_unassociated_targets=False,
            region=region,
            tags=tags,
            opts=child,
        )
        self.windows[region][operation] = window
        target = aws.ssm.MaintenanceWindowTarget(
            f"{name}-{operation}-targets-{region}",
            window_id=window.id,
            name=physical_name(args.name_prefix, f"patch-{operation}-targets"),
            resource_type="INSTANCE",
            targets=[{"key": f"tag:{args.target_tag_key}", "values": list(targets)}],
            region=region,
            opts=child,
        )
        # No service_role_arn: the task runs with Systems Manager's service-linked role
        # (AWSServiceRoleForAmazonSSM), so this stack creates no broad maintenance role.
        aws.ssm.MaintenanceWindowTask(
            f"{name}-{operation}-task-{region}",
            window_id=window.id,
            name=physical_name(args.name_prefix, f"patch-{operation}"),
            task_type="RUN_COMMAND",
            task_arn="AWS-RunPatchBaseline",
            priority=1,
            max_concurrency=args.max_concurrency,
            max_errors=args.max_errors,
            targets=[{"key": "WindowTargetIds", "values": [target.id]}],
            task_invocation_parameters={
                "run_command_parameters": {
                    "comment": f"Patch {operation} by {args.name_prefix}",
                    "timeout_seconds": 600,
                    "parameters": [
                        {"name": "Operation", "values": [operation.capitalize()]},
                        {
                            "name": "RebootOption",
                            "values": [
                                str(args.reboot_option)
                                if operation == "install"
                                else RebootOption.NO_REBOOT.value
                            ],
                        },
                    ],
                }
            },
            region=region,
            opts=child,
        )
