"""Routing by severity (issue 17): the runbook and the routes say the same thing.

Sample findings of every severity (``tests/fixtures/events/by_severity.json``: GuardDuty
CRITICAL/HIGH/MEDIUM/LOW, the named high-signal LOW types, suppressed ones; Security Hub
CRITICAL..INFORMATIONAL and SUPPRESSED; Access Analyzer; a root sign-in) are followed through
the planned EventBridge rules. What docs/incident-response.md's routing table says about each
must be where it lands: the paging topic, the digest queue, or nowhere. The ticketing webhook's
input transformer is applied to every paging sample and must key the ticket on the finding id.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan, RecordedResource
from secbaseline.components.lambdas.finding_formatter.handler import guardduty_label
from secbaseline.components.security_notifications import (
    HIGH_SIGNAL_FINDING_TYPES,
    SecurityNotifications,
    SecurityNotificationsArgs,
    TicketingSink,
    ticket_transformer,
)
from tests.event_routes import RULE, TARGET, matches, reaches_topic, transform

ROOT = Path(__file__).resolve().parent.parent
RUNBOOK = ROOT / "docs" / "incident-response.md"
SAMPLES = json.loads((ROOT / "tests" / "fixtures" / "events" / "by_severity.json").read_text())
HOME = "ap-northeast-1"
REGIONS = (HOME, "us-east-1", "eu-west-1")
SOURCES = {
    "aws.guardduty": "GuardDuty",
    "aws.securityhub": "Security Hub",
    "aws.access-analyzer": "IAM Access Analyzer",
    "aws.signin": "Root console sign-in",
}


def runbook_section(name: str) -> str:
    text = RUNBOOK.read_text()
    match = re.search(f"<!-- {name}:begin -->(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"{RUNBOOK}: no {name} section"
    return match.group(1)


def runbook_routes() -> dict[tuple[str, str], str]:
    """(source, severity label or 'any') -> page | digest | none, from the runbook's table."""
    table: dict[tuple[str, str], str] = {}
    for line in runbook_section("routing").strip().splitlines()[2:]:
        source, severities, route = (cell.strip() for cell in line.strip("|").split("|"))
        for severity in severities.split(","):
            table[(source, severity.strip())] = route
    return table


def runbook_page_types() -> list[str]:
    return re.findall(r"^- `([^`]+)`", runbook_section("page-types"), re.M)


def expected_route(event: dict[str, Any], table: dict[tuple[str, str], str]) -> str:
    """What the runbook promises for one event."""
    suppressed = table[("Suppressed (GuardDuty archived, Security Hub workflow SUPPRESSED)", "any")]
    source = SOURCES[event["source"]]
    if source == "GuardDuty":
        detail = event["detail"]
        if detail["service"]["archived"]:
            return suppressed
        if detail["type"] in runbook_page_types():
            return table[("GuardDuty, a type listed below", "any")]
        return table[(source, guardduty_label(float(detail["severity"])))]
    if source == "Security Hub":
        (finding,) = event["detail"]["findings"]
        if finding["Workflow"]["Status"] == "SUPPRESSED":
            return suppressed
        return table[(source, finding["Severity"]["Label"])]
    return table[(source, "any")]


def named(plan: Plan, type_token: str, name: str) -> RecordedResource:
    (found,) = [r for r in plan.of_type(type_token) if r.name == name]
    return found


@pytest.fixture
def plan(run_program: Callable[..., Plan]) -> Plan:
    args = SecurityNotificationsArgs(
        regions=REGIONS,
        home_region=HOME,
        account_id="111111111111",
        emails=["oncall@example.com"],
        ticketing=TicketingSink(
            endpoint="https://events.pagerduty.com/v2/enqueue",
            api_key="Token token=abc",
            routing_key="R0123456789ABCDEF0123456789ABCDE",
        ),
    )
    return run_program(lambda: SecurityNotifications("sn", args))


def test_runbook_names_the_high_signal_types_the_routes_page() -> None:
    assert runbook_page_types() == list(HIGH_SIGNAL_FINDING_TYPES)


def test_samples_cover_every_severity_of_every_source() -> None:
    seen = set()
    for sample in SAMPLES:
        event = sample["event"]
        if event["source"] == "aws.guardduty":
            seen.add(("GuardDuty", guardduty_label(float(event["detail"]["severity"]))))
        elif event["source"] == "aws.securityhub":
            seen.add(("Security Hub", event["detail"]["findings"][0]["Severity"]["Label"]))
    labels = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
    assert {("GuardDuty", label) for label in labels} <= seen
    assert {("Security Hub", label) for label in (*labels, "INFORMATIONAL")} <= seen
    assert {s["event"]["detail"].get("type") for s in SAMPLES} >= {
        "Policy:IAMUser/RootCredentialUsage",
        "Policy:S3/BucketBlockPublicAccessDisabled",
    }


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["name"] for s in SAMPLES])
def test_each_sample_lands_where_the_runbook_says(plan: Plan, sample: dict[str, Any]) -> None:
    event = dict(sample["event"])
    if event["source"] == "aws.securityhub":
        event["region"] = HOME  # the aggregator sends every linked region's findings home
    topic = named(plan, "aws:sns/topic:Topic", "sn-topic").outputs["arn"]
    queue = named(plan, "aws:sqs/queue:Queue", "sn-digest-queue").outputs["arn"]
    paged = reaches_topic(plan, event, topic)
    digested = reaches_topic(plan, event, queue)
    assert not (paged and digested), f"{sample['name']}: both paged and digested"
    actual = "page" if paged else "digest" if digested else "none"
    assert actual == expected_route(event, runbook_routes()), sample["name"]


