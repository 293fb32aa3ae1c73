"""Triage as code (issue 17): suppression rules with a reason and an expiry date.

Security Hub automation rules and GuardDuty filters are created in every detection region,
carry their reason (description, note) and expiry (tag), and an expired rule is refused both
when the program is planned (argument validation) and by the policy pack / ``secbaseline
check`` (``triage-rule-not-expired``).
"""

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from secbaseline.baseline import catalog
from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import Plan
from secbaseline.components.security_hub import (
    AutomationRule,
    RuleCriterion,
    SecurityHub,
    SecurityHubArgs,
)
from secbaseline.components.threat_detection import (
    FilterCriterion,
    FindingFilter,
    ThreatDetection,
    ThreatDetectionArgs,
)
from secbaseline.policies import rules

REGIONS = ("ap-northeast-1", "us-east-1", "eu-west-1")
RULE = catalog.SECURITYHUB_AUTOMATION_RULE
FILTER = catalog.GUARDDUTY_FILTER
FUTURE = "2099-12-31"
PAST = "2020-01-31"
REASON = "Dev sandbox: EC2.8 IMDSv1 accepted until the AMI rebuild (JIRA SEC-12)"
URN = "urn:pulumi:s::p::aws:guardduty/filter:Filter::f"


def suppress_rule(**overrides: Any) -> AutomationRule:
    values: dict[str, Any] = {
        "name": "dev-imdsv1",
        "reason": REASON,
        "expires": FUTURE,
        "criteria": [
            RuleCriterion(field="ComplianceSecurityControlId", values=["EC2.8"]),
            RuleCriterion(field="AwsAccountId", values=["222222222222"]),
        ],
        "suppress": True,
        **overrides,
    }
    return AutomationRule(**values)


def archive_filter(**overrides: Any) -> FindingFilter:
    values: dict[str, Any] = {
        "name": "scanner-portscan",
        "reason": "Our vulnerability scanner 10.0.9.9 port-scans every instance weekly",
        "expires": FUTURE,
        "criteria": [
            FilterCriterion(field="type", equals=["Recon:EC2/Portscan"]),
            FilterCriterion(
                field="service.action.networkConnectionAction.remoteIpDetails.ipAddressV4",
                equals=["10.0.9.9"],
            ),
        ],
        **overrides,
    }
    return FindingFilter(**values)


def test_automation_rules_in_every_region(run_program: Callable[..., Plan]) -> None:
    severity = suppress_rule(
        name="lower-public-dev-buckets",
        suppress=False,
        severity="LOW",
        order=5,
        terminal=True,
        criteria=[
            RuleCriterion(field="ResourceId", values=["arn:aws:s3:::dev-"], comparison="PREFIX")
        ],
    )
    args = SecurityHubArgs(
        regions=REGIONS, home_region="ap-northeast-1", automation_rules=[suppress_rule(), severity]
    )
    plan = run_program(lambda: SecurityHub("hub", args))
    found = plan.of_type(RULE)
    assert sorted((plan.region_of(r), r.inputs["ruleName"]) for r in found) == sorted(
        (region, name) for region in REGIONS for name in ("dev-imdsv1", "lower-public-dev-buckets")
    )
    hub = plan.one("secbaseline:index:SecurityHub")
    assert all(r.parent == hub.urn for r in found)
    first = next(r for r in found if r.inputs["ruleName"] == "dev-imdsv1")
    assert first.inputs["criteria"] == {
        "complianceSecurityControlIds": [{"comparison": "EQUALS", "value": "EC2.8"}],
        "awsAccountIds": [{"comparison": "EQUALS", "value": "222222222222"}],
    }
    (action,) = first.inputs["actions"]
    assert action["type"] == "FINDING_FIELDS_UPDATE"
    update = action["findingFieldsUpdate"]
    assert update["workflow"] == {"status": "SUPPRESSED"}
    assert update["note"]["text"] == f"{REASON} (rule dev-imdsv1, expires {FUTURE})"
    assert REASON in first.inputs["description"] and FUTURE in first.inputs["description"]
    assert first.inputs["tags"] == {catalog.TRIAGE_EXPIRES_TAG: FUTURE}
    assert first.inputs["ruleStatus"] == "ENABLED" and first.inputs["isTerminal"] is False
    second = next(r for r in found if r.inputs["ruleName"] == "lower-public-dev-buckets")
    assert second.inputs["ruleOrder"] == 5 and second.inputs["isTerminal"] is True
    second_update = second.inputs["actions"][0]["findingFieldsUpdate"]
    assert second_update["severity"] == {"label": "LOW"} and "workflow" not in second_update
    assert second.inputs["criteria"] == {
        "resourceIds": [{"comparison": "PREFIX", "value": "arn:aws:s3:::dev-"}]
    }
    # Every rule passes the pack's rule (reason and a future expiry).
    assert all(
        rules.check_resource("triage-rule-not-expired", RULE, r.inputs, URN, "r") == []
        for r in found
    )


