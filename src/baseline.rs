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
            _ => None,
        }
    }

    /// Whether the baseline records resources of `kind` at all (a baseline captured before a
    /// kind was read has no section for it: that kind is judged as without a baseline).
    pub fn captured(&self, kind: ResourceType) -> bool {
        match kind {
            ResourceType::Trail => self.resources.trails.is_some(),
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
        .collect()
    }

    /// How the trail `name` homed in `region` was set at capture, when the baseline has it.
    pub fn trail(&self, region: &str, name: &str) -> Option<&TrailSettings> {
        self.resources.trails.as_ref()?.get(region)?.get(name)
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

/// A baseline of everything in `inventory`: a starting point for a person to review.
pub fn capture(inventory: &Inventory, identity: &Identity, captured_at: DateTime<Utc>) -> Baseline {
    let mut baseline = Baseline {
        version: BASELINE_VERSION,
        account_id: identity.id.clone(),
        captured_at: Some(captured_at),
        captured_by: Some(identity.caller_arn.clone()),
        ..Baseline::default()
    };
    let principals = &mut baseline.principals;
    principals.users = inventory.users.iter().map(|u| u.name.clone()).collect();
    principals.roles = inventory.roles.iter().map(|r| r.name.clone()).collect();
    principals.access_keys = inventory.access_keys.iter().map(|k| k.id.clone()).collect();
    principals.admins = inventory
        .users
        .iter()
        .filter(|u| !u.admin_via.is_empty())
        .map(|u| u.name.clone())
        .chain(
            inventory
                .roles
                .iter()
                .filter(|r| !r.admin_via.is_empty())
                .map(|r| r.name.clone()),
        )
        .collect();

    let external = inventory
        .roles
        .iter()
        .flat_map(|r| &r.trust.accounts)
        .chain(inventory.snapshots.iter().flat_map(|s| &s.sharing.accounts))
        .chain(
            inventory
                .images
                .iter()
                .flat_map(|i| i.sharing.accounts.iter().chain(&i.sharing.organizations)),
        )
        .chain(
            inventory
                .functions
                .iter()
                .filter_map(|f| f.policy_principals.as_ref())
                .flat_map(|p| &p.accounts),
        )
        .filter(|a| **a != identity.id && trustable(a));
    baseline.trusted_accounts = external.cloned().collect();

    let resources = &mut baseline.resources;
    let add = |map: &mut BTreeMap<String, BTreeSet<String>>, region: &str, id: &str| {
        map.entry(region.to_string())
            .or_default()
            .insert(id.to_string());
    };
    for f in &inventory.functions {
        add(&mut resources.functions, &f.region, &f.name);
    }
    for s in &inventory.snapshots {
        add(&mut resources.snapshots, &s.region, &s.id);
    }
    for i in &inventory.images {
        add(&mut resources.images, &i.region, &i.id);
    }
    for i in &inventory.instances {
        add(&mut resources.instances, &i.region, &i.id);
    }
    let mut trails: BTreeMap<String, BTreeMap<String, TrailSettings>> = BTreeMap::new();
    for t in &inventory.trails {
        trails
            .entry(t.region.clone())
            .or_default()
            .insert(t.name.clone(), TrailSettings::of(t));
    }
    resources.trails = Some(trails);
    let section = |items: Vec<(&String, String)>| {
        let mut map = ByRegion::new();
        for (region, id) in items {
            map.entry(region.clone()).or_default().insert(id);
        }
        Some(map)
    };
    resources.detectors = section(
        inventory
            .detectors
            .iter()
            .filter(|d| d.enabled != Some(false))
            .map(|d| (&d.region, d.id.clone()))
            .collect(),
    );
    resources.open_ingress = section(
        inventory
            .open_ingress
            .iter()
            .map(|r| (&r.region, r.key()))
            .collect(),
    );
    resources.event_rules = section(
        inventory
            .event_rules
            .iter()
            .map(|r| (&r.region, r.id()))
            .collect(),
    );
    resources.profile_associations = section(
        inventory
            .profile_associations
            .iter()
            .map(|a| (&a.region, a.key()))
            .collect(),
    );
    let mut instance_profiles: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for role in &inventory.roles {
        for profile in &role.instance_profiles {
            instance_profiles
                .entry(profile.clone())
                .or_default()
                .insert(role.name.clone());
        }
    }
    resources.instance_profiles = Some(instance_profiles);
    resources.api_keys = section(
        inventory
            .api_keys
            .iter()
            .map(|k| (&k.region, k.id.clone()))
            .collect(),
    );
    baseline.regions_in_use = [
        &resources.functions,
        &resources.snapshots,
        &resources.images,
        &resources.instances,
    ]
    .iter()
    .flat_map(|map| map.keys().cloned())
    .collect();
    baseline
}

/// Adds the thing behind `finding` to the baseline and records who accepted it and when.
pub fn accept(
    baseline: &mut Baseline,
    finding: &Finding,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), BaselineError> {
    let accounts = || {
        finding
            .facts
            .split(',')
            .filter(|a| trustable(a))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    match finding.kind {
        FindingKind::NoBaseline => {
            return Err(BaselineError::NotAcceptable {
                kind: finding.kind.as_str(),
                instead: "capture a baseline instead",
            });
        }
        FindingKind::NotJudged => {
            return Err(BaselineError::NotAcceptable {
                kind: finding.kind.as_str(),
                instead: "it goes away when a rescan reads the item",
            });
        }
        FindingKind::UnknownUser => {
            baseline
                .principals
                .users
                .insert(finding.resource_id.clone());
        }
        FindingKind::UnknownRole => {
            baseline
                .principals
                .roles
                .insert(finding.resource_id.clone());
        }
        FindingKind::UnknownAccessKey => {
            baseline
                .principals
                .access_keys
                .insert(finding.resource_id.clone());
        }
        FindingKind::AdminPrincipal => {
            baseline
                .principals
                .admins
                .insert(finding.resource_id.clone());
        }
        FindingKind::ExternalTrust | FindingKind::SharedSnapshot | FindingKind::SharedImage => {
            baseline.trusted_accounts.extend(accounts());
        }
        FindingKind::RecentResource => {
            if let Some(map) = baseline.resource_map_mut(finding.resource_type) {
                map.entry(finding.region.clone())
                    .or_default()
                    .insert(finding.resource_id.clone());
            }
            baseline.regions_in_use.insert(finding.region.clone());
        }
        FindingKind::DeletedResource => {
            // Accepting a deletion: the baseline no longer expects it.
            if let Some(map) = baseline.resource_map_mut(finding.resource_type)
                && let Some(ids) = map.get_mut(&finding.region)
            {
                ids.remove(&finding.resource_id);
            }
            if finding.resource_type == ResourceType::Trail
                && let Some(trails) = baseline
                    .resources
                    .trails
                    .as_mut()
                    .and_then(|t| t.get_mut(&finding.region))
            {
                trails.remove(&finding.resource_id);
            }
        }
        FindingKind::OpenIngress => {
            // The facts are the rules found open, comma-separated. A baseline without the
            // section keeps only the acceptance (creating it would make every other rule new).
            if let Some(open) = baseline.resources.open_ingress.as_mut() {
                open.entry(finding.region.clone())
                    .or_default()
                    .extend(finding.facts.split(',').map(str::to_string));
            }
        }
        FindingKind::UnknownProfileAssociation => {
            if let Some(map) = baseline.resource_map_mut(finding.resource_type) {
                map.entry(finding.region.clone())
                    .or_default()
                    .insert(finding.resource_id.clone());
            }
            // The facts are the profile's roles: accepted, the profile may carry them.
            if let Some((_, profile)) = finding.resource_id.split_once('/')
                && let Some(profiles) = baseline.resources.instance_profiles.as_mut()
            {
                profiles.entry(profile.to_string()).or_default().extend(
                    finding
                        .facts
                        .split(',')
                        .filter(|r| !r.is_empty())
                        .map(str::to_string),
                );
            }
        }
        FindingKind::UnknownEventRule | FindingKind::UnknownApiKey => {
            if let Some(map) = baseline.resource_map_mut(finding.resource_type) {
                map.entry(finding.region.clone())
                    .or_default()
                    .insert(finding.resource_id.clone());
            }
        }
        FindingKind::ConsoleWithoutMfa
        | FindingKind::KeyExposed
        | FindingKind::PublicSnapshot
        | FindingKind::PublicImage
        | FindingKind::PublicFunction
        | FindingKind::LoggingStopped
        | FindingKind::LogDeliveryBroken
        | FindingKind::TrailWeakened
        | FindingKind::DetectionDisabled => {}
    }
    baseline.accepted.push(Acceptance {
        finding: finding.id.clone(),
        kind: finding.kind,
        facts: finding.facts.clone(),
        by: by.to_string(),
        at,
    });
    Ok(())
}

/// One difference between the baseline and the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `+` in the account, not in the baseline; `-` in the baseline, gone from the account.
    pub change: char,
    pub what: &'static str,
    pub region: String,
    pub id: String,
}

/// What differs between `baseline` and `inventory`, sorted.
pub fn diff(baseline: &Baseline, inventory: &Inventory) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut compare = |what: &'static str,
                       known: &BTreeMap<String, BTreeSet<String>>,
                       now: BTreeMap<String, BTreeSet<String>>| {
        let regions: BTreeSet<&String> = known.keys().chain(now.keys()).collect();
        for region in regions {
            let empty = BTreeSet::new();
            let before = known.get(region).unwrap_or(&empty);
            let after = now.get(region).unwrap_or(&empty);
            for id in after.difference(before) {
                out.push(Difference {
                    change: '+',
                    what,
                    region: region.clone(),
                    id: id.clone(),
                });
            }
            for id in before.difference(after).filter(|id| !has_glob(id)) {
                out.push(Difference {
                    change: '-',
                    what,
                    region: region.clone(),
                    id: id.clone(),
                });
            }
        }
    };
    let global = |ids: BTreeSet<String>| BTreeMap::from([(crate::model::GLOBAL.to_string(), ids)]);
    // Principals match patterns: an account item matched by a pattern is not "+".
    let unmatched = |known: &BTreeSet<String>, names: Vec<String>| -> BTreeSet<String> {
        names
            .into_iter()
            .filter(|n| !matches(known, n) || known.contains(n))
            .collect()
    };
    let p = &baseline.principals;
    compare(
        "user",
        &global(p.users.clone()),
        global(unmatched(
            &p.users,
            inventory.users.iter().map(|u| u.name.clone()).collect(),
        )),
    );
    compare(
        "role",
        &global(p.roles.clone()),
        global(unmatched(
            &p.roles,
            inventory.roles.iter().map(|r| r.name.clone()).collect(),
        )),
    );
    compare(
        "access_key",
        &global(p.access_keys.clone()),
        global(unmatched(
            &p.access_keys,
            inventory.access_keys.iter().map(|k| k.id.clone()).collect(),
        )),
    );
    let now = capture(
        inventory,
        &Identity {
            id: baseline.account_id.clone(),
            alias: None,
            caller_arn: String::new(),
        },
        Utc::now(),
    );
    compare(
        "function",
        &baseline.resources.functions,
        now.resources.functions,
    );
    compare(
        "snapshot",
        &baseline.resources.snapshots,
        now.resources.snapshots,
    );
    compare("image", &baseline.resources.images, now.resources.images);
    compare(
        "instance",
        &baseline.resources.instances,
        now.resources.instances,
    );
    // Sections a baseline captured before they existed are not compared: nothing is known.
    let names = |trails: &BTreeMap<String, BTreeMap<String, TrailSettings>>| {
        trails
            .iter()
            .map(|(region, by_name)| (region.clone(), by_name.keys().cloned().collect()))
            .collect::<ByRegion>()
    };
    let r = &baseline.resources;
    let sections = [
        (
            "trail",
            r.trails.as_ref().map(names),
            now.resources.trails.as_ref().map(names),
        ),
        ("detector", r.detectors.clone(), now.resources.detectors),
        (
            "open_ingress",
            r.open_ingress.clone(),
            now.resources.open_ingress,
        ),
        (
            "event_rule",
            r.event_rules.clone(),
            now.resources.event_rules,
        ),
        (
            "profile_association",
            r.profile_associations.clone(),
            now.resources.profile_associations,
        ),
        ("api_key", r.api_keys.clone(), now.resources.api_keys),
    ];
    for (what, known, found) in sections {
        if let Some(known) = known {
            compare(what, &known, found.unwrap_or_default());
        }
    }
    compare(
        "trusted_account",
        &global(baseline.trusted_accounts.clone()),
        global(now.trusted_accounts),
    );
    compare(
        "admin",
        &global(p.admins.clone()),
        global(unmatched(
            &p.admins,
            now.principals.admins.into_iter().collect(),
        )),
    );
    out
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
mod tests {
    use super::*;
    use crate::model::{AccessKey, KeyStatus, Principals, Role, Sharing, Snapshot, User};

    fn identity() -> Identity {
        Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/admin".into(),
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .expect("valid time")
    }

    fn peacetime() -> Inventory {
        Inventory {
            users: vec![User {
                region: "global".into(),
                name: "alice".into(),
                arn: "arn:aws:iam::123456789012:user/alice".into(),
                user_id: "AIDA1".into(),
                created: at("2026-01-01T00:00:00Z"),
                console_access: false,
                mfa_devices: vec![],
                attached_policies: vec!["AdministratorAccess".into()],
                inline_policies: vec![],
                groups: vec![],
                admin_via: vec!["AdministratorAccess".into()],
            }],
            access_keys: vec![AccessKey {
                region: "global".into(),
                id: "AKIAALICE".into(),
                user: "alice".into(),
                status: KeyStatus::Active,
                created: Some(at("2026-01-01T00:00:00Z")),
                last_used: None,
            }],
            roles: vec![Role {
                region: "global".into(),
                name: "partner".into(),
                arn: "arn:aws:iam::123456789012:role/partner".into(),
                path: "/".into(),
                created: at("2026-01-01T00:00:00Z"),
                trust: Principals {
                    accounts: BTreeSet::from(["210987654321".to_string()]),
                    ..Principals::default()
                },
                attached_policies: vec![],
                inline_policies: vec![],
                instance_profiles: Vec::new(),
                admin_via: vec![],
            }],
            snapshots: vec![Snapshot {
                region: "us-east-1".into(),
                id: "snap-1".into(),
                volume_id: None,
                size_gib: None,
                encrypted: true,
                started: None,
                sharing: Sharing {
                    public: true,
                    accounts: BTreeSet::from(["333344445555".to_string()]),
                    organizations: BTreeSet::new(),
                },
            }],
            ..Inventory::default()
        }
    }

    #[test]
    fn capture_records_principals_trust_regions_and_resources() {
        let baseline = capture(&peacetime(), &identity(), at("2026-11-22T00:00:00Z"));
        assert_eq!(baseline.account_id, "123456789012");
        assert!(baseline.knows_user("alice"));
        assert!(baseline.knows_access_key("AKIAALICE"));
        assert!(baseline.knows_role("partner"));
        assert!(baseline.knows_admin("alice"));
        assert_eq!(
            baseline.trusted_accounts,
            BTreeSet::from(["210987654321".to_string(), "333344445555".to_string()])
        );
        assert_eq!(
            baseline.regions_in_use,
            BTreeSet::from(["us-east-1".to_string()])
        );
        assert!(baseline.knows_resource(ResourceType::Snapshot, "us-east-1", "snap-1"));
        assert!(!baseline.knows_resource(ResourceType::Snapshot, "us-east-2", "snap-1"));
    }

    #[test]
    fn round_trips_through_toml() {
        // A condition's source account can be anything; the baseline keeps only what it loads.
        let mut inventory = peacetime();
        inventory.roles[0]
            .trust
            .accounts
            .insert("${aws:PrincipalAccount}".to_string());
        let baseline = capture(&inventory, &identity(), at("2026-11-22T00:00:00Z"));
        assert!(!baseline.trusts_account("${aws:PrincipalAccount}"));
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested/baseline.toml");
        save(&baseline, &path).expect("save");
        assert_eq!(load(&path).expect("load"), baseline);
    }

    #[cfg(unix)]
    #[test]
    fn save_replaces_the_file_atomically_and_privately_over_a_stale_temporary_and_a_0644_file() {
        use std::io::Read;
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("baseline.toml");
        let temporary = dir.path().join("baseline.toml.tmp");
        // An earlier baseline, world-readable, and a temporary file a crash left behind.
        let old = "# an earlier baseline\nversion = 1\n";
        std::fs::write(&path, old).expect("old baseline");
        std::fs::write(&temporary, "half a baseline, cut short by a cra").expect("stale temp");
        for file in [&path, &temporary] {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert_eq!(mode(file), 0o644);
        }
        // A reader that opened the baseline before the save.
        let mut reader = std::fs::File::open(&path).expect("open");
        let before = std::fs::metadata(&path).expect("metadata").ino();

        let baseline = capture(&peacetime(), &identity(), at("2026-11-22T00:00:00Z"));
        save(&baseline, &path).expect("save");

        assert_eq!(load(&path).expect("load"), baseline, "the whole baseline");
        assert_eq!(mode(&path), 0o600, "private, whatever was there before");
        assert!(!temporary.exists(), "no temporary file is left behind");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["baseline.toml"]);
        // Replaced by a rename, not rewritten in place: the reader still holds the old file,
        // whole, and never sees a half-written one.
        assert_ne!(
            std::fs::metadata(&path).expect("metadata").ino(),
            before,
            "a new file took the name"
        );
        let mut seen = String::new();
        reader.read_to_string(&mut seen).expect("read");
        assert_eq!(seen, old);
    }

    #[test]
    fn patterns_match_names() {
        let mut baseline = Baseline::default();
        baseline.principals.users = BTreeSet::from(["ci-*".to_string(), "bob".to_string()]);
        assert!(baseline.knows_user("ci-deploy"));
        assert!(baseline.knows_user("bob"));
        assert!(!baseline.knows_user("bobby"));
        assert!(!baseline.knows_user("deploy-ci"));
    }

    #[test]
    fn bad_baselines_name_file_line_and_column() {
        let path = Path::new("/tmp/b.toml");
        let cases = [
            (
                "version = 1\naccount_id = \"123456789012\"\n[principals]\nuserz = []\n",
                (4, 1),
                "unknown field",
            ),
            // Single quotes, one entry a line: the bad entry's own line.
            (
                "version = 1\naccount_id = '123456789012'\n[principals]\nusers = [\n  'ok',\n  '[bad',\n]\n",
                (6, 3),
                "'[bad' is not a valid pattern",
            ),
            // The key's name earlier in a comment does not mislead the location.
            (
                "# version and account_id below\nversion = 7\naccount_id = \"123456789012\"\n",
                (2, 11),
                "not supported",
            ),
            (
                "# account_id below\nversion = 1\naccount_id = \"prod\"\n",
                (3, 14),
                "12-digit",
            ),
            (
                "version = 1\naccount_id = \"123456789012\"\ntrusted_accounts = [\"210987654321\", \"21098765432\"]\n",
                (3, 37),
                "trusted_accounts: '21098765432' is neither",
            ),
        ];
        for (text, (line, column), needle) in cases {
            match parse(text, path) {
                Err(BaselineError::Invalid {
                    line: l,
                    column: c,
                    message,
                    ..
                }) => {
                    assert_eq!((l, c), (line, column), "{text}: {message}");
                    assert!(message.contains(needle), "{message}");
                }
                other => panic!("{text}: expected a located error, got {other:?}"),
            }
        }
        let organization = "version = 1\naccount_id = \"123456789012\"\ntrusted_accounts = [\"arn:aws:organizations::111122223333:organization/o-abc\"]\n";
        assert!(parse(organization, path).is_ok());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_located() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("baseline.toml");
        std::fs::write(&path, b"version = 1\naccount_id = \"123456789012\"\n\xff\n")
            .expect("write");
        let shown = load(&path).expect_err("not UTF-8").to_string();
        assert!(
            shown.starts_with(&format!("{}:3:1: ", path.display())) && shown.contains("0xff"),
            "{shown}"
        );
    }

    #[test]
    fn diff_shows_what_came_and_went() {
        let baseline = capture(&peacetime(), &identity(), at("2026-11-22T00:00:00Z"));
        let mut now = peacetime();
        now.users[0].name = "mallory".into();
        now.snapshots.clear();
        let changes: Vec<String> = diff(&baseline, &now)
            .iter()
            .map(|d| format!("{}{} {} {}", d.change, d.what, d.region, d.id))
            .collect();
        assert!(
            changes.contains(&"+user global mallory".to_string()),
            "{changes:?}"
        );
        assert!(
            changes.contains(&"-user global alice".to_string()),
            "{changes:?}"
        );
        assert!(
            changes.contains(&"-snapshot us-east-1 snap-1".to_string()),
            "{changes:?}"
        );
        assert!(
            changes.contains(&"+admin global mallory".to_string()),
            "{changes:?}"
        );
        assert!(
            changes.contains(&"-trusted_account global 333344445555".to_string()),
            "{changes:?}"
        );
    }
}
