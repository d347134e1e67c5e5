use super::*;
use crate::gameday::blueprint::Blueprint;
use crate::gameday::indicator::{Exposure, Threat};
use crate::gameday::scenario::Containment;
use firebreak_core::journal::Record;
use firebreak_core::model::{Identity, Snapshot};
use firebreak_core::playbook::plan::{Plan, Playbook, Step};

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time")
}

fn identity(account: &str) -> Identity {
    Identity {
        id: account.into(),
        alias: None,
        caller_arn: format!("arn:aws:iam::{account}:user/responder"),
    }
}

fn snapshot_threat(id: &str) -> Threat {
    Threat::Snapshot {
        region: "eu-west-1".into(),
        id: id.into(),
        exposure: Exposure::Public,
    }
}

fn record() -> RunRecord {
    RunRecord {
        run_id: "r".into(),
        scenario: "snapshot-made-public".into(),
        seed: 1,
        account: "123456789012".into(),
        endpoint: None,
        private_emulator: false,
        created: at(0),
        attack_started: Some(at(10)),
        detonated: Some(at(12)),
        baseline: "b".into(),
        regions: vec![],
        blueprint: Blueprint {
            scenario: "snapshot-made-public".into(),
            seed: 1,
            partner: "210987654321".into(),
            outsider: "666655554444".into(),
            estate_regions: vec!["eu-west-1".into()],
            unused_regions: vec![],
            steps: vec![],
            partition: "aws".into(),
        },
        steps: vec![],
        indicators: ["snap-a", "snap-b"]
            .iter()
            .map(|id| Indicator {
                step: (*id).into(),
                summary: format!("snapshot {id} public"),
                contain: Containment::RevertSharing,
                threats: vec![snapshot_threat(id)],
            })
            .collect(),
        damage: vec![],
        cleaned: None,
        server: None,
    }
}

fn record_at(secs: i64, entry: Entry) -> Record {
    Record {
        at: at(secs),
        session: "s".into(),
        entry,
    }
}

/// A session of `account` that scanned at 20 (and at 5, before the attack), and revert-
/// sharing `snap-a` at 40.
fn session(account: &str) -> SessionLog {
    let finding = |id: &str| format!("public_snapshot:eu-west-1:{id}");
    let mut records = vec![
        record_at(
            1,
            Entry::SessionStart {
                version: "0".into(),
                args: vec![],
                local_user: None,
                identity: identity(account),
            },
        ),
        record_at(
            5,
            Entry::Scanned {
                findings: 1,
                new: vec![finding("snap-b")],
            },
        ),
        record_at(
            20,
            Entry::Scanned {
                findings: 2,
                new: vec![finding("snap-a"), finding("snap-b")],
            },
        ),
    ];
    records.extend(acting_on_snap_a("s-1", Playbook::RevertSharing, 40));
    records.push(record_at(50, Entry::CockpitClosed { keystrokes: 7 }));
    SessionLog {
        path: "s.jsonl".into(),
        session: "s".into(),
        records,
        truncated_line: None,
        live: false,
    }
}

fn account_with(public: &[&str]) -> Inventory {
    Inventory {
        snapshots: ["snap-a", "snap-b"]
            .iter()
            .map(|id| Snapshot {
                region: "eu-west-1".into(),
                id: (*id).into(),
                volume_id: None,
                size_gib: None,
                encrypted: false,
                started: None,
                sharing: firebreak_core::model::Sharing {
                    public: public.contains(id),
                    ..Default::default()
                },
            })
            .collect(),
        ..Inventory::default()
    }
}

fn scored(logs: &[SessionLog], inventory: &Inventory, until: Option<DateTime<Utc>>) -> Scorecard {
    score(
        &record(),
        logs,
        &Now {
            inventory,
            unread: &BTreeSet::new(),
            partial: false,
            until,
            at: at(60),
        },
    )
}

#[test]
fn a_threat_where_the_scan_could_not_read_is_not_contained() {
    let gone = Inventory::default();
    let unread = BTreeSet::from(["eu-west-1".to_string()]);
    let card = score(
        &record(),
        &[session("123456789012")],
        &Now {
            inventory: &gone,
            unread: &unread,
            partial: true,
            until: None,
            at: at(60),
        },
    );
    assert!(
            card.indicators
                .iter()
                .all(|i| i.status == Status::Detected
                    && i.open[0].ends_with("(could not be read now)")),
            "{card:#?}"
        );
    assert!(card.partial && card.table().contains("warning: some regions"));
}

