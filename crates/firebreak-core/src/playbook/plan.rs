//! Plans: the data a playbook produces and the engine executes. Every step names its service,
//! region, API operation, target and parameters, whether it can be reversed, and its inverse as
//! computed from the state read just before planning.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aws_error::AwsError;
use crate::model::operation::Operation;
use crate::model::{GLOBAL, Identity};

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The change was made.
    Ok,
    /// Already in the wanted state: nothing was sent.
    Skipped,
    /// The endpoint does not implement the call (reported, not fatal).
    Unsupported { error: AwsError },
    /// The change was not confirmed made.
    Failed {
        error: AwsError,
        /// An attempt may have been applied with its answer lost, and the state could not be
        /// read back: undo plans its inverse, which acts only where the state shows the change.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        maybe_applied: bool,
    },
}

impl Outcome {
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Skipped => "skipped",
            Outcome::Unsupported { .. } => "unsupported",
            Outcome::Failed { .. } => "failed",
        }
    }

    /// What an operator must know beyond the word: a failed step may have gone through.
    pub fn caveat(&self) -> &'static str {
        match self {
            Outcome::Failed {
                maybe_applied: true,
                ..
            } => " — may have gone through (its answer was lost); undo checks and reverts it",
            _ => "",
        }
    }
}

/// A step's number and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    pub index: usize,
    pub outcome: Outcome,
}

/// What a step does to the account, in the order a confirmation leads with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepKind {
    /// Changes the account and cannot be undone.
    Irreversible,
    /// Changes the account; undo reverses it.
    Reversible,
    /// Changes nothing (evidence is read and saved locally).
    ReadsOnly,
}

impl StepKind {
    /// How a summary names the kind (nothing for the ordinary, reversible change).
    pub fn label(self) -> &'static str {
        match self {
            StepKind::Irreversible => " IRREVERSIBLE",
            StepKind::Reversible => "",
            StepKind::ReadsOnly => " (reads only)",
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub index: usize,
    pub service: String,
    pub region: String,
    pub api: String,
    pub target: String,
    pub operation: Operation,
    /// Steps run phase by phase; steps of one phase run concurrently.
    pub phase: u8,
    pub reversible: bool,
    /// What undoes this step, from the state read before planning; `None` when irreversible
    /// or when there is nothing to undo.
    pub inverse: Option<Operation>,
    /// Steps (by index) that must end `ok` or `skipped` before this one is sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<usize>,
}

impl Step {
    /// A step for `operation` in `region` (`global` for IAM).
    pub fn new(region: &str, phase: u8, operation: Operation, inverse: Option<Operation>) -> Self {
        Step {
            index: 0,
            service: operation.service().to_string(),
            region: region.to_string(),
            api: operation.api().to_string(),
            target: operation.target(),
            reversible: inverse.is_some(),
            inverse,
            phase,
            operation,
            requires: Vec::new(),
        }
    }

    /// What the step does to the account: for summaries, what cannot be undone first.
    pub fn kind(&self) -> StepKind {
        match (&self.inverse, self.operation.changes_account()) {
            (_, false) => StepKind::ReadsOnly,
            (None, true) => StepKind::Irreversible,
            (Some(_), true) => StepKind::Reversible,
        }
    }

    /// A step that cannot be undone.
    pub fn irreversible(region: &str, phase: u8, operation: Operation) -> Self {
        Step::new(region, phase, operation, None)
    }

    pub fn global(phase: u8, operation: Operation, inverse: Option<Operation>) -> Self {
        Step::new(GLOBAL, phase, operation, inverse)
    }
}

/// Which playbook made a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum Playbook {
    DisableUser {
        users: Vec<String>,
    },
    /// Single access keys (of users that are otherwise left alone).
    DisableKey {
        keys: Vec<String>,
    },
    DisableRole {
        roles: Vec<String>,
    },
    ContainFunctions {
        functions: Vec<String>,
        delete: bool,
    },
    RevertSharing,
    /// Buckets and databases shielded from a wipe in progress.
    ProtectData,
    Freeze,
    /// One countermeasure (restore-logging, close-ingress, …) on its targets (`REGION/ID`).
    Countermeasure {
        measure: super::measure::Countermeasure,
        targets: Vec<String>,
    },
    /// Several playbooks confirmed as one action (one key on a mixed selection).
    Several {
        playbooks: Vec<Playbook>,
    },
    /// The inverse of an executed action.
    Undo {
        of: String,
    },
    /// The inverse of the executed freezes no unfreeze has covered yet.
    Unfreeze {
        of: Vec<String>,
    },
}

