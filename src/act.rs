//! The `act`, `undo` and `log` commands: plan → show → confirm → execute through the one
//! playbook engine, every step journaled; and the journal read back as an incident timeline.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::ExitCode;

use chrono::Utc;

use crate::app::{AppError, Session, print, scan_to_end};
use crate::aws::actions;
use crate::cli::{ActCommand, ExportFormat, Format, LogCommand, RunArgs};
use crate::findings::{FindingKind, ResourceType, Windows};
use crate::journal::{self, Entry, Journal, SessionLog};
use crate::model::{Identity, Sharing};
use crate::playbook::contain_functions::FunctionTarget;
use crate::playbook::engine::{Engine, Outcome, StepResult};
use crate::playbook::guard::Guard;
use crate::playbook::plan::Plan;
use crate::playbook::revert_sharing::{BlockPublicAccess, SharedKind, SharedResource};
use crate::playbook::{contain_functions, disable_user, freeze, revert_sharing, undo};
use crate::report::identity_line;

/// Exit code when a step of an executed plan failed.
pub const EXIT_STEP_FAILED: u8 = 5;

/// Runs `firebreak act ...`.
pub async fn act(session: &Session, command: ActCommand) -> Result<ExitCode, AppError> {
    let (identity, _) = session.ctx.identity().await?;
    let mut journal = open_journal(session, &identity)?;
    let action_id = journal.next_action_id();
    let now = Utc::now();
    let guard = Guard::new(&identity.caller_arn, &session.break_glass);
    let (plan, run, typed) = match command {
        ActCommand::DisableUser { users, run } => {
            let mut states = Vec::new();
            for user in &users {
                match actions::user_state(&session.ctx, user).await? {
                    Some(state) => states.push(state),
                    None => {
                        return Err(AppError::NoSuchTarget(format!("no IAM user named {user}")));
                    }
                }
            }
            let plan = disable_user::plan(action_id, identity.clone(), now, &states, &guard);
            (plan, run, None)
        }
        ActCommand::ContainFunctions {
            targets,
            unknown,
            delete,
            confirm,
            run,
        } => {
            let targets = function_targets(session, &identity, &targets, unknown).await?;
            let evidence_dir = session.data_dir()?.join("evidence").join(journal.session());
            let plan = contain_functions::plan(
                action_id,
                identity.clone(),
                now,
                &targets,
                &evidence_dir,
                delete,
            );
            (plan, run, confirm)
        }
        ActCommand::RevertSharing {
            targets,
            public,
            block_public_access,
            run,
        } => {
            let plan = plan_revert_sharing(
                session,
                &identity,
                action_id,
                &targets,
                public,
                block_public_access,
            )
            .await?;
            (plan, run, None)
        }
        ActCommand::Freeze { confirm, run } => {
            let principals = actions::principals(&session.ctx).await?;
            let regions = session.enabled_regions().await?;
            let states = block_states(session, &regions).await;
            let plan = freeze::plan(
                action_id,
                identity.clone(),
                now,
                &principals,
                &guard,
                &states,
            );
            (plan, run, confirm)
        }
        ActCommand::Unfreeze { run } => {
            let logs = read_logs(session)?;
            let of =
                undo::pending_freezes(&logs).map_err(|e| AppError::NoSuchTarget(e.to_string()))?;
            let plan = undo::plan_unfreeze(action_id, identity.clone(), now, &logs, &of, &guard)
                .map_err(|e| AppError::NoSuchTarget(e.to_string()))?;
            (plan, run, None)
        }
    };
    run_plan(session, &mut journal, &identity, plan, &run, typed).await
}

/// Runs `firebreak undo ACTION_ID`.
pub async fn undo(session: &Session, of: &str, run: &RunArgs) -> Result<ExitCode, AppError> {
    let (identity, _) = session.ctx.identity().await?;
    let logs = read_logs(session)?;
    let mut journal = open_journal(session, &identity)?;
    let action_id = journal.next_action_id();
    let guard = Guard::new(&identity.caller_arn, &session.break_glass);
    let plan = undo::plan(action_id, identity.clone(), Utc::now(), &logs, of, &guard)
        .map_err(|e| AppError::NoSuchTarget(e.to_string()))?;
    run_plan(session, &mut journal, &identity, plan, run, None).await
}

