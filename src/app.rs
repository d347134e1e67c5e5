//! Runs the command the user chose: the TUI, `scan`, or `baseline ...`. Shared set-up (config,
//! AWS context, baseline, scan options) lives here so that every front end gets the same.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;

use crate::act;
use crate::aws::{AwsContext, AwsError, ConnectOptions};
use crate::baseline::{self, Baseline, BaselineError};
use crate::cli::{BaselineCommand, Cli, Command, Format, GlobalArgs, ScanArgs};
use crate::config::{self, Config, ConfigError};
use crate::findings::{self, Finding, Windows};
use crate::journal::{Entry, Journal, JournalError, ReadError};
use crate::model::{Identity, Inventory};
use crate::playbook::engine::EngineError;
use crate::report::{self, ScanReport};
use crate::scan::{self, RegionSelection, ScanOptions, ScanState};
use crate::tui;

/// Exit code of `scan --fail-on` when a finding is at or above the threshold.
pub const EXIT_FINDINGS: u8 = 3;
/// Exit code of a scan that finished but could not read some region or service.
pub const EXIT_PARTIAL: u8 = 4;

/// Why firebreak stopped before doing its job.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Aws(Box<AwsError>),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    #[error("terminal error: {0}")]
    Terminal(std::io::Error),
    #[error("cannot encode the report: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("no {what} path: {hint}")]
    NoPath {
        what: &'static str,
        hint: &'static str,
    },
    #[error("no baseline at {0}: run `firebreak baseline capture` first")]
    NoBaseline(PathBuf),
    #[error(transparent)]
    JournalRead(#[from] ReadError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    NoSuchTarget(String),
    #[error("{0}")]
    Confirmation(String),
}

impl From<AwsError> for AppError {
    fn from(error: AwsError) -> Self {
        AppError::Aws(Box::new(error))
    }
}

/// Everything a front end needs, resolved from flags and config.
#[derive(Debug, Clone)]
pub struct Session {
    pub ctx: AwsContext,
    pub scan: ScanOptions,
    pub read_only: bool,
    /// `--baseline`, or the default path.
    pub baseline_path: Option<PathBuf>,
    /// Whether the baseline path was given explicitly (then it must exist).
    pub baseline_explicit: bool,
    pub data_dir: Option<PathBuf>,
    /// Principals no playbook touches (`user/NAME`, `role/NAME`).
    pub break_glass: Vec<String>,
}

impl Session {
    /// Resolves flags and config, and loads the AWS configuration.
    pub async fn open(global: &GlobalArgs) -> Result<Self, AppError> {
        let config: Config = config::load(global.config.as_deref())?;
        let options = ConnectOptions {
            profile: global.profile.clone(),
            region: global.region.clone(),
            endpoint_url: global.endpoint_url.clone(),
            max_attempts: config.aws.max_attempts,
            connect_timeout: config.aws.connect_timeout(),
            attempt_timeout: config.aws.attempt_timeout(),
            operation_timeout: config.aws.operation_timeout(),
        };
        Ok(Session {
            ctx: AwsContext::load(&options).await,
            scan: ScanOptions {
                regions: global.regions.clone(),
                region_concurrency: config.scan.region_concurrency,
                detail_concurrency: config.scan.detail_concurrency,
            },
            read_only: global.read_only || config.read_only,
            baseline_path: global.baseline.clone().or_else(baseline::default_path),
            baseline_explicit: global.baseline.is_some(),
            data_dir: global.data_dir.clone().or_else(config::default_data_dir),
            break_glass: config.break_glass,
        })
    }

    /// Where journals live.
    pub fn data_dir(&self) -> Result<&Path, AppError> {
        self.data_dir.as_deref().ok_or(AppError::NoPath {
            what: "data dir",
            hint: "pass --data-dir PATH",
        })
    }

    /// The regions account-wide playbooks act in: the selected ones that are enabled.
    pub async fn enabled_regions(&self) -> Result<Vec<String>, AppError> {
        let listed = self.ctx.regions().await?;
        Ok(match &self.scan.regions {
            RegionSelection::Named(names) => names.clone(),
            RegionSelection::Enabled | RegionSelection::All => listed
                .into_iter()
                .filter(|r| r.enabled)
                .map(|r| r.name)
                .collect(),
        })
    }

    fn baseline_path(&self) -> Result<&Path, AppError> {
        self.baseline_path.as_deref().ok_or(AppError::NoPath {
            what: "baseline",
            hint: "pass --baseline PATH",
        })
    }

    /// Judges findings over `inventory` against this session's baseline (if any), as of now.
    pub fn findings(
        &self,
        inventory: &Inventory,
        identity: &Identity,
        windows: Windows,
    ) -> Result<Vec<Finding>, AppError> {
        let baseline = self.baseline(identity)?;
        Ok(evaluate(inventory, identity, baseline.as_ref(), windows))
    }

    /// The baseline for `identity`'s account: `None` when none was given and the default file
    /// does not exist.
    pub fn baseline(&self, identity: &Identity) -> Result<Option<Baseline>, AppError> {
        let Some(path) = self.baseline_path.as_deref() else {
            return Ok(None);
        };
        if !self.baseline_explicit && !path.exists() {
            return Ok(None);
        }
        let baseline = baseline::load(path)?;
        baseline.check_account(path, &identity.id)?;
        Ok(Some(baseline))
    }
}

