//! Keys: in a dialog, in the filter, and in the normal mode (the playbook keys among them).

use super::*;

pub(super) fn modal_key(state: &mut State, modal: Modal, key: Msg) -> Vec<Effect> {
    match modal {
        Modal::Help | Modal::Message { .. } => Vec::new(),
        Modal::Preparing { ticket, purpose } => {
            if !matches!(key, Msg::Cancel | Msg::Submit) {
                state.modal = Some(Modal::Preparing { ticket, purpose });
            }
            Vec::new()
        }
        Modal::Confirm(confirm) => confirm_key(state, confirm, key),
        Modal::Accept { finding, focus } => match dialog(focus, &key) {
            Dialog::Stay(focus) => {
                state.modal = Some(Modal::Accept { finding, focus });
                Vec::new()
            }
            Dialog::Close => Vec::new(),
            Dialog::Confirm => {
                log(state, LogKind::Info, format!("accepting {}", finding.id));
                vec![Effect::Accept { finding }]
            }
        },
        Modal::Quit { focus } => match dialog(focus, &key) {
            Dialog::Stay(focus) => {
                state.modal = Some(Modal::Quit { focus });
                Vec::new()
            }
            Dialog::Close => Vec::new(),
            Dialog::Confirm => {
                state.should_quit = true;
                Vec::new()
            }
        },
        Modal::Resume { actions, focus } => match dialog(focus, &key) {
            Dialog::Stay(focus) => {
                state.modal = Some(Modal::Resume { actions, focus });
                Vec::new()
            }
            Dialog::Close => Vec::new(),
            Dialog::Confirm => {
                // Each plan is shown whole in its own confirmation, the first now, the rest
                // after it.
                let mut actions = actions.into_iter();
                if let Some(first) = actions.next() {
                    state.modal = Some(Modal::Confirm(Confirm {
                        purpose: Purpose {
                            title: format!(
                                "Finish {} ({} step(s) without outcome)",
                                first.plan.playbook,
                                first.missing.len()
                            ),
                            findings: Vec::new(),
                            offer_delete: false,
                        },
                        plan: Box::new(first.plan),
                        focus: Button::Cancel,
                        typed: String::new(),
                        countdown_until: None,
                        resume_typed: Some(first.typed.unwrap_or_default()),
                    }));
                }
                let rest: Vec<_> = actions.collect();
                if !rest.is_empty() {
                    state.queued.push_back(Modal::Resume {
                        actions: rest,
                        focus: Button::Cancel,
                    });
                }
                Vec::new()
            }
        },
    }
}

/// What a key does to a two-button dialog.
enum Dialog {
    Stay(Button),
    Close,
    Confirm,
}

fn dialog(focus: Button, key: &Msg) -> Dialog {
    match key {
        Msg::FocusNext | Msg::FocusPrev | Msg::Left | Msg::Right => Dialog::Stay(focus.other()),
        Msg::Cancel | Msg::Command(Command::Quit) => Dialog::Close,
        Msg::Submit if focus == Button::Cancel => Dialog::Close,
        Msg::Submit | Msg::Execute => Dialog::Confirm,
        _ => Dialog::Stay(focus),
    }
}

