//! revert-sharing's targets and what it reads before planning: who may use each snapshot, AMI
//! and DB snapshot now, each function's resource policy and URL, each bucket's policy, ACL and
//! block, each database's public flag, the account's S3 block. Anything named that does not
//! exist is refused by name.

use std::collections::BTreeSet;

use chrono::Utc;

use super::error::ServiceError;
use super::gather::{block_states, no_such, not_found_as_target, unread};
use super::session::{Session, scan_to_end};
use crate::aws::{planning, rds, s3_state};
use firebreak_core::findings::Windows;
use firebreak_core::model::finding::{Finding, FindingKind, ResourceType};
use firebreak_core::model::{GLOBAL, Identity};
use firebreak_core::playbook::plan::Plan;
use firebreak_core::playbook::revert_sharing::{
    self, ExposedBucket, ExposedFunction, Exposure, PublicDatabase, SharedKind, SharedResource,
};
use firebreak_core::policy::function_statements;
use firebreak_core::policy::statements::allow_statements;

/// What kind of shared thing a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shared {
    Snapshot,
    Image,
    Function,
    Bucket,
    /// A manual DB or cluster snapshot.
    DbSnapshot,
    /// A DB instance, or a cluster (its instances).
    Database,
    /// The account's S3 Block Public Access.
    AccountBlock,
}

/// A thing to make private, by region and id (function: name; bucket: name; the account's
/// block: the account id, in the global region).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SharedTarget {
    pub kind: Shared,
    pub region: String,
    pub id: String,
}

/// How the command line names a bucket, a database and a DB snapshot.
const BUCKET_PREFIX: &str = "s3://";
const DATABASE_PREFIX: &str = "db:";
const DB_SNAPSHOT_PREFIX: &str = "db-snapshot:";

impl SharedTarget {
    /// What revert-sharing acts on for `finding`, when the finding is about who may reach it:
    /// public or shared snapshots, AMIs, DB snapshots, functions and buckets, a bucket's or the
    /// account's block turned off, a database reachable from the internet.
    pub fn of_finding(finding: &Finding) -> Option<Self> {
        let kind = match (finding.kind, finding.resource_type) {
            (FindingKind::PublicSnapshot | FindingKind::SharedSnapshot, ResourceType::Snapshot) => {
                Shared::Snapshot
            }
            (
                FindingKind::PublicSnapshot | FindingKind::SharedSnapshot,
                ResourceType::DbSnapshot,
            ) => Shared::DbSnapshot,
            (FindingKind::PublicImage | FindingKind::SharedImage, _) => Shared::Image,
            (FindingKind::PublicFunction, _) => Shared::Function,
            (FindingKind::PublicBucket | FindingKind::SharedBucket, _)
            | (FindingKind::PublicAccessBlockOff, ResourceType::Bucket) => Shared::Bucket,
            (FindingKind::PublicAccessBlockOff, ResourceType::Account) => Shared::AccountBlock,
            (FindingKind::PublicDatabase, _) => Shared::Database,
            _ => return None,
        };
        Some(SharedTarget {
            kind,
            region: finding.region.clone(),
            id: finding.resource_id.clone(),
        })
    }

    /// The target an id names in `region`: `snap-…` a snapshot, `ami-…` an image, `s3://NAME` a
    /// bucket, `db:ID` a DB instance or cluster, `db-snapshot:ID` a DB or cluster snapshot,
    /// anything else a function name.
    pub fn from_id(region: &str, id: &str) -> Self {
        let (kind, id) = if let Some(name) = id.strip_prefix(BUCKET_PREFIX) {
            (Shared::Bucket, name)
        } else if let Some(name) = id.strip_prefix(DB_SNAPSHOT_PREFIX) {
            (Shared::DbSnapshot, name)
        } else if let Some(name) = id.strip_prefix(DATABASE_PREFIX) {
            (Shared::Database, name)
        } else if id.starts_with("snap-") {
            (Shared::Snapshot, id)
        } else if id.starts_with("ami-") {
            (Shared::Image, id)
        } else {
            (Shared::Function, id)
        };
        SharedTarget {
            kind,
            region: region.to_string(),
            id: id.to_string(),
        }
    }

