"""The isolation steps. Each one is idempotent: it reads the current state first and only
changes what is not done yet, so a rerun after a failure completes the isolation."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from . import record
from .aws import Client, Clients, Recorder, error_code
from .parse import Config, Finding

ISOLATION_GROUP = "secbaseline-isolation"
TRANSIT_GROUP = "secbaseline-isolation-transit"
# Processes suspended when the instance can neither enter standby nor be detached.
SUSPEND_PROCESSES = ("HealthCheck", "ReplaceUnhealthy", "AZRebalance")
SCALE_IN_MARKER = "scale-in-protection"
GONE_STATES = {"shutting-down", "terminated"}
ALLOW_ALL = [
    {
        "IpProtocol": "-1",
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
    }
]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- reading -----------------------------------------------------------------------------


def describe_instance(ec2: Client, instance_id: str) -> dict[str, Any] | None:
    """The instance, or None when it does not exist (any more)."""
    try:
        response = ec2.describe_instances(InstanceIds=[instance_id])
    except Exception as exc:
        if error_code(exc) in {"InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"}:
            return None
        raise
    for reservation in response.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            return dict(instance)
    return None


def interfaces(instance: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Attached network interfaces, primary first."""
    found = [dict(eni) for eni in instance.get("NetworkInterfaces", [])]
    return sorted(found, key=lambda eni: eni.get("Attachment", {}).get("DeviceIndex", 0))


def interface_groups(instance: Mapping[str, Any], eni: Mapping[str, Any]) -> list[str]:
    """An interface's security group ids. For the primary interface AWS reports the same set
    as the instance's own groups; read those, which every EC2 implementation agrees on."""
    if eni.get("Attachment", {}).get("DeviceIndex", 0) == 0 and instance.get("SecurityGroups"):
        return sorted(g["GroupId"] for g in instance["SecurityGroups"])
    return sorted(g["GroupId"] for g in eni.get("Groups", []))


def interface_tags(ec2: Client, instance: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Tags of each attached interface (DescribeInstances does not return them)."""
    ids = [eni["NetworkInterfaceId"] for eni in interfaces(instance)]
    if not ids:
        return {}
    found = ec2.describe_network_interfaces(NetworkInterfaceIds=ids).get("NetworkInterfaces", [])
    return {eni["NetworkInterfaceId"]: record.tag_dict(eni.get("TagSet")) for eni in found}


def profile_association(ec2: Client, instance_id: str) -> dict[str, Any] | None:
    """The instance's current instance-profile association, if any."""
    response = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}]
    )
    for association in response.get("IamInstanceProfileAssociations", []):
        if association.get("State") in {"associated", "associating"}:
            return dict(association)
    return None


def protection(ec2: Client, instance_id: str) -> tuple[bool, bool]:
    """(DisableApiTermination, DisableApiStop) as they are now."""
    termination = ec2.describe_instance_attribute(
        InstanceId=instance_id, Attribute="disableApiTermination"
    )["DisableApiTermination"]["Value"]
    stop = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiStop")[
        "DisableApiStop"
    ]["Value"]
    return bool(termination), bool(stop)


def scaling_membership(autoscaling: Client, instance_id: str) -> dict[str, Any] | None:
    """The instance's Auto Scaling record (group name, lifecycle state), if any."""
    found = autoscaling.describe_auto_scaling_instances(InstanceIds=[instance_id])
    records = found.get("AutoScalingInstances", [])
    return dict(records[0]) if records else None


def registrations(
    elbv2: Client, instance_id: str, vpc_id: str | None
) -> list[tuple[str, int | None]]:
    """(target group ARN, port) for every instance-type target group the instance is in."""
    found: list[tuple[str, int | None]] = []
    for page in elbv2.get_paginator("describe_target_groups").paginate():
        for group in page.get("TargetGroups", []):
            if group.get("TargetType", "instance") != "instance":
                continue
            if vpc_id and group.get("VpcId") not in (None, vpc_id):
                continue
            health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
            for target in health.get("TargetHealthDescriptions", []):
                if target["Target"]["Id"] == instance_id:
                    found.append((group["TargetGroupArn"], target["Target"].get("Port")))
    return found


