"""``secbaseline drill ec2-isolation``: run the real isolation handler against an in-process
moto account and show what it did, step by step, with the instance's state before and after.

Nothing leaves the process: moto answers every AWS call and fake credentials are set for the
duration of the command only.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from tabulate import tabulate

DRILL_REGION = "eu-west-1"
"""Where the drill's workload runs (not the home region: findings come from anywhere)."""
HOME_REGION = "us-east-1"
"""Where the function, the evidence bucket and the notifications topic live."""
ISOLATION_PACKAGE = "secbaseline.components.lambdas.ec2_isolation"


def sample_finding() -> dict[str, Any]:
    """The shipped GuardDuty sample finding (EventBridge envelope)."""
    text = resources.files(ISOLATION_PACKAGE).joinpath("sample_finding.json").read_text()
    finding: dict[str, Any] = json.loads(text)
    return finding


def finding_for(
    instance_id: str, region: str, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The sample finding re-pointed at another instance and region."""
    event = copy.deepcopy(dict(base or sample_finding()))
    event["region"] = region
    event["detail"]["region"] = region
    event["detail"]["resource"]["instanceDetails"]["instanceId"] = instance_id
    return event


@contextmanager
def fake_aws_environment() -> Iterator[None]:
    """Fake credentials and the home region while the drill runs; restored afterwards."""
    fake = {
        "AWS_ACCESS_KEY_ID": "drill",
        "AWS_SECRET_ACCESS_KEY": "drill",
        "AWS_SESSION_TOKEN": "drill",
        "AWS_DEFAULT_REGION": HOME_REGION,
    }
    hidden = ("AWS_PROFILE", "AWS_REGION")
    saved = {k: os.environ.get(k) for k in (*fake, *hidden)}
    try:
        for key in hidden:
            os.environ.pop(key, None)
        os.environ.update(fake)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class Scenario:
    """The workload the drill (and the tests) build inside moto."""

    region: str
    vpc_id: str
    instance_id: str
    group_name: str
    target_group_arn: str
    web_sg: str
    admin_sg: str
    second_eni: str
    data_volume: str
    profile_arn: str
    quarantine_profile_arn: str
    evidence_bucket: str
    topic_arn: str
    queue_url: str


def client(service: str, region: str | None = None) -> Any:
    """A boto3 client (inside ``mock_aws`` these talk to moto). Typed loosely: see aws.py."""
    import boto3

    return boto3.client(service, region_name=region or HOME_REGION)  # type: ignore[call-overload]  # service is dynamic


def amazon_linux_image(ec2: Any) -> str:
    """An Amazon Linux image id. Filtered by name: listing all of Amazon's images (moto knows
    over a thousand) costs seconds for one id."""
    for filters in ([{"Name": "name", "Values": ["al2023-ami-2023*"]}], []):
        images = ec2.describe_images(Owners=["amazon"], Filters=filters)["Images"]
        if images:
            return str(images[0]["ImageId"])
    raise RuntimeError("no Amazon image in this account's region")


def build_scenario(region: str = DRILL_REGION, *, min_size: int = 1) -> Scenario:
    """A web instance in an Auto Scaling group behind a target group, with a role, a second
    network interface in another security group and a data volume. Call inside mock_aws."""
    ec2 = client("ec2", region)
    iam = client("iam")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{region}a"
    )["Subnet"]["SubnetId"]
    web_sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    admin_sg = ec2.create_security_group(GroupName="admin", Description="admin", VpcId=vpc_id)[
        "GroupId"
    ]

    def profile(name: str) -> str:
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        arn = str(iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"])
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return arn

    profile_arn = profile("web-app")
    quarantine_arn = profile("secbaseline-quarantine")
    image_id = amazon_linux_image(ec2)
    ec2.create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={
            "ImageId": image_id,
            "InstanceType": "t3.micro",
            "SecurityGroupIds": [web_sg],
        },
    )
    elbv2 = client("elbv2", region)
    tg_arn = elbv2.create_target_group(
        Name="web", Protocol="HTTP", Port=80, VpcId=vpc_id, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    autoscaling = client("autoscaling", region)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateName": "web", "Version": "$Latest"},
        MinSize=min_size,
        MaxSize=3,
        DesiredCapacity=2,
        VPCZoneIdentifier=subnet_id,
        TargetGroupARNs=[tg_arn],
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])[
        "AutoScalingGroups"
    ][0]
    instance_id = sorted(i["InstanceId"] for i in group["Instances"])[0]
    registered = elbv2.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    if not any(t["Target"]["Id"] == instance_id for t in registered):
        elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": instance_id, "Port": 80}])
    ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Arn": profile_arn}, InstanceId=instance_id
    )
    eni = ec2.create_network_interface(SubnetId=subnet_id, Groups=[admin_sg], Description="admin")[
        "NetworkInterface"
    ]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=instance_id, DeviceIndex=1)
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=20, VolumeType="gp3")["VolumeId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=instance_id, Device="/dev/sdf")

    s3 = client("s3")
    bucket = "secbaseline-drill-evidence"
    # As deployed: Object Lock with a GOVERNANCE default retention (uploads need a checksum).
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
        },
    )
    sns = client("sns")
    topic_arn = sns.create_topic(Name="secbaseline-notifications")["TopicArn"]
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName="drill-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Scenario(
        region=region,
        vpc_id=vpc_id,
        instance_id=instance_id,
        group_name="web",
        target_group_arn=tg_arn,
        web_sg=web_sg,
        admin_sg=admin_sg,
        second_eni=eni,
        data_volume=volume,
        profile_arn=profile_arn,
        quarantine_profile_arn=quarantine_arn,
        evidence_bucket=bucket,
        topic_arn=topic_arn,
        queue_url=queue_url,
    )


def handler_env(scenario: Scenario, **overrides: str) -> dict[str, str]:
    """The environment the deployed function would have, pointing at the scenario."""
    return {
        "EVIDENCE_BUCKET": scenario.evidence_bucket,
        "NOTIFICATION_TOPIC_ARN": scenario.topic_arn,
        "QUARANTINE_PROFILE_ARN": scenario.quarantine_profile_arn,
        "MIN_SEVERITY": "7",
        **overrides,
    }


def instance_state(scenario: Scenario) -> dict[str, Any]:
    """What an incident responder would look at, read back from the (moto) account."""
    region, instance_id = scenario.region, scenario.instance_id
    ec2 = client("ec2", region)
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    names = {g["GroupId"]: g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    groups = {}
    for eni in sorted(instance["NetworkInterfaces"], key=lambda e: e["Attachment"]["DeviceIndex"]):
        ids = sorted(g["GroupId"] for g in eni["Groups"])
        if eni["Attachment"]["DeviceIndex"] == 0:
            ids = sorted(g["GroupId"] for g in instance["SecurityGroups"])
        groups[f"{eni['NetworkInterfaceId']} (#{eni['Attachment']['DeviceIndex']})"] = ", ".join(
            names.get(i, i) for i in ids
        )
    scaling = client("autoscaling", region).describe_auto_scaling_instances(
        InstanceIds=[instance_id]
    )
    records = scaling["AutoScalingInstances"]
    health = client("elbv2", region).describe_target_health(
        TargetGroupArn=scenario.target_group_arn
    )
    in_tg = any(t["Target"]["Id"] == instance_id for t in health["TargetHealthDescriptions"])
    associations = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}]
    )["IamInstanceProfileAssociations"]
    profile = next(
        (
            a["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1]
            for a in associations
            if a["State"] == "associated"
        ),
        "(none)",
    )
    attribute = ec2.describe_instance_attribute
    volumes = [m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", []) if "Ebs" in m]
    snapshots = (
        ec2.describe_snapshots(Filters=[{"Name": "volume-id", "Values": volumes}])["Snapshots"]
        if volumes
        else []
    )
    shown = (
        "secbaseline:isolation-status",
        "secbaseline:isolation-finding",
        "secbaseline:isolation-auto-scaling",
    )
    tags = {t["Key"]: t["Value"] for t in instance.get("Tags", []) if t["Key"] in shown}
    return {
        "security groups": groups,
        "auto scaling": f"{records[0]['AutoScalingGroupName']}: {records[0]['LifecycleState']}"
        if records
        else "(not in a group)",
        "target group web": "registered" if in_tg else "not registered",
        "termination protection": attribute(
            InstanceId=instance_id, Attribute="disableApiTermination"
        )["DisableApiTermination"]["Value"],
        "stop protection": attribute(InstanceId=instance_id, Attribute="disableApiStop")[
            "DisableApiStop"
        ]["Value"],
        "instance profile": profile,
        "volume snapshots": f"{len(snapshots)} of {len(volumes)} volumes",
        "isolation tags": ", ".join(
            f"{k.removeprefix('secbaseline:isolation-')}={v}" for k, v in sorted(tags.items())
        )
        or "(none)",
    }


def _flatten(state: Mapping[str, Any]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in state.items():
        if isinstance(value, Mapping):
            for sub, inner in value.items():
                flat[f"{key}: {sub}"] = str(inner)
        else:
            flat[key] = str(value)
    return flat


def compare(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    labels: tuple[str, str] = ("before", "after"),
) -> str:
    """A table of every state field before and after."""
    b, a = _flatten(before), _flatten(after)
    rows = [[key, b.get(key, ""), a.get(key, "")] for key in dict.fromkeys([*b, *a])]
    return tabulate(rows, headers=["", *labels], tablefmt="simple")


def timeline(actions: list[Mapping[str, Any]]) -> str:
    """The handler's actions as a numbered table."""
    rows = [[i, str(a["time"])[11:23], a["step"], a["detail"]] for i, a in enumerate(actions, 1)]
    return tabulate(rows, headers=["#", "time (UTC)", "step", "what was done"], tablefmt="simple")


