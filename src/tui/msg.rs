//! What can happen to the cockpit (`Msg`) and what it asks the outside world to do (`Effect`).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::service::request::Request;
use firebreak_core::baseline::Baseline;
use firebreak_core::bindings::Command;
use firebreak_core::model::finding::{Attribution, Finding};
use firebreak_core::playbook::plan::{Outcome, Plan};
use firebreak_core::playbook::undo::Unfinished;
use firebreak_core::scan::ScanState;

/// An input to `update`: a key's meaning, a worker's result, or the clock.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A bound command (normal mode).
    Command(Command),
    /// Tab / Shift-Tab: next or previous pane (lists, regions) or dialog button.
    FocusNext,
    FocusPrev,
    /// Arrows, in normal mode and dialogs.
    Up,
    Down,
    Left,
    Right,
    /// Enter.
    Submit,
    /// Esc: close the dialog, stop editing, clear the filter.
    Cancel,
    /// `y` in a confirmation dialog: execute.
    Execute,
    /// A character typed into a text field (filter, typed confirmation).
    Type(char),
    Backspace,
    /// Ctrl-C: quit (asks first while an action runs).
    Interrupt,
    /// The scan started as `generation` as far as it has come: a snapshot of the one fold of
    /// its events, kept by its worker (a rescan's, once done, merged into the scan it was
    /// started over).
    Scan {
        generation: u64,
        scan: Arc<ScanState>,
    },
    /// The findings of the scan started as `generation`, judged against `baseline`: as regions
    /// finish (a first scan), then once `complete` when the scan has ended.
    Judged {
        generation: u64,
        findings: Result<Vec<Finding>, String>,
        baseline: Option<Box<Baseline>>,
        complete: bool,
    },
    /// The plan asked for as `ticket`, or why it could not be made.
    Planned {
        ticket: u64,
        plan: Result<Box<Plan>, String>,
    },
    /// One step of a running action ended.
    StepDone {
        action_id: String,
        index: usize,
        outcome: Outcome,
    },
    /// A running action ended (`error`: it could not run at all, e.g. the journal failed).
    ActionDone {
        action_id: String,
        error: Option<String>,
    },
    /// A finding was accepted into the baseline (or why not).
    Accepted {
        finding: String,
        result: Result<PathBuf, String>,
    },
    /// Something could not be journaled: the log line saying what and why.
    NotJournaled(String),
    /// Actions earlier sessions left unfinished (read at start).
    Unfinished(Vec<Unfinished>),
    /// The clock, about five times a second.
    Tick(DateTime<Utc>),
    /// A key was pressed (counted for a game day's scorecard, whatever it does).
    Keystroke,
    /// Who made the change behind `finding` (its id).
    Attributed {
        finding: String,
        attribution: Attribution,
    },
}

/// Work for the event loop to start; results come back as actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Scan every region, or (`only`) some regions and IAM, to be merged into `base`, the scan
    /// on screen (shared, not copied), before findings are judged.
    StartScan {
        generation: u64,
        only: Option<Vec<String>>,
        base: Option<Arc<ScanState>>,
    },
    /// Plan `requests` as one action; the answer is `Msg::Planned { ticket }`.
    Prepare {
        ticket: u64,
        requests: Vec<Request>,
    },
    /// Run a confirmed plan through the engine.
    Execute {
        plan: Box<Plan>,
        typed: Option<String>,
    },
    Accept {
        finding: Box<Finding>,
    },
    /// Journal that executing `action_id` was refused: the session is read-only.
    RefuseReadOnly {
        action_id: String,
    },
    /// Look for actions a crashed session left unfinished.
    FindUnfinished,
    /// Look up who made the change behind `finding`; the answer is `Msg::Attributed`.
    Attribute {
        finding: Box<Finding>,
    },
}
