//! One place that turns a request into a plan. The `act` CLI, the cockpit and game days build a
//! `Request` and call `prepare`: it reads the state each playbook plans from (right before
//! planning), gathers targets (`--unknown`, `--public` scan the account) and runs the planner.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use futures::{StreamExt, stream};

pub use super::sharing::{Shared, SharedTarget};

use super::gather::{block_states, is_not_found, no_such, not_found_as_target, unread};

use super::error::ServiceError;
use super::session::{Session, scan_to_end};
use crate::aws::planning;
use firebreak_core::baseline::Holds;
use firebreak_core::findings::Windows;
use firebreak_core::journal;
use firebreak_core::model::Identity;
use firebreak_core::model::finding::{Finding, FindingKind, ResourceType, Severity};
use firebreak_core::playbook::contain_functions::{Deletion, FunctionTarget};
use firebreak_core::playbook::countermeasure::{Countermeasure, Observation};
use firebreak_core::playbook::guard::{Caller, Guard};
use firebreak_core::playbook::plan::Plan;
use firebreak_core::playbook::{
    contain_functions, countermeasure, disable_role, disable_user, freeze, undo,
};
use firebreak_core::policy::parse_principals;
use firebreak_core::scan::ScanState;

/// What a front end asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// IAM users: keys inactive, console password deleted, deny-all and revoke-older-sessions.
    DisableUsers { users: Vec<String> },
    /// Single access keys, by id: only those keys are deactivated.
    DisableKeys { keys: Vec<String> },
    /// IAM roles: deny-all and revoke-older-sessions, trust back to what the baseline trusts;
    /// a role the baseline knows whose trust was widened is not denied unless `deny_known`.
    DisableRoles {
        roles: Vec<String>,
        deny_known: bool,
    },
    /// Lambda functions (region, name); `unknown` adds every function the baseline does not
    /// know; `delete` may add a last, irreversible phase.
    ContainFunctions {
        functions: Vec<(String, String)>,
        unknown: bool,
        delete: Deletion,
    },
    /// Snapshots, AMIs, functions, buckets, DB snapshots and databases to make private again;
    /// `public` adds every public or untrusted share found by a scan.
    RevertSharing {
        targets: Vec<SharedTarget>,
        public: bool,
        block_public_access: bool,
    },
    /// Buckets and databases to shield from a wipe in progress.
    ProtectData(super::protect::DataTargets),
    /// One countermeasure on the findings it acts on among `targets`.
    Countermeasure {
        measure: Countermeasure,
        targets: CounterTargets,
    },
    /// The emergency stop.
    Freeze,
    /// The inverse of the executed freezes no unfreeze has covered.
    Unfreeze,
    /// The inverse of one executed action.
    Undo { of: String },
}

/// What a countermeasure acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterTargets {
    /// The findings about these (region, resource id), as a fresh scan finds them.
    Named(Vec<(String, String)>),
    /// Every finding the countermeasure acts on, as a fresh scan finds them.
    All,
    /// Findings a front end shows, with the inventory they were judged from (the cockpit,
    /// whose scan is on screen; the engine still reads each target's state before each call).
    Shown {
        findings: Vec<Finding>,
        inventory: Box<firebreak_core::model::Inventory>,
    },
}

/// Where a plan is made: the session, who runs it, the action id to give it and the journal
/// session (evidence goes under `DATA_DIR/evidence/SESSION/`).
pub struct Planning<'a> {
    pub session: &'a Session,
    pub identity: &'a Identity,
    pub action_id: String,
    pub journal_session: &'a str,
}

