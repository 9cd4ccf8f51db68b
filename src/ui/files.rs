//! The files of the torrent: index, path, size, progress, a mark on those being played.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::app::{App, Focus};
use super::theme::Theme;
use crate::engine::Snapshot;
use crate::fmt;

pub fn draw(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let visible: Vec<_> = s.files.iter().filter(|f| !f.padding).collect();
    let rows = visible.iter().map(|file| {
        let pct = fmt::percent(file.progress_bytes, file.length);
        let mark = if file.players > 0 { t.glyph_playing() } else { " " };
        Row::new(vec![
            Cell::from(Span::styled(mark, t.accent())),
            Cell::from(format!("{}", file.index)),
            Cell::from(file.path.clone()),
            Cell::from(fmt::compact(file.length)),
            Cell::from(Span::styled(
                format!("{pct:>5.1}%"),
                if pct >= 100.0 { t.verified() } else { t.receiving() },
            )),
        ])
    });
    let block = t
        .block()
        .title(format!(" Files ({}) ", visible.len()))
        .border_style(if app.focus == Focus::Files {
            t.focused_border()
        } else {
            t.dim()
        });
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Min(8),
            Constraint::Length(6),
            Constraint::Length(6),
        ],
    )
    .block(block)
    .column_spacing(1)
    .row_highlight_style(t.selected());
    let mut state = TableState::default().with_selected(Some(app.selected));
    f.render_stateful_widget(table, area, &mut state);
}
