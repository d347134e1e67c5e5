//! The `act`, `undo` and `log` commands: parse the request, hand it to the services (plan →
//! show → confirm → execute through the one engine, every step journaled) and print; and the
//! journal read back as an incident timeline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use crate::cli::error::CliError;
use crate::cli::report::{identity_line, print};
use crate::cli::{
    ActCommand, CounterArgs, EXIT_PARTIAL, EXIT_STEP_FAILED, ExportFormat, Format, LogCommand,
    RunArgs,
};
use crate::service::error::ServiceError;
use crate::service::protect::DataTargets;
use crate::service::request::{CounterTargets, Request, Shared, SharedTarget};
use crate::service::responder::Responder;
use firebreak_core::journal::{self, Entry, SessionLog};
use firebreak_core::playbook::contain_functions::Deletion;
use firebreak_core::playbook::countermeasure::Countermeasure;
use firebreak_core::playbook::plan::{Outcome, Plan, StepKind, StepResult};

/// Runs `firebreak act ...`.
pub async fn act(responder: &Responder, command: ActCommand) -> Result<ExitCode, CliError> {
    let (request, run, typed) = match command {
        ActCommand::DisableUser { users, run } => (Request::DisableUsers { users }, run, None),
        ActCommand::DisableKey { keys, run } => (Request::DisableKeys { keys }, run, None),
        ActCommand::DisableRole {
            roles,
            deny_known,
            run,
        } => (Request::DisableRoles { roles, deny_known }, run, None),
        ActCommand::ContainFunctions {
            targets,
            unknown,
            delete,
            delete_without_code,
            confirm,
            run,
        } => (
            Request::ContainFunctions {
                functions: targets,
                unknown,
                delete: match (delete, delete_without_code) {
                    (_, true) => Deletion::EvenWithoutCode,
                    (true, false) => Deletion::IfCodeSaved,
                    (false, false) => Deletion::Keep,
                },
            },
            run,
            confirm,
        ),
        ActCommand::RevertSharing {
            targets,
            public,
            block_public_access,
            run,
        } => (
            Request::RevertSharing {
                targets: targets
                    .iter()
                    .map(|(region, id)| SharedTarget::from_id(region, id))
                    .collect(),
                public,
                block_public_access,
            },
            run,
            None,
        ),
        ActCommand::ProtectData { targets, all, run } => {
            let mut wanted = DataTargets {
                all,
                ..DataTargets::default()
            };
            for (region, id) in &targets {
                let target = SharedTarget::from_id(region, id);
                match target.kind {
                    Shared::Database => wanted.databases.push((target.region, target.id)),
                    _ => wanted.buckets.push((target.region, target.id)),
                }
            }
            (Request::ProtectData(wanted), run, None)
        }
        ActCommand::Freeze { confirm, run } => (Request::Freeze, run, confirm),
        ActCommand::Unfreeze { run } => (Request::Unfreeze, run, None),
        ActCommand::RestoreLogging(args) => counter(Countermeasure::RestoreLogging, args),
        ActCommand::RestoreDetection(args) => counter(Countermeasure::RestoreDetection, args),
        ActCommand::CloseIngress(args) => counter(Countermeasure::CloseIngress, args),
        ActCommand::DisableRule(args) => counter(Countermeasure::DisableRule, args),
        ActCommand::DetachProfile(args) => counter(Countermeasure::DetachProfile, args),
        ActCommand::DisableApiKey(args) => counter(Countermeasure::DisableApiKey, args),
    };
    plan_and_run(responder, &request, &run, typed).await
}

/// The request, run flags and (no) typed confirmation of a countermeasure command.
fn counter(measure: Countermeasure, args: CounterArgs) -> (Request, RunArgs, Option<String>) {
    let targets = if args.all {
        CounterTargets::All
    } else {
        CounterTargets::Named(args.targets)
    };
    (Request::Countermeasure { measure, targets }, args.run, None)
}

/// Runs `firebreak undo ACTION_ID`.
pub async fn undo(responder: &Responder, of: &str, run: &RunArgs) -> Result<ExitCode, CliError> {
    let request = Request::Undo { of: of.to_string() };
    plan_and_run(responder, &request, run, None).await
}

/// Runs `firebreak resume ACTION_ID`: shows the plan of an action a stopped session left
/// unfinished and, with --execute, runs it again (steps already done end `skipped`), with what
/// was typed when it was first confirmed.
pub async fn resume(responder: &Responder, of: &str, run: &RunArgs) -> Result<ExitCode, CliError> {
    let Some(left) = responder
        .unfinished()
        .await?
        .into_iter()
        .find(|u| u.plan.action_id == of)
    else {
        return Err(ServiceError::NoSuchTarget(format!(
            "no unfinished action {of} of account {}: it finished, its session still runs, or it belongs to another account",
            responder.identity().await?.id
        ))
        .into());
    };
    responder.shown(&left.plan).await?;
    show_and_run(responder, left.plan, run, left.typed).await
}

