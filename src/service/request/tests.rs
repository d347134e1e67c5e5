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
fn revert_sharing_acts_on_ebs_snapshots_and_not_yet_on_db_snapshots() {
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
    let ebs = finding(
        FindingKind::PublicSnapshot,
        ResourceType::Snapshot,
        "snap-1",
    );
    assert_eq!(
        SharedTarget::of_finding(&ebs),
        Some(SharedTarget {
            kind: Shared::Snapshot,
            region: "eu-west-1".into(),
            id: "snap-1".into(),
        })
    );
    for kind in [FindingKind::PublicSnapshot, FindingKind::SharedSnapshot] {
        let rds = finding(kind, ResourceType::DbSnapshot, "orders-weekly");
        assert_eq!(SharedTarget::of_finding(&rds), None, "{kind:?}");
    }
}
