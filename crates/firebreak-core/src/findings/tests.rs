use super::*;
use crate::baseline;
use crate::model::{
    AccessKey, Function, Image, Instance, KeyStatus, Principals, Role, Snapshot, UrlAuth, User,
};

const PARTNER: &str = "210987654321";
const STRANGER: &str = "666655554444";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .expect("valid time")
}

fn now() -> DateTime<Utc> {
    at("2026-11-22T12:00:00Z")
}

fn long_ago() -> DateTime<Utc> {
    at("2026-01-01T00:00:00Z")
}

fn an_hour_ago() -> DateTime<Utc> {
    now() - Duration::hours(1)
}

fn identity() -> Identity {
    Identity {
        id: "123456789012".into(),
        alias: None,
        caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
    }
}

fn user(name: &str, created: DateTime<Utc>) -> User {
    User {
        region: GLOBAL.into(),
        name: name.into(),
        arn: format!("arn:aws:iam::123456789012:user/{name}"),
        user_id: format!("AIDA{name}"),
        created,
        console_access: false,
        mfa_devices: vec![],
        attached_policies: vec![],
        inline_policies: vec![],
        groups: vec![],
        admin_via: vec![],
    }
}

fn key(id: &str, user: &str, created: DateTime<Utc>) -> AccessKey {
    AccessKey {
        region: GLOBAL.into(),
        id: id.into(),
        user: user.into(),
        status: KeyStatus::Active,
        created: Some(created),
        last_used: None,
    }
}

fn role(name: &str, accounts: &[&str], created: DateTime<Utc>) -> Role {
    Role {
        region: GLOBAL.into(),
        name: name.into(),
        arn: format!("arn:aws:iam::123456789012:role/{name}"),
        path: "/".into(),
        created,
        trust: Principals {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            ..Principals::default()
        },
        attached_policies: vec![],
        inline_policies: vec![],
        instance_profiles: Vec::new(),
        admin_via: vec![],
    }
}

fn function(region: &str, name: &str, modified: DateTime<Utc>) -> Function {
    Function {
        region: region.into(),
        name: name.into(),
        arn: format!("arn:aws:lambda:{region}:123456789012:function:{name}"),
        runtime: Some("python3.12".into()),
        last_modified: Some(modified),
        role: None,
        reserved_concurrency: None,
        policy_principals: None,
        url_auth: None,
        aliases: Vec::new(),
    }
}

fn snapshot(region: &str, id: &str, accounts: &[&str], started: DateTime<Utc>) -> Snapshot {
    Snapshot {
        region: region.into(),
        id: id.into(),
        volume_id: Some("vol-1".into()),
        size_gib: Some(8),
        encrypted: true,
        started: Some(started),
        sharing: Sharing {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            ..Sharing::default()
        },
    }
}

/// Users with keys, a service role and a partner role, functions in two regions, a snapshot
/// shared with the partner — all long established.
fn peacetime() -> Inventory {
    Inventory {
        users: vec![user("alice", long_ago()), user("bob", long_ago())],
        access_keys: vec![
            key("AKIAALICE1", "alice", long_ago()),
            key("AKIABOB1", "bob", long_ago()),
        ],
        roles: vec![
            role("lambda-exec", &[], long_ago()),
            role("partner-read", &[PARTNER], long_ago()),
        ],
        functions: vec![
            function("us-east-1", "billing", long_ago()),
            function("eu-west-1", "thumbnails", long_ago()),
        ],
        snapshots: vec![
            snapshot("us-east-1", "snap-partner", &[PARTNER], long_ago()),
            snapshot("eu-west-1", "snap-db", &[], long_ago()),
        ],
        ..Inventory::default()
    }
}

fn evaluate_with(inventory: &Inventory, baseline: Option<&Baseline>) -> Vec<Finding> {
    evaluate(&Context {
        inventory,
        baseline,
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &Default::default(),
    })
}

