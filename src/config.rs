//! The config file (TOML) and firebreak's directories. Bad config is a clear error naming the
//! file, line and column; a missing default config file is simply the defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use std::collections::BTreeMap;

use directories::ProjectDirs;
use serde::Deserialize;

use crate::keys::{Bindings, Command};

/// Settings from the config file. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Never send a mutating call (same as `--read-only`).
    pub read_only: bool,
    /// Principals no playbook may disable or deny: `user/NAME` or `role/NAME`.
    pub break_glass: Vec<String>,
    pub aws: AwsSettings,
    pub scan: ScanSettings,
    /// Cockpit key bindings: command name → key (`disable = "ctrl-d"`).
    pub keys: BTreeMap<Command, String>,
}

/// Retry and timeout settings for every AWS call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsSettings {
    /// Attempts per mutating call, the first included (SDK standard retry with backoff).
    pub max_attempts: u32,
    /// Attempts per read call, the first included: throttling during a breach is normal, so
    /// reads get a larger budget than changes.
    pub read_max_attempts: u32,
    /// Longest wait between two attempts of a call (exponential backoff with jitter).
    pub max_backoff_secs: u64,
    pub connect_timeout_secs: u64,
    /// Limit for one attempt of one call.
    pub attempt_timeout_secs: u64,
    /// Limit for one call, retries included.
    pub operation_timeout_secs: u64,
}

/// How wide a scan fans out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanSettings {
    /// Regions scanned at once.
    pub region_concurrency: usize,
    /// Per-item detail calls (sharing attributes, policies) in flight at once, per region and
    /// service.
    pub detail_concurrency: usize,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            max_attempts: 3,
            read_max_attempts: 10,
            max_backoff_secs: 20,
            connect_timeout_secs: 5,
            attempt_timeout_secs: 20,
            operation_timeout_secs: 60,
        }
    }
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            region_concurrency: 16,
            detail_concurrency: 8,
        }
    }
}

impl AwsSettings {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
    pub fn attempt_timeout(&self) -> Duration {
        Duration::from_secs(self.attempt_timeout_secs)
    }
    pub fn operation_timeout(&self) -> Duration {
        Duration::from_secs(self.operation_timeout_secs)
    }
    pub fn max_backoff(&self) -> Duration {
        Duration::from_secs(self.max_backoff_secs)
    }
}

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    OutOfRange { path: PathBuf, message: String },
}

/// Where firebreak keeps its files, per the platform's conventions.
pub fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "firebreak")
}

/// The config file read when `--config` is not given.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.config_dir().join("config.toml"))
}

/// The data directory (journals, evidence) used when `--data-dir` is not given.
pub fn default_data_dir() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.data_dir().to_path_buf())
}

/// Loads the config: `explicit` must exist; the default path may be absent (then defaults).
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => match default_config_path() {
            Some(path) if path.exists() => path,
            _ => return Ok(Config::default()),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    parse(&text, &path)
}

