//! Everything the cockpit shows, in one value owned by the event loop.

use crate::model::finding::Finding;
use crate::scan::ScanState;

/// The number of columns the region grid is laid out in.
pub const GRID_COLUMNS: usize = 2;

/// The cockpit's state. Changed only by `update`.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub scan: ScanState,
    /// Findings of the finished scan, most severe first.
    pub findings: Vec<Finding>,
    /// Why findings could not be judged (e.g. an unreadable baseline).
    pub findings_error: Option<String>,
    /// Which scan the current `scan` belongs to; events of older scans are dropped.
    pub generation: u64,
    pub read_only: bool,
    /// Index into `scan.regions` of the selected region.
    pub selected: usize,
    /// Ticks since start; drives the spinner.
    pub ticks: u64,
    pub should_quit: bool,
}

impl State {
    pub fn new(read_only: bool) -> Self {
        State {
            read_only,
            ..State::default()
        }
    }

    /// Rows of the region grid (regions are laid out column by column).
    pub fn grid_rows(&self) -> usize {
        self.scan.regions.len().div_ceil(GRID_COLUMNS).max(1)
    }
}
