use chrono::{TimeZone, Utc};

use super::*;
use crate::tui::state::RegionTally;
use firebreak_core::bindings::Bindings;
use firebreak_core::model::finding::Severity;
use firebreak_core::model::operation::Operation;
use firebreak_core::model::{GLOBAL, Identity};
use firebreak_core::playbook::plan::Step;
use firebreak_core::scan::ScanEvent;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0)
        .single()
        .expect("valid time")
}

fn finding(kind: FindingKind, resource_type: ResourceType, region: &str, id: &str) -> Finding {
    Finding {
        id: firebreak_core::model::finding::finding_id(kind, region, id),
        kind,
        severity: Severity::High,
        region: region.into(),
        resource_type,
        resource_id: id.into(),
        arn: None,
        summary: format!("{} {id}", kind.as_str()),
        details: Vec::new(),
        related: Vec::new(),
        facts: String::new(),
        attribution: None,
    }
}

#[test]
fn a_first_scan_is_shown_as_regions_finish_and_only_its_end_is_the_scans() {
    let mut state = State::new(Bindings::default(), false, now());
    update(&mut state, Msg::Command(Command::Rescan));
    let scan = |state: &mut State, event| feed(state, 1, vec![event]);
    scan(
        &mut state,
        ScanEvent::Identity(firebreak_core::model::Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        }),
    );
    let judge = |state: &mut State, findings: Vec<Finding>, complete| {
        let generation = state.generation;
        update(
            state,
            Msg::Judged {
                generation,
                findings: Ok(findings),
                baseline: None,
                complete,
            },
        )
    };
    let miner = finding(
        FindingKind::RecentResource,
        ResourceType::Function,
        "ap-south-1",
        "miner",
    );
    let mut backdoor = finding(
        FindingKind::AdminPrincipal,
        ResourceType::User,
        GLOBAL,
        "backdoor",
    );
    backdoor.severity = Severity::Critical;
    // Only the account-wide note so far: nothing to select in the lists.
    let note = finding(
        FindingKind::NoBaseline,
        ResourceType::Account,
        GLOBAL,
        "account",
    );
    judge(&mut state, vec![note.clone()], false);
    assert!(state.selection().is_none());
    // A region finished: its finding shows and is selected.
    assert!(judge(&mut state, vec![miner.clone(), note], false).is_empty());
    assert_eq!(
        state.selection().map(|f| f.id.clone()),
        Some(miner.id.clone())
    );
    // A rescan asked for meanwhile waits.
    assert!(rescan_regions(&mut state, None).is_empty());
    // IAM finished with something worse: the selection follows while nobody has moved.
    judge(&mut state, vec![backdoor.clone(), miner.clone()], false);
    assert_eq!(
        state.selection().map(|f| f.id.clone()),
        Some(backdoor.id.clone())
    );
    // The scan's end does not start the queued rescan before its judgement is in (it would
    // make that judgement out of date), and no interim judgement does either.
    assert!(scan(&mut state, ScanEvent::Done).is_empty());
    assert!(judge(&mut state, vec![backdoor.clone(), miner.clone()], false).is_empty());
    assert!(state.queued_rescan.is_some());
    // The operator moves: a later judgement keeps their choice.
    update(&mut state, Msg::Command(Command::Right));
    let chosen = state.selection().map(|f| f.id.clone());
    assert_eq!(chosen, Some(miner.id.clone()));
    let effects = judge(&mut state, vec![backdoor.clone(), miner.clone()], true);
    assert_eq!(state.selection().map(|f| f.id.clone()), chosen);
    // Once the scan is whole, a rescan's judgement never moves the selection, even where
    // the operator acted on the first choice without moving.
    update(&mut state, Msg::Command(Command::Left));
    assert_eq!(
        state.selection().map(|f| f.id.clone()),
        Some(backdoor.id.clone())
    );
    let worse = severe(
        finding(
            FindingKind::UnknownUser,
            ResourceType::User,
            GLOBAL,
            "intruder",
        ),
        Severity::Critical,
    );
    let mut other = finding(
        FindingKind::PublicSnapshot,
        ResourceType::Snapshot,
        "us-east-1",
        "snap-1",
    );
    other.severity = Severity::Critical;
    judge(
        &mut state,
        vec![other, backdoor.clone(), miner.clone(), worse],
        true,
    );
    assert_eq!(
        state.selection().map(|f| f.id.clone()),
        Some(backdoor.id.clone())
    );
    // The whole scan's judgement starts the queued rescan.
    assert!(matches!(
        effects.as_slice(),
        [Effect::StartScan { only: None, .. }]
    ));
    assert!(state.queued_rescan.is_none());
}

