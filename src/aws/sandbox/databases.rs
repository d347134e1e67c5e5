//! A game day's databases: a small tagged DB instance with a manual snapshot, the snapshot
//! shared out, the instance made public — and found again by their tag to be removed (the
//! instance without a final snapshot, deletion protection off first).

use aws_sdk_rds::types::Tag;

use super::{GAMEDAY_TAG, Sandbox, ShareWith};
use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::rds::site;

/// A password for a drill database: never a secret anyone needs, never printed.
const DRILL_PASSWORD: &str = "firebreak-game-day-drill";

fn tag(run_id: &str) -> Tag {
    Tag::builder().key(GAMEDAY_TAG).value(run_id).build()
}

/// Creates a small tagged Postgres instance `name` in `region`, private and protected, and a
/// tagged manual snapshot of it named `NAME-final`; returns the snapshot's id.
pub async fn create_database(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    name: &str,
    run_id: &str,
) -> Result<String, AwsError> {
    let rds = ctx.for_changes().rds(region);
    site("CreateDBInstance", region)
        .run(
            rds.create_db_instance()
                .db_instance_identifier(name)
                .db_instance_class("db.t3.micro")
                .engine("postgres")
                .allocated_storage(20)
                .master_username("drill")
                .master_user_password(DRILL_PASSWORD)
                .publicly_accessible(false)
                .deletion_protection(true)
                .backup_retention_period(7)
                .storage_encrypted(true)
                .tags(tag(run_id))
                .send(),
        )
        .await?;
    let snapshot = format!("{name}-final");
    site("CreateDBSnapshot", region)
        .run(
            rds.create_db_snapshot()
                .db_instance_identifier(name)
                .db_snapshot_identifier(&snapshot)
                .tags(tag(run_id))
                .send(),
        )
        .await?;
    Ok(snapshot)
}

/// Adds `with` to who may restore the DB snapshot `snapshot`.
pub async fn share_db_snapshot(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    snapshot: &str,
    with: &ShareWith,
) -> Result<(), AwsError> {
    let value = match with {
        ShareWith::Public => "all".to_string(),
        ShareWith::Account(account) => account.clone(),
    };
    site("ModifyDBSnapshotAttribute", region)
        .run(
            ctx.for_changes()
                .rds(region)
                .modify_db_snapshot_attribute()
                .db_snapshot_identifier(snapshot)
                .attribute_name("restore")
                .values_to_add(value)
                .send(),
        )
        .await?;
    Ok(())
}

/// Makes the DB instance `name` reachable from the internet.
pub async fn make_database_public(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    name: &str,
) -> Result<(), AwsError> {
    site("ModifyDBInstance", region)
        .run(
            ctx.for_changes()
                .rds(region)
                .modify_db_instance()
                .db_instance_identifier(name)
                .publicly_accessible(true)
                .apply_immediately(true)
                .send(),
        )
        .await?;
    Ok(())
}

/// The DB instances and manual DB snapshots in `region` tagged with `run_id`.
pub async fn tagged_databases(
    ctx: &AwsContext,
    region: &str,
    run_id: &str,
) -> Result<(Vec<String>, Vec<String>), AwsError> {
    let rds = ctx.rds(region);
    let tagged = |tags: &[Tag]| {
        tags.iter()
            .any(|t| t.key() == Some(GAMEDAY_TAG) && t.value() == Some(run_id))
    };
    let instances = site("DescribeDBInstances", region)
        .run(rds.describe_db_instances().send())
        .await?;
    let instances = instances
        .db_instances()
        .iter()
        .filter(|i| tagged(i.tag_list()))
        .filter_map(|i| i.db_instance_identifier().map(str::to_string))
        .collect();
    let snapshots = site("DescribeDBSnapshots", region)
        .run(rds.describe_db_snapshots().snapshot_type("manual").send())
        .await?;
    let snapshots = snapshots
        .db_snapshots()
        .iter()
        .filter(|s| tagged(s.tag_list()))
        .filter_map(|s| s.db_snapshot_identifier().map(str::to_string))
        .collect();
    Ok((instances, snapshots))
}

/// Deletes the DB instance `name` without a final snapshot (its deletion protection off first).
pub async fn delete_database(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    name: &str,
) -> Result<(), AwsError> {
    let rds = ctx.for_changes().rds(region);
    site("ModifyDBInstance", region)
        .run(
            rds.modify_db_instance()
                .db_instance_identifier(name)
                .deletion_protection(false)
                .apply_immediately(true)
                .send(),
        )
        .await?;
    site("DeleteDBInstance", region)
        .run(
            rds.delete_db_instance()
                .db_instance_identifier(name)
                .skip_final_snapshot(true)
                .send(),
        )
        .await?;
    Ok(())
}

/// Deletes the manual DB snapshot `snapshot`.
pub async fn delete_db_snapshot(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    snapshot: &str,
) -> Result<(), AwsError> {
    site("DeleteDBSnapshot", region)
        .run(
            ctx.for_changes()
                .rds(region)
                .delete_db_snapshot()
                .db_snapshot_identifier(snapshot)
                .send(),
        )
        .await?;
    Ok(())
}
