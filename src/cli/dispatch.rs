//! Runs the command the user chose: the TUI, `scan`, `baseline ...`, or hands `act`, `undo` and
//! `log` to `act`. The session they share is opened by `service::session`.

use std::process::ExitCode;

use chrono::Utc;

use crate::cli::act;
use crate::cli::error::CliError;
use crate::cli::report::{self, ScanReport, print};
use crate::cli::{BaselineCommand, Cli, Command, EXIT_FINDINGS, EXIT_PARTIAL, Format, ScanArgs};
use crate::service::error::ServiceError;
use crate::service::responder::Responder;
use crate::service::session::{Session, evaluate, scan_to_end};
use crate::tui;
use firebreak_core::baseline::{self, BaselineError};
use firebreak_core::config;
use firebreak_core::journal::Journal;
use firebreak_core::scan::ScanState;

/// Runs what `cli` asks for and returns the process exit code.
pub async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    // Reading journals needs no AWS configuration at all.
    if let Some(Command::Log(command)) = cli.command {
        let data_dir = cli
            .global
            .data_dir
            .clone()
            .or_else(config::default_data_dir)
            .ok_or(ServiceError::NoPath {
                what: "data dir",
                hint: "pass --data-dir PATH",
            })?;
        return act::log(&data_dir, command);
    }
    // Game days choose (or start) their endpoint themselves; completions need nothing.
    let command = match cli.command {
        Some(Command::Gameday(command)) => {
            return crate::cli::gameday::gameday(&cli.global, command).await;
        }
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "firebreak", &mut std::io::stdout());
            return Ok(ExitCode::SUCCESS);
        }
        other => other,
    };
    let session = Session::open(&cli.global.session_options()).await?;
    let profile = session.profile.clone();
    let endpoint = session.endpoint.clone();
    dispatch(session, command)
        .await
        .map_err(|error| error.with_hints(profile.as_deref(), endpoint.as_deref()))
}

async fn dispatch(session: Session, command: Option<Command>) -> Result<ExitCode, CliError> {
    // Every input is checked before the first request: the baseline of the commands that judge.
    if matches!(
        command,
        None | Some(
            Command::Scan(_)
                | Command::Act(_)
                | Command::Baseline(BaselineCommand::Accept { .. } | BaselineCommand::Diff)
        )
    ) {
        session.check_baseline()?;
    }
    match command {
        None => {
            // On a game day's baseline the cockpit is that game day's: clock, indicators,
            // scans journaled for the scorecard.
            match gameday_run(&session) {
                Some(run) => tui::run_gameday(session, run).await,
                None => tui::run(session).await,
            }
            .map_err(CliError::Terminal)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Scan(args)) => scan_command(&session, &args).await,
        Some(Command::Baseline(command)) => baseline_command(&session, command).await,
        Some(Command::Act(command)) => act::act(&Responder::new(session), command).await,
        Some(Command::Undo { action_id, run }) => {
            act::undo(&Responder::new(session), &action_id, &run).await
        }
        Some(Command::Resume { action_id, run }) => {
            act::resume(&Responder::new(session), &action_id, &run).await
        }
        Some(Command::Log(command)) => act::log(session.data_dir()?, command),
        // Both run before a session is opened (see `run`).
        Some(Command::Gameday(_) | Command::Completions { .. }) => Ok(ExitCode::SUCCESS),
    }
}

fn partial_warning(state: &ScanState) {
    if state.is_partial() {
        eprintln!(
            "firebreak: warning: some regions or services could not be read; see the errors above or in the report"
        );
    }
}