fn summary(findings: &[Finding]) -> Vec<(FindingKind, Severity, String)> {
    let mut out: Vec<_> = findings
        .iter()
        .map(|f| (f.kind, f.severity, f.id.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn a_key_aws_quarantined_is_critical_whatever_the_baseline_knows() {
    let estate = peacetime();
    let captured = baseline::capture(&estate, &identity(), now());
    let mut exposed = estate.clone();
    let mut leaked = user("ci-bot", now() - Duration::days(400));
    leaked.attached_policies = vec![
        "ReadOnlyAccess".into(),
        "AWSCompromisedKeyQuarantineV3".into(),
    ];
    exposed.users.push(leaked.clone());
    let mut known = captured.clone();
    known.principals.users.insert("ci-bot".into());
    for baseline in [Some(&known), None] {
        let findings = evaluate_with(&exposed, baseline);
        let quarantined: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.kind == FindingKind::KeyExposed)
            .collect();
        assert_eq!(quarantined.len(), 1, "{findings:?}");
        assert_eq!(quarantined[0].severity, Severity::Critical);
        assert_eq!(quarantined[0].resource_id, "ci-bot");
        assert_eq!(quarantined[0].facts, "AWSCompromisedKeyQuarantineV3");
    }
    // Any other policy, AWS's deny-all included, is no such sign.
    leaked.attached_policies = vec!["AWSDenyAll".into()];
    exposed.users.pop();
    exposed.users.push(leaked);
    assert!(
        !evaluate_with(&exposed, Some(&known))
            .iter()
            .any(|f| f.kind == FindingKind::KeyExposed)
    );
}

#[test]
fn peacetime_against_its_own_baseline_has_no_findings() {
    let estate = peacetime();
    let captured = baseline::capture(&estate, &identity(), now());
    assert!(evaluate_with(&estate, Some(&captured)).is_empty());
    let everywhere = listed_everywhere(&estate);
    assert!(evaluate_listed(&estate, &captured, &everywhere).is_empty());
}

/// Every (region, kind) of `inventory`'s resources, as a scan that finished everything.
fn listed_everywhere(inventory: &Inventory) -> Listed {
    let regions: BTreeSet<&String> = inventory
        .functions
        .iter()
        .map(|f| &f.region)
        .chain(inventory.snapshots.iter().map(|s| &s.region))
        .chain(inventory.images.iter().map(|i| &i.region))
        .chain(inventory.instances.iter().map(|i| &i.region))
        .collect();
    regions
        .into_iter()
        .flat_map(|region| {
            [
                ItemKind::Functions,
                ItemKind::Snapshots,
                ItemKind::Images,
                ItemKind::Instances,
            ]
            .map(|kind| (region.clone(), kind))
        })
        .collect()
}

fn evaluate_listed(inventory: &Inventory, baseline: &Baseline, listed: &Listed) -> Vec<Finding> {
    evaluate(&Context {
        inventory,
        baseline: Some(baseline),
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed,
    })
}

/// The peacetime estate's golden AMI and a long-running web server, in us-east-1.
fn with_golden_image_and_web_server(estate: &mut Inventory) {
    estate.images.push(Image {
        region: "us-east-1".into(),
        id: "ami-golden".into(),
        name: Some("golden".into()),
        created: Some(long_ago()),
        sharing: Sharing::default(),
    });
    estate.instances.push(Instance {
        region: "us-east-1".into(),
        id: "i-web".into(),
        instance_type: None,
        state: Some("running".into()),
        launched: Some(long_ago()),
        key_name: None,
        public_ip: None,
    });
}

#[test]
fn what_the_baseline_lists_and_a_finished_listing_lacks_is_a_deletion() {
    let mut estate = peacetime();
    with_golden_image_and_web_server(&mut estate);
    let captured = baseline::capture(&estate, &identity(), now());
    let everywhere = listed_everywhere(&estate);
    let mut after = estate.clone();
    after.snapshots.retain(|s| s.id != "snap-db");
    after.functions.retain(|f| f.name != "billing");
    after.images.clear();
    after.instances[0].state = Some("terminated".into());
    let found: Vec<(FindingKind, Severity, String)> =
        evaluate_listed(&after, &captured, &everywhere)
            .into_iter()
            .map(|f| (f.kind, f.severity, f.id))
            .collect();
    use FindingKind::DeletedResource as D;
    assert_eq!(
        found,
        vec![
            (
                D,
                Severity::Critical,
                "deleted_resource:eu-west-1:snap-db".to_string()
            ),
            (
                D,
                Severity::Critical,
                "deleted_resource:us-east-1:ami-golden".to_string()
            ),
            (
                D,
                Severity::High,
                "deleted_resource:us-east-1:billing".to_string()
            ),
            (
                D,
                Severity::High,
                "deleted_resource:us-east-1:i-web".to_string()
            ),
        ]
    );
    // Not looked for (a region left out, a listing that failed): not judged gone.
    let partly: Listed = everywhere
        .iter()
        .filter(|(region, kind)| !(region == "eu-west-1" && *kind == ItemKind::Snapshots))
        .cloned()
        .collect();
    let found = evaluate_listed(&after, &captured, &partly);
    assert!(
        !found.iter().any(|f| f.resource_id == "snap-db"),
        "{found:#?}"
    );
    assert_eq!(found.len(), 3);
    // Accepting a deletion removes it from the baseline.
    let mut accepted = captured.clone();
    for finding in evaluate_listed(&after, &captured, &everywhere) {
        baseline::accept(&mut accepted, &finding, "me", now()).expect("accept");
    }
    assert!(evaluate_listed(&after, &accepted, &everywhere).is_empty());
    assert!(!accepted.knows_resource(ResourceType::Snapshot, "eu-west-1", "snap-db"));
}

#[test]
fn a_resource_is_present_only_with_its_own_id_in_its_own_region() {
    let mut estate = peacetime();
    with_golden_image_and_web_server(&mut estate);
    let captured = baseline::capture(&estate, &identity(), now());
    let everywhere = listed_everywhere(&estate);
    let listed_ids = |inventory: &Inventory| -> BTreeSet<String> {
        let mut listed = everywhere.clone();
        listed.extend(listed_everywhere(inventory));
        evaluate_listed(inventory, &captured, &listed)
            .into_iter()
            .filter(|f| f.kind == FindingKind::DeletedResource)
            .map(|f| f.id)
            .collect()
    };
    let every = listed_ids(&Inventory::default());
    assert!(every.len() >= 4, "{every:?}");
    // Each function, snapshot and image moved to another region: gone from where it was.
    let mut moved = estate.clone();
    for f in &mut moved.functions {
        f.region = "ap-south-1".into();
    }
    for s in &mut moved.snapshots {
        s.region = "ap-south-1".into();
    }
    for i in &mut moved.images {
        i.region = "ap-south-1".into();
    }
    for i in &mut moved.instances {
        i.region = "ap-south-1".into();
    }
    assert_eq!(
        listed_ids(&moved),
        every,
        "another region is not the one listed"
    );
    // The same regions with other ids: gone too.
    let mut renamed = estate.clone();
    for f in &mut renamed.functions {
        f.name.push_str("-2");
    }
    for s in &mut renamed.snapshots {
        s.id.push('2');
    }
    for i in &mut renamed.images {
        i.id.push('2');
    }
    for i in &mut renamed.instances {
        i.id.push('2');
    }
    assert_eq!(
        listed_ids(&renamed),
        every,
        "another id is not the one listed"
    );
    assert!(listed_ids(&estate).is_empty());
}

#[test]
fn each_breach_step_yields_its_findings_and_severities() {
    use FindingKind as K;
    use Severity as S;
    type Change = fn(&mut Inventory);
    type Expected = Vec<(FindingKind, Severity, &'static str)>;
    let cases: Vec<(&str, Change, Expected)> = vec![
        (
            "new admin user with key and console password",
            |inv| {
                let mut backdoor = user("backdoor", an_hour_ago());
                backdoor.console_access = true;
                backdoor.attached_policies = vec!["AdministratorAccess".into()];
                backdoor.admin_via = vec!["AdministratorAccess".into()];
                inv.users.push(backdoor);
                inv.access_keys
                    .push(key("AKIABACKDOOR", "backdoor", an_hour_ago()));
            },
            vec![
                (K::UnknownUser, S::High, "unknown_user:global:backdoor"),
                (
                    K::AdminPrincipal,
                    S::Critical,
                    "admin_principal:global:backdoor",
                ),
                (
                    K::ConsoleWithoutMfa,
                    S::Medium,
                    "console_without_mfa:global:backdoor",
                ),
                (
                    K::UnknownAccessKey,
                    S::High,
                    "unknown_access_key:global:AKIABACKDOOR",
                ),
            ],
        ),
        (
            "second key on a known user",
            |inv| {
                inv.access_keys
                    .push(key("AKIAALICE2", "alice", an_hour_ago()))
            },
            vec![(
                K::UnknownAccessKey,
                S::High,
                "unknown_access_key:global:AKIAALICE2",
            )],
        ),
        (
            "inactive unknown key is low",
            |inv| {
                let mut k = key("AKIAOLD", "bob", an_hour_ago());
                k.status = KeyStatus::Inactive;
                inv.access_keys.push(k);
            },
            vec![(
                K::UnknownAccessKey,
                S::Low,
                "unknown_access_key:global:AKIAOLD",
            )],
        ),
        (
            "known user gains admin",
            |inv| inv.users[1].admin_via = vec!["inline:god".into()],
            vec![(K::AdminPrincipal, S::Critical, "admin_principal:global:bob")],
        ),
        (
            "new role trusting an unknown account",
            |inv| {
                inv.roles
                    .push(role("ops-support", &[STRANGER], an_hour_ago()))
            },
            vec![
                (K::UnknownRole, S::High, "unknown_role:global:ops-support"),
                (
                    K::ExternalTrust,
                    S::High,
                    "external_trust:global:ops-support",
                ),
            ],
        ),
        (
            "known role's trust widened",
            |inv| {
                inv.roles[1].trust.accounts.insert(STRANGER.into());
            },
            vec![(
                K::ExternalTrust,
                S::High,
                "external_trust:global:partner-read",
            )],
        ),
        (
            "role trusting anyone is critical",
            |inv| inv.roles[0].trust.public = true,
            vec![(
                K::ExternalTrust,
                S::Critical,
                "external_trust:global:lambda-exec",
            )],
        ),
        (
            "function in an unused region is high",
            |inv| {
                inv.functions
                    .push(function("ap-south-1", "miner", an_hour_ago()))
            },
            vec![(
                K::RecentResource,
                S::High,
                "recent_resource:ap-south-1:miner",
            )],
        ),
        (
            "new function in a used region is medium",
            |inv| {
                inv.functions
                    .push(function("us-east-1", "report", an_hour_ago()))
            },
            vec![(
                K::RecentResource,
                S::Medium,
                "recent_resource:us-east-1:report",
            )],
        ),
        (
            "old function missing from the baseline is not recent",
            |inv| {
                inv.functions
                    .push(function("us-east-1", "legacy", long_ago()))
            },
            vec![],
        ),
        (
            "public invoke on a known function",
            |inv| {
                inv.functions[0].policy_principals = Some(Principals {
                    public: true,
                    ..Principals::default()
                })
            },
            vec![(
                K::PublicFunction,
                S::High,
                "public_function:us-east-1:billing",
            )],
        ),
        (
            "function URL without auth",
            |inv| inv.functions[1].url_auth = Some(UrlAuth::None),
            vec![(
                K::PublicFunction,
                S::High,
                "public_function:eu-west-1:thumbnails",
            )],
        ),
        (
            "partner snapshot made public",
            |inv| inv.snapshots[0].sharing.public = true,
            vec![(
                K::PublicSnapshot,
                S::Critical,
                "public_snapshot:us-east-1:snap-partner",
            )],
        ),
        (
            "snapshot shared with an unknown account",
            |inv| {
                inv.snapshots[1].sharing.accounts.insert(STRANGER.into());
            },
            vec![(
                K::SharedSnapshot,
                S::High,
                "shared_snapshot:eu-west-1:snap-db",
            )],
        ),
        (
            "unencrypted snapshot shared is critical",
            |inv| {
                inv.snapshots[1].encrypted = false;
                inv.snapshots[1].sharing.accounts.insert(STRANGER.into());
            },
            vec![(
                K::SharedSnapshot,
                S::Critical,
                "shared_snapshot:eu-west-1:snap-db",
            )],
        ),
        (
            "new public AMI",
            |inv| {
                inv.images.push(Image {
                    region: "us-west-2".into(),
                    id: "ami-1".into(),
                    name: Some("golden".into()),
                    created: Some(an_hour_ago()),
                    sharing: Sharing {
                        public: true,
                        ..Sharing::default()
                    },
                })
            },
            vec![
                (K::PublicImage, S::Critical, "public_image:us-west-2:ami-1"),
                (
                    K::RecentResource,
                    S::High,
                    "recent_resource:us-west-2:ami-1",
                ),
            ],
        ),
        (
            "AMI shared with an unknown organization",
            |inv| {
                inv.images.push(Image {
                    region: "us-east-1".into(),
                    id: "ami-2".into(),
                    name: None,
                    created: Some(long_ago()),
                    sharing: Sharing {
                        organizations: ["arn:aws:organizations::1:organization/o-x".to_string()]
                            .into(),
                        ..Sharing::default()
                    },
                })
            },
            vec![(K::SharedImage, S::High, "shared_image:us-east-1:ami-2")],
        ),
        (
            "new instance",
            |inv| {
                inv.instances.push(Instance {
                    region: "us-east-1".into(),
                    id: "i-1".into(),
                    instance_type: Some("p5.48xlarge".into()),
                    state: Some("running".into()),
                    launched: Some(an_hour_ago()),
                    key_name: None,
                    public_ip: None,
                })
            },
            vec![(
                K::RecentResource,
                S::Medium,
                "recent_resource:us-east-1:i-1",
            )],
        ),
    ];
    let captured = baseline::capture(&peacetime(), &identity(), now());
    for (name, change, expected) in cases {
        let mut estate = peacetime();
        change(&mut estate);
        let found = summary(&evaluate_with(&estate, Some(&captured)));
        let mut expected: Vec<(FindingKind, Severity, String)> = expected
            .into_iter()
            .map(|(k, s, id)| (k, s, id.to_string()))
            .collect();
        expected.sort();
        assert_eq!(found, expected, "{name}");
    }
}

#[test]
fn without_a_baseline_only_recent_principals_are_unknown() {
    let mut estate = peacetime();
    estate
        .users
        .push(user("newcomer", now() - Duration::days(2)));
    estate
        .roles
        .push(role("fresh", &[], now() - Duration::days(3)));
    let found = evaluate_with(&estate, None);
    let ids: Vec<&str> = found
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FindingKind::UnknownUser | FindingKind::UnknownRole | FindingKind::NoBaseline
            )
        })
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "unknown_role:global:fresh",
            "unknown_user:global:newcomer",
            "no_baseline:global:123456789012"
        ]
    );
    // Every external account counts as untrusted without a baseline.
    assert!(
        found
            .iter()
            .any(|f| f.id == "external_trust:global:partner-read")
    );
    assert!(
        found
            .iter()
            .any(|f| f.id == "shared_snapshot:us-east-1:snap-partner")
    );
}

