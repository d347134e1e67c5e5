//! The findings list: what does not belong, most severe first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::model::finding::Severity;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let counts: Vec<String> = [Severity::Critical, Severity::High, Severity::Medium]
        .iter()
        .map(|s| {
            let n = state.findings.iter().filter(|f| f.severity == *s).count();
            format!("{n} {}", s.as_str())
        })
        .collect();
    let title = format!(" Findings · {} ", counts.join(" · "));
    let mut lines: Vec<Line> = Vec::new();
    if let Some(error) = &state.findings_error {
        lines.push(Line::styled(format!("✗ {error}"), theme::danger()));
    } else if !state.scan.done {
        lines.push(Line::styled(
            "judged when the scan completes…",
            theme::dim(),
        ));
    } else if state.findings.is_empty() {
        lines.push(Line::styled("nothing out of place", theme::dim()));
    }
    lines.extend(state.findings.iter().map(|finding| {
        Line::from(vec![
            Span::styled(
                theme::severity_label(finding.severity),
                theme::severity_style(finding.severity),
            ),
            Span::raw(" "),
            Span::styled(format!("{:<13}", finding.region), theme::dim()),
            Span::raw(finding.summary.clone()),
        ])
    }));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}
