"""Account-level hardening every tier relies on (S-03, S-09; EC2.2, EC2.6, EC2.182, IAM.18)."""

from secbaseline.baseline.args import ArgumentError, config_key
from secbaseline.baseline.settings import thaw
from secbaseline.components import _adoption
from secbaseline.components.account_hardening import AccountHardening, AccountHardeningArgs
from secbaseline.stacks.adoption import adopt_args
from secbaseline.stacks.context import TierContext

SECTION = "accountHardening"
TIER_SET = (
    "regions",
    "account_id",
    "name_prefix",
    "adopt_password_policy",
    "adopt_ebs_encryption",
    "adopt_ebs_default_key",
)
"""Arguments the tier sets itself (``detectionRegions``, ``accountId``, ``namePrefix``, the
``adopt`` section), refused in the section."""


def build(ctx: TierContext) -> AccountHardening:
    """Account defaults in every detection region."""
    raw = dict(thaw(ctx.settings.section(SECTION)))
    for name in TIER_SET:
        if config_key("", name) in raw:
            raise ArgumentError(
                f"{config_key(SECTION, name)}: set by the tier (detectionRegions, accountId, "
                "namePrefix, adopt); remove it"
            )
    adopt = adopt_args(ctx)
    keys = raw.get("ebsKmsKeyArns")
    args = AccountHardeningArgs.from_config(
        SECTION,
        raw,
        regions=ctx.settings.regions,
        account_id=ctx.account_id,
        name_prefix=ctx.settings.name_prefix,
        adopt_password_policy=adopt.password_policy,
        adopt_ebs_encryption=adopt.ebs_encryption,
        # Only regions that set a customer key have a default-key resource to adopt.
        adopt_ebs_default_key=_adoption.only(
            adopt.ebs_default_key, list(keys) if isinstance(keys, dict) else []
        ),
    )
    return AccountHardening("account-hardening", args, opts=ctx.opts())
