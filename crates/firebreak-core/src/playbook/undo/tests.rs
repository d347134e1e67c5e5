use super::*;
use crate::journal::Record;
use crate::model::operation::Operation;
use std::path::PathBuf;

fn identity(caller: &str) -> Identity {
    Identity {
        id: "123456789012".into(),
        alias: None,
        caller_arn: caller.into(),
    }
}

fn record(entry: Entry) -> Record {
    Record {
        at: Utc::now(),
        session: "s".into(),
        entry,
    }
}

/// A journal holding a freeze of role R (phase 0) and block public access (phase 1),
/// both ended ok.
fn frozen() -> Vec<SessionLog> {
    let steps = vec![
        Step::global(
            0,
            Operation::PutRolePolicy {
                role: "R".into(),
                policy_name: "firebreak-freeze".into(),
                document: "{}".into(),
            },
            Some(Operation::DeleteRolePolicy {
                role: "R".into(),
                policy_name: "firebreak-freeze".into(),
            }),
        ),
        Step::new(
            "eu-west-1",
            1,
            Operation::EnableSnapshotBlockPublicAccess,
            Some(Operation::DisableSnapshotBlockPublicAccess),
        ),
    ];
    let plan = Plan::new(
        "f-1".into(),
        Playbook::Freeze,
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        steps,
    );
    let records = vec![
        record(Entry::PlanShown {
            plan: Box::new(plan),
        }),
        record(Entry::StepOutcome {
            action_id: "f-1".into(),
            index: 1,
            outcome: Outcome::Ok,
            inverse: None,
        }),
        record(Entry::StepOutcome {
            action_id: "f-1".into(),
            index: 2,
            outcome: Outcome::Ok,
            inverse: None,
        }),
    ];
    vec![SessionLog {
        path: PathBuf::from("s.jsonl"),
        session: "s".into(),
        records,
        truncated_line: None,
        live: false,
    }]
}

#[test]
fn undo_never_takes_off_aws_key_quarantine() {
    let quarantine = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
    let deny_all = "arn:aws:iam::aws:policy/AWSDenyAll";
    let attach = |policy_arn: &str| {
        Step::global(
            0,
            Operation::AttachUserPolicy {
                user: "eve".into(),
                policy_arn: policy_arn.into(),
            },
            Some(Operation::DetachUserPolicy {
                user: "eve".into(),
                policy_arn: policy_arn.into(),
            }),
        )
    };
    let plan_shown = Plan::new(
        "d-1".into(),
        Playbook::DisableUser {
            users: vec!["eve".into()],
        },
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        vec![attach(quarantine), attach(deny_all)],
    );
    let mut records = vec![record(Entry::PlanShown {
        plan: Box::new(plan_shown),
    })];
    for index in [1, 2] {
        records.push(record(Entry::StepOutcome {
            action_id: "d-1".into(),
            index,
            outcome: Outcome::Ok,
            inverse: None,
        }));
    }
    let logs = vec![SessionLog {
        path: PathBuf::from("s.jsonl"),
        session: "s".into(),
        records,
        truncated_line: None,
        live: false,
    }];
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let undo = plan(
        "u".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "d-1",
        &guard,
    )
    .expect("undo plan");
    let targets: Vec<&str> = undo.steps.iter().map(|s| s.target.as_str()).collect();
    assert_eq!(targets, ["user/eve policy AWSDenyAll"]);
    assert!(
        undo.notes
            .iter()
            .any(|n| n.starts_with("step 1 of d-1 is left out") && n.contains("quarantine")),
        "{:?}",
        undo.notes
    );
}

#[test]
fn undo_runs_phases_in_reverse() {
    let logs = frozen();
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let plan = plan(
        "u-1".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "f-1",
        &guard,
    )
    .expect("undo plan");
    let order: Vec<(u8, &str)> = plan
        .steps
        .iter()
        .map(|s| (s.phase, s.api.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (0, "DisableSnapshotBlockPublicAccess"),
            (1, "DeleteRolePolicy")
        ]
    );
}

#[test]
fn undoing_an_undo_never_denies_the_caller() {
    let mut logs = frozen();
    let alice = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let unfreeze = plan_unfreeze(
        "u-1".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        &["f-1".to_string()],
        &alice,
    )
    .expect("unfreeze plan");
    let mut records = vec![record(Entry::PlanShown {
        plan: Box::new(unfreeze.clone()),
    })];
    for step in &unfreeze.steps {
        records.push(record(Entry::StepOutcome {
            action_id: "u-1".into(),
            index: step.index,
            outcome: Outcome::Ok,
            inverse: None,
        }));
    }
    logs[0].records.extend(records);
    assert_eq!(pending_freezes(&logs), Err(UndoError::NoneOfKind("freeze")));

    // Someone working as role R undoes the unfreeze: the freeze of R is left out.
    let as_r = Guard::new("arn:aws:sts::123456789012:assumed-role/R/bob", &[]);
    let redo = plan(
        "u-2".into(),
        identity("arn:aws:sts::123456789012:assumed-role/R/bob"),
        Utc::now(),
        &logs,
        "u-1",
        &as_r,
    )
    .expect("undo of the unfreeze");
    assert!(
        redo.steps.iter().all(|s| s.api != "PutRolePolicy"),
        "{:#?}",
        redo.steps
    );
    assert!(
        redo.notes.iter().any(|n| n.contains("left out")),
        "{:?}",
        redo.notes
    );
}

