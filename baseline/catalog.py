"""The control catalog: every control the baseline deploys or enforces, in one place.

Each :class:`Control` names the checklist items it serves (``docs/checklist.md``, S-01..S-31),
the AWS Security Hub controls it corresponds to (FSBP / CIS AWS Foundations v3.0), the
component that deploys it, the policies that enforce it and the resource types whose presence
in a plan shows it is deployed. :data:`POLICIES` describes every policy of the pack
(``policies/``): the pack, ``secbaseline check``, ``secbaseline plan --coverage`` and
``docs/controls.md`` are all generated from this module.

Standard library only: the policy pack imports it inside ``pulumi preview``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

Severity = Literal["low", "medium", "high", "critical"]
Enforcement = Literal["advisory", "mandatory", "disabled"]
PolicyKind = Literal["resource", "stack"]

ENFORCEMENT_LEVELS: tuple[Enforcement, ...] = ("advisory", "mandatory", "disabled")
CHECKLIST_IDS: tuple[str, ...] = tuple(f"S-{n:02d}" for n in range(1, 32))
COMPONENTS: tuple[str, ...] = (
    "AccountHardening",
    "FargateBastion",
    "Ec2Bastion",
    "SessionManagerPreferences",
    "PrivateNetwork",
    "PatchManagement",
    "VulnerabilityScanning",
    "PatchFindingNotices",
    "SecureBucket",
    "EdgeProtection",
    "SecureDatabase",
    "ApiFunction",
    "UploadScanning",
    "ThreatDetection",
    "SecurityHub",
    "Investigation",
    "AccessAnalysis",
    "SecurityNotifications",
    "ConfigRecording",
    "ConfigRules",
    "AutoRemediation",
    "DelegatedIamAdmin",
    "IncidentResponse",
    "AccountTrail",
    "ChangeAlarms",
    "Organization",
    "OrganizationTrail",
    "GuardrailPolicies",
    "OrganizationDetection",
    "CentralBackupVault",
)
TRIAGE_EXPIRES_TAG = "secbaseline:expires"
"""Tag carrying the expiry date (YYYY-MM-DD) of a suppression rule (policy triage-rule-not-expired)."""
CONTROLS_DOC = Path(__file__).resolve().parent.parent / "docs" / "controls.md"


@dataclass(frozen=True)
class Policy:
    """One policy of the pack (resource or stack), as pulumi-policy registers it."""

    name: str
    """Stable policy name (``pulumi preview`` prints it; pack config keys use it)."""
    description: str
    """What a violation means, in one sentence."""
    kind: PolicyKind
    """``resource`` (one resource at a time) or ``stack`` (joins resources)."""
    severity: Severity
    """Severity reported by the pack."""
    enforcement: Enforcement = "mandatory"
    """Default enforcement level; override per policy with pack config or ``--enforcement``."""
    resource_types: tuple[str, ...] = ()
    """Type tokens a resource policy looks at (empty for stack policies that join many)."""


@dataclass(frozen=True)
class Control:
    """One control: what it protects, where it is deployed and how it is enforced."""

    id: str
    """Stable control id (lower-case slug, never reused)."""
    title: str
    """One line a reviewer understands."""
    severity: Severity
    """How bad it is when the control is missing."""
    checklist: tuple[str, ...]
    """Checklist items served (S-01..S-31); empty for controls beyond the checklist."""
    security_hub: tuple[str, ...]
    """Security Hub control ids (FSBP / CIS v3.0) it corresponds to, where one exists."""
    components: tuple[str, ...]
    """Component classes that deploy it."""
    policies: tuple[str, ...]
    """Policies of the pack that enforce it (empty: deployed, not checked)."""
    evidence: tuple[str, ...]
    """Resource types whose presence in a plan shows the control is deployed."""


def _component(name: str) -> str:
    return f"secbaseline:index:{name}"


BUCKET = "aws:s3/bucket:Bucket"
S3_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
S3_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
S3_ACL = "aws:s3/bucketAcl:BucketAcl"
# pulumi-aws 7 still ships the deprecated V2 settings resources (same inputs as the new ones).
S3_SSE_V2 = (
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
)
S3_VERSIONING_V2 = "aws:s3/bucketVersioningV2:BucketVersioningV2"
S3_ACL_V2 = "aws:s3/bucketAclV2:BucketAclV2"
EC2_INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EBS_VOLUME = "aws:ebs/volume:Volume"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
REST_STAGE = "aws:apigateway/stage:Stage"
HTTP_STAGE = "aws:apigatewayv2/stage:Stage"
KMS_KEY = "aws:kms/key:Key"
SNS_TOPIC = "aws:sns/topic:Topic"
IAM_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/role:Role",
)
IAM_ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
GUARDDUTY_DETECTOR = "aws:guardduty/detector:Detector"
GUARDDUTY_FILTER = "aws:guardduty/filter:Filter"
SECURITYHUB_AUTOMATION_RULE = "aws:securityhub/automationRule:AutomationRule"
CONFIG_RULE = "aws:cfg/rule:Rule"


def config_rule(identifier: str) -> str:
    """Evidence of one Config rule: ``aws:cfg/rule:Rule#<identifier>`` (see :func:`evidence_keys`)."""
    return f"{CONFIG_RULE}#{identifier}"


def evidence_keys(resource_type: str, inputs: Mapping[str, object]) -> set[str]:
    """What one planned resource evidences: its type, and for a Config rule also
    ``<type>#<identifier>``: the managed rule's source identifier, or for a custom rule the
    identifier its description starts with (``ConfigRules`` writes ``IDENTIFIER (checklist
    ...)``), so coverage can tell which check runs, not only that some rule does."""
    keys = {resource_type}
    if resource_type == CONFIG_RULE:
        source = inputs.get("source")
        identifier: object = None
        if isinstance(source, Mapping) and source.get("owner") == "AWS":
            identifier = source.get("sourceIdentifier")
        elif isinstance(inputs.get("description"), str):
            identifier = str(inputs["description"]).split(" ", 1)[0]
        if isinstance(identifier, str) and re.fullmatch(r"[A-Z0-9_]+", identifier):
            keys.add(config_rule(identifier))
    return keys


