use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::super::fixtures::{ACCOUNT, at, identity};
use super::super::{Context, Windows, evaluate};
use crate::baseline::{self, Baseline, Holds};
use crate::model::finding::{Finding, FindingKind, ResourceType, Severity};
use crate::model::storage::{
    AccountBlock, AclGrants, Bucket, BucketEncryption, Census, ObjectEncryption, ObjectSample,
    PublicAccessBlock, Replication, Versioning,
};
use crate::model::{GLOBAL, Inventory, ManagementEvents, Principals, Trail};
use crate::scan::{ItemKind, Listed};

const PARTNER: &str = "210987654321";
const STRANGER: &str = "999988887777";

fn now() -> DateTime<Utc> {
    at("2026-12-01T12:00:00Z")
}

fn object(key: &str, size: i64, modified: DateTime<Utc>) -> ObjectSample {
    ObjectSample {
        key: key.into(),
        size,
        modified: Some(modified),
        etag: Some(format!("\"{key}\"")),
        encryption: None,
    }
}

/// A private, blocked, versioned bucket with 40 objects, created long ago.
fn bucket(name: &str) -> Bucket {
    Bucket {
        region: "us-east-1".into(),
        name: name.into(),
        created: Some(now() - Duration::days(400)),
        policy: None,
        policy_public: None,
        acl: AclGrants::default(),
        block: Some(PublicAccessBlock::ALL_ON),
        versioning: Versioning::Enabled,
        mfa_delete: false,
        object_lock: false,
        replication: Vec::new(),
        expiring_rules: Vec::new(),
        encryption: None,
        census: Some(Census {
            listed: 40,
            more: false,
            notes: Vec::new(),
            sampled: vec![ObjectSample {
                encryption: Some(ObjectEncryption::S3),
                ..object("data/0001.csv", 5000, now() - Duration::days(30))
            }],
        }),
    }
}

fn trail(bucket: &str) -> Trail {
    Trail {
        region: "us-east-1".into(),
        name: "main".into(),
        arn: format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main"),
        logging: Some(true),
        multi_region: true,
        management_events: Some(ManagementEvents::All),
        log_role: None,
        delivery_error: None,
        organization_owner: None,
        bucket: Some(bucket.into()),
    }
}

/// Peacetime: a data bucket, the trail's log bucket (with its 400-day retention), a backups
/// bucket with Object Lock, a bucket the partner reads and that replicates to the partner; the
/// account's block all on.
fn peacetime() -> Inventory {
    let mut logs = bucket("trail-logs");
    logs.expiring_rules = vec!["retention: current objects after 400 day(s)".into()];
    let mut backups = bucket("db-backups");
    backups.object_lock = true;
    let mut shared = bucket("partner-exchange");
    shared.policy = Some(Principals {
        accounts: [PARTNER.to_string()].into(),
        ..Principals::default()
    });
    shared.policy_public = Some(false);
    shared.replication = vec![Replication {
        bucket: "arn:aws:s3:::partner-copy".into(),
        account: Some(PARTNER.into()),
    }];
    Inventory {
        buckets: vec![bucket("app-data"), logs, backups, shared],
        trails: vec![trail("trail-logs")],
        account_block: Some(AccountBlock::Set(PublicAccessBlock::ALL_ON)),
        ..Inventory::default()
    }
}

fn listed(inventory: &Inventory) -> Listed {
    inventory
        .buckets
        .iter()
        .map(|b| (b.region.clone(), ItemKind::Buckets))
        .collect()
}

fn judge(inventory: &Inventory, baseline: Option<&Baseline>) -> Vec<Finding> {
    let listed = listed(&peacetime());
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

/// The (kind, severity, resource) of each finding about storage.
fn found(inventory: &Inventory) -> BTreeSet<(FindingKind, Severity, String)> {
    judge(inventory, Some(&captured()))
        .into_iter()
        .map(|f| (f.kind, f.severity, f.resource_id))
        .collect()
}

fn one(
    kind: FindingKind,
    severity: Severity,
    id: &str,
) -> BTreeSet<(FindingKind, Severity, String)> {
    [(kind, severity, id.to_string())].into()
}

fn with(change: impl FnOnce(&mut Inventory)) -> Inventory {
    let mut estate = peacetime();
    change(&mut estate);
    estate
}

fn named<'a>(estate: &'a mut Inventory, name: &str) -> &'a mut Bucket {
    estate
        .buckets
        .iter_mut()
        .find(|b| b.name == name)
        .expect("a peacetime bucket")
}

