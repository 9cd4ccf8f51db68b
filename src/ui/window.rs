//! The window ahead of each player: one cell per piece from the read position onward.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Focus};
use super::theme::Theme;
use crate::engine::{FileSnap, Snapshot, StreamSnap};
use crate::fmt;

/// piece_par in pieces and seconds, and the `window` the engine fetches as shown: never more
/// than what is left of the file; shorter where the width runs short.
fn title(s: &Snapshot, window: u32, width: usize) -> String {
    let to_end = if window < s.effective_window_pieces {
        " to the file's end"
    } else {
        ""
    };
    let size = fmt::size(u64::from(window) * s.piece_len);
    let pp = crate::figures::piece_par(s, true);
    let long = format!(" Window: piece_par {pp}, engine window {window} pieces ({size}){to_end} ");
    if long.chars().count() <= width {
        return long;
    }
    format!(" piece_par {pp}, engine {window} ({size}) ")
}

/// One row's worth of what to draw.
struct Row<'a> {
    label: Vec<Span<'a>>,
    first: u32,
    /// One past the file's last piece.
    file_end: u32,
    /// Where piece_par's pieces end, and the window the engine fetches (as the snapshot
    /// says; both within the file).
    par_end: u32,
    window_end: u32,
    blocked: bool,
    /// What the player's viewer went through, under its label.
    figures: Option<String>,
}

impl Row<'_> {
    fn height(&self) -> usize {
        2 + usize::from(self.figures.is_some())
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let width = area.width.saturating_sub(2) as usize;
    let selected = s.files.get(app.selected).filter(|f| f.shown());
    let rows = rows(s, selected, t, width);
    let window = match (s.streams.is_empty(), selected) {
        // What a player starting at the selected file would get.
        (true, Some(f)) => s
            .effective_window_pieces
            .min(f.end_piece.saturating_sub(f.first_piece)),
        _ => s.shown_window(),
    };
    let block = t
        .block()
        .title(title(s, window, width))
        .border_style(if app.focus == Focus::Window {
            t.focused_border()
        } else {
            t.dim()
        });
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    f.render_widget(Paragraph::new(lines(&rows, s, t, inner)), inner);
}

/// The lines the panel would use, borders included, to show every row's cells down to its
/// file's end in a panel `width` wide.
pub fn wanted_height(app: &App, s: &Snapshot, width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // As `rows` makes them, without their labels: a label, the figures if any, the cells.
    let lines: usize = match s.streams.is_empty() {
        false => s
            .streams
            .iter()
            .filter_map(|st| {
                let end = s.files.get(st.file)?.end_piece;
                Some(1 + usize::from(st.metrics.is_some()) + cell_lines(st.piece, end, inner))
            })
            .sum(),
        true => s
            .files
            .get(app.selected)
            .filter(|f| f.shown())
            .map_or(0, |f| 1 + cell_lines(f.first_piece, f.end_piece, inner)),
    };
    u16::try_from(lines + 3).unwrap_or(u16::MAX)
}

/// Lines of `width` cells from piece `first` to `end` (a file's end), with the two boundary
/// marks.
fn cell_lines(first: u32, end: u32, width: usize) -> usize {
    (end.saturating_sub(first) as usize + 2)
        .div_ceil(width.max(1))
        .max(1)
}

/// A row per player; with none, what a player starting at the selected file would get.
fn rows<'a>(s: &'a Snapshot, selected: Option<&FileSnap>, t: &Theme, width: usize) -> Vec<Row<'a>> {
    let mut rows: Vec<Row> = s
        .streams
        .iter()
        .filter_map(|st| player_row(st, s, t, width))
        .collect();
    if rows.is_empty()
        && let Some(file) = selected
    {
        rows.push(Row {
            label: vec![Span::styled(
                format!("no player connected; a player starting {} would get:", file.path),
                t.dim(),
            )],
            first: file.first_piece,
            file_end: file.end_piece,
            par_end: file.first_piece.saturating_add(s.piece_par).min(file.end_piece),
            window_end: file
                .first_piece
                .saturating_add(s.effective_window_pieces)
                .min(file.end_piece),
            blocked: false,
            figures: None,
        });
    }
    rows
}

/// Whole rows while a line stays free for the legend or the count of the others; the lines
/// to spare give the rows more cells, down to their file's end.
fn lines<'a>(rows: &[Row<'a>], s: &Snapshot, t: &Theme, inner: Rect) -> Vec<Line<'a>> {
    let width = inner.width as usize;
    let height = inner.height as usize;
    let mut shown = 0;
    let mut used = 0;
    for r in rows {
        if shown > 0 && used + r.height() + 1 > height {
            break;
        }
        used += r.height();
        shown += 1;
    }
    let spare = height.saturating_sub(used + 1) / shown.max(1);
    let mut lines: Vec<Line> = Vec::new();
    for r in rows.iter().take(shown) {
        lines.push(Line::from(r.label.clone()));
        if let Some(figures) = &r.figures {
            lines.push(Line::raw(format!("  {figures}")));
        }
        lines.extend(cells(
            r,
            s,
            t,
            width,
            (1 + spare).min(cell_lines(r.first, r.file_end, width)),
        ));
    }
    if rows.len() > shown {
        lines.push(Line::styled(
            format!("+{} more players", rows.len() - shown),
            t.dim(),
        ));
    } else if lines.len() < height {
        lines.push(legend(t));
    }
    lines
}

