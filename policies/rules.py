"""The baseline's policy rules as pure functions over plain resource properties.

Resource rules take ``(resource_type, props, urn, name)`` and return violation messages; stack
rules take every resource of a stack and return :class:`StackViolation`. ``props`` are
camelCase properties as Pulumi serialises them: resource policies see a resource's inputs, stack
policies (in ``pulumi preview``/``up``) see its outputs, where the deprecated inline ``Bucket``
settings are computed (unknown in preview, e.g. ``versioning: {enabled: false}`` and
``policy: ""`` once deployed). ``secbaseline check`` passes the offline plan's inputs to both.
The pulumi-policy wrappers (``policies/pack.py``) and ``secbaseline check`` both call these
functions, so the logic exists once. Standard library only: no pulumi import.

Unknown values (preview placeholders) and masked secrets are never a violation: a rule that
cannot see a value says nothing about it.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secbaseline.baseline import catalog
from secbaseline.baseline.catalog import (
    BUCKET,
    CONFIG_RECORDER,
    EBS_VOLUME,
    EC2_INSTANCE,
    GUARDDUTY_DETECTOR,
    IAM_ATTACHMENT_TYPES,
    RDS_INSTANCE,
    S3_PAB,
    S3_POLICY,
    S3_SSE,
    S3_SSE_V2,
    S3_VERSIONING,
    S3_VERSIONING_V2,
    SECURITY_GROUP,
    SECURITYHUB_ACCOUNT,
    SG_RULE,
)

# Pulumi's preview placeholders for values not known until deployment (one per value kind).
UNKNOWN_VALUES = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
SECRET_PLACEHOLDER = "[secret]"  # how the offline plan masks secrets
BUCKET_TYPES = frozenset({BUCKET, "aws:s3/bucketV2:BucketV2"})
TIERS_WITH_DETECTION = frozenset({"intermediate", "advanced"})
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEE_URIS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
SSE_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse", "AES256"})
# Inline bucket settings: ``Bucket`` has one object, the deprecated ``BucketV2`` a list.
INLINE_VERSIONING = ("versioning", "versionings")
INLINE_SSE = ("serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations")
MIN_BACKUP_DAYS = 7
# Engines without IAM database authentication.
NO_IAM_AUTH_ENGINES = ("sqlserver", "oracle", "db2", "custom-")

ResourceRule = Callable[[str, Mapping[str, Any], str, str], list[str]]


def is_unknown(value: Any) -> bool:
    """True for a preview placeholder or a masked secret: nothing can be concluded."""
    return isinstance(value, str) and (value in UNKNOWN_VALUES or value == SECRET_PLACEHOLDER)


def _get(props: Mapping[str, Any], *path: str | int) -> Any:
    """A nested value, or None when any step is missing (unknown placeholders returned as-is)."""
    value: Any = props
    for step in path:
        if is_unknown(value):
            return value
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
            value = value[step]
        elif isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return value


def _items(value: Any) -> list[Any]:
    """A list input as a list (None, unknown or scalar: empty)."""
    return value if isinstance(value, list) else []


def _each(value: Any) -> list[Any]:
    """A nested block as a list: a list as-is, one object (or an unknown) as one item."""
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping) or is_unknown(value):
        return [value]
    return []


def _first_of(props: Any, *keys: str) -> Any:
    """The first of ``keys`` that is set (unknown placeholders returned as-is)."""
    for key in keys:
        value = _get(props, key)
        if value is not None:
            return value
    return None


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or is_unknown(value):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


# --- policy documents -------------------------------------------------------------------------


def policy_document(value: Any) -> dict[str, Any] | None:
    """A policy document from a JSON string or dict; None when unknown or unreadable."""
    if value is None or is_unknown(value):
        return None
    if isinstance(value, str):
        if any(marker in value for marker in UNKNOWN_VALUES):
            return None
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return dict(value) if isinstance(value, Mapping) else None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The document's statements as a list of mappings."""
    raw = document.get("Statement", [])
    raw = raw if isinstance(raw, list) else [raw]
    return [s for s in raw if isinstance(s, Mapping)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in _items(value) if isinstance(v, str)]


