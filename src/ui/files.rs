//! The files of the torrent: index, path, size, progress, a mark on those being played or
//! fetched ahead as the next to play, and under each video its subtitles.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::app::{App, Focus};
use super::theme::Theme;
use crate::engine::{Prefetch, Snapshot};
use crate::fmt;

pub fn draw(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let visible: Vec<usize> = s.files.iter().filter(|f| f.shown()).map(|f| f.index).collect();
    // Before the first snapshot reached the app, the files as they come.
    let fresh = app.order.len() == visible.len();
    let order = if fresh { app.order.clone() } else { visible.clone() };
    let branch = if t.ascii { "`-" } else { "└" };
    let rows = order
        .iter()
        .filter_map(|i| Some((*i, s.files.get(*i)?)))
        .map(|(i, file)| {
            let pct = fmt::percent(file.progress_bytes, file.length);
            let mark = match (file.players, file.prefetch) {
                (1.., _) => Span::styled(t.glyph_playing(), t.accent()),
                (0, Some(Prefetch::Ready)) => Span::styled(t.glyph_next(), t.verified()),
                (0, Some(Prefetch::Fetching)) => Span::styled(t.glyph_next(), t.receiving()),
                (0, None) => Span::raw(" "),
            };
            // A video's subtitles sit under it, named by what sets them apart (`en.srt`).
            let name = match s.subtitles.subtitle(i).filter(|_| fresh) {
                Some(sub) => Line::from(vec![
                    Span::styled(format!("{branch} "), t.dim()),
                    Span::raw(sub.short()),
                ]),
                None => Line::raw(file.path.clone()),
            };
            Row::new(vec![
                Cell::from(mark),
                Cell::from(format!("{}", file.index)),
                Cell::from(name),
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
    let row = order.iter().position(|i| *i == app.selected);
    let mut state = TableState::default().with_selected(row);
    f.render_stateful_widget(table, area, &mut state);
}
