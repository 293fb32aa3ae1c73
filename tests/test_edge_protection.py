"""EdgeProtection (S-05, S-06, S-31): CloudFront behind WAF, HTTPS-only, headers, logs."""

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pydantic.alias_generators import to_camel, to_snake

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan, RecordedResource
from secbaseline.components.edge_protection import (
    MANAGED_RULE_GROUPS,
    EdgeProtection,
    EdgeProtectionArgs,
    ManagedRuleGroup,
    PriceClass,
    country_codes,
)
from tests.tagging import untagged

CERT = "arn:aws:acm:us-east-1:111111111111:certificate/abc"
SECRET = "s" * 40
ALB = "arn:aws:elasticloadbalancing:ap-northeast-1:111111111111:loadbalancer/app/web/abc"


def edge_args(**kwargs: Any) -> EdgeProtectionArgs:
    """Most tests look at other things: without a certificate they opt in to the default one."""
    if kwargs.get("certificate_arn") is None:
        kwargs.setdefault("allow_default_certificate", True)
    return EdgeProtectionArgs(**kwargs)


def build(run_program: Callable[..., Plan], args: EdgeProtectionArgs | None = None) -> Plan:
    chosen = args or edge_args()
    return run_program(lambda: EdgeProtection("site", chosen))


def test_a_certificate_is_required_unless_the_default_is_accepted_explicitly() -> None:
    with pytest.raises(ArgumentError, match=r"^certificate_arn: required \(an ACM certificate"):
        EdgeProtectionArgs()
    with pytest.raises(ArgumentError, match=r"^edge\.certificateArn: required \(an ACM cert"):
        EdgeProtectionArgs.from_config("edge", {})
    EdgeProtectionArgs(allow_default_certificate=True)
    EdgeProtectionArgs(certificate_arn=CERT)
    args = EdgeProtectionArgs.from_config("edge", {"allowDefaultCertificate": True})
    assert args.allow_default_certificate is True
    with pytest.raises(ArgumentError, match=r"edge\.allowDefaultCertificate: expected a valid"):
        EdgeProtectionArgs.from_config("edge", {"allowDefaultCertificate": "maybe"})


def named(plan: Plan, token: str, name: str) -> RecordedResource:
    return next(r for r in plan.of_type(token) if r.name == name)


