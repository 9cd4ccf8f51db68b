//! Dashboard frame time as the torrent grows: one frame of `bt2p_tui::ui::draw` into a 120x40
//! TestBackend, for synthetic snapshots of 1 k, 100 k and 1 M pieces (16 KiB each), 1, 1 000
//! and 10 000 files of equal size and 1, 8 and 32 players. Half the pieces are verified, in
//! runs; each player reads the middle of its own file and waits on a piece being received.
//!
//! Per cell it draws 3 frames to warm up, then times `FRAMES` frames (`Terminal::draw`: the
//! widgets, the diff against the last frame and the backend's write, as the dashboard does) and
//! `App::on_snapshot` (what the dashboard does with each new snapshot, twice a second); it
//! prints the median and the 95th percentile of each, and each median against the smallest
//! cell's.
//!
//!     cargo bench --bench frame              # all 27 cells, about a minute
//!     cargo bench --bench frame -- --frames 100

use std::sync::Arc;
use std::time::{Duration, Instant};

use bt2p_tui::engine::{FileSnap, Have, PeerSnap, Snapshot, StreamMetrics, StreamSnap, Viewing};
use bt2p_tui::ui::app::App;
use bt2p_tui::ui::draw;
use bt2p_tui::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const PIECE: u64 = 16 * 1024;
const PIECES: [u32; 3] = [1_000, 100_000, 1_000_000];
const FILES: [usize; 3] = [1, 1_000, 10_000];
const STREAMS: [usize; 3] = [1, 8, 32];
const THEME: Theme = Theme {
    color: true,
    ascii: false,
};

/// The verified pieces: runs of 100 verified, 100 missing, so the window shows both.
fn have(pieces: u32) -> Have {
    let mut bits = vec![0u8; (pieces as usize).div_ceil(8)];
    for p in (0..pieces).filter(|p| (p / 100).is_multiple_of(2)) {
        bits[p as usize / 8] |= 0x80 >> (p % 8);
    }
    Have { bits, len: pieces }
}

/// `n` files of equal size (the last takes the rest) over `pieces` pieces.
fn files(pieces: u32, n: usize, have: &Have) -> Vec<FileSnap> {
    let total = u64::from(pieces) * PIECE;
    let each = total / n as u64;
    (0..n)
        .map(|i| {
            let offset = each * i as u64;
            let len = if i + 1 == n { total - offset } else { each };
            let path = if n == 1 {
                "Big Buck Bunny.mkv".to_string()
            } else {
                format!("Season {:02}/Episode {i:05}.mkv", i / 100 + 1)
            };
            let mut f = FileSnap::new(i, &path, offset, len, PIECE);
            let verified = (f.first_piece..f.end_piece).filter(|p| have.get(*p)).count() as u64;
            f.progress_bytes = (verified * PIECE).min(len);
            f
        })
        .collect()
}

/// Player `i` of `n`, in the middle of its own file, waiting on the piece it reads.
fn stream(i: usize, n: usize, files: &[FileSnap]) -> StreamSnap {
    let file = &files[i * files.len() / n];
    let position = file.length / 2;
    let piece = ((file.offset + position) / PIECE) as u32;
    let window_end_piece = (piece + 32).min(file.end_piece);
    StreamSnap {
        id: i as u64 + 1,
        client: format!("192.168.1.{}:5{:04}", 20 + i, i),
        file: file.index,
        position,
        end: file.length,
        file_len: file.length,
        piece,
        window_end_piece,
        window_pieces: window_end_piece - piece,
        piece_par: 16,
        piece_par_secs: Some(12.0),
        waiting_ms: Some(1500),
        stalled_now: i.is_multiple_of(2),
        window_streams: 1,
        peers_with_piece: Some(2),
        piece_fetchers: vec!["10.0.0.3:6881".into()],
        piece_asked_ms: Some(1400),
        age_secs: 30,
        metrics: Some(StreamMetrics {
            viewing: Viewing {
                connections: 2,
                ttfb_ms: Some(420),
                seeks: 1,
                seek_last_ms: Some(800),
                seek_p50_ms: Some(800),
                seek_p95_ms: Some(800),
                seek_max_ms: Some(800),
                bytes_served: position,
                read_bps: Some(1.0e6),
                ..Default::default()
            },
            buffer_ahead_bytes: 4 * PIECE,
            buffer_ahead_secs: Some(0.1),
            buffer_ahead_source: Some(bt2p_tui::engine::RateSource::Estimated),
            player_buffer_secs: None,
        }),
    }
}