#[test]
fn an_unchanged_estate_against_its_own_baseline_has_no_findings() {
    assert_eq!(judge(&peacetime(), Some(&captured())), Vec::new());
}

#[test]
fn capture_keeps_each_buckets_settings_and_what_it_holds() {
    let baseline = captured();
    let logs = baseline
        .bucket("us-east-1", "trail-logs")
        .expect("captured");
    assert_eq!(logs.holds, Some(Holds::Logs));
    assert!(logs.blocked && logs.versioning && !logs.object_lock);
    assert_eq!(logs.objects, Some(40));
    assert_eq!(
        logs.expiring_rules,
        ["retention: current objects after 400 day(s)".to_string()].into()
    );
    let backups = baseline
        .bucket("us-east-1", "db-backups")
        .expect("captured");
    assert_eq!(backups.holds, Some(Holds::Backups));
    assert!(backups.object_lock);
    assert_eq!(
        baseline
            .bucket("us-east-1", "app-data")
            .expect("captured")
            .holds,
        None
    );
    assert_eq!(baseline.resources.account_public_access_block, Some(true));
    assert!(baseline.trusted_accounts.contains(PARTNER));
    assert!(baseline.region_in_use("us-east-1"));
    assert!(baseline.knows_resource(ResourceType::Bucket, "us-east-1", "app-data"));
    assert!(!baseline.knows_resource(ResourceType::Bucket, "eu-west-1", "app-data"));
    // Written, a setting that is off is left out; one that is on is said.
    let text = toml::to_string(&baseline).expect("encodes");
    assert!(text.contains("versioning = true"), "{text}");
    assert!(text.contains("holds = \"logs\""), "{text}");
    assert!(!text.contains("mfa_delete"), "{text}");
}

#[test]
fn a_public_policy_is_critical_unless_block_public_access_holds_it_back() {
    let public = |bucket_block: Option<PublicAccessBlock>, account: PublicAccessBlock| {
        with(|estate| {
            estate.account_block = Some(AccountBlock::Set(account));
            let b = named(estate, "app-data");
            b.policy = Some(Principals {
                public: true,
                ..Principals::default()
            });
            b.policy_public = Some(true);
            b.block = bucket_block;
        })
    };
    let off = PublicAccessBlock::default();
    let restrict = PublicAccessBlock {
        restrict_public_buckets: true,
        ..off
    };
    let expect = |severity| {
        let mut all = one(FindingKind::PublicBucket, severity, "app-data");
        all.insert((
            FindingKind::PublicAccessBlockOff,
            Severity::High,
            "app-data".into(),
        ));
        all
    };
    let found_public = |estate: &Inventory| {
        found(estate)
            .into_iter()
            .filter(|(_, _, id)| id == "app-data")
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(found_public(&public(None, off)), expect(Severity::Critical));
    assert_eq!(
        found_public(&public(Some(restrict), off)),
        expect(Severity::High)
    );
    assert_eq!(
        found_public(&public(None, restrict)),
        expect(Severity::Medium)
    );
    // AWS's verdict overrules the parse: a condition AWS counts as narrowing is not public.
    let narrowed = with(|estate| {
        let b = named(estate, "app-data");
        b.policy = Some(Principals {
            public: true,
            ..Principals::default()
        });
        b.policy_public = Some(false);
    });
    assert_eq!(found(&narrowed), BTreeSet::new());
}

#[test]
fn a_public_acl_is_critical_unless_acls_are_ignored() {
    let public = |ignore: bool| {
        with(|estate| {
            estate.account_block = Some(AccountBlock::Unset);
            let b = named(estate, "app-data");
            b.acl.public = vec!["AllUsers:READ".into()];
            b.block = Some(PublicAccessBlock {
                ignore_public_acls: ignore,
                ..PublicAccessBlock::default()
            });
        })
    };
    let findings = judge(&public(false), None);
    let bucket = findings
        .iter()
        .find(|f| f.kind == FindingKind::PublicBucket)
        .expect("a public bucket");
    assert_eq!(bucket.severity, Severity::Critical);
    assert_eq!(bucket.facts, "acl:AllUsers:READ");
    assert_eq!(bucket.details, vec!["public through acl:AllUsers:READ"]);
    let held = judge(&public(true), None);
    assert!(
        held.iter()
            .any(|f| f.kind == FindingKind::PublicBucket && f.severity == Severity::High)
    );
}

#[test]
fn a_policy_or_acl_naming_an_untrusted_account_is_shared() {
    let backdoored = with(|estate| {
        let b = named(estate, "app-data");
        b.policy = Some(Principals {
            accounts: [
                STRANGER.to_string(),
                ACCOUNT.to_string(),
                PARTNER.to_string(),
            ]
            .into(),
            ..Principals::default()
        });
        b.acl.accounts = ["c0ffee".to_string()].into();
    });
    let findings = judge(&backdoored, Some(&captured()));
    let shared: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::SharedBucket)
        .collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].severity, Severity::High);
    assert_eq!(shared[0].facts, format!("{STRANGER},c0ffee"));
    assert_eq!(
        shared[0].details,
        vec![
            format!("policy allows account {STRANGER}"),
            "ACL grants to canonical user c0ffee".to_string()
        ]
    );
}