#[test]
fn details_say_what_each_principal_and_snapshot_holds() {
    let captured = baseline::capture(&peacetime(), &identity(), now());
    let mut estate = peacetime();
    let mut intruder = user("intruder", an_hour_ago());
    intruder.console_access = true;
    intruder.attached_policies = vec!["ReadOnlyAccess".into()];
    intruder.inline_policies = vec!["persist".into()];
    intruder.groups = vec!["ops".into(), "dev".into()];
    estate.users.push(intruder);
    estate.users.push(user("quiet", an_hour_ago()));
    let mut backdoor = role("backdoor", &[STRANGER], an_hour_ago());
    backdoor.trust.arns = [format!("arn:aws:iam::{STRANGER}:root")].into();
    backdoor.inline_policies = vec!["all".into()];
    estate.roles.push(backdoor);
    estate.snapshots.push(Snapshot {
        volume_id: None,
        size_gib: None,
        ..snapshot("us-east-1", "snap-leak", &[STRANGER], long_ago())
    });
    estate.snapshots.push(snapshot(
        "us-east-1",
        "snap-partner-new",
        &[STRANGER],
        long_ago(),
    ));
    let found = evaluate_with(&estate, Some(&captured));
    let details = |id: &str| {
        found
            .iter()
            .find(|f| f.id == id)
            .unwrap_or_else(|| panic!("{id}: {found:#?}"))
            .details
            .clone()
    };
    assert_eq!(
        details("unknown_user:global:intruder"),
        [
            "console access: yes",
            "policies: ReadOnlyAccess, inline:persist",
            "groups: ops, dev"
        ]
    );
    assert_eq!(
        details("unknown_user:global:quiet"),
        ["console access: no", "policies: none", "groups: none"]
    );
    assert_eq!(
        details("unknown_role:global:backdoor"),
        ["policies: inline:all"]
    );
    assert_eq!(
        details("external_trust:global:backdoor"),
        [format!("trusted principals: arn:aws:iam::{STRANGER}:root")]
    );
    assert_eq!(
        details("shared_snapshot:us-east-1:snap-leak"),
        ["volume ?, ? GiB"]
    );
    assert_eq!(
        details("shared_snapshot:us-east-1:snap-partner-new"),
        ["volume vol-1, 8 GiB"]
    );
}

