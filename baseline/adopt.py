"""``secbaseline adopt``: find what an existing account already has, print the ``adopt`` config.

Read-only discovery with the caller's AWS credentials (boto3) across the detection regions.
Every client it makes refuses any operation that is not a ``Describe``/``Get``/``List``/
``BatchGet`` call before it is sent (:func:`read_only`), so the command cannot change the
account. It prints the stack config that makes the baseline import each singleton it found
(YAML to paste into ``Pulumi.<stack>.yaml``, or ``pulumi config set`` lines) and, as the other
route, the ``pulumi import`` commands. See docs/adoption.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from secbaseline.baseline.settings import PROJECT
from secbaseline.components.security_hub import STANDARDS
from secbaseline.components.session_manager import DOCUMENT_NAME

READ_ONLY = re.compile(r"^(Describe|Get|List|BatchGet)[A-Z]")
"""Operation names the command may call."""
CONFIG_ROLE_PATH = "/aws-service-role/config.amazonaws.com/"
"""Where AWS Config's service-linked role (AWSServiceRoleForConfig) lives."""

ClientFactory = Callable[[str, str], Any]
"""``clients(service, region)`` -> a boto3 client."""


class WriteRefused(RuntimeError):
    """A call that could change the account was attempted (and not sent)."""


def _refuse_writes(model: Any, **_: Any) -> None:
    if not READ_ONLY.match(model.name):
        raise WriteRefused(f"secbaseline adopt only reads; refused {model.name}")


def read_only(client: Any) -> Any:
    """``client``, refusing every operation but Describe/Get/List/BatchGet before it is sent."""
    client.meta.events.register("before-call.*.*", _refuse_writes)
    return client


def boto3_clients(profile: str | None = None) -> ClientFactory:
    """Read-only boto3 clients from the caller's credentials (one session, cached)."""
    import boto3

    session = boto3.Session(profile_name=profile)
    made: dict[tuple[str, str], Any] = {}

    def clients(service: str, region: str) -> Any:
        if (service, region) not in made:
            client: Any = session.client(service, region_name=region)  # type: ignore[call-overload]  # service named at run time
            made[(service, region)] = read_only(client)
        return made[(service, region)]

    return clients


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


@dataclass
class Found:
    """One existing singleton: the ``adopt`` entry and the equivalent ``pulumi import``."""

    key: str
    """The ``adopt`` field (config key)."""
    region: str | None
    """Its region (None: global)."""
    entry: Any
    """What goes under ``adopt.<key>[.<region>]``."""
    type: str
    """The pulumi-aws type token."""
    name: str
    """The logical name the baseline gives it."""
    import_id: str
    """The id ``pulumi import`` takes."""
    parent: tuple[str, str]
    """(component type token, component name) of its parent."""
    changes: str
    """What the baseline changes on it once it manages it."""


