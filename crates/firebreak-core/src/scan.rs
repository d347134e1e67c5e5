//! The scan's vocabulary and its pure fold: the runner (`firebreak::scanner`) streams
//! `ScanEvent`s as each service in each region answers; `ScanState::apply` folds them into the
//! picture every front end shows, and `ScanState::merge` folds a rescan into it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::aws_error::AwsError;
use crate::model::database::{Database, DbSnapshot};
use crate::model::storage::{AccountBlock, Bucket};
use crate::model::{
    AccessKey, ApiKey, Detector, EventRule, Function, GLOBAL, Identity, Image, Instance, Inventory,
    OpenIngress, ProfileAssociation, Role, Snapshot, Trail, Unread, User,
};

/// A region as DescribeRegions reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    pub name: String,
    /// False for opt-in regions the account has not enabled.
    pub enabled: bool,
}

/// Which regions to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSelection {
    /// Every region the account has enabled.
    Enabled,
    /// Every region of the partition; those not enabled are listed as `not_enabled`.
    All,
    /// These regions only.
    Named(Vec<String>),
}

/// How a scan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    pub regions: RegionSelection,
    /// Regions scanned at the same time.
    pub region_concurrency: usize,
    /// Per-item detail calls (attributes, policies) in flight at once, per region and service.
    pub detail_concurrency: usize,
    /// How much of each bucket's contents a scan looks at.
    pub census: CensusBound,
}

/// How much of a bucket's contents a scan looks at: bounded in requests whatever it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CensusBound {
    /// Objects listed (one page at most).
    pub objects: usize,
    /// Listed objects read in detail (one HeadObject each).
    pub sampled: usize,
}

/// The (region, kind) listings a scan finished.
pub type Listed = std::collections::BTreeSet<(String, ItemKind)>;

/// A kind of inventory item; also the unit of per-region counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Users,
    AccessKeys,
    Roles,
    Functions,
    Snapshots,
    Images,
    Instances,
    Trails,
    Detectors,
    /// Security-group ingress rules open to the world.
    OpenIngress,
    EventRules,
    ProfileAssociations,
    ApiKeys,
    /// S3 buckets, counted in their own region.
    Buckets,
    /// RDS DB instances and Aurora clusters.
    Databases,
    /// Manual RDS DB and cluster snapshots.
    DbSnapshots,
    /// Snapshots and images shared outside the account, and functions open to the public.
    Shared,
}

impl ItemKind {
    /// The listing that reads this kind, as `failed_listings` and `stale` name it: a failed
    /// listing makes only its own kinds unknown (a denied security-group read leaves the
    /// snapshots judged).
    pub fn listing(self) -> &'static str {
        match self {
            ItemKind::Users | ItemKind::AccessKeys | ItemKind::Roles => "iam",
            ItemKind::Functions => "lambda functions",
            ItemKind::Snapshots => "ec2 snapshots",
            ItemKind::Images => "ec2 images",
            ItemKind::Instances => "ec2 instances",
            ItemKind::Trails => "cloudtrail trails",
            ItemKind::Detectors => "guardduty detectors",
            ItemKind::OpenIngress => "ec2 security group rules",
            ItemKind::EventRules => "eventbridge rules",
            ItemKind::ProfileAssociations => "ec2 instance profile associations",
            ItemKind::ApiKeys => "apigateway api keys",
            ItemKind::Buckets => "s3 buckets",
            ItemKind::Databases => "rds databases",
            ItemKind::DbSnapshots => "rds snapshots",
            ItemKind::Shared => "sharing",
        }
    }
}

/// What one service call group in one region produced.
#[derive(Debug, Clone)]
pub enum Part {
    Iam {
        users: Vec<User>,
        access_keys: Vec<AccessKey>,
        roles: Vec<Role>,
    },
    Functions(Vec<Function>),
    Snapshots(Vec<Snapshot>),
    Images(Vec<Image>),
    Instances(Vec<Instance>),
    Trails(Vec<Trail>),
    Detectors(Vec<Detector>),
    OpenIngress(Vec<OpenIngress>),
    EventRules(Vec<EventRule>),
    ProfileAssociations(Vec<ProfileAssociation>),
    ApiKeys(Vec<ApiKey>),
    Buckets(Vec<Bucket>),
    Databases(Vec<Database>),
    DbSnapshots(Vec<DbSnapshot>),
    /// The account's S3 Block Public Access (sent with `global`).
    AccountBlock(AccountBlock),
    /// The listing of `kind` failed: those items in this region are unknown.
    Failed {
        kind: ItemKind,
        error: AwsError,
    },
    /// One item, or a side read, could not be read: the listing stands.
    Problem(AwsError),
}

