"""Session Manager preferences: encrypted, logged shell sessions with an idle timeout.

Checklist: S-01 (Session Manager is the only way in, and every session is recorded).
Owns the regional ``SSM-SessionManagerRunShell`` document, which holds the account's
Session Manager preferences in that region.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import validate
from secbaseline.baseline.naming import baseline_tags, physical_name
from secbaseline.components._iam_documents import logs_key_policy

TYPE_TOKEN = "secbaseline:index:SessionManagerPreferences"
DOCUMENT_NAME = "SSM-SessionManagerRunShell"
_LINUX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


@dataclass
class SessionManagerPreferencesArgs:
    """Inputs of :class:`SessionManagerPreferences`."""

    regions: Sequence[str] = ()
    """Regions whose Session Manager preferences are managed. Required."""
    idle_timeout_minutes: int = 20
    """End a session after this many idle minutes, 1-60."""
    max_session_minutes: int | None = None
    """End any session after this many minutes, 1-1440; None: no limit."""
    log_retention_days: int = 365
    """Retention of the session log groups."""
    s3_bucket_name: str | None = None
    """Also upload session logs to this bucket (encrypted uploads required)."""
    s3_key_prefix: str = "session-manager/"
    """Key prefix in ``s3_bucket_name``."""
    cloudwatch_streaming: bool = True
    """Stream session logs to CloudWatch as they happen (False: upload at session end)."""
    run_as_enabled: bool = False
    """Linux sessions run as an OS user instead of ssm-user (opt-in)."""
    run_as_default_user: str = ""
    """OS user for run-as when the IAM principal has no SSMSessionRunAs tag."""
    linux_shell_profile: str = ""
    """Commands run at the start of every Linux session."""
    account_id: pulumi.Input[str] | None = None
    """Account id for the key policies; None: looked up with one caller-identity invoke."""
    name_prefix: str = "secbaseline"
    """Prefix of physical names."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags on every resource."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        validate.regions("sessionManager.regions", list(self.regions))
        validate.int_range("sessionManager.idleTimeoutMinutes", self.idle_timeout_minutes, 1, 60)
        if self.max_session_minutes is not None:
            validate.int_range(
                "sessionManager.maxSessionMinutes", self.max_session_minutes, 1, 1440
            )
        validate.log_retention_days("sessionManager.logRetentionDays", self.log_retention_days)
        if self.s3_bucket_name is not None:
            validate.bucket_name("sessionManager.s3BucketName", self.s3_bucket_name)
        validate.boolean("sessionManager.cloudWatchStreaming", self.cloudwatch_streaming)
        validate.boolean("sessionManager.runAsEnabled", self.run_as_enabled)
        if self.run_as_default_user:
            if not self.run_as_enabled:
                raise ValueError(
                    "sessionManager.runAsDefaultUser: only applies with runAsEnabled: true"
                )
            if not _LINUX_USER.fullmatch(self.run_as_default_user):
                raise ValueError(
                    f"sessionManager.runAsDefaultUser: {self.run_as_default_user!r} "
                    "is not a Linux user name"
                )
        validate.name_prefix("sessionManager.namePrefix", self.name_prefix)

    @classmethod
    def from_config(
        cls, section: Mapping[str, Any], regions: Sequence[str]
    ) -> SessionManagerPreferencesArgs:
        """Build from the ``sessionManager`` config section; ``regions`` is the tier default."""
        raw = validate.known_keys(
            "sessionManager",
            section,
            {
                "enabled",
                "regions",
                "idleTimeoutMinutes",
                "maxSessionMinutes",
                "logRetentionDays",
                "s3BucketName",
                "s3KeyPrefix",
                "cloudWatchStreaming",
                "runAsEnabled",
                "runAsDefaultUser",
                "linuxShellProfile",
            },
        )
        chosen = raw.get("regions", list(regions))
        if not isinstance(chosen, list | tuple):
            raise ValueError("sessionManager.regions: expected a list of region names")
        return cls(
            regions=tuple(chosen),
            idle_timeout_minutes=raw.get("idleTimeoutMinutes", 20),  # type: ignore[arg-type]  # validated by validate()
            max_session_minutes=raw.get("maxSessionMinutes"),  # type: ignore[arg-type]  # validated by validate()
            log_retention_days=raw.get("logRetentionDays", 365),  # type: ignore[arg-type]  # validated by validate()
            s3_bucket_name=raw.get("s3BucketName"),  # type: ignore[arg-type]  # validated by validate()
            s3_key_prefix=str(raw.get("s3KeyPrefix", "session-manager/")),
            cloudwatch_streaming=raw.get("cloudWatchStreaming", True),  # type: ignore[arg-type]  # validated by validate()
            run_as_enabled=raw.get("runAsEnabled", False),  # type: ignore[arg-type]  # validated by validate()
            run_as_default_user=str(raw.get("runAsDefaultUser", "")),
            linux_shell_profile=str(raw.get("linuxShellProfile", "")),
        )