    /// Whether `id` is one [`SharedTarget::from_id`] reads: a prefixed name, or a snapshot,
    /// AMI or function name (letters, digits, `-`, `_`).
    pub fn valid_id(id: &str) -> bool {
        let name = |s: &str, extra: &[char]| {
            !s.is_empty()
                && s.len() <= 255
                && s.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '-' || c == '_' || extra.contains(&c)
                })
        };
        if let Some(bucket) = id.strip_prefix(BUCKET_PREFIX) {
            name(bucket, &['.'])
        } else if let Some(rest) = id
            .strip_prefix(DB_SNAPSHOT_PREFIX)
            .or_else(|| id.strip_prefix(DATABASE_PREFIX))
        {
            name(rest, &[])
        } else {
            id.len() <= 140 && name(id, &[])
        }
    }
}

/// Reads what each target's revert needs, and plans it.
pub(super) async fn plan_revert_sharing(
    session: &Session,
    identity: &Identity,
    action_id: String,
    targets: &[SharedTarget],
    public: bool,
    block_public_access: bool,
) -> Result<Plan, ServiceError> {
    if targets.is_empty() && !public {
        return Err(no_such(
            "name snapshots, AMIs, functions, buckets or databases as REGION/ID, or pass --public"
                .to_string(),
        ));
    }
    let baseline = session.baseline(identity)?;
    let mut wanted: BTreeSet<SharedTarget> = targets.iter().cloned().collect();
    let mut missed = Vec::new();
    if public {
        let scanned = scan_to_end(session).await?;
        missed = unread(&scanned.state);
        let findings = session.findings(&scanned.state, identity, Windows::default())?;
        wanted.extend(findings.iter().filter_map(SharedTarget::of_finding));
    }
    let mut exposure = Exposure::default();
    let mut account_block = false;
    for target in &wanted {
        let (region, id) = (target.region.as_str(), target.id.as_str());
        let missing = format!("no {} {id} in {region}", shared_word(target.kind));
        let ctx = &session.ctx;
        match target.kind {
            Shared::Snapshot | Shared::Image => {
                let (kind, sharing) = if target.kind == Shared::Snapshot {
                    (
                        SharedKind::Snapshot,
                        planning::snapshot_sharing(ctx, region, id).await,
                    )
                } else {
                    (
                        SharedKind::Image,
                        planning::image_sharing(ctx, region, id).await,
                    )
                };
                exposure.resources.push(SharedResource {
                    kind,
                    region: region.to_string(),
                    id: id.to_string(),
                    sharing: sharing.map_err(|e| not_found_as_target(e, &missing))?,
                });
            }
            Shared::DbSnapshot => {
                let kind = rds::snapshot_kind(ctx, region, id)
                    .await?
                    .ok_or_else(|| no_such(missing.clone()))?;
                exposure.resources.push(SharedResource {
                    kind: SharedKind::DbSnapshot(kind),
                    region: region.to_string(),
                    id: id.to_string(),
                    sharing: rds::db_snapshot_sharing(ctx, region, id, kind).await?,
                });
            }
            Shared::Function => {
                exposure
                    .functions
                    .extend(exposed_function(session, region, id, &missing).await?);
            }
            Shared::Bucket => {
                let settings = baseline.as_ref().and_then(|b| b.bucket(region, id));
                let access = s3_state::bucket_access(ctx, region, id)
                    .await
                    .map_err(|e| not_found_as_target(e, &missing))?;
                let acl = access.acl;
                exposure.buckets.push(ExposedBucket {
                    region: region.to_string(),
                    name: id.to_string(),
                    policy: access.policy,
                    known_grantees: match (&baseline, settings) {
                        (Some(_), Some(settings)) => settings.grantees.clone(),
                        (Some(_), None) => BTreeSet::new(),
                        // Without a baseline no account can be judged: every grantee stays.
                        (None, _) => acl
                            .grants
                            .iter()
                            .map(|g| g.grantee.name().to_string())
                            .collect(),
                    },
                    owner: acl.owner,
                    acl: acl.grants,
                    block: access.block,
                    block_on: settings.is_none_or(|s| s.blocked),
                });
                account_block |= block_public_access;
            }
            Shared::Database => {
                exposure
                    .databases
                    .extend(public_instances(session, region, id, &missing).await?);
            }
            Shared::AccountBlock => account_block = true,
        }
    }
    if account_block {
        exposure.account_block = Some(s3_state::account_block(&session.ctx, &identity.id).await?);
    }
    // Without a baseline no account can be judged: keep every account, remove only `all`.
    let trusted: BTreeSet<String> = match &baseline {
        Some(b) => b.trusted_accounts.clone(),
        None => every_account(&exposure),
    };
    let regions: Vec<String> = if block_public_access {
        exposure
            .resources
            .iter()
            .filter(|r| matches!(r.kind, SharedKind::Snapshot | SharedKind::Image))
            .map(|r| r.region.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|r| r != GLOBAL)
            .collect()
    } else {
        Vec::new()
    };
    let block = block_states(session, &regions).await;
    let mut plan = revert_sharing::plan(
        action_id,
        identity.clone(),
        Utc::now(),
        &exposure,
        &trusted,
        &block,
    );
    if baseline.is_none() {
        plan.notes.push(
            "no baseline: shares with other accounts are kept, only public access is removed"
                .to_string(),
        );
    }
    plan.unread = missed;
    Ok(plan)
}

