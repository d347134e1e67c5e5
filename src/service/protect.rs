//! protect-data's targets and what it reads before planning: each bucket's versioning, what
//! protects each database from deletion (itself, or its cluster) — named ones, or with `all`
//! every bucket and database a scan finds.

use chrono::Utc;

use super::error::ServiceError;
use super::gather::{no_such, not_found_as_target, unread};
use super::session::{Session, scan_to_end};
use crate::aws::{rds, s3_state};
use firebreak_core::model::Identity;
use firebreak_core::playbook::guard::Guard;
use firebreak_core::playbook::plan::Plan;
use firebreak_core::playbook::protect_data::{self, GuardedBucket, GuardedDatabase};

/// What protect-data is asked to shield, by region and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataTargets {
    pub buckets: Vec<(String, String)>,
    /// DB instances or clusters (an instance of a cluster: its cluster).
    pub databases: Vec<(String, String)>,
    /// Every bucket and database a scan finds, besides those named.
    pub all: bool,
}

/// Reads each target's state and plans protect-data.
pub(super) async fn plan_protect_data(
    session: &Session,
    identity: &Identity,
    action_id: String,
    targets: &DataTargets,
    guard: &Guard,
) -> Result<Plan, ServiceError> {
    let mut buckets_named = targets.buckets.clone();
    let mut databases_named = targets.databases.clone();
    let mut missed = Vec::new();
    if targets.all {
        let scanned = scan_to_end(session).await?;
        missed = unread(&scanned.state);
        let inventory = &scanned.state.inventory;
        buckets_named.extend(
            inventory
                .buckets
                .iter()
                .map(|b| (b.region.clone(), b.name.clone())),
        );
        databases_named.extend(
            inventory
                .databases
                .iter()
                .filter(|d| d.cluster.is_none())
                .map(|d| (d.region.clone(), d.id.clone())),
        );
    }
    if buckets_named.is_empty() && databases_named.is_empty() {
        return Err(no_such(
            "name buckets (REGION/s3://NAME) or databases (REGION/db:ID), or pass --all"
                .to_string(),
        ));
    }
    buckets_named.sort();
    buckets_named.dedup();
    let mut buckets = Vec::new();
    for (region, name) in &buckets_named {
        let versioning = s3_state::bucket_versioning(&session.ctx, region, name)
            .await
            .map_err(|e| not_found_as_target(e, &format!("no bucket {name} in {region}")))?;
        buckets.push(GuardedBucket {
            region: region.clone(),
            name: name.clone(),
            versioning,
        });
    }
    let mut databases: Vec<GuardedDatabase> = Vec::new();
    for (region, id) in &databases_named {
        let (holder, kind, on) = rds::protection_holder(&session.ctx, region, id)
            .await?
            .ok_or_else(|| no_such(format!("no database {id} in {region}")))?;
        if databases
            .iter()
            .any(|d| d.region == *region && d.id == holder)
        {
            continue;
        }
        databases.push(GuardedDatabase {
            region: region.clone(),
            id: holder,
            kind,
            deletion_protection: on,
        });
    }
    let mut plan = protect_data::plan(
        action_id,
        identity.clone(),
        Utc::now(),
        &buckets,
        &databases,
        guard,
        session.ctx.partition(),
    );
    plan.unread = missed;
    Ok(plan)
}