def session_client_statements(
    kms_key_arns: Sequence[pulumi.Input[str]],
    log_group_arns: Sequence[pulumi.Input[str]],
) -> list[dict[str, Any]]:
    """What an instance's role needs to open encrypted sessions that log to these groups.

    Instances decrypt session data with the session key and write the session log; the
    instance's managed policy (AmazonSSMManagedInstanceCore, or the DHMC default policy)
    grants neither.
    """

    def resource(arns: Sequence[pulumi.Input[str]]) -> pulumi.Input[str] | list[Any]:
        return arns[0] if len(arns) == 1 else list(arns)

    statements: list[dict[str, Any]] = []
    if kms_key_arns:
        statements.append(
            {
                "Sid": "DecryptSessionData",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": resource(kms_key_arns),
            }
        )
    if log_group_arns:
        statements += [
            {
                "Sid": "FindSessionLogGroup",
                "Effect": "Allow",
                # The agent checks the group exists with a List-type call on "*".
                "Action": "logs:DescribeLogGroups",
                "Resource": "*",
            },
            {
                "Sid": "WriteSessionLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                "Resource": resource([pulumi.Output.concat(arn, ":*") for arn in log_group_arns]),
            },
        ]
    return statements


def session_document(
    args: SessionManagerPreferencesArgs, log_group: pulumi.Input[str], key_id: pulumi.Input[str]
) -> pulumi.Output[str]:
    """The Session document content holding the preferences."""
    return pulumi.Output.json_dumps(
        {
            "schemaVersion": "1.0",
            "description": "Session Manager preferences (managed by pulumi-aws-security-baseline)",
            "sessionType": "Standard_Stream",
            "inputs": {
                "s3BucketName": args.s3_bucket_name or "",
                "s3KeyPrefix": args.s3_key_prefix if args.s3_bucket_name else "",
                "s3EncryptionEnabled": True,
                "cloudWatchLogGroupName": log_group,
                "cloudWatchEncryptionEnabled": True,
                "cloudWatchStreamingEnabled": args.cloudwatch_streaming,
                "idleSessionTimeout": str(args.idle_timeout_minutes),
                "maxSessionDuration": str(args.max_session_minutes or ""),
                "kmsKeyId": key_id,
                "runAsEnabled": args.run_as_enabled,
                "runAsDefaultUser": args.run_as_default_user,
                "shellProfile": {"linux": args.linux_shell_profile, "windows": ""},
            },
        }
    )


class SessionManagerPreferences(pulumi.ComponentResource):
    """Per region: a KMS key, an encrypted log group and the SSM-SessionManagerRunShell document."""

    kms_keys: dict[str, aws.kms.Key]
    """Region -> key encrypting session data and session logs."""
    log_groups: dict[str, aws.cloudwatch.LogGroup]
    """Region -> session log group."""
    documents: dict[str, aws.ssm.Document]
    """Region -> the preferences document."""

    def __init__(
        self,
        name: str,
        args: SessionManagerPreferencesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args.validate()
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = baseline_tags(args.tags, component="SessionManagerPreferences")
        account: pulumi.Input[str] = (
            args.account_id
            if args.account_id is not None
            else aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)
            ).account_id
        )
        self.kms_keys, self.log_groups, self.documents = {}, {}, {}
        for region in sorted(args.regions):
            key = aws.kms.Key(
                f"{name}-key-{region}",
                description="Session Manager: session data and session log encryption",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=logs_key_policy(account, region),
                region=region,
                tags=tags,
                opts=child,
            )
            aws.kms.Alias(
                f"{name}-key-alias-{region}",
                name=f"alias/{physical_name(args.name_prefix, 'session-manager')}",
                target_key_id=key.key_id,
                region=region,
                opts=child,
            )
            log_group = aws.cloudwatch.LogGroup(
                f"{name}-logs-{region}",
                name=f"/{args.name_prefix}/session-manager",
                kms_key_id=key.arn,
                retention_in_days=args.log_retention_days,
                region=region,
                tags=tags,
                opts=child,
            )
            self.kms_keys[region] = key
            self.log_groups[region] = log_group
            self.documents[region] = aws.ssm.Document(
                f"{name}-preferences-{region}",
                name=DOCUMENT_NAME,
                document_type="Session",
                document_format="JSON",
                content=session_document(args, log_group.name, key.key_id),
                region=region,
                tags=tags,
                opts=child,
            )
        self.register_outputs(
            {
                "regions": sorted(args.regions),
                "kmsKeyArns": {r: k.arn for r, k in self.kms_keys.items()},
                "logGroupNames": {r: g.name for r, g in self.log_groups.items()},
            }
        )

    def client_statements(self) -> list[dict[str, Any]]:
        """IAM statements letting an instance open sessions in every managed region."""
        return session_client_statements(
            [self.kms_keys[r].arn for r in sorted(self.kms_keys)],
            [self.log_groups[r].arn for r in sorted(self.log_groups)],
        )
