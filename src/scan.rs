//! The all-region scan. `spawn` runs every region concurrently (bounded by a semaphore) and
//! streams `ScanEvent`s as each service in each region answers; `ScanState::apply` folds them into
//! the picture every front end shows. One slow or failing region never holds up the others.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::aws::{self, AwsContext, AwsError, RegionInfo};
use crate::model::{
    AccessKey, ApiKey, Detector, EventRule, Function, GLOBAL, Identity, Image, Instance, Inventory,
    OpenIngress, ProfileAssociation, Role, Snapshot, Trail, Unread, User,
};

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

/// Starts a scan in the background and returns its event stream, which ends after `Done` or
/// `Fatal`.
pub fn spawn(ctx: AwsContext, options: ScanOptions) -> mpsc::UnboundedReceiver<ScanEvent> {
    let (events, receiver) = mpsc::unbounded_channel();
    tokio::spawn(run(ctx, options, events));
    receiver
}

/// Runs a whole scan, sending events to `events`. A closed receiver stops nothing early but
/// is otherwise harmless.
pub async fn run(ctx: AwsContext, options: ScanOptions, events: mpsc::UnboundedSender<ScanEvent>) {
    let send = |event| {
        // The receiver may have gone (the user quit): nothing left to tell.
        let _ = events.send(event);
    };
    let started = Instant::now();
    // Neither answer needs the other: asked at once, they cost one round trip, not two.
    let (identified, planned) = tokio::join!(ctx.identity(), plan_regions(&ctx, &options.regions));
    let (identity, alias_error) = match identified {
        Ok(found) => found,
        Err(error) => return send(ScanEvent::Fatal(error)),
    };
    let account = identity.id.clone();
    send(ScanEvent::Identity(identity));

    let (regions, listing_error) = match planned {
        Ok(planned) => planned,
        Err(error) => return send(ScanEvent::Fatal(error)),
    };
    send(ScanEvent::Planned(regions.clone()));

    let mut tasks = JoinSet::new();
    let global_ctx = ctx.clone();
    let global_events = events.clone();
    let detail = options.detail_concurrency;
    tasks.spawn(async move {
        let send = |event| {
            let _ = global_events.send(event);
        };
        send(ScanEvent::Started {
            region: GLOBAL.to_string(),
        });
        for error in alias_error.into_iter().chain(listing_error) {
            send(ScanEvent::Part {
                region: GLOBAL.to_string(),
                part: Part::Problem(error),
            });
        }
        // Like a region's listings, a failed IAM listing is read once more before `error`.
        let read = match aws::iam::inventory(&global_ctx, detail).await {
            Err(_) => aws::iam::inventory(&global_ctx, detail).await,
            read => read,
        };
        let parts = match read {
            Ok(iam) => std::iter::once(Part::Iam {
                users: iam.users,
                access_keys: iam.access_keys,
                roles: iam.roles,
            })
            .chain(iam.problems.into_iter().map(Part::Problem))
            .collect(),
            Err(error) => vec![Part::Failed {
                kind: ItemKind::Users,
                error,
            }],
        };
        for part in parts {
            send(ScanEvent::Part {
                region: GLOBAL.to_string(),
                part,
            });
        }
        send(ScanEvent::Finished {
            region: GLOBAL.to_string(),
            duration: started.elapsed(),
        });
    });

    let permits = Arc::new(Semaphore::new(options.region_concurrency.max(1)));
    for region in regions.into_iter().filter(|r| r.enabled) {
        let ctx = ctx.clone();
        let events = events.clone();
        let permits = permits.clone();
        let account = account.clone();
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only fails if it were: then run anyway.
            let _permit = permits.acquire_owned().await.ok();
            scan_region(&ctx, &region.name, &account, detail, &events).await;
        });
    }
    while tasks.join_next().await.is_some() {}
    send(ScanEvent::Done);
}

/// What a region is read for.
#[derive(Debug, Clone, Copy)]
enum Service {
    Functions,
    Snapshots,
    Images,
    Instances,
    Trails,
    Detectors,
    OpenIngress,
    EventRules,
    ProfileAssociations,
    ApiKeys,
}

impl Service {
    /// The kind of item the service's listing reads.
    fn kind(self) -> ItemKind {
        match self {
            Service::Functions => ItemKind::Functions,
            Service::Snapshots => ItemKind::Snapshots,
            Service::Images => ItemKind::Images,
            Service::Instances => ItemKind::Instances,
            Service::Trails => ItemKind::Trails,
            Service::Detectors => ItemKind::Detectors,
            Service::OpenIngress => ItemKind::OpenIngress,
            Service::EventRules => ItemKind::EventRules,
            Service::ProfileAssociations => ItemKind::ProfileAssociations,
            Service::ApiKeys => ItemKind::ApiKeys,
        }
    }
}

