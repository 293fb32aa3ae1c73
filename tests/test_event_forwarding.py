"""HomeBusForwarder: one role limited to the home bus, a rule and target per other region."""

from __future__ import annotations

import json
from collections.abc import Callable

import pulumi
import pytest

from secbaseline.baseline.engine import Plan
from secbaseline.components._event_forwarding import HomeBusForwarder


class _Owner(pulumi.ComponentResource):
    def __init__(self, regions: list[str]) -> None:
        super().__init__("secbaseline:index:Owner", "owner", None, None)
        forwarder = HomeBusForwarder(
            self,
            home_region="ap-northeast-1",
            account_id="123456789012",
            role_resource="owner-role",
            policy_resource="owner-policy",
            role_name="secbaseline-forward",
            description="test",
        )
        for region in regions:
            forwarder.forward(
                region,
                json.dumps({"source": ["aws.guardduty"]}),
                rule_resource=f"owner-rule-{region}",
                target_resource=f"owner-target-{region}",
                description="forward",
            )
        self.register_outputs({})


def test_forwards_each_region_to_the_home_bus_with_a_narrow_role(
    run_program: Callable[..., Plan],
) -> None:
    plan = run_program(lambda: _Owner(["eu-west-1", "us-east-1"]))
    owner = plan.one("secbaseline:index:Owner").urn
    bus = "arn:aws:events:ap-northeast-1:123456789012:event-bus/default"
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "PutEventsOnHomeBusOnly",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": bus,
        }
    ]
    trust = json.loads(plan.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"}
    }
    targets = plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert sorted(t.inputs["region"] for t in targets) == ["eu-west-1", "us-east-1"]
    assert {t.inputs["arn"] for t in targets} == {bus}
    role = plan.one("aws:iam/role:Role")
    assert {t.inputs["roleArn"] for t in targets} == {role.outputs["arn"]}
    assert all(r.parent == owner for r in plan.custom_resources())


def test_refuses_to_forward_the_home_region(run_program: Callable[..., Plan]) -> None:
    with pytest.raises(ValueError, match="ap-northeast-1 is the home region"):
        run_program(lambda: _Owner(["ap-northeast-1"]))
