//! The journal witness: asked by the proxy the moment a mutating request arrives, it says
//! whether the journal already holds this call's intent — a `step_intent` for the same API in
//! the same region (`global` for IAM) and, for Lambda, the same function, with no outcome yet
//! in any session (a resumed action's outcome may be in a later session's journal).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use firebreak_core::journal::{self, Entry};

use super::fault_proxy::{Seen, Witness};

/// A witness reading the journals under `data_dir` on every mutating request.
pub fn open_intent(data_dir: PathBuf) -> Witness {
    Arc::new(move |seen: &Seen| has_open_intent(&data_dir, seen))
}

/// What a request is, as a step names it: (API, region, function for Lambda).
fn call_of(seen: &Seen) -> Option<(String, String, Option<String>)> {
    let region = if seen.service == "iam" {
        "global".to_string()
    } else {
        seen.region.clone()
    };
    // Query APIs (IAM, EC2, STS) name their action; Lambda is REST: method and path.
    let Some((method, path)) = seen.action.split_once(' ') else {
        return Some((seen.action.clone(), region, None));
    };
    let rest = path.split("/functions/").nth(1)?;
    let mut parts = rest.split('/');
    let function = parts.next()?.to_string();
    let api = match (method, parts.next(), parts.next()) {
        ("PUT", Some("concurrency"), None) => "PutFunctionConcurrency",
        ("DELETE", Some("concurrency"), None) => "DeleteFunctionConcurrency",
        ("POST", Some("policy"), None) => "AddPermission",
        ("DELETE", Some("policy"), Some(_)) => "RemovePermission",
        ("PUT", Some("url"), None) => "UpdateFunctionUrlConfig",
        ("DELETE", None, None) => "DeleteFunction",
        _ => return None,
    };
    Some((api.to_string(), region, Some(function)))
}

fn has_open_intent(data_dir: &std::path::Path, seen: &Seen) -> bool {
    let Some((api, region, function)) = call_of(seen) else {
        return false;
    };
    let Ok(logs) = journal::read_all(data_dir) else {
        return false;
    };
    // Oldest session first, each in order: the last word on a step decides whether it is open.
    let mut open: BTreeMap<(String, usize), bool> = BTreeMap::new();
    for record in logs.iter().flat_map(|log| &log.records) {
        match &record.entry {
            Entry::StepIntent {
                action_id,
                index,
                region: r,
                api: a,
                target,
                ..
            } => {
                let same_function = function
                    .as_ref()
                    .is_none_or(|name| *target == format!("function {name}"));
                open.insert(
                    (action_id.clone(), *index),
                    *a == api && *r == region && same_function,
                );
            }
            Entry::StepOutcome {
                action_id, index, ..
            } => {
                open.remove(&(action_id.clone(), *index));
            }
            _ => {}
        }
    }
    open.values().any(|matches| *matches)
}