/// A judged scan with a backdoor user, a rogue function and a public snapshot.
fn judged_state(read_only: bool) -> State {
    let mut state = State::new(Bindings::default(), read_only, now());
    let effects = update(&mut state, Msg::Command(Command::Rescan));
    assert!(matches!(
        effects.as_slice(),
        [Effect::StartScan {
            generation: 1,
            only: None,
            base: None
        }]
    ));
    feed(&mut state, 1, vec![ScanEvent::Done]);
    let mut backdoor = finding(
        FindingKind::AdminPrincipal,
        ResourceType::User,
        GLOBAL,
        "backdoor",
    );
    backdoor.severity = Severity::Critical;
    update(
        &mut state,
        Msg::Judged {
            generation: 1,
            findings: Ok(vec![
                backdoor,
                finding(
                    FindingKind::RecentResource,
                    ResourceType::Function,
                    "ap-south-1",
                    "miner",
                ),
                finding(
                    FindingKind::PublicFunction,
                    ResourceType::Function,
                    "eu-west-1",
                    "orders-api",
                ),
                finding(
                    FindingKind::PublicSnapshot,
                    ResourceType::Snapshot,
                    "us-east-1",
                    "snap-1",
                ),
            ]),
            baseline: None,
            complete: true,
        },
    );
    state
}

#[test]
fn who_made_the_selected_change_is_asked_once_and_not_again_where_the_lookup_is_unsupported() {
    let mut state = judged_state(false);
    let effects = update(&mut state, Msg::Tick(now()));
    let [Effect::Attribute { finding }] = effects.as_slice() else {
        panic!("the selection is looked up: {effects:?}");
    };
    assert_eq!(finding.resource_id, "backdoor");
    assert!(
        update(&mut state, Msg::Tick(now())).is_empty(),
        "asked once"
    );
    update(
        &mut state,
        Msg::Attributed {
            finding: finding.id.clone(),
            attribution: Attribution::NotAvailable {
                reason: "the endpoint does not implement cloudtrail LookupEvents (Http500)".into(),
                unsupported: true,
            },
        },
    );
    update(&mut state, Msg::FocusNext);
    let selected = state.selection().expect("a selection").id.clone();
    assert_ne!(selected, finding.id);
    assert!(
        update(&mut state, Msg::Tick(now())).is_empty(),
        "an endpoint without the lookup is not asked again"
    );
    assert!(matches!(
        state.attributions.get(&selected),
        Some(Some(Attribution::NotAvailable {
            unsupported: true,
            ..
        }))
    ));
}

fn identity() -> Identity {
    Identity {
        id: "123456789012".into(),
        alias: Some("acme-prod".into()),
        caller_arn: "arn:aws:sts::123456789012:assumed-role/oncall/jo".into(),
    }
}

fn plan(playbook: Playbook, confirm_with: Option<Vec<String>>) -> Box<Plan> {
    let mut plan = Plan::new(
        "s-1".into(),
        playbook,
        identity(),
        now(),
        vec![Step::global(
            0,
            Operation::DeactivateAccessKey {
                user: "backdoor".into(),
                key_id: "AKIA1".into(),
            },
            None,
        )],
    );
    plan.confirm_with = confirm_with;
    Box::new(plan)
}

fn ticket(effects: &[Effect]) -> u64 {
    match effects {
        [Effect::Prepare { ticket, .. }] => *ticket,
        other => panic!("expected one Prepare, got {other:?}"),
    }
}

// -----------------------------------------------------------------------------------------
// What the lists and the grid show, derived when its inputs change

/// The ids `list` shows, recomputed from every finding as each frame once did.
fn recomputed(state: &State, list: ListId) -> Vec<String> {
    let mut items: Vec<&Finding> = state
        .findings
        .iter()
        .filter(|f| ListId::of(f) == list)
        .filter(|f| state.region_filter.as_ref().is_none_or(|r| f.region == *r))
        .filter(|f| state.filter.admits(f))
        .collect();
    match state.sort {
        SortBy::Severity => {}
        SortBy::Time => items.sort_by_key(|f| std::cmp::Reverse(walked_time(state, f))),
        SortBy::Region => items.sort_by(|a, b| a.region.cmp(&b.region)),
    }
    items.iter().map(|f| f.id.clone()).collect()
}

/// When a user or function was made, found by walking the inventory.
fn walked_time(state: &State, finding: &Finding) -> Option<chrono::DateTime<Utc>> {
    let inventory = &state.scan.inventory;
    let id = &finding.resource_id;
    match finding.resource_type {
        ResourceType::User => inventory
            .users
            .iter()
            .find(|u| u.name == *id)
            .map(|u| u.created),
        ResourceType::Function => inventory
            .functions
            .iter()
            .find(|f| f.region == finding.region && f.name == *id)
            .and_then(|f| f.last_modified),
        _ => None,
    }
}

