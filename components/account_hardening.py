"""Account-level secure defaults: S3 Block Public Access, EBS encryption, IMDSv2, passwords,
public sharing of EBS snapshots, AMIs and SSM documents blocked, the default VPC hardened, an AWS
Support role.

Checklist: S-03 (IMDSv2 on every instance, as the account default in every region) and
S-09 (S3 Block Public Access at the account level). Security Hub: EC2.2 and EC2.6 (default
VPC), EC2.182 (snapshot block public access), SSM.7 (document public sharing), IAM.18 (support
role).
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import baseline_tags, physical_name
from secbaseline.components import _adoption
from secbaseline.components._adoption import Adoption
from secbaseline.components._flow_logs import (
    DEFAULT_RETENTION_DAYS,
    FlowLogDestination,
    delivery_role,
    vpc_flow_log,
)

TYPE_TOKEN = "secbaseline:index:AccountHardening"
SUPPORT_POLICY_ARN = f"arn:{iam.PARTITION}:iam::aws:policy/AWSSupportAccess"
"""The AWS managed policy Security Hub IAM.18 looks for on some role."""
DOCUMENT_SHARING_SETTING = "/ssm/documents/console/public-sharing-permission"
"""The SSM service setting that allows or blocks public sharing of documents (SSM.7)."""


class DefaultVpcAction(StrEnum):
    """What the baseline does with a region's default VPC."""

    HARDEN = "harden"
    """Adopt it: its default security group loses every rule (EC2.2) and its traffic is
    flow-logged to an encrypted log group (EC2.6). Where it was deleted, adopting creates a new
    one: use ``keep`` for those regions."""
    DELETE = "delete"
    """It is to be deleted: the stack leaves it alone (Pulumi cannot delete it safely) and
    ``secbaseline default-vpc delete`` deletes it once nothing uses it."""
    KEEP = "keep"
    """Leave it (or its absence) alone."""


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


