"""Plausible, deterministic ids, ARNs and invoke answers for the offline engine.

Everything is derived from a hash of the resource's type and URN, so two runs of the same
program produce identical plans. Unknown invokes raise: a silent empty answer would make
code read ``None`` and go wrong quietly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secbaseline.baseline.regions import DEFAULT_ENABLED_REGIONS, GLOBAL_CONTROL_REGION


class UnansweredInvokeError(RuntimeError):
    """The offline engine was asked an invoke it has no answer for."""


MOCKS_HELP = "see docs/policy-pack.md, 'Answer invokes and stack references'"


@dataclass(frozen=True)
class MockAnswers:
    """A user's answers (``--mocks FILE``) for invokes and StackReferences of their program."""

    invokes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Invoke token (``aws:ec2/getVpc:getVpc``) -> the result's fields (camelCase)."""
    stack_references: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Stack name (``org/project/stack``) -> that stack's outputs."""

    def invoke(self, token: str) -> dict[str, Any] | None:
        """The user's answer for ``token``, if any."""
        answer = self.invokes.get(token)
        return dict(answer) if answer is not None else None

    def stack_outputs(self, name: str) -> dict[str, Any]:
        """The outputs of the referenced stack ``name``, or raise saying how to answer it."""
        outputs = self.stack_references.get(name)
        if outputs is None:
            raise UnansweredInvokeError(
                f"offline engine: no outputs for StackReference {name!r}; answer it in a --mocks "
                f"file under stackReferences: {{{name!r}: {{outputName: value}}}} ({MOCKS_HELP})"
            )
        return dict(outputs)


def _mapping_of_mappings(value: Any, where: str) -> dict[str, Mapping[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, Mapping) for k, v in value.items()
    ):
        raise ValueError(f"{where}: expected a mapping of name -> mapping of fields")
    return dict(value)


def mock_answers(data: Any, source: str) -> MockAnswers:
    """Parse a mocks file's content (``invokes:`` and ``stackReferences:``)."""
    if data is None:
        return MockAnswers()
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a mapping with invokes: and stackReferences:")
    unknown = sorted(set(data) - {"invokes", "stackReferences"})
    if unknown:
        raise ValueError(f"{source}: unknown key {unknown[0]!r}; allowed: invokes, stackReferences")
    return MockAnswers(
        invokes=_mapping_of_mappings(data.get("invokes"), f"{source}: invokes"),
        stack_references=_mapping_of_mappings(
            data.get("stackReferences"), f"{source}: stackReferences"
        ),
    )


@dataclass(frozen=True)
class AccountContext:
    """The fake AWS account the offline engine pretends to be."""

    account_id: str = "111111111111"
    home_region: str = "us-east-1"
    partition: str = "aws"
    enabled_regions: tuple[str, ...] = DEFAULT_ENABLED_REGIONS
    organization_id: str = "o-exampleorg1"
    management_account_id: str = "111111111111"
    answers: MockAnswers = field(default_factory=MockAnswers)
    """The user's own answers, asked before the built-in ones."""


