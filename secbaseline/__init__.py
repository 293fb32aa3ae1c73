"""pulumi-aws-security-baseline: Pulumi components for an AWS security baseline.

The public API is :mod:`secbaseline.components` (``from secbaseline.components import
SecureBucket``). The other subpackages: :mod:`secbaseline.stacks` (the per-tier stack programs),
:mod:`secbaseline.baseline` (settings, validation, the offline engine and the ``secbaseline``
command) and :mod:`secbaseline.policies` (the Pulumi policy pack).

In the repository these subpackages are the folders at its root (``components/``, ...), linked
here; the wheel installs them as real folders under ``secbaseline/``. Importing this package
imports nothing else.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("pulumi-aws-security-baseline")
except _metadata.PackageNotFoundError:  # a bare checkout that was never installed
    __version__ = "0.0.0+unknown"
