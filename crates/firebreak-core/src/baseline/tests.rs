use super::*;
use crate::model::{AccessKey, KeyStatus, Principals, Role, Sharing, Snapshot, User};

fn identity() -> Identity {
    Identity {
        id: "123456789012".into(),
        alias: None,
        caller_arn: "arn:aws:iam::123456789012:user/admin".into(),
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .expect("valid time")
}

fn peacetime() -> Inventory {
    Inventory {
        users: vec![User {
            region: "global".into(),
            name: "alice".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            user_id: "AIDA1".into(),
            created: at("2026-01-01T00:00:00Z"),
            console_access: false,
            mfa_devices: vec![],
            attached_policies: vec!["AdministratorAccess".into()],
            inline_policies: vec![],
            groups: vec![],
            admin_via: vec!["AdministratorAccess".into()],
        }],
        access_keys: vec![AccessKey {
            region: "global".into(),
            id: "AKIAALICE".into(),
            user: "alice".into(),
            status: KeyStatus::Active,
            created: Some(at("2026-01-01T00:00:00Z")),
            last_used: None,
        }],
        roles: vec![Role {
            region: "global".into(),
            name: "partner".into(),
            arn: "arn:aws:iam::123456789012:role/partner".into(),
            path: "/".into(),
            created: at("2026-01-01T00:00:00Z"),
            trust: Principals {
                accounts: BTreeSet::from(["210987654321".to_string()]),
                ..Principals::default()
            },
            attached_policies: vec![],
            inline_policies: vec![],
            instance_profiles: Vec::new(),
            admin_via: vec![],
        }],
        snapshots: vec![Snapshot {
            region: "us-east-1".into(),
            id: "snap-1".into(),
            volume_id: None,
            size_gib: None,
            encrypted: true,
            started: None,
            sharing: Sharing {
                public: true,
                accounts: BTreeSet::from(["333344445555".to_string()]),
                organizations: BTreeSet::new(),
            },
        }],
        ..Inventory::default()
    }
}

#[test]
fn capture_records_principals_trust_regions_and_resources() {
    let baseline = capture(&peacetime(), &identity(), at("2026-11-22T00:00:00Z"));
    assert_eq!(baseline.account_id, "123456789012");
    assert!(baseline.knows_user("alice"));
    assert!(baseline.knows_access_key("AKIAALICE"));
    assert!(baseline.knows_role("partner"));
    assert!(baseline.knows_admin("alice"));
    assert_eq!(
        baseline.trusted_accounts,
        BTreeSet::from(["210987654321".to_string(), "333344445555".to_string()])
    );
    assert_eq!(
        baseline.regions_in_use,
        BTreeSet::from(["us-east-1".to_string()])
    );
    assert!(baseline.knows_resource(ResourceType::Snapshot, "us-east-1", "snap-1"));
    assert!(!baseline.knows_resource(ResourceType::Snapshot, "us-east-2", "snap-1"));
}

#[test]
fn round_trips_through_toml() {
    // A condition's source account can be anything; the baseline keeps only what it loads.
    let mut inventory = peacetime();
    inventory.roles[0]
        .trust
        .accounts
        .insert("${aws:PrincipalAccount}".to_string());
    let baseline = capture(&inventory, &identity(), at("2026-11-22T00:00:00Z"));
    assert!(!baseline.trusts_account("${aws:PrincipalAccount}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested/baseline.toml");
    save(&baseline, &path).expect("save");
    assert_eq!(load(&path).expect("load"), baseline);
}

#[cfg(unix)]
#[test]
fn save_replaces_the_file_atomically_and_privately_over_a_stale_temporary_and_a_0644_file() {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("baseline.toml");
    let temporary = dir.path().join("baseline.toml.tmp");
    // An earlier baseline, world-readable, and a temporary file a crash left behind.
    let old = "# an earlier baseline\nversion = 1\n";
    std::fs::write(&path, old).expect("old baseline");
    std::fs::write(&temporary, "half a baseline, cut short by a cra").expect("stale temp");
    for file in [&path, &temporary] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(mode(file), 0o644);
    }
    // A reader that opened the baseline before the save.
    let mut reader = std::fs::File::open(&path).expect("open");
    let before = std::fs::metadata(&path).expect("metadata").ino();

    let baseline = capture(&peacetime(), &identity(), at("2026-11-22T00:00:00Z"));
    save(&baseline, &path).expect("save");

    assert_eq!(load(&path).expect("load"), baseline, "the whole baseline");
    assert_eq!(mode(&path), 0o600, "private, whatever was there before");
    assert!(!temporary.exists(), "no temporary file is left behind");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["baseline.toml"]);
    // Replaced by a rename, not rewritten in place: the reader still holds the old file,
    // whole, and never sees a half-written one.
    assert_ne!(
        std::fs::metadata(&path).expect("metadata").ino(),
        before,
        "a new file took the name"
    );
    let mut seen = String::new();
    reader.read_to_string(&mut seen).expect("read");
    assert_eq!(seen, old);
}

