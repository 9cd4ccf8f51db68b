//! The one table of keys: dispatch, the help overlay and the status bar hints are all read
//! from it.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::Action;

/// A key, with or without Ctrl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn plain(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

/// One line of the help: the keys as written there, what they do, an optional short hint for
/// the status bar, and the action each key gives.
pub struct Binding {
    pub label: &'static str,
    pub help: &'static str,
    pub hint: Option<(&'static str, &'static str)>,
    pub keys: &'static [(Key, Action)],
}

/// Every key of the dashboard, in the order of the help and of the status bar hints.
pub const BINDINGS: &[Binding] = &[
    Binding {
        label: "q  Ctrl-C",
        help: "quit",
        hint: Some(("q", "quit")),
        keys: &[(plain('q'), Action::Quit), (ctrl('c'), Action::Quit)],
    },
    Binding {
        label: "?",
        help: "this help",
        hint: Some(("?", "help")),
        keys: &[(plain('?'), Action::Help), (code(KeyCode::F(1)), Action::Help)],
    },
    Binding {
        label: "+ / -",
        help: "piece_par up / down by one",
        hint: Some(("+-*/", "piece_par")),
        keys: &[
            (plain('+'), Action::PieceParAdd(1)),
            (plain('='), Action::PieceParAdd(1)),
            (plain('-'), Action::PieceParAdd(-1)),
            (plain('_'), Action::PieceParAdd(-1)),
        ],
    },
    Binding {
        label: "* / /",
        help: "piece_par doubled / halved",
        hint: None,
        keys: &[
            (plain('*'), Action::PieceParDouble),
            (plain('/'), Action::PieceParHalve),
        ],
    },
    Binding {
        label: "↑ ↓  j k",
        help: "select a file (or a peer, with the peers focused)",
        hint: None,
        keys: &[
            (code(KeyCode::Up), Action::Up),
            (plain('k'), Action::Up),
            (code(KeyCode::Down), Action::Down),
            (plain('j'), Action::Down),
        ],
    },
    Binding {
        label: "Enter",
        help: "show the selected file's URL with mpv / vlc lines",
        hint: Some(("Enter", "URL")),
        keys: &[(code(KeyCode::Enter), Action::ShowUrl)],
    },
    Binding {
        label: "y",
        help: "copy the selected URL (OSC 52, works over SSH and in tmux)",
        hint: Some(("y", "copy")),
        keys: &[(plain('y'), Action::CopyUrl)],
    },
    Binding {
        label: "o",
        help: "play the selected file on this machine (--player, else mpv)",
        hint: None,
        keys: &[(plain('o'), Action::Play)],
    },
    Binding {
        label: "t Spc [] s",
        help: "cast to a TV; then pause/resume, seek 30 s ({} 5 min), stop",
        hint: None,
        keys: &[
            (plain('t'), Action::Cast),
            (code(KeyCode::Char(' ')), Action::CastPause),
            (plain('['), Action::CastSeek(-30)),
            (plain(']'), Action::CastSeek(30)),
            (plain('{'), Action::CastSeek(-300)),
            (plain('}'), Action::CastSeek(300)),
            (plain('s'), Action::CastStop),
        ],
    },
    Binding {
        label: "c",
        help: "QR code of the selected URL, to open it on a phone",
        hint: None,
        keys: &[(plain('c'), Action::ShowQr)],
    },
    Binding {
        label: "p",
        help: "pause / resume the torrent",
        hint: Some(("p", "pause")),
        keys: &[(plain('p'), Action::TogglePause)],
    },
    Binding {
        label: "l",
        help: "show / hide the log",
        hint: Some(("l", "log")),
        keys: &[(plain('l'), Action::ToggleLog)],
    },
    Binding {
        label: "Tab",
        help: "move focus: files, peers, window",
        hint: Some(("Tab", "focus")),
        keys: &[(code(KeyCode::Tab), Action::NextFocus)],
    },
    Binding {
        label: "Esc",
        help: "close an overlay",
        hint: None,
        keys: &[(code(KeyCode::Esc), Action::Close)],
    },
];

/// What a key press asks for. Ctrl bindings need Ctrl; the others ignore modifiers (Shift
/// comes with `+`, `*` and `?` on most layouts).
pub fn action_of(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let all = || BINDINGS.iter().flat_map(|b| b.keys.iter());
    let with_ctrl = all().find(|(k, _)| ctrl && k.ctrl && k.code == key.code);
    with_ctrl
        .or_else(|| all().find(|(k, _)| !k.ctrl && k.code == key.code))
        .map(|(_, a)| *a)
}

/// The status bar's hints, in table order.
pub fn hints() -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS.iter().filter_map(|b| b.hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn keymap() {
        let table = [
            (key(KeyCode::Char('+')), Some(Action::PieceParAdd(1))),
            (key(KeyCode::Char('-')), Some(Action::PieceParAdd(-1))),
            (key(KeyCode::Char('*')), Some(Action::PieceParDouble)),
            (key(KeyCode::Char('/')), Some(Action::PieceParHalve)),
            (key(KeyCode::Char('j')), Some(Action::Down)),
            (key(KeyCode::Down), Some(Action::Down)),
            (key(KeyCode::Char('k')), Some(Action::Up)),
            (key(KeyCode::Up), Some(Action::Up)),
            (key(KeyCode::Enter), Some(Action::ShowUrl)),
            (key(KeyCode::Char('y')), Some(Action::CopyUrl)),
            (key(KeyCode::Char('c')), Some(Action::ShowQr)),
            (key(KeyCode::Char('p')), Some(Action::TogglePause)),
            (key(KeyCode::Char('l')), Some(Action::ToggleLog)),
            (key(KeyCode::Tab), Some(Action::NextFocus)),
            (key(KeyCode::Char('?')), Some(Action::Help)),
            (key(KeyCode::F(1)), Some(Action::Help)),
            (key(KeyCode::Esc), Some(Action::Close)),
            (key(KeyCode::Char('q')), Some(Action::Quit)),
            (
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                Some(Action::Quit),
            ),
            (
                KeyEvent::new(KeyCode::Char('+'), KeyModifiers::SHIFT),
                Some(Action::PieceParAdd(1)),
            ),
            (key(KeyCode::Char('x')), None),
        ];
        for (k, want) in table {
            assert_eq!(action_of(k), want, "{k:?}");
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let all: Vec<Key> = BINDINGS
            .iter()
            .flat_map(|b| b.keys.iter().map(|(k, _)| *k))
            .collect();
        for (i, k) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(k), "{k:?} is bound twice");
        }
    }

    #[test]
    fn hints_name_bound_keys() {
        let hints: Vec<_> = hints().map(|(k, _)| k).collect();
        assert_eq!(hints, ["q", "?", "+-*/", "Enter", "y", "p", "l", "Tab"]);
    }
}
