//! Evasion and persistence, end to end: a peacetime estate with trails, detectors, an expected
//! open port, a rule, an API key and a backup is captured; the intruder's moves to go unseen and
//! to come back are planted one by one; `scan` must report each with its kind and severity, and
//! `baseline accept` must take each back.

use std::collections::BTreeMap;

use firebreak_core::model::finding::{Attribution, FindingKind, Severity};

use crate::findings::{accept_each, by_id, capture_quiet, scan_with_baseline};
use crate::support::{ACCOUNT, TestBed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_way_to_hide_or_come_back_is_a_finding_and_can_be_accepted() {
    let bed = TestBed::start();
    let seed = bed.seeder();

    // Peacetime: an organisation trail and a regional one, GuardDuty in two regions, a web
    // server open on 443 (expected), a backup job rule, a partner's API key and a backup.
    seed.trail("us-east-1", "org-trail", true).await;
    seed.trail("eu-west-1", "eu-audit", false).await;
    let detector = seed.detector("us-east-1").await;
    let eu_detector = seed.detector("eu-west-1").await;
    let web = seed.open_group("us-east-1", "web", 443).await;
    let instance = seed.instance("us-east-1").await;
    seed.event_rule(
        "us-east-1",
        "nightly-backup",
        "cron(0 3 * * ? *)",
        &format!("arn:aws:sns:us-east-1:{ACCOUNT}:backups"),
    )
    .await;
    seed.api_key("us-east-1", "partner").await;
    let backup = seed.snapshot("us-east-1", true).await;

    let (baseline, quiet) = capture_quiet(
        &bed,
        &[
            "org-trail",
            "eu-audit",
            detector.as_str(),
            &format!("{web} tcp/443 0.0.0.0/0"),
            "nightly-backup",
            &backup,
        ],
    );
    assert_eq!(
        quiet.inventory.trails.len(),
        2,
        "{:#?}",
        quiet.inventory.trails
    );

    // The intruder: logging stopped and management events cut on the org trail, the EU trail
    // deleted, one detector disabled and the other deleted, SSH opened to the world, a rule
    // that runs a function every five minutes, an administrator role on a running instance, a
    // new API key, and the backup deleted.
    seed.stop_logging("us-east-1", "org-trail").await;
    seed.cloudtrail("us-east-1")
        .put_event_selectors()
        .trail_name("org-trail")
        .event_selectors(
            aws_sdk_cloudtrail::types::EventSelector::builder()
                .include_management_events(false)
                .read_write_type(aws_sdk_cloudtrail::types::ReadWriteType::All)
                .build(),
        )
        .send()
        .await
        .expect("exclude management events");
    seed.cloudtrail("eu-west-1")
        .delete_trail()
        .name("eu-audit")
        .send()
        .await
        .expect("delete trail");
    seed.disable_detector("us-east-1", &detector).await;
    seed.guardduty("eu-west-1")
        .delete_detector()
        .detector_id(&eu_detector)
        .send()
        .await
        .expect("delete detector");
    seed.open_port("us-east-1", &web, 22).await;
    seed.event_rule(
        "us-east-1",
        "every-5",
        "rate(5 minutes)",
        &format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:miner"),
    )
    .await;
    let profile = seed
        .instance_profile("ec2-ops", "arn:aws:iam::aws:policy/AdministratorAccess")
        .await;
    seed.associate_profile("us-east-1", &instance, &profile)
        .await;
    let key = seed.api_key("us-east-1", "exfil").await;
    seed.ec2("us-east-1")
        .delete_snapshot()
        .snapshot_id(&backup)
        .send()
        .await
        .expect("delete backup");

    let report = scan_with_baseline(&bed, &baseline, &[]);
    let found = by_id(&report);
    let expected = [
        (
            "logging_stopped:us-east-1:org-trail".to_string(),
            (FindingKind::LoggingStopped, Severity::Critical),
        ),
        (
            "trail_weakened:us-east-1:org-trail".to_string(),
            (FindingKind::TrailWeakened, Severity::Critical),
        ),
        (
            "deleted_resource:eu-west-1:eu-audit".to_string(),
            (FindingKind::DeletedResource, Severity::Critical),
        ),
        (
            format!("detection_disabled:us-east-1:{detector}"),
            (FindingKind::DetectionDisabled, Severity::Critical),
        ),
        (
            format!("deleted_resource:eu-west-1:{eu_detector}"),
            (FindingKind::DeletedResource, Severity::Critical),
        ),
        (
            format!("open_ingress:us-east-1:{web}"),
            (FindingKind::OpenIngress, Severity::Critical),
        ),
        (
            "unknown_event_rule:us-east-1:every-5".to_string(),
            (FindingKind::UnknownEventRule, Severity::Critical),
        ),
        (
            format!("unknown_profile_association:us-east-1:{instance}/{profile}"),
            (FindingKind::UnknownProfileAssociation, Severity::Critical),
        ),
        (
            format!("unknown_api_key:us-east-1:{key}"),
            (FindingKind::UnknownApiKey, Severity::High),
        ),
        (
            format!("deleted_resource:us-east-1:{backup}"),
            (FindingKind::DeletedResource, Severity::Critical),
        ),
        // The administrator role behind the profile is new, too.
        (
            "unknown_role:global:ec2-ops".to_string(),
            (FindingKind::UnknownRole, Severity::Critical),
        ),
        (
            "admin_principal:global:ec2-ops".to_string(),
            (FindingKind::AdminPrincipal, Severity::Critical),
        ),
    ];
    let mut wanted: BTreeMap<String, (FindingKind, Severity)> = expected.into_iter().collect();
    // The role's severities are the principal rules' business; only their presence is checked.
    for id in [
        "unknown_role:global:ec2-ops",
        "admin_principal:global:ec2-ops",
    ] {
        let (kind, _) = wanted.remove(id).expect("listed above");
        assert_eq!(
            found.get(id).map(|(k, _)| *k),
            Some(kind),
            "{id}: {found:#?}"
        );
    }
    for (id, kind_and_severity) in &wanted {
        assert_eq!(found.get(id), Some(kind_and_severity), "{id} in {found:#?}");
    }
    assert_eq!(
        found.len(),
        wanted.len() + 2,
        "nothing else is reported: {found:#?}"
    );
    let ingress = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::OpenIngress)
        .expect("open ingress");
    assert!(
        ingress.summary.contains("tcp/22 (SSH)"),
        "{}",
        ingress.summary
    );
    assert!(
        // The port, not the group id (which can hold the digits 443).
        !ingress.summary.contains("tcp/443"),
        "the expected rule is not reported: {}",
        ingress.summary
    );

    // Who did it: the emulator has no CloudTrail event history, and every finding says so.
    let attributed = scan_with_baseline(&bed, &baseline, &["--attribution"]);
    assert_eq!(attributed.findings.len(), report.findings.len());
    for finding in &attributed.findings {
        assert!(
            matches!(
                &finding.attribution,
                Some(Attribution::NotAvailable { unsupported: true, reason })
                    if reason.contains("LookupEvents")
            ),
            "{}: {:?}",
            finding.id,
            finding.attribution
        );
    }

    // Accepting each finding takes exactly it away; at the end nothing is left.
    accept_each(&bed, &baseline, &report, |_| Vec::new());
}
