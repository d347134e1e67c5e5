use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::super::fixtures::{at, identity};
use super::super::{Context, Windows, evaluate};
use crate::baseline::{self, Baseline};
use crate::model::database::{Database, DatabaseKind, DbSnapshot};
use crate::model::finding::{Finding, FindingKind, ResourceType, Severity};
use crate::model::{Inventory, Sharing};
use crate::scan::{ItemKind, Listed};

const PARTNER: &str = "210987654321";
const STRANGER: &str = "999988887777";

fn now() -> DateTime<Utc> {
    at("2026-12-01T12:00:00Z")
}

fn database(id: &str, kind: DatabaseKind) -> Database {
    Database {
        region: "eu-west-1".into(),
        id: id.into(),
        kind,
        engine: Some("postgres".into()),
        created: Some(now() - Duration::days(300)),
        public: false,
        deletion_protection: true,
        backup_retention: 7,
        encrypted: true,
        security_groups: vec!["sg-db".into()],
        cluster: None,
    }
}

fn snapshot(id: &str, accounts: &[&str], encrypted: bool) -> DbSnapshot {
    DbSnapshot {
        region: "eu-west-1".into(),
        id: id.into(),
        kind: DatabaseKind::Instance,
        source: Some("orders".into()),
        created: Some(now() - Duration::days(30)),
        encrypted,
        sharing: Sharing {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            ..Sharing::default()
        },
    }
}

/// Peacetime: a protected instance, an Aurora cluster and one of its instances, a snapshot the
/// partner may restore.
fn peacetime() -> Inventory {
    let mut member = database("ledger-1", DatabaseKind::Instance);
    member.cluster = Some("ledger".into());
    member.deletion_protection = false;
    Inventory {
        databases: vec![
            database("orders", DatabaseKind::Instance),
            database("ledger", DatabaseKind::Cluster),
            member,
        ],
        db_snapshots: vec![snapshot("orders-weekly", &[PARTNER], true)],
        ..Inventory::default()
    }
}

fn listed() -> Listed {
    [
        ("eu-west-1".to_string(), ItemKind::Databases),
        ("eu-west-1".to_string(), ItemKind::DbSnapshots),
    ]
    .into()
}

fn judge(inventory: &Inventory, baseline: Option<&Baseline>) -> Vec<Finding> {
    let listed = listed();
    evaluate(&Context {
        inventory,
        baseline,
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &listed,
    })
}

fn captured() -> Baseline {
    baseline::capture(&peacetime(), &identity(), now() - Duration::days(2))
}

fn found(inventory: &Inventory) -> BTreeSet<(FindingKind, Severity, String, String)> {
    judge(inventory, Some(&captured()))
        .into_iter()
        .map(|f| (f.kind, f.severity, f.resource_id, f.facts))
        .collect()
}

fn with(change: impl FnOnce(&mut Inventory)) -> Inventory {
    let mut estate = peacetime();
    change(&mut estate);
    estate
}

fn named<'a>(estate: &'a mut Inventory, id: &str) -> &'a mut Database {
    estate
        .databases
        .iter_mut()
        .find(|d| d.id == id)
        .expect("a peacetime database")
}

#[test]
fn an_unchanged_estate_against_its_own_baseline_has_no_findings() {
    assert_eq!(judge(&peacetime(), Some(&captured())), Vec::new());
    let baseline = captured();
    let orders = baseline.database("eu-west-1", "orders").expect("captured");
    assert!(orders.deletion_protection && !orders.public);
    assert_eq!(orders.backup_retention, 7);
    assert!(baseline.knows_resource(ResourceType::Database, "eu-west-1", "ledger"));
    assert!(baseline.knows_resource(ResourceType::DbSnapshot, "eu-west-1", "orders-weekly"));
    assert!(baseline.trusted_accounts.contains(PARTNER));
}

