//! The config file (TOML) and firebreak's directories. Bad config is a clear error naming the
//! file, line and column; a missing default config file is simply the defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use directories::ProjectDirs;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::bindings::{Bindings, Command, Key};

/// Settings from the config file. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Never send a mutating call (same as `--read-only`).
    pub read_only: bool,
    /// Principals no playbook may disable or deny: `user/NAME` or `role/NAME`.
    #[serde(deserialize_with = "break_glass")]
    pub break_glass: Vec<String>,
    /// Roles that deliver logs or findings (by name), which freeze never denies, beyond those
    /// it finds itself: trails' and flow logs' roles, roles only delivery services may assume.
    #[serde(deserialize_with = "role_names")]
    pub log_delivery_roles: Vec<String>,
    /// Accounts a game day may detonate into away from a loopback emulator (12-digit ids; the
    /// id must also be typed with `--confirm`).
    #[serde(deserialize_with = "sandbox_accounts")]
    pub sandbox_accounts: Vec<String>,
    pub gameday: GamedaySettings,
    pub aws: AwsSettings,
    pub scan: ScanSettings,
    /// Cockpit key bindings: command name → key (`disable = "ctrl-d"`).
    #[serde(deserialize_with = "key_bindings")]
    pub keys: BTreeMap<Command, String>,
}

/// Game days away from the emulator: accounts you own that stand in for the partner the estate
/// shares with and trusts, and for the outsider the attacker opens things to. (On the emulator
/// both are made up.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GamedaySettings {
    #[serde(deserialize_with = "some_account_id")]
    pub partner_account: Option<String>,
    #[serde(deserialize_with = "some_account_id")]
    pub outside_account: Option<String>,
}

fn some_account_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(value))
    } else {
        Err(de::Error::custom(format!(
            "'{value}' is not a 12-digit account id"
        )))
    }
}

/// Retry and timeout settings for every AWS call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsSettings {
    /// Attempts per mutating call, the first included (SDK standard retry with backoff).
    #[serde(deserialize_with = "max_attempts")]
    pub max_attempts: u32,
    /// Attempts per read call, the first included: throttling during a breach is normal, so
    /// reads get a larger budget than changes.
    #[serde(deserialize_with = "read_max_attempts")]
    pub read_max_attempts: u32,
    /// Longest wait between two attempts of a call (exponential backoff with jitter).
    #[serde(deserialize_with = "max_backoff_secs")]
    pub max_backoff_secs: u64,
    #[serde(deserialize_with = "timeout_secs")]
    pub connect_timeout_secs: u64,
    /// Limit for one attempt of one call.
    #[serde(deserialize_with = "timeout_secs")]
    pub attempt_timeout_secs: u64,
    /// Limit for one call, retries included.
    #[serde(deserialize_with = "timeout_secs")]
    pub operation_timeout_secs: u64,
}

/// How wide a scan fans out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanSettings {
    /// Regions scanned at once. AWS's rate limits are per region and service, so holding
    /// regions back gains nothing: the default covers every region of the partition.
    #[serde(deserialize_with = "concurrency")]
    pub region_concurrency: usize,
    /// Per-item detail calls (sharing attributes, policies) in flight at once, per region and
    /// service.
    #[serde(deserialize_with = "concurrency")]
    pub detail_concurrency: usize,
    /// Objects a bucket's census lists (one page at most: never all of a large bucket).
    #[serde(deserialize_with = "census_objects")]
    pub census_objects: usize,
    /// Listed objects of each bucket read in detail (their encryption: HeadObject).
    #[serde(deserialize_with = "census_sampled")]
    pub census_sampled: usize,
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
            region_concurrency: 64,
            detail_concurrency: 8,
            census_objects: CENSUS_PAGE,
            census_sampled: 3,
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

// Values are checked as they are read, so that a bad one is an error toml locates at the value.

fn max_attempts<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = u32::deserialize(deserializer)?;
    if !(1..=10).contains(&value) {
        return Err(de::Error::custom(format!(
            "max_attempts must be from 1 to 10, found {value}"
        )));
    }
    Ok(value)
}

fn read_max_attempts<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = u32::deserialize(deserializer)?;
    if !(1..=20).contains(&value) {
        return Err(de::Error::custom(format!(
            "read_max_attempts must be from 1 to 20, found {value}"
        )));
    }
    Ok(value)
}

