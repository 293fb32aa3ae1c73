"""Account-level secure defaults: S3 Block Public Access, EBS encryption, IMDSv2, passwords.

Checklist: S-03 (IMDSv2 on every instance, as the account default in every region) and
S-09 (S3 Block Public Access at the account level).
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.components import _adoption
from secbaseline.components._adoption import Adoption

TYPE_TOKEN = "secbaseline:index:AccountHardening"


@component_args
class PasswordPolicy(ComponentArgs):
    """IAM account password policy (CIS AWS Foundations 1.8/1.9 defaults)."""

    minimum_length: int = arg(default=14, ge=8, le=128)
    """Minimum password length, 8-128 (CIS asks for 14)."""
    reuse_prevention: int = arg(default=24, ge=1, le=24)
    """How many previous passwords cannot be reused, 1-24 (CIS asks for 24)."""
    max_age_days: int | None = arg(default=None, ge=1, le=1095)
    """Days before a password expires (1-1095); None means no forced rotation (NIST 800-63B)."""


PASSWORD_POLICY_INPUTS = (
    "minimumPasswordLength",
    "requireLowercaseCharacters",
    "requireUppercaseCharacters",
    "requireNumbers",
    "requireSymbols",
    "allowUsersToChangePassword",
    "passwordReusePrevention",
    "maxPasswordAge",
)
"""What the baseline sets on the password policy (ignored while it is imported)."""


def _key_in_region(region: str) -> Callable[[str, object], str]:
    """A KMS key ARN in ``region``: EBS can only use a key from its own region."""

    def check(field: str, value: object) -> str:
        key_arn = validate.kms_key_arn(field, value)
        if key_arn.split(":")[3] != region:
            raise ValueError(
                f"{field}: key {key_arn} is in another region; EBS can only use a key from its "
                "own region"
            )
        return key_arn

    return check


def _ebs_keys(field: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """Region -> KMS key ARN: known regions, each key (now or when it resolves) in its region."""
    out: dict[str, Any] = {}
    for region, key_arn in value.items():
        validate.region(f"{field}[{region}]", region)
        label = f"{field}[{region}]"
        check = _key_in_region(region)
        if isinstance(key_arn, pulumi.Output):
            out[region] = key_arn.apply(functools.partial(check, label))
        else:
            out[region] = check(label, key_arn)
    return out


def _regions(field: str, value: Sequence[str]) -> tuple[str, ...]:
    return validate.regions(field, list(value))


@component_args
class AccountHardeningArgs(ComponentArgs):
    """Inputs of :class:`AccountHardening`."""

    regions: Sequence[str] = arg(check=_regions)
    """Regions for the regional defaults (EBS encryption, instance metadata); no duplicates."""
    ebs_kms_key_arns: Mapping[str, pulumi.Input[str]] = arg(default_factory=dict, check=_ebs_keys)
    """Region -> customer KMS key ARN for default EBS encryption in that region (the key must
    be in that region and the region one of ``regions``); the AWS-managed ``aws/ebs`` key
    elsewhere."""
    imds_hop_limit: int = arg(default=1, ge=1, le=64)
    """IMDS response hop limit, 1-64. 1 stops containers reaching credentials; 2 for EKS nodes."""
    block_public_access: bool = True
    """Turn on all four account-level S3 Block Public Access flags (opt-out: False)."""
    manage_password_policy: bool = True
    """Own the IAM account password policy (False when another tool manages it)."""
    password_policy: PasswordPolicy = arg(default_factory=PasswordPolicy)
    """The password policy to apply (with ``manage_password_policy``)."""
    adopt_password_policy: Adoption = arg(default_factory=Adoption)
    """An existing password policy: create (default; AWS replaces it), import (id derived) or
    skip (like ``manage_password_policy: false``). See docs/adoption.md."""
    adopt_ebs_encryption: Mapping[str, Adoption] = arg(
        default_factory=dict, check=_adoption.by_region
    )
    """Region -> EBS encryption by default: create (default; AWS just turns it on), import (id
    derived) or skip."""
    adopt_ebs_default_key: Mapping[str, Adoption] = arg(
        default_factory=dict, check=_adoption.by_region
    )
    """Region (one of ``ebs_kms_key_arns``) -> the EBS default key: create (default; AWS just
    sets it), import (id: the key ARN now set) or skip."""

    def __post_init__(self) -> None:
        for region in self.ebs_kms_key_arns:
            if region not in self.regions:
                raise ValueError(f"ebs_kms_key_arns: {region} is not one of the regions")
        _adoption.within("adopt_ebs_encryption", self.adopt_ebs_encryption, self.regions)
        _adoption.within(
            "adopt_ebs_default_key", self.adopt_ebs_default_key, sorted(self.ebs_kms_key_arns)
        )
        _adoption.needs_id("adopt_ebs_default_key", self.adopt_ebs_default_key, "key ARN")


class AccountHardening(pulumi.ComponentResource):
    """Account-wide secure defaults, with the regional ones set in every given region."""

    public_access_block: aws.s3.AccountPublicAccessBlock | None
    """The account-level S3 Block Public Access settings (None when opted out)."""
    ebs_encryption: dict[str, aws.ebs.EncryptionByDefault]
    """Default EBS encryption per region."""
    metadata_defaults: dict[str, aws.ec2.InstanceMetadataDefaults]
    """IMDSv2-required instance metadata defaults per region."""
    password_policy: aws.iam.AccountPasswordPolicy | None
    """The IAM password policy (None when not managed here)."""
    ebs_default_keys: dict[str, aws.ebs.DefaultKmsKey]
    """The customer key set as the EBS default, per region given in ``ebs_kms_key_arns``."""

    def __init__(
        self,
        name: str,
        args: AccountHardeningArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = AccountHardeningArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.public_access_block = None
        if args.block_public_access:
            self.public_access_block = aws.s3.AccountPublicAccessBlock(
                f"{name}-s3-block-public-access",
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child,
            )

        self.ebs_encryption = {}
        self.metadata_defaults = {}
        self.ebs_default_keys = {}
        for region in sorted(args.regions):
            encryption = _adoption.entry(args.adopt_ebs_encryption, region)
            if not encryption.skipped:
                self.ebs_encryption[region] = aws.ebs.EncryptionByDefault(
                    f"{name}-ebs-encryption-{region}",
                    enabled=True,
                    region=region,
                    opts=_adoption.options(
                        encryption, child, ignore=["enabled"], region=region, default_id="default"
                    ),
                )
            key_arn = args.ebs_kms_key_arns.get(region)
            key_adoption = _adoption.entry(args.adopt_ebs_default_key, region)
            if key_arn is not None and not key_adoption.skipped:
                self.ebs_default_keys[region] = aws.ebs.DefaultKmsKey(
                    f"{name}-ebs-key-{region}",
                    key_arn=key_arn,
                    region=region,
                    # The id is a key ARN: it names the region.
                    opts=_adoption.options(key_adoption, child, ignore=["keyArn"]),
                )
            self.metadata_defaults[region] = aws.ec2.InstanceMetadataDefaults(
                f"{name}-imdsv2-{region}",
                http_tokens="required",
                http_put_response_hop_limit=args.imds_hop_limit,
                http_endpoint="enabled",
                region=region,
                opts=child,
            )

        self.password_policy = None
        if args.manage_password_policy and not args.adopt_password_policy.skipped:
            policy = args.password_policy
            self.password_policy = aws.iam.AccountPasswordPolicy(
                f"{name}-password-policy",
                minimum_password_length=policy.minimum_length,
                require_lowercase_characters=True,
                require_uppercase_characters=True,
                require_numbers=True,
                require_symbols=True,
                allow_users_to_change_password=True,
                password_reuse_prevention=policy.reuse_prevention,
                max_password_age=policy.max_age_days,
                opts=_adoption.options(
                    args.adopt_password_policy,
                    child,
                    ignore=list(PASSWORD_POLICY_INPUTS),
                    default_id="iam-account-password-policy",  # a global singleton
                ),
            )

        self.register_outputs(
            {
                "regions": sorted(args.regions),
                "blockPublicAccess": args.block_public_access,
            }
        )
