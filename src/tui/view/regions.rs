//! The regions: every region of the scan at once (plus `global` for IAM), row by row, each
//! coloured by its worst open finding with its number of open findings (`✓` once all are
//! contained); not-enabled regions dimmed (`–`),
//! regions the baseline uses marked `▪`, a region whose scan failed marked `!`. Small terminals
//! get one line: progress and the worst regions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::tui::state::{Focus, State};
use crate::tui::update::REGION_COLUMNS;
use firebreak_core::model::GLOBAL;
use firebreak_core::model::finding::Severity;
use firebreak_core::scan::RegionStatus;

/// Characters of one cell: marker, name (the longest region name is 14), space, count, gap.
const CELL: usize = 19;

/// Rows the grid needs.
pub fn grid_rows(state: &State) -> usize {
    state.region_cells().len().div_ceil(REGION_COLUMNS).max(1)
}

/// A region's status mark, worst open severity, and numbers of findings and of open ones.
fn summary(state: &State, name: &str) -> (RegionStatus, Option<Severity>, usize, usize) {
    let status = if name == GLOBAL {
        state.scan.global.status
    } else {
        state
            .scan
            .regions
            .iter()
            .find(|r| r.name == name)
            .map_or(RegionStatus::Pending, |r| r.status)
    };
    let tally = state.region_tally(name);
    (status, tally.worst, tally.count, tally.open)
}

pub fn render_grid(frame: &mut Frame, area: Rect, state: &State) {
    let title = match &state.region_filter {
        Some(region) => format!(" Regions · showing {region} (Esc: all) "),
        None => " Regions ".to_string(),
    };
    let focused = state.focus == Focus::Regions;
    let block = Block::bordered()
        .title(title)
        .border_style(theme::border(focused));
    let cells = state.region_cells();
    let mut lines = Vec::new();
    for row in cells.chunks(REGION_COLUMNS).enumerate() {
        let (row_index, names) = row;
        let mut spans = Vec::new();
        for (column, name) in names.iter().enumerate() {
            let index = row_index * REGION_COLUMNS + column;
            spans.extend(cell(state, name, index));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn cell(state: &State, name: &str, index: usize) -> Vec<Span<'static>> {
    let (status, worst, count, open) = summary(state, name);
    let in_use = state
        .baseline
        .as_ref()
        .is_some_and(|b| b.region_in_use(name));
    let marker = match status {
        RegionStatus::NotEnabled => "–",
        RegionStatus::Error => "!",
        _ if in_use => "▪",
        _ => " ",
    };
    let mut style = match (status, worst) {
        (RegionStatus::NotEnabled, _) => theme::dim(),
        (RegionStatus::Error, _) => theme::danger(),
        (_, Some(severity)) => theme::severity_fg(severity),
        // Found something, all of it contained.
        (RegionStatus::Done, None) if count > 0 => theme::good(),
        (RegionStatus::Done, None) => Style::new(),
        _ => theme::dim(),
    };
    let count_text = match status {
        RegionStatus::Pending | RegionStatus::Scanning => {
            theme::status_glyph(status, state.ticks).to_string()
        }
        RegionStatus::NotEnabled => String::new(),
        _ if count == 0 => "·".to_string(),
        // Everything found there is contained.
        _ if open == 0 => "✓".to_string(),
        _ => open.to_string(),
    };
    // A region showing the previous scan's results for some service: its count is italic.
    let stale = state
        .scan
        .regions
        .iter()
        .chain(std::iter::once(&state.scan.global))
        .any(|r| r.name == name && !r.stale.is_empty());
    if stale {
        style = style.add_modifier(Modifier::ITALIC);
    }
    if state.focus == Focus::Regions && state.region_cursor == index {
        style = style.add_modifier(Modifier::REVERSED);
    } else if state.region_filter.as_deref() == Some(name) {
        style = style.add_modifier(Modifier::UNDERLINED);
    }
    let name_width = CELL - 5;
    vec![
        Span::styled(
            marker.to_string(),
            style.remove_modifier(Modifier::REVERSED),
        ),
        Span::styled(format!("{name:<name_width$}"), style),
        Span::styled(
            format!(" {count_text:>2} "),
            style.remove_modifier(Modifier::REVERSED),
        ),
    ]
}

/// One line for small terminals: the region filter, regions in error, and the regions with
/// open findings, worst first, as many as fit whole.
pub fn render_line(frame: &mut Frame, area: Rect, state: &State) {
    let mut spans = vec![Span::styled(" regions ", theme::dim())];
    if let Some(region) = &state.region_filter {
        spans.push(Span::styled(
            format!("[{region}] "),
            Style::new().add_modifier(Modifier::BOLD),
        ));
    }
    let mut worst: Vec<(Severity, usize, String)> = state
        .region_cells()
        .iter()
        .filter_map(|name| {
            let (_, severity, _, open) = summary(state, name);
            severity.map(|s| (s, open, name.to_string()))
        })
        .collect();
    worst.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let errors = state
        .scan
        .regions
        .iter()
        .filter(|r| r.status == RegionStatus::Error)
        .count();
    if errors > 0 {
        spans.push(Span::styled(
            format!("{errors} in error  "),
            theme::danger(),
        ));
    }
    // Whole regions only: one that does not fit is left out, with a count of those left out.
    let mut room = usize::from(area.width).saturating_sub(spans.iter().map(Span::width).sum());
    let total = worst.len();
    for (shown, (severity, count, name)) in worst.into_iter().enumerate() {
        let text = format!("{name} {count}  ");
        let more = format!("+{} more", total - shown);
        let last = shown + 1 == total;
        let needed = text.chars().count() + if last { 0 } else { more.len() };
        if needed > room {
            spans.push(Span::styled(more, theme::dim()));
            break;
        }
        room -= text.chars().count();
        spans.push(Span::styled(text, theme::severity_fg(severity)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
