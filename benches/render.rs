//! What one cockpit frame costs as the findings grow: a full `tui::view::render` drawn on a
//! 120×40 `TestBackend` (the design size), from a judged scan of 30 regions (21 enabled, one
//! in error) holding 100 and then 100,000 findings of every list, region and severity, each
//! about a resource the scan's inventory holds (so the details pane and the list rows look things
//! up as they do for real). Issue 13 asks that the 100,000-finding frame cost at most 1.5 times
//! the 100-finding one: a frame should cost the rows on screen, not the findings.
//!
//! Run: `cargo bench --bench render` (criterion; reports under `target/criterion/render`).

// Bench setup: a broken fixture should stop the run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use firebreak::aws::AwsError;
use firebreak::tui::msg::Msg;
use firebreak::tui::state::State;
use firebreak::tui::update::update;
use firebreak::tui::view;
use firebreak_core::baseline;
use firebreak_core::bindings::{Bindings, Command};
use firebreak_core::model::finding::{Finding, FindingKind, ResourceType, Severity, finding_id};
use firebreak_core::model::{
    AccessKey, Function, GLOBAL, Identity, Image, Instance, KeyStatus, Principals, Role, Sharing,
    Snapshot, User,
};
use firebreak_core::scan::RegionInfo;
use firebreak_core::scan::{ItemKind, Part, ScanEvent, ScanState};

/// The regions the account lists, and whether each is enabled.
const REGIONS: [(&str, bool); 30] = [
    ("af-south-1", false),
    ("ap-east-1", false),
    ("ap-northeast-1", true),
    ("ap-northeast-2", true),
    ("ap-northeast-3", true),
    ("ap-south-1", true),
    ("ap-south-2", false),
    ("ap-southeast-1", true),
    ("ap-southeast-2", true),
    ("ap-southeast-3", false),
    ("ca-central-1", true),
    ("ca-west-1", false),
    ("eu-central-1", true),
    ("eu-central-2", false),
    ("eu-north-1", true),
    ("eu-south-1", false),
    ("eu-south-2", false),
    ("eu-west-1", true),
    ("eu-west-2", true),
    ("eu-west-3", true),
    ("il-central-1", false),
    ("me-central-1", true),
    ("me-south-1", true),
    ("mx-central-1", true),
    ("sa-east-1", true),
    ("us-east-1", true),
    ("us-east-2", true),
    ("us-west-1", true),
    ("us-west-2", true),
    ("ap-southeast-5", true),
];

/// The region whose Lambda listing is denied (shown `!` in the grid).
const DENIED: &str = "ca-central-1";

const ACCOUNT: &str = "123456789012";
const STRANGER: &str = "666655554444";

const BASELINE: &str = r#"
version = 1
account_id = "123456789012"
captured_at = "2026-11-01T09:00:00Z"
captured_by = "arn:aws:sts::123456789012:assumed-role/oncall/jo"
trusted_accounts = ["210987654321"]
regions_in_use = ["eu-west-1", "us-east-1", "us-west-2"]

[principals]
users = ["alice"]
roles = ["lambda-exec"]
access_keys = ["AKIAEXAMPLEALICE0001"]

[resources.functions]
eu-west-1 = ["orders-api"]
"#;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 3, 14, 0)
        .single()
        .expect("a valid time")
}

/// A time `n` minutes before now: every resource has its own, so sorting by time has work.
fn minutes_ago(n: usize) -> DateTime<Utc> {
    now() - chrono::Duration::minutes(i64::try_from(n).expect("a small n"))
}

/// The inventory a scan read: one resource behind each finding, by region.
#[derive(Default)]
struct Estate {
    users: Vec<User>,
    access_keys: Vec<AccessKey>,
    roles: Vec<Role>,
    functions: Vec<Function>,
    snapshots: Vec<Snapshot>,
    images: Vec<Image>,
    instances: Vec<Instance>,
}

fn user(name: &str, n: usize, admin: bool) -> User {
    User {
        region: GLOBAL.into(),
        name: name.into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        user_id: format!("AIDA{n:016}"),
        created: minutes_ago(n),
        console_access: n.is_multiple_of(2),
        mfa_devices: Vec::new(),
        attached_policies: Vec::new(),
        inline_policies: Vec::new(),
        groups: Vec::new(),
        admin_via: if admin {
            vec!["AdministratorAccess".into()]
        } else {
            Vec::new()
        },
    }
}

fn sharing(public: bool, accounts: &[&str]) -> Sharing {
    Sharing {
        public,
        accounts: accounts.iter().map(|a| a.to_string()).collect(),
        organizations: BTreeSet::new(),
    }
}