pub(super) fn confirm_key(state: &mut State, mut confirm: Confirm, key: Msg) -> Vec<Effect> {
    if confirm.countdown_until.is_some() {
        // Any key stops the countdown; the dialog stays, back on Cancel.
        confirm.countdown_until = None;
        confirm.focus = Button::Cancel;
        state.notice = Some("countdown cancelled: nothing was changed".into());
        state.modal = Some(Modal::Confirm(confirm));
        return Vec::new();
    }
    let typing = confirm.plan.confirm_with.is_some() && confirm.resume_typed.is_none();
    match key {
        // Once what was typed matches, the focus moves to Execute (Enter then still starts
        // freeze's countdown, which any key cancels); while it does not, it stays on Cancel.
        Msg::Type(c) if typing => {
            confirm.typed.push(c);
            confirm.focus = if confirm.needs_typing() {
                Button::Cancel
            } else {
                Button::Confirm
            };
        }
        Msg::Backspace if typing => {
            confirm.typed.pop();
            confirm.focus = if confirm.needs_typing() {
                Button::Cancel
            } else {
                Button::Confirm
            };
        }
        Msg::FocusNext | Msg::FocusPrev | Msg::Left | Msg::Right => {
            confirm.focus = confirm.focus.other();
        }
        // Closed: a notice about the dialog (what to type) no longer applies.
        Msg::Cancel => {
            state.notice = None;
            return Vec::new();
        }
        Msg::Submit if confirm.focus == Button::Cancel => {
            state.notice = None;
            return Vec::new();
        }
        Msg::Submit | Msg::Execute => {
            if state.read_only {
                return refuse_read_only(state, confirm);
            } else if confirm.needs_typing() {
                state.notice = Some(format!(
                    "type {} to confirm",
                    confirm
                        .plan
                        .confirm_with
                        .as_ref()
                        .and_then(|c| c.first())
                        .cloned()
                        .unwrap_or_default()
                ));
            } else if matches!(confirm.plan.playbook, Playbook::Freeze) {
                confirm.countdown_until =
                    Some(state.now + Duration::seconds(FREEZE_COUNTDOWN_SECS));
            } else {
                return execute(state, confirm);
            }
        }
        _ => {}
    }
    state.modal = Some(Modal::Confirm(confirm));
    Vec::new()
}

/// Read-only: says so, keeps the plan on screen and journals the refusal.
pub(super) fn refuse_read_only(state: &mut State, confirm: Confirm) -> Vec<Effect> {
    state.notice = Some("read-only: this plan cannot be executed".into());
    let action_id = confirm.plan.action_id.clone();
    state.modal = Some(Modal::Confirm(confirm));
    vec![Effect::RefuseReadOnly { action_id }]
}

pub(super) fn filter_key(state: &mut State, key: Msg) {
    match key {
        Msg::Type(c) => {
            state.filter.text.push(c);
            state.refresh_lists();
            focus_first_match(state);
        }
        Msg::Backspace => {
            state.filter.text.pop();
            state.refresh_lists();
            focus_first_match(state);
        }
        Msg::Submit => state.filter.editing = false,
        Msg::Cancel => {
            state.filter.text.clear();
            state.filter.editing = false;
            state.refresh_lists();
        }
        _ => {}
    }
}

/// Moves the focus to the first list with a match, and selects its first match.
pub(super) fn focus_first_match(state: &mut State) {
    let lists = state.lists();
    if let Some((list, first)) = lists
        .iter()
        .find_map(|l| state.rows(*l, 0).next().map(|f| (*l, f.id.clone())))
    {
        state.focus = Focus::List(list);
        state.last_list = list;
        state.selected.insert(list, first);
    }
}

pub(super) fn normal_key(state: &mut State, key: Msg) -> Vec<Effect> {
    state.notice = None;
    match key {
        Msg::Command(command) => command_key(state, command),
        Msg::Up => move_cursor(state, -1),
        Msg::Down => move_cursor(state, 1),
        Msg::Left => sideways(state, -1),
        Msg::Right => sideways(state, 1),
        Msg::FocusNext => cycle_focus(state, 1),
        Msg::FocusPrev => cycle_focus(state, -1),
        Msg::Cancel => {
            if !state.filter.text.is_empty() {
                state.filter.text.clear();
                state.refresh_lists();
            } else if state.region_filter.is_some() {
                state.region_filter = None;
                state.refresh_lists();
            } else {
                state.marks.clear();
                state.hand_marked.clear();
            }
            Vec::new()
        }
        Msg::Submit | Msg::Execute | Msg::Type(_) | Msg::Backspace => Vec::new(),
        // Worker results and the clock are handled in `update`.
        _ => Vec::new(),
    }
}