#[test]
fn patterns_match_names() {
    let mut baseline = Baseline::default();
    baseline.principals.users = BTreeSet::from(["ci-*".to_string(), "bob".to_string()]);
    assert!(baseline.knows_user("ci-deploy"));
    assert!(baseline.knows_user("bob"));
    assert!(!baseline.knows_user("bobby"));
    assert!(!baseline.knows_user("deploy-ci"));
}

#[test]
fn bad_baselines_name_file_line_and_column() {
    let path = Path::new("/tmp/b.toml");
    let cases = [
        (
            "version = 1\naccount_id = \"123456789012\"\n[principals]\nuserz = []\n",
            (4, 1),
            "unknown field",
        ),
        // Single quotes, one entry a line: the bad entry's own line.
        (
            "version = 1\naccount_id = '123456789012'\n[principals]\nusers = [\n  'ok',\n  '[bad',\n]\n",
            (6, 3),
            "'[bad' is not a valid pattern",
        ),
        // The key's name earlier in a comment does not mislead the location.
        (
            "# version and account_id below\nversion = 7\naccount_id = \"123456789012\"\n",
            (2, 11),
            "not supported",
        ),
        (
            "# account_id below\nversion = 1\naccount_id = \"prod\"\n",
            (3, 14),
            "12-digit",
        ),
        (
            "version = 1\naccount_id = \"123456789012\"\ntrusted_accounts = [\"210987654321\", \"21098765432\"]\n",
            (3, 37),
            "trusted_accounts: '21098765432' is neither",
        ),
    ];
    for (text, (line, column), needle) in cases {
        match parse(text, path) {
            Err(BaselineError::Invalid {
                line: l,
                column: c,
                message,
                ..
            }) => {
                assert_eq!((l, c), (line, column), "{text}: {message}");
                assert!(message.contains(needle), "{message}");
            }
            other => panic!("{text}: expected a located error, got {other:?}"),
        }
    }
    let organization = "version = 1\naccount_id = \"123456789012\"\ntrusted_accounts = [\"arn:aws:organizations::111122223333:organization/o-abc\"]\n";
    assert!(parse(organization, path).is_ok());
}

#[test]
fn bytes_that_are_not_utf8_are_located() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("baseline.toml");
    std::fs::write(&path, b"version = 1\naccount_id = \"123456789012\"\n\xff\n").expect("write");
    let shown = load(&path).expect_err("not UTF-8").to_string();
    assert!(
        shown.starts_with(&format!("{}:3:1: ", path.display())) && shown.contains("0xff"),
        "{shown}"
    );
}

#[test]
fn diff_shows_what_came_and_went() {
    let baseline = capture(&peacetime(), &identity(), at("2026-11-22T00:00:00Z"));
    let mut now = peacetime();
    now.users[0].name = "mallory".into();
    now.snapshots.clear();
    let changes: Vec<String> = diff(&baseline, &now)
        .iter()
        .map(|d| format!("{}{} {} {}", d.change, d.what, d.region, d.id))
        .collect();
    assert!(
        changes.contains(&"+user global mallory".to_string()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"-user global alice".to_string()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"-snapshot us-east-1 snap-1".to_string()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"+admin global mallory".to_string()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"-trusted_account global 333344445555".to_string()),
        "{changes:?}"
    );
}

fn finding_about(kind: FindingKind, resource_type: ResourceType, id: &str) -> Finding {
    crate::model::finding::sample(kind, resource_type, "eu-west-1", id)
}

#[test]
fn each_kind_of_resource_is_kept_in_its_own_section_accepted_and_let_go() {
    let mut baseline = capture(
        &Inventory::default(),
        &identity(),
        at("2026-11-01T00:00:00Z"),
    );
    let now = at("2026-11-02T00:00:00Z");
    let cases = [
        (FindingKind::RecentResource, ResourceType::Function, "miner"),
        (
            FindingKind::RecentResource,
            ResourceType::Snapshot,
            "snap-1",
        ),
        (FindingKind::RecentResource, ResourceType::Image, "ami-1"),
        (FindingKind::RecentResource, ResourceType::Instance, "i-1"),
        (FindingKind::RecentResource, ResourceType::Detector, "det-1"),
        (
            FindingKind::UnknownEventRule,
            ResourceType::EventRule,
            "default/exfil",
        ),
        (FindingKind::UnknownApiKey, ResourceType::ApiKey, "key-1"),
        (
            FindingKind::UnknownProfileAssociation,
            ResourceType::ProfileAssociation,
            "i-1/admin",
        ),
    ];
    for (kind, resource_type, id) in cases {
        assert!(baseline.captured(resource_type), "{resource_type:?}");
        assert!(
            !baseline.knows_any(resource_type, "eu-west-1"),
            "{resource_type:?}"
        );
        accept(
            &mut baseline,
            &finding_about(kind, resource_type, id),
            "jo",
            now,
        )
        .expect("accept");
        assert!(
            baseline.knows_resource(resource_type, "eu-west-1", id),
            "{resource_type:?} accepted"
        );
        assert!(baseline.knows_any(resource_type, "eu-west-1"));
        // Only in its own section and region.
        assert!(!baseline.knows_resource(resource_type, "us-east-1", id));
        for (_, other, _) in cases.iter().filter(|(_, other, _)| *other != resource_type) {
            assert!(
                !baseline.knows_resource(*other, "eu-west-1", id),
                "{id} leaked into {other:?}"
            );
        }
        let deleted = finding_about(FindingKind::DeletedResource, resource_type, id);
        accept(&mut baseline, &deleted, "jo", now).expect("accept deletion");
        assert!(
            !baseline.knows_resource(resource_type, "eu-west-1", id),
            "{resource_type:?} let go"
        );
    }
    // Kinds the baseline keeps no per-region ids for.
    assert!(!baseline.knows_any(ResourceType::User, "eu-west-1"));
    assert!(!baseline.captured(ResourceType::User));
}

