"""Lambda entry point: isolate the EC2 instance named by a GuardDuty finding.

Modes (``MODE``): ``automatic`` isolates at once; ``approve`` (the default) records the
finding on the instance (``secbaseline:isolation-pending``) and publishes the one step that
isolates it, and isolates only when a person sends that approval (an ``approve-isolation``
event naming the instance, region, finding and approver); ``notify`` only publishes.

Order: check -> record the original state (tags, evidence bucket) -> termination/stop
protection -> keep Auto Scaling from replacing it -> deregister from target groups ->
network isolation (transit group, then isolation group) -> quarantine instance profile ->
snapshot volumes -> tag as isolated -> notify. Every step is idempotent; a failed run leaves
the instance tagged ``isolating`` and the next run (Lambda's retry, or a rerun) completes it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from . import log, record, steps
from .aws import ClientFactory, Clients, Recorder, boto3_factory
from .parse import (
    Approval,
    Config,
    Finding,
    Rejected,
    approval_event,
    config_from_env,
    is_approval,
    parse_approval,
    parse_event,
)


class IsolationFailed(RuntimeError):
    """Raised after an error so Lambda retries the event and finally sends it to the DLQ."""


def result(
    status: str,
    finding: Finding | None,
    run: Recorder | None,
    reason: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "status": status,
        "instanceId": finding.instance_id if finding else None,
        "region": finding.region if finding else None,
        "findingId": finding.id if finding else None,
        "actions": run.actions if run else [],
        "reason": reason,
        **extra,
    }


def _precheck(
    clients: Clients, finding: Finding, config: Config, run: Recorder
) -> tuple[dict[str, Any], dict[str, str]] | dict[str, Any]:
    """The instance and its tags, or the "skipped" result when it is gone, exempt or
    already isolated."""
    instance = steps.describe_instance(clients.ec2, finding.instance_id)
    if instance is None or instance.get("State", {}).get("Name") in steps.GONE_STATES:
        reason = "instance no longer exists (terminated or not found)"
        log.warning("skipped", reason=reason, instanceId=finding.instance_id)
        return result("skipped", finding, run, reason)
    tags = record.tag_dict(instance.get("Tags"))
    exempt = tags.get(config.exempt_tag)
    if exempt is not None and exempt.strip().lower() != "false":
        reason = f"instance carries the exemption tag {config.exempt_tag}={exempt!r}"
        log.warning("skipped", reason=reason, instanceId=finding.instance_id)
        return result("skipped", finding, run, reason)
    if tags.get(record.STATUS) == record.ISOLATED:
        reason = f"already isolated (finding {tags.get(record.FINDING, '?')})"
        log.info("skipped", reason=reason, instanceId=finding.instance_id)
        return result("skipped", finding, run, reason)
    return instance, tags


def approval_step(finding: Finding, config: Config) -> str:
    """The one command that approves isolating the finding's instance."""
    payload = json.dumps(approval_event(finding.instance_id, finding.region, finding.id))
    region = f" --region {config.function_region}" if config.function_region else ""
    return (
        f"aws lambda invoke --function-name {config.function_name}{region} "
        f"--cli-binary-format raw-in-base64-out --payload '{payload}' result.json"
    )


def request_approval(finding: Finding, config: Config, factory: ClientFactory) -> dict[str, Any]:
    """Record the finding as pending on the instance and publish the step that isolates it;
    change nothing else."""
    clients = Clients(factory, finding.region)
    run = Recorder(dry_run=config.dry_run)
    checked = _precheck(clients, finding, config, run)
    if isinstance(checked, dict):
        return checked
    instance, tags = checked
    if tags.get(record.PENDING) == finding.id:
        reason = f"already awaiting approval for finding {finding.id}"
        log.info("skipped", reason=reason, instanceId=finding.instance_id)
        return result("skipped", finding, run, reason)
    del instance
    step = approval_step(finding, config)
    run.change(
        "approval",
        f"tag {finding.instance_id} as awaiting approval for finding {finding.id}",
        lambda: clients.ec2.create_tags(
            Resources=[finding.instance_id],
            Tags=record.tag_list(
                {
                    record.PENDING: finding.id,
                    record.PENDING_TYPE: finding.type[: record.TAG_VALUE_MAX],
                    record.PENDING_SEVERITY: f"{finding.severity:g}",
                    record.PENDING_TIME: steps.now(),
                }
            ),
        ),
    )
    steps.write_evidence(
        clients,
        run,
        config,
        steps.evidence_key(finding.instance_id, finding.id, "pending.json"),
        {"finding": finding.__dict__, "requestedAt": steps.now(), "approve": step},
    )
    outcome = result(
        "awaiting_approval",
        finding,
        run,
        "isolation waits for a person's approval",
        approve=step,
    )
    if not config.dry_run:
        _best_effort(
            lambda: steps.notify(
                clients,
                config,
                f"[secbaseline] Approve isolation of {finding.instance_id} ({finding.region})?",
                {
                    "finding": finding.__dict__,
                    "toIsolate": "Check the finding, then run this one step (put your name "
                    "in approvedBy):",
                    "approve": step,
                    "runbook": "docs/incident-response.md",
                },
            )
        )
    return outcome


