"""This project's own helpers. A folder named ``components`` is common in Pulumi projects; the
baseline installs only ``secbaseline``, so the two never collide."""


def team_tags(team: str) -> dict[str, str]:
    """Tags every resource of this example carries."""
    return {"team": team, "managed-by": "pulumi"}