#[test]
fn block_public_access_turned_off_is_found_on_the_bucket_and_the_account() {
    let unblocked = with(|estate| {
        named(estate, "app-data").block = Some(PublicAccessBlock {
            block_public_policy: false,
            ..PublicAccessBlock::ALL_ON
        });
        estate.account_block = Some(AccountBlock::Unset);
    });
    let findings = judge(&unblocked, Some(&captured()));
    let off: Vec<(ResourceType, &str, &str)> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::PublicAccessBlockOff)
        .map(|f| (f.resource_type, f.region.as_str(), f.facts.as_str()))
        .collect();
    assert_eq!(
        off,
        vec![
            (
                ResourceType::Account,
                GLOBAL,
                "BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets"
            ),
            (ResourceType::Bucket, "us-east-1", "BlockPublicPolicy"),
        ]
    );
    // Without the baseline's word that it was on, off is how the account always was.
    assert!(
        judge(&unblocked, None)
            .iter()
            .all(|f| f.kind != FindingKind::PublicAccessBlockOff)
    );
}

#[test]
fn lost_versioning_lock_or_mfa_delete_weakens_and_is_critical_where_it_holds_backups() {
    let weakened = with(|estate| {
        named(estate, "app-data").versioning = Versioning::Suspended;
        let backups = named(estate, "db-backups");
        backups.object_lock = false;
    });
    assert_eq!(
        found(&weakened),
        [
            (
                FindingKind::BucketProtectionWeakened,
                Severity::High,
                "app-data".to_string()
            ),
            (
                FindingKind::BucketProtectionWeakened,
                Severity::Critical,
                "db-backups".to_string()
            ),
        ]
        .into()
    );
    let findings = judge(&weakened, Some(&captured()));
    let backups = findings
        .iter()
        .find(|f| f.resource_id == "db-backups")
        .expect("weakened");
    assert_eq!(backups.details, vec!["it holds backups"]);
    assert_eq!(backups.facts, "object-lock");
    let mut baseline = captured();
    if let Some(settings) = baseline
        .resources
        .buckets
        .as_mut()
        .and_then(|b| b.get_mut("us-east-1"))
        .and_then(|b| b.get_mut("app-data"))
    {
        settings.mfa_delete = true;
    }
    let findings = judge(&peacetime(), Some(&baseline));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].facts, "mfa-delete");
}

