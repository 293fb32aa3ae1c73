"""Pulumi entry point (``main: stacks/`` in Pulumi.yaml): read config, build the tier."""

import sys
from pathlib import Path

# Pulumi runs this folder as a script. Installed (`pip install -e .`), `secbaseline` resolves
# from the virtualenv; in a bare checkout the repository root (which holds `secbaseline/`) is
# put on the path instead.
try:
    import secbaseline  # noqa: F401
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from secbaseline.stacks.program import main

main()
