"""A Lambda function reachable only through API Gateway, traced, throttled and access-logged.

Checklist: S-05 (Lambda exposed only through API Gateway; only this API may invoke it).
No function URL is ever created; the invoke permission names this API's execution ARN.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.components._log_encryption import log_group, logs_key, retention

TYPE_TOKEN = "secbaseline:index:ApiFunction"
API_TYPES = ("HTTP", "REST")
AUTHORIZERS = ("NONE", "IAM", "JWT")
RUNTIMES = ("python3.13", "python3.12", "python3.11", "nodejs22.x", "nodejs20.x")
DEFAULT_CODE = Path(__file__).parent / "lambdas" / "api_hello"
REST_STAGE = "prod"
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
}
API_KEYS = frozenset(
    {
        "enabled",
        "codePath",
        "inlineHandler",
        "handler",
        "runtime",
        "memoryMb",
        "timeoutSeconds",
        "environment",
        "apiType",
        "authorizer",
        "jwtIssuer",
        "jwtAudience",
        "throttlingBurstLimit",
        "throttlingRateLimit",
        "wafWebAclArn",
        "logRetentionDays",
        "restAccountLoggingRole",
        "region",
        "tags",
    }
)


@dataclass
class ApiFunctionArgs:
    """Inputs of :class:`ApiFunction`. With no arguments: the bundled hello handler, HTTP API."""

    code_path: str | None = None
    """Directory with the function code (packaged with ``pulumi.FileArchive``)."""
    inline_handler: str | None = None
    """Python source of ``handler.py`` (packaged with ``pulumi.AssetArchive``)."""
    handler: str = "handler.handler"
    """Entry point (``module.function``)."""
    runtime: str = "python3.12"
    """Lambda runtime."""
    memory_mb: int = 256
    """Memory, 128-10240 MB."""
    timeout_seconds: int = 10
    """Timeout, 1-29 seconds (API Gateway's integration limit)."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Environment variables (never secrets: read those from Secrets Manager at run time)."""
    api_type: str = "HTTP"
    """HTTP (API Gateway v2, cheaper) or REST (v1; needed for WAF association)."""
    authorizer: str = "IAM"
    """IAM (SigV4-signed callers, the default), JWT (HTTP API only; needs jwt_issuer/audience)
    or NONE (opt-out: a public, unauthenticated API)."""
    jwt_issuer: str | None = None
    """JWT issuer URL (https://...), e.g. a Cognito user pool."""
    jwt_audience: Sequence[str] = ()
    """Accepted JWT audiences (client ids)."""
    throttling_burst_limit: int = 100
    """Stage burst limit, 1-5000 requests."""
    throttling_rate_limit: int = 50
    """Stage steady-state limit, 1-10000 requests per second."""
    waf_web_acl_arn: str | None = None
    """REGIONAL WAFv2 web ACL to associate with the REST stage (REST only)."""
    log_retention_days: int = 365
    """Retention of the function and access log groups."""
    rest_account_logging_role: bool = True
    """REST only: create the regional API Gateway account role that lets stages write access
    logs (an account-wide setting; turn off when another stack manages it)."""
    region: str | None = None
    """Region of the function and API; None uses the provider's region."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the function, API and log groups."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        if self.code_path is not None and self.inline_handler is not None:
            raise ValueError("api.inlineHandler: give either codePath or inlineHandler")
        if self.code_path is not None and not os.path.isdir(self.code_path):
            raise ValueError(f"api.codePath: {self.code_path!r} is not a directory")
        if self.inline_handler is not None and not self.inline_handler.strip():
            raise ValueError("api.inlineHandler: is empty")
        if not re.fullmatch(r"[A-Za-z0-9_./-]+\.[A-Za-z0-9_]+", self.handler):
            raise ValueError(f"api.handler: {self.handler!r} is not module.function")
        validate.one_of("api.runtime", self.runtime, RUNTIMES)
        validate.int_range("api.memoryMb", self.memory_mb, 128, 10240)
        validate.int_range("api.timeoutSeconds", self.timeout_seconds, 1, 29)
        validate.tags("api.environment", dict(self.environment))
        validate.one_of("api.apiType", self.api_type, API_TYPES)
        validate.one_of("api.authorizer", self.authorizer, AUTHORIZERS)
        if self.authorizer == "JWT":
            if self.api_type != "HTTP":
                raise ValueError("api.authorizer: JWT authorizers exist only on HTTP APIs")
            if not self.jwt_issuer or not self.jwt_issuer.startswith("https://"):
                raise ValueError("api.jwtIssuer: JWT needs an https:// issuer URL")
            if not self.jwt_audience:
                raise ValueError("api.jwtAudience: JWT needs at least one audience")
        validate.int_range("api.throttlingBurstLimit", self.throttling_burst_limit, 1, 5000)
        validate.int_range("api.throttlingRateLimit", self.throttling_rate_limit, 1, 10000)
        if self.waf_web_acl_arn is not None:
            validate.arn("api.wafWebAclArn", self.waf_web_acl_arn, service="wafv2")
            if self.api_type != "REST":
                raise ValueError("api.wafWebAclArn: AWS WAF protects REST APIs, not HTTP APIs")
            if ":regional/webacl/" not in self.waf_web_acl_arn:
                raise ValueError("api.wafWebAclArn: must be a REGIONAL web ACL")
        retention("api.logRetentionDays", self.log_retention_days)
        validate.boolean("api.restAccountLoggingRole", self.rest_account_logging_role)
        if self.region is not None:
            validate.region("api.region", self.region)
        validate.tags("api.tags", dict(self.tags))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ApiFunctionArgs:
        """Build from the ``api`` config section (``enabled`` is read by the tier)."""
        raw = validate.known_keys("api", section, API_KEYS)
        defaults = cls()

        def text(key: str) -> str | None:
            value = raw.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"api.{key}: expected a string, got {value!r}")
            return value

        def integer(key: str, default: int) -> int:
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"api.{key}: {value!r} is not an integer")
            return value

        audience = raw.get("jwtAudience", ())
        if isinstance(audience, str) or not isinstance(audience, Sequence):
            raise ValueError("api.jwtAudience: expected a list of audiences")
        args = cls(
            code_path=text("codePath"),
            inline_handler=text("inlineHandler"),
            handler=text("handler") or defaults.handler,
            runtime=text("runtime") or defaults.runtime,
            memory_mb=integer("memoryMb", defaults.memory_mb),
            timeout_seconds=integer("timeoutSeconds", defaults.timeout_seconds),
            environment=validate.tags("api.environment", raw.get("environment", {})),
            api_type=text("apiType") or defaults.api_type,
            authorizer=text("authorizer") or defaults.authorizer,
            jwt_issuer=text("jwtIssuer"),
            jwt_audience=tuple(str(a) for a in audience),
            throttling_burst_limit=integer("throttlingBurstLimit", 100),
            throttling_rate_limit=integer("throttlingRateLimit", 50),
            waf_web_acl_arn=text("wafWebAclArn"),
            log_retention_days=integer("logRetentionDays", 365),
            rest_account_logging_role=validate.boolean(
                "api.restAccountLoggingRole", raw.get("restAccountLoggingRole", True)
            ),
            region=text("region"),
            tags=validate.tags("api.tags", raw.get("tags", {})),
        )
        args.validate()
        return args

    def archive(self) -> pulumi.Archive:
        """The function's code package."""
        if self.inline_handler is not None:
            module = self.handler.rsplit(".", 1)[0].replace(".", "/")
            return pulumi.AssetArchive({f"{module}.py": pulumi.StringAsset(self.inline_handler)})
        return pulumi.FileArchive(self.code_path or str(DEFAULT_CODE))


class ApiFunction(pulumi.ComponentResource):
    """Lambda behind API Gateway only: scoped invoke permission, tracing, throttling, logs."""

    function: aws.lambda_.Function
    """The function."""
    role: aws.iam.Role
    """The function's own least-privilege role."""
    execution_arn: pulumi.Output[str]
    """The API's execution ARN (the invoke permission's source)."""
    url: pulumi.Output[str]
    """The API's invoke URL."""
    function_log_group: aws.cloudwatch.LogGroup
    """The function's log group."""
    access_log_group: aws.cloudwatch.LogGroup
    """The stage's access log group."""

    def __init__(
        self,
        name: str,
        args: ApiFunctionArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or ApiFunctionArgs()
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None
        region: pulumi.Input[str] = (
            args.region
            or aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        )
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id

        key = logs_key(f"{name}-logs-key", self, region, account_id)
        self.function_log_group = log_group(
            f"{name}-function-logs",
            self,
            key_arn=key.arn,
            retention_days=args.log_retention_days,
            region=region,
        )
        self.access_log_group = log_group(
            f"{name}-access-logs",
            self,
            key_arn=key.arn,
            retention_days=args.log_retention_days,
            region=region,
        )

        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"Runs the {name} API function",
            assume_role_policy=iam.service_assume_role_policy("lambda.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=self.role.id,
            policy=iam.dumps(
                [
                    {
                        "Sid": "WriteOwnLogs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": pulumi.Output.concat(self.function_log_group.arn, ":*"),
                    },
                    {
                        "Sid": "XRayTracing",
                        "Effect": "Allow",
                        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                        # X-Ray has no resource-level permissions for these actions: AWS requires "*".
                        "Resource": "*",
                    },
                ]
            ),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            role=self.role.arn,
            runtime=args.runtime,
            handler=args.handler,
            code=args.archive(),
            architectures=["arm64"],
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            environment={"variables": dict(args.environment)} if args.environment else None,
            tracing_config={"mode": "Active"},
            logging_config={"log_format": "JSON", "log_group": self.function_log_group.name},
            region=args.region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

        if args.api_type == "HTTP":
            self._http_api(name, args, tags)
        else:
            self._rest_api(name, args, tags)

        aws.lambda_.Permission(
            f"{name}-invoke-from-api",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(self.execution_arn, "/*/*"),
            region=args.region,
            opts=child,
        )
        self.register_outputs(
            {
                "url": self.url,
                "functionArn": self.function.arn,
                "executionArn": self.execution_arn,
            }
        )

    def _access_log_format(self) -> str:
        return json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":"))

    def _http_api(self, name: str, args: ApiFunctionArgs, tags: dict[str, str] | None) -> None:
        child = pulumi.ResourceOptions(parent=self)
        api = aws.apigatewayv2.Api(
            f"{name}-api",
            protocol_type="HTTP",
            description=f"{name}: the only way to reach the function",
            region=args.region,
            tags=tags,
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=api.id,
            integration_type="AWS_PROXY",
            integration_uri=self.function.arn,
            payload_format_version="2.0",
            region=args.region,
            opts=child,
        )
        authorizer_id: pulumi.Output[str] | None = None
        if args.authorizer == "JWT":
            authorizer = aws.apigatewayv2.Authorizer(
                f"{name}-jwt",
                api_id=api.id,
                authorizer_type="JWT",
                identity_sources=["$request.header.Authorization"],
                jwt_configuration={
                    "issuer": args.jwt_issuer,
                    "audiences": list(args.jwt_audience),
                },
                region=args.region,
                opts=child,
            )
            authorizer_id = authorizer.id
        aws.apigatewayv2.Route(
            f"{name}-route",
            api_id=api.id,
            route_key="$default",
            target=pulumi.Output.concat("integrations/", integration.id),
            authorization_type={"NONE": "NONE", "IAM": "AWS_IAM", "JWT": "JWT"}[args.authorizer],
            authorizer_id=authorizer_id,
            region=args.region,
            opts=child,
        )
        stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=api.id,
            name="$default",
            auto_deploy=True,
            access_log_settings={
                "destination_arn": self.access_log_group.arn,
                "format": self._access_log_format(),
            },
            default_route_settings={
                "throttling_burst_limit": args.throttling_burst_limit,
                "throttling_rate_limit": args.throttling_rate_limit,
                "detailed_metrics_enabled": True,
            },
            region=args.region,
            tags=tags,
            opts=child,
        )
        self.execution_arn = api.execution_arn
        self.url = stage.invoke_url

    def _rest_api(self, name: str, args: ApiFunctionArgs, tags: dict[str, str] | None) -> None:
        child = pulumi.ResourceOptions(parent=self)
        api = aws.apigateway.RestApi(
            f"{name}-api",
            description=f"{name}: the only way to reach the function",
            endpoint_configuration={"types": "REGIONAL"},
            security_policy="TLS_1_2",
            region=args.region,
            tags=tags,
            opts=child,
        )
        proxy = aws.apigateway.Resource(
            f"{name}-proxy",
            rest_api=api.id,
            parent_id=api.root_resource_id,
            path_part="{proxy+}",
            region=args.region,
            opts=child,
        )
        authorization = "AWS_IAM" if args.authorizer == "IAM" else "NONE"
        dependencies: list[pulumi.CustomResource] = []
        for label, resource_id in (("root", api.root_resource_id), ("proxy", proxy.id)):
            method = aws.apigateway.Method(
                f"{name}-{label}-method",
                rest_api=api.id,
                resource_id=resource_id,
                http_method="ANY",
                authorization=authorization,
                region=args.region,
                opts=child,
            )
            integration = aws.apigateway.Integration(
                f"{name}-{label}-integration",
                rest_api=api.id,
                resource_id=resource_id,
                http_method=method.http_method,
                integration_http_method="POST",
                type="AWS_PROXY",
                uri=self.function.invoke_arn,
                region=args.region,
                opts=child,
            )
            dependencies += [method, integration]
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=api.id,
            triggers={"redeployment": pulumi.Output.json_dumps([d.id for d in dependencies])},
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=dependencies),
        )
        stage_dependencies: list[pulumi.Resource] = []
        if args.rest_account_logging_role:
            stage_dependencies.append(self._rest_account_logging(name, args))
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name=REST_STAGE,
            xray_tracing_enabled=True,
            access_log_settings={
                "destination_arn": self.access_log_group.arn,
                "format": self._access_log_format(),
            },
            region=args.region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=stage_dependencies),
        )
        aws.apigateway.MethodSettings(
            f"{name}-throttling",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings={
                "throttling_burst_limit": args.throttling_burst_limit,
                "throttling_rate_limit": args.throttling_rate_limit,
                "metrics_enabled": True,
            },
            region=args.region,
            opts=child,
        )
        if args.waf_web_acl_arn:
            aws.wafv2.WebAclAssociation(
                f"{name}-waf",
                resource_arn=stage.arn,
                web_acl_arn=args.waf_web_acl_arn,
                region=args.region,
                opts=child,
            )
        self.execution_arn = api.execution_arn
        self.url = stage.invoke_url

    def _rest_account_logging(self, name: str, args: ApiFunctionArgs) -> aws.apigateway.Account:
        """REST stages can only write access logs once the region's account role is set."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-apigateway-logging-role",
            description="API Gateway writes REST access logs to CloudWatch Logs",
            assume_role_policy=iam.service_assume_role_policy("apigateway.amazonaws.com"),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-apigateway-logging-policy",
            role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
            opts=child,
        )
        return aws.apigateway.Account(
            f"{name}-apigateway-account",
            cloudwatch_role_arn=role.arn,
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
