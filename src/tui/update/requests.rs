//! What each playbook key asks for: the requests made from the selection or the marks, or why none.

use super::*;

/// A playbook key's requests and purpose, or why it refuses.
pub(super) type Planned = Result<(Vec<Request>, Purpose), String>;

/// Runs a playbook key: its request from the targets, or a refusal shown as a message.
pub(super) fn playbook(state: &mut State, request: fn(&State) -> Planned) -> Vec<Effect> {
    match request(state) {
        Ok((requests, purpose)) => prepare(state, requests, purpose),
        Err(reason) => {
            state.modal = Some(Modal::Message {
                title: "Not done".into(),
                lines: vec![reason],
            });
            Vec::new()
        }
    }
}

/// Ids of every finding about the same resources as `targets` (what an action contains).
pub(super) fn findings_about(
    state: &State,
    targets: &[(ResourceType, String, String)],
) -> Vec<String> {
    state
        .findings
        .iter()
        .filter(|f| {
            targets.iter().any(|(t, region, id)| {
                f.resource_type == *t && f.region == *region && f.resource_id == *id
            })
        })
        .map(|f| f.id.clone())
        .collect()
}

pub(super) fn key_owner<'a>(state: &'a State, key_id: &str) -> Option<&'a str> {
    state
        .inventory()
        .access_key(key_id)
        .map(|k| k.user.as_str())
}

/// `D`: users, single keys (of users not disabled with them) and roles.
pub(super) fn disable_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut users = Vec::new();
    let mut keys = Vec::new();
    let mut roles = Vec::new();
    for f in &targets {
        let id = f.resource_id.clone();
        match f.resource_type {
            ResourceType::User if !users.contains(&id) => users.push(id),
            ResourceType::AccessKey if !keys.contains(&id) => keys.push(id),
            ResourceType::Role if !roles.contains(&id) => roles.push(id),
            _ => {}
        }
    }
    keys.retain(|k| key_owner(state, k).is_none_or(|user| !users.iter().any(|u| u == user)));
    if users.is_empty() && keys.is_empty() && roles.is_empty() {
        return Err(refusal("D disables users, access keys and roles", &targets));
    }
    let mut about: Vec<(ResourceType, String, String)> = Vec::new();
    let mut words = Vec::new();
    let mut requests = Vec::new();
    // A user's keys are contained with it.
    about.extend(
        state
            .scan
            .inventory
            .access_keys
            .iter()
            .filter(|k| users.contains(&k.user))
            .map(|k| {
                (
                    ResourceType::AccessKey,
                    firebreak_core::model::GLOBAL.to_string(),
                    k.id.clone(),
                )
            }),
    );
    for (kind, names, word) in [
        (ResourceType::User, &users, "user"),
        (ResourceType::AccessKey, &keys, "key"),
        (ResourceType::Role, &roles, "role"),
    ] {
        about.extend(
            names
                .iter()
                .map(|n| (kind, firebreak_core::model::GLOBAL.to_string(), n.clone())),
        );
        if !names.is_empty() {
            words.push(format!("{word} {}", names.join(", ")));
        }
    }
    if !users.is_empty() {
        requests.push(Request::DisableUsers { users });
    }
    if !keys.is_empty() {
        requests.push(Request::DisableKeys { keys });
    }
    if !roles.is_empty() {
        requests.push(Request::DisableRoles {
            roles,
            deny_known: false,
        });
    }
    Ok((
        requests,
        Purpose {
            title: format!("Disable {}", words.join("; ")),
            findings: findings_about(state, &about),
            offer_delete: false,
        },
    ))
}

