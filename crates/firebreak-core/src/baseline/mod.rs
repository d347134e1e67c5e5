//! The baseline: what the account looks like in peacetime (TOML). Captured from a scan, reviewed
//! by a person, extended one finding at a time by `accept`. Capture, accept and diff are pure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::model::finding::{Finding, FindingKind, ResourceType};
use crate::model::{Identity, Inventory, ManagementEvents, Trail};
use crate::policy::is_account_id;

mod capture;
mod diff;

pub use capture::{accept, capture};
pub use diff::{Difference, diff};

/// The format version written by this firebreak.
pub const BASELINE_VERSION: u32 = 1;

/// What belongs in the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(deserialize_with = "version")]
    pub version: u32,
    /// The account this baseline describes; using it against another account is an error.
    #[serde(deserialize_with = "account_id")]
    pub account_id: String,
    pub captured_at: Option<DateTime<Utc>>,
    pub captured_by: Option<String>,
    #[serde(default)]
    pub principals: KnownPrincipals,
    /// External account ids (and organization ARNs) that may be trusted or shared with.
    #[serde(default, deserialize_with = "trusted_accounts")]
    pub trusted_accounts: BTreeSet<String>,
    /// Regions that held any resource in peacetime.
    #[serde(default)]
    pub regions_in_use: BTreeSet<String>,
    #[serde(default)]
    pub resources: KnownResources,
    /// Findings accepted one by one: who, when, and the facts accepted.
    #[serde(default)]
    pub accepted: Vec<Acceptance>,
}

/// Known principals: exact names/ids or glob patterns (`ci-*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownPrincipals {
    #[serde(default, deserialize_with = "patterns")]
    pub users: BTreeSet<String>,
    #[serde(default, deserialize_with = "patterns")]
    pub roles: BTreeSet<String>,
    #[serde(default, deserialize_with = "patterns")]
    pub access_keys: BTreeSet<String>,
    /// Users and roles expected to have administrator access.
    #[serde(default, deserialize_with = "patterns")]
    pub admins: BTreeSet<String>,
}

/// Resources present at capture, by region: functions by name, the rest by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownResources {
    #[serde(default)]
    pub functions: BTreeMap<String, BTreeSet<String>>,
    #[serde(default)]
    pub snapshots: BTreeMap<String, BTreeSet<String>>,
    #[serde(default)]
    pub images: BTreeMap<String, BTreeSet<String>>,
    #[serde(default)]
    pub instances: BTreeMap<String, BTreeSet<String>>,
    // The sections below came later: absent (a baseline captured before them), a kind is
    // judged as if there were no baseline for it, never as "nothing is expected".
    /// CloudTrail trails by home region and name, with how each was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trails: Option<BTreeMap<String, BTreeMap<String, TrailSettings>>>,
    /// GuardDuty detectors that were enabled, by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detectors: Option<ByRegion>,
    /// Ingress rules open to the world that are expected (`sg-0abc tcp/443 0.0.0.0/0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_ingress: Option<ByRegion>,
    /// EventBridge rules by name (`bus/name` off the default bus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_rules: Option<ByRegion>,
    /// Instance-profile associations (`i-0abc/profile-name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_associations: Option<ByRegion>,
    /// API Gateway API keys by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_keys: Option<ByRegion>,
    /// The role(s) each instance profile carried, by profile name: an association is judged
    /// by (profile, role), not by instance id, so a fleet's new instances are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profiles: Option<BTreeMap<String, BTreeSet<String>>>,
    /// S3 buckets by region and name, with how each was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets: Option<BTreeMap<String, BTreeMap<String, BucketSettings>>>,
    /// RDS DB instances and Aurora clusters by region and id, with how each was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databases: Option<BTreeMap<String, BTreeMap<String, DatabaseSettings>>>,
    /// Manual RDS DB and cluster snapshots by id: the database backups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_snapshots: Option<ByRegion>,
    /// Whether the account's S3 Block Public Access had all four settings on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_public_access_block: Option<bool>,
}

/// What a bucket holds that must survive an attack: judged more strictly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holds {
    /// A trail's (or another service's) logs: the evidence.
    Logs,
    /// Backups: what recovery needs.
    Backups,
}

impl Holds {
    pub fn as_str(self) -> &'static str {
        match self {
            Holds::Logs => "logs",
            Holds::Backups => "backups",
        }
    }
}

