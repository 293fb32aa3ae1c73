"""Automatic remediation of Config rule violations with AWS-owned SSM Automation runbooks.

Checklist: S-15 (Config rules raise alerts and remediate automatically).

Only runbooks that are safe to run unattended are automatic by default; the ones that can
break a running workload are configured as manual (one click in the console) until the team
switches them on. NON_COMPLIANT evaluations from every region reach the notifications topic:
each non-home region forwards the events to the home region's default event bus, and one rule
there publishes them (a topic lives in one region; a Config aggregator would only add a
second, slower path).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import pulumi
import pulumi_aws as aws
from pydantic import model_validator

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import REMEDIATION_ROLE, physical_name
from secbaseline.components._event_forwarding import HomeBusForwarder
from secbaseline.components.config_rules import parse_rule_options, shorthand, waits_of

TYPE_TOKEN = "secbaseline:index:AutoRemediation"
SECTION = "remediation"
MAX_ATTEMPTS = 25
MAX_RETRY_SECONDS = 2_592_000  # 30 days, the AWS limit


def non_compliant_pattern(name_prefix: str) -> dict[str, Any]:
    """NON_COMPLIANT evaluations of the baseline's own rules (``<prefix>-*``) only.

    Without the name filter every rule in the account matches, including the many
    service-linked ``securityhub-*`` rules, and the topic drowns in them.
    """
    return {
        "source": ["aws.config"],
        "detail-type": ["Config Rules Compliance Change"],
        "detail": {
            "messageType": ["ComplianceChangeNotification"],
            "configRuleName": [{"prefix": f"{name_prefix}-"}],
            "newEvaluationResult": {"complianceType": ["NON_COMPLIANT"]},
        },
    }


@dataclass(frozen=True)
class Runbook:
    """An AWS-owned Automation runbook that fixes one rule's violations."""

    document: str
    """SSM document name (owned by AWS)."""
    resource_parameter: str | None
    """Runbook parameter that receives the non-compliant resource id (RESOURCE_ID)."""
    static_parameters: Mapping[str, str]
    """Fixed runbook parameters."""
    actions: tuple[str, ...]
    """API actions the runbook calls with the assume role."""
    resource: str
    """ARN pattern those actions are scoped to (``{account}`` is substituted)."""
    unscoped_actions: tuple[str, ...] = ()
    """Calls that accept no resource ARN (Describe*, account settings): AWS forces ``*``."""
    resource_type: str | None = None
    """Config resource type of the non-compliant resources."""
    automatic: bool = True
    """Default: run without a person (False when it can break a workload)."""
    why: str = ""
    """Why the default is automatic or manual."""


_BPA_ON = {
    "BlockPublicAcls": "true",
    "IgnorePublicAcls": "true",
    "BlockPublicPolicy": "true",
    "RestrictPublicBuckets": "true",
}
_ANY_BUCKET = "arn:aws:s3:::*"  # bucket names are global; S3 ARNs have no account
_SECURITY_GROUPS = "arn:aws:ec2:*:{account}:security-group/*"

