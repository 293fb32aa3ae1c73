"""Organization guardrails: the baseline's SCPs, packed and attached (S-26..S-29).

Checklist: S-26 (SCPs restrict access), S-27 (deny unapproved regions), S-28 (deny disabling
CloudTrail), S-29 (deny disabling GuardDuty), S-30 (Control Tower controls by identifier).
Deployed by the management account. SCPs never restrict the management account itself.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import scp, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args

TYPE_TOKEN = "secbaseline:index:GuardrailPolicies"

# Statements on by default. The region deny is off under Control Tower, which has its own
# (AWS says the Organizations example is not compatible with Control Tower).
DEFAULT_STATEMENTS: Mapping[str, bool] = {name: True for name in scp.STATEMENTS}
CONTROL_TOWER_MAX_POLICIES = 2
"""Default SCPs of ours per target under Control Tower, whose own SCPs share the limit."""

_ACCOUNT = re.compile(r"^\d{12}$")
_CONTROL_ID = re.compile(r"^(AWS-GR_[A-Z0-9_]+|CT\.[A-Z0-9]+\.PR\.\d+|SH\.[A-Za-z0-9]+\.\d+)$")
_CONTROL_ARN = re.compile(
    r"^arn:aws[a-z-]*:(controltower:[a-z0-9-]+::control/"
    r"(AWS-GR_[A-Z0-9_]+|CT\.[A-Z0-9]+\.PR\.\d+|SH\.[A-Za-z0-9]+\.\d+)"
    r"|controlcatalog:::control/[a-z0-9]{10,64})$"
)
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@*/-]+$")


def control_arn(identifier: str, region: str) -> str:
    """A Control Tower control ARN from a bare identifier (``AWS-GR_...``) or an ARN."""
    if _CONTROL_ARN.match(identifier):
        return identifier
    if _CONTROL_ID.match(identifier):
        return f"arn:aws:controltower:{region}::control/{identifier}"
    raise ValueError(
        f"unknown control identifier {identifier!r}; expected AWS-GR_..., CT.<SERVICE>.PR.<n>, "
        "SH.<Service>.<n> or a controltower/controlcatalog ARN"
    )


def control_identifier(field_name: str, value: object) -> str:
    """A Control Tower control identifier or ARN."""
    if not isinstance(value, str):
        raise ValueError(f"{field_name}: {value!r} is not a control identifier")
    try:
        control_arn(value, "us-east-1")
    except ValueError as error:
        raise ValueError(f"{field_name}: {error}") from None
    return value


def role_arn(field_name: str, value: object) -> str:
    """An IAM role ARN; the account may be ``*`` and the name may use wildcards."""
    if not isinstance(value, str) or not _ROLE_ARN.match(value):
        raise ValueError(
            f"{field_name}: {value!r} is not an IAM role ARN (arn:aws:iam::<account|*>:role/...)"
        )
    return value


def target_id(field_name: str, value: object) -> str:
    """An SCP target: root (r-...), OU (ou-...) or account id."""
    if isinstance(value, str) and _ACCOUNT.match(value):
        return value
    return validate.ou_or_root_id(field_name, value)


def ou_id(field_name: str, value: object) -> str:
    """An organizational unit id (ou-...), not the root."""
    validate.ou_or_root_id(field_name, value)
    if isinstance(value, str) and not value.startswith("ou-"):
        raise ValueError(
            f"{field_name}: {value!r} is a root; Control Tower controls are enabled on OUs"
        )
    return str(value)


def _targets(field_name: str, values: Sequence[Any]) -> Sequence[Any]:
    """At least one target; plain ids listed once."""
    if not values:
        raise ValueError(f"{field_name}: at least one root, OU or account id is required")
    plain = [v for v in values if isinstance(v, str)]
    if len(set(plain)) != len(plain):
        raise ValueError(f"{field_name}: a target is listed twice")
    return values


def _control_targets(field_name: str, values: Sequence[Any]) -> Sequence[Any]:
    if not values:
        raise ValueError(f"{field_name}: names no target OU")
    return values


def _statement_names(field_name: str, value: Mapping[str, bool]) -> Mapping[str, bool]:
    for name in value:
        if name not in scp.STATEMENTS:
            raise ValueError(
                f"{field_name}.{name}: unknown statement; known: {', '.join(scp.STATEMENTS)}"
            )
    return value


@component_args
class ControlTowerControl(ComponentArgs):
    """One Control Tower control enabled on OUs."""

    control: str = arg(check=control_identifier)
    """Identifier (``AWS-GR_RESTRICT_ROOT_USER``, ``CT.S3.PR.1``, ``SH.S3.1``) or control ARN."""
    targets: Sequence[pulumi.Input[str]] = arg(check=_control_targets, each=ou_id)
    """OU ids (ou-...) the control is enabled on (at least one)."""


@component_args
class GuardrailPoliciesArgs(ComponentArgs):
    """Inputs of :class:`GuardrailPolicies`."""

    allowed_regions: Sequence[str] = arg(check=validate.regions)
    """Regions where workloads may run; everything else is denied (except global services)."""
    home_region: str = arg(check=validate.region)
    """The baseline's home region; must be one of ``allowed_regions``."""
    targets: Sequence[pulumi.Input[str]] = arg(check=_targets, each=target_id)
    """Where the SCPs attach: root id (r-...), OU ids (ou-...) or account ids; at least one
    (the tier passes the organization's root unless the config names targets)."""
    organization_id: str | None = arg(default=None, check=validate.organization_id)
    """The organization (o-...), for OU ARNs of Control Tower controls (required with them)."""
    management_account_id: str | None = arg(default=None, check=validate.account_id)
    """The management account, for OU ARNs of Control Tower controls (required with them)."""
    statements: Mapping[str, bool] = arg(default_factory=dict, check=_statement_names)
    """Guardrail name -> enabled. Names not given keep their default: all on, except the
    region deny under Control Tower (use Control Tower's own Region deny control there)."""
    admin_role_arns: Sequence[str] = arg(default_factory=list, each=role_arn)
    """Roles every statement exempts (e.g. the pipeline role that runs ``pulumi up`` in
    member accounts), as patterns: the account may be ``*`` and the name may use wildcards
    (SCPs never restrict the management account, so its own roles need no exemption).
    Without one, nobody below the management account can change the protected services,
    including the baseline's own deployments."""
    break_glass_role_arn: str | None = arg(default=None, check=role_arn)
    """Emergency role (pattern) exempt from every statement, including the region deny."""
    no_admin_exemption: bool = False
    """Opt-out: accept that neither ``admin_role_arns`` nor ``break_glass_role_arn`` is given,
    so no role below the management account (not even the baseline's own deployment) can
    change the protected services. Without it, that case is refused."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of physical names (the SCPs are ``<prefix>-guardrails-<n>``; the baseline's
    resources with this prefix are protected by ``protectBaselineResources``)."""
    max_policies_per_target: int | None = arg(default=None, ge=1, le=scp.DEFAULT_MAX_POLICIES)
    """How many SCPs of ours a target may take, 1-4 (5 minus FullAWSAccess). None: 4, or 2
    under Control Tower, whose own SCPs count against the same limit."""
    max_policy_chars: int = arg(default=scp.MAX_SCP_CHARS, ge=100, le=scp.MAX_SCP_CHARS)
    """Size limit per SCP, 100-5120 (Organizations: 5,120 characters)."""
    control_tower: bool = False
    """Control Tower manages the organization: its SCPs share the per-target limit, and
    every exempting statement also exempts its ``AWSControlTowerExecution`` role."""
    control_tower_controls: Sequence[ControlTowerControl] = arg(default_factory=list)
    """Control Tower controls to enable on OUs (only with ``control_tower``)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the SCPs (Control Tower controls take none)."""

    def __post_init__(self) -> None:
        if not (self.admin_role_arns or self.break_glass_role_arn or self.no_admin_exemption):
            raise ValueError(
                "admin_role_arns: none given, so the SCPs would lock every role in member "
                "accounts (including the one that deploys this baseline there) out of the "
                "protected services; name the deploying role (e.g. "
                "arn:aws:iam::*:role/secbaseline-deployer) or a break_glass_role_arn, or set "
                "no_admin_exemption to true to accept that"
            )
        if self.home_region not in self.allowed_regions:
            raise ValueError(f"allowed_regions: must include the home region {self.home_region!r}")
        if self.control_tower_controls:
            if not self.control_tower:
                raise ValueError(
                    "control_tower_controls: needs control_tower: true (Control Tower must "
                    "manage the organization)"
                )
            if self.organization_id is None:
                raise ValueError("organization_id: required with control_tower_controls")
            if self.management_account_id is None:
                raise ValueError("management_account_id: required with control_tower_controls")
        try:
            self.policies()  # packing errors surface at construction
        except ValueError as error:
            message = str(error)
            if message.startswith("guardrails: "):
                message = "max_policies_per_target: " + message.removeprefix(
                    "guardrails: "
                ).replace("maxPoliciesPerTarget", "max_policies_per_target")
            else:
                message = f"max_policy_chars: {message}"
            raise ValueError(message) from None

    def policy_limit(self) -> int:
        """SCPs of ours per target: ``max_policies_per_target`` or its default."""
        if self.max_policies_per_target is not None:
            return self.max_policies_per_target
        return CONTROL_TOWER_MAX_POLICIES if self.control_tower else scp.DEFAULT_MAX_POLICIES

    def enabled_statements(self) -> list[str]:
        """Enabled guardrail names, in library order."""
        defaults = dict(DEFAULT_STATEMENTS)
        if self.control_tower:
            defaults["denyOutsideAllowedRegions"] = False
        defaults.update(self.statements)
        return [name for name in scp.STATEMENTS if defaults[name]]

    def context(self) -> scp.GuardrailContext:
        """The statement builders' view of these args."""
        return scp.GuardrailContext(
            allowed_regions=tuple(sorted(self.allowed_regions)),
            name_prefix=self.name_prefix,
            admin_role_arns=tuple(self.admin_role_arns),
            break_glass_role_arn=self.break_glass_role_arn,
            control_tower=self.control_tower,
        )

    def policies(self) -> list[dict[str, Any]]:
        """The packed SCP documents (raises ValueError when they do not fit)."""
        statements = scp.build_statements(self.enabled_statements(), self.context())
        if not statements:
            return []
        return scp.pack_statements(
            statements, max_chars=self.max_policy_chars, max_policies=self.policy_limit()
        )


