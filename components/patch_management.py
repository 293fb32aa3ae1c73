"""Patch Manager, Inventory and Default Host Management: every instance known and patched.

Checklist: S-13 (OS and middleware vulnerability management: SSM Inventory + Patch Manager).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
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


# Supported OS families (the patch baseline operating_system value) and their default rules.
# SEVERITY values are the publisher's: Amazon Linux advisories (ALAS) rate
# Critical/Important/Medium/Low, Red Hat errata Critical/Important/Moderate/Low.
OS_RULES: Mapping[str, tuple[ApprovalRule, ...]] = {
    "AMAZON_LINUX_2023": _linux_rules(("Medium", "Low")),
    "AMAZON_LINUX_2": _linux_rules(("Medium", "Low")),
    "REDHAT_ENTERPRISE_LINUX": _linux_rules(("Moderate", "Low")),
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


@dataclass
class PatchManagementArgs:
    """Inputs of :class:`PatchManagement`."""

    regions: Sequence[str] = ()
    """Regions to manage (baselines, windows and associations are regional). Required."""
    operating_systems: Sequence[str] = ("AMAZON_LINUX_2023", "WINDOWS")
    """OS families to create baselines for: AMAZON_LINUX_2023, AMAZON_LINUX_2,
    REDHAT_ENTERPRISE_LINUX, WINDOWS."""
    approve_after_days: int = 7
    """Auto-approve matching patches this many days after release, 0-360."""
    patch_group: str = "secbaseline"
    """Patch group the baselines serve; instances join with the ``Patch Group`` tag."""
    default_baselines: bool = True
    """Also make the baselines the region's default for their OS (untagged instances)."""
    target_tag_key: str = "Patch Group"
    """The maintenance windows target instances with this tag..."""
    target_tag_values: Sequence[str] = ()
    """...and one of these values (empty: the patch group)."""
    scan_schedule: str = "cron(0 3 ? * * *)"
    """When to scan for missing patches (daily 03:00 by default)."""
    install_schedule: str = "cron(0 4 ? * SUN *)"
    """When to install approved patches (weekly, Sunday 04:00 by default)."""
    schedule_timezone: str = "UTC"
    """IANA time zone of the schedules (e.g. Asia/Tokyo)."""
    window_duration_hours: int = 3
    """Length of each maintenance window, 1-24 hours."""
    window_cutoff_hours: int = 1
    """Stop starting new tasks this many hours before the window ends (less than duration)."""
    max_concurrency: str = "10%"
    """How many instances are patched at once: a count or a percentage."""
    max_errors: str = "10%"
    """Stop after this many failures: a count or a percentage (0 allowed)."""
    reboot_option: str = "RebootIfNeeded"
    """RebootIfNeeded (patches take effect) or NoReboot."""
    inventory: bool = True
    """Gather software inventory from every managed instance (AWS-GatherSoftwareInventory)."""
    inventory_schedule: str = "rate(1 day)"
    """How often inventory is gathered."""
    default_host_management: bool = True
    """Default Host Management Configuration: EC2 instances are managed without a profile."""
    account_id: pulumi.Input[str] | None = None
    """Account id for the service setting ARN; None: looked up with one caller-identity invoke."""
    name_prefix: str = "secbaseline"
    """Prefix of physical names."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags on every resource."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.regions("patching.regions", list(self.regions))
        if not self.operating_systems:
            raise ValueError("patching.operatingSystems: name at least one OS family")
        for os_name in self.operating_systems:
            validate.one_of("patching.operatingSystems", os_name, sorted(OS_RULES))
        if len(set(self.operating_systems)) != len(self.operating_systems):
            raise ValueError("patching.operatingSystems: an OS family is listed twice")
        validate.int_range("patching.approveAfterDays", self.approve_after_days, 0, 360)
        if not isinstance(self.patch_group, str) or not _PATCH_GROUP.fullmatch(self.patch_group):
            raise ValueError(f"patching.patchGroup: {self.patch_group!r} is not a tag value")
        validate.boolean("patching.defaultBaselines", self.default_baselines)
        if not isinstance(self.target_tag_key, str) or not _TAG_KEY.fullmatch(self.target_tag_key):
            raise ValueError(f"patching.targetTagKey: {self.target_tag_key!r} is not a tag key")
        for value in self.target_tag_values:
            if not isinstance(value, str) or not _PATCH_GROUP.fullmatch(value):
                raise ValueError(f"patching.targetTagValues: {value!r} is not a tag value")
        validate.schedule_expression("patching.scanSchedule", self.scan_schedule)
        validate.schedule_expression("patching.installSchedule", self.install_schedule)
        try:
            zoneinfo.ZoneInfo(self.schedule_timezone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise ValueError(
                f"patching.scheduleTimezone: {self.schedule_timezone!r} is not an IANA time zone"
            ) from None
        validate.int_range("patching.windowDurationHours", self.window_duration_hours, 1, 24)
        validate.int_range(
            "patching.windowCutoffHours",
            self.window_cutoff_hours,
            0,
            self.window_duration_hours - 1,
        )
        validate.count_or_percentage("patching.maxConcurrency", self.max_concurrency)
        validate.count_or_percentage("patching.maxErrors", self.max_errors, allow_zero=True)
        validate.one_of("patching.rebootOption", self.reboot_option, REBOOT_OPTIONS)
        validate.boolean("patching.inventory", self.inventory)
        validate.schedule_expression("patching.inventorySchedule", self.inventory_schedule)
        validate.boolean("patching.defaultHostManagement", self.default_host_management)
        validate.name_prefix("patching.namePrefix", self.name_prefix)

    @classmethod
    def from_config(cls, section: Mapping[str, Any], regions: Sequence[str]) -> PatchManagementArgs:
        """Build from the ``patching`` config section; ``regions`` is the tier default."""
        keys = {
            "enabled": "enabled",
            "regions": "regions",
            "operatingSystems": "operating_systems",
            "approveAfterDays": "approve_after_days",
            "patchGroup": "patch_group",
            "defaultBaselines": "default_baselines",
            "targetTagKey": "target_tag_key",
            "targetTagValues": "target_tag_values",
            "scanSchedule": "scan_schedule",
            "installSchedule": "install_schedule",
            "scheduleTimezone": "schedule_timezone",
            "windowDurationHours": "window_duration_hours",
            "windowCutoffHours": "window_cutoff_hours",
            "maxConcurrency": "max_concurrency",
            "maxErrors": "max_errors",
            "rebootOption": "reboot_option",
            "inventory": "inventory",
            "inventorySchedule": "inventory_schedule",
            "defaultHostManagement": "default_host_management",
        }
        raw = validate.known_keys("patching", section, keys)
        values: dict[str, Any] = {keys[k]: v for k, v in raw.items() if k != "enabled"}
        for key in ("regions", "operatingSystems", "targetTagValues"):
            if key in raw:
                if not isinstance(raw[key], list | tuple):
                    raise ValueError(f"patching.{key}: expected a list")
                values[keys[key]] = tuple(raw[key])  # type: ignore[arg-type]  # checked just above
        values.setdefault("regions", tuple(regions))
        args = cls(**values)
        for key in ("maxConcurrency", "maxErrors"):
            if key in raw:  # accept integers in YAML; SSM wants text
                setattr(
                    args,
                    keys[key],
                    validate.count_or_percentage(
                        f"patching.{key}", raw[key], allow_zero=key == "maxErrors"
                    ),
                )
        return args


class PatchManagement(pulumi.ComponentResource):
    """Patch baselines, scan and install windows, inventory, and DHMC in every region."""

    baselines: dict[tuple[str, str], aws.ssm.PatchBaseline]
    """(region, OS family) -> patch baseline."""
    windows: dict[tuple[str, str], aws.ssm.MaintenanceWindow]
    """(region, "scan"|"install") -> maintenance window."""
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
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = baseline_tags(args.tags, component="PatchManagement")
        targets = list(args.target_tag_values) or [args.patch_group]
        self.patch_group = args.patch_group
        self.baselines, self.windows, self.inventory = {}, {}, {}

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
            for os_name in sorted(args.operating_systems):
                self._baseline(
                    name=name, args=args, region=region, os_name=os_name, tags=tags, child=child
                )
            for operation, schedule in (
                ("scan", args.scan_schedule),
                ("install", args.install_schedule),
            ):
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
                "operatingSystems": sorted(args.operating_systems),
                "patchGroup": args.patch_group,
            }
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
        rules: list[aws.ssm.PatchBaselineApprovalRuleArgsDict] = [
            {
                "approve_after_days": args.approve_after_days,
                "compliance_level": rule.compliance_level,
                "enable_non_security": False,
                "patch_filters": [
                    {"key": key, "values": list(values)} for key, values in rule.filters.items()
                ],
            }
            for rule in OS_RULES[os_name]
        ]
        extra: dict[str, Any] = {}
        if os_name == "WINDOWS":
            # Security updates not approved yet still make the instance non-compliant.
            extra["available_security_updates_compliance_status"] = "NON_COMPLIANT"
        baseline = aws.ssm.PatchBaseline(
            f"{name}-{slug}-{region}",
            name=physical_name(args.name_prefix, slug),
            description=f"{os_name}: security patches approved after {args.approve_after_days} days",
            operating_system=os_name,
            approval_rules=rules,
            approved_patches_compliance_level="HIGH",
            region=region,
            tags=tags,
            opts=child,
            **extra,
        )
        self.baselines[(region, os_name)] = baseline
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
        self.windows[(region, operation)] = window
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
                                args.reboot_option if operation == "install" else "NoReboot"
                            ],
                        },
                    ],
                }
            },
            region=region,
            opts=child,
        )
