//! `update`: the cockpit's only state transition. Pure: no I/O, no clock (time arrives with
//! `Tick`), no AWS. Keys become plan requests (`Effect::Prepare`), plans become confirmation
//! dialogs, confirmations become `Effect::Execute`, and step outcomes stream into the log.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;

use super::msg::{Effect, Msg};
use super::state::{
    ActionRun, Button, Confirm, Focus, ListId, LogKind, LogLine, Modal, Purpose, SortBy, State,
};
use crate::service::attribution::attributable;
use crate::service::protect::DataTargets;
use crate::service::request::{CounterTargets, Request, SharedTarget};
use firebreak_core::bindings::Command;
use firebreak_core::model::finding::{Attribution, Finding, FindingKind, ResourceType};
use firebreak_core::playbook::contain_functions::Deletion;
use firebreak_core::playbook::countermeasure::{self, Countermeasure};
use firebreak_core::playbook::plan::{Outcome, Plan, Playbook};
use firebreak_core::scan::ScanState;

mod input;
mod movement;
mod requests;
mod runs;
mod scan;

use input::{attribute_selection, filter_key, modal_key, normal_key, refuse_read_only};
use movement::{cycle_focus, move_cursor, sideways};
use requests::{
    contain_request, counter_request, disable_request, playbook, protect_request, unshare_request,
};
use runs::{action_done, countdown, execute, planned, prepare, step_done};
use scan::{judged, rescan, rescan_regions, scanned, track_gameday};

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
        Msg::Scan { generation, scan } => scanned(state, generation, scan),
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

#[cfg(test)]
pub(crate) mod tests;