#[test]
fn undo_never_denies_a_service_linked_role_it_cannot_see_the_path_of() {
    // An unfreeze that removed a deny from a role named as AWS names service-linked roles:
    // undoing it would deny the role again; the plan has no path, so the name decides.
    let alice = "arn:aws:iam::123456789012:user/alice";
    let linked = "AWSServiceRoleForAutoScaling";
    let steps = vec![Step::global(
        0,
        Operation::DeleteRolePolicy {
            role: linked.into(),
            policy_name: "firebreak-freeze".into(),
        },
        Some(Operation::PutRolePolicy {
            role: linked.into(),
            policy_name: "firebreak-freeze".into(),
            document: "{}".into(),
        }),
    )];
    let unfreeze = Plan::new(
        "u-1".into(),
        Playbook::Unfreeze {
            of: vec!["f-1".into()],
        },
        identity(alice),
        Utc::now(),
        steps,
    );
    let logs = vec![SessionLog {
        path: PathBuf::from("s.jsonl"),
        session: "s".into(),
        records: vec![
            record(Entry::PlanShown {
                plan: Box::new(unfreeze),
            }),
            record(Entry::StepOutcome {
                action_id: "u-1".into(),
                index: 1,
                outcome: Outcome::Ok,
                inverse: None,
            }),
        ],
        truncated_line: None,
        live: false,
    }];
    let guard = Guard::new(alice, &[]);
    let undo = plan(
        "u-2".into(),
        identity(alice),
        Utc::now(),
        &logs,
        "u-1",
        &guard,
    )
    .expect("undo plan");
    assert!(undo.steps.is_empty(), "{:#?}", undo.steps);
    assert!(
        undo.notes
            .iter()
            .any(|n| n.contains(linked) && n.contains("service-linked")),
        "{:?}",
        undo.notes
    );
}

#[test]
fn a_failed_unfreeze_leaves_its_freeze_pending() {
    let mut logs = frozen();
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let unfreeze = plan_unfreeze(
        "u-1".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        &["f-1".to_string()],
        &guard,
    )
    .expect("unfreeze plan");
    logs[0].records.push(record(Entry::PlanShown {
        plan: Box::new(unfreeze),
    }));
    logs[0].records.push(record(Entry::StepOutcome {
        action_id: "u-1".into(),
        index: 1,
        outcome: Outcome::Failed {
            maybe_applied: false,
            error: crate::aws_error::AwsError {
                service: "ec2".into(),
                operation: "DisableSnapshotBlockPublicAccess".into(),
                region: "eu-west-1".into(),
                code: "Throttling".into(),
                message: "slow down".into(),
                request_id: None,
                http_status: Some(400),
                subject: None,
            },
        },
        inverse: None,
    }));
    assert_eq!(pending_freezes(&logs), Ok(vec!["f-1".to_string()]));
}

fn intent(action_id: &str, index: usize) -> Record {
    record(Entry::StepIntent {
        action_id: action_id.into(),
        index,
        service: "iam".into(),
        region: "global".into(),
        api: "PutRolePolicy".into(),
        target: "role/R".into(),
        operation: Operation::DeleteRolePolicy {
            role: "R".into(),
            policy_name: "p".into(),
        },
    })
}

#[test]
fn an_action_with_an_intent_and_no_outcome_is_unfinished_until_it_finishes() {
    let mut logs = frozen();
    logs[0].records.insert(
        1,
        record(Entry::Confirmed {
            action_id: "f-1".into(),
            local_user: None,
            caller_arn: "arn:aws:iam::123456789012:user/alice".into(),
            typed: Some("123456789012".into()),
        }),
    );
    assert_eq!(
        unfinished(&logs, "123456789012").len(),
        0,
        "confirmed and every step has its outcome: nothing left to do"
    );
    // The process died after sending step 2: its intent is there, its outcome is not.
    logs[0]
        .records
        .retain(|r| !matches!(&r.entry, Entry::StepOutcome { index: 2, .. }));
    logs[0].records.push(intent("f-1", 1));
    logs[0].records.push(intent("f-1", 2));
    let found = unfinished(&logs, "123456789012");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].missing, vec![2]);
    assert_eq!(found[0].typed.as_deref(), Some("123456789012"));
    assert_eq!(found[0].plan.action_id, "f-1");
    // Finished in a later session: nothing left.
    logs[0].records.push(record(Entry::StepOutcome {
        action_id: "f-1".into(),
        index: 2,
        outcome: Outcome::Skipped,
        inverse: None,
    }));
    logs[0].records.push(record(Entry::ActionFinished {
        action_id: "f-1".into(),
        ok: 1,
        skipped: 1,
        unsupported: 0,
        failed: 0,
    }));
    assert!(unfinished(&logs, "123456789012").is_empty());
}

#[test]
fn a_refused_resume_leaves_the_action_unfinished_and_a_refused_action_is_not() {
    let confirmed = |action_id: &str| {
        record(Entry::Confirmed {
            action_id: action_id.into(),
            local_user: None,
            caller_arn: "arn:aws:iam::123456789012:user/alice".into(),
            typed: Some("123456789012".into()),
        })
    };
    let refused = |action_id: &str| {
        record(Entry::Refused {
            action_id: action_id.into(),
            reason: "read-only".into(),
        })
    };
    // A session died after sending step 2 of f-1.
    let mut logs = frozen();
    logs[0]
        .records
        .retain(|r| !matches!(&r.entry, Entry::StepOutcome { index: 2, .. }));
    logs[0].records.insert(1, confirmed("f-1"));
    logs[0].records.push(intent("f-1", 2));
    assert_eq!(unfinished(&logs, "123456789012").len(), 1);
    // A later read-only session tried to resume it: confirmed, refused, nothing sent.
    logs.push(SessionLog {
        path: PathBuf::from("s2.jsonl"),
        session: "s2".into(),
        records: vec![confirmed("f-1"), refused("f-1")],
        truncated_line: None,
        live: false,
    });
    let left = unfinished(&logs, "123456789012");
    assert_eq!(left.len(), 1, "still to finish after a refused resume");
    assert_eq!(left[0].missing, vec![2]);
    assert_eq!(left[0].typed.as_deref(), Some("123456789012"));
    // An action refused in the session that confirmed it never started.
    let mut fresh = frozen();
    fresh[0]
        .records
        .retain(|r| !matches!(&r.entry, Entry::StepOutcome { .. }));
    fresh[0].records.push(confirmed("f-1"));
    fresh[0].records.push(refused("f-1"));
    assert!(unfinished(&fresh, "123456789012").is_empty());
}

