"""A CloudFront distribution behind an AWS WAF web ACL, HTTPS-only, with security headers and logs.

Checklist: S-14 (CloudFront protected by AWS WAF: managed rules, rate limiting, optional
geo rules, WAF logging), plus HTTPS only with TLS 1.2 minimum on a custom certificate. With no arguments it serves a private S3 bucket through Origin Access Control.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.settings import SECRET_PLACEHOLDER
from secbaseline.components._log_encryption import log_group, logs_key, retention
from secbaseline.components.secure_bucket import SecureBucket, SecureBucketArgs

TYPE_TOKEN = "secbaseline:index:EdgeProtection"
WAF_GLOBAL_REGION = "us-east-1"
"""CLOUDFRONT-scope web ACLs, CloudFront certificates and CloudFront log delivery live here."""
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
"""AWS managed rule groups, in evaluation order (priorities 10, 20, ...)."""
RATE_LIMIT_MIN = 10
"""AWS WAF's lowest rate-based rule limit (requests per evaluation window, per IP)."""
RATE_LIMIT_MAX = 2_000_000_000
EVALUATION_WINDOWS = (60, 120, 300, 600)
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
TLS_POLICY = "TLSv1.2_2021"
# AWS managed CloudFront policies (fixed ids, the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
ISO_3166_ALPHA2 = frozenset(_ISO_CODES.split())
"""ISO 3166-1 alpha-2 country codes (the codes AWS WAF geo match accepts)."""

EDGE_KEYS = frozenset(
    {
        "enabled",
        "originDomainName",
        "originVerify",
        "originVerifySecret",
        "aliases",
        "certificateArn",
        "allowDefaultCertificate",
        "rateLimit",
        "rateLimitWindowSec",
        "allowedCountries",
        "blockedCountries",
        "disabledRuleGroups",
        "countRuleGroups",
        "countRules",
        "redactedHeaders",
        "wafLogBucketArn",
        "logRetentionDays",
        "priceClass",
        "regionalResourceArns",
        "regionalRegion",
        "originRegion",
        "tags",
    }
)


