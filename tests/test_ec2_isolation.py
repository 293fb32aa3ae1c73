"""The EC2 isolation Lambda against moto: every step, every skip path, retries and dry run.

moto 5.2 implements every call the handler makes (standby, detach, target groups, instance
profile associations, snapshots, protection flags). Failures and Auto Scaling refusals that
moto does not produce by itself are injected with botocore ``before-call`` event hooks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from secbaseline.baseline.drill import (
    Scenario,
    amazon_linux_image,
    build_scenario,
    finding_for,
    handler_env,
)
from secbaseline.baseline.moto_fidelity import aws_like_interface_groups
from secbaseline.components.lambdas.ec2_isolation import record
from secbaseline.components.lambdas.ec2_isolation.handler import IsolationFailed, handle, handler
from secbaseline.components.lambdas.ec2_isolation.parse import config_from_env
from secbaseline.components.lambdas.ec2_isolation.restore import RestoreError, restore
from secbaseline.components.lambdas.ec2_isolation.steps import ISOLATION_GROUP, TRANSIT_GROUP

READ_ONLY = ("Describe", "Get", "List")


class Recording:
    """A client factory that records every API call (service, region, operation) and can
    make chosen operations fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str]] = []
        self.failures: dict[str, int] = {}
        self.created: list[tuple[str, str | None]] = []

    def fail(self, operation: str, times: int = 1) -> None:
        self.failures[operation] = times

    def __call__(self, service: str, region: str | None) -> Any:
        self.created.append((service, region))
        client = boto3.client(service, region_name=region or "us-east-1")  # type: ignore[call-overload]

        def before(model: Any, **_: Any) -> None:
            self.calls.append((service, region, model.name))
            if self.failures.get(model.name, 0) > 0:
                self.failures[model.name] -= 1
                raise ClientError(
                    {
                        "Error": {
                            "Code": "InjectedFailure",
                            "Message": f"{model.name} failed (test)",
                        }
                    },
                    model.name,
                )

        client.meta.events.register("before-call.*.*", before)
        return client

    def operations(self) -> list[str]:
        return [op for _, _, op in self.calls]

    def mutations(self) -> list[str]:
        return [op for op in self.operations() if not op.startswith(READ_ONLY)]


@pytest.fixture
def aws() -> Iterator[None]:
    # moto otherwise lists an interface's groups as its own plus the instance's, unlike AWS.
    with mock_aws(), aws_like_interface_groups():
        yield


@pytest.fixture
def scenario(aws: None) -> Scenario:
    return build_scenario()


def run(
    scenario: Scenario, factory: Callable[..., Any] | None = None, **env: str
) -> dict[str, Any]:
    return handle(
        finding_for(scenario.instance_id, scenario.region),
        config_from_env(handler_env(scenario, **env)),
        factory or Recording(),
    )


def ec2(scenario: Scenario) -> Any:
    return boto3.client("ec2", region_name=scenario.region)


def instance(scenario: Scenario) -> dict[str, Any]:
    found = ec2(scenario).describe_instances(InstanceIds=[scenario.instance_id])
    return found["Reservations"][0]["Instances"][0]  # type: ignore[no-any-return]


def tags(scenario: Scenario) -> dict[str, str]:
    return record.tag_dict(instance(scenario).get("Tags"))


def group_id(scenario: Scenario, name: str) -> str:
    groups = ec2(scenario).describe_security_groups(
        Filters=[
            {"Name": "group-name", "Values": [name]},
            {"Name": "vpc-id", "Values": [scenario.vpc_id]},
        ]
    )["SecurityGroups"]
    assert len(groups) == 1, f"expected one {name} group, found {len(groups)}"
    return groups[0]["GroupId"]  # type: ignore[no-any-return]


def eni_groups(scenario: Scenario) -> dict[str, list[str]]:
    enis = ec2(scenario).describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [scenario.instance_id]}]
    )["NetworkInterfaces"]
    return {e["NetworkInterfaceId"]: sorted(g["GroupId"] for g in e["Groups"]) for e in enis}


def primary_eni(scenario: Scenario) -> str:
    return next(
        e["NetworkInterfaceId"]
        for e in instance(scenario)["NetworkInterfaces"]
        if e["Attachment"]["DeviceIndex"] == 0
    )


