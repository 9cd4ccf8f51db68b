//! Connected peers, fastest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::app::{App, Focus};
use super::theme::Theme;
use crate::engine::Snapshot;
use crate::fmt;

pub fn draw(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let (down, up) = t.arrows();
    // Narrow panels drop the client name and the upload column, then our requests.
    let wide = area.width >= 64;
    let asked_col = area.width >= 42;
    let mut header: Vec<&str> = if wide {
        vec!["address", "client", down, up, "got"]
    } else {
        vec!["address", down, "got"]
    };
    let mut widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Min(15),
            Constraint::Min(6),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(6),
        ]
    } else {
        vec![Constraint::Min(15), Constraint::Length(8), Constraint::Length(6)]
    };
    if asked_col {
        header.push("asked");
        widths.push(Constraint::Length(7));
    }
    // What the address column has when it shares the panel with the fixed columns (narrow).
    let fixed: u16 = widths
        .iter()
        .map(|c| match c {
            Constraint::Length(n) => *n,
            _ => 0,
        })
        .sum();
    let room = match wide {
        true => usize::MAX,
        false => usize::from(area.width.saturating_sub(2 + fixed + widths.len() as u16 - 1)),
    };
    let header = Row::new(header).style(t.dim());
    let rows = s.peers.iter().map(|p| {
        let down = Cell::from(format!("{}/s", fmt::compact(p.download_bps as u64)));
        let got = Cell::from(fmt::compact(p.fetched_bytes));
        let mut cells = if wide {
            vec![
                Cell::from(addr_and_transport(p, room)),
                Cell::from(p.client.clone().unwrap_or_else(|| "?".into())),
                down,
                Cell::from(format!("{}/s", fmt::compact(p.upload_bps as u64))),
                got,
            ]
        } else {
            vec![Cell::from(addr_and_transport(p, room)), down, got]
        };
        if asked_col {
            cells.push(Cell::from(asked(p)));
        }
        Row::new(cells)
    });
    let title = format!(
        " Peers {}, {} connecting, {} queued ",
        s.peers.len(),
        s.peers_connecting,
        s.peers_queued
    );
    let block = t.block().title(title).border_style(if app.focus == Focus::Peers {
        t.focused_border()
    } else {
        t.dim()
    });
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(if app.focus == Focus::Peers {
            t.selected()
        } else {
            Default::default()
        });
    let mut state =
        TableState::default().with_selected((app.focus == Focus::Peers).then_some(app.peers_offset));
    f.render_stateful_widget(table, area, &mut state);
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
