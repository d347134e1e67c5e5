//! The session every front end works in: config, AWS context, baseline and scan options resolved
//! once from flags and config; one scan run to its end; the error type of the services.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;

use crate::aws::{AwsContext, AwsError, ConnectOptions};
use crate::baseline::{self, Baseline, BaselineError};
use crate::bindings::Bindings;
use crate::cli::GlobalArgs;
use crate::config::{self, Config, ConfigError};
use crate::findings::{self, Windows};
use crate::journal::{JournalError, ReadError};
use crate::model::Identity;
use crate::model::finding::Finding;
use crate::playbook::engine::EngineError;
use crate::scan::{self, RegionSelection, ScanOptions, ScanState};

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
    #[error("the AWS credentials were refused ({}): {refresh}; {error}", error.code)]
    Credentials {
        refresh: String,
        error: Box<AwsError>,
    },
    #[error("no AWS credentials were found: looked in {looked}; {refresh}\n({})", error.message)]
    NoCredentials {
        looked: String,
        refresh: String,
        error: Box<AwsError>,
    },
    #[error("no answer from the endpoint {endpoint} (--endpoint-url or AWS_ENDPOINT_URL): {error}")]
    Unreachable {
        endpoint: String,
        error: Box<AwsError>,
    },
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
    #[error(transparent)]
    Scenario(#[from] crate::gameday::scenario::ScenarioError),
    #[error(transparent)]
    Gate(#[from] crate::gameday::gate::GateError),
    #[error("the game day stopped: {0}")]
    Detonate(#[from] crate::gameday::detonate::DetonateError),
    #[error(transparent)]
    Record(#[from] crate::gameday::record::RecordError),
    #[error(transparent)]
    Emulator(#[from] crate::emulator::EmulatorError),
    #[error("{0}")]
    Gameday(String),
}

impl AppError {
    /// Credentials that expired or were never valid get a message saying so and how to
    /// refresh them; every other error is left as it is.
    pub fn with_credentials_hint(self, profile: Option<&str>) -> AppError {
        match self {
            AppError::Aws(error) if error.code == "NoCredentials" => {
                let refresh = match profile {
                    Some(profile) => format!(
                        "give profile {profile} credentials (for SSO: `aws sso login --profile {profile}`) and run again"
                    ),
                    None => "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile, and run again".to_string(),
                };
                AppError::NoCredentials {
                    looked: credential_sources(profile),
                    refresh,
                    error,
                }
            }
            AppError::Aws(error) if error.is_credentials_problem() => {
                let refresh = match profile {
                    Some(profile) => format!(
                        "refresh the credentials of profile {profile} (for SSO: `aws sso login --profile {profile}`) and run again"
                    ),
                    None => "refresh the credentials in the environment (or pass --profile) and run again".to_string(),
                };
                AppError::Credentials { refresh, error }
            }
            other => other,
        }
    }

    /// A call that got no answer from an overridden endpoint (an emulator, a proxy) says which
    /// endpoint and where it was set: a stale `AWS_ENDPOINT_URL` is easy to miss.
    pub fn with_endpoint_hint(self, endpoint: Option<&str>) -> AppError {
        match (self, endpoint) {
            (AppError::Aws(error), Some(endpoint)) if error.got_no_answer() => {
                AppError::Unreachable {
                    endpoint: endpoint.to_string(),
                    error,
                }
            }
            (other, _) => other,
        }
    }
}

impl From<AwsError> for AppError {
    fn from(error: AwsError) -> Self {
        AppError::Aws(Box::new(error))
    }
}

/// Where aws-config's default chain looks for credentials, with the files this process reads.
fn credential_sources(profile: Option<&str>) -> String {
    let file = |variable: &str, default: &str| {
        std::env::var(variable).unwrap_or_else(|_| format!("~/.aws/{default}"))
    };
    let profile = profile
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".to_string());
    format!(
        "the environment (AWS_ACCESS_KEY_ID), profile {profile} in {} and {} (keys, SSO, a role to assume, a credential process), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), and the container and instance metadata",
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        file("AWS_CONFIG_FILE", "config"),
    )
}

/// How to reach AWS, from the flags and the config file's `[aws]` table.
pub(crate) fn connect_options(global: &GlobalArgs, config: &Config) -> ConnectOptions {
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
        emulator_credentials: false,
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
    /// Resolves flags and config, and loads the AWS configuration.
    pub async fn open(global: &GlobalArgs) -> Result<Self, AppError> {
        Self::open_with(global, false).await
    }

    /// [`Session::open`]; with `emulator` set, calls go with fixed dummy credentials to the
    /// endpoint of an emulator firebreak started itself (a game day).
    pub async fn open_with(global: &GlobalArgs, emulator: bool) -> Result<Self, AppError> {
        let config: Config = config::load(global.config.as_deref())?;
        let mut options = connect_options(global, &config);
        options.emulator_credentials = emulator;
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
            RegionSelection::Named(names) => {
                self.ctx
                    .named_regions(&listed, names)
                    .map_err(AppError::Aws)?;
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
    pub fn baseline_path(&self) -> Result<&Path, AppError> {
        self.baseline_path.as_deref().ok_or(AppError::NoPath {
            what: "baseline",
            hint: "pass --baseline PATH",
        })
    }

    /// The baseline path, which must exist.
    pub fn existing_baseline_path(&self) -> Result<PathBuf, AppError> {
        let path = self.baseline_path()?;
        if path.exists() {
            Ok(path.to_path_buf())
        } else {
            Err(AppError::NoBaseline(path.to_path_buf()))
        }
    }

    /// Checks, before any request, that the baseline this session would judge with can be
    /// used: one given with `--baseline` must exist, and any must parse (a typo there would
    /// otherwise be reported after a whole scan). Its account is checked once the caller is known.
    pub fn check_baseline(&self) -> Result<(), AppError> {
        self.read_baseline().map(|_| ())
    }

    /// The baseline this session judges with, read and parsed: `None` when none was given and
    /// the default file does not exist; one given with `--baseline` must exist.
    fn read_baseline(&self) -> Result<Option<(&Path, Baseline)>, AppError> {
        let Some(path) = self.baseline_path.as_deref() else {
            return Ok(None);
        };
        if !path.exists() {
            return if self.baseline_explicit {
                Err(AppError::NoBaseline(path.to_path_buf()))
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
    ) -> Result<Vec<Finding>, AppError> {
        let baseline = self.baseline(identity)?;
        Ok(evaluate(scanned, identity, baseline.as_ref(), windows))
    }

    /// The baseline for `identity`'s account: `None` when none was given and the default file
    /// does not exist.
    pub fn baseline(&self, identity: &Identity) -> Result<Option<Baseline>, AppError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str) -> AppError {
        AppError::Aws(Box::new(AwsError {
            service: "sts".into(),
            operation: "GetCallerIdentity".into(),
            region: "us-east-1".into(),
            code: code.into(),
            message: "The security token included in the request is expired".into(),
            request_id: Some("r-1".into()),
            http_status: Some(403),
            subject: None,
        }))
    }

    #[test]
    fn expired_credentials_say_how_to_refresh_them() {
        let shown = error("ExpiredToken")
            .with_credentials_hint(Some("prod"))
            .to_string();
        assert!(
            shown.contains("aws sso login --profile prod") && shown.contains("ExpiredToken"),
            "{shown}"
        );
        let shown = error("InvalidClientTokenId")
            .with_credentials_hint(None)
            .to_string();
        assert!(shown.contains("--profile"), "{shown}");
        let other = error("AccessDenied").with_credentials_hint(Some("prod"));
        assert!(matches!(other, AppError::Aws(_)), "{other}");
    }

    #[test]
    fn no_answer_from_an_overridden_endpoint_names_it_and_the_flag() {
        let shown = error("Timeout")
            .with_endpoint_hint(Some("http://127.0.0.1:9"))
            .to_string();
        assert!(
            shown.starts_with("no answer from the endpoint http://127.0.0.1:9 (--endpoint-url")
                && shown.contains("sts GetCallerIdentity in us-east-1: Timeout"),
            "{shown}"
        );
        let real_aws = error("Connection").with_endpoint_hint(None);
        assert!(matches!(real_aws, AppError::Aws(_)), "{real_aws}");
        let answered = error("AccessDenied").with_endpoint_hint(Some("http://127.0.0.1:9"));
        assert!(matches!(answered, AppError::Aws(_)), "{answered}");
    }
}
