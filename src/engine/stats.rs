//! Builds a `Snapshot` from the engine every half second.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use librqbit::{Api, ManagedTorrent, TorrentStatsState};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::players::Players;
use super::receiving::Receiving;
use super::snapshot::{FileSnap, Have, PeerSnap, Snapshot, StreamSnap};
use super::stall::{Peers, Stall};
use super::viewing::{StreamMetrics, buffered_ahead};
use super::window::Geometry;

pub const INTERVAL: Duration = Duration::from_millis(500);

pub struct Sources {
    pub torrent: Arc<ManagedTorrent>,
    pub api: Api,
    pub players: Arc<Players>,
    pub receiving: Arc<Receiving>,
    pub piece_par: watch::Receiver<u32>,
}

/// Rates from the difference of counters over the last few seconds.
#[derive(Default)]
struct Rates {
    samples: VecDeque<(Instant, u64, u64)>,
    peers: HashMap<String, (Instant, u64, u64)>,
}

impl Rates {
    fn push(&mut self, fetched: u64, uploaded: u64) -> (f64, f64) {
        let now = Instant::now();
        self.samples.push_back((now, fetched, uploaded));
        while self.samples.len() > 2 && now.duration_since(self.samples[0].0) > Duration::from_secs(3) {
            self.samples.pop_front();
        }
        let (t0, f0, u0) = self.samples[0];
        let dt = now.duration_since(t0).as_secs_f64();
        if dt < 0.05 {
            return (0.0, 0.0);
        }
        (
            fetched.saturating_sub(f0) as f64 / dt,
            uploaded.saturating_sub(u0) as f64 / dt,
        )
    }

    fn peer(&mut self, addr: &str, fetched: u64, uploaded: u64) -> (f64, f64) {
        let now = Instant::now();
        let prev = self.peers.insert(addr.to_string(), (now, fetched, uploaded));
        match prev {
            Some((t, f, u)) if now.duration_since(t).as_secs_f64() > 0.05 => {
                let dt = now.duration_since(t).as_secs_f64();
                (
                    fetched.saturating_sub(f) as f64 / dt,
                    uploaded.saturating_sub(u) as f64 / dt,
                )
            }
            _ => (0.0, 0.0),
        }
    }
}

pub async fn run(src: Sources, base: Snapshot, tx: watch::Sender<Snapshot>, cancel: CancellationToken) {
    let mut rates = Rates::default();
    let mut stall = Stall::default();
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let mut snap = build(&src, &base, &mut rates);
        let needs_data = snap.state == "downloading" || snap.streams.iter().any(|s| s.waiting_ms.is_some());
        let peers = Peers {
            connected: snap.peers_connected,
            connecting: snap.peers_connecting,
            seen: snap.peers_seen,
            needs_data,
        };
        snap.stall = stall.update(peers, std::time::Instant::now());
        tx.send_replace(snap);
    }
}