#[test]
fn live_sessions_and_other_accounts_are_never_offered() {
    let mut logs = frozen();
    logs[0]
        .records
        .retain(|r| !matches!(&r.entry, Entry::StepOutcome { index: 2, .. }));
    logs[0].records.push(intent("f-1", 2));
    assert_eq!(unfinished(&logs, "123456789012").len(), 1);
    assert!(
        unfinished(&logs, "999999999999").is_empty(),
        "a plan of another account is not run with these credentials"
    );
    logs[0].live = true;
    assert!(
        unfinished(&logs, "123456789012").is_empty(),
        "a session still running is not a crash"
    );
}

#[test]
fn a_failed_step_is_never_undone_and_one_without_outcome_is() {
    let mut logs = frozen();
    // Step 1 failed (the engine's second read found its change absent); step 2 was sent
    // when the process died.
    logs[0]
        .records
        .retain(|r| !matches!(&r.entry, Entry::StepOutcome { .. }));
    logs[0].records.push(intent("f-1", 1));
    logs[0].records.push(record(Entry::StepOutcome {
        action_id: "f-1".into(),
        index: 1,
        outcome: Outcome::Failed {
            maybe_applied: false,
            error: crate::aws_error::AwsError {
                service: "iam".into(),
                operation: "PutRolePolicy".into(),
                region: "global".into(),
                code: "Timeout".into(),
                message: "operation timed out".into(),
                request_id: None,
                http_status: None,
                subject: None,
            },
        },
        inverse: None,
    }));
    logs[0].records.push(intent("f-1", 2));
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let undo = plan(
        "u".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "f-1",
        &guard,
    )
    .expect("something was sent");
    let apis: Vec<&str> = undo.steps.iter().map(|s| s.api.as_str()).collect();
    assert_eq!(
        apis,
        ["DisableSnapshotBlockPublicAccess"],
        "only the crash's step: a failed one changed nothing firebreak could undo"
    );
    assert!(
        undo.notes
            .iter()
            .any(|n| n.starts_with("step 1 of f-1 (PutRolePolicy")
                && n.contains("failed and AWS did not hold its change"))
            && undo.notes.iter().any(|n| n.starts_with("step 2 of f-1")
                && n.contains("has no outcome")
                && n.contains("still shows the change")),
        "{:?}",
        undo.notes
    );
    assert_eq!(pending_freezes(&logs), Ok(vec!["f-1".to_string()]));
}

#[test]
fn a_failed_step_that_may_have_been_applied_is_undone_where_the_state_shows_it() {
    let mut logs = frozen();
    // Step 1 failed after an attempt whose answer was lost, and its state could not be
    // read back; step 2 ended ok.
    for r in &mut logs[0].records {
        if let Entry::StepOutcome {
            index: 1, outcome, ..
        } = &mut r.entry
        {
            *outcome = Outcome::Failed {
                maybe_applied: true,
                error: crate::aws_error::AwsError {
                    service: "iam".into(),
                    operation: "GetRolePolicy".into(),
                    region: "global".into(),
                    code: "ServiceFailure".into(),
                    message: "internal error".into(),
                    request_id: Some("req-1".into()),
                    http_status: Some(500),
                    subject: None,
                },
            };
        }
    }
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let undo = plan(
        "u".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "f-1",
        &guard,
    )
    .expect("something was sent");
    let apis: Vec<&str> = undo.steps.iter().map(|s| s.api.as_str()).collect();
    assert_eq!(
        apis,
        ["DisableSnapshotBlockPublicAccess", "DeleteRolePolicy"],
        "both: the failed step may have changed the account"
    );
    assert!(
        undo.notes.iter().any(|n| n.starts_with("step 1 of f-1")
            && n.contains("answer was lost")
            && n.contains("still shows the change")),
        "{:?}",
        undo.notes
    );
    assert!(
        undo.notes.iter().all(|n| !n.contains("did not hold")),
        "{:?}",
        undo.notes
    );
    // Finished later by a resumed session, which found it done: still possibly firebreak's.
    logs[0].records.push(record(Entry::StepOutcome {
        action_id: "f-1".into(),
        index: 1,
        outcome: Outcome::Skipped,
        inverse: None,
    }));
    let again = plan(
        "u2".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "f-1",
        &guard,
    )
    .expect("something was sent");
    assert_eq!(again.steps.len(), 2, "{:?}", again.notes);
}

#[test]
fn a_skipped_step_is_named_and_not_undone() {
    let mut logs = frozen();
    for r in &mut logs[0].records {
        if let Entry::StepOutcome {
            index: 2, outcome, ..
        } = &mut r.entry
        {
            *outcome = Outcome::Skipped;
        }
    }
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let undo = plan(
        "u".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "f-1",
        &guard,
    )
    .expect("step 1 changed the account");
    assert!(
        undo.steps
            .iter()
            .all(|s| s.api != "DisableSnapshotBlockPublicAccess"),
        "{:?}",
        undo.steps
    );
    assert!(
        undo.notes
            .iter()
            .any(|n| n == "step 2 of f-1 ended skipped: nothing of it to undo"),
        "{:?}",
        undo.notes
    );
}

