//! The header (who and where: account, caller, profile, endpoint, READ-ONLY, scan, actions) and
//! the footer (the keys that apply now; those that do not are dimmed).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::gameday::score::clock;
use crate::service::request::SharedTarget;
use crate::tui::keymap::{Mode, mode};
use crate::tui::state::{GameDay, State};
use firebreak_core::bindings::Command;
use firebreak_core::model::finding::ResourceType;
use firebreak_core::playbook::countermeasure::Countermeasure;

/// One field of the header: its full form, a shorter one it may take first, and how long it
/// stays when room runs out (the lowest gives way first; [`NEVER_SHRINKS`] never does).
struct Field {
    full: Vec<Span<'static>>,
    short: Option<Vec<Span<'static>>>,
    keep: u8,
}

/// The account id and READ-ONLY: what an operator must always see, at any width.
const NEVER_SHRINKS: u8 = u8::MAX;

impl Field {
    fn new(keep: u8, full: Vec<Span<'static>>) -> Self {
        Field {
            full,
            short: None,
            keep,
        }
    }

    fn or_short(mut self, short: Vec<Span<'static>>) -> Self {
        self.short = Some(short);
        self
    }

    /// A field of one styled text after `lead` (spacing), which gives way to `short` first.
    fn text(keep: u8, lead: &'static str, full: String, short: String, style: Style) -> Self {
        Field::new(keep, vec![Span::raw(lead), Span::styled(full, style)])
            .or_short(vec![Span::raw(lead), Span::styled(short, style)])
    }
}

/// Lays `fields` out in `width` columns: while they do not fit, the field that gives way first
/// takes its short form, or is left out; the account id and READ-ONLY stay whole.
fn fit(fields: Vec<Field>, width: usize) -> Line<'static> {
    let mut shown: Vec<Option<Vec<Span<'static>>>> =
        fields.iter().map(|f| Some(f.full.clone())).collect();
    let mut shortened = vec![false; fields.len()];
    let used = |shown: &[Option<Vec<Span<'static>>>]| -> usize {
        shown.iter().flatten().flatten().map(Span::width).sum()
    };
    while used(&shown) > width {
        // The next to give way: the lowest `keep` still shown, the rightmost of equals.
        let Some(index) = (0..fields.len())
            .filter(|&i| shown[i].is_some() && fields[i].keep < NEVER_SHRINKS)
            .min_by_key(|&i| (fields[i].keep, std::cmp::Reverse(i)))
        else {
            break;
        };
        match &fields[index].short {
            Some(short) if !shortened[index] => {
                shortened[index] = true;
                shown[index] = Some(short.clone());
            }
            _ => shown[index] = None,
        }
    }
    Line::from(shown.into_iter().flatten().flatten().collect::<Vec<_>>())
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let line = fit(fields(state), usize::from(area.width));
    frame.render_widget(Paragraph::new(line), area);
}