def protection(scenario: Scenario) -> tuple[bool, bool]:
    client = ec2(scenario)
    t = client.describe_instance_attribute(
        InstanceId=scenario.instance_id, Attribute="disableApiTermination"
    )
    s = client.describe_instance_attribute(
        InstanceId=scenario.instance_id, Attribute="disableApiStop"
    )
    return t["DisableApiTermination"]["Value"], s["DisableApiStop"]["Value"]


def lifecycle(scenario: Scenario) -> str | None:
    found = boto3.client(
        "autoscaling", region_name=scenario.region
    ).describe_auto_scaling_instances(InstanceIds=[scenario.instance_id])["AutoScalingInstances"]
    return found[0]["LifecycleState"] if found else None


def registered(scenario: Scenario) -> bool:
    health = boto3.client("elbv2", region_name=scenario.region).describe_target_health(
        TargetGroupArn=scenario.target_group_arn
    )
    return any(
        t["Target"]["Id"] == scenario.instance_id for t in health["TargetHealthDescriptions"]
    )


def profile(scenario: Scenario) -> str | None:
    found = ec2(scenario).describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [scenario.instance_id]}]
    )["IamInstanceProfileAssociations"]
    live = [a["IamInstanceProfile"]["Arn"] for a in found if a["State"] == "associated"]
    return live[0] if live else None


def snapshots(scenario: Scenario) -> list[dict[str, Any]]:
    return ec2(scenario).describe_snapshots(  # type: ignore[no-any-return]
        Filters=[{"Name": f"tag:{record.FINDING}", "Values": ["a4c7e1f03b9d2e5f8a6b0c1d2e3f4a5b"]}]
    )["Snapshots"]


def volumes(scenario: Scenario) -> list[str]:
    return sorted(m["Ebs"]["VolumeId"] for m in instance(scenario)["BlockDeviceMappings"])


# --- the complete isolation ----------------------------------------------------------------


def test_complete_isolation_of_an_instance_with_two_interfaces(scenario: Scenario) -> None:
    before_groups = eni_groups(scenario)
    assert len(before_groups) == 2
    assert before_groups[scenario.second_eni] != before_groups[primary_eni(scenario)]
    desired_before = boto3.client(
        "autoscaling", region_name=scenario.region
    ).describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0][
        "DesiredCapacity"
    ]

    outcome = run(scenario)

    assert outcome["status"] == "isolated", outcome["reason"]
    assert outcome["instanceId"] == scenario.instance_id and outcome["region"] == scenario.region
    isolation = group_id(scenario, ISOLATION_GROUP)
    assert eni_groups(scenario) == {eni: [isolation] for eni in before_groups}
    assert sorted(g["GroupId"] for g in instance(scenario)["SecurityGroups"]) == [isolation]
    # The isolation group has no rule at all (the default egress rule was removed).
    group = ec2(scenario).describe_security_groups(GroupIds=[isolation])["SecurityGroups"][0]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []
    transit = ec2(scenario).describe_security_groups(GroupIds=[group_id(scenario, TRANSIT_GROUP)])[
        "SecurityGroups"
    ][0]
    for direction in ("IpPermissions", "IpPermissionsEgress"):
        rules = [p for p in transit[direction] if p["IpProtocol"] == "-1"]
        assert any(r.get("CidrIp") == "0.0.0.0/0" for p in rules for r in p["IpRanges"])
        assert any(r.get("CidrIpv6") == "::/0" for p in rules for r in p["Ipv6Ranges"])
    assert protection(scenario) == (True, True)
    assert lifecycle(scenario) == "Standby"
    desired_after = boto3.client(
        "autoscaling", region_name=scenario.region
    ).describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0][
        "DesiredCapacity"
    ]
    assert desired_after == desired_before - 1
    assert not registered(scenario)
    assert profile(scenario) == scenario.quarantine_profile_arn
    snaps = snapshots(scenario)
    assert sorted(s["VolumeId"] for s in snaps) == volumes(scenario)
    assert len(volumes(scenario)) == 2
    snap_tags = record.tag_dict(snaps[0]["Tags"])
    assert snap_tags[f"{record.PREFIX}-instance"] == scenario.instance_id
    assert snap_tags[record.FINDING_TYPE] == "CryptoCurrency:EC2/BitcoinTool.B!DNS"
    assert sorted(outcome["snapshots"]) == sorted(s["SnapshotId"] for s in snaps)
    final = tags(scenario)
    assert final[record.STATUS] == record.ISOLATED
    assert final[record.FINDING] == "a4c7e1f03b9d2e5f8a6b0c1d2e3f4a5b"
    assert final[record.ORIGINAL_PROFILE] == scenario.profile_arn
    assert final[record.ORIGINAL_PROTECTION] == "termination=false,stop=false"
    assert final[record.AUTO_SCALING] == "web|standby|"
    assert final[record.ORIGINAL_TARGETS] == f"{scenario.target_group_arn}|80"


