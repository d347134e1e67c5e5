//! Undo: the inverse of an executed action, planned from the journal. Only what firebreak's own
//! calls changed is undone: steps that ended `ok`, and steps a crash left without an outcome
//! (their inverse acts only where the state still shows the change); never a failed or
//! skipped step. In reverse order; irreversible steps are named.

use chrono::{DateTime, Utc};

use super::guard::Guard;
use super::plan::{Outcome, Plan, Playbook, Step};
use crate::journal::{Entry, SessionLog};
use crate::model::Identity;
use crate::model::operation::{Operation, is_key_quarantine};

/// Why there is nothing to undo.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UndoError {
    #[error("no action {0} in the journal")]
    NotFound(String),
    #[error("action {0} was never executed: there is nothing to undo")]
    NotExecuted(String),
    #[error("no executed {0} action in the journal")]
    NoneOfKind(&'static str),
}

/// The plan and step outcomes of one action, gathered from every session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    pub plan: Plan,
    pub outcomes: Vec<(usize, Outcome)>,
    /// Inverses of what steps actually sent, where they differ from the plan's (latest last).
    pub sent_inverses: Vec<(usize, Operation)>,
    /// Whether any step was sent (its intent journaled), even if no outcome followed.
    pub sent: bool,
    /// Steps whose intent is journaled: sent, whatever came of it.
    pub intended: Vec<usize>,
    /// Steps sent by a session that stopped before journaling their outcome: AWS may hold
    /// their change whatever a later run reports (a resumed run finds them done and skips).
    pub unanswered: Vec<usize>,
}

/// Finds an action's plan and outcomes across all sessions.
pub fn find_action(logs: &[SessionLog], action_id: &str) -> Option<ActionRecord> {
    let mut plan = None;
    let mut outcomes = Vec::new();
    let mut sent_inverses = Vec::new();
    let mut intended = Vec::new();
    let mut unanswered = Vec::new();
    for log in logs {
        let mut intents = Vec::new();
        for record in &log.records {
            match &record.entry {
                Entry::StepIntent {
                    action_id: id,
                    index,
                    ..
                } if id == action_id => {
                    intents.push(*index);
                    intended.push(*index);
                }
                Entry::StepOutcome {
                    action_id: id,
                    index,
                    ..
                } if id == action_id => intents.retain(|i| i != index),
                _ => {}
            }
        }
        unanswered.extend(intents);
    }
    for record in logs.iter().flat_map(|l| &l.records) {
        match &record.entry {
            Entry::PlanShown { plan: shown } if shown.action_id == action_id => {
                plan = Some((**shown).clone());
            }
            Entry::StepOutcome {
                action_id: id,
                index,
                outcome,
                inverse,
            } if id == action_id => {
                outcomes.push((*index, outcome.clone()));
                if let Some(inverse) = inverse {
                    sent_inverses.push((*index, inverse.clone()));
                }
            }
            _ => {}
        }
    }
    plan.map(|plan| ActionRecord {
        plan,
        sent: !intended.is_empty() || !outcomes.is_empty(),
        outcomes,
        sent_inverses,
        intended,
        unanswered,
    })
}

/// An action a session sent steps of (their intents are journaled) but never finished: the
/// process stopped (crash, kill) between a call and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub plan: Plan,
    /// What was typed to confirm it.
    pub typed: Option<String>,
    /// Steps with an intent and no outcome.
    pub missing: Vec<usize>,
}

