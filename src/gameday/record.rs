//! The record of one game-day run, `<data dir>/gameday/<run id>/run.json` (0600): written before
//! the first call and after each step, so a run cut short can still be cleaned up. It holds
//! names, ids and times only — never an access key's secret or a password.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::blueprint::Blueprint;
use super::indicator::Indicator;

/// One step carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDone {
    pub id: String,
    pub at: DateTime<Utc>,
    /// What it did, in one line (`created user terraform-old with 1 key (admin)`).
    pub what: String,
}

/// Something the attacker destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Damage {
    /// `deleted snapshot eu-west-1/snap-… (backup orders-db)`.
    pub summary: String,
    /// The finding a scan raises for it (`deleted_resource:REGION:ID`).
    pub finding: String,
}

/// A `moto_server` the run started and left running (`--no-tui`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    pub pid: u32,
    pub endpoint: String,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub scenario: String,
    pub seed: u64,
    pub account: String,
    /// The endpoint detonated into (`None`: real AWS).
    pub endpoint: Option<String>,
    /// Whether that endpoint is a moto_server this run started (called with dummy credentials).
    pub private_emulator: bool,
    pub created: DateTime<Utc>,
    /// When the first attacker step was sent: the clock starts here.
    pub attack_started: Option<DateTime<Utc>>,
    /// When the last attacker step returned.
    pub detonated: Option<DateTime<Utc>>,
    /// The run's baseline (the estate, captured before the attack).
    pub baseline: PathBuf,
    /// Every region anything may have been created in (for cleanup).
    pub regions: Vec<String>,
    pub blueprint: Blueprint,
    pub steps: Vec<StepDone>,
    pub indicators: Vec<Indicator>,
    /// What the attacker destroyed: it cannot be contained, only stopped from going further.
    pub damage: Vec<Damage>,
    /// Set by `gameday cleanup`.
    pub cleaned: Option<DateTime<Utc>>,
    pub server: Option<Server>,
}

/// Why a run record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot write the game-day record {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the game-day record {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a game-day record: {source}")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("no game-day run {run_id} under {dir}")]
    NoSuchRun { run_id: String, dir: PathBuf },
    #[error("no game-day run under {0}: start one with `firebreak gameday run SCENARIO`")]
    NoRuns(PathBuf),
}

/// Where the runs live.
pub fn runs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("gameday")
}

/// A new run id: the scenario, the seed and the time (also a valid tag value).
pub fn run_id(scenario: &str, seed: u64, now: DateTime<Utc>) -> String {
    format!("{scenario}-s{seed}-{}", now.format("%Y%m%dT%H%M%SZ"))
}

impl RunRecord {
    /// This run's folder.
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        runs_dir(data_dir).join(&self.run_id)
    }

    /// Writes the record (a temporary file renamed over the old one).
    pub fn save(&self, data_dir: &Path) -> Result<(), RecordError> {
        let dir = self.dir(data_dir);
        let path = dir.join("run.json");
        let fail = |source| RecordError::Write {
            path: path.clone(),
            source,
        };
        firebreak_core::files::create_private_dir(&dir).map_err(fail)?;
        let body = serde_json::to_vec_pretty(self)
            .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
        let temporary = dir.join("run.json.tmp");
        firebreak_core::files::write_private(&temporary, &body).map_err(fail)?;
        std::fs::rename(&temporary, &path).map_err(fail)
    }

    /// The run `run_id`, or (`None`) the newest run.
    pub fn load(data_dir: &Path, run_id: Option<&str>) -> Result<RunRecord, RecordError> {
        let dir = runs_dir(data_dir);
        let Some(run_id) = run_id else {
            return newest(&dir);
        };
        let path = dir.join(run_id).join("run.json");
        if !path.exists() {
            return Err(RecordError::NoSuchRun {
                run_id: run_id.to_string(),
                dir,
            });
        }
        read(&path)
    }
}

/// When the run after `record` (in the same data dir) was created: what the journals hold
/// from then on belongs to it, not to `record`.
pub fn next_run_started(
    data_dir: &Path,
    record: &RunRecord,
) -> Result<Option<DateTime<Utc>>, RecordError> {
    Ok(all(&runs_dir(data_dir))?
        .into_iter()
        .map(|r| r.created)
        .filter(|created| *created > record.created)
        .min())
}

/// The run whose baseline is `baseline`, if it is one (a run's baseline lives in its folder).
pub fn run_of_baseline(data_dir: &Path, baseline: &Path) -> Option<RunRecord> {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let baseline = canonical(baseline)?;
    let runs = canonical(&runs_dir(data_dir))?;
    let run_id = baseline.strip_prefix(&runs).ok()?.components().next()?;
    let record = RunRecord::load(data_dir, run_id.as_os_str().to_str()).ok()?;
    (canonical(&record.baseline) == Some(baseline)).then_some(record)
}

fn read(path: &Path) -> Result<RunRecord, RecordError> {
    let text = std::fs::read(path).map_err(|source| RecordError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&text).map_err(|source| RecordError::Corrupt {
        path: path.to_path_buf(),
        source,
    })
}

/// Every run under `dir` (none when it does not exist).
fn all(dir: &Path) -> Result<Vec<RunRecord>, RecordError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(RecordError::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut runs = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path().join("run.json");
        if path.exists() {
            runs.push(read(&path)?);
        }
    }
    Ok(runs)
}

/// The most recently created run under `dir`.
fn newest(dir: &Path) -> Result<RunRecord, RecordError> {
    all(dir)?
        .into_iter()
        .max_by_key(|r| r.created)
        .ok_or_else(|| RecordError::NoRuns(dir.to_path_buf()))
}
