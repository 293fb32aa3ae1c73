"""Automatic EC2 isolation on GuardDuty findings (S-22, S-23).

Checklist: S-22 (the incident response plan, automated; runbook in docs/incident-response.md),
S-23 (isolate the EC2 instance by changing its security groups, then hand over to experts).

GuardDuty findings about an EC2 instance, from every detection region, reach one Lambda in
the home region (other regions forward them to the home region's default event bus: an
EventBridge rule can target a Lambda only in its own region, but an event bus in any
region). The function (``components/lambdas/ec2_isolation``) records the instance's state,
protects it, takes it out of Auto Scaling and load balancing, cuts its network traffic,
swaps its role for a deny-all one and snapshots its volumes. The runbook is
``docs/incident-response.md``.
"""

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import ISOLATION_ROLE, bucket_prefix, physical_name
from secbaseline.components._event_forwarding import HomeBusForwarder
from secbaseline.components._kms import account_key
from secbaseline.components.lambdas.ec2_isolation.parse import (
    DEFAULT_EXEMPT_TAG,
    DEFAULT_TYPE_PREFIXES,
)
from secbaseline.components.lambdas.ec2_isolation.record import PREFIX as ISOLATION_TAG_PREFIX
from secbaseline.components.lambdas.ec2_isolation.record import PURPOSE as PURPOSE_TAG
from secbaseline.components.secure_bucket import (
    ObjectLock,
    ObjectLockMode,
    SecureBucket,
    SecureBucketArgs,
)

TYPE_TOKEN = "secbaseline:index:IncidentResponse"
LAMBDA_DIR = Path(__file__).parent / "lambdas" / "ec2_isolation"
LAMBDA_PACKAGE = "ec2_isolation"
LAMBDA_HANDLER = f"{LAMBDA_PACKAGE}.handler.handler"
ISOLATION_PURPOSES = ["isolation", "isolation-transit"]


def lambda_files() -> dict[str, Path]:
    """Archive path -> source file: the package folder at the zip's root (no caches, no data)."""
    return {f"{LAMBDA_PACKAGE}/{p.name}": p for p in sorted(LAMBDA_DIR.glob("*.py"))}


def event_pattern(min_severity: float, type_prefixes: Sequence[str]) -> dict[str, Any]:
    """GuardDuty findings about an EC2 instance at or above the severity, of the given types."""
    return {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {
            "resource": {"resourceType": ["Instance"]},
            "severity": [{"numeric": [">=", min_severity]}],
            "type": [{"prefix": p} for p in type_prefixes],
        },
    }


class IsolationRuntime(StrEnum):
    """Lambda runtime of the isolation function."""

    PYTHON_3_12 = "python3.12"
    """Python 3.12."""
    PYTHON_3_13 = "python3.13"
    """Python 3.13 (the default)."""


def _regions(field: str, value: Sequence[str]) -> tuple[str, ...]:
    return validate.regions(field, list(value))


def _finding_type_prefix(field: str, value: str) -> str:
    if not isinstance(value, str) or ":" not in value:
        raise ValueError(f"{field}: {value!r} is not a finding type prefix such as 'Backdoor:EC2/'")
    return value


def _non_empty(field: str, value: Sequence[str]) -> Sequence[str]:
    if not value:
        raise ValueError(f"{field}: name at least one finding type prefix such as 'Backdoor:EC2/'")
    return value


def _tag_key(field: str, value: str) -> str:
    if not 1 <= len(value) <= 128:
        raise ValueError(f"{field}: expected a tag key of 1-128 characters")
    return value


