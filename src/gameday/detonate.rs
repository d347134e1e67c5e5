//! Detonation: a blueprint's steps sent through the SDK — the estate's with the responder's
//! credentials, the attacker's with the keys the scenario names — each recorded in the run record
//! as it returns. What the attacker steps leave becomes the run's indicators.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::blueprint::{Act, Blueprint, Placed, Planned};
use super::indicator::{Exposure, Indicator, Threat};
use super::record::{Damage, RecordError, RunRecord, StepDone};
use super::scenario::Party;
use crate::aws::sandbox::{self, AccessKey, Sandbox, ShareWith};
use crate::aws::{AwsContext, AwsError};
use firebreak_core::model::finding::{FindingKind, finding_id};

/// Why a detonation stopped.
#[derive(Debug, thiserror::Error)]
pub enum DetonateError {
    #[error("step '{step}': {error}")]
    Aws { step: String, error: Box<AwsError> },
    #[error("step '{step}': {message}")]
    Step { step: String, message: String },
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// How often an attacker's step refused for want of permission is sent again (2 s apart) while
/// its new key's policy propagates.
const POLICY_PROPAGATION_TRIES: u32 = 15;

/// What one step made, for the steps that refer to it.
#[derive(Debug, Default)]
struct Made {
    /// User names and the ids of their keys.
    users: Vec<(String, Vec<String>)>,
    /// Role name and ARN.
    role: Option<(String, String)>,
    functions: Vec<Placed>,
    /// Region, id and description.
    snapshots: Vec<(String, String, String)>,
    /// Region and id.
    image: Option<(String, String)>,
    /// Region and the name the bucket was made with.
    buckets: Vec<(String, String)>,
    /// Region, DB instance and its manual snapshot.
    database: Option<(String, String, String)>,
}

/// Runs a blueprint's steps and keeps the run record current.
pub struct Detonator<'a> {
    ctx: &'a AwsContext,
    pass: &'a Sandbox,
    data_dir: &'a Path,
    record: RunRecord,
    made: BTreeMap<String, Made>,
    /// The first access key of each create-users step that made keys: the attacker's.
    keys: BTreeMap<String, AccessKey>,
    /// Told one line per step as it returns.
    progress: &'a (dyn Fn(&str) + Sync),
}

impl<'a> Detonator<'a> {
    /// Starts a run: writes its record before any call is sent.
    pub fn start(
        ctx: &'a AwsContext,
        pass: &'a Sandbox,
        data_dir: &'a Path,
        record: RunRecord,
        progress: &'a (dyn Fn(&str) + Sync),
    ) -> Result<Self, DetonateError> {
        record.save(data_dir)?;
        Ok(Detonator {
            ctx,
            pass,
            data_dir,
            record,
            made: BTreeMap::new(),
            keys: BTreeMap::new(),
            progress,
        })
    }

    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    /// Hands the record back (when the run is over or has failed).
    pub fn into_record(self) -> RunRecord {
        self.record
    }

    /// The estate's steps.
    pub async fn estate(&mut self) -> Result<(), DetonateError> {
        let steps: Vec<Planned> = self
            .record
            .blueprint
            .steps
            .iter()
            .filter(|s| !s.attack)
            .cloned()
            .collect();
        for step in &steps {
            self.run(step).await?;
        }
        Ok(())
    }

    /// The attacker's steps; the clock starts at the first and stops at the last. Sets the
    /// run's indicators and damage.
    pub async fn attack(&mut self) -> Result<(), DetonateError> {
        let steps: Vec<Planned> = self
            .record
            .blueprint
            .steps
            .iter()
            .filter(|s| s.attack)
            .cloned()
            .collect();
        self.record.attack_started = Some(Utc::now());
        self.record.save(self.data_dir)?;
        for step in &steps {
            self.run(step).await?;
            if let Some(indicator) = self.indicator(step) {
                self.record.indicators.push(indicator);
            }
        }
        self.record.detonated = Some(Utc::now());
        self.record.save(self.data_dir)?;
        Ok(())
    }