#[test]
fn an_action_is_read_apart_from_the_others_in_the_same_journal() {
    let mut logs = frozen();
    // A second freeze, f-2, in the same session: intents, an outcome with the inverse of
    // what it sent, and one step left without an answer.
    let mut second = match &logs[0].records[0].entry {
        Entry::PlanShown { plan } => (**plan).clone(),
        other => panic!("{other:?}"),
    };
    second.action_id = "f-2".into();
    logs[0].records.push(record(Entry::PlanShown {
        plan: Box::new(second),
    }));
    logs[0].records.push(intent("f-2", 1));
    logs[0].records.push(record(Entry::StepOutcome {
        action_id: "f-2".into(),
        index: 1,
        outcome: Outcome::Ok,
        inverse: Some(Operation::DeleteRolePolicy {
            role: "R".into(),
            policy_name: "sent".into(),
        }),
    }));
    logs[0].records.push(intent("f-2", 2));
    // Another action's step 2 ends after f-2's step 2 was sent: f-2's stays unanswered.
    logs[0].records.push(record(Entry::StepOutcome {
        action_id: "other".into(),
        index: 2,
        outcome: Outcome::Ok,
        inverse: None,
    }));
    // And a freeze only shown (a dry run).
    let mut dry = match &logs[0].records[0].entry {
        Entry::PlanShown { plan } => (**plan).clone(),
        other => panic!("{other:?}"),
    };
    dry.action_id = "f-3".into();
    logs[0].records.push(record(Entry::PlanShown {
        plan: Box::new(dry),
    }));

    let first = find_action(&logs, "f-1").expect("f-1");
    assert_eq!(first.outcomes.len(), 2);
    assert!(first.sent_inverses.is_empty(), "{:?}", first.sent_inverses);
    assert!(first.intended.is_empty() && first.unanswered.is_empty());
    assert!(first.sent, "its steps have outcomes");
    let second = find_action(&logs, "f-2").expect("f-2");
    assert_eq!(second.plan.action_id, "f-2");
    assert_eq!(second.outcomes, [(1, Outcome::Ok)]);
    assert_eq!(second.intended, [1, 2]);
    assert_eq!(second.unanswered, [2]);
    assert_eq!(second.sent_inverses.len(), 1);
    let shown = find_action(&logs, "f-3").expect("f-3");
    assert!(!shown.sent, "a plan only shown sent nothing");
    assert!(find_action(&logs, "f-9").is_none());
    // Only executed freezes are pending: the dry run is not.
    assert_eq!(
        pending_freezes(&logs),
        Ok(vec!["f-1".to_string(), "f-2".to_string()])
    );
}

#[test]
fn unfreezing_two_freezes_plans_a_shared_step_once_per_region() {
    let mut logs = frozen();
    let mut second = match &logs[0].records[0].entry {
        Entry::PlanShown { plan } => (**plan).clone(),
        other => panic!("{other:?}"),
    };
    second.action_id = "f-2".into();
    // The same role policy (global), block public access in another region.
    second.steps[1].region = "us-east-1".into();
    logs[0].records.push(record(Entry::PlanShown {
        plan: Box::new(second),
    }));
    for index in [1, 2] {
        logs[0].records.push(record(Entry::StepOutcome {
            action_id: "f-2".into(),
            index,
            outcome: Outcome::Ok,
            inverse: None,
        }));
    }
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let unfreeze = plan_unfreeze(
        "u-1".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        &["f-1".to_string(), "f-2".to_string()],
        &guard,
    )
    .expect("unfreeze plan");
    let mut planned: Vec<(&str, &str)> = unfreeze
        .steps
        .iter()
        .map(|s| (s.api.as_str(), s.region.as_str()))
        .collect();
    planned.sort();
    assert_eq!(
        planned,
        [
            ("DeleteRolePolicy", "global"),
            ("DisableSnapshotBlockPublicAccess", "eu-west-1"),
            ("DisableSnapshotBlockPublicAccess", "us-east-1"),
        ]
    );
    // Every step ended ok: no note about a step without an outcome.
    assert!(
        unfreeze.notes.iter().all(|n| !n.contains("has no outcome")),
        "{:?}",
        unfreeze.notes
    );
}

#[test]
fn undo_restores_what_was_sent_not_what_was_planned() {
    use crate::model::operation::SharingChange;
    // Planned: remove public and two accounts. By the time it ran, someone else had
    // removed one account: firebreak sent (and journaled) the smaller change.
    let planned = SharingChange::remove(true, vec!["222222222222".into(), "333333333333".into()]);
    let sent = SharingChange::remove(true, vec!["222222222222".into()]);
    let share = |change: SharingChange| Operation::ModifySnapshotSharing {
        snapshot_id: "snap-1".into(),
        change,
    };
    let step = Step::new(
        "eu-west-1",
        0,
        share(planned.clone()),
        Some(share(planned.inverse())),
    );
    let plan_shown = Plan::new(
        "r-1".into(),
        Playbook::RevertSharing,
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        vec![step],
    );
    let logs = vec![SessionLog {
        path: PathBuf::from("s.jsonl"),
        session: "s".into(),
        records: vec![
            record(Entry::PlanShown {
                plan: Box::new(plan_shown),
            }),
            intent("r-1", 1),
            record(Entry::StepOutcome {
                action_id: "r-1".into(),
                index: 1,
                outcome: Outcome::Ok,
                inverse: Some(share(sent.inverse())),
            }),
        ],
        truncated_line: None,
        live: false,
    }];
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let undo = plan(
        "u".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "r-1",
        &guard,
    )
    .expect("undo plan");
    assert_eq!(undo.steps.len(), 1);
    assert_eq!(undo.steps[0].operation, share(sent.inverse()));
    assert_ne!(undo.steps[0].operation, share(planned.inverse()));
}
#[test]
fn a_step_done_before_a_crash_and_skipped_on_resume_is_undone() {
    let mut logs = frozen();
    // Step 2 was sent when the process died (no outcome in that session); the freeze was
    // resumed in a later session, where both steps report skipped.
    logs[0]
        .records
        .retain(|r| !matches!(&r.entry, Entry::StepOutcome { index: 2, .. }));
    logs[0].records.push(intent("f-1", 2));
    logs.push(SessionLog {
        path: PathBuf::from("t.jsonl"),
        session: "t".into(),
        records: Vec::new(),
        truncated_line: None,
        live: false,
    });
    for index in [1, 2] {
        logs[1].records.push(record(Entry::StepOutcome {
            action_id: "f-1".into(),
            index,
            outcome: Outcome::Skipped,
            inverse: None,
        }));
    }
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let undo = plan(
        "u".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "f-1",
        &guard,
    )
    .expect("undo plan");
    assert_eq!(undo.steps.len(), 2, "{:?}", undo.notes);
}
#[test]
fn a_step_never_sent_is_not_undone() {
    let mut logs = frozen();
    // Step 1 was sent when the process died (an intent, no outcome); step 2 was never
    // reached (no intent, no outcome).
    logs[0]
        .records
        .retain(|r| !matches!(&r.entry, Entry::StepOutcome { .. }));
    logs[0].records.push(intent("f-1", 1));
    let guard = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
    let undo = plan(
        "u".into(),
        identity("arn:aws:iam::123456789012:user/alice"),
        Utc::now(),
        &logs,
        "f-1",
        &guard,
    )
    .expect("undo plan");
    let apis: Vec<&str> = undo.steps.iter().map(|s| s.api.as_str()).collect();
    assert_eq!(apis, ["DeleteRolePolicy"]);
}

