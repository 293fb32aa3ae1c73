"""Policy rules: a compliant and a violating fixture per policy with the exact message, unknowns,
secrets, S3 settings inline vs separate resources, and the detection stack policies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from secbaseline.baseline import catalog
from secbaseline.policies import rules
from secbaseline.policies.rules import StackOptions, StackResource, StackViolation

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"
URN = "urn:pulumi:test::test::t::r"

PAB_ALL = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
TLS_DENY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


SG = catalog.SECURITY_GROUP
# (policy, resource type, compliant props, violating props, exact messages for the violation)
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], list[str]]] = [
    (
        "s3-block-public-access",
        catalog.S3_PAB,
        {"bucket": "b", **PAB_ALL},
        {"bucket": "b", **PAB_ALL, "blockPublicPolicy": False, "restrictPublicBuckets": None},
        ["Block Public Access leaves blockPublicPolicy, restrictPublicBuckets off"],
    ),
    (
        "s3-block-public-access",
        catalog.S3_ACCOUNT_PAB,
        PAB_ALL,
        {"blockPublicAcls": True},
        [
            "Block Public Access leaves blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets off"
        ],
    ),
    (
        "s3-no-public-acl",
        catalog.S3_ACL,
        {"bucket": "b", "acl": "private"},
        {"bucket": "b", "acl": "public-read-write"},
        ["canned ACL public-read-write makes the bucket public"],
    ),
    (
        "s3-no-public-acl",
        catalog.S3_ACL,
        {
            "bucket": "b",
            "accessControlPolicy": {
                "grants": [
                    {"grantee": {"type": "CanonicalUser", "id": "abc"}, "permission": "READ"}
                ]
            },
        },
        {
            "bucket": "b",
            "accessControlPolicy": {
                "grants": [
                    {
                        "grantee": {
                            "type": "Group",
                            "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                        },
                        "permission": "READ",
                    }
                ]
            },
        },
        ["ACL grant to AllUsers makes the bucket public"],
    ),
    (
        "s3-no-public-acl",
        catalog.BUCKET,
        {"bucket": "b"},
        {
            "acl": "authenticated-read",
            "grants": [
                {
                    "type": "Group",
                    "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                    "permissions": ["READ"],
                }
            ],
        },
        [
            "canned ACL authenticated-read makes the bucket public",
            "ACL grant to AuthenticatedUsers makes the bucket public",
        ],
    ),
    (
        "s3-no-public-acl",
        catalog.S3_ACL_V2,
        {"bucket": "b", "acl": "private"},
        {"bucket": "b", "acl": "public-read"},
        ["canned ACL public-read makes the bucket public"],
    ),
    (
        "s3-encryption",
        catalog.S3_SSE_V2,
        {
            "bucket": "b",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms:dsse"}}],
        },
        {"bucket": "b", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "x"}}]},
        ["no default encryption rule (sseAlgorithm aws:kms, aws:kms:dsse or AES256)"],
    ),
    (
        "s3-versioning",
        catalog.S3_VERSIONING_V2,
        {"bucket": "b", "versioningConfiguration": {"status": "Enabled"}},
        {"bucket": "b", "versioningConfiguration": {"status": "Disabled"}},
        ["versioning status is Disabled, not Enabled"],
    ),
    (
        "s3-encryption",
        catalog.S3_SSE,
        {
            "bucket": "b",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
        },
        {"bucket": "b", "rules": [{"bucketKeyEnabled": True}]},
        ["no default encryption rule (sseAlgorithm aws:kms, aws:kms:dsse or AES256)"],
    ),
    (
        "s3-encryption",
        catalog.BUCKET,
        {
            "serverSideEncryptionConfiguration": {
                "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
            }
        },
        {"serverSideEncryptionConfiguration": {"rule": {"bucketKeyEnabled": True}}},
        ["no default encryption rule (sseAlgorithm aws:kms, aws:kms:dsse or AES256)"],
    ),
    (
        "s3-versioning",
        catalog.S3_VERSIONING,
        {"bucket": "b", "versioningConfiguration": {"status": "Enabled"}},
        {"bucket": "b", "versioningConfiguration": {"status": "Suspended"}},
        ["versioning status is Suspended, not Enabled"],
    ),
    (
        "s3-versioning",
        catalog.BUCKET,
        {"versioning": {"enabled": True}},
        {"versioning": {"enabled": False}},
        ["inline versioning is disabled"],
    ),
    (
        "s3-tls-only",
        catalog.S3_POLICY,
        {"bucket": "b", "policy": doc(TLS_DENY)},
        {"bucket": "b", "policy": doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))},
        ['bucket policy does not deny requests with "aws:SecureTransport": "false"'],
    ),
    (
        "s3-tls-only",
        catalog.BUCKET,
        {"policy": json.loads(doc(TLS_DENY))},  # inline, as a dict
        {"policy": doc({**TLS_DENY, "Effect": "Allow"})},
        ['bucket policy does not deny requests with "aws:SecureTransport": "false"'],
    ),
    (
        "ec2-imdsv2-required",
        catalog.EC2_INSTANCE,
        {"metadataOptions": {"httpTokens": "required"}},
        {"ami": "ami-1"},
        ["metadataOptions.httpTokens is not set; IMDSv2 must be required"],
    ),
    (
        "ec2-imdsv2-required",
        catalog.LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "required"}},
        {"metadataOptions": {"httpTokens": "optional"}},
        ["metadataOptions.httpTokens is optional; IMDSv2 must be required"],
    ),
    (
        "ec2-no-public-ip",
        catalog.EC2_INSTANCE,
        {"associatePublicIpAddress": False},
        {"associatePublicIpAddress": True},
        ["associatePublicIpAddress is true"],
    ),
    (
        "ec2-no-public-ip",
        catalog.LAUNCH_TEMPLATE,
        {"networkInterfaces": [{"associatePublicIpAddress": "false"}]},
        {"networkInterfaces": [{}, {"associatePublicIpAddress": "true"}]},
        ["networkInterfaces[1].associatePublicIpAddress is true"],
    ),
    (
        "security-group-no-public-admin-ports",
        SG,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
                {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]},
            ]
        },
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
                {"protocol": "tcp", "fromPort": 0, "toPort": 3400, "ipv6CidrBlocks": ["::/0"]},
            ]
        },
        ["ingress[1] allows ::/0 to port 22 (SSH)", "ingress[1] allows ::/0 to port 3389 (RDP)"],
    ),
    (
        "security-group-no-public-admin-ports",
        SG,
        {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "selfAttribute": True}]},
        {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
        ["ingress[0] allows 0.0.0.0/0 to all ports"],
    ),
    (
        "security-group-no-public-admin-ports",
        catalog.SG_RULE,
        {
            "type": "egress",
            "protocol": "-1",
            "fromPort": 0,
            "toPort": 0,
            "cidrBlocks": ["0.0.0.0/0"],
        },
        {
            "type": "ingress",
            "protocol": "6",
            "fromPort": 22,
            "toPort": 22,
            "cidrBlocks": ["0.0.0.0/0"],
        },
        ["allows 0.0.0.0/0 to port 22 (SSH)"],
    ),
    (
        "security-group-no-public-admin-ports",
        catalog.SG_INGRESS_RULE,
        {"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIpv4": "192.0.2.0/24"},
        {"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIpv4": "0.0.0.0/0"},
        ["allows 0.0.0.0/0 to port 3389 (RDP)"],
    ),
    (
        "ebs-encrypted",
        catalog.EBS_VOLUME,
        {"encrypted": True, "size": 8},
        {"size": 8},
        ["volume is not encrypted (encrypted must be true)"],
    ),
    (
        "ebs-encrypted",
        catalog.EC2_INSTANCE,
        {"rootBlockDevice": {"volumeSize": 8}},
        {"rootBlockDevice": {"encrypted": False}, "ebsBlockDevices": [{"encrypted": False}]},
        ["rootBlockDevice.encrypted is false", "ebsBlockDevices[0].encrypted is false"],
    ),
    (
        "rds-storage-encrypted",
        catalog.RDS_CLUSTER,
        {"storageEncrypted": True},
        {"storageEncrypted": False},
        ["storage is not encrypted (storageEncrypted)"],
    ),
    (
        "rds-not-public",
        catalog.RDS_INSTANCE,
        {"publiclyAccessible": False},
        {"publiclyAccessible": True},
        ["publiclyAccessible is true"],
    ),
    (
        "rds-backup-retention",
        catalog.RDS_INSTANCE,
        {"backupRetentionPeriod": 7},
        {"backupRetentionPeriod": 3},
        ["backupRetentionPeriod is 3 day(s) (need >= 7)"],
    ),
    (
        "rds-backup-retention",
        catalog.RDS_CLUSTER,
        {"backupRetentionPeriod": 35},
        {"engine": "aurora-postgresql"},
        ["backupRetentionPeriod is not set (AWS default 1 day; need >= 7)"],
    ),
    (
        "rds-iam-auth",
        catalog.RDS_INSTANCE,
        {"engine": "postgres", "iamDatabaseAuthenticationEnabled": True},
        {"engine": "mysql"},
        ["IAM database authentication is off (iamDatabaseAuthenticationEnabled)"],
    ),
    (
        "rds-deletion-protection",
        catalog.RDS_CLUSTER,
        {"deletionProtection": True},
        {"deletionProtection": False},
        ["deletion protection is off (deletionProtection)"],
    ),
    (
        "rds-parameter-group-tls",
        catalog.RDS_PARAMETER_GROUP,
        {"family": "postgres14", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
        {"family": "postgres14", "parameters": [{"name": "rds.force_ssl", "value": "0"}]},
        ["rds.force_ssl is '0': connections without TLS are allowed"],
    ),
    (
        "rds-parameter-group-tls",
        catalog.RDS_CLUSTER_PARAMETER_GROUP,
        {
            "family": "aurora-mysql8.0",
            "parameters": [{"name": "require_secure_transport", "value": "ON"}],
        },
        {"family": "aurora-mysql8.0", "parameters": []},
        [
            "require_secure_transport is not set "
            "(the aurora-mysql8.0 default allows connections without TLS)"
        ],
    ),
    (
        "lambda-function-url-auth",
        catalog.FUNCTION_URL,
        {"authorizationType": "AWS_IAM"},
        {"authorizationType": "NONE"},
        ["function URL allows unauthenticated calls (authorizationType NONE)"],
    ),
    (
        "lambda-permission-restricted",
        catalog.LAMBDA_PERMISSION,
        {
            "principal": "*",
            "sourceArn": "arn:aws:execute-api:ap-northeast-1:111111111111:abc/*",
        },
        {"principal": "*", "action": "lambda:InvokeFunction"},
        ['principal "*" without sourceArn, sourceAccount or principalOrgId'],
    ),
    (
        "cloudfront-tls",
        catalog.DISTRIBUTION,
        {
            "viewerCertificate": {
                "acmCertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/x",
                "minimumProtocolVersion": "TLSv1.2_2021",
            },
            "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"},
        },
        {
            "viewerCertificate": {"minimumProtocolVersion": "TLSv1.1_2016"},
            "defaultCacheBehavior": {"viewerProtocolPolicy": "https-only"},
            "orderedCacheBehaviors": [{"viewerProtocolPolicy": "allow-all"}],
        },
        [
            "minimumProtocolVersion is TLSv1.1_2016; need TLSv1.2 or newer",
            "orderedCacheBehaviors[0].viewerProtocolPolicy allow-all serves plain HTTP",
        ],
    ),
    (
        "cloudfront-waf",
        catalog.DISTRIBUTION,
        {"webAclId": "arn:aws:wafv2:us-east-1:111111111111:global/webacl/x/1"},
        {"enabled": True},
        ["no AWS WAF web ACL (webAclId)"],
    ),
    (
        "apigateway-access-logging",
        catalog.REST_STAGE,
        {"accessLogSettings": {"destinationArn": "arn:aws:logs:x", "format": "$context.requestId"}},
        {"stageName": "prod"},
        ["no access logging (accessLogSettings.destinationArn)"],
    ),
    (
        "apigateway-access-logging",
        catalog.HTTP_STAGE,
        {"accessLogSettings": {"destinationArn": "arn:aws:logs:y", "format": "$context.requestId"}},
        {"accessLogSettings": {"format": "x"}},
        ["no access logging (accessLogSettings.destinationArn)"],
    ),
    (
        "kms-key-rotation",
        catalog.KMS_KEY,
        {"enableKeyRotation": True},
        {"keySpec": "SYMMETRIC_DEFAULT"},
        ["automatic key rotation is off (enableKeyRotation)"],
    ),
    (
        "triage-rule-not-expired",
        catalog.GUARDDUTY_FILTER,
        {"description": "scanner noise", "tags": {"secbaseline:expires": "2099-12-31"}},
        {"description": "scanner noise", "tags": {"secbaseline:expires": "2020-01-31"}},
        ["expired on 2020-01-31: review the rule, then renew the date or remove the rule"],
    ),
    (
        "triage-rule-not-expired",
        catalog.SECURITYHUB_AUTOMATION_RULE,
        {"description": "accepted risk", "tags": {"secbaseline:expires": "2099-12-31"}},
        {"description": "", "tags": {}},
        ["no reason (description)", "no expiry date (tag secbaseline:expires)"],
    ),
    (
        "sns-topic-encrypted",
        catalog.SNS_TOPIC,
        {"kmsMasterKeyId": "alias/aws/sns"},
        {"name": "alerts"},
        ["topic is not encrypted (kmsMasterKeyId)"],
    ),
    (
        "iam-no-full-admin",
        "aws:iam/policy:Policy",
        {"policy": doc(allow("s3:GetObject"), allow("*", "arn:aws:s3:::b"))},
        {"policy": doc(allow("s3:GetObject"), allow(["*:*"], ["*"]))},
        ['policy statement 1 allows "*" on "*" (full admin)'],
    ),
    (
        "iam-no-full-admin",
        "aws:iam/rolePolicy:RolePolicy",
        {"role": "r", "policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})},
        {"role": "r", "policy": doc(allow("*"))},
        ['policy statement 0 allows "*" on "*" (full admin)'],
    ),
    (
        "iam-no-full-admin",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        {"role": "r", "policyArn": ADMIN_ARN},
        ["policyArn attaches AdministratorAccess (full admin)"],
    ),
    (
        "iam-no-full-admin",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        {"user": "u", "policyArn": "arn:aws:iam::111111111111:policy/AdministratorAccess"},
        {"user": "u", "policyArn": "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"},
        ["policyArn attaches AdministratorAccess (full admin)"],
    ),
    (
        "iam-no-full-admin",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        {"group": "g", "policyArn": "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"},
        {"group": "g", "policyArn": ADMIN_ARN},
        ["policyArn attaches AdministratorAccess (full admin)"],
    ),
    (
        "iam-no-full-admin",
        "aws:iam/policyAttachment:PolicyAttachment",
        {"roles": ["r"], "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess-Amplify"},
        {"roles": ["r"], "users": ["u"], "policyArn": ADMIN_ARN},
        ["policyArn attaches AdministratorAccess (full admin)"],
    ),
    (
        "iam-no-full-admin",
        "aws:iam/role:Role",
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
        {
            "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", ADMIN_ARN],
            "inlinePolicies": [{"name": "all", "policy": doc(allow("*"))}],
        },
        [
            'inline policy all statement 0 allows "*" on "*" (full admin)',
            "managedPolicyArns[1] attaches AdministratorAccess (full admin)",
        ],
    ),
    (
        "iam-no-passrole-wildcard",
        "aws:iam/role:Role",
        {
            "inlinePolicies": [
                {"name": "pass", "policy": doc(allow("iam:PassRole", "arn:aws:iam::1:role/app"))},
                {
                    "name": "scoped",
                    "policy": doc(
                        allow(
                            "iam:PassRole",
                            Condition={
                                "StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}
                            },
                        )
                    ),
                },
            ]
        },
        {"inlinePolicies": [{"name": "pass", "policy": doc(allow(["s3:*", "iam:Pass*"]))}]},
        ['inline policy pass statement 0 allows iam:Pass* on "*" without a condition'],
    ),
    (
        "iam-no-passrole-wildcard",
        "aws:iam/userPolicy:UserPolicy",
        {"user": "u", "policy": doc(allow("*"))},  # full admin is the other policy's finding
        {"user": "u", "policy": doc(allow("iam:passrole"))},
        ['policy statement 0 allows iam:passrole on "*" without a condition'],
    ),
]

CASE_IDS = [f"{c[0]}:{c[1].rsplit(':', 1)[-1]}:{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize(("policy", "rtype", "good", "bad", "messages"), CASES, ids=CASE_IDS)
def test_resource_policy(
    policy: str, rtype: str, good: dict[str, Any], bad: dict[str, Any], messages: list[str]
) -> None:
    assert rules.check_resource(policy, rtype, good, URN, "r") == []
    assert rules.check_resource(policy, rtype, bad, URN, "r") == messages


def test_every_resource_policy_and_type_has_cases() -> None:
    covered = {(c[0], c[1]) for c in CASES}
    for spec in catalog.POLICIES:
        if spec.kind != "resource":
            continue
        assert {t for p, t in covered if p == spec.name}, f"{spec.name} has no fixture"
    wanted = {
        (spec.name, t)
        for spec in catalog.POLICIES
        for t in spec.resource_types
        if t not in catalog.IAM_POLICY_TYPES
    }
    # IAM types share one document walker; the others each need their own fixture.
    missing = (
        wanted
        - covered
        - {("s3-no-public-acl", catalog.BUCKET)}
        - {
            ("rds-storage-encrypted", catalog.RDS_INSTANCE),
            ("rds-iam-auth", catalog.RDS_CLUSTER),
            ("rds-deletion-protection", catalog.RDS_INSTANCE),
        }
    )
    assert missing == set()


def test_other_types_are_ignored() -> None:
    assert (
        rules.check_resource(
            "rds-not-public", catalog.RDS_CLUSTER, {"publiclyAccessible": True}, URN, "c"
        )
        == []
    )
    assert rules.check_resource("kms-key-rotation", catalog.SNS_TOPIC, {}, URN, "t") == []


@pytest.mark.parametrize(
    ("policy", "rtype", "props"),
    [
        ("s3-block-public-access", catalog.S3_PAB, {**PAB_ALL, "blockPublicAcls": UNKNOWN_BOOL}),
        ("s3-tls-only", catalog.S3_POLICY, {"bucket": UNKNOWN, "policy": UNKNOWN}),
        (
            "s3-tls-only",
            catalog.S3_POLICY,
            {"policy": '{"Statement": [{"Resource": "' + UNKNOWN + '"}]}'},
        ),
        ("s3-versioning", catalog.S3_VERSIONING, {"versioningConfiguration": UNKNOWN}),
        ("s3-encryption", catalog.S3_SSE, {"rules": UNKNOWN}),
        ("ec2-imdsv2-required", catalog.EC2_INSTANCE, {"metadataOptions": {"httpTokens": UNKNOWN}}),
        ("ec2-imdsv2-required", catalog.LAUNCH_TEMPLATE, {"metadataOptions": UNKNOWN}),
        ("security-group-no-public-admin-ports", SG, {"ingress": UNKNOWN}),
        (
            "security-group-no-public-admin-ports",
            catalog.SG_INGRESS_RULE,
            {
                "ipProtocol": "tcp",
                "fromPort": UNKNOWN_NUMBER,
                "toPort": 22,
                "cidrIpv4": "0.0.0.0/0",
            },
        ),
        ("ebs-encrypted", catalog.EBS_VOLUME, {"encrypted": UNKNOWN_BOOL}),
        ("rds-backup-retention", catalog.RDS_INSTANCE, {"backupRetentionPeriod": UNKNOWN_NUMBER}),
        ("rds-storage-encrypted", catalog.RDS_CLUSTER, {"storageEncrypted": UNKNOWN_BOOL}),
        ("rds-iam-auth", catalog.RDS_CLUSTER, {"iamDatabaseAuthenticationEnabled": UNKNOWN_BOOL}),
        ("kms-key-rotation", catalog.KMS_KEY, {"enableKeyRotation": UNKNOWN_BOOL}),
        ("iam-no-full-admin", "aws:iam/policy:Policy", {"policy": UNKNOWN}),
        ("iam-no-full-admin", "aws:iam/role:Role", {"inlinePolicies": UNKNOWN}),
        ("iam-no-full-admin", "aws:iam/role:Role", {"managedPolicyArns": [UNKNOWN]}),
        (
            "iam-no-full-admin",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            {"role": "r", "policyArn": UNKNOWN},
        ),
        (
            "s3-encryption",
            catalog.S3_SSE_V2,
            {"rules": [{"applyServerSideEncryptionByDefault": UNKNOWN}]},
        ),
        ("s3-versioning", catalog.BUCKET, {"versioning": UNKNOWN}),
        ("s3-encryption", catalog.BUCKET, {"serverSideEncryptionConfiguration": {"rule": UNKNOWN}}),
        (
            "cloudfront-tls",
            catalog.DISTRIBUTION,
            {"viewerCertificate": {"minimumProtocolVersion": UNKNOWN}},
        ),
    ],
)
def test_unknown_values_in_preview_are_not_violations(
    policy: str, rtype: str, props: dict[str, Any]
) -> None:
    assert rules.check_resource(policy, rtype, props, URN, "r") == []


def test_masked_secrets_are_not_violations() -> None:
    assert (
        rules.check_resource(
            "iam-no-full-admin", "aws:iam/policy:Policy", {"policy": "[secret]"}, URN, "p"
        )
        == []
    )
    assert (
        rules.check_resource(
            "ebs-encrypted", catalog.EBS_VOLUME, {"encrypted": "[secret]"}, URN, "v"
        )
        == []
    )


def test_unknown_resource_fields_resolved_as_set_still_count() -> None:
    """A known scope (sourceArn from another resource) satisfies the wildcard-principal rule."""
    props = {"principal": "*", "sourceArn": UNKNOWN}
    assert (
        rules.check_resource(
            "lambda-permission-restricted", catalog.LAMBDA_PERMISSION, props, URN, "p"
        )
        == []
    )


def test_aurora_members_and_non_iam_engines_are_exempt() -> None:
    member = {"clusterIdentifier": "c", "storageEncrypted": False}
    for policy in (
        "rds-storage-encrypted",
        "rds-backup-retention",
        "rds-iam-auth",
        "rds-deletion-protection",
    ):
        assert rules.check_resource(policy, catalog.RDS_INSTANCE, member, URN, "i") == []
    assert rules.check_resource(
        "rds-not-public", catalog.RDS_INSTANCE, {**member, "publiclyAccessible": True}, URN, "i"
    ) == ["publiclyAccessible is true"]
    sqlserver = {"engine": "sqlserver-se"}
    assert rules.check_resource("rds-iam-auth", catalog.RDS_INSTANCE, sqlserver, URN, "i") == []


def test_asymmetric_keys_need_no_rotation() -> None:
    assert (
        rules.check_resource("kms-key-rotation", catalog.KMS_KEY, {"keySpec": "RSA_2048"}, URN, "k")
        == []
    )


def test_policy_document_forms() -> None:
    assert rules.policy_document(None) is None
    assert rules.policy_document("not json") is None
    assert rules.policy_document({"Statement": []}) == {"Statement": []}
    single = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    assert rules.check_resource(
        "iam-no-full-admin",
        "aws:iam/groupPolicy:GroupPolicy",
        {"policy": json.dumps(single)},
        URN,
        "g",
    ) == ['policy statement 0 allows "*" on "*" (full admin)']


# --- stack policies ---------------------------------------------------------------------------


def bucket(name: str, **props: Any) -> StackResource:
    return StackResource(
        catalog.BUCKET, name, f"urn:b:{name}", {"bucket": name, **props}, "ap-northeast-1", id=name
    )


def setting(
    rtype: str, name: str, target: Any, deps: tuple[str, ...] = (), **props: Any
) -> StackResource:
    return StackResource(
        rtype,
        name,
        f"urn:s:{name}",
        {"bucket": target, **props},
        "ap-northeast-1",
        dependencies={"bucket": deps} if deps else {},
    )


def complete_settings(target: str, prefix: str) -> list[StackResource]:
    return [
        setting(catalog.S3_PAB, f"{prefix}-pab", target, **PAB_ALL),
        setting(catalog.S3_SSE, f"{prefix}-sse", target),
        setting(catalog.S3_VERSIONING, f"{prefix}-ver", target),
        setting(catalog.S3_POLICY, f"{prefix}-pol", target, policy=doc(TLS_DENY)),
    ]


def complete(resources: list[StackResource]) -> list[StackViolation]:
    return rules.check_stack("s3-bucket-configuration-complete", resources, StackOptions())


def test_bucket_with_separate_settings_resources_is_complete() -> None:
    assert complete([bucket("logs"), *complete_settings("logs", "logs")]) == []


def test_bucket_with_inline_settings_needs_only_a_public_access_block() -> None:
    inline = bucket(
        "legacy",
        versioning={"enabled": True},
        serverSideEncryptionConfiguration={
            "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}
        },
        policy=doc(TLS_DENY),
    )
    assert complete([inline, setting(catalog.S3_PAB, "pab", "legacy", **PAB_ALL)]) == []
    assert complete([inline]) == [
        StackViolation("bucket legacy has no BucketPublicAccessBlock", "urn:b:legacy")
    ]


def test_bare_bucket_reports_every_missing_setting() -> None:
    other = bucket("other")
    found = complete([bucket("bare"), other, *complete_settings("other", "o")])
    assert found == [
        StackViolation("bucket bare has no BucketPublicAccessBlock", "urn:b:bare"),
        StackViolation(
            "bucket bare has no default encryption (BucketServerSideEncryptionConfiguration)",
            "urn:b:bare",
        ),
        StackViolation("bucket bare has no versioning (BucketVersioning)", "urn:b:bare"),
        StackViolation("bucket bare has no TLS-only bucket policy (BucketPolicy)", "urn:b:bare"),
    ]


def test_settings_join_by_preview_dependencies_when_the_bucket_id_is_unknown() -> None:
    """In preview the new bucket's id is unknown; the property dependency names its URN."""
    fresh = StackResource(catalog.BUCKET, "fresh", "urn:b:fresh", {"bucket": UNKNOWN}, "us-east-1")
    settings = [
        setting(t, f"s{i}", UNKNOWN, deps=("urn:b:fresh",))
        for i, t in enumerate(
            (catalog.S3_PAB, catalog.S3_SSE, catalog.S3_VERSIONING, catalog.S3_POLICY)
        )
    ]
    assert complete([fresh, *settings]) == []
    assert complete([fresh, *settings[1:]]) == [
        StackViolation("bucket fresh has no BucketPublicAccessBlock", "urn:b:fresh")
    ]