def test_steps_run_in_order_and_transit_precedes_isolation(scenario: Scenario) -> None:
    outcome = run(scenario)
    steps = [a["step"] for a in outcome["actions"]]
    first = {step: steps.index(step) for step in dict.fromkeys(steps)}
    assert first["capture"] < first["record"] < first["protect"] < first["auto-scaling"]
    assert first["auto-scaling"] < first["load-balancing"] < first["network"]
    assert first["network"] < first["instance-profile"] < first["snapshot"]
    assert outcome["actions"][-1]["detail"] == "tag the instance as isolated"
    moves = [a["detail"] for a in outcome["actions"] if a["detail"].startswith("move ")]
    for eni in eni_groups(scenario):
        mine = [m for m in moves if eni in m]
        assert [m.split(" to ")[1].split(" sg-")[0] for m in mine] == [
            "transit group",
            "isolation group",
        ]


def test_original_state_is_recorded_per_interface_and_in_the_evidence_bucket(
    scenario: Scenario,
) -> None:
    before = instance(scenario)
    primary_groups = sorted(g["GroupId"] for g in before["SecurityGroups"])
    second_groups = eni_groups(scenario)[scenario.second_eni]
    run(scenario)
    enis = ec2(scenario).describe_network_interfaces(
        NetworkInterfaceIds=[primary_eni(scenario), scenario.second_eni]
    )["NetworkInterfaces"]
    recorded = {
        e["NetworkInterfaceId"]: record.tag_dict(e["TagSet"])[record.ORIGINAL_GROUPS] for e in enis
    }
    assert recorded == {
        primary_eni(scenario): ",".join(primary_groups),
        scenario.second_eni: ",".join(second_groups),
    }
    assert scenario.admin_sg in recorded[scenario.second_eni]
    s3 = boto3.client("s3", region_name="us-east-1")
    prefix = f"isolation/{scenario.instance_id}/a4c7e1f03b9d2e5f8a6b0c1d2e3f4a5b/"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=scenario.evidence_bucket)["Contents"])
    assert keys == [prefix + "result.json", prefix + "state.json"]
    state = json.loads(
        s3.get_object(Bucket=scenario.evidence_bucket, Key=prefix + "state.json")["Body"].read()
    )
    assert state["original"]["securityGroupsByNetworkInterface"] == {
        primary_eni(scenario): primary_groups,
        scenario.second_eni: second_groups,
    }
    assert state["original"]["instanceProfileArn"] == scenario.profile_arn
    assert state["original"]["autoScaling"]["group"] == "web"
    assert state["instance"]["InstanceId"] == scenario.instance_id
    assert state["finding"]["type"] == "CryptoCurrency:EC2/BitcoinTool.B!DNS"


def test_evidence_uploads_carry_a_checksum_for_object_lock(scenario: Scenario) -> None:
    """The drill's evidence bucket has Object Lock default retention, as deployed; S3 requires
    Content-MD5 or a checksum on such uploads (moto does not enforce it, so assert it was sent)
    and the objects are retained."""
    run(scenario)
    s3 = boto3.client("s3", region_name="us-east-1")
    for item in s3.list_objects_v2(Bucket=scenario.evidence_bucket)["Contents"]:
        head = s3.head_object(
            Bucket=scenario.evidence_bucket, Key=item["Key"], ChecksumMode="ENABLED"
        )
        assert head.get("ChecksumSHA256"), item["Key"]
        assert head["ObjectLockMode"] == "GOVERNANCE", item["Key"]