/// Asserts that what the views read (rows, counts, selection, region tallies, lookups by id,
/// marked targets) is what a recomputation from the findings gives.
fn assert_shown_is_current(state: &State, after: &str) {
    for list in ListId::ALL {
        let expected = recomputed(state, list);
        let shown: Vec<String> = state.list(list).iter().map(|f| f.id.clone()).collect();
        assert_eq!(shown, expected, "{list:?} after {after}");
        assert_eq!(
            state.shown_count(list),
            expected.len(),
            "{list:?} after {after}"
        );
        let total = state
            .findings
            .iter()
            .filter(|f| ListId::of(f) == list)
            .count();
        assert_eq!(
            state.hidden_count(list),
            total - expected.len(),
            "{list:?} hidden after {after}"
        );
        let place = state
            .selected
            .get(&list)
            .and_then(|id| expected.iter().position(|e| e == id));
        assert_eq!(
            state.selected_index(list),
            (!expected.is_empty()).then(|| place.unwrap_or(0)),
            "{list:?} selection after {after}"
        );
    }
    let other = state
        .findings
        .iter()
        .any(|f| ListId::of(f) == ListId::Other);
    assert_eq!(state.lists().contains(&ListId::Other), other, "{after}");
    for region in state.region_cells() {
        let here: Vec<&Finding> = state
            .findings
            .iter()
            .filter(|f| f.region == region)
            .collect();
        assert_eq!(
            state.region_tally(region),
            RegionTally {
                count: here.len(),
                open: here
                    .iter()
                    .filter(|f| !state.contained.contains_key(&f.id))
                    .count(),
                worst: here
                    .iter()
                    .filter(|f| !state.contained.contains_key(&f.id))
                    .map(|f| f.severity)
                    .max(),
            },
            "{region} after {after}"
        );
    }
    for finding in &state.findings {
        assert_eq!(state.finding(&finding.id), Some(finding), "{after}");
    }
    if !state.marks.is_empty() {
        let marked: Vec<&String> = state
            .findings
            .iter()
            .filter(|f| state.marks.contains(&f.id))
            .map(|f| &f.id)
            .collect();
        let (targets, _) = state.targets();
        let targets: Vec<&String> = targets.iter().map(|f| &f.id).collect();
        assert_eq!(targets, marked, "marked targets after {after}");
    }
}

fn user(name: &str, hours_ago: i64) -> firebreak_core::model::User {
    firebreak_core::model::User {
        region: GLOBAL.into(),
        name: name.into(),
        arn: format!("arn:aws:iam::123456789012:user/{name}"),
        user_id: format!("AIDA{name}"),
        created: now() - Duration::hours(hours_ago),
        console_access: false,
        mfa_devices: Vec::new(),
        attached_policies: Vec::new(),
        inline_policies: Vec::new(),
        groups: Vec::new(),
        admin_via: Vec::new(),
    }
}

fn function(region: &str, name: &str, hours_ago: i64) -> firebreak_core::model::Function {
    firebreak_core::model::Function {
        region: region.into(),
        name: name.into(),
        arn: format!("arn:aws:lambda:{region}:123456789012:function:{name}"),
        runtime: None,
        last_modified: Some(now() - Duration::hours(hours_ago)),
        role: None,
        reserved_concurrency: None,
        policy_principals: None,
        url_auth: None,
        aliases: Vec::new(),
    }
}

/// Feeds scan `generation` to `state`: three regions, `users` in IAM and `functions`.
fn scan(
    state: &mut State,
    generation: u64,
    users: Vec<firebreak_core::model::User>,
    functions: Vec<firebreak_core::model::Function>,
) {
    let regions = ["ap-south-1", "eu-west-1", "us-east-1"];
    let mut events = vec![
        ScanEvent::Planned(
            regions
                .iter()
                .map(|name| firebreak_core::scan::RegionInfo {
                    name: name.to_string(),
                    enabled: true,
                })
                .collect(),
        ),
        ScanEvent::Part {
            region: GLOBAL.into(),
            part: firebreak_core::scan::Part::Iam {
                users,
                access_keys: Vec::new(),
                roles: Vec::new(),
            },
        },
    ];
    for region in regions {
        let here = functions.iter().filter(|f| f.region == region).cloned();
        events.push(ScanEvent::Part {
            region: region.into(),
            part: firebreak_core::scan::Part::Functions(here.collect()),
        });
    }
    events.push(ScanEvent::Done);
    feed(state, generation, events);
}

/// What the scan worker does with `events` of scan `generation`: folds each into the scan so
/// far (the last snapshot `state` got), sends the snapshot, and merges a rescan into the scan
/// on screen at its end. The effects of the last snapshot.
pub(crate) fn feed(state: &mut State, generation: u64, events: Vec<ScanEvent>) -> Vec<Effect> {
    let mut effects = Vec::new();
    for event in events {
        let rescan = state.rescan.is_some();
        let mut fold = ScanState::clone(state.rescan.as_ref().unwrap_or(&state.scan));
        fold.apply(event);
        if fold.done && rescan {
            let mut whole = ScanState::clone(&state.scan);
            whole.merge(fold);
            fold = whole;
        }
        effects = update(
            state,
            Msg::Scan {
                generation,
                scan: Arc::new(fold),
            },
        );
    }
    effects
}

fn severe(mut finding: Finding, severity: Severity) -> Finding {
    finding.severity = severity;
    finding
}