RUNBOOKS: Mapping[str, Runbook] = {
    "S3_BUCKET_PUBLIC_READ_PROHIBITED": Runbook(
        "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
        "BucketName",
        _BPA_ON,
        ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
        _ANY_BUCKET,
        resource_type="AWS::S3::Bucket",
        why="turns on the bucket's Block Public Access; the account setting already blocks it",
    ),
    "S3_BUCKET_PUBLIC_WRITE_PROHIBITED": Runbook(
        "AWS-DisableS3BucketPublicReadWrite",
        "S3BucketName",
        {},
        ("s3:PutBucketPublicAccessBlock",),
        _ANY_BUCKET,
        resource_type="AWS::S3::Bucket",
        why="public write is never intended; the fix only blocks public access",
    ),
    "INCOMING_SSH_DISABLED": Runbook(
        "AWS-DisableIncomingSSHOnPort22",
        "SecurityGroupIds",
        {},
        ("ec2:RevokeSecurityGroupIngress",),
        _SECURITY_GROUPS,
        unscoped_actions=("ec2:DescribeSecurityGroups",),
        resource_type="AWS::EC2::SecurityGroup",
        why="removes only 0.0.0.0/0 and ::/0 SSH rules; access goes through Session Manager (S-01)",
    ),
    "EC2_EBS_ENCRYPTION_BY_DEFAULT": Runbook(
        "AWSConfigRemediation-EnableEbsEncryptionByDefault",
        None,
        {},
        (),
        "*",
        unscoped_actions=("ec2:EnableEbsEncryptionByDefault", "ec2:GetEbsEncryptionByDefault"),
        why="affects only volumes created afterwards",
    ),
    "VPC_DEFAULT_SECURITY_GROUP_CLOSED": Runbook(
        "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules",
        "GroupId",
        {},
        ("ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"),
        _SECURITY_GROUPS,
        unscoped_actions=("ec2:DescribeSecurityGroups",),
        resource_type="AWS::EC2::SecurityGroup",
        automatic=False,
        why="instances that still use the default group lose their network paths",
    ),
    "EC2_IMDSV2_CHECK": Runbook(
        "AWSConfigRemediation-EnforceEC2InstanceIMDSv2",
        "InstanceId",
        {},
        ("ec2:ModifyInstanceMetadataOptions",),
        "arn:aws:ec2:*:{account}:instance/*",
        unscoped_actions=("ec2:DescribeInstances",),
        resource_type="AWS::EC2::Instance",
        automatic=False,
        why="software that still calls IMDSv1 loses its credentials",
    ),
    "S3_BUCKET_VERSIONING_ENABLED": Runbook(
        "AWS-ConfigureS3BucketVersioning",
        "BucketName",
        {"VersioningState": "Enabled"},
        ("s3:GetBucketVersioning", "s3:PutBucketVersioning"),
        _ANY_BUCKET,
        resource_type="AWS::S3::Bucket",
        automatic=False,
        why="versioning cannot be turned off again and raises storage cost",
    ),
}
"""Rules with a remediation runbook; keys are Config rule identifiers.

``S3_BUCKET_SSL_REQUESTS_ONLY`` has a runbook (``AWSConfigRemediation-RestrictBucketSSLRequestsOnly``)
but is deliberately not offered: it needs ``s3:PutBucketPolicy``/``DeleteBucketPolicy`` on every
bucket, so whoever can start an automation with this role could grant themselves any bucket's
objects (resource-policy privilege escalation). The rule still alerts; bucket policies are fixed
by their owners, in code."""


@component_args
class RemediationOptions(ComponentArgs):
    """Per-rule remediation switches. In config, ``false`` alone is short for
    ``{enabled: false}``."""

    enabled: bool = True
    """Configure remediation for this rule (manual or automatic)."""
    automatic: bool | None = None
    """Run without a person; None keeps the runbook's default (see ``RUNBOOKS``)."""

    @model_validator(mode="before")
    @classmethod
    def _enabled_shorthand(cls, data: Any) -> Any:
        return shorthand(data)


def _remediations(field: str, value: Any) -> Any:
    for identifier in value:
        if identifier not in RUNBOOKS:
            raise ValueError(
                f"{field}.{identifier}: no remediation runbook for this rule; known: "
                f"{', '.join(sorted(RUNBOOKS))}"
            )
    return value


def _regions(field: str, values: Any) -> Any:
    return validate.regions(field, values)