def test_summary_is_published_to_the_topic_in_its_own_region(scenario: Scenario) -> None:
    factory = Recording()
    run(scenario, factory)
    assert ("sns", "us-east-1", "Publish") in factory.calls
    assert {
        region for service, region, _ in factory.calls if service in {"ec2", "autoscaling", "elbv2"}
    } == {scenario.region}
    messages = boto3.client("sqs", region_name="us-east-1").receive_message(
        QueueUrl=scenario.queue_url, MaxNumberOfMessages=10
    )["Messages"]
    body = json.loads(messages[0]["Body"])
    assert body["Subject"] == f"[secbaseline] Isolated {scenario.instance_id} ({scenario.region})"
    assert json.loads(body["Message"])["status"] == "isolated"


def test_finding_from_a_region_other_than_the_default(aws: None) -> None:
    scenario = build_scenario("ap-southeast-2")
    factory = Recording()
    outcome = run(scenario, factory)
    assert outcome["status"] == "isolated"
    assert outcome["region"] == "ap-southeast-2"
    assert ("ec2", "ap-southeast-2") in factory.created
    assert not any(
        service == "ec2" and region != "ap-southeast-2" for service, region in factory.created
    )
    assert eni_groups(scenario)[scenario.second_eni] == [group_id(scenario, ISOLATION_GROUP)]


def test_without_quarantine_profile_the_instance_profile_is_removed(scenario: Scenario) -> None:
    outcome = run(scenario, QUARANTINE_PROFILE_ARN="")
    assert outcome["status"] == "isolated"
    assert profile(scenario) is None
    assert tags(scenario)[record.ORIGINAL_PROFILE] == scenario.profile_arn


def test_quarantine_profile_by_name_is_associated_when_the_instance_had_none(
    scenario: Scenario,
) -> None:
    client = ec2(scenario)
    association = client.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [scenario.instance_id]}]
    )["IamInstanceProfileAssociations"][0]
    client.disassociate_iam_instance_profile(AssociationId=association["AssociationId"])
    outcome = run(scenario, QUARANTINE_PROFILE_ARN="secbaseline-quarantine")
    assert outcome["status"] == "isolated"
    assert profile(scenario) == scenario.quarantine_profile_arn
    assert tags(scenario)[record.ORIGINAL_PROFILE] == record.NO_PROFILE


def test_without_evidence_bucket_or_topic_nothing_is_written_there(scenario: Scenario) -> None:
    factory = Recording()
    outcome = run(scenario, factory, EVIDENCE_BUCKET="", NOTIFICATION_TOPIC_ARN="")
    assert outcome["status"] == "isolated"
    assert not any(service in {"s3", "sns"} for service, _ in factory.created)


def test_isolation_groups_are_reused_and_repaired(scenario: Scenario) -> None:
    client = ec2(scenario)
    existing = client.create_security_group(
        GroupName=ISOLATION_GROUP, Description="pre-existing", VpcId=scenario.vpc_id
    )["GroupId"]
    client.authorize_security_group_ingress(
        GroupId=existing,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            }
        ],
    )
    assert run(scenario)["status"] == "isolated"
    assert group_id(scenario, ISOLATION_GROUP) == existing  # found by name, not duplicated
    group = client.describe_security_groups(GroupIds=[existing])["SecurityGroups"][0]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []
    # A second instance in the same VPC reuses both groups.
    other = build_second_instance(scenario)
    outcome = handle(
        finding_for(other, scenario.region), config_from_env(handler_env(scenario)), Recording()
    )
    assert outcome["status"] == "isolated"
    assert not any("created security group" in a["detail"] for a in outcome["actions"])
    group_id(scenario, TRANSIT_GROUP)  # still exactly one


def build_second_instance(scenario: Scenario) -> str:
    client = ec2(scenario)
    subnet = client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [scenario.vpc_id]}])[
        "Subnets"
    ][0]
    image = amazon_linux_image(client)
    return client.run_instances(  # type: ignore[no-any-return]
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet["SubnetId"],
        SecurityGroupIds=[scenario.admin_sg],
    )["Instances"][0]["InstanceId"]


def test_instance_outside_auto_scaling_and_load_balancing(scenario: Scenario) -> None:
    other = build_second_instance(scenario)
    outcome = handle(
        finding_for(other, scenario.region), config_from_env(handler_env(scenario)), Recording()
    )
    assert outcome["status"] == "isolated"
    details = [a["detail"] for a in outcome["actions"]]
    assert "not in an Auto Scaling group" in details
    assert "in no target group" in details


# --- Auto Scaling fallbacks ------------------------------------------------------------------