#[test]
fn what_the_lists_and_grid_show_follows_every_change_of_what_it_is_derived_from() {
    let mut state = State::new(Bindings::default(), false, now());
    update(&mut state, Msg::Command(Command::Rescan));
    scan(
        &mut state,
        1,
        vec![user("backdoor", 5), user("intruder", 1)],
        vec![
            function("eu-west-1", "miner", 3),
            function("ap-south-1", "cryptojack", 1),
        ],
    );
    let user_finding = |kind, name| finding(kind, ResourceType::User, GLOBAL, name);
    let judged = |state: &mut State, generation, findings: Vec<Finding>| {
        update(
            state,
            Msg::Judged {
                generation,
                findings: Ok(findings),
                baseline: None,
                complete: true,
            },
        );
    };
    // Most severe first, as the rules hand them over.
    judged(
        &mut state,
        1,
        vec![
            severe(
                user_finding(FindingKind::AdminPrincipal, "backdoor"),
                Severity::Critical,
            ),
            finding(
                FindingKind::RecentResource,
                ResourceType::Function,
                "eu-west-1",
                "miner",
            ),
            user_finding(FindingKind::UnknownUser, "intruder"),
            severe(
                finding(
                    FindingKind::RecentResource,
                    ResourceType::Function,
                    "ap-south-1",
                    "cryptojack",
                ),
                Severity::Medium,
            ),
            severe(
                finding(
                    FindingKind::PublicSnapshot,
                    ResourceType::Snapshot,
                    "us-east-1",
                    "snap-1",
                ),
                Severity::Medium,
            ),
            severe(
                finding(
                    FindingKind::LoggingStopped,
                    ResourceType::Trail,
                    "us-east-1",
                    "org-trail",
                ),
                Severity::Low,
            ),
        ],
    );
    assert_shown_is_current(&state, "the first judged scan");
    assert!(!state.knows_function("ap-south-1", "cryptojack"));
    update(&mut state, Msg::Command(Command::Sort));
    assert_eq!(state.sort, SortBy::Time);
    assert_shown_is_current(&state, "sorting by time");
    let principals: Vec<&str> = state
        .list(ListId::Principals)
        .iter()
        .map(|f| f.resource_id.as_str())
        .collect();
    assert_eq!(principals, ["intruder", "backdoor"], "newest first");
    update(&mut state, Msg::Command(Command::Sort));
    assert_shown_is_current(&state, "sorting by region");
    update(&mut state, Msg::Command(Command::Sort));
    assert_eq!(state.sort, SortBy::Severity);
    assert_shown_is_current(&state, "sorting by severity again");
    // The text filter, typed, corrected, kept and cleared.
    update(&mut state, Msg::Command(Command::Filter));
    for c in "!ing".chars() {
        update(&mut state, Msg::Type(c));
        assert_shown_is_current(&state, &format!("typing {:?}", state.filter.text));
    }
    update(&mut state, Msg::Backspace);
    assert_shown_is_current(&state, "a backspace");
    update(&mut state, Msg::Type('t'));
    update(&mut state, Msg::Submit);
    assert_shown_is_current(&state, "keeping the filter");
    assert!(state.hidden_count(ListId::Principals) > 0);
    update(&mut state, Msg::Cancel);
    assert!(state.filter.text.is_empty());
    assert_shown_is_current(&state, "clearing the filter");
    // The region filter, set from the grid and cleared.
    while state.focus != Focus::Regions {
        update(&mut state, Msg::FocusNext);
    }
    for region in ["ap-south-1", "eu-west-1"] {
        update(&mut state, Msg::Right);
        assert_eq!(state.region_filter.as_deref(), Some(region));
        assert_shown_is_current(&state, &format!("showing {region}"));
    }
    update(&mut state, Msg::Cancel);
    assert_eq!(state.region_filter, None);
    assert_shown_is_current(&state, "showing every region");
    // Marks: by hand, then a whole list.
    update(&mut state, Msg::FocusNext);
    update(&mut state, Msg::FocusNext);
    update(&mut state, Msg::Down);
    update(&mut state, Msg::Command(Command::Mark));
    update(&mut state, Msg::FocusNext);
    update(&mut state, Msg::Command(Command::MarkAll));
    assert_eq!(state.marks.len(), 3);
    assert_shown_is_current(&state, "marking");
    // A rescan: new times in the inventory, and new findings (the backdoor gone, a ghost
    // come), while sorted by time.
    update(&mut state, Msg::Command(Command::Sort));
    update(&mut state, Msg::Command(Command::Rescan));
    let generation = state.generation;
    scan(
        &mut state,
        generation,
        vec![user("intruder", 9), user("ghost", 2)],
        vec![function("eu-west-1", "miner", 3)],
    );
    assert_shown_is_current(&state, "a rescan's inventory");
    judged(
        &mut state,
        generation,
        vec![
            severe(
                user_finding(FindingKind::UnknownUser, "ghost"),
                Severity::Critical,
            ),
            finding(
                FindingKind::RecentResource,
                ResourceType::Function,
                "eu-west-1",
                "miner",
            ),
            user_finding(FindingKind::UnknownUser, "intruder"),
        ],
    );
    assert_shown_is_current(&state, "a rescan's findings");
    let principals: Vec<&str> = state
        .list(ListId::Principals)
        .iter()
        .map(|f| f.resource_id.as_str())
        .collect();
    assert_eq!(principals, ["ghost", "intruder"], "newest first");
    assert!(!state.lists().contains(&ListId::Other));
    assert!(
        state.knows_function("ap-south-1", "cryptojack"),
        "no longer new"
    );
    assert_eq!(state.finding("admin_principal:global:backdoor"), None);
}