/// Progress of a scan, in the order it happens.
#[derive(Debug, Clone)]
pub enum ScanEvent {
    /// The caller's identity is known.
    Identity(Identity),
    /// The regions to show, each enabled or not; sent once, before any region starts.
    Planned(Vec<RegionInfo>),
    /// A region (or `global`) began its calls.
    Started { region: String },
    /// A service in a region answered.
    Part { region: String, part: Part },
    /// A region (or `global`) has nothing more to report.
    Finished { region: String, duration: Duration },
    /// The scan cannot go on at all (no identity, no region list).
    Fatal(AwsError),
    /// Every region has finished.
    Done,
}

/// Where a region's scan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionStatus {
    Pending,
    Scanning,
    Done,
    Error,
    NotEnabled,
}

impl RegionStatus {
    /// The status as the report and the cockpit write it (`not_enabled`, as in JSON).
    pub fn word(self) -> &'static str {
        match self {
            RegionStatus::Pending => "pending",
            RegionStatus::Scanning => "scanning",
            RegionStatus::Done => "done",
            RegionStatus::Error => "error",
            RegionStatus::NotEnabled => "not_enabled",
        }
    }
}

/// One region's (or `global`'s) status, counts and errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionState {
    pub name: String,
    pub status: RegionStatus,
    pub duration: Option<Duration>,
    pub counts: BTreeMap<ItemKind, usize>,
    pub errors: Vec<AwsError>,
    /// Listings that failed here (their items are unknown, not absent), by
    /// [`ItemKind::listing`].
    pub failed_listings: Vec<String>,
    /// Listings whose results here are the previous scan's: a rescan could not list them
    /// again, so the last good results were kept.
    pub stale: Vec<String>,
}

impl RegionState {
    fn new(name: &str, status: RegionStatus) -> Self {
        RegionState {
            name: name.to_string(),
            status,
            duration: None,
            counts: BTreeMap::new(),
            errors: Vec::new(),
            failed_listings: Vec::new(),
            stale: Vec::new(),
        }
    }

    /// This rescanned state, marked stale for each service it could not list.
    fn rescanned(mut self) -> Self {
        self.stale = self.failed_listings.clone();
        self
    }

    fn add_count(&mut self, kind: ItemKind, count: usize) {
        *self.counts.entry(kind).or_default() += count;
    }

    /// Count of `kind`, or `None` when that service has not answered (yet, or at all).
    pub fn count(&self, kind: ItemKind) -> Option<usize> {
        self.counts.get(&kind).copied()
    }
}

/// Everything known so far about a scan: fold of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanState {
    pub identity: Option<Identity>,
    pub global: RegionState,
    /// Regions sorted by name.
    pub regions: Vec<RegionState>,
    pub inventory: Inventory,
    pub fatal: Option<AwsError>,
    pub done: bool,
}

impl Default for ScanState {
    fn default() -> Self {
        ScanState {
            identity: None,
            global: RegionState::new(GLOBAL, RegionStatus::Pending),
            regions: Vec::new(),
            inventory: Inventory::default(),
            fatal: None,
            done: false,
        }
    }
}

impl ScanState {
    /// Folds one event into the state. Pure.
    pub fn apply(&mut self, event: ScanEvent) {
        match event {
            ScanEvent::Identity(identity) => self.identity = Some(identity),
            ScanEvent::Planned(regions) => {
                self.regions = regions
                    .iter()
                    .map(|r| {
                        let status = if r.enabled {
                            RegionStatus::Pending
                        } else {
                            RegionStatus::NotEnabled
                        };
                        RegionState::new(&r.name, status)
                    })
                    .collect();
                self.regions.sort_by(|a, b| a.name.cmp(&b.name));
            }
            ScanEvent::Started { region } => {
                if let Some(state) = self.region_mut(&region) {
                    state.status = RegionStatus::Scanning;
                }
            }
            ScanEvent::Part { region, part } => self.apply_part(&region, part),
            ScanEvent::Finished { region, duration } => {
                if let Some(state) = self.region_mut(&region) {
                    state.duration = Some(duration);
                    state.status = if state.errors.is_empty() {
                        RegionStatus::Done
                    } else {
                        RegionStatus::Error
                    };
                }
            }
            ScanEvent::Fatal(error) => {
                self.fatal = Some(error);
                self.done = true;
            }
            ScanEvent::Done => {
                self.inventory.sort();
                self.done = true;
            }
        }
    }

