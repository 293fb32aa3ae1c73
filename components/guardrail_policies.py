"""Organization guardrails: the baseline's SCPs, packed and attached (S-26..S-29).

Checklist: S-26 (SCPs restrict access), S-27 (deny unapproved regions), S-28 (deny disabling
CloudTrail), S-29 (deny disabling GuardDuty), S-30 (Control Tower controls by identifier).
Deployed by the management account. SCPs never restrict the management account itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import scp, validate

TYPE_TOKEN = "secbaseline:index:GuardrailPolicies"

# Statements on by default. The region deny is off under Control Tower, which has its own
# (AWS says the Organizations example is not compatible with Control Tower).
DEFAULT_STATEMENTS: Mapping[str, bool] = {name: True for name in scp.STATEMENTS}

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
        f"guardrails.controlTowerControls: unknown control identifier {identifier!r}; expected "
        "AWS-GR_..., CT.<SERVICE>.PR.<n>, SH.<Service>.<n> or a controltower/controlcatalog ARN"
    )


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


@dataclass
class ControlTowerControl:
    """One Control Tower control enabled on OUs."""

    control: str
    """Identifier (``AWS-GR_RESTRICT_ROOT_USER``, ``CT.S3.PR.1``) or control ARN."""
    targets: Sequence[str] = ()
    """OU ids (ou-...) the control is enabled on."""


@dataclass
class GuardrailPoliciesArgs:
    """Inputs of :class:`GuardrailPolicies`."""

    allowed_regions: Sequence[str] = ()
    """Regions where workloads may run; everything else is denied (except global services)."""
    home_region: str = ""
    """The baseline's home region; must be one of ``allowed_regions``."""
    organization_id: str = ""
    """The organization (o-...), for OU ARNs of Control Tower controls."""
    management_account_id: str = ""
    """The management account, for OU ARNs of Control Tower controls."""
    statements: Mapping[str, bool] = field(default_factory=dict)
    """Guardrail name -> enabled. Names not given keep their default: all on, except the
    region deny under Control Tower (use Control Tower's own Region deny control there)."""
    admin_role_arns: Sequence[str] = ()
    """Roles every statement exempts (e.g. the pipeline role that runs ``pulumi up`` in
    member accounts). Without one, nobody below the management account can change the
    protected services, including the baseline's own deployments."""
    break_glass_role_arn: str | None = None
    """Emergency role exempt from every statement, including the region deny."""
    name_prefix: str = "secbaseline"
    """Prefix of the baseline's physical names (protected by ``protectBaselineResources``)."""
    targets: Sequence[pulumi.Input[str]] = ()
    """Where the SCPs attach: root id, OU ids or account ids. Required (the tier passes the root)."""
    max_policies_per_target: int = scp.DEFAULT_MAX_POLICIES
    """How many SCPs of ours a target may take: 4 (5 minus FullAWSAccess), fewer under
    Control Tower, whose own SCPs count against the same limit."""
    max_policy_chars: int = scp.MAX_SCP_CHARS
    """Size limit per SCP (Organizations: 5,120 characters)."""
    control_tower: bool = False
    """Control Tower manages the organization: its SCPs share the per-target limit, and
    every exempting statement also exempts its ``AWSControlTowerExecution`` role."""
    control_tower_controls: Sequence[ControlTowerControl] = ()
    """Control Tower controls to enable on OUs (only with ``control_tower``)."""

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

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        allowed = validate.regions("guardrails.allowedRegions", list(self.allowed_regions))
        validate.region("guardrails.homeRegion", self.home_region)
        if self.home_region not in allowed:
            raise ValueError(
                f"guardrails.allowedRegions: must include the home region {self.home_region!r}"
            )
        for name, enabled in self.statements.items():
            if name not in scp.STATEMENTS:
                raise ValueError(
                    f"guardrails.statements.{name}: unknown statement; known: "
                    f"{', '.join(scp.STATEMENTS)}"
                )
            validate.boolean(f"guardrails.statements.{name}", enabled)
        for i, arn in enumerate(self.admin_role_arns):
            role_arn(f"guardrails.adminRoleArns[{i}]", arn)
        if self.break_glass_role_arn is not None:
            role_arn("guardrails.breakGlassRoleArn", self.break_glass_role_arn)
        validate.name_prefix("guardrails.namePrefix", self.name_prefix)
        if not self.targets:
            raise ValueError("guardrails.targets: at least one root, OU or account id is required")
        plain = [t for t in self.targets if isinstance(t, str)]
        for i, target in enumerate(plain):
            target_id(f"guardrails.targets[{i}]", target)
        if len(set(plain)) != len(plain):
            raise ValueError("guardrails.targets: a target is listed twice")
        validate.int_range(
            "guardrails.maxPoliciesPerTarget",
            self.max_policies_per_target,
            1,
            scp.DEFAULT_MAX_POLICIES,
        )
        validate.int_range("guardrails.maxPolicyChars", self.max_policy_chars, 100, 5120)
        if self.control_tower_controls and not self.control_tower:
            raise ValueError(
                "guardrails.controlTowerControls: needs controlTower: true (Control Tower "
                "must manage the organization)"
            )
        for control in self.control_tower_controls:
            control_arn(control.control, self.home_region)
            if not control.targets:
                raise ValueError(
                    f"guardrails.controlTowerControls: {control.control} names no target OU"
                )
            for target in control.targets:
                validate.ou_or_root_id(
                    f"guardrails.controlTowerControls[{control.control}]", target
                )
                if not target.startswith("ou-"):
                    raise ValueError(
                        f"guardrails.controlTowerControls[{control.control}]: {target!r} is a "
                        "root; Control Tower controls are enabled on OUs"
                    )
        if self.control_tower_controls:
            validate.organization_id("guardrails.organizationId", self.organization_id)
            validate.account_id("guardrails.managementAccountId", self.management_account_id)
        self.policies()  # packing errors surface at validation time

    def policies(self) -> list[dict[str, Any]]:
        """The packed SCP documents (raises ValueError when they do not fit)."""
        statements = scp.build_statements(self.enabled_statements(), self.context())
        if not statements:
            return []
        return scp.pack_statements(
            statements, max_chars=self.max_policy_chars, max_policies=self.max_policies_per_target
        )

    @classmethod
    def from_config(
        cls,
        section: Mapping[str, Any],
        *,
        allowed_regions: Sequence[str],
        home_region: str,
        name_prefix: str,
        organization_id: str,
        management_account_id: str,
        control_tower: bool = False,
    ) -> GuardrailPoliciesArgs:
        """Build from the ``guardrails`` config section (regions and ids from settings).

        Keys: ``statements`` (name -> bool), ``adminRoleArns``, ``breakGlassRoleArn``,
        ``targets`` (root/OU/account ids; default: the organization root),
        ``maxPoliciesPerTarget``, ``controlTowerControls`` ([{control, targets}]).
        """
        raw = validate.known_keys(
            "guardrails",
            section,
            {
                "statements",
                "adminRoleArns",
                "breakGlassRoleArn",
                "targets",
                "maxPoliciesPerTarget",
                "controlTowerControls",
            },
        )
        statements = raw.get("statements", {})
        if not isinstance(statements, Mapping):
            raise ValueError("guardrails.statements: expected a mapping of name -> true/false")
        controls: list[ControlTowerControl] = []
        for i, item in enumerate(
            _sequence("guardrails.controlTowerControls", raw, "controlTowerControls")
        ):
            entry = validate.known_keys(
                f"guardrails.controlTowerControls[{i}]", item, {"control", "targets"}
            )
            control = entry.get("control")
            if not isinstance(control, str):
                raise ValueError(f"guardrails.controlTowerControls[{i}].control: required")
            controls.append(
                ControlTowerControl(
                    control=control,
                    targets=tuple(
                        str(t)
                        for t in _sequence(
                            f"guardrails.controlTowerControls[{i}]", entry, "targets"
                        )
                    ),
                )
            )
        default_max = 2 if control_tower else scp.DEFAULT_MAX_POLICIES
        break_glass = raw.get("breakGlassRoleArn")
        return cls(
            allowed_regions=tuple(allowed_regions),
            home_region=home_region,
            organization_id=organization_id,
            management_account_id=management_account_id,
            statements={str(k): v for k, v in statements.items()},
            admin_role_arns=tuple(_sequence("guardrails.adminRoleArns", raw, "adminRoleArns")),
            break_glass_role_arn=None if break_glass is None else str(break_glass),
            name_prefix=name_prefix,
            targets=tuple(_sequence("guardrails.targets", raw, "targets")),
            max_policies_per_target=validate.int_range(
                "guardrails.maxPoliciesPerTarget",
                raw.get("maxPoliciesPerTarget", default_max),
                1,
                scp.DEFAULT_MAX_POLICIES,
            ),
            control_tower=control_tower,
            control_tower_controls=tuple(controls),
        )


