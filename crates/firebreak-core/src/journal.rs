//! The session journal: an append-only JSONL file per session under the data dir, each line
//! flushed and fsync'd before firebreak goes on. Never holds a secret: entries carry ids,
//! names and ARNs only.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Identity;
use crate::model::finding::FindingKind;
use crate::model::operation::Operation;
use crate::playbook::plan::{Outcome, Plan};

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Entry {
    /// The first line of every session.
    SessionStart {
        version: String,
        args: Vec<String>,
        local_user: Option<String>,
        identity: Identity,
    },
    /// A plan was shown to the operator (dry run or before confirmation).
    PlanShown { plan: Box<Plan> },
    /// The operator confirmed a plan.
    Confirmed {
        action_id: String,
        local_user: Option<String>,
        caller_arn: String,
        /// What was typed to confirm (an account id or alias), if anything was required.
        typed: Option<String>,
    },
    /// Execution was refused (read-only mode).
    Refused { action_id: String, reason: String },
    /// A step is about to be sent: written before the call.
    StepIntent {
        action_id: String,
        index: usize,
        service: String,
        region: String,
        api: String,
        target: String,
        operation: Operation,
    },
    /// A step's result: written after the call returns.
    StepOutcome {
        action_id: String,
        index: usize,
        outcome: Outcome,
        /// The inverse of what was actually sent, when it differs from the plan's (state read
        /// just before the call): undo restores exactly what firebreak changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inverse: Option<Operation>,
    },
    /// Every step of an action has ended.
    ActionFinished {
        action_id: String,
        ok: usize,
        skipped: usize,
        unsupported: usize,
        failed: usize,
    },
    /// A scan ended: how many findings it showed, and the ids of those this session had not
    /// shown before (so the first scan that showed each finding can be found).
    Scanned {
        findings: usize,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        new: Vec<String>,
    },
    /// The cockpit was closed after this many keystrokes.
    CockpitClosed { keystrokes: u64 },
    /// A finding was accepted into the baseline.
    BaselineAccepted {
        finding: String,
        kind: FindingKind,
        facts: String,
        baseline: PathBuf,
        by: String,
    },
}

impl Entry {
    /// Executing `action_id` was refused because the session is read-only.
    pub fn read_only_refusal(action_id: &str) -> Self {
        Entry::Refused {
            action_id: action_id.to_string(),
            reason: "read-only".to_string(),
        }
    }
}

/// The local user name: `USER`, else `LOGNAME`, else the account of the uid (never empty).
pub fn local_user() -> Option<String> {
    user_from(|name| std::env::var(name).ok(), || whoami::username().ok())
}

/// [`local_user`] over an environment and the uid's account, given.
fn user_from(
    env: impl Fn(&str) -> Option<String>,
    account: impl FnOnce() -> Option<String>,
) -> Option<String> {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|name| env(name))
        .find(|user| !user.is_empty())
        // Unset (a cron job, a container, `env -i`): the account of the process's uid.
        .or_else(|| account().filter(|user| !user.is_empty()))
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub at: DateTime<Utc>,
    pub session: String,
    #[serde(flatten)]
    pub entry: Entry,
}

/// Why the journal could not be written. Nothing that mutates AWS may go on without it.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the journal {path}: {source}")]
pub struct JournalError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// An open session journal. Clones share the file: each record is written under a short lock,
/// so actions running side by side never wait on each other. The file is locked for as long
/// as the session runs, so other processes can tell a live session from a crashed one.
#[derive(Debug, Clone)]
pub struct Journal {
    file: Arc<Mutex<File>>,
    path: PathBuf,
    session: String,
    actions: Arc<AtomicUsize>,
    /// Finding ids this session's scans have shown.
    shown: Arc<Mutex<BTreeSet<String>>>,
}