def test_guardduty_filters_in_every_region(run_program: Callable[..., Plan]) -> None:
    args = ThreatDetectionArgs(
        regions=REGIONS,
        home_region="ap-northeast-1",
        account_id="111111111111",
        export_findings=False,
        filters=[archive_filter(), archive_filter(name="saved-view", action="NOOP", rank=2)],
        tags={"team": "security"},
    )
    plan = run_program(lambda: ThreatDetection("td", args))
    found = plan.of_type(FILTER)
    assert sorted((plan.region_of(f), f.inputs["name"]) for f in found) == sorted(
        (region, name) for region in REGIONS for name in ("saved-view", "scanner-portscan")
    )
    detectors = {plan.region_of(d): d.id for d in plan.of_type(catalog.GUARDDUTY_DETECTOR)}
    for item in found:
        assert item.inputs["detectorId"] == detectors[plan.region_of(item)]
        assert item.inputs["tags"] == {"team": "security", catalog.TRIAGE_EXPIRES_TAG: FUTURE}
    scanner = next(f for f in found if f.inputs["name"] == "scanner-portscan")
    assert scanner.inputs["action"] == "ARCHIVE" and scanner.inputs["rank"] == 1
    assert scanner.inputs["findingCriteria"] == {
        "criterions": [
            {"field": "type", "equals": ["Recon:EC2/Portscan"]},
            {
                "field": "service.action.networkConnectionAction.remoteIpDetails.ipAddressV4",
                "equals": ["10.0.9.9"],
            },
        ]
    }
    assert "port-scans every instance weekly" in scanner.inputs["description"]
    saved = next(f for f in found if f.inputs["name"] == "saved-view")
    assert saved.inputs["action"] == "NOOP" and saved.inputs["rank"] == 2


def test_an_expired_rule_is_refused_by_the_plan() -> None:
    with pytest.raises(ArgumentError, match=r"^expires: the rule expired on 2020-01-31; review"):
        suppress_rule(expires=PAST)
    with pytest.raises(ArgumentError, match=r"^expires: the rule expired on 2020-01-31"):
        archive_filter(expires=PAST)
    # Through the stack config too, naming the config key.
    with pytest.raises(
        ArgumentError,
        match=r"^threatDetection\.filters\[0\]\.expires: the rule expired on 2020-01-31",
    ):
        ThreatDetectionArgs.from_config(
            "threatDetection",
            {
                "filters": [
                    {
                        "name": "old",
                        "reason": REASON,
                        "expires": PAST,
                        "criteria": [{"field": "type", "equals": ["Recon:EC2/Portscan"]}],
                    }
                ]
            },
            regions=["us-east-1"],
            home_region="us-east-1",
        )
    # Today is still valid (it expires at the end of the day).
    today = datetime.datetime.now(datetime.UTC).date()
    assert suppress_rule(expires=today.isoformat()).expires == today.isoformat()