const SERVICES: [Service; 10] = [
    Service::Functions,
    Service::Snapshots,
    Service::Images,
    Service::Instances,
    Service::Trails,
    Service::Detectors,
    Service::OpenIngress,
    Service::EventRules,
    Service::ProfileAssociations,
    Service::ApiKeys,
];

/// One service's listing in `region`, as parts (items, then problems with single items);
/// `Err` when the listing itself failed.
async fn read_service(
    ctx: &AwsContext,
    region: &str,
    account: &str,
    detail: usize,
    service: Service,
) -> Result<Vec<Part>, AwsError> {
    fn with_problems(items: Part, problems: Vec<AwsError>) -> Vec<Part> {
        std::iter::once(items)
            .chain(problems.into_iter().map(Part::Problem))
            .collect()
    }
    Ok(match service {
        Service::Functions => {
            let (found, problems) = aws::lambda::functions(ctx, region, detail).await?;
            with_problems(Part::Functions(found), problems)
        }
        Service::Snapshots => {
            let (found, problems) = aws::ec2::snapshots(ctx, region, account, detail).await?;
            with_problems(Part::Snapshots(found), problems)
        }
        Service::Images => {
            let (found, problems) = aws::ec2::images(ctx, region, detail).await?;
            with_problems(Part::Images(found), problems)
        }
        Service::Instances => vec![Part::Instances(aws::ec2::instances(ctx, region).await?)],
        Service::Trails => {
            let (found, problems) = aws::cloudtrail::trails(ctx, region, account, detail).await?;
            with_problems(Part::Trails(found), problems)
        }
        Service::Detectors => {
            let (found, problems) = aws::guardduty::detectors(ctx, region).await?;
            with_problems(Part::Detectors(found), problems)
        }
        Service::OpenIngress => {
            let (found, problems) = aws::ec2::open_ingress(ctx, region).await?;
            with_problems(Part::OpenIngress(found), problems)
        }
        Service::EventRules => {
            let (found, problems) = aws::eventbridge::rules(ctx, region, detail).await?;
            with_problems(Part::EventRules(found), problems)
        }
        Service::ProfileAssociations => vec![Part::ProfileAssociations(
            aws::ec2::profile_associations(ctx, region).await?,
        )],
        Service::ApiKeys => vec![Part::ApiKeys(aws::apigateway::api_keys(ctx, region).await?)],
    })
}

async fn scan_region(
    ctx: &AwsContext,
    region: &str,
    account: &str,
    detail: usize,
    events: &mpsc::UnboundedSender<ScanEvent>,
) {
    let started = Instant::now();
    let send = |event| {
        let _ = events.send(event);
    };
    let part = |part| {
        send(ScanEvent::Part {
            region: region.to_string(),
            part,
        })
    };
    send(ScanEvent::Started {
        region: region.to_string(),
    });
    let emit = |parts: Vec<Part>| parts.into_iter().for_each(part);
    let first = futures::future::join_all(SERVICES.map(|service| async move {
        let read = read_service(ctx, region, account, detail, service).await;
        if let Ok(parts) = &read {
            emit(parts.clone());
        }
        (service, read.is_err())
    }))
    .await;
    // A listing that failed is read once more when the region's other work is done (a burst
    // of throttling has often passed by then), before the region is marked `error`.
    for (service, failed) in first {
        if failed {
            match read_service(ctx, region, account, detail, service).await {
                Ok(parts) => emit(parts),
                Err(error) => part(Part::Failed {
                    kind: service.kind(),
                    error,
                }),
            }
        }
    }
    send(ScanEvent::Finished {
        region: region.to_string(),
        duration: started.elapsed(),
    });
}

/// Decides which regions to show. Named regions must be listed by DescribeRegions; when it fails,
/// that is not fatal: they are scanned as given and the error is reported as a global one.
async fn plan_regions(
    ctx: &AwsContext,
    selection: &RegionSelection,
) -> Result<(Vec<RegionInfo>, Option<AwsError>), AwsError> {
    let listed = ctx.regions().await;
    match selection {
        RegionSelection::Enabled => Ok((listed?.into_iter().filter(|r| r.enabled).collect(), None)),
        RegionSelection::All => Ok((listed?, None)),
        RegionSelection::Named(names) => match listed {
            Ok(known) => Ok((ctx.named_regions(&known, names).map_err(|e| *e)?, None)),
            Err(error) => Ok((
                names
                    .iter()
                    .map(|name| RegionInfo {
                        name: name.clone(),
                        enabled: true,
                    })
                    .collect(),
                Some(error),
            )),
        },
    }
}

#[cfg(test)]
mod tests;
