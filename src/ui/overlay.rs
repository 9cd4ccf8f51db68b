//! The help overlay and the large URL view.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::app::App;
use super::theme::Theme;
use crate::engine::Snapshot;

pub const KEYS: &[(&str, &str)] = &[
    ("+ / -", "piece_par up / down by one"),
    ("* / /", "piece_par doubled / halved"),
    ("↑ ↓  j k", "select a file (or a peer, with the peers focused)"),
    ("Enter", "show the selected file's URL with mpv / vlc lines"),
    ("y", "copy the selected URL (OSC 52, works over SSH and in tmux)"),
    ("p", "pause / resume the torrent"),
    ("l", "show / hide the log"),
    ("Tab", "move focus: files, peers, window"),
    ("?", "this help"),
    ("Esc", "close an overlay"),
    ("q  Ctrl-C", "quit"),
];

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

pub fn help(f: &mut Frame, area: Rect, t: &Theme) {
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            let k = if t.ascii {
                k.replace("↑ ↓", "Up Dn")
            } else {
                (*k).to_string()
            };
            Line::from(vec![
                Span::styled(format!(" {k:<11}"), t.accent()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Cells: one per piece from the player's position onward.",
        t.dim(),
    ));
    let r = centered(area, 76, lines.len() as u16 + 2);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(t.block().title(" Keys (Esc closes) ")),
        r,
    );
}

pub fn url(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let Some(url) = app.selected_url(s) else { return };
    let lines = vec![
        Line::raw(""),
        Line::styled(url.clone(), t.accent()),
        Line::raw(""),
        Line::styled("mpv:", t.dim()),
        Line::raw(format!("mpv --cache=yes '{url}'")),
        Line::styled("VLC:", t.dim()),
        Line::raw(format!("vlc --network-caching=10000 '{url}'")),
        Line::raw(""),
        Line::styled("y copies the URL, Esc closes", t.dim()),
    ];
    let r = centered(area, area.width.saturating_sub(4), 12);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(t.block().title(" Open in a player ")),
        r,
    );
}
