//! A bucket's access settings as they are now — its policy document, its ACL grant by grant,
//! its Block Public Access — and the account's block: read by the scan, by planning just
//! before a plan, and by the engine before each step. The SDK's grant and block types turn into
//! the core's here and back.

use aws_sdk_s3::types::{
    BucketVersioningStatus, Grant, Permission, PublicAccessBlockConfiguration, Type,
};

use super::context::AwsContext;
use super::error::{AwsError, CallSite};
use firebreak_core::model::GLOBAL;
use firebreak_core::model::finding::ResourceType;
use firebreak_core::model::storage::{
    AccountBlock, AclGrant, Grantee, PublicAccessBlock, Versioning,
};

/// Where an S3 call is made.
pub(crate) fn s3_site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "s3",
        operation,
        region,
    }
}

/// Where an S3 Control (account-level) call is made.
pub(crate) fn s3control_site(operation: &str) -> CallSite<'_> {
    CallSite {
        service: "s3control",
        operation,
        region: GLOBAL,
    }
}

/// The bucket's policy document; `None` without one.
pub(crate) async fn policy_document(
    client: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
) -> Result<Option<String>, AwsError> {
    Ok(s3_site("GetBucketPolicy", region)
        .optional(
            "NoSuchBucketPolicy",
            client.get_bucket_policy().bucket(bucket).send(),
        )
        .await?
        .and_then(|out| out.policy().map(str::to_string)))
}

/// What decides who can reach a bucket, read at once: its policy document, ACL and block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BucketAccess {
    pub policy: Option<String>,
    pub acl: Acl,
    pub block: Option<PublicAccessBlock>,
}

/// `bucket`'s policy, ACL and Block Public Access now (planning's read).
pub(crate) async fn bucket_access(
    ctx: &AwsContext,
    region: &str,
    bucket: &str,
) -> Result<BucketAccess, AwsError> {
    let client = ctx.s3(region);
    let (policy, acl, block) = futures::try_join!(
        policy_document(&client, region, bucket),
        acl(&client, region, bucket),
        bucket_block(&client, region, bucket),
    )?;
    Ok(BucketAccess { policy, acl, block })
}

/// `bucket`'s versioning now (planning's read).
pub(crate) async fn bucket_versioning(
    ctx: &AwsContext,
    region: &str,
    bucket: &str,
) -> Result<Versioning, AwsError> {
    versioning(&ctx.s3(region), region, bucket).await
}

/// A bucket's ACL: its owner's canonical id and every grant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Acl {
    pub owner: Option<String>,
    pub grants: Vec<AclGrant>,
}

/// The bucket's ACL, grant by grant.
pub(crate) async fn acl(
    client: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
) -> Result<Acl, AwsError> {
    let out = s3_site("GetBucketAcl", region)
        .run(client.get_bucket_acl().bucket(bucket).send())
        .await?;
    Ok(Acl {
        owner: out.owner().and_then(|o| o.id()).map(str::to_string),
        grants: out.grants().iter().filter_map(grant_of).collect(),
    })
}

/// One SDK grant as the core's; `None` for a grant without a grantee.
pub(crate) fn grant_of(grant: &Grant) -> Option<AclGrant> {
    let grantee = grant.grantee()?;
    let grantee = match grantee.r#type() {
        Type::Group => Grantee::Group {
            uri: grantee.uri()?.to_string(),
        },
        Type::AmazonCustomerByEmail => Grantee::Email {
            address: grantee.email_address()?.to_string(),
        },
        _ => Grantee::CanonicalUser {
            id: grantee.id()?.to_string(),
        },
    };
    Some(AclGrant {
        grantee,
        permission: grant
            .permission()
            .map_or("?", Permission::as_str)
            .to_string(),
    })
}

/// The core's grant as PutBucketAcl takes it.
pub(crate) fn sdk_grant(grant: &AclGrant) -> Result<Grant, aws_sdk_s3::error::BuildError> {
    let builder = aws_sdk_s3::types::Grantee::builder();
    let builder = match &grant.grantee {
        Grantee::Group { uri } => builder.r#type(Type::Group).uri(uri),
        Grantee::CanonicalUser { id } => builder.r#type(Type::CanonicalUser).id(id),
        Grantee::Email { address } => builder
            .r#type(Type::AmazonCustomerByEmail)
            .email_address(address),
    };
    let grantee = builder.build()?;
    Ok(Grant::builder()
        .grantee(grantee)
        .permission(Permission::from(grant.permission.as_str()))
        .build())
}

/// The bucket's own Block Public Access; `None` when it has none.
pub(crate) async fn bucket_block(
    client: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
) -> Result<Option<PublicAccessBlock>, AwsError> {
    Ok(s3_site("GetPublicAccessBlock", region)
        .optional(
            "NoSuchPublicAccessBlockConfiguration",
            client.get_public_access_block().bucket(bucket).send(),
        )
        .await?
        .and_then(|out| out.public_access_block_configuration().map(block_of)))
}

/// The SDK's block settings as the core's (a setting not returned is off).
pub(crate) fn block_of(settings: &PublicAccessBlockConfiguration) -> PublicAccessBlock {
    PublicAccessBlock {
        block_public_acls: settings.block_public_acls().unwrap_or(false),
        ignore_public_acls: settings.ignore_public_acls().unwrap_or(false),
        block_public_policy: settings.block_public_policy().unwrap_or(false),
        restrict_public_buckets: settings.restrict_public_buckets().unwrap_or(false),
    }
}

/// The core's block settings as S3 takes them.
pub(crate) fn sdk_block(block: &PublicAccessBlock) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(block.block_public_acls)
        .ignore_public_acls(block.ignore_public_acls)
        .block_public_policy(block.block_public_policy)
        .restrict_public_buckets(block.restrict_public_buckets)
        .build()
}

/// The account's own Block Public Access (S3 Control GetPublicAccessBlock): `Unset` when it has
/// none.
pub async fn account_block(ctx: &AwsContext, account: &str) -> Result<AccountBlock, AwsError> {
    let read = s3control_site("GetPublicAccessBlock")
        .optional(
            "NoSuchPublicAccessBlockConfiguration",
            ctx.s3control()
                .get_public_access_block()
                .account_id(account)
                .send(),
        )
        .await
        .map_err(|error| error.about(ResourceType::Account, account))?;
    Ok(
        match read.and_then(|out| out.public_access_block_configuration().cloned()) {
            Some(settings) => AccountBlock::Set(PublicAccessBlock {
                block_public_acls: settings.block_public_acls().unwrap_or(false),
                ignore_public_acls: settings.ignore_public_acls().unwrap_or(false),
                block_public_policy: settings.block_public_policy().unwrap_or(false),
                restrict_public_buckets: settings.restrict_public_buckets().unwrap_or(false),
            }),
            None => AccountBlock::Unset,
        },
    )
}

/// The bucket's versioning: `Enabled`, `Suspended`, or never enabled.
pub(crate) async fn versioning(
    client: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
) -> Result<Versioning, AwsError> {
    let out = s3_site("GetBucketVersioning", region)
        .run(client.get_bucket_versioning().bucket(bucket).send())
        .await?;
    Ok(match out.status() {
        Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
        Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
        _ => Versioning::Never,
    })
}
