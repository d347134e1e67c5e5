//! The header (who and where: account, caller, profile, endpoint, READ-ONLY, scan, actions) and
//! the footer (the keys that apply now; those that do not are dimmed).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::keys::Command;
use crate::model::finding::{FindingKind, ResourceType};
use crate::tui::keymap::{Mode, mode};
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let mut spans = vec![Span::styled(
        " firebreak ",
        Style::new()
            .fg(Color::Black)
            .bg(Color::LightRed)
            .add_modifier(Modifier::BOLD),
    )];
    match &state.scan.identity {
        Some(identity) => {
            spans.push(Span::styled(
                format!(" {}", identity.id),
                Style::new().add_modifier(Modifier::BOLD),
            ));
            if let Some(alias) = &identity.alias {
                spans.push(Span::raw(format!(" {alias}")));
            }
            let caller = identity
                .caller_arn
                .rsplit_once(':')
                .map_or(identity.caller_arn.as_str(), |(_, r)| r);
            spans.push(Span::styled(" as ", theme::dim()));
            spans.push(Span::raw(caller.to_string()));
        }
        None => spans.push(Span::styled(" identifying caller…", theme::dim())),
    }
    if let Some(profile) = &state.profile {
        spans.push(Span::styled("  profile ", theme::dim()));
        spans.push(Span::raw(profile.clone()));
    }
    if let Some(endpoint) = &state.endpoint {
        let shown = endpoint
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        spans.push(Span::styled("  endpoint ", theme::dim()));
        spans.push(Span::styled(
            shown.to_string(),
            Style::new().fg(Color::Yellow),
        ));
    }
    // The right side (mode, scan, actions) always shows; the left is cut if it must be.
    let mut right: Vec<Span> = Vec::new();
    if state.read_only {
        right.push(Span::styled(
            " READ-ONLY ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
        right.push(Span::raw("  "));
    }
    right.extend(scan_status(state));
    let running = state.running();
    if running > 0 {
        right.push(Span::styled(
            format!("  ▶ {running} action(s) running"),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ));
    }
    right.push(Span::raw(" "));
    let right = Line::from(right);
    let right_width = u16::try_from(right.width()).unwrap_or(u16::MAX);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(right_width)])
            .spacing(1)
            .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left_area);
    frame.render_widget(Paragraph::new(right), right_area);
}

fn scan_status(state: &State) -> Vec<Span<'static>> {
    let scan = &state.scan;
    if let Some(error) = &scan.fatal {
        return vec![Span::styled(
            format!("scan failed: {} ({})", error.code, error.message),
            theme::danger(),
        )];
    }
    let (finished, total) = scan.progress();
    let mut spans = Vec::new();
    if scan.done {
        let errors = scan.regions.iter().filter(|r| !r.errors.is_empty()).count()
            + usize::from(!scan.global.errors.is_empty());
        let mark = if errors > 0 { "!" } else { "✓" };
        let style = if errors > 0 {
            theme::danger()
        } else {
            Style::new().fg(Color::Green)
        };
        spans.push(Span::styled(
            format!("scan {mark} {finished}/{total}"),
            style,
        ));
        if let Some(at) = state.scanned_at {
            let ago = (state.now - at).num_seconds().max(0);
            spans.push(Span::styled(
                format!(" {} ({ago}s ago)", at.format("%H:%M:%S")),
                theme::dim(),
            ));
        }
    } else {
        spans.push(Span::styled(
            format!("scanning {finished}/{total}"),
            Style::new().fg(Color::Yellow),
        ));
    }
    if let Some(rescan) = &state.rescan {
        let (finished, total) = rescan.progress();
        spans.push(Span::styled(
            format!(" · rescanning {finished}/{total}"),
            Style::new().fg(Color::Yellow),
        ));
    }
    spans
}

/// The footer: a notice when there is one, else the keys, dimmed where they do not apply.
pub fn render_footer(frame: &mut Frame, area: Rect, state: &State) {
    if let Some(notice) = &state.notice {
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {notice}"), theme::warning())),
            area,
        );
        return;
    }
    let line = match mode(state) {
        Mode::Typing if state.modal.is_none() => Line::from(vec![
            Span::styled(" filter: ", theme::dim()),
            Span::raw(state.filter.text.clone()),
            Span::styled("▏  Enter keep  Esc clear  (! inverts)", theme::dim()),
        ]),
        // Narrow terminals list only the keys that apply now.
        Mode::Normal => command_hints(state, area.width >= super::FULL_WIDTH),
        _ => Line::styled(
            " Tab/←/→ move  Enter choose  y execute  Esc cancel",
            theme::dim(),
        ),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn command_hints(state: &State, all: bool) -> Line<'static> {
    let (targets, _) = state.targets();
    let any =
        |test: &dyn Fn(&crate::model::finding::Finding) -> bool| targets.iter().any(|f| test(f));
    let disable = any(&|f| {
        matches!(
            f.resource_type,
            ResourceType::User | ResourceType::AccessKey | ResourceType::Role
        )
    });
    let contain = any(&|f| f.resource_type == ResourceType::Function);
    let unshare = any(&|f| {
        matches!(
            f.kind,
            FindingKind::PublicSnapshot
                | FindingKind::SharedSnapshot
                | FindingKind::PublicImage
                | FindingKind::SharedImage
                | FindingKind::PublicFunction
        )
    });
    let hints = [
        (Command::Disable, "disable", disable),
        (Command::Contain, "contain", contain),
        (Command::Unshare, "unshare", unshare),
        (Command::Freeze, "freeze", true),
        (Command::Undo, "undo", state.last_undoable().is_some()),
        (
            Command::Accept,
            "accept",
            state.baseline.is_some() && state.selection().is_some(),
        ),
        (Command::Filter, "filter", true),
        (Command::Mark, "mark", state.selection().is_some()),
        (Command::MarkAll, "all", true),
        (
            Command::Rescan,
            "rescan",
            state.rescan.is_none() && state.scan.done,
        ),
        (Command::Help, "help", true),
        (Command::Quit, "quit", true),
    ];
    let mut spans = vec![Span::raw(" ")];
    for (command, word, applies) in hints {
        if !applies && !all {
            continue;
        }
        let key_style = if applies {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            theme::dim()
        };
        spans.push(Span::styled(state.keys.key(command).to_string(), key_style));
        spans.push(Span::styled(format!(" {word}  "), theme::dim()));
    }
    if !state.marks.is_empty() {
        spans.push(Span::styled(
            format!("  {} marked", state.marks.len()),
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        ));
    }
    Line::from(spans)
}