/// Every unfinished action of `account` in the journals, oldest first: confirmed (or with steps
/// sent) and never finished, by a session that no longer runs. Running its plan again finishes
/// it: steps already done report `skipped`. Actions of live sessions (another terminal, this
/// process) and of other accounts are never offered.
///
/// A refusal (read-only) ends only the attempt of its own session, which sent nothing: an
/// action an earlier session left unfinished stays unfinished when resuming it is refused.
pub fn unfinished(logs: &[SessionLog], account: &str) -> Vec<Unfinished> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut order: Vec<String> = Vec::new();
    let mut finished = BTreeSet::new();
    // Actions with an attempt (a confirmation or a step sent) its session did not refuse.
    let mut open = BTreeSet::new();
    let mut live = BTreeSet::new();
    let mut typed: BTreeMap<String, Option<String>> = BTreeMap::new();
    for log in logs {
        let mut attempts = BTreeSet::new();
        let mut refused = BTreeSet::new();
        for record in &log.records {
            let started = match &record.entry {
                Entry::Confirmed {
                    action_id,
                    typed: text,
                    ..
                } => {
                    typed.insert(action_id.clone(), text.clone());
                    Some(action_id)
                }
                Entry::StepIntent { action_id, .. } => Some(action_id),
                Entry::ActionFinished { action_id, .. } => {
                    finished.insert(action_id.clone());
                    None
                }
                Entry::Refused { action_id, .. } => {
                    refused.insert(action_id.clone());
                    None
                }
                _ => None,
            };
            if let Some(action_id) = started {
                attempts.insert(action_id.clone());
                if log.live {
                    live.insert(action_id.clone());
                }
                if !order.contains(action_id) {
                    order.push(action_id.clone());
                }
            }
        }
        open.extend(attempts.difference(&refused).cloned());
    }
    order
        .into_iter()
        .filter(|id| open.contains(id) && !finished.contains(id) && !live.contains(id))
        .filter_map(|id| {
            let action = find_action(logs, &id)?;
            if action.plan.account.id != account {
                return None;
            }
            let missing: Vec<usize> = action
                .plan
                .steps
                .iter()
                .map(|s| s.index)
                .filter(|index| !action.outcomes.iter().any(|(i, _)| i == index))
                .collect();
            (!missing.is_empty()).then(|| Unfinished {
                typed: typed.get(&id).cloned().flatten(),
                plan: action.plan,
                missing,
            })
        })
        .collect()
}

/// The executed freezes that no executed unfreeze has covered yet, oldest first.
pub fn pending_freezes(logs: &[SessionLog]) -> Result<Vec<String>, UndoError> {
    let executed = |id: &str| find_action(logs, id).is_some_and(|a| a.sent);
    // An unfreeze covers its freezes only if none of its steps failed: re-running it then
    // retries the rest.
    let clean = |id: &str| {
        find_action(logs, id).is_some_and(|a| {
            !a.outcomes.is_empty()
                && !a
                    .outcomes
                    .iter()
                    .any(|(_, o)| matches!(o, Outcome::Failed { .. }))
        })
    };
    let mut freezes = Vec::new();
    let mut unfrozen = Vec::new();
    for record in logs.iter().flat_map(|l| &l.records) {
        if let Entry::PlanShown { plan } = &record.entry {
            match &plan.playbook {
                Playbook::Freeze if executed(&plan.action_id) => {
                    freezes.push(plan.action_id.clone())
                }
                Playbook::Unfreeze { of } if clean(&plan.action_id) => unfrozen.extend(of.clone()),
                _ => {}
            }
        }
    }
    freezes.retain(|id| !unfrozen.contains(id));
    if freezes.is_empty() {
        Err(UndoError::NoneOfKind("freeze"))
    } else {
        Ok(freezes)
    }
}

/// Plans the inverse of action `of`.
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    logs: &[SessionLog],
    of: &str,
    guard: &Guard,
) -> Result<Plan, UndoError> {
    let (steps, notes) = inverse_steps(logs, of, guard)?;
    let mut plan = Plan::new(
        action_id,
        Playbook::Undo { of: of.to_string() },
        account,
        now,
        steps,
    );
    plan.notes = notes;
    Ok(plan)
}

/// Plans unfreeze: the inverse of every freeze in `of` (newest first).
pub fn plan_unfreeze(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    logs: &[SessionLog],
    of: &[String],
    guard: &Guard,
) -> Result<Plan, UndoError> {
    let mut steps: Vec<Step> = Vec::new();
    let mut notes = Vec::new();
    for freeze in of.iter().rev() {
        let (more, more_notes) = inverse_steps(logs, freeze, guard)?;
        // A retry plans every inverse again: what an earlier unfreeze did ends `skipped`
        // (each step reads first), and a freeze step resumed since is removed again.
        for step in more {
            if !steps
                .iter()
                .any(|s| s.operation == step.operation && s.region == step.region)
            {
                steps.push(step);
            }
        }
        notes.extend(more_notes);
    }
    let mut plan = Plan::new(
        action_id,
        Playbook::Unfreeze { of: of.to_vec() },
        account,
        now,
        steps,
    );
    plan.notes = notes;
    Ok(plan)
}