/// Finding number `n` of the mix (half principals, a fifth recent resources, a fifth public and
/// shared, a tenth other), in every enabled region, with the resource behind it added to
/// `estate`.
fn finding(n: usize, estate: &mut Estate) -> Finding {
    let enabled: Vec<&str> = REGIONS.iter().filter(|r| r.1).map(|r| r.0).collect();
    let region = enabled[(n * 13) % enabled.len()];
    let (kind, resource_type, severity, region, id, facts) = match n % 10 {
        0 | 1 => {
            let name = format!("intruder-{n}");
            estate.users.push(user(&name, n, n.is_multiple_of(20)));
            let (kind, severity) = if n.is_multiple_of(20) {
                (FindingKind::AdminPrincipal, Severity::Critical)
            } else {
                (FindingKind::UnknownUser, Severity::High)
            };
            (kind, ResourceType::User, severity, GLOBAL, name, "")
        }
        2 | 3 => {
            let owner = format!("staff-{}", n % 97);
            let id = format!("AKIA{n:016}");
            estate.access_keys.push(AccessKey {
                region: GLOBAL.into(),
                id: id.clone(),
                user: owner,
                status: KeyStatus::Active,
                created: Some(minutes_ago(n)),
                last_used: None,
            });
            let severity = if n.is_multiple_of(3) {
                Severity::High
            } else {
                Severity::Medium
            };
            (
                FindingKind::UnknownAccessKey,
                ResourceType::AccessKey,
                severity,
                GLOBAL,
                id,
                "",
            )
        }
        4 => {
            let name = format!("vendor-audit-{n}");
            estate.roles.push(Role {
                region: GLOBAL.into(),
                name: name.clone(),
                arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
                path: "/".into(),
                created: minutes_ago(n),
                trust: Principals {
                    accounts: [STRANGER.to_string()].into(),
                    ..Principals::default()
                },
                attached_policies: Vec::new(),
                inline_policies: Vec::new(),
                instance_profiles: Vec::new(),
                admin_via: Vec::new(),
            });
            (
                FindingKind::ExternalTrust,
                ResourceType::Role,
                Severity::High,
                GLOBAL,
                name,
                STRANGER,
            )
        }
        5 | 6 => {
            if n % 4 == 1 {
                let name = format!("image-resizer-{n}");
                estate.functions.push(Function {
                    region: region.into(),
                    name: name.clone(),
                    arn: format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"),
                    runtime: Some("python3.12".into()),
                    last_modified: Some(minutes_ago(n)),
                    role: Some(format!("arn:aws:iam::{ACCOUNT}:role/lambda-exec")),
                    reserved_concurrency: None,
                    policy_principals: None,
                    url_auth: None,
                    aliases: Vec::new(),
                });
                (
                    FindingKind::RecentResource,
                    ResourceType::Function,
                    Severity::High,
                    region,
                    name,
                    "",
                )
            } else {
                let id = format!("i-{n:017x}");
                estate.instances.push(Instance {
                    region: region.into(),
                    id: id.clone(),
                    instance_type: Some("p4d.24xlarge".into()),
                    state: Some("running".into()),
                    launched: Some(minutes_ago(n)),
                    key_name: None,
                    public_ip: None,
                });
                (
                    FindingKind::RecentResource,
                    ResourceType::Instance,
                    Severity::Medium,
                    region,
                    id,
                    "",
                )
            }
        }
        7 => {
            let id = format!("snap-{n:017x}");
            estate.snapshots.push(Snapshot {
                region: region.into(),
                id: id.clone(),
                volume_id: Some(format!("vol-{n:017x}")),
                size_gib: Some(100),
                encrypted: false,
                started: Some(minutes_ago(n)),
                sharing: sharing(n.is_multiple_of(3), &[STRANGER]),
            });
            let (kind, severity) = if n.is_multiple_of(3) {
                (FindingKind::PublicSnapshot, Severity::Critical)
            } else {
                (FindingKind::SharedSnapshot, Severity::High)
            };
            (kind, ResourceType::Snapshot, severity, region, id, STRANGER)
        }
        8 => {
            let id = format!("ami-{n:017x}");
            estate.images.push(Image {
                region: region.into(),
                id: id.clone(),
                name: Some(format!("golden-{n}")),
                created: Some(minutes_ago(n)),
                sharing: sharing(true, &[]),
            });
            (
                FindingKind::PublicImage,
                ResourceType::Image,
                Severity::High,
                region,
                id,
                "",
            )
        }
        _ => {
            if n.is_multiple_of(3) {
                (
                    FindingKind::LoggingStopped,
                    ResourceType::Trail,
                    Severity::Critical,
                    region,
                    format!("org-trail-{n}"),
                    "",
                )
            } else {
                (
                    FindingKind::UnknownEventRule,
                    ResourceType::EventRule,
                    Severity::Low,
                    region,
                    format!("nightly-sync-{n}"),
                    "",
                )
            }
        }
    };
    Finding {
        id: finding_id(kind, region, &id),
        kind,
        severity,
        region: region.into(),
        resource_type,
        summary: format!(
            "{} {} {id} in {region}",
            kind.as_str(),
            resource_type.as_str()
        ),
        arn: None,
        resource_id: id,
        details: Vec::new(),
        related: Vec::new(),
        facts: facts.into(),
        attribution: None,
    }
}

