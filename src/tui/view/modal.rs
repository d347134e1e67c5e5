//! Dialogs over the screen: the confirmation of a plan (steps, targets, regions, what undoes
//! each, irreversible steps and the Execute button in the danger style, Cancel focused first),
//! the typed confirmation and countdown of freeze, accept, quit, resume, messages and help.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{fit, theme};
use crate::tui::state::{Button, Confirm, Modal, State};
use firebreak_core::bindings::Command;
use firebreak_core::playbook::guard::Caller;
use firebreak_core::playbook::plan::StepKind;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let Some(modal) = &state.modal else {
        return;
    };
    let width = area.width.saturating_sub(8).min(100);
    let inner_width = width.saturating_sub(2) as usize;
    let (title, lines, danger) = match modal {
        Modal::Preparing { purpose, .. } => (
            purpose.title.clone(),
            vec![
                Line::raw("reading the current state and planning…"),
                Line::styled("Esc cancels (nothing has been changed)", theme::dim()),
            ],
            false,
        ),
        Modal::Confirm(confirm) => (
            {
                // The plan id always shows; a long title gives way.
                let id = format!(" — plan {}", confirm.plan.action_id);
                let room = inner_width.saturating_sub(id.chars().count() + 2);
                format!("{}{id}", fit(&confirm.purpose.title, room))
            },
            confirm_lines(
                state,
                confirm,
                inner_width,
                usize::from(area.height.saturating_sub(4)),
            ),
            true,
        ),
        Modal::Accept { finding, focus } => (
            "Accept into the baseline".to_string(),
            vec![
                Line::raw(finding.summary.clone()),
                Line::styled(format!("id {}", finding.id), theme::dim()),
                Line::raw(
                    "the thing behind it is added to the baseline file and will not be reported again while its facts stay the same",
                ),
                Line::raw(""),
                buttons(*focus, "Accept".to_string(), false),
            ],
            false,
        ),
        Modal::Quit { focus } => (
            "Quit while an action runs?".to_string(),
            vec![
                Line::raw(format!(
                    "{} action(s) still running: quitting stops them now, calls in flight included; the journal keeps every call sent, and the next start offers to finish them",
                    state.running()
                )),
                Line::raw(""),
                buttons(*focus, "Quit anyway".to_string(), true),
            ],
            true,
        ),
        Modal::Resume { actions, focus } => {
            let mut lines = vec![Line::raw(
                "a previous session stopped while these actions ran (steps sent, no outcome journaled):",
            )];
            for action in actions {
                lines.push(Line::styled(
                    format!(
                        "  {} {} — {} steps, {} without outcome",
                        action.plan.action_id,
                        action.plan.playbook,
                        action.plan.steps.len(),
                        action.missing.len()
                    ),
                    theme::warning(),
                ));
            }
            lines.push(Line::raw(
                "Finish runs each plan again: steps already done are skipped, the rest are sent.",
            ));
            lines.push(Line::raw(""));
            lines.push(buttons(
                *focus,
                "Finish remaining steps".to_string(),
                state.read_only,
            ));
            ("Unfinished actions".to_string(), lines, true)
        }
        Modal::Message { title, lines } => {
            let mut shown: Vec<Line> = lines.iter().map(|l| Line::raw(l.clone())).collect();
            shown.push(Line::styled("any key closes", theme::dim()));
            (title.clone(), shown, false)
        }
        Modal::Help => ("Keys".to_string(), help_lines(state), false),
    };
    let border = if danger {
        Style::new().fg(Color::Red)
    } else {
        Style::new().fg(Color::Cyan)
    };
    let paragraph = Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(format!(" {} ", fit(&title, inner_width.saturating_sub(2))))
                .border_style(border),
        )
        .wrap(Wrap { trim: false });
    // As tall as the text once wrapped (a long note must not push the buttons out of view).
    let wrapped = paragraph.line_count(u16::try_from(inner_width).unwrap_or(u16::MAX));
    let height = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(paragraph, popup);
}