    fn apply_part(&mut self, region: &str, part: Part) {
        let inventory = &mut self.inventory;
        let state = match region {
            GLOBAL => &mut self.global,
            name => match self.regions.iter_mut().find(|r| r.name == name) {
                Some(state) => state,
                None => return,
            },
        };
        match part {
            Part::Iam {
                users,
                access_keys,
                roles,
            } => {
                state.add_count(ItemKind::Users, users.len());
                state.add_count(ItemKind::AccessKeys, access_keys.len());
                state.add_count(ItemKind::Roles, roles.len());
                inventory.users.extend(users);
                inventory.access_keys.extend(access_keys);
                inventory.roles.extend(roles);
            }
            Part::Functions(functions) => {
                state.add_count(ItemKind::Functions, functions.len());
                let open = functions.iter().filter(|f| is_public_function(f)).count();
                state.add_count(ItemKind::Shared, open);
                inventory.functions.extend(functions);
            }
            Part::Snapshots(snapshots) => {
                state.add_count(ItemKind::Snapshots, snapshots.len());
                let shared = snapshots.iter().filter(|s| s.sharing.is_shared()).count();
                state.add_count(ItemKind::Shared, shared);
                inventory.snapshots.extend(snapshots);
            }
            Part::Images(images) => {
                state.add_count(ItemKind::Images, images.len());
                let shared = images.iter().filter(|i| i.sharing.is_shared()).count();
                state.add_count(ItemKind::Shared, shared);
                inventory.images.extend(images);
            }
            Part::Instances(instances) => {
                state.add_count(ItemKind::Instances, instances.len());
                inventory.instances.extend(instances);
            }
            Part::Trails(trails) => {
                state.add_count(ItemKind::Trails, trails.len());
                inventory.trails.extend(trails);
            }
            Part::Detectors(detectors) => {
                state.add_count(ItemKind::Detectors, detectors.len());
                inventory.detectors.extend(detectors);
            }
            Part::OpenIngress(rules) => {
                state.add_count(ItemKind::OpenIngress, rules.len());
                inventory.open_ingress.extend(rules);
            }
            Part::EventRules(rules) => {
                state.add_count(ItemKind::EventRules, rules.len());
                inventory.event_rules.extend(rules);
            }
            Part::ProfileAssociations(associations) => {
                state.add_count(ItemKind::ProfileAssociations, associations.len());
                inventory.profile_associations.extend(associations);
            }
            Part::ApiKeys(keys) => {
                state.add_count(ItemKind::ApiKeys, keys.len());
                inventory.api_keys.extend(keys);
            }
            Part::Buckets(buckets) => {
                state.add_count(ItemKind::Buckets, buckets.len());
                let shared = buckets.iter().filter(|b| b.is_public_configured()).count();
                state.add_count(ItemKind::Shared, shared);
                inventory.buckets.extend(buckets);
            }
            Part::Databases(databases) => {
                state.add_count(ItemKind::Databases, databases.len());
                inventory.databases.extend(databases);
            }
            Part::DbSnapshots(snapshots) => {
                state.add_count(ItemKind::DbSnapshots, snapshots.len());
                let shared = snapshots.iter().filter(|s| s.sharing.is_shared()).count();
                state.add_count(ItemKind::Shared, shared);
                inventory.db_snapshots.extend(snapshots);
            }
            Part::AccountBlock(block) => inventory.account_block = Some(block),
            Part::Failed { kind, error } => {
                let listing = kind.listing().to_string();
                if !state.failed_listings.contains(&listing) {
                    state.failed_listings.push(listing);
                }
                state.errors.push(error);
            }
            Part::Problem(error) => {
                if let Some(subject) = &error.subject {
                    inventory.unread.push(Unread {
                        region: region.to_string(),
                        resource_type: subject.resource_type,
                        resource_id: subject.id.clone(),
                        call: format!("{} {}", error.service, error.operation),
                        code: error.code.clone(),
                        request_id: error.request_id.clone(),
                    });
                }
                state.errors.push(error);
            }
        }
    }

    fn region_mut(&mut self, name: &str) -> Option<&mut RegionState> {
        if name == GLOBAL {
            Some(&mut self.global)
        } else {
            self.regions.iter_mut().find(|r| r.name == name)
        }
    }

    /// Regions that have finished (done or error) and regions that will be scanned at all.
    pub fn progress(&self) -> (usize, usize) {
        let scanned = self
            .regions
            .iter()
            .filter(|r| r.status != RegionStatus::NotEnabled);
        let total = scanned.clone().count();
        let finished = scanned
            .filter(|r| matches!(r.status, RegionStatus::Done | RegionStatus::Error))
            .count();
        (finished, total)
    }