def test_unattributable_settings_never_produce_a_false_violation() -> None:
    fresh = StackResource(catalog.BUCKET, "fresh", "urn:b:fresh", {"bucket": UNKNOWN}, "us-east-1")
    settings = [
        setting(t, f"s{i}", UNKNOWN) for i, t in enumerate((catalog.S3_PAB, catalog.S3_SSE))
    ]
    found = complete([fresh, *settings])
    assert [v.message for v in found] == [
        "bucket fresh has no versioning (BucketVersioning)",
        "bucket fresh has no TLS-only bucket policy (BucketPolicy)",
    ]


def test_settings_join_by_bucket_arn() -> None:
    named = bucket("named", arn="arn:aws:s3:::named")
    settings = [setting(r.type, r.name, "arn:aws:s3:::named") for r in complete_settings("x", "n")]
    assert complete([named, *settings]) == []


def detector(region: str | None, rtype: str = catalog.GUARDDUTY_DETECTOR) -> StackResource:
    return StackResource(rtype, f"d-{region}", f"urn:d:{region}", {}, region)


@pytest.mark.parametrize(
    ("policy", "rtype", "service"),
    [
        ("guardduty-all-regions", catalog.GUARDDUTY_DETECTOR, "GuardDuty"),
        ("securityhub-all-regions", catalog.SECURITYHUB_ACCOUNT, "Security Hub"),
        ("config-all-regions", catalog.CONFIG_RECORDER, "AWS Config recording"),
    ],
)
def test_detection_present_in_every_region(policy: str, rtype: str, service: str) -> None:
    regions = ("ap-northeast-1", "us-east-1")
    one = [detector("ap-northeast-1", rtype)]
    both = [*one, detector("us-east-1", rtype)]
    intermediate = StackOptions(tier="intermediate", regions=regions)
    assert rules.check_stack(policy, both, intermediate) == []
    assert rules.check_stack(policy, one, intermediate) == [
        StackViolation(f"{service} is not enabled in us-east-1")
    ]
    assert rules.check_stack(policy, [], StackOptions(tier="advanced")) == [
        StackViolation(f"{service} is not enabled in any region")
    ]
    # beginner does not require detection
    assert rules.check_stack(policy, [], StackOptions(tier="beginner", regions=regions)) == []
    # without configured regions, every region the stack uses
    used = [*one, StackResource(catalog.SNS_TOPIC, "t", "urn:t", {}, "eu-west-1")]
    assert rules.check_stack(policy, used, StackOptions(tier="intermediate")) == [
        StackViolation(f"{service} is not enabled in eu-west-1")
    ]
    # a detector whose region is unknown in preview may be the missing one: no violation
    assert rules.check_stack(policy, [*one, detector(UNKNOWN, rtype)], intermediate) == []