pub(super) fn command_key(state: &mut State, command: Command) -> Vec<Effect> {
    match command {
        Command::Quit => {
            if state.running() > 0 {
                state.modal = Some(Modal::Quit {
                    focus: Button::Cancel,
                });
            } else {
                state.should_quit = true;
            }
            Vec::new()
        }
        Command::Rescan => {
            let effects = rescan(state);
            if effects.is_empty() {
                state.notice =
                    Some("a scan is running: every region is read again after it".into());
            }
            effects
        }
        Command::Up => move_cursor(state, -1),
        Command::Down => move_cursor(state, 1),
        Command::Left => sideways(state, -1),
        Command::Right => sideways(state, 1),
        Command::Top => move_cursor(state, isize::MIN / 2),
        Command::Bottom => move_cursor(state, isize::MAX / 2),
        Command::Filter => {
            state.filter.editing = true;
            state.filter.text.clear();
            state.refresh_lists();
            Vec::new()
        }
        Command::Mark => {
            if let Some(id) = state.selection().map(|f| f.id.clone()) {
                if state.marks.remove(&id) {
                    state.hand_marked.remove(&id);
                } else {
                    state.marks.insert(id.clone());
                    state.hand_marked.insert(id);
                }
            }
            Vec::new()
        }
        Command::MarkAll => {
            let list = match state.focus {
                Focus::List(list) => list,
                Focus::Regions | Focus::Log => state.last_list,
            };
            let ids: Vec<String> = state.list(list).iter().map(|f| f.id.clone()).collect();
            if ids.iter().all(|id| state.marks.contains(id)) {
                for id in &ids {
                    state.marks.remove(id);
                    state.hand_marked.remove(id);
                }
            } else {
                state.marks.extend(ids);
            }
            Vec::new()
        }
        Command::Sort => {
            state.sort = match state.sort {
                SortBy::Severity => SortBy::Time,
                SortBy::Time => SortBy::Region,
                SortBy::Region => SortBy::Severity,
            };
            state.refresh_lists();
            Vec::new()
        }
        Command::Log => {
            state.show_log = !state.show_log;
            Vec::new()
        }
        Command::Help => {
            state.modal = Some(Modal::Help);
            Vec::new()
        }
        Command::Disable => playbook(state, disable_request),
        Command::Contain => playbook(state, contain_request),
        Command::Unshare => playbook(state, unshare_request),
        Command::Protect => playbook(state, protect_request),
        Command::Counter => playbook(state, counter_request),
        Command::Freeze => {
            let title = "Freeze the account".to_string();
            prepare(
                state,
                vec![Request::Freeze],
                Purpose {
                    title,
                    findings: Vec::new(),
                    offer_delete: false,
                },
            )
        }
        Command::Undo => match state.last_undoable() {
            Some(run) => {
                let of = run.plan.action_id.clone();
                let title = format!("Undo {of} ({})", run.plan.playbook);
                prepare(
                    state,
                    vec![Request::Undo { of }],
                    Purpose {
                        title,
                        findings: Vec::new(),
                        offer_delete: false,
                    },
                )
            }
            None => {
                state.notice = Some("nothing to undo in this session".into());
                Vec::new()
            }
        },
        Command::Accept => {
            match state.selection().cloned() {
                Some(finding) if finding.kind == FindingKind::NotJudged => {
                    state.notice = Some(
                        "nothing to accept: press r to rescan; it goes once the item is read"
                            .into(),
                    );
                }
                Some(finding) if state.baseline.is_some() => {
                    state.modal = Some(Modal::Accept {
                        finding: Box::new(finding),
                        focus: Button::Cancel,
                    });
                }
                Some(_) => {
                    state.modal = Some(Modal::Message {
                        title: "No baseline".into(),
                        lines: vec![
                            "there is no baseline file to accept into: capture one with `firebreak baseline capture`".into(),
                        ],
                    });
                }
                None => state.notice = Some("nothing selected".into()),
            }
            Vec::new()
        }
    }
}

/// Asks, once per finding, who made the change behind the selected finding (the details pane
/// shows it). Once the endpoint turns out to lack the lookup, no more are sent.
pub(super) fn attribute_selection(state: &mut State) -> Vec<Effect> {
    if state.modal.is_some() {
        return Vec::new();
    }
    let Some(finding) = state.selection().cloned() else {
        return Vec::new();
    };
    if !attributable(&finding) || state.attributions.contains_key(&finding.id) {
        return Vec::new();
    }
    let unsupported = state.attributions.values().flatten().find(|a| {
        matches!(
            a,
            Attribution::NotAvailable {
                unsupported: true,
                ..
            }
        )
    });
    if let Some(known) = unsupported.cloned() {
        state.attributions.insert(finding.id, Some(known));
        return Vec::new();
    }
    state.attributions.insert(finding.id.clone(), None);
    vec![Effect::Attribute {
        finding: Box::new(finding),
    }]
}