def digest(*parts: str, length: int = 17) -> str:
    """Lowercase hex digest of the parts, ``length`` characters."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]


def _uuid(*parts: str) -> str:
    h = digest(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# --- resource fabrication ----------------------------------------------------------------

# Type-token module -> ARN service name, where they differ.
_ARN_SERVICE = {
    "cloudwatch": "logs",
    "lambda": "lambda",
    "apigatewayv2": "apigateway",
    "cfg": "config",
    "sfn": "states",
    "ecr": "ecr",
    "cognito": "cognito-idp",
    "chatbot": "chatbot",
    "accessanalyzer": "access-analyzer",
}

# EC2-style ids: resource name -> id prefix.
_EC2_PREFIX = {
    "Vpc": "vpc",
    "Subnet": "subnet",
    "SecurityGroup": "sg",
    "Instance": "i",
    "InternetGateway": "igw",
    "RouteTable": "rtb",
    "VpcEndpoint": "vpce",
    "LaunchTemplate": "lt",
    "NetworkAcl": "acl",
    "Eip": "eipalloc",
    "NatGateway": "nat",
    "FlowLog": "fl",
    "NetworkInterface": "eni",
    "Volume": "vol",
    "VpcSecurityGroupIngressRule": "sgr",
    "VpcSecurityGroupEgressRule": "sgr",
    "SecurityGroupRule": "sgrule",
    "DefaultSecurityGroup": "sg",
    "DefaultVpc": "vpc",
    "DefaultNetworkAcl": "acl",
}

_GLOBAL_MODULES = {"iam", "organizations", "cloudfront", "route53", "budgets", "s3control"}
# Types in regional modules that are account-wide (they take no ``region`` argument).
_GLOBAL_TYPES = {"aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"}


def is_global(type_token: str) -> bool:
    """True for AWS resources that live outside any region (IAM, Organizations, ...)."""
    package, module, _ = split_type(type_token)
    return package == "aws" and (module in _GLOBAL_MODULES or type_token in _GLOBAL_TYPES)


@dataclass(frozen=True)
class FabricatedResource:
    """What the fake provider returns for a new resource."""

    id: str
    outputs: dict[str, Any]


@dataclass
class ResourceFacts:
    """Inputs to fabrication, gathered by the engine."""

    type: str
    name: str
    urn: str
    inputs: Mapping[str, Any]
    region: str
    context: AccountContext
    extra: dict[str, Any] = field(default_factory=dict)


def split_type(token: str) -> tuple[str, str, str]:
    """``aws:s3/bucket:Bucket`` -> ("aws", "s3", "Bucket")."""
    package, middle, resource = token.split(":", 2)
    module = middle.split("/")[0]
    return package, module, resource


def physical_name(facts: ResourceFacts) -> str:
    """The name the provider would use: an explicit name input, else autonamed."""
    for key in ("name", "bucket", "functionName", "family", "identifier", "clusterIdentifier"):
        value = facts.inputs.get(key)
        if isinstance(value, str) and value:
            return value
    prefix = facts.inputs.get("namePrefix") or facts.inputs.get("bucketPrefix")
    base = prefix if isinstance(prefix, str) and prefix else f"{facts.name}-"
    return f"{base}{digest(facts.urn, length=7)}"


def _arn(facts: ResourceFacts, service: str, resource: str, *, region: bool = True) -> str:
    ctx = facts.context
    return (
        f"arn:{ctx.partition}:{service}:{facts.region if region else ''}:"
        f"{ctx.account_id}:{resource}"
    )


def _s3_bucket(facts: ResourceFacts, name: str) -> dict[str, Any]:
    return {
        "bucket": name,
        "arn": f"arn:{facts.context.partition}:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{facts.region}.amazonaws.com",
        "hostedZoneId": "Z2O1EMRO9K5GLX",
    }


def _specific(
    facts: ResourceFacts, module: str, kind: str, name: str
) -> tuple[str, dict[str, Any]]:
    """Ids and outputs for the types whose shape dependents rely on."""
    ctx = facts.context
    h = digest(facts.type, facts.urn)
    if module == "s3" and kind in {"Bucket", "BucketV2"}:
        return name, _s3_bucket(facts, name)
    if module == "ec2" and kind in _EC2_PREFIX:
        rid = f"{_EC2_PREFIX[kind]}-{h}"
        return rid, {"arn": _arn(facts, "ec2", f"{kind.lower()}/{rid}"), "ownerId": ctx.account_id}
    if module == "iam":
        segment = {
            "Role": "role",
            "Policy": "policy",
            "InstanceProfile": "instance-profile",
            "User": "user",
            "Group": "group",
        }.get(kind)
        if segment:
            path = facts.inputs.get("path") or "/"
            outputs: dict[str, Any] = {
                "arn": _arn(facts, "iam", f"{segment}{path}{name}", region=False),
                "name": name,
                "uniqueId": f"ARO{h.upper()}",
            }
            return name, outputs
    if module in {"lb", "alb", "elb"} and kind == "LoadBalancer":
        load_balancer_type = facts.inputs.get("loadBalancerType") or "application"
        kind_code = {"application": "app", "network": "net", "gateway": "gwy"}.get(
            str(load_balancer_type), "app"
        )
        short = name[:32]
        arn = _arn(facts, "elasticloadbalancing", f"loadbalancer/{kind_code}/{short}/{h[:16]}")
        scheme = "internal-" if facts.inputs.get("internal") else ""
        dns = f"{scheme}{short}-{h[:10]}.{facts.region}.elb.amazonaws.com"
        return arn, {
            "arn": arn,
            "arnSuffix": arn.split(":loadbalancer/", 1)[1],
            "dnsName": dns,
            "zoneId": "Z14GRHDCWA56QT",
        }
    if module in {"lb", "alb"} and kind == "TargetGroup":
        arn = _arn(facts, "elasticloadbalancing", f"targetgroup/{name[:32]}/{h[:16]}")
        return arn, {"arn": arn, "arnSuffix": arn.split(":", 5)[5]}
    if module == "backup" and kind == "Vault":  # the id is the name; ARNs use backup-vault:
        return name, {"arn": _arn(facts, "backup", f"backup-vault:{name}"), "name": name}
    if module == "acm" and kind == "Certificate":
        cert_id = _uuid(facts.urn)
        return _arn(facts, "acm", f"certificate/{cert_id}"), {
            "arn": _arn(facts, "acm", f"certificate/{cert_id}"),
            "domainName": facts.inputs.get("domainName"),
            "status": "PENDING_VALIDATION",
        }
    if module == "kms" and kind == "Key":
        key_id = _uuid(facts.urn)
        return key_id, {"arn": _arn(facts, "kms", f"key/{key_id}"), "keyId": key_id}
    if module == "kms" and kind == "Alias":
        return name, {
            "arn": _arn(facts, "kms", name),
            "targetKeyArn": facts.inputs.get("targetKeyId"),
        }
    if module == "sns" and kind == "Topic":
        arn = _arn(facts, "sns", name)
        return arn, {"arn": arn, "name": name}
    if module == "sqs" and kind == "Queue":
        url = f"https://sqs.{facts.region}.amazonaws.com/{ctx.account_id}/{name}"
        return url, {"arn": _arn(facts, "sqs", name), "url": url, "name": name}
    if module == "cloudwatch" and kind == "LogGroup":
        return name, {"arn": _arn(facts, "logs", f"log-group:{name}"), "name": name}
    if module == "lambda" and kind == "Function":
        arn = _arn(facts, "lambda", f"function:{name}")
        invoke = (
            f"arn:{ctx.partition}:apigateway:{facts.region}:lambda:path/2015-03-31/functions/"
            f"{arn}/invocations"
        )
        return name, {
            "arn": arn,
            "invokeArn": invoke,
            "qualifiedArn": f"{arn}:$LATEST",
            "version": "$LATEST",
        }
    if module in {"apigateway", "apigatewayv2"} and kind in {"RestApi", "Api"}:
        api_id = h[:10]
        return api_id, {
            "arn": f"arn:{ctx.partition}:apigateway:{facts.region}::/{'restapis' if kind == 'RestApi' else 'apis'}/{api_id}",
            "executionArn": _arn(facts, "execute-api", api_id),
            "apiEndpoint": f"https://{api_id}.execute-api.{facts.region}.amazonaws.com",
            "rootResourceId": h[10:16],
        }
    if module == "cloudfront" and kind == "Distribution":
        dist_id = "E" + h[:13].upper()
        return dist_id, {
            "arn": f"arn:{ctx.partition}:cloudfront::{ctx.account_id}:distribution/{dist_id}",
            "domainName": f"d{h[:13]}.cloudfront.net",
            "hostedZoneId": "Z2FDTNDATAQYW2",
            "etag": h[:13].upper(),
        }
    if module == "wafv2" and kind in {"WebAcl", "IpSet", "RuleGroup", "RegexPatternSet"}:
        scope = facts.inputs.get("scope", "REGIONAL")
        segment = {"WebAcl": "webacl", "IpSet": "ipset", "RuleGroup": "rulegroup"}.get(
            kind, "regexpatternset"
        )
        uid = _uuid(facts.urn)
        where = "global" if scope == "CLOUDFRONT" else "regional"
        region = GLOBAL_CONTROL_REGION if scope == "CLOUDFRONT" else facts.region
        arn = f"arn:{ctx.partition}:wafv2:{region}:{ctx.account_id}:{where}/{segment}/{name}/{uid}"
        return uid, {"arn": arn, "name": name, "capacity": 0}
    if module == "guardduty" and kind == "Detector":
        return h[:32].ljust(32, "0"), {
            "accountId": ctx.account_id,
            "arn": _arn(facts, "guardduty", f"detector/{h[:32]}"),
        }
    if module == "detective" and kind == "Graph":
        arn = _arn(facts, "detective", f"graph:{h[:32]}")
        return arn, {"graphArn": arn}
    if module == "securityhub" and kind == "Account":
        return ctx.account_id, {"arn": _arn(facts, "securityhub", "hub/default")}
    if module == "securityhub" and kind == "FindingAggregator":
        return _arn(facts, "securityhub", f"finding-aggregator/{_uuid(facts.urn)}"), {}
    if module == "ecs" and kind == "Cluster":
        return _arn(facts, "ecs", f"cluster/{name}"), {
            "arn": _arn(facts, "ecs", f"cluster/{name}"),
            "name": name,
        }
    if module == "ecs" and kind == "TaskDefinition":
        arn = _arn(facts, "ecs", f"task-definition/{name}:1")
        return name, {"arn": arn, "revision": 1, "arnWithoutRevision": arn.rsplit(":", 1)[0]}
    if module == "cloudwatch" and kind in {"EventRule", "EventBus"}:
        segment = "rule" if kind == "EventRule" else "event-bus"
        bus = facts.inputs.get("eventBusName")
        path = f"{bus}/{name}" if kind == "EventRule" and bus and bus != "default" else name
        return name, {"arn": _arn(facts, "events", f"{segment}/{path}"), "name": name}
    if module == "rds" and kind in {"Instance", "Cluster"}:
        segment = "db" if kind == "Instance" else "cluster"
        host = f"{name}.{h[:12]}.{facts.region}.rds.amazonaws.com"
        return name, {
            "arn": _arn(facts, "rds", f"{segment}:{name}"),
            "endpoint": f"{host}:5432",
            "address": host,
            "resourceId": f"db-{h.upper()}",
            "clusterResourceId": f"cluster-{h.upper()}",
            "masterUserSecrets": [
                {"secretArn": _arn(facts, "secretsmanager", f"secret:rds!{name}-{h[:6]}")}
            ],
        }
    if module == "organizations" and kind == "Organization":
        org = ctx.organization_id
        return org, {
            "arn": f"arn:{ctx.partition}:organizations::{ctx.management_account_id}:organization/{org}",
            "masterAccountId": ctx.management_account_id,
            "roots": [
                {
                    "id": f"r-{h[:4]}",
                    "arn": f"arn:{ctx.partition}:organizations::{ctx.management_account_id}:root/{org}/r-{h[:4]}",
                    "name": "Root",
                }
            ],
        }
    if module == "organizations" and kind == "OrganizationalUnit":
        ou = f"ou-{h[:4]}-{h[4:12]}"
        return ou, {
            "arn": f"arn:{ctx.partition}:organizations::{ctx.management_account_id}:ou/{ctx.organization_id}/{ou}"
        }
    if module == "organizations" and kind == "Policy":
        pid = f"p-{h[:8]}"
        return pid, {
            "arn": f"arn:{ctx.partition}:organizations::{ctx.management_account_id}:policy/{ctx.organization_id}/service_control_policy/{pid}"
        }
    if module == "detective" and kind == "Graph":
        arn = _arn(facts, "detective", f"graph:{h[:32]}")
        return arn, {"graphArn": arn}
    if module == "cloudtrail" and kind == "Trail":
        return name, {"arn": _arn(facts, "cloudtrail", f"trail/{name}"), "homeRegion": facts.region}
    return "", {}


def fabricate(facts: ResourceFacts) -> FabricatedResource:
    """The id and outputs a provider would plausibly return for this resource."""
    package, module, kind = split_type(facts.type)
    outputs: dict[str, Any] = dict(facts.inputs)
    if package != "aws":
        return FabricatedResource(id=f"{facts.name}-{digest(facts.urn, length=8)}", outputs=outputs)
    name = physical_name(facts)
    rid, specific = _specific(facts, module, kind, name)
    if not rid:
        rid = name
        service = _ARN_SERVICE.get(module, module)
        kind_segment = kind[0].lower() + kind[1:]
        specific = {
            "arn": _arn(
                facts, service, f"{kind_segment}/{name}", region=module not in _GLOBAL_MODULES
            )
        }
    outputs.setdefault("name", name)
    outputs.update(specific)
    if not is_global(facts.type):
        outputs.setdefault("region", facts.region)
    if "tags" in facts.inputs:
        outputs["tagsAll"] = {
            **facts.extra.get("default_tags", {}),
            **(facts.inputs.get("tags") or {}),
        }
    return FabricatedResource(id=rid, outputs=outputs)


# --- invokes -----------------------------------------------------------------------------


def _caller_identity(_: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    return {
        "accountId": ctx.account_id,
        "arn": f"arn:{ctx.partition}:sts::{ctx.account_id}:assumed-role/secbaseline-offline/offline",
        "userId": "AROAOFFLINEENGINE:offline",
        "id": ctx.account_id,
    }


def _partition(_: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    return {
        "partition": ctx.partition,
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": ctx.partition,
    }


def _region(args: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    region = args.get("region") or args.get("name") or ctx.home_region
    return {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    }


def _regions(args: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    from secbaseline.baseline.regions import COMMERCIAL_REGIONS

    names = sorted(COMMERCIAL_REGIONS) if args.get("allRegions") else sorted(ctx.enabled_regions)
    return {"names": names, "id": ctx.partition, "allRegions": bool(args.get("allRegions"))}


def _availability_zones(args: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    region = args.get("region") or ctx.home_region
    letters = ("a", "b", "c")
    return {
        "names": [f"{region}{x}" for x in letters],
        "zoneIds": [f"{region[:3]}{region.split('-')[-1]}-az{i}" for i in (1, 2, 3)],
        "groupNames": [region] * 3,
        "id": region,
        "state": args.get("state"),
    }


_PUBLIC_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/"


def _ssm_parameter(args: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    name = str(args.get("name", ""))
    region = args.get("region") or ctx.home_region
    if not name.startswith(_PUBLIC_AMI_PARAMETER) and not name.startswith(
        "/aws/service/ami-windows-latest/"
    ):
        raise UnansweredInvokeError(
            f"offline engine: no answer for SSM parameter {name!r} (only AWS public AMI "
            "parameters are built in); answer it in a --mocks file under invokes: "
            f"{{'aws:ssm/getParameter:getParameter': {{value: ...}}}} ({MOCKS_HELP})"
        )
    value = f"ami-{digest(name, region)}"
    return {
        "name": name,
        "value": value,
        "insecureValue": value,
        "type": "String",
        "version": 1,
        "arn": f"arn:{ctx.partition}:ssm:{region}::parameter{name}",
        "id": name,
        "withDecryption": args.get("withDecryption", True),
    }


def _organization(_: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    return {
        "id": ctx.organization_id,
        "arn": f"arn:{ctx.partition}:organizations::{ctx.management_account_id}:organization/{ctx.organization_id}",
        "masterAccountId": ctx.management_account_id,
        "featureSet": "ALL",
        # What an adopted organization typically has on already (IAM Identity Center, tag
        # policies): adopting it must keep them.
        "awsServiceAccessPrincipals": ["sso.amazonaws.com"],
        "enabledPolicyTypes": ["SERVICE_CONTROL_POLICY", "TAG_POLICY"],
        "roots": [
            {
                "id": "r-ex01",
                "name": "Root",
                "arn": f"arn:{ctx.partition}:organizations::{ctx.management_account_id}:root/{ctx.organization_id}/r-ex01",
                "policyTypes": [],
            }
        ],
    }


INVOKES: dict[str, Callable[[Mapping[str, Any], AccountContext], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getRegions:getRegions": _regions,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    "aws:organizations/getOrganization:getOrganization": _organization,
}


def answer_invoke(token: str, args: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    """Answer an invoke, or raise naming the token."""
    answer = ctx.answers.invoke(token)
    if answer is not None:
        return answer
    handler = INVOKES.get(token)
    if handler is None:
        raise UnansweredInvokeError(
            f"offline engine: no answer for invoke {token!r}; answer it in a --mocks file "
            f"under invokes: {{{token!r}: {{field: value}}}} ({MOCKS_HELP})"
        )
    return handler(args, ctx)