// Undo planned from REAL planner output, journaled in a real session journal and read back.

use super::super::revert_sharing::{self, BlockPublicAccess, SharedKind, SharedResource};
use super::super::{disable_user, freeze};
use crate::journal::Journal;
use crate::model::operation::{PrincipalKind, PrincipalRef, SnapshotBlock, UserState};
use crate::model::{KeyStatus, Sharing};
use std::collections::{BTreeMap, BTreeSet};

const RESPONDER: &str = "arn:aws:iam::123456789012:user/responder";

/// Journals `outcomes` of `plan` (after its PlanShown) in `journal`.
fn journal_run(journal: &Journal, plan: &Plan, outcomes: &[(usize, Outcome)]) {
    journal
        .record(Entry::PlanShown {
            plan: Box::new(plan.clone()),
        })
        .expect("plan journaled");
    for (index, outcome) in outcomes {
        journal
            .record(Entry::StepOutcome {
                action_id: plan.action_id.clone(),
                index: *index,
                outcome: outcome.clone(),
                inverse: None,
            })
            .expect("outcome journaled");
    }
}

/// Every step of `plan` ended ok.
fn all_ok(plan: &Plan) -> Vec<(usize, Outcome)> {
    plan.steps.iter().map(|s| (s.index, Outcome::Ok)).collect()
}

/// IAM's throttling answer to `api`, as a step's outcome.
fn throttled(api: &str) -> Outcome {
    Outcome::Failed {
        maybe_applied: false,
        error: crate::aws_error::AwsError {
            service: "iam".into(),
            operation: api.into(),
            region: "global".into(),
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
            request_id: None,
            http_status: Some(400),
            subject: None,
        },
    }
}

/// Every step of `plan` ok, except the one aimed at `target`, throttled.
fn ok_but_throttled(plan: &Plan, target: &str) -> Vec<(usize, Outcome)> {
    plan.steps
        .iter()
        .map(|s| {
            let outcome = if s.target == target {
                throttled(&s.api)
            } else {
                Outcome::Ok
            };
            (s.index, outcome)
        })
        .collect()
}

/// What the operations of the playbooks touch, as a tiny model of an account: enough to
/// tell whether an action followed by its undo leaves the account as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct World {
    keys: BTreeMap<String, KeyStatus>,
    /// `user/NAME policy P` or `role/NAME policy P`, inline or attached.
    policies: BTreeSet<String>,
    blocks: BTreeMap<String, BlockPublicAccess>,
    sharing: BTreeMap<String, Sharing>,
}

impl World {
    fn apply(&mut self, step: &Step) {
        fn block<'w>(world: &'w mut World, region: &str) -> &'w mut BlockPublicAccess {
            world.blocks.entry(region.to_string()).or_default()
        }
        let share = |sharing: &mut Sharing, change: &crate::model::operation::SharingChange| {
            sharing.public = (sharing.public && !change.remove_public) || change.add_public;
            for account in &change.remove_accounts {
                sharing.accounts.remove(account);
            }
            sharing.accounts.extend(change.add_accounts.iter().cloned());
        };
        match &step.operation {
            Operation::DeactivateAccessKey { key_id, .. } => {
                self.keys.insert(key_id.clone(), KeyStatus::Inactive);
            }
            Operation::ActivateAccessKey { key_id, .. } => {
                self.keys.insert(key_id.clone(), KeyStatus::Active);
            }
            Operation::PutUserPolicy { .. }
            | Operation::PutRolePolicy { .. }
            | Operation::AttachUserPolicy { .. }
            | Operation::AttachRolePolicy { .. } => {
                self.policies.insert(step.target.clone());
            }
            Operation::DeleteUserPolicy { .. }
            | Operation::DeleteRolePolicy { .. }
            | Operation::DetachUserPolicy { .. }
            | Operation::DetachRolePolicy { .. } => {
                self.policies.remove(&step.target);
            }
            Operation::EnableSnapshotBlockPublicAccess => {
                block(self, &step.region).snapshots = Some(SnapshotBlock::BlockAllSharing)
            }
            Operation::BlockNewSnapshotSharing => {
                block(self, &step.region).snapshots = Some(SnapshotBlock::BlockNewSharing)
            }
            Operation::DisableSnapshotBlockPublicAccess => {
                block(self, &step.region).snapshots = Some(SnapshotBlock::Unblocked)
            }
            Operation::EnableImageBlockPublicAccess => {
                block(self, &step.region).images = Some(true)
            }
            Operation::DisableImageBlockPublicAccess => {
                block(self, &step.region).images = Some(false)
            }
            Operation::ModifySnapshotSharing {
                snapshot_id: id,
                change,
            }
            | Operation::ModifyImageSharing {
                image_id: id,
                change,
            } => share(self.sharing.entry(id.clone()).or_default(), change),
            // Not modelled: the tests below check these by the plan and its notes.
            _ => {}
        }
    }

    fn after(&self, plans: &[&Plan]) -> World {
        let mut world = self.clone();
        for step in plans.iter().flat_map(|p| &p.steps) {
            world.apply(step);
        }
        world
    }
}

const PARTNER: &str = "210987654321";

