"""No false positives on real pulumi_aws serialisation: a compliant program, written the way the
docs recommend (S3 settings as separate resources joined by the fabricated bucket id), passes
every policy; dropping one piece produces exactly that violation."""

from __future__ import annotations

import json
from collections.abc import Callable

import pulumi
import pulumi_aws as aws

from secbaseline.baseline.check import check_plan
from secbaseline.baseline.engine import Plan
from secbaseline.policies.rules import StackOptions

REGION = "ap-northeast-1"
OPTIONS = StackOptions(tier="intermediate", regions=(REGION,))


def secure_program(*, skip: str = "") -> Callable[[], None]:
    def program() -> None:
        bucket = aws.s3.Bucket("data")
        aws.s3.BucketPublicAccessBlock(
            "data-pab",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            "data-sse",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}],
        )
        if skip != "versioning":
            aws.s3.BucketVersioning(
                "data-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}
            )
        aws.s3.BucketPolicy(
            "data-policy",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            ),
        )
        aws.ec2.Instance(
            "app",
            ami="ami-0123456789abcdef0",
            instance_type="t3.micro",
            associate_public_ip_address=False,
            metadata_options={"http_tokens": "required"},
        )
        web = aws.ec2.SecurityGroup(
            "web",
            description="https",
            ingress=[
                {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}
            ],
        )
        aws.vpc.SecurityGroupIngressRule(
            "web-ssh-internal",
            security_group_id=web.id,
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            cidr_ipv4="10.0.0.0/8",
        )
        aws.ebs.Volume("disk", availability_zone=f"{REGION}a", size=8, encrypted=True)
        aws.rds.Instance(
            "db",
            engine="postgres",
            instance_class="db.t4g.micro",
            allocated_storage=20,
            username="app",
            manage_master_user_password=True,
            storage_encrypted=True,
            backup_retention_period=7,
            iam_database_authentication_enabled=True,
            deletion_protection=True,
        )
        api = aws.apigatewayv2.Api("api", protocol_type="HTTP")
        aws.lambda_.Permission(
            "api-invokes",
            action="lambda:InvokeFunction",
            function="handler",
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(api.execution_arn, "/*"),
        )
        aws.lambda_.FunctionUrl("iam-url", function_name="handler", authorization_type="AWS_IAM")
        logs = aws.cloudwatch.LogGroup("api-logs", retention_in_days=365)
        aws.apigatewayv2.Stage(
            "api-stage",
            api_id=api.id,
            name="$default",
            auto_deploy=True,
            access_log_settings={"destination_arn": logs.arn, "format": "$context.requestId"},
        )
        aws.cloudfront.Distribution(
            "cdn",
            enabled=True,
            web_acl_id="arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/abc",
            origins=[{"domain_name": "example.com", "origin_id": "site"}],
            default_cache_behavior={
                "allowed_methods": ["GET", "HEAD"],
                "cached_methods": ["GET", "HEAD"],
                "target_origin_id": "site",
                "viewer_protocol_policy": "redirect-to-https",
                "cache_policy_id": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={
                "acm_certificate_arn": "arn:aws:acm:us-east-1:111111111111:certificate/abc",
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            },
        )
        key = aws.kms.Key("key", enable_key_rotation=True)
        aws.sns.Topic("alerts", kms_master_key_id=key.id)
        aws.iam.Policy(
            "read-data",
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                        }
                    ],
                }
            ),
        )
        aws.iam.Role(
            "deployer",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            inline_policies=[
                {
                    "name": "pass-to-ecs",
                    "policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "iam:PassRole",
                                    "Resource": "*",
                                    "Condition": {
                                        "StringEquals": {
                                            "iam:PassedToService": "ecs-tasks.amazonaws.com"
                                        }
                                    },
                                }
                            ],
                        }
                    ),
                }
            ],
        )
        if skip != "guardduty":
            aws.guardduty.Detector("detector", enable=True, region=REGION)
        aws.securityhub.Account("hub", region=REGION)
        aws.cfg.Recorder(
            "recorder",
            role_arn="arn:aws:iam::111111111111:role/config",
            region=REGION,
        )

    return program


def test_secure_program_passes_every_policy(run_program: Callable[..., Plan]) -> None:
    plan = run_program(secure_program())
    assert check_plan(plan, options=OPTIONS) == []


def test_missing_versioning_resource_is_the_only_finding(run_program: Callable[..., Plan]) -> None:
    plan = run_program(secure_program(skip="versioning"))
    found = [(f.policy, f.message) for f in check_plan(plan, options=OPTIONS)]
    assert found == [
        ("s3-bucket-configuration-complete", "bucket data has no versioning (BucketVersioning)")
    ]


def test_missing_detector_is_the_only_finding(run_program: Callable[..., Plan]) -> None:
    plan = run_program(secure_program(skip="guardduty"))
    found = [(f.policy, f.urn, f.message) for f in check_plan(plan, options=OPTIONS)]
    assert found == [("guardduty-all-regions", None, f"GuardDuty is not enabled in {REGION}")]
