"""A Lambda function reachable only through API Gateway, traced, throttled and access-logged.

Checklist: S-05 (Lambda exposed only through API Gateway; only this API may invoke it).
No function URL is ever created; the invoke permission names this API's execution ARN.
"""

import json
import os
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.components._log_encryption import log_group, logs_key, retention

TYPE_TOKEN = "secbaseline:index:ApiFunction"


class ApiType(StrEnum):
    """Which API Gateway fronts the function."""

    HTTP = "HTTP"
    """API Gateway v2 HTTP API: cheaper, JWT authorizers; no AWS WAF association."""
    REST = "REST"
    """API Gateway v1 REST API: AWS WAF association, X-Ray on the stage."""


class Authorizer(StrEnum):
    """Who may call the API."""

    IAM = "IAM"
    """Only callers that sign requests with AWS credentials allowed ``execute-api:Invoke``."""
    JWT = "JWT"
    """Bearer tokens of an identity provider (HTTP APIs only; needs issuer and audience)."""
    NONE = "NONE"
    """Opt-out: a public, unauthenticated API (throttling and WAF still apply)."""


class Runtime(StrEnum):
    """Lambda runtime of the function."""

    PYTHON_3_13 = "python3.13"
    """Python 3.13."""
    PYTHON_3_12 = "python3.12"
    """Python 3.12."""
    PYTHON_3_11 = "python3.11"
    """Python 3.11."""
    NODEJS_22 = "nodejs22.x"
    """Node.js 22."""
    NODEJS_20 = "nodejs20.x"
    """Node.js 20."""


API_TYPES = tuple(t.value for t in ApiType)
AUTHORIZERS = tuple(a.value for a in Authorizer)
RUNTIMES = tuple(r.value for r in Runtime)
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
_ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def _code_path(field: str, value: str) -> str:
    if not os.path.isdir(value):
        raise ValueError(f"{field}: {value!r} is not a directory")
    return value


def _inline_handler(field: str, value: str) -> str:
    if not value.strip():
        raise ValueError(f"{field}: is empty")
    return value


def _handler(field: str, value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_./-]+\.[A-Za-z0-9_]+", value):
        raise ValueError(f"{field}: {value!r} is not module.function")
    return value


def _environment(field: str, value: Mapping[str, Any]) -> Mapping[str, Any]:
    """Variable names Lambda accepts (values may be Outputs: Lambda checks nothing else)."""
    for key, item in value.items():
        if not _ENV_NAME.fullmatch(key) or key in _RESERVED_ENV:
            raise ValueError(
                f"{field}: {key!r} is not a variable name Lambda accepts (letters, digits and "
                "'_', starting with a letter; not a reserved AWS_/LAMBDA_ name)"
            )
        if isinstance(item, str) and len(item) > 4096:
            raise ValueError(f"{field}: the value of {key!r} is longer than 4 KB")
    return value