#[test]
fn undo_of_a_real_revert_sharing_plan_returns_every_region_and_share_to_its_prior_state() {
    let sharing = |public: bool, accounts: &[&str]| Sharing {
        public,
        accounts: accounts.iter().map(|a| a.to_string()).collect(),
        organizations: BTreeSet::new(),
    };
    let resources = [
        SharedResource {
            kind: SharedKind::Snapshot,
            region: "eu-west-1".into(),
            id: "snap-1".into(),
            sharing: sharing(true, &[PARTNER, "333333333333", "222222222222"]),
        },
        SharedResource {
            kind: SharedKind::Image,
            region: "us-west-2".into(),
            id: "ami-1".into(),
            // The account's own id is never removed, nor put back.
            sharing: sharing(false, &["444444444444", "123456789012"]),
        },
    ];
    let prior = BTreeMap::from([
        (
            "ap-south-1".to_string(),
            BlockPublicAccess {
                snapshots: Some(SnapshotBlock::BlockAllSharing),
                images: Some(true),
            },
        ),
        (
            "eu-west-1".to_string(),
            BlockPublicAccess {
                snapshots: Some(SnapshotBlock::Unblocked),
                images: Some(false),
            },
        ),
        (
            "us-east-1".to_string(),
            BlockPublicAccess {
                snapshots: Some(SnapshotBlock::BlockNewSharing),
                images: Some(true),
            },
        ),
        (
            "us-west-2".to_string(),
            BlockPublicAccess {
                snapshots: Some(SnapshotBlock::BlockAllSharing),
                images: Some(false),
            },
        ),
    ]);
    let revert = revert_sharing::plan(
        "r-1".into(),
        identity(RESPONDER),
        Utc::now(),
        &revert_sharing::Exposure {
            resources: resources.to_vec(),
            ..Default::default()
        },
        &[PARTNER.to_string()].into(),
        &prior,
    );
    let bpa: Vec<(&str, &str)> = revert
        .steps
        .iter()
        .filter(|s| s.phase == 1)
        .map(|s| (s.region.as_str(), s.api.as_str()))
        .collect();
    assert_eq!(
        bpa,
        [
            ("eu-west-1", "EnableSnapshotBlockPublicAccess"),
            ("eu-west-1", "EnableImageBlockPublicAccess"),
            ("us-east-1", "EnableSnapshotBlockPublicAccess"),
            ("us-west-2", "EnableImageBlockPublicAccess"),
        ],
        "the plan under test has snapshot and image block-public-access steps"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &revert.account, vec![]).expect("journal");
    journal_run(&journal, &revert, &all_ok(&revert));
    let logs = crate::journal::read_all(dir.path()).expect("journal read back");
    let guard = Guard::new(RESPONDER, &[]);
    let undo = plan(
        "u-1".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs,
        "r-1",
        &guard,
    )
    .expect("undo plan");

    let planned: Vec<(u8, &str, &Operation)> = undo
        .steps
        .iter()
        .map(|s| (s.phase, s.region.as_str(), &s.operation))
        .collect();
    let share_back = |public: bool, accounts: &[&str]| crate::model::operation::SharingChange {
        add_public: public,
        add_accounts: accounts.iter().map(|a| a.to_string()).collect(),
        ..Default::default()
    };
    assert_eq!(
        planned,
        [
            (0, "us-west-2", &Operation::DisableImageBlockPublicAccess),
            (0, "us-east-1", &Operation::BlockNewSnapshotSharing),
            (0, "eu-west-1", &Operation::DisableImageBlockPublicAccess),
            (0, "eu-west-1", &Operation::DisableSnapshotBlockPublicAccess),
            (
                1,
                "us-west-2",
                &Operation::ModifyImageSharing {
                    image_id: "ami-1".into(),
                    change: share_back(false, &["444444444444"]),
                }
            ),
            (
                1,
                "eu-west-1",
                &Operation::ModifySnapshotSharing {
                    snapshot_id: "snap-1".into(),
                    change: share_back(true, &["222222222222", "333333333333"]),
                }
            ),
        ],
        "block public access back to each region's prior state first, then the exact accounts removed"
    );
    // Whatever the order: the revert and its undo leave every region and share as it was.
    let world = World {
        blocks: prior.clone(),
        sharing: resources
            .iter()
            .map(|r| (r.id.clone(), r.sharing.clone()))
            .collect(),
        ..World::default()
    };
    let reverted = world.after(&[&revert]);
    assert_ne!(reverted, world, "the revert changed something");
    assert!(!reverted.sharing["snap-1"].public);
    assert_eq!(world.after(&[&revert, &undo]), world);
}

