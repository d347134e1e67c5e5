//! S3: a bucket's policy statements and ACL grants taken out and put back, its Block Public
//! Access and the account's (S3 Control). Each edit reads the document first and changes only
//! the statements or grants it names, so what others changed since the plan is kept.

use serde_json::Value;

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::s3_state::{
    Acl, account_block, acl, bucket_block, policy_document, s3_site, s3control_site, sdk_block,
    sdk_grant, versioning,
};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use firebreak_core::model::operation::{DataOperation, Operation};
use firebreak_core::model::storage::{AccountBlock, AclGrant, Versioning};
use firebreak_core::policy::PolicyError;
use firebreak_core::policy::statements::{edit_statements, holds_statement};

/// Whether the account already holds what `operation` makes it hold, for this service's
/// operations; `None` for another's.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    let Operation::Data(operation) = operation else {
        return Ok(None);
    };
    Ok(Some(match operation {
        DataOperation::EditBucketPolicy {
            bucket,
            remove,
            add,
        } => {
            let document = policy_document(&ctx.s3(region), region, bucket).await?;
            policy_holds(document.as_deref(), remove, add)
                .map_err(|e| unreadable(region, bucket, e))?
        }
        DataOperation::PutBucketPolicy { bucket, document } => {
            let now = policy_document(&ctx.s3(region), region, bucket).await?;
            let as_json = |d: &str| serde_json::from_str::<Value>(d).ok();
            now.as_deref()
                .and_then(as_json)
                .is_some_and(|now| Some(now) == as_json(document))
        }
        DataOperation::EditBucketAcl {
            bucket,
            remove,
            add,
        } => acl_holds(&acl(&ctx.s3(region), region, bucket).await?, remove, add),
        DataOperation::SetBucketBlock { bucket, block } => {
            bucket_block(&ctx.s3(region), region, bucket).await? == *block
        }
        DataOperation::SetAccountBlock { account, block } => {
            block_option(account_block(ctx, account).await?) == *block
        }
        DataOperation::SetBucketVersioning { bucket, enabled } => {
            let now = versioning(&ctx.s3(region), region, bucket).await?;
            // Suspending counts as done for a bucket that never had versioning.
            (now == Versioning::Enabled) == *enabled
        }
        _ => return Ok(None),
    }))
}

/// Sends the calls that make `operation`, for this service's operations (`None` for another's):
/// the inverse of what was sent where it depends on the state just before.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    let Operation::Data(operation) = operation else {
        return Ok(None);
    };
    let client = ctx.s3(region);
    let inverse = match operation {
        DataOperation::EditBucketPolicy {
            bucket,
            remove,
            add,
        } => {
            let before = policy_document(&client, region, bucket).await?;
            let edited = edit_statements(before.as_deref(), remove, add)
                .map_err(|e| unreadable(region, bucket, e))?;
            match (edited, before) {
                (Some(document), _) => {
                    put_policy(&client, region, bucket, &document).await?;
                    None
                }
                (None, Some(before)) => {
                    s3_site("DeleteBucketPolicy", region)
                        .run(client.delete_bucket_policy().bucket(bucket).send())
                        .await?;
                    // Undo puts back the whole document, whatever else it held.
                    Some(Operation::Data(DataOperation::PutBucketPolicy {
                        bucket: bucket.clone(),
                        document: before,
                    }))
                }
                (None, None) => None,
            }
        }
        DataOperation::PutBucketPolicy { bucket, document } => {
            put_policy(&client, region, bucket, document).await?;
            None
        }
        DataOperation::EditBucketAcl {
            bucket,
            remove,
            add,
        } => {
            let now = acl(&client, region, bucket).await?;
            let mut grants: Vec<AclGrant> = now
                .grants
                .into_iter()
                .filter(|g| !remove.contains(g))
                .collect();
            for grant in add {
                if !grants.contains(grant) {
                    grants.push(grant.clone());
                }
            }
            let grants = grants
                .iter()
                .map(sdk_grant)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AwsError {
                    code: "InvalidGrant".into(),
                    message: format!("bucket {bucket}: {e}"),
                    ..s3_site("PutBucketAcl", region).local_error()
                })?;
            let owner = aws_sdk_s3::types::Owner::builder()
                .set_id(now.owner)
                .build();
            let policy = aws_sdk_s3::types::AccessControlPolicy::builder()
                .owner(owner)
                .set_grants(Some(grants))
                .build();
            s3_site("PutBucketAcl", region)
                .run(
                    client
                        .put_bucket_acl()
                        .bucket(bucket)
                        .access_control_policy(policy)
                        .send(),
                )
                .await?;
            None
        }
        DataOperation::SetBucketBlock { bucket, block } => {
            let before = bucket_block(&client, region, bucket).await?;
            match block {
                Some(block) => {
                    s3_site("PutPublicAccessBlock", region)
                        .run(
                            client
                                .put_public_access_block()
                                .bucket(bucket)
                                .public_access_block_configuration(sdk_block(block))
                                .send(),
                        )
                        .await?;
                }
                None => {
                    s3_site("DeletePublicAccessBlock", region)
                        .run(client.delete_public_access_block().bucket(bucket).send())
                        .await?;
                }
            }
            Some(Operation::Data(DataOperation::SetBucketBlock {
                bucket: bucket.clone(),
                block: before,
            }))
        }
        DataOperation::SetAccountBlock { account, block } => {
            let before = block_option(account_block(ctx, account).await?);
            let control = ctx.s3control();
            match block {
                Some(block) => {
                    s3control_site("PutPublicAccessBlock")
                        .run(
                            control
                                .put_public_access_block()
                                .account_id(account)
                                .public_access_block_configuration(account_settings(block))
                                .send(),
                        )
                        .await?;
                }
                None => {
                    s3control_site("DeletePublicAccessBlock")
                        .run(
                            control
                                .delete_public_access_block()
                                .account_id(account)
                                .send(),
                        )
                        .await?;
                }
            }
            Some(Operation::Data(DataOperation::SetAccountBlock {
                account: account.clone(),
                block: before,
            }))
        }
        DataOperation::SetBucketVersioning { bucket, enabled } => {
            let status = if *enabled {
                BucketVersioningStatus::Enabled
            } else {
                BucketVersioningStatus::Suspended
            };
            s3_site("PutBucketVersioning", region)
                .run(
                    client
                        .put_bucket_versioning()
                        .bucket(bucket)
                        .versioning_configuration(
                            VersioningConfiguration::builder().status(status).build(),
                        )
                        .send(),
                )
                .await?;
            None
        }
        _ => return Ok(None),
    };
    Ok(Some(inverse))
}

