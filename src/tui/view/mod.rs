//! Drawing. Free functions over `&State`, one file per screen region:
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────┐
//! │ header: account, caller, READ-ONLY badge                 │ 1 line
//! │ summary: scan progress, IAM counts, shared, errors       │ 1 line
//! │ ┌ regions ─────────────────┬─────────────────────────┐   │
//! │ │ grid, two columns, every region at once            │   │ rows + 3
//! │ └────────────────────────────────────────────────────┘   │
//! │ ┌ findings ──────────────┐ ┌ selected region ───────┐   │ the rest
//! │ └────────────────────────┘ └────────────────────────┘   │
//! │ footer: keys                                             │ 1 line
//! └──────────────────────────────────────────────────────────┘
//! ```

mod details;
mod findings;
mod header;
mod regions;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::state::State;

/// Draws the whole screen from `state`.
pub fn render(frame: &mut Frame, state: &State) {
    let grid_height = u16::try_from(state.grid_rows() + 3).unwrap_or(u16::MAX);
    let [header, summary, grid, bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(grid_height),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    header::render_header(frame, header, state);
    header::render_summary(frame, summary, state);
    regions::render(frame, grid, state);
    let [findings_area, details_area] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(bottom);
    findings::render(frame, findings_area, state);
    details::render(frame, details_area, state);
    header::render_footer(frame, footer);
}