class GuardrailPolicies(pulumi.ComponentResource):
    """The baseline's SCPs (packed under the size limits) attached to each target."""

    policies: list[aws.organizations.Policy]
    """The SCPs, in packing order."""
    documents: list[dict[str, Any]]
    """The SCP documents as plain dicts (what each policy's content holds)."""
    controls: list[aws.controltower.ControlTowerControl]
    """Enabled Control Tower controls."""
    policy_count: int
    """How many SCPs the guardrails were packed into."""
    policy_ids: list[pulumi.Output[str]]
    """The SCPs' ids (p-...), in packing order."""

    def __init__(
        self,
        name: str,
        args: GuardrailPoliciesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = GuardrailPoliciesArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None

        if not args.admin_role_arns and not args.break_glass_role_arn:
            pulumi.log.warn(
                "guardrails: no admin_role_arns or break_glass_role_arn (config: adminRoleArns, "
                "breakGlassRoleArn); nobody in a member account "
                "(not even the baseline's own deployment) will be able to change the "
                "protected services",
                resource=self,
            )
        self.documents = args.policies()
        self.policies = []
        for index, document in enumerate(self.documents, start=1):
            sids = ", ".join(s["Sid"] for s in document["Statement"])
            policy = aws.organizations.Policy(
                f"{name}-scp-{index}",
                name=f"{args.name_prefix}-guardrails-{index}",
                description=f"Security baseline guardrails ({sids})"[:512],
                type="SERVICE_CONTROL_POLICY",
                content=scp.minify(document),
                tags=tags,
                opts=child,
            )
            self.policies.append(policy)
            for t_index, target in enumerate(args.targets):
                label = target if isinstance(target, str) else f"target{t_index}"
                aws.organizations.PolicyAttachment(
                    f"{name}-scp-{index}-{label}",
                    policy_id=policy.id,
                    target_id=target,
                    opts=child,
                )

        self.controls = []
        for control in args.control_tower_controls:
            arn = control_arn(control.control, args.home_region)
            short = arn.rsplit("/", 1)[-1].lower().replace("_", "-").replace(".", "-")
            for o_index, ou in enumerate(control.targets):
                label = ou if isinstance(ou, str) else f"target{o_index}"
                self.controls.append(
                    aws.controltower.ControlTowerControl(
                        f"{name}-control-{short}-{label}",
                        control_identifier=arn,
                        target_identifier=pulumi.Output.concat(
                            f"arn:aws:organizations::{args.management_account_id}:ou/"
                            f"{args.organization_id}/",
                            ou,
                        ),
                        region=args.home_region,
                        opts=child,
                    )
                )

        self.policy_count = len(self.documents)
        self.policy_ids = [policy.id for policy in self.policies]
        self.register_outputs(
            {
                "policyCount": self.policy_count,
                "policyIds": self.policy_ids,
                "statements": args.enabled_statements(),
            }
        )