/// The function `name` and every alias or version with a policy or URL of its own.
async fn exposed_function(
    session: &Session,
    region: &str,
    name: &str,
    missing: &str,
) -> Result<Vec<ExposedFunction>, ServiceError> {
    let ctx = &session.ctx;
    if !planning::function_exists(ctx, region, name).await? {
        return Err(no_such(missing.to_string()));
    }
    let aliases = planning::function_qualifiers(ctx, region, name).await?;
    let mut found = Vec::new();
    for qualifier in std::iter::once(None).chain(aliases.into_iter().map(Some)) {
        let alias = qualifier.as_deref();
        let policy = planning::function_policy(ctx, region, name, alias).await?;
        let url_auth = planning::function_url_auth(ctx, region, name, alias).await?;
        if alias.is_some() && policy.is_none() && url_auth.is_none() {
            continue;
        }
        let statements = match policy {
            Some(document) => function_statements(&document)
                .map_err(|e| no_such(format!("the resource policy of {name} in {region}: {e}")))?,
            None => Vec::new(),
        };
        found.push(ExposedFunction {
            region: region.to_string(),
            name: name.to_string(),
            qualifier,
            statements,
            url_auth,
        });
    }
    Ok(found)
}

/// The DB instance `id`, or the instances of the cluster `id`, that are reachable from the
/// internet now.
async fn public_instances(
    session: &Session,
    region: &str,
    id: &str,
    missing: &str,
) -> Result<Vec<PublicDatabase>, ServiceError> {
    let ctx = &session.ctx;
    let instances = match rds::instance_public(ctx, region, id).await? {
        Some(public) => vec![(id.to_string(), public)],
        None => {
            let members = rds::cluster_members(ctx, region, id)
                .await?
                .ok_or_else(|| no_such(missing.to_string()))?;
            let mut read = Vec::new();
            for member in members {
                if let Some(public) = rds::instance_public(ctx, region, &member).await? {
                    read.push((member, public));
                }
            }
            read
        }
    };
    Ok(instances
        .into_iter()
        .filter(|(_, public)| *public)
        .map(|(id, _)| PublicDatabase {
            region: region.to_string(),
            id,
        })
        .collect())
}

/// Every account the exposure lets in: without a baseline, all are kept.
fn every_account(exposure: &Exposure) -> BTreeSet<String> {
    let shares = exposure
        .resources
        .iter()
        .flat_map(|r| r.sharing.accounts.iter().cloned());
    let functions = exposure
        .functions
        .iter()
        .flat_map(|f| &f.statements)
        .flat_map(|s| s.principals.accounts.iter().cloned());
    let buckets = exposure
        .buckets
        .iter()
        .filter_map(|b| b.policy.as_deref())
        .filter_map(|document| allow_statements(document).ok())
        .flatten()
        .flat_map(|s| s.principals.accounts);
    shares.chain(functions).chain(buckets).collect()
}

fn shared_word(kind: Shared) -> &'static str {
    match kind {
        Shared::Snapshot => "snapshot",
        Shared::Image => "image",
        Shared::Function => "function",
        Shared::Bucket => "bucket",
        Shared::DbSnapshot => "DB snapshot",
        Shared::Database => "database",
        Shared::AccountBlock => "account",
    }
}