async fn scan_command(session: &Session, args: &ScanArgs) -> Result<ExitCode, CliError> {
    let scanned = scan_to_end(session).await?;
    let baseline = session.baseline(&scanned.identity)?;
    let mut findings = evaluate(
        &scanned.state,
        &scanned.identity,
        baseline.as_ref(),
        args.windows.windows(),
    );
    if args.attribution {
        crate::service::attribution::attribute_all(&session.ctx, &mut findings).await;
    }
    let partial = scanned.state.is_partial();
    let report = ScanReport::new(
        scanned.state,
        scanned.identity.clone(),
        findings,
        baseline.as_ref().and(session.baseline_path.clone()),
        Utc::now(),
    );
    journal_gameday_scan(session, &scanned.identity, &report);
    match args.format {
        Format::Json => report::print_json(&report)?,
        Format::Table => print(&report::table(&report))?,
    }
    let over_threshold = args
        .fail_on
        .is_some_and(|threshold| report.findings.iter().any(|f| f.severity >= threshold));
    Ok(if over_threshold {
        ExitCode::from(EXIT_FINDINGS)
    } else if partial {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// The game-day run whose baseline this session uses, if any.
fn gameday_run(session: &Session) -> Option<crate::gameday::record::RunRecord> {
    let (Some(baseline), Some(data_dir)) = (&session.baseline_path, &session.data_dir) else {
        return None;
    };
    crate::gameday::record::run_of_baseline(data_dir, baseline)
}

/// During a game day (the baseline in use is a run's), a scan journals what it showed, so the
/// scorecard can tell when each indicator was first seen. Other scans journal nothing. A
/// journal that cannot be written costs only that: the scan is reported anyway.
fn journal_gameday_scan(
    session: &Session,
    identity: &firebreak_core::model::Identity,
    report: &ScanReport,
) {
    let (Some(_), Some(data_dir)) = (gameday_run(session), &session.data_dir) else {
        return;
    };
    let journaled = Journal::start(data_dir, identity, std::env::args().collect())
        .and_then(|journal| journal.record_scan(report.findings.iter().map(|f| f.id.as_str())));
    if let Err(error) = journaled {
        eprintln!("firebreak: warning: this game-day scan was not journaled: {error}");
    }
}

async fn baseline_command(
    session: &Session,
    command: BaselineCommand,
) -> Result<ExitCode, CliError> {
    match command {
        BaselineCommand::Capture { out, force } => {
            let path = match out {
                Some(path) => path,
                None => session.baseline_path()?.to_path_buf(),
            };
            if path.exists() && !force {
                return Err(BaselineError::Exists { path }.into());
            }
            let scanned = scan_to_end(session).await?;
            let captured =
                baseline::capture(&scanned.state.inventory, &scanned.identity, Utc::now());
            baseline::save(&captured, &path)?;
            partial_warning(&scanned.state);
            print(&format!(
                "captured {} users, {} roles, {} access keys, {} trusted accounts, {} regions in use into {}\nreview it: anything listed there will not be reported\n",
                captured.principals.users.len(),
                captured.principals.roles.len(),
                captured.principals.access_keys.len(),
                captured.trusted_accounts.len(),
                captured.regions_in_use.len(),
                path.display()
            ))?;
            Ok(exit_for(&scanned.state))
        }
        BaselineCommand::Accept {
            finding_id,
            windows,
        } => {
            let path = session.existing_baseline_path()?;
            let scanned = scan_to_end(session).await?;
            let current = baseline::load(&path)?;
            current.check_account(&path, &scanned.identity.id)?;
            let findings = evaluate(
                &scanned.state,
                &scanned.identity,
                Some(&current),
                windows.windows(),
            );
            let Some(finding) = findings.iter().find(|f| f.id == finding_id) else {
                let hint = if findings.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; current findings: {}",
                        findings
                            .iter()
                            .map(|f| f.id.as_str())
                            .take(10)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                return Err(BaselineError::NoSuchFinding {
                    id: finding_id,
                    hint,
                }
                .into());
            };
            let responder = Responder::with_identity(session.clone(), scanned.identity.clone());
            let path = responder.accept(finding).await?;
            let journal = responder.journal().await?;
            print(&format!(
                "accepted {} into {}\n  {}\njournal: {}\n",
                finding.id,
                path.display(),
                finding.summary,
                journal.path().display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Show => {
            let path = session.baseline_path()?;
            if !path.exists() {
                return Err(ServiceError::NoBaseline(path.to_path_buf()).into());
            }
            let shown = baseline::load(path)?;
            print(&report::baseline_summary(&shown, path))?;
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Diff => {
            let path = session.baseline_path()?.to_path_buf();
            if !path.exists() {
                return Err(ServiceError::NoBaseline(path).into());
            }
            let scanned = scan_to_end(session).await?;
            let known = baseline::load(&path)?;
            known.check_account(&path, &scanned.identity.id)?;
            let differences = baseline::diff(&known, &scanned.state.inventory);
            let mut text = format!(
                "baseline {} vs account {} now\n",
                path.display(),
                scanned.identity.id
            );
            if differences.is_empty() {
                text.push_str("no differences\n");
            }
            for d in &differences {
                text.push_str(&format!(
                    "{} {:<16} {:<16} {}\n",
                    d.change, d.what, d.region, d.id
                ));
            }
            print(&text)?;
            partial_warning(&scanned.state);
            Ok(exit_for(&scanned.state))
        }
    }
}

fn exit_for(state: &ScanState) -> ExitCode {
    if state.is_partial() {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}