/// The header's fields in order, each with how long it stays when the width runs short: the
/// brand, the profile and the alias go first; then the scan's time, the endpoint, the caller;
/// the game day, actions running and the scan's progress shorten before they go.
fn fields(state: &State) -> Vec<Field> {
    let mut fields = vec![Field::new(
        0,
        vec![Span::styled(
            " firebreak ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
        )],
    )];
    match &state.scan.identity {
        Some(identity) => {
            fields.push(Field::new(
                NEVER_SHRINKS,
                vec![Span::styled(
                    format!(" {}", identity.id),
                    Style::new().add_modifier(Modifier::BOLD),
                )],
            ));
            if let Some(alias) = &identity.alias {
                fields.push(Field::new(2, vec![Span::raw(format!(" {alias}"))]));
            }
            let caller = identity
                .caller_arn
                .rsplit_once(':')
                .map_or(identity.caller_arn.as_str(), |(_, r)| r);
            // An assumed role's session, or a user's name: the last part says who.
            let who = caller.rsplit_once('/').map_or(caller, |(_, name)| name);
            fields.push(
                Field::new(
                    5,
                    vec![
                        Span::styled(" as ", theme::dim()),
                        Span::raw(caller.to_string()),
                    ],
                )
                .or_short(vec![
                    Span::styled(" as ", theme::dim()),
                    Span::raw(who.to_string()),
                ]),
            );
        }
        None => fields.push(Field::new(
            5,
            vec![Span::styled(" identifying caller…", theme::dim())],
        )),
    }
    if let Some(profile) = &state.profile {
        fields.push(Field::new(
            1,
            vec![
                Span::styled("  profile ", theme::dim()),
                Span::raw(profile.clone()),
            ],
        ));
    }
    if let Some(endpoint) = &state.endpoint {
        let shown = endpoint
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        fields.push(Field::new(
            4,
            vec![
                Span::styled("  endpoint ", theme::dim()),
                Span::styled(shown.to_string(), Style::new().fg(Color::Yellow)),
            ],
        ));
    }
    if state.read_only {
        fields.push(Field::new(
            NEVER_SHRINKS,
            vec![
                Span::raw("  "),
                Span::styled(
                    " READ-ONLY ",
                    Style::new()
                        .fg(Color::Black)
                        .bg(Color::Yellow)
                        .add_modifier(Modifier::BOLD),
                ),
            ],
        ));
    }
    if let Some(day) = &state.gameday {
        let (full, short) = gameday_status(day, state.now);
        fields.push(
            Field::new(7, vec![Span::raw("  "), full]).or_short(vec![Span::raw("  "), short]),
        );
    }
    fields.extend(scan_status(state));
    let running = state.running();
    if running > 0 {
        fields.push(Field::text(
            6,
            "  ",
            format!("▶ {running} action(s) running"),
            format!("▶ {running}"),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ));
    }
    fields
}

/// The game day's clock and what is left to contain: in full, and short for a narrow header.
fn gameday_status(day: &GameDay, now: DateTime<Utc>) -> (Span<'static>, Span<'static>) {
    let since = |at: DateTime<Utc>| clock((at - day.attack_started).num_seconds());
    match day.all_contained {
        Some(at) => {
            let style = Style::new()
                .fg(Color::Black)
                .bg(Color::Green)
                .add_modifier(Modifier::BOLD);
            (
                Span::styled(
                    format!(
                        " GAME DAY {}: all {} contained at {} ",
                        day.scenario,
                        day.indicators.len(),
                        since(at)
                    ),
                    style,
                ),
                Span::styled(
                    format!(" all {} contained {} ", day.indicators.len(), since(at)),
                    style,
                ),
            )
        }
        None => {
            let style = Style::new()
                .fg(Color::Black)
                .bg(Color::LightMagenta)
                .add_modifier(Modifier::BOLD);
            (
                Span::styled(
                    format!(
                        " GAME DAY {} {} · {}/{} indicators left ",
                        day.scenario,
                        since(now),
                        day.open,
                        day.indicators.len()
                    ),
                    style,
                ),
                Span::styled(
                    format!(
                        " {} · {}/{} left ",
                        since(now),
                        day.open,
                        day.indicators.len()
                    ),
                    style,
                ),
            )
        }
    }
}