@dataclass
class Discovery:
    """What the account has, and section settings that avoid collisions."""

    account_id: str
    regions: tuple[str, ...]
    home_region: str
    found: list[Found] = field(default_factory=list)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Other config (``configRecording.createServiceLinkedRole: false``)."""
    notes: list[str] = field(default_factory=list)

    def adopt_section(self) -> dict[str, Any]:
        """The ``adopt`` config section."""
        section: dict[str, Any] = {}
        for item in self.found:
            if item.region is None:
                section[item.key] = item.entry
            elif item.key == "securityHubStandards":  # a list of ARNs per region
                section.setdefault(item.key, {}).setdefault(item.region, []).append(item.entry)
            else:
                section.setdefault(item.key, {})[item.region] = item.entry
        return section


# --- per service -------------------------------------------------------------------------

_HARDENING = ("secbaseline:index:AccountHardening", "account-hardening")
_THREAT = ("secbaseline:index:ThreatDetection", "threat-detection")
_HUB = ("secbaseline:index:SecurityHub", "security-hub")
_ACCESS = ("secbaseline:index:AccessAnalysis", "access-analysis")
_RECORDING = ("secbaseline:index:ConfigRecording", "config-recording")
_SCANNING = ("secbaseline:index:VulnerabilityScanning", "vulnerability-scanning")
_SESSION = ("secbaseline:index:SessionManagerPreferences", "session-manager")


def _password_policy(clients: ClientFactory, found: Discovery) -> None:
    iam = clients("iam", found.home_region)
    try:
        iam.get_account_password_policy()
    except Exception as error:
        if _code(error) == "NoSuchEntity":
            return
        raise
    found.found.append(
        Found(
            "passwordPolicy",
            None,
            "import",
            "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
            "account-hardening-password-policy",
            "iam-account-password-policy",
            _HARDENING,
            "made at least as strict as the baseline's (14 characters, all character classes, "
            "24 remembered passwords)",
        )
    )


def _config_service_role(clients: ClientFactory, found: Discovery) -> None:
    """AWSServiceRoleForConfig exists once per account: then the stack must not create it."""
    iam = clients("iam", found.home_region)
    roles = iam.list_roles(PathPrefix=CONFIG_ROLE_PATH).get("Roles") or []
    if roles:
        found.sections.setdefault("configRecording", {})["createServiceLinkedRole"] = False


def _ebs(clients: ClientFactory, found: Discovery, region: str) -> None:
    ec2 = clients("ec2", region)
    if ec2.get_ebs_encryption_by_default().get("EbsEncryptionByDefault"):
        found.found.append(
            Found(
                "ebsEncryption",
                region,
                "import",
                "aws:ebs/encryptionByDefault:EncryptionByDefault",
                f"account-hardening-ebs-encryption-{region}",
                f"default@{region}",
                _HARDENING,
                "nothing (it is already on)",
            )
        )
    key = ec2.get_ebs_default_kms_key_id().get("KmsKeyId") or ""
    if key.startswith("arn:") and ":key/" in key:  # a customer key, not alias/aws/ebs
        found.found.append(
            Found(
                "ebsDefaultKey",
                region,
                {"mode": "import", "id": key},
                "aws:ebs/defaultKmsKey:DefaultKmsKey",
                f"account-hardening-ebs-key-{region}",
                key,
                _HARDENING,
                "the default key becomes accountHardening.ebsKmsKeyArns' key for the region",
            )
        )


def _guardduty(clients: ClientFactory, found: Discovery, region: str) -> None:
    ids = clients("guardduty", region).list_detectors().get("DetectorIds") or []
    if ids:
        found.found.append(
            Found(
                "guardDuty",
                region,
                {"mode": "import", "id": ids[0]},
                "aws:guardduty/detector:Detector",
                f"threat-detection-detector-{region}",
                f"{ids[0]}@{region}",
                _THREAT,
                "findings published every 15 minutes; every protection plan switched on "
                "(S3, EKS, EBS malware, RDS, Lambda, runtime monitoring); findings exported to "
                "the baseline's bucket",
            )
        )


def _security_hub(clients: ClientFactory, found: Discovery, region: str) -> None:
    hub = clients("securityhub", region)
    try:
        hub.describe_hub()
    except Exception as error:
        if _code(error) in ("InvalidAccessException", "ResourceNotFoundException"):
            return  # not enabled in this region
        raise
    found.found.append(
        Found(
            "securityHub",
            region,
            {"mode": "import", "id": found.account_id},
            "aws:securityhub/account:Account",
            f"security-hub-hub-{region}",
            f"{found.account_id}@{region}",
            _HUB,
            "consolidated control findings (SECURITY_CONTROL), new controls auto-enabled, "
            "the baseline's standards added, global-resource controls disabled outside home",
        )
    )
    ours = {path.removeprefix("standards/"): name for name, path in STANDARDS.items()}
    arns = []
    for subscription in hub.get_enabled_standards().get("StandardsSubscriptions") or []:
        arn = subscription["StandardsSubscriptionArn"]
        name = ours.get(arn.split(":subscription/", 1)[-1])
        if name is None or subscription.get("StandardsStatus") not in ("READY", "INCOMPLETE"):
            continue
        arns.append(arn)
        found.found.append(
            Found(
                "securityHubStandards",
                region,
                arn,
                "aws:securityhub/standardsSubscription:StandardsSubscription",
                f"security-hub-{name}-{region}",
                arn,
                _HUB,
                "nothing on the subscription; the baseline's control settings apply to it",
            )
        )
    if region == found.home_region:
        aggregators = hub.list_finding_aggregators().get("FindingAggregators") or []
        for aggregator in aggregators:
            arn = aggregator["FindingAggregatorArn"]
            if arn.split(":")[3] != found.home_region:
                found.notes.append(
                    f"the finding aggregator {arn} is not in the home region "
                    f"{found.home_region}: AWS allows one; set "
                    "securityHub.aggregateFindings: false or move it"
                )
                continue
            found.found.append(
                Found(
                    "securityHubAggregator",
                    None,
                    {"mode": "import", "id": arn},
                    "aws:securityhub/findingAggregator:FindingAggregator",
                    "security-hub-aggregator",
                    arn,
                    _HUB,
                    "linked regions become the detection regions",
                )
            )


def _access_analyzer(clients: ClientFactory, found: Discovery, region: str) -> None:
    analyzers = clients("accessanalyzer", region).list_analyzers(type="ACCOUNT")
    active = [a for a in analyzers.get("analyzers") or [] if a.get("status") == "ACTIVE"]
    if active:
        name = sorted(a["name"] for a in active)[0]
        found.found.append(
            Found(
                "accessAnalyzer",
                region,
                {"mode": "import", "id": name},
                "aws:accessanalyzer/analyzer:Analyzer",
                f"access-analysis-external-{region}",
                f"{name}@{region}",
                _ACCESS,
                "keeps its name; the baseline's tags and archive rules are added",
            )
        )


def _config(clients: ClientFactory, found: Discovery, region: str) -> None:
    config = clients("config", region)
    recorders = config.describe_configuration_recorders().get("ConfigurationRecorders") or []
    mine = [r for r in recorders if not r.get("servicePrincipal")]  # not service-linked
    if mine:
        name = mine[0]["name"]
        found.found.append(
            Found(
                "configRecorder",
                region,
                {"mode": "import", "id": name},
                "aws:cfg/recorder:Recorder",
                f"config-recording-recorder-{region}",
                f"{name}@{region}",
                _RECORDING,
                "keeps its name; records all supported types (IAM types only in the home "
                "region) continuously with the service-linked role; started",
            )
        )
        found.found.append(
            Found(
                "configRecorder",
                region,
                {"mode": "import", "id": name},
                "aws:cfg/recorderStatus:RecorderStatus",
                f"config-recording-status-{region}",
                f"{name}@{region}",
                _RECORDING,
                "started",
            )
        )
    channels = config.describe_delivery_channels().get("DeliveryChannels") or []
    if channels:
        name = channels[0]["name"]
        found.found.append(
            Found(
                "configDeliveryChannel",
                region,
                {"mode": "import", "id": name},
                "aws:cfg/deliveryChannel:DeliveryChannel",
                f"config-recording-channel-{region}",
                f"{name}@{region}",
                _RECORDING,
                "keeps its name; delivers to the baseline's KMS-encrypted bucket daily",
            )
        )


INSPECTOR_TYPES = {"ec2": "EC2", "ecr": "ECR", "lambda": "LAMBDA", "lambdaCode": "LAMBDA_CODE"}


def _inspector(clients: ClientFactory, found: Discovery, region: str) -> None:
    status = clients("inspector2", region).batch_get_account_status(accountIds=[found.account_id])
    for account in status.get("accounts") or []:
        state = account.get("resourceState") or {}
        enabled = sorted(
            kind
            for key, kind in INSPECTOR_TYPES.items()
            if (state.get(key) or {}).get("status") == "ENABLED"
        )
        if enabled:
            enabler_id = f"{found.account_id}-{':'.join(enabled)}"
            found.found.append(
                Found(
                    "inspector",
                    region,
                    {"mode": "import", "id": enabler_id},
                    "aws:inspector2/enabler:Enabler",
                    f"vulnerability-scanning-{region}",
                    f"{enabler_id}@{region}",
                    _SCANNING,
                    "scans the baseline's resource types (EC2, ECR, Lambda by default)",
                )
            )


def _session_document(clients: ClientFactory, found: Discovery, region: str) -> None:
    try:
        clients("ssm", region).describe_document(Name=DOCUMENT_NAME)
    except Exception as error:
        if _code(error) == "InvalidDocument":
            return
        raise
    found.found.append(
        Found(
            "sessionManagerDocument",
            region,
            "import",
            "aws:ssm/document:Document",
            f"session-manager-preferences-{region}",
            f"{DOCUMENT_NAME}@{region}",
            _SESSION,
            "its preferences are replaced: KMS-encrypted sessions, CloudWatch logging to an "
            "encrypted group, 20-minute idle timeout",
        )
    )


REGIONAL: tuple[Callable[[ClientFactory, Discovery, str], None], ...] = (
    _ebs,
    _guardduty,
    _security_hub,
    _access_analyzer,
    _config,
    _inspector,
    _session_document,
)


def discover(
    clients: ClientFactory, *, account_id: str, regions: Iterable[str], home_region: str
) -> Discovery:
    """Look at the account (read-only) and collect every singleton it already has."""
    chosen = tuple(sorted(set(regions)))
    found = Discovery(account_id=account_id, regions=chosen, home_region=home_region)
    _password_policy(clients, found)
    _config_service_role(clients, found)
    for region in chosen:
        for look in REGIONAL:
            look(clients, found, region)
    return found


# --- output ------------------------------------------------------------------------------


def stack_config(found: Discovery, project: str = PROJECT) -> dict[str, Any]:
    """The ``config:`` entries to add to the stack file."""
    config: dict[str, Any] = {}
    adopt = found.adopt_section()
    if adopt:
        config[f"{project}:adopt"] = adopt
    for section, values in sorted(found.sections.items()):
        config[f"{project}:{section}"] = values
    return config


def _set_lines(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        out: list[tuple[str, Any]] = []
        for key, inner in value.items():
            out += _set_lines(f"{prefix}.{key}", inner)
        return out
    if isinstance(value, list):
        out = []
        for index, inner in enumerate(value):
            out += _set_lines(f"{prefix}[{index}]", inner)
        return out
    return [(prefix, value)]


def _shell(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text.replace("'", "'\\''") + "'"


def config_commands(found: Discovery, project: str = PROJECT) -> list[str]:
    """``pulumi config set --path`` lines for the same config."""
    lines = []
    for key, value in stack_config(found, project).items():
        for path, leaf in _set_lines(key, value):
            lines.append(f"pulumi config set --path {_shell(path)} {_shell(leaf)}")
    return lines


def import_commands(found: Discovery, stack: str, project: str = PROJECT) -> list[str]:
    """The other route: ``pulumi import`` each resource, then set its entries' mode to create
    (ids kept)."""
    lines = []
    provider = f"account=urn:pulumi:{stack}::{project}::pulumi:providers:aws::account"
    for item in found.found:
        component, component_name = item.parent
        parent = f"{component_name}=urn:pulumi:{stack}::{project}::{component}::{component_name}"
        lines.append(
            f"pulumi import {_shell(item.type)} {_shell(item.name)} {_shell(item.import_id)} "
            f"--parent {_shell(parent)} --provider {_shell(provider)}"
        )
    return lines


def render(found: Discovery, fmt: str, stack: str, project: str = PROJECT) -> str:
    """The report: ``yaml`` (stack-file config) or ``commands`` (``pulumi`` CLI lines)."""
    head = [
        f"# secbaseline adopt: account {found.account_id}, regions {', '.join(found.regions)}"
        f" (home {found.home_region}); read-only, nothing was changed.",
    ]
    if not found.found and not found.sections:
        head.append("# Nothing to adopt: a fresh account; the defaults (create) apply.")
    for item in found.found:
        where = item.region or "global"
        head.append(f"# {item.type} ({where}): adopting changes {item.changes}.")
    head += [f"# note: {note}" for note in found.notes]
    body: list[str]
    if fmt == "commands":
        body = config_commands(found, project)
        if found.found:
            body += [
                "",
                "# Or import by hand (then set these adopt entries' mode to create, ids kept):",
                *import_commands(found, stack, project),
            ]
    else:
        config = stack_config(found, project)
        body = ["# Add to Pulumi.<stack>.yaml:"]
        if config:
            body.append(
                yaml.safe_dump({"config": config}, sort_keys=True, default_flow_style=False)
            )
    return "\n".join(head + body).rstrip("\n") + "\n"


# --- command -----------------------------------------------------------------------------


def _enabled_regions(clients: ClientFactory, region: str) -> list[str]:
    regions = clients("ec2", region).describe_regions(
        Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
    )
    return sorted(r["RegionName"] for r in regions.get("Regions") or [])


def run_adopt(args: argparse.Namespace, clients: ClientFactory | None = None) -> int:
    """``secbaseline adopt``: discover and print. AWS errors (no credentials, access denied)
    are one line, as a usage error."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return _run_adopt(args, clients)
    except (BotoCoreError, ClientError) as error:
        raise ValueError(f"AWS: {error}") from None


