//! The session log: plans, confirmations and each step's outcome as it returns, newest at the
//! bottom, with AWS error codes and request ids.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::tui::state::{LogKind, State};

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let block = Block::bordered().title(" Session log ");
    let inner = block.inner(area);
    let height = inner.height as usize;
    let lines: Vec<Line> = if state.log.is_empty() {
        vec![Line::styled(
            "nothing done yet: actions, their steps and outcomes appear here",
            theme::dim(),
        )]
    } else {
        state
            .log
            .iter()
            .skip(state.log.len().saturating_sub(height))
            .map(|line| {
                let style = match line.kind {
                    LogKind::Info => Style::new(),
                    LogKind::Ok => theme::good(),
                    LogKind::Skipped => theme::dim(),
                    LogKind::Failed => theme::danger(),
                };
                Line::from(vec![
                    Span::styled(line.at.format("%H:%M:%S ").to_string(), theme::dim()),
                    Span::styled(line.text.clone(), style),
                ])
            })
            .collect()
    };
    // No wrapping: the newest line always stays in view (long lines are cut at the border).
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