def _region_keys(field: str, value: Mapping[str, Any]) -> dict[str, Any]:
    for region in value:
        validate.region(f"{field}[{region}]", region)
    return dict(value)


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
    block_public_snapshots: bool = True
    """EBS snapshot block public access ``block-all-sharing`` in every region (EC2.182): no
    snapshot can be shared publicly, and ones already public stop being so (opt-out: False)."""
    block_public_images: bool = True
    """AMI block public access ``block-new-sharing`` in every region: no AMI can newly be made
    public (opt-out: False)."""
    block_public_documents: bool = True
    """Block public sharing of SSM documents in every region (SSM.7; opt-out: False)."""
    default_vpc: DefaultVpcAction = DefaultVpcAction.HARDEN
    """What to do with the default VPC of every region: ``harden``, ``delete`` or ``keep``
    (regions in ``default_vpc_regions`` excepted)."""
    default_vpc_regions: Mapping[str, DefaultVpcAction] = arg(
        default_factory=dict, check=_region_keys
    )
    """Region -> ``harden``, ``delete`` or ``keep`` for regions that differ from
    ``default_vpc`` (each one of ``regions``), e.g. ``keep`` where the default VPC was
    already deleted."""
    flow_log_retention_days: int = arg(
        default=DEFAULT_RETENTION_DAYS, check=validate.log_retention_days
    )
    """Retention of the default VPCs' flow log groups (a CloudWatch Logs retention value)."""
    support_role: bool = True
    """Create the AWS Support role (IAM.18): ``<prefix>-aws-support`` with AWSSupportAccess,
    which the account's IAM principals allowed to assume it can use to open support cases."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """Account id (support role trust, key policies); None: looked up with one caller-identity
    invoke when needed."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the support role and flow log group names (``/<prefix>/vpc-flow-logs/...``)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Extra tags on every taggable child (default VPCs and their security groups, flow logs,
    keys, log groups, roles)."""

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
        for field, mapping in (
            ("ebs_kms_key_arns", self.ebs_kms_key_arns),
            ("default_vpc_regions", self.default_vpc_regions),
        ):
            for region in mapping:
                if region not in self.regions:
                    raise ValueError(f"{field}: {region} is not one of the regions")
        _adoption.within("adopt_ebs_encryption", self.adopt_ebs_encryption, self.regions)
        _adoption.within(
            "adopt_ebs_default_key", self.adopt_ebs_default_key, sorted(self.ebs_kms_key_arns)
        )
        _adoption.needs_id("adopt_ebs_default_key", self.adopt_ebs_default_key, "key ARN")

    def default_vpc_action(self, region: str) -> DefaultVpcAction:
        """What happens to ``region``'s default VPC."""
        return DefaultVpcAction(self.default_vpc_regions.get(region, self.default_vpc))


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
    snapshot_block_public_access: dict[str, aws.ebs.SnapshotBlockPublicAccess]
    """EBS snapshot block public access per region (empty when opted out)."""
    image_block_public_access: dict[str, aws.ec2.ImageBlockPublicAccess]
    """AMI block public access per region (empty when opted out)."""
    document_public_sharing: dict[str, aws.ssm.ServiceSetting]
    """The SSM document public-sharing setting (``Disable``) per region (empty when opted
    out)."""
    default_vpcs: dict[str, aws.ec2.DefaultVpc]
    """The adopted default VPC per ``harden`` region."""
    default_security_groups: dict[str, aws.ec2.DefaultSecurityGroup]
    """The default VPC's default security group, without rules, per ``harden`` region."""
    default_vpc_flow_logs: dict[str, aws.ec2.FlowLog]
    """The default VPC's flow log per ``harden`` region."""
    support_role: aws.iam.Role | None
    """The AWS Support role (None when opted out)."""

    def __init__(
        self,
        name: str,
        args: AccountHardeningArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = AccountHardeningArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = baseline_tags(args.tags, component="AccountHardening")
        account: pulumi.Input[str] | None = None

        def account_id() -> pulumi.Input[str]:
            nonlocal account
            if account is None:
                account = iam.account_id_or_caller(args.account_id, self)
            return account

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
        self._block_public_sharing(name, args)
        self.document_public_sharing = {}
        if args.block_public_documents:
            self._block_public_documents(name, args, account_id())
        harden = [
            r for r in sorted(args.regions) if args.default_vpc_action(r) is DefaultVpcAction.HARDEN
        ]
        self.default_vpcs, self.default_security_groups, self.default_vpc_flow_logs = {}, {}, {}
        if harden:
            self._harden_default_vpcs(name, args, harden, account_id(), tags)

        self.support_role = None
        if args.support_role:
            self.support_role = self._support_role(name, args, account_id(), tags)

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
                "defaultVpcs": {r: str(args.default_vpc_action(r)) for r in sorted(args.regions)},
                "supportRoleArn": self.support_role.arn if self.support_role else None,
            }
        )

    def _block_public_sharing(self, name: str, args: AccountHardeningArgs) -> None:
        """EBS snapshots and AMIs cannot be shared publicly, in every region."""
        child = pulumi.ResourceOptions(parent=self)
        self.snapshot_block_public_access, self.image_block_public_access = {}, {}
        for region in sorted(args.regions):
            if args.block_public_snapshots:
                self.snapshot_block_public_access[region] = aws.ebs.SnapshotBlockPublicAccess(
                    f"{name}-snapshot-bpa-{region}",
                    state="block-all-sharing",
                    region=region,
                    opts=child,
                )
            if args.block_public_images:
                self.image_block_public_access[region] = aws.ec2.ImageBlockPublicAccess(
                    f"{name}-image-bpa-{region}",
                    state="block-new-sharing",
                    region=region,
                    opts=child,
                )

    def _block_public_documents(
        self, name: str, args: AccountHardeningArgs, account: pulumi.Input[str]
    ) -> None:
        """SSM.7: no SSM document of the account can be shared publicly, in every region."""
        for region in sorted(args.regions):
            self.document_public_sharing[region] = aws.ssm.ServiceSetting(
                f"{name}-ssm-document-sharing-{region}",
                setting_id=pulumi.Output.concat(
                    f"arn:{iam.PARTITION}:ssm:",
                    region,
                    ":",
                    account,
                    f":servicesetting{DOCUMENT_SHARING_SETTING}",
                ),
                setting_value="Disable",
                region=region,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _harden_default_vpcs(
        self,
        name: str,
        args: AccountHardeningArgs,
        regions: Sequence[str],
        account: pulumi.Input[str],
        tags: Mapping[str, str],
    ) -> None:
        """Adopt each region's default VPC: no rules in its default security group, all its
        traffic flow-logged to an encrypted log group through one delivery role."""
        child = pulumi.ResourceOptions(parent=self)
        destinations = {
            region: FlowLogDestination(
                f"{name}-default-vpc-flow-logs-{region}",
                log_group_name=f"/{args.name_prefix}/vpc-flow-logs/default-vpc",
                account_id=account,
                region=region,
                retention_days=args.flow_log_retention_days,
                tags=tags,
                parent=self,
            )
            for region in regions
        }
        role = delivery_role(
            f"{name}-default-vpc-flow-logs-role",
            account_id=account,
            region=regions[0] if len(regions) == 1 else None,
            log_group_arns=[destinations[r].group.arn for r in regions],
            tags=tags,
            parent=self,
        )
        for region in regions:
            # Without force_destroy, removing it from the stack only forgets the VPC.
            vpc = aws.ec2.DefaultVpc(
                f"{name}-default-vpc-{region}", region=region, tags=tags, opts=child
            )
            self.default_vpcs[region] = vpc
            # CIS AWS 5.4 / EC2.2: the default group admits and sends nothing.
            self.default_security_groups[region] = aws.ec2.DefaultSecurityGroup(
                f"{name}-default-vpc-sg-{region}",
                vpc_id=vpc.id,
                ingress=[],
                egress=[],
                region=region,
                tags=tags,
                opts=child,
            )
            self.default_vpc_flow_logs[region] = vpc_flow_log(
                f"{name}-default-vpc-flow-log-{region}",
                vpc_id=vpc.id,
                destination=destinations[region],
                role=role,
                region=region,
                tags=tags,
                parent=self,
            )

    def _support_role(
        self,
        name: str,
        args: AccountHardeningArgs,
        account: pulumi.Input[str],
        tags: Mapping[str, str],
    ) -> aws.iam.Role:
        """IAM.18: a role for AWS Support cases, trusted by the account (its IAM policies
        decide who may assume it)."""
        role = aws.iam.Role(
            f"{name}-support-role",
            name=physical_name(args.name_prefix, "aws-support"),
            description="Open and manage AWS Support cases (Security Hub IAM.18)",
            assume_role_policy=iam.dumps(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": iam.account_root(account)},
                        "Action": "sts:AssumeRole",
                    }
                ]
            ),
            max_session_duration=3600,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-support-role-policy",
            role=role.name,
            policy_arn=SUPPORT_POLICY_ARN,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role