def test_unknown_policy_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="policy: unknown policy 'nope'; known: "):
        rules.check_resource("nope", catalog.BUCKET, {}, URN, "b")


def test_detection_presence_skips_services_the_organization_enables() -> None:
    from secbaseline.policies.rules import StackOptions, StackResource, check_stack

    resources = [
        StackResource(
            type="aws:cfg/recorder:Recorder",
            name="rec",
            urn="urn:x::rec",
            props={},
            region="eu-west-1",
        )
    ]
    member = StackOptions(
        tier="advanced", regions=("eu-west-1",), organization_managed=frozenset({"guardduty"})
    )
    assert check_stack("guardduty-all-regions", resources, member) == []
    standalone = StackOptions(tier="intermediate", regions=("eu-west-1",))
    found = check_stack("guardduty-all-regions", resources, standalone)
    assert [v.message for v in found] == ["GuardDuty is not enabled in eu-west-1"]
    assert check_stack("config-all-regions", resources, member) == []


def test_pack_reads_organization_managed_from_its_config() -> None:
    from secbaseline.policies.pack import stack_options

    options = stack_options(
        {"tier": "advanced", "organizationManaged": ["guardduty", "securityhub"]}
    )
    assert options.organization_managed == frozenset({"guardduty", "securityhub"})
    assert stack_options({}).organization_managed == frozenset()