/// Reads what the request's playbook plans from, and plans it.
pub async fn prepare(at: Planning<'_>, request: &Request) -> Result<Plan, ServiceError> {
    let Planning {
        session,
        identity,
        action_id,
        journal_session,
    } = at;
    let now = Utc::now();
    let guard = Guard::new(&identity.caller_arn, &session.break_glass);
    let account = identity.clone();
    Ok(match request {
        Request::DisableUsers { users } => {
            let mut states = Vec::new();
            for user in users {
                match planning::user_state(&session.ctx, user).await? {
                    Some(state) => states.push(state),
                    None => return Err(no_such(format!("no IAM user named {user}"))),
                }
            }
            let mut plan = disable_user::plan(action_id, account, now, &states, &guard);
            // Roles the users may have assumed: their sessions outlive the keys.
            let names: Vec<String> = states.iter().map(|s| s.name.clone()).collect();
            let mut roles = Vec::new();
            for (name, _, trust) in planning::role_trusts(&session.ctx).await? {
                let root = format!(
                    "arn:{}:iam::{}:root",
                    disable_user::partition(identity),
                    identity.id
                );
                // Principal ARNs as written; a bare account id means the account's root.
                let trusted: Vec<String> = parse_principals(&trust)
                    .map(|p| {
                        let bare_account = p.accounts.contains(&identity.id)
                            && !p.arns.iter().any(|a| {
                                firebreak_core::policy::account_of_arn(a)
                                    == Some(identity.id.as_str())
                            });
                        let mut arns: Vec<String> = p.arns.into_iter().collect();
                        if bare_account {
                            arns.push(root.clone());
                        }
                        arns
                    })
                    .unwrap_or_default();
                let mentions = trusted.iter().any(|arn| {
                    names.iter().any(|u| arn.ends_with(&format!("user/{u}"))) || *arn == root
                });
                if mentions && let Some(state) = planning::role_state(&session.ctx, &name).await? {
                    roles.push((state, trusted));
                }
            }
            disable_user::revoke_assumed_sessions(&mut plan, &names, &roles, &guard, now);
            plan
        }
        Request::DisableKeys { keys } => {
            let mut states = Vec::new();
            for key in keys {
                match planning::key_state(&session.ctx, key).await? {
                    Some(state) => states.push(state),
                    None => return Err(no_such(format!("no access key {key} in the account"))),
                }
            }
            disable_user::plan_keys(action_id, account, now, &states, &guard)
        }
        Request::DisableRoles { roles, deny_known } => {
            let mut states = Vec::new();
            for role in roles {
                match planning::role_state(&session.ctx, role).await? {
                    Some(state) => states.push(state),
                    None => return Err(no_such(format!("no IAM role named {role}"))),
                }
            }
            let known = session.baseline(identity)?.map(|b| disable_role::Known {
                roles: roles
                    .iter()
                    .filter(|role| b.knows_role(role))
                    .cloned()
                    .collect(),
                trusted: b.trusted_accounts,
                deny_known: *deny_known,
            });
            disable_role::plan(action_id, account, now, &states, known.as_ref(), &guard)
        }
        Request::ContainFunctions {
            functions,
            unknown,
            delete,
        } => {
            let (targets, unread) =
                function_targets(session, identity, functions, *unknown).await?;
            let evidence_dir = session.data_dir()?.join("evidence").join(journal_session);
            let mut plan =
                contain_functions::plan(action_id, account, now, &targets, &evidence_dir, *delete);
            plan.unread = unread;
            plan
        }
        Request::RevertSharing {
            targets,
            public,
            block_public_access,
        } => {
            super::sharing::plan_revert_sharing(
                session,
                identity,
                action_id,
                targets,
                *public,
                *block_public_access,
            )
            .await?
        }
        Request::ProtectData(targets) => {
            super::protect::plan_protect_data(session, identity, action_id, targets, &guard).await?
        }
        Request::Countermeasure { measure, targets } => {
            if *targets == CounterTargets::Named(Vec::new()) {
                return Err(no_such(format!(
                    "name {measure} targets as REGION/ID (the ids `firebreak scan` shows), or pass --all"
                )));
            }
            let (findings, inventory, unread) = match targets {
                CounterTargets::Shown {
                    findings,
                    inventory,
                } => (findings.clone(), inventory.as_ref().clone(), Vec::new()),
                CounterTargets::Named(_) | CounterTargets::All => {
                    let scanned = scan_to_end(session).await?;
                    let findings =
                        session.findings(&scanned.state, identity, Windows::default())?;
                    let unread = unread(&scanned.state);
                    (findings, scanned.state.inventory, unread)
                }
            };
            let countered = |f: &&Finding| Countermeasure::of_finding(f) == Some(*measure);
            let chosen: Vec<&Finding> = match targets {
                CounterTargets::Named(named) => {
                    let chosen: Vec<&Finding> = findings
                        .iter()
                        .filter(countered)
                        .filter(|f| {
                            named
                                .iter()
                                .any(|(region, id)| f.region == *region && f.resource_id == *id)
                        })
                        .collect();
                    if let Some((region, id)) = named.iter().find(|(region, id)| {
                        !chosen
                            .iter()
                            .any(|f| f.region == *region && f.resource_id == *id)
                    }) {
                        return Err(no_such(format!(
                            "{measure} has nothing to act on at {region}/{id}: no finding it counters there (already countered, accepted, or not there)"
                        )));
                    }
                    chosen
                }
                // `--all` never takes a low finding (a disabled rule, a disabled key, a rule a
                // controller manages): those are named one by one.
                CounterTargets::All => findings
                    .iter()
                    .filter(countered)
                    .filter(|f| f.severity > Severity::Low)
                    .collect(),
                CounterTargets::Shown { .. } => findings.iter().filter(countered).collect(),
            };
            let mut plan = countermeasure::plan(
                action_id, account, now, *measure, &chosen, &inventory, &guard,
            );
            if *targets == CounterTargets::All {
                let low: Vec<String> = findings
                    .iter()
                    .filter(countered)
                    .filter(|f| f.severity <= Severity::Low)
                    .map(|f| format!("{}/{}", f.region, f.resource_id))
                    .collect();
                if !low.is_empty() {
                    plan.notes.push(format!(
                        "left out, as --all leaves every low finding: {} (name one to act on it)",
                        low.join(", ")
                    ));
                }
            }
            plan.unread = unread;
            plan
        }
        Request::Freeze => {
            if !guard.knows_caller() && !guard.has_break_glass() {
                return Err(ServiceError::Confirmation(format!(
                    "freeze refused: the caller {} is not an IAM user or role the self-lockout guard can keep out of a freeze (a federated user's own IAM user would be denied); name your way back in with break_glass in the config file",
                    identity.caller_arn
                )));
            }
            let guard = match Caller::from_arn(&identity.caller_arn) {
                Caller::Role(role) => {
                    // Who may assume the caller's role must be spared: a trust policy that
                    // cannot be read refuses the freeze rather than risk locking them out.
                    let trust = match planning::role_state(&session.ctx, &role).await? {
                        Some(state) => parse_principals(&state.trust_document)
                            .map_err(|e| {
                                ServiceError::Confirmation(format!(
                                    "freeze refused: the trust policy of your role {role} cannot be read ({e}), so the principals that assume it cannot be spared"
                                ))
                            })?
                            .arns
                            .into_iter()
                            .collect::<Vec<_>>(),
                        None => Vec::new(),
                    };
                    guard.with_caller_trust(&identity.id, &trust)
                }
                _ => guard,
            };
            let principals = planning::principals(&session.ctx).await?;
            let regions = session.enabled_regions().await?;
            let states = block_states(session, &regions).await;
            let watch = observation(session, identity, &regions, &guard).await?;
            let backups = session
                .baseline(identity)?
                .map(|baseline| baseline.buckets_holding(Holds::Backups))
                .unwrap_or_default();
            let mut plan = freeze::plan(
                action_id,
                account,
                now,
                &principals,
                &guard,
                &watch.delivery_roles,
                &states,
                watch.observation,
                &backups,
            );
            plan.unread = watch.unread;
            plan
        }
        Request::Unfreeze => {
            let logs = journal::read_all(session.data_dir()?)?;
            let of = undo::pending_freezes(&logs).map_err(|e| no_such(e.to_string()))?;
            undo::plan_unfreeze(action_id, account, now, &logs, &of, &guard)
                .map_err(|e| no_such(e.to_string()))?
        }
        Request::Undo { of } => {
            let logs = journal::read_all(session.data_dir()?)?;
            undo::plan(action_id, account, now, &logs, of, &guard)
                .map_err(|e| no_such(e.to_string()))?
        }
    })
}