def notify_only(finding: Finding, config: Config, factory: ClientFactory) -> dict[str, Any]:
    """``notify`` mode: publish the finding about the instance; change nothing."""
    clients = Clients(factory, finding.region)
    run = Recorder(dry_run=config.dry_run)
    checked = _precheck(clients, finding, config, run)
    if isinstance(checked, dict):
        return checked
    outcome = result("notified", finding, run, "isolation mode is notify: nothing was changed")
    _best_effort(
        lambda: steps.notify(
            clients,
            config,
            f"[secbaseline] EC2 finding on {finding.instance_id} ({finding.region}): not isolated",
            {
                "finding": finding.__dict__,
                "isolation": "mode notify: isolate by hand (docs/incident-response.md)",
            },
        )
    )
    return outcome


def approve(approval: Approval, config: Config, factory: ClientFactory) -> dict[str, Any]:
    """Run the isolation a person approved, for the finding recorded on the instance."""
    clients = Clients(factory, approval.region)
    instance = steps.describe_instance(clients.ec2, approval.instance_id)
    tags = record.tag_dict(instance.get("Tags")) if instance else {}
    pending = tags.get(record.PENDING)
    if pending != approval.finding_id:
        reason = (
            f"no isolation of {approval.instance_id} awaits approval for finding "
            f"{approval.finding_id} (pending: {pending or 'none'}): nothing was changed"
        )
        log.warning("approval refused", reason=reason, instanceId=approval.instance_id)
        return {
            "status": "refused",
            "instanceId": approval.instance_id,
            "region": approval.region,
            "findingId": approval.finding_id,
            "actions": [],
            "reason": reason,
        }
    try:
        severity = float(tags.get(record.PENDING_SEVERITY, "0"))
    except ValueError:
        severity = 0.0
    finding = Finding(
        id=approval.finding_id,
        type=tags.get(record.PENDING_TYPE, "unknown"),
        severity=severity,
        region=approval.region,
        account_id="",
        instance_id=approval.instance_id,
        title=f"approved by {approval.approved_by}",
    )
    log.info(
        "isolation approved",
        approvedBy=approval.approved_by,
        findingId=finding.id,
        instanceId=finding.instance_id,
    )
    outcome = isolate(finding, config, factory)
    outcome["approvedBy"] = approval.approved_by
    return outcome


def isolate(finding: Finding, config: Config, factory: ClientFactory) -> dict[str, Any]:
    """Isolate the finding's instance in the finding's region; never raises for AWS errors."""
    clients = Clients(factory, finding.region)
    run = Recorder(dry_run=config.dry_run)
    checked = _precheck(clients, finding, config, run)
    if isinstance(checked, dict):
        return checked
    instance, tags = checked
    status = tags.get(record.STATUS)

    instance_id = finding.instance_id
    finding_id = finding.id
    try:
        if status == record.ISOLATING:
            # A previous run stopped midway: its record of the original state is the truth,
            # the instance's current state is already partly changed.
            finding_id = tags.get(record.FINDING, finding.id)
            state = record.OriginalState.from_tags(
                tags, steps.interface_tags(clients.ec2, instance)
            )
            run.note("resume", f"resuming the isolation started for finding {finding_id}")
            missing = [
                eni
                for eni in steps.interfaces(instance)
                if eni["NetworkInterfaceId"] not in state.groups_by_interface
            ]
            for eni in missing:  # tagging stopped before reaching these interfaces
                state.groups_by_interface[eni["NetworkInterfaceId"]] = steps.interface_groups(
                    instance, eni
                )
                run.change(
                    "record",
                    f"tag {eni['NetworkInterfaceId']} with its original security groups",
                    lambda eni=eni: clients.ec2.create_tags(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                        Resources=[eni["NetworkInterfaceId"]],
                        Tags=record.tag_list(state.interface_tags(eni["NetworkInterfaceId"])),
                    ),
                )
        else:
            state = steps.capture(clients, instance)
            run.note("capture", "recorded the original state", original=state.to_json())
            steps.write_evidence(
                clients,
                run,
                config,
                steps.evidence_key(instance_id, finding_id, "state.json"),
                {
                    "finding": finding.__dict__,
                    "recordedAt": steps.now(),
                    "original": state.to_json(),
                    "instance": instance,
                },
            )
            steps.record_original_state(clients, run, instance, state, finding)

        steps.protect(clients, run, instance_id)
        steps.keep_out_of_auto_scaling(clients, run, instance_id, state)
        steps.deregister_targets(clients, run, instance)
        steps.isolate_network(clients, run, instance_id)
        steps.quarantine_profile(clients, run, instance_id, config)
        snapshots = steps.snapshot_volumes(clients, run, instance, finding, finding_id)
        run.change(
            "record",
            "tag the instance as isolated",
            lambda: clients.ec2.create_tags(
                Resources=[instance_id],
                Tags=record.tag_list({record.STATUS: record.ISOLATED, record.TIME: steps.now()}),
            ),
        )
    except Exception as exc:  # any failure: keep the record, report, let Lambda retry
        reason = f"{type(exc).__name__}: {exc}"
        log.error("isolation failed midway", reason=reason, instanceId=instance_id)
        outcome = result("error", finding, run, reason)
        _best_effort(
            lambda: _report(clients, config, outcome, instance_id, finding_id, failed=True)
        )
        return outcome

    status_name = "dry_run" if config.dry_run else "isolated"
    reason = "dry run: nothing was changed" if config.dry_run else "isolation complete"
    outcome = result(status_name, finding, run, reason, snapshots=snapshots)
    if not config.dry_run:
        _best_effort(
            lambda: _report(clients, config, outcome, instance_id, finding_id, failed=False)
        )
    log.info("done", status=status_name, instanceId=instance_id, actions=len(run.actions))
    return outcome