@component_args
class AutoRemediationArgs(ComponentArgs):
    """Inputs of :class:`AutoRemediation`."""

    regions: Sequence[str] = arg(check=_regions)
    """Detection regions (the tier passes them)."""
    home_region: str = arg(check=validate.region)
    """Region of the notifications rule and the event bus other regions forward to; one of
    ``regions``."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """The account id; None asks AWS (one invoke)."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of the role, rules and remediation names."""
    rule_names: Mapping[str, Mapping[str, pulumi.Input[str]]] = arg(default_factory=dict)
    """Rule identifier -> region -> deployed Config rule name (``ConfigRules.rules`` gives
    these); only these rules are remediated."""
    rules: Mapping[str, RemediationOptions] = arg(default_factory=dict, check=_remediations)
    """Options per rule identifier (see ``RUNBOOKS``); rules with a runbook not listed use the
    defaults."""
    maximum_automatic_attempts: int = arg(default=5, ge=1, le=MAX_ATTEMPTS)
    """Attempts before Config gives up on one resource, 1-25."""
    retry_attempt_seconds: int = arg(default=60, ge=1, le=MAX_RETRY_SECONDS)
    """Window in seconds for those attempts, 1-2592000."""
    concurrent_execution_percentage: int = arg(default=10, ge=1, le=100)
    """Share of non-compliant resources remediated at once, 1-100."""
    error_percentage: int = arg(default=10, ge=1, le=100)
    """Failure share that stops the remediation run, 1-100."""
    notification_topic_arn: pulumi.Input[str] | None = arg(
        default=None, check=validate.arn_of("sns")
    )
    """SNS topic (home region) for NON_COMPLIANT evaluations; None: no notifications."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Tags for the roles and EventBridge rules."""

    def __post_init__(self) -> None:
        if self.home_region not in self.regions:
            raise ValueError(f"home_region: {self.home_region} is not one of the regions")
        for identifier, options in self.rules.items():
            if options.enabled and self.rule_names and identifier not in self.rule_names:
                raise ValueError(
                    f"rules: the Config rule {identifier} is not deployed; switch it on in "
                    f"the rules or set {identifier}: false here"
                )

    @classmethod
    def from_config(cls, section: str, raw: Mapping[str, Any], **values: Any) -> Self:
        """Build from the ``remediation`` section (``rules`` entries parsed one by one so
        errors name the rule identifier as written)."""
        parsed = parse_rule_options(section, raw, RemediationOptions)
        return super().from_config(section, parsed, **values)

    def active(self) -> dict[str, tuple[Runbook, bool]]:
        """Rule identifier -> (runbook, automatic) for every remediation to configure."""
        out: dict[str, tuple[Runbook, bool]] = {}
        for identifier, runbook in sorted(RUNBOOKS.items()):
            options = self.rules.get(identifier, RemediationOptions())
            if not options.enabled or identifier not in self.rule_names:
                continue
            automatic = runbook.automatic if options.automatic is None else options.automatic
            out[identifier] = (runbook, automatic)
        return out


