"""``python -m baseline`` is the ``secbaseline`` command."""

import sys

from secbaseline.baseline.cli import main

sys.exit(main())