def capture(clients: Clients, instance: Mapping[str, Any]) -> record.OriginalState:
    """Everything isolation is about to change, read before anything changes."""
    instance_id = str(instance["InstanceId"])
    association = profile_association(clients.ec2, instance_id)
    termination, stop = protection(clients.ec2, instance_id)
    membership = scaling_membership(clients.autoscaling, instance_id)
    return record.OriginalState(
        groups_by_interface={
            eni["NetworkInterfaceId"]: interface_groups(instance, eni)
            for eni in interfaces(instance)
        },
        profile_arn=association["IamInstanceProfile"]["Arn"] if association else None,
        disable_api_termination=termination,
        disable_api_stop=stop,
        target_groups=registrations(clients.elbv2, instance_id, instance.get("VpcId")),
        auto_scaling=record.AutoScaling(group=membership["AutoScalingGroupName"])
        if membership
        else None,
    )


# --- recording ---------------------------------------------------------------------------


def evidence_key(instance_id: str, finding_id: str, name: str) -> str:
    return f"isolation/{instance_id}/{finding_id}/{name}"


def write_evidence(
    clients: Clients, run: Recorder, config: Config, key: str, body: Mapping[str, Any]
) -> None:
    """Put a JSON document in the evidence bucket (when one is configured)."""
    bucket = config.evidence_bucket
    if not bucket:
        return
    run.change(
        "evidence",
        f"write s3://{bucket}/{key}",
        lambda: clients.s3().put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(body, default=str, indent=2).encode(),
            ContentType="application/json",
            # The evidence bucket has Object Lock default retention: S3 then refuses uploads
            # without Content-MD5 or a checksum, and boto3 before 1.36 (older Lambda runtimes)
            # sends neither unless asked.
            ChecksumAlgorithm="SHA256",
        ),
    )


def record_original_state(
    clients: Clients,
    run: Recorder,
    instance: Mapping[str, Any],
    state: record.OriginalState,
    finding: Finding,
) -> None:
    """Tag the instance and each interface with the state isolation will change."""
    instance_id = str(instance["InstanceId"])
    tags = {
        record.STATUS: record.ISOLATING,
        record.FINDING: finding.id,
        record.FINDING_TYPE: finding.type[:256],
        record.TIME: now(),
        **state.instance_tags(),
    }
    run.change(
        "record",
        "tag the instance with the finding and its original state",
        lambda: clients.ec2.create_tags(Resources=[instance_id], Tags=record.tag_list(tags)),
    )
    for eni_id in state.groups_by_interface:
        groups = state.groups_by_interface[eni_id]
        run.change(
            "record",
            f"tag {eni_id} with its original security groups {','.join(groups)}",
            lambda eni_id=eni_id: clients.ec2.create_tags(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                Resources=[eni_id], Tags=record.tag_list(state.interface_tags(eni_id))
            ),
        )


# --- containment -------------------------------------------------------------------------


def protect(clients: Clients, run: Recorder, instance_id: str) -> None:
    """Termination and stop protection, so nobody destroys the evidence by API."""
    termination, stop = protection(clients.ec2, instance_id)
    for enabled, attribute, label in (
        (termination, "DisableApiTermination", "termination"),
        (stop, "DisableApiStop", "stop"),
    ):
        if enabled:
            run.note("protect", f"{label} protection already on")
            continue
        run.change(
            "protect",
            f"enable {label} protection",
            lambda attribute=attribute: clients.ec2.modify_instance_attribute(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                InstanceId=instance_id, **{attribute: {"Value": True}}
            ),
        )


