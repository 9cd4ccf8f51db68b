//! Colours and glyphs: 16 ANSI colours, none under NO_COLOR, ASCII when the terminal lacks UTF-8.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::widgets::{Block, Borders};

const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub ascii: bool,
}

impl Theme {
    /// From the environment: `NO_COLOR` set (to anything) turns colour off; a locale without
    /// UTF-8 turns ASCII on.
    pub fn from_env(force_ascii: bool) -> Self {
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let utf8 = locale.contains("utf-8") || locale.contains("utf8");
        Theme {
            color,
            ascii: force_ascii || !utf8,
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn verified(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn receiving(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn missing(&self) -> Style {
        self.fg(Color::DarkGray)
    }
    pub fn blocked(&self) -> Style {
        let s = self.fg(Color::Red).add_modifier(Modifier::BOLD);
        if self.color {
            s
        } else {
            s.add_modifier(Modifier::REVERSED)
        }
    }
    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }
    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    /// The selected row: a blue band that keeps its cells' own colours readable (reversing
    /// them would put a yellow figure on a yellow ground); reversed without colours.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Blue).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn focused_border(&self) -> Style {
        if self.color {
            self.fg(Color::Cyan)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        }
    }

    /// A bordered panel, with ASCII borders when the terminal cannot show box drawing.
    pub fn block<'a>(&self) -> Block<'a> {
        let b = Block::default().borders(Borders::ALL);
        if self.ascii { b.border_set(ASCII_BORDER) } else { b }
    }

    pub fn glyph_verified(&self) -> &'static str {
        if self.ascii { "#" } else { "█" }
    }
    pub fn glyph_missing(&self) -> &'static str {
        if self.ascii { "." } else { "·" }
    }
    pub fn glyph_blocked(&self) -> &'static str {
        "!"
    }
    /// A cell for a piece that has received `frac` (0..1) of its bytes.
    pub fn glyph_receiving(&self, frac: f64) -> &'static str {
        let i = ((frac * 8.0).floor() as usize).min(7);
        if self.ascii {
            ["0", "1", "2", "3", "5", "6", "7", "8"][i]
        } else {
            ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "▇"][i]
        }
    }
    /// The mark between piece_par's window and the rest.
    pub fn glyph_boundary(&self) -> &'static str {
        if self.ascii { "|" } else { "│" }
    }
    pub fn glyph_playing(&self) -> &'static str {
        if self.ascii { ">" } else { "▶" }
    }
    /// The next file of the playlist, its start fetched ahead.
    pub fn glyph_next(&self) -> &'static str {
        if self.ascii { "+" } else { "»" }
    }
    pub fn arrows(&self) -> (&'static str, &'static str) {
        if self.ascii {
            ("down", "up")
        } else {
            ("↓", "↑")
        }
    }
}