/// `[ Cancel ]   Execute`: the focused button reversed; the confirming one in the danger
/// style (or dimmed and unusable).
fn buttons(focus: Button, confirm: String, unusable: bool) -> Line<'static> {
    let focused = |button: Button| {
        if focus == button {
            Modifier::REVERSED | Modifier::BOLD
        } else {
            Modifier::empty()
        }
    };
    let confirm_style = if unusable {
        theme::dim()
    } else {
        theme::danger().add_modifier(focused(Button::Confirm))
    };
    Line::from(vec![
        Span::raw("          "),
        Span::styled(
            "[ Cancel ]",
            Style::new().add_modifier(focused(Button::Cancel)),
        ),
        Span::raw("        "),
        Span::styled(format!("[ {confirm} ]"), confirm_style),
    ])
}

/// The plan in at most `rows` lines: first what it does, counted by kind (irreversible first),
/// then the steps (irreversible ones first), who is never touched, what was not read and the
/// notes, wrapped; the field, the countdown and the buttons always show; steps that do not fit
/// are counted, never hidden silently.
fn confirm_lines(
    state: &State,
    confirm: &Confirm,
    width: usize,
    rows: usize,
) -> Vec<Line<'static>> {
    let plan = &confirm.plan;
    let typing = plan.confirm_with.is_some() && confirm.resume_typed.is_none();
    // Blank line, then the field (when typing) and the buttons or the countdown.
    let tail = 2 + usize::from(typing && !state.read_only);
    let irreversible = plan
        .steps
        .iter()
        .filter(|s| s.kind() == StepKind::Irreversible)
        .count();
    // One step says it all itself.
    let mut summary = if plan.steps.len() > 1 {
        wrap(&plan.tally_line(), width)
    } else {
        Vec::new()
    };
    summary.truncate(2);
    let unread = usize::from(!plan.unread.is_empty());
    // Notes wrap whole; they give way to at least three rows of steps.
    let fixed = tail + summary.len() + 1 + unread;
    let note_lines = fit_notes(&plan.notes, width, rows.saturating_sub(fixed + 3).min(8));
    let step_rows = rows.saturating_sub(fixed + note_lines.len()).max(1);
    // What cannot be undone first, then in plan order.
    let mut ordered: Vec<&firebreak_core::playbook::plan::Step> = plan.steps.iter().collect();
    ordered.sort_by_key(|s| (s.kind() != StepKind::Irreversible, s.index));
    let shown = if ordered.len() > step_rows {
        step_rows.saturating_sub(1).max(1)
    } else {
        ordered.len()
    };
    let api_width = plan.steps.iter().map(|s| s.api.len()).max().unwrap_or(0);
    let region_width = plan.steps.iter().map(|s| s.region.len()).max().unwrap_or(0);
    let summary_style = if irreversible > 0 {
        theme::danger().add_modifier(Modifier::BOLD)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    };
    let mut lines: Vec<Line<'static>> = summary
        .into_iter()
        .map(|line| Line::styled(line, summary_style))
        .collect();
    for step in ordered.iter().take(shown) {
        let (undo, undo_style) = match (&step.inverse, step.kind()) {
            (Some(inverse), _) => (format!("undo: {}", inverse.api()), theme::dim()),
            (None, StepKind::ReadsOnly) => ("reads only".to_string(), theme::dim()),
            (None, _) => ("IRREVERSIBLE".to_string(), theme::danger()),
        };
        let text = format!(
            "{:>3}  {:<api_width$}  {:<region_width$}  {}",
            step.index, step.api, step.region, step.target
        );
        let room = width.saturating_sub(undo.chars().count() + 1);
        let text = fit(&text, room);
        let pad = room.saturating_sub(text.chars().count());
        let style = if step.kind() == StepKind::Irreversible {
            theme::danger()
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(text, style),
            Span::raw(" ".repeat(pad + 1)),
            Span::styled(undo, undo_style),
        ]));
    }
    if ordered.len() > shown {
        let irreversible_left = ordered
            .iter()
            .skip(shown)
            .filter(|s| s.kind() == StepKind::Irreversible)
            .count();
        let text = format!(
            "     … and {} more steps{} (every step is in the journal's plan)",
            ordered.len() - shown,
            if irreversible_left > 0 {
                format!(", {irreversible_left} IRREVERSIBLE")
            } else {
                String::new()
            }
        );
        let style = if irreversible_left > 0 {
            theme::danger()
        } else {
            theme::dim()
        };
        lines.push(Line::styled(fit(&text, width), style));
    }
    lines.push(Line::styled(
        fit(&never_touched(state, confirm), width),
        theme::good(),
    ));
    if let Some(first) = plan.unread.first() {
        let text = format!(
            "NOT READ ({}): targets there may be missing — {first}",
            plan.unread.len()
        );
        lines.push(Line::styled(fit(&text, width), theme::warning()));
    }
    for note in note_lines {
        lines.push(Line::styled(note, theme::dim()));
    }
    lines.push(Line::raw(""));
    if state.read_only {
        lines.push(Line::from(vec![
            Span::raw("          "),
            Span::styled("[ Cancel ]", Style::new().add_modifier(Modifier::REVERSED)),
            Span::raw("        "),
            Span::styled("read-only: cannot execute", theme::warning()),
        ]));
        return lines;
    }
    if let (true, Some(accepted)) = (typing, &plan.confirm_with) {
        let wanted = accepted.join(" or ");
        let ok = !confirm.needs_typing();
        lines.push(Line::from(vec![
            Span::raw(format!("type {wanted} to confirm: ")),
            Span::styled(
                format!("{}▏", confirm.typed),
                if ok {
                    theme::good()
                } else {
                    Style::new().add_modifier(Modifier::BOLD)
                },
            ),
        ]));
    }
    if let Some(until) = confirm.countdown_until {
        let left = (until - state.now).num_milliseconds().max(0) as f64 / 1000.0;
        lines.push(Line::styled(
            format!("executing in {left:.0} s — press any key to cancel"),
            theme::danger().add_modifier(Modifier::SLOW_BLINK),
        ));
        return lines;
    }
    let count = plan.steps.len();
    lines.push(buttons(
        confirm.focus,
        format!("Execute {count} step{}", if count == 1 { "" } else { "s" }),
        confirm.needs_typing(),
    ));
    lines
}