/// A judged scan with `rows` findings: the cockpit as it opens, the most severe one selected.
fn judged(rows: usize) -> State {
    let mut state = State::new(Bindings::default(), false, now());
    update(&mut state, Msg::Command(Command::Rescan));
    let mut estate = Estate::default();
    let mut findings: Vec<Finding> = (0..rows).map(|n| finding(n, &mut estate)).collect();
    // The owners of the unknown keys.
    for n in 0..97 {
        estate.users.push(user(&format!("staff-{n}"), n, false));
    }
    // Most severe first, then by region and id, as the rules hand them over.
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.region.cmp(&b.region))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut events = vec![
        ScanEvent::Identity(Identity {
            id: ACCOUNT.into(),
            alias: Some("acme-prod".into()),
            caller_arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/oncall/jo"),
        }),
        ScanEvent::Planned(
            REGIONS
                .iter()
                .map(|(name, enabled)| RegionInfo {
                    name: name.to_string(),
                    enabled: *enabled,
                })
                .collect(),
        ),
        ScanEvent::Part {
            region: GLOBAL.into(),
            part: Part::Iam {
                users: estate.users,
                access_keys: estate.access_keys,
                roles: estate.roles,
            },
        },
        ScanEvent::Finished {
            region: GLOBAL.into(),
            duration: Duration::from_millis(420),
        },
    ];
    for (name, enabled) in REGIONS {
        if !enabled {
            continue;
        }
        let here = |item_region: &str| item_region == name;
        let functions = if name == DENIED {
            Part::Failed {
                kind: ItemKind::Functions,
                error: AwsError {
                    service: "lambda".into(),
                    operation: "ListFunctions".into(),
                    region: name.into(),
                    code: "AccessDeniedException".into(),
                    message: "User is not authorized to perform: lambda:ListFunctions".into(),
                    request_id: Some("7c1e2f3a-0b4d-4e5f-8a9b-0c1d2e3f4a5b".into()),
                    http_status: Some(403),
                    subject: None,
                },
            }
        } else {
            Part::Functions(
                estate
                    .functions
                    .iter()
                    .filter(|f| here(&f.region))
                    .cloned()
                    .collect(),
            )
        };
        let parts = [
            functions,
            Part::Snapshots(
                estate
                    .snapshots
                    .iter()
                    .filter(|s| here(&s.region))
                    .cloned()
                    .collect(),
            ),
            Part::Images(
                estate
                    .images
                    .iter()
                    .filter(|i| here(&i.region))
                    .cloned()
                    .collect(),
            ),
            Part::Instances(
                estate
                    .instances
                    .iter()
                    .filter(|i| here(&i.region))
                    .cloned()
                    .collect(),
            ),
        ];
        events.push(ScanEvent::Started {
            region: name.into(),
        });
        events.extend(parts.into_iter().map(|part| ScanEvent::Part {
            region: name.into(),
            part,
        }));
        events.push(ScanEvent::Finished {
            region: name.into(),
            duration: Duration::from_millis(800),
        });
    }
    events.push(ScanEvent::Done);
    // As the scan's worker sends it: one fold, its snapshot.
    let mut scanned = ScanState::default();
    for event in events {
        scanned.apply(event);
    }
    update(
        &mut state,
        Msg::Scan {
            generation: 1,
            scan: std::sync::Arc::new(scanned),
        },
    );
    let baseline = baseline::parse(BASELINE, Path::new("baseline.toml")).expect("valid baseline");
    update(
        &mut state,
        Msg::Judged {
            generation: 1,
            findings: Ok(findings),
            baseline: Some(Box::new(baseline)),
            complete: true,
        },
    );
    assert_eq!(state.findings.len(), rows);
    state
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for rows in [100, 100_000] {
        let state = judged(rows);
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("a test terminal");
        group.bench_with_input(BenchmarkId::from_parameter(rows), &state, |b, state| {
            b.iter(|| {
                terminal
                    .draw(|frame| view::render(frame, black_box(state)))
                    .map(|_| ())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
