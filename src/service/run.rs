//! Executing a confirmed plan: the confirmation journaled, then the one engine, every step
//! journaled before it is sent and after it returns. Shared by the CLI and the cockpit.

use super::session::{AppError, Session};
use crate::journal::{self, Entry, Journal, SessionLog};
use crate::model::Identity;
use crate::playbook::engine::Engine;
use crate::playbook::guard::Guard;
use crate::playbook::plan::{Outcome, Plan, Step, StepResult};

/// Starts this process's session journal.
pub fn open_journal(session: &Session, identity: &Identity) -> Result<Journal, AppError> {
    Ok(Journal::start(
        session.data_dir()?,
        identity,
        std::env::args().collect(),
    )?)
}

/// Every session journal in the data dir, oldest first.
pub fn read_logs(session: &Session) -> Result<Vec<SessionLog>, AppError> {
    Ok(journal::read_all(session.data_dir()?)?)
}

/// Journals that `plan` was shown to the operator.
pub fn record_plan(journal: &Journal, plan: &Plan) -> Result<(), AppError> {
    Ok(journal.record(Entry::PlanShown {
        plan: Box::new(plan.clone()),
    })?)
}

/// Journals that executing `action_id` was refused because the session is read-only (the
/// cockpit refuses before the engine is asked).
pub fn record_read_only_refusal(journal: &Journal, action_id: &str) -> Result<(), AppError> {
    Ok(journal.record(Entry::read_only_refusal(action_id))?)
}

/// Whether `typed` is what `plan` needs typed to confirm (always, when it needs nothing).
pub fn confirmation_matches(plan: &Plan, typed: Option<&str>) -> bool {
    match &plan.confirm_with {
        None => true,
        Some(accepted) => typed.is_some_and(|t| accepted.iter().any(|a| a == t)),
    }
}

/// Checks the typed confirmation, journals it, and runs `plan` through the engine, calling
/// `on_result` as each step ends. Read-only sessions are refused by the engine (journaled).
pub async fn execute(
    session: &Session,
    journal: &Journal,
    identity: &Identity,
    plan: &Plan,
    typed: Option<String>,
    on_result: impl FnMut(&Step, &Outcome),
) -> Result<Vec<StepResult>, AppError> {
    if plan.account.id != identity.id {
        return Err(AppError::Confirmation(format!(
            "plan {} is for account {}, but the credentials are for account {}; nothing was changed",
            plan.action_id, plan.account.id, identity.id
        )));
    }
    // A plan made earlier, or by another caller (a resumed one), never locks anyone out now.
    let denied = Guard::new(&identity.caller_arn, &session.break_glass).denied_in(plan);
    if !denied.is_empty() {
        return Err(AppError::Confirmation(format!(
            "plan {} would deny principals that are never touched: {}; nothing was changed",
            plan.action_id,
            denied.join(", ")
        )));
    }
    if !confirmation_matches(plan, typed.as_deref()) {
        let accepted = plan.confirm_with.clone().unwrap_or_default();
        return Err(AppError::Confirmation(format!(
            "this plan needs {} typed to confirm; nothing was changed",
            accepted.join(" or ")
        )));
    }
    journal.record(Entry::Confirmed {
        action_id: plan.action_id.clone(),
        local_user: journal::local_user(),
        caller_arn: identity.caller_arn.clone(),
        typed,
    })?;
    let engine = Engine::new(
        session.ctx.clone(),
        session.read_only,
        session.scan.region_concurrency,
    );
    Ok(engine.execute(plan, journal, on_result).await?)
}