#[test]
fn undo_of_a_real_disable_user_plan_restores_each_key_as_it_was_and_removes_only_firebreaks_policies()
 {
    let users = [
        UserState {
            name: "mallory".into(),
            keys: vec![
                ("AKIAMALLORY1".into(), KeyStatus::Active),
                ("AKIAMALLORY2".into(), KeyStatus::Inactive),
            ],
            login_profile: true,
            revoke_sessions_document: None,
            inline_chars: 0,
        },
        // Inline policies near IAM's quota: AWSDenyAll is attached instead.
        UserState {
            name: "eve".into(),
            keys: vec![("AKIAEVE1".into(), KeyStatus::Active)],
            login_profile: false,
            revoke_sessions_document: None,
            inline_chars: 2_000,
        },
    ];
    let guard = Guard::new(RESPONDER, &[]);
    let disable = disable_user::plan(
        "d-1".into(),
        identity(RESPONDER),
        Utc::now(),
        &users,
        &guard,
    );
    assert!(
        disable
            .steps
            .iter()
            .any(|s| s.api == "AttachUserPolicy" && s.target == "user/eve policy AWSDenyAll"),
        "{:#?}",
        disable.steps
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &disable.account, vec![]).expect("journal");
    journal_run(&journal, &disable, &all_ok(&disable));
    let logs = crate::journal::read_all(dir.path()).expect("journal read back");
    let undo = plan(
        "u-1".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs,
        "d-1",
        &guard,
    )
    .expect("undo plan");

    let keys: Vec<&Operation> = undo
        .steps
        .iter()
        .map(|s| &s.operation)
        .filter(|op| {
            matches!(
                op,
                Operation::ActivateAccessKey { .. } | Operation::DeactivateAccessKey { .. }
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            &Operation::ActivateAccessKey {
                user: "eve".into(),
                key_id: "AKIAEVE1".into()
            },
            &Operation::DeactivateAccessKey {
                user: "mallory".into(),
                key_id: "AKIAMALLORY2".into()
            },
            &Operation::ActivateAccessKey {
                user: "mallory".into(),
                key_id: "AKIAMALLORY1".into()
            },
        ],
        "each key goes back to its status before: the inactive one stays inactive"
    );
    let removed: BTreeSet<&str> = undo
        .steps
        .iter()
        .filter(|s| {
            matches!(
                s.operation,
                Operation::DeleteUserPolicy { .. } | Operation::DetachUserPolicy { .. }
            )
        })
        .map(|s| s.target.as_str())
        .collect();
    assert_eq!(
        removed,
        BTreeSet::from([
            "user/eve policy AWSDenyAll",
            "user/mallory policy firebreak-deny-all",
            "user/mallory policy firebreak-revoke-older-sessions",
        ]),
        "exactly the policies firebreak added"
    );
    assert_eq!(
        undo.steps.len(),
        keys.len() + removed.len(),
        "nothing else: {:#?}",
        undo.steps
    );
    assert!(
        undo.notes.iter().any(
            |n| n.contains("DeleteLoginProfile user/mallory") && n.contains("cannot be undone")
        ),
        "{:?}",
        undo.notes
    );
    let world = World {
        keys: users.iter().flat_map(|u| u.keys.iter().cloned()).collect(),
        policies: ["user/mallory policy ops-read-only".to_string()].into(),
        ..World::default()
    };
    let disabled = world.after(&[&disable]);
    assert!(disabled.keys.values().all(|s| *s == KeyStatus::Inactive));
    assert_eq!(world.after(&[&disable, &undo]), world);
}

/// A real freeze plan: users mallory and the caller, roles app, big (inline policies near the
/// quota) and break-glass; two regions with different block-public-access states.
fn real_freeze(action_id: &str) -> (Plan, World) {
    let principal = |kind, name: &str, inline_chars| PrincipalRef {
        kind,
        name: name.into(),
        path: "/".into(),
        inline_chars,
        trusted_services: None,
    };
    let principals = [
        principal(PrincipalKind::User, "responder", 0),
        principal(PrincipalKind::User, "mallory", 0),
        principal(PrincipalKind::Role, "app", 0),
        principal(PrincipalKind::Role, "big", 10_200),
        principal(PrincipalKind::Role, "break-glass", 0),
    ];
    let prior = BTreeMap::from([
        (
            "eu-west-1".to_string(),
            BlockPublicAccess {
                snapshots: Some(SnapshotBlock::Unblocked),
                images: Some(false),
            },
        ),
        (
            "us-east-1".to_string(),
            BlockPublicAccess {
                snapshots: Some(SnapshotBlock::BlockNewSharing),
                images: Some(true),
            },
        ),
    ]);
    let guard = Guard::new(RESPONDER, &["role/break-glass".into()]);
    let plan = freeze::plan(
        action_id.into(),
        identity(RESPONDER),
        Utc::now(),
        &principals,
        &guard,
        &BTreeMap::new(),
        &prior,
        Default::default(),
        &[],
    );
    let world = World {
        policies: ["role/app policy app-runtime".to_string()].into(),
        blocks: prior,
        ..World::default()
    };
    (plan, world)
}

#[test]
fn undo_and_unfreeze_of_a_real_freeze_remove_exactly_what_it_added() {
    let (frozen, world) = real_freeze("f-1");
    let added: BTreeSet<&str> = frozen
        .steps
        .iter()
        .filter(|s| s.service == "iam")
        .map(|s| s.target.as_str())
        .collect();
    assert_eq!(
        added,
        BTreeSet::from([
            "role/app policy firebreak-freeze",
            "role/big policy AWSDenyAll",
            "user/mallory policy firebreak-freeze",
        ])
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &frozen.account, vec![]).expect("journal");
    journal_run(&journal, &frozen, &all_ok(&frozen));
    let logs = crate::journal::read_all(dir.path()).expect("journal read back");
    let guard = Guard::new(RESPONDER, &["role/break-glass".into()]);
    let undo = plan(
        "u-1".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs,
        "f-1",
        &guard,
    )
    .expect("undo plan");
    let unfreeze = plan_unfreeze(
        "u-2".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs,
        &pending_freezes(&logs).expect("the freeze is pending"),
        &guard,
    )
    .expect("unfreeze plan");
    assert_eq!(
        unfreeze.playbook,
        Playbook::Unfreeze {
            of: vec!["f-1".into()]
        }
    );
    for back in [&undo, &unfreeze] {
        let removed: BTreeSet<&str> = back
            .steps
            .iter()
            .filter(|s| s.service == "iam")
            .map(|s| s.target.as_str())
            .collect();
        assert_eq!(removed, added, "{}: {:#?}", back.playbook, back.steps);
        assert!(
            back.steps.iter().all(|s| matches!(
                s.operation,
                Operation::DeleteUserPolicy { .. }
                    | Operation::DeleteRolePolicy { .. }
                    | Operation::DetachRolePolicy { .. }
                    | Operation::DisableSnapshotBlockPublicAccess
                    | Operation::BlockNewSnapshotSharing
                    | Operation::DisableImageBlockPublicAccess
            )),
            "only removals and block public access back to its prior state: {:#?}",
            back.steps
        );
        let frozen_world = world.after(&[&frozen]);
        assert_ne!(frozen_world, world);
        assert_eq!(
            world.after(&[&frozen, back]),
            world,
            "{} leaves the account as it was before the freeze",
            back.playbook
        );
    }
}

#[test]
fn a_partial_unfreeze_retried_plans_every_inverse_again_and_clears_the_freeze_once_all_ok() {
    let (frozen, world) = real_freeze("f-1");
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &frozen.account, vec![]).expect("journal");
    journal_run(&journal, &frozen, &all_ok(&frozen));
    let logs = || crate::journal::read_all(dir.path()).expect("journal read back");
    let guard = Guard::new(RESPONDER, &["role/break-glass".into()]);
    let unfreeze = |action_id: &str, logs: &[SessionLog]| {
        let of = pending_freezes(logs).expect("a freeze is pending");
        plan_unfreeze(
            action_id.into(),
            identity(RESPONDER),
            Utc::now(),
            logs,
            &of,
            &guard,
        )
        .expect("unfreeze plan")
    };
    let targets = |plan: &Plan| -> Vec<String> {
        plan.steps
            .iter()
            .map(|s| format!("{} {}", s.region, s.target))
            .collect()
    };

    // The first unfreeze: the roles' steps fail, the rest ends ok.
    let first = unfreeze("u-1", &logs());
    assert_eq!(first.steps.len(), frozen.steps.len());
    let outcomes: Vec<(usize, Outcome)> = first
        .steps
        .iter()
        .map(|s| {
            let outcome = match &s.operation {
                Operation::DeleteRolePolicy { .. } | Operation::DetachRolePolicy { .. } => {
                    throttled(&s.api)
                }
                _ => Outcome::Ok,
            };
            (s.index, outcome)
        })
        .collect();
    journal_run(&journal, &first, &outcomes);
    assert_eq!(
        pending_freezes(&logs()),
        Ok(vec!["f-1".to_string()]),
        "a failed step leaves the freeze pending"
    );

    let first_ok: Vec<usize> = outcomes
        .iter()
        .filter(|(_, o)| *o == Outcome::Ok)
        .map(|(i, _)| *i)
        .collect();
    // The retry plans every inverse again (what u-1 did will end skipped: each step reads
    // first), so a deny put back since — a resumed freeze — is removed too.
    let second = unfreeze("u-2", &logs());
    assert_eq!(targets(&second), targets(&first), "{:?}", second.notes);
    // It fails again on one of them: still pending, and the next retry plans all again.
    let index_of = |plan: &Plan, target: &str| {
        plan.steps
            .iter()
            .find(|s| s.target == target)
            .map(|s| s.index)
            .expect("planned")
    };
    // What u-1 did ends skipped; the big role's AWSDenyAll comes off; app's fails again.
    let second_outcomes: Vec<(usize, Outcome)> = second
        .steps
        .iter()
        .map(|s| {
            let outcome = match s.target.as_str() {
                "role/big policy AWSDenyAll" => Outcome::Ok,
                "role/app policy firebreak-freeze" => throttled("DeleteRolePolicy"),
                _ if first_ok.contains(&s.index) => Outcome::Skipped,
                _ => Outcome::Ok,
            };
            (s.index, outcome)
        })
        .collect();
    journal_run(&journal, &second, &second_outcomes);
    assert_eq!(pending_freezes(&logs()), Ok(vec!["f-1".to_string()]));
    let third = unfreeze("u-3", &logs());
    assert_eq!(targets(&third), targets(&first));
    journal_run(&journal, &third, &all_ok(&third));
    assert_eq!(
        pending_freezes(&logs()),
        Err(UndoError::NoneOfKind("freeze")),
        "a retry that ended all ok clears the freeze"
    );
    // Together the three unfreezes removed exactly what the freeze added.
    let done = |plan: &Plan, ok: &[usize]| {
        let mut plan = plan.clone();
        plan.steps.retain(|s| ok.contains(&s.index));
        plan
    };
    assert_eq!(
        world.after(&[
            &frozen,
            &done(&first, &first_ok),
            &done(&second, &[index_of(&second, "role/big policy AWSDenyAll")]),
            &third,
        ]),
        world
    );
}

