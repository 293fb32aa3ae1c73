"""Session Manager preferences: encrypted, logged shell sessions with an idle timeout.

Checklist: S-01 (Session Manager is the only way in, and every session is recorded).
Owns the regional ``SSM-SessionManagerRunShell`` document, which holds the account's
Session Manager preferences in that region.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from secbaseline.baseline import iam, validate
from secbaseline.baseline.args import ComponentArgs, arg, component_args
from secbaseline.baseline.naming import baseline_tags, physical_name
from secbaseline.components import _adoption
from secbaseline.components._adoption import Adoption
from secbaseline.components._iam_documents import logs_key_policy

TYPE_TOKEN = "secbaseline:index:SessionManagerPreferences"
DOCUMENT_NAME = "SSM-SessionManagerRunShell"
_LINUX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def _linux_user(field: str, value: object) -> str:
    if not isinstance(value, str) or (value and not _LINUX_USER.fullmatch(value)):
        raise ValueError(f"{field}: {value!r} is not a Linux user name")
    return value


@component_args
class SessionManagerPreferencesArgs(ComponentArgs):
    """Inputs of :class:`SessionManagerPreferences`."""

    regions: Sequence[str] = arg(check=validate.regions)
    """Regions whose Session Manager preferences are managed (each gets a key, a log group and
    the preferences document)."""
    idle_timeout_minutes: int = arg(default=20, ge=1, le=60)
    """End a session after this many idle minutes, 1-60."""
    max_session_minutes: int | None = arg(default=None, ge=1, le=1440)
    """End any session after this many minutes, 1-1440; None: no limit."""
    log_retention_days: int = arg(default=365, check=validate.log_retention_days)
    """Retention of the session log groups (a CloudWatch Logs retention value)."""
    s3_bucket_name: pulumi.Input[str] | None = arg(default=None, check=validate.bucket_name)
    """Also upload session logs to this bucket (encrypted uploads required)."""
    s3_key_prefix: str = "session-manager/"
    """Key prefix in ``s3_bucket_name``."""
    cloud_watch_streaming: bool = True
    """Stream session logs to CloudWatch as they happen (False: upload at session end)."""
    run_as_enabled: bool = False
    """Linux sessions run as an OS user instead of ssm-user (opt-in)."""
    run_as_default_user: str = arg(default="", check=_linux_user)
    """OS user for run-as when the IAM principal has no SSMSessionRunAs tag (needs
    ``run_as_enabled``)."""
    linux_shell_profile: str = ""
    """Commands run at the start of every Linux session."""
    kms_key_arn: pulumi.Input[str] | None = arg(default=None, check=validate.kms_key_arn)
    """Your KMS key for session data and session logs instead of a created one (a key is
    regional: only with exactly one region). Its policy must let
    ``logs.<region>.amazonaws.com`` use it for this account's log groups."""
    account_id: pulumi.Input[str] | None = arg(default=None, check=validate.account_id)
    """Account id for the key policies; None: looked up with one caller-identity invoke."""
    name_prefix: str = arg(default="secbaseline", check=validate.name_prefix)
    """Prefix of physical names (key alias, log group)."""
    tags: Mapping[str, str] = arg(default_factory=dict, check=validate.tags)
    """Extra tags on every taggable child (keys, log groups, documents)."""
    adopt_documents: Mapping[str, Adoption] = arg(default_factory=dict, check=_adoption.by_region)
    """Region -> an existing SSM-SessionManagerRunShell document (the console creates it when
    preferences are first opened): create (default), import (id derived) or skip (the
    preferences there are left alone; key and log group are still created). See
    docs/adoption.md."""

    def __post_init__(self) -> None:
        _adoption.within("adopt_documents", self.adopt_documents, self.regions)
        if self.run_as_default_user and not self.run_as_enabled:
            raise ValueError("run_as_default_user: only applies with run_as_enabled: true")
        if self.kms_key_arn is not None:
            if len(self.regions) != 1:
                raise ValueError(
                    "kms_key_arn: a KMS key is regional; give it with exactly one region "
                    "(one component per region to bring a key for each)"
                )
            if isinstance(self.kms_key_arn, str) and self.kms_key_arn.split(":")[3] not in (
                self.regions[0],
            ):
                raise ValueError(
                    f"kms_key_arn: the key is in {self.kms_key_arn.split(':')[3]}, "
                    f"not in {self.regions[0]}"
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
                "s3BucketName": args.s3_bucket_name if args.s3_bucket_name is not None else "",
                "s3KeyPrefix": args.s3_key_prefix if args.s3_bucket_name is not None else "",
                "s3EncryptionEnabled": True,
                "cloudWatchLogGroupName": log_group,
                "cloudWatchEncryptionEnabled": True,
                "cloudWatchStreamingEnabled": args.cloud_watch_streaming,
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
    """Region -> key created for session data and session logs (empty with ``kms_key_arn``)."""
    kms_key_arns: dict[str, pulumi.Output[str]]
    """Region -> ARN of the key that encrypts sessions and session logs (created or given)."""
    log_groups: dict[str, aws.cloudwatch.LogGroup]
    """Region -> session log group."""
    log_group_names: dict[str, pulumi.Output[str]]
    """Region -> name of the session log group."""
    documents: dict[str, aws.ssm.Document]
    """Region -> the preferences document."""

    def __init__(
        self,
        name: str,
        args: SessionManagerPreferencesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = SessionManagerPreferencesArgs.coerce(args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        tags = baseline_tags(args.tags, component="SessionManagerPreferences")
        self.kms_keys, self.kms_key_arns, self.documents = {}, {}, {}
        self.log_groups, self.log_group_names = {}, {}
        account: pulumi.Input[str] = ""
        if args.kms_key_arn is None:
            account = iam.account_id_or_caller(args.account_id, self)
        for region in sorted(args.regions):
            self._region(name, args, region, account, tags)
        self.register_outputs(
            {
                "regions": sorted(args.regions),
                "kmsKeyArns": self.kms_key_arns,
                "logGroupNames": self.log_group_names,
            }
        )

    def _region(
        self,
        name: str,
        args: SessionManagerPreferencesArgs,
        region: str,
        account: pulumi.Input[str],
        tags: Mapping[str, str],
    ) -> None:
        """One region's key (unless given), encrypted session log group and preferences
        document."""
        child = pulumi.ResourceOptions(parent=self)
        key_arn: pulumi.Input[str]
        key_id: pulumi.Input[str]
        if args.kms_key_arn is not None:  # the user's key (exactly one region)
            key_arn = key_id = args.kms_key_arn
        else:
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
            self.kms_keys[region] = key
            key_arn, key_id = key.arn, key.key_id
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs-{region}",
            name=f"/{args.name_prefix}/session-manager",
            kms_key_id=key_arn,
            retention_in_days=args.log_retention_days,
            region=region,
            tags=tags,
            opts=child,
        )
        self.kms_key_arns[region] = pulumi.Output.from_input(key_arn)
        self.log_groups[region] = log_group
        self.log_group_names[region] = log_group.name
        adoption = _adoption.entry(args.adopt_documents, region)
        if adoption.skipped:
            return
        self.documents[region] = aws.ssm.Document(
            f"{name}-preferences-{region}",
            name=DOCUMENT_NAME,
            document_type="Session",
            document_format="JSON",
            content=session_document(args, log_group.name, key_id),
            region=region,
            tags=tags,
            opts=_adoption.options(
                adoption,
                child,
                ignore=["content", "documentFormat", "tags"],
                region=region,
                default_id=DOCUMENT_NAME,
            ),
        )

    def client_statements(self) -> list[dict[str, Any]]:
        """IAM statements letting an instance open sessions in every managed region."""
        return session_client_statements(
            [self.kms_key_arns[r] for r in sorted(self.kms_key_arns)],
            [self.log_groups[r].arn for r in sorted(self.log_groups)],
        )
