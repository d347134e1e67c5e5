//! Drawing. Free functions over `&State`, one file per screen region. 120×40 is the design size:
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────────┐
//! │ header: account, caller, profile, endpoint, READ-ONLY, scan      │ 1 line
//! │ ┌ Regions ─ every region, coloured by its worst finding ───────┐ │ rows + 2
//! │ ┌ Unknown principals ┐┌ Recent resources ┐┌ Public & shared ───┐ │ the rest
//! │ ┌ details of the selection ──────┐┌ Session log ───────────────┐ │ 14 lines
//! │ footer: the keys that apply now                                  │ 1 line
//! └──────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Smaller terminals (down to 80×24) get one line of regions, the lists as tabs, and details and
//! log sharing one pane; below that, a line saying the terminal is too small.

mod details;
mod header;
mod lists;
mod log;
mod modal;
mod regions;
#[cfg(test)]
mod tests;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::state::State;

/// The smallest usable terminal.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// From this size on, the full layout.
pub const FULL_WIDTH: u16 = 120;
pub const FULL_HEIGHT: u16 = 40;

/// Draws the whole screen from `state`.
pub fn render(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "terminal too small: firebreak needs {MIN_WIDTH}×{MIN_HEIGHT}, this is {}×{} (q quits)",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme::danger()))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    if area.width >= FULL_WIDTH && area.height >= FULL_HEIGHT {
        render_full(frame, area, state);
    } else {
        render_compact(frame, area, state);
    }
    modal::render(frame, area, state);
}

fn render_full(frame: &mut Frame, area: Rect, state: &State) {
    let grid_height = u16::try_from(regions::grid_rows(state) + 2).unwrap_or(u16::MAX);
    let [top, grid, lists_area, bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(grid_height),
        Constraint::Min(6),
        Constraint::Length(14),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(frame, top, state);
    regions::render_grid(frame, grid, state);
    lists::render_columns(frame, lists_area, state);
    let [details_area, log_area] =
        Layout::horizontal([Constraint::Percentage(52), Constraint::Percentage(48)]).areas(bottom);
    details::render(frame, details_area, state);
    log::render(frame, log_area, state);
    header::render_footer(frame, footer, state);
}

fn render_compact(frame: &mut Frame, area: Rect, state: &State) {
    let [top, grid, lists_area, bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Percentage(45),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(frame, top, state);
    regions::render_line(frame, grid, state);
    lists::render_tabs(frame, lists_area, state);
    if state.show_log {
        log::render(frame, bottom, state);
    } else {
        details::render(frame, bottom, state);
    }
    header::render_footer(frame, footer, state);
}

/// Cuts `text` to `width` characters, marking the cut with `…`.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A shortened id for lists: long ids keep their start and end (`snap-3c41…bcf`).
pub fn short_id(id: &str, width: usize) -> String {
    let count = id.chars().count();
    if count <= width || width < 5 {
        return fit(id, width);
    }
    let tail = (width - 1) / 3;
    let head = width - 1 - tail;
    let start: String = id.chars().take(head).collect();
    let end: String = id.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}