#[test]
fn a_database_made_public_is_critical_against_the_baseline_and_high_without() {
    let public = with(|estate| named(estate, "orders").public = true);
    assert_eq!(
        found(&public),
        [(
            FindingKind::PublicDatabase,
            Severity::Critical,
            "orders".to_string(),
            "public".to_string()
        )]
        .into()
    );
    let unbaselined = judge(&public, None);
    let finding = unbaselined
        .iter()
        .find(|f| f.kind == FindingKind::PublicDatabase)
        .expect("public");
    assert_eq!(finding.severity, Severity::High);
    assert_eq!(finding.details, vec!["security groups: sg-db"]);
    // Public at capture: expected.
    let mut baseline = captured();
    if let Some(settings) = baseline
        .resources
        .databases
        .as_mut()
        .and_then(|d| d.get_mut("eu-west-1"))
        .and_then(|d| d.get_mut("orders"))
    {
        settings.public = true;
    }
    assert_eq!(judge(&public, Some(&baseline)), Vec::new());
}

#[test]
fn deletion_protection_off_or_backups_cut_weakens_and_backups_off_is_critical() {
    let unprotected = with(|estate| named(estate, "orders").deletion_protection = false);
    assert_eq!(
        found(&unprotected),
        [(
            FindingKind::DatabaseProtectionWeakened,
            Severity::High,
            "orders".to_string(),
            "deletion-protection".to_string()
        )]
        .into()
    );
    let cut = with(|estate| named(estate, "ledger").backup_retention = 1);
    assert_eq!(
        found(&cut),
        [(
            FindingKind::DatabaseProtectionWeakened,
            Severity::High,
            "ledger".to_string(),
            "backup-retention:7d->1d".to_string()
        )]
        .into()
    );
    let wiped = with(|estate| {
        let orders = named(estate, "orders");
        orders.backup_retention = 0;
        orders.deletion_protection = false;
    });
    let findings = judge(&wiped, Some(&captured()));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Critical);
    assert_eq!(findings[0].facts, "deletion-protection,backups");
    assert!(findings[0].summary.contains("and its automated backups"));
    // Backups that were off at capture are not lost now.
    let mut baseline = captured();
    if let Some(settings) = baseline
        .resources
        .databases
        .as_mut()
        .and_then(|d| d.get_mut("eu-west-1"))
        .and_then(|d| d.get_mut("orders"))
    {
        settings.backup_retention = 0;
    }
    let never = with(|estate| named(estate, "orders").backup_retention = 0);
    assert_eq!(judge(&never, Some(&baseline)), Vec::new());
    // A cluster's instance is judged by its cluster; more protection than at capture is fine.
    let member = with(|estate| {
        named(estate, "ledger-1").backup_retention = 0;
        named(estate, "orders").backup_retention = 35;
    });
    assert_eq!(found(&member), BTreeSet::new());
}