def test_standby_refused_falls_back_to_detach(scenario: Scenario) -> None:
    factory = Recording()
    factory.fail("EnterStandby")
    outcome = run(scenario, factory)
    assert outcome["status"] == "isolated"
    assert lifecycle(scenario) is None  # detached from the group
    assert tags(scenario)[record.AUTO_SCALING] == "web|detached|"
    assert any(a["detail"].startswith("standby refused") for a in outcome["actions"])


def test_standby_and_detach_refused_suspend_replacement(scenario: Scenario) -> None:
    factory = Recording()
    factory.fail("EnterStandby")
    factory.fail("DetachInstances")
    outcome = run(scenario, factory)
    assert outcome["status"] == "isolated"
    autoscaling = boto3.client("autoscaling", region_name=scenario.region)
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])[
        "AutoScalingGroups"
    ][0]
    assert {p["ProcessName"] for p in group["SuspendedProcesses"]} == {
        "HealthCheck",
        "ReplaceUnhealthy",
        "AZRebalance",
    }
    member = autoscaling.describe_auto_scaling_instances(InstanceIds=[scenario.instance_id])[
        "AutoScalingInstances"
    ][0]
    assert member["ProtectedFromScaleIn"] is True
    assert (
        tags(scenario)[record.AUTO_SCALING]
        == "web|suspended|HealthCheck+ReplaceUnhealthy+AZRebalance+scale-in-protection"
    )
    # Restore resumes exactly what was suspended and lifts the scale-in protection.
    restore(scenario.instance_id, scenario.region, client_factory=Recording())
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])[
        "AutoScalingGroups"
    ][0]
    assert group["SuspendedProcesses"] == []
    member = autoscaling.describe_auto_scaling_instances(InstanceIds=[scenario.instance_id])[
        "AutoScalingInstances"
    ][0]
    assert member["ProtectedFromScaleIn"] is False


# --- skip paths --------------------------------------------------------------------------------


def test_exempt_instance_is_skipped_without_changes(scenario: Scenario) -> None:
    ec2(scenario).create_tags(
        Resources=[scenario.instance_id],
        Tags=[{"Key": "secbaseline:isolation-exempt", "Value": "true"}],
    )
    factory = Recording()
    outcome = run(scenario, factory)
    assert outcome["status"] == "skipped"
    assert "exemption tag" in outcome["reason"]
    assert factory.mutations() == []


def test_custom_exempt_tag_and_false_value(scenario: Scenario) -> None:
    ec2(scenario).create_tags(
        Resources=[scenario.instance_id], Tags=[{"Key": "forensics-lab", "Value": "yes"}]
    )
    assert run(scenario, EXEMPT_TAG="forensics-lab")["status"] == "skipped"
    ec2(scenario).create_tags(
        Resources=[scenario.instance_id], Tags=[{"Key": "forensics-lab", "Value": "false"}]
    )
    assert run(scenario, EXEMPT_TAG="forensics-lab")["status"] == "isolated"


def test_already_isolated_instance_is_skipped(scenario: Scenario) -> None:
    assert run(scenario)["status"] == "isolated"
    factory = Recording()
    outcome = run(scenario, factory)
    assert outcome["status"] == "skipped"
    assert outcome["reason"] == "already isolated (finding a4c7e1f03b9d2e5f8a6b0c1d2e3f4a5b)"
    assert factory.mutations() == []


def test_terminated_instance_is_skipped(scenario: Scenario) -> None:
    other = build_second_instance(scenario)
    ec2(scenario).terminate_instances(InstanceIds=[other])
    factory = Recording()
    outcome = handle(
        finding_for(other, scenario.region), config_from_env(handler_env(scenario)), factory
    )
    assert outcome["status"] == "skipped"
    assert outcome["reason"] == "instance no longer exists (terminated or not found)"
    assert factory.mutations() == []


def test_unknown_instance_is_skipped(scenario: Scenario) -> None:
    factory = Recording()
    outcome = handle(
        finding_for("i-0000000000000dead", scenario.region),
        config_from_env(handler_env(scenario)),
        factory,
    )
    assert outcome["status"] == "skipped"
    assert "no longer exists" in outcome["reason"]
    assert factory.operations() == ["DescribeInstances"]


# --- dry run -----------------------------------------------------------------------------------


