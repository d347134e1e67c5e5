//! The session journal: an append-only JSONL file per session under the data dir, each line
//! flushed and fsync'd before firebreak goes on. Never holds a secret: entries carry ids,
//! names and ARNs only.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::findings::FindingKind;
use crate::model::Identity;

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
    /// A finding was accepted into the baseline.
    BaselineAccepted {
        finding: String,
        kind: FindingKind,
        facts: String,
        baseline: PathBuf,
        by: String,
    },
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

/// An open session journal.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    session: String,
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
        std::fs::create_dir_all(&directory).map_err(fail)?;
        let file = crate::files::append_private(&path).map_err(fail)?;
        let mut journal = Journal {
            file,
            path,
            session,
        };
        journal.record(Entry::SessionStart {
            version: env!("CARGO_PKG_VERSION").to_string(),
            args,
            local_user: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .ok(),
            identity: identity.clone(),
        })?;
        Ok(journal)
    }

    /// Appends one entry and waits until it is on disk.
    pub fn record(&mut self, entry: Entry) -> Result<(), JournalError> {
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
        self.file.write_all(line.as_bytes()).map_err(fail)?;
        self.file.sync_data().map_err(fail)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_a_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let identity = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/x".into(),
        };
        let mut journal =
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
