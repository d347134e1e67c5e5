//! The session log: plans, confirmations and each step's outcome as it returns, newest at the
//! bottom, with AWS error codes and request ids.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme;
use crate::tui::state::{Focus, LogKind, State};

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let focused = state.focus == Focus::Log;
    let title = if focused {
        " Session log · ↑↓ pick an action, u undoes it "
    } else {
        " Session log "
    };
    let block = Block::bordered()
        .title(title)
        .border_style(theme::border(focused));
    let picked = state.last_undoable().map(|a| a.plan.action_id.clone());
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
            .map(|line| {
                let mut style = match line.kind {
                    LogKind::Info => Style::new(),
                    LogKind::Ok => theme::good(),
                    LogKind::Skipped => theme::dim(),
                    LogKind::Failed => theme::danger(),
                };
                if focused && line.action.is_some() && line.action == picked {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                Line::from(vec![
                    Span::styled(line.at.format("%H:%M:%S ").to_string(), theme::dim()),
                    Span::styled(line.text.clone(), style),
                ])
            })
            .collect()
    };
    // Wrapped, and scrolled so that the newest line is always in view.
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = text.line_count(inner.width);
    let scroll = u16::try_from(rows.saturating_sub(height)).unwrap_or(u16::MAX);
    frame.render_widget(block, area);
    frame.render_widget(text.scroll((scroll, 0)), inner);
}
