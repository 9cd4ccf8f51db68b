//! Without a dashboard: the URLs on stdout once, then a status line every few seconds on stderr.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, Snapshot};
use crate::fmt;
use crate::http::HttpState;

const EVERY: Duration = Duration::from_secs(5);

pub fn print_urls(state: &HttpState) {
    let snap = state.engine.snapshot().borrow().clone();
    println!("bt2p-tui: {} ({})", snap.name, snap.info_hash);
    let links = state.links();
    println!("index: {}", links.index());
    for f in snap.files.iter().filter(|f| f.shown()) {
        println!("{}", links.file(&f.path));
    }
    if let Some(d) = &state.dlna {
        println!("DLNA: announced on the LAN as \"{}\"", d.name);
    }
}

/// Prints a QR code of the URL the dashboard would select first: the first video or audio
/// file as listed, else the first file.
pub fn print_qr(state: &HttpState) {
    let Some(idx) = state.engine.listing().first_to_play else {
        return;
    };
    let url = state.links().file(&state.engine.files()[idx].path);
    match crate::qr::text(&url) {
        Ok(code) => println!("QR code of {url}:\n{code}"),
        Err(e) => eprintln!("bt2p-tui: no QR code: {e}"),
    }
}

/// Prints a status line every few seconds until `cancel` fires.
pub async fn run(engine: Arc<Engine>, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let snap = engine.snapshot().borrow().clone();
        eprintln!("{}", status_line(&snap));
    }
}

pub fn status_line(s: &Snapshot) -> String {
    let mut line = format!(
        "[{}] {:.1}% {} of {}  ↓ {} ↑ {}  peers {} ({} seeders)  piece_par {} (window {})  players {}",
        s.state,
        fmt::percent(s.progress_bytes, s.total_bytes),
        fmt::size(s.progress_bytes),
        fmt::size(s.total_bytes),
        fmt::speed(s.download_bps),
        fmt::speed(s.upload_bps),
        s.peers_connected,
        s.seeders,
        crate::figures::piece_par(s, true),
        s.shown_window(),
        s.streams.len(),
    );
    if let Some(eta) = s.eta_secs {
        line.push_str(&format!("  ETA {}", fmt::duration(Duration::from_secs(eta))));
    }
    for st in &s.streams {
        if let Some(m) = &st.metrics {
            line.push_str(&format!("  [{}: {}]", st.client, crate::figures::viewing(m)));
        }
        if let Some(ms) = st.waiting_ms.filter(|_| st.stalled_now) {
            line.push_str(&format!(
                "  [{} waits {} ms on piece {}, {}]",
                st.client,
                ms,
                st.piece,
                st.fetch_note()
            ));
        }
    }
    if let Some(cause) = &s.stall {
        line.push_str(&format!("  stalled: {cause}"));
    }
    if let Some(e) = &s.error {
        line.push_str(&format!("  error: {e}"));
    }
    line
}
