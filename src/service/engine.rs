//! The one playbook engine (TUI, CLI and game days): runs a confirmed plan phase by phase, the
//! steps of a phase concurrently, journaling each step's intent before its call and its outcome
//! after. Read-only is enforced here: no mutating call can be sent without an `Armed` token,
//! and only a non-read-only engine makes one.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::{StreamExt, stream};
use tokio::sync::Mutex;

use crate::aws::apply::{self, Applied, Armed};
use crate::aws::attempts;
use crate::aws::error::CallSite;
use crate::aws::{AwsContext, AwsError};
use firebreak_core::journal::{Entry, Journal, JournalError};
use firebreak_core::model::operation::{Operation, PrincipalKind};
use firebreak_core::playbook::plan::{Outcome, Plan, Step, StepResult};

/// Why a plan was not executed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("read-only mode: refusing to execute {0}; nothing was changed")]
    ReadOnly(String),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Executes plans against one account.
#[derive(Debug, Clone)]
pub struct Engine {
    ctx: AwsContext,
    read_only: bool,
    concurrency: usize,
}

/// Whether an error means the endpoint lacks the call, rather than that the call failed. Only
/// an emulator (`--endpoint-url`) is given that benefit: against AWS these codes are failures.
pub fn is_unsupported(error: &AwsError) -> bool {
    matches!(
        error.code.as_str(),
        "Http500"
            | "Http501"
            | "NotImplemented"
            | "InvalidAction"
            | "UnknownOperationException"
            | "UnsupportedOperation"
    )
}

impl Engine {
    pub fn new(ctx: AwsContext, read_only: bool, concurrency: usize) -> Self {
        Engine {
            ctx,
            read_only,
            concurrency: concurrency.max(1),
        }
    }

    /// Runs `plan`, calling `on_result` as each step ends. A failed step never hides the others:
    /// every step of every phase runs and reports.
    pub async fn execute(
        &self,
        plan: &Plan,
        journal: &Journal,
        mut on_result: impl FnMut(&Step, &Outcome),
    ) -> Result<Vec<StepResult>, EngineError> {
        // The responder refuses (and journals) a read-only session before this; without the
        // token nothing can be sent at all.
        let Some(armed) = Armed::unless_read_only(self.read_only) else {
            return Err(EngineError::ReadOnly(plan.action_id.clone()));
        };
        let mut results = Vec::with_capacity(plan.steps.len());
        let mut phases: Vec<u8> = plan.steps.iter().map(|s| s.phase).collect();
        phases.dedup();
        for phase in phases {
            let steps = plan.steps.iter().filter(|s| s.phase == phase);
            // A step whose prerequisites did not complete is not sent (and has no intent).
            let (ready, blocked): (Vec<&Step>, Vec<&Step>) = steps.partition(|step| {
                step.requires.iter().all(|needed| {
                    results.iter().any(|r: &StepResult| {
                        r.index == *needed && matches!(r.outcome, Outcome::Ok | Outcome::Skipped)
                    })
                })
            });
            for step in blocked {
                let site = CallSite {
                    service: &step.service,
                    operation: &step.api,
                    region: &step.region,
                };
                let error = AwsError {
                    code: "PrerequisiteFailed".to_string(),
                    message: format!("not sent: step(s) {:?} did not complete", step.requires),
                    ..site.local_error()
                };
                let outcome = conclude(
                    plan,
                    step,
                    Outcome::Failed {
                        error,
                        maybe_applied: false,
                    },
                    None,
                    journal,
                    &mut results,
                )?;
                on_result(step, outcome);
            }
            for step in &ready {
                journal.record(Entry::StepIntent {
                    action_id: plan.action_id.clone(),
                    index: step.index,
                    service: step.service.clone(),
                    region: step.region.clone(),
                    api: step.api.clone(),
                    target: step.target.clone(),
                    operation: step.operation.clone(),
                })?;
            }
            let ctx = &self.ctx;
            let armed = &armed;
            // Writes to one IAM principal go one at a time, in plan order (a fair lock per
            // principal); everything else runs side by side.
            let mut lanes: BTreeMap<(PrincipalKind, String), Arc<Mutex<()>>> = BTreeMap::new();
            // The calls are built eagerly (no closure inside the stream), so the execution is a
            // plain `Send` future a cockpit worker can spawn.
            let calls: Vec<_> = ready
                .into_iter()
                .map(|step| {
                    let lane = step.operation.principal().map(|(kind, name)| {
                        lanes
                            .entry((kind, name.to_string()))
                            .or_insert_with(|| Arc::new(Mutex::new(())))
                            .clone()
                    });
                    async move {
                        let _turn = match &lane {
                            Some(lane) => Some(lane.lock().await),
                            None => None,
                        };
                        (step, apply_with_retry(ctx, step, armed).await)
                    }
                })
                .collect();
            let mut running = stream::iter(calls).buffer_unordered(self.concurrency);
            while let Some((step, result)) = running.next().await {
                let (outcome, inverse) = match result {
                    Ok(Applied::Changed { inverse }) => (Outcome::Ok, inverse.map(|op| *op)),
                    Ok(Applied::AlreadyDone) => (Outcome::Skipped, None),
                    Err(Unconfirmed { error, .. })
                        if self.ctx.emulated() && is_unsupported(&error) =>
                    {
                        (Outcome::Unsupported { error }, None)
                    }
                    Err(Unconfirmed {
                        error,
                        maybe_applied,
                    }) => (
                        Outcome::Failed {
                            error,
                            maybe_applied,
                        },
                        None,
                    ),
                };
                let outcome = conclude(plan, step, outcome, inverse, journal, &mut results)?;
                on_result(step, outcome);
            }
        }
        results.sort_by_key(|r| r.index);
        let count = |word| results.iter().filter(|r| r.outcome.word() == word).count();
        journal.record(Entry::ActionFinished {
            action_id: plan.action_id.clone(),
            ok: count("ok"),
            skipped: count("skipped"),
            unsupported: count("unsupported"),
            failed: count("failed"),
        })?;
        Ok(results)
    }
}