def country_codes(field: str, values: Sequence[str]) -> tuple[str, ...]:
    """ISO 3166-1 alpha-2 codes (upper case), without duplicates."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValueError(f"{field}: expected a list of ISO 3166-1 alpha-2 country codes")
    seen: list[str] = []
    for value in values:
        if not isinstance(value, str) or value not in ISO_3166_ALPHA2:
            raise ValueError(
                f"{field}: {value!r} is not an ISO 3166-1 alpha-2 country code (e.g. JP, US)"
            )
        if value in seen:
            raise ValueError(f"{field}: {value!r} is listed twice")
        seen.append(value)
    return tuple(seen)


@dataclass
class EdgeProtectionArgs:
    """Inputs of :class:`EdgeProtection`. With no arguments: S3 origin, WAF, HTTPS, logs."""

    origin_domain_name: str | None = None
    """Custom HTTPS origin (ALB, API Gateway, ...); None creates a private S3 origin bucket."""
    origin_verify: bool = True
    """Send a secret ``X-Origin-Verify`` header to a custom origin so it can refuse requests
    that bypass CloudFront (and the WAF). Opt-out: False (documented risk)."""
    origin_verify_secret: pulumi.Input[str] | None = None
    """The header's secret value (at least 32 characters), e.g. from ``config.require_secret``.
    Required for a custom origin unless ``origin_verify`` is False. Stored in Secrets Manager."""
    aliases: Sequence[str] = ()
    """Custom domain names; they need ``certificate_arn``."""
    certificate_arn: str | None = None
    """ACM certificate in us-east-1 for the aliases; enables the TLSv1.2_2021 viewer policy.
    Required unless ``allow_default_certificate`` is set."""
    allow_default_certificate: bool = False
    """Opt-out: serve on the ``*.cloudfront.net`` default certificate, whose minimum TLS version
    CloudFront fixes at TLSv1 (the policy pack's ``cloudfront-tls`` still reports it)."""
    rate_limit: int = 2000
    """Requests per IP per evaluation window before blocking; at least 10 (AWS minimum)."""
    rate_limit_window_sec: int = 300
    """Rate-limit evaluation window: 60, 120, 300 or 600 seconds."""
    allowed_countries: Sequence[str] = ()
    """Only these ISO 3166-1 alpha-2 countries may connect (empty: all)."""
    blocked_countries: Sequence[str] = ()
    """These ISO 3166-1 alpha-2 countries are blocked (exclusive with allowed_countries)."""
    disabled_rule_groups: Sequence[str] = ()
    """Managed rule groups to leave out (names from ``MANAGED_RULE_GROUPS``)."""
    count_rule_groups: Sequence[str] = ()
    """Managed rule groups that only count (override action count) while you tune them."""
    count_rules: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Per group, rules whose action is overridden to count (e.g. SizeRestrictions_BODY)."""
    redacted_headers: Sequence[str] = ("authorization", "cookie")
    """Request headers redacted from WAF logs."""
    waf_log_bucket_arn: str | None = None
    """Existing S3 bucket named ``aws-waf-logs-...`` for WAF logs; None: CloudWatch Logs."""
    log_retention_days: int = 365
    """Retention of the WAF and CloudFront log groups (a CloudWatch Logs retention value)."""
    price_class: str = "PriceClass_100"
    """CloudFront price class."""
    regional_resource_arns: Sequence[str] = ()
    """ALB or API Gateway stage ARNs to protect with a REGIONAL web ACL using the same rules."""
    regional_region: str | None = None
    """Region of the regional resources (taken from their ARNs when None)."""
    origin_region: str | None = None
    """Region of the created origin bucket and the origin-verify secret (provider's if None)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the distribution and web ACLs."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        if self.origin_domain_name is not None and not re.fullmatch(
            r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", self.origin_domain_name
        ):
            raise ValueError(
                f"edge.originDomainName: {self.origin_domain_name!r} is not a DNS name"
            )
        validate.boolean("edge.originVerify", self.origin_verify)
        if self.origin_domain_name and self.origin_verify and self.origin_verify_secret is None:
            raise ValueError(
                "edge.originVerifySecret: required for a custom origin (a secret of 32+ characters "
                "the origin checks), or set originVerify to false and restrict the origin otherwise"
            )
        if (
            isinstance(self.origin_verify_secret, str)
            and self.origin_verify_secret != SECRET_PLACEHOLDER  # an offline plan's masked secret
            and len(self.origin_verify_secret) < 32
        ):
            raise ValueError("edge.originVerifySecret: must be at least 32 characters")
        for alias in self.aliases:
            if not re.fullmatch(
                r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", alias
            ):
                raise ValueError(f"edge.aliases: {alias!r} is not a DNS name")
        if self.certificate_arn is not None:
            validate.arn("edge.certificateArn", self.certificate_arn, service="acm")
            if self.certificate_arn.split(":")[3] != WAF_GLOBAL_REGION:
                raise ValueError(
                    "edge.certificateArn: CloudFront only uses ACM certificates from us-east-1"
                )
        if self.aliases and self.certificate_arn is None:
            raise ValueError("edge.certificateArn: required when aliases are given")
        validate.int_range("edge.rateLimit", self.rate_limit, RATE_LIMIT_MIN, RATE_LIMIT_MAX)
        if self.rate_limit_window_sec not in EVALUATION_WINDOWS:
            raise ValueError(
                f"edge.rateLimitWindowSec: {self.rate_limit_window_sec!r} is not one of "
                f"{', '.join(str(w) for w in EVALUATION_WINDOWS)}"
            )
        country_codes("edge.allowedCountries", self.allowed_countries)
        country_codes("edge.blockedCountries", self.blocked_countries)
        if self.allowed_countries and self.blocked_countries:
            raise ValueError(
                "edge.blockedCountries: give either allowedCountries or blockedCountries"
            )
        for group in (*self.disabled_rule_groups, *self.count_rule_groups, *self.count_rules):
            validate.one_of("edge.ruleGroups", group, MANAGED_RULE_GROUPS)
        for group, rules in self.count_rules.items():
            if isinstance(rules, str) or not all(isinstance(r, str) and r for r in rules):
                raise ValueError(f"edge.countRules[{group}]: expected a list of rule names")
        for header in self.redacted_headers:
            if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", header):
                raise ValueError(f"edge.redactedHeaders: {header!r} is not a header name")
        if self.waf_log_bucket_arn is not None:
            validate.arn("edge.wafLogBucketArn", self.waf_log_bucket_arn, service="s3")
            if not self.waf_log_bucket_arn.split(":::")[-1].startswith("aws-waf-logs-"):
                raise ValueError(
                    "edge.wafLogBucketArn: the bucket name must start with aws-waf-logs-"
                )
        retention("edge.logRetentionDays", self.log_retention_days)
        validate.one_of("edge.priceClass", self.price_class, PRICE_CLASSES)
        for arn in self.regional_resource_arns:
            validate.arn("edge.regionalResourceArns", arn)
            if arn.split(":")[2] not in ("elasticloadbalancing", "apigateway"):
                raise ValueError(
                    f"edge.regionalResourceArns: {arn!r} is not an ALB or API Gateway stage ARN"
                )
        if self.regional_region is not None:
            validate.region("edge.regionalRegion", self.regional_region)
        if self.origin_region is not None:
            validate.region("edge.originRegion", self.origin_region)
        validate.tags("edge.tags", dict(self.tags))
        validate.boolean("edge.allowDefaultCertificate", self.allow_default_certificate)
        if self.certificate_arn is None and not self.allow_default_certificate:
            raise ValueError(
                "edge.certificateArn: required (an ACM certificate in us-east-1, so viewers need "
                "TLS 1.2); or set allowDefaultCertificate: true to accept the *.cloudfront.net "
                "certificate, which allows TLS 1.0"
            )

    @property
    def resolved_regional_region(self) -> str | None:
        """Region of the regional web ACL: given, or the region of the first resource ARN."""
        if self.regional_region or not self.regional_resource_arns:
            return self.regional_region
        return self.regional_resource_arns[0].split(":")[3]

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> EdgeProtectionArgs:
        """Build from the ``edge`` config section (``enabled`` is read by the tier)."""
        raw = validate.known_keys("edge", section, EDGE_KEYS)
        count_rules = raw.get("countRules", {})
        if not isinstance(count_rules, Mapping):
            raise ValueError("edge.countRules: expected a map of rule group -> rule names")
        defaults = cls()
        args = cls(
            origin_domain_name=_text(raw, "originDomainName"),
            origin_verify=validate.boolean("edge.originVerify", raw.get("originVerify", True)),
            origin_verify_secret=_text(raw, "originVerifySecret"),
            aliases=_texts(raw, "aliases"),
            certificate_arn=_text(raw, "certificateArn"),
            allow_default_certificate=validate.boolean(
                "edge.allowDefaultCertificate", raw.get("allowDefaultCertificate", False)
            ),
            rate_limit=_integer(raw, "rateLimit", defaults.rate_limit),
            rate_limit_window_sec=_integer(raw, "rateLimitWindowSec", 300),
            allowed_countries=_texts(raw, "allowedCountries"),
            blocked_countries=_texts(raw, "blockedCountries"),
            disabled_rule_groups=_texts(raw, "disabledRuleGroups"),
            count_rule_groups=_texts(raw, "countRuleGroups"),
            count_rules={str(k): tuple(v) for k, v in count_rules.items()},
            redacted_headers=_texts(raw, "redactedHeaders") or defaults.redacted_headers,
            waf_log_bucket_arn=_text(raw, "wafLogBucketArn"),
            log_retention_days=_integer(raw, "logRetentionDays", 365),
            price_class=_text(raw, "priceClass") or defaults.price_class,
            regional_resource_arns=_texts(raw, "regionalResourceArns"),
            regional_region=_text(raw, "regionalRegion"),
            origin_region=_text(raw, "originRegion"),
            tags=validate.tags("edge.tags", raw.get("tags", {})),
        )
        args.validate()
        return args


def _text(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"edge.{key}: expected a string, got {value!r}")
    return value


def _texts(raw: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = raw.get(key, ())
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"edge.{key}: expected a list, got {value!r}")
    return tuple(str(v) for v in value)


def _integer(raw: Mapping[str, object], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"edge.{key}: {value!r} is not an integer")
    return value


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


def _rule_visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgsDict:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


def waf_rules(args: EdgeProtectionArgs, metric_prefix: str) -> list[aws.wafv2.WebAclRuleArgsDict]:
    """The web ACL's rules: geo (optional, 0), rate limit (1), managed groups (10, 20, ...)."""
    rules: list[aws.wafv2.WebAclRuleArgsDict] = []
    if args.blocked_countries:
        rules.append(
            {
                "name": "block-countries",
                "priority": 0,
                "action": {"block": {}},
                "statement": {
                    "geo_match_statement": {"country_codes": list(args.blocked_countries)}
                },
                "visibility_config": _rule_visibility(f"{metric_prefix}-block-countries"),
            }
        )
    elif args.allowed_countries:
        rules.append(
            {
                "name": "allow-only-countries",
                "priority": 0,
                "action": {"block": {}},
                "statement": {
                    "not_statement": {
                        "statement": {
                            "geo_match_statement": {"country_codes": list(args.allowed_countries)}
                        }
                    }
                },
                "visibility_config": _rule_visibility(f"{metric_prefix}-allow-only-countries"),
            }
        )
    rules.append(
        {
            "name": "rate-limit-per-ip",
            "priority": 1,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "limit": args.rate_limit,
                    "aggregate_key_type": "IP",
                    "evaluation_window_sec": args.rate_limit_window_sec,
                }
            },
            "visibility_config": _rule_visibility(f"{metric_prefix}-rate-limit"),
        }
    )
    for index, group in enumerate(MANAGED_RULE_GROUPS):
        if group in args.disabled_rule_groups:
            continue
        statement: aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgsDict = {
            "name": group,
            "vendor_name": "AWS",
        }
        overrides = args.count_rules.get(group, ())
        if overrides:
            statement["rule_action_overrides"] = [
                {"name": rule, "action_to_use": {"count": {}}} for rule in overrides
            ]
        rules.append(
            {
                "name": group,
                "priority": 10 * (index + 1),
                "override_action": {"count": {}}
                if group in args.count_rule_groups
                else {"none": {}},
                "statement": {"managed_rule_group_statement": statement},
                "visibility_config": _rule_visibility(f"{metric_prefix}-{group}"),
            }
        )
    return rules