/// Parses and checks config text; `path` is only used in errors.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })?;
    let out_of_range = |message: &str| ConfigError::OutOfRange {
        path: path.to_path_buf(),
        message: message.to_string(),
    };
    if !(1..=10).contains(&config.aws.max_attempts) {
        return Err(out_of_range("aws.max_attempts must be from 1 to 10"));
    }
    if !(1..=20).contains(&config.aws.read_max_attempts) {
        return Err(out_of_range("aws.read_max_attempts must be from 1 to 20"));
    }
    if !(1..=60).contains(&config.aws.max_backoff_secs) {
        return Err(out_of_range("aws.max_backoff_secs must be from 1 to 60"));
    }
    if config.aws.connect_timeout_secs == 0
        || config.aws.attempt_timeout_secs == 0
        || config.aws.operation_timeout_secs == 0
    {
        return Err(out_of_range("aws timeouts must be at least 1 second"));
    }
    for entry in &config.break_glass {
        if let Err(message) = crate::playbook::guard::parse_principal(entry) {
            let offset = text.find(&format!("\"{entry}\"")).unwrap_or(0);
            let (line, column) = line_and_column(text, offset);
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: format!("break_glass: {message}"),
            });
        }
    }
    if let Err(message) = Bindings::with(&config.keys) {
        let offset = text.find("[keys]").unwrap_or(0);
        let (line, column) = line_and_column(text, offset);
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        });
    }
    if config.scan.region_concurrency == 0 || config.scan.detail_concurrency == 0 {
        return Err(out_of_range("scan concurrency settings must be at least 1"));
    }
    Ok(config)
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(text, Path::new("/etc/firebreak.toml"))
    }

    #[test]
    fn empty_file_is_defaults() {
        assert_eq!(parse_str("").expect("valid"), Config::default());
    }

    #[test]
    fn values_are_read() {
        let config = parse_str(
            "read_only = true\n[aws]\nmax_attempts = 1\n[scan]\nregion_concurrency = 4\n",
        )
        .expect("valid");
        assert!(config.read_only);
        assert_eq!(config.aws.max_attempts, 1);
        assert_eq!(config.aws.connect_timeout_secs, 5);
        assert_eq!(config.scan.region_concurrency, 4);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let cases = [
            (
                "read_only = true\n[scan]\nregion_concurency = 4\n",
                3,
                1,
                "unknown field",
            ),
            ("[aws]\nmax_attempts = \"three\"\n", 2, 16, "invalid type"),
            ("read_only = \n", 1, 13, ""),
            (
                "break_glass = [\"user/ok\",\n  \"group/admins\"]\n",
                2,
                3,
                "user/NAME or role/NAME",
            ),
        ];
        for (text, line, column, needle) in cases {
            match parse_str(text) {
                Err(ConfigError::Invalid {
                    path,
                    line: l,
                    column: c,
                    message,
                }) => {
                    assert_eq!(path, Path::new("/etc/firebreak.toml"));
                    assert_eq!((l, c), (line, column), "{text:?}: {message}");
                    assert!(message.contains(needle), "{message}");
                    let shown = parse_str(text)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    assert!(shown.starts_with(&format!("/etc/firebreak.toml:{line}:{column}: ")));
                }
                other => panic!("{text:?}: expected a located error, got {other:?}"),
            }
        }
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        for text in [
            "[aws]\nmax_attempts = 0\n",
            "[aws]\nmax_attempts = 11\n",
            "[aws]\nread_max_attempts = 0\n",
            "[aws]\nread_max_attempts = 21\n",
            "[aws]\nmax_backoff_secs = 0\n",
            "[aws]\nconnect_timeout_secs = 0\n",
            "[scan]\ndetail_concurrency = 0\n",
        ] {
            assert!(
                matches!(parse_str(text), Err(ConfigError::OutOfRange { .. })),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_key_bound_twice_is_an_error_naming_both_commands_and_the_file() {
        let text = "read_only = false\n[keys]\nfreeze = \"D\"\n";
        let shown = parse_str(text).expect_err("D is disable's").to_string();
        assert!(
            shown.starts_with("/etc/firebreak.toml:2:1: ")
                && shown.contains("disable")
                && shown.contains("freeze"),
            "{shown}"
        );
        let unknown = parse_str("[keys]\nexplode = \"E\"\n").expect_err("no such command");
        assert!(unknown.to_string().contains(":2:1:"), "{unknown}");
        let remapped = parse_str("[keys]\ndisable = \"ctrl-d\"\n").expect("valid");
        assert_eq!(
            remapped.keys.get(&Command::Disable).map(String::as_str),
            Some("ctrl-d")
        );
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err = load(Some(Path::new("/nonexistent/firebreak.toml")))
            .expect_err("missing file must fail");
        assert!(err.to_string().contains("/nonexistent/firebreak.toml"));
    }
}