/// The inverses of the steps of `of` that changed something, newest first, and notes about
/// the rest.
fn inverse_steps(
    logs: &[SessionLog],
    of: &str,
    guard: &Guard,
) -> Result<(Vec<Step>, Vec<String>), UndoError> {
    let action = find_action(logs, of).ok_or_else(|| UndoError::NotFound(of.to_string()))?;
    if !action.sent {
        return Err(UndoError::NotExecuted(of.to_string()));
    }
    let mut notes = Vec::new();
    let mut steps = Vec::new();
    // Only what firebreak's own calls changed is reversed. A step that ended `ok` did. A step
    // that `failed` did not: after a failed call the engine reads the state again, and a change
    // AWS holds anyway ends `ok` — so `failed` means AWS does not hold it (most failures are
    // refusals never applied), and its inverse (StopLogging, re-opening a port) could break a
    // fix someone has made by hand since. A step sent by a session that died before its outcome
    // (a crash), or one that failed after an attempt whose answer was lost and whose state could
    // not be read back, may have changed the account: its inverse is planned, and like every
    // inverse it reads the state first, so it acts only where the state still shows the change.
    // Skipped (found as wanted: someone else's doing, or nothing to do), unsupported and
    // never-sent steps changed nothing.
    // A step can have several outcomes (an action resumed after a crash reports the steps done
    // before it as skipped): one `ok`, or one failure that may have been applied, says what
    // its own call did to the account.
    let outcome_of = |index: usize| {
        let outcomes = || {
            action
                .outcomes
                .iter()
                .filter(move |(i, _)| *i == index)
                .map(|(_, o)| o)
        };
        let changed = outcomes().find(|o| {
            matches!(
                o,
                Outcome::Ok
                    | Outcome::Failed {
                        maybe_applied: true,
                        ..
                    }
            )
        });
        if changed.is_none() && action.unanswered.contains(&index) {
            return None;
        }
        changed.or_else(|| outcomes().next_back())
    };
    let mut done: Vec<&Step> = action
        .plan
        .steps
        .iter()
        .filter(|step| step.operation.changes_account())
        .filter(|step| match outcome_of(step.index) {
            Some(Outcome::Ok) => true,
            Some(Outcome::Failed { maybe_applied, .. }) => *maybe_applied,
            Some(Outcome::Skipped | Outcome::Unsupported { .. }) => false,
            None => action.intended.contains(&step.index),
        })
        .collect();
    for step in &done {
        let unsure = match outcome_of(step.index) {
            None => "has no outcome (the session stopped)",
            Some(Outcome::Failed { .. }) => {
                "failed after an attempt whose answer was lost, and its state could not be read back"
            }
            Some(_) => continue,
        };
        if step.inverse.is_some() {
            notes.push(format!(
                "step {} of {of} ({} {}) {unsure}: its inverse is planned and acts only where the state still shows the change",
                step.index, step.api, step.target,
            ));
        }
    }
    done.sort_by_key(|s| std::cmp::Reverse(s.index));
    // Phases run in reverse: what the action did last is undone first.
    let last_phase = action.plan.steps.iter().map(|s| s.phase).max().unwrap_or(0);
    // What a step actually sent, when the journal has it, is undone rather than what was planned.
    let inverse_of = |step: &Step| {
        action
            .sent_inverses
            .iter()
            .rev()
            .find(|(i, _)| *i == step.index)
            .map(|(_, inverse)| inverse.clone())
            .or_else(|| step.inverse.clone())
    };
    for step in done {
        let inverse = inverse_of(step);
        if let Some(Operation::DetachUserPolicy { policy_arn, .. }) = &inverse
            && is_key_quarantine(policy_arn)
        {
            notes.push(format!(
                "step {} of {of} is left out: it would take off {policy_arn}, AWS's quarantine of an exposed key, which firebreak never removes",
                step.index
            ));
            continue;
        }
        if let Some((kind, name)) = inverse.as_ref().and_then(Operation::denies_principal)
            && let Some(reason) = guard.exemption(kind, name, None)
        {
            notes.push(format!(
                "step {} of {of} is left out: it would deny {name}, {reason}",
                step.index
            ));
            continue;
        }
        match inverse {
            Some(inverse) => steps.push(Step::new(
                &step.region,
                last_phase - step.phase,
                inverse,
                Some(step.operation.clone()),
            )),
            None => notes.push(format!(
                "step {} of {of} ({} {}) cannot be undone",
                step.index, step.api, step.target
            )),
        }
    }
    for step in &action.plan.steps {
        match outcome_of(step.index) {
            Some(outcome @ (Outcome::Skipped | Outcome::Unsupported { .. })) => {
                notes.push(format!(
                    "step {} of {of} ended {}: nothing of it to undo",
                    step.index,
                    outcome.word()
                ))
            }
            Some(Outcome::Failed {
                maybe_applied: false,
                ..
            }) => notes.push(format!(
                "step {} of {of} ({} {}) failed and AWS did not hold its change: nothing of it to undo",
                step.index, step.api, step.target
            )),
            _ => {}
        }
    }
    Ok((steps, notes))
}

#[cfg(test)]
mod tests;
