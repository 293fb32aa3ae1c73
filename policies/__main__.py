"""Entry point Pulumi runs for ``pulumi preview --policy-pack DIR``: serves the pack.

Constructing ``PolicyPack`` starts the analyzer's gRPC server and blocks, so nothing else may
import this module; tests use :func:`policies.pack.build_policies`.

The rules and the control catalog come from the library, ``secbaseline``:
- a copy of this folder anywhere (``pulumi policy publish`` uploads only this folder) uses the
  library its virtualenv installed from ``requirements.txt`` (pinned to the release);
- inside a checkout of the repository (the folder beside this one holds ``secbaseline/``), the
  checkout's own code wins, so a change to the rules is judged by the changed rules.
"""

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
if (_CHECKOUT / "secbaseline" / "__init__.py").is_file():
    sys.path.insert(0, str(_CHECKOUT))

from pulumi_policy import PolicyPack  # noqa: E402 (after the path is set)

from secbaseline.policies.pack import PACK_NAME, build_policies  # noqa: E402

PolicyPack(name=PACK_NAME, policies=build_policies())
