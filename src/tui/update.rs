//! `update`: the cockpit's only state transition. Pure: no I/O, no clock (time arrives with
//! `Tick`), no AWS. Keys become plan requests (`Effect::Prepare`), plans become confirmation
//! dialogs, confirmations become `Effect::Execute`, and step outcomes stream into the log.

use std::collections::BTreeMap;

use chrono::Duration;

use super::msg::{Effect, Msg};
use super::state::{
    ActionRun, Button, Confirm, Focus, ListId, LogKind, LogLine, Modal, Purpose, SortBy, State,
};
use crate::bindings::Command;
use crate::model::finding::{Attribution, Finding, FindingKind, ResourceType};
use crate::model::operation::Operation;
use crate::playbook::contain_functions::Deletion;
use crate::playbook::countermeasure::{self, Countermeasure};
use crate::playbook::plan::{Outcome, Plan, Playbook};
use crate::scan::{ScanEvent, ScanState};
use crate::service::attribution::attributable;
use crate::service::request::{CounterTargets, Request, SharedTarget};

/// Columns of the region grid (row-major): Up/Down move by this many cells.
pub const REGION_COLUMNS: usize = 6;
/// How long freeze counts down after the account id is typed.
pub const FREEZE_COUNTDOWN_SECS: i64 = 5;

/// Applies `msg` to `state` and returns the work to start.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = apply(state, msg);
    // A dialog that came up in the background waits until the open one is closed.
    if state.modal.is_none() {
        state.modal = state.queued.pop_front();
    }
    effects
}

/// A game day's indicators against the account as the last scan read it.
fn track_gameday(state: &mut State) {
    let Some(day) = state.gameday.as_mut() else {
        return;
    };
    let inventory = &state.scan.inventory;
    let open = day
        .indicators
        .iter()
        .filter(|i| !i.contained(inventory))
        .count();
    day.all_contained = match day.all_contained {
        Some(at) if open == 0 => Some(at),
        _ if open == 0 => Some(state.now),
        _ => None,
    };
    day.open = open;
}

/// Opens `modal`, or queues it behind the dialog already open (a background result must
/// never replace what the operator is reading or typing).
fn show(state: &mut State, modal: Modal) {
    if state.modal.is_none() {
        state.modal = Some(modal);
    } else {
        state.queued.push_back(modal);
    }
}

fn apply(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            state.now = now;
            state.ticks = state.ticks.wrapping_add(1);
            // Asked before the countdown runs out: a tick that executes shows only that.
            let mut effects = attribute_selection(state);
            effects.extend(countdown(state));
            effects
        }
        Msg::Attributed {
            finding,
            attribution,
        } => {
            state.attributions.insert(finding, Some(attribution));
            Vec::new()
        }
        Msg::Scan { generation, event } => scan_event(state, generation, event),
        Msg::Judged {
            generation,
            findings,
            baseline,
            complete,
        } => {
            let current = generation == state.generation;
            judged(state, generation, findings, baseline.map(|b| *b), complete);
            // Only a whole scan says what the account still holds, or may be scanned again.
            if current && complete {
                track_gameday(state);
                if let Some(only) = state.queued_rescan.take() {
                    return rescan_regions(state, only);
                }
            }
            Vec::new()
        }
        Msg::Keystroke => {
            state.keystrokes += 1;
            Vec::new()
        }
        Msg::Planned { ticket, plan } => {
            planned(state, ticket, plan);
            Vec::new()
        }
        Msg::StepDone {
            action_id,
            index,
            outcome,
        } => {
            step_done(state, &action_id, index, outcome);
            Vec::new()
        }
        Msg::ActionDone { action_id, error } => action_done(state, &action_id, error),
        Msg::Accepted { finding, result } => {
            match result {
                Ok(path) => log(
                    state,
                    LogKind::Ok,
                    format!("accepted {finding} into {}", path.display()),
                ),
                Err(error) => {
                    log(state, LogKind::Failed, format!("accept {finding}: {error}"));
                    show(
                        state,
                        Modal::Message {
                            title: "Not accepted".into(),
                            lines: vec![error],
                        },
                    );
                }
            }
            rescan(state)
        }
        Msg::NotJournaled(line) => {
            log(state, LogKind::Failed, line);
            Vec::new()
        }
        Msg::Unfinished(actions) => {
            if !actions.is_empty() {
                for action in &actions {
                    log(
                        state,
                        LogKind::Failed,
                        format!(
                            "{} ({}) was left unfinished: steps {:?} have no outcome",
                            action.plan.action_id, action.plan.playbook, action.missing
                        ),
                    );
                }
                show(
                    state,
                    Modal::Resume {
                        actions,
                        focus: Button::Cancel,
                    },
                );
            }
            Vec::new()
        }
        Msg::Interrupt => {
            if matches!(state.modal, Some(Modal::Quit { .. })) || state.running() == 0 {
                state.should_quit = true;
            } else {
                state.modal = Some(Modal::Quit {
                    focus: Button::Cancel,
                });
            }
            Vec::new()
        }
        key => match state.modal.take() {
            Some(modal) => modal_key(state, modal, key),
            None if state.filter.editing => {
                filter_key(state, key);
                Vec::new()
            }
            None => normal_key(state, key),
        },
    }
}