#[test]
fn the_most_severe_finding_is_selected_on_start_and_tab_walks_the_lists() {
    let mut state = judged_state(false);
    assert_eq!(state.focus, Focus::List(ListId::Principals));
    assert_eq!(
        state.selection().map(|f| f.resource_id.as_str()),
        Some("backdoor")
    );
    update(&mut state, Msg::FocusNext);
    assert_eq!(state.focus, Focus::List(ListId::Recent));
    update(&mut state, Msg::FocusNext);
    update(&mut state, Msg::Down);
    assert_eq!(
        state.selection().map(|f| f.resource_id.as_str()),
        Some("snap-1")
    );
}

#[test]
fn d_plans_the_selection_and_enter_on_the_initial_focus_cancels() {
    let mut state = judged_state(false);
    let effects = update(&mut state, Msg::Command(Command::Disable));
    let Effect::Prepare { requests, .. } = &effects[0] else {
        panic!("{effects:?}");
    };
    assert_eq!(
        requests,
        &vec![Request::DisableUsers {
            users: vec!["backdoor".into()]
        }]
    );
    let ticket = ticket(&effects);
    update(
        &mut state,
        Msg::Planned {
            ticket,
            plan: Ok(plan(Playbook::DisableUser { users: vec![] }, None)),
        },
    );
    let Some(Modal::Confirm(confirm)) = &state.modal else {
        panic!("{:?}", state.modal);
    };
    assert_eq!(confirm.focus, Button::Cancel, "Cancel is focused first");
    assert!(update(&mut state, Msg::Submit).is_empty());
    assert_eq!(state.modal, None);
    assert!(state.actions.is_empty(), "nothing was executed");
}

#[test]
fn confirming_executes_streams_steps_and_marks_the_findings_contained() {
    let mut state = judged_state(false);
    let t = ticket(&update(&mut state, Msg::Command(Command::Disable)));
    update(
        &mut state,
        Msg::Planned {
            ticket: t,
            plan: Ok(plan(Playbook::DisableUser { users: vec![] }, None)),
        },
    );
    update(&mut state, Msg::Right);
    let effects = update(&mut state, Msg::Submit);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Execute { typed: None, .. }]
    ));
    assert_eq!(state.running(), 1);
    update(
        &mut state,
        Msg::StepDone {
            action_id: "s-1".into(),
            index: 1,
            outcome: Outcome::Ok,
        },
    );
    assert!(
        state
            .log
            .iter()
            .any(|l| l.text.starts_with("✓ UpdateAccessKey"))
    );
    let effects = update(
        &mut state,
        Msg::ActionDone {
            action_id: "s-1".into(),
            error: None,
        },
    );
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::StartScan { generation: 2, only: Some(only), base: Some(_) }]
                if only.is_empty()
        ),
        "an IAM-only action rescans IAM only: {effects:?}"
    );
    assert!(
        state
            .contained
            .contains_key("admin_principal:global:backdoor")
    );
    assert_eq!(
        state.last_undoable().map(|a| a.plan.action_id.as_str()),
        Some("s-1")
    );
}

#[test]
fn read_only_shows_the_plan_and_never_executes() {
    let mut state = judged_state(true);
    let t = ticket(&update(&mut state, Msg::Command(Command::Disable)));
    update(
        &mut state,
        Msg::Planned {
            ticket: t,
            plan: Ok(plan(Playbook::DisableUser { users: vec![] }, None)),
        },
    );
    update(&mut state, Msg::Right);
    let refused = vec![Effect::RefuseReadOnly {
        action_id: "s-1".into(),
    }];
    assert_eq!(update(&mut state, Msg::Submit), refused);
    assert_eq!(update(&mut state, Msg::Execute), refused);
    assert!(matches!(state.modal, Some(Modal::Confirm(_))));
    assert!(state.actions.is_empty());
}

#[test]
fn playbook_keys_refuse_what_they_cannot_act_on() {
    let mut state = judged_state(false);
    // The selection is a user: S and X do not apply.
    assert!(update(&mut state, Msg::Command(Command::Unshare)).is_empty());
    assert!(matches!(state.modal, Some(Modal::Message { .. })));
    update(&mut state, Msg::Cancel);
    // A known function (no recent finding) made public: X refuses unless marked.
    update(&mut state, Msg::FocusNext);
    update(&mut state, Msg::FocusNext);
    assert_eq!(
        state.selection().map(|f| f.resource_id.as_str()),
        Some("orders-api")
    );
    assert!(update(&mut state, Msg::Command(Command::Contain)).is_empty());
    let Some(Modal::Message { lines, .. }) = &state.modal else {
        panic!("{:?}", state.modal);
    };
    assert!(lines[0].contains("baseline knows"), "{lines:?}");
    update(&mut state, Msg::Cancel);
    // `*` is not enough: a known function must be marked by itself.
    update(&mut state, Msg::Command(Command::MarkAll));
    assert!(update(&mut state, Msg::Command(Command::Contain)).is_empty());
    assert!(matches!(state.modal, Some(Modal::Message { .. })));
    update(&mut state, Msg::Cancel);
    update(&mut state, Msg::Command(Command::MarkAll));
    assert!(state.marks.is_empty());
    update(&mut state, Msg::Command(Command::Mark));
    let effects = update(&mut state, Msg::Command(Command::Contain));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Prepare { requests, .. }]
            if requests == &vec![Request::ContainFunctions {
                functions: vec![("eu-west-1".into(), "orders-api".into())],
                unknown: false,
                delete: Deletion::Keep,
            }]
    ));
}