def isolation_complete(after: Mapping[str, Any], outcome: Mapping[str, Any]) -> list[str]:
    """What is missing from a complete isolation (empty when complete)."""
    problems = []
    if outcome.get("status") != "isolated":
        problems.append(f"handler status is {outcome.get('status')!r}: {outcome.get('reason')}")
    for eni, names in after["security groups"].items():
        if names != "secbaseline-isolation":
            problems.append(f"{eni} is in {names}")
    if "Standby" not in after["auto scaling"] and "not in a group" not in after["auto scaling"]:
        problems.append(f"auto scaling: {after['auto scaling']}")
    if after["target group web"] != "not registered":
        problems.append("still registered in the target group")
    if not (after["termination protection"] and after["stop protection"]):
        problems.append("protection flags are off")
    if after["instance profile"] != "secbaseline-quarantine":
        problems.append(f"instance profile is {after['instance profile']}")
    snaps = after["volume snapshots"].split()
    if snaps[0] != snaps[2] or snaps[0] == "0":
        problems.append(f"snapshots: {after['volume snapshots']}")
    return problems


def run_ec2_isolation(*, restore_after: bool, out: Callable[[str], object]) -> int:
    """The drill; returns the exit code."""
    try:
        from moto import mock_aws
    except ImportError:
        out(
            "secbaseline drill: moto is not installed; install the drill extra: "
            "pip install 'pulumi-aws-security-baseline[drill]'"
        )
        return 2

    # The timeline printed below replaces the function's JSON log lines.
    from secbaseline.baseline.moto_fidelity import aws_like_interface_groups
    from secbaseline.components.lambdas.ec2_isolation.log import only_warnings

    with only_warnings(), fake_aws_environment(), mock_aws(), aws_like_interface_groups():
        return _drill_in_moto(restore_after=restore_after, out=out)


