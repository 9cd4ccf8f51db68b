//! Builds a `Snapshot` from the engine every half second.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use librqbit::{Api, ManagedTorrent, TorrentStatsState};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::PiecePar;
use super::bitrate::Bitrates;
use super::listing::FileSnap;
use super::players::Players;
use super::receiving::Receiving;
use super::snapshot::{Have, PeerSnap, Snapshot, StreamSnap, TorrentState};
use super::stall::{Peers, Stall};
use super::viewing::STALL_AFTER_MS;
use super::viewing::{StreamMetrics, buffered_ahead};
use super::window::Geometry;

pub const INTERVAL: Duration = Duration::from_millis(500);

pub struct Sources {
    pub torrent: Arc<ManagedTorrent>,
    pub api: Api,
    pub players: Arc<Players>,
    pub receiving: Arc<Receiving>,
    pub piece_par: watch::Receiver<PiecePar>,
    pub bitrates: Arc<Bitrates>,
    /// The files fetched ahead as the next of the playlist.
    pub prefetches: Arc<super::next::Prefetches>,
    /// `--interface`, named in a stall's cause.
    pub interface: Option<String>,
    /// `--encryption`, named in a stall's cause when it turns peers away.
    pub encryption: librqbit::EncryptionPolicy,
    /// uTP on (else `--no-utp` is named in a stall's cause).
    pub utp: bool,
}

/// How far back speeds look: long enough to smooth a rate limiter's bursts, short enough to
/// fall to zero soon after data stops.
const RATE_SPAN: Duration = Duration::from_secs(3);

/// A counter pair's rates over the last `RATE_SPAN`.
#[derive(Default)]
struct Counter {
    samples: VecDeque<(Instant, u64, u64)>,
}