def keep_out_of_auto_scaling(
    clients: Clients, run: Recorder, instance_id: str, state: record.OriginalState
) -> None:
    """Stop the Auto Scaling group from replacing or terminating the instance.

    EC2 termination protection does not stop Auto Scaling, and an isolated instance fails its
    health checks, so: standby (keeps it in the group, out of service and health checks) ->
    detach -> suspend the group's health-check replacement. Standby and detach lower the
    desired capacity, which fails when it would go below the group's minimum size; the last
    resort then pauses HealthCheck/ReplaceUnhealthy/AZRebalance for the whole group and
    protects the instance from scale-in: the incident responder resumes them (restore does).
    """
    scaling = state.auto_scaling
    if scaling is None:
        run.note("auto-scaling", "not in an Auto Scaling group")
        return
    if scaling.action != "pending":
        run.note("auto-scaling", f"already handled: {scaling.action} ({scaling.group})")
        return
    autoscaling = clients.autoscaling
    membership = scaling_membership(autoscaling, instance_id)
    if membership is None:
        run.note("auto-scaling", f"no longer in {scaling.group}")
        return
    group = scaling.group
    if membership.get("LifecycleState") in {"Standby", "EnteringStandby"}:
        scaling.action = "already-standby"
        run.note("auto-scaling", f"already in standby in {group}")
    elif run.dry_run:
        run.note(
            "auto-scaling",
            f"would put it in standby in {group} (fallbacks: detach, then suspend processes)",
            dryRun=True,
        )
        return
    else:
        try:
            autoscaling.enter_standby(
                InstanceIds=[instance_id],
                AutoScalingGroupName=group,
                ShouldDecrementDesiredCapacity=True,
            )
            scaling.action = "standby"
            run.note("auto-scaling", f"entered standby in {group}")
        except Exception as standby_error:
            run.note("auto-scaling", f"standby refused: {standby_error}")
            try:
                autoscaling.detach_instances(
                    InstanceIds=[instance_id],
                    AutoScalingGroupName=group,
                    ShouldDecrementDesiredCapacity=True,
                )
                scaling.action = "detached"
                run.note("auto-scaling", f"detached from {group}")
            except Exception as detach_error:
                run.note("auto-scaling", f"detach refused: {detach_error}")
                described = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])
                already = {
                    p["ProcessName"]
                    for g in described.get("AutoScalingGroups", [])
                    for p in g.get("SuspendedProcesses", [])
                }
                to_suspend = [p for p in SUSPEND_PROCESSES if p not in already]
                if to_suspend:
                    autoscaling.suspend_processes(
                        AutoScalingGroupName=group, ScalingProcesses=to_suspend
                    )
                suspended = list(to_suspend)
                if not membership.get("ProtectedFromScaleIn"):
                    autoscaling.set_instance_protection(
                        InstanceIds=[instance_id],
                        AutoScalingGroupName=group,
                        ProtectedFromScaleIn=True,
                    )
                    suspended.append(SCALE_IN_MARKER)
                scaling.action = "suspended"
                scaling.suspended = tuple(suspended)
                run.note(
                    "auto-scaling",
                    f"suspended {', '.join(to_suspend) or 'nothing new'} in {group} and "
                    "protected the instance from scale-in",
                )
    if not run.dry_run:  # what was done, so that restore can undo exactly that
        clients.ec2.create_tags(
            Resources=[instance_id],
            Tags=[{"Key": record.AUTO_SCALING, "Value": scaling.encode()}],
        )


def deregister_targets(clients: Clients, run: Recorder, instance: Mapping[str, Any]) -> None:
    """Take the instance out of every load-balancer target group it is still in."""
    instance_id = str(instance["InstanceId"])
    current = registrations(clients.elbv2, instance_id, instance.get("VpcId"))
    if not current:
        run.note("load-balancing", "in no target group")
    for arn, port in current:
        target: dict[str, Any] = {"Id": instance_id}
        if port is not None:
            target["Port"] = port
        run.change(
            "load-balancing",
            f"deregister from {arn.split(':')[-1]}",
            lambda arn=arn, target=target: clients.elbv2.deregister_targets(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                TargetGroupArn=arn, Targets=[target]
            ),
        )


def _find_group(ec2: Client, vpc_id: str, name: str) -> dict[str, Any] | None:
    found = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": [name]},
        ]
    ).get("SecurityGroups", [])
    return dict(found[0]) if found else None


def _has_allow_all(permissions: list[dict[str, Any]]) -> tuple[bool, bool]:
    v4 = v6 = False
    for perm in permissions:
        if perm.get("IpProtocol") == "-1":
            v4 = v4 or any(r.get("CidrIp") == "0.0.0.0/0" for r in perm.get("IpRanges", []))
            v6 = v6 or any(r.get("CidrIpv6") == "::/0" for r in perm.get("Ipv6Ranges", []))
    return v4, v6