/// How a bucket was set at capture: a bucket that protects less than this is weakened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSettings {
    /// All four Block Public Access settings on, on the bucket itself.
    #[serde(default, skip_serializing_if = "is_false")]
    pub blocked: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub versioning: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mfa_delete: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub object_lock: bool,
    /// What it holds that must survive: `logs` or `backups` (capture marks trails' buckets and
    /// buckets named like backups; review it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holds: Option<Holds>,
    /// Lifecycle rules that delete objects, as described at capture.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub expiring_rules: BTreeSet<String>,
    /// Objects the census counted (a floor when `more_objects`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<usize>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub more_objects: bool,
    /// Other accounts (canonical ids) its ACL granted to.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub grantees: BTreeSet<String>,
}

/// How a database was set at capture: one that protects less is weakened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    #[serde(default, skip_serializing_if = "is_false")]
    pub public: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deletion_protection: bool,
    /// Days automated backups were kept.
    #[serde(default)]
    pub backup_retention: i32,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// Ids (or names) by region.
pub type ByRegion = BTreeMap<String, BTreeSet<String>>;

/// How a trail was set at capture: a trail that records less than this is weakened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailSettings {
    pub logging: bool,
    pub multi_region: bool,
    pub management_events: ManagementEvents,
}

impl TrailSettings {
    /// How `trail` is set now; what could not be read counts as recording, so that it is never
    /// taken for a weakening later.
    pub fn of(trail: &Trail) -> Self {
        TrailSettings {
            logging: trail.logging.unwrap_or(true),
            multi_region: trail.multi_region,
            management_events: trail.management_events.unwrap_or(ManagementEvents::All),
        }
    }
}

/// One accepted finding. It keeps suppressing that finding while the finding's facts are the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    pub finding: String,
    pub kind: FindingKind,
    #[serde(default)]
    pub facts: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

// Values are checked as they are read, so that toml locates a bad one at the value.

fn version<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let version = u32::deserialize(deserializer)?;
    if version != BASELINE_VERSION {
        return Err(de::Error::custom(format!(
            "baseline version {version} is not supported (this firebreak reads version {BASELINE_VERSION})"
        )));
    }
    Ok(version)
}

fn account_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let account = String::deserialize(deserializer)?;
    if !is_account_id(&account) {
        return Err(de::Error::custom(format!(
            "account_id '{account}' is not a 12-digit account id"
        )));
    }
    Ok(account)
}

/// Names or glob patterns (`ci-*`).
fn patterns<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeSet<String>, D::Error> {
    let patterns = crate::config::checked_strings(deserializer, |pattern| {
        glob::Pattern::new(pattern)
            .map(|_| ())
            .map_err(|e| format!("'{pattern}' is not a valid pattern: {e}"))
    })?;
    Ok(patterns.into_iter().collect())
}

/// What `trusted_accounts` may hold: account ids, or ARNs (organizations, organizational
/// units).
fn trustable(account: &str) -> bool {
    is_account_id(account) || account.starts_with("arn:")
}

fn trusted_accounts<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeSet<String>, D::Error> {
    let accounts = crate::config::checked_strings(deserializer, |account| {
        if trustable(account) {
            Ok(())
        } else {
            Err(format!(
                "trusted_accounts: '{account}' is neither a 12-digit account id nor an ARN"
            ))
        }
    })?;
    Ok(accounts.into_iter().collect())
}

/// A baseline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot write baseline {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} exists: pass --force to overwrite it")]
    Exists { path: PathBuf },
    #[error(
        "baseline {path} is for account {baseline}, but the credentials are for account {actual}"
    )]
    WrongAccount {
        path: PathBuf,
        baseline: String,
        actual: String,
    },
    #[error("no finding {id} in the current scan{hint}")]
    NoSuchFinding { id: String, hint: String },
    #[error("a {kind} finding cannot be accepted: {instead}")]
    NotAcceptable {
        kind: &'static str,
        instead: &'static str,
    },
    #[error("cannot encode the baseline: {0}")]
    Encode(#[from] toml::ser::Error),
}

fn has_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Whether `name` is in `known`, exactly or by a glob pattern.
fn matches(known: &BTreeSet<String>, name: &str) -> bool {
    known.contains(name)
        || known
            .iter()
            .filter(|p| has_glob(p))
            .any(|p| glob::Pattern::new(p).is_ok_and(|p| p.matches(name)))
}