    /// The context a step calls with: the attacker's keys, or the responder's.
    async fn caller(&self, step: &Planned) -> Result<AwsContext, DetonateError> {
        let Some(actor) = &step.actor else {
            return Ok(self.ctx.clone());
        };
        let key = self.keys.get(actor).ok_or_else(|| DetonateError::Step {
            step: step.id.clone(),
            message: format!("step '{actor}' made no access key to act with"),
        })?;
        let attacker = self.ctx.as_key(key);
        // A new key takes a few seconds to work on AWS (at once on an emulator).
        let mut tries = 0;
        loop {
            match attacker.identity().await {
                Ok(_) => return Ok(attacker),
                Err(error) if tries < 30 && error.is_credentials_problem() => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    return Err(DetonateError::Aws {
                        step: step.id.clone(),
                        error: Box::new(error),
                    });
                }
            }
        }
    }

    async fn run(&mut self, step: &Planned) -> Result<(), DetonateError> {
        let ctx = self.caller(step).await?;
        // On AWS a new key authenticates before the policy attached to its user is in force:
        // the attacker's first calls are refused for a few seconds. A refused call made
        // nothing, so the step is sent again (never on an emulator, which answers at once).
        let mut tries = 1;
        let sent = loop {
            match self.send(&ctx, step).await {
                Err(Sent::Aws(error))
                    if step.actor.is_some()
                        && !self.ctx.emulated()
                        && error.missing_permission().is_some()
                        && tries < POLICY_PROPAGATION_TRIES =>
                {
                    tries += 1;
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                other => break other,
            }
        };
        let (made, what) = sent.map_err(|error| match error {
            Sent::Aws(error) => DetonateError::Aws {
                step: step.id.clone(),
                error,
            },
            Sent::Missing(message) => DetonateError::Step {
                step: step.id.clone(),
                message,
            },
        })?;
        let who = match &step.actor {
            Some(actor) => format!(" (as {})", self.user_of(actor)),
            None => String::new(),
        };
        let line = format!("{}{who}", what);
        (self.progress)(&line);
        self.made.insert(step.id.clone(), made);
        self.record.steps.push(StepDone {
            id: step.id.clone(),
            at: Utc::now(),
            what: line,
        });
        self.record.save(self.data_dir)?;
        Ok(())
    }

    fn user_of(&self, step: &str) -> String {
        self.made
            .get(step)
            .and_then(|m| m.users.first())
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| step.to_string())
    }

    fn made(&self, step: &str) -> Result<&Made, Sent> {
        self.made
            .get(step)
            .ok_or_else(|| Sent::Missing(format!("step '{step}' has not run")))
    }

    /// The database a create-database step made: region, instance, snapshot.
    fn database_of(&self, step: &str) -> Result<(String, String, String), Sent> {
        self.made(step)?
            .database
            .clone()
            .ok_or_else(|| Sent::Missing(format!("step '{step}' made no database")))
    }

    fn share_with(&self, party: Party) -> ShareWith {
        match self.record.blueprint.account(party) {
            Some(account) => ShareWith::Account(account.to_string()),
            None => ShareWith::Public,
        }
    }

    async fn send(&mut self, ctx: &AwsContext, step: &Planned) -> Result<(Made, String), Sent> {
        let pass = self.pass;
        let run_id = self.record.run_id.clone();
        let blueprint = &self.record.blueprint;
        let mut made = Made::default();
        let what = match &step.act {
            Act::CreateUsers {
                names,
                admin,
                keys,
                console,
            } => {
                for name in names {
                    sandbox::create_user(ctx, pass, name, &run_id).await?;
                    if *admin {
                        sandbox::attach_admin(ctx, pass, name, false).await?;
                    }
                    if *console {
                        sandbox::create_login_profile(ctx, pass, name).await?;
                    }
                    let mut ids = Vec::new();
                    for _ in 0..*keys {
                        let key = sandbox::create_access_key(ctx, pass, name).await?;
                        ids.push(key.id.clone());
                        if made.users.is_empty() && ids.len() == 1 {
                            self.keys.insert(step.id.clone(), key);
                        }
                    }
                    made.users.push((name.clone(), ids));
                }
                format!(
                    "created user{} {}{}{}{}",
                    if names.len() == 1 { "" } else { "s" },
                    names.join(", "),
                    if *keys > 0 {
                        format!(
                            " with {keys} access key{}{}",
                            if *keys == 1 { "" } else { "s" },
                            if names.len() > 1 { " each" } else { "" }
                        )
                    } else {
                        String::new()
                    },
                    if *console { ", a console password" } else { "" },
                    if *admin { " (administrator)" } else { "" },
                )
            }
            Act::CreateRole { name, trust, admin } => {
                let document = trust_document(blueprint, *trust);
                let arn = sandbox::create_role(ctx, pass, name, &document, &run_id).await?;
                if *admin {
                    sandbox::attach_admin(ctx, pass, name, true).await?;
                }
                made.role = Some((name.clone(), arn));
                format!(
                    "created role {name} trusting {}{}",
                    party_label(blueprint, *trust),
                    if *admin { " (administrator)" } else { "" }
                )
            }
            Act::CreateFunctions { functions, role } => {
                let role_arn = self
                    .made(role)?
                    .role
                    .as_ref()
                    .map(|(_, arn)| arn.clone())
                    .unwrap_or_default();
                let sent = futures::future::join_all(functions.iter().map(|f| {
                    sandbox::create_function(ctx, pass, &f.region, &f.name, &role_arn, &run_id)
                }))
                .await;
                for result in sent {
                    result?;
                }
                made.functions = functions.clone();
                let mut regions: Vec<&str> = functions.iter().map(|f| f.region.as_str()).collect();
                regions.dedup();
                format!(
                    "created {} function{} in {}",
                    functions.len(),
                    if functions.len() == 1 { "" } else { "s" },
                    regions.join(", ")
                )
            }
            Act::CreateSnapshots { snapshots, share } => {
                let mut rng = fastrand::Rng::with_seed(blueprint.seed ^ snapshots.len() as u64);
                for placed in snapshots {
                    let size = rng.i32(8..=500);
                    let id = sandbox::create_snapshot(
                        ctx,
                        pass,
                        &placed.region,
                        &placed.name,
                        size,
                        &run_id,
                    )
                    .await?;
                    if let Some(party) = share {
                        let with = self.share_with(*party);
                        sandbox::share_snapshot(ctx, pass, &placed.region, &id, &with).await?;
                    }
                    made.snapshots
                        .push((placed.region.clone(), id, placed.name.clone()));
                }
                format!(
                    "created snapshot{} {}{}",
                    if snapshots.len() == 1 { "" } else { "s" },
                    made.snapshots
                        .iter()
                        .map(|(region, id, name)| format!("{region}/{id} ({name})"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    match share {
                        Some(party) => format!(" shared with {}", party_label(blueprint, *party)),
                        None => String::new(),
                    }
                )
            }
            Act::CreateImage { image } => {
                let id =
                    sandbox::create_image(ctx, pass, &image.region, &image.name, &run_id).await?;
                let line = format!(
                    "registered AMI {}/{id} ({}) and started an instance from it",
                    image.region, image.name
                );
                made.image = Some((image.region.clone(), id));
                line
            }
            Act::ShareSnapshot { snapshots, with } => {
                let targets = self.made(snapshots)?.snapshots.clone();
                let share = self.share_with(*with);
                for (region, id, _) in &targets {
                    sandbox::share_snapshot(ctx, pass, region, id, &share).await?;
                }
                made.snapshots = targets.clone();
                format!(
                    "shared snapshot{} {} with {}",
                    if targets.len() == 1 { "" } else { "s" },
                    targets
                        .iter()
                        .map(|(region, id, _)| format!("{region}/{id}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    party_label(blueprint, *with)
                )
            }
            Act::ShareImage { image, with } => {
                let (region, id) = self
                    .made(image)?
                    .image
                    .clone()
                    .ok_or_else(|| Sent::Missing(format!("step '{image}' made no AMI")))?;
                sandbox::share_image(ctx, pass, &region, &id, &self.share_with(*with)).await?;
                let line = format!(
                    "shared AMI {region}/{id} with {}",
                    party_label(blueprint, *with)
                );
                made.image = Some((region, id));
                line
            }
            Act::WidenTrust { role, to } => {
                let (name, arn) = self
                    .made(role)?
                    .role
                    .clone()
                    .ok_or_else(|| Sent::Missing(format!("step '{role}' made no role")))?;
                let current = sandbox::role_trust(ctx, &name).await?;
                let widened = widen(&current, blueprint, *to)
                    .map_err(|e| Sent::Missing(format!("the trust policy of {name}: {e}")))?;
                sandbox::set_role_trust(ctx, pass, &name, &widened).await?;
                made.role = Some((name.clone(), arn));
                format!(
                    "widened the trust of role {name} to {}",
                    party_label(blueprint, *to)
                )
            }
            Act::DeleteSnapshots { snapshots } => {
                let targets = self.made(snapshots)?.snapshots.clone();
                for (region, id, _) in &targets {
                    sandbox::delete_snapshot(ctx, pass, region, id).await?;
                }
                let deleted: Vec<String> = targets
                    .iter()
                    .map(|(region, id, name)| format!("snapshot {region}/{id} ({name})"))
                    .collect();
                self.record.damage.extend(targets.iter().zip(&deleted).map(
                    |((region, id, _), what)| Damage {
                        summary: format!("deleted {what}"),
                        finding: finding_id(FindingKind::DeletedResource, region, id),
                    },
                ));
                format!("deleted {}", deleted.join(", "))
            }
            Act::CreateBuckets { buckets, objects } => {
                for placed in buckets {
                    let name = bucket_name(&placed.name, &run_id);
                    sandbox::create_bucket(ctx, pass, &placed.region, &name, *objects, &run_id)
                        .await?;
                    made.buckets.push((placed.region.clone(), name));
                }
                format!(
                    "created bucket{} {} with {objects} object{}{}",
                    if buckets.len() == 1 { "" } else { "s" },
                    made.buckets
                        .iter()
                        .map(|(region, name)| format!("{region}/{name}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if *objects == 1 { "" } else { "s" },
                    if buckets.len() == 1 { "" } else { " each" }
                )
            }
            Act::ShareBucket { bucket, with } => {
                let targets = self.made(bucket)?.buckets.clone();
                let share = self.share_with(*with);
                for (region, name) in &targets {
                    sandbox::share_bucket(ctx, pass, region, name, &share).await?;
                }
                made.buckets = targets.clone();
                format!(
                    "opened bucket{} {} to {}",
                    if targets.len() == 1 { "" } else { "s" },
                    bucket_list(&targets),
                    party_label(blueprint, *with)
                )
            }
            Act::WipeBucket { bucket } => {
                let targets = self.made(bucket)?.buckets.clone();
                let mut lines = Vec::new();
                for (region, name) in &targets {
                    let deleted = sandbox::wipe_bucket(ctx, pass, region, name).await?;
                    lines.push(format!(
                        "emptied bucket {region}/{name} ({deleted} objects) and left {}",
                        sandbox::RANSOM_NOTE
                    ));
                    self.record.damage.push(Damage {
                        summary: format!("wiped bucket {region}/{name}, a ransom note left"),
                        finding: finding_id(FindingKind::RansomSigns, region, name),
                    });
                }
                made.buckets = targets;
                lines.join("; ")
            }
            Act::DeleteBuckets { bucket } => {
                let targets = self.made(bucket)?.buckets.clone();
                for (region, name) in &targets {
                    sandbox::delete_bucket(ctx, pass, region, name).await?;
                    // A bucket wiped and then deleted is a deleted bucket: the scan reports it
                    // gone, not its ransom signs.
                    let about = format!(":{region}:{name}");
                    self.record.damage.retain(|d| !d.finding.ends_with(&about));
                    self.record.damage.push(Damage {
                        summary: format!("deleted bucket {region}/{name}"),
                        finding: finding_id(FindingKind::DeletedResource, region, name),
                    });
                }
                format!(
                    "deleted bucket{} {}",
                    if targets.len() == 1 { "" } else { "s" },
                    bucket_list(&targets)
                )
            }
            Act::CreateDatabase { database } => {
                let snapshot =
                    sandbox::create_database(ctx, pass, &database.region, &database.name, &run_id)
                        .await?;
                let line = format!(
                    "created DB instance {}/{} and its snapshot {snapshot}",
                    database.region, database.name
                );
                made.database = Some((database.region.clone(), database.name.clone(), snapshot));
                line
            }
            Act::ShareDbSnapshot { database, with } => {
                let (region, name, snapshot) = self.database_of(database)?;
                sandbox::share_db_snapshot(ctx, pass, &region, &snapshot, &self.share_with(*with))
                    .await?;
                let line = format!(
                    "shared DB snapshot {region}/{snapshot} with {}",
                    party_label(blueprint, *with)
                );
                made.database = Some((region, name, snapshot));
                line
            }
            Act::MakeDatabasePublic { database } => {
                let (region, name, snapshot) = self.database_of(database)?;
                sandbox::make_database_public(ctx, pass, &region, &name).await?;
                let line = format!("made DB instance {region}/{name} reachable from the internet");
                made.database = Some((region, name, snapshot));
                line
            }
        };
        Ok((made, what))
    }

    /// What an attacker step with `contain` left, from what it made.
    fn indicator(&self, step: &Planned) -> Option<Indicator> {
        let contain = step.contain?;
        let made = self.made.get(&step.id)?;
        let blueprint = &self.record.blueprint;
        // What a scan reports: a trust or share to the outsider or the public (the scenario
        // check allows `contain` on nothing else).
        let exposure = |party: Party| match party {
            Party::Public => Some(Exposure::Public),
            Party::Outsider => Some(Exposure::Account(blueprint.outsider.clone())),
            Party::Lambda | Party::Partner => None,
        };
        let (threats, summary): (Vec<Threat>, String) = match &step.act {
            Act::CreateUsers { admin, console, .. } => (
                made.users
                    .iter()
                    .map(|(name, keys)| Threat::User {
                        name: name.clone(),
                        keys: keys.clone(),
                    })
                    .collect(),
                format!(
                    "{}user {}{}",
                    if *admin { "administrator " } else { "" },
                    made.users
                        .iter()
                        .map(|(name, keys)| format!("{name} (keys {})", keys.join(", ")))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if *console {
                        " with a console password"
                    } else {
                        ""
                    }
                ),
            ),
            Act::CreateRole { trust, .. } | Act::WidenTrust { to: trust, .. } => {
                let (name, _) = made.role.clone()?;
                (
                    vec![Threat::Role {
                        name: name.clone(),
                        outsider: Some(exposure(*trust)?),
                    }],
                    format!(
                        "role {name} assumable by {}",
                        party_label(blueprint, *trust)
                    ),
                )
            }
            Act::CreateFunctions { .. } => (
                made.functions
                    .iter()
                    .map(|f| Threat::Function {
                        region: f.region.clone(),
                        name: f.name.clone(),
                    })
                    .collect(),
                format!(
                    "{} function{} in regions the estate does not use",
                    made.functions.len(),
                    if made.functions.len() == 1 { "" } else { "s" }
                ),
            ),
            Act::CreateSnapshots {
                share: Some(party), ..
            }
            | Act::ShareSnapshot { with: party, .. } => {
                let exposure = exposure(*party)?;
                (
                    made.snapshots
                        .iter()
                        .map(|(region, id, _)| Threat::Snapshot {
                            region: region.clone(),
                            id: id.clone(),
                            exposure: exposure.clone(),
                        })
                        .collect(),
                    format!(
                        "snapshot {} shared with {}",
                        made.snapshots
                            .iter()
                            .map(|(region, id, name)| format!("{region}/{id} ({name})"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        party_label(blueprint, *party)
                    ),
                )
            }
            Act::ShareBucket { with, .. } => {
                let exposure = exposure(*with)?;
                (
                    made.buckets
                        .iter()
                        .map(|(region, name)| Threat::Bucket {
                            region: region.clone(),
                            name: name.clone(),
                            exposure: exposure.clone(),
                        })
                        .collect(),
                    format!(
                        "bucket {} opened to {}",
                        bucket_list(&made.buckets),
                        party_label(blueprint, *with)
                    ),
                )
            }
            Act::ShareDbSnapshot { with, .. } => {
                let (region, _, snapshot) = made.database.clone()?;
                (
                    vec![Threat::DbSnapshot {
                        region: region.clone(),
                        id: snapshot.clone(),
                        exposure: exposure(*with)?,
                    }],
                    format!(
                        "DB snapshot {region}/{snapshot} shared with {}",
                        party_label(blueprint, *with)
                    ),
                )
            }
            Act::MakeDatabasePublic { .. } => {
                let (region, name, _) = made.database.clone()?;
                (
                    vec![Threat::Database {
                        region: region.clone(),
                        id: name.clone(),
                    }],
                    format!("DB instance {region}/{name} reachable from the internet"),
                )
            }
            Act::ShareImage { with, .. } => {
                let (region, id) = made.image.clone()?;
                (
                    vec![Threat::Image {
                        region: region.clone(),
                        id: id.clone(),
                        exposure: exposure(*with)?,
                    }],
                    format!(
                        "AMI {region}/{id} shared with {}",
                        party_label(blueprint, *with)
                    ),
                )
            }
            _ => return None,
        };
        Some(Indicator {
            step: step.id.clone(),
            summary,
            contain,
            threats,
        })
    }
}

/// A failed call, or a step that refers to something that was not made.
enum Sent {
    Aws(Box<AwsError>),
    Missing(String),
}

impl From<AwsError> for Sent {
    fn from(error: AwsError) -> Self {
        Sent::Aws(Box::new(error))
    }
}

/// A bucket's name for this run: bucket names are global, so the run's id goes into it.
fn bucket_name(name: &str, run_id: &str) -> String {
    let suffix: String = run_id
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let mut full = format!("{name}-{suffix}");
    full.truncate(63);
    full.trim_end_matches('-').to_string()
}

/// `region/name, …`.
fn bucket_list(buckets: &[(String, String)]) -> String {
    buckets
        .iter()
        .map(|(region, name)| format!("{region}/{name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn party_label(blueprint: &Blueprint, party: Party) -> String {
    match party {
        Party::Lambda => "the Lambda service".to_string(),
        Party::Partner => format!("the partner account {}", blueprint.partner),
        Party::Outsider => format!("the outside account {}", blueprint.outsider),
        Party::Public => "everyone (public)".to_string(),
    }
}

fn principal(blueprint: &Blueprint, party: Party) -> serde_json::Value {
    match party {
        Party::Lambda => json!({ "Service": "lambda.amazonaws.com" }),
        Party::Public => json!({ "AWS": "*" }),
        Party::Partner | Party::Outsider => json!({
            "AWS": format!(
                "arn:{}:iam::{}:root",
                blueprint.partition(),
                blueprint.account(party).unwrap_or_default()
            )
        }),
    }
}

fn statement(blueprint: &Blueprint, party: Party) -> serde_json::Value {
    json!({
        "Effect": "Allow",
        "Principal": principal(blueprint, party),
        "Action": "sts:AssumeRole"
    })
}

/// A trust policy allowing `party` to assume the role.
fn trust_document(blueprint: &Blueprint, party: Party) -> String {
    json!({ "Version": "2012-10-17", "Statement": [statement(blueprint, party)] }).to_string()
}

/// `document` with a statement added that lets `party` assume the role.
fn widen(document: &str, blueprint: &Blueprint, party: Party) -> Result<String, String> {
    let mut policy: serde_json::Value =
        serde_json::from_str(document).map_err(|e| e.to_string())?;
    let added = statement(blueprint, party);
    match policy.get_mut("Statement") {
        Some(serde_json::Value::Array(statements)) => statements.push(added),
        Some(single) => {
            let first = single.take();
            *single = serde_json::Value::Array(vec![first, added]);
        }
        None => return Err("it has no Statement".to_string()),
    }
    Ok(policy.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gameday::{blueprint, scenario};
    use firebreak_core::model::Principals;

    fn blueprint() -> Blueprint {
        let scenario = scenario::load("console-takeover").expect("scenario");
        blueprint::expand(
            &scenario,
            3,
            &["us-east-1".into(), "eu-west-1".into()],
            "123456789012",
            blueprint::Parties::default(),
        )
        .expect("blueprint")
    }

    #[test]
    fn trusts_name_accounts_in_the_callers_partition() {
        let scenario = scenario::load("console-takeover").expect("scenario");
        let china = blueprint::expand(
            &scenario,
            3,
            &["us-east-1".into(), "eu-west-1".into()],
            "123456789012",
            blueprint::Parties {
                partition: Some("aws-cn"),
                ..blueprint::Parties::default()
            },
        )
        .expect("blueprint");
        assert_eq!(china.partition(), "aws-cn");
        let trust = trust_document(&china, Party::Partner);
        assert!(
            trust.contains(&format!("arn:aws-cn:iam::{}:root", china.partner)),
            "{trust}"
        );
        assert_eq!(blueprint().partition(), "aws");
    }

    #[test]
    fn a_widened_trust_keeps_what_was_there_and_adds_the_outsider() {
        let blueprint = blueprint();
        let before = trust_document(&blueprint, Party::Partner);
        let after = widen(&before, &blueprint, Party::Outsider).expect("widen");
        let principals = firebreak_core::policy::parse_principals(&after).expect("parse");
        let expected: Principals = Principals {
            accounts: [blueprint.partner.clone(), blueprint.outsider.clone()].into(),
            arns: [
                format!("arn:aws:iam::{}:root", blueprint.partner),
                format!("arn:aws:iam::{}:root", blueprint.outsider),
            ]
            .into(),
            ..Principals::default()
        };
        assert_eq!(principals, expected);
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
        let widened = widen(single, &blueprint, Party::Public).expect("widen");
        let principals = firebreak_core::policy::parse_principals(&widened).expect("parse");
        assert!(principals.public && principals.services.contains("lambda.amazonaws.com"));
        assert!(widen("{}", &blueprint, Party::Public).is_err());
    }
}
