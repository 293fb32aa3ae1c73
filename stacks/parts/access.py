"""SSM-only access, patching and vulnerability scanning (S-01..S-04, S-13).

Where things go (each overridable with the section's ``region``/``regions`` key):

- Fargate bastion (``bastion``, on by default) and its private network: the home region.
- EC2 bastion (``ec2Bastion``, opt-in ``enabled: true``): the home region, sharing the
  Fargate bastion's private network when both are there and no VPC is given.
- Session Manager preferences (``sessionManager``): every detection region, so a session
  opened anywhere is encrypted and logged. Each region costs a KMS key (~$1/month); list
  fewer ``regions`` to save.
- Patching and inventory (``patching``): every detection region (free; baselines are regional).
  With Session Manager preferences on, the Default Host Management role may also decrypt
  session data and write session logs in the preferences' regions.
- Inspector (``vulnerabilityScanning``): every detection region.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ArgumentError, ComponentArgs, config_key
from secbaseline.baseline.settings import thaw
from secbaseline.components import _adoption
from secbaseline.components.ec2_bastion import Ec2Bastion, Ec2BastionArgs
from secbaseline.components.fargate_bastion import FargateBastion, FargateBastionArgs
from secbaseline.components.patch_finding_notices import (
    PatchFindingNotices,
    PatchFindingNoticesArgs,
)
from secbaseline.components.patch_management import PatchManagement, PatchManagementArgs
from secbaseline.components.private_network import (
    DEFAULT_AZ_COUNT,
    DEFAULT_CIDR_BLOCK,
    EC2_ENDPOINTS,
    FARGATE_ENDPOINTS,
    InterfaceEndpoint,
    PrivateNetwork,
    PrivateNetworkArgs,
)
from secbaseline.components.session_manager import (
    SessionManagerPreferences,
    SessionManagerPreferencesArgs,
)
from secbaseline.components.vulnerability_scanning import (
    VulnerabilityScanning,
    VulnerabilityScanningArgs,
)
from secbaseline.stacks.adoption import adopt_args
from secbaseline.stacks.context import TierContext
from secbaseline.stacks.sections import SECTION_EXTRA_KEYS


def _enabled(section_name: str, section: Mapping[str, Any], default: bool) -> bool:
    return validate.boolean(f"{section_name}.enabled", section.get("enabled", default))


_NETWORK_KEYS = ("cidrBlock", "availabilityZones", "azCount")
"""Bastion-section keys that shape the network a bastion creates."""


def _bastion_options(
    ctx: TierContext, name: str, args: type[ComponentArgs], default: bool
) -> dict[str, Any] | None:
    """A bastion section's options (without ``enabled``) when it is on, else None; its keys
    are checked either way. The tier sets the account id and the name prefix."""
    raw = dict(thaw(ctx.settings.section(name)))
    args.check_keys(name, raw, extra=("enabled",))
    for key in ("accountId", "namePrefix"):
        if key in raw:
            raise ArgumentError(f"{name}.{key}: set by the tier; remove it from the section")
    if not _enabled(name, raw, default):
        return None
    raw.pop("enabled", None)
    return raw


def _unless_given(raw: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """The values the tier sets, except those the section sets itself (by config key)."""
    return {k: v for k, v in values.items() if config_key("", k) not in raw}


def build_patch_finding_notices(ctx: TierContext) -> None:
    """Inspector EC2 findings joined with patch state and next window (S-13), once the
    notifications topic exists (intermediate tier and up). Off with
    ``vulnerabilityScanning.patchFindingNotices: false``."""
    raw = ctx.settings.section("vulnerabilityScanning")
    notices = raw.get("patchFindingNotices", True) if isinstance(raw, Mapping) else True
    enabled = validate.boolean("vulnerabilityScanning.patchFindingNotices", notices)
    topic = ctx.notification_topic_arn
    if not enabled or topic is None:
        return
    settings = ctx.settings
    PatchFindingNotices(
        "patch-finding-notices",
        PatchFindingNoticesArgs(
            regions=list(settings.regions),
            home_region=settings.home_region,
            notification_topic_arn=topic,
            notification_kms_key_arn=ctx.notification_key_arn,
            account_id=ctx.account_id,
            name_prefix=settings.name_prefix,
        ),
        opts=ctx.opts(),
    )


def build(ctx: TierContext) -> None:
    """Bastions, Session Manager preferences, patching, inventory and Inspector."""
    settings = ctx.settings
    prefix = settings.name_prefix
    home = settings.home_region

    def options(
        name: str,
        args: type[SessionManagerPreferencesArgs | PatchManagementArgs | VulnerabilityScanningArgs],
    ) -> dict[str, Any] | None:
        """The section's options (without ``enabled``) when it is on (the default), else None.
        Its keys are checked either way; the tier sets the account id and the name prefix, and
        fills in defaults (such as ``regions``) the section leaves out."""
        from secbaseline.baseline.args import ArgumentError
        from secbaseline.baseline.settings import thaw

        raw = dict(thaw(settings.section(name)))
        args.check_keys(name, raw, extra=("enabled", *SECTION_EXTRA_KEYS.get(name, ())))
        raw.pop("patchFindingNotices", None)
        for key in ("accountId", "namePrefix", "adoptDocuments", "adoptEnablers"):
            if key in raw:
                raise ArgumentError(f"{name}.{key}: set by the tier; remove it from the section")
        return raw if validate.boolean(f"{name}.enabled", raw.pop("enabled", True)) else None

    adopt = adopt_args(ctx)
    session = None
    if (raw := options("sessionManager", SessionManagerPreferencesArgs)) is not None:
        raw.setdefault("regions", list(settings.regions))
        session_args = SessionManagerPreferencesArgs.from_config(
            "sessionManager",
            raw,
            account_id=ctx.account_id,
            name_prefix=prefix,
            # The adopt section covers every detection region; these preferences fewer.
            adopt_documents=_adoption.only(
                adopt.session_manager_document,
                raw["regions"] if isinstance(raw["regions"], list) else [],
            ),
        )
        session = SessionManagerPreferences("session-manager", session_args, opts=ctx.opts())

    patching = None
    if (raw := options("patching", PatchManagementArgs)) is not None:
        raw.setdefault("regions", list(settings.regions))
        raw.setdefault("patchGroup", prefix)
        patch_args = PatchManagementArgs.from_config(
            "patching", raw, account_id=ctx.account_id, name_prefix=prefix
        )
        patching = PatchManagement("patching", patch_args, opts=ctx.opts())

    if session is not None and patching is not None and patching.dhmc_role is not None:
        # The DHMC default policy cannot decrypt sessions or write session logs, so without
        # this, instances managed by DHMC could not open sessions under the preferences.
        aws.iam.RolePolicy(
            "patching-dhmc-session-logging",
            role=patching.dhmc_role.id,
            policy=iam.dumps(session.client_statements()),
            opts=ctx.opts().merge(pulumi.ResourceOptions(parent=patching)),
        )

    if (raw := options("vulnerabilityScanning", VulnerabilityScanningArgs)) is not None:
        raw.setdefault("regions", list(settings.regions))
        scan_args = VulnerabilityScanningArgs.from_config(
            "vulnerabilityScanning",
            raw,
            account_id=ctx.account_id,
            adopt_enablers=_adoption.only(
                adopt.inspector, raw["regions"] if isinstance(raw["regions"], list) else []
            ),
        )
        # In advanced-tier members the security account's auto-enable turns Inspector on.
        if "inspector" not in settings.organization_owned:
            VulnerabilityScanning("vulnerability-scanning", scan_args, opts=ctx.opts())

    fargate_raw = _bastion_options(ctx, "bastion", FargateBastionArgs, True)
    ec2_raw = _bastion_options(ctx, "ec2Bastion", Ec2BastionArgs, False)
    fargate_args = ec2_args = None
    if fargate_raw is not None:
        fargate_args = FargateBastionArgs.from_config(
            "bastion",
            fargate_raw,
            account_id=ctx.account_id,
            name_prefix=prefix,
            **_unless_given(fargate_raw, region=home),
        )
    if ec2_raw is not None:
        region = ec2_raw.get("region", home)
        session_values: dict[str, Any] = {}
        if session is not None and region in session.log_groups:
            # The session log group is encrypted with the session key (created or given).
            log_group = session.log_groups[region]
            session_values = {
                "session_kms_key_arn": log_group.kms_key_id.apply(lambda arn: arn or ""),
                "session_log_group_arn": log_group.arn,
            }
        ec2_args = Ec2BastionArgs.from_config(
            "ec2Bastion",
            ec2_raw,
            name_prefix=prefix,
            **_unless_given(
                ec2_raw,
                region=home,
                patch_group=patching.patch_group if patching is not None else None,
                **session_values,
            ),
        )

    # One private network serves both bastions when they share a region and bring no VPC.
    if fargate_args is not None and fargate_args.vpc_id is None:
        share = (
            ec2_args is not None
            and ec2_args.vpc_id is None
            and fargate_args.region == ec2_args.region
        )
        if share:
            for key in (k for k in _NETWORK_KEYS if k in (ec2_raw or {})):
                raise ValueError(
                    f"ec2Bastion.{key}: the EC2 bastion shares the Fargate bastion's network; "
                    f"set bastion.{key} instead"
                )
        endpoints = set(FARGATE_ENDPOINTS) | (set(EC2_ENDPOINTS) if share else set())
        network = PrivateNetwork(
            "bastion-network",
            PrivateNetworkArgs(
                region=fargate_args.region,
                cidr_block=fargate_args.cidr_block,
                availability_zones=fargate_args.availability_zones,
                az_count=fargate_args.az_count,
                interface_endpoints=[InterfaceEndpoint(e) for e in sorted(endpoints)],
                account_id=ctx.account_id,
                name_prefix=fargate_args.name_prefix,
                tags=fargate_args.tags,
            ),
            opts=ctx.opts(),
        )
        fargate_args = dataclasses.replace(
            fargate_args,
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            endpoint_security_group_id=network.endpoint_security_group_id,
            cidr_block=DEFAULT_CIDR_BLOCK,
            availability_zones=[],
            az_count=DEFAULT_AZ_COUNT,
        )
        if share and ec2_args is not None:
            ec2_args = dataclasses.replace(
                ec2_args,
                vpc_id=network.vpc_id,
                subnet_id=network.subnet_ids[0],
                endpoint_security_group_id=network.endpoint_security_group_id,
            )

    if fargate_args is not None:
        bastion = FargateBastion("fargate-bastion", fargate_args, opts=ctx.opts())
        pulumi.export("bastionStartCommand", bastion.start_command)
        pulumi.export("bastionExecCommand", bastion.exec_command)
        pulumi.export("bastionRunTaskNetworkConfiguration", bastion.run_task_network_configuration)
    if ec2_args is not None:
        ec2 = Ec2Bastion("ec2-bastion", ec2_args, opts=ctx.opts())
        pulumi.export("ec2BastionStartSessionCommand", ec2.start_session_command)
