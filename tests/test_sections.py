"""Every config section is checked, keys and values, before the tier registers anything."""

from __future__ import annotations

from typing import Any

import pytest

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.settings import settings_from_config
from secbaseline.stacks.sections import SECTION_ARGS, check_sections
from tests.conftest import BASE_CONFIG


def _settings(**sections: Any) -> Any:
    return settings_from_config({**BASE_CONFIG, "tier": "beginner", **sections}, stack="test")


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        # Sections the beginner tier does not build: their values are checked all the same.
        (
            {"organizationTrail": {"readerAccountIds": ["1"]}},
            "organizationTrail.readerAccountIds[0]: '1' is not a 12-digit AWS account id",
        ),
        (
            {"organizationDetection": {"securityHubMode": "HYBRID"}},
            "organizationDetection.securityHubMode: expected 'CENTRAL' or 'LOCAL', got 'HYBRID'",
        ),
        ({"threatDetection": {"enabled": "maybe"}}, "threatDetection.enabled"),
        # A section the tier builds: refused before the tier starts.
        ({"patching": {"enabled": True, "regions": "us-east-1"}}, "patching.regions"),
    ],
)
def test_bad_values_are_refused_before_anything_is_built(
    sections: dict[str, Any], message: str
) -> None:
    with pytest.raises((ArgumentError, ValueError)) as err:
        check_sections(_settings(**sections))
    assert message in str(err.value)


def test_a_section_may_leave_out_what_the_tier_sets() -> None:
    """Values the tier provides (account id, topic, regions) are not asked of the section."""
    check_sections(
        _settings(
            organizationTrail={"readerAccountIds": ["444444444444"]},
            remediation={"enabled": False},
            guardrails={"adminRoleArns": ["arn:aws:iam::*:role/deployer"]},
        )
    )


def test_every_section_with_no_options_passes() -> None:
    check_sections(_settings(**{name: {} for name in SECTION_ARGS}))


def test_a_bad_value_fails_the_plan_of_a_tier_that_does_not_build_its_section(
    plan_tier: Any,
) -> None:
    with pytest.raises((ArgumentError, ValueError)) as err:
        plan_tier(tier="beginner", guardrails={"targets": ["ou-1"]})
    assert "guardrails.targets[0]: 'ou-1' is not an OU id" in str(err.value)
