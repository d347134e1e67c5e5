//! Databases, end to end: a peacetime estate of a protected Postgres instance, an Aurora
//! cluster and manual snapshots (one the partner may restore) is captured; then the attacks on
//! databases are planted with the SDK — an instance made public, its deletion protection and
//! backups taken away, snapshots shared out and made public, an instance deleted — and `scan`
//! must report each with its kind and severity, and `baseline accept` must take each back.

use firebreak_core::model::finding::{FindingKind, Severity};

use crate::findings::{accept_each, by_id, capture_quiet, expected, facts_of, scan_with_baseline};
use crate::support::TestBed;
use crate::support::seed::Seeder;

const PARTNER: &str = "210987654321";
const STRANGER: &str = "999988887777";

async fn share(seed: &Seeder, snapshot: &str, account: &str) {
    seed.rds("eu-west-1")
        .modify_db_snapshot_attribute()
        .db_snapshot_identifier(snapshot)
        .attribute_name("restore")
        .values_to_add(account)
        .send()
        .await
        .expect("share snapshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_attack_on_a_database_is_a_finding_and_can_be_accepted() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let rds = seed.rds("eu-west-1");

    // Peacetime.
    seed.db_instance("eu-west-1", "orders", true).await;
    seed.db_instance("eu-west-1", "reports", true).await;
    rds.create_db_cluster()
        .db_cluster_identifier("ledger")
        .engine("aurora-postgresql")
        .master_username("admin")
        .master_user_password("not-a-secret-test-only")
        .deletion_protection(true)
        .backup_retention_period(7)
        .storage_encrypted(true)
        .send()
        .await
        .expect("create cluster");
    rds.create_db_snapshot()
        .db_instance_identifier("orders")
        .db_snapshot_identifier("orders-weekly")
        .send()
        .await
        .expect("snapshot");
    share(&seed, "orders-weekly", PARTNER).await;
    rds.create_db_cluster_snapshot()
        .db_cluster_identifier("ledger")
        .db_cluster_snapshot_identifier("ledger-monthly")
        .send()
        .await
        .expect("cluster snapshot");

    let (baseline, quiet) = capture_quiet(
        &bed,
        &[
            "[resources.databases.eu-west-1.orders]",
            "[resources.databases.eu-west-1.ledger]",
            "deletion_protection = true",
            "backup_retention = 7",
            "orders-weekly",
            "ledger-monthly",
            PARTNER,
        ],
    );
    assert_eq!(
        quiet.inventory.databases.len(),
        3,
        "{:#?}",
        quiet.inventory.databases
    );
    assert_eq!(quiet.inventory.db_snapshots.len(), 2);

    // The intruder: orders made public with its protection and backups gone; the cluster's
    // deletion protection off; the weekly snapshot shared with a stranger; the monthly one
    // public; reports deleted.
    rds.modify_db_instance()
        .db_instance_identifier("orders")
        .publicly_accessible(true)
        .deletion_protection(false)
        .backup_retention_period(0)
        .apply_immediately(true)
        .send()
        .await
        .expect("weaken orders");
    rds.modify_db_cluster()
        .db_cluster_identifier("ledger")
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await
        .expect("weaken ledger");
    share(&seed, "orders-weekly", STRANGER).await;
    rds.modify_db_cluster_snapshot_attribute()
        .db_cluster_snapshot_identifier("ledger-monthly")
        .attribute_name("restore")
        .values_to_add("all")
        .send()
        .await
        .expect("cluster snapshot public");
    rds.modify_db_instance()
        .db_instance_identifier("reports")
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await
        .expect("unprotect reports");
    rds.delete_db_instance()
        .db_instance_identifier("reports")
        .skip_final_snapshot(true)
        .send()
        .await
        .expect("delete reports");

    let report = scan_with_baseline(&bed, &baseline, &[]);
    let found = by_id(&report);
    let wanted = expected([
        (
            "public_database:eu-west-1:orders",
            (FindingKind::PublicDatabase, Severity::Critical),
        ),
        (
            "database_protection_weakened:eu-west-1:orders",
            (FindingKind::DatabaseProtectionWeakened, Severity::Critical),
        ),
        (
            "database_protection_weakened:eu-west-1:ledger",
            (FindingKind::DatabaseProtectionWeakened, Severity::High),
        ),
        (
            "shared_snapshot:eu-west-1:orders-weekly",
            (FindingKind::SharedSnapshot, Severity::High),
        ),
        (
            "public_snapshot:eu-west-1:ledger-monthly",
            (FindingKind::PublicSnapshot, Severity::Critical),
        ),
        (
            "deleted_resource:eu-west-1:reports",
            (FindingKind::DeletedResource, Severity::Critical),
        ),
    ]);
    assert_eq!(found, wanted);
    let facts = |id: &str| facts_of(&report, id);
    assert_eq!(
        facts("database_protection_weakened:eu-west-1:orders"),
        "deletion-protection,backups"
    );
    assert_eq!(facts("shared_snapshot:eu-west-1:orders-weekly"), STRANGER);

    // Accepting each finding takes exactly it away; at the end nothing is left.
    accept_each(&bed, &baseline, &report, |_| Vec::new());
}