def full_state(scenario: Scenario) -> dict[str, Any]:
    client = ec2(scenario)
    autoscaling = boto3.client("autoscaling", region_name=scenario.region)
    return {
        "instances": client.describe_instances()["Reservations"],
        "groups": client.describe_security_groups()["SecurityGroups"],
        "enis": client.describe_network_interfaces()["NetworkInterfaces"],
        "associations": client.describe_iam_instance_profile_associations()[
            "IamInstanceProfileAssociations"
        ],
        "snapshots": client.describe_snapshots(OwnerIds=["self"])["Snapshots"],
        "protection": protection(scenario),
        "asg": autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"],
        "asg_instances": autoscaling.describe_auto_scaling_instances()["AutoScalingInstances"],
        "targets": boto3.client("elbv2", region_name=scenario.region).describe_target_health(
            TargetGroupArn=scenario.target_group_arn
        )["TargetHealthDescriptions"],
        "evidence": boto3.client("s3", region_name="us-east-1")
        .list_objects_v2(Bucket=scenario.evidence_bucket)
        .get("Contents", []),
    }


def test_dry_run_changes_nothing(scenario: Scenario) -> None:
    before = json.dumps(full_state(scenario), default=str, sort_keys=True)
    factory = Recording()
    outcome = run(scenario, factory, DRY_RUN="true")
    after = json.dumps(full_state(scenario), default=str, sort_keys=True)
    assert outcome["status"] == "dry_run"
    assert after == before
    assert factory.mutations() == []
    planned = [a["detail"] for a in outcome["actions"] if a.get("dryRun")]
    assert any(d.startswith("would enable termination protection") for d in planned)
    assert any(d.startswith("would put it in standby in web") for d in planned)
    assert any(d.startswith("would create security group secbaseline-isolation ") for d in planned)
    assert any(d.startswith("would snapshot") for d in planned)
    assert any(d.startswith("would replace") for d in planned)


def test_dry_run_of_an_instance_already_in_standby_changes_nothing(scenario: Scenario) -> None:
    boto3.client("autoscaling", region_name=scenario.region).enter_standby(
        InstanceIds=[scenario.instance_id],
        AutoScalingGroupName="web",
        ShouldDecrementDesiredCapacity=True,
    )
    factory = Recording()
    outcome = run(scenario, factory, DRY_RUN="true")
    assert outcome["status"] == "dry_run"
    assert factory.mutations() == []
    assert "already in standby in web" in [a["detail"] for a in outcome["actions"]]


def test_instance_already_in_standby_stays_there_after_restore(scenario: Scenario) -> None:
    boto3.client("autoscaling", region_name=scenario.region).enter_standby(
        InstanceIds=[scenario.instance_id],
        AutoScalingGroupName="web",
        ShouldDecrementDesiredCapacity=True,
    )
    assert run(scenario)["status"] == "isolated"
    assert tags(scenario)[record.AUTO_SCALING] == "web|already-standby|"
    restore(scenario.instance_id, scenario.region, client_factory=Recording())
    assert lifecycle(scenario) == "Standby"


# --- failure midway and retry ------------------------------------------------------------------


def test_failure_midway_leaves_a_record_and_a_rerun_completes(scenario: Scenario) -> None:
    original = eni_groups(scenario)
    original_primary = sorted(g["GroupId"] for g in instance(scenario)["SecurityGroups"])
    factory = Recording()
    factory.fail("CreateSnapshot")  # the first snapshot fails once, after the network isolation
    first = run(scenario, factory)
    assert first["status"] == "error"
    assert "CreateSnapshot failed (test)" in first["reason"]
    assert any(a["detail"].startswith("move ") for a in first["actions"])
    midway = tags(scenario)
    assert midway[record.STATUS] == record.ISOLATING
    assert "CreateSnapshot" in midway[record.ERROR]
    isolation = group_id(scenario, ISOLATION_GROUP)
    assert eni_groups(scenario)[scenario.second_eni] == [isolation]

    second = run(scenario, Recording())
    assert second["status"] == "isolated", second["reason"]
    assert second["actions"][0]["step"] == "resume"
    assert len(snapshots(scenario)) == 2  # no duplicates, none missing
    assert tags(scenario)[record.STATUS] == record.ISOLATED
    # The rerun kept the original record, not the half-isolated state it found.
    restore(scenario.instance_id, scenario.region, client_factory=Recording())
    assert eni_groups(scenario)[scenario.second_eni] == original[scenario.second_eni]
    assert sorted(g["GroupId"] for g in instance(scenario)["SecurityGroups"]) == original_primary