#[test]
fn a_new_expiring_rule_on_a_log_or_backup_bucket_is_found_and_an_old_one_is_not() {
    let expiring = with(|estate| {
        named(estate, "trail-logs")
            .expiring_rules
            .push("wipe: current objects after 1 day(s)".into());
        named(estate, "db-backups")
            .expiring_rules
            .push("old: old versions after 1 day(s)".into());
        named(estate, "app-data")
            .expiring_rules
            .push("tmp: current objects after 1 day(s)".into());
    });
    let findings = judge(&expiring, Some(&captured()));
    let expiry: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::DataExpiry)
        .map(|f| (f.resource_id.as_str(), f.facts.as_str()))
        .collect();
    assert_eq!(
        expiry,
        vec![
            ("db-backups", "old: old versions after 1 day(s)"),
            ("trail-logs", "wipe: current objects after 1 day(s)"),
        ]
    );
    // Without a baseline, a trail's bucket is known to hold logs: every expiring rule counts.
    let unbaselined = judge(&peacetime(), None);
    let expiry = unbaselined
        .iter()
        .find(|f| f.kind == FindingKind::DataExpiry)
        .expect("the trail's bucket expires its logs");
    assert_eq!(
        (expiry.resource_id.as_str(), expiry.severity),
        ("trail-logs", Severity::High)
    );
    assert_eq!(
        expiry.summary,
        "bucket trail-logs holds logs and a lifecycle rule deletes them"
    );
}

#[test]
fn replication_to_an_untrusted_account_is_found() {
    let replicating = with(|estate| {
        named(estate, "app-data").replication = vec![
            Replication {
                bucket: "arn:aws:s3:::exfil".into(),
                account: Some(STRANGER.into()),
            },
            Replication {
                bucket: "arn:aws:s3:::own-copy".into(),
                account: None,
            },
        ];
        named(estate, "db-backups").replication = vec![Replication {
            bucket: "arn:aws:s3:::exfil".into(),
            account: Some(STRANGER.into()),
        }];
    });
    assert_eq!(
        found(&replicating),
        [
            (
                FindingKind::ReplicationOut,
                Severity::High,
                "app-data".to_string()
            ),
            (
                FindingKind::ReplicationOut,
                Severity::Critical,
                "db-backups".to_string()
            ),
        ]
        .into()
    );
}

#[test]
fn ransom_signs_are_objects_gone_a_note_and_keys_the_account_does_not_hold() {
    fn census(estate: &mut Inventory) -> &mut Census {
        named(estate, "app-data").census.as_mut().expect("census")
    }
    let emptied = with(|estate| census(estate).listed = 19);
    assert_eq!(
        found(&emptied),
        one(FindingKind::RansomSigns, Severity::High, "app-data")
    );
    let half = with(|estate| census(estate).listed = 20);
    assert_eq!(found(&half), BTreeSet::new());
    // Truncated now: the count is a floor and cannot have fallen.
    let floor = with(|estate| {
        census(estate).listed = 10;
        census(estate).more = true;
    });
    assert_eq!(found(&floor), BTreeSet::new());

    let noted = with(|estate| {
        census(estate).notes = vec![
            object("README_TO_RESTORE.txt", 900, now() - Duration::hours(1)),
            object("docs/readme.txt", 900, now() - Duration::days(90)),
        ];
    });
    let findings = judge(&noted, Some(&captured()));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Critical);
    assert_eq!(findings[0].facts, "note");
    assert!(findings[0].details[0].contains("README_TO_RESTORE.txt"));
    assert!(!findings[0].details[0].contains("docs/readme.txt"));

    // Without a baseline, a note counts when it is newer than --since.
    let unbaselined = |age: Duration| {
        let estate = with(|estate| {
            census(estate).notes = vec![object("RECOVER.txt", 900, now() - age)];
        });
        judge(&estate, None)
            .into_iter()
            .filter(|f| f.kind == FindingKind::RansomSigns)
            .count()
    };
    assert_eq!(unbaselined(Duration::hours(1)), 1);
    assert_eq!(unbaselined(Duration::days(3)), 0);

    let customer_keyed = with(|estate| {
        census(estate).sampled[0].encryption = Some(ObjectEncryption::CustomerKey);
    });
    let findings = judge(&customer_keyed, Some(&captured()));
    assert_eq!(findings[0].facts, "sse-c");
    assert_eq!(findings[0].severity, Severity::Critical);

    let foreign = |key: &str| {
        with(|estate| {
            census(estate).sampled[0].encryption = Some(ObjectEncryption::Kms {
                key: Some(key.into()),
            });
        })
    };
    let theirs = format!("arn:aws:kms:us-east-1:{STRANGER}:key/abc");
    let ours = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/abc");
    assert_eq!(
        judge(&foreign(&theirs), Some(&captured()))[0].facts,
        "foreign-key"
    );
    assert_eq!(judge(&foreign(&ours), Some(&captured())), Vec::new());
    assert_eq!(judge(&foreign("abc-key-id"), Some(&captured())), Vec::new());

    let default_key = with(|estate| {
        named(estate, "app-data").encryption = Some(BucketEncryption {
            algorithm: "aws:kms".into(),
            kms_key: Some(theirs.clone()),
        });
    });
    let findings = judge(&default_key, Some(&captured()));
    assert_eq!(findings[0].facts, "foreign-default-key");
    assert!(findings[0].details[0].contains(&theirs));
}