def _report(
    clients: Clients,
    config: Config,
    outcome: dict[str, Any],
    instance_id: str,
    finding_id: str,
    *,
    failed: bool,
) -> None:
    if failed:
        clients.ec2.create_tags(
            Resources=[instance_id],
            Tags=[{"Key": record.ERROR, "Value": str(outcome["reason"])[:256]}],
        )
    key = steps.evidence_key(instance_id, finding_id, "result.json")
    steps.write_evidence(clients, Recorder(dry_run=False), config, key, outcome)
    verb = "FAILED to isolate" if failed else "Isolated"
    steps.notify(
        clients, config, f"[secbaseline] {verb} {instance_id} ({outcome['region']})", outcome
    )


def _best_effort(call: Any) -> None:
    try:
        call()
    except Exception as exc:  # reporting must never hide the isolation's own outcome
        log.error("reporting failed", reason=f"{type(exc).__name__}: {exc}")


def _own_account(context: object) -> str | None:
    """The function's account, from the Lambda context's ARN (None outside Lambda)."""
    arn = getattr(context, "invoked_function_arn", None)
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 4 and parts[4] else None


def handle(
    event: object, config: Config, factory: ClientFactory, own_account: str | None = None
) -> dict[str, Any]:
    """Parse and act on one event; malformed or irrelevant events make no AWS call."""
    if is_approval(event):
        try:
            approval = parse_approval(event)
        except Rejected as exc:
            log.warning("approval rejected", reason=str(exc))
            return result("skipped", None, None, f"rejected: {exc}")
        return approve(approval, config, factory)
    try:
        finding = parse_event(event, config)
    except Rejected as exc:
        log.warning("event rejected", reason=str(exc))
        return result("skipped", None, None, f"rejected: {exc}")
    if own_account is not None and finding.account_id != own_account:
        # A GuardDuty administrator account sees its members' findings; the member's own
        # function (deployed in every account by the tier) isolates there.
        reason = (
            f"finding is about account {finding.account_id}, not this account "
            f"{own_account}: its own isolation function acts there"
        )
        log.warning("skipped", reason=reason, instanceId=finding.instance_id)
        return result("skipped", finding, None, reason)
    log.info(
        "finding received",
        findingId=finding.id,
        findingType=finding.type,
        severity=finding.severity,
        instanceId=finding.instance_id,
        region=finding.region,
        dryRun=config.dry_run,
        mode=config.mode,
    )
    if config.mode == "approve":
        return request_approval(finding, config, factory)
    if config.mode == "notify":
        return notify_only(finding, config, factory)
    return isolate(finding, config, factory)


def handler(
    event: object,
    context: object,
    client_factory: ClientFactory | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Lambda entry point (``ec2_isolation.handler.handler``)."""
    config = config_from_env(os.environ if env is None else env)
    outcome = handle(event, config, client_factory or boto3_factory, _own_account(context))
    if outcome["status"] == "error" and config.fail_on_error:
        raise IsolationFailed(f"{outcome['instanceId']}: {outcome['reason']}")
    return outcome
