"""Inspector findings on EC2 instances, joined with the instance's patch state and next window.

Checklist: S-13 (vulnerability management: Inspector finds, Patch Manager fixes). A person who
reads "CVE-... on i-0abc" needs to know at once whether that instance is already scanned by
Patch Manager, how many patches it misses and when its next patch window runs. Inspector
findings are regional: every non-home detection region forwards them to the home region's
default event bus, where one rule invokes a function (``components/lambdas/
finding_patch_context``) that reads the patch state and maintenance windows in the finding's
region and publishes the joined notice to the security notifications topic.
"""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import physical_name
from secbaseline.components._event_forwarding import HomeBusForwarder

TYPE_TOKEN = "secbaseline:index:PatchFindingNotices"
HANDLER_DIR = Path(__file__).parent / "lambdas" / "finding_patch_context"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED")


def finding_pattern(severities: Sequence[str]) -> dict[str, Any]:
    """Active Inspector findings on EC2 instances at the given severities."""
    return {
        "source": ["aws.inspector2"],
        "detail-type": ["Inspector2 Finding"],
        "detail": {
            "status": ["ACTIVE"],
            "severity": list(severities),
            "resources": {"type": ["AWS_EC2_INSTANCE"]},
        },
    }


def _severities(field: str, value: Any) -> Any:
    if not value:
        raise ValueError(f"{field}: name at least one severity")
    for index, item in enumerate(value):
        if item not in SEVERITIES:
            raise ValueError(f"{field}[{index}]: {item!r} is not one of {', '.join(SEVERITIES)}")
    return value


@component_args
class PatchFindingNoticesArgs(ComponentArgs):
    """Inputs of :class:`PatchFindingNotices`."""

    regions: Sequence[str] = arg(check=validate.regions)
    """Detection regions whose Inspector findings are joined (set by the tier)."""
    home_region: str = arg(check=validate.region)
    """Region of the function and the topic; one of ``regions`` (set by the tier)."""
    notification_topic_arn: pulumi.Input[str] = arg(check=validate.arn_of("sns"))
    """The topic the joined notices are published to."""
    notification_kms_key_arn: pulumi.Input[str] | None = arg(
        default=None, check=validate.kms_key_arn
    )
    """KMS key of an encrypted topic (the function may encrypt with it)."""
    severities: Sequence[str] = arg(default_factory=lambda: ["CRITICAL", "HIGH"], check=_severities)
    """Inspector severities that get a notice (CRITICAL, HIGH by default)."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """The account; None: one caller-identity invoke."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the function's, role's and forwarding role's physical names."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region} is not one of the regions")


class PatchFindingNotices(pulumi.ComponentResource):
    """The joining function in the home region, fed by every detection region."""

    function: aws.lambda_.Function
    """The function that joins and publishes."""
    rule: aws.cloudwatch.EventRule
    """The home region's rule on Inspector findings (own and forwarded)."""

    def __init__(
        self,
        name: str,
        args: PatchFindingNoticesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = PatchFindingNoticesArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        home = args.home_region
        tags = dict(args.tags) or None
        account = iam.account_id_or_caller(args.account_id, self)
        function_name = physical_name(args.name_prefix, "patch-finding-notices")
        pattern = json.dumps(finding_pattern(args.severities))

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=365,
            region=home,
            tags=tags,
            opts=child,
        )
        statements: list[dict[str, Any]] = [
            {
                "Sid": "PublishNotices",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": args.notification_topic_arn,
            },
            {
                # These Describe/List calls have no resource-level permissions: AWS requires "*".
                "Sid": "ReadPatchStateAndWindows",
                "Effect": "Allow",
                "Action": [
                    "ssm:DescribeInstancePatchStates",
                    "ssm:DescribeMaintenanceWindows",
                    "ssm:DescribeMaintenanceWindowTargets",
                    "ec2:DescribeTags",
                ],
                "Resource": "*",
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(log_group.arn, ":*"),
            },
        ]
        if args.notification_kms_key_arn is not None:
            statements.append(
                {
                    "Sid": "UseTheTopicKey",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": args.notification_kms_key_arn,
                }
            )
        role = aws.iam.Role(
            f"{name}-role",
            name=function_name,
            assume_role_policy=iam.service_assume_role_policy("lambda.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy", role=role.name, policy=iam.dumps(statements), opts=child
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Joins Inspector EC2 findings with patch state and next window",
            runtime=aws.lambda_.Runtime.PYTHON3D12,
            handler="handler.handler",
            code=pulumi.FileArchive(str(HANDLER_DIR)),
            role=role.arn,
            timeout=60,
            memory_size=128,
            environment={"variables": {"TOPIC_ARN": args.notification_topic_arn}},
            logging_config={"log_format": "Text", "log_group": log_group.name},
            region=home,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group]),
        )
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-findings",
            description="Inspector EC2 findings (this region and forwarded) to the patch join",
            event_pattern=pattern,
            region=home,
            tags=tags,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-findings-target",
            rule=self.rule.name,
            arn=self.function.arn,
            retry_policy={"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185},
            region=home,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke",
            function=self.function.name,
            action="lambda:InvokeFunction",
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
            source_account=account,
            region=home,
            opts=child,
        )
        others = [r for r in sorted(args.regions) if r != home]
        if others:
            forwarder = HomeBusForwarder(
                self,
                home_region=home,
                account_id=account,
                role_resource=f"{name}-forward-role",
                policy_resource=f"{name}-forward-policy",
                role_name=physical_name(args.name_prefix, "inspector-findings-forward"),
                description="Forwards Inspector EC2 findings to the home region's event bus",
                tags=tags,
            )
            for region in others:
                forwarder.forward(
                    region,
                    pattern,
                    rule_resource=f"{name}-forward-{region}",
                    target_resource=f"{name}-forward-{region}-target",
                    description=f"Forward Inspector EC2 findings to the home region {home}",
                )
        self.register_outputs({"functionArn": self.function.arn})