# Stack policies see outputs: pulumi-aws 7 reports the deprecated inline Bucket settings for every
# bucket, filled with defaults once deployed and unknown in preview.
DEPLOYED_DEFAULTS = {
    "versioning": {"enabled": False, "mfaDelete": False},
    "serverSideEncryptionConfiguration": {"rule": {"bucketKeyEnabled": False}},
    "policy": "",
}
PREVIEW_UNKNOWNS = {
    "versioning": UNKNOWN,
    "serverSideEncryptionConfiguration": UNKNOWN,
    "policy": UNKNOWN,
}
MISSING_INLINE = [
    "default encryption (BucketServerSideEncryptionConfiguration)",
    "versioning (BucketVersioning)",
    "TLS-only bucket policy (BucketPolicy)",
]


@pytest.mark.parametrize(
    "outputs", [DEPLOYED_DEFAULTS, PREVIEW_UNKNOWNS], ids=["deployed", "preview"]
)
def test_inline_outputs_without_content_do_not_count_as_settings(outputs: dict[str, Any]) -> None:
    lone = bucket("lone", **outputs)
    pab = setting(catalog.S3_PAB, "pab", "lone", **PAB_ALL)
    assert [v.message for v in complete([lone, pab])] == [
        f"bucket lone has no {label}" for label in MISSING_INLINE
    ]
    # the separate settings resources still complete it
    assert complete([lone, *complete_settings("lone", "l")]) == []