/// Tells (on stderr) of every action a stopped session left unfinished, and how to finish it:
/// the first thing a responder should know after a crash.
async fn report_unfinished(responder: &Responder) -> Result<(), CliError> {
    for left in responder.unfinished().await? {
        // The playbook's name without its (possibly hundreds of) targets.
        let playbook = left.plan.playbook.to_string();
        let playbook = playbook.split_whitespace().next().unwrap_or_default();
        eprintln!(
            "note: action {} ({}) was interrupted: {} of its {} steps have no outcome; \
             finish it with `firebreak resume {} --execute`",
            left.plan.action_id,
            playbook,
            left.missing.len(),
            left.plan.steps.len(),
            left.plan.action_id
        );
    }
    Ok(())
}

/// Plans `request` through the responder, shows the plan, and with --execute runs it.
async fn plan_and_run(
    responder: &Responder,
    request: &Request,
    run: &RunArgs,
    typed: Option<String>,
) -> Result<ExitCode, CliError> {
    report_unfinished(responder).await?;
    let plan = responder.plan(std::slice::from_ref(request)).await?;
    show_and_run(responder, plan, run, typed).await
}

/// Prints `plan` (journaled as shown), and with --execute confirms and runs it.
async fn show_and_run(
    responder: &Responder,
    plan: Plan,
    run: &RunArgs,
    typed: Option<String>,
) -> Result<ExitCode, CliError> {
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
        return Ok(partial_or_success(&plan));
    }
    let executed = responder.execute(&plan, typed, |step, outcome| {
        if table {
            eprintln!(
                "  {:>3}  {:<11} {} {}",
                step.index,
                outcome.word(),
                step.api,
                step.target
            );
        }
    });
    let results = match executed.await {
        Ok(results) => results,
        // On the command line the text is typed with a flag: say which.
        Err(ServiceError::NotConfirmed { accepted }) => {
            return Err(ServiceError::Confirmation(format!(
                "this plan needs --confirm {}; nothing was changed",
                accepted.join(" or ")
            ))
            .into());
        }
        Err(error) => return Err(error.into()),
    };
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
        partial_or_success(&plan)
    })
}