impl Journal {
    /// Starts a session journal in `data_dir/journal/` and writes its first line.
    pub fn start(
        data_dir: &Path,
        identity: &Identity,
        args: Vec<String>,
    ) -> Result<Self, JournalError> {
        let now = Utc::now();
        let session = format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), std::process::id());
        let directory = data_dir.join("journal");
        let path = directory.join(format!("{session}.jsonl"));
        let fail = |source| JournalError {
            path: path.clone(),
            source,
        };
        crate::files::create_private_dir(&directory).map_err(fail)?;
        let file = crate::files::append_private(&path).map_err(fail)?;
        // Held until the process ends; a session whose lock can be taken is not running.
        file.try_lock()
            .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
        let journal = Journal {
            file: Arc::new(Mutex::new(file)),
            path,
            session,
            actions: Arc::new(AtomicUsize::new(0)),
            shown: Arc::default(),
        };
        journal.record(Entry::SessionStart {
            version: env!("CARGO_PKG_VERSION").to_string(),
            args,
            local_user: local_user(),
            identity: identity.clone(),
        })?;
        Ok(journal)
    }

    /// A new action id in this session (`SESSION-N`).
    pub fn next_action_id(&self) -> String {
        let n = self.actions.fetch_add(1, Ordering::SeqCst) + 1;
        format!("{}-{n}", self.session)
    }

    pub fn session(&self) -> &str {
        &self.session
    }

    /// Appends one entry and waits until it is on disk.
    pub fn record(&self, entry: Entry) -> Result<(), JournalError> {
        let record = Record {
            at: Utc::now(),
            session: self.session.clone(),
            entry,
        };
        let fail = |source| JournalError {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_string(&record).map_err(|e| fail(e.into()))?;
        line.push('\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| fail(std::io::Error::other("the journal lock was poisoned")))?;
        file.write_all(line.as_bytes()).map_err(fail)?;
        file.sync_data().map_err(fail)
    }

    /// Records a finished scan that showed `finding_ids`: their number, and those this
    /// session has not recorded before.
    pub fn record_scan<'a>(
        &self,
        finding_ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), JournalError> {
        let mut findings = 0;
        let mut new = Vec::new();
        {
            let mut shown = self.shown.lock().map_err(|_| JournalError {
                path: self.path.clone(),
                source: std::io::Error::other("the journal lock was poisoned"),
            })?;
            for id in finding_ids {
                findings += 1;
                if shown.insert(id.to_string()) {
                    new.push(id.to_string());
                }
            }
        }
        self.record(Entry::Scanned { findings, new })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A session journal as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLog {
    pub path: PathBuf,
    /// The session id (the file name without `.jsonl`).
    pub session: String,
    pub records: Vec<Record>,
    /// The line number of a last line cut short (a crash while writing), if any.
    pub truncated_line: Option<usize>,
    /// Whether the session's process still runs (it holds the file's lock).
    pub live: bool,
}

/// A journal that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a journal record: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("no journal session {0}")]
    NoSession(String),
}

/// Reads one session journal. A last line cut short by a crash is tolerated and reported in
/// `truncated_line`; a bad line anywhere else is an error naming the file and line.
pub fn read_session(path: &Path) -> Result<SessionLog, ReadError> {
    // Bytes, not a string: a crash can cut the last line inside a multi-byte character.
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let complete = bytes.ends_with(b"\n");
    let mut records = Vec::with_capacity(lines.len());
    let mut truncated_line = None;
    for (number, line) in lines.iter().enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let is_last = number + 1 == lines.len();
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => records.push(record),
            Err(_) if is_last && !complete => truncated_line = Some(number + 1),
            Err(e) => {
                return Err(ReadError::Corrupt {
                    path: path.to_path_buf(),
                    line: number + 1,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(SessionLog {
        path: path.to_path_buf(),
        session: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        records,
        truncated_line,
        live: is_live(path),
    })
}

/// Whether a running firebreak holds the journal's lock (this process's own sessions included).
fn is_live(path: &Path) -> bool {
    File::open(path).is_ok_and(|file| {
        matches!(
            file.try_lock_shared(),
            Err(std::fs::TryLockError::WouldBlock)
        )
    })
}

/// Every session journal under `data_dir`, oldest first.
pub fn read_all(data_dir: &Path) -> Result<Vec<SessionLog>, ReadError> {
    let directory = data_dir.join("journal");
    if !directory.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(&directory).map_err(|source| ReadError::Io {
        path: directory.clone(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read_session(p)).collect()
}

/// The journal of one session, by id.
pub fn read_one(data_dir: &Path, session: &str) -> Result<SessionLog, ReadError> {
    let path = data_dir.join("journal").join(format!("{session}.jsonl"));
    if !path.exists() {
        return Err(ReadError::NoSession(session.to_string()));
    }
    read_session(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_user_is_the_environments_else_the_uids_account() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let account = || Some("uid-account".to_string());
        assert_eq!(
            user_from(env(&[("USER", "jo"), ("LOGNAME", "x")]), account),
            Some("jo".into())
        );
        assert_eq!(
            user_from(env(&[("USER", ""), ("LOGNAME", "lo")]), account),
            Some("lo".into())
        );
        assert_eq!(user_from(env(&[]), account), Some("uid-account".into()));
        assert_eq!(
            user_from(env(&[("USER", "")]), || Some(String::new())),
            None
        );
    }

    #[test]
    fn every_line_is_a_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let identity = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/x".into(),
        };
        let journal =
            Journal::start(dir.path(), &identity, vec!["firebreak".into()]).expect("start");
        journal
            .record(Entry::BaselineAccepted {
                finding: "unknown_user:global:bob".into(),
                kind: FindingKind::UnknownUser,
                facts: String::new(),
                baseline: PathBuf::from("/b.toml"),
                by: identity.caller_arn.clone(),
            })
            .expect("record");
        let text = std::fs::read_to_string(journal.path()).expect("read");
        let records: Vec<Record> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a record per line"))
            .collect();
        assert_eq!(records.len(), 2);
        assert!(matches!(records[0].entry, Entry::SessionStart { .. }));
        assert!(matches!(records[1].entry, Entry::BaselineAccepted { .. }));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(journal.path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/x".into(),
        }
    }

    #[test]
    fn a_truncated_last_line_is_tolerated_and_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::start(dir.path(), &identity(), vec![]).expect("start");
        let path = journal.path().to_path_buf();
        drop(journal);
        let mut file = crate::files::append_private(&path).expect("open");
        // Cut inside a two-byte character, as a crash mid-write can.
        file.write_all(b"{\"at\":\"2026-11-22T00:00:00Z\",\"session\":\"caf\xc3")
            .expect("write");
        let log = read_session(&path).expect("readable");
        assert_eq!(log.records.len(), 1);
        assert_eq!(log.truncated_line, Some(2));
    }

    #[test]
    fn a_bad_last_line_that_was_finished_is_corrupt_not_cut_short() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::start(dir.path(), &identity(), vec![]).expect("start");
        let path = journal.path().to_path_buf();
        drop(journal);
        let mut file = crate::files::append_private(&path).expect("open");
        file.write_all(b"{\"at\":\n").expect("write");
        let err = read_session(&path).expect_err("a complete bad line is corrupt");
        assert!(
            err.to_string().contains(":2: not a journal record"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_line_before_a_cut_short_last_line_is_still_corrupt() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::start(dir.path(), &identity(), vec![]).expect("start");
        let path = journal.path().to_path_buf();
        drop(journal);
        let mut file = crate::files::append_private(&path).expect("open");
        // Only the last line may be cut short; a bad one before it is damage, not a crash.
        file.write_all(b"garbage\n{\"at\":\"2026").expect("write");
        let err = read_session(&path).expect_err("corrupt");
        assert!(
            err.to_string().contains(":2: not a journal record"),
            "{err}"
        );
    }

    #[test]
    fn sessions_are_read_back_oldest_first_named_numbered_and_live_while_running() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(
            read_all(dir.path()).expect("no journal yet").is_empty(),
            "no journal folder: no sessions"
        );
        let journal =
            Journal::start(dir.path(), &identity(), vec!["firebreak".into()]).expect("start");
        let session = journal.session().to_string();
        assert_eq!(
            journal.path().file_stem().and_then(|s| s.to_str()),
            Some(session.as_str())
        );
        assert!(session.len() > 17, "{session}: timestamp and process id");
        assert_eq!(journal.next_action_id(), format!("{session}-1"));
        assert_eq!(journal.next_action_id(), format!("{session}-2"));
        let folder = dir.path().join("journal");
        let older = folder.join("20200101T000000Z-1.jsonl");
        std::fs::copy(journal.path(), &older).expect("an older session");
        std::fs::write(folder.join("notes.txt"), "not a journal").expect("other file");

        let logs = read_all(dir.path()).expect("readable");
        let sessions: Vec<&str> = logs.iter().map(|l| l.session.as_str()).collect();
        assert_eq!(sessions, ["20200101T000000Z-1", session.as_str()]);
        assert!(!logs[0].live, "nobody holds the copy's lock");
        assert!(logs[1].live, "this process holds its session's lock");
        let Entry::SessionStart { local_user, .. } = &logs[1].records[0].entry else {
            panic!("{:?}", logs[1].records[0]);
        };
        let expected = ["USER", "LOGNAME"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|user| !user.is_empty())
            .or_else(|| whoami::username().ok());
        assert!(expected.is_some(), "a local user is always named");
        assert_eq!(*local_user, expected);
        assert_eq!(super::local_user(), expected);

        assert_eq!(
            read_one(dir.path(), &session).expect("one").session,
            session
        );
        assert!(matches!(
            read_one(dir.path(), "20990101T000000Z-9"),
            Err(ReadError::NoSession(_))
        ));
        drop(journal);
        assert!(!read_one(dir.path(), &session).expect("one").live);
    }

    #[test]
    fn a_bad_line_in_the_middle_names_file_and_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::start(dir.path(), &identity(), vec![]).expect("start");
        let path = journal.path().to_path_buf();
        drop(journal);
        let mut text = std::fs::read_to_string(&path).expect("read");
        text = format!("garbage\n{text}");
        std::fs::write(&path, text).expect("write");
        let err = read_session(&path).expect_err("corrupt");
        assert!(
            err.to_string().contains(":1: not a journal record"),
            "{err}"
        );
    }

    #[test]
    fn a_scan_is_recorded_with_its_count_and_only_the_findings_not_recorded_before() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::start(dir.path(), &identity(), vec![]).expect("start");
        journal.record_scan(["a", "b"]).expect("first scan");
        journal.record_scan(["b", "c", "d"]).expect("second scan");
        journal.record_scan([]).expect("an empty scan");
        let log = read_session(journal.path()).expect("readable");
        let scans: Vec<(usize, Vec<String>)> = log
            .records
            .iter()
            .filter_map(|r| match &r.entry {
                Entry::Scanned { findings, new } => Some((*findings, new.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            scans,
            [
                (2, vec!["a".to_string(), "b".to_string()]),
                (3, vec!["c".to_string(), "d".to_string()]),
                (0, Vec::new()),
            ]
        );
    }
}
