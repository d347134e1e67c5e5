//! revert-sharing for data stores: a bucket's policy statements and ACL grants that let in
//! anyone or an untrusted account, its Block Public Access back on, the account's S3 block as a
//! step of its own, and databases reachable from the internet. Statements that also name
//! trusted accounts are narrowed to them, not dropped. Undo restores the exact documents and
//! settings.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::plan::Step;
use crate::model::GLOBAL;
use crate::model::operation::{DataOperation, Operation};
use crate::model::storage::{AccountBlock, AclGrant, Grantee, PublicAccessBlock};
use crate::policy::statements::{allow_statements, narrow_statement};

/// A bucket to close, with its policy, ACL and block read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedBucket {
    pub region: String,
    pub name: String,
    /// The policy document, when the bucket has one.
    pub policy: Option<String>,
    pub acl: Vec<AclGrant>,
    /// The owner's canonical user id: its own grants stay.
    pub owner: Option<String>,
    /// The bucket's own Block Public Access (`None`: it has none).
    pub block: Option<PublicAccessBlock>,
    /// Grantees (canonical ids, addresses) the baseline knows on this bucket: kept.
    pub known_grantees: BTreeSet<String>,
    /// Whether its Block Public Access is to be turned fully on: not when the baseline knows
    /// the bucket with its block off (a bucket meant to be public).
    pub block_on: bool,
}

/// A DB instance reachable from the internet now (a cluster's: each of its instances).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicDatabase {
    pub region: String,
    pub id: String,
}

/// Wraps a data-store change as an operation.
fn data(operation: DataOperation) -> Operation {
    Operation::Data(operation)
}

/// The steps that close one bucket: an edit of its policy, one of its ACL, its block on.
pub fn bucket_steps(
    bucket: &ExposedBucket,
    trusted: &BTreeSet<String>,
    own_account: &str,
    notes: &mut Vec<String>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let name = &bucket.name;
    let keep = |account: &str| account == own_account || trusted.contains(account);
    if let Some(document) = &bucket.policy {
        match policy_edit(document, &keep) {
            Ok((remove, add)) if !remove.is_empty() => {
                if !add.is_empty() {
                    notes.push(format!(
                        "bucket {name}: {} narrowed to trusted accounts, not removed",
                        plural(add.len(), "statement")
                    ));
                }
                steps.push(Step::new(
                    &bucket.region,
                    0,
                    data(DataOperation::EditBucketPolicy {
                        bucket: name.clone(),
                        remove: remove.clone(),
                        add: add.clone(),
                    }),
                    Some(data(DataOperation::EditBucketPolicy {
                        bucket: name.clone(),
                        remove: add,
                        add: remove,
                    })),
                ));
            }
            Ok(_) => {}
            Err(error) => notes.push(format!(
                "bucket {name}: its policy cannot be read ({error}): its statements are left for review"
            )),
        }
    }
    let remove: Vec<AclGrant> = bucket
        .acl
        .iter()
        .filter(|grant| grant_removed(grant, bucket))
        .cloned()
        .collect();
    if !remove.is_empty() {
        steps.push(Step::new(
            &bucket.region,
            0,
            data(DataOperation::EditBucketAcl {
                bucket: name.clone(),
                remove: remove.clone(),
                add: Vec::new(),
            }),
            Some(data(DataOperation::EditBucketAcl {
                bucket: name.clone(),
                remove: Vec::new(),
                add: remove,
            })),
        ));
    }
    if bucket.block_on {
        // Re-running a half-done plan: a block already on is a step reported skipped. The
        // block goes on after the edits (phase 1), so that undo — last phase first — lifts it
        // before it puts public statements and grants back: AWS refuses those while the
        // bucket's block is on.
        steps.push(Step::new(
            &bucket.region,
            1,
            data(DataOperation::SetBucketBlock {
                bucket: name.clone(),
                block: Some(PublicAccessBlock::ALL_ON),
            }),
            Some(data(DataOperation::SetBucketBlock {
                bucket: name.clone(),
                block: bucket.block,
            })),
        ));
    } else {
        notes.push(format!(
            "bucket {name}: the baseline knows it with Block Public Access off: left off"
        ));
    }
    if steps.is_empty() {
        notes.push(format!(
            "bucket {name} lets in no one outside trusted accounts: nothing to remove"
        ));
    }
    steps
}

/// The statements to take out of a bucket policy and the narrowed ones to put in their place.
fn policy_edit(
    document: &str,
    keep: &impl Fn(&str) -> bool,
) -> Result<(Vec<Value>, Vec<Value>), crate::policy::PolicyError> {
    let mut remove = Vec::new();
    let mut add = Vec::new();
    for allowed in allow_statements(document)? {
        let opens =
            allowed.principals.public || allowed.principals.accounts.iter().any(|a| !keep(a));
        if !opens {
            continue;
        }
        if let Some(narrowed) = narrow_statement(&allowed.statement, keep)? {
            add.push(narrowed);
        }
        remove.push(allowed.statement);
    }
    Ok((remove, add))
}

/// Whether an ACL grant lets in everyone, every AWS account, or an account the baseline does
/// not know on this bucket (the owner and AWS's service groups stay).
fn grant_removed(grant: &AclGrant, bucket: &ExposedBucket) -> bool {
    match &grant.grantee {
        Grantee::Group { .. } => grant.grantee.is_public(),
        Grantee::CanonicalUser { id: who } | Grantee::Email { address: who } => {
            bucket.owner.as_deref() != Some(who.as_str()) && !bucket.known_grantees.contains(who)
        }
    }
}

/// The step that turns the account's S3 Block Public Access fully on (undo: as it was).
pub fn account_block_step(account: &str, now: AccountBlock) -> Step {
    let before = match now {
        AccountBlock::Set(settings) => Some(settings),
        AccountBlock::Unset => None,
    };
    Step::new(
        GLOBAL,
        1,
        data(DataOperation::SetAccountBlock {
            account: account.to_string(),
            block: Some(PublicAccessBlock::ALL_ON),
        }),
        Some(data(DataOperation::SetAccountBlock {
            account: account.to_string(),
            block: before,
        })),
    )
}

/// The step that takes a database off the internet (undo: back on).
pub fn database_step(database: &PublicDatabase) -> Step {
    let set = |public| {
        data(DataOperation::SetDatabasePublic {
            database: database.id.clone(),
            public,
        })
    };
    Step::new(&database.region, 0, set(false), Some(set(true)))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
