"""The secbaseline component package: what Pulumi runs after ``pulumi package add``.

``PulumiPlugin.yaml`` at the repository root points here. The provider hosts every component
``secbaseline.components`` exports, with the schema Pulumi's analyzer infers from their type
annotations (``schema.json`` is the committed copy).
"""

import sys
from pathlib import Path

try:
    import secbaseline  # noqa: F401
except ModuleNotFoundError:  # a bare checkout: the repository root holds secbaseline/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from secbaseline.baseline.schema import serve

if __name__ == "__main__":
    serve(sys.argv[1:])