def test_rules_from_config() -> None:
    rule = {
        "name": "dev-imdsv1",
        "reason": REASON,
        "expires": FUTURE,
        "criteria": [{"field": "ComplianceSecurityControlId", "values": ["EC2.8"]}],
        "suppress": True,
    }
    args = SecurityHubArgs.from_config(
        "securityHub", {"automationRules": [rule]}, regions=["us-east-1"], home_region="us-east-1"
    )
    assert args.automation_rules[0].expires == FUTURE
    assert args.automation_rules[0].criteria[0].field == "ComplianceSecurityControlId"
    # An unquoted YAML date is not a string: the error says so (quote the date).
    with pytest.raises(
        ArgumentError, match=r"^securityHub\.automationRules\[0\]\.expires: expected a valid string"
    ):
        SecurityHubArgs.from_config(
            "securityHub",
            {
                "automationRules": [
                    {
                        "name": "dev-imdsv1",
                        "reason": REASON,
                        "expires": datetime.date(2099, 12, 31),  # YAML's unquoted date
                        "criteria": [{"field": "ComplianceSecurityControlId", "values": ["EC2.8"]}],
                        "suppress": True,
                    }
                ]
            },
            regions=["us-east-1"],
            home_region="us-east-1",
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reason": "noise"}, "reason: say why these findings are suppressed (10-400 characters)"),
        ({"expires": "next year"}, "expires: 'next year' is not a date YYYY-MM-DD"),
        ({"expires": "2099-02-30"}, "expires: '2099-02-30' is not a date YYYY-MM-DD"),
        ({"criteria": []}, "criteria: name at least one criterion"),
        (
            {
                "criteria": [
                    RuleCriterion(field="Title", values=["a"]),
                    RuleCriterion(field="Title", values=["b"]),
                ]
            },
            "criteria: a field is listed twice",
        ),
        ({"workflow_status": "RESOLVED"}, "workflow_status: not with suppress"),
        ({"order": 0}, "order: 0 is out of range 1-1000"),
        ({"name": "bad,name"}, "name: 'bad,name' must be 1-256 letters"),
        ({"severity": "SEVERE"}, "severity: expected 'INFORMATIONAL'"),
    ],
)
def test_bad_automation_rules(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        suppress_rule(**overrides)
    assert str(err.value).startswith(message)


def test_bad_rule_criteria_and_lists() -> None:
    with pytest.raises(ArgumentError, match=r"^field: expected 'AwsAccountId'"):
        RuleCriterion(field="Colour", values=["x"])
    with pytest.raises(ArgumentError, match=r"^values: expected 1-20 values"):
        RuleCriterion(field="Title", values=[])
    with pytest.raises(ArgumentError, match=r"^automation_rules: two rules share a name"):
        SecurityHubArgs(
            regions=["us-east-1"],
            home_region="us-east-1",
            automation_rules=[suppress_rule(), suppress_rule()],
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "x"}, "name: 'x' must be 3-64 letters"),
        ({"reason": ""}, "reason: say why these findings are suppressed"),
        ({"criteria": []}, "criteria: name at least one criterion"),
        ({"action": "DELETE"}, "action: expected 'ARCHIVE' or 'NOOP'"),
        ({"rank": 101}, "rank: 101 is out of range 1-100"),
        ({"expires": 20991231}, "expires: expected a valid string, got 20991231"),
    ],
)
def test_bad_filters(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        archive_filter(**overrides)
    assert str(err.value).startswith(message)


def test_bad_filter_criteria() -> None:
    with pytest.raises(ArgumentError, match=r"^equals: give equals, not_equals"):
        FilterCriterion(field="type")
    with pytest.raises(ArgumentError, match=r"^field: 'type\)' is not a GuardDuty finding"):
        FilterCriterion(field="type)", equals=["x"])
    with pytest.raises(ArgumentError, match=r"^filters: two filters share a name"):
        ThreatDetectionArgs(
            regions=["us-east-1"],
            home_region="us-east-1",
            filters=[archive_filter(), archive_filter()],
        )


@pytest.mark.parametrize("resource_type", [RULE, FILTER])
@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"description": REASON, "tags": {catalog.TRIAGE_EXPIRES_TAG: FUTURE}}, []),
        (
            {"description": REASON, "tags": {catalog.TRIAGE_EXPIRES_TAG: PAST}},
            ["expired on 2020-01-31: review the rule, then renew the date or remove the rule"],
        ),
        ({"description": REASON}, ["no expiry date (tag secbaseline:expires)"]),
        (
            {"tags": {catalog.TRIAGE_EXPIRES_TAG: "soon"}},
            ["no reason (description)", "expiry 'soon' is not a date YYYY-MM-DD"],
        ),
    ],
)
def test_policy_refuses_expired_or_unexplained_rules(
    resource_type: str, props: dict[str, Any], expected: list[str]
) -> None:
    assert rules.check_resource("triage-rule-not-expired", resource_type, props, URN, "r") == (
        expected
    )
    # Other resource types are not its business.
    assert rules.check_resource("triage-rule-not-expired", catalog.SNS_TOPIC, props, URN, "r") == []


def test_policy_is_in_the_catalog() -> None:
    policy = catalog.policy("triage-rule-not-expired")
    assert policy.enforcement == "mandatory" and policy.kind == "resource"
    assert set(policy.resource_types) == {RULE, FILTER}
