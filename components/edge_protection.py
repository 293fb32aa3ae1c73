"""A CloudFront distribution behind an AWS WAF web ACL, HTTPS-only, with security headers and logs.

Checklist: S-14 (CloudFront protected by AWS WAF: managed rules, rate limiting, optional
geo rules, WAF logging), plus HTTPS only with TLS 1.2 minimum on a custom certificate. With no arguments it serves a private S3 bucket through Origin Access Control.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name
from secbaseline.baseline.settings import SECRET_PLACEHOLDER
from secbaseline.components._log_encryption import log_group, logs_key, retention
from secbaseline.components.secure_bucket import SecureBucket, SecureBucketArgs

TYPE_TOKEN = "secbaseline:index:EdgeProtection"
WAF_GLOBAL_REGION = "us-east-1"
"""CLOUDFRONT-scope web ACLs, CloudFront certificates and CloudFront log delivery live here."""


class ManagedRuleGroup(StrEnum):
    """AWS managed rule groups of the web ACLs, in evaluation order (priorities 10, 20, ...)."""

    AMAZON_IP_REPUTATION_LIST = "AWSManagedRulesAmazonIpReputationList"
    """Addresses Amazon threat intelligence associated with bots and other threats."""
    ANONYMOUS_IP_LIST = "AWSManagedRulesAnonymousIpList"
    """VPNs, proxies, Tor nodes and hosting providers that hide the client's identity."""
    COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
    """The core rule set: OWASP Top 10 style protections (size limits, LFI, RFI, XSS, ...)."""
    KNOWN_BAD_INPUTS_RULE_SET = "AWSManagedRulesKnownBadInputsRuleSet"
    """Request patterns known to be invalid or exploit vulnerabilities (e.g. Log4j)."""
    SQLI_RULE_SET = "AWSManagedRulesSQLiRuleSet"
    """SQL injection patterns."""


class PriceClass(StrEnum):
    """CloudFront price class: which edge locations serve the distribution."""

    PRICE_CLASS_100 = "PriceClass_100"
    """North America, Europe and Israel (cheapest)."""
    PRICE_CLASS_200 = "PriceClass_200"
    """PriceClass_100 plus most of Asia, the Middle East and Africa."""
    PRICE_CLASS_ALL = "PriceClass_All"
    """Every edge location."""


MANAGED_RULE_GROUPS = tuple(group.value for group in ManagedRuleGroup)
"""AWS managed rule groups, in evaluation order (priorities 10, 20, ...)."""
RATE_LIMIT_MIN = 10
"""AWS WAF's lowest rate-based rule limit (requests per evaluation window, per IP)."""
RATE_LIMIT_MAX = 2_000_000_000
EVALUATION_WINDOWS = (60, 120, 300, 600)
PRICE_CLASSES = tuple(price.value for price in PriceClass)
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