#[test]
fn each_indicator_is_contained_detected_or_missed_with_its_times() {
    let card = scored(&[session("123456789012")], &account_with(&["snap-b"]), None);
    let a = &card.indicators[0];
    assert_eq!(a.status, Status::Contained);
    assert_eq!(
        a.detected,
        Some(at(20)),
        "the scan before the attack does not count"
    );
    assert_eq!(a.contained, Some(at(41)));
    assert_eq!(a.by, vec!["s-1: revert-sharing".to_string()]);
    let b = &card.indicators[1];
    assert_eq!(b.status, Status::Detected);
    assert_eq!((b.detected, b.contained), (Some(at(20)), None));
    assert_eq!(
        b.open,
        vec!["snapshot eu-west-1/snap-b (public)".to_string()]
    );
    assert_eq!((card.contained, card.detected, card.missed), (1, 1, 0));
    assert_eq!(card.first_containment_secs, Some(31));
    assert_eq!(card.full_containment_secs, None, "one is still open");
    assert_eq!(card.keystrokes, 7);

    let all = scored(&[session("123456789012")], &account_with(&[]), None);
    // snap-b was closed outside firebreak: contained, but no action or time to credit.
    assert_eq!(all.indicators[1].status, Status::Contained);
    assert_eq!(all.indicators[1].contained, None);
    assert_eq!(
        all.full_containment_secs, None,
        "a containment without a time"
    );
}

#[test]
fn another_accounts_sessions_and_an_undone_containment_do_not_count() {
    let card = scored(
        &[session("999988887777")],
        &account_with(&["snap-a", "snap-b"]),
        None,
    );
    assert!(card.indicators.iter().all(|i| i.status == Status::Missed));
    assert_eq!(card.keystrokes, 0);
    // The next run started at 30: its scans and actions are not this run's.
    let card = scored(&[session("123456789012")], &account_with(&[]), Some(at(30)));
    assert_eq!(card.indicators[0].detected, Some(at(20)));
    assert_eq!(
        card.indicators[0].contained, None,
        "contained by the next run"
    );
    assert_eq!(card.keystrokes, 0);
    // Contained, then undone: the account holds it again.
    let card = scored(
        &[session("123456789012")],
        &account_with(&["snap-a", "snap-b"]),
        None,
    );
    assert_eq!(card.indicators[0].status, Status::Detected);
    assert_eq!(card.indicators[0].contained, None);
    assert!(
        card.table()
            .contains("open: snapshot eu-west-1/snap-a (public)")
    );
}

/// The records of action `id` (`playbook`) changing snap-a's sharing at `secs`.
fn acting_on_snap_a(id: &str, playbook: Playbook, secs: i64) -> Vec<Record> {
    let operation = Operation::ModifySnapshotSharing {
        snapshot_id: "snap-a".into(),
        change: Default::default(),
    };
    let plan = Plan::new(
        id.into(),
        playbook,
        identity("123456789012"),
        at(secs - 1),
        vec![Step::new("eu-west-1", 0, operation.clone(), None)],
    );
    vec![
        record_at(
            secs - 1,
            Entry::PlanShown {
                plan: Box::new(plan),
            },
        ),
        record_at(
            secs,
            Entry::StepIntent {
                action_id: id.into(),
                index: 1,
                service: "ec2".into(),
                region: "eu-west-1".into(),
                api: "ModifySnapshotAttribute".into(),
                target: "snap-a".into(),
                operation,
            },
        ),
        record_at(
            secs + 1,
            Entry::StepOutcome {
                action_id: id.into(),
                index: 1,
                outcome: Outcome::Ok,
                inverse: None,
            },
        ),
    ]
}

#[test]
fn an_indicator_is_credited_when_it_became_contained_and_later_actions_show_as_later() {
    let mut log = session("123456789012");
    // Contained at 41 by s-1; a freeze-like second pass at 140 changes nothing of it.
    log.records
        .extend(acting_on_snap_a("s-2", Playbook::RevertSharing, 140));
    let card = scored(std::slice::from_ref(&log), &account_with(&["snap-b"]), None);
    assert_eq!(card.indicators[0].contained, Some(at(41)));
    assert_eq!(
        card.indicators[0].by,
        ["s-1: revert-sharing", "s-2: revert-sharing (later)"]
    );
    // Undone at 200, contained again at 301: from then on it stayed contained.
    log.records.extend(acting_on_snap_a(
        "s-3",
        Playbook::Undo { of: "s-1".into() },
        200,
    ));
    log.records
        .extend(acting_on_snap_a("s-4", Playbook::RevertSharing, 300));
    let card = scored(&[log], &account_with(&["snap-b"]), None);
    assert_eq!(card.indicators[0].contained, Some(at(301)));
    assert_eq!(card.indicators[0].by, ["s-4: revert-sharing"]);
}