#[test]
fn a_baseline_is_for_its_own_account_only() {
    let baseline = capture(
        &Inventory::default(),
        &identity(),
        at("2026-11-01T00:00:00Z"),
    );
    let path = Path::new("/b/baseline.toml");
    assert!(baseline.check_account(path, &identity().id).is_ok());
    let error = baseline
        .check_account(path, "999999999999")
        .expect_err("another account");
    assert!(
        matches!(&error, BaselineError::WrongAccount { actual, .. } if actual == "999999999999"),
        "{error}"
    );
}

#[test]
fn the_default_baseline_is_baseline_toml_in_the_config_dir() {
    let path = default_path().expect("a home directory");
    assert!(path.ends_with("baseline.toml"), "{}", path.display());
    assert!(path.parent().is_some_and(|dir| !dir.as_os_str().is_empty()));
}

#[test]
fn a_capture_says_when_and_by_whom() {
    let when = at("2026-11-01T00:00:00Z");
    let captured = capture(&Inventory::default(), &identity(), when);
    assert_eq!(captured.captured_at, Some(when));
    assert_eq!(captured.captured_by, Some(identity().caller_arn));
}

#[test]
fn accepting_a_deleted_trail_lets_go_of_that_trail_only() {
    let trail = crate::model::Trail {
        region: "eu-west-1".into(),
        name: "org-trail".into(),
        arn: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/org-trail".into(),
        logging: Some(true),
        multi_region: true,
        management_events: Some(crate::model::ManagementEvents::All),
        log_role: None,
        delivery_error: None,
        organization_owner: None,
        bucket: None,
    };
    let estate = Inventory {
        trails: vec![trail],
        ..Inventory::default()
    };
    let now = at("2026-11-02T00:00:00Z");
    let mut baseline = capture(&estate, &identity(), at("2026-11-01T00:00:00Z"));
    assert!(baseline.trail("eu-west-1", "org-trail").is_some());
    // A function of the same name going is not the trail going.
    let function = finding_about(
        FindingKind::DeletedResource,
        ResourceType::Function,
        "org-trail",
    );
    accept(&mut baseline, &function, "jo", now).expect("accept");
    assert!(baseline.trail("eu-west-1", "org-trail").is_some());
    let gone = finding_about(
        FindingKind::DeletedResource,
        ResourceType::Trail,
        "org-trail",
    );
    accept(&mut baseline, &gone, "jo", now).expect("accept");
    assert!(baseline.trail("eu-west-1", "org-trail").is_none());
}

#[test]
fn an_accepted_association_lets_its_profile_carry_the_roles_named_and_no_empty_one() {
    let mut baseline = capture(
        &Inventory::default(),
        &identity(),
        at("2026-11-01T00:00:00Z"),
    );
    let mut association = finding_about(
        FindingKind::UnknownProfileAssociation,
        ResourceType::ProfileAssociation,
        "i-1/ops",
    );
    association.facts = "admin,,deploy".into();
    accept(
        &mut baseline,
        &association,
        "jo",
        at("2026-11-02T00:00:00Z"),
    )
    .expect("accept");
    let roles: Vec<&str> = baseline
        .profile_roles("ops")
        .expect("recorded")
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(roles, ["admin", "deploy"]);
    assert!(baseline.knows_profile("ops"));
}

#[test]
fn the_buckets_holding_backups_or_logs_are_named_by_region() {
    let text = "version = 1\naccount_id = \"123456789012\"\n\
        [resources.buckets.eu-west-1.db-backups]\nholds = \"backups\"\n\
        [resources.buckets.eu-west-1.media]\n\
        [resources.buckets.us-east-1.trail-logs]\nholds = \"logs\"\n\
        [resources.buckets.us-east-1.vault]\nholds = \"backups\"\n";
    let baseline = parse(text, Path::new("baseline.toml")).expect("parsed");
    assert_eq!(
        baseline.buckets_holding(Holds::Backups),
        [
            ("eu-west-1".to_string(), "db-backups".to_string()),
            ("us-east-1".to_string(), "vault".to_string()),
        ]
    );
    assert_eq!(
        baseline.buckets_holding(Holds::Logs),
        [("us-east-1".to_string(), "trail-logs".to_string())]
    );
    let bare = parse(
        "version = 1\naccount_id = \"123456789012\"\n",
        Path::new("baseline.toml"),
    )
    .expect("parsed");
    assert!(bare.buckets_holding(Holds::Backups).is_empty());
}