fn peer(i: usize) -> PeerSnap {
    PeerSnap {
        addr: format!("10.0.0.{}:6881", i + 2),
        client: Some("qBittorrent 4.5".into()),
        state: "live".into(),
        download_bps: (8 - i) as f64 * 1e6,
        upload_bps: 0.0,
        fetched_bytes: 100 * PIECE,
        uploaded_bytes: 0,
        transport: Some("tcp".into()),
        encrypted: i.is_multiple_of(2),
        requests_in_flight: 40,
        request_window: 128,
    }
}

fn snapshot(pieces: u32, nfiles: usize, nstreams: usize) -> Snapshot {
    let have = have(pieces);
    let files = files(pieces, nfiles, &have);
    let streams: Vec<StreamSnap> = (0..nstreams).map(|i| stream(i, nstreams, &files)).collect();
    // Each waited-on piece receiving, in order (the engine keeps them sorted).
    let mut receiving: Vec<(u32, u32)> = streams.iter().map(|st| (st.piece, 8 * 1024)).collect();
    receiving.sort_unstable();
    receiving.dedup_by_key(|r| r.0);
    let total = u64::from(pieces) * PIECE;
    let mut s = Snapshot {
        name: "Synthetic".into(),
        info_hash: "c20fbb0fd7a205ad84745afed2a8118acc6240c6".into(),
        state: bt2p_tui::engine::TorrentState::Downloading,
        piece_len: PIECE,
        piece_count: pieces,
        piece_par: 16,
        effective_window_pieces: 32,
        progress_bytes: files.iter().map(|f| f.progress_bytes).sum(),
        total_bytes: total,
        download_bps: 20e6,
        upload_bps: 1e5,
        eta_secs: Some(600),
        peers_connected: 8,
        seeders: 2,
        leechers: 6,
        peers: (0..8).map(peer).collect(),
        streams,
        receiving,
        have: Arc::new(have),
        ..Default::default()
    };
    s.set_files(files);
    s
}

struct Timing {
    median: Duration,
    p95: Duration,
}

fn timing(mut v: Vec<Duration>) -> Timing {
    v.sort_unstable();
    let rank = |p: usize| v[(v.len() * p).div_ceil(100).max(1) - 1];
    Timing {
        median: rank(50),
        p95: rank(95),
    }
}

struct Cell {
    pieces: u32,
    files: usize,
    streams: usize,
    frame: Timing,
    on_snapshot: Timing,
}

fn measure(pieces: u32, nfiles: usize, nstreams: usize, frames: usize) -> Cell {
    let s = snapshot(pieces, nfiles, nstreams);
    let mut app = App::new("http://192.168.1.20:17580".into());
    let mut on_snapshot = Vec::with_capacity(frames);
    for _ in 0..frames {
        let t0 = Instant::now();
        app.on_snapshot(&s);
        on_snapshot.push(t0.elapsed());
    }
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("a TestBackend");
    let mut frame = Vec::with_capacity(frames);
    for i in 0..frames + 3 {
        let t0 = Instant::now();
        term.draw(|f| draw(f, &app, &s, &THEME)).expect("a frame");
        if i >= 3 {
            frame.push(t0.elapsed());
        }
    }
    Cell {
        pieces,
        files: nfiles,
        streams: nstreams,
        frame: timing(frame),
        on_snapshot: timing(on_snapshot),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.1}×", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let frames = args
        .iter()
        .position(|a| a == "--frames")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(30usize);
    let mut cells = Vec::new();
    for pieces in PIECES {
        for nfiles in FILES {
            for nstreams in STREAMS {
                let c = measure(pieces, nfiles, nstreams, frames);
                eprintln!(
                    "{pieces} pieces, {nfiles} files, {nstreams} players: frame {} ms",
                    ms(c.frame.median)
                );
                cells.push(c);
            }
        }
    }
    let base = &cells[0];
    let (base_frame, base_snap) = (base.frame.median, base.on_snapshot.median);
    println!("\nDashboard, 120x40, {frames} frames per cell (ratio: median / the smallest cell's)\n");
    println!(
        "| pieces | files | players | frame median ms | frame p95 ms | ratio | on_snapshot median µs | p95 µs | ratio |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for c in &cells {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.pieces,
            c.files,
            c.streams,
            ms(c.frame.median),
            ms(c.frame.p95),
            ratio(c.frame.median, base_frame),
            us(c.on_snapshot.median),
            us(c.on_snapshot.p95),
            ratio(c.on_snapshot.median, base_snap),
        );
    }
}
