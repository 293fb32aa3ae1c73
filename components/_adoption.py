"""Brownfield adoption: create, import or skip the singletons an account may already have.

AWS allows one GuardDuty detector, one Security Hub, one Config recorder and delivery channel,
one ``SSM-SessionManagerRunShell`` document (and so on) per account and region. For each of
them a component takes an :class:`Adoption` per region:

* ``create`` (default): the stack creates it. Where AWS's "create" call is an update
  (password policy, EBS encryption by default and its key, the Inspector enabler, Security
  Hub standards, recorder status) this also works when the setting already exists.
* ``import``: Pulumi's ``import_`` resource option with the resource's import id. The import
  takes the resource as it is: the properties the baseline would change are listed in
  ``ignore_changes`` for that run, because Pulumi refuses an import whose inputs differ from
  the existing resource. After the import, change the mode to ``create`` and keep the ``id``
  (a named resource keeps its name): Pulumi holds the resource, creates nothing, and the next
  preview shows the baseline's changes to it as updates (docs/adoption.md).
* ``skip``: the stack leaves it alone (and whatever configures it, such as GuardDuty
  features). An ``id`` given with ``skip`` is still handed to the resources that need it.

``secbaseline adopt`` finds what an account has and prints the ``adopt`` config section.
"""

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pulumi
from pydantic import model_validator

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args


class AdoptionMode(StrEnum):
    """What the stack does about a singleton the account may already have."""

    CREATE = "create"
    """The stack creates it (the default; fine in a fresh account)."""
    IMPORT = "import"
    """The stack imports the existing one (Pulumi's ``import_`` option) and manages it."""
    SKIP = "skip"
    """The stack leaves it unmanaged."""


MODES = tuple(m.value for m in AdoptionMode)


@component_args
class Adoption(ComponentArgs):
    """How one singleton is adopted: a mode and, for ``import``, the resource's import id.

    In a stack file an entry is ``create``, ``skip``, ``import`` or ``{mode: import, id: ...}``.
    """

    mode: AdoptionMode = AdoptionMode.CREATE
    """create, import or skip."""
    id: str | None = None
    """The existing resource's id (docs/adoption.md lists each one): what ``import`` imports,
    what dependents use with ``skip``; kept with ``create`` after the import, so a named
    resource (analyzer, recorder, channel) keeps its name."""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        """``"import"`` is short for ``{mode: import}``."""
        if isinstance(value, str):
            if value not in MODES:
                raise ValueError(f"{value!r} is not one of {', '.join(MODES)}")
            return {"mode": value}
        return value

    def __post_init__(self) -> None:
        if self.id is not None and (not isinstance(self.id, str) or not self.id.strip()):
            raise ValueError("id: expected a non-empty string")

    @property
    def imported(self) -> bool:
        """True for ``import``."""
        return self.mode == AdoptionMode.IMPORT

    @property
    def skipped(self) -> bool:
        """True for ``skip``."""
        return self.mode == AdoptionMode.SKIP

    def name(self, default: str) -> str:
        """The name of a named singleton: the existing one's (its id) once adopted, since a
        new name would replace it; else ``default``."""
        return self.id if self.id is not None and not self.skipped else default


CREATE = Adoption()
"""The default entry."""