#[test]
fn mark_all_and_filter_with_inversion() {
    let mut state = judged_state(false);
    update(&mut state, Msg::FocusNext);
    update(&mut state, Msg::FocusNext);
    update(&mut state, Msg::Command(Command::MarkAll));
    assert_eq!(state.marks.len(), 2);
    let effects = update(&mut state, Msg::Command(Command::Unshare));
    let Effect::Prepare { requests, .. } = &effects[0] else {
        panic!("{effects:?}");
    };
    let Request::RevertSharing { targets, .. } = &requests[0] else {
        panic!("{requests:?}");
    };
    assert_eq!(targets.len(), 2);
    update(&mut state, Msg::Cancel);
    update(&mut state, Msg::Command(Command::Filter));
    for c in "miner".chars() {
        update(&mut state, Msg::Type(c));
    }
    assert_eq!(
        state.focus,
        Focus::List(ListId::Recent),
        "focus moves to the first match"
    );
    update(&mut state, Msg::Submit);
    assert_eq!(state.list(ListId::Principals).len(), 0);
    update(&mut state, Msg::Command(Command::Filter));
    for c in "!miner".chars() {
        update(&mut state, Msg::Type(c));
    }
    assert_eq!(state.list(ListId::Recent).len(), 0);
    assert_eq!(state.list(ListId::Shared).len(), 2);
}

#[test]
fn freeze_needs_the_account_typed_then_counts_down_and_any_key_cancels() {
    let mut state = judged_state(false);
    let t = ticket(&update(&mut state, Msg::Command(Command::Freeze)));
    update(
        &mut state,
        Msg::Planned {
            ticket: t,
            plan: Ok(plan(
                Playbook::Freeze,
                Some(vec!["123456789012".into(), "acme-prod".into()]),
            )),
        },
    );
    update(&mut state, Msg::Right);
    assert!(
        update(&mut state, Msg::Submit).is_empty(),
        "nothing typed yet"
    );
    assert_eq!(
        state.notice.as_deref(),
        Some("type 123456789012 to confirm")
    );
    update(&mut state, Msg::Cancel);
    assert_eq!(state.modal, None);
    assert_eq!(
        state.notice, None,
        "the closed dialog's instruction goes with it"
    );
    let t = ticket(&update(&mut state, Msg::Command(Command::Freeze)));
    update(
        &mut state,
        Msg::Planned {
            ticket: t,
            plan: Ok(plan(
                Playbook::Freeze,
                Some(vec!["123456789012".into(), "acme-prod".into()]),
            )),
        },
    );
    update(&mut state, Msg::Right);
    update(&mut state, Msg::Submit);
    for c in "acme-prod".chars() {
        update(&mut state, Msg::Type(c));
    }
    assert!(
        update(&mut state, Msg::Submit).is_empty(),
        "the countdown starts"
    );
    update(&mut state, Msg::Type('x'));
    let Some(Modal::Confirm(confirm)) = &state.modal else {
        panic!("{:?}", state.modal);
    };
    assert_eq!(
        confirm.countdown_until, None,
        "any key cancels the countdown"
    );
    update(&mut state, Msg::Right);
    update(&mut state, Msg::Submit);
    assert!(update(&mut state, Msg::Tick(now() + Duration::seconds(4))).is_empty());
    let effects = update(&mut state, Msg::Tick(now() + Duration::seconds(5)));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Execute { typed: Some(t), .. }] if t == "acme-prod"
    ));
    assert_eq!(state.notice, None, "no instruction outlives the dialog");
}

#[test]
fn stale_results_are_dropped_and_quit_asks_while_an_action_runs() {
    let mut state = judged_state(false);
    update(
        &mut state,
        Msg::Judged {
            generation: 0,
            findings: Ok(Vec::new()),
            baseline: None,
            complete: true,
        },
    );
    assert_eq!(
        state.findings.len(),
        4,
        "an old scan's findings are dropped"
    );
    update(
        &mut state,
        Msg::Planned {
            ticket: 99,
            plan: Ok(plan(Playbook::Freeze, None)),
        },
    );
    assert_eq!(state.modal, None, "a plan nobody waits for is dropped");
    let t = ticket(&update(&mut state, Msg::Command(Command::Disable)));
    update(
        &mut state,
        Msg::Planned {
            ticket: t,
            plan: Ok(plan(Playbook::DisableUser { users: vec![] }, None)),
        },
    );
    update(&mut state, Msg::Execute);
    update(&mut state, Msg::Command(Command::Quit));
    assert!(matches!(state.modal, Some(Modal::Quit { .. })));
    assert!(!state.should_quit);
    update(&mut state, Msg::Submit);
    assert!(!state.should_quit, "Enter on Cancel stays");
    update(&mut state, Msg::Interrupt);
    update(&mut state, Msg::Interrupt);
    assert!(state.should_quit);
}