def _drill_in_moto(*, restore_after: bool, out: Callable[[str], object]) -> int:
    from secbaseline.components.lambdas.ec2_isolation.handler import handle
    from secbaseline.components.lambdas.ec2_isolation.parse import config_from_env
    from secbaseline.components.lambdas.ec2_isolation.restore import restore

    scenario = build_scenario()
    event = finding_for(scenario.instance_id, scenario.region)
    before = instance_state(scenario)
    out(
        f"Drill: EC2 isolation (moto account 123456789012, workload in {scenario.region}, home {HOME_REGION})"
    )
    out(
        f"Finding {event['detail']['type']} (severity {event['detail']['severity']}) on {scenario.instance_id}\n"
    )
    outcome = handle(event, config_from_env(handler_env(scenario)), client)
    out(timeline(outcome["actions"]))
    after = instance_state(scenario)
    out("\nInstance state\n" + compare(before, after))
    out(
        "(moto lists a secondary interface's groups together with the instance's own: "
        "in AWS, #1 is in admin only)"
    )
    evidence = client("s3").list_objects_v2(Bucket=scenario.evidence_bucket).get("Contents", [])
    out("\nEvidence: " + ", ".join(f"s3://{scenario.evidence_bucket}/{o['Key']}" for o in evidence))
    messages = (
        client("sqs")
        .receive_message(QueueUrl=scenario.queue_url, MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    subjects = [json.loads(m["Body"]).get("Subject", "") for m in messages]
    out("Notification: " + ("; ".join(subjects) or "(none)"))
    problems = isolation_complete(after, outcome)
    if restore_after:
        restored = restore(scenario.instance_id, scenario.region, client_factory=client)
        out("\nRestore (false positive)\n" + timeline(restored["actions"]))
        out("\n" + compare(after, instance_state(scenario), labels=("isolated", "restored")))
    if problems:
        out("\nRESULT: isolation INCOMPLETE\n  - " + "\n  - ".join(problems))
        return 1
    out(f"\nRESULT: {scenario.instance_id} isolated completely ({len(outcome['actions'])} actions)")
    return 0


def _drill(args: argparse.Namespace) -> int:
    def out(text: str) -> None:
        sys.stdout.write(text + "\n")

    if args.scenario == "ec2-isolation":
        return run_ec2_isolation(restore_after=args.restore, out=out)
    raise ValueError(f"scenario: unknown drill {args.scenario!r}")  # argparse prevents this


def add_drill(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``secbaseline drill``."""
    parser = sub.add_parser("drill", help="rehearse an incident response offline (moto)")
    parser.add_argument("scenario", choices=["ec2-isolation"], help="what to rehearse")
    parser.add_argument(
        "--restore", action="store_true", help="also reverse the isolation afterwards"
    )
    parser.set_defaults(run=_drill)