def _jwt_issuer(field: str, value: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https://[^\s/]+(/\S*)?", value):
        raise ValueError(f"{field}: {value!r} is not an https:// issuer URL")
    return value


def _audience(field: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: {value!r} is not an audience (a client id)")
    return value


def _regional_web_acl(field: str, value: str) -> str:
    validate.arn(field, value, service="wafv2")
    if ":regional/webacl/" not in value:
        raise ValueError(f"{field}: {value!r} is not a REGIONAL web ACL")
    return value


@component_args
class ApiFunctionArgs(ComponentArgs):
    """Inputs of :class:`ApiFunction`. With no arguments: the bundled hello handler, HTTP API."""

    code_path: str | None = arg(default=None, check=_code_path)
    """Directory with the function code (packaged with ``pulumi.FileArchive``)."""
    inline_handler: str | None = arg(default=None, check=_inline_handler)
    """Python source of ``handler.py`` (packaged with ``pulumi.AssetArchive``)."""
    handler: str = arg(default="handler.handler", check=_handler)
    """Entry point (``module.function``)."""
    runtime: Runtime = Runtime.PYTHON_3_12
    """Lambda runtime."""
    memory_mb: int = arg(default=256, ge=128, le=10240)
    """Memory, 128-10240 MB."""
    timeout_seconds: int = arg(default=10, ge=1, le=29)
    """Timeout, 1-29 seconds (API Gateway's integration limit)."""
    environment: Mapping[str, pulumi.Input[str]] = arg(default_factory=dict, check=_environment)
    """Environment variables, e.g. the name of a table or bucket built in the same program
    (never secrets: read those from Secrets Manager at run time)."""
    api_type: ApiType = ApiType.HTTP
    """HTTP (API Gateway v2, cheaper) or REST (v1; needed for WAF association)."""
    authorizer: Authorizer = Authorizer.IAM
    """IAM (SigV4-signed callers, the default), JWT (HTTP API only; needs jwt_issuer/audience)
    or NONE (opt-out: a public, unauthenticated API)."""
    jwt_issuer: pulumi.Input[str] | None = arg(default=None, check=_jwt_issuer)
    """JWT issuer URL (https://...), e.g. a Cognito user pool's."""
    jwt_audience: Sequence[pulumi.Input[str]] = arg(default_factory=list, each=_audience)
    """Accepted JWT audiences (client ids, e.g. a user pool client's id)."""
    throttling_burst_limit: int = arg(default=100, ge=1, le=5000)
    """Stage burst limit, 1-5000 requests."""
    throttling_rate_limit: int = arg(default=50, ge=1, le=10000)
    """Stage steady-state limit, 1-10000 requests per second."""
    waf_web_acl_arn: pulumi.Input[str] | None = arg(default=None, check=_regional_web_acl)
    """REGIONAL WAFv2 web ACL to associate with the REST stage (REST only), e.g. the
    ``regional_web_acl`` of an ``EdgeProtection`` or one of your own."""
    log_retention_days: int = arg(default=365, check=retention)
    """Retention of the function and access log groups (a CloudWatch Logs retention value)."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Customer KMS key for the log groups (its policy must let CloudWatch Logs in the
    function's region use it); None creates one."""
    rest_account_logging_role: bool = True
    """REST only: create the regional API Gateway account role that lets stages write access
    logs (an account-wide setting; turn off when another stack manages it)."""
    region: str | None = arg(default=None, check=validate.region)
    """Region of the function and API; None uses the provider's region."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the function, API, stage, roles, key and log groups."""

    def __post_init__(self) -> None:
        if self.code_path is not None and self.inline_handler is not None:
            raise ValueError("inline_handler: give either code_path or inline_handler")
        if self.authorizer == Authorizer.JWT:
            if self.api_type != ApiType.HTTP:
                raise ValueError("authorizer: JWT authorizers exist only on HTTP APIs")
            if self.jwt_issuer is None:
                raise ValueError("jwt_issuer: JWT needs an https:// issuer URL")
            if not self.jwt_audience:
                raise ValueError("jwt_audience: JWT needs at least one audience")
        if self.waf_web_acl_arn is not None and self.api_type != ApiType.REST:
            raise ValueError("waf_web_acl_arn: AWS WAF protects REST APIs, not HTTP APIs")

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
    kms_key: aws.kms.Key | None
    """The key created for the log groups (None with a given ``kms_key_arn``)."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts the log groups."""

    def __init__(
        self,
        name: str,
        args: ApiFunctionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = ApiFunctionArgs.coerce(args)
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

        self.kms_key = None
        if args.kms_key_arn is None:
            self.kms_key = logs_key(f"{name}-logs-key", self, region, account_id, tags=tags)
            self.kms_key_arn = self.kms_key.arn
        else:
            self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)
        self.function_log_group = log_group(
            f"{name}-function-logs",
            self,
            key_arn=self.kms_key_arn,
            retention_days=args.log_retention_days,
            region=region,
            tags=tags,
        )
        self.access_log_group = log_group(
            f"{name}-access-logs",
            self,
            key_arn=self.kms_key_arn,
            retention_days=args.log_retention_days,
            region=region,
            tags=tags,
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
            runtime=args.runtime.value,
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
                "kmsKeyArn": self.kms_key_arn,
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
            authorization_type={"NONE": "NONE", "IAM": "AWS_IAM", "JWT": "JWT"}[
                args.authorizer.value
            ],
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
        if args.waf_web_acl_arn is not None:
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
            tags=dict(args.tags) or None,
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
