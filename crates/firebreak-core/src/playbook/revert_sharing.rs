//! revert-sharing: remove `all` and untrusted accounts from snapshot, AMI and DB snapshot
//! permissions, and the Lambda resource-policy statements that let in anyone or an untrusted
//! account (a function URL without auth goes back to `AWS_IAM`), keeping the accounts the
//! baseline trusts; close buckets and databases open to the internet (`data`); optionally turn
//! on block public access in those regions. Undo restores the exact prior permission list,
//! statement by statement.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::plan::{Plan, Playbook, Step};
use crate::model::database::DatabaseKind;
use crate::model::operation::SnapshotBlock;
use crate::model::operation::{DataOperation, Operation, SharingChange};
use crate::model::storage::AccountBlock;
use crate::model::{Identity, Sharing, UrlAuth};
use crate::policy::FunctionStatement;

mod data;

pub use data::{ExposedBucket, PublicDatabase};

/// An EBS snapshot, an AMI, or a manual DB (instance or cluster) snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedKind {
    Snapshot,
    Image,
    DbSnapshot(DatabaseKind),
}

/// Everything one revert closes, read just before planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposure {
    pub resources: Vec<SharedResource>,
    pub functions: Vec<ExposedFunction>,
    pub buckets: Vec<ExposedBucket>,
    pub databases: Vec<PublicDatabase>,
    /// The account's S3 Block Public Access as read now, when it is to be turned on.
    pub account_block: Option<AccountBlock>,
}

/// A resource to make private again, with who it is shared with now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedResource {
    pub kind: SharedKind,
    pub region: String,
    pub id: String,
    pub sharing: Sharing,
}

/// A function (or one of its aliases) to close, with its resource-policy statements and URL
/// auth read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedFunction {
    pub region: String,
    pub name: String,
    /// The alias whose own policy and URL these are (`None`: the function's).
    pub qualifier: Option<String>,
    pub statements: Vec<FunctionStatement>,
    pub url_auth: Option<UrlAuth>,
}

/// Block public access in a region, per resource type (`None`: could not tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockPublicAccess {
    pub snapshots: Option<SnapshotBlock>,
    pub images: Option<bool>,
}