/// Plans every request under one action id and merges them into one plan (the cockpit's one
/// key on a mixed selection: users, keys and roles together).
pub async fn prepare_all(at: Planning<'_>, requests: &[Request]) -> Result<Plan, ServiceError> {
    let mut plans = Vec::new();
    for request in requests {
        let planning = Planning {
            session: at.session,
            identity: at.identity,
            action_id: at.action_id.clone(),
            journal_session: at.journal_session,
        };
        plans.push(prepare(planning, request).await?);
    }
    Plan::merge(plans).ok_or_else(|| no_such("nothing to plan".to_string()))
}

/// What freeze reads to keep the account observable: the steps that turn logging and detection
/// back on in `regions` (judged as the scan's findings judge them) with notes on what no step
/// mends, the roles that deliver logs (role name → why), and what could not be read.
struct Watch {
    observation: Observation,
    delivery_roles: BTreeMap<String, String>,
    unread: Vec<String>,
}

/// Reads what [`Watch`] holds.
async fn observation(
    session: &Session,
    identity: &Identity,
    regions: &[String],
    guard: &Guard,
) -> Result<Watch, ServiceError> {
    use crate::aws::{cloudtrail, ec2, guardduty};
    use firebreak_core::scan::ItemKind;
    let reads = regions.iter().map(|region| async move {
        let (trails, detectors, flow_logs) = tokio::join!(
            cloudtrail::trails(
                &session.ctx,
                region,
                &identity.id,
                session.scan.detail_concurrency
            ),
            guardduty::detectors(&session.ctx, region),
            ec2::flow_log_roles(&session.ctx, region),
        );
        (region.clone(), trails, detectors, flow_logs)
    });
    let mut inventory = firebreak_core::model::Inventory::default();
    let mut listed = firebreak_core::scan::Listed::new();
    let mut unread = Vec::new();
    let mut delivery_roles: BTreeMap<String, String> = session
        .log_delivery_roles
        .iter()
        .map(|name| {
            (
                name.clone(),
                "named in the config's log_delivery_roles".to_string(),
            )
        })
        .collect();
    let role_name = |arn: &str| arn.rsplit('/').next().unwrap_or(arn).to_string();
    for (region, trails, detectors, flow_logs) in futures::future::join_all(reads).await {
        match flow_logs {
            Ok(flow_logs) => {
                for (id, role) in flow_logs {
                    delivery_roles
                        .entry(role_name(&role))
                        .or_insert_with(|| format!("the delivery role of flow log {id} ({region})"));
                }
            }
            Err(error) => unread.push(format!(
                "{error}: the roles flow logs deliver with there are not known, so not spared by name"
            )),
        }
        match trails {
            Ok((trails, problems)) => {
                for trail in &trails {
                    if let Some(role) = &trail.log_role {
                        delivery_roles.entry(role_name(role)).or_insert_with(|| {
                            format!(
                                "the CloudWatch Logs role of trail {} ({})",
                                trail.name, trail.region
                            )
                        });
                    }
                }
                inventory.trails.extend(trails);
                unread.extend(problems.iter().map(|e| format!("{e}: logging not judged")));
                listed.insert((region.clone(), ItemKind::Trails));
            }
            Err(error) => unread.push(format!("{error}: logging there is not restored")),
        }
        match detectors {
            Ok((detectors, problems)) => {
                inventory.detectors.extend(detectors);
                unread.extend(
                    problems
                        .iter()
                        .map(|e| format!("{e}: detection not judged")),
                );
                listed.insert((region, ItemKind::Detectors));
            }
            Err(error) => unread.push(format!("{error}: detection there is not restored")),
        }
    }
    let baseline = session.baseline(identity)?;
    let findings = firebreak_core::findings::evaluate(&firebreak_core::findings::Context {
        inventory: &inventory,
        baseline: baseline.as_ref(),
        account: identity,
        now: Utc::now(),
        windows: Windows::default(),
        listed: &listed,
    });
    Ok(Watch {
        observation: countermeasure::observation_steps(&findings, &inventory, guard),
        delivery_roles,
        unread,
    })
}