def test_defaults_s3_origin_waf_headers_and_logs(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    acl = plan.one("aws:wafv2/webAcl:WebAcl")
    assert acl.inputs["scope"] == "CLOUDFRONT"
    assert plan.region_of(acl) == "us-east-1"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    rules = acl.inputs["rules"]
    priorities = [r["priority"] for r in rules]
    assert len(priorities) == len(set(priorities))
    managed = [
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in rules
        if "managedRuleGroupStatement" in r["statement"]
    ]
    assert managed == list(MANAGED_RULE_GROUPS)
    assert all(r.get("overrideAction") == {"none": {}} for r in rules if r["name"] in managed)
    rate = next(r for r in rules if "rateBasedStatement" in r["statement"])
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": 2000,
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
    }
    assert not any("geoMatchStatement" in json.dumps(r) for r in rules)
    # WAF logs: aws-waf-logs- group in us-east-1, KMS-encrypted, headers redacted.
    logging = plan.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    waf_group = named(plan, "aws:cloudwatch/logGroup:LogGroup", "site-waf-logs")
    assert waf_group.inputs["name"] == "aws-waf-logs-site"
    assert plan.region_of(waf_group) == "us-east-1"
    assert waf_group.inputs["retentionInDays"] == 365
    logs_key = named(plan, "aws:kms/key:Key", "site-logs-key")
    assert waf_group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
    key_statements = json.loads(logs_key.inputs["policy"])["Statement"]
    assert key_statements[1]["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logging.inputs["resourceArn"] == acl.outputs["arn"]
    assert logging.inputs["logDestinationConfigs"] == [waf_group.outputs["arn"]]
    assert logging.inputs["redactedFields"] == [
        {"singleHeader": {"name": "authorization"}},
        {"singleHeader": {"name": "cookie"}},
    ]
    # CloudFront: HTTPS only, WAF attached, OAC to the private origin bucket, headers policy.
    dist = plan.one("aws:cloudfront/distribution:Distribution")
    headers = plan.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    oac = plan.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    bucket = named(plan, "aws:s3/bucket:Bucket", "site-origin-bucket")
    assert dist.inputs["webAclId"] == acl.outputs["arn"]
    behavior = dist.inputs["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["responseHeadersPolicyId"] == headers.id
    assert dist.inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert dist.inputs["origins"] == [
        {
            "originId": "origin",
            "domainName": bucket.outputs["bucketRegionalDomainName"],
            "originAccessControlId": oac.id,
        }
    ]
    assert oac.inputs["signingBehavior"] == "always"
    assert oac.inputs["originAccessControlOriginType"] == "s3"
    security = headers.inputs["securityHeadersConfig"]
    assert security["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31536000
    assert security["strictTransportSecurity"]["includeSubdomains"] is True
    assert security["contentTypeOptions"] == {"override": True}
    assert security["frameOptions"] == {"frameOption": "DENY", "override": True}
    assert security["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    # X-XSS-Protection: 0 (the legacy auditor off, per OWASP), no mode=block.
    assert security["xssProtection"] == {"protection": False, "override": True}
    # The origin bucket admits only this distribution (AWS:SourceArn), TLS-only, no public allow.
    policy = json.loads(
        named(plan, "aws:s3/bucketPolicy:BucketPolicy", "site-origin-policy").inputs["policy"]
    )
    statements = policy["Statement"]
    assert statements[0]["Sid"] == "DenyInsecureTransport"
    allow = statements[1]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == f"{bucket.outputs['arn']}/*"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": dist.outputs["arn"]}}
    assert not any(s["Effect"] == "Allow" and s.get("Principal") == "*" for s in statements)
    origin_key = named(plan, "aws:kms/key:Key", "site-origin-key")
    decrypt = json.loads(origin_key.inputs["policy"])["Statement"][1]
    assert decrypt["Condition"] == {"StringEquals": {"AWS:SourceArn": dist.outputs["arn"]}}
    # Standard logging v2 (vended logs) to a KMS-encrypted log group in us-east-1.
    source = plan.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert source.inputs["logType"] == "ACCESS_LOGS"
    assert source.inputs["resourceArn"] == dist.outputs["arn"]
    destination = plan.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    access_group = named(plan, "aws:cloudwatch/logGroup:LogGroup", "site-access-logs")
    assert destination.inputs["deliveryDestinationConfiguration"] == {
        "destinationResourceArn": access_group.outputs["arn"]
    }
    delivery = plan.one("aws:cloudwatch/logDelivery:LogDelivery")
    assert delivery.inputs["deliveryDestinationArn"] == destination.outputs["arn"]
    assert plan.region_of(delivery) == "us-east-1"
    assert plan.of_type("aws:wafv2/webAclAssociation:WebAclAssociation") == []
    assert plan.of_type("aws:secretsmanager/secret:Secret") == []


def test_custom_origin_certificate_and_origin_verify(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        edge_args(
            origin_domain_name="origin.example.com",
            origin_verify_secret=SECRET,
            aliases=["www.example.com"],
            certificate_arn=CERT,
            origin_region="ap-northeast-1",
        ),
    )
    dist = plan.one("aws:cloudfront/distribution:Distribution")
    assert dist.inputs["aliases"] == ["www.example.com"]
    assert dist.inputs["viewerCertificate"] == {
        "acmCertificateArn": CERT,
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    origin = dist.inputs["origins"][0]
    assert origin["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert origin["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]
    # The engine records secret inputs as "[secret]": the header value never appears in clear.
    assert origin["customHeaders"] == [{"name": "X-Origin-Verify", "value": "[secret]"}]
    secret = plan.one("aws:secretsmanager/secret:Secret")
    assert plan.region_of(secret) == "ap-northeast-1"
    version = plan.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretId"] == secret.id
    assert version.inputs["secretString"] == "[secret]"
    assert SECRET not in json.dumps([r.inputs for r in plan.resources])
    assert plan.of_type("aws:s3/bucket:Bucket") == []
    assert plan.of_type("aws:cloudfront/originAccessControl:OriginAccessControl") == []


def test_overrides_geo_rate_and_regional(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        edge_args(
            rate_limit=10,
            rate_limit_window_sec=60,
            allowed_countries=["JP", "US"],
            disabled_rule_groups=["AWSManagedRulesSQLiRuleSet"],
            count_rule_groups=["AWSManagedRulesAnonymousIpList"],
            count_rules={"AWSManagedRulesCommonRuleSet": ["SizeRestrictions_BODY"]},
            redacted_headers=["Authorization", "x-api-key"],
            regional_resource_arns=[ALB],
        ),
    )
    acls = plan.of_type("aws:wafv2/webAcl:WebAcl")
    assert sorted(a.inputs["scope"] for a in acls) == ["CLOUDFRONT", "REGIONAL"]
    regional = next(a for a in acls if a.inputs["scope"] == "REGIONAL")
    assert plan.region_of(regional) == "ap-northeast-1"
    cloudfront = next(a for a in acls if a.inputs["scope"] == "CLOUDFRONT")
    for acl in acls:
        rules = {r["name"]: r for r in acl.inputs["rules"]}
        assert "AWSManagedRulesSQLiRuleSet" not in rules
        assert rules["AWSManagedRulesAnonymousIpList"]["overrideAction"] == {"count": {}}
        common = rules["AWSManagedRulesCommonRuleSet"]["statement"]["managedRuleGroupStatement"]
        assert common["ruleActionOverrides"] == [
            {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}
        ]
        geo = rules["allow-only-countries"]
        assert geo["priority"] == 0 and geo["action"] == {"block": {}}
        assert geo["statement"] == {
            "notStatement": {"statement": {"geoMatchStatement": {"countryCodes": ["JP", "US"]}}}
        }
        assert rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 10
        assert len({r["priority"] for r in rules.values()}) == len(rules)
    assert [(r["name"], r["priority"]) for r in cloudfront.inputs["rules"]] == [
        (r["name"], r["priority"]) for r in regional.inputs["rules"]
    ]
    association = plan.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == ALB
    assert association.inputs["webAclArn"] == regional.outputs["arn"]
    regional_logging = next(
        r
        for r in plan.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
        if r.inputs["resourceArn"] == regional.outputs["arn"]
    )
    assert regional_logging.inputs["redactedFields"] == [
        {"singleHeader": {"name": "authorization"}},
        {"singleHeader": {"name": "x-api-key"}},
    ]
    regional_group = named(plan, "aws:cloudwatch/logGroup:LogGroup", "site-regional-waf-logs")
    assert regional_group.inputs["name"] == "aws-waf-logs-site-regional"
    assert plan.region_of(regional_group) == "ap-northeast-1"


def test_blocked_countries_and_s3_waf_logs(run_program: Callable[..., Plan]) -> None:
    bucket = "arn:aws:s3:::aws-waf-logs-central"
    plan = build(run_program, edge_args(blocked_countries=["KP"], waf_log_bucket_arn=bucket))
    rules = plan.one("aws:wafv2/webAcl:WebAcl").inputs["rules"]
    assert rules[0]["name"] == "block-countries"
    assert rules[0]["statement"] == {"geoMatchStatement": {"countryCodes": ["KP"]}}
    logging = plan.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert logging.inputs["logDestinationConfigs"] == [bucket]
    assert [g.name for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")] == [
        "site-access-logs"
    ]


def test_from_config() -> None:
    args = EdgeProtectionArgs.from_config(
        "edge",
        {
            "certificateArn": CERT,
            "rateLimit": 500,
            "blockedCountries": ["RU"],
            "countRules": {"AWSManagedRulesCommonRuleSet": ["NoUserAgent_HEADER"]},
            "disabledRuleGroups": ["AWSManagedRulesSQLiRuleSet"],
            "priceClass": "PriceClass_All",
        },
    )
    assert args.rate_limit == 500 and list(args.blocked_countries) == ["RU"]
    assert args.count_rules == {"AWSManagedRulesCommonRuleSet": ["NoUserAgent_HEADER"]}
    assert list(args.redacted_headers) == ["authorization", "cookie"]
    assert list(args.disabled_rule_groups) == [ManagedRuleGroup.SQLI_RULE_SET]
    assert args.price_class == PriceClass.PRICE_CLASS_ALL
    assert country_codes("f", ["JP"]) == ("JP",)
    stage = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod"
    regional = EdgeProtectionArgs.from_config(
        "edge", {"regionalResourceArns": [stage], "allowDefaultCertificate": True}
    )
    assert regional.resolved_regional_region == "eu-west-1"
    assert edge_args().resolved_regional_region is None


BAD = [
    ({"rateLimit": 9}, "edge.rateLimit: 9 is out of range 10-2000000000"),
    ({"rateLimit": "many"}, "edge.rateLimit: expected a valid integer"),
    ({"rateLimitWindowSec": 30}, "edge.rateLimitWindowSec: 30 is not one of 60, 120, 300, 600"),
    (
        {"allowedCountries": ["JPN"]},
        "edge.allowedCountries: 'JPN' is not an ISO 3166-1 alpha-2",
    ),
    ({"blockedCountries": ["jp"]}, "edge.blockedCountries: 'jp' is not an ISO 3166-1 alpha-2"),
    ({"blockedCountries": ["XX"]}, "edge.blockedCountries: 'XX' is not an ISO 3166-1 alpha-2"),
    ({"blockedCountries": ["CN", "CN"]}, "edge.blockedCountries: 'CN' is listed twice"),
    (
        {"allowedCountries": ["JP"], "blockedCountries": ["CN"]},
        "edge.blockedCountries: give either allowedCountries or blockedCountries",
    ),
    (
        {"disabledRuleGroups": ["MyRules"]},
        "edge.disabledRuleGroups[0]: expected 'AWSManagedRulesAmazonIpReputationList', ",
    ),
    (
        {"countRuleGroups": ["MyRules"]},
        "edge.countRuleGroups[0]: expected 'AWSManagedRulesAmazonIpReputationList', ",
    ),
    ({"countRules": {"Nope": ["x"]}}, "edge.countRules[Nope]: 'Nope' is not one of"),
    (
        {"countRules": {"AWSManagedRulesCommonRuleSet": [""]}},
        "edge.countRules[AWSManagedRulesCommonRuleSet]: expected a list of rule names",
    ),
    ({"countRules": []}, "edge.countRules: expected a valid dictionary"),
    ({"aliases": ["www.example.com"]}, "edge.certificateArn: required when aliases are given"),
    (
        {"aliases": ["Bad Name"], "certificateArn": CERT},
        "edge.aliases[0]: 'Bad Name' is not a DNS name",
    ),
    (
        {"certificateArn": "arn:aws:acm:eu-west-1:111111111111:certificate/x"},
        "edge.certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/x': CloudFront "
        "only uses ACM certificates from us-east-1",
    ),
    ({"certificateArn": "arn:aws:iam::111111111111:x/y"}, "edge.certificateArn: "),
    (
        {"originDomainName": "origin.example.com"},
        "edge.originVerifySecret: required for a custom origin",
    ),
    (
        {"originDomainName": "origin.example.com", "originVerifySecret": "short"},
        "edge.originVerifySecret: must be at least 32 characters",
    ),
    ({"originDomainName": "https://x"}, "edge.originDomainName: 'https://x' is not a DNS name"),
    (
        {"wafLogBucketArn": "arn:aws:s3:::logs"},
        "edge.wafLogBucketArn: 'arn:aws:s3:::logs': the bucket name must start with",
    ),
    ({"logRetentionDays": 10}, "edge.logRetentionDays: 10 is not a CloudWatch Logs retention"),
    ({"priceClass": "cheap"}, "edge.priceClass: expected 'PriceClass_100', "),
    (
        {"redactedHeaders": ["bad header"]},
        "edge.redactedHeaders[0]: 'bad header' is not a header",
    ),
    (
        {"regionalResourceArns": ["arn:aws:ec2:us-east-1:111111111111:instance/i-1"]},
        "edge.regionalResourceArns[0]: 'arn:aws:ec2:us-east-1:111111111111:instance/i-1' is not",
    ),
    ({"regionalRegion": "nowhere"}, "edge.regionalRegion: unknown AWS region"),
    ({"originRegion": "nowhere"}, "edge.originRegion: unknown AWS region"),
    (
        {"kmsKeyArn": "arn:aws:kms:eu-west-1:111111111111:key/k"},
        "edge.kmsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k': the CloudFront and WAF "
        "log groups are in us-east-1",
    ),
    (
        {"regionalKmsKeyArn": "arn:aws:kms:eu-west-1:111111111111:key/k"},
        "edge.regionalKmsKeyArn: only used with regionalResourceArns",
    ),
    (
        {
            "originDomainName": "origin.example.com",
            "originVerify": False,
            "originKmsKeyArn": "arn:aws:kms:eu-west-1:111111111111:key/k",
        },
        "edge.originKmsKeyArn: only used for the created S3 origin (no originDomainName)",
    ),
    ({"namePrefix": "X"}, "edge.namePrefix: 'X' must be 2-24"),
    ({"tags": {"aws:x": "y"}}, "edge.tags: tag key 'aws:x' must be"),
    ({"wafRules": []}, "edge.wafRules: unknown option"),
]


def _with_certificate(section: dict[str, Any]) -> dict[str, Any]:
    if "certificateArn" in section or "aliases" in section:
        return section
    return {"allowDefaultCertificate": True, **section}


@pytest.mark.parametrize(("section", "message"), BAD)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        EdgeProtectionArgs.from_config("edge", _with_certificate(section))
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(("section", "message"), BAD)
def test_bad_args_name_the_python_argument(section: dict[str, Any], message: str) -> None:
    """The same mistakes made in Python name the Python arguments."""
    python = {to_snake(k): v for k, v in _with_certificate(section).items()}
    expected = message.removeprefix("edge.")
    names = [f.name for f in dataclasses.fields(EdgeProtectionArgs)] + list(python)
    for name in names:
        expected = re.sub(rf"\b{to_camel(name)}\b", name, expected)
    with pytest.raises(ArgumentError) as err:
        EdgeProtectionArgs(**python)
    assert str(err.value).startswith(expected)


def test_wired_outputs_reach_the_children(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        cert = aws.acm.Certificate(
            "cert", domain_name="www.example.com", validation_method="DNS", region="us-east-1"
        )
        origin = aws.s3.Bucket("origin")
        logs = aws.s3.Bucket("waf-logs", bucket_prefix="aws-waf-logs-site-")
        api = aws.apigateway.RestApi("api")
        stage = aws.apigateway.Stage(
            "stage", rest_api=api.id, deployment="d", stage_name="prod", region="eu-west-1"
        )
        key = aws.kms.Key("mine", region="us-east-1")
        regional_key = aws.kms.Key("mine-regional", region="eu-west-1")
        EdgeProtection(
            "site",
            EdgeProtectionArgs(
                origin_domain_name=origin.bucket_regional_domain_name,
                origin_verify_secret=pulumi.Output.secret(SECRET),
                aliases=[cert.domain_name],
                certificate_arn=cert.arn,
                regional_resource_arns=[stage.arn],
                waf_log_bucket_arn=logs.arn,
                kms_key_arn=key.arn,
                regional_kms_key_arn=regional_key.arn,
            ),
        )

    plan = run_program(program)
    cert = plan.one("aws:acm/certificate:Certificate")
    origin = named(plan, "aws:s3/bucket:Bucket", "origin")
    logs = named(plan, "aws:s3/bucket:Bucket", "waf-logs")
    stage = plan.one("aws:apigateway/stage:Stage")
    keys = {k.name: k for k in plan.of_type("aws:kms/key:Key")}
    assert set(keys) == {"mine", "mine-regional"}  # no key is created
    dist = plan.one("aws:cloudfront/distribution:Distribution")
    assert dist.inputs["viewerCertificate"]["acmCertificateArn"] == cert.outputs["arn"]
    assert dist.inputs["aliases"] == ["www.example.com"]
    assert dist.inputs["origins"][0]["domainName"] == origin.outputs["bucketRegionalDomainName"]
    assert dist.inputs["origins"][0]["customHeaders"] == [
        {"name": "X-Origin-Verify", "value": "[secret]"}
    ]
    association = plan.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == stage.outputs["arn"]
    regional = next(
        a for a in plan.of_type("aws:wafv2/webAcl:WebAcl") if a.inputs["scope"] == "REGIONAL"
    )
    assert plan.region_of(regional) == "eu-west-1"  # the region of the wired stage's ARN
    assert plan.region_of(association) == "eu-west-1"
    for logging in plan.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"):
        assert logging.inputs["logDestinationConfigs"] == [logs.outputs["arn"]]
    access_logs = named(plan, "aws:cloudwatch/logGroup:LogGroup", "site-access-logs")
    assert access_logs.inputs["kmsKeyId"] == keys["mine"].outputs["arn"]


def test_given_keys_replace_every_created_key(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        edge_args(
            regional_resource_arns=[ALB],
            regional_kms_key_arn="arn:aws:kms:ap-northeast-1:111111111111:key/regional",
            kms_key_arn="arn:aws:kms:us-east-1:111111111111:key/edge",
            origin_kms_key_arn="arn:aws:kms:us-east-1:111111111111:key/origin",
        ),
    )
    assert plan.of_type("aws:kms/key:Key") == []
    groups = {g.name: g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert groups["site-regional-waf-logs"].inputs["kmsKeyId"].endswith(":key/regional")
    assert groups["site-waf-logs"].inputs["kmsKeyId"].endswith(":key/edge")
    sse = named(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "site-origin-encryption",
    )
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"].endswith(":key/origin")


@pytest.mark.parametrize(
    ("wiring", "message"),
    [
        ("certificate_region", "CloudFront only uses ACM certificates from us-east-1"),
        ("certificate_service", "certificate_arn: 'arn:aws:sns:"),
        ("origin", "origin_domain_name: 'arn:aws:sns:"),
        ("regional", "regional_resource_arns[0]: 'arn:aws:sns:"),
        ("log_bucket", "the bucket name must start with aws-waf-logs-"),
        ("alias", "aliases[0]: 'arn:aws:sns:"),
        ("secret", "origin_verify_secret: must be at least 32 characters"),
    ],
)
def test_bad_outputs_fail_when_they_resolve(
    run_program: Callable[..., Plan], wiring: str, message: str
) -> None:
    def program() -> None:
        topic = aws.sns.Topic("t")
        tokyo_cert = aws.acm.Certificate(
            "cert", domain_name="www.example.com", region="ap-northeast-1"
        )
        bucket = aws.s3.Bucket("logs")
        kwargs: dict[str, Any] = {
            "certificate_region": {"certificate_arn": tokyo_cert.arn},
            "certificate_service": {"certificate_arn": topic.arn},
            "origin": {"origin_domain_name": topic.arn, "origin_verify": False},
            "regional": {"regional_resource_arns": [topic.arn]},
            "log_bucket": {"waf_log_bucket_arn": bucket.arn},
            "alias": {"aliases": [topic.arn], "certificate_arn": CERT},
            "secret": {
                "origin_domain_name": "origin.example.com",
                "origin_verify_secret": pulumi.Output.secret("short"),
            },
        }[wiring]
        EdgeProtection("site", edge_args(**kwargs))

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert message in str(err.value)
    assert "'short'" not in str(err.value)  # a secret's value never appears in a message


@pytest.mark.parametrize("origin", ["s3", "custom"])
def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan], origin: str) -> None:
    tags = {"team": "web"}
    extra: dict[str, Any] = (
        {"origin_domain_name": "origin.example.com", "origin_verify_secret": SECRET}
        if origin == "custom"
        else {}
    )
    plan = build(run_program, edge_args(tags=tags, regional_resource_arns=[ALB], **extra))
    assert untagged(plan, tags) == []


def test_name_prefix_names_the_waf_log_groups(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program, edge_args(name_prefix="shop", regional_resource_arns=[ALB]))
    names = sorted(
        g.inputs["name"]
        for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")
        if g.inputs.get("name")
    )
    assert names == ["aws-waf-logs-shop-site", "aws-waf-logs-shop-site-regional"]


def test_the_component_provider_passes_a_mapping(run_program: Callable[..., Plan]) -> None:
    args: Any = {"certificate_arn": CERT, "price_class": "PriceClass_200"}
    plan = run_program(lambda: EdgeProtection("site", args))
    dist = plan.one("aws:cloudfront/distribution:Distribution")
    assert dist.inputs["priceClass"] == "PriceClass_200"


def test_custom_origin_without_verify_is_an_explicit_opt_out(
    run_program: Callable[..., Plan],
) -> None:
    plan = build(run_program, edge_args(origin_domain_name="api.example.com", origin_verify=False))
    origin = plan.one("aws:cloudfront/distribution:Distribution").inputs["origins"][0]
    assert "customHeaders" not in origin