fn log(state: &mut State, kind: LogKind, text: String) {
    state.log.push(LogLine {
        at: state.now,
        kind,
        text,
        action: None,
    });
}

/// A log line about action `action_id`.
fn log_action(state: &mut State, kind: LogKind, action_id: &str, text: String) {
    state.log.push(LogLine {
        at: state.now,
        kind,
        text,
        action: Some(action_id.to_string()),
    });
}

// ---------------------------------------------------------------------------------------------
// Scans and findings

/// Starts a scan of every region unless one runs. The first scan streams onto the screen;
/// later ones build aside and replace it when complete, so nothing flickers.
fn rescan(state: &mut State) -> Vec<Effect> {
    rescan_regions(state, None)
}

/// Starts a scan of `only` these regions (and IAM), or of all; merged into the scan on screen
/// when complete.
fn rescan_regions(state: &mut State, only: Option<Vec<String>>) -> Vec<Effect> {
    let running = if state.generation == 0 {
        false
    } else {
        state.rescan.is_some() || !state.scan.done
    };
    if running {
        // Read once the running scan ends: all regions wins over some.
        state.queued_rescan = Some(match (state.queued_rescan.take(), only) {
            (Some(Some(mut queued)), Some(more)) => {
                queued.extend(more);
                queued.sort();
                queued.dedup();
                Some(queued)
            }
            (None, only) => only,
            _ => None,
        });
        return Vec::new();
    }
    state.generation += 1;
    let only = only.filter(|_| state.scanned_at.is_some());
    if state.scanned_at.is_some() {
        state.rescan = Some(ScanState::default());
    } else {
        state.scan = ScanState::default();
        state.reindex_scan();
    }
    // A rescan is judged merged into what is on screen: what it cannot read stays.
    let base = state
        .scanned_at
        .is_some()
        .then(|| Box::new(state.scan.clone()));
    vec![Effect::StartScan {
        generation: state.generation,
        only,
        base,
    }]
}

fn scan_event(state: &mut State, generation: u64, event: ScanEvent) -> Vec<Effect> {
    if generation != state.generation {
        return Vec::new();
    }
    let on_screen = state.rescan.is_none();
    let target = match state.rescan.as_mut() {
        Some(rescan) => rescan,
        None => &mut state.scan,
    };
    target.apply(event);
    let done = target.done;
    if done && let Some(rescan) = state.rescan.take() {
        state.scan.merge(rescan);
    }
    // The scan on screen changed: its index and the time sort follow.
    if on_screen || done {
        state.reindex_scan();
    }
    if done {
        state.scanned_at = Some(state.now);
        let cells = state.region_cells().len();
        state.region_cursor = state.region_cursor.min(cells.saturating_sub(1));
        // A queued rescan waits for this scan's judgement (started now, it would make that
        // judgement out of date); a scan that is not judged (no identity, fatal) lets it go.
        let judged_next = state.scan.identity.is_some() && state.scan.fatal.is_none();
        if !judged_next && let Some(only) = state.queued_rescan.take() {
            return rescan_regions(state, only);
        }
    }
    Vec::new()
}

fn judged(
    state: &mut State,
    generation: u64,
    findings: Result<Vec<Finding>, String>,
    baseline: Option<crate::baseline::Baseline>,
    complete: bool,
) {
    if generation != state.generation {
        return;
    }
    match findings {
        Ok(findings) => {
            // Nothing shown yet, or only what the first scan has judged so far and the operator
            // has not moved from: the most severe finding is selected.
            let untouched = state.marks.is_empty()
                && !state.judged_whole
                && match &state.start_pick {
                    None => state.selected.is_empty(),
                    Some((list, id)) => {
                        state.focus == Focus::List(*list)
                            && state.selected.len() == 1
                            && state.selected.get(list) == Some(id)
                    }
                };
            state.findings = findings;
            state.findings_error = None;
            state.baseline = baseline;
            // Marks and contained items of findings that are gone go with them.
            let ids: std::collections::BTreeSet<&String> =
                state.findings.iter().map(|f| &f.id).collect();
            state.marks.retain(|id| ids.contains(id));
            state.hand_marked.retain(|id| ids.contains(id));
            state.contained.retain(|id, _| ids.contains(id));
            // A rescan may follow a new change, or a refusal that has passed: only lookups under
            // way and an endpoint's lack of the call are kept (a judgement of the same scan as
            // it goes keeps every answer).
            state.attributions.retain(|id, answer| {
                ids.contains(id)
                    && (!complete
                        || matches!(
                            answer,
                            None | Some(Attribution::NotAvailable {
                                unsupported: true,
                                ..
                            })
                        ))
            });
            state.index_inventory();
            state.reindex_findings();
            // On start, the most severe finding is selected.
            if untouched
                && let Some(most) = state
                    .findings
                    .iter()
                    .find(|f| ListId::of(f) != ListId::Other)
            {
                let list = ListId::of(most);
                state.focus = Focus::List(list);
                state.last_list = list;
                state.selected.clear();
                state.selected.insert(list, most.id.clone());
                state.start_pick = Some((list, most.id.clone()));
            }
            // Once a scan is whole, what is selected is the operator's.
            if complete {
                state.judged_whole = true;
            }
        }
        Err(error) => state.findings_error = Some(error),
    }
}

// ---------------------------------------------------------------------------------------------
// Plans and actions