fn max_backoff_secs<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = u64::deserialize(deserializer)?;
    if !(1..=60).contains(&value) {
        return Err(de::Error::custom(format!(
            "max_backoff_secs must be from 1 to 60, found {value}"
        )));
    }
    Ok(value)
}

fn timeout_secs<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = u64::deserialize(deserializer)?;
    if value == 0 {
        return Err(de::Error::custom("a timeout must be at least 1 second"));
    }
    Ok(value)
}

fn concurrency<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    let value = usize::deserialize(deserializer)?;
    if value == 0 {
        return Err(de::Error::custom("a concurrency must be at least 1"));
    }
    Ok(value)
}

/// The most objects one S3 listing request returns.
pub const CENSUS_PAGE: usize = 1000;

fn census_objects<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    let value = usize::deserialize(deserializer)?;
    if value > CENSUS_PAGE {
        return Err(de::Error::custom(format!(
            "census_objects is at most {CENSUS_PAGE} (one listing page), found {value}"
        )));
    }
    Ok(value)
}

fn census_sampled<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    let value = usize::deserialize(deserializer)?;
    if value > 100 {
        return Err(de::Error::custom(format!(
            "census_sampled is at most 100 (one HeadObject each, per bucket), found {value}"
        )));
    }
    Ok(value)
}

fn role_names<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    match names.iter().find(|name| !is_role_name(name)) {
        Some(bad) => Err(de::Error::custom(format!(
            "log_delivery_roles: '{bad}' is not an IAM role name (1-64 of letters, digits and +=,.@_-)"
        ))),
        None => Ok(names),
    }
}

/// Whether `name` is a name IAM accepts for a role.
fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

fn break_glass<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    checked_strings(deserializer, |entry| {
        crate::model::operation::parse_principal(entry)
            .map(|_| ())
            .map_err(|message| format!("break_glass: {message}"))
    })
}

fn sandbox_accounts<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    checked_strings(deserializer, |entry| {
        if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(format!(
                "sandbox_accounts: '{entry}' is not a 12-digit account id"
            ))
        }
    })
}

/// A list of strings, each checked by `check` as it is read: toml locates an element's error
/// only while the element is being read, so a bad entry is named at its own line, not the
/// list's.
pub(crate) fn checked_strings<'de, D: Deserializer<'de>>(
    deserializer: D,
    check: fn(&str) -> Result<(), String>,
) -> Result<Vec<String>, D::Error> {
    struct List(fn(&str) -> Result<(), String>);
    impl<'de> Visitor<'de> for List {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of strings")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element_seed(Item(self.0))? {
                items.push(item);
            }
            Ok(items)
        }
    }
    struct Item(fn(&str) -> Result<(), String>);
    impl<'de> DeserializeSeed<'de> for Item {
        type Value = String;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
            deserializer.deserialize_str(self)
        }
    }
    impl Visitor<'_> for Item {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<String, E> {
            (self.0)(text).map_err(E::custom)?;
            Ok(text.to_string())
        }
    }
    deserializer.deserialize_seq(List(check))
}

/// The `[keys]` table: a key that is not one is an error at its value; a key bound to two
/// commands, at the table.
fn key_bindings<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<Command, String>, D::Error> {
    struct Table;
    impl<'de> Visitor<'de> for Table {
        type Value = BTreeMap<Command, String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a table of command = \"key\"")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut keys = BTreeMap::new();
            while let Some(command) = map.next_key::<Command>()? {
                let text = map.next_value_seed(KeyOf(command))?;
                keys.insert(command, text);
            }
            Bindings::with(&keys).map_err(de::Error::custom)?;
            Ok(keys)
        }
    }
    /// The key text bound to one command, checked.
    struct KeyOf(Command);
    impl<'de> DeserializeSeed<'de> for KeyOf {
        type Value = String;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
            let text = String::deserialize(deserializer)?;
            Key::parse(&text)
                .map_err(|e| de::Error::custom(format!("keys.{}: {e}", self.0.name())))?;
            Ok(text)
        }
    }
    deserializer.deserialize_map(Table)
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
    load_or_default(explicit, default_config_path())
}