@component_args
class IncidentResponseArgs(ComponentArgs):
    """Inputs of :class:`IncidentResponse`."""

    home_region: str = arg(check=validate.region)
    """Region of the function, evidence bucket and alarms."""
    regions: Sequence[str] = arg(check=_regions)
    """Detection regions whose GuardDuty findings are handled; must include ``home_region``."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """The account id; None looks it up with one caller-identity invoke."""
    notification_topic_arn: pulumi.Input[str] | None = arg(
        default=None, check=validate.arn_of("sns")
    )
    """SNS topic (home region) for isolation summaries and alarm actions; None: no
    notifications."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key (home region) for the dead-letter queue, the log group and the evidence
    bucket; None creates one key for the queue and logs (rotation on) and one for the bucket.
    Its policy must let CloudWatch Logs (``logs.<home>.amazonaws.com``) and EventBridge use it."""
    min_severity: float = arg(default=7.0, ge=1.0, le=10.0)
    """Isolate on findings at or above this severity, 1-10 (GuardDuty: 7-8.9 high, 9+
    critical)."""
    finding_type_prefixes: Sequence[str] = arg(
        default=DEFAULT_TYPE_PREFIXES, each=_finding_type_prefix, check=_non_empty
    )
    """Finding types to act on, as prefixes such as ``Backdoor:EC2/`` (default: every EC2 and
    Runtime family)."""
    exempt_tag: str = arg(default=DEFAULT_EXEMPT_TAG, check=_tag_key)
    """Instances carrying this tag (any value but ``false``) are never isolated."""
    dry_run: bool = False
    """Opt-out: only report what would be done (read-only calls, for a first rollout)."""
    quarantine_profile: bool = True
    """Create a deny-all instance profile that replaces the instance's; False removes it."""
    evidence_bucket: bool = True
    """Keep the isolation record (state.json, result.json) in a SecureBucket."""
    evidence_object_lock_days: int | None = arg(default=365, ge=1, le=36500)
    """Object Lock (GOVERNANCE) default retention for the evidence, 1-36500 days; None: no
    lock (opt-out). Has no effect without ``evidence_bucket``."""
    log_retention_days: int = arg(default=365, check=validate.log_retention_days)
    """CloudWatch Logs retention of the function's log group (a value CloudWatch accepts)."""
    reserved_concurrency: int = arg(default=1, ge=1, le=100)
    """Concurrent isolations, 1-100. The default 1 serialises them, so two findings about the
    same instance cannot both record "original" state; others wait in Lambda's async queue."""
    timeout_seconds: int = arg(default=300, ge=30, le=900)
    """Function timeout in seconds, 30-900."""
    runtime: IsolationRuntime = IsolationRuntime.PYTHON_3_13
    """Lambda runtime of the function."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the physical names (function, queue, alarms, roles, rules)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for every taggable child (key, queue, log group, function, roles, instance profile,
    rules, alarms and the evidence bucket's resources)."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"regions: must include the home region {self.home_region!r}")


def _arn(
    service: str, account_id: pulumi.Input[str], resource: str, region: str = "*"
) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        f"arn:{iam.PARTITION}:{service}:{region}:", account_id, f":{resource}"
    )


def handler_policy_statements(
    *,
    account_id: pulumi.Input[str],
    regions: Sequence[str],
    log_group_arn: pulumi.Input[str],
    dlq_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    home_region: str,
    quarantine_role_arn: pulumi.Input[str] | None,
    evidence_bucket_arn: pulumi.Input[str] | None,
    evidence_key_arn: pulumi.Input[str] | None,
    topic_arn: pulumi.Input[str] | None,
) -> list[dict[str, Any]]:
    """Least privilege for exactly what the handler calls."""
    in_regions = {"StringEquals": {"aws:RequestedRegion": sorted(regions)}}

    def ec2(kind: str) -> pulumi.Output[str]:
        return _arn("ec2", account_id, f"{kind}/*")

    ours = {"StringEquals": {f"aws:ResourceTag/{PURPOSE_TAG}": ISOLATION_PURPOSES}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadInstanceState",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeIamInstanceProfileAssociations",
                "ec2:DescribeSnapshots",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeAutoScalingGroups",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            # These Describe* actions support no resource-level permissions: AWS requires "*".
            "Resource": "*",
            "Condition": in_regions,
        },
        {
            "Sid": "ReadInstanceAttributes",
            "Effect": "Allow",
            "Action": "ec2:DescribeInstanceAttribute",
            "Resource": ec2("instance"),
            "Condition": in_regions,
        },
        {
            "Sid": "ProtectAndReassignInstance",
            "Effect": "Allow",
            "Action": [
                "ec2:ModifyInstanceAttribute",
                "ec2:ModifyNetworkInterfaceAttribute",
                "ec2:AssociateIamInstanceProfile",
                "ec2:ReplaceIamInstanceProfileAssociation",
                "ec2:DisassociateIamInstanceProfile",
            ],
            "Resource": [ec2("instance"), ec2("network-interface")],
            "Condition": in_regions,
        },
        {
            # Group changes name the groups as resources too: only our isolation groups.
            "Sid": "OnlyIntoIsolationGroups",
            "Effect": "Allow",
            "Action": ["ec2:ModifyInstanceAttribute", "ec2:ModifyNetworkInterfaceAttribute"],
            "Resource": ec2("security-group"),
            "Condition": {"StringEquals": {**in_regions["StringEquals"], **ours["StringEquals"]}},
        },
        {
            "Sid": "CreateIsolationGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": ec2("security-group"),
            "Condition": {
                "StringEquals": {
                    "aws:RequestedRegion": sorted(regions),
                    f"aws:RequestTag/{PURPOSE_TAG}": ISOLATION_PURPOSES,
                }
            },
        },
        {
            "Sid": "CreateIsolationGroupsInAnyVpc",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": ec2("vpc"),
            "Condition": in_regions,
        },
        {
            "Sid": "SetIsolationGroupRules",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
            ],
            "Resource": ec2("security-group"),
            "Condition": {"StringEquals": {**in_regions["StringEquals"], **ours["StringEquals"]}},
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": [ec2("security-group"), _arn("ec2", "", "snapshot/*")],
            "Condition": {
                "StringEquals": {
                    "aws:RequestedRegion": sorted(regions),
                    "ec2:CreateAction": ["CreateSecurityGroup", "CreateSnapshot"],
                }
            },
        },
        {
            "Sid": "RecordIsolationTags",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": [ec2("instance"), ec2("network-interface")],
            "Condition": {
                **in_regions,
                "ForAllValues:StringLike": {"aws:TagKeys": [f"{ISOLATION_TAG_PREFIX}-*"]},
            },
        },
        {
            "Sid": "SnapshotVolumes",
            "Effect": "Allow",
            "Action": "ec2:CreateSnapshot",
            # Snapshots are owned by the account but their ARN has no account id.
            "Resource": [ec2("volume"), _arn("ec2", "", "snapshot/*")],
            "Condition": in_regions,
        },
        {
            "Sid": "KeepOutOfAutoScaling",
            "Effect": "Allow",
            "Action": [
                "autoscaling:EnterStandby",
                "autoscaling:DetachInstances",
                "autoscaling:SuspendProcesses",
                "autoscaling:SetInstanceProtection",
            ],
            "Resource": _arn(
                "autoscaling", account_id, "autoScalingGroup:*:autoScalingGroupName/*"
            ),
            "Condition": in_regions,
        },
        {
            "Sid": "LeaveTargetGroups",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:DeregisterTargets",
            "Resource": _arn("elasticloadbalancing", account_id, "targetgroup/*/*"),
            "Condition": in_regions,
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": pulumi.Output.concat(log_group_arn, ":*"),
        },
        {
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",  # X-Ray has no resource-level permissions
        },
        {
            "Sid": "DeadLetterQueue",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": dlq_arn,
        },
        {
            "Sid": "DeadLetterQueueKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": key_arn,
        },
    ]
    if quarantine_role_arn is not None:
        statements.append(
            {
                "Sid": "PassQuarantineRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": quarantine_role_arn,
                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            }
        )
    if evidence_bucket_arn is not None:
        statements.append(
            {
                "Sid": "WriteEvidence",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(evidence_bucket_arn, "/isolation/*"),
            }
        )
    if evidence_key_arn is not None:
        statements.append(
            {
                "Sid": "EncryptEvidence",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": evidence_key_arn,
            }
        )
    if topic_arn is not None:
        statements += [
            {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
            {
                "Sid": "NotifyEncryptedTopic",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                # The topic's key is not known here: any key of the account in the home
                # region, and only through SNS there.
                "Resource": _arn("kms", account_id, "key/*", home_region),
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"sns.{home_region}.amazonaws.com"}
                },
            },
        ]
    return statements


class IncidentResponse(pulumi.ComponentResource):
    """GuardDuty EC2 finding -> automatic isolation Lambda, with evidence, DLQ and alarms."""

    function: aws.lambda_.Function
    """The isolation function (home region)."""
    role: aws.iam.Role
    """The function's least-privilege role."""
    dead_letter_queue: aws.sqs.Queue
    """KMS-encrypted DLQ for events the function (or EventBridge) could not handle."""
    log_group: aws.cloudwatch.LogGroup
    """The function's log group (encrypted, with retention)."""
    home_rule: aws.cloudwatch.EventRule
    """The home region's rule that invokes the function."""
    forwarding_rules: dict[str, aws.cloudwatch.EventRule]
    """Per non-home detection region: the rule that forwards findings to the home bus."""
    evidence_bucket_name: pulumi.Output[str] | None
    """The evidence bucket's name (None when opted out)."""
    evidence_bucket_arn: pulumi.Output[str] | None
    """The evidence bucket's ARN (None when opted out)."""
    quarantine_instance_profile: aws.iam.InstanceProfile | None
    """The deny-all instance profile (None when opted out)."""
    alarms: list[aws.cloudwatch.MetricAlarm]
    """Function errors, throttles and DLQ depth."""
    kms_key: aws.kms.Key | None
    """The key created for the queue and logs (None when ``kms_key_arn`` is given)."""
    kms_key_arn: pulumi.Output[str]
    """The key that encrypts the dead-letter queue and the log group."""

    def __init__(
        self, name: str, args: IncidentResponseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = IncidentResponseArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        home = args.home_region
        tags = dict(args.tags) or None
        account_id: pulumi.Input[str] = (
            args.account_id
            if args.account_id is not None
            else aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)
            ).account_id
        )
        function_name = physical_name(args.name_prefix, "ec2-isolation")

        self.kms_key = None
        if args.kms_key_arn is None:
            self.kms_key = account_key(
                f"{name}-key",
                description="Encrypts the EC2 isolation function's dead-letter queue and logs",
                account_id=account_id,
                statements=[
                    iam.logs_key_statement(home, account_id),
                    iam.service_key_statement(
                        "AllowEventBridgeToDeadLetterQueue", "events.amazonaws.com", account_id
                    ),
                ],
                region=home,
                tags=tags,
                opts=child,
            )
            self.kms_key_arn = self.kms_key.arn
        else:
            self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)
        key_arn = self.kms_key_arn

        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=physical_name(args.name_prefix, "ec2-isolation-dlq"),
            kms_master_key_id=key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=14 * 24 * 3600,
            region=home,
            tags=tags,
            opts=child,
        )

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=key_arn,
            region=home,
            tags=tags,
            opts=child,
        )

        self.quarantine_instance_profile = None
        quarantine_role: aws.iam.Role | None = None
        if args.quarantine_profile:
            quarantine_role = aws.iam.Role(
                f"{name}-quarantine-role",
                name=physical_name(args.name_prefix, "quarantine"),
                description="Replaces an isolated instance's role; denies every action",
                assume_role_policy=iam.service_assume_role_policy("ec2.amazonaws.com"),
                tags=tags,
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-quarantine-deny-all",
                role=quarantine_role.name,
                policy=json.dumps(
                    iam.document(
                        [
                            {
                                "Sid": "DenyEverything",
                                "Effect": "Deny",
                                "Action": "*",  # a deny: the instance may do nothing at all
                                "Resource": "*",
                            }
                        ]
                    )
                ),
                opts=child,
            )
            self.quarantine_instance_profile = aws.iam.InstanceProfile(
                f"{name}-quarantine-profile",
                name=physical_name(args.name_prefix, "quarantine"),
                role=quarantine_role.name,
                tags=tags,
                opts=child,
            )

        self._evidence: SecureBucket | None = None
        if args.evidence_bucket:
            self._evidence = SecureBucket(
                f"{name}-evidence",
                SecureBucketArgs(
                    region=home,
                    bucket_prefix=bucket_prefix(args.name_prefix, "evidence"),
                    kms_key_arn=args.kms_key_arn,
                    object_lock=ObjectLock(
                        mode=ObjectLockMode.GOVERNANCE, days=args.evidence_object_lock_days
                    )
                    if args.evidence_object_lock_days
                    else None,
                    tags=dict(args.tags),
                ),
                opts=child,
            )
        self.evidence_bucket_name = self._evidence.bucket_name if self._evidence else None
        self.evidence_bucket_arn = self._evidence.arn if self._evidence else None

        self.role = aws.iam.Role(
            f"{name}-role",
            name=physical_name(args.name_prefix, ISOLATION_ROLE),
            description="EC2 isolation function (GuardDuty findings)",
            assume_role_policy=iam.service_assume_role_policy(
                "lambda.amazonaws.com", source_account=account_id
            ),
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.name,
            policy=iam.dumps(
                handler_policy_statements(
                    account_id=account_id,
                    regions=args.regions,
                    log_group_arn=self.log_group.arn,
                    dlq_arn=self.dead_letter_queue.arn,
                    key_arn=key_arn,
                    home_region=home,
                    quarantine_role_arn=quarantine_role.arn if quarantine_role else None,
                    evidence_bucket_arn=self.evidence_bucket_arn,
                    evidence_key_arn=self._evidence.kms_key_arn if self._evidence else None,
                    topic_arn=args.notification_topic_arn,
                )
            ),
            opts=child,
        )

        variables: dict[str, pulumi.Input[str]] = {
            "MIN_SEVERITY": str(args.min_severity),
            "FINDING_TYPE_PREFIXES": ",".join(args.finding_type_prefixes),
            "EXEMPT_TAG": args.exempt_tag,
            "DRY_RUN": str(args.dry_run).lower(),
            "FAIL_ON_ERROR": "true",
        }
        if self.evidence_bucket_name is not None:
            variables["EVIDENCE_BUCKET"] = self.evidence_bucket_name
        if args.notification_topic_arn is not None:
            variables["NOTIFICATION_TOPIC_ARN"] = args.notification_topic_arn
        if self.quarantine_instance_profile is not None:
            variables["QUARANTINE_PROFILE_ARN"] = self.quarantine_instance_profile.arn

        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Isolates EC2 instances named in GuardDuty findings (secbaseline)",
            role=self.role.arn,
            runtime=args.runtime,
            handler=LAMBDA_HANDLER,
            code=pulumi.AssetArchive(
                {path: pulumi.FileAsset(str(src)) for path, src in lambda_files().items()}
            ),
            timeout=args.timeout_seconds,
            memory_size=256,
            reserved_concurrent_executions=args.reserved_concurrency,
            tracing_config={"mode": "Active"},
            dead_letter_config={"target_arn": self.dead_letter_queue.arn},
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            environment={"variables": variables},
            region=home,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, self.log_group]),
        )

        pattern = json.dumps(event_pattern(args.min_severity, args.finding_type_prefixes))
        self.home_rule = aws.cloudwatch.EventRule(
            f"{name}-findings-{home}",
            name=physical_name(args.name_prefix, "ec2-isolation"),
            description="GuardDuty EC2 findings (this region and forwarded) -> isolation function",
            event_pattern=pattern,
            region=home,
            tags=tags,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target-{home}",
            rule=self.home_rule.name,
            arn=self.function.arn,
            retry_policy={"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 20},
            dead_letter_config={"arn": self.dead_letter_queue.arn},
            region=home,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="events.amazonaws.com",
            source_arn=self.home_rule.arn,
            region=home,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=self.dead_letter_queue.url,
            policy=iam.dumps(
                [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sqs:*",
                        "Resource": self.dead_letter_queue.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "EventBridgeDeliveryFailures",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": self.dead_letter_queue.arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": self.home_rule.arn}},
                    },
                ]
            ),
            region=home,
            opts=child,
        )

        self.forwarding_rules = {}
        others = [r for r in sorted(args.regions) if r != home]
        if others:
            forwarder = HomeBusForwarder(
                self,
                home_region=home,
                account_id=account_id,
                role_resource=f"{name}-forward-role",
                policy_resource=f"{name}-forward-policy",
                role_name=physical_name(args.name_prefix, "ec2-isolation-forward"),
                description="EventBridge: forward GuardDuty EC2 findings to the home region's bus",
                tags=tags,
            )
            for region in others:
                self.forwarding_rules[region] = forwarder.forward(
                    region,
                    pattern,
                    rule_resource=f"{name}-findings-{region}",
                    target_resource=f"{name}-forward-{region}",
                    rule_name=physical_name(args.name_prefix, "ec2-isolation-forward"),
                    description=f"GuardDuty EC2 findings in {region} -> {home} default bus",
                )

        actions = [args.notification_topic_arn] if args.notification_topic_arn is not None else []
        self.alarms = []
        for suffix, description, namespace, metric, statistic, dimensions in (
            (
                "errors",
                "The EC2 isolation function failed",
                "AWS/Lambda",
                "Errors",
                "Sum",
                {"FunctionName": self.function.name},
            ),
            (
                "throttles",
                "The EC2 isolation function was throttled",
                "AWS/Lambda",
                "Throttles",
                "Sum",
                {"FunctionName": self.function.name},
            ),
            (
                "dlq",
                "Findings the EC2 isolation could not handle are waiting in its DLQ",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "Maximum",
                {"QueueName": self.dead_letter_queue.name},
            ),
        ):
            self.alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-alarm-{suffix}",
                    name=physical_name(args.name_prefix, "ec2-isolation", suffix),
                    alarm_description=f"{description}: see docs/incident-response.md",
                    namespace=namespace,
                    metric_name=metric,
                    statistic=statistic,
                    dimensions=dimensions,
                    period=300,
                    evaluation_periods=1,
                    threshold=0,
                    comparison_operator="GreaterThanThreshold",
                    treat_missing_data="notBreaching",
                    alarm_actions=actions,
                    ok_actions=actions,
                    region=home,
                    tags=tags,
                    opts=child,
                )
            )

        self.register_outputs(
            {
                "functionArn": self.function.arn,
                "deadLetterQueueArn": self.dead_letter_queue.arn,
                "kmsKeyArn": self.kms_key_arn,
                "evidenceBucketName": self.evidence_bucket_name,
                "evidenceBucketArn": self.evidence_bucket_arn,
                "quarantineInstanceProfileArn": self.quarantine_instance_profile.arn
                if self.quarantine_instance_profile
                else None,
                "forwardingRegions": others,
            }
        )

    @property
    def evidence(self) -> SecureBucket | None:
        """The evidence bucket component (None when opted out)."""
        return self._evidence
