"""Entry point Pulumi runs for ``pulumi preview --policy-pack policies/``: serves the pack.

Constructing ``PolicyPack`` starts the analyzer's gRPC server and blocks, so nothing else may
import this module; tests use :func:`policies.pack.build_policies`.
"""

import sys
from pathlib import Path

# Pulumi runs this file from the pack folder: where `secbaseline` is not installed, the
# repository root (which holds `secbaseline/`) makes the catalog importable.
try:
    import secbaseline  # noqa: F401
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from secbaseline.policies.pack import PACK_NAME, build_policies

PolicyPack(name=PACK_NAME, policies=build_policies())
