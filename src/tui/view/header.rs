//! The header (who and where: account, caller, profile, endpoint, READ-ONLY, scan, actions) and
//! the footer (the keys that apply now; those that do not are dimmed).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::gameday::score::clock;
use crate::keys::Command;
use crate::model::finding::ResourceType;
use crate::playbook::countermeasure::Countermeasure;
use crate::service::request::SharedTarget;
use crate::tui::keymap::{Mode, mode};
use crate::tui::state::{GameDay, State};

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
    // Who and where may be long (an SSO role's session name, an endpoint): the state on the
    // right — READ-ONLY, the scan, actions running — must stay in view.
    let mut status = Vec::new();
    if state.read_only {
        status.push(Span::raw("  "));
        status.push(Span::styled(
            " READ-ONLY ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(day) = &state.gameday {
        status.push(Span::raw("  "));
        status.push(gameday_status(day, state.now));
    }
    status.push(Span::raw("  "));
    status.extend(scan_status(state));
    let running = state.running();
    if running > 0 {
        status.push(Span::styled(
            format!("  ▶ {running} action(s) running"),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ));
    }
    let (who, status) = (Line::from(spans), Line::from(status));
    if who.width() + status.width() <= usize::from(area.width) {
        let mut line = who;
        line.spans.extend(status.spans);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    // Too long: who and where are cut, the status is kept whole on the right.
    let status_width = u16::try_from(status.width()).unwrap_or(u16::MAX);
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(status_width)]).areas(area);
    let room = usize::from(left.width);
    let mut cut: Vec<Span> = Vec::new();
    let mut used = 0;
    for span in who.spans {
        let width = span.width();
        if used + width < room {
            used += width;
            cut.push(span);
        } else {
            let text: String = span
                .content
                .chars()
                .take(room.saturating_sub(used + 1))
                .collect();
            cut.push(Span::styled(format!("{text}…"), span.style));
            break;
        }
    }
    frame.render_widget(Paragraph::new(Line::from(cut)), left);
    frame.render_widget(Paragraph::new(status), right);
}

/// The game day's clock and what is left to contain.
fn gameday_status(day: &GameDay, now: DateTime<Utc>) -> Span<'static> {
    let since = |at: DateTime<Utc>| clock((at - day.attack_started).num_seconds());
    match day.all_contained {
        Some(at) => Span::styled(
            format!(
                " GAME DAY {}: all {} contained at {} ",
                day.scenario,
                day.indicators.len(),
                since(at)
            ),
            Style::new()
                .fg(Color::Black)
                .bg(Color::Green)
                .add_modifier(Modifier::BOLD),
        ),
        None => Span::styled(
            format!(
                " GAME DAY {} {} · {}/{} indicators left ",
                day.scenario,
                since(now),
                day.open,
                day.indicators.len()
            ),
            Style::new()
                .fg(Color::Black)
                .bg(Color::LightMagenta)
                .add_modifier(Modifier::BOLD),
        ),
    }
}

fn scan_status(state: &State) -> Vec<Span<'static>> {
    let scan = &state.scan;
    if let Some(error) = &scan.fatal
        && error.is_credentials_problem()
    {
        let refresh = match &state.profile {
            Some(profile) => format!("`aws sso login --profile {profile}`"),
            None => "refresh them".to_string(),
        };
        let kept = if state.scanned_at.is_some() {
            " — last results kept"
        } else {
            ""
        };
        return vec![Span::styled(
            format!(
                " credentials refused ({}): {refresh}, then r{kept} ",
                error.code
            ),
            theme::danger().add_modifier(Modifier::REVERSED),
        )];
    }
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
        Mode::Countdown => Line::styled(" any key cancels the countdown", theme::warning()),
        Mode::AnyKeyCloses => Line::styled(" any key closes", theme::dim()),
        Mode::Typing => Line::styled(
            " type to confirm  Tab/←/→ move  Enter choose  Esc cancel",
            theme::dim(),
        ),
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
    let unshare = any(&|f| SharedTarget::of_finding(f).is_some());
    let counter = any(&|f| Countermeasure::of_finding(f).is_some());
    let hints = [
        (Command::Disable, "disable", disable),
        (Command::Contain, "contain", contain),
        (Command::Unshare, "unshare", unshare),
        (Command::Counter, "counter", counter),
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
        // The countermeasure's hint shows only when it applies, in the room of `* all`.
        let shown = match command {
            Command::Counter => counter,
            Command::MarkAll => !counter,
            _ => applies || all,
        };
        if !shown {
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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::keys::Bindings;
    use crate::model::Identity;
    use crate::scan::ScanState;

    fn header(state: &State, width: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, 1)).expect("terminal");
        terminal
            .draw(|frame| render(frame, frame.area(), state))
            .expect("draw");
        terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|cell| cell.symbol())
            .collect()
    }

    #[test]
    fn a_long_caller_is_cut_and_never_hides_read_only_or_the_scan() {
        let mut state = State::new(Bindings::default(), true, Utc::now());
        state.endpoint = Some("http://127.0.0.1:45473".into());
        state.scan.identity = Some(Identity {
            id: "123456789012".into(),
            alias: Some("acme-prod".into()),
            caller_arn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jo.responder@example.com".into(),
        });
        state.rescan = Some(ScanState::default());
        let line = header(&state, 120);
        assert!(
            line.contains("READ-ONLY") && line.trim_end().ends_with("· rescanning 0/0"),
            "{line}"
        );
        assert!(
            line.contains(" 123456789012 acme-prod as assumed-role/AWSReservedSSO_"),
            "{line}"
        );
        assert!(line.contains('…'), "{line}");
        // When it fits, one line as before.
        state.scan.identity = Some(Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/jo".into(),
        });
        let line = header(&state, 120);
        assert!(
            line.contains("as user/jo  endpoint 127.0.0.1:45473   READ-ONLY   scanning"),
            "{line}"
        );
        assert!(!line.contains('…'), "{line}");
    }
}