#[test]
fn a_new_freeze_after_a_partial_unfreeze_is_undone_in_full() {
    // u-1 of f-1 removed mallory's freeze policy (and failed elsewhere); then f-2 froze
    // mallory again. The retry must remove it again: u-1 did not cover f-2.
    let (first, _) = real_freeze("f-1");
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &first.account, vec![]).expect("journal");
    journal_run(&journal, &first, &all_ok(&first));
    let guard = Guard::new(RESPONDER, &["role/break-glass".into()]);
    let logs = || crate::journal::read_all(dir.path()).expect("journal read back");
    let unfreeze = plan_unfreeze(
        "u-1".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs(),
        &["f-1".to_string()],
        &guard,
    )
    .expect("unfreeze plan");
    let outcomes = ok_but_throttled(&unfreeze, "role/app policy firebreak-freeze");
    journal_run(&journal, &unfreeze, &outcomes);
    let (second, _) = real_freeze("f-2");
    journal_run(&journal, &second, &all_ok(&second));
    let of = pending_freezes(&logs()).expect("both pending");
    assert_eq!(of, ["f-1", "f-2"]);
    let retry = plan_unfreeze(
        "u-2".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs(),
        &of,
        &guard,
    )
    .expect("unfreeze plan");
    let mut planned: Vec<String> = retry
        .steps
        .iter()
        .map(|s| format!("{} {}", s.region, s.target))
        .collect();
    planned.sort();
    let mut every: Vec<String> = second
        .steps
        .iter()
        .map(|s| format!("{} {}", s.region, s.target))
        .collect();
    every.sort();
    assert_eq!(planned, every, "everything f-2 did, once");
}

#[test]
fn an_undone_unfreeze_counts_for_nothing_when_unfreeze_is_retried() {
    // u-1 of f-1 removed mallory's freeze and failed on app; `undo u-1` froze mallory again.
    // The retry must remove mallory's freeze again.
    let (frozen, _) = real_freeze("f-1");
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &frozen.account, vec![]).expect("journal");
    journal_run(&journal, &frozen, &all_ok(&frozen));
    let guard = Guard::new(RESPONDER, &["role/break-glass".into()]);
    let logs = || crate::journal::read_all(dir.path()).expect("journal read back");
    let unfreeze = plan_unfreeze(
        "u-1".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs(),
        &["f-1".to_string()],
        &guard,
    )
    .expect("unfreeze plan");
    let outcomes = ok_but_throttled(&unfreeze, "role/app policy firebreak-freeze");
    journal_run(&journal, &unfreeze, &outcomes);
    let refreeze = plan(
        "u-2".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs(),
        "u-1",
        &guard,
    )
    .expect("undo of the unfreeze");
    journal_run(&journal, &refreeze, &all_ok(&refreeze));
    let retry = plan_unfreeze(
        "u-3".into(),
        identity(RESPONDER),
        Utc::now(),
        &logs(),
        &pending_freezes(&logs()).expect("pending"),
        &guard,
    )
    .expect("unfreeze plan");
    assert!(
        retry
            .steps
            .iter()
            .any(|s| s.target == "user/mallory policy firebreak-freeze"),
        "{:#?}",
        retry.steps
    );
    assert_eq!(retry.steps.len(), frozen.steps.len());
}