impl fmt::Display for Playbook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Playbook::DisableUser { users } => write!(f, "disable-user {}", users.join(" ")),
            Playbook::DisableKey { keys } => write!(f, "disable-key {}", keys.join(" ")),
            Playbook::DisableRole { roles } => write!(f, "disable-role {}", roles.join(" ")),
            Playbook::ContainFunctions { functions, delete } => write!(
                f,
                "contain-functions {}{}",
                functions.join(" "),
                if *delete { " --delete" } else { "" }
            ),
            Playbook::RevertSharing => f.write_str("revert-sharing"),
            Playbook::ProtectData => f.write_str("protect-data"),
            Playbook::Freeze => f.write_str("freeze"),
            Playbook::Countermeasure { measure, targets } => {
                write!(f, "{measure} {}", targets.join(" "))
            }
            Playbook::Several { playbooks } => {
                let names: Vec<String> = playbooks.iter().map(Playbook::to_string).collect();
                f.write_str(&names.join(" + "))
            }
            Playbook::Undo { of } => write!(f, "undo {of}"),
            Playbook::Unfreeze { of } => write!(f, "unfreeze {}", of.join(" ")),
        }
    }
}

/// A principal the plan leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exempt {
    pub principal: String,
    pub reason: String,
}

/// What a playbook would do, before anything is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Unique id; `firebreak undo ACTION_ID` finds the action by it.
    pub action_id: String,
    pub playbook: Playbook,
    pub account: Identity,
    pub created: DateTime<Utc>,
    pub steps: Vec<Step>,
    pub exempt: Vec<Exempt>,
    /// Things the operator should know: irreversible steps, targets already contained.
    pub notes: Vec<String>,
    /// What must be typed to confirm, beyond `--execute` (freeze: the account id or alias).
    pub confirm_with: Option<Vec<String>>,
    /// What could not be read while gathering targets (`lambda ListFunctions in eu-west-1:
    /// AccessDenied …`): the plan may miss what is there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

impl Plan {
    /// Whether `typed` confirms this plan: it is one of the texts the plan needs typed, or the
    /// plan needs nothing typed. The one place a typed confirmation is judged.
    pub fn accepts(&self, typed: Option<&str>) -> bool {
        match &self.confirm_with {
            None => true,
            Some(accepted) => typed.is_some_and(|t| accepted.iter().any(|a| a == t)),
        }
    }

    /// The steps counted by API and kind: irreversible first, then reversible changes, then
    /// reads; the most numerous first within a kind.
    pub fn tally(&self) -> Vec<(usize, &str, StepKind)> {
        let mut counts: Vec<(usize, &str, StepKind)> = Vec::new();
        for step in &self.steps {
            let kind = step.kind();
            match counts
                .iter_mut()
                .find(|(_, api, k)| *api == step.api && *k == kind)
            {
                Some((count, _, _)) => *count += 1,
                None => counts.push((1, &step.api, kind)),
            }
        }
        counts.sort_by(|a, b| a.2.cmp(&b.2).then(b.0.cmp(&a.0)).then(a.1.cmp(b.1)));
        counts
    }

