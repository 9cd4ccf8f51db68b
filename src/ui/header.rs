//! Name, state, progress, speeds, peers, pieces, piece_par and the URL to open.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::app::App;
use super::theme::Theme;
use crate::engine::Snapshot;
use crate::fmt;

pub const HEIGHT: u16 = 4;

pub fn draw(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let rows = Layout::vertical([Constraint::Length(1); 4]).split(area);
    let state_style = match s.state.as_str() {
        "error" => t.error(),
        "paused" | "checking" => t.receiving(),
        _ => t.verified(),
    };
    let title = Line::from(vec![
        Span::styled(format!(" {} ", s.name), t.title()),
        Span::styled(format!("[{}]", s.state), state_style),
        Span::styled(format!("  {}", short_hash(&s.info_hash)), t.dim()),
    ]);
    let mut title = title;
    if let Some(name) = crate::dlna::announced_as() {
        title.push_span(Span::styled(format!("  DLNA: {name}"), t.accent()));
    }
    f.render_widget(Paragraph::new(title), rows[0]);

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
        // Block characters are not ASCII: a bar of '#' instead.
        let w = (rows[1].width as usize).saturating_sub(label.len() + 4);
        let filled = (ratio * w as f64).round() as usize;
        let bar = format!("[{}{}] {label}", "#".repeat(filled), ".".repeat(w - filled));
        f.render_widget(Paragraph::new(Span::styled(bar, t.verified())), rows[1]);
    } else {
        let gauge = Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(t.verified());
        f.render_widget(gauge, rows[1]);
    }

    let (down, up) = t.arrows();
    let eta = s
        .eta_secs
        .map(|e| fmt::duration(Duration::from_secs(e)))
        .unwrap_or_else(|| "-".into());
    // What matters most comes first; the rest is left out, whole, where the width runs short.
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
                fmt::piece_par(s, false),
                s.shown_window()
            ),
            t.accent(),
        ),
        Span::raw(format!("  ETA {eta}")),
        Span::raw(format!("  {}x{}", s.piece_count, fmt::compact(s.piece_len))),
    ];
    let width = usize::from(rows[2].width);
    while parts.len() > 4 && parts.iter().map(Span::width).sum::<usize>() > width {
        parts.pop();
    }
    // ETA before piece_par's figures is how the line reads when there is room.
    if parts.len() > 4 {
        let eta = parts.remove(4);
        parts.insert(2, eta);
    }
    let stats = Line::from(parts);
    f.render_widget(Paragraph::new(stats), rows[2]);

    let url = app.selected_url(s).unwrap_or_default();
    let mut line = vec![Span::raw(" open "), Span::styled(url, t.accent())];
    // The TV while it plays, or says what went wrong; the URL again once it has stopped.
    if let Some(c) =
        app.casting.status.as_ref().filter(|c| {
            c.error.is_some() || !matches!(c.state.as_str(), "STOPPED" | "GONE" | "NO_MEDIA_PRESENT")
        })
    {
        line = cast_line(c, t);
    }
    if let Some(cause) = &s.stall {
        line = vec![Span::styled(format!(" stalled: {cause}"), t.receiving())];
    }
    if let Some(e) = &s.error {
        line = vec![Span::styled(format!(" error: {e}"), t.error())];
    }
    f.render_widget(Paragraph::new(Line::from(line)), rows[3]);
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