/// Exit 4 when the targets were gathered from a scan that could not read everything.
fn partial_or_success(plan: &Plan) -> ExitCode {
    if plan.unread.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    }
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
    if !plan.unread.is_empty() {
        let _ = writeln!(
            out,
            "\nNOT READ (targets there may be missing from this plan)"
        );
        for line in &plan.unread {
            let _ = writeln!(out, "  {line}");
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
        if let Outcome::Failed { error, .. } | Outcome::Unsupported { error } = &result.outcome {
            let _ = writeln!(
                out,
                "  step {} {}: {error}{}",
                result.index,
                result.outcome.word(),
                result.outcome.caveat()
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
pub fn log(data_dir: &std::path::Path, command: LogCommand) -> Result<ExitCode, CliError> {
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
        LogCommand::Show {
            session: id,
            format,
        } => {
            let log = journal::read_one(data_dir, &id)?;
            let mut out = String::new();
            for record in &log.records {
                let line = match format {
                    Format::Json => serde_json::to_string(record)?,
                    Format::Table => readable(record),
                };
                let _ = writeln!(out, "{line}");
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

/// One journal record as a line a person reads: the time, what happened, its particulars.
fn readable(record: &firebreak_core::journal::Record) -> String {
    let what = match &record.entry {
        Entry::SessionStart {
            version,
            args,
            local_user,
            identity,
        } => format!(
            "session start   {} as {} (local user {}), firebreak {version}: {}",
            identity.id,
            identity.caller_arn,
            local_user.as_deref().unwrap_or("unknown"),
            args.join(" ")
        ),
        Entry::PlanShown { plan } => format!(
            "plan shown      {} {}: {}",
            plan.action_id,
            plan.playbook,
            plan.tally_line()
        ),
        Entry::Confirmed {
            action_id,
            local_user,
            caller_arn,
            typed,
        } => format!(
            "confirmed       {action_id} by {} as {caller_arn}{}",
            local_user.as_deref().unwrap_or("unknown"),
            typed
                .as_ref()
                .map(|t| format!(" (typed {t})"))
                .unwrap_or_default()
        ),
        Entry::Refused { action_id, reason } => {
            format!("refused         {action_id} ({reason}): nothing sent")
        }
        Entry::StepIntent {
            action_id,
            index,
            region,
            api,
            target,
            ..
        } => format!("sending         {action_id} #{index} {api} {target} [{region}]"),
        Entry::StepOutcome {
            action_id,
            index,
            outcome,
            ..
        } => match outcome {
            Outcome::Failed { error, .. } | Outcome::Unsupported { error } => format!(
                "step {:<10} {action_id} #{index}: {error}{}",
                outcome.word(),
                outcome.caveat()
            ),
            _ => format!("step {:<10} {action_id} #{index}", outcome.word()),
        },
        Entry::ActionFinished {
            action_id,
            ok,
            skipped,
            unsupported,
            failed,
        } => format!(
            "finished        {action_id}: {ok} ok, {skipped} skipped, {unsupported} unsupported, {failed} failed"
        ),
        Entry::Scanned { findings, new } => format!(
            "scan            {findings} findings, {} not shown before",
            new.len()
        ),
        Entry::CockpitClosed { keystrokes } => {
            format!("cockpit closed  after {keystrokes} keystrokes")
        }
        Entry::BaselineAccepted {
            finding,
            baseline,
            by,
            ..
        } => format!(
            "accepted        {finding} into {} by {by}",
            baseline.display()
        ),
    };
    format!("{}  {what}", record.at.format("%Y-%m-%d %H:%M:%S"))
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
    // Plans that went on to be confirmed, refused or run in this session; the others were shown
    // and cancelled (or a dry run), and sent nothing.
    let went_on: std::collections::BTreeSet<&str> = log
        .records
        .iter()
        .filter_map(|r| match &r.entry {
            Entry::Confirmed { action_id, .. }
            | Entry::Refused { action_id, .. }
            | Entry::StepIntent { action_id, .. }
            | Entry::StepOutcome { action_id, .. } => Some(action_id.as_str()),
            _ => None,
        })
        .collect();
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
                if !went_on.contains(plan.action_id.as_str()) {
                    let _ = writeln!(
                        out,
                        "**Not executed** — cancelled or a dry run: nothing of this plan was sent.\n"
                    );
                }
                for step in &plan.steps {
                    let _ = writeln!(
                        out,
                        "{}. `{}` {} in {} — {}{}",
                        step.index,
                        step.api,
                        step.target,
                        step.region,
                        step.operation.describe(),
                        match step.kind() {
                            StepKind::Irreversible => " (irreversible)",
                            // A read says so in its description.
                            StepKind::ReadsOnly | StepKind::Reversible => "",
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
                ..
            } => {
                let (api, target, region) = steps
                    .get(&(action_id.clone(), *index))
                    .cloned()
                    .unwrap_or_default();
                let (result, request_id) = match outcome {
                    Outcome::Failed { error, .. } | Outcome::Unsupported { error } => (
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
            Entry::Scanned { findings, new } => {
                table_open = false;
                let _ = writeln!(
                    out,
                    "\n**Scan** {time}: {findings} findings, {} not shown before in this session",
                    new.len()
                );
            }
            Entry::CockpitClosed { keystrokes } => {
                table_open = false;
                let _ = writeln!(
                    out,
                    "\n**Cockpit closed** {time} after {keystrokes} keystrokes"
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use firebreak_core::journal::Record;
    use firebreak_core::model::Identity;
    use firebreak_core::model::operation::Operation;
    use firebreak_core::playbook::plan::{Playbook, Step};

    fn record(entry: Entry) -> Record {
        Record {
            at: Utc::now(),
            session: "s".into(),
            entry,
        }
    }

    #[test]
    fn a_timeline_says_a_cancelled_plan_sent_nothing_and_reads_are_not_irreversible() {
        let identity = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/jo".into(),
        };
        let plan = |id: &str| {
            Plan::new(
                id.into(),
                Playbook::ContainFunctions {
                    functions: vec!["eu-west-1/miner".into()],
                    delete: true,
                },
                identity.clone(),
                Utc::now(),
                vec![
                    Step::irreversible(
                        "eu-west-1",
                        0,
                        Operation::CaptureFunctionEvidence {
                            function: "miner".into(),
                            directory: "/evidence".into(),
                        },
                    ),
                    Step::irreversible(
                        "eu-west-1",
                        1,
                        Operation::DeleteFunction {
                            function: "miner".into(),
                            evidence: None,
                        },
                    ),
                ],
            )
        };
        let log = SessionLog {
            path: "s.jsonl".into(),
            session: "s".into(),
            records: vec![
                record(Entry::PlanShown {
                    plan: Box::new(plan("cancelled")),
                }),
                record(Entry::PlanShown {
                    plan: Box::new(plan("run")),
                }),
                record(Entry::Confirmed {
                    action_id: "run".into(),
                    local_user: Some("jo".into()),
                    caller_arn: identity.caller_arn.clone(),
                    typed: Some("delete".into()),
                }),
            ],
            truncated_line: None,
            live: false,
        };
        let text = timeline_markdown(&log);
        let sections: Vec<&str> = text.split("\n## ").collect();
        assert_eq!(sections.len(), 3, "{text}");
        assert!(
            sections[1].contains("`cancelled`")
                && sections[1].contains(
                    "**Not executed** — cancelled or a dry run: nothing of this plan was sent"
                ),
            "{text}"
        );
        assert!(!sections[2].contains("Not executed"), "{text}");
        let evidence = text
            .lines()
            .find(|l| l.contains("`GetFunction`"))
            .expect("the evidence step");
        assert!(
            evidence.contains("(reads only)") && !evidence.contains("irreversible"),
            "{evidence}"
        );
        assert!(
            text.lines()
                .any(|l| l.contains("`DeleteFunction`") && l.ends_with("(irreversible)")),
            "{text}"
        );
    }
}
