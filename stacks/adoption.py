"""The stack's ``adopt`` section, parsed once for every part (docs/adoption.md)."""

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.settings import thaw
from secbaseline.components._adoption import AdoptArgs
from secbaseline.stacks.context import TierContext

SECTION = "adopt"


def adopt_args(ctx: TierContext) -> AdoptArgs:
    """The ``adopt`` section: every entry valid and for a detection region."""
    args = AdoptArgs.from_config(SECTION, thaw(ctx.settings.section(SECTION)))
    try:
        args.check_regions(ctx.settings.regions)
    except ValueError as error:
        raise ArgumentError(f"{SECTION}.{_camel_head(str(error))}") from None
    return args


def _camel_head(message: str) -> str:
    """``guard_duty.eu-west-3: ...`` -> ``guardDuty.eu-west-3: ...`` (the config key)."""
    from pydantic.alias_generators import to_camel

    head, _, rest = message.partition(".")
    return f"{to_camel(head)}.{rest}"
