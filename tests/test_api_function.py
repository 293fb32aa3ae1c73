"""ApiFunction (S-05, S-06, S-31): Lambda reachable only through API Gateway."""

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pydantic.alias_generators import to_camel

from secbaseline.baseline.args import ArgumentError
from secbaseline.baseline.engine import OfflineEngineError, Plan, RecordedResource
from secbaseline.components.api_function import (
    ApiFunction,
    ApiFunctionArgs,
    ApiType,
    Authorizer,
    Runtime,
)
from tests.tagging import untagged

WAF = "arn:aws:wafv2:us-east-1:111111111111:regional/webacl/api/abc"


def build(run_program: Callable[..., Plan], args: ApiFunctionArgs | None = None) -> Plan:
    return run_program(lambda: ApiFunction("svc", args or ApiFunctionArgs()))


def named(plan: Plan, token: str, name: str) -> RecordedResource:
    return next(r for r in plan.of_type(token) if r.name == name)


def assert_function_basics(plan: Plan) -> RecordedResource:
    fn = plan.one("aws:lambda/function:Function")
    role = named(plan, "aws:iam/role:Role", "svc-role")
    group = named(plan, "aws:cloudwatch/logGroup:LogGroup", "svc-function-logs")
    key = plan.one("aws:kms/key:Key")
    assert fn.inputs["role"] == role.outputs["arn"]
    assert fn.inputs["tracingConfig"] == {"mode": "Active"}
    assert fn.inputs["loggingConfig"] == {"logFormat": "JSON", "logGroup": group.outputs["name"]}
    for log in plan.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert log.inputs["kmsKeyId"] == key.outputs["arn"]
        assert log.inputs["retentionInDays"] == 365
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    policy = json.loads(
        named(plan, "aws:iam/rolePolicy:RolePolicy", "svc-role-policy").inputs["policy"]
    )
    logs, xray = policy["Statement"]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == f"{group.outputs['arn']}:*"
    assert xray["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    assert xray["Resource"] == "*"
    assert plan.of_type("aws:lambda/functionUrl:FunctionUrl") == []
    return fn


def test_http_api_defaults(run_program: Callable[..., Plan]) -> None:
    plan = build(run_program)
    fn = assert_function_basics(plan)
    api = plan.one("aws:apigatewayv2/api:Api")
    assert api.inputs["protocolType"] == "HTTP"
    permission = plan.one("aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "apigateway.amazonaws.com"
    assert permission.inputs["function"] == fn.outputs["name"]
    assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/*/*"
    assert permission.inputs["sourceArn"].startswith("arn:aws:execute-api:us-east-1:111111111111:")
    integration = plan.one("aws:apigatewayv2/integration:Integration")
    assert integration.inputs["integrationType"] == "AWS_PROXY"
    assert integration.inputs["integrationUri"] == fn.outputs["arn"]
    route = plan.one("aws:apigatewayv2/route:Route")
    # Secure by default: only SigV4-signed (IAM) callers.
    assert route.inputs["authorizationType"] == "AWS_IAM"
    assert route.inputs["target"] == f"integrations/{integration.id}"
    stage = plan.one("aws:apigatewayv2/stage:Stage")
    access = named(plan, "aws:cloudwatch/logGroup:LogGroup", "svc-access-logs")
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access.outputs["arn"]
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["ip"] == (
        "$context.identity.sourceIp"
    )
    assert stage.inputs["defaultRouteSettings"] == {
        "throttlingBurstLimit": 100,
        "throttlingRateLimit": 50,
        "detailedMetricsEnabled": True,
    }
    assert plan.of_type("aws:apigatewayv2/authorizer:Authorizer") == []


def test_http_api_jwt(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        ApiFunctionArgs(
            authorizer="JWT",
            jwt_issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
            jwt_audience=["client"],
            inline_handler="def handler(event, context):\n    return {'statusCode': 204}\n",
        ),
    )
    authorizer = plan.one("aws:apigatewayv2/authorizer:Authorizer")
    assert authorizer.inputs["authorizerType"] == "JWT"
    assert authorizer.inputs["jwtConfiguration"] == {
        "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
        "audiences": ["client"],
    }
    route = plan.one("aws:apigatewayv2/route:Route")
    assert route.inputs["authorizationType"] == "JWT"
    assert route.inputs["authorizerId"] == authorizer.id


def test_rest_api_iam_waf(run_program: Callable[..., Plan]) -> None:
    plan = build(
        run_program,
        ApiFunctionArgs(api_type="REST", authorizer="IAM", waf_web_acl_arn=WAF),
    )
    fn = assert_function_basics(plan)
    api = plan.one("aws:apigateway/restApi:RestApi")
    assert api.inputs["endpointConfiguration"] == {"types": "REGIONAL"}
    assert api.inputs["securityPolicy"] == "TLS_1_2"
    methods = plan.of_type("aws:apigateway/method:Method")
    assert len(methods) == 2 and all(m.inputs["authorization"] == "AWS_IAM" for m in methods)
    for integration in plan.of_type("aws:apigateway/integration:Integration"):
        assert integration.inputs["type"] == "AWS_PROXY"
        assert integration.inputs["uri"] == fn.outputs["invokeArn"]
    permission = plan.one("aws:lambda/permission:Permission")
    assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/*/*"
    stage = plan.one("aws:apigateway/stage:Stage")
    assert stage.inputs["xrayTracingEnabled"] is True
    access = named(plan, "aws:cloudwatch/logGroup:LogGroup", "svc-access-logs")
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access.outputs["arn"]
    settings = plan.one("aws:apigateway/methodSettings:MethodSettings")
    assert settings.inputs["methodPath"] == "*/*"
    assert settings.inputs["settings"]["throttlingBurstLimit"] == 100
    assert settings.inputs["settings"]["throttlingRateLimit"] == 50
    association = plan.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["webAclArn"] == WAF
    assert association.inputs["resourceArn"] == stage.outputs["arn"]
    account = plan.one("aws:apigateway/account:Account")
    logging_role = named(plan, "aws:iam/role:Role", "svc-apigateway-logging-role")
    assert account.inputs["cloudwatchRoleArn"] == logging_role.outputs["arn"]


def test_code_path_and_no_account_role(run_program: Callable[..., Plan], tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_text("def handler(e, c):\n    return {}\n")
    plan = build(
        run_program,
        ApiFunctionArgs(code_path=str(tmp_path), api_type="REST", rest_account_logging_role=False),
    )
    assert plan.of_type("aws:apigateway/account:Account") == []
    assert plan.of_type("aws:wafv2/webAclAssociation:WebAclAssociation") == []
    methods = plan.of_type("aws:apigateway/method:Method")
    assert methods and all(m.inputs["authorization"] == "AWS_IAM" for m in methods)


@pytest.mark.parametrize("api_type", ["HTTP", "REST"])
def test_public_api_is_an_explicit_opt_out(run_program: Callable[..., Plan], api_type: str) -> None:
    plan = build(run_program, ApiFunctionArgs(api_type=api_type, authorizer="NONE"))
    if api_type == "HTTP":
        assert plan.one("aws:apigatewayv2/route:Route").inputs["authorizationType"] == "NONE"
    else:
        methods = plan.of_type("aws:apigateway/method:Method")
        assert methods and all(m.inputs["authorization"] == "NONE" for m in methods)


def test_archive_choices(tmp_path: Path) -> None:
    inline = ApiFunctionArgs(inline_handler="x = 1\n", handler="app.main").archive()
    assert isinstance(inline, pulumi.AssetArchive)
    assert set(inline.assets) == {"app.py"}
    given = ApiFunctionArgs(code_path=str(tmp_path)).archive()
    assert isinstance(given, pulumi.FileArchive) and given.path == str(tmp_path)
    default = ApiFunctionArgs().archive()
    assert isinstance(default, pulumi.FileArchive)
    assert Path(default.path, "handler.py").is_file()


def test_default_handler_answers() -> None:
    from secbaseline.components.lambdas.api_hello.handler import handler

    response = handler({}, None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"message": "hello from a secure API function"}


def test_from_config() -> None:
    args = ApiFunctionArgs.from_config(
        "api", {"apiType": "REST", "throttlingRateLimit": 10, "environment": {"A": "b"}}
    )
    assert args.api_type == ApiType.REST and args.throttling_rate_limit == 10
    assert args.environment == {"A": "b"}
    assert args.authorizer == Authorizer.IAM
    assert ApiFunctionArgs.from_config("api", {"authorizer": "NONE"}).authorizer == "NONE"
    assert ApiFunctionArgs.from_config("api", {"runtime": "nodejs22.x"}).runtime == (
        Runtime.NODEJS_22
    )
    assert ApiFunctionArgs.from_config("api", {}) == ApiFunctionArgs()


BAD = [
    ({"apiType": "GRPC"}, "api.apiType: expected 'HTTP' or 'REST', got 'GRPC'"),
    ({"authorizer": "COGNITO"}, "api.authorizer: expected 'IAM', 'JWT' or 'NONE'"),
    (
        {"apiType": "REST", "authorizer": "JWT"},
        "api.authorizer: JWT authorizers exist only on HTTP APIs",
    ),
    ({"authorizer": "JWT"}, "api.jwtIssuer: JWT needs an https:// issuer URL"),
    (
        {"authorizer": "JWT", "jwtIssuer": "http://issuer.example.com", "jwtAudience": ["a"]},
        "api.jwtIssuer: 'http://issuer.example.com' is not an https:// issuer URL",
    ),
    (
        {"authorizer": "JWT", "jwtIssuer": "https://issuer.example.com"},
        "api.jwtAudience: JWT needs at least one audience",
    ),
    ({"jwtAudience": [""]}, "api.jwtAudience[0]: '' is not an audience"),
    ({"wafWebAclArn": WAF}, "api.wafWebAclArn: AWS WAF protects REST APIs, not HTTP APIs"),
    (
        {
            "apiType": "REST",
            "wafWebAclArn": "arn:aws:wafv2:us-east-1:111111111111:global/webacl/a/b",
        },
        "api.wafWebAclArn: 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/a/b' is not a "
        "REGIONAL web ACL",
    ),
    ({"apiType": "REST", "wafWebAclArn": "waf"}, "api.wafWebAclArn: 'waf' is not an ARN"),
    ({"timeoutSeconds": 30}, "api.timeoutSeconds: 30 is out of range 1-29"),
    ({"memoryMb": 64}, "api.memoryMb: 64 is out of range 128-10240"),
    ({"runtime": "python2.7"}, "api.runtime: expected 'python3.13', "),
    ({"handler": "main"}, "api.handler: 'main' is not module.function"),
    ({"throttlingBurstLimit": 0}, "api.throttlingBurstLimit: 0 is out of range 1-5000"),
    ({"throttlingRateLimit": 20000}, "api.throttlingRateLimit: 20000 is out of range"),
    ({"logRetentionDays": 2}, "api.logRetentionDays: 2 is not a CloudWatch Logs retention"),
    ({"codePath": "/no/such/dir"}, "api.codePath: '/no/such/dir' is not a directory"),
    (
        {"codePath": "/tmp", "inlineHandler": "x"},
        "api.inlineHandler: give either codePath or inlineHandler",
    ),
    ({"inlineHandler": "  "}, "api.inlineHandler: is empty"),
    ({"environment": {"1X": "y"}}, "api.environment: '1X' is not a variable name"),
    ({"environment": {"AWS_REGION": "y"}}, "api.environment: 'AWS_REGION' is not a variable"),
    ({"kmsKeyArn": "arn:aws:s3:::b"}, "api.kmsKeyArn: 'arn:aws:s3:::b' is not an ARN of"),
    ({"functionUrl": True}, "api.functionUrl: unknown option"),
    ({"region": "eu-nowhere-1"}, "api.region: unknown AWS region"),
    ({"memoryMb": "big"}, "api.memoryMb: expected a valid integer"),
    ({"restAccountLoggingRole": "maybe"}, "api.restAccountLoggingRole: expected a valid boolean"),
    ({"tags": {"aws:x": "y"}}, "api.tags: tag key 'aws:x' must be"),
]


@pytest.mark.parametrize(("section", "message"), BAD)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as err:
        ApiFunctionArgs.from_config("api", section)
    assert str(err.value).startswith(message)


def _python_name(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


@pytest.mark.parametrize(("section", "message"), BAD)
def test_bad_args_name_the_python_argument(section: dict[str, Any], message: str) -> None:
    """The same mistakes made in Python name the Python arguments."""
    kwargs = {_python_name(k): v for k, v in section.items()}
    expected = message.removeprefix("api.")
    names = [f.name for f in dataclasses.fields(ApiFunctionArgs)] + [
        _python_name(k) for k in section
    ]
    for name in names:
        expected = re.sub(rf"\b{to_camel(name)}\b", name, expected)
    with pytest.raises(ArgumentError) as err:
        ApiFunctionArgs(**kwargs)
    assert str(err.value).startswith(expected)


def test_wired_outputs_reach_the_children(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        acl = aws.wafv2.WebAcl(
            "api-acl",
            scope="REGIONAL",
            default_action={"allow": {}},
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": "api",
                "sampled_requests_enabled": True,
            },
        )
        key = aws.kms.Key("mine")
        table = aws.s3.Bucket("data")
        ApiFunction(
            "svc",
            ApiFunctionArgs(
                api_type=ApiType.REST,
                waf_web_acl_arn=acl.arn,
                kms_key_arn=key.arn,
                environment={"BUCKET": table.bucket},
            ),
        )

    plan = run_program(program)
    acl = plan.one("aws:wafv2/webAcl:WebAcl")
    association = plan.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["webAclArn"] == acl.outputs["arn"]
    key = plan.one("aws:kms/key:Key")  # the user's key only: none is created
    assert key.name == "mine"
    for group in plan.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    fn = plan.one("aws:lambda/function:Function")
    bucket = plan.one("aws:s3/bucket:Bucket")
    assert fn.inputs["environment"] == {"variables": {"BUCKET": bucket.id}}


def test_wired_jwt_issuer_and_audience(run_program: Callable[..., Plan]) -> None:
    def program() -> None:
        pool = aws.cognito.UserPool("users")
        client = aws.cognito.UserPoolClient("web", user_pool_id=pool.id)
        ApiFunction(
            "svc",
            ApiFunctionArgs(
                authorizer=Authorizer.JWT,
                jwt_issuer=pulumi.Output.concat(
                    "https://cognito-idp.us-east-1.amazonaws.com/", pool.id
                ),
                jwt_audience=[client.id],
            ),
        )

    plan = run_program(program)
    pool = plan.one("aws:cognito/userPool:UserPool")
    client = plan.one("aws:cognito/userPoolClient:UserPoolClient")
    authorizer = plan.one("aws:apigatewayv2/authorizer:Authorizer")
    assert authorizer.inputs["jwtConfiguration"] == {
        "issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool.id}",
        "audiences": [client.id],
    }


@pytest.mark.parametrize(
    ("wiring", "message"),
    [
        ("waf", "waf_web_acl_arn: 'arn:aws:sns:"),
        ("global_waf", "is not a REGIONAL web ACL"),
        ("key", "kms_key_arn: 'arn:aws:sns:"),
        ("issuer", "jwt_issuer: 'arn:aws:sns:"),
    ],
)
def test_bad_outputs_fail_when_they_resolve(
    run_program: Callable[..., Plan], wiring: str, message: str
) -> None:
    def program() -> None:
        topic = aws.sns.Topic("t")
        acl = aws.wafv2.WebAcl(
            "edge-acl",
            scope="CLOUDFRONT",
            default_action={"allow": {}},
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": "edge",
                "sampled_requests_enabled": True,
            },
        )
        kwargs: dict[str, Any] = {
            "waf": {"api_type": ApiType.REST, "waf_web_acl_arn": topic.arn},
            "global_waf": {"api_type": ApiType.REST, "waf_web_acl_arn": acl.arn},
            "key": {"kms_key_arn": topic.arn},
            "issuer": {
                "authorizer": Authorizer.JWT,
                "jwt_issuer": topic.arn,
                "jwt_audience": ["client"],
            },
        }[wiring]
        ApiFunction("svc", ApiFunctionArgs(**kwargs))

    with pytest.raises((ValueError, OfflineEngineError)) as err:
        run_program(program)
    assert message in str(err.value)


@pytest.mark.parametrize("api_type", ["HTTP", "REST"])
def test_tags_reach_every_taggable_child(run_program: Callable[..., Plan], api_type: str) -> None:
    tags = {"team": "orders"}
    plan = build(run_program, ApiFunctionArgs(api_type=api_type, tags=tags))
    assert untagged(plan, tags) == []


def test_the_component_provider_passes_a_mapping(run_program: Callable[..., Plan]) -> None:
    args: Any = {"api_type": "REST", "authorizer": "NONE"}
    plan = run_program(lambda: ApiFunction("svc", args))
    methods = plan.of_type("aws:apigateway/method:Method")
    assert methods and all(m.inputs["authorization"] == "NONE" for m in methods)
