//! Connected peers, fastest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::app::{App, Focus};
use super::theme::Theme;
use crate::engine::Snapshot;
use crate::fmt;

pub fn draw(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let cols = Columns::fit(area.width, t);
    let header = Row::new(cols.header.clone()).style(t.dim());
    let rows: Vec<Row> = s.peers.iter().map(|p| cols.row(p)).collect();
    let title = format!(
        " Peers {}, {} connecting, {} queued ",
        s.peers.len(),
        s.peers_connecting,
        s.peers_queued
    );
    let focused = app.focus == Focus::Peers;
    let block = t
        .block()
        .title(title)
        .border_style(if focused { t.focused_border() } else { t.dim() });
    let table = Table::new(rows, cols.widths)
        .header(header)
        .block(block)
        .row_highlight_style(if focused { t.selected() } else { Default::default() });
    let mut state = TableState::default().with_selected(focused.then_some(app.peers_offset));
    f.render_stateful_widget(table, area, &mut state);
}

/// The columns a panel `width` wide has room for: narrow panels drop the client name and the
/// upload column, then our requests.
struct Columns<'t> {
    wide: bool,
    asked: bool,
    header: Vec<&'t str>,
    widths: Vec<Constraint>,
    /// What the address column has when it shares the panel with the fixed columns (narrow).
    room: usize,
}

impl<'t> Columns<'t> {
    fn fit(width: u16, t: &'t Theme) -> Columns<'t> {
        let (down, up) = t.arrows();
        let wide = width >= 64;
        let asked = width >= 42;
        let (mut header, mut widths) = if wide {
            (
                vec!["address", "client", down, up, "got"],
                vec![
                    Constraint::Min(15),
                    Constraint::Min(6),
                    Constraint::Length(8),
                    Constraint::Length(8),
                    Constraint::Length(6),
                ],
            )
        } else {
            (
                vec!["address", down, "got"],
                vec![Constraint::Min(15), Constraint::Length(8), Constraint::Length(6)],
            )
        };
        if asked {
            header.push("asked");
            widths.push(Constraint::Length(7));
        }
        let fixed: u16 = widths
            .iter()
            .map(|c| match c {
                Constraint::Length(n) => *n,
                _ => 0,
            })
            .sum();
        let room = match wide {
            true => usize::MAX,
            false => usize::from(width.saturating_sub(2 + fixed + widths.len() as u16 - 1)),
        };
        Columns {
            wide,
            asked,
            header,
            widths,
            room,
        }
    }

    fn row(&self, p: &crate::engine::PeerSnap) -> Row<'static> {
        let down = Cell::from(format!("{}/s", fmt::compact(p.download_bps as u64)));
        let got = Cell::from(fmt::compact(p.fetched_bytes));
        let mut cells = if self.wide {
            vec![
                Cell::from(addr_and_transport(p, self.room)),
                Cell::from(p.client.clone().unwrap_or_else(|| "?".into())),
                down,
                Cell::from(format!("{}/s", fmt::compact(p.upload_bps as u64))),
                got,
            ]
        } else {
            vec![Cell::from(addr_and_transport(p, self.room)), down, got]
        };
        if self.asked {
            cells.push(Cell::from(asked(p)));
        }
        Row::new(cells)
    }
}

/// Our requests outstanding with the peer, of the window it is allowed (`12/16`); blank
/// before it is asked for anything.
fn asked(p: &crate::engine::PeerSnap) -> String {
    if p.request_window == 0 {
        String::new()
    } else {
        format!("{}/{}", p.requests_in_flight, p.request_window)
    }
}

/// The peer's address, and how it is connected when that is not plain TCP: over uTP or
/// SOCKS, and encrypted (RC4) where that fits in `room` columns.
fn addr_and_transport(p: &crate::engine::PeerSnap, room: usize) -> String {
    let transport = match p.transport.as_deref() {
        Some("utp") => " uTP",
        Some("socks") => " SOCKS",
        _ => "",
    };
    let plain = format!("{}{transport}", p.addr);
    match p.encrypted && plain.chars().count() + 4 <= room {
        true => format!("{plain} RC4"),
        false => plain,
    }
}
