//! Runs the command the user chose: the TUI, or `scan`. Shared set-up (config, AWS context,
//! scan options) lives here so that every front end gets the same.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;

use crate::aws::{AwsContext, AwsError, ConnectOptions};
use crate::cli::{Cli, Command, Format, GlobalArgs};
use crate::config::{self, Config, ConfigError};
use crate::report::{self, ScanReport};
use crate::scan::{self, ScanOptions, ScanState};
use crate::tui;

/// Exit code of a scan that finished but could not read some region or service.
pub const EXIT_PARTIAL: u8 = 4;

/// Why firebreak stopped before doing its job.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Aws(#[from] AwsError),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    #[error("terminal error: {0}")]
    Terminal(std::io::Error),
    #[error("cannot encode the report: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Everything a front end needs, resolved from flags and config.
#[derive(Debug, Clone)]
pub struct Session {
    pub ctx: AwsContext,
    pub scan: ScanOptions,
    pub read_only: bool,
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
        })
    }
}

/// Runs what `cli` asks for and returns the process exit code.
pub async fn run(cli: Cli) -> Result<ExitCode, AppError> {
    let session = Session::open(&cli.global).await?;
    match cli.command {
        None => {
            tui::run(session).await.map_err(AppError::Terminal)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Scan(args)) => scan_once(session, args.format).await,
    }
}

async fn scan_once(session: Session, format: Format) -> Result<ExitCode, AppError> {
    let show_progress = std::io::stderr().is_terminal();
    let mut events = scan::spawn(session.ctx, session.scan);
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
        return Err(AppError::Aws(error));
    }
    let Some(identity) = state.identity.clone() else {
        // The scan sends the identity before anything else, or Fatal: this is not reached.
        return Ok(ExitCode::FAILURE);
    };
    let report = ScanReport::new(&state, identity, Utc::now());
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        Format::Table => report::table(&report),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(AppError::Output)?;
    Ok(if state.is_partial() {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}
