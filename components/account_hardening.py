"""Account-level secure defaults: S3 Block Public Access, EBS encryption, IMDSv2, passwords.

Checklist: S-03 (IMDSv2 on every instance, as the account default in every region) and
S-09 (S3 Block Public Access at the account level).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate

TYPE_TOKEN = "secbaseline:index:AccountHardening"


@dataclass
class PasswordPolicy:
    """IAM account password policy (CIS AWS Foundations 1.8/1.9 defaults)."""

    minimum_length: int = 14
    """Minimum password length, 8-128 (CIS asks for 14)."""
    reuse_prevention: int = 24
    """How many previous passwords cannot be reused, 1-24 (CIS asks for 24)."""
    max_age_days: int | None = None
    """Days before a password expires (1-1095); None means no forced rotation (NIST 800-63B)."""

    def __post_init__(self) -> None:
        validate.int_range("passwordPolicy.minimumLength", self.minimum_length, 8, 128)
        validate.int_range("passwordPolicy.reusePrevention", self.reuse_prevention, 1, 24)
        if self.max_age_days is not None:
            validate.int_range("passwordPolicy.maxAgeDays", self.max_age_days, 1, 1095)


@dataclass
class AccountHardeningArgs:
    """Inputs of :class:`AccountHardening`."""

    regions: Sequence[str] = ()
    """Regions for the regional defaults (EBS encryption, instance metadata). Required."""
    ebs_kms_key_arns: Mapping[str, str] = field(default_factory=dict)
    """Per-region customer KMS key ARN for default EBS encryption; AWS-managed key otherwise."""
    imds_hop_limit: int = 1
    """IMDS response hop limit, 1-64. 1 stops containers reaching credentials; 2 for EKS nodes."""
    block_public_access: bool = True
    """Turn on all four account-level S3 Block Public Access flags (opt-out: False)."""
    manage_password_policy: bool = True
    """Own the IAM account password policy (False when another tool manages it)."""
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    """The password policy to apply."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.regions("accountHardening.regions", list(self.regions))
        for region, key_arn in self.ebs_kms_key_arns.items():
            validate.region("accountHardening.ebsKmsKeyArns", region)
            validate.arn(f"accountHardening.ebsKmsKeyArns[{region}]", key_arn, service="kms")
            if key_arn.split(":")[3] != region:
                raise ValueError(
                    f"accountHardening.ebsKmsKeyArns[{region}]: key {key_arn} is in another "
                    "region; EBS can only use a key from its own region"
                )
            if region not in self.regions:
                raise ValueError(
                    f"accountHardening.ebsKmsKeyArns: {region} is not one of the regions"
                )
        validate.int_range("accountHardening.imdsHopLimit", self.imds_hop_limit, 1, 64)
        validate.boolean("accountHardening.blockPublicAccess", self.block_public_access)
        validate.boolean("accountHardening.managePasswordPolicy", self.manage_password_policy)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> AccountHardeningArgs:
        """Build from the ``accountHardening`` config section (regions set by the tier)."""
        raw = validate.known_keys(
            "accountHardening",
            section,
            {
                "ebsKmsKeyArns",
                "imdsHopLimit",
                "blockPublicAccess",
                "managePasswordPolicy",
                "passwordPolicy",
            },
        )
        policy = validate.known_keys(
            "accountHardening.passwordPolicy",
            raw.get("passwordPolicy", {}),
            {"minimumLength", "reusePrevention", "maxAgeDays"},
        )
        keys = raw.get("ebsKmsKeyArns", {})
        if not isinstance(keys, Mapping):
            raise ValueError("accountHardening.ebsKmsKeyArns: expected a region -> key ARN map")
        max_age = policy.get("maxAgeDays")
        return cls(
            ebs_kms_key_arns={str(k): str(v) for k, v in keys.items()},
            imds_hop_limit=validate.int_range(
                "accountHardening.imdsHopLimit", raw.get("imdsHopLimit", 1), 1, 64
            ),
            block_public_access=validate.boolean(
                "accountHardening.blockPublicAccess", raw.get("blockPublicAccess", True)
            ),
            manage_password_policy=validate.boolean(
                "accountHardening.managePasswordPolicy", raw.get("managePasswordPolicy", True)
            ),
            password_policy=PasswordPolicy(
                minimum_length=validate.int_range(
                    "passwordPolicy.minimumLength", policy.get("minimumLength", 14), 8, 128
                ),
                reuse_prevention=validate.int_range(
                    "passwordPolicy.reusePrevention", policy.get("reusePrevention", 24), 1, 24
                ),
                max_age_days=None
                if max_age is None
                else validate.int_range("passwordPolicy.maxAgeDays", max_age, 1, 1095),
            ),
        )


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

    def __init__(
        self,
        name: str,
        args: AccountHardeningArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
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
        for region in sorted(args.regions):
            self.ebs_encryption[region] = aws.ebs.EncryptionByDefault(
                f"{name}-ebs-encryption-{region}", enabled=True, region=region, opts=child
            )
            key_arn = args.ebs_kms_key_arns.get(region)
            if key_arn:
                aws.ebs.DefaultKmsKey(
                    f"{name}-ebs-key-{region}", key_arn=key_arn, region=region, opts=child
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
        if args.manage_password_policy:
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
                opts=child,
            )

        self.register_outputs(
            {
                "regions": sorted(args.regions),
                "blockPublicAccess": args.block_public_access,
            }
        )