/// The scan's fields: its progress or failure (the last to go), when it finished, and a rescan
/// under way.
fn scan_status(state: &State) -> Vec<Field> {
    let scan = &state.scan;
    let alarm = theme::danger().add_modifier(Modifier::REVERSED);
    if let Some(error) = &scan.fatal {
        let (full, short, style) = if error.code == "NoCredentials" {
            (
                " no AWS credentials found: set them (or start with --profile), then r "
                    .to_string(),
                " no credentials ".to_string(),
                alarm,
            )
        } else if error.is_credentials_problem() {
            let refresh = match &state.profile {
                Some(profile) => format!("`aws sso login --profile {profile}`"),
                None => "refresh them".to_string(),
            };
            // Only a scan that got as far as the caller left results to keep.
            let kept = if state.scan.identity.is_some() {
                " — last results kept"
            } else {
                ""
            };
            (
                format!(
                    " credentials refused ({}): {refresh}, then r{kept} ",
                    error.code
                ),
                format!(" credentials refused ({}) ", error.code),
                alarm,
            )
        } else {
            (
                format!("scan failed: {} ({})", error.code, error.message),
                format!("scan failed: {}", error.code),
                theme::danger(),
            )
        };
        return vec![Field::text(9, "  ", full, short, style)];
    }
    let (finished, total) = scan.progress();
    let mut fields = Vec::new();
    let busy = Style::new().fg(Color::Yellow);
    if scan.done {
        let errors = scan.regions.iter().filter(|r| !r.errors.is_empty()).count()
            + usize::from(!scan.global.errors.is_empty());
        let (mark, style) = if errors > 0 {
            ("!", theme::danger())
        } else {
            ("✓", Style::new().fg(Color::Green))
        };
        fields.push(Field::text(
            9,
            "  ",
            format!("scan {mark} {finished}/{total}"),
            format!("scan {mark}"),
            style,
        ));
        if let Some(at) = state.scanned_at {
            let ago = (state.now - at).num_seconds().max(0);
            fields.push(Field::new(
                3,
                vec![Span::styled(
                    format!(" {} ({ago}s ago)", at.format("%H:%M:%S")),
                    theme::dim(),
                )],
            ));
        }
    } else {
        fields.push(Field::text(
            9,
            "  ",
            format!("scanning {finished}/{total}"),
            format!("{finished}/{total}"),
            busy,
        ));
    }
    if let Some(rescan) = &state.rescan {
        let (finished, total) = rescan.progress();
        fields.push(Field::text(
            8,
            "",
            format!(" · rescanning {finished}/{total}"),
            format!(" ↻{finished}/{total}"),
            busy,
        ));
    }
    fields
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
        Mode::Normal => command_hints(state, usize::from(area.width)),
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

/// The keys for the normal mode in `width` columns: at full width every key (dimmed where it
/// does not apply), narrower only those that apply; a hint that does not fit is left out whole,
/// and help and quit always stay.
fn command_hints(state: &State, width: usize) -> Line<'static> {
    let all = width >= usize::from(super::FULL_WIDTH);
    let (targets, _) = state.targets();
    let any = |test: &dyn Fn(&firebreak_core::model::finding::Finding) -> bool| {
        targets.iter().any(|f| test(f))
    };
    let disable = any(&|f| {
        matches!(
            f.resource_type,
            ResourceType::User | ResourceType::AccessKey | ResourceType::Role
        )
    });
    let contain = any(&|f| f.resource_type == ResourceType::Function);
    let unshare = any(&|f| SharedTarget::of_finding(f).is_some());
    let protect = any(&|f| {
        matches!(
            f.resource_type,
            ResourceType::Bucket | ResourceType::Database
        )
    });
    let counter = any(&|f| Countermeasure::of_finding(f).is_some());
    let hints = [
        (Command::Disable, "disable", disable),
        (Command::Contain, "contain", contain),
        (Command::Unshare, "unshare", unshare),
        (Command::Protect, "protect", protect),
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
    let mut shown_hints: Vec<(Command, [Span<'static>; 2])> = Vec::new();
    for (command, word, applies) in hints {
        // The countermeasure's hint shows only when it applies, in the room of `* all`; so
        // does protect's, in the room of `r rescan`.
        let shown = match command {
            Command::Counter => counter,
            Command::Protect => protect,
            Command::Rescan => !protect && (applies || all),
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
        shown_hints.push((
            command,
            [
                Span::styled(state.keys.key(command).to_string(), key_style),
                Span::styled(format!(" {word}  "), theme::dim()),
            ],
        ));
    }
    let marked = (!state.marks.is_empty()).then(|| {
        Span::styled(
            format!("  {} marked", state.marks.len()),
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        )
    });
    let width_of = |hint: &[Span<'static>; 2]| hint[0].width() + hint[1].width();
    let always = |command: Command| matches!(command, Command::Help | Command::Quit);
    // Room for the lead space, what must stay (help, quit, the marks), then the rest in order.
    let mut room = width.saturating_sub(
        1 + shown_hints
            .iter()
            .filter(|(command, _)| always(*command))
            .map(|(_, hint)| width_of(hint))
            .sum::<usize>()
            + marked.as_ref().map_or(0, Span::width),
    );
    let mut spans = vec![Span::raw(" ")];
    for (command, hint) in shown_hints {
        if !always(command) {
            if width_of(&hint) > room {
                continue;
            }
            room -= width_of(&hint);
        }
        spans.extend(hint);
    }
    spans.extend(marked);
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use firebreak_core::bindings::Bindings;
    use firebreak_core::model::Identity;

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
    fn the_account_and_read_only_never_shrink_and_other_fields_give_way_in_order() {
        let mut state = State::new(Bindings::default(), true, Utc::now());
        state.endpoint = Some("http://127.0.0.1:45473".into());
        state.profile = Some("prod-admin".into());
        std::sync::Arc::make_mut(&mut state.scan).identity = Some(Identity {
            id: "123456789012".into(),
            alias: Some("acme-prod".into()),
            caller_arn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jo.responder@example.com".into(),
        });
        state.rescan = Some(std::sync::Arc::default());
        // Wide: everything, on one line.
        let line = header(&state, 240);
        assert!(
            line.starts_with(" firebreak  123456789012 acme-prod as assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jo.responder@example.com  profile prod-admin  endpoint 127.0.0.1:45473   READ-ONLY   scanning 0/0 · rescanning 0/0"),
            "{line}"
        );
        // Narrower: the brand and the profile go first, then the alias, the endpoint; the
        // caller keeps who it is.
        let line = header(&state, 120);
        assert_eq!(
            line.trim_end(),
            " 123456789012 as jo.responder@example.com   READ-ONLY   scanning 0/0 · rescanning 0/0"
        );
        // Narrowest: the account id and READ-ONLY stay whole, the scan shortens last.
        for width in [80, 60, 40, 33] {
            let line = header(&state, width);
            assert!(
                line.contains(" 123456789012") && line.contains(" READ-ONLY "),
                "{width}: {line}"
            );
            assert!(!line.contains('…'), "nothing is cut mid-word: {line}");
        }
        assert_eq!(
            header(&state, 40).trim_end(),
            " 123456789012   READ-ONLY   scanning 0/0"
        );
        // When it fits, as it is.
        std::sync::Arc::make_mut(&mut state.scan).identity = Some(Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/jo".into(),
        });
        state.profile = None;
        let line = header(&state, 120);
        assert!(
            line.contains(" firebreak  123456789012 as user/jo  endpoint 127.0.0.1:45473   READ-ONLY   scanning"),
            "{line}"
        );
    }

    #[test]
    fn the_footer_drops_whole_hints_and_keeps_help_and_quit() {
        let state = State::new(Bindings::default(), false, Utc::now());
        for width in [120_u16, 80, 50, 30] {
            let mut terminal = Terminal::new(TestBackend::new(width, 1)).expect("terminal");
            terminal
                .draw(|frame| render_footer(frame, frame.area(), &state))
                .expect("draw");
            let line: String = terminal
                .backend()
                .buffer()
                .content()
                .iter()
                .map(|cell| cell.symbol())
                .collect();
            assert!(line.contains("? help  q quit"), "{width}: {line}");
            // Every hint shown is whole: a key, a space, a word.
            for hint in line.trim().split("  ").filter(|h| !h.is_empty()) {
                assert!(
                    [
                        "F freeze",
                        "/ filter",
                        "* all",
                        "? help",
                        "q quit",
                        "r rescan",
                        "D disable",
                        "X contain",
                        "S unshare",
                        "u undo",
                        "a accept",
                        "Space mark"
                    ]
                    .contains(&hint),
                    "{width}: a cut hint {hint:?} in {line}"
                );
            }
        }
    }
}