def _clean(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = (
        "IpProtocol",
        "FromPort",
        "ToPort",
        "IpRanges",
        "Ipv6Ranges",
        "PrefixListIds",
        "UserIdGroupPairs",
    )
    return [{k: p[k] for k in keep if k in p and p[k] != []} for p in permissions]


def ensure_group(clients: Clients, run: Recorder, vpc_id: str, *, transit: bool) -> str | None:
    """Find or create the isolation group (no rules at all) or the transit group (allows all
    traffic both ways) of a VPC; fix its rules if someone changed them. None in a dry run
    when the group does not exist yet."""
    ec2 = clients.ec2
    name = TRANSIT_GROUP if transit else ISOLATION_GROUP
    purpose = "isolation-transit" if transit else "isolation"
    group = _find_group(ec2, vpc_id, name)
    if group is None:
        if run.dry_run:
            run.note("network", f"would create security group {name} in {vpc_id}", dryRun=True)
            return None
        description = (
            "secbaseline: allows all traffic so tracked connections become untracked (transit)"
            if transit
            else "secbaseline: quarantine, no inbound and no outbound traffic"
        )
        try:
            ec2.create_security_group(
                GroupName=name,
                Description=description,
                VpcId=vpc_id,
                TagSpecifications=[
                    {
                        "ResourceType": "security-group",
                        "Tags": [
                            {"Key": record.PURPOSE, "Value": purpose},
                            {"Key": "Name", "Value": name},
                        ],
                    }
                ],
            )
            run.note("network", f"created security group {name} in {vpc_id}")
        except Exception as exc:
            if error_code(exc) != "InvalidGroup.Duplicate":  # created concurrently: use it
                raise
        group = _find_group(ec2, vpc_id, name)
        if group is None:
            raise RuntimeError(f"security group {name} in {vpc_id} vanished after creation")
    group_id = str(group["GroupId"])
    ingress = list(group.get("IpPermissions", []))
    egress = list(group.get("IpPermissionsEgress", []))
    if transit:
        for direction, perms, authorize in (
            ("inbound", ingress, ec2.authorize_security_group_ingress),
            ("outbound", egress, ec2.authorize_security_group_egress),
        ):
            v4, v6 = _has_allow_all(perms)
            missing: dict[str, Any] = {"IpProtocol": "-1"}
            if not v4:
                missing["IpRanges"] = [{"CidrIp": "0.0.0.0/0"}]
            if not v6:
                missing["Ipv6Ranges"] = [{"CidrIpv6": "::/0"}]
            if len(missing) > 1:
                run.change(
                    "network",
                    f"allow all {direction} traffic in {name} ({group_id})",
                    lambda authorize=authorize, missing=missing: authorize(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                        GroupId=group_id, IpPermissions=[missing]
                    ),
                )
    else:
        if ingress:
            run.change(
                "network",
                f"remove inbound rules from {name} ({group_id})",
                lambda: ec2.revoke_security_group_ingress(
                    GroupId=group_id, IpPermissions=_clean(ingress)
                ),
            )
        if egress:  # the default allow-all egress rule of a new group
            run.change(
                "network",
                f"remove outbound rules from {name} ({group_id})",
                lambda: ec2.revoke_security_group_egress(
                    GroupId=group_id, IpPermissions=_clean(egress)
                ),
            )
    return group_id


def set_groups(
    clients: Clients,
    run: Recorder,
    instance_id: str,
    eni: Mapping[str, Any],
    groups: list[str],
    *,
    label: str,
) -> None:
    """Put one interface in exactly these groups.

    Only the interface call: AWS applies it to the primary interface too, and
    ``ModifyInstanceAttribute(Groups=...)`` is rejected for instances with more than one
    interface ("There are multiple interfaces attached to instance"), which would leave the
    primary interface stranded in the allow-all transit group.
    """
    eni_id = str(eni["NetworkInterfaceId"])
    del instance_id  # kept in the signature: callers name the instance in their records

    def apply() -> None:
        clients.ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=groups)

    run.change("network", f"move {eni_id} to {label} {','.join(groups)}", apply)


def isolate_network(clients: Clients, run: Recorder, instance_id: str) -> None:
    """Every interface: first the transit group (all traffic allowed, so existing tracked
    flows become untracked), then the isolation group (no rules, which cuts them)."""
    instance = describe_instance(clients.ec2, instance_id)
    if instance is None:
        raise RuntimeError(f"{instance_id} disappeared during isolation")
    for eni in interfaces(instance):
        vpc_id = str(eni.get("VpcId") or instance.get("VpcId"))
        isolation = ensure_group(clients, run, vpc_id, transit=False)
        current = interface_groups(instance, eni)
        if isolation is not None and current == [isolation]:
            run.note("network", f"{eni['NetworkInterfaceId']} already isolated")
            continue
        transit = ensure_group(clients, run, vpc_id, transit=True)
        set_groups(
            clients, run, instance_id, eni, [transit or TRANSIT_GROUP], label="transit group"
        )
        set_groups(
            clients, run, instance_id, eni, [isolation or ISOLATION_GROUP], label="isolation group"
        )