class EdgeProtection(pulumi.ComponentResource):
    """CloudFront + WAF: managed rules, rate limiting, HTTPS-only, security headers, logging."""

    web_acl: aws.wafv2.WebAcl
    """The CLOUDFRONT-scope web ACL (in us-east-1)."""
    distribution: aws.cloudfront.Distribution
    """The CloudFront distribution."""
    domain_name: pulumi.Output[str]
    """The distribution's ``*.cloudfront.net`` name."""
    origin_bucket: SecureBucket | None
    """The created S3 origin bucket (None with a custom origin)."""
    origin_verify_secret_arn: pulumi.Output[str] | None
    """Secrets Manager secret holding the origin-verify header value (custom origins)."""
    regional_web_acl: aws.wafv2.WebAcl | None
    """The REGIONAL web ACL for ALBs / API Gateway stages, if any."""

    def __init__(
        self,
        name: str,
        args: EdgeProtectionArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or EdgeProtectionArgs()
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id
        edge_key = logs_key(f"{name}-logs-key", self, WAF_GLOBAL_REGION, account_id)

        self.web_acl = self._web_acl(name, args, "CLOUDFRONT", WAF_GLOBAL_REGION, tags)
        self._waf_logging(name, args, self.web_acl, WAF_GLOBAL_REGION, edge_key)

        # The origin bucket's policy names this distribution, which needs the bucket first.
        distribution_arn: pulumi.Output[str]
        resolve_distribution_arn: Callable[[pulumi.Output[str]], None]
        distribution_arn, resolve_distribution_arn = pulumi.deferred_output()
        self.origin_bucket = None
        self.origin_verify_secret_arn = None
        origin: aws.cloudfront.DistributionOriginArgsDict
        if args.origin_domain_name is None:
            self.origin_bucket = self._origin_bucket(name, args, distribution_arn, account_id)
            oac = aws.cloudfront.OriginAccessControl(
                f"{name}-oac",
                description=f"{name}: CloudFront reads the origin bucket with SigV4",
                origin_access_control_origin_type="s3",
                signing_behavior="always",
                signing_protocol="sigv4",
                opts=child,
            )
            origin = {
                "origin_id": "origin",
                "domain_name": self.origin_bucket.bucket.bucket_regional_domain_name,
                "origin_access_control_id": oac.id,
            }
            allowed = ["GET", "HEAD", "OPTIONS"]
            cache_policy, request_policy = CACHING_OPTIMIZED, None
        else:
            origin = {
                "origin_id": "origin",
                "domain_name": args.origin_domain_name,
                "custom_origin_config": {
                    "http_port": 80,
                    "https_port": 443,
                    "origin_protocol_policy": "https-only",
                    "origin_ssl_protocols": ["TLSv1.2"],
                },
            }
            if args.origin_verify and args.origin_verify_secret is not None:
                secret_value = pulumi.Output.secret(args.origin_verify_secret)
                origin["custom_headers"] = [{"name": ORIGIN_VERIFY_HEADER, "value": secret_value}]
                secret = aws.secretsmanager.Secret(
                    f"{name}-origin-verify",
                    description=f"{name}: value of the {ORIGIN_VERIFY_HEADER} header CloudFront "
                    "sends; the origin must reject requests without it",
                    region=args.origin_region,
                    tags=tags,
                    opts=child,
                )
                aws.secretsmanager.SecretVersion(
                    f"{name}-origin-verify-value",
                    secret_id=secret.id,
                    secret_string=secret_value,
                    region=args.origin_region,
                    opts=child,
                )
                self.origin_verify_secret_arn = secret.arn
            allowed = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
            cache_policy, request_policy = CACHING_DISABLED, ALL_VIEWER_EXCEPT_HOST_HEADER

        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-security-headers",
            comment=f"{name}: HSTS, nosniff, frame DENY, referrer policy, XSS auditor off",
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": 63072000,
                    "include_subdomains": True,
                    "preload": True,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {
                    "referrer_policy": "strict-origin-when-cross-origin",
                    "override": True,
                },
                # X-XSS-Protection: 0. Browsers removed the XSS auditor and in old ones it
                # opened leaks; OWASP advises turning it off and relying on CSP instead.
                "xss_protection": {"protection": False, "override": True},
            },
            opts=child,
        )

        viewer_certificate: aws.cloudfront.DistributionViewerCertificateArgsDict
        if args.certificate_arn:
            viewer_certificate = {
                "acm_certificate_arn": args.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": TLS_POLICY,
            }
        else:
            # The *.cloudfront.net certificate: CloudFront fixes the minimum at TLSv1 (documented).
            viewer_certificate = {"cloudfront_default_certificate": True}
        behavior: aws.cloudfront.DistributionDefaultCacheBehaviorArgsDict = {
            "target_origin_id": "origin",
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": allowed,
            "cached_methods": ["GET", "HEAD"],
            "cache_policy_id": cache_policy,
            "response_headers_policy_id": headers.id,
            "compress": True,
        }
        if request_policy:
            behavior["origin_request_policy_id"] = request_policy
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            enabled=True,
            comment=f"{name} (secbaseline EdgeProtection)",
            aliases=list(args.aliases) or None,
            origins=[origin],
            default_cache_behavior=behavior,
            default_root_object="index.html" if args.origin_domain_name is None else None,
            viewer_certificate=viewer_certificate,
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            web_acl_id=self.web_acl.arn,
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=args.price_class,
            tags=tags,
            opts=child,
        )
        resolve_distribution_arn(self.distribution.arn)
        self.domain_name = self.distribution.domain_name
        self._access_logs(name, args, edge_key)

        self.regional_web_acl = None
        regional_region = args.resolved_regional_region
        if args.regional_resource_arns and regional_region:
            self.regional_web_acl = self._web_acl(
                f"{name}-regional", args, "REGIONAL", regional_region, tags
            )
            regional_key = logs_key(f"{name}-regional-logs-key", self, regional_region, account_id)
            self._waf_logging(
                f"{name}-regional", args, self.regional_web_acl, regional_region, regional_key
            )
            for index, arn in enumerate(args.regional_resource_arns):
                aws.wafv2.WebAclAssociation(
                    f"{name}-regional-association-{index}",
                    resource_arn=arn,
                    web_acl_arn=self.regional_web_acl.arn,
                    region=regional_region,
                    opts=child,
                )

        self.register_outputs(
            {
                "distributionId": self.distribution.id,
                "domainName": self.domain_name,
                "webAclArn": self.web_acl.arn,
            }
        )

    def _web_acl(
        self,
        name: str,
        args: EdgeProtectionArgs,
        scope: str,
        region: str,
        tags: dict[str, str] | None,
    ) -> aws.wafv2.WebAcl:
        return aws.wafv2.WebAcl(
            f"{name}-web-acl",
            description=f"{name}: AWS managed rules, rate limit per IP",
            scope=scope,
            default_action={"allow": {}},
            rules=waf_rules(args, name),
            visibility_config=_visibility(f"{name}-web-acl"),
            region=region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _waf_logging(
        self,
        name: str,
        args: EdgeProtectionArgs,
        web_acl: aws.wafv2.WebAcl,
        region: str,
        key: aws.kms.Key,
    ) -> None:
        destination: pulumi.Input[str]
        if args.waf_log_bucket_arn:
            destination = args.waf_log_bucket_arn
        else:
            group = log_group(
                f"{name}-waf-logs",
                self,
                key_arn=key.arn,
                retention_days=args.log_retention_days,
                region=region,
                log_group_name=f"aws-waf-logs-{name}",  # WAF requires this prefix
            )
            destination = group.arn
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=web_acl.arn,
            log_destination_configs=[destination],
            redacted_fields=[{"single_header": {"name": h.lower()}} for h in args.redacted_headers],
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _origin_bucket(
        self,
        name: str,
        args: EdgeProtectionArgs,
        distribution_arn: pulumi.Output[str],
        account_id: pulumi.Output[str],
    ) -> SecureBucket:
        """A private bucket only this distribution may read (OAC, ``AWS:SourceArn``)."""
        only_this_distribution = {"StringEquals": {"AWS:SourceArn": distribution_arn}}
        return SecureBucket(
            f"{name}-origin",
            SecureBucketArgs(
                region=args.origin_region,
                policy_statements=[
                    {
                        "Sid": "AllowCloudFrontOriginAccessControl",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": "${bucket_arn}/*",
                        "Condition": only_this_distribution,
                    }
                ],
                key_policy_statements=[
                    {
                        "Sid": "AllowCloudFrontToDecrypt",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "kms:Decrypt",
                        "Resource": "*",  # in a key policy "*" means this key
                        "Condition": only_this_distribution,
                    }
                ],
                tags=dict(args.tags),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _access_logs(self, name: str, args: EdgeProtectionArgs, key: aws.kms.Key) -> None:
        """CloudFront standard logging v2: vended logs to a KMS-encrypted log group."""
        child = pulumi.ResourceOptions(parent=self)
        group = log_group(
            f"{name}-access-logs",
            self,
            key_arn=key.arn,
            retention_days=args.log_retention_days,
            region=WAF_GLOBAL_REGION,
        )
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-log-source",
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn,
            region=WAF_GLOBAL_REGION,
            opts=child,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-log-destination",
            delivery_destination_configuration={"destination_resource_arn": group.arn},
            output_format="json",
            region=WAF_GLOBAL_REGION,
            opts=child,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-access-log-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            region=WAF_GLOBAL_REGION,
            opts=child,
        )