fn open_journal(session: &Session, identity: &Identity) -> Result<Journal, AppError> {
    let data_dir = session.data_dir()?;
    Ok(Journal::start(
        data_dir,
        identity,
        std::env::args().collect(),
    )?)
}

fn read_logs(session: &Session) -> Result<Vec<SessionLog>, AppError> {
    Ok(journal::read_all(session.data_dir()?)?)
}

/// Block-public-access state of each region (`None` where it could not be read).
async fn block_states(
    session: &Session,
    regions: &[String],
) -> BTreeMap<String, BlockPublicAccess> {
    let reads = regions.iter().map(|region| async move {
        let (snapshots, images) = tokio::join!(
            actions::snapshot_block_public_access(&session.ctx, region),
            actions::image_block_public_access(&session.ctx, region),
        );
        (
            region.clone(),
            BlockPublicAccess {
                snapshots: snapshots.ok(),
                images: images.ok(),
            },
        )
    });
    futures::future::join_all(reads).await.into_iter().collect()
}

/// The functions to contain, with their reserved concurrency read now.
async fn function_targets(
    session: &Session,
    identity: &Identity,
    named: &[(String, String)],
    unknown: bool,
) -> Result<Vec<FunctionTarget>, AppError> {
    if named.is_empty() && !unknown {
        return Err(AppError::NoSuchTarget(
            "name functions as REGION/NAME, or pass --unknown".to_string(),
        ));
    }
    let mut wanted: BTreeSet<(String, String)> = named.iter().cloned().collect();
    if unknown {
        let scanned = scan_to_end(session).await?;
        let findings = session.findings(&scanned.state.inventory, identity, Windows::default())?;
        wanted.extend(
            findings
                .iter()
                .filter(|f| f.resource_type == ResourceType::Function)
                .map(|f| (f.region.clone(), f.resource_id.clone())),
        );
    }
    let mut targets = Vec::new();
    for (region, name) in wanted {
        let reserved = crate::aws::lambda::reserved_concurrency(&session.ctx, &region, &name)
            .await
            .map_err(|e| match e.code.as_str() {
                "ResourceNotFoundException" => {
                    AppError::NoSuchTarget(format!("no function {name} in {region}"))
                }
                _ => e.into(),
            })?;
        targets.push(FunctionTarget {
            region,
            name,
            reserved_concurrency: reserved,
        });
    }
    Ok(targets)
}