/// How often a step is sent again when IAM answers `ConcurrentModification` (the SDK does not
/// retry it): each try reads the state first, so a write that went through is not repeated.
const CONCURRENT_MODIFICATION_TRIES: u32 = 4;

/// How often a step is sent again when it is still throttled after the SDK's own retries (a
/// containment of a thousand functions outruns any one call's retry budget): as above, each
/// try reads the state first.
const THROTTLED_TRIES: u32 = 5;

/// A step whose change was not confirmed made: the last error, and whether one of its attempts
/// may have been applied all the same (the state could not be read back to tell).
struct Unconfirmed {
    error: AwsError,
    maybe_applied: bool,
}

async fn apply_with_retry(
    ctx: &AwsContext,
    step: &Step,
    armed: &Armed,
) -> Result<Applied, Unconfirmed> {
    let mut tries = 1;
    // Whether an attempt so far was applied or may have been with its answer lost (a dropped
    // connection, a timeout, a 500): only then is a change found made this step's own.
    let mut maybe_applied = false;
    loop {
        let (result, applied) =
            attempts::watched(apply::apply(ctx, &step.region, &step.operation, armed)).await;
        maybe_applied |= applied;
        match result {
            // Found made on a later try: firebreak's if an earlier attempt may have gone
            // through unseen (undo reverts it with the plan's inverse, as for a call that
            // failed but went through); after nothing but clean refusals it is someone else's
            // change, `skipped`, and undo leaves it alone. (A first try that finds it made has
            // sent nothing.)
            Ok(Applied::AlreadyDone) if maybe_applied => {
                return Ok(Applied::Changed { inverse: None });
            }
            Err(error)
                if error.code == "ConcurrentModification"
                    && tries < CONCURRENT_MODIFICATION_TRIES =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100 << tries)).await;
                tries += 1;
            }
            Err(error) if error.is_throttling() && tries < THROTTLED_TRIES => {
                // A second and more, jittered so the throttled steps do not come back together.
                let wait = 1000 * u64::from(tries) + fastrand::u64(0..1000);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                tries += 1;
            }
            // The outcome is what AWS now holds: a call that failed or timed out may still
            // have been applied (`ok`: undo then uses the plan's inverse, which is idempotent);
            // the change made after only clean refusals is someone else's (`skipped`); a change
            // still absent ends `failed`, and undo leaves it alone. When the state cannot be
            // read either, the failure says whether an attempt may have gone through.
            Err(error) => {
                return match apply::in_wanted_state(ctx, &step.region, &step.operation).await {
                    Ok(true) if maybe_applied => Ok(Applied::Changed { inverse: None }),
                    Ok(true) => Ok(Applied::AlreadyDone),
                    Ok(false) => Err(Unconfirmed {
                        error,
                        maybe_applied: false,
                    }),
                    Err(_) => Err(Unconfirmed {
                        error,
                        maybe_applied,
                    }),
                };
            }
            Ok(applied) => return Ok(applied),
        }
    }
}

/// Journals a step's outcome (with the inverse of what it sent, if known), then adds it to
/// `results`; returns the outcome as stored.
fn conclude<'r>(
    plan: &Plan,
    step: &Step,
    outcome: Outcome,
    inverse: Option<Operation>,
    journal: &Journal,
    results: &'r mut Vec<StepResult>,
) -> Result<&'r Outcome, JournalError> {
    journal.record(Entry::StepOutcome {
        action_id: plan.action_id.clone(),
        index: step.index,
        outcome: outcome.clone(),
        inverse,
    })?;
    results.push(StepResult {
        index: step.index,
        outcome,
    });
    Ok(&results[results.len() - 1].outcome)
}
