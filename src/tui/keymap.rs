//! Keys to actions. One table, no modes yet.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;

/// The action for a terminal event, if it means anything.
pub fn action_for(event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => action_for_key(key),
        _ => None,
    }
}

fn action_for_key(key: &KeyEvent) -> Option<Action> {
    let step = |rows, columns| Some(Action::Move { rows, columns });
    match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Some(Action::Quit),
        KeyCode::Char('q') | KeyCode::Esc => Some(Action::Quit),
        KeyCode::Char('r') => Some(Action::Rescan),
        KeyCode::Up | KeyCode::Char('k') => step(-1, 0),
        KeyCode::Down | KeyCode::Char('j') => step(1, 0),
        KeyCode::Left | KeyCode::Char('h') => step(0, -1),
        KeyCode::Right | KeyCode::Char('l') => step(0, 1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, modifiers))
    }

    #[test]
    fn quit_keys() {
        for event in [
            key(KeyCode::Char('q'), KeyModifiers::NONE),
            key(KeyCode::Char('c'), KeyModifiers::CONTROL),
            key(KeyCode::Esc, KeyModifiers::NONE),
        ] {
            assert!(
                matches!(action_for(&event), Some(Action::Quit)),
                "{event:?}"
            );
        }
        assert!(action_for(&key(KeyCode::Char('c'), KeyModifiers::NONE)).is_none());
    }

    #[test]
    fn movement_and_rescan() {
        assert!(matches!(
            action_for(&key(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Move {
                rows: 1,
                columns: 0
            })
        ));
        assert!(matches!(
            action_for(&key(KeyCode::Char('h'), KeyModifiers::NONE)),
            Some(Action::Move {
                rows: 0,
                columns: -1
            })
        ));
        assert!(matches!(
            action_for(&key(KeyCode::Char('r'), KeyModifiers::NONE)),
            Some(Action::Rescan)
        ));
    }
}