def _with_account(pattern: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    def fill(account: str) -> str:
        return pattern.format(account=account)

    return pulumi.Output.from_input(account_id).apply(fill)


def remediation_statements(
    runbooks: Sequence[Runbook], account_id: pulumi.Input[str]
) -> list[dict[str, Any]]:
    """Least-privilege statements for the assume role: only what these runbooks call."""
    statements: list[dict[str, Any]] = []
    scoped: dict[str, set[str]] = {}
    unscoped: set[str] = set()
    for runbook in runbooks:
        for action in runbook.actions:
            scoped.setdefault(runbook.resource, set()).add(action)
        unscoped.update(runbook.unscoped_actions)
    for pattern, actions in sorted(scoped.items()):
        resource: pulumi.Input[str] = pattern
        if "{account}" in pattern:
            resource = _with_account(pattern, account_id)
        kind = pattern.rsplit(":", 1)[-1].split("/")[0]  # security-group, instance, or *
        label = "Buckets" if ":s3:" in pattern else "".join(w.title() for w in kind.split("-"))
        statements.append(
            {
                "Sid": f"Remediate{label}",
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": resource,
            }
        )
    documents = sorted({runbook.document for runbook in runbooks})
    statements.append(
        {
            # AWS lists these for every runbook (it reads its own execution state).
            "Sid": "RunTheseRunbooksOnly",
            "Effect": "Allow",
            "Action": ["ssm:GetAutomationExecution", "ssm:StartAutomationExecution"],
            "Resource": [
                pulumi.Output.concat(
                    f"arn:{iam.PARTITION}:ssm:*:", account_id, f":automation-definition/{doc}:*"
                )
                for doc in documents
            ]
            + [
                pulumi.Output.concat(
                    f"arn:{iam.PARTITION}:ssm:*:", account_id, ":automation-execution/*"
                )
            ],
        }
    )
    if unscoped:
        statements.append(
            {
                # Describe* and account-level EBS settings support no resource ARN.
                "Sid": "CallsWithoutResourceArns",
                "Effect": "Allow",
                "Action": sorted(unscoped),
                "Resource": "*",
            }
        )
    return statements


class AutoRemediation(pulumi.ComponentResource):
    """Remediation configurations per rule and region, one assume role, and notifications."""

    role: aws.iam.Role | None
    """The role the runbooks run as (None when no remediation is configured)."""
    configurations: dict[str, dict[str, aws.cfg.RemediationConfiguration]]
    """Rule identifier -> region -> remediation configuration."""
    notification_rules: dict[str, aws.cloudwatch.EventRule]
    """Region -> EventBridge rule matching NON_COMPLIANT evaluations."""

    def __init__(
        self,
        name: str,
        args: AutoRemediationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = AutoRemediationArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        waits = waits_of(opts)
        tags = dict(args.tags) or None
        account_id = iam.account_id_or_caller(args.account_id, self)
        active = args.active()
        self.role = None
        self.configurations = {}
        self.notification_rules = {}

        if active:
            self.role = aws.iam.Role(
                f"{name}-role",
                name=physical_name(args.name_prefix, REMEDIATION_ROLE),
                description="AWS Config remediation runbooks (SSM Automation) run as this role",
                assume_role_policy=iam.service_assume_role_policy(
                    "ssm.amazonaws.com", source_account=account_id
                ),
                tags=tags,
                opts=child,
            )
            policy = aws.iam.RolePolicy(
                f"{name}-permissions",
                role=self.role.id,
                policy=iam.dumps(
                    remediation_statements([rb for rb, _ in active.values()], account_id)
                ),
                opts=child,
            )
            for identifier, (runbook, automatic) in active.items():
                self.configurations[identifier] = {}
                for region, rule_name in sorted(args.rule_names[identifier].items()):
                    self.configurations[identifier][region] = self._configuration(
                        f"{name}-{identifier.lower().replace('_', '-')}-{region}",
                        args=args,
                        region=region,
                        rule_name=rule_name,
                        runbook=runbook,
                        automatic=automatic,
                        role_arn=self.role.arn,
                        depends_on=[policy, *waits],
                    )

        if args.notification_topic_arn is not None:
            self._notifications(name, args, account_id, tags)

        self.register_outputs(
            {
                "automatic": sorted(k for k, (_, auto) in active.items() if auto),
                "manual": sorted(k for k, (_, auto) in active.items() if not auto),
            }
        )

    def _configuration(
        self,
        resource_name: str,
        *,
        args: AutoRemediationArgs,
        region: str,
        rule_name: pulumi.Input[str],
        runbook: Runbook,
        automatic: bool,
        role_arn: pulumi.Input[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> aws.cfg.RemediationConfiguration:
        parameters: list[aws.cfg.RemediationConfigurationParameterArgsDict] = [
            {"name": "AutomationAssumeRole", "static_value": role_arn}
        ]
        if runbook.resource_parameter:
            parameters.append({"name": runbook.resource_parameter, "resource_value": "RESOURCE_ID"})
        parameters += [
            {"name": key, "static_value": value}
            for key, value in sorted(runbook.static_parameters.items())
        ]
        return aws.cfg.RemediationConfiguration(
            resource_name,
            config_rule_name=rule_name,
            target_type="SSM_DOCUMENT",
            target_id=runbook.document,
            resource_type=runbook.resource_type,
            parameters=parameters,
            automatic=automatic,
            maximum_automatic_attempts=args.maximum_automatic_attempts,
            retry_attempt_seconds=args.retry_attempt_seconds,
            execution_controls={
                "ssm_controls": {
                    "concurrent_execution_rate_percentage": args.concurrent_execution_percentage,
                    "error_percentage": args.error_percentage,
                }
            },
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )

    def _notifications(
        self,
        name: str,
        args: AutoRemediationArgs,
        account_id: pulumi.Input[str],
        tags: dict[str, str] | None,
    ) -> None:
        assert args.notification_topic_arn is not None
        child = pulumi.ResourceOptions(parent=self)
        home = args.home_region
        pattern = json.dumps(non_compliant_pattern(args.name_prefix))
        home_rule = aws.cloudwatch.EventRule(
            f"{name}-non-compliant-{home}",
            description="Config NON_COMPLIANT evaluations (this region and forwarded) to SNS",
            event_pattern=pattern,
            region=home,
            tags=tags,
            opts=child,
        )
        self.notification_rules[home] = home_rule
        aws.cloudwatch.EventTarget(
            f"{name}-non-compliant-topic",
            rule=home_rule.name,
            arn=args.notification_topic_arn,
            region=home,
            opts=child,
        )
        others = [r for r in sorted(args.regions) if r != home]
        if not others:
            return
        forwarder = HomeBusForwarder(
            self,
            home_region=home,
            account_id=account_id,
            role_resource=f"{name}-forward-role",
            policy_resource=f"{name}-forward-permissions",
            role_name=physical_name(args.name_prefix, "config-events-forward"),
            description="Forwards Config compliance events to the home region's event bus",
            tags=tags,
        )
        for region in others:
            self.notification_rules[region] = forwarder.forward(
                region,
                pattern,
                rule_resource=f"{name}-non-compliant-{region}",
                target_resource=f"{name}-forward-{region}",
                description=f"Forward Config NON_COMPLIANT evaluations to {home}",
            )