/// Plans the revert. `trusted` accounts stay; `block` lists the regions to guard, with their
/// current state.
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    exposure: &Exposure,
    trusted: &BTreeSet<String>,
    block: &BTreeMap<String, BlockPublicAccess>,
) -> Plan {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    for resource in &exposure.resources {
        let untrusted: Vec<String> = resource
            .sharing
            .accounts
            .iter()
            .filter(|a| !trusted.contains(*a) && **a != account.id)
            .cloned()
            .collect();
        let kept: Vec<&String> = resource
            .sharing
            .accounts
            .iter()
            .filter(|a| trusted.contains(*a))
            .collect();
        if !kept.is_empty() {
            notes.push(format!(
                "{} keeps trusted {}",
                resource.id,
                kept.iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !resource.sharing.organizations.is_empty() {
            notes.push(format!(
                "{} is also shared with {}: organization shares are left for review",
                resource.id,
                resource
                    .sharing
                    .organizations
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        // A resource already private still gets its step (reported skipped): re-running a
        // half-done plan only does the rest.
        if !resource.sharing.public && untrusted.is_empty() {
            notes.push(format!(
                "{} is not shared outside trusted accounts: nothing to remove",
                resource.id
            ));
        }
        let change = SharingChange::remove(resource.sharing.public, untrusted);
        let id = resource.id.clone();
        let (operation, inverse) = match resource.kind {
            SharedKind::Snapshot => (
                Operation::ModifySnapshotSharing {
                    snapshot_id: id.clone(),
                    change: change.clone(),
                },
                Operation::ModifySnapshotSharing {
                    snapshot_id: id,
                    change: change.inverse(),
                },
            ),
            SharedKind::Image => (
                Operation::ModifyImageSharing {
                    image_id: id.clone(),
                    change: change.clone(),
                },
                Operation::ModifyImageSharing {
                    image_id: id,
                    change: change.inverse(),
                },
            ),
            SharedKind::DbSnapshot(kind) => (
                Operation::Data(DataOperation::ModifyDbSnapshotSharing {
                    snapshot: id.clone(),
                    kind,
                    change: change.clone(),
                }),
                Operation::Data(DataOperation::ModifyDbSnapshotSharing {
                    snapshot: id,
                    kind,
                    change: change.inverse(),
                }),
            ),
        };
        steps.push(Step::new(&resource.region, 0, operation, Some(inverse)));
    }
    for function in &exposure.functions {
        steps.extend(function_steps(function, trusted, &account.id, &mut notes));
    }
    for bucket in &exposure.buckets {
        steps.extend(data::bucket_steps(bucket, trusted, &account.id, &mut notes));
    }
    steps.extend(exposure.databases.iter().map(data::database_step));
    if let Some(now) = exposure.account_block {
        notes.push(
            "the account's S3 Block Public Access covers every bucket: a bucket meant to be public (a website) stops being so"
                .to_string(),
        );
        steps.push(data::account_block_step(&account.id, now));
    }
    for (region, state) in block {
        steps.extend(block_steps(region, *state));
    }
    let mut plan = Plan::new(action_id, Playbook::RevertSharing, account, now, steps);
    plan.notes = notes;
    plan
}

/// Steps that close one function: remove each statement letting in `*` or an untrusted account
/// (the statement is kept in the plan so that undo adds it back), and set a URL without auth
/// back to `AWS_IAM`. Reserved concurrency is never touched.
fn function_steps(
    function: &ExposedFunction,
    trusted: &BTreeSet<String>,
    own_account: &str,
    notes: &mut Vec<String>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let name = &function.name;
    let qualifier = &function.qualifier;
    let shown = match qualifier {
        Some(alias) => format!("{name}:{alias}"),
        None => name.clone(),
    };
    for statement in &function.statements {
        let untrusted: Vec<&String> = statement
            .principals
            .accounts
            .iter()
            .filter(|a| !trusted.contains(*a) && *a != own_account)
            .collect();
        if !statement.principals.public && untrusted.is_empty() {
            continue;
        }
        let remove = Operation::RemoveFunctionPermission {
            function: name.clone(),
            statement_id: statement.sid.clone(),
            qualifier: qualifier.clone(),
        };
        match &statement.grant {
            Some(grant) => steps.push(Step::new(
                &function.region,
                0,
                remove,
                Some(Operation::AddFunctionPermission {
                    function: name.clone(),
                    grant: grant.clone(),
                    qualifier: qualifier.clone(),
                }),
            )),
            None => {
                notes.push(format!(
                    "statement {} of {shown} has conditions AddPermission cannot recreate: removing it cannot be undone (the full policy is in the journal's plan)",
                    statement.sid
                ));
                steps.push(Step::irreversible(&function.region, 0, remove));
            }
        }
    }
    if function.url_auth == Some(UrlAuth::None) {
        steps.push(Step::new(
            &function.region,
            0,
            Operation::SetFunctionUrlAuth {
                function: name.clone(),
                auth: UrlAuth::AwsIam,
                qualifier: qualifier.clone(),
            },
            Some(Operation::SetFunctionUrlAuth {
                function: name.clone(),
                auth: UrlAuth::None,
                qualifier: qualifier.clone(),
            }),
        ));
    }
    if steps.is_empty() && qualifier.is_none() {
        notes.push(format!(
            "function {shown} in {} lets in no one outside trusted accounts: nothing to remove",
            function.region
        ));
    }
    steps
}

/// Steps that turn on snapshot and image block public access in `region`, unless already on.
pub fn block_steps(region: &str, state: BlockPublicAccess) -> Vec<Step> {
    let mut steps = Vec::new();
    // Only block-all-sharing stops snapshots that are public already; undo returns to the
    // state read before.
    match state.snapshots {
        Some(SnapshotBlock::BlockAllSharing) => {}
        Some(SnapshotBlock::BlockNewSharing) => steps.push(Step::new(
            region,
            1,
            Operation::EnableSnapshotBlockPublicAccess,
            Some(Operation::BlockNewSnapshotSharing),
        )),
        Some(SnapshotBlock::Unblocked) | None => steps.push(Step::new(
            region,
            1,
            Operation::EnableSnapshotBlockPublicAccess,
            Some(Operation::DisableSnapshotBlockPublicAccess),
        )),
    }
    if state.images != Some(true) {
        steps.push(Step::new(
            region,
            1,
            Operation::EnableImageBlockPublicAccess,
            Some(Operation::DisableImageBlockPublicAccess),
        ));
    }
    steps
}

#[cfg(test)]
mod tests;
