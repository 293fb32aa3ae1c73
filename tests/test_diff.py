"""`secbaseline diff`: resource changes between two plan documents and every weakening kind.

Each weakening kind is shown on small hand-made plan documents (one resource or two), the
tier plans prove the whole path (intermediate -> beginner weakens, the other way does not)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secbaseline.baseline.check import check_plan, stack_options
from secbaseline.baseline.cli import main
from secbaseline.baseline.diff import (
    PlanDiff,
    covered,
    diff_plans,
    plan_from_document,
    render_diff,
    to_json,
)
from secbaseline.baseline.engine import Plan

STACK = "urn:pulumi:dev::secbaseline::pulumi:pulumi:Stack::secbaseline-dev"
PROVIDER = "urn:pulumi:dev::secbaseline::pulumi:providers:aws::account"
ACCOUNT = "333333333333"
HOME = "ap-northeast-1"
COMPONENT_TYPE = "secbaseline:index:Baseline"


def urn(type_: str, name: str, parent_type: str | None = COMPONENT_TYPE) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:dev::secbaseline::{qualified}::{name}"


COMPONENT = urn(COMPONENT_TYPE, "baseline", None)


def res(type_: str, name: str, /, region: str | None = HOME, **inputs: Any) -> dict[str, Any]:
    """One custom resource under the test component (``region=None``: a global one)."""
    if region is not None:
        inputs = {**inputs, "region": region}
    return {
        "urn": urn(type_, name),
        "type": type_,
        "custom": True,
        "parent": COMPONENT,
        "provider": f"{PROVIDER}::account-1",
        "inputs": inputs,
    }


def doc(*resources: dict[str, Any], tier: str = "beginner") -> dict[str, Any]:
    """A plan document holding the stack, the provider, the component and ``resources``."""
    fixed = [
        {
            "urn": STACK,
            "type": "pulumi:pulumi:Stack",
            "custom": False,
            "parent": None,
            "provider": None,
            "inputs": {},
        },
        {
            "urn": PROVIDER,
            "type": "pulumi:providers:aws",
            "custom": True,
            "parent": STACK,
            "provider": None,
            "inputs": {"region": HOME},
        },
        {
            "urn": COMPONENT,
            "type": COMPONENT_TYPE,
            "custom": False,
            "parent": STACK,
            "provider": None,
            "inputs": {},
        },
    ]
    settings = {"tier": tier, "role": "standalone", "homeRegion": HOME, "accountId": ACCOUNT}
    return {
        "schemaVersion": 1,
        "project": "secbaseline",
        "stack": "dev",
        "settings": settings,
        "resources": fixed + list(resources),
    }


def compare(base: dict[str, Any], head: dict[str, Any]) -> PlanDiff:
    return diff_plans(plan_from_document(base, "BASE"), plan_from_document(head, "HEAD"))


def weakenings(base: dict[str, Any], head: dict[str, Any], kind: str) -> list[str]:
    """``what: detail`` of every weakening of one kind; other kinds may only be policy-pack
    verdicts (a bucket losing a setting also fails ``s3-bucket-configuration-complete``)."""
    found = compare(base, head).weakenings
    assert {w.kind for w in found} <= {kind, "policy-verdict"}, found
    return [f"{w.what}: {w.detail}" if w.detail else w.what for w in found if w.kind == kind]


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
DETECTOR = "aws:guardduty/detector:Detector"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
TOPIC_ARN = f"arn:aws:sns:{HOME}:{ACCOUNT}:alerts"
SCP = "aws:organizations/policy:Policy"


def bucket(name: str = "logs") -> dict[str, Any]:
    return res(BUCKET, name, bucket=f"{name}-bucket", forceDestroy=False)


def sse(name: str = "logs") -> dict[str, Any]:
    rule = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}
    return res(SSE, f"{name}-sse", bucket=f"{name}-bucket", rules=[rule])


# --- the tier plans -----------------------------------------------------------------------


@pytest.fixture
def tier_files(plan_tier: Callable[..., Plan], tmp_path: Path) -> dict[str, Path]:
    files = {}
    for tier in ("beginner", "intermediate"):
        files[tier] = tmp_path / f"{tier}.json"
        files[tier].write_text(plan_tier(tier=tier).dumps())
    return files


def test_intermediate_to_beginner_fails_on_weakening_and_names_guardduty(
    tier_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = str(tier_files["intermediate"]), str(tier_files["beginner"])
    code = main(["diff", base, head, "--fail-on", "weakening", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    detectors = [w for w in report["weakenings"] if w["what"] == "GuardDuty detector removed"]
    assert sorted(w["region"] for w in detectors) == ["ap-northeast-1", "eu-west-1", "us-east-1"]
    removed = {w["what"] for w in report["weakenings"]}
    for what in (
        "Security Hub removed",
        "Config recorder removed",
        "IAM Access Analyzer analyzer removed",
        "notification topic removed",
        "notification route (EventBridge rule) removed",
    ):
        assert what in removed
    assert report["summary"]["added"] == 0
    assert report["summary"]["removed"] > 200
    # Without --fail-on the same diff exits 0; the markdown names GuardDuty for the PR.
    assert main(["diff", base, head]) == 0
    markdown = capsys.readouterr().out
    assert "| detection | GuardDuty detector removed" in markdown
    assert "ap-northeast-1, eu-west-1, us-east-1" in markdown
    # a pull-request comment holds 65,536 characters: long resource lists are cut
    assert len(markdown) < 65_536
    assert "more (`--format json` lists them all)" in markdown


def test_beginner_to_intermediate_weakens_nothing(
    tier_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = str(tier_files["beginner"]), str(tier_files["intermediate"])
    code = main(["diff", base, head, "--fail-on", "weakening", "--format", "table"])
    out = capsys.readouterr().out
    assert code == 0
    assert "no weakening;" in out
    assert "0 removed" in out


def test_plan_document_round_trip_changes_nothing_and_checks_like_a_fresh_plan(
    plan_tier: Callable[..., Plan],
) -> None:
    fresh = plan_tier(tier="intermediate")
    loaded = plan_from_document(json.loads(fresh.dumps()), "BASE")
    # ids are rebuilt as the engine fabricates them, so S3 settings join their buckets
    # (without them every autonamed bucket would "lack" its encryption and versioning)
    buckets = {r.urn: r.id for r in fresh.of_type(BUCKET)}
    assert buckets and {r.urn: r.id for r in loaded.of_type(BUCKET)} == buckets
    options = stack_options(loaded.settings or {})
    assert check_plan(loaded, options=options) == check_plan(fresh, options=options) == []
    same = diff_plans(loaded, plan_from_document(json.loads(fresh.dumps()), "HEAD"))
    assert (same.changes, same.weakenings) == ([], [])
    assert same.unchanged == len(fresh.resources) - 1  # all but the stack


# --- resource changes ---------------------------------------------------------------------


def test_changes_name_the_changed_keys_grouped_by_component_and_region() -> None:
    base = doc(
        bucket(),
        res(
            VERSIONING,
            "logs-versioning",
            bucket="logs-bucket",
            versioningConfiguration={"status": "Enabled"},
        ),
        res(DETECTOR, "gd-us", region="us-east-1", enable=True),
    )
    head = doc(
        res(BUCKET, "logs", bucket="logs-bucket", forceDestroy=True),
        res(
            VERSIONING,
            "logs-versioning",
            bucket="logs-bucket",
            versioningConfiguration={"status": "Enabled", "mfaDelete": "Disabled"},
        ),
        res(DETECTOR, "gd-eu", region="eu-west-1", enable=True),
    )
    report = to_json(compare(base, head))
    rows = [
        (r["change"], r["component"], r["region"], r["name"], r["changedKeys"])
        for r in report["resources"]
    ]
    assert rows == [
        ("changed", "Baseline baseline", HOME, "logs", ["forceDestroy"]),
        (
            "changed",
            "Baseline baseline",
            HOME,
            "logs-versioning",
            ["versioningConfiguration.mfaDelete"],
        ),
        ("added", "Baseline baseline", "eu-west-1", "gd-eu", []),
        ("removed", "Baseline baseline", "us-east-1", "gd-us", []),
    ]
    assert report["summary"] == {
        "added": 1,
        "removed": 1,
        "changed": 2,
        "unchanged": 2,  # provider and component
        "weakenings": 1,
        "weakeningsByKind": {"detection": 1},
    }
    table = render_diff(compare(base, head), "table")
    assert "forceDestroy: false -> true" in table


def test_a_resource_moved_to_another_parent_is_matched_by_type_and_name() -> None:
    moved = res(DETECTOR, "gd", enable=True)
    moved["urn"] = urn(DETECTOR, "gd", None)
    moved["parent"] = STACK
    result = compare(doc(res(DETECTOR, "gd", enable=True)), doc(moved))
    assert [(c.change, c.changed_keys) for c in result.changes] == [("changed", ["(parent)"])]
    assert result.weakenings == []


def test_json_string_inputs_compare_by_content() -> None:
    document = {"Version": "2012-10-17", "Statement": []}
    base = doc(res(TOPIC, "alerts", policy=json.dumps(document)))
    head = doc(res(TOPIC, "alerts", policy=json.dumps(document, indent=4)))
    assert compare(base, head).changes == []


def test_output_is_deterministic_and_markdown_folds_long_lists() -> None:
    base = doc(*[res(DETECTOR, f"gd-{i:02}", enable=True) for i in range(12)])
    head = doc()
    first = render_diff(compare(base, head), "markdown")
    assert first == render_diff(compare(base, head), "markdown")
    assert first.startswith("### secbaseline diff: dev (beginner, standalone) -> dev")
    assert "**12 weakening(s); 0 added, 12 removed, 0 changed" in first
    assert "<summary>Removed (12)</summary>" in first
    names = [line.split("`")[1] for line in first.splitlines() if "| `gd-" in line]
    assert names == sorted(names)
    assert json.loads(render_diff(compare(base, head), "json"))["summary"]["removed"] == 12


# --- detection ----------------------------------------------------------------------------


def test_detector_removed_in_one_region_names_the_region() -> None:
    both = [res(DETECTOR, f"gd-{r}", region=r, enable=True) for r in (HOME, "us-east-1")]
    result = compare(doc(*both), doc(both[0]))
    assert [(w.kind, w.what, w.region) for w in result.weakenings] == [
        ("detection", "GuardDuty detector removed", "us-east-1")
    ]


def test_detection_left_to_the_organization_is_still_reported_with_why() -> None:
    base = doc(res(DETECTOR, "gd", enable=True), tier="intermediate")
    head = doc(tier="advanced")
    head["settings"]["role"] = "member"
    assert weakenings(base, head, "detection") == [
        "GuardDuty detector removed: HEAD leaves guardduty to the organization (tier advanced, "
        "role member): confirm its auto-enable covers this account and region"
    ]


def test_detection_switched_off() -> None:
    status = "aws:cfg/recorderStatus:RecorderStatus"
    feature = "aws:guardduty/detectorFeature:DetectorFeature"
    enabler = "aws:inspector2/enabler:Enabler"
    base = doc(
        res(DETECTOR, "gd", enable=True),
        res(status, "recorder", isEnabled=True, name="r"),
        res(feature, "s3", name="S3_DATA_EVENTS", status="ENABLED"),
        res(enabler, "inspector", accountIds=[ACCOUNT], resourceTypes=["EC2", "ECR", "LAMBDA"]),
    )
    head = doc(
        res(DETECTOR, "gd", enable=False),
        res(status, "recorder", isEnabled=False, name="r"),
        res(feature, "s3", name="S3_DATA_EVENTS", status="DISABLED"),
        res(enabler, "inspector", accountIds=[ACCOUNT], resourceTypes=["EC2"]),
    )
    assert weakenings(base, head, "detection") == [
        "Config recorder status switched off: recorder: isEnabled: true -> false",
        "GuardDuty detector switched off: gd: enable: true -> false",
        'GuardDuty protection plan switched off: s3: status: ENABLED -> "DISABLED"',
        'Inspector switched off: inspector: resourceTypes: no longer "ECR", "LAMBDA"',
    ]


def notification_route(rule_state: str = "ENABLED") -> list[dict[str, Any]]:
    return [
        res(TOPIC, "alerts", name="alerts", kmsMasterKeyId="alias/sns"),
        res(
            "aws:sns/topicSubscription:TopicSubscription",
            "alerts-email",
            topic=TOPIC_ARN,
            protocol="email",
            endpoint="security@example.com",
        ),
        res(RULE, "findings", name="findings", eventPattern="{}", state=rule_state),
        res(TARGET, "findings-topic", rule="findings", arn=TOPIC_ARN),
        res(RULE, "other", name="other", eventPattern="{}"),
        res(TARGET, "other-queue", rule="other", arn=f"arn:aws:sqs:{HOME}:{ACCOUNT}:q"),
    ]


def test_security_hub_control_disabled_but_not_removed() -> None:
    control = "aws:securityhub/standardsControlAssociation:StandardsControlAssociation"

    def association(status: str) -> dict[str, Any]:
        return res(
            control,
            "iam-1",
            securityControlId="IAM.1",
            associationStatus=status,
            standardsArn="arn:aws:securityhub:::standards/fsbp",
        )

    assert weakenings(doc(association("ENABLED")), doc(association("DISABLED")), "detection") == [
        'Security Hub control switched off: iam-1: associationStatus: ENABLED -> "DISABLED"'
    ]
    # removing an association returns the control to its standard's default (enabled)
    assert compare(doc(association("DISABLED")), doc()).weakenings == []


def test_notification_routes_removed() -> None:
    route = notification_route()
    unrelated = route[4:]
    assert weakenings(doc(*route), doc(*unrelated), "detection") == [
        "notification route (EventBridge rule) removed",
        f"notification route (EventBridge target) removed: target {TOPIC_ARN}",
        "notification subscription removed: email subscription",
        "notification topic removed",
    ]
    # a rule to a queue is not a notification route: removing it weakens nothing
    assert compare(doc(*route), doc(*route[:4])).weakenings == []


def test_notification_route_disabled_or_redirected() -> None:
    route = notification_route()
    assert weakenings(doc(*route), doc(*notification_route("DISABLED")), "detection") == [
        'notification route (EventBridge rule) switched off: findings: state: ENABLED -> "DISABLED"'
    ]
    redirected = [
        *route[:3],
        res(TARGET, "findings-topic", rule="findings", arn="arn:aws:sqs:x"),
        *route[4:],
    ]
    assert weakenings(doc(*route), doc(*redirected), "detection") == [
        "notification route (EventBridge rule) no longer delivers: findings: none of its targets "
        "reaches a notification topic any more",
        "notification route (EventBridge target) no longer delivers: findings-topic: target "
        f"{TOPIC_ARN} -> target arn:aws:sqs:x",
        "notification subscription no longer delivers: alerts-email: its topic no longer "
        "receives findings",
        "notification topic no longer delivers: alerts: no EventBridge route delivers findings to "
        "it any more",
    ]


# --- policy verdicts ----------------------------------------------------------------------


def test_policy_verdict_that_newly_fails() -> None:
    pab = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
    flags = {f: True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls")}
    base = doc(res(pab, "pab", region=None, restrictPublicBuckets=True, **flags))
    head = doc(res(pab, "pab", region=None, restrictPublicBuckets=False, **flags))
    found = compare(base, head).weakenings
    assert [(w.kind, w.what, w.region) for w in found] == [
        ("policy-verdict", "policy s3-block-public-access now fails (mandatory)", "global")
    ]
    assert "restrictPublicBuckets" in found[0].detail
    # a verdict failing on both sides is not new
    assert compare(head, head).weakenings == []


def test_policy_verdict_uses_each_plans_tier() -> None:
    detector = res(DETECTOR, "gd", enable=True)
    # the intermediate tier requires GuardDuty in every region the stack uses
    found = compare(
        doc(detector, tier="intermediate"),
        doc(res("aws:securityhub/account:Account", "hub"), tier="intermediate"),
    ).weakenings
    assert ("policy-verdict", "policy guardduty-all-regions now fails (mandatory)") in {
        (w.kind, w.what) for w in found
    }


# --- policy statements --------------------------------------------------------------------

DENY_REGIONS = {
    "Sid": "DenyOtherRegions",
    "Effect": "Deny",
    "NotAction": ["iam:*", "organizations:*"],
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": [HOME]}},
}
DENY_LEAVE = {
    "Sid": "DenyLeave",
    "Effect": "Deny",
    "Action": "organizations:LeaveOrganization",
    "Resource": "*",
}


def scp(*statements: dict[str, Any]) -> dict[str, Any]:
    return res(
        SCP,
        "guardrails",
        region=None,
        name="guardrails",
        type="SERVICE_CONTROL_POLICY",
        content=policy(*statements),
    )


def test_scp_deny_removed_or_narrowed() -> None:
    base = doc(scp(DENY_REGIONS, DENY_LEAVE))
    assert weakenings(base, doc(scp(DENY_REGIONS)), "policy-statement") == [
        "SCP weakened: guardrails: Deny statement 'DenyLeave' removed"
    ]
    mfa_only = {**DENY_LEAVE, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
    assert weakenings(base, doc(scp(DENY_REGIONS, mfa_only)), "policy-statement") == [
        "SCP weakened: guardrails: Deny statement 'DenyLeave' narrower: condition Bool "
        "aws:multifactorauthpresent added"
    ]
    fewer = {**DENY_LEAVE, "Action": ["organizations:LeaveOrganization"], "Resource": "arn:x"}
    assert weakenings(base, doc(scp(DENY_REGIONS, fewer)), "policy-statement") == [
        "SCP weakened: guardrails: Deny statement 'DenyLeave' narrower: no longer denies "
        "resources *"
    ]


def test_scp_narrowed_words() -> None:
    base = doc(scp(DENY_REGIONS))
    more_exceptions = {**DENY_REGIONS, "NotAction": ["iam:*", "organizations:*", "ec2:*"]}
    other_regions = {
        **DENY_REGIONS,
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": [HOME, "us-east-1"]}},
    }
    assert weakenings(base, doc(scp(more_exceptions)), "policy-statement") == [
        "SCP weakened: guardrails: Deny statement 'DenyOtherRegions' narrower: no longer denies "
        "actions newly excepted by NotAction: ec2:*"
    ]
    assert weakenings(base, doc(scp(other_regions)), "policy-statement") == [
        "SCP weakened: guardrails: Deny statement 'DenyOtherRegions' narrower: condition "
        "StringNotEquals aws:requestedregion changed ['ap-northeast-1'] -> "
        "['ap-northeast-1', 'us-east-1']"
    ]


def test_scp_tightened_or_detached() -> None:
    base = doc(scp(DENY_LEAVE))
    wider_deny = {**DENY_LEAVE, "Action": "organizations:*"}
    assert compare(base, doc(scp(wider_deny))).weakenings == []
    attachment = res(
        "aws:organizations/policyAttachment:PolicyAttachment",
        "guardrails-root",
        region=None,
        policyId="p-123",
        targetId="r-root",
    )
    assert weakenings(doc(scp(DENY_LEAVE), attachment), base, "policy-statement") == [
        "SCP detached: guardrails-root: policy p-123 no longer attached to r-root"
    ]
    assert weakenings(base, doc(), "policy-statement") == [
        "SCP removed: guardrails: Deny statement 'DenyLeave' removed"
    ]


READ = {
    "Sid": "Read",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"},
    "Action": ["s3:GetObject"],
    "Resource": "arn:aws:s3:::logs-bucket/*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
}
TLS = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::logs-bucket", "arn:aws:s3:::logs-bucket/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def bucket_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return res(
        "aws:s3/bucketPolicy:BucketPolicy",
        "logs-policy",
        bucket="logs-bucket",
        policy=policy(*statements),
    )


@pytest.mark.parametrize(
    ("changed", "why"),
    [
        ({"Action": "s3:*"}, "grants actions s3:*"),
        ({"Action": ["s3:Get*"]}, "grants actions s3:Get*"),
        ({"Principal": "*"}, "grants principals *"),
        ({"Resource": "*"}, "grants resources *"),
        ({"Condition": {}}, "condition StringEquals aws:principalorgid removed"),
    ],
)
def test_bucket_policy_allow_widened(changed: dict[str, Any], why: str) -> None:
    base = doc(bucket(), bucket_policy(TLS, READ))
    head = doc(bucket(), bucket_policy(TLS, {**READ, **changed}))
    assert weakenings(base, head, "policy-statement") == [
        f"bucket policy weakened: logs-policy: Allow statement 'Read' wider: {why}"
    ]


def test_bucket_policy_narrowed_or_reworded_is_no_weakening() -> None:
    base = doc(bucket(), bucket_policy(TLS, {**READ, "Action": ["s3:Get*"]}))
    narrower = {**READ, "Action": ["s3:GetObject"]}
    assert compare(base, doc(bucket(), bucket_policy(narrower, TLS))).weakenings == []
    assert compare(base, doc(bucket(), bucket_policy(TLS))).weakenings == []  # Allow removed


def test_policy_removed_with_or_without_what_it_guards() -> None:
    base = doc(bucket(), bucket_policy(TLS, READ))
    assert weakenings(base, doc(bucket()), "policy-statement") == [
        "bucket policy removed: logs-policy: Deny statement 'DenyInsecureTransport' removed"
    ]
    assert compare(base, doc()).weakenings == []  # the bucket goes too


def test_key_and_topic_policy_allow_added() -> None:
    admin = {
        "Sid": "Admin",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::1:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    anyone = {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*"}
    key = "aws:kms/key:Key"
    base = doc(res(key, "key", policy=policy(admin)), res(TOPIC, "alerts", policy=policy()))
    head = doc(
        res(key, "key", policy=policy(admin, {**admin, "Sid": "Other"})),
        res(TOPIC, "alerts", policy=policy(anyone)),
    )
    assert weakenings(base, head, "policy-statement") == [
        "key policy weakened: key: Allow statement 'Other' added",
        "topic policy weakened: alerts: Allow statement #1 added",
    ]


def test_permissions_boundary_widened_or_removed() -> None:
    boundary_arn = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    ceiling = {"Effect": "Allow", "Action": ["s3:*", "logs:*"], "Resource": "*"}
    role = "aws:iam/role:Role"
    managed = "aws:iam/policy:Policy"

    def plan(statement: dict[str, Any], boundary: str | None) -> dict[str, Any]:
        inputs = {"permissionsBoundary": boundary} if boundary else {}
        return doc(
            res(managed, "boundary", region=None, name="boundary", policy=policy(statement)),
            res(role, "dev", region=None, name="dev", assumeRolePolicy=policy(), **inputs),
        )

    base = plan(ceiling, boundary_arn)
    assert weakenings(base, plan({**ceiling, "Action": "*"}, boundary_arn), "policy-statement") == [
        "permissions boundary weakened: boundary: Allow statement #1 wider: grants actions *"
    ]
    assert weakenings(base, plan(ceiling, None), "policy-statement") == [
        f"permissions boundary removed: dev: {boundary_arn} -> none"
    ]


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("s3:*", "s3:Get*", True),
        ("s3:Get*", "s3:*", False),
        ("S3:getobject", "s3:GetObject", True),
        ("*", "anything", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k", True),
        ("arn:aws:s3:::b/?", "arn:aws:s3:::b/kk", False),
    ],
)
def test_wildcards_compare_as_patterns(pattern: str, value: str, expected: bool) -> None:
    assert covered(value, [pattern], fold_case=True) is expected


# --- encryption, versioning, Object Lock, logging -----------------------------------------


def test_encryption_turned_off() -> None:
    base = doc(
        bucket(),
        sse(),
        res(TOPIC, "alerts", kmsMasterKeyId="alias/k"),
        res("aws:ebs/encryptionByDefault:EncryptionByDefault", "ebs", enabled=True),
    )
    head = doc(
        bucket(),
        res(TOPIC, "alerts"),
        res("aws:ebs/encryptionByDefault:EncryptionByDefault", "ebs", enabled=False),
    )
    assert weakenings(base, head, "encryption") == [
        "bucket default encryption removed: logs-sse removed for logs, which stays",
        "encryption turned off: ebs: enabled: true -> false",
        'encryption turned off: alerts: kmsMasterKeyId: "alias/k" -> absent',
    ]
    # the bucket and its settings go together: nothing protected is left unprotected
    assert compare(doc(bucket(), sse()), doc()).weakenings == []


def test_versioning_turned_off() -> None:
    def versioning(status: str) -> dict[str, Any]:
        return res(
            VERSIONING,
            "logs-versioning",
            bucket="logs-bucket",
            versioningConfiguration={"status": status},
        )

    base = doc(bucket(), versioning("Enabled"))
    assert weakenings(base, doc(bucket(), versioning("Suspended")), "versioning") == [
        'versioning turned off: logs-versioning: versioningConfiguration.status: "Enabled" -> '
        '"Suspended"'
    ]
    assert weakenings(base, doc(bucket()), "versioning") == [
        "bucket versioning removed: logs-versioning removed for logs, which stays"
    ]


def test_object_lock_turned_off_or_weakened() -> None:
    lock = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"

    def plan(enabled: bool, mode: str, days: int) -> dict[str, Any]:
        rule = {"defaultRetention": {"mode": mode, "days": days}}
        return doc(
            res(BUCKET, "vault", bucket="vault-bucket", objectLockEnabled=enabled),
            res(lock, "vault-lock", bucket="vault-bucket", rule=rule),
        )

    base = plan(True, "COMPLIANCE", 365)
    assert weakenings(base, plan(False, "COMPLIANCE", 365), "object-lock") == [
        "Object Lock turned off: vault: objectLockEnabled: true -> false"
    ]
    assert weakenings(base, plan(True, "GOVERNANCE", 30), "object-lock") == [
        "Object Lock retention shortened: vault-lock: rule.defaultRetention.days: 365 -> 30",
        'Object Lock retention weakened: vault-lock: rule.defaultRetention.mode: "COMPLIANCE" -> '
        '"GOVERNANCE"',
    ]
    assert compare(plan(True, "GOVERNANCE", 30), base).weakenings == []


def test_logging_turned_off() -> None:
    logging = res(
        "aws:s3/bucketLogging:BucketLogging",
        "logs-logging",
        bucket="logs-bucket",
        targetBucket="access-logs",
    )
    stage = "aws:apigatewayv2/stage:Stage"
    access_log = {"destinationArn": "arn:aws:logs:x", "format": "$context.requestId"}
    base = doc(bucket(), logging, res(stage, "api", name="$default", accessLogSettings=access_log))
    head = doc(bucket(), res(stage, "api", name="$default"))
    removed, turned_off = weakenings(base, head, "logging")
    assert removed == "bucket access logging removed: logs-logging removed for logs, which stays"
    assert turned_off.startswith('logging turned off: api: accessLogSettings: {"destinationArn"')
    assert turned_off.endswith("-> absent")


def test_trail_stopped_is_detection_and_logging() -> None:
    trail = "aws:cloudtrail/trail:Trail"
    base = doc(res(trail, "trail", enableLogging=True, isMultiRegionTrail=True, s3BucketName="t"))
    head = doc(res(trail, "trail", enableLogging=False, isMultiRegionTrail=False, s3BucketName="t"))
    kinds = sorted((w.kind, w.what) for w in compare(base, head).weakenings)
    assert kinds == [
        ("detection", "CloudTrail trail switched off"),
        ("logging", "logging turned off"),
        ("logging", "logging turned off"),
    ]


# --- the command line ---------------------------------------------------------------------


def test_usage_errors_exit_2_naming_the_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc()))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**doc(), "schemaVersion": 3}))
    for argv, message in (
        ([str(tmp_path / "missing.json"), str(good)], "BASE: "),
        ([str(good), str(broken)], "HEAD: "),
        ([str(good), str(newer)], "schemaVersion must be 1 or 2"),
    ):
        assert main(["diff", *argv]) == 2
        assert message in capsys.readouterr().err
    for flags in (["--format", "html"], ["--fail-on", "anything"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["diff", str(good), str(good), *flags])
        assert exit_info.value.code == 2
    assert main(["diff", str(good), str(good), "--fail-on", "weakening"]) == 0
    assert "no weakening" in capsys.readouterr().out