async fn plan_revert_sharing(
    session: &Session,
    identity: &Identity,
    action_id: String,
    targets: &[(String, String)],
    public: bool,
    block_public_access: bool,
) -> Result<Plan, AppError> {
    if targets.is_empty() && !public {
        return Err(AppError::NoSuchTarget(
            "name snapshots/AMIs as REGION/ID, or pass --public".to_string(),
        ));
    }
    let baseline = session.baseline(identity)?;
    let mut resources = Vec::new();
    for (region, id) in targets {
        let (kind, sharing) = if id.starts_with("snap-") {
            (
                SharedKind::Snapshot,
                actions::snapshot_sharing(&session.ctx, region, id).await?,
            )
        } else {
            (
                SharedKind::Image,
                actions::image_sharing(&session.ctx, region, id).await?,
            )
        };
        resources.push(SharedResource {
            kind,
            region: region.clone(),
            id: id.clone(),
            sharing,
        });
    }
    if public {
        let scanned = scan_to_end(session).await?;
        let findings = session.findings(&scanned.state.inventory, identity, Windows::default())?;
        let inventory = &scanned.state.inventory;
        let mut seen = BTreeSet::new();
        for finding in &findings {
            let kind = match finding.kind {
                FindingKind::PublicSnapshot | FindingKind::SharedSnapshot => SharedKind::Snapshot,
                FindingKind::PublicImage | FindingKind::SharedImage => SharedKind::Image,
                _ => continue,
            };
            if !seen.insert((finding.region.clone(), finding.resource_id.clone())) {
                continue;
            }
            let sharing: Option<&Sharing> = match kind {
                SharedKind::Snapshot => inventory
                    .snapshots
                    .iter()
                    .find(|s| s.region == finding.region && s.id == finding.resource_id)
                    .map(|s| &s.sharing),
                SharedKind::Image => inventory
                    .images
                    .iter()
                    .find(|i| i.region == finding.region && i.id == finding.resource_id)
                    .map(|i| &i.sharing),
            };
            if let Some(sharing) = sharing {
                resources.push(SharedResource {
                    kind,
                    region: finding.region.clone(),
                    id: finding.resource_id.clone(),
                    sharing: sharing.clone(),
                });
            }
        }
    }
    // Without a baseline no account can be judged: keep every account share, remove `all`.
    let trusted: BTreeSet<String> = match &baseline {
        Some(b) => b.trusted_accounts.clone(),
        None => resources
            .iter()
            .flat_map(|r| r.sharing.accounts.iter().cloned())
            .collect(),
    };
    let regions: Vec<String> = if block_public_access {
        resources
            .iter()
            .map(|r| r.region.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        Vec::new()
    };
    let block = block_states(session, &regions).await;
    let mut plan = revert_sharing::plan(
        action_id,
        identity.clone(),
        Utc::now(),
        &resources,
        &trusted,
        &block,
    );
    if baseline.is_none() {
        plan.notes.push(
            "no baseline: shares with other accounts are kept, only public sharing is removed"
                .to_string(),
        );
    }
    Ok(plan)
}

/// Shows the plan, and with --execute confirms and runs it.
async fn run_plan(
    session: &Session,
    journal: &mut Journal,
    identity: &Identity,
    plan: Plan,
    run: &RunArgs,
    typed: Option<String>,
) -> Result<ExitCode, AppError> {
    journal.record(Entry::PlanShown {
        plan: Box::new(plan.clone()),
    })?;
    let table = run.format == Format::Table;
    if table {
        print(&plan_text(&plan))?;
    }
    if !run.execute {
        if table {
            print(
                "\ndry run: nothing was changed. Run the same command with --execute to carry it out.\n",
            )?;
        } else {
            print(
                &(serde_json::to_string_pretty(&PlanOutput {
                    plan: &plan,
                    executed: false,
                    results: &[],
                })? + "\n"),
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(accepted) = &plan.confirm_with
        && !typed.as_ref().is_some_and(|t| accepted.contains(t))
    {
        return Err(AppError::Confirmation(format!(
            "this plan needs --confirm {}; nothing was changed",
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
    let results = engine
        .execute(&plan, journal, |step, outcome| {
            if table {
                eprintln!(
                    "  {:>3}  {:<11} {} {}",
                    step.index,
                    outcome.word(),
                    step.api,
                    step.target
                );
            }
        })
        .await?;
    if table {
        print(&results_text(&plan, &results))?;
    } else {
        print(
            &(serde_json::to_string_pretty(&PlanOutput {
                plan: &plan,
                executed: true,
                results: &results,
            })? + "\n"),
        )?;
    }
    let failed = results
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Failed { .. }));
    Ok(if failed {
        ExitCode::from(EXIT_STEP_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The JSON printed by `act`/`undo --format json`.
#[derive(serde::Serialize)]
struct PlanOutput<'a> {
    plan: &'a Plan,
    executed: bool,
    results: &'a [StepResult],
}

/// The plan as people read it.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "PLAN {}  {}", plan.action_id, plan.playbook);
    let _ = writeln!(out, "account {}", identity_line(&plan.account));
    if plan.steps.is_empty() {
        let _ = writeln!(out, "\nnothing to change");
    } else {
        let _ = writeln!(out, "\nSTEPS");
    }
    for step in &plan.steps {
        let _ = writeln!(
            out,
            "{:>4}. [{}] {}:{}  {}",
            step.index, step.region, step.service, step.api, step.target
        );
        let undo = match &step.inverse {
            Some(inverse) => format!("undo: {}:{}", inverse.service(), inverse.api()),
            None if !step.operation.changes_account() => "changes nothing".to_string(),
            None => "IRREVERSIBLE".to_string(),
        };
        let _ = writeln!(out, "      {} — {undo}", step.operation.describe());
    }
    if !plan.exempt.is_empty() {
        let _ = writeln!(out, "\nEXEMPT (never touched)");
        for exempt in &plan.exempt {
            let _ = writeln!(out, "  {} — {}", exempt.principal, exempt.reason);
        }
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\nNOTES");
        for note in &plan.notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    if let Some(confirm) = &plan.confirm_with {
        let _ = writeln!(
            out,
            "\nto execute, add --execute --confirm {}",
            confirm.first().map(String::as_str).unwrap_or_default()
        );
    }
    out
}

fn results_text(plan: &Plan, results: &[StepResult]) -> String {
    let mut out = String::new();
    let count = |word| results.iter().filter(|r| r.outcome.word() == word).count();
    let _ = writeln!(
        out,
        "\naction {}: {} ok, {} skipped, {} unsupported, {} failed",
        plan.action_id,
        count("ok"),
        count("skipped"),
        count("unsupported"),
        count("failed")
    );
    for result in results {
        if let Outcome::Failed { error } | Outcome::Unsupported { error } = &result.outcome {
            let _ = writeln!(
                out,
                "  step {} {}: {error}",
                result.index,
                result.outcome.word()
            );
        }
    }
    if plan.steps.iter().any(|s| s.reversible) && count("ok") > 0 {
        let _ = writeln!(
            out,
            "undo with: firebreak undo {} --execute",
            plan.action_id
        );
    }
    out
}

/// Runs `firebreak log ...`.
pub fn log(data_dir: &std::path::Path, command: LogCommand) -> Result<ExitCode, AppError> {
    match command {
        LogCommand::List => {
            let logs = journal::read_all(data_dir)?;
            let mut out = String::new();
            if logs.is_empty() {
                let _ = writeln!(out, "no sessions in {}", data_dir.join("journal").display());
            }
            for log in &logs {
                let start = log.records.first();
                let plans = count_entries(log, |e| matches!(e, Entry::PlanShown { .. }));
                let executed = count_entries(log, |e| matches!(e, Entry::ActionFinished { .. }));
                let _ = writeln!(
                    out,
                    "{}  {}  {}  {plans} plans, {executed} executed{}",
                    log.session,
                    start.map(|r| r.at.to_rfc3339()).unwrap_or_default(),
                    start
                        .and_then(|r| match &r.entry {
                            Entry::SessionStart { identity, .. } =>
                                Some(identity.caller_arn.clone()),
                            _ => None,
                        })
                        .unwrap_or_default(),
                    truncated_note(log)
                );
            }
            print(&out)?;
        }
        LogCommand::Show { session: id } => {
            let log = journal::read_one(data_dir, &id)?;
            let mut out = String::new();
            for record in &log.records {
                let _ = writeln!(out, "{}", serde_json::to_string(record)?);
            }
            print(&out)?;
            if let Some(line) = log.truncated_line {
                eprintln!(
                    "firebreak: warning: line {line} of {} was cut short (a crash while writing); shown up to it",
                    log.path.display()
                );
            }
        }
        LogCommand::Export {
            session: id,
            format,
        } => {
            let log = journal::read_one(data_dir, &id)?;
            let text = match format {
                ExportFormat::Md => timeline_markdown(&log),
                ExportFormat::Json => {
                    serde_json::to_string_pretty(&serde_json::json!({
                        "session": log.session,
                        "truncated_line": log.truncated_line,
                        "records": log.records,
                    }))? + "\n"
                }
            };
            print(&text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn count_entries(log: &SessionLog, matches: impl Fn(&Entry) -> bool) -> usize {
    log.records.iter().filter(|r| matches(&r.entry)).count()
}

fn truncated_note(log: &SessionLog) -> String {
    match log.truncated_line {
        Some(line) => format!("  (line {line} cut short by a crash)"),
        None => String::new(),
    }
}

/// One session as a Markdown incident timeline: who did what, when, with what result.
pub fn timeline_markdown(log: &SessionLog) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Incident timeline — firebreak session {}\n",
        log.session
    );
    let mut steps: BTreeMap<(String, usize), (String, String, String)> = BTreeMap::new();
    let mut table_open = false;
    for record in &log.records {
        let time = record.at.format("%Y-%m-%d %H:%M:%S UTC");
        match &record.entry {
            Entry::SessionStart {
                version,
                args,
                local_user,
                identity,
            } => {
                let _ = writeln!(
                    out,
                    "- **Started** {time} by local user `{}`",
                    local_user.as_deref().unwrap_or("unknown")
                );
                let _ = writeln!(out, "- **Account** {}", identity_line(identity));
                let _ = writeln!(out, "- **firebreak** {version}: `{}`\n", args.join(" "));
            }
            Entry::PlanShown { plan } => {
                table_open = false;
                let _ = writeln!(
                    out,
                    "\n## {time} — plan `{}`: {}\n",
                    plan.action_id, plan.playbook
                );
                for step in &plan.steps {
                    let _ = writeln!(
                        out,
                        "{}. `{}` {} in {} — {}{}",
                        step.index,
                        step.api,
                        step.target,
                        step.region,
                        step.operation.describe(),
                        if step.reversible {
                            ""
                        } else {
                            " (irreversible)"
                        }
                    );
                    steps.insert(
                        (plan.action_id.clone(), step.index),
                        (step.api.clone(), step.target.clone(), step.region.clone()),
                    );
                }
                for exempt in &plan.exempt {
                    let _ = writeln!(out, "- exempt: {} — {}", exempt.principal, exempt.reason);
                }
                for note in &plan.notes {
                    let _ = writeln!(out, "- note: {note}");
                }
            }
            Entry::Confirmed {
                action_id,
                local_user,
                caller_arn,
                typed,
            } => {
                let _ = writeln!(
                    out,
                    "\n**Confirmed** {time} by `{}` as `{caller_arn}`{} — action `{action_id}`\n",
                    local_user.as_deref().unwrap_or("unknown"),
                    typed
                        .as_ref()
                        .map(|t| format!(" (typed `{t}`)"))
                        .unwrap_or_default()
                );
                let _ = writeln!(
                    out,
                    "| time | step | API | target | region | result | request id |"
                );
                let _ = writeln!(out, "|---|---|---|---|---|---|---|");
                table_open = true;
            }
            Entry::Refused { action_id, reason } => {
                let _ = writeln!(
                    out,
                    "\n**Refused** {time}: action `{action_id}` ({reason}); nothing was changed\n"
                );
            }
            Entry::StepIntent { .. } => {}
            Entry::StepOutcome {
                action_id,
                index,
                outcome,
            } => {
                let (api, target, region) = steps
                    .get(&(action_id.clone(), *index))
                    .cloned()
                    .unwrap_or_default();
                let (result, request_id) = match outcome {
                    Outcome::Failed { error } | Outcome::Unsupported { error } => (
                        format!(
                            "{}: {} {}",
                            outcome.word(),
                            error.code,
                            error.message.replace('|', "/")
                        ),
                        error.request_id.clone().unwrap_or_default(),
                    ),
                    _ => (outcome.word().to_string(), String::new()),
                };
                if !table_open {
                    let _ = writeln!(
                        out,
                        "| time | step | API | target | region | result | request id |"
                    );
                    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
                    table_open = true;
                }
                let _ = writeln!(
                    out,
                    "| {} | {index} | `{api}` | {target} | {region} | {result} | {request_id} |",
                    record.at.format("%H:%M:%S")
                );
            }
            Entry::ActionFinished {
                action_id,
                ok,
                skipped,
                unsupported,
                failed,
            } => {
                table_open = false;
                let _ = writeln!(
                    out,
                    "\n**Finished** {time}: `{action_id}` — {ok} ok, {skipped} skipped, {unsupported} unsupported, {failed} failed"
                );
            }
            Entry::BaselineAccepted {
                finding,
                by,
                baseline,
                ..
            } => {
                table_open = false;
                let _ = writeln!(
                    out,
                    "\n**Baseline** {time}: `{finding}` accepted into {} by `{by}`",
                    baseline.display()
                );
            }
        }
    }
    if let Some(line) = log.truncated_line {
        let _ = writeln!(
            out,
            "\n> The journal's line {line} was cut short (firebreak stopped while writing it)."
        );
    }
    out
}
