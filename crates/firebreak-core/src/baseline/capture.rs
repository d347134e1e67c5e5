//! A baseline made from what a scan found (`capture`), and one finding's subject added to it
//! (`accept`).

use super::*;
use crate::model::storage::{Bucket, Versioning};

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
        .chain(
            inventory
                .buckets
                .iter()
                .filter_map(|b| b.policy.as_ref())
                .flat_map(|p| &p.accounts),
        )
        .chain(
            inventory
                .db_snapshots
                .iter()
                .flat_map(|s| &s.sharing.accounts),
        )
        .chain(
            inventory
                .buckets
                .iter()
                .flat_map(|b| &b.replication)
                .filter_map(|r| r.account.as_ref()),
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
    let log_buckets: BTreeSet<&str> = inventory
        .trails
        .iter()
        .filter_map(|t| t.bucket.as_deref())
        .collect();
    let mut buckets: BTreeMap<String, BTreeMap<String, BucketSettings>> = BTreeMap::new();
    for bucket in &inventory.buckets {
        buckets
            .entry(bucket.region.clone())
            .or_default()
            .insert(bucket.name.clone(), bucket_settings(bucket, &log_buckets));
    }
    resources.buckets = Some(buckets);
    let mut databases: BTreeMap<String, BTreeMap<String, DatabaseSettings>> = BTreeMap::new();
    for database in &inventory.databases {
        databases
            .entry(database.region.clone())
            .or_default()
            .insert(
                database.id.clone(),
                DatabaseSettings {
                    public: database.public,
                    deletion_protection: database.deletion_protection,
                    backup_retention: database.backup_retention,
                },
            );
    }
    resources.databases = Some(databases);
    resources.db_snapshots = section(
        inventory
            .db_snapshots
            .iter()
            .map(|s| (&s.region, s.id.clone()))
            .collect(),
    );
    resources.account_public_access_block = inventory
        .account_block
        .map(|block| block.settings().all_on());
    baseline.regions_in_use = [
        &resources.functions,
        &resources.snapshots,
        &resources.images,
        &resources.instances,
    ]
    .iter()
    .flat_map(|map| map.keys().cloned())
    .chain(inventory.buckets.iter().map(|b| b.region.clone()))
    .chain(inventory.databases.iter().map(|d| d.region.clone()))
    .collect();
    baseline
}

/// How `bucket` is set now, as the baseline keeps it. `log_buckets` are the trails' buckets.
fn bucket_settings(bucket: &Bucket, log_buckets: &BTreeSet<&str>) -> BucketSettings {
    let holds = if log_buckets.contains(bucket.name.as_str()) {
        Some(Holds::Logs)
    } else if bucket.name.to_ascii_lowercase().contains("backup") {
        Some(Holds::Backups)
    } else {
        None
    };
    BucketSettings {
        blocked: bucket.block.is_some_and(|b| b.all_on()),
        versioning: bucket.versioning == Versioning::Enabled,
        mfa_delete: bucket.mfa_delete,
        object_lock: bucket.object_lock,
        holds,
        expiring_rules: bucket.expiring_rules.iter().cloned().collect(),
        objects: bucket.census.as_ref().map(|c| c.listed),
        more_objects: bucket.census.as_ref().is_some_and(|c| c.more),
        grantees: bucket.acl.accounts.clone(),
    }
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
        FindingKind::ExternalTrust
        | FindingKind::SharedSnapshot
        | FindingKind::SharedImage
        | FindingKind::SharedBucket
        | FindingKind::ReplicationOut => {
            baseline.trusted_accounts.extend(accounts());
        }
        FindingKind::RecentResource => {
            if finding.resource_type == ResourceType::Bucket
                && let Some(buckets) = baseline.resources.buckets.as_mut()
            {
                buckets
                    .entry(finding.region.clone())
                    .or_default()
                    .entry(finding.resource_id.clone())
                    .or_default();
            }
            if finding.resource_type == ResourceType::Database
                && let Some(databases) = baseline.resources.databases.as_mut()
            {
                databases
                    .entry(finding.region.clone())
                    .or_default()
                    .entry(finding.resource_id.clone())
                    .or_default();
            }
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
            if finding.resource_type == ResourceType::Bucket
                && let Some(buckets) = baseline
                    .resources
                    .buckets
                    .as_mut()
                    .and_then(|b| b.get_mut(&finding.region))
            {
                buckets.remove(&finding.resource_id);
            }
            if finding.resource_type == ResourceType::Database
                && let Some(databases) = baseline
                    .resources
                    .databases
                    .as_mut()
                    .and_then(|d| d.get_mut(&finding.region))
            {
                databases.remove(&finding.resource_id);
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
        | FindingKind::DetectionDisabled
        | FindingKind::PublicBucket
        | FindingKind::PublicAccessBlockOff
        | FindingKind::BucketProtectionWeakened
        | FindingKind::DataExpiry
        | FindingKind::RansomSigns
        | FindingKind::PublicDatabase
        | FindingKind::DatabaseProtectionWeakened => {}
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