/// Runs one confirmed action to its end with every step ok.
fn run_action(state: &mut State, id: &str) {
    let t = ticket(&update(state, Msg::Command(Command::Disable)));
    let mut plan = plan(Playbook::DisableUser { users: vec![] }, None);
    plan.action_id = id.into();
    update(
        state,
        Msg::Planned {
            ticket: t,
            plan: Ok(plan),
        },
    );
    update(state, Msg::Execute);
    update(
        state,
        Msg::StepDone {
            action_id: id.into(),
            index: 1,
            outcome: Outcome::Ok,
        },
    );
    update(
        state,
        Msg::ActionDone {
            action_id: id.into(),
            error: None,
        },
    );
}

#[test]
fn u_undoes_the_last_action_or_the_one_picked_in_the_log() {
    let mut state = judged_state(false);
    run_action(&mut state, "s-1");
    run_action(&mut state, "s-2");
    let undo_of = |effects: Vec<Effect>| match effects.as_slice() {
        [Effect::Prepare { requests, .. }] => requests.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        undo_of(update(&mut state, Msg::Command(Command::Undo))),
        vec![Request::Undo { of: "s-2".into() }]
    );
    update(&mut state, Msg::Cancel);
    while state.focus != Focus::Log {
        update(&mut state, Msg::FocusNext);
    }
    assert_eq!(
        state.picked.as_deref(),
        Some("s-2"),
        "the newest is picked first"
    );
    update(&mut state, Msg::Up);
    assert_eq!(state.picked.as_deref(), Some("s-1"));
    assert_eq!(
        undo_of(update(&mut state, Msg::Command(Command::Undo))),
        vec![Request::Undo { of: "s-1".into() }]
    );
}

#[test]
fn an_action_a_crash_left_is_offered_and_finishing_runs_its_plan_again() {
    let mut state = judged_state(false);
    let left = firebreak_core::playbook::undo::Unfinished {
        plan: *plan(Playbook::Freeze, Some(vec!["123456789012".into()])),
        typed: Some("123456789012".into()),
        missing: vec![1],
    };
    update(&mut state, Msg::Unfinished(vec![left]));
    assert!(matches!(
        state.modal,
        Some(Modal::Resume {
            focus: Button::Cancel,
            ..
        })
    ));
    assert!(
        update(&mut state, Msg::Submit).is_empty(),
        "Enter on Cancel leaves it"
    );
    assert_eq!(state.modal, None);
    let left = firebreak_core::playbook::undo::Unfinished {
        plan: *plan(Playbook::Freeze, Some(vec!["123456789012".into()])),
        typed: Some("123456789012".into()),
        missing: vec![1],
    };
    update(&mut state, Msg::Unfinished(vec![left]));
    update(&mut state, Msg::Right);
    assert!(
        update(&mut state, Msg::Submit).is_empty(),
        "finishing first shows the whole plan"
    );
    let Some(Modal::Confirm(confirm)) = &state.modal else {
        panic!("{:?}", state.modal);
    };
    assert_eq!(confirm.focus, Button::Cancel);
    assert!(!confirm.needs_typing(), "it was typed when first confirmed");
    update(&mut state, Msg::Right);
    assert!(
        update(&mut state, Msg::Submit).is_empty(),
        "a freeze still counts down"
    );
    let effects = update(&mut state, Msg::Tick(now() + Duration::seconds(6)));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Execute { typed: Some(t), plan }] if t == "123456789012" && plan.action_id == "s-1"
    ));
}