def test_failure_before_interfaces_were_tagged_is_recovered(scenario: Scenario) -> None:
    original = eni_groups(scenario)[scenario.second_eni]
    factory = Recording()
    factory.fail("ModifyInstanceAttribute")  # the protection step, right after recording
    assert run(scenario, factory)["status"] == "error"
    second = run(scenario, Recording())
    assert second["status"] == "isolated"
    restore(scenario.instance_id, scenario.region, client_factory=Recording())
    assert eni_groups(scenario)[scenario.second_eni] == original


def test_lambda_entry_raises_after_an_error_so_lambda_retries(scenario: Scenario) -> None:
    factory = Recording()
    factory.fail("CreateSnapshot")
    event = finding_for(scenario.instance_id, scenario.region)
    with pytest.raises(IsolationFailed, match="CreateSnapshot failed"):
        handler(event, None, client_factory=factory, env=handler_env(scenario))
    outcome = handler(event, None, client_factory=Recording(), env=handler_env(scenario))
    assert outcome["status"] == "isolated"


def test_lambda_entry_returns_the_error_when_asked_not_to_raise(scenario: Scenario) -> None:
    factory = Recording()
    factory.fail("CreateSnapshot")
    outcome = handler(
        finding_for(scenario.instance_id, scenario.region),
        None,
        client_factory=factory,
        env=handler_env(scenario, FAIL_ON_ERROR="false"),
    )
    assert outcome["status"] == "error"


# --- restore -----------------------------------------------------------------------------------


def test_restore_reverses_everything(scenario: Scenario) -> None:
    before_enis = eni_groups(scenario)
    before_primary = sorted(g["GroupId"] for g in instance(scenario)["SecurityGroups"])
    run(scenario)
    outcome = restore(scenario.instance_id, scenario.region, client_factory=Recording())
    assert outcome["status"] == "restored"
    assert eni_groups(scenario) == before_enis
    assert sorted(g["GroupId"] for g in instance(scenario)["SecurityGroups"]) == before_primary
    assert profile(scenario) == scenario.profile_arn
    assert lifecycle(scenario) == "InService"
    assert registered(scenario)
    assert protection(scenario) == (False, False)
    final = tags(scenario)
    assert final[record.STATUS] == record.RESTORED
    assert record.ORIGINAL_PROFILE not in final and record.AUTO_SCALING not in final
    assert final[record.FINDING] == "a4c7e1f03b9d2e5f8a6b0c1d2e3f4a5b"  # history is kept
    eni_tags = ec2(scenario).describe_network_interfaces(NetworkInterfaceIds=[scenario.second_eni])[
        "NetworkInterfaces"
    ][0]["TagSet"]
    assert record.ORIGINAL_GROUPS not in record.tag_dict(eni_tags)
    assert len(snapshots(scenario)) == 2  # evidence is kept


def test_restore_keeps_protection_that_was_on_before(scenario: Scenario) -> None:
    ec2(scenario).modify_instance_attribute(
        InstanceId=scenario.instance_id, DisableApiTermination={"Value": True}
    )
    run(scenario)
    restore(scenario.instance_id, scenario.region, client_factory=Recording())
    assert protection(scenario) == (True, False)


def test_restore_dry_run_and_refusals(scenario: Scenario) -> None:
    with pytest.raises(RestoreError, match="is not isolated"):
        restore(scenario.instance_id, scenario.region, client_factory=Recording())
    with pytest.raises(RestoreError, match="not found"):
        restore("i-0000000000000dead", scenario.region, client_factory=Recording())
    run(scenario)
    factory = Recording()
    planned = restore(scenario.instance_id, scenario.region, client_factory=factory, dry_run=True)
    assert planned["status"] == "dry_run"
    assert factory.mutations() == []
    assert tags(scenario)[record.STATUS] == record.ISOLATED


# --- malformed and irrelevant events: no AWS call ----------------------------------------------


def _event(**detail_changes: Any) -> dict[str, Any]:
    event = finding_for("i-0123456789abcdef0", "eu-west-1")
    for key, value in detail_changes.items():
        if value is _DELETE:
            del event["detail"][key]
        else:
            event["detail"][key] = value
    return event


_DELETE = object()


def _resource(kind: str) -> dict[str, Any]:
    return {"resourceType": kind, "accessKeyDetails": {"accessKeyId": "AKIAEXAMPLE"}}