impl Counter {
    fn push(&mut self, now: Instant, fetched: u64, uploaded: u64) -> (f64, f64) {
        self.samples.push_back((now, fetched, uploaded));
        while self.samples.len() > 2 && now.duration_since(self.samples[0].0) > RATE_SPAN {
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
}

/// Each peer's rates, measured the same way: the torrent's speeds are their sum, so the header
/// and the peer rows always agree.
#[derive(Default)]
struct Rates {
    peers: HashMap<String, Counter>,
}

pub async fn run(src: Sources, base: Snapshot, tx: Arc<watch::Sender<Snapshot>>, cancel: CancellationToken) {
    let mut rates = Rates::default();
    let mut stall = Stall::new(src.interface.clone(), src.encryption, src.utp);
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let started = Instant::now();
        let mut snap = build(&src, &base, &mut rates);
        let needs_data =
            snap.state == TorrentState::Downloading || snap.streams.iter().any(|s| s.waiting_ms.is_some());
        let peers = Peers {
            connected: snap.peers_connected,
            connecting: snap.peers_connecting,
            seen: snap.peers_seen,
            needs_data,
        };
        snap.stall = stall.update(peers, std::time::Instant::now());
        snap.snapshot_build_ms = started.elapsed().as_secs_f64() * 1000.0;
        // piece_par's figures as they are now, under the channel's lock: a change made while
        // this snapshot was built is not undone by it (`Engine::set_piece_par` publishes too).
        tx.send_modify(|s| {
            *s = snap;
            apply_piece_par(s, *src.piece_par.borrow(), &src.bitrates);
        });
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
    let mut s = base.clone();
    s.error = error_of(src, &stats);
    s.uploaded_bytes = stats.uploaded_bytes;
    let (have, have_ok) = haves(src);
    let players = src.players.list();
    let files = files_now(src, base, &stats, &players);
    s.progress_bytes = files.iter().filter(|f| f.shown()).map(|f| f.progress_bytes).sum();
    let total_shown: u64 = files.iter().filter(|f| f.shown()).map(|f| f.length).sum();
    s.state = state_of(&stats.state, have_ok && s.progress_bytes >= total_shown);
    let inflight = peers_now(&mut s, &stats, t, rates);
    let remaining = stats.total_bytes.saturating_sub(stats.progress_bytes);
    let down = s.download_bps;
    s.eta_secs = (down > 1.0 && remaining > 0).then(|| (remaining as f64 / down) as u64);
    s.streams = streams_now(src, &s, &players, &files, &have, &inflight);
    s.viewing = src.players.viewers.totals.snapshot();
    s.receiving = src.receiving.current();
    s.receiving.retain(|(p, _)| !have.get(*p));
    s.have = Arc::new(have);
    s.files = Arc::new(files);
    s
}

/// The torrent's error as the user can act on it: a full disk is named as such.
fn error_of(src: &Sources, stats: &librqbit::TorrentStats) -> Option<String> {
    stats
        .error
        .as_deref()
        .map(|e| match src.receiving.disk_was_full() {
            true => format!("the disk is full, cannot write downloaded data ({e}). Free some space: the download resumes by itself"),
            false => e.to_string(),
        })
        .or_else(|| src.receiving.write_error())
}

/// The verified pieces, and whether the engine could tell (not while it checks or starts).
fn haves(src: &Sources) -> (Have, bool) {
    match src.api.api_dump_haves(super::id_of(&src.torrent)) {
        Ok((bf, len)) => (
            Have {
                bits: bf.as_raw_slice().to_vec(),
                len,
            },
            true,
        ),
        Err(_) => (Have::default(), false),
    }
}

/// Each file's progress, players, duration, prefetch and subtitle tracks (the last two as
/// `bitrate::run` has read them so far).
fn files_now(
    src: &Sources,
    base: &Snapshot,
    stats: &librqbit::TorrentStats,
    players: &[Arc<super::players::PlayerInfo>],
) -> Vec<FileSnap> {
    let mut files: Vec<FileSnap> = base.files.as_ref().clone();
    // Players per file in one pass: no walk over every player for each file.
    let mut playing = vec![0u32; files.len()];
    for p in players {
        if let Some(n) = playing.get_mut(p.file) {
            *n += 1;
        }
    }
    for ((i, f), n) in files.iter_mut().enumerate().zip(playing) {
        f.progress_bytes = stats.file_progress.get(i).copied().unwrap_or(0);
        f.players = n;
        f.duration_secs = src.bitrates.duration(i);
        f.prefetch = src.prefetches.get(i);
        f.subtitle_tracks = src.bitrates.subtitle_tracks(i);
    }
    files
}

fn state_of(state: &TorrentStatsState, complete: bool) -> TorrentState {
    match state {
        TorrentStatsState::Initializing { .. } => TorrentState::Checking,
        TorrentStatsState::Paused => TorrentState::Paused,
        TorrentStatsState::Error => TorrentState::Error,
        TorrentStatsState::Live if complete => TorrentState::Seeding,
        TorrentStatsState::Live => TorrentState::Downloading,
    }
}

/// The peer counts, each connected peer's row and the torrent's speeds (their sum); returns
/// the pieces being fetched now and from whom: why a player waits.
fn peers_now(
    s: &mut Snapshot,
    stats: &librqbit::TorrentStats,
    t: &ManagedTorrent,
    rates: &mut Rates,
) -> Vec<librqbit::InflightPieceInfo> {
    if let Some(live) = &stats.live {
        let ps = &live.snapshot.peer_stats;
        s.peers_connected = ps.live;
        s.seeders = ps.live_seeders;
        s.leechers = ps.live.saturating_sub(ps.live_seeders);
        s.peers_connecting = ps.connecting;
        s.peers_queued = ps.queued;
        s.peers_seen = ps.seen;
    }
    let Some(live) = t.live() else {
        return Vec::new();
    };
    let snapshot = live.per_peer_stats_snapshot(Default::default());
    let now = Instant::now();
    let mut peers: Vec<PeerSnap> = snapshot
        .peers
        .iter()
        .map(|(addr, p)| {
            let counter = rates.peers.entry(addr.clone()).or_default();
            let (d, u) = counter.push(now, p.counters.fetched_bytes, p.counters.uploaded_bytes);
            PeerSnap {
                addr: addr.clone(),
                client: p.client_name.clone(),
                state: p.state.to_string(),
                download_bps: d,
                upload_bps: u,
                fetched_bytes: p.counters.fetched_bytes,
                uploaded_bytes: p.counters.uploaded_bytes,
                transport: p.conn_kind.as_ref().map(transport),
                encrypted: p.encrypted,
                requests_in_flight: p.requests_in_flight,
                request_window: p.request_window,
            }
        })
        .collect();
    rates.peers.retain(|a, _| snapshot.peers.contains_key(a));
    s.download_bps = peers.iter().map(|p| p.download_bps).sum();
    s.upload_bps = peers.iter().map(|p| p.upload_bps).sum();
    peers.sort_by(|a, b| {
        b.download_bps
            .total_cmp(&a.download_bps)
            .then_with(|| a.addr.cmp(&b.addr))
    });
    s.peers = peers;
    live.inflight_pieces()
}

/// Each player's row: where it reads, what it waits for and from whom, its viewer's figures.
/// piece_par's figures are set when it is published, with the header's (`apply_piece_par`).
fn streams_now(
    src: &Sources,
    s: &Snapshot,
    players: &[Arc<super::players::PlayerInfo>],
    files: &[FileSnap],
    have: &Have,
    inflight: &[librqbit::InflightPieceInfo],
) -> Vec<StreamSnap> {
    // A stall is counted while it lasts: every player's current wait first, then the figures.
    let totals = &src.players.viewers.totals;
    let waits: HashMap<u64, (Option<f64>, u64)> = players
        .iter()
        .filter_map(|p| {
            let bps = src.bitrates.bytes_per_sec(p.file, files.get(p.file)?.length);
            Some((p.id, (bps, p.count_stall_now(bps, totals))))
        })
        .collect();
    // A viewer's connections (a player seeking) share one record: its figures are taken once.
    let mut viewers: HashMap<*const super::viewing::Record, super::Viewing> = HashMap::new();
    players
        .iter()
        .filter_map(|p| {
            let f = files.get(p.file)?;
            let g = Geometry {
                piece_len: s.piece_len,
                file_offset: f.offset,
                file_len: f.length,
                media: false,
                bytes_per_sec: None,
            };
            let pos = p.position();
            let ahead = buffered_ahead(have, s.piece_len, f.offset, f.length, pos);
            let piece = g.piece_at(pos) as u32;
            let fetching: Vec<_> = inflight.iter().filter(|i| i.piece == piece).collect();
            // The file's bitrate, and how long the player has had nothing to play.
            let (bps, frozen) = waits.get(&p.id).copied().unwrap_or_default();
            let viewing = viewers
                .entry(Arc::as_ptr(&p.viewer))
                .or_insert_with(|| p.viewer.snapshot())
                .clone();
            Some(StreamSnap {
                id: p.id,
                client: p.client.to_string(),
                file: p.file,
                position: pos,
                end: p.end,
                file_len: p.file_len,
                piece,
                // Set with piece_par's other figures, by `apply_piece_par`.
                window_end_piece: 0,
                window_pieces: 0,
                piece_par: 0,
                piece_par_secs: None,
                waiting_ms: p.waiting_ms().filter(|ms| *ms >= 100),
                stalled_now: frozen >= STALL_AFTER_MS,
                window_streams: 1 + p.window_helpers.load(std::sync::atomic::Ordering::Relaxed),
                // Peers' bitfields are private to the engine: connected seeders are the
                // known lower bound.
                peers_with_piece: Some(s.seeders),
                piece_fetchers: fetching.iter().map(|f| f.peer.to_string()).collect(),
                piece_asked_ms: fetching.iter().map(|f| f.elapsed.as_millis() as u64).max(),
                age_secs: p.started.elapsed().as_secs(),
                metrics: Some(StreamMetrics::new(
                    viewing,
                    ahead,
                    bps,
                    bps.and_then(|b| p.held_secs(b)),
                )),
            })
        })
        .collect()
}

/// The largest video or audio file: the one piece_par is shown for while nobody plays.
fn largest_media(files: &[FileSnap]) -> Option<usize> {
    let media = files
        .iter()
        .filter(|f| f.shown() && crate::media::is_media(&f.path));
    media.max_by_key(|f| f.length).map(|f| f.index)
}

/// piece_par's figures in a snapshot: in pieces and seconds, for each stream's file, and for
/// the header the first stream's file (else the largest media file).
pub(super) fn apply_piece_par(s: &mut Snapshot, setting: PiecePar, bitrates: &Bitrates) {
    let rate = |file: usize, read_bps: Option<f64>| {
        let len = s.files.get(file).map_or(0, |f| f.length);
        super::bitrate::playback_rate(bitrates.bytes_per_sec(file, len), read_bps)
    };
    let first = s.streams.first().map(|st| (st.file, read_bps(st)));
    let found = first
        .or_else(|| largest_media(&s.files).map(|f| (f, None)))
        .and_then(|(file, read)| rate(file, read));
    let (bps, source) = (found.map(|(b, _)| b), found.map(|(_, src)| src));
    s.piece_par_setting = setting;
    s.piece_par = setting.pieces(bps, s.piece_len);
    s.piece_par_secs = PiecePar::seconds_of(s.piece_par, bps, s.piece_len);
    s.piece_par_secs_source = s.piece_par_secs.and(source);
    s.effective_window_pieces = s.engine_window(s.piece_par);
    let mut streams = std::mem::take(&mut s.streams);
    for st in &mut streams {
        let bps = rate(st.file, read_bps(st)).map(|(b, _)| b);
        st.piece_par = setting.pieces(bps, s.piece_len);
        st.piece_par_secs = PiecePar::seconds_of(st.piece_par, bps, s.piece_len);
        let end = s.files.get(st.file).map_or(st.piece + 1, |f| f.end_piece);
        st.window_end_piece = st.piece.saturating_add(s.engine_window(st.piece_par)).min(end);
        st.window_pieces = st.window_end_piece - st.piece;
    }
    s.streams = streams;
}

fn read_bps(st: &StreamSnap) -> Option<f64> {
    st.metrics.as_ref().and_then(|m| m.viewing.read_bps)
}