/// How a peer is connected, as the engine names it in JSON: tcp, utp or socks.
fn transport(kind: &impl serde::Serialize) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn build(src: &Sources, base: &Snapshot, rates: &mut Rates) -> Snapshot {
    let t = &src.torrent;
    let stats = t.stats();
    let piece_par = *src.piece_par.borrow();
    let mut s = base.clone();
    s.set_piece_par(piece_par);
    s.error = stats
        .error
        .as_deref()
        .map(|e| match src.receiving.disk_was_full() {
            true => format!("the disk is full, cannot write downloaded data ({e}). Free some space: the download resumes by itself"),
            false => e.to_string(),
        })
        .or_else(|| src.receiving.write_error());
    s.uploaded_bytes = stats.uploaded_bytes;

    let (have, have_ok) = match src.api.api_dump_haves(super::id_of(t)) {
        Ok((bf, len)) => (
            Have {
                bits: bf.as_raw_slice().to_vec(),
                len,
            },
            true,
        ),
        Err(_) => (Have::default(), false),
    };

    let players = src.players.list();
    let mut files: Vec<FileSnap> = base.files.as_ref().clone();
    for (i, f) in files.iter_mut().enumerate() {
        f.progress_bytes = stats.file_progress.get(i).copied().unwrap_or(0);
        f.players = players.iter().filter(|p| p.file == i).count() as u32;
    }
    s.progress_bytes = files
        .iter()
        .filter(|f| !f.padding)
        .map(|f| f.progress_bytes)
        .sum();
    let total_visible: u64 = files.iter().filter(|f| !f.padding).map(|f| f.length).sum();

    s.state = match stats.state {
        TorrentStatsState::Initializing { .. } => "checking",
        TorrentStatsState::Paused => "paused",
        TorrentStatsState::Error => "error",
        TorrentStatsState::Live if have_ok && s.progress_bytes >= total_visible => "seeding",
        TorrentStatsState::Live => "downloading",
    }
    .to_string();

    if let Some(live) = &stats.live {
        let snap = &live.snapshot;
        let (down, up) = rates.push(snap.fetched_bytes, snap.uploaded_bytes);
        s.download_bps = down;
        s.upload_bps = up;
        let ps = &snap.peer_stats;
        s.peers_connected = ps.live;
        s.seeders = ps.live_seeders;
        s.leechers = ps.live.saturating_sub(ps.live_seeders);
        s.peers_connecting = ps.connecting;
        s.peers_queued = ps.queued;
        s.peers_seen = ps.seen;
        let remaining = stats.total_bytes.saturating_sub(stats.progress_bytes);
        s.eta_secs = (down > 1.0 && remaining > 0).then(|| (remaining as f64 / down) as u64);
    }

    if let Some(live) = t.live() {
        let snapshot = live.per_peer_stats_snapshot(Default::default());
        let mut peers: Vec<PeerSnap> = snapshot
            .peers
            .iter()
            .map(|(addr, p)| {
                let (d, u) = rates.peer(addr, p.counters.fetched_bytes, p.counters.uploaded_bytes);
                PeerSnap {
                    addr: addr.clone(),
                    client: p.client_name.clone(),
                    state: p.state.to_string(),
                    download_bps: d,
                    upload_bps: u,
                    fetched_bytes: p.counters.fetched_bytes,
                    uploaded_bytes: p.counters.uploaded_bytes,
                    transport: p.conn_kind.as_ref().map(transport),
                }
            })
            .collect();
        rates.peers.retain(|a, _| snapshot.peers.contains_key(a));
        peers.sort_by(|a, b| {
            b.download_bps
                .total_cmp(&a.download_bps)
                .then_with(|| a.addr.cmp(&b.addr))
        });
        s.peers = peers;
    }

    s.streams = players
        .iter()
        .filter_map(|p| {
            let f = files.get(p.file)?;
            let g = Geometry {
                piece_len: s.piece_len,
                file_offset: f.offset,
                file_len: f.length,
                media: false,
            };
            let pos = p.position();
            let piece = g.piece_at(pos) as u32;
            let window_end =
                ((piece as u64) + u64::from(s.effective_window_pieces)).min(g.end_piece()) as u32;
            let ahead = buffered_ahead(&have, s.piece_len, f.offset, f.length, pos);
            Some(StreamSnap {
                id: p.id,
                client: p.client.to_string(),
                file: p.file,
                position: pos,
                end: p.end,
                file_len: p.file_len,
                piece,
                window_end_piece: window_end,
                window_pieces: window_end.saturating_sub(piece),
                waiting_ms: p.waiting_ms().filter(|ms| *ms >= 100),
                window_streams: 1 + p.window_helpers.load(std::sync::atomic::Ordering::Relaxed),
                // Peers' bitfields are private to the engine: connected seeders are the
                // known lower bound.
                peers_with_piece: Some(s.seeders),
                age_secs: p.started.elapsed().as_secs(),
                metrics: Some(StreamMetrics::new(p.viewer.snapshot(), ahead)),
            })
        })
        .collect();
    s.viewing = src.players.viewers.totals.snapshot();
    s.receiving = src.receiving.current();
    s.receiving.retain(|(p, _)| !have.get(*p));
    s.have = Arc::new(have);
    s.files = Arc::new(files);
    s
}