#[test]
fn a_snapshot_shared_out_or_public_is_found_like_an_ebs_snapshot() {
    let shared = with(|estate| {
        estate.db_snapshots[0]
            .sharing
            .accounts
            .insert(STRANGER.into());
        estate
            .db_snapshots
            .push(snapshot("orders-copy", &[], false));
        estate.db_snapshots[1].sharing.public = true;
        estate.db_snapshots[1].kind = DatabaseKind::Cluster;
        estate.db_snapshots[1].created = Some(now() - Duration::hours(1));
    });
    let findings = judge(&shared, Some(&captured()));
    let summary: BTreeSet<(FindingKind, Severity, ResourceType, String)> = findings
        .iter()
        .map(|f| (f.kind, f.severity, f.resource_type, f.resource_id.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                FindingKind::SharedSnapshot,
                Severity::High,
                ResourceType::DbSnapshot,
                "orders-weekly".to_string()
            ),
            (
                FindingKind::PublicSnapshot,
                Severity::Critical,
                ResourceType::DbSnapshot,
                "orders-copy".to_string()
            ),
            (
                FindingKind::RecentResource,
                Severity::Medium,
                ResourceType::DbSnapshot,
                "orders-copy".to_string()
            ),
        ]
        .into()
    );
    let public = findings
        .iter()
        .find(|f| f.kind == FindingKind::PublicSnapshot)
        .expect("public");
    assert!(
        public
            .summary
            .starts_with("DB cluster snapshot orders-copy (UNENCRYPTED)")
    );
    assert_eq!(public.details, vec!["of orders"]);
    // Accepted, the new snapshot is known.
    let recent = findings
        .iter()
        .find(|f| f.kind == FindingKind::RecentResource)
        .expect("recent");
    let mut baseline = captured();
    baseline::accept(&mut baseline, recent, "me", now()).expect("acceptable");
    assert!(baseline.knows_resource(ResourceType::DbSnapshot, "eu-west-1", "orders-copy"));
    let unencrypted = with(|estate| {
        estate.db_snapshots[0].encrypted = false;
        estate.db_snapshots[0]
            .sharing
            .accounts
            .insert(STRANGER.into());
    });
    assert!(
        judge(&unencrypted, Some(&captured()))
            .iter()
            .any(|f| f.kind == FindingKind::SharedSnapshot && f.severity == Severity::Critical)
    );
}

#[test]
fn a_database_or_snapshot_gone_is_critical_and_every_finding_can_be_accepted() {
    let breached = with(|estate| {
        estate.databases.retain(|d| d.id != "orders");
        estate.db_snapshots[0]
            .sharing
            .accounts
            .insert(STRANGER.into());
        let ledger = named(estate, "ledger");
        ledger.deletion_protection = false;
        named(estate, "ledger-1").public = true;
    });
    let mut baseline = captured();
    let findings = judge(&breached, Some(&baseline));
    let kinds: Vec<(FindingKind, Severity, &str)> = findings
        .iter()
        .map(|f| (f.kind, f.severity, f.resource_id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (FindingKind::DeletedResource, Severity::Critical, "orders"),
            (FindingKind::PublicDatabase, Severity::Critical, "ledger-1"),
            (
                FindingKind::DatabaseProtectionWeakened,
                Severity::High,
                "ledger"
            ),
            (FindingKind::SharedSnapshot, Severity::High, "orders-weekly"),
        ]
    );
    for finding in &findings {
        baseline::accept(&mut baseline, finding, "me", now()).expect("acceptable");
    }
    assert_eq!(judge(&breached, Some(&baseline)), Vec::new());
    assert!(baseline.database("eu-west-1", "orders").is_none());
    // Gone only where databases were listed.
    let unlisted = evaluate(&Context {
        inventory: &with(|estate| estate.db_snapshots.clear()),
        baseline: Some(&captured()),
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &Listed::new(),
    });
    assert_eq!(unlisted, Vec::new());
    let snapshot_gone = judge(
        &with(|estate| estate.db_snapshots.clear()),
        Some(&captured()),
    );
    assert_eq!(snapshot_gone.len(), 1);
    assert_eq!(
        (snapshot_gone[0].kind, snapshot_gone[0].severity),
        (FindingKind::DeletedResource, Severity::Critical)
    );
}

#[test]
fn a_new_database_is_recent_and_accepting_it_makes_it_known() {
    let mut estate = peacetime();
    let mut staging = database("restored-copy", DatabaseKind::Instance);
    staging.created = Some(now() - Duration::hours(3));
    estate.databases.push(staging);
    let mut baseline = captured();
    let findings = judge(&estate, Some(&baseline));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, FindingKind::RecentResource);
    assert!(
        findings[0]
            .summary
            .starts_with("DB instance restored-copy is new")
    );
    baseline::accept(&mut baseline, &findings[0], "me", now()).expect("acceptable");
    assert!(baseline.knows_resource(ResourceType::Database, "eu-west-1", "restored-copy"));
    assert_eq!(judge(&estate, Some(&baseline)), Vec::new());
}