/// [`load`], with the default path given.
fn load_or_default(
    explicit: Option<&Path>,
    default: Option<PathBuf>,
) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => match default {
            Some(path) if path.exists() => path,
            _ => return Ok(Config::default()),
        },
    };
    let text = read_text(&path).map_err(|error| match error {
        TextError::Io(source) => ConfigError::Read {
            path: path.clone(),
            source,
        },
        TextError::NotUtf8 {
            line,
            column,
            message,
        } => ConfigError::Invalid {
            path: path.clone(),
            line,
            column,
            message,
        },
    })?;
    parse(&text, &path)
}

/// Why a text file could not be read: I/O, or bytes that are not UTF-8 (where they start).
#[derive(Debug)]
pub(crate) enum TextError {
    Io(std::io::Error),
    NotUtf8 {
        line: usize,
        column: usize,
        message: String,
    },
}

/// Reads a UTF-8 text file; the first byte that is not UTF-8 is located by line and column.
pub(crate) fn read_text(path: &Path) -> Result<String, TextError> {
    let bytes = std::fs::read(path).map_err(TextError::Io)?;
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let valid = error.utf8_error().valid_up_to();
        let before = bytes
            .get(..valid)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default();
        let (line, column) = line_and_column(before, before.len());
        let byte = bytes.get(valid).copied().unwrap_or_default();
        TextError::NotUtf8 {
            line,
            column,
            message: format!("byte 0x{byte:02x} is not UTF-8: the file must be UTF-8 text"),
        }
    })
}

