//! Details of the selected region: its errors (with AWS code and request id), its findings, its
//! functions, and global (IAM) errors.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme;
use crate::aws::AwsError;
use crate::report::status_word;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let scan = &state.scan;
    let Some(region) = scan.regions.get(state.selected) else {
        let block = Block::bordered().title(" Details ");
        frame.render_widget(
            Paragraph::new(Line::styled("waiting for the region list…", theme::dim())).block(block),
            area,
        );
        return;
    };
    let time = region
        .duration
        .map_or_else(String::new, |d| format!(" in {:.1}s", d.as_secs_f64()));
    let title = format!(
        " {} · {}{time} ",
        region.name,
        status_word(region.status).replace('_', " ")
    );
    let mut lines: Vec<Line> = Vec::new();
    lines.extend(region.errors.iter().map(error_line));
    lines.extend(
        state
            .findings
            .iter()
            .filter(|f| f.region == region.name)
            .map(|f| {
                Line::from(vec![
                    Span::styled(
                        theme::severity_label(f.severity),
                        theme::severity_style(f.severity),
                    ),
                    Span::raw(format!(" {}", f.summary)),
                ])
            }),
    );
    let names: Vec<&str> = scan
        .inventory
        .functions
        .iter()
        .filter(|f| f.region == region.name)
        .map(|f| f.name.as_str())
        .collect();
    if !names.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("functions: ", theme::dim()),
            Span::raw(names.join(", ")),
        ]));
    }
    if !scan.global.errors.is_empty() {
        lines.push(Line::styled("global:", theme::dim()));
        lines.extend(scan.global.errors.iter().map(error_line));
    }
    if lines.is_empty() {
        lines.push(Line::styled("nothing to report", theme::dim()));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(title))
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn error_line(error: &AwsError) -> Line<'static> {
    Line::styled(format!("✗ {error}"), theme::danger())
}
