"""Bring your own network: resources built in this program are passed to the baseline's
components as Outputs (ids, ARNs, DNS names), the normal case for an application stack.

Offline (no account, no Pulumi CLI)::

    secbaseline plan --program docs/examples/own-network \
        --config docs/examples/own-network/Pulumi.example.yaml
"""

import pulumi
import pulumi_aws as aws

from components import team_tags
from secbaseline.components import (
    Ec2Bastion,
    Ec2BastionArgs,
    EdgeProtection,
    EdgeProtectionArgs,
    SecureBucket,
    SecureBucketArgs,
    SecureDatabase,
    SecureDatabaseArgs,
)

config = pulumi.Config()
domain = config.get("domain") or "app.example.com"
origin_secret = config.require_secret("originVerifySecret")
tags = team_tags("shop")
zones = ["ap-northeast-1a", "ap-northeast-1c"]

key = aws.kms.Key(
    "app-key",
    description="Encrypts the shop's data",
    enable_key_rotation=True,
    deletion_window_in_days=30,
    tags=tags,
)
vpc = aws.ec2.Vpc(
    "app-vpc",
    cidr_block="10.20.0.0/16",
    enable_dns_hostnames=True,
    enable_dns_support=True,
    tags=tags,
)
private = [
    aws.ec2.Subnet(
        f"app-private-{zone[-1]}",
        vpc_id=vpc.id,
        cidr_block=f"10.20.{index}.0/24",
        availability_zone=zone,
        tags=tags,
    )
    for index, zone in enumerate(zones)
]
public = [
    aws.ec2.Subnet(
        f"app-public-{zone[-1]}",
        vpc_id=vpc.id,
        cidr_block=f"10.20.{100 + index}.0/24",
        availability_zone=zone,
        tags=tags,
    )
    for index, zone in enumerate(zones)
]
app = aws.ec2.SecurityGroup(
    "app",
    vpc_id=vpc.id,
    description="The shop's application servers",
    egress=[
        {
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "cidr_blocks": ["0.0.0.0/0"],
            "description": "HTTPS to AWS APIs",
        }
    ],
    tags=tags,
)
web = aws.ec2.SecurityGroup(
    "web",
    vpc_id=vpc.id,
    description="The load balancer: HTTPS from CloudFront only",
    tags=tags,
)
alb = aws.lb.LoadBalancer(
    "web",
    load_balancer_type="application",
    subnets=[s.id for s in public],
    security_groups=[web.id],
    drop_invalid_header_fields=True,
    tags=tags,
)
# CloudFront certificates live in us-east-1: pulumi-aws 7 sets the region per resource.
certificate = aws.acm.Certificate(
    "edge", domain_name=domain, validation_method="DNS", region="us-east-1", tags=tags
)

uploads = SecureBucket("uploads", SecureBucketArgs(kms_key_arn=key.arn, tags=tags))
database = SecureDatabase(
    "orders",
    SecureDatabaseArgs(
        vpc_id=vpc.id,
        subnet_ids=[s.id for s in private],
        allowed_security_group_ids=[app.id],
        kms_key_arn=key.arn,
        tags=tags,
    ),
)
bastion = Ec2Bastion(
    "ops",
    Ec2BastionArgs(
        vpc_id=vpc.id,
        subnet_id=private[0].id,
        root_volume_kms_key_arn=key.arn,
        tags=tags,
    ),
)
edge = EdgeProtection(
    "shop",
    EdgeProtectionArgs(
        origin_domain_name=alb.dns_name,
        origin_verify_secret=origin_secret,
        certificate_arn=certificate.arn,
        aliases=[domain],
        regional_resource_arns=[alb.arn],
        tags=tags,
    ),
)

pulumi.export("uploadsBucket", uploads.bucket_name)
pulumi.export("databaseEndpoint", database.endpoint)
pulumi.export("bastionInstance", bastion.instance.id)
pulumi.export("distributionDomain", edge.distribution.domain_name)
