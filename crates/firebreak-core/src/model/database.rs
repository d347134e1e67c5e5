//! Databases: RDS DB instances and Aurora clusters with what keeps them private and their data
//! recoverable, and their manual snapshots with who may restore them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Sharing;

/// An RDS DB instance or an Aurora cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    Instance,
    Cluster,
}

impl DatabaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseKind::Instance => "DB instance",
            DatabaseKind::Cluster => "DB cluster",
        }
    }
}

/// A DB instance or an Aurora cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    pub region: String,
    /// The instance or cluster identifier.
    pub id: String,
    pub kind: DatabaseKind,
    pub engine: Option<String>,
    pub created: Option<DateTime<Utc>>,
    /// Reachable from the internet (an instance's `PubliclyAccessible`; a cluster's instances
    /// carry their own).
    pub public: bool,
    pub deletion_protection: bool,
    /// Days automated backups are kept; 0 is none.
    pub backup_retention: i32,
    pub encrypted: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// The cluster an instance belongs to: deletion protection and backups are the cluster's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// A manual DB or cluster snapshot owned by the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbSnapshot {
    pub region: String,
    pub id: String,
    /// Of a DB instance or of a cluster.
    pub kind: DatabaseKind,
    /// The instance or cluster it was taken of.
    pub source: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub encrypted: bool,
    /// Who may restore it (the `restore` attribute: `all` or account ids).
    pub sharing: Sharing,
}