    /// Folds in a finished rescan of some or all regions (IAM is always part of a scan): their
    /// states and inventory replace the old ones; every other region keeps what it had. What a
    /// service could not read again is kept as it was (a throttled read is not "gone") and
    /// marked stale, and a rescan that failed as a whole (credentials refused) changes nothing
    /// but the error shown.
    pub fn merge(&mut self, rescan: ScanState) {
        if rescan.fatal.is_some() {
            self.fatal = rescan.fatal;
            return;
        }
        let failed = |region: &str, listing: &str| {
            let state = if region == GLOBAL {
                Some(&rescan.global)
            } else {
                rescan.regions.iter().find(|r| r.name == region)
            };
            state.is_some_and(|r| r.failed_listings.iter().any(|s| s == listing))
        };
        // Whether the rescan's answer of `kind` for `region` replaces what is there.
        let fresh = |region: &String, kind: ItemKind| {
            (region == GLOBAL || rescan.regions.iter().any(|r| r.name == *region))
                && !failed(region, kind.listing())
        };
        let old = std::mem::take(&mut self.inventory);
        let new = rescan.inventory.clone();
        let inventory = &mut self.inventory;
        macro_rules! take {
            ($field:ident, $kind:expr) => {
                inventory.$field = old
                    .$field
                    .into_iter()
                    .filter(|i| !fresh(&i.region, $kind))
                    .chain(new.$field.into_iter().filter(|i| fresh(&i.region, $kind)))
                    .collect();
            };
        }
        take!(users, ItemKind::Users);
        take!(access_keys, ItemKind::AccessKeys);
        take!(roles, ItemKind::Roles);
        take!(functions, ItemKind::Functions);
        take!(snapshots, ItemKind::Snapshots);
        take!(images, ItemKind::Images);
        take!(instances, ItemKind::Instances);
        take!(trails, ItemKind::Trails);
        take!(detectors, ItemKind::Detectors);
        take!(open_ingress, ItemKind::OpenIngress);
        take!(event_rules, ItemKind::EventRules);
        take!(profile_associations, ItemKind::ProfileAssociations);
        take!(api_keys, ItemKind::ApiKeys);
        take!(buckets, ItemKind::Buckets);
        take!(databases, ItemKind::Databases);
        take!(db_snapshots, ItemKind::DbSnapshots);
        // The account's block is read with `global`, which every rescan reads: what the rescan
        // could not read stays as it was.
        inventory.account_block = new.account_block.or(old.account_block);
        // What could not be read in a rescanned region is what the rescan says.
        let rescanned =
            |region: &String| region == GLOBAL || rescan.regions.iter().any(|r| r.name == *region);
        inventory.unread = old
            .unread
            .into_iter()
            .filter(|u| !rescanned(&u.region))
            .chain(new.unread)
            .collect();
        inventory.sort();
        self.global = rescan.global.rescanned();
        for region in rescan.regions {
            let region = region.rescanned();
            match self.regions.iter_mut().find(|r| r.name == region.name) {
                Some(old) => *old = region,
                None => self.regions.push(region),
            }
        }
        self.regions.sort_by(|a, b| a.name.cmp(&b.name));
        if rescan.identity.is_some() {
            self.identity = rescan.identity;
        }
        self.fatal = None;
        self.done = true;
    }

    /// The (region, kind) listings this scan finished: only there can a resource the baseline
    /// lists be judged gone.
    pub fn listed(&self) -> Listed {
        let kinds = [
            ItemKind::Functions,
            ItemKind::Snapshots,
            ItemKind::Images,
            ItemKind::Instances,
            ItemKind::Trails,
            ItemKind::Detectors,
            ItemKind::OpenIngress,
            ItemKind::EventRules,
            ItemKind::ProfileAssociations,
            ItemKind::ApiKeys,
            ItemKind::Buckets,
            ItemKind::Databases,
            ItemKind::DbSnapshots,
        ];
        self.regions
            .iter()
            .flat_map(|region| {
                kinds
                    .iter()
                    .filter(|kind| {
                        region.count(**kind).is_some()
                            && !region.failed_listings.iter().any(|s| s == kind.listing())
                    })
                    .map(|kind| (region.name.clone(), *kind))
            })
            .collect()
    }

    /// Whether some region or service could not be read.
    pub fn is_partial(&self) -> bool {
        !self.global.errors.is_empty() || self.regions.iter().any(|r| !r.errors.is_empty())
    }
}

/// A function anyone can invoke: resource policy principal `*`, or a URL without auth, on the
/// function itself or on one of its aliases.
pub fn is_public_function(function: &Function) -> bool {
    function
        .policy_principals
        .as_ref()
        .is_some_and(|p| p.public)
        || function.url_auth == Some(crate::model::UrlAuth::None)
        || function.aliases.iter().any(|a| a.is_public())
}

#[cfg(test)]
mod tests;
