"""Per-tier stack programs. ``stacks/__main__.py`` is the Pulumi entry point."""