MALFORMED: list[tuple[str, Any, str]] = [
    ("not an object", [], "event: expected an object"),
    ("none", None, "event: expected an object"),
    ("other source", {**_event(), "source": "aws.securityhub"}, "not a GuardDuty finding"),
    (
        "no detail",
        {k: v for k, v in _event().items() if k != "detail"},
        "event.detail: expected an object",
    ),
    ("no id", _event(id=_DELETE), "detail.id"),
    ("severity text", _event(severity="8"), "detail.severity: expected a number"),
    ("severity bool", _event(severity=True), "detail.severity: expected a number"),
    ("bad region", _event(region="moon-1"), "detail.region"),
    ("access key", _event(resource=_resource("AccessKey")), "'AccessKey' is not an EC2 instance"),
    ("s3 bucket", _event(resource={"resourceType": "S3Bucket"}), "is not an EC2 instance"),
    ("no instance details", _event(resource={"resourceType": "Instance"}), "instanceDetails"),
    (
        "bad instance id",
        _event(
            resource={"resourceType": "Instance", "instanceDetails": {"instanceId": "i-99999999x"}}
        ),
        "is not an instance id",
    ),
    ("low severity", _event(severity=5.0), "below MIN_SEVERITY"),
    (
        "other finding type",
        _event(type="Policy:IAMUser/RootCredentialUsage"),
        "not one of the configured types",
    ),
]


@pytest.mark.parametrize(("case", "event", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_or_irrelevant_events_make_no_aws_call(
    case: str, event: Any, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = Recording()
    outcome = handler(event, None, client_factory=factory, env={})
    assert outcome["status"] == "skipped"
    assert outcome["reason"].startswith("rejected: ")
    assert message in outcome["reason"]
    assert factory.created == [] and factory.calls == []
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert logged[-1]["message"] == "event rejected" and message in logged[-1]["reason"]


def test_configured_type_prefixes_and_severity(aws: None) -> None:
    config = config_from_env({"FINDING_TYPE_PREFIXES": "Backdoor:EC2/", "MIN_SEVERITY": "9"})
    outcome = handle(_event(type="Backdoor:EC2/C&CActivity.B", severity=8.5), config, Recording())
    assert "below MIN_SEVERITY 9.0" in outcome["reason"]
    outcome = handle(_event(severity=9.5), config, Recording())
    assert "not one of the configured types" in outcome["reason"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MIN_SEVERITY": "high"}, "MIN_SEVERITY: expected a number"),
        ({"MIN_SEVERITY": "11"}, "MIN_SEVERITY: expected 0-10"),
        ({"DRY_RUN": "maybe"}, "DRY_RUN: expected true or false"),
    ],
)
def test_bad_settings_fail_loudly(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        handler(_event(), None, client_factory=Recording(), env=env)


def test_logs_are_one_json_object_per_line(
    scenario: Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    run(scenario)
    lines = capsys.readouterr().out.splitlines()
    entries = [json.loads(line) for line in lines]
    assert entries and all({"time", "level", "message"} <= set(e) for e in entries)
    assert entries[-1]["message"] == "done" and entries[-1]["status"] == "isolated"


def test_long_tag_values_are_split_and_joined() -> None:
    value = ",".join(f"sg-{i:017x}" for i in range(16))  # 16 groups: 335 characters
    parts = record.split_value(record.ORIGINAL_GROUPS, value)
    assert all(len(v) <= 256 for v in parts.values()) and len(parts) == 2
    assert record.join_value(parts, record.ORIGINAL_GROUPS) == value
    assert record.keys_of(parts, record.ORIGINAL_GROUPS) == [
        record.ORIGINAL_GROUPS,
        f"{record.ORIGINAL_GROUPS}#2",
    ]


def test_findings_about_another_account_are_left_to_that_account() -> None:
    """A GuardDuty administrator account receives its members' findings: no AWS call here."""

    class Context:
        invoked_function_arn = (
            "arn:aws:lambda:eu-west-1:999999999999:function:secbaseline-ec2-isolation"
        )

    factory = Recording()
    outcome = handler(_event(), Context(), client_factory=factory, env={})
    assert outcome["status"] == "skipped"
    assert "not this account 999999999999" in outcome["reason"]
    assert factory.created == [] and factory.calls == []
