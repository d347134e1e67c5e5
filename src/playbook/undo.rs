//! Undo: the inverse of an executed action, planned from the journal. Only steps that ended `ok`
//! are undone (a skipped step changed nothing), in reverse order; irreversible steps are named.

use chrono::{DateTime, Utc};

use super::engine::Outcome;
use super::plan::{Plan, Playbook, Step};
use crate::journal::{Entry, SessionLog};
use crate::model::Identity;

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
}

/// Finds an action's plan and outcomes across all sessions.
pub fn find_action(logs: &[SessionLog], action_id: &str) -> Option<ActionRecord> {
    let mut plan = None;
    let mut outcomes = Vec::new();
    for record in logs.iter().flat_map(|l| &l.records) {
        match &record.entry {
            Entry::PlanShown { plan: shown } if shown.action_id == action_id => {
                plan = Some((**shown).clone());
            }
            Entry::StepOutcome {
                action_id: id,
                index,
                outcome,
            } if id == action_id => outcomes.push((*index, outcome.clone())),
            _ => {}
        }
    }
    plan.map(|plan| ActionRecord { plan, outcomes })
}

/// The executed freezes that no executed unfreeze has covered yet, oldest first.
pub fn pending_freezes(logs: &[SessionLog]) -> Result<Vec<String>, UndoError> {
    let executed = |id: &str| find_action(logs, id).is_some_and(|a| !a.outcomes.is_empty());
    let mut freezes = Vec::new();
    let mut unfrozen = Vec::new();
    for record in logs.iter().flat_map(|l| &l.records) {
        if let Entry::PlanShown { plan } = &record.entry {
            match &plan.playbook {
                Playbook::Freeze if executed(&plan.action_id) => {
                    freezes.push(plan.action_id.clone())
                }
                Playbook::Unfreeze { of } if executed(&plan.action_id) => {
                    unfrozen.extend(of.clone())
                }
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
) -> Result<Plan, UndoError> {
    let (steps, notes) = inverse_steps(logs, of)?;
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
) -> Result<Plan, UndoError> {
    let mut steps: Vec<Step> = Vec::new();
    let mut notes = Vec::new();
    for freeze in of.iter().rev() {
        let (more, more_notes) = inverse_steps(logs, freeze)?;
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
fn inverse_steps(logs: &[SessionLog], of: &str) -> Result<(Vec<Step>, Vec<String>), UndoError> {
    let action = find_action(logs, of).ok_or_else(|| UndoError::NotFound(of.to_string()))?;
    if action.outcomes.is_empty() {
        return Err(UndoError::NotExecuted(of.to_string()));
    }
    let mut notes = Vec::new();
    let mut steps = Vec::new();
    let mut done: Vec<&Step> = action
        .plan
        .steps
        .iter()
        .filter(|step| {
            action
                .outcomes
                .iter()
                .any(|(index, outcome)| *index == step.index && *outcome == Outcome::Ok)
        })
        .collect();
    done.sort_by_key(|s| std::cmp::Reverse(s.index));
    for step in done {
        match &step.inverse {
            Some(inverse) => steps.push(Step::new(
                &step.region,
                0,
                inverse.clone(),
                Some(step.operation.clone()),
            )),
            None => notes.push(format!(
                "step {} of {of} ({} {}) cannot be undone",
                step.index, step.api, step.target
            )),
        }
    }
    for (index, outcome) in &action.outcomes {
        if *outcome != Outcome::Ok {
            notes.push(format!(
                "step {index} of {of} ended {}: nothing of it to undo",
                outcome.word()
            ));
        }
    }
    Ok((steps, notes))
}
