//! Changes to data stores, as values: S3 bucket policies, ACLs and Block Public Access (the
//! bucket's and the account's), who may restore an RDS snapshot, whether a database is reachable
//! from the internet. Each names its exact inverse or lets the engine read it just before
//! sending.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SharingChange;
use crate::model::database::DatabaseKind;
use crate::model::finding::ResourceType;
use crate::model::storage::{AclGrant, PublicAccessBlock};

/// One change to a bucket, the account's S3 settings or a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DataOperation {
    /// s3:PutBucketPolicy: the policy without the `remove` statements and with the `add` ones
    /// (s3:DeleteBucketPolicy when no statement is left; a new policy when there was none).
    EditBucketPolicy {
        bucket: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<Value>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        add: Vec<Value>,
    },
    /// s3:PutBucketPolicy of exactly this document: the undo of an edit that left no statement.
    PutBucketPolicy { bucket: String, document: String },
    /// s3:PutBucketAcl: the ACL without the `remove` grants and with the `add` ones, the owner
    /// kept.
    EditBucketAcl {
        bucket: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<AclGrant>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        add: Vec<AclGrant>,
    },
    /// s3:PutPublicAccessBlock on a bucket; `None`: s3:DeletePublicAccessBlock (the bucket had
    /// none).
    SetBucketBlock {
        bucket: String,
        block: Option<PublicAccessBlock>,
    },
    /// s3control:PutPublicAccessBlock on the account; `None`: DeletePublicAccessBlock.
    SetAccountBlock {
        account: String,
        block: Option<PublicAccessBlock>,
    },
    /// rds:ModifyDBSnapshotAttribute (or ModifyDBClusterSnapshotAttribute) `restore`: remove,
    /// then add.
    ModifyDbSnapshotSharing {
        snapshot: String,
        kind: DatabaseKind,
        #[serde(flatten)]
        change: SharingChange,
    },
    /// s3:PutBucketVersioning Enabled, or Suspended (a bucket that never had versioning cannot
    /// go back to never).
    SetBucketVersioning { bucket: String, enabled: bool },
    /// rds:ModifyDBInstance (or ModifyDBCluster) DeletionProtection, applied immediately.
    SetDeletionProtection {
        database: String,
        kind: DatabaseKind,
        enabled: bool,
    },
    /// rds:ModifyDBInstance PubliclyAccessible, applied immediately (a cluster is reached
    /// through its instances: each is one of these).
    SetDatabasePublic { database: String, public: bool },
}