/// `text` wrapped to `width` columns (at least 10).
fn wrap(text: &str, width: usize) -> Vec<String> {
    textwrap::wrap(text, width.max(10))
        .into_iter()
        .map(|line| line.into_owned())
        .collect()
}

/// `notes` wrapped to `width` in at most `room` lines, each note whole or not at all: when some
/// do not fit, the last line says how many were left out.
fn fit_notes(notes: &[String], width: usize, room: usize) -> Vec<String> {
    let wrapped: Vec<Vec<String>> = notes
        .iter()
        .map(|note| wrap(&format!("note: {note}"), width))
        .collect();
    let all: usize = wrapped.iter().map(Vec::len).sum();
    // Room for the count of those left out, when any are.
    let room = if all <= room {
        room
    } else {
        room.saturating_sub(1)
    };
    let mut lines = Vec::new();
    let mut left_out = 0;
    for note in wrapped {
        if lines.len() + note.len() <= room {
            lines.extend(note);
        } else {
            left_out += 1;
        }
    }
    if left_out > 0 {
        lines.push(format!(
            "… {left_out} more note(s) in the plan (--format json, or the journal)"
        ));
    }
    lines
}

/// Who the plan never touches: the caller, the break-glass principals, and the targets the
/// guard exempted (with why), the long tail counted.
fn never_touched(state: &State, confirm: &Confirm) -> String {
    let mut who: Vec<String> = Vec::new();
    if let Some(identity) = &state.scan.identity {
        let caller = match Caller::from_arn(&identity.caller_arn) {
            Caller::User(name) => format!("user/{name}"),
            Caller::Role(name) => format!("role/{name}"),
            Caller::Root => "root".to_string(),
            Caller::Other(arn) => arn,
        };
        who.push(format!("{caller} (you)"));
    }
    who.extend(
        state
            .break_glass
            .iter()
            .map(|b| format!("{b} (break-glass)")),
    );
    let extra: Vec<String> = confirm
        .plan
        .exempt
        .iter()
        .filter(|e| {
            !who.iter()
                .any(|w| w.starts_with(&format!("{} (", e.principal)))
        })
        .map(|e| format!("{} ({})", e.principal, e.reason))
        .collect();
    let total = who.len() + extra.len();
    who.extend(extra.into_iter().take(4));
    let more = total.saturating_sub(who.len());
    format!(
        "never touched: {}{}",
        who.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

fn help_lines(state: &State) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for command in Command::ALL {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:>6}  ", state.keys.key(command).to_string()),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(command.describe()),
        ]));
    }
    for (key, what) in [
        ("Tab", "next list / regions (Shift-Tab: previous)"),
        (
            "↑↓←→",
            "move; in the region grid, show one region's findings",
        ),
        ("Esc", "clear the filter, then the region, then the marks"),
        ("Enter", "in a dialog: the focused button (Cancel first)"),
        ("y", "in a dialog: execute"),
        ("Ctrl-C", "quit (asks first while an action runs)"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{key:>6}  "),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(what),
        ]));
    }
    lines.push(Line::styled(
        "keys are remappable in the config file's [keys] table; any key closes this",
        theme::dim(),
    ));
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn notes_show_whole_or_are_counted() {
        let notes = ["short one".to_string(), "x ".repeat(30), "last".to_string()];
        // Everything fits.
        assert_eq!(super::fit_notes(&notes, 40, 8).len(), 4);
        // Three lines: the long note (two lines) does not fit whole beside the count, so it is
        // counted, never cut; the short ones show.
        assert_eq!(
            super::fit_notes(&notes, 40, 3),
            [
                "note: short one".to_string(),
                "note: last".to_string(),
                "… 1 more note(s) in the plan (--format json, or the journal)".to_string()
            ]
        );
    }

    use chrono::Utc;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::tui::state::Purpose;
    use firebreak_core::bindings::Bindings;
    use firebreak_core::model::Identity;
    use firebreak_core::model::operation::Operation;
    use firebreak_core::playbook::plan::{Plan, Playbook, Step};

    fn screen(state: &State) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        terminal
            .draw(|frame| render(frame, frame.area(), state))
            .expect("draw");
        let buffer = terminal.backend().buffer();
        buffer
            .content()
            .chunks(usize::from(buffer.area.width))
            .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn text_that_wraps_never_pushes_the_buttons_out_of_the_dialog() {
        let now = Utc::now();
        let mut state = State::new(Bindings::default(), false, now);
        let identity = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        };
        let mut plan = Plan::new(
            "s-3".into(),
            Playbook::Undo { of: "s-2".into() },
            identity,
            now,
            vec![Step::global(
                0,
                Operation::DeactivateAccessKey {
                    user: "backdoor".into(),
                    key_id: "AKIA1".into(),
                },
                None,
            )],
        );
        plan.notes.push(
            "step 2 of 20261123T014429Z-27908-2 (DeleteLoginProfile user/support-backdoor) cannot be undone: a deleted console password can only be reset"
                .into(),
        );
        state.modal = Some(Modal::Confirm(Confirm {
            plan: Box::new(plan),
            purpose: Purpose {
                title: "Undo s-2".into(),
                findings: Vec::new(),
                offer_delete: false,
            },
            focus: Button::Cancel,
            typed: String::new(),
            countdown_until: None,
            resume_typed: None,
        }));
        let shown = screen(&state);
        assert!(shown.contains("cannot be"), "{shown}");
        assert!(shown.contains("[ Execute 1 step ]"), "{shown}");

        state.modal = Some(Modal::Quit {
            focus: Button::Cancel,
        });
        let shown = screen(&state);
        assert!(shown.contains("[ Quit anyway ]"), "{shown}");
    }
}