#[test]
fn only_what_every_step_reached_is_contained_and_a_failed_undo_can_be_retried() {
    let mut state = judged_state(false);
    let t = ticket(&update(&mut state, Msg::Command(Command::Disable)));
    let mut two = plan(Playbook::DisableUser { users: vec![] }, None);
    two.steps.push(Step::global(
        0,
        Operation::PutRolePolicy {
            role: "rogue".into(),
            policy_name: "firebreak-deny-all".into(),
            document: "{}".into(),
        },
        None,
    ));
    two.steps[1].index = 2;
    update(
        &mut state,
        Msg::Planned {
            ticket: t,
            plan: Ok(two),
        },
    );
    // The purpose names the backdoor; pretend the role's finding was in it too.
    if let Some(Modal::Confirm(confirm)) = state.modal.as_mut() {
        confirm
            .purpose
            .findings
            .push("unknown_role:global:rogue".into());
    }
    state.findings.push(finding(
        FindingKind::UnknownRole,
        ResourceType::Role,
        GLOBAL,
        "rogue",
    ));
    update(&mut state, Msg::Execute);
    update(
        &mut state,
        Msg::StepDone {
            action_id: "s-1".into(),
            index: 1,
            outcome: Outcome::Ok,
        },
    );
    let denied = crate::aws::AwsError {
        service: "iam".into(),
        operation: "PutRolePolicy".into(),
        region: GLOBAL.into(),
        code: "AccessDenied".into(),
        message: "no".into(),
        request_id: None,
        http_status: Some(403),
        subject: None,
    };
    update(
        &mut state,
        Msg::StepDone {
            action_id: "s-1".into(),
            index: 2,
            outcome: Outcome::Failed {
                maybe_applied: false,
                error: denied.clone(),
            },
        },
    );
    let effects = update(
        &mut state,
        Msg::ActionDone {
            action_id: "s-1".into(),
            error: None,
        },
    );
    assert!(
        state
            .contained
            .contains_key("admin_principal:global:backdoor")
    );
    assert!(
        !state.contained.contains_key("unknown_role:global:rogue"),
        "its step failed: not contained"
    );
    // While that rescan runs, another action's rescan waits instead of being dropped.
    assert_eq!(effects.len(), 1);
    assert!(rescan_regions(&mut state, Some(vec!["eu-west-1".into()])).is_empty());
    assert_eq!(state.queued_rescan, Some(Some(vec!["eu-west-1".into()])));
    let generation = state.generation;
    let effects = feed(&mut state, generation, vec![ScanEvent::Done]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::StartScan { only: Some(only), .. }] if only == &vec!["eu-west-1".to_string()]
    ));
    // An undo that fails stays undoable.
    let t = ticket(&update(&mut state, Msg::Command(Command::Undo)));
    let mut undo = plan(Playbook::Undo { of: "s-1".into() }, None);
    undo.action_id = "s-2".into();
    update(
        &mut state,
        Msg::Planned {
            ticket: t,
            plan: Ok(undo),
        },
    );
    update(&mut state, Msg::Execute);
    assert!(
        state.last_undoable().is_none(),
        "an action whose undo runs is not offered again"
    );
    update(
        &mut state,
        Msg::StepDone {
            action_id: "s-2".into(),
            index: 1,
            outcome: Outcome::Failed {
                error: denied,
                maybe_applied: false,
            },
        },
    );
    update(
        &mut state,
        Msg::ActionDone {
            action_id: "s-2".into(),
            error: None,
        },
    );
    assert!(!state.undone.contains("s-1"));
    assert_eq!(
        state.last_undoable().map(|a| a.plan.action_id.as_str()),
        Some("s-1")
    );
}

#[test]
fn p_protects_the_buckets_and_databases_of_the_selection_and_refuses_anything_else() {
    let mut state = State::new(Bindings::default(), false, now());
    update(&mut state, Msg::Command(Command::Rescan));
    feed(&mut state, 1, vec![ScanEvent::Done]);
    let mut ransom = finding(
        FindingKind::RansomSigns,
        ResourceType::Bucket,
        "us-east-1",
        "vault",
    );
    ransom.severity = Severity::Critical;
    update(
        &mut state,
        Msg::Judged {
            generation: 1,
            findings: Ok(vec![
                ransom,
                finding(
                    FindingKind::DatabaseProtectionWeakened,
                    ResourceType::Database,
                    "eu-west-1",
                    "orders",
                ),
                finding(
                    FindingKind::AdminPrincipal,
                    ResourceType::User,
                    GLOBAL,
                    "backdoor",
                ),
            ]),
            baseline: None,
            complete: true,
        },
    );
    // The user's list: P refuses it.
    assert_eq!(
        state.selection().map(|f| f.resource_type),
        Some(ResourceType::User)
    );
    assert!(update(&mut state, Msg::Command(Command::Protect)).is_empty());
    let Some(Modal::Message { lines, .. }) = &state.modal else {
        panic!("{:?}", state.modal);
    };
    assert!(
        lines[0].starts_with("P protects buckets and databases"),
        "{lines:?}"
    );
    update(&mut state, Msg::Cancel);
    // Every list marked whole: the bucket and the database are protected, wherever they are.
    let mut protected = DataTargets::default();
    for _ in 0..state.lists().len() {
        update(&mut state, Msg::Command(Command::MarkAll));
        if let [Effect::Prepare { requests, .. }] =
            update(&mut state, Msg::Command(Command::Protect)).as_slice()
        {
            let [Request::ProtectData(targets)] = requests.as_slice() else {
                panic!("{requests:?}");
            };
            protected.buckets.extend(targets.buckets.clone());
            protected.databases.extend(targets.databases.clone());
        }
        update(&mut state, Msg::Cancel);
        update(&mut state, Msg::Command(Command::MarkAll));
        update(&mut state, Msg::FocusNext);
    }
    assert_eq!(
        protected,
        DataTargets {
            buckets: vec![("us-east-1".into(), "vault".into())],
            databases: vec![("eu-west-1".into(), "orders".into())],
            all: false,
        }
    );
}