def test_the_digest_reaches_the_low_priority_topic(plan: Plan) -> None:
    formatter = plan.one("aws:lambda/function:Function")
    digest_topic = named(plan, "aws:sns/topic:Topic", "sn-digest-topic").outputs["arn"]
    queue = named(plan, "aws:sqs/queue:Queue", "sn-digest-queue")
    env = formatter.inputs["environment"]["variables"]
    assert env["DIGEST_TOPIC_ARN"] == digest_topic
    assert env["DIGEST_QUEUE_URL"] == queue.outputs["url"]
    schedule = named(plan, RULE, "sn-digest-schedule")
    assert schedule.inputs["scheduleExpression"] == "cron(0 0 * * ? *)"
    (target,) = [t for t in plan.of_type(TARGET) if t.inputs["rule"] == schedule.id]
    assert target.inputs["arn"] == formatter.outputs["arn"]
    # Only the low rules may send to the queue.
    policy = json.loads(
        named(plan, "aws:sqs/queuePolicy:QueuePolicy", "sn-digest-queue-policy").inputs["policy"]
    )
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    low_rules = sorted(
        r.outputs["arn"]
        for r in plan.of_type(RULE)
        if r.name in {"sn-guardduty-low", "sn-securityhub-low"}
    )
    assert sorted(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == low_rules


def test_ticketing_keys_every_paging_finding_on_its_id(plan: Plan) -> None:
    destination = plan.one("aws:cloudwatch/eventApiDestination:EventApiDestination")
    assert destination.inputs["invocationEndpoint"] == "https://events.pagerduty.com/v2/enqueue"
    assert destination.inputs["httpMethod"] == "POST"
    connection = plan.one("aws:cloudwatch/eventConnection:EventConnection")
    assert destination.inputs["connectionArn"] == connection.outputs["arn"]
    assert connection.inputs["authorizationType"] == "API_KEY"
    targets = {
        t.inputs["rule"]: t
        for t in plan.of_type(TARGET)
        if t.inputs["arn"] == destination.outputs["arn"]
    }
    home_rules = {r.id: r for r in plan.of_type(RULE) if plan.region_of(r) == HOME}
    assert sorted(home_rules[rule].name for rule in targets) == [
        "sn-accessanalyzer",
        "sn-guardduty",
        "sn-rootsignin",
        "sn-securityhub",
    ]
    role = next(r for r in plan.of_type("aws:iam/role:Role") if r.name == "sn-ticketing-role")
    assert {t.inputs["roleArn"] for t in targets.values()} == {role.outputs["arn"]}
    ids = {
        "aws.guardduty": lambda e: e["detail"]["id"],
        "aws.securityhub": lambda e: e["detail"]["findings"][0]["Id"],
        "aws.access-analyzer": lambda e: e["detail"]["id"],
        "aws.signin": lambda e: e["detail"]["eventID"],
    }
    sent = 0
    for sample in SAMPLES:
        event = {**sample["event"], "region": HOME}
        for rule_id, target in targets.items():
            if not matches(json.loads(home_rules[rule_id].inputs["eventPattern"]), event):
                continue
            body = json.loads(transform(target.inputs["inputTransformer"], event))
            assert body["dedup_key"] == ids[event["source"]](event), sample["name"]
            assert body["routing_key"] == "R0123456789ABCDEF0123456789ABCDE"
            assert body["event_action"] == "trigger"
            payload = body["payload"]
            assert payload["severity"] == "critical" and payload["source"].startswith("111111")
            assert "<" not in json.dumps(payload), f"{sample['name']}: unresolved {payload}"
            sent += 1
    assert sent == sum(
        1
        for s in SAMPLES
        if expected_route({**s["event"], "region": HOME}, runbook_routes()) == "page"
    )


def test_ticket_transformer_without_a_routing_key() -> None:
    paths, template = ticket_transformer("guardduty")
    assert paths["id"] == "$.detail.id"
    assert "routing_key" not in json.loads(template)
    event = next(s["event"] for s in SAMPLES if s["name"] == "guardduty-high")
    body = json.loads(transform({"inputPaths": paths, "inputTemplate": template}, event))
    assert body["dedup_key"] == event["detail"]["id"]
    assert body["payload"]["summary"] == f"GuardDuty: {event['detail']['title']}"
    assert body["payload"]["custom_details"]["severity"] == json.dumps(event["detail"]["severity"])