/// Parses and checks config text; `path` is only used in errors.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
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

    /// Each bad value is located at the value itself, however the file is written.
    #[test]
    fn checked_values_are_located_at_the_value() {
        let cases = [
            ("[aws]\nmax_attempts = 0\n", 2, 16, "from 1 to 10, found 0"),
            ("# retries\n[aws]\nmax_attempts = 11\n", 3, 16, "found 11"),
            (
                "[aws]\nread_max_attempts = 21\n",
                2,
                21,
                "from 1 to 20, found 21",
            ),
            (
                "[aws]\nmax_backoff_secs = 0\n",
                2,
                20,
                "from 1 to 60, found 0",
            ),
            (
                "[aws]\nconnect_timeout_secs = 0\n",
                2,
                24,
                "at least 1 second",
            ),
            (
                "aws = { operation_timeout_secs = 0 }\n",
                1,
                34,
                "at least 1 second",
            ),
            ("[scan]\ndetail_concurrency = 0\n", 2, 22, "at least 1"),
            (
                "[scan]\ncensus_objects = 1001\n",
                2,
                18,
                "census_objects is at most 1000 (one listing page), found 1001",
            ),
            (
                "[scan]\ncensus_sampled = 101\n",
                2,
                18,
                "census_sampled is at most 100",
            ),
            // Single quotes, and the same text earlier in a comment.
            (
                "# never 'group/admins'\nbreak_glass = [\n  'role/ok',\n  'group/admins',\n]\n",
                4,
                3,
                "break_glass: 'group/admins' must be user/NAME or role/NAME",
            ),
            (
                "# see [keys] below\nread_only = false\n\n[keys]\ndisable = \"enter\"\n",
                5,
                11,
                "keys.disable: 'enter' is reserved",
            ),
            (
                "keys = { freeze = \"D\" }\n",
                1,
                8,
                "'D' is bound to both disable and freeze",
            ),
            (
                "[gameday]\npartner_account = \"12345\"\n",
                2,
                19,
                "'12345' is not a 12-digit account id",
            ),
            (
                "sandbox_accounts = [\"111122223333\", \"prod\"]\n",
                1,
                37,
                "sandbox_accounts: 'prod' is not a 12-digit account id",
            ),
        ];
        for (text, line, column, needle) in cases {
            let shown = parse_str(text).map(|_| ()).map_err(|e| e.to_string());
            let Err(shown) = shown else {
                panic!("{text:?} must be rejected");
            };
            assert!(
                shown.starts_with(&format!("/etc/firebreak.toml:{line}:{column}: "))
                    && shown.contains(needle),
                "{text:?}: {shown}"
            );
        }
    }

    #[test]
    fn a_census_bound_up_to_its_limit_is_read_as_written() {
        for (objects, sampled) in [(0, 0), (250, 7), (1000, 100)] {
            let text = format!("[scan]\ncensus_objects = {objects}\ncensus_sampled = {sampled}\n");
            let config = parse_str(&text).expect("within the limits");
            assert_eq!(
                (config.scan.census_objects, config.scan.census_sampled),
                (objects, sampled)
            );
        }
        let defaults = parse_str("").expect("empty");
        assert_eq!(
            (defaults.scan.census_objects, defaults.scan.census_sampled),
            (1000, 3)
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_located() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, b"read_only = true\n# caf\xe9\n").expect("write");
        let shown = load(Some(&path)).expect_err("not UTF-8").to_string();
        assert!(
            shown.starts_with(&format!("{}:2:6: ", path.display()))
                && shown.contains("byte 0xe9 is not UTF-8"),
            "{shown}"
        );
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err = load(Some(Path::new("/nonexistent/firebreak.toml")))
            .expect_err("missing file must fail");
        assert!(err.to_string().contains("/nonexistent/firebreak.toml"));
    }

    #[test]
    fn the_aws_timeouts_are_the_seconds_the_file_gives() {
        let config = parse_str(
            "[aws]\nconnect_timeout_secs = 3\nattempt_timeout_secs = 7\noperation_timeout_secs = 90\nmax_backoff_secs = 11\n",
        )
        .expect("config");
        assert_eq!(config.aws.connect_timeout(), Duration::from_secs(3));
        assert_eq!(config.aws.attempt_timeout(), Duration::from_secs(7));
        assert_eq!(config.aws.operation_timeout(), Duration::from_secs(90));
        assert_eq!(config.aws.max_backoff(), Duration::from_secs(11));
    }

    #[test]
    fn log_delivery_roles_are_iam_role_names() {
        let config = parse_str("log_delivery_roles = [\"org-logs\", \"a+b=c,d.e@f_g-h\"]\n")
            .expect("config");
        assert_eq!(
            config.log_delivery_roles,
            vec!["org-logs", "a+b=c,d.e@f_g-h"]
        );
        let longest = "r".repeat(64);
        let config = parse_str(&format!("log_delivery_roles = [\"{longest}\"]\n")).expect("64");
        assert_eq!(config.log_delivery_roles, vec![longest]);
        for bad in ["", "role/logs", "logs!", &"r".repeat(65)] {
            let error = parse_str(&format!("log_delivery_roles = [\"ok\", \"{bad}\"]\n"))
                .expect_err(bad)
                .to_string();
            assert!(error.contains("is not an IAM role name"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_missing_default_config_means_the_defaults_and_a_present_one_is_read() {
        let dir = tempfile::tempdir().expect("dir");
        let default = dir.path().join("config.toml");
        let config = load_or_default(None, Some(default.clone())).expect("absent: defaults");
        assert!(!config.read_only);
        assert_eq!(
            load_or_default(None, None)
                .expect("no dirs")
                .scan
                .region_concurrency,
            64
        );
        std::fs::write(&default, "read_only = true\n").expect("write");
        assert!(
            load_or_default(None, Some(default.clone()))
                .expect("read")
                .read_only
        );
        // An explicit path must exist.
        let missing = dir.path().join("nope.toml");
        assert!(matches!(
            load_or_default(Some(&missing), Some(default)),
            Err(ConfigError::Read { .. })
        ));
    }

    #[test]
    fn the_default_paths_are_firebreaks_own_directories() {
        let config = default_config_path().expect("a home directory");
        assert!(
            config.ends_with("firebreak/config.toml"),
            "{}",
            config.display()
        );
        let data = default_data_dir().expect("a home directory");
        assert!(data.ends_with("firebreak"), "{}", data.display());
        assert_ne!(config.parent(), Some(data.as_path()));
    }

    #[test]
    fn sandbox_accounts_are_twelve_digits_and_wrong_types_say_what_was_expected() {
        let config = parse_str("sandbox_accounts = [\"123456789012\"]\n").expect("config");
        assert_eq!(config.sandbox_accounts, vec!["123456789012"]);
        for bad in ["12345678901a", "123", "1234567890123"] {
            let error = parse_str(&format!("sandbox_accounts = [\"{bad}\"]\n"))
                .expect_err(bad)
                .to_string();
            assert!(
                error.contains("is not a 12-digit account id"),
                "{bad}: {error}"
            );
        }
        for (text, expected) in [
            ("break_glass = \"user/bg\"\n", "expected a list of strings"),
            ("break_glass = [1]\n", "expected a string"),
            ("keys = 1\n", "expected a table of command = \"key\""),
        ] {
            let error = parse_str(text).expect_err(text).to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