#[test]
fn ages_read_in_minutes_hours_then_days() {
    let estate = |created: DateTime<Utc>| Inventory {
        users: vec![user("new", created)],
        ..Inventory::default()
    };
    let summary_of = |created| {
        evaluate_with(&estate(created), Some(&Baseline::default()))
            .into_iter()
            .find(|f| f.kind == FindingKind::UnknownUser)
            .map(|f| f.summary)
            .expect("an unknown user")
    };
    for (ago, says) in [
        (Duration::seconds(59), "created just now"),
        (Duration::minutes(1), "created 1m ago"),
        (Duration::minutes(59), "created 59m ago"),
        (Duration::minutes(60), "created 1h ago"),
        (Duration::minutes(47 * 60 + 59), "created 47h ago"),
        (Duration::hours(48), "created 2d ago"),
        (Duration::hours(71), "created 2d ago"),
        (Duration::hours(72), "created 3d ago"),
        // A clock ahead of AWS's: never a negative age.
        (Duration::minutes(-5), "created just now"),
    ] {
        let summary = summary_of(now() - ago);
        assert!(summary.contains(says), "{ago}: {summary}");
    }
}

#[test]
fn without_a_baseline_only_recent_keys_are_unknown_and_old_admins_are_expected() {
    let mut estate = peacetime();
    estate
        .access_keys
        .push(key("AKIANEW", "alice", now() - Duration::days(2)));
    estate
        .access_keys
        .push(key("AKIAWEEK", "alice", now() - Duration::days(8)));
    estate.users[0].admin_via = vec!["AdministratorAccess".into()];
    let mut newcomer = user("newcomer", now() - Duration::days(1));
    newcomer.admin_via = vec!["inline:all".into()];
    estate.users.push(newcomer);
    let found = evaluate_with(&estate, None);
    let ids: BTreeSet<&str> = found
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FindingKind::UnknownAccessKey | FindingKind::AdminPrincipal
            )
        })
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "unknown_access_key:global:AKIANEW",
            "admin_principal:global:newcomer"
        ])
    );
    // With a baseline, its admins list decides: alice is expected only once it is listed.
    let mut captured = baseline::capture(&peacetime(), &identity(), now());
    let admin_of = |captured: &Baseline| {
        evaluate_with(&estate, Some(captured))
            .iter()
            .any(|f| f.id == "admin_principal:global:alice")
    };
    assert!(admin_of(&captured));
    captured.principals.admins.insert("alice".into());
    assert!(!admin_of(&captured));
}

