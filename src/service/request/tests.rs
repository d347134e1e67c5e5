use super::*;
use firebreak_core::bindings::Bindings;
use firebreak_core::scan::{RegionSelection, ScanOptions};

/// A session whose AWS calls would fail: only what is decided before any call is tested.
fn offline_session(break_glass: &[&str]) -> Session {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    Session {
        ctx: crate::aws::AwsContext::for_tests(sdk, Vec::new()),
        scan: ScanOptions {
            regions: RegionSelection::Enabled,
            region_concurrency: 1,
            detail_concurrency: 1,
            census: firebreak_core::scan::CensusBound {
                objects: 10,
                sampled: 1,
            },
        },
        read_only: false,
        baseline_path: None,
        baseline_explicit: false,
        data_dir: None,
        break_glass: break_glass.iter().map(|s| s.to_string()).collect(),
        log_delivery_roles: Vec::new(),
        sandbox_accounts: Vec::new(),
        keys: Bindings::default(),
        profile: None,
        endpoint: None,
    }
}

#[tokio::test]
async fn freeze_is_refused_for_a_caller_the_guard_cannot_name_without_break_glass() {
    let identity = Identity {
        id: "123456789012".into(),
        alias: None,
        caller_arn: "arn:aws:sts::123456789012:federated-user/jo".into(),
    };
    let session = offline_session(&[]);
    let refused = prepare(
        Planning {
            session: &session,
            identity: &identity,
            action_id: "s-1".into(),
            journal_session: "s",
        },
        &Request::Freeze,
    )
    .await;
    match refused {
        Err(ServiceError::Confirmation(why)) => {
            assert!(
                why.contains("federated-user/jo") && why.contains("break_glass"),
                "{why}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn revert_sharing_acts_on_each_finding_about_who_may_reach_a_resource_and_on_no_other() {
    let finding = |kind, resource_type, id: &str| Finding {
        id: firebreak_core::model::finding::finding_id(kind, "eu-west-1", id),
        kind,
        severity: Severity::Critical,
        region: "eu-west-1".into(),
        resource_type,
        resource_id: id.into(),
        arn: None,
        summary: String::new(),
        details: Vec::new(),
        related: Vec::new(),
        facts: "public".into(),
        attribution: None,
    };
    let target = |kind, id: &str| {
        Some(SharedTarget {
            kind,
            region: "eu-west-1".into(),
            id: id.into(),
        })
    };
    let cases = [
        (
            FindingKind::PublicSnapshot,
            ResourceType::Snapshot,
            "snap-1",
            target(Shared::Snapshot, "snap-1"),
        ),
        (
            FindingKind::SharedSnapshot,
            ResourceType::DbSnapshot,
            "orders-weekly",
            target(Shared::DbSnapshot, "orders-weekly"),
        ),
        (
            FindingKind::PublicSnapshot,
            ResourceType::DbSnapshot,
            "orders-weekly",
            target(Shared::DbSnapshot, "orders-weekly"),
        ),
        (
            FindingKind::SharedImage,
            ResourceType::Image,
            "ami-1",
            target(Shared::Image, "ami-1"),
        ),
        (
            FindingKind::PublicFunction,
            ResourceType::Function,
            "orders",
            target(Shared::Function, "orders"),
        ),
        (
            FindingKind::PublicBucket,
            ResourceType::Bucket,
            "ledger",
            target(Shared::Bucket, "ledger"),
        ),
        (
            FindingKind::SharedBucket,
            ResourceType::Bucket,
            "ledger",
            target(Shared::Bucket, "ledger"),
        ),
        (
            FindingKind::PublicAccessBlockOff,
            ResourceType::Bucket,
            "ledger",
            target(Shared::Bucket, "ledger"),
        ),
        (
            FindingKind::PublicAccessBlockOff,
            ResourceType::Account,
            "123456789012",
            target(Shared::AccountBlock, "123456789012"),
        ),
        (
            FindingKind::PublicDatabase,
            ResourceType::Database,
            "orders",
            target(Shared::Database, "orders"),
        ),
        (
            FindingKind::BucketProtectionWeakened,
            ResourceType::Bucket,
            "ledger",
            None,
        ),
        (
            FindingKind::RansomSigns,
            ResourceType::Bucket,
            "ledger",
            None,
        ),
        (
            FindingKind::DatabaseProtectionWeakened,
            ResourceType::Database,
            "orders",
            None,
        ),
    ];
    for (kind, resource_type, id, expected) in cases {
        assert_eq!(
            SharedTarget::of_finding(&finding(kind, resource_type, id)),
            expected,
            "{kind:?} on {resource_type:?}"
        );
    }
}

#[test]
fn command_line_ids_name_their_kind_and_bad_ones_are_refused() {
    let cases = [
        ("snap-0abc", Shared::Snapshot, "snap-0abc"),
        ("ami-0abc", Shared::Image, "ami-0abc"),
        ("orders-api", Shared::Function, "orders-api"),
        ("s3://ledger.backups", Shared::Bucket, "ledger.backups"),
        ("db:orders", Shared::Database, "orders"),
        (
            "db-snapshot:orders-final",
            Shared::DbSnapshot,
            "orders-final",
        ),
    ];
    for (text, kind, id) in cases {
        assert!(SharedTarget::valid_id(text), "{text}");
        assert_eq!(
            SharedTarget::from_id("eu-west-1", text),
            SharedTarget {
                kind,
                region: "eu-west-1".into(),
                id: id.into(),
            }
        );
    }
    for bad in [
        "",
        "s3://",
        "db:",
        "db-snapshot:",
        "orders api",
        "ledger.backups",
        "s3://a b",
        "db:a.b",
    ] {
        assert!(!SharedTarget::valid_id(bad), "{bad:?}");
    }
}
