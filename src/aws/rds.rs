//! RDS inventory for one region: DB instances and Aurora clusters (public or not, deletion
//! protection, backup retention, encryption, security groups), and the account's manual DB and
//! cluster snapshots with who may restore each, confirmed from its `restore` attribute. A
//! snapshot whose attribute cannot be read is kept (its sharing unknown, a problem says so);
//! one deleted since the listing is left out.

use futures::{StreamExt, stream};

use super::context::AwsContext;
use super::error::{AwsError, CallSite, keep};
use super::pace::Api;
use super::to_utc;
use firebreak_core::model::Sharing;
use firebreak_core::model::database::{Database, DatabaseKind, DbSnapshot};
use firebreak_core::model::finding::ResourceType;

/// The most records one RDS Describe page returns.
const PAGE_SIZE: i32 = 100;

pub(crate) fn site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "rds",
        operation,
        region,
    }
}

/// The DB instances and clusters in `region`; `Err` when either listing failed.
pub async fn databases(ctx: &AwsContext, region: &str) -> Result<Vec<Database>, AwsError> {
    let client = ctx.rds(region);
    let (instances, clusters) = tokio::join!(
        client
            .describe_db_instances()
            .max_records(PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>(),
        client
            .describe_db_clusters()
            .max_records(PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>(),
    );
    let groups = |memberships: &[aws_sdk_rds::types::VpcSecurityGroupMembership]| {
        memberships
            .iter()
            .filter_map(|m| m.vpc_security_group_id().map(str::to_string))
            .collect()
    };
    let mut found = Vec::new();
    for instance in instances {
        let instance = instance.map_err(|e| site("DescribeDBInstances", region).error(e))?;
        let Some(id) = instance.db_instance_identifier() else {
            continue;
        };
        found.push(Database {
            region: region.to_string(),
            id: id.to_string(),
            kind: DatabaseKind::Instance,
            engine: instance.engine().map(str::to_string),
            created: instance.instance_create_time().map(to_utc),
            public: instance.publicly_accessible().unwrap_or(false),
            deletion_protection: instance.deletion_protection().unwrap_or(false),
            backup_retention: instance.backup_retention_period().unwrap_or(0),
            encrypted: instance.storage_encrypted().unwrap_or(false),
            security_groups: groups(instance.vpc_security_groups()),
            cluster: instance.db_cluster_identifier().map(str::to_string),
        });
    }
    for cluster in clusters {
        let cluster = cluster.map_err(|e| site("DescribeDBClusters", region).error(e))?;
        let Some(id) = cluster.db_cluster_identifier() else {
            continue;
        };
        found.push(Database {
            region: region.to_string(),
            id: id.to_string(),
            kind: DatabaseKind::Cluster,
            engine: cluster.engine().map(str::to_string),
            created: cluster.cluster_create_time().map(to_utc),
            public: cluster.publicly_accessible().unwrap_or(false),
            deletion_protection: cluster.deletion_protection().unwrap_or(false),
            backup_retention: cluster.backup_retention_period().unwrap_or(0),
            encrypted: cluster.storage_encrypted().unwrap_or(false),
            security_groups: groups(cluster.vpc_security_groups()),
            cluster: None,
        });
    }
    Ok(found)
}

/// A snapshot as listed, before its sharing is read.
struct Listed {
    id: String,
    kind: DatabaseKind,
    source: Option<String>,
    created: Option<chrono::DateTime<chrono::Utc>>,
    encrypted: bool,
}

/// The manual DB and cluster snapshots in `region`, each with who may restore it; `Err` when
/// a listing failed.
pub async fn snapshots(
    ctx: &AwsContext,
    region: &str,
    concurrency: usize,
) -> Result<(Vec<DbSnapshot>, Vec<AwsError>), AwsError> {
    let client = ctx.rds(region);
    let (instance_snapshots, cluster_snapshots) = tokio::join!(
        client
            .describe_db_snapshots()
            .snapshot_type("manual")
            .max_records(PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>(),
        client
            .describe_db_cluster_snapshots()
            .snapshot_type("manual")
            .max_records(PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>(),
    );
    let mut listed = Vec::new();
    for snapshot in instance_snapshots {
        let snapshot = snapshot.map_err(|e| site("DescribeDBSnapshots", region).error(e))?;
        if let Some(id) = snapshot.db_snapshot_identifier() {
            listed.push(Listed {
                id: id.to_string(),
                kind: DatabaseKind::Instance,
                source: snapshot.db_instance_identifier().map(str::to_string),
                created: snapshot.snapshot_create_time().map(to_utc),
                encrypted: snapshot.encrypted().unwrap_or(false),
            });
        }
    }
    for snapshot in cluster_snapshots {
        let snapshot = snapshot.map_err(|e| site("DescribeDBClusterSnapshots", region).error(e))?;
        if let Some(id) = snapshot.db_cluster_snapshot_identifier() {
            listed.push(Listed {
                id: id.to_string(),
                kind: DatabaseKind::Cluster,
                source: snapshot.db_cluster_identifier().map(str::to_string),
                created: snapshot.snapshot_create_time().map(to_utc),
                encrypted: snapshot.storage_encrypted().unwrap_or(false),
            });
        }
    }
    let read: Vec<Option<(DbSnapshot, Option<AwsError>)>> = stream::iter(listed)
        .map(|listed| {
            let client = &client;
            async move {
                ctx.pace(Api::RdsDescribe, region).await;
                let restore = restore_sharing(client, region, &listed.id, listed.kind).await;
                let (sharing, problem) = match restore {
                    Ok(sharing) => (sharing, None),
                    // Deleted since the listing: DBSnapshotNotFound,
                    // DBClusterSnapshotNotFoundFault.
                    Err(error) if error.code.contains("SnapshotNotFound") => return None,
                    Err(error) => (
                        Sharing::default(),
                        Some(error.about(ResourceType::DbSnapshot, &listed.id)),
                    ),
                };
                Some((
                    DbSnapshot {
                        region: region.to_string(),
                        id: listed.id,
                        kind: listed.kind,
                        source: listed.source,
                        created: listed.created,
                        encrypted: listed.encrypted,
                        sharing,
                    },
                    problem,
                ))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    Ok(read
        .into_iter()
        .flatten()
        .fold((Vec::new(), Vec::new()), keep))
}

/// Who may restore `snapshot`: its `restore` attribute (`all`, or account ids).
pub(crate) async fn restore_sharing(
    client: &aws_sdk_rds::Client,
    region: &str,
    snapshot: &str,
    kind: DatabaseKind,
) -> Result<Sharing, AwsError> {
    let values: Vec<String> = match kind {
        DatabaseKind::Instance => restore_values(
            site("DescribeDBSnapshotAttributes", region)
                .run(
                    client
                        .describe_db_snapshot_attributes()
                        .db_snapshot_identifier(snapshot)
                        .send(),
                )
                .await?
                .db_snapshot_attributes_result()
                .map(|r| r.db_snapshot_attributes())
                .unwrap_or_default()
                .iter()
                .map(|a| (a.attribute_name(), a.attribute_values())),
        ),
        DatabaseKind::Cluster => restore_values(
            site("DescribeDBClusterSnapshotAttributes", region)
                .run(
                    client
                        .describe_db_cluster_snapshot_attributes()
                        .db_cluster_snapshot_identifier(snapshot)
                        .send(),
                )
                .await?
                .db_cluster_snapshot_attributes_result()
                .map(|r| r.db_cluster_snapshot_attributes())
                .unwrap_or_default()
                .iter()
                .map(|a| (a.attribute_name(), a.attribute_values())),
        ),
    };
    Ok(Sharing {
        public: values.iter().any(|v| v == "all"),
        accounts: values.into_iter().filter(|v| v != "all").collect(),
        organizations: Default::default(),
    })
}

/// The values of the `restore` attribute among a snapshot's (name, values) attributes.
fn restore_values<'a>(
    attributes: impl Iterator<Item = (Option<&'a str>, &'a [String])>,
) -> Vec<String> {
    attributes
        .filter(|(name, _)| *name == Some("restore"))
        .flat_map(|(_, values)| values.iter().cloned())
        .collect()
}

/// Who may restore the DB or cluster snapshot `snapshot` now (planning's read).
pub(crate) async fn db_snapshot_sharing(
    ctx: &AwsContext,
    region: &str,
    snapshot: &str,
    kind: DatabaseKind,
) -> Result<Sharing, AwsError> {
    restore_sharing(&ctx.rds(region), region, snapshot, kind).await
}

/// Whether a manual snapshot named `id` is of an instance or of a cluster; `None` when there is
/// neither.
pub(crate) async fn snapshot_kind(
    ctx: &AwsContext,
    region: &str,
    id: &str,
) -> Result<Option<DatabaseKind>, AwsError> {
    let client = ctx.rds(region);
    let instance = site("DescribeDBSnapshots", region)
        .optional(
            "DBSnapshotNotFound",
            client
                .describe_db_snapshots()
                .db_snapshot_identifier(id)
                .send(),
        )
        .await?;
    if instance.is_some_and(|out| !out.db_snapshots().is_empty()) {
        return Ok(Some(DatabaseKind::Instance));
    }
    let cluster = site("DescribeDBClusterSnapshots", region)
        .optional(
            "DBClusterSnapshotNotFoundFault",
            client
                .describe_db_cluster_snapshots()
                .db_cluster_snapshot_identifier(id)
                .send(),
        )
        .await?;
    Ok(cluster
        .is_some_and(|out| !out.db_cluster_snapshots().is_empty())
        .then_some(DatabaseKind::Cluster))
}

/// The DB instance `id` as RDS describes it; `None` when there is no such instance.
async fn one_instance(
    client: &aws_sdk_rds::Client,
    region: &str,
    id: &str,
) -> Result<Option<aws_sdk_rds::types::DbInstance>, AwsError> {
    let out = site("DescribeDBInstances", region)
        .optional(
            "DBInstanceNotFound",
            client
                .describe_db_instances()
                .db_instance_identifier(id)
                .send(),
        )
        .await?;
    Ok(out.and_then(|out| out.db_instances().first().cloned()))
}

/// The cluster `id` as RDS describes it; `None` when there is no such cluster.
async fn one_cluster(
    client: &aws_sdk_rds::Client,
    region: &str,
    id: &str,
) -> Result<Option<aws_sdk_rds::types::DbCluster>, AwsError> {
    let out = site("DescribeDBClusters", region)
        .optional(
            "DBClusterNotFoundFault",
            client
                .describe_db_clusters()
                .db_cluster_identifier(id)
                .send(),
        )
        .await?;
    Ok(out.and_then(|out| out.db_clusters().first().cloned()))
}

/// Whether the DB instance `id` is reachable from the internet now; `None` when there is no
/// such instance.
pub(crate) async fn instance_public(
    ctx: &AwsContext,
    region: &str,
    id: &str,
) -> Result<Option<bool>, AwsError> {
    Ok(one_instance(&ctx.rds(region), region, id)
        .await?
        .map(|found| found.publicly_accessible().unwrap_or(false)))
}

/// The DB instances of the cluster `id`; `None` when there is no such cluster.
pub(crate) async fn cluster_members(
    ctx: &AwsContext,
    region: &str,
    id: &str,
) -> Result<Option<Vec<String>>, AwsError> {
    Ok(one_cluster(&ctx.rds(region), region, id)
        .await?
        .map(|cluster| {
            cluster
                .db_cluster_members()
                .iter()
                .filter_map(|m| m.db_instance_identifier().map(str::to_string))
                .collect()
        }))
}

/// Whether the instance or cluster `id` is protected from deletion now; `None` when there is no
/// such database.
pub(crate) async fn database_protection(
    ctx: &AwsContext,
    region: &str,
    id: &str,
    kind: DatabaseKind,
) -> Result<Option<bool>, AwsError> {
    let client = &ctx.rds(region);
    Ok(match kind {
        DatabaseKind::Instance => one_instance(client, region, id)
            .await?
            .map(|d| d.deletion_protection().unwrap_or(false)),
        DatabaseKind::Cluster => one_cluster(client, region, id)
            .await?
            .map(|d| d.deletion_protection().unwrap_or(false)),
    })
}

/// What protects the database `id` from deletion: itself, or for an instance of a cluster, its
/// cluster (deletion protection is the cluster's) — with its kind and whether protection is on
/// now; `None` when there is no such instance or cluster.
pub(crate) async fn protection_holder(
    ctx: &AwsContext,
    region: &str,
    id: &str,
) -> Result<Option<(String, DatabaseKind, bool)>, AwsError> {
    let cluster = match one_instance(&ctx.rds(region), region, id).await? {
        Some(found) => match found.db_cluster_identifier() {
            Some(cluster) => cluster.to_string(),
            None => {
                return Ok(Some((
                    id.to_string(),
                    DatabaseKind::Instance,
                    found.deletion_protection().unwrap_or(false),
                )));
            }
        },
        None => id.to_string(),
    };
    Ok(
        database_protection(ctx, region, &cluster, DatabaseKind::Cluster)
            .await?
            .map(|on| (cluster, DatabaseKind::Cluster, on)),
    )
}