def _run_adopt(args: argparse.Namespace, clients: ClientFactory | None) -> int:
    from secbaseline.baseline import plan as planning

    config: dict[str, Any] = {}
    other: dict[str, Any] = {}
    stack = "dev"
    if args.config:
        stack_file = planning.read_stack_file(args.config)
        config, other, stack = stack_file.project_config, stack_file.other_config, stack_file.stack
    home = args.home_region or config.get("homeRegion") or other.get("aws:region")
    if not home:
        raise ValueError("--home-region: required (or --config with homeRegion / aws:region)")
    clients = clients or boto3_clients(args.profile)
    if args.regions:
        regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    elif config.get("detectionRegions"):
        regions = list(config["detectionRegions"])
    else:
        regions = _enabled_regions(clients, home)
    if home not in regions:
        regions.append(home)
    account = clients("sts", home).get_caller_identity()["Account"]
    if config.get("accountId") and str(config["accountId"]) != account:
        raise ValueError(
            f"--config: accountId is {config['accountId']} but the credentials are for "
            f"account {account}"
        )
    found = discover(clients, account_id=account, regions=regions, home_region=home)
    sys.stdout.write(render(found, args.format, stack))
    return 0


def add_adopt(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``secbaseline adopt``."""
    parser = sub.add_parser(
        "adopt",
        help="find what an existing account already has (read-only, your AWS credentials) "
        "and print the adopt config",
    )
    parser.add_argument("--config", metavar="Pulumi.<stack>.yaml", help="the stack file")
    parser.add_argument(
        "--regions",
        help="regions to look at, comma-separated (default: the "
        "stack's detectionRegions, else every enabled region)",
    )
    parser.add_argument("--home-region", help="home region (default: the stack file's)")
    parser.add_argument("--profile", help="AWS profile (default: the usual credential chain)")
    parser.add_argument("--format", choices=["yaml", "commands"], default="yaml")
    parser.set_defaults(run=run_adopt)
