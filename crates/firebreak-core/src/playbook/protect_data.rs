//! protect-data, for a wipe in progress: on each bucket a policy statement firebreak names that
//! denies deleting objects and versions and changing versioning, lifecycle, replication, lock,
//! encryption or the policy itself — to everyone but the caller, break-glass and AWS services
//! delivering logs — and versioning on; on each database deletion protection on. Undo removes
//! the statement (the rest of the policy untouched), suspends versioning it turned on (a
//! bucket that never had it cannot go back to never) and turns protection back off.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::guard::Guard;
use super::plan::{Plan, Playbook, Step};
use crate::model::Identity;
use crate::model::database::DatabaseKind;
use crate::model::operation::{DataOperation, Operation};
use crate::model::storage::Versioning;

/// The `Sid` of the statement protect-data adds: undo removes exactly it.
pub const PROTECT_SID: &str = "FirebreakProtectData";

/// What the statement denies: destroying data, and the settings that would let it be destroyed
/// or hidden.
pub const DENIED_ACTIONS: [&str; 11] = [
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
];

/// A bucket to protect, with its versioning read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardedBucket {
    pub region: String,
    pub name: String,
    pub versioning: Versioning,
}

/// A DB instance or cluster to protect, with its deletion protection read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardedDatabase {
    pub region: String,
    pub id: String,
    pub kind: DatabaseKind,
    pub deletion_protection: bool,
}

/// The deny statement for `bucket`, leaving out the principals `guard` keeps in `account` and
/// every AWS service principal (log delivery).
pub fn deny_statement(bucket: &str, partition: &str, account: &str, guard: &Guard) -> Value {
    json!({
        "Sid": PROTECT_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": DENIED_ACTIONS,
        "Resource": [
            format!("arn:{partition}:s3:::{bucket}"),
            format!("arn:{partition}:s3:::{bucket}/*"),
        ],
        "Condition": {
            "ArnNotLike": {"aws:PrincipalArn": guard.spared_patterns(account)},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}
        }
    })
}

/// The step that puts the deny statement on `bucket` in `region` (undo: takes exactly it out
/// again).
pub fn deny_step(
    region: &str,
    bucket: &str,
    partition: &str,
    account: &str,
    guard: &Guard,
    phase: u8,
) -> Step {
    let statement = deny_statement(bucket, partition, account, guard);
    let edit = |remove: Vec<Value>, add: Vec<Value>| {
        Operation::Data(DataOperation::EditBucketPolicy {
            bucket: bucket.to_string(),
            remove,
            add,
        })
    };
    Step::new(
        region,
        phase,
        edit(Vec::new(), vec![statement.clone()]),
        Some(edit(vec![statement], Vec::new())),
    )
}

/// The steps that protect one bucket: the deny statement, then versioning on.
fn bucket_steps(
    bucket: &GuardedBucket,
    partition: &str,
    account: &str,
    guard: &Guard,
) -> [Step; 2] {
    let versioning = |enabled| {
        Operation::Data(DataOperation::SetBucketVersioning {
            bucket: bucket.name.clone(),
            enabled,
        })
    };
    // Already on: a step reported skipped, and nothing to undo.
    [
        deny_step(&bucket.region, &bucket.name, partition, account, guard, 0),
        Step::new(&bucket.region, 0, versioning(true), Some(versioning(false))),
    ]
}