SECURITYHUB_ACCOUNT = "aws:securityhub/account:Account"
CONFIG_RECORDER = "aws:cfg/recorder:Recorder"

POLICIES: tuple[Policy, ...] = (
    Policy(
        "s3-block-public-access",
        "S3 Block Public Access settings (bucket or account) must turn on all four flags.",
        "resource",
        "critical",
        resource_types=(S3_PAB, S3_ACCOUNT_PAB),
    ),
    Policy(
        "s3-no-public-acl",
        "S3 buckets must not grant access to everyone or to any authenticated AWS user by ACL.",
        "resource",
        "critical",
        resource_types=(BUCKET, S3_ACL, S3_ACL_V2),
    ),
    Policy(
        "s3-encryption",
        "S3 default encryption must be SSE-KMS, DSSE-KMS or SSE-S3.",
        "resource",
        "high",
        resource_types=(BUCKET, S3_SSE, S3_SSE_V2),
    ),
    Policy(
        "s3-versioning",
        "S3 bucket versioning must be enabled.",
        "resource",
        "medium",
        resource_types=(BUCKET, S3_VERSIONING, S3_VERSIONING_V2),
    ),
    Policy(
        "s3-tls-only",
        "S3 bucket policies must deny requests that do not use TLS (aws:SecureTransport).",
        "resource",
        "high",
        resource_types=(BUCKET, S3_POLICY),
    ),
    Policy(
        "s3-bucket-configuration-complete",
        "Every S3 bucket must have Block Public Access, default encryption, versioning and a "
        "TLS-only bucket policy, inline or as separate resources.",
        "stack",
        "high",
    ),
    Policy(
        "ec2-imdsv2-required",
        "EC2 instances and launch templates must require IMDSv2 (httpTokens = required).",
        "resource",
        "high",
        resource_types=(EC2_INSTANCE, LAUNCH_TEMPLATE),
    ),
    Policy(
        "ec2-no-public-ip",
        "EC2 instances and launch templates must not associate a public IP address.",
        "resource",
        "high",
        resource_types=(EC2_INSTANCE, LAUNCH_TEMPLATE),
    ),
    Policy(
        "security-group-no-public-admin-ports",
        "Security groups must not allow 0.0.0.0/0 or ::/0 to SSH (22), RDP (3389) or all ports.",
        "resource",
        "critical",
        resource_types=(SECURITY_GROUP, SG_RULE, SG_INGRESS_RULE),
    ),
    Policy(
        "ebs-encrypted",
        "EBS volumes (and instance block devices) must be encrypted.",
        "resource",
        "high",
        resource_types=(EBS_VOLUME, EC2_INSTANCE),
    ),
    Policy(
        "rds-storage-encrypted",
        "RDS instances and Aurora clusters must encrypt storage.",
        "resource",
        "high",
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    ),
    Policy(
        "rds-not-public",
        "RDS instances must not be publicly accessible.",
        "resource",
        "critical",
        resource_types=(RDS_INSTANCE,),
    ),
    Policy(
        "rds-backup-retention",
        "RDS instances and Aurora clusters must keep automated backups for at least 7 days.",
        "resource",
        "medium",
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    ),
    Policy(
        "rds-iam-auth",
        "RDS instances and Aurora clusters must enable IAM database authentication.",
        "resource",
        "medium",
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    ),
    Policy(
        "rds-deletion-protection",
        "RDS instances and Aurora clusters must enable deletion protection.",
        "resource",
        "medium",
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    ),
    Policy(
        "rds-parameter-group-tls",
        "RDS parameter groups must force TLS: rds.force_ssl = 1 (PostgreSQL, SQL Server) or "
        "require_secure_transport on (MySQL, MariaDB).",
        "resource",
        "high",
        resource_types=(RDS_PARAMETER_GROUP, RDS_CLUSTER_PARAMETER_GROUP),
    ),
    Policy(
        "lambda-function-url-auth",
        "Lambda function URLs must use AWS_IAM authorization (expose functions via API Gateway).",
        "resource",
        "high",
        resource_types=(FUNCTION_URL,),
    ),
    Policy(
        "lambda-permission-restricted",
        "Lambda permissions for a wildcard principal must name a source ARN, account or org.",
        "resource",
        "critical",
        resource_types=(LAMBDA_PERMISSION,),
    ),
    Policy(
        "cloudfront-tls",
        "CloudFront distributions must redirect or require HTTPS and use TLS 1.2 or newer.",
        "resource",
        "high",
        resource_types=(DISTRIBUTION,),
    ),
    Policy(
        "cloudfront-waf",
        "CloudFront distributions must be associated with an AWS WAF web ACL.",
        "resource",
        "high",
        resource_types=(DISTRIBUTION,),
    ),
    Policy(
        "apigateway-access-logging",
        "API Gateway stages (REST and HTTP) must write access logs.",
        "resource",
        "medium",
        resource_types=(REST_STAGE, HTTP_STAGE),
    ),
    Policy(
        "kms-key-rotation",
        "Symmetric KMS keys must have automatic rotation enabled.",
        "resource",
        "medium",
        resource_types=(KMS_KEY,),
    ),
    Policy(
        "sns-topic-encrypted",
        "SNS topics must be encrypted with KMS.",
        "resource",
        "medium",
        "advisory",
        resource_types=(SNS_TOPIC,),
    ),
    Policy(
        "triage-rule-not-expired",
        "Security Hub automation rules and GuardDuty filters must give a reason (description) "
        f"and an expiry date (tag {TRIAGE_EXPIRES_TAG}) that has not passed.",
        "resource",
        "high",
        resource_types=(GUARDDUTY_FILTER, SECURITYHUB_AUTOMATION_RULE),
    ),
    Policy(
        "iam-no-full-admin",
        'IAM policies must not allow "*" actions on "*" resources, and no role, user or group '
        "may have the AWS managed AdministratorAccess policy attached.",
        "resource",
        "critical",
        resource_types=IAM_POLICY_TYPES + IAM_ATTACHMENT_TYPES,
    ),
    Policy(
        "iam-no-passrole-wildcard",
        'IAM policies must not allow iam:PassRole on "*" without a condition.',
        "resource",
        "high",
        resource_types=IAM_POLICY_TYPES,
    ),
    Policy(
        "guardduty-all-regions",
        "From the intermediate tier, a GuardDuty detector must exist in every detection region.",
        "stack",
        "high",
    ),
    Policy(
        "securityhub-all-regions",
        "From the intermediate tier, Security Hub must be enabled in every detection region.",
        "stack",
        "high",
    ),
    Policy(
        "config-all-regions",
        "From the intermediate tier, an AWS Config recorder must exist in every detection region.",
        "stack",
        "high",
    ),
)