/// The functions the baseline does not know: with a baseline, every function it does not list;
/// without one, every function created or changed within the recent window (a finding says so).
pub fn unknown_functions(
    session: &Session,
    identity: &Identity,
    scanned: &ScanState,
) -> Result<BTreeSet<(String, String)>, ServiceError> {
    Ok(match session.baseline(identity)? {
        Some(baseline) => scanned
            .inventory
            .functions
            .iter()
            .filter(|f| !baseline.knows_resource(ResourceType::Function, &f.region, &f.name))
            .map(|f| (f.region.clone(), f.name.clone()))
            .collect(),
        None => session
            .findings(scanned, identity, Windows::default())?
            .iter()
            .filter(|f| {
                f.kind == FindingKind::RecentResource && f.resource_type == ResourceType::Function
            })
            .map(|f| (f.region.clone(), f.resource_id.clone()))
            .collect(),
    })
}

/// The functions to contain, with their reserved concurrency read now, and what the scan
/// behind `--unknown` could not read.
async fn function_targets(
    session: &Session,
    identity: &Identity,
    named: &[(String, String)],
    unknown: bool,
) -> Result<(Vec<FunctionTarget>, Vec<String>), ServiceError> {
    if named.is_empty() && !unknown {
        return Err(no_such(
            "name functions as REGION/NAME, or pass --unknown".to_string(),
        ));
    }
    let mut wanted: BTreeSet<(String, String)> = named.iter().cloned().collect();
    let mut missed = Vec::new();
    if unknown {
        let scanned = scan_to_end(session).await?;
        missed = unread(&scanned.state);
        wanted.extend(unknown_functions(session, identity, &scanned.state)?);
    }
    // Read side by side, as a scan reads (each region paced to AWS's rate), kept in order.
    let reads: Vec<_> = stream::iter(wanted)
        .map(|(region, name)| async move {
            let read = crate::aws::lambda::reserved_concurrency(&session.ctx, &region, &name).await;
            (region, name, read)
        })
        .buffered(session.scan.region_concurrency * session.scan.detail_concurrency)
        .collect()
        .await;
    let mut targets = Vec::new();
    for (region, name, read) in reads {
        match read {
            Ok(reserved) => targets.push(FunctionTarget {
                region,
                name,
                reserved_concurrency: reserved,
            }),
            // One function that cannot be read now (denied in its region, throttled past the
            // retry budget) is left out and named, so the others are still contained; a name
            // that does not exist, or credentials that no longer work, stop the plan.
            Err(error) if !is_not_found(&error) && !error.is_credentials_problem() => {
                missed.push(format!(
                    "function {name} in {region} is NOT in the plan: {error}"
                ));
            }
            Err(error) => {
                return Err(not_found_as_target(
                    error,
                    &format!("no function {name} in {region}"),
                ));
            }
        }
    }
    Ok((targets, missed))
}

#[cfg(test)]
mod tests;