#[test]
fn ids_are_stable_and_related_findings_are_linked() {
    let captured = baseline::capture(&peacetime(), &identity(), now());
    let mut estate = peacetime();
    let mut backdoor = user("backdoor", an_hour_ago());
    backdoor.admin_via = vec!["AdministratorAccess".into()];
    estate.users.push(backdoor);
    estate
        .access_keys
        .push(key("AKIABACKDOOR", "backdoor", an_hour_ago()));
    let first = evaluate_with(&estate, Some(&captured));
    let second = evaluate_with(&estate, Some(&captured));
    assert_eq!(first, second);
    let unknown = first
        .iter()
        .find(|f| f.id == "unknown_user:global:backdoor")
        .expect("unknown user finding");
    assert!(
        unknown
            .related
            .contains(&"admin_principal:global:backdoor".to_string())
    );
    assert!(
        unknown
            .related
            .contains(&"unknown_access_key:global:AKIABACKDOOR".to_string())
    );
    // Sorted most severe first.
    assert!(first.windows(2).all(|w| w[0].severity >= w[1].severity));
}

#[test]
fn accepting_removes_exactly_that_finding_until_its_facts_change() {
    let mut captured = baseline::capture(&peacetime(), &identity(), now());
    let mut estate = peacetime();
    estate.roles[1].trust.accounts.insert(STRANGER.into());
    estate.snapshots[0].sharing.public = true;
    let before = evaluate_with(&estate, Some(&captured));
    assert_eq!(before.len(), 2);
    let public = before
        .iter()
        .find(|f| f.kind == FindingKind::PublicSnapshot)
        .expect("public snapshot")
        .clone();
    baseline::accept(&mut captured, &public, "arn:responder", now()).expect("accept");
    let after = evaluate_with(&estate, Some(&captured));
    assert_eq!(
        summary(&after),
        summary(
            &before[..]
                .iter()
                .filter(|f| f.id != public.id)
                .cloned()
                .collect::<Vec<_>>()
        )
    );

    let trust = after[0].clone();
    baseline::accept(&mut captured, &trust, "arn:responder", now()).expect("accept");
    assert!(evaluate_with(&estate, Some(&captured)).is_empty());
    // The accepted account is now trusted; a further account is a new fact.
    estate.roles[1].trust.accounts.insert("999999999999".into());
    let again = evaluate_with(&estate, Some(&captured));
    assert_eq!(again.len(), 1);
    assert!(again[0].summary.contains("999999999999"));
    assert!(!again[0].summary.contains(STRANGER));
}

