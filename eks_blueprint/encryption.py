"""Customer-managed KMS keys with deliberate key policies.

CDK's default key policy gives the account root `kms:*` (so IAM policies in the account can
grant use of the key, and the key can never become unmanageable). Everything else a key
needs is added here explicitly, service by service, with conditions that pin the grant to
the resources that use it.
"""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


def new_key(
    scope: Construct, id: str, *, description: str, removal_policy: RemovalPolicy
) -> kms.Key:
    """A symmetric key with yearly rotation; `removal_policy` decides if it outlives its stack."""
    return kms.Key(
        scope,
        id,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )


def allow_cloudwatch_logs(
    key: kms.Key, *, log_group_name_prefix: str = "*", sid: str = "AllowCloudWatchLogs"
) -> None:
    """Let CloudWatch Logs in this region use `key` for log groups under a name prefix.

    The encryption-context condition limits the grant to log groups of this account whose
    names start with `log_group_name_prefix`, as the CloudWatch Logs guide recommends. A
    key that serves several sets of log groups takes one statement each, by `sid`.
    """
    stack = Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{Aws.PARTITION}:logs:{stack.region}:{stack.account}"
                        f":log-group:{log_group_name_prefix}"
                    )
                }
            },
        )
    )