_DNS_NAME = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE)
_ALIAS = re.compile(r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _origin_domain_name(field: str, value: str) -> str:
    if not isinstance(value, str) or not _DNS_NAME.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a DNS name")
    return value


def _alias(field: str, value: str) -> str:
    if not isinstance(value, str) or not _ALIAS.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a DNS name")
    return value


def _origin_verify_secret(field: str, value: str) -> str:
    # An offline plan of a stack file sees the masked secret, whose length says nothing.
    if not isinstance(value, str) or (value != SECRET_PLACEHOLDER and len(value) < 32):
        raise ValueError(f"{field}: must be at least 32 characters")
    return value


def _cloudfront_certificate(field: str, value: str) -> str:
    """An ACM certificate in us-east-1, the only region CloudFront takes certificates from."""
    validate.arn(field, value, service="acm")
    if value.split(":")[3] != WAF_GLOBAL_REGION:
        raise ValueError(
            f"{field}: {value!r}: CloudFront only uses ACM certificates from us-east-1"
        )
    return value


def _us_east_1_key(field: str, value: str) -> str:
    validate.kms_key_arn(field, value)
    if value.split(":")[3] != WAF_GLOBAL_REGION:
        raise ValueError(
            f"{field}: {value!r}: the CloudFront and WAF log groups are in us-east-1 and need "
            "a key of that region"
        )
    return value


def _evaluation_window(field: str, value: int) -> int:
    if value not in EVALUATION_WINDOWS:
        raise ValueError(
            f"{field}: {value!r} is not one of {', '.join(str(w) for w in EVALUATION_WINDOWS)}"
        )
    return value


def _count_rules(field: str, value: Mapping[str, Sequence[str]]) -> Mapping[str, Sequence[str]]:
    for group, rules in value.items():
        validate.one_of(f"{field}[{group}]", group, MANAGED_RULE_GROUPS)
        if not all(isinstance(r, str) and r for r in rules):
            raise ValueError(f"{field}[{group}]: expected a list of rule names")
    return value


def _header(field: str, value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", value):
        raise ValueError(f"{field}: {value!r} is not a header name")
    return value


def _waf_log_bucket(field: str, value: str) -> str:
    validate.arn(field, value, service="s3")
    if not value.rsplit(":::", maxsplit=1)[-1].startswith("aws-waf-logs-"):
        raise ValueError(f"{field}: {value!r}: the bucket name must start with aws-waf-logs-")
    return value


def _regional_resource(field: str, value: str) -> str:
    validate.arn(field, value)
    if value.split(":")[2] not in ("elasticloadbalancing", "apigateway"):
        raise ValueError(f"{field}: {value!r} is not an ALB or API Gateway stage ARN")
    return value


def _arn_region(arn: str) -> str:
    return arn.split(":")[3]


@component_args
class EdgeProtectionArgs(ComponentArgs):
    """Inputs of :class:`EdgeProtection`. By default: S3 origin, WAF, HTTPS, logs; a viewer
    certificate (or the explicit opt-out) is required."""

    origin_domain_name: pulumi.Input[str] | None = arg(default=None, check=_origin_domain_name)
    """Custom HTTPS origin (e.g. an ALB's ``dns_name``); None creates a private S3 origin
    bucket."""
    origin_verify: bool = True
    """Send a secret ``X-Origin-Verify`` header to a custom origin so it can refuse requests
    that bypass CloudFront (and the WAF). Opt-out: False (documented risk)."""
    origin_verify_secret: pulumi.Input[str] | None = arg(default=None, check=_origin_verify_secret)
    """The header's secret value (at least 32 characters), e.g. from ``config.require_secret``.
    Required for a custom origin unless ``origin_verify`` is False. Stored in Secrets Manager."""
    aliases: Sequence[pulumi.Input[str]] = arg(default_factory=list, each=_alias)
    """Custom domain names; they need ``certificate_arn``."""
    certificate_arn: pulumi.Input[str] | None = arg(default=None, check=_cloudfront_certificate)
    """ACM certificate in us-east-1 for the aliases; enables the TLSv1.2_2021 viewer policy.
    Required unless ``allow_default_certificate`` is set."""
    allow_default_certificate: bool = False
    """Opt-out: serve on the ``*.cloudfront.net`` default certificate, whose minimum TLS version
    CloudFront fixes at TLSv1 (the policy pack's ``cloudfront-tls`` still reports it)."""
    rate_limit: int = arg(default=2000, ge=RATE_LIMIT_MIN, le=RATE_LIMIT_MAX)
    """Requests per IP per evaluation window before blocking; at least 10 (AWS minimum)."""
    rate_limit_window_sec: int = arg(default=300, check=_evaluation_window)
    """Rate-limit evaluation window: 60, 120, 300 or 600 seconds."""
    allowed_countries: Sequence[str] = arg(default_factory=list, check=country_codes)
    """Only these ISO 3166-1 alpha-2 countries may connect (empty: all)."""
    blocked_countries: Sequence[str] = arg(default_factory=list, check=country_codes)
    """These ISO 3166-1 alpha-2 countries are blocked (exclusive with allowed_countries)."""
    disabled_rule_groups: Sequence[ManagedRuleGroup] = arg(default_factory=list)
    """Managed rule groups to leave out."""
    count_rule_groups: Sequence[ManagedRuleGroup] = arg(default_factory=list)
    """Managed rule groups that only count (override action count) while you tune them."""
    count_rules: Mapping[str, Sequence[str]] = arg(default_factory=dict, check=_count_rules)
    """Per managed rule group (by name), rules whose action is overridden to count (e.g.
    ``{"AWSManagedRulesCommonRuleSet": ["SizeRestrictions_BODY"]}``)."""
    redacted_headers: Sequence[str] = arg(
        default_factory=lambda: ["authorization", "cookie"], each=_header
    )
    """Request headers redacted from WAF logs."""
    waf_log_bucket_arn: pulumi.Input[str] | None = arg(default=None, check=_waf_log_bucket)
    """Existing S3 bucket named ``aws-waf-logs-...`` for WAF logs; None: CloudWatch Logs."""
    log_retention_days: int = arg(default=365, check=retention)
    """Retention of the WAF and CloudFront log groups (a CloudWatch Logs retention value)."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=_us_east_1_key)
    """Customer KMS key in us-east-1 for the CloudFront and WAF log groups (its policy must let
    CloudWatch Logs use it); None creates one."""
    price_class: PriceClass = PriceClass.PRICE_CLASS_100
    """CloudFront price class."""
    regional_resource_arns: Sequence[pulumi.Input[str]] = arg(
        default_factory=list, each=_regional_resource
    )
    """ALB or API Gateway stage ARNs to protect with a REGIONAL web ACL using the same rules."""
    regional_region: str | None = arg(default=None, check=validate.region)
    """Region of the regional resources (taken from the first ARN when None)."""
    regional_kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Customer KMS key in the regional resources' region for the regional WAF log group;
    None creates one (only with ``regional_resource_arns``)."""
    origin_region: str | None = arg(default=None, check=validate.region)
    """Region of the created origin bucket and the origin-verify secret (provider's if None)."""
    origin_kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Customer KMS key (in ``origin_region``) for the created origin bucket; its policy must
    allow ``kms:Decrypt`` to ``cloudfront.amazonaws.com`` for this distribution. None creates
    one."""
    name_prefix: str | None = arg(default=None, check=validate.name_prefix)
    """Prefix of the WAF log group names (``aws-waf-logs-<prefix>-<name>``); None:
    ``aws-waf-logs-<name>``."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the distribution, web ACLs and every taggable child (keys, log groups, log
    delivery, origin bucket, secret)."""

    def __post_init__(self) -> None:
        if (
            self.origin_domain_name is not None
            and self.origin_verify
            and self.origin_verify_secret is None
        ):
            raise ValueError(
                "origin_verify_secret: required for a custom origin (a secret of 32+ characters "
                "the origin checks), or set origin_verify to false and restrict the origin "
                "otherwise"
            )
        if self.aliases and self.certificate_arn is None:
            raise ValueError("certificate_arn: required when aliases are given")
        if self.allowed_countries and self.blocked_countries:
            raise ValueError(
                "blocked_countries: give either allowed_countries or blocked_countries"
            )
        if self.regional_kms_key_arn is not None and not self.regional_resource_arns:
            raise ValueError("regional_kms_key_arn: only used with regional_resource_arns")
        if self.origin_kms_key_arn is not None and self.origin_domain_name is not None:
            raise ValueError(
                "origin_kms_key_arn: only used for the created S3 origin (no origin_domain_name)"
            )
        if self.certificate_arn is None and not self.allow_default_certificate:
            raise ValueError(
                "certificate_arn: required (an ACM certificate in us-east-1, so viewers need "
                "TLS 1.2); or set allow_default_certificate to true to accept the "
                "*.cloudfront.net certificate, which allows TLS 1.0"
            )

    @property
    def resolved_regional_region(self) -> pulumi.Input[str] | None:
        """Region of the regional web ACL: given, or the region of the first resource ARN
        (an Output when that ARN is one)."""
        if self.regional_region or not self.regional_resource_arns:
            return self.regional_region
        first = self.regional_resource_arns[0]
        if isinstance(first, str):
            return _arn_region(first)
        return pulumi.Output.concat(first).apply(_arn_region)


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
    origin_verify_secret_arn: pulumi.Output[str] | None
    """Secrets Manager secret holding the origin-verify header value (custom origins)."""
    regional_web_acl: aws.wafv2.WebAcl | None
    """The REGIONAL web ACL for ALBs / API Gateway stages, if any."""
    kms_keys: list[aws.kms.Key]
    """The log keys this component created (none for the keys you gave)."""

    def __init__(
        self,
        name: str,
        args: EdgeProtectionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = EdgeProtectionArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        self._log_name = physical_name(args.name_prefix, name) if args.name_prefix else name
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id
        self.kms_keys = []
        edge_key = self._logs_key(
            f"{name}-logs-key", args.kms_key_arn, WAF_GLOBAL_REGION, account_id, tags
        )

        self.web_acl = self._web_acl(name, args, "CLOUDFRONT", WAF_GLOBAL_REGION, tags)
        self._waf_logging(
            name,
            args,
            self.web_acl,
            region=WAF_GLOBAL_REGION,
            key_arn=edge_key,
            tags=tags,
            group_name=self._log_name,
        )

        # The origin bucket's policy names this distribution, which needs the bucket first.
        distribution_arn: pulumi.Output[str]
        resolve_distribution_arn: Callable[[pulumi.Output[str]], None]
        distribution_arn, resolve_distribution_arn = pulumi.deferred_output()
        self._origin: SecureBucket | None = None
        self.origin_verify_secret_arn = None
        origin: aws.cloudfront.DistributionOriginArgsDict
        if args.origin_domain_name is None:
            self._origin = self._origin_bucket(name, args, distribution_arn)
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
                "domain_name": self._origin.bucket.bucket_regional_domain_name,
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
                # Pulumi.Output.secret keeps the value out of logs and encrypted in state.
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
        if args.certificate_arn is not None:
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
            price_class=args.price_class.value,
            tags=tags,
            opts=child,
        )
        resolve_distribution_arn(self.distribution.arn)
        self.domain_name = self.distribution.domain_name
        self._access_logs(name, args, edge_key, tags)

        self.regional_web_acl = None
        regional_region = args.resolved_regional_region
        if args.regional_resource_arns and regional_region is not None:
            self.regional_web_acl = self._web_acl(
                f"{name}-regional", args, "REGIONAL", regional_region, tags
            )
            regional_key = self._logs_key(
                f"{name}-regional-logs-key",
                args.regional_kms_key_arn,
                regional_region,
                account_id,
                tags,
            )
            self._waf_logging(
                f"{name}-regional",
                args,
                self.regional_web_acl,
                region=regional_region,
                key_arn=regional_key,
                tags=tags,
                group_name=f"{self._log_name}-regional",
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

    @property
    def origin_bucket(self) -> SecureBucket | None:
        """The created S3 origin bucket (None with a custom origin)."""
        return self._origin

    def _logs_key(
        self,
        name: str,
        given: pulumi.Input[str] | None,
        region: pulumi.Input[str],
        account_id: pulumi.Output[str],
        tags: dict[str, str] | None,
    ) -> pulumi.Input[str]:
        """The given key's ARN, or a created key's (for CloudWatch Logs in ``region``)."""
        if given is not None:
            return given
        key = logs_key(name, self, region, account_id, tags=tags)
        self.kms_keys.append(key)
        return key.arn

    def _web_acl(
        self,
        name: str,
        args: EdgeProtectionArgs,
        scope: str,
        region: pulumi.Input[str],
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
        *,
        region: pulumi.Input[str],
        key_arn: pulumi.Input[str],
        tags: dict[str, str] | None,
        group_name: str,
    ) -> None:
        destination: pulumi.Input[str]
        if args.waf_log_bucket_arn is not None:
            destination = args.waf_log_bucket_arn
        else:
            group = log_group(
                f"{name}-waf-logs",
                self,
                key_arn=key_arn,
                retention_days=args.log_retention_days,
                region=region,
                # WAF requires this prefix.
                log_group_name=f"aws-waf-logs-{group_name}",
                tags=tags,
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
    ) -> SecureBucket:
        """A private bucket only this distribution may read (OAC, ``AWS:SourceArn``)."""
        only_this_distribution = {"StringEquals": {"AWS:SourceArn": distribution_arn}}
        return SecureBucket(
            f"{name}-origin",
            SecureBucketArgs(
                region=args.origin_region,
                kms_key_arn=args.origin_kms_key_arn,
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

    def _access_logs(
        self,
        name: str,
        args: EdgeProtectionArgs,
        key_arn: pulumi.Input[str],
        tags: dict[str, str] | None,
    ) -> None:
        """CloudFront standard logging v2: vended logs to a KMS-encrypted log group."""
        child = pulumi.ResourceOptions(parent=self)
        group = log_group(
            f"{name}-access-logs",
            self,
            key_arn=key_arn,
            retention_days=args.log_retention_days,
            region=WAF_GLOBAL_REGION,
            tags=tags,
        )
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-log-source",
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn,
            region=WAF_GLOBAL_REGION,
            tags=tags,
            opts=child,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-log-destination",
            delivery_destination_configuration={"destination_resource_arn": group.arn},
            output_format="json",
            region=WAF_GLOBAL_REGION,
            tags=tags,
            opts=child,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-access-log-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            region=WAF_GLOBAL_REGION,
            tags=tags,
            opts=child,
        )
