"""Opt-in data-protection examples: bucket, edge, database, API, upload scanning of an existing
bucket (S-05..S-12, S-14, S-31).

Nothing is created unless its config section says ``enabled: true``: the tier never builds a
database or a distribution nobody asked for. Each section is parsed by its component's declared
arguments (``XArgs.from_config``): unknown keys (also in a disabled section) and bad values fail
the preview naming the config key.
The API requires SigV4-signed (IAM) callers unless ``api.authorizer`` says ``JWT`` or, to
publish it unauthenticated, ``NONE``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secbaseline.baseline import validate
from secbaseline.baseline.args import ArgumentError, ComponentArgs
from secbaseline.baseline.settings import thaw
from secbaseline.components.api_function import ApiFunction, ApiFunctionArgs
from secbaseline.components.central_backup_vault import central_vault_arn
from secbaseline.components.edge_protection import EdgeProtection, EdgeProtectionArgs
from secbaseline.components.secure_bucket import SecureBucket, SecureBucketArgs
from secbaseline.components.secure_database import SecureDatabase, SecureDatabaseArgs
from secbaseline.components.upload_scanning import UploadScanning, UploadScanningArgs
from secbaseline.stacks.context import TierContext


@dataclass
class DataProtection:
    """What the part created (None where the section is not enabled)."""

    bucket: SecureBucket | None = None
    edge: EdgeProtection | None = None
    database: SecureDatabase | None = None
    api: ApiFunction | None = None
    upload_scanning: UploadScanning | None = None


def _section(ctx: TierContext, name: str, args: type[ComponentArgs]) -> Mapping[str, Any] | None:
    """The section's options (without ``enabled``) when ``enabled: true``, else None; its keys
    are checked either way."""
    raw = dict(thaw(ctx.settings.section(name)))
    args.check_keys(name, raw, extra=("enabled",))
    if not validate.boolean(f"{name}.enabled", raw.pop("enabled", False)):
        return None
    return raw


def _with_copy_region(ctx: TierContext, section: Mapping[str, Any]) -> dict[str, Any]:
    """The database section with ``backupPlan.copyRegion`` defaulted to the first other
    detection region (S-06: a copy outside the database's region), unless the section sets it
    (``null`` turns the copy off) or there is no other detection region."""
    out = dict(section)
    plan = out.get("backupPlan", {})
    if not isinstance(plan, Mapping) or "copyRegion" in plan:
        return out
    own = out.get("region") or ctx.settings.home_region
    others = sorted(r for r in ctx.settings.regions if r != own)
    if others:
        plan = {**plan, "copyRegion": others[0]}
    s = ctx.settings
    if (
        s.tier == "advanced"
        and s.role in ("member", "management")
        and s.security_account_id
        and "copyToVaultArn" not in plan
    ):
        # The security stack's locked central vault (CentralBackupVault), home region.
        plan = {
            **plan,
            "copyToVaultArn": central_vault_arn(
                s.home_region, s.security_account_id, s.name_prefix
            ),
        }
    out["backupPlan"] = plan
    return out


def build(ctx: TierContext) -> DataProtection:
    """Create the components whose config sections are enabled."""
    created = DataProtection()
    prefix = ctx.settings.name_prefix
    if (section := _section(ctx, "bucket", SecureBucketArgs)) is not None:
        created.bucket = SecureBucket(
            f"{prefix}-data", SecureBucketArgs.from_config("bucket", section), opts=ctx.opts()
        )
    if (section := _section(ctx, "edge", EdgeProtectionArgs)) is not None:
        created.edge = EdgeProtection(
            f"{prefix}-edge", EdgeProtectionArgs.from_config("edge", section), opts=ctx.opts()
        )
    if (section := _section(ctx, "database", SecureDatabaseArgs)) is not None:
        section = _with_copy_region(ctx, section)
        created.database = SecureDatabase(
            f"{prefix}-db", SecureDatabaseArgs.from_config("database", section), opts=ctx.opts()
        )
    if (section := _section(ctx, "api", ApiFunctionArgs)) is not None:
        created.api = ApiFunction(
            f"{prefix}-api", ApiFunctionArgs.from_config("api", section), opts=ctx.opts()
        )
    return created


UPLOAD_TIER_KEYS = ("accountId", "namePrefix", "notificationTopicArn", "notificationKmsKeyArn")


def build_upload_scanning(ctx: TierContext) -> UploadScanning | None:
    """Malware scanning of an existing bucket (``uploadScanning``, opt-in). Built after the
    notifications part where there is one (intermediate tier and up), so scan results that
    need a person reach the security topic."""
    section = _section(ctx, "uploadScanning", UploadScanningArgs)
    if section is None:
        return None
    for key in UPLOAD_TIER_KEYS:
        if key in section:
            raise ArgumentError(f"uploadScanning.{key}: set by the tier; remove it")
    args = UploadScanningArgs.from_config(
        "uploadScanning",
        section,
        account_id=ctx.account_id,
        name_prefix=ctx.settings.name_prefix,
        notification_topic_arn=ctx.notification_topic_arn,
        notification_kms_key_arn=ctx.notification_key_arn,
    )
    return UploadScanning(f"{ctx.settings.name_prefix}-uploads", args, opts=ctx.opts())
