"""Every IAM document a tier creates fits AWS's size quotas (whitespace does not count)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from secbaseline.baseline.plan import plan_config
from tests.conftest import BASE_CONFIG, ORG_CONFIG

MANAGED_POLICY_MAX = 6144  # IAM managed policy
ROLE_INLINE_TOTAL_MAX = 10240  # all inline policies of one role together


def size(document: str) -> int:
    return len(re.sub(r"\s", "", document))


@pytest.mark.parametrize(
    ("tier", "role"),
    [
        ("intermediate", "standalone"),
        ("advanced", "management"),
        ("advanced", "security"),
        ("advanced", "member"),
    ],
)
def test_iam_documents_fit_the_quotas(tier: str, role: str) -> None:
    config = {**BASE_CONFIG, "tier": tier, "role": role}
    if tier == "advanced":
        config = {**ORG_CONFIG, **config}
    plan = plan_config(config, stack="sizes")
    managed = {r.name: size(r.inputs["policy"]) for r in plan.of_type("aws:iam/policy:Policy")}
    assert managed, "expected managed policies in the plan"
    assert {n: s for n, s in managed.items() if s > MANAGED_POLICY_MAX} == {}
    per_role: dict[str, int] = defaultdict(int)
    for r in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
        per_role[str(r.inputs["role"])] += size(r.inputs["policy"])
    assert per_role
    assert {n: s for n, s in per_role.items() if s > ROLE_INLINE_TOTAL_MAX} == {}
