//! The header (identity and mode), the one-line summary, and the footer (keys).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::report::identity_line;
use crate::scan::ItemKind;
use crate::tui::state::State;

pub fn render_header(frame: &mut Frame, area: Rect, state: &State) {
    let title = Span::styled(
        " firebreak ",
        Style::new()
            .fg(Color::Black)
            .bg(Color::LightRed)
            .add_modifier(Modifier::BOLD),
    );
    let identity = match &state.scan.identity {
        Some(identity) => Span::raw(format!(" {}", identity_line(identity))),
        None => Span::styled(" identifying caller…", theme::dim()),
    };
    let mut spans = vec![title, identity];
    if state.read_only {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            " READ-ONLY ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn render_summary(frame: &mut Frame, area: Rect, state: &State) {
    let scan = &state.scan;
    let (finished, total) = scan.progress();
    let not_enabled = scan.regions.len() - total;
    let off = if not_enabled > 0 {
        format!(" · {not_enabled} not enabled")
    } else {
        String::new()
    };
    let progress = if let Some(error) = &scan.fatal {
        Span::styled(format!(" scan failed: {error}"), theme::danger())
    } else if scan.done {
        Span::raw(format!(" scan complete: {finished}/{total} regions{off}"))
    } else {
        Span::styled(
            format!(" scanning: {finished}/{total} regions{off}"),
            Style::new().fg(Color::Yellow),
        )
    };
    let global = &scan.global;
    let count = |kind| {
        global
            .count(kind)
            .map_or_else(|| "·".to_string(), |n| n.to_string())
    };
    let mut spans = vec![
        progress,
        Span::styled("  │  IAM ", theme::dim()),
        Span::raw(format!(
            "users {} · keys {} · roles {}",
            count(ItemKind::Users),
            count(ItemKind::AccessKeys),
            count(ItemKind::Roles)
        )),
    ];
    let shared: usize = scan
        .regions
        .iter()
        .filter_map(|r| r.count(ItemKind::Shared))
        .sum();
    if shared > 0 {
        spans.push(Span::styled("  │  ", theme::dim()));
        spans.push(Span::styled(
            format!("{shared} shared outside the account"),
            theme::danger(),
        ));
    }
    let errors: usize = std::iter::once(global)
        .chain(&scan.regions)
        .map(|r| r.errors.len())
        .sum();
    if errors > 0 {
        spans.push(Span::styled("  │  ", theme::dim()));
        spans.push(Span::styled(format!("errors {errors}"), theme::danger()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn render_footer(frame: &mut Frame, area: Rect) {
    let key = |k: &'static str| Span::styled(k, Style::new().add_modifier(Modifier::BOLD));
    let line = Line::from(vec![
        Span::raw(" "),
        key("q"),
        Span::styled(" quit  ", theme::dim()),
        key("r"),
        Span::styled(" rescan  ", theme::dim()),
        key("←↑↓→"),
        Span::styled(" select region", theme::dim()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
