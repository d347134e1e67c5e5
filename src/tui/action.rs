//! What can happen to the cockpit (`Action`) and what it asks the outside world to do (`Effect`).

use crate::model::finding::Finding;
use crate::scan::ScanEvent;

/// An input to `update`: a user intent, a worker result, or the clock.
#[derive(Debug, Clone)]
pub enum Action {
    Quit,
    Rescan,
    /// Move the region selection by rows/columns in the grid.
    Move {
        rows: isize,
        columns: isize,
    },
    /// An event from the scan started as `generation`.
    Scan {
        generation: u64,
        event: ScanEvent,
    },
    /// The findings of the scan started as `generation`, or why they could not be judged.
    Findings {
        generation: u64,
        findings: Result<Vec<Finding>, String>,
    },
    Tick,
}

/// Work for the event loop to start; results come back as actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    StartScan { generation: u64 },
}
