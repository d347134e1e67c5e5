//! Plans and actions: a plan shown for confirmation, executed, each step's outcome, what an action
//! contained.

use super::*;

pub(super) fn planned(state: &mut State, ticket: u64, plan: Result<Box<Plan>, String>) {
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
pub(super) fn waiting_for(state: &mut State, ticket: u64) -> Option<&mut Modal> {
    let waiting = |m: &Modal| matches!(m, Modal::Preparing { ticket: t, .. } if *t == ticket);
    state
        .modal
        .iter_mut()
        .chain(state.queued.iter_mut())
        .find(|m| waiting(m))
}

/// The dialog that shows a plan (or why there is none), and its log line.
pub(super) fn plan_dialog(
    state: &mut State,
    purpose: Purpose,
    plan: Result<Box<Plan>, String>,
) -> Modal {
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
pub(super) fn execute(state: &mut State, confirm: Confirm) -> Vec<Effect> {
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

pub(super) fn step_done(state: &mut State, action_id: &str, index: usize, outcome: Outcome) {
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

pub(super) fn action_done(
    state: &mut State,
    action_id: &str,
    error: Option<String>,
) -> Vec<Effect> {
    let Some(position) = state
        .actions
        .iter()
        .position(|a| a.plan.action_id == action_id)
    else {
        return Vec::new();
    };
    state.actions[position].finished = true;
    let run = state.actions[position].clone();
    let executed = run.executed();
    let count = |word: &str| executed.count(word);
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
                if executed.may_have_changed() {
                    " · u undoes it"
                } else {
                    ""
                }
            ),
        ),
    }
    for id in &run.purpose.findings {
        if let Some(finding) = state.findings.iter().find(|f| f.id == *id)
            && executed.contains(finding)
        {
            state.contained.insert(id.clone(), action_id.to_string());
        }
    }
    // The counts and the grid's colours follow what is still open.
    if let Some(of) = executed.undid() {
        state.undone.insert(of.to_string());
        state.contained.retain(|_, by| by != of);
    }
    state.reindex_findings();
    let mut effects = Vec::new();
    if run.purpose.offer_delete && !state.read_only {
        let saved = executed.evidence_saved();
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
    effects.extend(rescan_regions(state, Some(executed.changed_regions())));
    effects
}

pub(super) fn prepare(state: &mut State, requests: Vec<Request>, purpose: Purpose) -> Vec<Effect> {
    let ticket = state.next_ticket;
    state.next_ticket += 1;
    show(state, Modal::Preparing { ticket, purpose });
    vec![Effect::Prepare { ticket, requests }]
}

/// Freeze's countdown: executes when it runs out.
pub(super) fn countdown(state: &mut State) -> Vec<Effect> {
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
