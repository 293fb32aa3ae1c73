"""The baseline's Pulumi policy pack: ``pulumi preview --policy-pack policies/``.

``rules`` holds the checks as pure functions, ``pack`` wraps them as pulumi-policy objects and
``__main__`` (run by Pulumi) serves them. Importing this package starts nothing.
"""