impl DataOperation {
    /// The AWS service the operation goes to.
    pub fn service(&self) -> &'static str {
        match self {
            DataOperation::EditBucketPolicy { .. }
            | DataOperation::PutBucketPolicy { .. }
            | DataOperation::EditBucketAcl { .. }
            | DataOperation::SetBucketBlock { .. }
            | DataOperation::SetBucketVersioning { .. } => "s3",
            DataOperation::SetAccountBlock { .. } => "s3control",
            DataOperation::ModifyDbSnapshotSharing { .. }
            | DataOperation::SetDeletionProtection { .. }
            | DataOperation::SetDatabasePublic { .. } => "rds",
        }
    }

    /// The AWS API operation that makes the change (the one sent when it is sent).
    pub fn api(&self) -> &'static str {
        match self {
            DataOperation::EditBucketPolicy { .. } | DataOperation::PutBucketPolicy { .. } => {
                "PutBucketPolicy"
            }
            DataOperation::EditBucketAcl { .. } => "PutBucketAcl",
            DataOperation::SetBucketBlock { block: Some(_), .. }
            | DataOperation::SetAccountBlock { block: Some(_), .. } => "PutPublicAccessBlock",
            DataOperation::SetBucketBlock { block: None, .. }
            | DataOperation::SetAccountBlock { block: None, .. } => "DeletePublicAccessBlock",
            DataOperation::ModifyDbSnapshotSharing {
                kind: DatabaseKind::Instance,
                ..
            } => "ModifyDBSnapshotAttribute",
            DataOperation::ModifyDbSnapshotSharing {
                kind: DatabaseKind::Cluster,
                ..
            } => "ModifyDBClusterSnapshotAttribute",
            DataOperation::SetBucketVersioning { .. } => "PutBucketVersioning",
            DataOperation::SetDeletionProtection {
                kind: DatabaseKind::Instance,
                ..
            }
            | DataOperation::SetDatabasePublic { .. } => "ModifyDBInstance",
            DataOperation::SetDeletionProtection {
                kind: DatabaseKind::Cluster,
                ..
            } => "ModifyDBCluster",
        }
    }

    /// What the operation acts on, for people.
    pub fn target(&self) -> String {
        match self {
            DataOperation::EditBucketPolicy { bucket, .. }
            | DataOperation::PutBucketPolicy { bucket, .. } => format!("bucket {bucket} policy"),
            DataOperation::EditBucketAcl { bucket, .. } => format!("bucket {bucket} ACL"),
            DataOperation::SetBucketBlock { bucket, .. } => {
                format!("bucket {bucket} block public access")
            }
            DataOperation::SetAccountBlock { account, .. } => {
                format!("account {account} S3 block public access")
            }
            DataOperation::ModifyDbSnapshotSharing { snapshot, .. } => {
                format!("DB snapshot {snapshot}")
            }
            DataOperation::SetBucketVersioning { bucket, .. } => {
                format!("bucket {bucket} versioning")
            }
            DataOperation::SetDeletionProtection { database, kind, .. } => {
                format!("{} {database}", kind.as_str())
            }
            DataOperation::SetDatabasePublic { database, .. } => format!("DB instance {database}"),
        }
    }

    /// A one-line description of the change.
    pub fn describe(&self) -> String {
        match self {
            DataOperation::EditBucketPolicy { remove, add, .. } => {
                let mut parts = Vec::new();
                if !remove.is_empty() {
                    parts.push(format!("remove {}", statement_names(remove)));
                }
                if !add.is_empty() {
                    parts.push(format!("add {}", statement_names(add)));
                }
                if parts.is_empty() {
                    "nothing to change".to_string()
                } else {
                    parts.join("; ")
                }
            }
            DataOperation::PutBucketPolicy { .. } => "put back the policy as it was".into(),
            DataOperation::EditBucketAcl { remove, add, .. } => {
                let grants = |grants: &[AclGrant]| {
                    grants
                        .iter()
                        .map(AclGrant::describe)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let mut parts = Vec::new();
                if !remove.is_empty() {
                    parts.push(format!("remove grants {}", grants(remove)));
                }
                if !add.is_empty() {
                    parts.push(format!("add grants {}", grants(add)));
                }
                if parts.is_empty() {
                    "nothing to change".to_string()
                } else {
                    parts.join("; ")
                }
            }
            DataOperation::SetBucketBlock { block, .. }
            | DataOperation::SetAccountBlock { block, .. } => match block {
                Some(block) if block.all_on() => "block all public access".into(),
                Some(block) => format!("block public access with {} off", block.off().join(", ")),
                None => "remove the block configuration (every setting off)".into(),
            },
            DataOperation::ModifyDbSnapshotSharing { change, .. } => change.describe(),
            DataOperation::SetBucketVersioning { enabled: true, .. } => {
                "versioning on: an overwrite or delete keeps the old version".into()
            }
            DataOperation::SetBucketVersioning { enabled: false, .. } => {
                "versioning suspended".into()
            }
            DataOperation::SetDeletionProtection { enabled: true, .. } => {
                "deletion protection on".into()
            }
            DataOperation::SetDeletionProtection { enabled: false, .. } => {
                "deletion protection off".into()
            }
            DataOperation::SetDatabasePublic { public: false, .. } => {
                "PubliclyAccessible off: no public address".into()
            }
            DataOperation::SetDatabasePublic { public: true, .. } => {
                "PubliclyAccessible on: reachable from the internet".into()
            }
        }
    }

    /// Whether the operation changes the resource `id` of kind `resource`.
    pub fn touches(&self, resource: ResourceType, id: &str) -> bool {
        match (resource, self) {
            (
                ResourceType::Bucket,
                DataOperation::EditBucketPolicy { bucket, .. }
                | DataOperation::PutBucketPolicy { bucket, .. }
                | DataOperation::EditBucketAcl { bucket, .. }
                | DataOperation::SetBucketBlock { bucket, .. }
                | DataOperation::SetBucketVersioning { bucket, .. },
            ) => bucket == id,
            (ResourceType::Account, DataOperation::SetAccountBlock { account, .. }) => {
                account == id
            }
            (ResourceType::DbSnapshot, DataOperation::ModifyDbSnapshotSharing { snapshot, .. }) => {
                snapshot == id
            }
            (
                ResourceType::Database,
                DataOperation::SetDatabasePublic { database, .. }
                | DataOperation::SetDeletionProtection { database, .. },
            ) => database == id,
            _ => false,
        }
    }
}

/// Statements by their `Sid`, or `an unnamed statement`.
fn statement_names(statements: &[Value]) -> String {
    statements
        .iter()
        .map(|s| match s.get("Sid").and_then(Value::as_str) {
            Some(sid) if !sid.is_empty() => format!("statement {sid}"),
            _ => "an unnamed statement".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