def _profile_spec(profile: str) -> dict[str, str]:
    return {"Arn": profile} if profile.startswith("arn:") else {"Name": profile}


def _same_profile(current_arn: str, wanted: str) -> bool:
    return current_arn == wanted or current_arn.rsplit("/", 1)[-1] == wanted


def quarantine_profile(clients: Clients, run: Recorder, instance_id: str, config: Config) -> None:
    """Swap the instance's role for a deny-all one (or remove it) so stolen credentials
    refreshed from the instance metadata stop working."""
    ec2 = clients.ec2
    association = profile_association(ec2, instance_id)
    wanted = config.quarantine_profile
    if wanted is None:
        if association is None:
            run.note("instance-profile", "no instance profile to remove")
            return
        run.change(
            "instance-profile",
            f"disassociate {association['IamInstanceProfile']['Arn']}",
            lambda: ec2.disassociate_iam_instance_profile(
                AssociationId=association["AssociationId"]
            ),
        )
        return
    if association is None:
        run.change(
            "instance-profile",
            f"associate quarantine profile {wanted}",
            lambda: ec2.associate_iam_instance_profile(
                IamInstanceProfile=_profile_spec(wanted), InstanceId=instance_id
            ),
        )
    elif _same_profile(association["IamInstanceProfile"]["Arn"], wanted):
        run.note("instance-profile", "quarantine profile already associated")
    else:
        run.change(
            "instance-profile",
            f"replace {association['IamInstanceProfile']['Arn']} with quarantine profile {wanted}",
            lambda: ec2.replace_iam_instance_profile_association(
                IamInstanceProfile=_profile_spec(wanted), AssociationId=association["AssociationId"]
            ),
        )


def snapshot_volumes(
    clients: Clients, run: Recorder, instance: Mapping[str, Any], finding: Finding, finding_id: str
) -> list[str]:
    """A snapshot of every attached EBS volume, tagged with the finding (once per volume)."""
    ec2 = clients.ec2
    instance_id = str(instance["InstanceId"])
    created: list[str] = []
    for mapping in instance.get("BlockDeviceMappings", []):
        volume_id = mapping.get("Ebs", {}).get("VolumeId")
        if not volume_id:
            continue
        existing = ec2.describe_snapshots(
            OwnerIds=["self"],
            Filters=[
                {"Name": f"tag:{record.FINDING}", "Values": [finding_id]},
                {"Name": f"tag:{record.SNAPSHOT_VOLUME}", "Values": [volume_id]},
            ],
        ).get("Snapshots", [])
        if existing:
            run.note("snapshot", f"{volume_id} already has snapshot {existing[0]['SnapshotId']}")
            created.append(str(existing[0]["SnapshotId"]))
            continue
        tags = {
            "Name": f"isolation {instance_id} {mapping.get('DeviceName', '')}".strip(),
            record.FINDING: finding_id,
            record.FINDING_TYPE: finding.type[:256],
            record.SNAPSHOT_VOLUME: volume_id,
            f"{record.PREFIX}-instance": instance_id,
            f"{record.PREFIX}-device": str(mapping.get("DeviceName", "")),
        }
        snapshot = run.change(
            "snapshot",
            f"snapshot {volume_id} ({mapping.get('DeviceName', '?')})",
            lambda volume_id=volume_id, tags=tags: ec2.create_snapshot(  # type: ignore[misc]  # mypy cannot infer lambdas with defaults (binds loop values)
                VolumeId=volume_id,
                Description=f"secbaseline isolation evidence: {instance_id} finding {finding_id}",
                TagSpecifications=[{"ResourceType": "snapshot", "Tags": record.tag_list(tags)}],
            ),
        )
        if snapshot:
            created.append(str(snapshot["SnapshotId"]))
            run.actions[-1]["snapshotId"] = snapshot["SnapshotId"]
    return created


def notify(clients: Clients, config: Config, subject: str, summary: Mapping[str, Any]) -> None:
    """Publish the summary to the notifications topic (in the topic's own region)."""
    if not config.topic_arn:
        return
    clients.sns(config.topic_arn).publish(
        TopicArn=config.topic_arn,
        Subject=subject[:100],
        Message=json.dumps(summary, default=str, indent=2),
    )