def by_region(field: str, value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A region -> entry mapping: every key a known region."""
    for region in value:
        validate.region(f"{field}.{region}", region)
    return value


def within(field: str, value: Mapping[str, Any], regions: Sequence[str]) -> None:
    """Refuse entries for regions the component does not manage."""
    for region in value:
        if region not in regions:
            raise ValueError(
                f"{field}.{region}: not one of the regions ({', '.join(sorted(regions))})"
            )


def needs_id(field: str, value: Mapping[str, Adoption], what: str) -> None:
    """``import`` of a resource whose import id cannot be derived needs the id."""
    for region, entry in value.items():
        if entry.imported and entry.id is None:
            raise ValueError(
                f"{field}.{region}: import needs the {what} as id "
                f"({{mode: import, id: ...}}; `secbaseline adopt` prints it)"
            )


def entry(value: Mapping[str, Adoption], region: str) -> Adoption:
    """The entry for ``region`` (``create`` when none is given)."""
    return value.get(region, CREATE)


def options(
    adoption: Adoption,
    opts: pulumi.ResourceOptions,
    *,
    ignore: Sequence[str],
    region: str | None = None,
    default_id: str | None = None,
) -> pulumi.ResourceOptions:
    """``opts`` plus, for an ``import`` entry, the import of the entry's id (else
    ``default_id``, for resources whose id is known in advance). ``region`` (regional
    resources whose id does not name the region) appends ``@<region>``, see
    :func:`regional_id`.

    ``ignore`` names the inputs (camelCase) the baseline sets on the resource: an import must
    match the existing resource, so they are ignored while the entry says import.
    """
    if not adoption.imported:
        return opts
    chosen = adoption.id if adoption.id is not None else default_id
    if chosen is None:
        raise ValueError("import needs an id")
    if region is not None:
        chosen = regional_id(chosen, region)
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(import_=chosen, ignore_changes=list(ignore))
    )


def regional_id(resource_id: str, region: str) -> str:
    """An import id for a regional resource whose id does not name its region.

    pulumi-aws 7 (Terraform's enhanced region support) reads ``<id>@<region>`` as "import
    this id from that region"; without it the provider's region is searched.
    """
    return resource_id if "@" in resource_id else f"{resource_id}@{region}"


def subscription_arns(field: str, value: Mapping[str, Sequence[str]]) -> Any:
    by_region(field, value)
    for region, arns in value.items():
        for index, arn in enumerate(arns):
            if not isinstance(arn, str) or not arn.startswith(f"arn:aws:securityhub:{region}:"):
                raise ValueError(
                    f"{field}.{region}[{index}]: {arn!r} is not a Security Hub standards "
                    f"subscription ARN in {region} (arn:aws:securityhub:{region}:<account>:"
                    "subscription/...)"
                )
            if ":subscription/" not in arn:
                raise ValueError(f"{field}.{region}[{index}]: {arn!r} is not a subscription ARN")
    return value


def _with_id(what: str) -> Any:
    """A check: region keys known, and ``import`` entries carry the ``what`` as id."""

    def check(field: str, value: Mapping[str, Adoption]) -> Mapping[str, Adoption]:
        by_region(field, value)
        needs_id(field, value, what)
        return value

    return check


@component_args
class AdoptArgs(ComponentArgs):
    """The stack config's ``adopt`` section: per singleton (and region), create, import or
    skip. ``secbaseline adopt`` prints it for an existing account (docs/adoption.md)."""

    password_policy: Adoption = arg(default_factory=Adoption)
    """The IAM account password policy (import id ``iam-account-password-policy``, derived)."""
    ebs_encryption: Mapping[str, Adoption] = arg(default_factory=dict, check=by_region)
    """Region -> EBS encryption by default (import id derived)."""
    ebs_default_key: Mapping[str, Adoption] = arg(default_factory=dict, check=_with_id("key ARN"))
    """Region -> the EBS default KMS key (import id: the key ARN)."""
    guard_duty: Mapping[str, Adoption] = arg(default_factory=dict, check=_with_id("detector id"))
    """Region -> the GuardDuty detector (import id: the detector id)."""
    security_hub: Mapping[str, Adoption] = arg(default_factory=dict, check=_with_id("account id"))
    """Region -> Security Hub (import id: the account id)."""
    security_hub_standards: Mapping[str, Sequence[str]] = arg(
        default_factory=dict, check=subscription_arns
    )
    """Region -> the ARNs of standards subscriptions to import (the other standards are
    created)."""
    security_hub_aggregator: Adoption = arg(default_factory=Adoption)
    """The finding aggregator in the home region (import id: its ARN)."""
    access_analyzer: Mapping[str, Adoption] = arg(
        default_factory=dict, check=_with_id("analyzer name")
    )
    """Region -> the external-access analyzer (import id: its name, kept as its name)."""
    config_recorder: Mapping[str, Adoption] = arg(
        default_factory=dict, check=_with_id("recorder name")
    )
    """Region -> the Config recorder and its status (import id: its name, kept)."""
    config_delivery_channel: Mapping[str, Adoption] = arg(
        default_factory=dict, check=_with_id("delivery channel name")
    )
    """Region -> the Config delivery channel (import id: its name, kept)."""
    inspector: Mapping[str, Adoption] = arg(default_factory=dict, check=_with_id("enabler id"))
    """Region -> the Inspector enabler (import id derived from the account and scanned types)."""
    session_manager_document: Mapping[str, Adoption] = arg(default_factory=dict, check=by_region)
    """Region -> the SSM-SessionManagerRunShell document (import id derived)."""

    def __post_init__(self) -> None:
        if self.security_hub_aggregator.imported and self.security_hub_aggregator.id is None:
            raise ValueError("security_hub_aggregator: import needs the aggregator's ARN as id")

    def regional(self) -> dict[str, Mapping[str, Any]]:
        """Every region -> entry mapping, by field name."""
        return {
            field: getattr(self, field)
            for field in (
                "ebs_encryption",
                "ebs_default_key",
                "guard_duty",
                "security_hub",
                "security_hub_standards",
                "access_analyzer",
                "config_recorder",
                "config_delivery_channel",
                "inspector",
                "session_manager_document",
            )
        }

    def check_regions(self, regions: Sequence[str]) -> None:
        """Refuse entries for regions the stack does not run detection in."""
        for field, value in self.regional().items():
            within(field, value, regions)


def only(value: Mapping[str, Any], regions: Sequence[str]) -> dict[str, Any]:
    """The entries of ``value`` for ``regions``."""
    return {region: entry for region, entry in value.items() if region in regions}


__all__ = [
    "CREATE",
    "MODES",
    "AdoptArgs",
    "Adoption",
    "AdoptionMode",
    "by_region",
    "entry",
    "needs_id",
    "only",
    "options",
    "regional_id",
    "subscription_arns",
    "within",
]
