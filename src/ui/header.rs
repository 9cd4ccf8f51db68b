//! Name, state, progress, speeds, peers, pieces, piece_par and the URL to open.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::app::App;
use super::theme::Theme;
use crate::engine::{Snapshot, TorrentState};
use crate::fmt;

pub const HEIGHT: u16 = 4;

/// One function per row: title, progress, figures, the URL (or what stops it).
pub fn draw(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let rows = Layout::vertical([Constraint::Length(1); 4]).split(area);
    f.render_widget(Paragraph::new(title_row(app, s, t)), rows[0]);
    progress_row(f, rows[1], s, t);
    f.render_widget(
        Paragraph::new(figures_row(s, t, usize::from(rows[2].width))),
        rows[2],
    );
    f.render_widget(Paragraph::new(url_row(app, s, t)), rows[3]);
}

/// The torrent's name, state, short info hash and the name it is announced under over DLNA.
fn title_row<'a>(app: &App, s: &Snapshot, t: &Theme) -> Line<'a> {
    let state_style = match s.state {
        TorrentState::Error => t.error(),
        TorrentState::Paused | TorrentState::Checking => t.receiving(),
        TorrentState::Downloading | TorrentState::Seeding => t.verified(),
    };
    let mut title = Line::from(vec![
        Span::styled(format!(" {} ", s.name), t.title()),
        Span::styled(format!("[{}]", s.state), state_style),
        Span::styled(format!("  {}", short_hash(&s.info_hash)), t.dim()),
    ]);
    if let Some(name) = &app.dlna_name {
        title.push_span(Span::styled(format!("  DLNA: {name}"), t.accent()));
    }
    title
}

/// The verified share as a gauge (a bar of '#' where block characters are not available).
fn progress_row(f: &mut Frame, area: Rect, s: &Snapshot, t: &Theme) {
    let ratio = if s.total_bytes == 0 {
        1.0
    } else {
        (s.progress_bytes as f64 / s.total_bytes as f64).clamp(0.0, 1.0)
    };
    let label = format!(
        "{:.1}%  {} / {}",
        ratio * 100.0,
        fmt::size(s.progress_bytes),
        fmt::size(s.total_bytes)
    );
    if t.ascii {
        let w = (area.width as usize).saturating_sub(label.len() + 4);
        let filled = (ratio * w as f64).round() as usize;
        let bar = format!("[{}{}] {label}", "#".repeat(filled), ".".repeat(w - filled));
        f.render_widget(Paragraph::new(Span::styled(bar, t.verified())), area);
    } else {
        let gauge = Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(t.verified());
        f.render_widget(gauge, area);
    }
}

/// Speeds, peers, ETA, piece_par and the pieces: what matters most comes first, and the rest
/// is left out, whole, where `width` runs short.
fn figures_row<'a>(s: &Snapshot, t: &Theme, width: usize) -> Line<'a> {
    let (down, up) = t.arrows();
    let eta = s
        .eta_secs
        .map(|e| fmt::duration(Duration::from_secs(e)))
        .unwrap_or_else(|| "-".into());
    let mut parts = vec![
        Span::styled(
            format!(" {down} {}/s", fmt::compact(s.download_bps as u64)),
            t.verified(),
        ),
        Span::raw(format!(" {up} {}/s", fmt::compact(s.upload_bps as u64))),
        Span::raw(format!(
            "  peers {} ({}S {}L)",
            s.peers_connected, s.seeders, s.leechers
        )),
        Span::styled(
            format!(
                "  piece_par {} window {}",
                crate::figures::piece_par(s, false),
                s.shown_window()
            ),
            t.accent(),
        ),
        Span::raw(format!("  ETA {eta}")),
        Span::raw(format!("  {}x{}", s.piece_count, fmt::compact(s.piece_len))),
    ];
    while parts.len() > 4 && parts.iter().map(Span::width).sum::<usize>() > width {
        parts.pop();
    }
    // ETA before piece_par's figures is how the line reads when there is room.
    if parts.len() > 4 {
        let eta = parts.remove(4);
        parts.insert(2, eta);
    }
    Line::from(parts)
}

/// The URL to open; the TV while it plays; else why nothing arrives, or the error.
fn url_row<'a>(app: &App, s: &Snapshot, t: &Theme) -> Line<'a> {
    if let Some(e) = &s.error {
        return Line::from(Span::styled(format!(" error: {e}"), t.error()));
    }
    if let Some(cause) = &s.stall {
        return Line::from(Span::styled(format!(" stalled: {cause}"), t.receiving()));
    }
    // The TV while it plays, or says what went wrong; the URL again once it has stopped.
    if let Some(c) =
        app.casting.status.as_ref().filter(|c| {
            c.error.is_some() || !matches!(c.state.as_str(), "STOPPED" | "GONE" | "NO_MEDIA_PRESENT")
        })
    {
        return Line::from(cast_line(c, t));
    }
    let url = app.selected_url(s).unwrap_or_default();
    Line::from(vec![Span::raw(" open "), Span::styled(url, t.accent())])
}

/// The TV cast to: its name, state and position, or what went wrong.
fn cast_line<'a>(c: &crate::cast::CastStatus, t: &Theme) -> Vec<Span<'a>> {
    let time = |s: Option<f64>| s.map_or("-".to_string(), crate::cast::soap::format_time);
    let state = match c.state.as_str() {
        "PLAYING" => "playing",
        "PAUSED_PLAYBACK" => "paused",
        "STOPPED" => "stopped",
        "TRANSITIONING" => "starting",
        "NOT_CAST" => "not cast",
        other => other,
    };
    let mut line = vec![
        Span::raw(" TV "),
        Span::styled(c.renderer.clone(), t.accent()),
        Span::raw(format!(
            " {state} {} / {}",
            time(c.position_secs),
            time(c.duration_secs)
        )),
    ];
    if let Some(e) = &c.error {
        line.push(Span::styled(format!("  {e}"), t.error()));
    }
    line
}

fn short_hash(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}
