"""Reverse an isolation from the record it left on the instance (false positives).

Run by an incident responder with their own credentials, after forensics is done::

    python -m components.lambdas.ec2_isolation.restore --instance-id i-... --region eu-west-1

Puts back the original security groups of each interface, the original instance profile,
the Auto Scaling membership and target groups, and the protection flags as they were; tags
the instance ``restored``. Snapshots and the evidence bucket's files are kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import record, steps
from .aws import ClientFactory, Clients, Recorder, boto3_factory


class RestoreError(RuntimeError):
    """The instance cannot be restored (not isolated, or gone)."""


def restore(
    instance_id: str,
    region: str,
    *,
    client_factory: ClientFactory | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Undo the isolation of ``instance_id``; returns the actions taken."""
    clients = Clients(client_factory or boto3_factory, region)
    run = Recorder(dry_run=dry_run)
    ec2 = clients.ec2
    instance = steps.describe_instance(ec2, instance_id)
    if instance is None:
        raise RestoreError(f"{instance_id} not found in {region}")
    tags = record.tag_dict(instance.get("Tags"))
    if tags.get(record.STATUS) not in {record.ISOLATED, record.ISOLATING}:
        raise RestoreError(f"{instance_id} is not isolated (status {tags.get(record.STATUS)!r})")
    enis = steps.interfaces(instance)
    eni_tags = steps.interface_tags(ec2, instance)
    state = record.OriginalState.from_tags(tags, eni_tags)

    for eni in enis:
        eni_id = eni["NetworkInterfaceId"]
        groups = state.groups_by_interface.get(eni_id)
        if not groups:
            run.note("network", f"{eni_id}: no recorded groups, left as is")
            continue
        steps.set_groups(clients, run, instance_id, eni, groups, label="original groups")

    association = steps.profile_association(ec2, instance_id)
    original = state.profile_arn
    if original is None and association is not None:
        run.change(
            "instance-profile",
            f"disassociate {association['IamInstanceProfile']['Arn']}",
            lambda: ec2.disassociate_iam_instance_profile(
                AssociationId=association["AssociationId"]
            ),
        )
    elif original is not None and association is None:
        run.change(
            "instance-profile",
            f"associate {original}",
            lambda: ec2.associate_iam_instance_profile(
                IamInstanceProfile={"Arn": original}, InstanceId=instance_id
            ),
        )
    elif (
        original is not None
        and association is not None
        and association["IamInstanceProfile"]["Arn"] != original
    ):
        run.change(
            "instance-profile",
            f"replace the quarantine profile with {original}",
            lambda: ec2.replace_iam_instance_profile_association(
                IamInstanceProfile={"Arn": original}, AssociationId=association["AssociationId"]
            ),
        )

    scaling = state.auto_scaling
    if scaling is not None:
        autoscaling = clients.autoscaling
        group = scaling.group
        if scaling.action == "standby":
            run.change(
                "auto-scaling",
                f"exit standby in {group}",
                lambda: autoscaling.exit_standby(
                    InstanceIds=[instance_id], AutoScalingGroupName=group
                ),
            )
        elif scaling.action == "detached":
            run.change(
                "auto-scaling",
                f"attach back to {group}",
                lambda: autoscaling.attach_instances(
                    InstanceIds=[instance_id], AutoScalingGroupName=group
                ),
            )
        elif scaling.action == "suspended":
            processes = [p for p in scaling.suspended if p != steps.SCALE_IN_MARKER]
            if processes:
                run.change(
                    "auto-scaling",
                    f"resume {', '.join(processes)} in {group}",
                    lambda: autoscaling.resume_processes(
                        AutoScalingGroupName=group, ScalingProcesses=processes
                    ),
                )
            if steps.SCALE_IN_MARKER in scaling.suspended:
                run.change(
                    "auto-scaling",
                    "remove scale-in protection",
                    lambda: autoscaling.set_instance_protection(
                        InstanceIds=[instance_id],
                        AutoScalingGroupName=group,
                        ProtectedFromScaleIn=False,
                    ),
                )
        else:
            run.note("auto-scaling", f"nothing to undo in {group} ({scaling.action})")

    for arn, port in state.target_groups:
        target: dict[str, Any] = {"Id": instance_id}
        if port is not None:
            target["Port"] = port
        run.change(
            "load-balancing",
            f"register with {arn.split(':')[-1]}",
            lambda arn=arn, target=target: clients.elbv2.register_targets(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                TargetGroupArn=arn, Targets=[target]
            ),
        )

    for value, attribute, label in (
        (state.disable_api_termination, "DisableApiTermination", "termination"),
        (state.disable_api_stop, "DisableApiStop", "stop"),
    ):
        run.change(
            "protect",
            f"set {label} protection back to {str(value).lower()}",
            lambda attribute=attribute, value=value: ec2.modify_instance_attribute(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                InstanceId=instance_id, **{attribute: {"Value": value}}
            ),
        )

    stale = [
        key
        for key in tags
        if key.startswith(f"{record.PREFIX}-original-")
        or key in {record.AUTO_SCALING, record.ERROR}
    ]
    run.change(
        "record",
        "tag the instance as restored",
        lambda: (
            ec2.delete_tags(Resources=[instance_id], Tags=[{"Key": k} for k in stale]),
            ec2.create_tags(
                Resources=[instance_id],
                Tags=record.tag_list(
                    {record.STATUS: record.RESTORED, record.RESTORED_TIME: steps.now()}
                ),
            ),
        ),
    )
    for eni in enis:
        keys = record.keys_of(eni_tags.get(eni["NetworkInterfaceId"], {}), record.ORIGINAL_GROUPS)
        if keys:
            run.change(
                "record",
                f"remove the isolation record from {eni['NetworkInterfaceId']}",
                lambda eni=eni, keys=keys: ec2.delete_tags(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                    Resources=[eni["NetworkInterfaceId"]], Tags=[{"Key": k} for k in keys]
                ),
            )
    return {
        "status": "dry_run" if dry_run else "restored",
        "instanceId": instance_id,
        "region": region,
        "actions": run.actions,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: restore one instance; prints the actions as JSON."""
    parser = argparse.ArgumentParser(description="Reverse an automatic EC2 isolation.")
    parser.add_argument("--instance-id", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--dry-run", action="store_true", help="only show what would be done")
    args = parser.parse_args(argv)
    try:
        outcome = restore(args.instance_id, args.region, dry_run=args.dry_run)
    except RestoreError as exc:
        sys.stderr.write(f"restore: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(outcome, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