fn player_row<'a>(st: &StreamSnap, s: &'a Snapshot, t: &Theme, width: usize) -> Option<Row<'a>> {
    let file = s.files.get(st.file)?;
    let pct = fmt::percent(st.position, st.file_len.max(1));
    let name = file.path.rsplit('/').next().unwrap_or(&file.path).to_string();
    let mut label = vec![
        Span::styled(format!("{} ", t.glyph_playing()), t.accent()),
        Span::styled(format!("{} ", st.client), t.dim()),
        Span::styled(name, t.title()),
        Span::raw(format!(" {} {pct:.1}%", fmt::compact(st.position))),
    ];
    // A player waiting at the download's edge with its own buffer full is no alarm: only one
    // that has run dry shows its wait.
    if let Some(ms) = st.waiting_ms.filter(|_| st.stalled_now) {
        label.push(Span::styled(
            format!("  waits {:.1} s on #{}", ms as f64 / 1000.0, st.piece),
            t.blocked(),
        ));
        if let Some(n) = st.peers_with_piece {
            let at_least = if t.ascii { ">=" } else { "≥" };
            label.push(Span::styled(
                format!(" ({at_least}{n} peers have it)"),
                t.blocked(),
            ));
        }
        label.push(Span::styled(format!(", {}", st.fetch_note()), t.blocked()));
    }
    // Where the width runs short, who fetches the piece goes first, then the peers that have
    // it, then the address.
    let long = |l: &[Span]| l.iter().map(Span::width).sum::<usize>() > width;
    if long(&label) && st.stalled_now {
        label.pop();
        if long(&label) && st.peers_with_piece.is_some() {
            label.pop();
        }
    }
    if long(&label) {
        label.remove(1);
    }
    Some(Row {
        label,
        first: st.piece,
        file_end: file.end_piece,
        par_end: st.piece.saturating_add(st.piece_par).min(file.end_piece),
        window_end: st.window_end_piece.clamp(st.piece, file.end_piece),
        blocked: st.stalled_now,
        // Under the label, indented by two.
        figures: st
            .metrics
            .as_ref()
            .map(|m| crate::figures::viewing_in(m, width.saturating_sub(2))),
    })
}

/// Cells from the read position through the window and a little past it, or on to the file's
/// end where `lines` rows of `width` hold more.
fn cells<'a>(r: &Row, s: &Snapshot, t: &Theme, width: usize, lines: usize) -> Vec<Line<'a>> {
    let (par_end, window_end) = (r.par_end, r.window_end);
    let past = (window_end.saturating_sub(r.first) / 4).clamp(2, 64);
    let room = width.saturating_mul(lines);
    let end = window_end
        .saturating_add(past)
        .max(r.first.saturating_add(room as u32))
        .min(r.file_end);
    let mut spans: Vec<Span> = Vec::with_capacity(room);
    for p in r.first..end {
        if spans.len() >= room {
            break;
        }
        if (p == par_end || (p == window_end && window_end != par_end)) && p != r.first {
            spans.push(Span::styled(t.glyph_boundary(), t.accent()));
            if spans.len() >= room {
                break;
            }
        }
        let (g, style) = if s.have.get(p) {
            (t.glyph_verified(), t.verified())
        } else if p == r.first && r.blocked {
            (t.glyph_blocked(), t.blocked())
        } else if let Some(b) = s.receiving_bytes(p) {
            (
                t.glyph_receiving(f64::from(b) / s.piece_len_of(p).max(1) as f64),
                t.receiving(),
            )
        } else {
            (t.glyph_missing(), t.missing())
        };
        spans.push(Span::styled(g, style));
    }
    if spans.is_empty() {
        return vec![Line::default()];
    }
    spans
        .chunks(width.max(1))
        .map(|c| Line::from(c.to_vec()))
        .collect()
}

fn legend<'a>(t: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(t.glyph_verified(), t.verified()),
        Span::raw(" have "),
        Span::styled(t.glyph_receiving(0.5), t.receiving()),
        Span::raw(" receiving "),
        Span::styled(t.glyph_missing(), t.missing()),
        Span::raw(" missing "),
        Span::styled(t.glyph_blocked(), t.blocked()),
        Span::raw(" player waits "),
        Span::styled(t.glyph_boundary(), t.accent()),
        Span::raw(" piece_par/window end"),
    ])
}