def _sequence(field_name: str, raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key, ())
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{field_name}: expected a list, got {value!r}")
    return list(value)


class GuardrailPolicies(pulumi.ComponentResource):
    """The baseline's SCPs (packed under the size limits) attached to each target."""

    policies: list[aws.organizations.Policy]
    """The SCPs, in packing order."""
    documents: list[dict[str, Any]]
    """The SCP documents as plain dicts (what each policy's content holds)."""
    controls: list[aws.controltower.ControlTowerControl]
    """Enabled Control Tower controls."""

    def __init__(
        self,
        name: str,
        args: GuardrailPoliciesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        if not args.admin_role_arns and not args.break_glass_role_arn:
            pulumi.log.warn(
                "guardrails: no adminRoleArns or breakGlassRoleArn; nobody in a member account "
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
            for ou in control.targets:
                self.controls.append(
                    aws.controltower.ControlTowerControl(
                        f"{name}-control-{short}-{ou}",
                        control_identifier=arn,
                        target_identifier=(
                            f"arn:aws:organizations::{args.management_account_id}:ou/"
                            f"{args.organization_id}/{ou}"
                        ),
                        region=args.home_region,
                        opts=child,
                    )
                )

        self.register_outputs(
            {
                "policyCount": len(self.documents),
                "statements": args.enabled_statements(),
            }
        )
