//! Accepting a finding: the thing behind it goes into the baseline file, with who accepted it
//! and when, and the journal records it. Shared by `baseline accept` and the cockpit's `a`.

use std::path::PathBuf;

use chrono::Utc;

use super::error::ServiceError;
use super::session::Session;
use firebreak_core::baseline;
use firebreak_core::journal::{Entry, Journal};
use firebreak_core::model::Identity;
use firebreak_core::model::finding::Finding;

/// Adds `finding` to the session's baseline file (which must exist) and journals it; returns
/// the baseline's path.
pub fn accept(
    session: &Session,
    journal: &Journal,
    identity: &Identity,
    finding: &Finding,
) -> Result<PathBuf, ServiceError> {
    let path = session.existing_baseline_path()?;
    let mut current = baseline::load(&path)?;
    current.check_account(&path, &identity.id)?;
    let by = identity.caller_arn.clone();
    baseline::accept(&mut current, finding, &by, Utc::now())?;
    baseline::save(&current, &path)?;
    journal.record(Entry::BaselineAccepted {
        finding: finding.id.clone(),
        kind: finding.kind,
        facts: finding.facts.clone(),
        baseline: path.clone(),
        by,
    })?;
    Ok(path)
}