impl Baseline {
    pub fn knows_user(&self, name: &str) -> bool {
        matches(&self.principals.users, name)
    }
    pub fn knows_role(&self, name: &str) -> bool {
        matches(&self.principals.roles, name)
    }
    pub fn knows_access_key(&self, id: &str) -> bool {
        matches(&self.principals.access_keys, id)
    }
    pub fn knows_admin(&self, name: &str) -> bool {
        matches(&self.principals.admins, name)
    }
    pub fn trusts_account(&self, account: &str) -> bool {
        self.trusted_accounts.contains(account)
    }
    pub fn region_in_use(&self, region: &str) -> bool {
        self.regions_in_use.contains(region)
    }

    fn resource_map(&self, kind: ResourceType) -> Option<&BTreeMap<String, BTreeSet<String>>> {
        match kind {
            ResourceType::Function => Some(&self.resources.functions),
            ResourceType::Snapshot => Some(&self.resources.snapshots),
            ResourceType::Image => Some(&self.resources.images),
            ResourceType::Instance => Some(&self.resources.instances),
            ResourceType::Detector => self.resources.detectors.as_ref(),
            ResourceType::EventRule => self.resources.event_rules.as_ref(),
            ResourceType::ProfileAssociation => self.resources.profile_associations.as_ref(),
            ResourceType::ApiKey => self.resources.api_keys.as_ref(),
            ResourceType::DbSnapshot => self.resources.db_snapshots.as_ref(),
            _ => None,
        }
    }

    fn resource_map_mut(
        &mut self,
        kind: ResourceType,
    ) -> Option<&mut BTreeMap<String, BTreeSet<String>>> {
        match kind {
            ResourceType::Function => Some(&mut self.resources.functions),
            ResourceType::Snapshot => Some(&mut self.resources.snapshots),
            ResourceType::Image => Some(&mut self.resources.images),
            ResourceType::Instance => Some(&mut self.resources.instances),
            ResourceType::Detector => self.resources.detectors.as_mut(),
            ResourceType::EventRule => self.resources.event_rules.as_mut(),
            ResourceType::ProfileAssociation => self.resources.profile_associations.as_mut(),
            ResourceType::ApiKey => self.resources.api_keys.as_mut(),
            ResourceType::DbSnapshot => self.resources.db_snapshots.as_mut(),
            _ => None,
        }
    }

    /// Whether the baseline records resources of `kind` at all (a baseline captured before a
    /// kind was read has no section for it: that kind is judged as without a baseline).
    pub fn captured(&self, kind: ResourceType) -> bool {
        match kind {
            ResourceType::Trail => self.resources.trails.is_some(),
            ResourceType::Bucket => self.resources.buckets.is_some(),
            ResourceType::Database => self.resources.databases.is_some(),
            ResourceType::SecurityGroup => self.resources.open_ingress.is_some(),
            other => self.resource_map(other).is_some(),
        }
    }

    /// Every resource the baseline lists by its exact id (patterns left out): kind, region, id.
    pub fn expected_resources(&self) -> Vec<(ResourceType, &str, &str)> {
        static EMPTY: ByRegion = BTreeMap::new();
        let r = &self.resources;
        [
            (ResourceType::Function, &r.functions),
            (ResourceType::Snapshot, &r.snapshots),
            (ResourceType::Image, &r.images),
            (ResourceType::Instance, &r.instances),
            (
                ResourceType::Detector,
                r.detectors.as_ref().unwrap_or(&EMPTY),
            ),
            (
                ResourceType::DbSnapshot,
                r.db_snapshots.as_ref().unwrap_or(&EMPTY),
            ),
        ]
        .into_iter()
        .flat_map(|(kind, by_region)| {
            by_region.iter().flat_map(move |(region, ids)| {
                ids.iter()
                    .filter(|id| !has_glob(id))
                    .map(move |id| (kind, region.as_str(), id.as_str()))
            })
        })
        .chain(r.trails.iter().flatten().flat_map(|(region, trails)| {
            trails
                .keys()
                .map(move |name| (ResourceType::Trail, region.as_str(), name.as_str()))
        }))
        .chain(r.buckets.iter().flatten().flat_map(|(region, buckets)| {
            buckets
                .keys()
                .map(move |name| (ResourceType::Bucket, region.as_str(), name.as_str()))
        }))
        .chain(
            r.databases
                .iter()
                .flatten()
                .flat_map(|(region, databases)| {
                    databases
                        .keys()
                        .map(move |id| (ResourceType::Database, region.as_str(), id.as_str()))
                }),
        )
        .collect()
    }

    /// How the trail `name` homed in `region` was set at capture, when the baseline has it.
    pub fn trail(&self, region: &str, name: &str) -> Option<&TrailSettings> {
        self.resources.trails.as_ref()?.get(region)?.get(name)
    }