#[test]
fn severities_parse_and_order() {
    assert_eq!(Severity::parse("critical"), Ok(Severity::Critical));
    assert!(Severity::parse("CRITICAL").is_err());
    assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
}
#[test]
fn an_item_not_fully_read_is_one_finding_naming_every_failed_call() {
    use crate::model::Unread;
    let captured = baseline::capture(&peacetime(), &identity(), now());
    let mut estate = peacetime();
    let unread = |call: &str, code: &str| Unread {
        region: GLOBAL.into(),
        resource_type: ResourceType::User,
        resource_id: "alice".into(),
        call: call.into(),
        code: code.into(),
        request_id: Some("req-7".into()),
    };
    estate.unread = vec![
        unread("iam ListAccessKeys", "Throttling"),
        unread("iam GetLoginProfile", "ServiceFailure"),
    ];
    let found = evaluate_with(&estate, Some(&captured));
    let not_judged: Vec<&Finding> = found
        .iter()
        .filter(|f| f.kind == FindingKind::NotJudged)
        .collect();
    assert_eq!(not_judged.len(), 1, "{found:#?}");
    let finding = not_judged[0];
    assert_eq!(finding.id, "not_judged:global:alice");
    assert_eq!(finding.severity, Severity::Medium);
    assert!(
        finding
            .summary
            .contains("iam ListAccessKeys: Throttling, request id req-7")
            && finding
                .summary
                .contains("iam GetLoginProfile: ServiceFailure"),
        "{}",
        finding.summary
    );
    let mut accepted = captured.clone();
    assert!(baseline::accept(&mut accepted, finding, "arn:responder", now()).is_err());
}