fn planned(state: &mut State, ticket: u64, plan: Result<Box<Plan>, String>) {
    // The dialog waiting for this plan, open or queued; none when it was cancelled.
    let purpose = match waiting_for(state, ticket) {
        Some(Modal::Preparing { purpose, .. }) => purpose.clone(),
        _ => return,
    };
    let next = plan_dialog(state, purpose, plan);
    if let Some(slot) = waiting_for(state, ticket) {
        *slot = next;
    }
}

/// The `Preparing` dialog of `ticket`, open or queued.
fn waiting_for(state: &mut State, ticket: u64) -> Option<&mut Modal> {
    let waiting = |m: &Modal| matches!(m, Modal::Preparing { ticket: t, .. } if *t == ticket);
    state
        .modal
        .iter_mut()
        .chain(state.queued.iter_mut())
        .find(|m| waiting(m))
}

/// The dialog that shows a plan (or why there is none), and its log line.
fn plan_dialog(state: &mut State, purpose: Purpose, plan: Result<Box<Plan>, String>) -> Modal {
    match plan {
        Ok(plan) => {
            log_action(
                state,
                LogKind::Info,
                &plan.action_id,
                format!(
                    "plan {} {}: {} steps",
                    plan.action_id,
                    plan.playbook,
                    plan.steps.len()
                ),
            );
            if plan.steps.is_empty() {
                let mut lines = vec!["nothing to change".to_string()];
                lines.extend(plan.notes.iter().cloned());
                lines.extend(
                    plan.exempt
                        .iter()
                        .map(|e| format!("never touched: {} — {}", e.principal, e.reason)),
                );
                Modal::Message {
                    title: format!("{} — plan {}", purpose.title, plan.action_id),
                    lines,
                }
            } else {
                Modal::Confirm(Confirm {
                    plan,
                    purpose,
                    focus: Button::Cancel,
                    typed: String::new(),
                    countdown_until: None,
                    resume_typed: None,
                })
            }
        }
        Err(error) => {
            log(
                state,
                LogKind::Failed,
                format!("{}: {error}", purpose.title),
            );
            Modal::Message {
                title: format!("{}: no plan", purpose.title),
                lines: vec![error],
            }
        }
    }
}

/// Sends a confirmed plan to the engine; read-only refuses it (journaled) and keeps the plan
/// on screen.
fn execute(state: &mut State, confirm: Confirm) -> Vec<Effect> {
    if state.read_only {
        return refuse_read_only(state, confirm);
    }
    state.notice = None;
    let typed = match (&confirm.resume_typed, &confirm.plan.confirm_with) {
        (Some(typed), _) => Some(typed.clone()),
        (None, Some(_)) => Some(confirm.typed.clone()),
        (None, None) => None,
    };
    log_action(
        state,
        LogKind::Info,
        &confirm.plan.action_id,
        format!(
            "confirmed {} {}{}",
            confirm.plan.action_id,
            confirm.plan.playbook,
            typed
                .as_ref()
                .map(|t| format!(" (typed {t})"))
                .unwrap_or_default()
        ),
    );
    state.marks.clear();
    state.hand_marked.clear();
    state.actions.push(ActionRun {
        plan: confirm.plan.clone(),
        purpose: confirm.purpose,
        outcomes: Default::default(),
        finished: false,
    });
    vec![Effect::Execute {
        plan: confirm.plan,
        typed,
    }]
}

fn step_done(state: &mut State, action_id: &str, index: usize, outcome: Outcome) {
    let Some(run) = state
        .actions
        .iter_mut()
        .find(|a| a.plan.action_id == action_id)
    else {
        return;
    };
    let step = run.plan.steps.iter().find(|s| s.index == index).cloned();
    run.outcomes.insert(index, outcome.clone());
    let what = step
        .map(|s| format!("{} {} [{}]", s.api, s.target, s.region))
        .unwrap_or_else(|| format!("step {index}"));
    let (kind, text) = match &outcome {
        Outcome::Ok => (LogKind::Ok, format!("✓ {what}")),
        Outcome::Skipped => (LogKind::Skipped, format!("= {what} (already so)")),
        Outcome::Unsupported { error } => (
            LogKind::Skipped,
            format!("~ {what} unsupported here ({})", error.code),
        ),
        Outcome::Failed { error, .. } => (
            LogKind::Failed,
            format!(
                "✗ {what}: {}{}{}",
                error.code,
                error
                    .request_id
                    .as_ref()
                    .map(|r| format!(" (req {r})"))
                    .unwrap_or_default(),
                outcome.caveat()
            ),
        ),
    };
    log_action(state, kind, action_id, text);
}

