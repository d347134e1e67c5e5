//! Keys to actions. What a key means depends on the mode: a text field takes characters, a
//! countdown is cancelled by any key, dialogs know Tab/arrows/Enter/Esc/`y`, and the normal
//! screen uses the bindings from the config (`bindings::Bindings`).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::msg::Msg;
use super::state::{Modal, State};
use firebreak_core::bindings::{Bindings, Key};

/// How keys are read right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// The filter or a typed confirmation takes characters.
    Typing,
    /// A dialog with buttons.
    Dialog,
    /// Freeze's countdown: any key cancels it.
    Countdown,
    /// Help and messages: any key closes them.
    AnyKeyCloses,
}

/// The mode `state` is in.
pub fn mode(state: &State) -> Mode {
    match &state.modal {
        Some(Modal::Confirm(confirm)) if confirm.countdown_until.is_some() => Mode::Countdown,
        Some(Modal::Confirm(confirm))
            if confirm.plan.confirm_with.is_some() && confirm.resume_typed.is_none() =>
        {
            Mode::Typing
        }
        Some(Modal::Help | Modal::Message { .. }) => Mode::AnyKeyCloses,
        Some(_) => Mode::Dialog,
        None if state.filter.editing => Mode::Typing,
        None => Mode::Normal,
    }
}

/// The action for a terminal event in `state`, if it means anything.
pub fn action_for(state: &State, event: &Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            action_for_key(mode(state), &state.keys, key)
        }
        _ => None,
    }
}

fn action_for_key(mode: Mode, bindings: &Bindings, key: &KeyEvent) -> Option<Msg> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Msg::Interrupt);
    }
    match mode {
        Mode::Countdown | Mode::AnyKeyCloses => return Some(Msg::Cancel),
        _ => {}
    }
    let fixed = match key.code {
        KeyCode::Tab => Some(Msg::FocusNext),
        KeyCode::BackTab => Some(Msg::FocusPrev),
        KeyCode::Enter => Some(Msg::Submit),
        KeyCode::Esc => Some(Msg::Cancel),
        KeyCode::Backspace => Some(Msg::Backspace),
        KeyCode::Up => Some(Msg::Up),
        KeyCode::Down => Some(Msg::Down),
        KeyCode::Left => Some(Msg::Left),
        KeyCode::Right => Some(Msg::Right),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    match mode {
        Mode::Typing => match key.code {
            KeyCode::Char(c) if !ctrl => Some(Msg::Type(c)),
            _ => None,
        },
        Mode::Dialog => match key.code {
            KeyCode::Char('y') => Some(Msg::Execute),
            KeyCode::Char('n') => Some(Msg::Cancel),
            KeyCode::Char('q') => Some(Msg::Cancel),
            _ => None,
        },
        Mode::Normal => bindings.command(bound_key(key)?).map(Msg::Command),
        Mode::Countdown | Mode::AnyKeyCloses => None,
    }
}

/// The config's name for a terminal key.
fn bound_key(key: &KeyEvent) -> Option<Key> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char(c) if ctrl => Key::Ctrl(c.to_ascii_lowercase()),
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::F(n) => Key::F(n),
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Delete => Key::Delete,
        KeyCode::Insert => Key::Insert,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use firebreak_core::bindings::Command;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn normal_keys_follow_the_bindings_and_a_remap_moves_them() {
        let defaults = Bindings::default();
        let shifted = KeyEvent::new(KeyCode::Char('D'), KeyModifiers::SHIFT);
        assert!(matches!(
            action_for_key(Mode::Normal, &defaults, &shifted),
            Some(Msg::Command(Command::Disable))
        ));
        assert!(matches!(
            action_for_key(Mode::Normal, &defaults, &key(KeyCode::Char(' '))),
            Some(Msg::Command(Command::Mark))
        ));
        let remapped = Bindings::with(&BTreeMap::from([(Command::Disable, "ctrl-d".to_string())]))
            .expect("valid");
        assert!(action_for_key(Mode::Normal, &remapped, &shifted).is_none());
        let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert!(matches!(
            action_for_key(Mode::Normal, &remapped, &ctrl_d),
            Some(Msg::Command(Command::Disable))
        ));
    }

    #[test]
    fn typing_takes_characters_that_are_commands_elsewhere() {
        let bindings = Bindings::default();
        assert!(matches!(
            action_for_key(Mode::Typing, &bindings, &key(KeyCode::Char('q'))),
            Some(Msg::Type('q'))
        ));
        assert!(matches!(
            action_for_key(Mode::Typing, &bindings, &key(KeyCode::Enter)),
            Some(Msg::Submit)
        ));
    }

    #[test]
    fn dialogs_countdowns_and_ctrl_c() {
        let bindings = Bindings::default();
        assert!(matches!(
            action_for_key(Mode::Dialog, &bindings, &key(KeyCode::Char('y'))),
            Some(Msg::Execute)
        ));
        assert!(
            action_for_key(Mode::Dialog, &bindings, &key(KeyCode::Char('D'))).is_none(),
            "playbook keys do nothing inside a dialog"
        );
        assert!(matches!(
            action_for_key(Mode::Countdown, &bindings, &key(KeyCode::Char('y'))),
            Some(Msg::Cancel)
        ));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(
            action_for_key(Mode::Typing, &bindings, &ctrl_c),
            Some(Msg::Interrupt)
        ));
    }
}
