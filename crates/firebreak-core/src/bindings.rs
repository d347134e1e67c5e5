//! Key bindings of the cockpit, as the config file's `[keys]` table names them: what each
//! remappable command is bound to, parsed and checked (a key bound to two commands is an error
//! naming both). Plain data: the cockpit turns them into terminal key matches.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

/// A command the cockpit lets the user bind to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Disable,
    Contain,
    Unshare,
    /// Shield the selected buckets and databases from a wipe in progress.
    Protect,
    /// The countermeasure of the selected findings (logging, detection, ingress, rules,
    /// instance profiles, API keys).
    Counter,
    Freeze,
    Undo,
    Accept,
    Rescan,
    Filter,
    Mark,
    MarkAll,
    Sort,
    Log,
    Help,
    Quit,
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
}

impl Command {
    /// Every command, in the order help lists them.
    pub const ALL: [Command; 22] = [
        Command::Disable,
        Command::Contain,
        Command::Unshare,
        Command::Protect,
        Command::Counter,
        Command::Freeze,
        Command::Undo,
        Command::Accept,
        Command::Rescan,
        Command::Filter,
        Command::Mark,
        Command::MarkAll,
        Command::Sort,
        Command::Log,
        Command::Help,
        Command::Quit,
        Command::Up,
        Command::Down,
        Command::Left,
        Command::Right,
        Command::Top,
        Command::Bottom,
    ];

    /// The name used in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Command::Disable => "disable",
            Command::Contain => "contain",
            Command::Unshare => "unshare",
            Command::Protect => "protect",
            Command::Counter => "counter",
            Command::Freeze => "freeze",
            Command::Undo => "undo",
            Command::Accept => "accept",
            Command::Rescan => "rescan",
            Command::Filter => "filter",
            Command::Mark => "mark",
            Command::MarkAll => "mark_all",
            Command::Sort => "sort",
            Command::Log => "log",
            Command::Help => "help",
            Command::Quit => "quit",
            Command::Up => "up",
            Command::Down => "down",
            Command::Left => "left",
            Command::Right => "right",
            Command::Top => "top",
            Command::Bottom => "bottom",
        }
    }

    /// What the command does, for the help screen.
    pub fn describe(self) -> &'static str {
        match self {
            Command::Disable => "disable: user (keys, password, deny-all), single key, or role",
            Command::Contain => "contain functions: throttle to 0 + evidence; delete offered after",
            Command::Unshare => {
                "revert sharing: snapshots, AMIs, functions, buckets, DB snapshots, public databases"
            }
            Command::Protect => {
                "protect data: bucket deny on deleting, versioning on, DB deletion protection on"
            }
            Command::Counter => {
                "counter: logging, detection, open ingress, rules, instance profiles, API keys"
            }
            Command::Freeze => "freeze the account (type the account id, 5 s countdown)",
            Command::Undo => "undo the last action of this session",
            Command::Accept => "accept the selected finding into the baseline",
            Command::Rescan => "rescan every region",
            Command::Filter => "filter all lists (substring; a leading ! inverts)",
            Command::Mark => "mark / unmark the selected item",
            Command::MarkAll => "mark every item of the focused list (again: unmark)",
            Command::Sort => "sort by severity, time, region",
            Command::Log => "show the session log instead of details (small terminals)",
            Command::Help => "this help",
            Command::Quit => "quit (asks first while an action runs)",
            Command::Up => "previous item / region",
            Command::Down => "next item / region",
            Command::Left => "previous list / region column",
            Command::Right => "next list / region column",
            Command::Top => "first item",
            Command::Bottom => "last item",
        }
    }

    fn default_key(self) -> Key {
        Key::Char(match self {
            Command::Disable => 'D',
            Command::Contain => 'X',
            Command::Unshare => 'S',
            Command::Protect => 'P',
            Command::Counter => 'C',
            Command::Freeze => 'F',
            Command::Undo => 'u',
            Command::Accept => 'a',
            Command::Rescan => 'r',
            Command::Filter => '/',
            Command::Mark => ' ',
            Command::MarkAll => '*',
            Command::Sort => 'o',
            Command::Log => 'L',
            Command::Help => '?',
            Command::Quit => 'q',
            Command::Up => 'k',
            Command::Down => 'j',
            Command::Left => 'h',
            Command::Right => 'l',
            Command::Top => 'g',
            Command::Bottom => 'G',
        })
    }
}

/// A key: a character (case matters: `D` is shift-d), a character with Ctrl, or a named key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Char(char),
    Ctrl(char),
    F(u8),
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
    Insert,
}

