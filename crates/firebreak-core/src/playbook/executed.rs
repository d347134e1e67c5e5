//! What an executed plan did, read from the plan and its step outcomes: which findings it
//! contained, whether it undid another action, which functions' evidence it saved, which
//! regions to read again. Every front end (the cockpit, the CLI, game-day scoring) asks here.

use std::collections::{BTreeMap, BTreeSet};

use super::plan::{Outcome, Plan, Playbook};
use crate::model::GLOBAL;
use crate::model::finding::Finding;
use crate::model::operation::Operation;

/// A plan and the outcomes of the steps that have ended (by step index).
#[derive(Debug, Clone, Copy)]
pub struct Executed<'a> {
    pub plan: &'a Plan,
    pub outcomes: &'a BTreeMap<usize, Outcome>,
}

impl Executed<'_> {
    /// How many steps ended with `word` (`ok`, `skipped`, `unsupported`, `failed`).
    pub fn count(&self, word: &str) -> usize {
        self.outcomes.values().filter(|o| o.word() == word).count()
    }

    /// Whether any step may have changed the account: ended ok, or failed (a call AWS applied
    /// can still time out). Then it can be undone.
    pub fn may_have_changed(&self) -> bool {
        self.outcomes
            .values()
            .any(|o| matches!(o, Outcome::Ok | Outcome::Failed { .. }))
    }

    /// Whether `finding` is contained: every step that changes its resource ended ok or
    /// skipped (an exempt principal has no step: it is not contained).
    pub fn contains(&self, finding: &Finding) -> bool {
        let mut steps = self
            .plan
            .steps
            .iter()
            .filter(|s| {
                s.operation.changes_account()
                    && s.region == finding.region
                    && s.operation
                        .touches(finding.resource_type, &finding.resource_id)
            })
            .peekable();
        steps.peek().is_some()
            && steps.all(|s| {
                matches!(
                    self.outcomes.get(&s.index),
                    Some(Outcome::Ok | Outcome::Skipped)
                )
            })
    }

    /// The action this one undid, when it is an undo whose every step ended without failing.
    pub fn undid(&self) -> Option<&str> {
        match &self.plan.playbook {
            Playbook::Undo { of }
                if self.outcomes.len() == self.plan.steps.len()
                    && self
                        .outcomes
                        .values()
                        .all(|o| !matches!(o, Outcome::Failed { .. })) =>
            {
                Some(of)
            }
            _ => None,
        }
    }

    /// The functions (region, name) whose evidence step ended ok or skipped.
    pub fn evidence_saved(&self) -> Vec<(String, String)> {
        self.plan
            .steps
            .iter()
            .filter_map(|s| match &s.operation {
                Operation::CaptureFunctionEvidence { function, .. }
                    if matches!(
                        self.outcomes.get(&s.index),
                        Some(Outcome::Ok | Outcome::Skipped)
                    ) =>
                {
                    Some((s.region.clone(), function.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// The regions the plan changes, sorted (IAM's `global` is not a region: a rescan always
    /// reads it).
    pub fn changed_regions(&self) -> Vec<String> {
        self.plan
            .steps
            .iter()
            .filter(|s| s.operation.changes_account() && s.region != GLOBAL)
            .map(|s| s.region.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests;