fn action_done(state: &mut State, action_id: &str, error: Option<String>) -> Vec<Effect> {
    let Some(position) = state
        .actions
        .iter()
        .position(|a| a.plan.action_id == action_id)
    else {
        return Vec::new();
    };
    state.actions[position].finished = true;
    let run = state.actions[position].clone();
    let count = |word: &str| run.outcomes.values().filter(|o| o.word() == word).count();
    match error {
        Some(error) => log_action(
            state,
            LogKind::Failed,
            action_id,
            format!("{action_id}: {error}"),
        ),
        None => log_action(
            state,
            if count("failed") > 0 {
                LogKind::Failed
            } else {
                LogKind::Ok
            },
            action_id,
            format!(
                "{action_id} finished: {} ok, {} skipped, {} unsupported, {} failed{}",
                count("ok"),
                count("skipped"),
                count("unsupported"),
                count("failed"),
                if run.may_have_changed() {
                    " · u undoes it"
                } else {
                    ""
                }
            ),
        ),
    }
    // A finding is contained when every step that changes its resource ended ok or skipped
    // (an exempt principal has no step: it is not contained).
    for id in &run.purpose.findings {
        let Some(finding) = state.findings.iter().find(|f| f.id == *id) else {
            continue;
        };
        let steps: Vec<_> = run
            .plan
            .steps
            .iter()
            .filter(|s| {
                s.operation.changes_account()
                    && s.region == finding.region
                    && s.operation
                        .touches(finding.resource_type, &finding.resource_id)
            })
            .collect();
        let done = !steps.is_empty()
            && steps.iter().all(|s| {
                matches!(
                    run.outcomes.get(&s.index),
                    Some(Outcome::Ok | Outcome::Skipped)
                )
            });
        if done {
            state.contained.insert(id.clone(), action_id.to_string());
        }
    }
    // The counts and the grid's colours follow what is still open.
    let clean = run
        .outcomes
        .values()
        .all(|o| !matches!(o, Outcome::Failed { .. }));
    if let Playbook::Undo { of } = &run.plan.playbook
        && clean
        && run.outcomes.len() == run.plan.steps.len()
    {
        state.undone.insert(of.clone());
        state.contained.retain(|_, by| by != of);
    }
    state.reindex_findings();
    let mut effects = Vec::new();
    if run.purpose.offer_delete && !state.read_only {
        let saved = evidence_saved(&run);
        if !saved.is_empty() {
            effects.extend(prepare(
                state,
                vec![Request::ContainFunctions {
                    functions: saved.clone(),
                    unknown: false,
                    delete: Deletion::IfCodeSaved,
                }],
                Purpose {
                    title: format!("Delete {} function(s) whose evidence is saved", saved.len()),
                    findings: run.purpose.findings.clone(),
                    offer_delete: false,
                },
            ));
        }
    }
    // The regions the action changed are read again (IAM always is).
    let regions: Vec<String> = run
        .plan
        .steps
        .iter()
        .filter(|s| s.operation.changes_account() && s.region != crate::model::GLOBAL)
        .map(|s| s.region.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    effects.extend(rescan_regions(state, Some(regions)));
    effects
}

/// The functions of a contain action whose evidence step ended ok or skipped.
fn evidence_saved(run: &ActionRun) -> Vec<(String, String)> {
    run.plan
        .steps
        .iter()
        .filter_map(|s| match &s.operation {
            Operation::CaptureFunctionEvidence { function, .. }
                if matches!(
                    run.outcomes.get(&s.index),
                    Some(Outcome::Ok | Outcome::Skipped)
                ) =>
            {
                Some((s.region.clone(), function.clone()))
            }
            _ => None,
        })
        .collect()
}

fn prepare(state: &mut State, requests: Vec<Request>, purpose: Purpose) -> Vec<Effect> {
    let ticket = state.next_ticket;
    state.next_ticket += 1;
    show(state, Modal::Preparing { ticket, purpose });
    vec![Effect::Prepare { ticket, requests }]
}

/// Freeze's countdown: executes when it runs out.
fn countdown(state: &mut State) -> Vec<Effect> {
    match state.modal.take() {
        Some(Modal::Confirm(confirm))
            if confirm
                .countdown_until
                .is_some_and(|until| state.now >= until) =>
        {
            execute(state, confirm)
        }
        other => {
            state.modal = other;
            Vec::new()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keys

fn modal_key(state: &mut State, modal: Modal, key: Msg) -> Vec<Effect> {
    match modal {
        Modal::Help | Modal::Message { .. } => Vec::new(),
        Modal::Preparing { ticket, purpose } => {
            if !matches!(key, Msg::Cancel | Msg::Submit) {
                state.modal = Some(Modal::Preparing { ticket, purpose });
            }
            Vec::new()
        }
        Modal::Confirm(confirm) => confirm_key(state, confirm, key),
        Modal::Accept { finding, focus } => match dialog(focus, &key) {
            Dialog::Stay(focus) => {
                state.modal = Some(Modal::Accept { finding, focus });
                Vec::new()
            }
            Dialog::Close => Vec::new(),
            Dialog::Confirm => {
                log(state, LogKind::Info, format!("accepting {}", finding.id));
                vec![Effect::Accept { finding }]
            }
        },
        Modal::Quit { focus } => match dialog(focus, &key) {
            Dialog::Stay(focus) => {
                state.modal = Some(Modal::Quit { focus });
                Vec::new()
            }
            Dialog::Close => Vec::new(),
            Dialog::Confirm => {
                state.should_quit = true;
                Vec::new()
            }
        },
        Modal::Resume { actions, focus } => match dialog(focus, &key) {
            Dialog::Stay(focus) => {
                state.modal = Some(Modal::Resume { actions, focus });
                Vec::new()
            }
            Dialog::Close => Vec::new(),
            Dialog::Confirm => {
                // Each plan is shown whole in its own confirmation, the first now, the rest
                // after it.
                let mut actions = actions.into_iter();
                if let Some(first) = actions.next() {
                    state.modal = Some(Modal::Confirm(Confirm {
                        purpose: Purpose {
                            title: format!(
                                "Finish {} ({} step(s) without outcome)",
                                first.plan.playbook,
                                first.missing.len()
                            ),
                            findings: Vec::new(),
                            offer_delete: false,
                        },
                        plan: Box::new(first.plan),
                        focus: Button::Cancel,
                        typed: String::new(),
                        countdown_until: None,
                        resume_typed: Some(first.typed.unwrap_or_default()),
                    }));
                }
                let rest: Vec<_> = actions.collect();
                if !rest.is_empty() {
                    state.queued.push_back(Modal::Resume {
                        actions: rest,
                        focus: Button::Cancel,
                    });
                }
                Vec::new()
            }
        },
    }
}

/// What a key does to a two-button dialog.
enum Dialog {
    Stay(Button),
    Close,
    Confirm,
}

fn dialog(focus: Button, key: &Msg) -> Dialog {
    match key {
        Msg::FocusNext | Msg::FocusPrev | Msg::Left | Msg::Right => Dialog::Stay(focus.other()),
        Msg::Cancel | Msg::Command(Command::Quit) => Dialog::Close,
        Msg::Submit if focus == Button::Cancel => Dialog::Close,
        Msg::Submit | Msg::Execute => Dialog::Confirm,
        _ => Dialog::Stay(focus),
    }
}

fn confirm_key(state: &mut State, mut confirm: Confirm, key: Msg) -> Vec<Effect> {
    if confirm.countdown_until.is_some() {
        // Any key stops the countdown; the dialog stays, back on Cancel.
        confirm.countdown_until = None;
        confirm.focus = Button::Cancel;
        state.notice = Some("countdown cancelled: nothing was changed".into());
        state.modal = Some(Modal::Confirm(confirm));
        return Vec::new();
    }
    let typing = confirm.plan.confirm_with.is_some() && confirm.resume_typed.is_none();
    match key {
        // Once what was typed matches, the focus moves to Execute (Enter then still starts
        // freeze's countdown, which any key cancels); while it does not, it stays on Cancel.
        Msg::Type(c) if typing => {
            confirm.typed.push(c);
            confirm.focus = if confirm.needs_typing() {
                Button::Cancel
            } else {
                Button::Confirm
            };
        }
        Msg::Backspace if typing => {
            confirm.typed.pop();
            confirm.focus = if confirm.needs_typing() {
                Button::Cancel
            } else {
                Button::Confirm
            };
        }
        Msg::FocusNext | Msg::FocusPrev | Msg::Left | Msg::Right => {
            confirm.focus = confirm.focus.other();
        }
        // Closed: a notice about the dialog (what to type) no longer applies.
        Msg::Cancel => {
            state.notice = None;
            return Vec::new();
        }
        Msg::Submit if confirm.focus == Button::Cancel => {
            state.notice = None;
            return Vec::new();
        }
        Msg::Submit | Msg::Execute => {
            if state.read_only {
                return refuse_read_only(state, confirm);
            } else if confirm.needs_typing() {
                state.notice = Some(format!(
                    "type {} to confirm",
                    confirm
                        .plan
                        .confirm_with
                        .as_ref()
                        .and_then(|c| c.first())
                        .cloned()
                        .unwrap_or_default()
                ));
            } else if matches!(confirm.plan.playbook, Playbook::Freeze) {
                confirm.countdown_until =
                    Some(state.now + Duration::seconds(FREEZE_COUNTDOWN_SECS));
            } else {
                return execute(state, confirm);
            }
        }
        _ => {}
    }
    state.modal = Some(Modal::Confirm(confirm));
    Vec::new()
}

/// Read-only: says so, keeps the plan on screen and journals the refusal.
fn refuse_read_only(state: &mut State, confirm: Confirm) -> Vec<Effect> {
    state.notice = Some("read-only: this plan cannot be executed".into());
    let action_id = confirm.plan.action_id.clone();
    state.modal = Some(Modal::Confirm(confirm));
    vec![Effect::RefuseReadOnly { action_id }]
}

fn filter_key(state: &mut State, key: Msg) {
    match key {
        Msg::Type(c) => {
            state.filter.text.push(c);
            state.refresh_lists();
            focus_first_match(state);
        }
        Msg::Backspace => {
            state.filter.text.pop();
            state.refresh_lists();
            focus_first_match(state);
        }
        Msg::Submit => state.filter.editing = false,
        Msg::Cancel => {
            state.filter.text.clear();
            state.filter.editing = false;
            state.refresh_lists();
        }
        _ => {}
    }
}

/// Moves the focus to the first list with a match, and selects its first match.
fn focus_first_match(state: &mut State) {
    let lists = state.lists();
    if let Some((list, first)) = lists
        .iter()
        .find_map(|l| state.rows(*l, 0).next().map(|f| (*l, f.id.clone())))
    {
        state.focus = Focus::List(list);
        state.last_list = list;
        state.selected.insert(list, first);
    }
}

fn normal_key(state: &mut State, key: Msg) -> Vec<Effect> {
    state.notice = None;
    match key {
        Msg::Command(command) => command_key(state, command),
        Msg::Up => move_cursor(state, -1),
        Msg::Down => move_cursor(state, 1),
        Msg::Left => sideways(state, -1),
        Msg::Right => sideways(state, 1),
        Msg::FocusNext => cycle_focus(state, 1),
        Msg::FocusPrev => cycle_focus(state, -1),
        Msg::Cancel => {
            if !state.filter.text.is_empty() {
                state.filter.text.clear();
                state.refresh_lists();
            } else if state.region_filter.is_some() {
                state.region_filter = None;
                state.refresh_lists();
            } else {
                state.marks.clear();
                state.hand_marked.clear();
            }
            Vec::new()
        }
        Msg::Submit | Msg::Execute | Msg::Type(_) | Msg::Backspace => Vec::new(),
        // Worker results and the clock are handled in `update`.
        _ => Vec::new(),
    }
}

fn command_key(state: &mut State, command: Command) -> Vec<Effect> {
    match command {
        Command::Quit => {
            if state.running() > 0 {
                state.modal = Some(Modal::Quit {
                    focus: Button::Cancel,
                });
            } else {
                state.should_quit = true;
            }
            Vec::new()
        }
        Command::Rescan => {
            let effects = rescan(state);
            if effects.is_empty() {
                state.notice =
                    Some("a scan is running: every region is read again after it".into());
            }
            effects
        }
        Command::Up => move_cursor(state, -1),
        Command::Down => move_cursor(state, 1),
        Command::Left => sideways(state, -1),
        Command::Right => sideways(state, 1),
        Command::Top => move_cursor(state, isize::MIN / 2),
        Command::Bottom => move_cursor(state, isize::MAX / 2),
        Command::Filter => {
            state.filter.editing = true;
            state.filter.text.clear();
            state.refresh_lists();
            Vec::new()
        }
        Command::Mark => {
            if let Some(id) = state.selection().map(|f| f.id.clone()) {
                if state.marks.remove(&id) {
                    state.hand_marked.remove(&id);
                } else {
                    state.marks.insert(id.clone());
                    state.hand_marked.insert(id);
                }
            }
            Vec::new()
        }
        Command::MarkAll => {
            let list = match state.focus {
                Focus::List(list) => list,
                Focus::Regions | Focus::Log => state.last_list,
            };
            let ids: Vec<String> = state.list(list).iter().map(|f| f.id.clone()).collect();
            if ids.iter().all(|id| state.marks.contains(id)) {
                for id in &ids {
                    state.marks.remove(id);
                    state.hand_marked.remove(id);
                }
            } else {
                state.marks.extend(ids);
            }
            Vec::new()
        }
        Command::Sort => {
            state.sort = match state.sort {
                SortBy::Severity => SortBy::Time,
                SortBy::Time => SortBy::Region,
                SortBy::Region => SortBy::Severity,
            };
            state.refresh_lists();
            Vec::new()
        }
        Command::Log => {
            state.show_log = !state.show_log;
            Vec::new()
        }
        Command::Help => {
            state.modal = Some(Modal::Help);
            Vec::new()
        }
        Command::Disable => playbook(state, disable_request),
        Command::Contain => playbook(state, contain_request),
        Command::Unshare => playbook(state, unshare_request),
        Command::Counter => playbook(state, counter_request),
        Command::Freeze => {
            let title = "Freeze the account".to_string();
            prepare(
                state,
                vec![Request::Freeze],
                Purpose {
                    title,
                    findings: Vec::new(),
                    offer_delete: false,
                },
            )
        }
        Command::Undo => match state.last_undoable() {
            Some(run) => {
                let of = run.plan.action_id.clone();
                let title = format!("Undo {of} ({})", run.plan.playbook);
                prepare(
                    state,
                    vec![Request::Undo { of }],
                    Purpose {
                        title,
                        findings: Vec::new(),
                        offer_delete: false,
                    },
                )
            }
            None => {
                state.notice = Some("nothing to undo in this session".into());
                Vec::new()
            }
        },
        Command::Accept => {
            match state.selection().cloned() {
                Some(finding) if finding.kind == FindingKind::NotJudged => {
                    state.notice = Some(
                        "nothing to accept: press r to rescan; it goes once the item is read"
                            .into(),
                    );
                }
                Some(finding) if state.baseline.is_some() => {
                    state.modal = Some(Modal::Accept {
                        finding: Box::new(finding),
                        focus: Button::Cancel,
                    });
                }
                Some(_) => {
                    state.modal = Some(Modal::Message {
                        title: "No baseline".into(),
                        lines: vec![
                            "there is no baseline file to accept into: capture one with `firebreak baseline capture`".into(),
                        ],
                    });
                }
                None => state.notice = Some("nothing selected".into()),
            }
            Vec::new()
        }
    }
}

/// Asks, once per finding, who made the change behind the selected finding (the details pane
/// shows it). Once the endpoint turns out to lack the lookup, no more are sent.
fn attribute_selection(state: &mut State) -> Vec<Effect> {
    if state.modal.is_some() {
        return Vec::new();
    }
    let Some(finding) = state.selection().cloned() else {
        return Vec::new();
    };
    if !attributable(&finding) || state.attributions.contains_key(&finding.id) {
        return Vec::new();
    }
    let unsupported = state.attributions.values().flatten().find(|a| {
        matches!(
            a,
            Attribution::NotAvailable {
                unsupported: true,
                ..
            }
        )
    });
    if let Some(known) = unsupported.cloned() {
        state.attributions.insert(finding.id, Some(known));
        return Vec::new();
    }
    state.attributions.insert(finding.id.clone(), None);
    vec![Effect::Attribute {
        finding: Box::new(finding),
    }]
}

/// A playbook key's requests and purpose, or why it refuses.
type Planned = Result<(Vec<Request>, Purpose), String>;

/// Runs a playbook key: its request from the targets, or a refusal shown as a message.
fn playbook(state: &mut State, request: fn(&State) -> Planned) -> Vec<Effect> {
    match request(state) {
        Ok((requests, purpose)) => prepare(state, requests, purpose),
        Err(reason) => {
            state.modal = Some(Modal::Message {
                title: "Not done".into(),
                lines: vec![reason],
            });
            Vec::new()
        }
    }
}

/// Ids of every finding about the same resources as `targets` (what an action contains).
fn findings_about(state: &State, targets: &[(ResourceType, String, String)]) -> Vec<String> {
    state
        .findings
        .iter()
        .filter(|f| {
            targets.iter().any(|(t, region, id)| {
                f.resource_type == *t && f.region == *region && f.resource_id == *id
            })
        })
        .map(|f| f.id.clone())
        .collect()
}

fn key_owner<'a>(state: &'a State, key_id: &str) -> Option<&'a str> {
    state
        .inventory()
        .access_key(key_id)
        .map(|k| k.user.as_str())
}

/// `D`: users, single keys (of users not disabled with them) and roles.
fn disable_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut users = Vec::new();
    let mut keys = Vec::new();
    let mut roles = Vec::new();
    for f in &targets {
        let id = f.resource_id.clone();
        match f.resource_type {
            ResourceType::User if !users.contains(&id) => users.push(id),
            ResourceType::AccessKey if !keys.contains(&id) => keys.push(id),
            ResourceType::Role if !roles.contains(&id) => roles.push(id),
            _ => {}
        }
    }
    keys.retain(|k| key_owner(state, k).is_none_or(|user| !users.iter().any(|u| u == user)));
    if users.is_empty() && keys.is_empty() && roles.is_empty() {
        return Err(refusal("D disables users, access keys and roles", &targets));
    }
    let mut about: Vec<(ResourceType, String, String)> = Vec::new();
    let mut words = Vec::new();
    let mut requests = Vec::new();
    // A user's keys are contained with it.
    about.extend(
        state
            .scan
            .inventory
            .access_keys
            .iter()
            .filter(|k| users.contains(&k.user))
            .map(|k| {
                (
                    ResourceType::AccessKey,
                    crate::model::GLOBAL.to_string(),
                    k.id.clone(),
                )
            }),
    );
    for (kind, names, word) in [
        (ResourceType::User, &users, "user"),
        (ResourceType::AccessKey, &keys, "key"),
        (ResourceType::Role, &roles, "role"),
    ] {
        about.extend(
            names
                .iter()
                .map(|n| (kind, crate::model::GLOBAL.to_string(), n.clone())),
        );
        if !names.is_empty() {
            words.push(format!("{word} {}", names.join(", ")));
        }
    }
    if !users.is_empty() {
        requests.push(Request::DisableUsers { users });
    }
    if !keys.is_empty() {
        requests.push(Request::DisableKeys { keys });
    }
    if !roles.is_empty() {
        requests.push(Request::DisableRoles {
            roles,
            deny_known: false,
        });
    }
    Ok((
        requests,
        Purpose {
            title: format!("Disable {}", words.join("; ")),
            findings: findings_about(state, &about),
            offer_delete: false,
        },
    ))
}

/// `X`: functions; one the baseline knows only when marked one by one with Space (never by
/// `*`, never by the cursor alone).
fn contain_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut functions: Vec<(String, String)> = Vec::new();
    for f in &targets {
        if f.resource_type != ResourceType::Function {
            continue;
        }
        let target = (f.region.clone(), f.resource_id.clone());
        if !state.hand_marked.contains(&f.id) && state.knows_function(&f.region, &f.resource_id) {
            let public = f.kind == FindingKind::PublicFunction;
            return Err(format!(
                "{} in {} is a function the baseline knows: throttling it would stop production.{} Mark it by itself with Space to contain it anyway.",
                f.resource_id,
                f.region,
                if public {
                    " It is public: S removes the public access and leaves it running."
                } else {
                    ""
                }
            ));
        }
        if !functions.contains(&target) {
            functions.push(target);
        }
    }
    if functions.is_empty() {
        return Err(refusal("X contains Lambda functions", &targets));
    }
    let about: Vec<(ResourceType, String, String)> = functions
        .iter()
        .map(|(r, n)| (ResourceType::Function, r.clone(), n.clone()))
        .collect();
    Ok((
        vec![Request::ContainFunctions {
            functions: functions.clone(),
            unknown: false,
            delete: Deletion::Keep,
        }],
        Purpose {
            title: format!(
                "Contain {} function(s): {}",
                functions.len(),
                functions
                    .iter()
                    .map(|(r, n)| format!("{n} ({r})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            findings: findings_about(state, &about),
            offer_delete: true,
        },
    ))
}

/// `S`: public and shared snapshots, AMIs and functions.
fn unshare_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut shared: Vec<SharedTarget> = Vec::new();
    for target in targets.iter().filter_map(|f| SharedTarget::of_finding(f)) {
        if !shared.contains(&target) {
            shared.push(target);
        }
    }
    if shared.is_empty() {
        return Err(refusal(
            "S reverts sharing of public or shared snapshots, AMIs and functions",
            &targets,
        ));
    }
    let title = format!(
        "Revert sharing of {}",
        shared
            .iter()
            .map(|t| format!("{} ({})", t.id, t.region))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Only the sharing findings are contained by it: a new function stays a new function.
    let findings = state
        .findings
        .iter()
        .filter(|f| SharedTarget::of_finding(f).is_some_and(|t| shared.contains(&t)))
        .map(|f| f.id.clone())
        .collect();
    Ok((
        vec![Request::RevertSharing {
            targets: shared,
            public: false,
            block_public_access: false,
        }],
        Purpose {
            title,
            findings,
            offer_delete: false,
        },
    ))
}

/// `C`: the countermeasure of each selected finding that has one, one request per
/// countermeasure, planned from the scan on screen.
fn counter_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut by_measure: BTreeMap<Countermeasure, Vec<Finding>> = BTreeMap::new();
    for finding in &targets {
        if let Some(measure) = Countermeasure::of_finding(finding) {
            by_measure
                .entry(measure)
                .or_default()
                .push((*finding).clone());
        }
    }
    if by_measure.is_empty() {
        return Err(refusal(
            "C counters stopped logging, disabled detection, open ingress, unknown rules, instance profiles and API keys",
            &targets,
        ));
    }
    let findings: Vec<String> = by_measure
        .values()
        .flatten()
        .map(|f| f.id.clone())
        .collect();
    let title = by_measure
        .iter()
        .map(|(measure, found)| {
            format!(
                "{measure} {}",
                found
                    .iter()
                    .map(|f| format!("{} ({})", f.resource_id, f.region))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let requests = by_measure
        .into_iter()
        .map(|(measure, found)| Request::Countermeasure {
            measure,
            targets: CounterTargets::Shown {
                inventory: Box::new(countermeasure::inventory_for(&found, &state.scan.inventory)),
                findings: found,
            },
        })
        .collect();
    Ok((
        requests,
        Purpose {
            title: format!("Counter: {title}"),
            findings,
            offer_delete: false,
        },
    ))
}

fn refusal(what: &str, targets: &[&Finding]) -> String {
    match targets.first() {
        None => format!("{what}: nothing is selected"),
        Some(f) => format!(
            "{what}: the {} is a {}",
            if targets.len() > 1 {
                "marked set"
            } else {
                "selection"
            },
            f.resource_type.as_str().replace('_', " ")
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Movement

fn move_cursor(state: &mut State, by: isize) -> Vec<Effect> {
    match state.focus {
        Focus::Log => {
            // Newest first in `undoable`; up goes to older lines, so further down that list.
            let ids: Vec<String> = state
                .undoable()
                .iter()
                .map(|a| a.plan.action_id.clone())
                .collect();
            if !ids.is_empty() {
                let current = state
                    .picked
                    .as_ref()
                    .and_then(|p| ids.iter().position(|id| id == p))
                    .unwrap_or(0) as isize;
                let moved = (current - by.clamp(-1, 1)).clamp(0, ids.len() as isize - 1);
                state.picked = Some(ids[moved as usize].clone());
            }
        }
        Focus::Regions => {
            let cells = state.region_cells().len();
            if cells > 0 {
                let step = by.clamp(-1, 1) * REGION_COLUMNS as isize;
                let moved = if by.abs() > 1 {
                    if by < 0 { 0 } else { cells - 1 }
                } else {
                    (state.region_cursor as isize + step).clamp(0, cells as isize - 1) as usize
                };
                select_region(state, moved);
            }
        }
        Focus::List(list) => {
            if let Some(current) = state.selected_index(list) {
                let target = (current as isize)
                    .saturating_add(by)
                    .clamp(0, state.shown_count(list) as isize - 1)
                    as usize;
                let id = state.rows(list, target).next().map(|f| f.id.clone());
                if let Some(id) = id {
                    state.selected.insert(list, id);
                }
            }
        }
    }
    Vec::new()
}

fn select_region(state: &mut State, cell: usize) {
    state.region_cursor = cell;
    state.region_filter = state.region_cells().get(cell).map(|r| r.to_string());
    state.refresh_lists();
}

fn sideways(state: &mut State, by: isize) -> Vec<Effect> {
    match state.focus {
        Focus::Regions => {
            let cells = state.region_cells().len();
            if cells > 0 {
                let moved = (state.region_cursor as isize + by).clamp(0, cells as isize - 1);
                select_region(state, moved as usize);
            }
            Vec::new()
        }
        Focus::List(_) | Focus::Log => cycle_focus(state, by),
    }
}

/// Tab order: the lists, then the regions.
fn cycle_focus(state: &mut State, by: isize) -> Vec<Effect> {
    let mut order: Vec<Focus> = state.lists().into_iter().map(Focus::List).collect();
    order.push(Focus::Regions);
    order.push(Focus::Log);
    let current = order.iter().position(|f| *f == state.focus).unwrap_or(0) as isize;
    let next = (current + by).rem_euclid(order.len() as isize) as usize;
    state.focus = order[next];
    match state.focus {
        Focus::List(list) => state.last_list = list,
        Focus::Log => {
            state.picked = state.undoable().first().map(|a| a.plan.action_id.clone());
        }
        Focus::Regions => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