impl Key {
    /// Parses `D`, `/`, `space`, `ctrl-x`, `f5`, `pageup`, `home`, …. Tab, Enter, Esc, Backspace
    /// and the arrows are reserved for navigation and dialogs and cannot be bound.
    pub fn parse(text: &str) -> Result<Key, String> {
        let lower = text.to_ascii_lowercase();
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return if c.is_control() {
                Err(format!("'{text}' is not a key"))
            } else {
                Ok(Key::Char(c))
            };
        }
        if let Some(rest) = lower.strip_prefix("ctrl-") {
            let mut chars = rest.chars();
            return match (chars.next(), chars.next()) {
                (Some('c'), None) => Err("ctrl-c is reserved (quit)".to_string()),
                // Terminals send these as Backspace, Tab, Enter: they would never arrive.
                (Some(c @ ('h' | 'i' | 'j' | 'm')), None) => Err(format!(
                    "ctrl-{c} cannot be bound: terminals send it as another key"
                )),
                (Some(c), None) if c.is_ascii_alphanumeric() => Ok(Key::Ctrl(c)),
                _ => Err(format!("'{text}' is not a key")),
            };
        }
        if let Some(number) = lower.strip_prefix('f')
            && let Ok(n) = number.parse::<u8>()
            && (1..=12).contains(&n)
        {
            return Ok(Key::F(n));
        }
        match lower.as_str() {
            "space" => Ok(Key::Char(' ')),
            "pageup" => Ok(Key::PageUp),
            "pagedown" => Ok(Key::PageDown),
            "home" => Ok(Key::Home),
            "end" => Ok(Key::End),
            "delete" => Ok(Key::Delete),
            "insert" => Ok(Key::Insert),
            "tab" | "backtab" | "enter" | "esc" | "backspace" | "up" | "down" | "left"
            | "right" => Err(format!(
                "'{text}' is reserved for navigation and dialogs and cannot be bound"
            )),
            _ => Err(format!(
                "'{text}' is not a key (a character, space, ctrl-X, f1..f12, pageup, pagedown, home, end, delete, insert)"
            )),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Char(' ') => f.write_str("Space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Ctrl(c) => write!(f, "Ctrl-{c}"),
            Key::F(n) => write!(f, "F{n}"),
            Key::PageUp => f.write_str("PgUp"),
            Key::PageDown => f.write_str("PgDn"),
            Key::Home => f.write_str("Home"),
            Key::End => f.write_str("End"),
            Key::Delete => f.write_str("Del"),
            Key::Insert => f.write_str("Ins"),
        }
    }
}

/// Every command's key: the defaults with the config's `[keys]` applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bindings {
    keys: BTreeMap<Command, Key>,
}

impl Default for Bindings {
    fn default() -> Self {
        Bindings {
            keys: Command::ALL.iter().map(|c| (*c, c.default_key())).collect(),
        }
    }
}

impl Bindings {
    /// The defaults with `overrides` (command → key text) applied. A bad key or a key bound to
    /// two commands is an error naming the command(s).
    pub fn with(overrides: &BTreeMap<Command, String>) -> Result<Bindings, String> {
        let mut bindings = Bindings::default();
        for (command, text) in overrides {
            let key = Key::parse(text).map_err(|e| format!("keys.{}: {e}", command.name()))?;
            bindings.keys.insert(*command, key);
        }
        let mut seen: BTreeMap<Key, Command> = BTreeMap::new();
        for command in Command::ALL {
            let key = bindings.key(command);
            if let Some(other) = seen.insert(key, command) {
                return Err(format!(
                    "keys: '{key}' is bound to both {} and {}",
                    other.name(),
                    command.name()
                ));
            }
        }
        Ok(bindings)
    }

    /// The key bound to `command`.
    pub fn key(&self, command: Command) -> Key {
        self.keys
            .get(&command)
            .copied()
            .unwrap_or_else(|| command.default_key())
    }

    /// The command bound to `key`, if any.
    pub fn command(&self, key: Key) -> Option<Command> {
        self.keys.iter().find(|(_, k)| **k == key).map(|(c, _)| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_k9s_style_keys_and_have_no_duplicates() {
        let bindings = Bindings::with(&BTreeMap::new()).expect("defaults are valid");
        assert_eq!(bindings.key(Command::Disable), Key::Char('D'));
        assert_eq!(bindings.command(Key::Char('X')), Some(Command::Contain));
        assert_eq!(bindings.command(Key::Char(' ')), Some(Command::Mark));
        assert_eq!(bindings.command(Key::Char('x')), None);
    }

    #[test]
    fn a_remap_moves_the_command_and_a_duplicate_names_both() {
        let remap = BTreeMap::from([(Command::Disable, "ctrl-d".to_string())]);
        let bindings = Bindings::with(&remap).expect("valid");
        assert_eq!(bindings.key(Command::Disable), Key::Ctrl('d'));
        assert_eq!(bindings.command(Key::Char('D')), None);

        let clash = BTreeMap::from([(Command::Freeze, "X".to_string())]);
        let error = Bindings::with(&clash).expect_err("X is contain's");
        assert!(
            error.contains("contain") && error.contains("freeze") && error.contains("'X'"),
            "{error}"
        );
    }

    #[test]
    fn key_names_parse_and_reserved_keys_are_refused() {
        for (text, key) in [
            ("space", Key::Char(' ')),
            ("F5", Key::F(5)),
            ("ctrl-x", Key::Ctrl('x')),
            ("PageDown", Key::PageDown),
            ("!", Key::Char('!')),
        ] {
            assert_eq!(Key::parse(text), Ok(key), "{text}");
        }
        for text in [
            "enter", "Tab", "esc", "ctrl-c", "ctrl-m", "up", "shift-x", "", "f13",
        ] {
            assert!(Key::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn every_named_key_parses_and_ctrl_takes_only_letters_and_digits() {
        for (text, key) in [
            ("space", Key::Char(' ')),
            ("PageUp", Key::PageUp),
            ("pagedown", Key::PageDown),
            ("home", Key::Home),
            ("end", Key::End),
            ("delete", Key::Delete),
            ("insert", Key::Insert),
            ("f12", Key::F(12)),
            ("ctrl-x", Key::Ctrl('x')),
            ("ctrl-7", Key::Ctrl('7')),
        ] {
            assert_eq!(Key::parse(text), Ok(key), "{text}");
        }
        for bad in ["ctrl-!", "ctrl-", "ctrl-ab", "f13", "f0"] {
            assert!(Key::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_command_says_what_it_does_on_the_help_screen() {
        let described: std::collections::BTreeSet<&str> =
            Command::ALL.iter().map(|c| c.describe()).collect();
        assert_eq!(described.len(), Command::ALL.len(), "one text per command");
        for command in Command::ALL {
            let text = command.describe();
            assert!(text.len() > 3 && text != "xyzzy", "{command:?}: {text}");
        }
        assert!(Command::Disable.describe().starts_with("disable"));
    }
}