/// Runs what `cli` asks for and returns the process exit code.
pub async fn run(cli: Cli) -> Result<ExitCode, AppError> {
    // Reading journals needs no AWS configuration at all.
    if let Some(Command::Log(command)) = cli.command {
        let data_dir = cli
            .global
            .data_dir
            .clone()
            .or_else(config::default_data_dir)
            .ok_or(AppError::NoPath {
                what: "data dir",
                hint: "pass --data-dir PATH",
            })?;
        return act::log(&data_dir, command);
    }
    let session = Session::open(&cli.global).await?;
    match cli.command {
        None => {
            tui::run(session).await.map_err(AppError::Terminal)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Scan(args)) => scan_command(&session, &args).await,
        Some(Command::Baseline(command)) => baseline_command(&session, command).await,
        Some(Command::Act(command)) => act::act(&session, command).await,
        Some(Command::Undo { action_id, run }) => act::undo(&session, &action_id, &run).await,
        Some(Command::Log(command)) => act::log(session.data_dir()?, command),
    }
}

/// A finished scan: its state and the caller's identity.
pub struct Scanned {
    pub state: ScanState,
    pub identity: Identity,
}

/// Runs one scan to the end, with a progress line on stderr when it is a terminal.
pub async fn scan_to_end(session: &Session) -> Result<Scanned, AppError> {
    let show_progress = std::io::stderr().is_terminal();
    let mut events = scan::spawn(session.ctx.clone(), session.scan.clone());
    let mut state = ScanState::default();
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => state.apply(event),
                None => break,
            },
            _ = ticker.tick(), if show_progress => {
                let (finished, total) = state.progress();
                eprint!("\rscanning: {finished}/{total} regions done");
            }
        }
    }
    if show_progress {
        eprint!("\r\x1b[2K");
    }
    if let Some(error) = state.fatal.take() {
        return Err(error.into());
    }
    match state.identity.clone() {
        Some(identity) => Ok(Scanned { state, identity }),
        // The scan sends the identity before anything else, or Fatal.
        None => Err(AppError::NoPath {
            what: "caller identity",
            hint: "the scan ended before identifying the caller",
        }),
    }
}

fn evaluate(
    inventory: &Inventory,
    identity: &Identity,
    baseline: Option<&Baseline>,
    windows: Windows,
) -> Vec<Finding> {
    findings::evaluate(&findings::Context {
        inventory,
        baseline,
        account: identity,
        now: Utc::now(),
        windows,
    })
}

/// Writes `text` to stdout.
pub fn print(text: &str) -> Result<(), AppError> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(AppError::Output)
}

fn partial_warning(state: &ScanState) {
    if state.is_partial() {
        eprintln!(
            "firebreak: warning: some regions or services could not be read; see the errors above or in the report"
        );
    }
}

async fn scan_command(session: &Session, args: &ScanArgs) -> Result<ExitCode, AppError> {
    let scanned = scan_to_end(session).await?;
    let baseline = session.baseline(&scanned.identity)?;
    let findings = evaluate(
        &scanned.state.inventory,
        &scanned.identity,
        baseline.as_ref(),
        args.windows.windows(),
    );
    let report = ScanReport::new(
        &scanned.state,
        scanned.identity.clone(),
        findings,
        baseline.as_ref().and(session.baseline_path.clone()),
        Utc::now(),
    );
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        Format::Table => report::table(&report),
    };
    print(&text)?;
    let over_threshold = args
        .fail_on
        .is_some_and(|threshold| report.findings.iter().any(|f| f.severity >= threshold));
    Ok(if over_threshold {
        ExitCode::from(EXIT_FINDINGS)
    } else if scanned.state.is_partial() {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

async fn baseline_command(
    session: &Session,
    command: BaselineCommand,
) -> Result<ExitCode, AppError> {
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
            let path = session.baseline_path()?.to_path_buf();
            if !path.exists() {
                return Err(AppError::NoBaseline(path));
            }
            let scanned = scan_to_end(session).await?;
            let mut current = baseline::load(&path)?;
            current.check_account(&path, &scanned.identity.id)?;
            let findings = evaluate(
                &scanned.state.inventory,
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
            let data_dir = session.data_dir()?;
            let mut journal =
                Journal::start(data_dir, &scanned.identity, std::env::args().collect())?;
            let by = scanned.identity.caller_arn.clone();
            baseline::accept(&mut current, finding, &by, Utc::now())?;
            baseline::save(&current, &path)?;
            journal.record(Entry::BaselineAccepted {
                finding: finding.id.clone(),
                kind: finding.kind,
                facts: finding.facts.clone(),
                baseline: path.clone(),
                by,
            })?;
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
                return Err(AppError::NoBaseline(path.to_path_buf()));
            }
            let shown = baseline::load(path)?;
            print(&report::baseline_summary(&shown, path))?;
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Diff => {
            let path = session.baseline_path()?.to_path_buf();
            if !path.exists() {
                return Err(AppError::NoBaseline(path));
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