async fn put_policy(
    client: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
    document: &str,
) -> Result<(), AwsError> {
    s3_site("PutBucketPolicy", region)
        .run(
            client
                .put_bucket_policy()
                .bucket(bucket)
                .policy(document)
                .send(),
        )
        .await?;
    Ok(())
}

/// Whether a policy holds none of `remove` and all of `add`.
fn policy_holds(
    document: Option<&str>,
    remove: &[Value],
    add: &[Value],
) -> Result<bool, PolicyError> {
    let Some(document) = document else {
        return Ok(add.is_empty());
    };
    for statement in remove {
        if holds_statement(document, statement)? {
            return Ok(false);
        }
    }
    for statement in add {
        if !holds_statement(document, statement)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether an ACL holds none of `remove` and all of `add`.
fn acl_holds(acl: &Acl, remove: &[AclGrant], add: &[AclGrant]) -> bool {
    remove.iter().all(|g| !acl.grants.contains(g)) && add.iter().all(|g| acl.grants.contains(g))
}

/// The account's block as an operation states it (`None`: no configuration).
fn block_option(block: AccountBlock) -> Option<firebreak_core::model::storage::PublicAccessBlock> {
    match block {
        AccountBlock::Set(settings) => Some(settings),
        AccountBlock::Unset => None,
    }
}

/// The core's block settings as S3 Control takes them.
fn account_settings(
    block: &firebreak_core::model::storage::PublicAccessBlock,
) -> aws_sdk_s3control::types::PublicAccessBlockConfiguration {
    aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(block.block_public_acls)
        .ignore_public_acls(block.ignore_public_acls)
        .block_public_policy(block.block_public_policy)
        .restrict_public_buckets(block.restrict_public_buckets)
        .build()
}

/// A policy that cannot be read is never overwritten: the error names the bucket.
fn unreadable(region: &str, bucket: &str, error: PolicyError) -> AwsError {
    AwsError {
        code: "UnreadablePolicy".into(),
        message: format!("bucket {bucket}: {error}"),
        ..s3_site("GetBucketPolicy", region).local_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firebreak_core::model::storage::Grantee;
    use serde_json::json;

    #[test]
    fn a_policy_or_acl_is_as_wanted_only_without_every_removed_and_with_every_added_part() {
        let open =
            json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"});
        let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "s3:*"});
        let both = json!({"Statement": [open, deny]}).to_string();
        assert!(!policy_holds(Some(&both), std::slice::from_ref(&open), &[]).expect("read"));
        assert!(policy_holds(Some(&both), &[], std::slice::from_ref(&deny)).expect("read"));
        assert!(!policy_holds(Some(&both), &[], &[json!({"Sid": "x"})]).expect("read"));
        assert!(policy_holds(None, std::slice::from_ref(&open), &[]).expect("read"));
        assert!(!policy_holds(None, &[], &[deny]).expect("read"));
        assert!(policy_holds(Some("nope"), &[open], &[]).is_err());
        let grant = |id: &str| AclGrant {
            grantee: Grantee::CanonicalUser { id: id.into() },
            permission: "READ".into(),
        };
        let acl = Acl {
            owner: Some("me".into()),
            grants: vec![grant("me"), grant("partner")],
        };
        assert!(acl_holds(&acl, &[grant("stranger")], &[grant("partner")]));
        assert!(!acl_holds(&acl, &[grant("partner")], &[]));
        assert!(!acl_holds(&acl, &[], &[grant("stranger")]));
    }
}
