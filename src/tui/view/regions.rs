//! The region grid: every region at once, laid out column by column, with live status, counts
//! and what is shared outside the account.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::model::finding::Severity;
use crate::report::status_word;
use crate::scan::{ItemKind, RegionState, RegionStatus};
use crate::tui::state::{GRID_COLUMNS, State};

/// Column titles; widths match `region_line` (58 columns, so two fit in 120).
const HEADING: &str = "  REGION         STATUS       FN SNAP  AMI  EC2 SHR  TIME";

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let block = Block::bordered().title(" Regions ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let columns = Layout::horizontal([Constraint::Ratio(1, GRID_COLUMNS as u32); GRID_COLUMNS])
        .spacing(1)
        .split(inner);
    let height = state.grid_rows();
    for (column, column_area) in columns.iter().enumerate() {
        let mut lines = vec![Line::styled(HEADING, theme::dim())];
        let first = column * height;
        for (offset, region) in state
            .scan
            .regions
            .iter()
            .skip(first)
            .take(height)
            .enumerate()
        {
            let worst = state
                .findings
                .iter()
                .filter(|f| f.region == region.name)
                .map(|f| f.severity)
                .max();
            lines.push(region_line(
                region,
                worst,
                first + offset == state.selected,
                state.ticks,
            ));
        }
        frame.render_widget(Paragraph::new(lines), *column_area);
    }
}

/// One region's row; its name takes the colour of its worst finding.
fn region_line(
    region: &RegionState,
    worst: Option<Severity>,
    selected: bool,
    ticks: u64,
) -> Line<'static> {
    let status_style = theme::status_style(region.status);
    let count = |kind| match region.count(kind) {
        Some(n) => n.to_string(),
        None if region.status == RegionStatus::NotEnabled => String::new(),
        None if matches!(region.status, RegionStatus::Done | RegionStatus::Error) => {
            "!".to_string()
        }
        None => "·".to_string(),
    };
    let shared = region.count(ItemKind::Shared).unwrap_or(0);
    let shared_style = if shared > 0 {
        theme::danger()
    } else {
        Style::new()
    };
    let time = region
        .duration
        .map_or_else(String::new, |d| format!("{:.1}s", d.as_secs_f64()));
    let mut line = Line::from(vec![
        Span::styled(
            format!("{} ", theme::status_glyph(region.status, ticks)),
            status_style,
        ),
        Span::styled(
            format!("{:<15}", region.name),
            worst
                .filter(|s| *s > Severity::Info)
                .map_or_else(Style::new, theme::severity_style),
        ),
        Span::styled(
            format!("{:<11}", status_word(region.status).replace('_', " ")),
            status_style,
        ),
        Span::raw(format!(
            "{:>4} {:>4} {:>4} {:>4} ",
            count(ItemKind::Functions),
            count(ItemKind::Snapshots),
            count(ItemKind::Images),
            count(ItemKind::Instances),
        )),
        Span::styled(format!("{:>3}", count(ItemKind::Shared)), shared_style),
        Span::styled(format!(" {time:>5}"), theme::dim()),
    ]);
    if selected {
        line = line.patch_style(Style::new().add_modifier(Modifier::REVERSED));
    }
    line
}