/// `X`: functions; one the baseline knows only when marked one by one with Space (never by
/// `*`, never by the cursor alone).
pub(super) fn contain_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut functions: Vec<(String, String)> = Vec::new();
    for f in &targets {
        if f.resource_type != ResourceType::Function {
            continue;
        }
        let target = (f.region.clone(), f.resource_id.clone());
        if !state.hand_marked.contains(&f.id) && state.knows_function(&f.region, &f.resource_id) {
            let public = f.kind == FindingKind::PublicFunction;
            return Err(format!(
                "{} in {} is a function the baseline knows: throttling it would stop production.{} Mark it by itself with Space to contain it anyway.",
                f.resource_id,
                f.region,
                if public {
                    " It is public: S removes the public access and leaves it running."
                } else {
                    ""
                }
            ));
        }
        if !functions.contains(&target) {
            functions.push(target);
        }
    }
    if functions.is_empty() {
        return Err(refusal("X contains Lambda functions", &targets));
    }
    let about: Vec<(ResourceType, String, String)> = functions
        .iter()
        .map(|(r, n)| (ResourceType::Function, r.clone(), n.clone()))
        .collect();
    Ok((
        vec![Request::ContainFunctions {
            functions: functions.clone(),
            unknown: false,
            delete: Deletion::Keep,
        }],
        Purpose {
            title: format!(
                "Contain {} function(s): {}",
                functions.len(),
                functions
                    .iter()
                    .map(|(r, n)| format!("{n} ({r})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            findings: findings_about(state, &about),
            offer_delete: true,
        },
    ))
}

/// `S`: public and shared snapshots, AMIs, functions, buckets, DB snapshots, databases open
/// to the internet, and the account's S3 block.
pub(super) fn unshare_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut shared: Vec<SharedTarget> = Vec::new();
    for target in targets.iter().filter_map(|f| SharedTarget::of_finding(f)) {
        if !shared.contains(&target) {
            shared.push(target);
        }
    }
    if shared.is_empty() {
        return Err(refusal(
            "S reverts sharing of public or shared snapshots, AMIs, functions, buckets and DB snapshots, and closes public databases",
            &targets,
        ));
    }
    let title = format!(
        "Revert sharing of {}",
        shared
            .iter()
            .map(|t| format!("{} ({})", t.id, t.region))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Only the sharing findings are contained by it: a new function stays a new function.
    let findings = state
        .findings
        .iter()
        .filter(|f| SharedTarget::of_finding(f).is_some_and(|t| shared.contains(&t)))
        .map(|f| f.id.clone())
        .collect();
    Ok((
        vec![Request::RevertSharing {
            targets: shared,
            public: false,
            block_public_access: false,
        }],
        Purpose {
            title,
            findings,
            offer_delete: false,
        },
    ))
}

/// `P`: the buckets and databases of the selected findings, shielded from a wipe in progress.
pub(super) fn protect_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut wanted = DataTargets::default();
    for finding in &targets {
        let named = (finding.region.clone(), finding.resource_id.clone());
        let list = match finding.resource_type {
            ResourceType::Bucket => &mut wanted.buckets,
            ResourceType::Database => &mut wanted.databases,
            _ => continue,
        };
        if !list.contains(&named) {
            list.push(named);
        }
    }
    if wanted.buckets.is_empty() && wanted.databases.is_empty() {
        return Err(refusal(
            "P protects buckets and databases from deletion",
            &targets,
        ));
    }
    let title = format!(
        "Protect {}",
        wanted
            .buckets
            .iter()
            .chain(&wanted.databases)
            .map(|(region, id)| format!("{id} ({region})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Nothing is contained: what was taken stays taken; what is left is kept.
    Ok((
        vec![Request::ProtectData(wanted)],
        Purpose {
            title,
            findings: Vec::new(),
            offer_delete: false,
        },
    ))
}

/// `C`: the countermeasure of each selected finding that has one, one request per
/// countermeasure, planned from the scan on screen.
pub(super) fn counter_request(state: &State) -> Planned {
    let (targets, _) = state.targets();
    let mut by_measure: BTreeMap<Countermeasure, Vec<Finding>> = BTreeMap::new();
    for finding in &targets {
        if let Some(measure) = Countermeasure::of_finding(finding) {
            by_measure
                .entry(measure)
                .or_default()
                .push((*finding).clone());
        }
    }
    if by_measure.is_empty() {
        return Err(refusal(
            "C counters stopped logging, disabled detection, open ingress, unknown rules, instance profiles and API keys",
            &targets,
        ));
    }
    let findings: Vec<String> = by_measure
        .values()
        .flatten()
        .map(|f| f.id.clone())
        .collect();
    let title = by_measure
        .iter()
        .map(|(measure, found)| {
            format!(
                "{measure} {}",
                found
                    .iter()
                    .map(|f| format!("{} ({})", f.resource_id, f.region))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let requests = by_measure
        .into_iter()
        .map(|(measure, found)| Request::Countermeasure {
            measure,
            targets: CounterTargets::Shown {
                inventory: Box::new(countermeasure::inventory_for(&found, &state.scan.inventory)),
                findings: found,
            },
        })
        .collect();
    Ok((
        requests,
        Purpose {
            title: format!("Counter: {title}"),
            findings,
            offer_delete: false,
        },
    ))
}

pub(super) fn refusal(what: &str, targets: &[&Finding]) -> String {
    match targets.first() {
        None => format!("{what}: nothing is selected"),
        Some(f) => format!(
            "{what}: the {} is a {}",
            if targets.len() > 1 {
                "marked set"
            } else {
                "selection"
            },
            f.resource_type.as_str().replace('_', " ")
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Movement
