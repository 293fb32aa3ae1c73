"""Pulumi entry point (``main: stacks/`` in Pulumi.yaml): read config, build the tier."""

import sys
from pathlib import Path

# Pulumi runs this folder as a script; make the repository root importable so that
# `stacks`, `components` and `baseline` resolve even without an editable install.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks.program import main

main()