CONTROLS: tuple[Control, ...] = (
    Control(
        "ssm-only-access",
        "Instances are reached through SSM Session Manager only; no inbound admin ports",
        "high",
        ("S-01",),
        ("EC2.13", "EC2.14", "EC2.53", "EC2.54"),
        ("FargateBastion", "Ec2Bastion", "PrivateNetwork"),
        ("security-group-no-public-admin-ports",),
        (_component("FargateBastion"), _component("Ec2Bastion")),
    ),
    Control(
        "session-manager-preferences",
        "Session Manager sessions are encrypted with KMS and logged, in every detection region",
        "medium",
        ("S-01",),
        (),
        ("SessionManagerPreferences",),
        (),
        (_component("SessionManagerPreferences"),),
    ),
    Control(
        "fargate-bastion",
        "A Fargate task is the bastion (ECS Exec), an EC2 bastion is the option",
        "medium",
        ("S-02", "S-04"),
        (),
        ("FargateBastion", "Ec2Bastion"),
        (),
        (_component("FargateBastion"), _component("Ec2Bastion"), "aws:ecs/service:Service"),
    ),
    Control(
        "ec2-no-public-ip",
        "Instances have no public IP address",
        "high",
        ("S-01", "S-04"),
        ("EC2.9",),
        ("Ec2Bastion",),
        ("ec2-no-public-ip",),
        (_component("Ec2Bastion"),),
    ),
    Control(
        "imdsv2-required",
        "IMDSv2 is required on every instance (account default and per instance)",
        "high",
        ("S-03",),
        ("EC2.8",),
        ("AccountHardening", "Ec2Bastion"),
        ("ec2-imdsv2-required",),
        ("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",),
    ),
    Control(
        "ebs-encryption",
        "EBS volumes are encrypted (account default in every region)",
        "high",
        (),
        ("EC2.3", "EC2.7"),
        ("AccountHardening",),
        ("ebs-encrypted",),
        ("aws:ebs/encryptionByDefault:EncryptionByDefault",),
    ),
    Control(
        "iam-password-policy",
        "The IAM account password policy meets CIS length and reuse settings",
        "medium",
        (),
        ("IAM.15", "IAM.16"),
        ("AccountHardening",),
        (),
        ("aws:iam/accountPasswordPolicy:AccountPasswordPolicy",),
    ),
    Control(
        "vpc-flow-logs",
        "Every VPC the baseline creates or adopts logs its traffic to a KMS-encrypted log group",
        "medium",
        (),
        ("EC2.6",),
        ("PrivateNetwork", "AccountHardening"),
        (),
        ("aws:ec2/flowLog:FlowLog",),
    ),
    Control(
        "default-security-groups-closed",
        "Default security groups (the default VPC's and the baseline's VPCs') allow no traffic",
        "high",
        (),
        ("EC2.2",),
        ("PrivateNetwork", "AccountHardening"),
        (),
        ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",),
    ),
    Control(
        "snapshot-and-ami-public-sharing-blocked",
        "EBS snapshots and AMIs cannot be shared publicly (block public access in every region)",
        "high",
        (),
        ("EC2.182",),
        ("AccountHardening",),
        (),
        (
            "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess",
            "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess",
        ),
    ),
    Control(
        "ssm-document-public-sharing-blocked",
        "SSM documents cannot be shared publicly (service setting in every region)",
        "high",
        (),
        ("SSM.7",),
        ("AccountHardening",),
        (),
        ("aws:ssm/serviceSetting:ServiceSetting",),
    ),
    Control(
        "aws-support-role",
        "An IAM role with AWSSupportAccess exists to handle incidents with AWS Support",
        "low",
        (),
        ("IAM.18",),
        ("AccountHardening",),
        (),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",),
    ),
    Control(
        "lambda-behind-api-gateway",
        "Lambda functions are invoked only through API Gateway; no public URLs or grants",
        "critical",
        ("S-05",),
        ("Lambda.1",),
        ("ApiFunction",),
        ("lambda-function-url-auth", "lambda-permission-restricted"),
        (_component("ApiFunction"), "aws:apigatewayv2/api:Api"),
    ),
    Control(
        "lambda-public-access-check",
        "No Lambda function in the account may be invoked publicly (Config rule, every region)",
        "high",
        ("S-05",),
        (),
        ("ConfigRules",),
        (),
        (config_rule("LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED"),),
    ),
    Control(
        "api-access-logging",
        "API Gateway stages write access logs",
        "medium",
        ("S-05",),
        ("APIGateway.1", "APIGateway.9"),
        ("ApiFunction",),
        ("apigateway-access-logging",),
        (HTTP_STAGE, REST_STAGE),
    ),
    Control(
        "database-backups",
        "Databases keep automated backups for at least 7 days and cannot be deleted by accident",
        "high",
        ("S-06",),
        ("RDS.11", "RDS.7", "RDS.8"),
        ("SecureDatabase",),
        ("rds-backup-retention", "rds-deletion-protection"),
        (_component("SecureDatabase"),),
    ),
    Control(
        "database-backup-coverage",
        "Every RDS instance and Aurora cluster of the account is in a backup plan (Config rules)",
        "high",
        ("S-06",),
        (),
        ("ConfigRules",),
        (),
        (
            config_rule("RDS_RESOURCES_PROTECTED_BY_BACKUP_PLAN"),
            config_rule("AURORA_RESOURCES_PROTECTED_BY_BACKUP_PLAN"),
        ),
    ),
    Control(
        "central-backup-vault",
        "Database backups are also copied to a locked vault in the security account",
        "high",
        ("S-06",),
        (),
        ("SecureDatabase", "CentralBackupVault"),
        (),
        (_component("CentralBackupVault"),),
    ),
    Control(
        "database-tls",
        "Databases require TLS in transit (parameter group forces SSL), checked account-wide",
        "high",
        ("S-07",),
        (),
        ("SecureDatabase", "ConfigRules"),
        ("rds-parameter-group-tls",),
        # the custom Config rule judges every database of the account in each region
        (_component("SecureDatabase"), config_rule("DATABASE_TLS_REQUIRED")),
    ),
    Control(
        "database-iam-access",
        "Database access is controlled by IAM and the database is not publicly reachable",
        "high",
        ("S-08",),
        ("RDS.10", "RDS.12", "RDS.2"),
        ("SecureDatabase",),
        ("rds-iam-auth", "rds-not-public"),
        (_component("SecureDatabase"),),
    ),
    Control(
        "database-encryption",
        "Database storage is encrypted with KMS",
        "high",
        (),
        ("RDS.3", "RDS.27"),
        ("SecureDatabase",),
        ("rds-storage-encrypted",),
        (_component("SecureDatabase"),),
    ),
    Control(
        "s3-block-public-access",
        "S3 Block Public Access is on for the account and every bucket; no public ACLs",
        "critical",
        ("S-09",),
        ("S3.1", "S3.8", "S3.12"),
        ("AccountHardening", "SecureBucket"),
        ("s3-block-public-access", "s3-no-public-acl", "s3-bucket-configuration-complete"),
        (S3_ACCOUNT_PAB, S3_PAB),
    ),
    Control(
        "s3-versioning",
        "S3 buckets keep object versions",
        "medium",
        ("S-10",),
        ("S3.14",),
        ("SecureBucket",),
        ("s3-versioning", "s3-bucket-configuration-complete"),
        (S3_VERSIONING, S3_VERSIONING_V2),
    ),
    Control(
        "s3-object-lock",
        "S3 Object Lock where data must be immutable",
        "medium",
        ("S-11",),
        ("S3.15",),
        ("SecureBucket",),
        (),
        ("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",),
    ),
    Control(
        "s3-encryption-and-tls",
        "S3 buckets are encrypted at rest (KMS where it matters) and accept TLS only",
        "high",
        (),
        ("S3.5", "S3.17"),
        ("SecureBucket",),
        ("s3-encryption", "s3-tls-only", "s3-bucket-configuration-complete"),
        (S3_SSE, S3_SSE_V2, S3_POLICY),
    ),
    Control(
        "s3-malware-scanning",
        "Uploaded S3 objects are scanned for malware (GuardDuty Malware Protection for S3), "
        "positive scans quarantined and reported",
        "high",
        ("S-12", "S-31"),
        (),
        ("SecureBucket", "UploadScanning"),
        (),
        ("aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan",),
    ),
    Control(
        "patch-management",
        "SSM Inventory and Patch Manager keep instances patched",
        "high",
        ("S-13",),
        (),
        ("PatchManagement",),
        (),
        (_component("PatchManagement"), "aws:ssm/patchBaseline:PatchBaseline"),
    ),
    Control(
        "patch-compliance-check",
        "Every instance is managed by SSM and patch-compliant (Config rules, every region)",
        "high",
        ("S-13",),
        ("SSM.1", "SSM.2"),
        ("ConfigRules",),
        (),
        (
            config_rule("EC2_INSTANCE_MANAGED_BY_SSM"),
            config_rule("EC2_MANAGEDINSTANCE_PATCH_COMPLIANCE_STATUS_CHECK"),
        ),
    ),
    Control(
        "vulnerability-scanning",
        "Amazon Inspector scans instances, images and functions for vulnerabilities",
        "high",
        ("S-13",),
        ("Inspector.1", "Inspector.2", "Inspector.3"),
        ("VulnerabilityScanning", "PatchFindingNotices"),
        (),
        ("aws:inspector2/enabler:Enabler",),
    ),
    Control(
        "cloudfront-waf-tls",
        "CloudFront is protected by AWS WAF and serves HTTPS with TLS 1.2 or newer",
        "high",
        ("S-14",),
        ("CloudFront.3", "CloudFront.6"),
        ("EdgeProtection",),
        ("cloudfront-waf", "cloudfront-tls"),
        ("aws:wafv2/webAcl:WebAcl",),
    ),
    Control(
        "config-recording",
        "AWS Config records resources in every detection region",
        "high",
        ("S-15",),
        ("Config.1",),
        ("ConfigRecording",),
        ("config-all-regions",),
        (CONFIG_RECORDER,),
    ),
    Control(
        "config-rules",
        "AWS Config rules alert on drift from the baseline",
        "medium",
        ("S-15",),
        (),
        ("ConfigRules",),
        (),
        ("aws:cfg/rule:Rule",),
    ),
    Control(
        "auto-remediation",
        "Non-compliant resources are remediated automatically",
        "medium",
        ("S-15",),
        (),
        ("AutoRemediation",),
        (),
        ("aws:cfg/remediationConfiguration:RemediationConfiguration",),
    ),
    Control(
        "security-hub",
        "Security Hub runs FSBP and CIS standards in every detection region",
        "high",
        ("S-16",),
        ("SecurityHub.1",),
        ("SecurityHub",),
        ("securityhub-all-regions",),
        (SECURITYHUB_ACCOUNT,),
    ),
    Control(
        "access-analyzer",
        "IAM Access Analyzer reports resources shared outside the account or organization",
        "medium",
        ("S-17",),
        ("IAM.28",),
        ("AccessAnalysis",),
        (),
        ("aws:accessanalyzer/analyzer:Analyzer",),
    ),
    Control(
        "least-privilege-iam",
        "IAM creation is delegated under a permissions boundary; no admin or PassRole wildcards",
        "critical",
        ("S-18",),
        ("IAM.1", "IAM.21"),
        ("DelegatedIamAdmin",),
        ("iam-no-full-admin", "iam-no-passrole-wildcard"),
        (_component("DelegatedIamAdmin"),),
    ),
    Control(
        "guardduty",
        "GuardDuty runs in every detection region of every account",
        "high",
        ("S-19",),
        ("GuardDuty.1",),
        ("ThreatDetection", "OrganizationDetection"),
        ("guardduty-all-regions",),
        (GUARDDUTY_DETECTOR,),
    ),
    Control(
        "detective",
        "Amazon Detective keeps a behaviour graph for investigations",
        "low",
        ("S-20",),
        (),
        ("Investigation",),
        (),
        ("aws:detective/graph:Graph",),
    ),
    Control(
        "security-notifications",
        "Findings from every detector reach people through an encrypted SNS topic",
        "high",
        ("S-21",),
        ("SNS.1",),
        ("SecurityNotifications",),
        ("sns-topic-encrypted", "triage-rule-not-expired"),
        (_component("SecurityNotifications"), "aws:cloudwatch/eventRule:EventRule"),
    ),
    Control(
        "kms-key-rotation",
        "Customer KMS keys rotate automatically",
        "medium",
        (),
        ("KMS.4",),
        (),
        ("kms-key-rotation",),
        (),
    ),
    Control(
        "incident-response",
        "An incident runbook exists and EC2 instances are isolated on findings (after a "
        "person approves, by default)",
        "high",
        ("S-22", "S-23"),
        (),
        ("IncidentResponse",),
        (),
        (_component("IncidentResponse"),),
    ),
    Control(
        "account-trail",
        "A multi-region, validated, KMS-encrypted CloudTrail in a locked bucket logs every "
        "account no organization trail covers",
        "high",
        ("S-11", "S-15", "S-22", "S-23"),
        tuple(f"CloudTrail.{n}" for n in range(1, 8)),
        ("AccountTrail",),
        (),
        (_component("AccountTrail"),),
    ),
    Control(
        "change-alarms",
        "CloudWatch alarms notify on root use, denied calls, sign-ins without MFA and changes "
        "to IAM, CloudTrail, KMS, S3, Config, the network and Organizations",
        "medium",
        ("S-21", "S-22"),
        tuple(f"CloudWatch.{n}" for n in range(1, 15)),
        ("ChangeAlarms",),
        (),
        ("aws:cloudwatch/logMetricFilter:LogMetricFilter",),
    ),
    Control(
        "organization-governance",
        "The organization is managed as code and works with Control Tower",
        "high",
        ("S-24", "S-25", "S-30"),
        (),
        ("Organization", "GuardrailPolicies"),
        (),
        (_component("Organization"), _component("GuardrailPolicies")),
    ),
    Control(
        "organization-trail",
        "An organization CloudTrail records management events in every region",
        "high",
        ("S-24", "S-28"),
        ("CloudTrail.1", "CloudTrail.2", "CloudTrail.4"),
        ("OrganizationTrail",),
        (),
        (_component("OrganizationTrail"),),
    ),
    Control(
        "guardrail-scps",
        "SCPs deny unapproved regions and disabling CloudTrail or GuardDuty",
        "critical",
        ("S-26", "S-27", "S-28", "S-29"),
        (),
        ("GuardrailPolicies",),
        (),
        ("aws:organizations/policy:Policy", "aws:organizations/policyAttachment:PolicyAttachment"),
    ),
    Control(
        "organization-detection",
        "GuardDuty, Security Hub and Inspector are administered for all accounts by the "
        "security account",
        "high",
        ("S-19", "S-24"),
        (),
        ("OrganizationDetection",),
        (),
        (
            # management account: the security account is made the delegated administrator
            "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount",
            "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount",
            # security account: every member is enrolled and findings are aggregated
            "aws:guardduty/organizationConfiguration:OrganizationConfiguration",
            "aws:securityhub/organizationConfiguration:OrganizationConfiguration",
            "aws:securityhub/findingAggregator:FindingAggregator",
            "aws:inspector2/organizationConfiguration:OrganizationConfiguration",
            "aws:detective/organizationConfiguration:OrganizationConfiguration",
        ),
    ),
)

