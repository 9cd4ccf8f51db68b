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
    let order: &[usize] = if fresh { &app.order } else { &visible };
    let block = t
        .block()
        .title(format!(" Files ({}) ", visible.len()))
        .border_style(if app.focus == Focus::Files {
            t.focused_border()
        } else {
            t.dim()
        });
    // Only the rows that fit are made: those the table would show, the selected one in view.
    let (shown, selected) = in_view(order, app.selected, block.inner(area).height);
    let branch = if t.ascii { "`-" } else { "└" };
    let rows = shown
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
    let mut state = TableState::default().with_selected(selected);
    f.render_stateful_widget(table, area, &mut state);
}

/// The rows a table `height` rows high shows of `order` (one line each) with the selected file
/// in view, as the table itself scrolls from the top: the first `height`, or those ending at
/// the selected one; and the selected one's place among them.
fn in_view(order: &[usize], selected: usize, height: u16) -> (&[usize], Option<usize>) {
    let row = order.iter().position(|i| *i == selected);
    let start = row.map_or(0, |r| (r + 1).saturating_sub(usize::from(height)));
    let end = start.saturating_add(usize::from(height)).min(order.len());
    let shown = order.get(start..end).unwrap_or_default();
    (shown, row.and_then(|r| r.checked_sub(start)))
}

#[cfg(test)]
mod tests {
    use super::in_view;

    #[test]
    fn only_the_rows_in_view() {
        let order: Vec<usize> = (0..100).rev().collect();
        // The selected file (index 99) is the first row: the first 10 rows.
        assert_eq!(in_view(&order, 99, 10), (&order[..10], Some(0)));
        assert_eq!(in_view(&order, 90, 10), (&order[..10], Some(9)));
        // Further down, the 10 rows ending at it.
        assert_eq!(in_view(&order, 89, 10), (&order[1..11], Some(9)));
        assert_eq!(in_view(&order, 0, 10), (&order[90..], Some(9)));
        // Fewer files than rows, a file not listed, no room.
        assert_eq!(in_view(&order[..3], 98, 10), (&order[..3], Some(1)));
        assert_eq!(in_view(&order, 1000, 10), (&order[..10], None));
        assert_eq!(in_view(&order, 50, 0), (&order[50..50], None));
    }
}