def _allow_statements(document: Mapping[str, Any]) -> Iterable[tuple[int, Mapping[str, Any]]]:
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") == "Allow":
            yield index, statement


def _iam_documents(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(label, raw document) for every permissions policy a resource carries."""
    if resource_type in IAM_ATTACHMENT_TYPES:
        return []  # attachments name a policy by ARN; see _attached_policy_arns
    if resource_type == "aws:iam/role:Role":
        return [
            (f"inline policy {p.get('name') or index}", p.get("policy"))
            for index, p in enumerate(_items(props.get("inlinePolicies")))
            if isinstance(p, Mapping)
        ]
    return [("policy", props.get("policy"))]


# --- resource rules ---------------------------------------------------------------------------


def s3_block_public_access(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """All four Block Public Access flags on (bucket or account level)."""
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [f for f in flags if not is_unknown(props.get(f)) and not _true(props.get(f))]
    return [f"Block Public Access leaves {', '.join(off)} off"] if off else []


def s3_no_public_acl(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """No public canned ACL and no grant to the AllUsers/AuthenticatedUsers groups."""
    found: list[str] = []
    acl = props.get("acl")
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        found.append(f"canned ACL {acl} makes the bucket public")
    grants = _items(props.get("grants"))
    grants += _items(_get(props, "accessControlPolicy", "grants"))
    for grant in grants:
        if not isinstance(grant, Mapping):
            continue
        grantee = grant.get("grantee") if isinstance(grant.get("grantee"), Mapping) else grant
        uri = grantee.get("uri") if isinstance(grantee, Mapping) else None
        if isinstance(uri, str) and uri in PUBLIC_GRANTEE_URIS:
            found.append(f"ACL grant to {PUBLIC_GRANTEE_URIS[uri]} makes the bucket public")
    return found


def _sse_algorithms(configuration: Any) -> list[Any]:
    """Every default-encryption ``sseAlgorithm`` of an encryption configuration.

    Reads the settings resource (``rules`` list), the inline ``Bucket`` object (``rule``) and the
    inline ``BucketV2`` lists (``rules[].applyServerSideEncryptionByDefaults[]``); an unknown
    anywhere on the way comes back as an unknown item.
    """
    return [
        _get(default, "sseAlgorithm")
        for config in _each(configuration)
        for rule in _each(_first_of(config, "rule", "rules"))
        for default in _each(
            _first_of(
                rule, "applyServerSideEncryptionByDefault", "applyServerSideEncryptionByDefaults"
            )
        )
    ]


def _encrypts_by_default(configuration: Any) -> bool:
    return any(isinstance(a, str) and a in SSE_ALGORITHMS for a in _sse_algorithms(configuration))


def s3_encryption(resource_type: str, props: Mapping[str, Any], urn: str, name: str) -> list[str]:
    """Default encryption rules name a supported algorithm."""
    if resource_type in BUCKET_TYPES:
        configuration = _first_of(props, *INLINE_SSE)
        if configuration is None or is_unknown(configuration):
            return []  # absence is the completeness policy's business
    else:
        if is_unknown(props.get("rules")):
            return []
        configuration = {"rules": _items(props.get("rules"))}
    algorithms = _sse_algorithms(configuration)
    if any(is_unknown(a) for a in algorithms):
        return []
    if not _encrypts_by_default(configuration):
        return ["no default encryption rule (sseAlgorithm aws:kms, aws:kms:dsse or AES256)"]
    return []


def _inline_versioning_enabled(props: Mapping[str, Any]) -> Any:
    """The inline ``enabled`` flag: ``versioning.enabled`` or ``versionings[0].enabled``."""
    versioning = _first_of(props, *INLINE_VERSIONING)
    if isinstance(versioning, list):
        versioning = versioning[0] if versioning else None
    return _get(versioning, "enabled") if versioning is not None else None


def s3_versioning(resource_type: str, props: Mapping[str, Any], urn: str, name: str) -> list[str]:
    """Versioning enabled (inline ``versioning`` or a BucketVersioning resource)."""
    if resource_type in BUCKET_TYPES:
        if _false(_inline_versioning_enabled(props)):
            return ["inline versioning is disabled"]
        return []
    status = _get(props, "versioningConfiguration", "status")
    if is_unknown(status) or status == "Enabled":
        return []
    return [f"versioning status is {status or 'not set'}, not Enabled"]


def _denies_insecure_transport(document: Mapping[str, Any]) -> bool:
    for statement in statements(document):
        if statement.get("Effect") != "Deny":
            continue
        condition = statement.get("Condition")
        if not isinstance(condition, Mapping):
            continue
        for operator in ("Bool", "BoolIfExists"):
            block = condition.get(operator)
            if isinstance(block, Mapping):
                value = block.get("aws:SecureTransport")
                values = value if isinstance(value, list) else [value]
                if any(_false(v) for v in values):
                    return True
    return False


def s3_tls_only(resource_type: str, props: Mapping[str, Any], urn: str, name: str) -> list[str]:
    """The bucket policy denies requests without TLS."""
    raw = props.get("policy")
    if raw is None and resource_type in BUCKET_TYPES:
        return []  # no inline policy: the completeness policy looks for a BucketPolicy
    document = policy_document(raw)
    if document is None:
        return []
    if _denies_insecure_transport(document):
        return []
    return ['bucket policy does not deny requests with "aws:SecureTransport": "false"']


def ec2_imdsv2_required(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """``metadataOptions.httpTokens`` is ``required``."""
    tokens = _get(props, "metadataOptions", "httpTokens")
    if is_unknown(tokens) or tokens == "required":
        return []
    return [f"metadataOptions.httpTokens is {tokens or 'not set'}; IMDSv2 must be required"]


def ec2_no_public_ip(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """No public IP on the instance or any launch-template network interface."""
    if resource_type == EC2_INSTANCE:
        if _true(props.get("associatePublicIpAddress")):
            return ["associatePublicIpAddress is true"]
        return []
    return [
        f"networkInterfaces[{index}].associatePublicIpAddress is true"
        for index, nic in enumerate(_items(props.get("networkInterfaces")))
        if isinstance(nic, Mapping) and _true(nic.get("associatePublicIpAddress"))
    ]


def _exposed_ports(protocol: Any, from_port: Any, to_port: Any) -> list[str]:
    """What an open rule exposes: 'all ports' or the admin ports inside its range."""
    if is_unknown(protocol):
        return []
    proto = str(protocol).lower()
    if proto in ("-1", "all"):
        return ["all ports"]
    if proto not in ("tcp", "6", "udp", "17"):
        return []
    low, high = _number(from_port), _number(to_port)
    if low is None or high is None:
        return []
    if low <= 0 and high >= 65535:
        return ["all ports"]
    return [f"port {port} ({label})" for port, label in ADMIN_PORTS.items() if low <= port <= high]


def _open_sources(*cidr_lists: Any) -> list[str]:
    return [c for cidrs in cidr_lists for c in _strings(cidrs) if c in OPEN_CIDRS]


def security_group_no_public_admin_ports(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """No ingress from anywhere to SSH, RDP or every port."""
    rules: list[tuple[str, list[str], list[str]]] = []
    if resource_type == SECURITY_GROUP:
        for index, rule in enumerate(_items(props.get("ingress"))):
            if isinstance(rule, Mapping):
                rules.append(
                    (
                        f"ingress[{index}] ",
                        _open_sources(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks")),
                        _exposed_ports(
                            rule.get("protocol"), rule.get("fromPort"), rule.get("toPort")
                        ),
                    )
                )
    elif resource_type == SG_RULE:
        if props.get("type") == "ingress":
            rules.append(
                (
                    "",
                    _open_sources(props.get("cidrBlocks"), props.get("ipv6CidrBlocks")),
                    _exposed_ports(
                        props.get("protocol"), props.get("fromPort"), props.get("toPort")
                    ),
                )
            )
    else:
        rules.append(
            (
                "",
                _open_sources(props.get("cidrIpv4"), props.get("cidrIpv6")),
                _exposed_ports(props.get("ipProtocol"), props.get("fromPort"), props.get("toPort")),
            )
        )
    return [
        f"{where}allows {source} to {exposed}"
        for where, sources, ports in rules
        for source in sources
        for exposed in ports
    ]


def ebs_encrypted(resource_type: str, props: Mapping[str, Any], urn: str, name: str) -> list[str]:
    """Volumes encrypted; instance block devices never explicitly unencrypted."""
    if resource_type == EBS_VOLUME:
        encrypted = props.get("encrypted")
        if is_unknown(encrypted) or _true(encrypted):
            return []
        return ["volume is not encrypted (encrypted must be true)"]
    found = []
    if _false(_get(props, "rootBlockDevice", "encrypted")):
        found.append("rootBlockDevice.encrypted is false")
    for index, device in enumerate(_items(props.get("ebsBlockDevices"))):
        if isinstance(device, Mapping) and _false(device.get("encrypted")):
            found.append(f"ebsBlockDevices[{index}].encrypted is false")
    return found


def _rds_owned_by_cluster(resource_type: str, props: Mapping[str, Any]) -> bool:
    """Aurora members and read replicas take these settings from their cluster or source."""
    return resource_type == RDS_INSTANCE and bool(
        props.get("clusterIdentifier") or props.get("replicateSourceDb")
    )


def _rds_flag(props: Mapping[str, Any], key: str, message: str) -> list[str]:
    value = props.get(key)
    if is_unknown(value) or _true(value):
        return []
    return [message]


def rds_storage_encrypted(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Storage encrypted (storageEncrypted = true)."""
    if _rds_owned_by_cluster(resource_type, props):
        return []
    return _rds_flag(props, "storageEncrypted", "storage is not encrypted (storageEncrypted)")


def rds_not_public(resource_type: str, props: Mapping[str, Any], urn: str, name: str) -> list[str]:
    """Not publicly accessible."""
    if _true(props.get("publiclyAccessible")):
        return ["publiclyAccessible is true"]
    return []


def rds_backup_retention(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Automated backups kept for at least seven days."""
    if _rds_owned_by_cluster(resource_type, props):
        return []
    raw = props.get("backupRetentionPeriod")
    if is_unknown(raw):
        return []
    days = _number(raw)
    if days is None:
        return [f"backupRetentionPeriod is not set (AWS default 1 day; need >= {MIN_BACKUP_DAYS})"]
    if days < MIN_BACKUP_DAYS:
        return [f"backupRetentionPeriod is {int(days)} day(s) (need >= {MIN_BACKUP_DAYS})"]
    return []


def rds_iam_auth(resource_type: str, props: Mapping[str, Any], urn: str, name: str) -> list[str]:
    """IAM database authentication on, for engines that support it."""
    if _rds_owned_by_cluster(resource_type, props):
        return []
    engine = props.get("engine")
    if isinstance(engine, str) and engine.startswith(NO_IAM_AUTH_ENGINES):
        return []
    return _rds_flag(
        props,
        "iamDatabaseAuthenticationEnabled",
        "IAM database authentication is off (iamDatabaseAuthenticationEnabled)",
    )


def rds_deletion_protection(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Deletion protection on."""
    if _rds_owned_by_cluster(resource_type, props):
        return []
    return _rds_flag(props, "deletionProtection", "deletion protection is off (deletionProtection)")


TLS_ON_VALUES = frozenset({"1", "on", "true"})
# Parameter-group family prefix -> the parameter that forces TLS (others set TLS elsewhere).
TLS_PARAMETERS = (
    ("aurora-postgresql", "rds.force_ssl"),
    ("postgres", "rds.force_ssl"),
    ("sqlserver", "rds.force_ssl"),
    ("aurora-mysql", "require_secure_transport"),
    ("mysql", "require_secure_transport"),
    ("mariadb", "require_secure_transport"),
)
_POSTGRES_FAMILY = re.compile(r"^postgres(\d+)$")


def rds_parameter_group_tls(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """The group forces TLS for its engine (unset is fine only where the engine defaults on:
    RDS for PostgreSQL 15 and later)."""
    family = props.get("family")
    if not isinstance(family, str) or is_unknown(family):
        return []
    parameter = next((p for prefix, p in TLS_PARAMETERS if family.startswith(prefix)), None)
    if parameter is None:
        return []
    value: Any = None
    for item in _items(props.get("parameters")):
        if isinstance(item, Mapping) and item.get("name") == parameter:
            value = item.get("value")
    if is_unknown(value):
        return []
    if value is None:
        postgres = _POSTGRES_FAMILY.match(family)
        if postgres and int(postgres.group(1)) >= 15:
            return []
        return [f"{parameter} is not set (the {family} default allows connections without TLS)"]
    if str(value).strip().lower() not in TLS_ON_VALUES:
        return [f"{parameter} is {value!r}: connections without TLS are allowed"]
    return []


def lambda_function_url_auth(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Function URLs use AWS_IAM."""
    if props.get("authorizationType") == "NONE":
        return ["function URL allows unauthenticated calls (authorizationType NONE)"]
    return []


def lambda_permission_restricted(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """A wildcard principal is scoped by source ARN, source account or organization."""
    if props.get("principal") != "*":
        return []
    scopes = [props.get(k) for k in ("sourceArn", "sourceAccount", "principalOrgId")]
    if any(s for s in scopes):
        return []
    return ['principal "*" without sourceArn, sourceAccount or principalOrgId']


TLS12_OR_NEWER = ("TLSv1.2", "TLSv1.3")


def cloudfront_tls(resource_type: str, props: Mapping[str, Any], urn: str, name: str) -> list[str]:
    """HTTPS for viewers, TLS 1.2 or newer."""
    found: list[str] = []
    certificate = props.get("viewerCertificate")
    if isinstance(certificate, Mapping):
        version = certificate.get("minimumProtocolVersion")
        if _true(certificate.get("cloudfrontDefaultCertificate")):
            found.append(
                "uses the default CloudFront certificate, which allows TLS 1.0; "
                "use an ACM certificate with minimumProtocolVersion TLSv1.2_2021"
            )
        elif not is_unknown(version) and not str(version or "").startswith(TLS12_OR_NEWER):
            found.append(f"minimumProtocolVersion is {version or 'not set'}; need TLSv1.2 or newer")
    behaviors = [("defaultCacheBehavior", props.get("defaultCacheBehavior"))]
    behaviors += [
        (f"orderedCacheBehaviors[{i}]", b)
        for i, b in enumerate(_items(props.get("orderedCacheBehaviors")))
    ]
    for where, behavior in behaviors:
        if isinstance(behavior, Mapping) and behavior.get("viewerProtocolPolicy") == "allow-all":
            found.append(f"{where}.viewerProtocolPolicy allow-all serves plain HTTP")
    return found


def cloudfront_waf(resource_type: str, props: Mapping[str, Any], urn: str, name: str) -> list[str]:
    """A WAF web ACL is attached."""
    if props.get("webAclId"):
        return []
    return ["no AWS WAF web ACL (webAclId)"]


def apigateway_access_logging(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Stages write access logs to a destination."""
    destination = _get(props, "accessLogSettings", "destinationArn")
    if destination:
        return []
    return ["no access logging (accessLogSettings.destinationArn)"]


def kms_key_rotation(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Symmetric encryption keys rotate automatically (asymmetric and HMAC keys cannot)."""
    spec = props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if is_unknown(spec) or spec != "SYMMETRIC_DEFAULT":
        return []
    if props.get("customKeyStoreId"):
        return []  # keys in a custom key store cannot rotate automatically
    return _rds_flag(
        props, "enableKeyRotation", "automatic key rotation is off (enableKeyRotation)"
    )


def sns_topic_encrypted(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Topics encrypted with a KMS key."""
    if props.get("kmsMasterKeyId"):
        return []
    return ["topic is not encrypted (kmsMasterKeyId)"]


def triage_rule_not_expired(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Suppression rules say why (description) and until when (expiry tag), and have not
    expired: a forgotten suppression hides findings for ever."""
    problems = []
    reason = props.get("description")
    if not is_unknown(reason) and not (isinstance(reason, str) and reason.strip()):
        problems.append("no reason (description)")
    tags = props.get("tags")
    if is_unknown(tags):
        return problems
    expiry = tags.get(catalog.TRIAGE_EXPIRES_TAG) if isinstance(tags, Mapping) else None
    if is_unknown(expiry):
        return problems
    if not expiry:
        problems.append(f"no expiry date (tag {catalog.TRIAGE_EXPIRES_TAG})")
        return problems
    try:
        day = datetime.date.fromisoformat(str(expiry))
    except ValueError:
        problems.append(f"expiry {expiry!r} is not a date YYYY-MM-DD")
        return problems
    if day < datetime.datetime.now(datetime.UTC).date():
        problems.append(
            f"expired on {expiry}: review the rule, then renew the date or remove the rule"
        )
    return problems


FULL_ADMIN_ACTIONS = frozenset({"*", "*:*"})
# The AWS managed AdministratorAccess policy in any partition (aws, aws-cn, aws-us-gov, ...).
ADMINISTRATOR_ACCESS_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")


def _iam_allow_statements(
    resource_type: str, props: Mapping[str, Any]
) -> Iterable[tuple[str, int, Mapping[str, Any]]]:
    """(document label, statement index, statement) for every readable Allow statement."""
    for label, raw in _iam_documents(resource_type, props):
        document = policy_document(raw)
        if document is not None:
            for index, statement in _allow_statements(document):
                yield label, index, statement


def _attached_policy_arns(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(input label, ARN) for every managed policy the resource attaches."""
    if resource_type in IAM_ATTACHMENT_TYPES:
        return [("policyArn", props.get("policyArn"))]
    if resource_type == "aws:iam/role:Role":
        return [
            (f"managedPolicyArns[{index}]", arn)
            for index, arn in enumerate(_items(props.get("managedPolicyArns")))
        ]
    return []


def iam_no_full_admin(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """No statement allows every action on every resource; AdministratorAccess is not attached."""
    found = [
        f'{label} statement {index} allows "*" on "*" (full admin)'
        for label, index, statement in _iam_allow_statements(resource_type, props)
        if set(_strings(statement.get("Action"))) & FULL_ADMIN_ACTIONS
        and "*" in _strings(statement.get("Resource"))
    ]
    found += [
        f"{label} attaches AdministratorAccess (full admin)"
        for label, arn in _attached_policy_arns(resource_type, props)
        if isinstance(arn, str) and ADMINISTRATOR_ACCESS_ARN.match(arn)
    ]
    return found


def iam_no_passrole_wildcard(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """No unconditioned iam:PassRole on every role (privilege escalation)."""
    found = []
    for label, index, statement in _iam_allow_statements(resource_type, props):
        actions = [a for a in _strings(statement.get("Action")) if a not in FULL_ADMIN_ACTIONS]
        passes = [a for a in actions if fnmatch.fnmatch("iam:passrole", a.lower())]
        wildcard = "*" in _strings(statement.get("Resource"))
        if passes and wildcard and not statement.get("Condition"):
            found.append(f'{label} statement {index} allows {passes[0]} on "*" without a condition')
    return found


RESOURCE_RULES: dict[str, ResourceRule] = {
    "s3-block-public-access": s3_block_public_access,
    "s3-no-public-acl": s3_no_public_acl,
    "s3-encryption": s3_encryption,
    "s3-versioning": s3_versioning,
    "s3-tls-only": s3_tls_only,
    "ec2-imdsv2-required": ec2_imdsv2_required,
    "ec2-no-public-ip": ec2_no_public_ip,
    "security-group-no-public-admin-ports": security_group_no_public_admin_ports,
    "ebs-encrypted": ebs_encrypted,
    "rds-storage-encrypted": rds_storage_encrypted,
    "rds-not-public": rds_not_public,
    "rds-backup-retention": rds_backup_retention,
    "rds-iam-auth": rds_iam_auth,
    "rds-deletion-protection": rds_deletion_protection,
    "rds-parameter-group-tls": rds_parameter_group_tls,
    "lambda-function-url-auth": lambda_function_url_auth,
    "lambda-permission-restricted": lambda_permission_restricted,
    "cloudfront-tls": cloudfront_tls,
    "cloudfront-waf": cloudfront_waf,
    "apigateway-access-logging": apigateway_access_logging,
    "kms-key-rotation": kms_key_rotation,
    "sns-topic-encrypted": sns_topic_encrypted,
    "triage-rule-not-expired": triage_rule_not_expired,
    "iam-no-full-admin": iam_no_full_admin,
    "iam-no-passrole-wildcard": iam_no_passrole_wildcard,
}


def check_resource(
    policy_name: str, resource_type: str, props: Mapping[str, Any], urn: str, name: str
) -> list[str]:
    """Run one resource policy on one resource (types it does not look at: no violations)."""
    if resource_type not in catalog.policy(policy_name).resource_types:
        return []
    return RESOURCE_RULES[policy_name](resource_type, props, urn, name)


# --- stack rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackResource:
    """One resource as a stack rule sees it."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    region: str | None = None
    """The ``region`` input, else the provider's region; None when global or unknown."""
    id: str | None = None
    """The physical id when known (the offline plan fabricates one)."""
    dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Property name -> URNs of the resources it depends on (``pulumi preview`` gives these)."""


@dataclass(frozen=True)
class StackOptions:
    """Per-policy configuration of the stack rules."""

    tier: str = "beginner"
    """The baseline tier the stack is held to; detection is required from ``intermediate``."""
    regions: tuple[str, ...] = ()
    """Detection regions; empty means every region the stack uses."""
    organization_managed: frozenset[str] = frozenset()
    """Services the organization enables for this account (``guardduty``, ``securityhub``,
    ``config``, ...): the stack need not, and must not, create them itself."""


@dataclass(frozen=True)
class StackViolation:
    """A stack rule's finding; ``urn`` None means the stack as a whole."""

    message: str
    urn: str | None = None


StackRule = Callable[[Sequence[StackResource], StackOptions], list[StackViolation]]


def _inline_versioning(props: Mapping[str, Any]) -> bool:
    return _true(_inline_versioning_enabled(props))


def _inline_encryption(props: Mapping[str, Any]) -> bool:
    return _encrypts_by_default(_first_of(props, *INLINE_SSE))


def _inline_tls_policy(props: Mapping[str, Any]) -> bool:
    document = policy_document(props.get("policy"))
    return document is not None and _denies_insecure_transport(document)


InlineSetting = Callable[[Mapping[str, Any]], bool]
# (label, types of the separate settings resource, test that the bucket's inline setting meets
# the bar). Inline settings are judged by content because stack policies see outputs, where
# pulumi-aws 7 fills them for every bucket (``versioning: {enabled: false}``, ``policy: ""``) or
# leaves them unknown in preview: present is not enough, unknown or empty means absent.
BUCKET_SETTINGS: tuple[tuple[str, frozenset[str], InlineSetting | None], ...] = (
    ("BucketPublicAccessBlock", frozenset({S3_PAB}), None),
    (
        "default encryption (BucketServerSideEncryptionConfiguration)",
        frozenset({S3_SSE, S3_SSE_V2}),
        _inline_encryption,
    ),
    (
        "versioning (BucketVersioning)",
        frozenset({S3_VERSIONING, S3_VERSIONING_V2}),
        _inline_versioning,
    ),
    ("TLS-only bucket policy (BucketPolicy)", frozenset({S3_POLICY}), _inline_tls_policy),
)


def _bucket_keys(bucket: StackResource) -> set[str]:
    keys = {bucket.urn}
    for value in (bucket.id, bucket.props.get("bucket"), bucket.props.get("arn")):
        if isinstance(value, str) and value and not is_unknown(value):
            keys.add(value)
    return keys


def s3_bucket_configuration_complete(
    resources: Sequence[StackResource], options: StackOptions
) -> list[StackViolation]:
    """Join the S3 settings resources to their buckets by ``bucket`` and report the gaps."""
    found: list[StackViolation] = []
    for label, settings_types, inline_meets_bar in BUCKET_SETTINGS:
        targets: set[str] = set()
        unattributed = False
        for r in resources:
            if r.type not in settings_types:
                continue
            bucket = r.props.get("bucket")
            linked = set(r.dependencies.get("bucket", ()))
            if isinstance(bucket, str) and not is_unknown(bucket):
                targets.add(bucket)
            elif not linked:
                unattributed = True  # cannot tell which bucket: never guess a violation
            targets |= linked
        if unattributed:
            continue
        for bucket in resources:
            if bucket.type not in BUCKET_TYPES:
                continue
            if inline_meets_bar is not None and inline_meets_bar(bucket.props):
                continue
            if not _bucket_keys(bucket) & targets:
                found.append(StackViolation(f"bucket {bucket.name} has no {label}", bucket.urn))
    return found


def _present_in_regions(service: str, types: frozenset[str], key: str) -> StackRule:
    def rule(resources: Sequence[StackResource], options: StackOptions) -> list[StackViolation]:
        if options.tier not in TIERS_WITH_DETECTION or key in options.organization_managed:
            return []
        present = [r for r in resources if r.type in types]
        if any(r.region is None or is_unknown(r.region) for r in present):
            return []  # a resource whose region cannot be told may be the one missing
        have = {r.region for r in present}
        wanted = set(options.regions) or {
            r.region for r in resources if r.region and not is_unknown(r.region)
        }
        if not wanted and not present:
            return [StackViolation(f"{service} is not enabled in any region")]
        return [
            StackViolation(f"{service} is not enabled in {region}")
            for region in sorted(wanted - have)
        ]

    rule.__doc__ = f"{service} present in every detection region (tier intermediate and up)."
    return rule


STACK_RULES: dict[str, StackRule] = {
    "s3-bucket-configuration-complete": s3_bucket_configuration_complete,
    "guardduty-all-regions": _present_in_regions(
        "GuardDuty", frozenset({GUARDDUTY_DETECTOR}), "guardduty"
    ),
    "securityhub-all-regions": _present_in_regions(
        "Security Hub", frozenset({SECURITYHUB_ACCOUNT}), "securityhub"
    ),
    "config-all-regions": _present_in_regions(
        "AWS Config recording", frozenset({CONFIG_RECORDER}), "config"
    ),
}


def check_stack(
    policy_name: str, resources: Sequence[StackResource], options: StackOptions
) -> list[StackViolation]:
    """Run one stack policy."""
    catalog.policy(policy_name)
    return STACK_RULES[policy_name](resources, options)