#[test]
fn a_bucket_the_baseline_lists_is_gone_only_where_buckets_were_listed() {
    let wiped = with(|estate| estate.buckets.retain(|b| b.name != "db-backups"));
    assert_eq!(
        found(&wiped),
        one(
            FindingKind::DeletedResource,
            Severity::Critical,
            "db-backups"
        )
    );
    let unlisted = evaluate(&Context {
        inventory: &wiped,
        baseline: Some(&captured()),
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &Listed::new(),
    });
    assert_eq!(unlisted, Vec::new());
}

#[test]
fn a_new_bucket_is_recent_and_accepting_it_makes_it_known() {
    let mut estate = peacetime();
    let mut staging = bucket("staging-exfil");
    staging.region = "ap-south-1".into();
    staging.created = Some(now() - Duration::hours(2));
    estate.buckets.push(staging);
    let mut baseline = captured();
    let findings = judge(&estate, Some(&baseline));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, FindingKind::RecentResource);
    assert_eq!(findings[0].severity, Severity::High);
    baseline::accept(&mut baseline, &findings[0], "me", now()).expect("acceptable");
    assert!(baseline.knows_resource(ResourceType::Bucket, "ap-south-1", "staging-exfil"));
    assert_eq!(judge(&estate, Some(&baseline)), Vec::new());
}

#[test]
fn every_storage_finding_can_be_accepted() {
    let breached = with(|estate| {
        estate.account_block = Some(AccountBlock::Unset);
        let b = named(estate, "app-data");
        b.policy = Some(Principals {
            public: true,
            accounts: [STRANGER.to_string()].into(),
            ..Principals::default()
        });
        b.versioning = Versioning::Suspended;
        b.block = None;
        b.replication = vec![Replication {
            bucket: "arn:aws:s3:::exfil".into(),
            account: Some(STRANGER.into()),
        }];
        b.census.as_mut().expect("census").listed = 1;
        named(estate, "trail-logs")
            .expiring_rules
            .push("wipe: current objects after 1 day(s)".into());
        estate.buckets.retain(|b| b.name != "db-backups");
    });
    let mut baseline = captured();
    let findings = judge(&breached, Some(&baseline));
    let kinds: BTreeSet<FindingKind> = findings.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FindingKind::PublicBucket,
            FindingKind::SharedBucket,
            FindingKind::PublicAccessBlockOff,
            FindingKind::BucketProtectionWeakened,
            FindingKind::DataExpiry,
            FindingKind::ReplicationOut,
            FindingKind::RansomSigns,
            FindingKind::DeletedResource,
        ]
        .into()
    );
    for finding in &findings {
        baseline::accept(&mut baseline, finding, "me", now()).expect("acceptable");
    }
    assert_eq!(judge(&breached, Some(&baseline)), Vec::new());
    assert!(baseline.trusted_accounts.contains(STRANGER));
    assert!(baseline.bucket("us-east-1", "db-backups").is_none());
}