    /// [`Plan::tally`] in one line: `17 × DeleteFunction IRREVERSIBLE · 17 × GetFunction (reads only)`.
    pub fn tally_line(&self) -> String {
        self.tally()
            .iter()
            .map(|(count, api, kind)| format!("{count} × {api}{}", kind.label()))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Numbers the steps in order.
    pub fn new(
        action_id: String,
        playbook: Playbook,
        account: Identity,
        created: DateTime<Utc>,
        mut steps: Vec<Step>,
    ) -> Self {
        steps.sort_by_key(|s| s.phase);
        for (index, step) in steps.iter_mut().enumerate() {
            step.index = index + 1;
        }
        Plan {
            action_id,
            playbook,
            account,
            created,
            steps,
            exempt: Vec::new(),
            notes: Vec::new(),
            confirm_with: None,
            unread: Vec::new(),
        }
    }

    /// Adds `step` after the others (same or later phase), numbered next.
    pub fn push(&mut self, mut step: Step) {
        step.index = self.steps.len() + 1;
        self.steps.push(step);
    }

    /// One plan doing what each of `plans` does (the cockpit's one key on a mixed selection):
    /// steps in phase order, renumbered, prerequisites following their steps.
    pub fn merge(plans: Vec<Plan>) -> Option<Plan> {
        if plans.len() <= 1 {
            return plans.into_iter().next();
        }
        let first = &plans[0];
        let (action_id, account, created) = (
            first.action_id.clone(),
            first.account.clone(),
            first.created,
        );
        let mut steps: Vec<(usize, Step)> = plans
            .iter()
            .enumerate()
            .flat_map(|(n, plan)| plan.steps.iter().map(move |s| (n, s.clone())))
            .collect();
        steps.sort_by_key(|(_, s)| s.phase);
        let renumbered: Vec<((usize, usize), usize)> = steps
            .iter()
            .enumerate()
            .map(|(i, (n, s))| ((*n, s.index), i + 1))
            .collect();
        let new_index = |n: usize, old: usize| {
            renumbered
                .iter()
                .find(|(key, _)| *key == (n, old))
                .map(|(_, new)| *new)
        };
        let steps: Vec<Step> = steps
            .iter()
            .map(|(n, step)| {
                let mut step = step.clone();
                step.requires = step
                    .requires
                    .iter()
                    .filter_map(|old| new_index(*n, *old))
                    .collect();
                step.index = new_index(*n, step.index).unwrap_or(step.index);
                step
            })
            .collect();
        Some(Plan {
            action_id,
            playbook: Playbook::Several {
                playbooks: plans.iter().map(|p| p.playbook.clone()).collect(),
            },
            account,
            created,
            steps,
            exempt: plans.iter().flat_map(|p| p.exempt.clone()).collect(),
            notes: plans.iter().flat_map(|p| p.notes.clone()).collect(),
            unread: plans.iter().flat_map(|p| p.unread.clone()).collect(),
            // Every word any part needs typed is accepted only if all parts accept it.
            confirm_with: {
                let needed: Vec<&Vec<String>> = plans
                    .iter()
                    .filter_map(|p| p.confirm_with.as_ref())
                    .collect();
                needed.first().map(|first| {
                    first
                        .iter()
                        .filter(|word| needed.iter().all(|n| n.contains(word)))
                        .cloned()
                        .collect()
                })
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::operation::Operation;

    fn plan(playbook: Playbook, steps: Vec<Step>) -> Plan {
        Plan::new(
            "s-1".into(),
            playbook,
            Identity {
                id: "123456789012".into(),
                alias: None,
                caller_arn: "arn:aws:iam::123456789012:user/jo".into(),
            },
            Utc::now(),
            steps,
        )
    }

    #[test]
    fn a_tally_leads_with_what_cannot_be_undone() {
        let function = |name: &str| name.to_string();
        let mut steps = Vec::new();
        for name in ["a", "b"] {
            steps.push(Step::new(
                "eu-west-1",
                0,
                Operation::PutFunctionConcurrency {
                    function: function(name),
                    reserved: 0,
                },
                Some(Operation::DeleteFunctionConcurrency {
                    function: function(name),
                }),
            ));
            steps.push(Step::irreversible(
                "eu-west-1",
                1,
                Operation::DeleteFunction {
                    function: function(name),
                    evidence: None,
                },
            ));
        }
        steps.push(Step::global(
            0,
            Operation::DeleteLoginProfile {
                user: "mallory".into(),
            },
            None,
        ));
        let plan = plan(
            Playbook::ContainFunctions {
                functions: Vec::new(),
                delete: true,
            },
            steps,
        );
        assert_eq!(
            plan.tally_line(),
            "2 × DeleteFunction IRREVERSIBLE · 1 × DeleteLoginProfile IRREVERSIBLE · 2 × PutFunctionConcurrency"
        );
        let kind_of = |api: &str| plan.steps.iter().find(|s| s.api == api).map(Step::kind);
        assert_eq!(
            kind_of("PutFunctionConcurrency"),
            Some(StepKind::Reversible)
        );
        assert_eq!(kind_of("DeleteFunction"), Some(StepKind::Irreversible));
    }

    #[test]
    fn only_a_failure_that_may_have_gone_through_says_so() {
        let failed = |maybe_applied| Outcome::Failed {
            error: AwsError {
                service: "lambda".into(),
                operation: "PutFunctionConcurrency".into(),
                region: "eu-west-1".into(),
                code: "ServiceException".into(),
                message: "internal error".into(),
                request_id: None,
                http_status: Some(500),
                subject: None,
            },
            maybe_applied,
        };
        assert!(failed(true).caveat().contains("undo checks"));
        for quiet in [failed(false), Outcome::Ok, Outcome::Skipped] {
            assert_eq!(quiet.caveat(), "", "{quiet:?}");
        }
        // The flag is journaled only when raised: older journals read as before.
        let json = serde_json::to_string(&failed(false)).expect("json");
        assert!(!json.contains("maybe_applied"), "{json}");
        let back: Outcome =
            serde_json::from_str(&serde_json::to_string(&failed(true)).expect("json"))
                .expect("read back");
        assert_eq!(back, failed(true));
    }

    #[test]
    fn merged_plans_keep_phase_order_and_prerequisites_follow_their_steps() {
        let user = plan(
            Playbook::DisableUser {
                users: vec!["u".into()],
            },
            vec![Step::global(
                0,
                Operation::DeleteLoginProfile { user: "u".into() },
                None,
            )],
        );
        let mut functions = plan(
            Playbook::ContainFunctions {
                functions: vec!["r/f".into()],
                delete: true,
            },
            vec![
                Step::new(
                    "r",
                    0,
                    Operation::CaptureFunctionEvidence {
                        function: "f".into(),
                        directory: "/ev".into(),
                    },
                    None,
                ),
                Step::irreversible(
                    "r",
                    1,
                    Operation::DeleteFunction {
                        function: "f".into(),
                        evidence: None,
                    },
                ),
            ],
        );
        functions.steps[1].requires = vec![1];
        functions.confirm_with = Some(vec!["delete".into()]);
        let merged = Plan::merge(vec![functions, user]).expect("two plans");
        let order: Vec<(usize, &str, Vec<usize>)> = merged
            .steps
            .iter()
            .map(|s| (s.index, s.api.as_str(), s.requires.clone()))
            .collect();
        assert_eq!(
            order,
            [
                (1, "GetFunction", vec![]),
                (2, "DeleteLoginProfile", vec![]),
                (3, "DeleteFunction", vec![1]),
            ]
        );
        assert_eq!(merged.confirm_with, Some(vec!["delete".to_string()]));
        assert_eq!(
            merged.playbook.to_string(),
            "contain-functions r/f --delete + disable-user u"
        );
    }

    #[test]
    fn a_plan_accepts_only_one_of_its_texts_typed_exactly_or_anything_when_it_needs_none() {
        let mut plan = Plan::new(
            "a1".into(),
            Playbook::Freeze,
            Identity {
                id: "123456789012".into(),
                alias: None,
                caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
            },
            Utc::now(),
            Vec::new(),
        );
        assert!(plan.accepts(None));
        assert!(plan.accepts(Some("anything")));
        plan.confirm_with = Some(vec!["123456789012".into(), "prod".into()]);
        assert!(plan.accepts(Some("123456789012")));
        assert!(plan.accepts(Some("prod")));
        for wrong in [
            None,
            Some(""),
            Some("Prod"),
            Some("prod "),
            Some("12345678901"),
        ] {
            assert!(!plan.accepts(wrong), "{wrong:?}");
        }
    }
}
