"""Tags on every taggable child: which pulumi-aws resources take `tags`, and which did not get them."""

import functools
import importlib
import inspect

from secbaseline.baseline.engine import Plan


@functools.cache
def is_taggable(type_token: str) -> bool:
    """True when the pulumi-aws resource of ``type_token`` takes ``tags``."""
    package, path, cls_name = type_token.split(":")
    if package != "aws":
        return False
    module = path.split("/")[0]
    module = {"lambda": "lambda_", "index": ""}.get(module, module)
    found = importlib.import_module(f"pulumi_aws.{module}" if module else "pulumi_aws")
    cls = getattr(found, cls_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def untagged(plan: Plan, tags: dict[str, str]) -> list[str]:
    """Names of taggable custom resources whose tags do not include ``tags``."""
    return [
        f"{r.type} {r.name}"
        for r in plan.custom_resources()
        if is_taggable(r.type) and not tags.items() <= dict(r.inputs.get("tags") or {}).items()
    ]
