"""``python -m baseline`` is the ``secbaseline`` command."""

import sys

from baseline.cli import main

sys.exit(main())