@pytest.mark.parametrize(
    ("inline", "missing"),
    [
        ({"versioning": {"enabled": "true"}}, "versioning (BucketVersioning)"),
        ({"versionings": [{"enabled": True}]}, "versioning (BucketVersioning)"),
        (
            {
                "serverSideEncryptionConfigurations": [
                    {
                        "rules": [
                            {"applyServerSideEncryptionByDefaults": [{"sseAlgorithm": "AES256"}]}
                        ]
                    }
                ]
            },
            "default encryption (BucketServerSideEncryptionConfiguration)",
        ),
        ({"policy": json.loads(doc(TLS_DENY))}, "TLS-only bucket policy (BucketPolicy)"),
    ],
)
def test_inline_setting_counts_only_when_its_content_meets_the_bar(
    inline: dict[str, Any], missing: str
) -> None:
    """Both shapes: Bucket's single object and the deprecated BucketV2's lists."""
    good = bucket("b", **inline)
    assert f"bucket b has no {missing}" not in [v.message for v in complete([good])]
    weak = {
        "versioning": {"enabled": False},
        "versionings": [{"enabled": False}, {"enabled": True}],
        "serverSideEncryptionConfigurations": [{"rules": []}],
        "policy": doc(allow("s3:GetObject", "arn:aws:s3:::b/*")),
    }
    bad = bucket("b", **{key: weak[key] for key in inline})
    assert f"bucket b has no {missing}" in [v.message for v in complete([bad])]