    /// How the bucket `name` in `region` was set at capture, when the baseline has it.
    pub fn bucket(&self, region: &str, name: &str) -> Option<&BucketSettings> {
        self.resources.buckets.as_ref()?.get(region)?.get(name)
    }

    /// The buckets (region, name) the baseline marks as holding `what`.
    pub fn buckets_holding(&self, what: Holds) -> Vec<(String, String)> {
        self.resources
            .buckets
            .iter()
            .flatten()
            .flat_map(|(region, buckets)| {
                buckets
                    .iter()
                    .filter(move |(_, settings)| settings.holds == Some(what))
                    .map(move |(name, _)| (region.clone(), name.clone()))
            })
            .collect()
    }

    /// How the database `id` in `region` was set at capture, when the baseline has it.
    pub fn database(&self, region: &str, id: &str) -> Option<&DatabaseSettings> {
        self.resources.databases.as_ref()?.get(region)?.get(id)
    }

    /// Whether the baseline lists any resource of `kind` in `region`.
    pub fn knows_any(&self, kind: ResourceType, region: &str) -> bool {
        self.resource_map(kind)
            .and_then(|by_region| by_region.get(region))
            .is_some_and(|ids| !ids.is_empty())
    }

    /// Whether the baseline has instance profile `profile` on some instance (in any region).
    pub fn knows_profile(&self, profile: &str) -> bool {
        self.resources
            .profile_associations
            .iter()
            .flatten()
            .flat_map(|(_, keys)| keys)
            .any(|key| key.split_once('/').is_some_and(|(_, p)| p == profile))
    }

    /// The roles the baseline recorded instance profile `profile` carrying, when it recorded
    /// instance profiles at all.
    pub fn profile_roles(&self, profile: &str) -> Option<&BTreeSet<String>> {
        self.resources.instance_profiles.as_ref()?.get(profile)
    }

    /// Whether the resource was present at capture (or accepted since).
    pub fn knows_resource(&self, kind: ResourceType, region: &str, id: &str) -> bool {
        match kind {
            ResourceType::Bucket => return self.bucket(region, id).is_some(),
            ResourceType::Database => return self.database(region, id).is_some(),
            _ => {}
        }
        self.resource_map(kind)
            .and_then(|by_region| by_region.get(region))
            .is_some_and(|ids| ids.contains(id))
    }

    /// Whether `finding` was accepted with the facts it has now.
    pub fn accepts(&self, finding: &Finding) -> bool {
        self.accepted
            .iter()
            .any(|a| a.finding == finding.id && a.facts == finding.facts)
    }

    /// Checks that this baseline describes `account`.
    pub fn check_account(&self, path: &Path, account: &str) -> Result<(), BaselineError> {
        if self.account_id == account {
            Ok(())
        } else {
            Err(BaselineError::WrongAccount {
                path: path.to_path_buf(),
                baseline: self.account_id.clone(),
                actual: account.to_string(),
            })
        }
    }
}

/// The default baseline file: `baseline.toml` in the config dir.
pub fn default_path() -> Option<PathBuf> {
    crate::config::project_dirs().map(|dirs| dirs.config_dir().join("baseline.toml"))
}

/// Reads and checks a baseline file.
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let text = crate::config::read_text(path).map_err(|error| match error {
        crate::config::TextError::Io(source) => BaselineError::Read {
            path: path.to_path_buf(),
            source,
        },
        crate::config::TextError::NotUtf8 {
            line,
            column,
            message,
        } => BaselineError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        },
    })?;
    parse(&text, path)
}

/// Parses and checks baseline text; `path` is only used in errors.
pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |span| {
            crate::config::line_and_column(text, span.start)
        });
        BaselineError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })
}

/// Writes `baseline` to `path` atomically (a temporary file renamed over it), mode 0600.
pub fn save(baseline: &Baseline, path: &Path) -> Result<(), BaselineError> {
    let write_error = |source| BaselineError::Write {
        path: path.to_path_buf(),
        source,
    };
    let body = toml::to_string_pretty(baseline)?;
    let text = format!(
        "# firebreak baseline: what account {} looks like in peacetime.\n\
         # Review it: remove what should not be here; names may be glob patterns (\"ci-*\").\n\n{body}",
        baseline.account_id
    );
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::files::create_private_dir(parent).map_err(write_error)?;
    }
    let temporary = path.with_extension("toml.tmp");
    crate::files::write_private(&temporary, text.as_bytes()).map_err(write_error)?;
    std::fs::rename(&temporary, path).map_err(write_error)
}

#[cfg(test)]
mod tests;
