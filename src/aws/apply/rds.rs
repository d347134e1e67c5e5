//! RDS: who may restore a manual DB or cluster snapshot, and whether a database is reachable
//! from the internet (applied immediately, not at the next maintenance window).

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::rds::{database_protection, instance_public, restore_sharing, site};
use firebreak_core::model::database::DatabaseKind;
use firebreak_core::model::operation::{DataOperation, Operation};

/// The attribute that lists who may restore a snapshot.
const RESTORE: &str = "restore";

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
    let client = ctx.rds(region);
    Ok(Some(match operation {
        DataOperation::ModifyDbSnapshotSharing {
            snapshot,
            kind,
            change,
        } => change
            .still_needed(&restore_sharing(&client, region, snapshot, *kind).await?)
            .is_empty(),
        DataOperation::SetDatabasePublic { database, public } => {
            publicly_accessible(ctx, region, database).await? == *public
        }
        DataOperation::SetDeletionProtection {
            database,
            kind,
            enabled,
        } => deletion_protection(ctx, region, database, *kind).await? == *enabled,
        _ => return Ok(None),
    }))
}

/// Sends the calls that make `operation`, for this service's operations (`None` for another's):
/// the inverse of the delta sent where it depends on the state just before.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    let Operation::Data(operation) = operation else {
        return Ok(None);
    };
    let client = ctx.rds(region);
    let inverse = match operation {
        DataOperation::ModifyDbSnapshotSharing {
            snapshot,
            kind,
            change,
        } => {
            let needed =
                change.still_needed(&restore_sharing(&client, region, snapshot, *kind).await?);
            let mut remove: Vec<String> = needed.remove_accounts.clone();
            if needed.remove_public {
                remove.push("all".into());
            }
            let mut add: Vec<String> = needed.add_accounts.clone();
            if needed.add_public {
                add.push("all".into());
            }
            let (remove, add) = (
                (!remove.is_empty()).then_some(remove),
                (!add.is_empty()).then_some(add),
            );
            match kind {
                DatabaseKind::Instance => {
                    site("ModifyDBSnapshotAttribute", region)
                        .run(
                            client
                                .modify_db_snapshot_attribute()
                                .db_snapshot_identifier(snapshot)
                                .attribute_name(RESTORE)
                                .set_values_to_remove(remove)
                                .set_values_to_add(add)
                                .send(),
                        )
                        .await?;
                }
                DatabaseKind::Cluster => {
                    site("ModifyDBClusterSnapshotAttribute", region)
                        .run(
                            client
                                .modify_db_cluster_snapshot_attribute()
                                .db_cluster_snapshot_identifier(snapshot)
                                .attribute_name(RESTORE)
                                .set_values_to_remove(remove)
                                .set_values_to_add(add)
                                .send(),
                        )
                        .await?;
                }
            }
            Some(Operation::Data(DataOperation::ModifyDbSnapshotSharing {
                snapshot: snapshot.clone(),
                kind: *kind,
                change: needed.inverse(),
            }))
        }
        DataOperation::SetDatabasePublic { database, public } => {
            site("ModifyDBInstance", region)
                .run(
                    client
                        .modify_db_instance()
                        .db_instance_identifier(database)
                        .publicly_accessible(*public)
                        .apply_immediately(true)
                        .send(),
                )
                .await?;
            None
        }
        DataOperation::SetDeletionProtection {
            database,
            kind: DatabaseKind::Instance,
            enabled,
        } => {
            site("ModifyDBInstance", region)
                .run(
                    client
                        .modify_db_instance()
                        .db_instance_identifier(database)
                        .deletion_protection(*enabled)
                        .apply_immediately(true)
                        .send(),
                )
                .await?;
            None
        }
        DataOperation::SetDeletionProtection {
            database,
            kind: DatabaseKind::Cluster,
            enabled,
        } => {
            site("ModifyDBCluster", region)
                .run(
                    client
                        .modify_db_cluster()
                        .db_cluster_identifier(database)
                        .deletion_protection(*enabled)
                        .apply_immediately(true)
                        .send(),
                )
                .await?;
            None
        }
        _ => return Ok(None),
    };
    Ok(Some(inverse))
}

/// Whether the DB instance is reachable from the internet now; an instance that is gone is an
/// error naming it (AWS's own not-found code).
async fn publicly_accessible(
    ctx: &AwsContext,
    region: &str,
    database: &str,
) -> Result<bool, AwsError> {
    instance_public(ctx, region, database)
        .await?
        .ok_or_else(|| gone(region, database, DatabaseKind::Instance))
}

/// Whether the instance or cluster is protected from deletion now; one that is gone is an error
/// naming it.
async fn deletion_protection(
    ctx: &AwsContext,
    region: &str,
    database: &str,
    kind: DatabaseKind,
) -> Result<bool, AwsError> {
    database_protection(ctx, region, database, kind)
        .await?
        .ok_or_else(|| gone(region, database, kind))
}

/// The error for a database that is not there, with AWS's own not-found code.
fn gone(region: &str, database: &str, kind: DatabaseKind) -> AwsError {
    let (code, operation) = match kind {
        DatabaseKind::Instance => ("DBInstanceNotFound", "DescribeDBInstances"),
        DatabaseKind::Cluster => ("DBClusterNotFoundFault", "DescribeDBClusters"),
    };
    AwsError {
        code: code.into(),
        message: format!("no {} {database}", kind.as_str()),
        ..site(operation, region).local_error()
    }
}