#[test]
fn related_findings_share_a_subject_or_a_user_and_never_name_themselves() {
    let captured = baseline::capture(&peacetime(), &identity(), now());
    let mut estate = peacetime();
    for name in ["backdoor", "other"] {
        let mut user = user(name, an_hour_ago());
        user.admin_via = vec!["AdministratorAccess".into()];
        estate.users.push(user);
    }
    estate
        .access_keys
        .push(key("AKIABACKDOOR", "backdoor", an_hour_ago()));
    estate
        .access_keys
        .push(key("AKIAOTHER", "other", an_hour_ago()));
    let findings = evaluate_with(&estate, Some(&captured));
    let related = |id: &str| -> Vec<String> {
        let mut related = findings
            .iter()
            .find(|f| f.id == id)
            .unwrap_or_else(|| panic!("no {id} in {findings:?}"))
            .related
            .clone();
        related.sort();
        related
    };
    // A key is related to its user's findings through its owner, not to the other user's.
    assert_eq!(
        related("unknown_access_key:global:AKIABACKDOOR"),
        [
            "admin_principal:global:backdoor",
            "unknown_user:global:backdoor"
        ]
    );
    assert_eq!(
        related("unknown_user:global:other"),
        [
            "admin_principal:global:other",
            "unknown_access_key:global:AKIAOTHER"
        ]
    );
    // Findings without an owner are related only by their subject.
    for finding in &findings {
        assert!(!finding.related.contains(&finding.id), "{}", finding.id);
    }
}

#[test]
fn a_public_function_says_each_way_anyone_can_invoke_it() {
    let captured = baseline::capture(&peacetime(), &identity(), now());
    let mut estate = peacetime();
    let mut open = function("eu-west-1", "open", long_ago());
    open.url_auth = Some(UrlAuth::None);
    let mut by_policy = function("eu-west-1", "by-policy", long_ago());
    by_policy.policy_principals = Some(Principals {
        public: true,
        ..Principals::default()
    });
    by_policy.url_auth = Some(UrlAuth::AwsIam);
    estate.functions.extend([open, by_policy]);
    let findings = evaluate_with(&estate, Some(&captured));
    let how = |name: &str| {
        findings
            .iter()
            .find(|f| f.id == format!("public_function:eu-west-1:{name}"))
            .unwrap_or_else(|| panic!("{name} is public"))
            .details
            .clone()
    };
    assert_eq!(how("open"), ["function URL without auth"]);
    assert_eq!(how("by-policy"), ["resource policy allows principal *"]);
}
