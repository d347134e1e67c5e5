//! The one responder service every front end calls to act on the account: who the caller is
//! (read once), this process's session journal (opened at first use), plan (journaled as
//! shown), execute (account, guard, typed confirmation and read-only each checked here once
//! before the engine, which enforces read-only again), refuse, accept, and the actions a
//! stopped session left unfinished. The `act` commands and the cockpit only turn input into
//! requests and show what comes back.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::accept;
use super::engine::{Engine, EngineError};
use super::error::ServiceError;
use super::request::{Planning, Request, prepare_all};
use super::session::Session;
use firebreak_core::journal::{self, Entry, Journal, SessionLog};
use firebreak_core::model::Identity;
use firebreak_core::model::finding::Finding;
use firebreak_core::playbook::guard::Guard;
use firebreak_core::playbook::plan::{Outcome, Plan, Step, StepResult};
use firebreak_core::playbook::undo::{self, Unfinished};

/// The session, its caller and its journal; cheap to clone (clones share the caller and the
/// journal).
#[derive(Clone)]
pub struct Responder {
    session: Session,
    identity: Arc<OnceCell<Identity>>,
    journal: Arc<OnceCell<Journal>>,
}

impl Responder {
    pub fn new(session: Session) -> Self {
        Responder {
            session,
            identity: Arc::new(OnceCell::new()),
            journal: Arc::new(OnceCell::new()),
        }
    }

    /// A responder for a caller already read (by the scan that came before).
    pub fn with_identity(session: Session, identity: Identity) -> Self {
        Responder {
            session,
            identity: Arc::new(OnceCell::new_with(Some(identity))),
            journal: Arc::new(OnceCell::new()),
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The caller, asked of AWS once.
    pub async fn identity(&self) -> Result<Identity, ServiceError> {
        let identity = self
            .identity
            .get_or_try_init(|| async {
                let (identity, _) = self.session.ctx.identity().await?;
                Ok::<_, ServiceError>(identity)
            })
            .await?;
        Ok(identity.clone())
    }

    /// This process's session journal, started at first use. Each record is written under its
    /// own short lock, so plans, actions and accepts never wait on one another.
    pub async fn journal(&self) -> Result<Journal, ServiceError> {
        let identity = self.identity().await?;
        let journal = self
            .journal
            .get_or_try_init(|| async {
                Ok::<_, ServiceError>(Journal::start(
                    self.session.data_dir()?,
                    &identity,
                    std::env::args().collect(),
                )?)
            })
            .await?;
        Ok(journal.clone())
    }

    /// Plans `requests` as one plan (reading what each playbook plans from, right before) and
    /// journals it as shown.
    pub async fn plan(&self, requests: &[Request]) -> Result<Plan, ServiceError> {
        let identity = self.identity().await?;
        let journal = self.journal().await?;
        let planning = Planning {
            session: &self.session,
            identity: &identity,
            action_id: journal.next_action_id(),
            journal_session: journal.session(),
        };
        let plan = prepare_all(planning, requests).await?;
        self.shown(&plan).await?;
        Ok(plan)
    }

    /// Journals that `plan`, made earlier (an unfinished action), was shown again.
    pub async fn shown(&self, plan: &Plan) -> Result<(), ServiceError> {
        Ok(self.journal().await?.record(Entry::PlanShown {
            plan: Box::new(plan.clone()),
        })?)
    }

    /// Executes a confirmed `plan` through the engine, calling `on_result` as each step ends.
    /// Refused, with nothing sent, when the plan is for another account, would deny a principal
    /// that is never touched (re-checked now: the plan may be old, or another caller's), was not
    /// confirmed with what it needs typed, or the session is read-only (journaled).
    pub async fn execute(
        &self,
        plan: &Plan,
        typed: Option<String>,
        on_result: impl FnMut(&Step, &Outcome),
    ) -> Result<Vec<StepResult>, ServiceError> {
        let identity = self.identity().await?;
        let journal = self.journal().await?;
        if plan.account.id != identity.id {
            return Err(ServiceError::Confirmation(format!(
                "plan {} is for account {}, but the credentials are for account {}; nothing was changed",
                plan.action_id, plan.account.id, identity.id
            )));
        }
        let denied = Guard::new(&identity.caller_arn, &self.session.break_glass).denied_in(plan);
        if !denied.is_empty() {
            return Err(ServiceError::Confirmation(format!(
                "plan {} would deny principals that are never touched: {}; nothing was changed",
                plan.action_id,
                denied.join(", ")
            )));
        }
        if !plan.accepts(typed.as_deref()) {
            return Err(ServiceError::NotConfirmed {
                accepted: plan.confirm_with.clone().unwrap_or_default(),
            });
        }
        journal.record(Entry::Confirmed {
            action_id: plan.action_id.clone(),
            local_user: journal::local_user(),
            caller_arn: identity.caller_arn.clone(),
            typed,
        })?;
        if self.session.read_only {
            self.refuse_read_only(&plan.action_id).await?;
            return Err(EngineError::ReadOnly(plan.action_id.clone()).into());
        }
        let engine = Engine::new(
            self.session.ctx.clone(),
            self.session.read_only,
            self.session.scan.region_concurrency,
        );
        Ok(engine.execute(plan, &journal, on_result).await?)
    }

    /// Journals that executing `action_id` was refused because the session is read-only: the
    /// one path by which a refusal reaches the journal (the cockpit refuses before asking).
    pub async fn refuse_read_only(&self, action_id: &str) -> Result<(), ServiceError> {
        Ok(self
            .journal()
            .await?
            .record(Entry::read_only_refusal(action_id))?)
    }

    /// Adds `finding` to the baseline file and journals it; returns the baseline's path.
    pub async fn accept(&self, finding: &Finding) -> Result<PathBuf, ServiceError> {
        let identity = self.identity().await?;
        let journal = self.journal().await?;
        accept::accept(&self.session, &journal, &identity, finding)
    }

    /// Every session journal in the data dir, oldest first.
    pub fn logs(&self) -> Result<Vec<SessionLog>, ServiceError> {
        Ok(journal::read_all(self.session.data_dir()?)?)
    }

    /// The caller's account's actions that stopped sessions left unfinished, oldest first.
    pub async fn unfinished(&self) -> Result<Vec<Unfinished>, ServiceError> {
        let identity = self.identity().await?;
        Ok(undo::unfinished(&self.logs()?, &identity.id))
    }
}