/// Plans protect-data for `buckets` and `databases`.
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    buckets: &[GuardedBucket],
    databases: &[GuardedDatabase],
    guard: &Guard,
    partition: &str,
) -> Plan {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    for bucket in buckets {
        steps.extend(bucket_steps(bucket, partition, &account.id, guard));
        if bucket.versioning == Versioning::Never {
            notes.push(format!(
                "bucket {}: versioning was never on; undo can only suspend it, not return it to never",
                bucket.name
            ));
        }
    }
    for database in databases {
        let protect = |enabled| {
            Operation::Data(DataOperation::SetDeletionProtection {
                database: database.id.clone(),
                kind: database.kind,
                enabled,
            })
        };
        steps.push(Step::new(
            &database.region,
            0,
            protect(true),
            Some(protect(false)),
        ));
    }
    if !buckets.is_empty() {
        notes.push(format!(
            "the {PROTECT_SID} statement denies deleting and reconfiguring to everyone but you, break-glass and AWS services; the account's root user can still remove a bucket policy, and lifecycle rules already there still expire objects"
        ));
    }
    let mut plan = Plan::new(action_id, Playbook::ProtectData, account, now, steps);
    plan.notes = notes;
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::statements::deny_spares;

    const ACCOUNT: &str = "123456789012";

    fn identity(caller: &str) -> Identity {
        Identity {
            id: ACCOUNT.into(),
            alias: None,
            caller_arn: caller.into(),
        }
    }

    #[test]
    fn the_deny_spares_the_caller_break_glass_and_services_and_no_one_else() {
        let caller = format!("arn:aws:sts::{ACCOUNT}:assumed-role/responder/night-shift");
        let guard = Guard::new(&caller, &["user/breakglass".to_string()]);
        let statement = deny_statement("ledger", "aws", ACCOUNT, &guard);
        for spared in [
            format!("arn:aws:iam::{ACCOUNT}:role/responder"),
            format!("arn:aws:iam::{ACCOUNT}:role/ops/responder"),
            format!("arn:aws:iam::{ACCOUNT}:user/breakglass"),
        ] {
            assert!(deny_spares(&statement, &spared), "{spared}");
        }
        for denied in [
            format!("arn:aws:iam::{ACCOUNT}:user/mallory"),
            format!("arn:aws:iam::{ACCOUNT}:role/responder-2"),
            "arn:aws:iam::666655554444:role/responder".to_string(),
        ] {
            assert!(!deny_spares(&statement, &denied), "{denied}");
        }
        assert_eq!(
            statement["Condition"]["BoolIfExists"]["aws:PrincipalIsAWSService"],
            "false"
        );
        assert_eq!(statement["Resource"][1], "arn:aws:s3:::ledger/*");
        assert_eq!(statement["Sid"], PROTECT_SID);
    }

    #[test]
    fn each_bucket_gets_the_deny_and_versioning_each_database_protection_and_undo_takes_them_back()
    {
        let caller = format!("arn:aws:iam::{ACCOUNT}:user/responder");
        let guard = Guard::new(&caller, &[]);
        let buckets = [
            GuardedBucket {
                region: "eu-west-1".into(),
                name: "backups".into(),
                versioning: Versioning::Never,
            },
            GuardedBucket {
                region: "us-east-1".into(),
                name: "ledger".into(),
                versioning: Versioning::Enabled,
            },
        ];
        let databases = [GuardedDatabase {
            region: "us-east-1".into(),
            id: "orders".into(),
            kind: DatabaseKind::Cluster,
            deletion_protection: false,
        }];
        let plan = plan(
            "a".into(),
            identity(&caller),
            Utc::now(),
            &buckets,
            &databases,
            &guard,
            "aws",
        );
        assert_eq!(plan.playbook, Playbook::ProtectData);
        let apis: Vec<(&str, &str)> = plan
            .steps
            .iter()
            .map(|s| (s.api.as_str(), s.target.as_str()))
            .collect();
        assert_eq!(
            apis,
            [
                ("PutBucketPolicy", "bucket backups policy"),
                ("PutBucketVersioning", "bucket backups versioning"),
                ("PutBucketPolicy", "bucket ledger policy"),
                ("PutBucketVersioning", "bucket ledger versioning"),
                ("ModifyDBCluster", "DB cluster orders"),
            ]
        );
        let statement = deny_statement("backups", "aws", ACCOUNT, &guard);
        assert_eq!(
            plan.steps[0].inverse,
            Some(Operation::Data(DataOperation::EditBucketPolicy {
                bucket: "backups".into(),
                remove: vec![statement],
                add: vec![],
            }))
        );
        assert_eq!(
            plan.steps[1].inverse,
            Some(Operation::Data(DataOperation::SetBucketVersioning {
                bucket: "backups".into(),
                enabled: false,
            }))
        );
        assert_eq!(
            plan.steps[4].inverse,
            Some(Operation::Data(DataOperation::SetDeletionProtection {
                database: "orders".into(),
                kind: DatabaseKind::Cluster,
                enabled: false,
            }))
        );
        assert!(plan.notes[0].contains("bucket backups: versioning was never on"));
        assert_eq!(plan.notes.len(), 2, "{:?}", plan.notes);
        assert!(guard.denied_in(&plan).is_empty());
        // Run by someone else, the same plan would deny the new caller: the guard says so.
        let other = Guard::new(&format!("arn:aws:iam::{ACCOUNT}:user/dana"), &[]);
        let denied = other.denied_in(&plan);
        assert_eq!(denied.len(), 2, "{denied:?}");
        assert!(denied[0].starts_with("step 1: bucket backups policy denies user/dana"));
    }
}
