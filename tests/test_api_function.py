"""ApiFunction (S-05, S-06, S-31): Lambda reachable only through API Gateway."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secbaseline.baseline.engine import Plan, RecordedResource
from secbaseline.components.api_function import ApiFunction, ApiFunctionArgs

WAF = "arn:aws:wafv2:us-east-1:111111111111:regional/webacl/api/abc"


def build(run_program: Callable[..., Plan], args: ApiFunctionArgs | None = None) -> Plan:
    return run_program(lambda: ApiFunction("svc", args))


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
    import pulumi

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
        {"enabled": True, "apiType": "REST", "throttlingRateLimit": 10, "environment": {"A": "b"}}
    )
    assert args.api_type == "REST" and args.throttling_rate_limit == 10
    assert args.environment == {"A": "b"}
    assert args.authorizer == "IAM"
    assert ApiFunctionArgs.from_config({"authorizer": "NONE"}).authorizer == "NONE"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"apiType": "GRPC"}, "api.apiType: 'GRPC' is not one of HTTP, REST"),
        ({"authorizer": "COGNITO"}, "api.authorizer: 'COGNITO' is not one of"),
        (
            {"apiType": "REST", "authorizer": "JWT"},
            "api.authorizer: JWT authorizers exist only on HTTP APIs",
        ),
        ({"authorizer": "JWT"}, "api.jwtIssuer: JWT needs an https:// issuer URL"),
        (
            {"authorizer": "JWT", "jwtIssuer": "https://issuer.example.com"},
            "api.jwtAudience: JWT needs at least one audience",
        ),
        ({"wafWebAclArn": WAF}, "api.wafWebAclArn: AWS WAF protects REST APIs, not HTTP APIs"),
        (
            {
                "apiType": "REST",
                "wafWebAclArn": "arn:aws:wafv2:us-east-1:111111111111:global/webacl/a/b",
            },
            "api.wafWebAclArn: must be a REGIONAL web ACL",
        ),
        ({"timeoutSeconds": 30}, "api.timeoutSeconds: 30 is out of range 1-29"),
        ({"memoryMb": 64}, "api.memoryMb: 64 is out of range 128-10240"),
        ({"runtime": "python2.7"}, "api.runtime: 'python2.7' is not one of"),
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
        ({"functionUrl": True}, "api.functionUrl: unknown option"),
        ({"region": "eu-nowhere-1"}, "api.region: unknown AWS region"),
        ({"memoryMb": "big"}, "api.memoryMb: 'big' is not an integer"),
    ],
)
def test_bad_config(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as err:
        ApiFunctionArgs.from_config(section)
    assert str(err.value).startswith(message)