StandardStatus = Literal["pass", "accepted", "pending"]
STANDARD_STATUSES: tuple[StandardStatus, ...] = ("pass", "accepted", "pending")


@dataclass(frozen=True)
class StandardControl:
    """How the baseline's own resources and settings fare against one Security Hub control."""

    id: str
    """Security Hub control id (``S3.5``)."""
    cis: str
    """CIS AWS Foundations Benchmark v3.0 requirement it checks (empty: FSBP only)."""
    title: str
    """What the control checks, in short."""
    status: StandardStatus
    """``pass``: the default plans' resources satisfy it; ``accepted``: some of them fail it on
    purpose (``why``); ``pending``: not yet met, ``why`` says what delivers it."""
    why: str
    """How the plans meet it, or why a failure is accepted / what is pending."""


STANDARD_CONTROLS: tuple[StandardControl, ...] = (
    StandardControl(
        "Config.1",
        "3.3",
        "AWS Config enabled with the service-linked role",
        "pass",
        "ConfigRecording records in every detection region with the AWSServiceRoleForConfig role.",
    ),
    StandardControl(
        "SecurityHub.1",
        "",
        "Security Hub enabled",
        "pass",
        "SecurityHub subscribes FSBP and CIS v3.0 in every detection region.",
    ),
    StandardControl(
        "GuardDuty.1",
        "",
        "GuardDuty enabled",
        "pass",
        "ThreatDetection runs a detector in every detection region (the organization enables"
        " members in the advanced tier).",
    ),
    StandardControl(
        "GuardDuty.5",
        "",
        "GuardDuty EKS Audit Log Monitoring",
        "pass",
        "EKS_AUDIT_LOGS on in every region.",
    ),
    StandardControl(
        "GuardDuty.6",
        "",
        "GuardDuty Lambda Protection",
        "pass",
        "LAMBDA_NETWORK_LOGS on in every region.",
    ),
    StandardControl(
        "GuardDuty.7",
        "",
        "GuardDuty EKS Runtime Monitoring",
        "accepted",
        "Runtime Monitoring is opt-in in both paths: billed per vCPU and GuardDuty installs an"
        " agent in the workloads, which their owners choose (threatDetection.features).",
    ),
    StandardControl(
        "GuardDuty.8",
        "",
        "GuardDuty Malware Protection for EC2",
        "pass",
        "EBS_MALWARE_PROTECTION on in every region.",
    ),
    StandardControl(
        "GuardDuty.9",
        "",
        "GuardDuty RDS Protection",
        "pass",
        "RDS_LOGIN_EVENTS on in every region.",
    ),
    StandardControl(
        "GuardDuty.10", "", "GuardDuty S3 Protection", "pass", "S3_DATA_EVENTS on in every region."
    ),
    StandardControl(
        "GuardDuty.11",
        "",
        "GuardDuty Runtime Monitoring",
        "accepted",
        "Opt-in, as GuardDuty.7 (also covers GuardDuty.12 ECS and GuardDuty.13 EC2 Runtime"
        " Monitoring).",
    ),
    StandardControl(
        "S3.1",
        "2.1.4",
        "Account-level S3 Block Public Access",
        "pass",
        "AccountHardening sets all four account settings.",
    ),
    StandardControl(
        "S3.5",
        "2.1.1",
        "Buckets require TLS",
        "pass",
        "Every SecureBucket policy starts with the aws:SecureTransport deny.",
    ),
    StandardControl(
        "S3.8",
        "2.1.4",
        "Bucket-level Block Public Access",
        "pass",
        "All four flags on every bucket.",
    ),
    StandardControl(
        "S3.9",
        "",
        "Server access logging",
        "accepted",
        "The audit buckets log to their access-log buckets; the access-log buckets themselves do"
        " not (a log bucket logging to itself loops, and to another one never ends).",
    ),
    StandardControl(
        "S3.12",
        "",
        "No ACLs for user access",
        "pass",
        "BucketOwnerEnforced object ownership on every bucket (ACLs disabled).",
    ),
    StandardControl(
        "S3.13",
        "",
        "Lifecycle configuration",
        "pass",
        "Every bucket expires noncurrent versions and aborts incomplete uploads.",
    ),
    StandardControl("S3.14", "", "Versioning", "pass", "Every bucket is versioned."),
    StandardControl(
        "S3.15",
        "",
        "Object Lock",
        "accepted",
        "GOVERNANCE on the GuardDuty findings, isolation evidence and organization trail buckets."
        " Not on the Config delivery bucket (AWS Config does not deliver to a bucket with Object"
        " Lock) nor on access-log buckets (S3 server access logging does not deliver to one).",
    ),
    StandardControl(
        "S3.17",
        "",
        "Encrypted at rest with KMS",
        "accepted",
        "The audit buckets use SSE-KMS; access-log buckets use SSE-S3 because S3 server access"
        " log delivery cannot write SSE-KMS objects.",
    ),
    StandardControl(
        "S3.20",
        "2.1.2",
        "MFA delete",
        "accepted",
        "Only the root user with its MFA device can enable MFA delete (not an IaC role); Object"
        " Lock, versioning and the delegation boundary's deny on deleting object versions of the"
        " baseline's buckets cover the same risk.",
    ),
    StandardControl(
        "S3.22",
        "3.8",
        "Object-level write events logged (CloudTrail data events)",
        "accepted",
        "Data events cost ~$0.10 per 100,000; they are an opt-in of the account trail. S3.23"
        " (CIS 3.9, read events) likewise.",
    ),
    StandardControl(
        "KMS.4",
        "3.6",
        "Key rotation",
        "pass",
        "Every key the baseline creates (components/_kms.account_key) has rotation on.",
    ),
    StandardControl(
        "SQS.1",
        "",
        "Queues encrypted at rest",
        "pass",
        "The isolation dead-letter queue uses a customer KMS key.",
    ),
    StandardControl(
        "Lambda.1",
        "",
        "No public Lambda resource policy",
        "pass",
        "Function permissions name a service principal and source ARN.",
    ),
    StandardControl(
        "Lambda.2",
        "",
        "Supported Lambda runtimes",
        "pass",
        "python3.12 and python3.13 (checked against a list in tests).",
    ),
    StandardControl(
        "EC2.2",
        "5.4",
        "Default security group allows no traffic",
        "pass",
        "Closed on the bastion's own VPC and, with defaultVpc: harden (the default), on the"
        " default VPC of every detection region.",
    ),
    StandardControl(
        "EC2.6",
        "3.7",
        "VPC flow logging",
        "pass",
        "PrivateNetwork logs its VPC and defaultVpc: harden logs every default VPC, each to a"
        " KMS-encrypted log group.",
    ),
    StandardControl(
        "EC2.7",
        "2.2.1",
        "EBS default encryption",
        "pass",
        "AccountHardening turns it on in every detection region.",
    ),
    StandardControl(
        "EC2.8",
        "5.6",
        "IMDSv2 required",
        "pass",
        "Instance metadata defaults require IMDSv2 in every detection region; no instance in the"
        " default plans.",
    ),
    StandardControl(
        "EC2.10",
        "",
        "VPC endpoint for the EC2 service",
        "accepted",
        "The bastion's private network has the endpoints its Fargate task uses (ECR, logs, KMS,"
        " SSM messages, S3); it never calls the EC2 API, and an interface endpoint costs ~$7.30"
        " a month per AZ.",
    ),
    StandardControl(
        "EC2.15",
        "",
        "Subnets do not auto-assign public IPs",
        "pass",
        "The bastion's subnets are private.",
    ),
    StandardControl(
        "EC2.53",
        "5.2",
        "No admin ports open to 0.0.0.0/0",
        "pass",
        "No ingress to 22/3389 anywhere; access is through Session Manager (also EC2.54, IPv6).",
    ),
    StandardControl(
        "ECS.5",
        "",
        "Containers limited to read-only root file systems",
        "accepted",
        "The bastion is an interactive shell reached through ECS Exec, whose SSM agent must write"
        " to the container's file system; AWS documents ECS Exec as unsupported with"
        " readonlyRootFilesystem.",
    ),
    StandardControl("ECS.12", "", "Container Insights", "pass", "On for the bastion's cluster."),
    StandardControl(
        "IAM.1",
        "1.15",
        "No policies with full '*' administrative privileges",
        "pass",
        "The baseline's own policies name actions (tests/test_compliance.py runs parliament).",
    ),
    StandardControl(
        "IAM.15",
        "1.8",
        "Password policy: minimum length 14",
        "pass",
        "AccountHardening's password policy.",
    ),
    StandardControl(
        "IAM.16",
        "1.9",
        "Password policy prevents reuse",
        "pass",
        "AccountHardening's password policy.",
    ),
    StandardControl(
        "IAM.18",
        "1.17",
        "Support role for AWS Support",
        "pass",
        "AccountHardening's <prefix>-aws-support role with AWSSupportAccess.",
    ),
    StandardControl(
        "IAM.28",
        "1.20",
        "IAM Access Analyzer external access analyzer",
        "pass",
        "AccessAnalysis creates one in every detection region.",
    ),
    StandardControl(
        "Inspector.1", "", "Inspector EC2 scanning", "pass", "VulnerabilityScanning enables EC2."
    ),
    StandardControl(
        "Inspector.2", "", "Inspector ECR scanning", "pass", "VulnerabilityScanning enables ECR."
    ),
    StandardControl(
        "Inspector.3",
        "",
        "Inspector Lambda code scanning",
        "accepted",
        "Opt-in (vulnerabilityScanning.lambdaCode): billed per function scanned; package"
        " scanning (Inspector.4) is on.",
    ),
    StandardControl(
        "Inspector.4",
        "",
        "Inspector Lambda standard scanning",
        "pass",
        "VulnerabilityScanning enables LAMBDA.",
    ),
    StandardControl(
        "CloudTrail.1",
        "3.1",
        "Multi-region trail with management events",
        "pass",
        "AccountTrail in standalone accounts from the intermediate tier (every region, global"
        " events, log-file validation, KMS, CloudWatch Logs copy: also CloudTrail.2, .4, .5);"
        " the organization trail covers advanced-tier accounts.",
    ),
    StandardControl(
        "CloudWatch.1",
        "",
        "Metric filters and alarms (CloudWatch.1-14, CIS monitoring section 4)",
        "pass",
        "ChangeAlarms: a metric filter and an alarm to the notification topic for each of"
        " CloudWatch.1-14 on the account trail's log group. Without a trail log group (advanced"
        " member accounts, cloudwatchLogs off) EventBridge rules notify the same events; Security"
        " Hub looks for the metric filters, so it still reports the controls failed there.",
    ),
)
"""The Security Hub (FSBP / CIS v3.0) controls that apply to what the default plans create, and
how those resources fare; ``docs/controls.md`` renders them."""