def v2_settings(target: str, prefix: str) -> list[StackResource]:
    return [
        setting(catalog.S3_PAB, f"{prefix}-pab", target, **PAB_ALL),
        setting(catalog.S3_SSE_V2, f"{prefix}-sse", target),
        setting(catalog.S3_VERSIONING_V2, f"{prefix}-ver", target),
        setting(catalog.S3_POLICY, f"{prefix}-pol", target, policy=doc(TLS_DENY)),
        setting(catalog.S3_ACL_V2, f"{prefix}-acl", target, acl="private"),
    ]


def test_deprecated_v2_settings_resources_join_their_bucket() -> None:
    assert complete([bucket("v2"), *v2_settings("v2", "v")]) == []
    without_versioning = [s for s in v2_settings("v2", "v") if s.type != catalog.S3_VERSIONING_V2]
    assert complete([bucket("v2"), *without_versioning]) == [
        StackViolation("bucket v2 has no versioning (BucketVersioning)", "urn:b:v2")
    ]


def test_deprecated_v2_settings_resources_are_checked_for_content() -> None:
    violating = {
        catalog.S3_SSE_V2: {"rules": [{"bucketKeyEnabled": True}]},
        catalog.S3_VERSIONING_V2: {"versioningConfiguration": {"status": "Suspended"}},
        catalog.S3_ACL_V2: {"acl": "public-read-write"},
    }
    found = {
        policy: rules.check_resource(policy, rtype, {"bucket": "v2", **props}, URN, "s")
        for policy, rtype, props in [
            ("s3-encryption", catalog.S3_SSE_V2, violating[catalog.S3_SSE_V2]),
            ("s3-versioning", catalog.S3_VERSIONING_V2, violating[catalog.S3_VERSIONING_V2]),
            ("s3-no-public-acl", catalog.S3_ACL_V2, violating[catalog.S3_ACL_V2]),
        ]
    }
    assert found == {
        "s3-encryption": [
            "no default encryption rule (sseAlgorithm aws:kms, aws:kms:dsse or AES256)"
        ],
        "s3-versioning": ["versioning status is Suspended, not Enabled"],
        "s3-no-public-acl": ["canned ACL public-read-write makes the bucket public"],
    }
