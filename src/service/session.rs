//! The session every front end works in: config, AWS context, baseline and scan options resolved
//! once from the front end's options and the config file; one scan run to its end.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;

use crate::aws::{AwsContext, ConnectOptions};
use crate::scanner;
use crate::service::error::ServiceError;
use firebreak_core::baseline::{self, Baseline};
use firebreak_core::bindings::Bindings;
use firebreak_core::config::{self, Config};
use firebreak_core::findings::{self, Windows};
use firebreak_core::model::Identity;
use firebreak_core::model::finding::Finding;
use firebreak_core::scan::{CensusBound, RegionSelection, ScanOptions, ScanState};

/// What a front end asks of a session (the command line's global flags, as plain data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// AWS profile from the shared config/credentials files.
    pub profile: Option<String>,
    /// Home region for global services.
    pub region: Option<String>,
    pub regions: RegionSelection,
    /// Every AWS call goes to this endpoint (an emulator).
    pub endpoint_url: Option<String>,
    pub read_only: bool,
    /// The config file; the default path when `None`.
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// Calls go with fixed dummy credentials to an emulator firebreak started itself (a
    /// game day's private one).
    pub emulator: bool,
}

/// How to reach AWS, from the session options and the config file's `[aws]` table.
pub(crate) fn connect_options(global: &SessionOptions, config: &Config) -> ConnectOptions {
    ConnectOptions {
        profile: global.profile.clone(),
        region: global.region.clone(),
        endpoint_url: global.endpoint_url.clone(),
        read_attempts: config.aws.read_max_attempts,
        change_attempts: config.aws.max_attempts,
        max_backoff: config.aws.max_backoff(),
        connect_timeout: config.aws.connect_timeout(),
        attempt_timeout: config.aws.attempt_timeout(),
        operation_timeout: config.aws.operation_timeout(),
        emulator_credentials: global.emulator,
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
    /// Roles that deliver logs or findings, which freeze never denies (beyond those it finds).
    pub log_delivery_roles: Vec<String>,
    /// Accounts a game day may detonate into away from a loopback emulator.
    pub sandbox_accounts: Vec<String>,
    /// The cockpit's key bindings (config `[keys]` over the defaults).
    pub keys: Bindings,
    /// `--profile`, shown in the cockpit's header.
    pub profile: Option<String>,
    /// The endpoint override (`--endpoint-url` or `AWS_ENDPOINT_URL`), shown when set.
    pub endpoint: Option<String>,
}

impl Session {
    /// Resolves the options and config, and loads the AWS configuration.
    pub async fn open(global: &SessionOptions) -> Result<Self, ServiceError> {
        let config: Config = config::load(global.config.as_deref())?;
        let options = connect_options(global, &config);
        Ok(Session {
            ctx: AwsContext::load(&options).await,
            scan: ScanOptions {
                regions: global.regions.clone(),
                region_concurrency: config.scan.region_concurrency,
                detail_concurrency: config.scan.detail_concurrency,
                census: CensusBound {
                    objects: config.scan.census_objects,
                    sampled: config.scan.census_sampled,
                },
            },
            read_only: global.read_only || config.read_only,
            baseline_path: global.baseline.clone().or_else(baseline::default_path),
            baseline_explicit: global.baseline.is_some(),
            data_dir: global.data_dir.clone().or_else(config::default_data_dir),
            // config::load has checked the bindings; the defaults stand in only for that.
            keys: Bindings::with(&config.keys).unwrap_or_default(),
            break_glass: config.break_glass,
            log_delivery_roles: config.log_delivery_roles,
            sandbox_accounts: config.sandbox_accounts,
            profile: global.profile.clone(),
            endpoint: global
                .endpoint_url
                .clone()
                .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok()),
        })
    }

    /// Where journals live.
    pub fn data_dir(&self) -> Result<&Path, ServiceError> {
        self.data_dir.as_deref().ok_or(ServiceError::NoPath {
            what: "data dir",
            hint: "pass --data-dir PATH",
        })
    }

    /// The regions account-wide playbooks act in: the selected ones that are enabled.
    pub async fn enabled_regions(&self) -> Result<Vec<String>, ServiceError> {
        let listed = self.ctx.regions().await?;
        Ok(match &self.scan.regions {
            RegionSelection::Named(names) => {
                self.ctx
                    .named_regions(&listed, names)
                    .map_err(ServiceError::Aws)?;
                names.clone()
            }
            RegionSelection::Enabled | RegionSelection::All => listed
                .into_iter()
                .filter(|r| r.enabled)
                .map(|r| r.name)
                .collect(),
        })
    }

    /// The baseline path (`--baseline` or the default), whether or not the file exists.
    pub fn baseline_path(&self) -> Result<&Path, ServiceError> {
        self.baseline_path.as_deref().ok_or(ServiceError::NoPath {
            what: "baseline",
            hint: "pass --baseline PATH",
        })
    }

    /// The baseline path, which must exist.
    pub fn existing_baseline_path(&self) -> Result<PathBuf, ServiceError> {
        let path = self.baseline_path()?;
        if path.exists() {
            Ok(path.to_path_buf())
        } else {
            Err(ServiceError::NoBaseline(path.to_path_buf()))
        }
    }

    /// Checks, before any request, that the baseline this session would judge with can be
    /// used: one given with `--baseline` must exist, and any must parse (a typo there would
    /// otherwise be reported after a whole scan). Its account is checked once the caller is known.
    pub fn check_baseline(&self) -> Result<(), ServiceError> {
        self.read_baseline().map(|_| ())
    }

    /// The baseline this session judges with, read and parsed: `None` when none was given and
    /// the default file does not exist; one given with `--baseline` must exist.
    fn read_baseline(&self) -> Result<Option<(&Path, Baseline)>, ServiceError> {
        let Some(path) = self.baseline_path.as_deref() else {
            return Ok(None);
        };
        if !path.exists() {
            return if self.baseline_explicit {
                Err(ServiceError::NoBaseline(path.to_path_buf()))
            } else {
                Ok(None)
            };
        }
        Ok(Some((path, baseline::load(path)?)))
    }

    /// Judges findings over what `scanned` read against this session's baseline (if any), as
    /// of now.
    pub fn findings(
        &self,
        scanned: &ScanState,
        identity: &Identity,
        windows: Windows,
    ) -> Result<Vec<Finding>, ServiceError> {
        let baseline = self.baseline(identity)?;
        Ok(evaluate(scanned, identity, baseline.as_ref(), windows))
    }

    /// The baseline for `identity`'s account: `None` when none was given and the default file
    /// does not exist.
    pub fn baseline(&self, identity: &Identity) -> Result<Option<Baseline>, ServiceError> {
        let Some((path, baseline)) = self.read_baseline()? else {
            return Ok(None);
        };
        baseline.check_account(path, &identity.id)?;
        Ok(Some(baseline))
    }
}

/// A finished scan: its state and the caller's identity.
pub struct Scanned {
    pub state: ScanState,
    pub identity: Identity,
}

/// Runs one scan to the end, with a progress line on stderr when it is a terminal.
pub async fn scan_to_end(session: &Session) -> Result<Scanned, ServiceError> {
    let show_progress = std::io::stderr().is_terminal();
    let mut events = scanner::spawn(session.ctx.clone(), session.scan.clone());
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
        None => Err(ServiceError::NoPath {
            what: "caller identity",
            hint: "the scan ended before identifying the caller",
        }),
    }
}

/// Judges findings over what `scanned` read against `baseline`, as of now.
pub fn evaluate(
    scanned: &ScanState,
    identity: &Identity,
    baseline: Option<&Baseline>,
    windows: Windows,
) -> Vec<Finding> {
    findings::evaluate(&findings::Context {
        inventory: &scanned.inventory,
        baseline,
        account: identity,
        now: Utc::now(),
        windows,
        listed: &scanned.listed(),
    })
}