_POLICY_BY_NAME = {p.name: p for p in POLICIES}
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def policy(name: str) -> Policy:
    """The policy with this name; ValueError naming the known ones otherwise."""
    try:
        return _POLICY_BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_POLICY_BY_NAME))
        raise ValueError(f"policy: unknown policy {name!r}; known: {known}") from None


def controls_for_policy(name: str) -> tuple[Control, ...]:
    """Controls a policy enforces."""
    return tuple(c for c in CONTROLS if name in c.policies)


def checklist_for_policy(name: str) -> tuple[str, ...]:
    """Checklist ids served by the controls a policy enforces, sorted."""
    return tuple(sorted({item for c in controls_for_policy(name) for item in c.checklist}))


def controls_for_item(item: str) -> tuple[Control, ...]:
    """Controls serving one checklist item."""
    return tuple(c for c in CONTROLS if item in c.checklist)


def problems() -> list[str]:
    """Everything wrong with the catalog itself (empty when consistent)."""
    found: list[str] = []
    seen: set[str] = set()
    for control in CONTROLS:
        if control.id in seen or not _SLUG.match(control.id):
            found.append(f"{control.id}: duplicate or malformed control id")
        seen.add(control.id)
        found.extend(
            f"{control.id}: unknown checklist id {item}"
            for item in control.checklist
            if item not in CHECKLIST_IDS
        )
        found.extend(
            f"{control.id}: unknown component {name}"
            for name in control.components
            if name not in COMPONENTS
        )
        found.extend(
            f"{control.id}: unknown policy {name}"
            for name in control.policies
            if name not in _POLICY_BY_NAME
        )
        if not control.policies and not control.evidence:
            found.append(f"{control.id}: neither enforced by a policy nor visible in a plan")
    found.extend(
        f"{item}: served by no control" for item in CHECKLIST_IDS if not controls_for_item(item)
    )
    found.extend(
        f"{p.name}: enforces no control" for p in POLICIES if not controls_for_policy(p.name)
    )
    ids = [c.id for c in STANDARD_CONTROLS]
    found.extend(
        f"{i}: listed twice in STANDARD_CONTROLS" for i in sorted(set(ids)) if ids.count(i) > 1
    )
    for standard in STANDARD_CONTROLS:
        if not re.fullmatch(r"[A-Za-z0-9]+\.[0-9]+", standard.id):
            found.append(f"{standard.id}: not a Security Hub control id")
        if standard.status not in STANDARD_STATUSES:
            found.append(f"{standard.id}: unknown status {standard.status!r}")
        if not standard.why.strip():
            found.append(f"{standard.id}: says neither how it passes nor why not")
    return found


def _cell(values: Iterable[str]) -> str:
    return ", ".join(values) or "-"


def render_controls_markdown() -> str:
    """The text of ``docs/controls.md``."""
    lines = [
        "# Control catalog",
        "",
        "<!-- Generated from baseline/catalog.py by `make docs`; do not edit. -->",
        "",
        "Every control the baseline deploys or enforces. *Checklist* ids refer to",
        "[checklist.md](checklist.md); *Security Hub* ids are the AWS Security Hub controls",
        "(AWS Foundational Security Best Practices / CIS AWS Foundations v3.0) that check the same",
        "thing in a deployed account; *evidence* are the resource types whose presence in a plan",
        "shows the control is deployed (`secbaseline plan --coverage`). Policies are enforced by",
        "the pack in `policies/` ([policy-pack.md](policy-pack.md)).",
        "",
        "## Controls",
        "",
        "| control | title | severity | checklist | Security Hub | components | policies |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in CONTROLS:
        policies = _cell(f"`{p}`" for p in c.policies)
        lines.append(
            f"| `{c.id}` | {c.title} | {c.severity} | {_cell(c.checklist)} | "
            f"{_cell(c.security_hub)} | {_cell(c.components)} | {policies} |"
        )
    lines += [
        "",
        "## Policies",
        "",
        "| policy | kind | severity | default enforcement | checks | checklist |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in POLICIES:
        lines.append(
            f"| `{p.name}` | {p.kind} | {p.severity} | {p.enforcement} | {p.description} | "
            f"{_cell(checklist_for_policy(p.name))} |"
        )
    counts = {status: 0 for status in STANDARD_STATUSES}
    for standard in STANDARD_CONTROLS:
        counts[standard.status] += 1
    lines += [
        "",
        "## Security Hub controls on the baseline's own resources",
        "",
        "The FSBP and CIS AWS Foundations v3.0 controls that apply to what the default plans",
        "create, and how those resources fare (*pass*: they satisfy it; *accepted*: some fail it",
        "on purpose, for the reason given; *pending*: not met yet, the reason says what delivers",
        "it). Account settings outside the baseline (root MFA, root access keys, users) are not",
        f"listed. {counts['pass']} pass, {counts['accepted']} accepted, "
        f"{counts['pending']} pending.",
        "",
        "| Security Hub | CIS v3.0 | checks | status | how / why |",
        "| --- | --- | --- | --- | --- |",
    ]
    for standard in STANDARD_CONTROLS:
        lines.append(
            f"| {standard.id} | {standard.cis or '-'} | {standard.title} | {standard.status} | "
            f"{standard.why} |"
        )
    lines += [
        "",
        "## Checklist coverage",
        "",
        "| item | controls | evidence in a plan |",
        "| --- | --- | --- |",
    ]
    for item in CHECKLIST_IDS:
        controls = controls_for_item(item)
        evidence = sorted({t for c in controls for t in c.evidence})
        lines.append(
            f"| {item} | {_cell(f'`{c.id}`' for c in controls)} | "
            f"{_cell(f'`{t}`' for t in evidence)} |"
        )
    return "\n".join(lines) + "\n"


def write_controls_doc(path: Path = CONTROLS_DOC) -> bool:
    """Regenerate ``docs/controls.md``; True when the file changed."""
    text = render_controls_markdown()
    if path.is_file() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


ITEM_TIERS: Mapping[str, str] = MappingProxyType(
    {
        item: "beginner" if n <= 14 or n == 31 else "intermediate" if n <= 23 else "advanced"
        for n, item in enumerate(CHECKLIST_IDS, start=1)
    }
)
"""The tier whose part of the checklist an item is (docs/checklist.md). S-31, outside the
note's tiers, is the same opt-in as S-12 (malware scanning of a bucket), so beginner."""
ORGANIZATION_ITEMS = frozenset({"S-25", "S-26", "S-27", "S-28", "S-29", "S-30"})
"""Deployed by the management account's stack only (SCPs, the trail, Control Tower)."""
ORGANIZATION_ENABLED_ITEMS = frozenset({"S-16", "S-19", "S-20"})
"""Enabled for an advanced-tier member account by the security account (delegated admin)."""
_TIER_RANK = {"beginner": 0, "intermediate": 1, "advanced": 2}


def item_status(item: str, deployed: bool, tier: str | None, role: str | None) -> str:
    """Why an item is or is not in a plan: ``deployed``, ``opt-in, off`` (the tier has it,
    switched off), ``not in this tier`` (a higher tier has it), or the account that has it."""
    if deployed:
        return "deployed"
    if tier not in _TIER_RANK:
        return "not in this plan"
    if _TIER_RANK[ITEM_TIERS[item]] > _TIER_RANK[tier]:
        return f"not in this tier (from {ITEM_TIERS[item]})"
    if tier == "advanced" and role in ("security", "member"):
        if item in ORGANIZATION_ITEMS or item == "S-24":
            return "management account's stack"
        if role == "member" and item in ORGANIZATION_ENABLED_ITEMS:
            return "enabled by the security account"
    return "opt-in, off"


def coverage(resource_types: Sequence[str]) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Per checklist item: each serving control with the evidence types present in a plan."""
    present = set(resource_types)
    rows: list[tuple[str, list[tuple[str, list[str]]]]] = []
    for item in CHECKLIST_IDS:
        rows.append(
            (
                item,
                [
                    (c.id, sorted(t for t in c.evidence if t in present))
                    for c in controls_for_item(item)
                ],
            )
        )
    return rows


if __name__ == "__main__":  # `make docs`
    changed = write_controls_doc()
    print(f"{CONTROLS_DOC}: {'regenerated' if changed else 'up to date'}")
