//! piece_par: the window of pieces fetched first for each player.
//!
//! librqbit 9.1.0 prioritises a fixed 32 MiB from each open stream's position and has no
//! per-piece priority. A window larger than that is built from extra streams, never read,
//! kept seeked further ahead of the player; a smaller one cannot be made, so the effective
//! window is reported next to piece_par.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use librqbit::ManagedTorrent;
use tokio::io::AsyncSeekExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::PiecePar;
use super::bitrate::Bitrates;
use super::listing::FileSnap;
pub use super::piece_par::{ENGINE_READAHEAD, effective_window};
use super::players::{BoxStream, Players};

/// Extra streams open at once across all players (each holds one engine permit).
pub const HELPER_BUDGET: usize = 192;

/// A player's extra streams open once this much is verified ahead of it, and close while it
/// waits for a piece or has less than half of it: the engine takes one piece of each stream in
/// turn, so a stream far ahead would halve what reaches the piece the player needs next.
pub const HELPERS_FROM: u64 = 16 * 1024 * 1024;

/// Whether a player with `ahead` bytes verified past its position, waiting or not, may have
/// extra streams; `open` says whether it has them now (they close only below half).
pub fn helpers_allowed(ahead: u64, waiting: bool, open: bool) -> bool {
    !waiting && (ahead >= HELPERS_FROM || (open && ahead >= HELPERS_FROM / 2))
}

/// The tail of a played file (see `tail_start`) is fetched once a player of the file has this
/// much verified ahead of it and is not waiting.
pub const TAIL_FROM: u64 = 8 * 1024 * 1024;

/// The layout the window is computed on.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub piece_len: u64,
    /// The file's offset in the torrent and its length.
    pub file_offset: u64,
    pub file_len: u64,
    /// A container whose index may sit at its end (see `has_tail_index`).
    pub media: bool,
    /// Bytes per second of playback, once the container's duration is known.
    pub bytes_per_sec: Option<f64>,
}

/// The geometry of each file of the torrent, by index.
pub type Geometries = Arc<dyn Fn(usize) -> Option<Geometry> + Send + Sync>;

impl Geometry {
    /// Every file's geometry, with the bitrate as soon as its container gives it.
    pub fn of_files(
        files: Arc<Vec<FileSnap>>,
        piece_len: u64,
        on_demand: bool,
        bitrates: Arc<Bitrates>,
    ) -> Geometries {
        Arc::new(move |i: usize| {
            files.get(i).map(|f| Geometry {
                piece_len,
                file_offset: f.offset,
                file_len: f.length,
                // On demand, only what players read is fetched, and not ahead of them.
                media: !on_demand && has_tail_index(&f.path),
                bytes_per_sec: bitrates.bytes_per_sec(i, f.length),
            })
        })
    }

    /// Index of the piece holding byte `pos` of the file.
    pub fn piece_at(&self, pos: u64) -> u64 {
        (self.file_offset + pos.min(self.file_len.saturating_sub(1))) / self.piece_len
    }

    /// One past the file's last piece.
    pub fn end_piece(&self) -> u64 {
        (self.file_offset + self.file_len).div_ceil(self.piece_len)
    }

    /// End (file-relative, exclusive) of the piece_par window starting at `pos`.
    pub fn window_end(&self, pos: u64, piece_par: u32) -> u64 {
        let end_abs = (self.piece_at(pos) + u64::from(piece_par)) * self.piece_len;
        end_abs.saturating_sub(self.file_offset).min(self.file_len)
    }
}

/// Containers whose players read an index at the end of the file before playing.
pub use crate::media::has_tail_index;

/// Where the tail prefetch stream sits, when the file is a media file too long for the
/// player's own window to reach its end: at the file's last piece. MP4's moov, MKV's cues and
/// AVI's idx1 usually end there; players read them right after the head or at their first
/// seek. The engine takes one piece of each stream in turn, in order from the stream's
/// position: a stream at the last piece fetches that piece first (one further back would
/// fetch pieces before the index first).
pub fn tail_start(g: &Geometry) -> Option<u64> {
    if !g.media || g.file_len <= ENGINE_READAHEAD {
        return None;
    }
    Some((g.piece_at(g.file_len - 1) * g.piece_len).saturating_sub(g.file_offset))
}

/// Positions for extra streams so that [pos, window end) is covered beyond the first 32 MiB.
pub fn helper_positions(g: &Geometry, pos: u64, piece_par: u32) -> Vec<u64> {
    let start = (g.piece_at(pos) * g.piece_len).saturating_sub(g.file_offset);
    let end = g.window_end(pos, piece_par);
    let mut v = Vec::new();
    let mut covered = start + ENGINE_READAHEAD;
    while covered < end {
        // The last stream ends at the window's end rather than past it.
        v.push(covered.min(end.saturating_sub(ENGINE_READAHEAD)));
        covered += ENGINE_READAHEAD;
    }
    v
}

pub(super) enum Opened {
    Stream(BoxStream),
    Failed(String),
    Cancelled,
}

/// An engine stream of `file` seeked to `pos`: it prioritises the 32 MiB from there.
pub(super) async fn open_at(
    torrent: &Arc<ManagedTorrent>,
    file: usize,
    pos: u64,
    cancel: &CancellationToken,
) -> Opened {
    let opened = tokio::select! {
        _ = cancel.cancelled() => return Opened::Cancelled,
        s = torrent.clone().stream(file) => s,
    };
    match opened {
        Ok(s) => {
            let mut s: BoxStream = Box::pin(s);
            match s.seek(std::io::SeekFrom::Start(pos)).await {
                Ok(_) => Opened::Stream(s),
                Err(e) => Opened::Failed(e.to_string()),
            }
        }
        Err(e) => Opened::Failed(format!("{e:#}")),
    }
}

/// Keeps every player's extra streams where its window needs them.
pub async fn run(
    torrent: Arc<ManagedTorrent>,
    players: Arc<Players>,
    geometry: Geometries,
    mut piece_par: watch::Receiver<PiecePar>,
    snapshot: watch::Receiver<super::Snapshot>,
    cancel: CancellationToken,
) {
    let mut w = Windows {
        torrent,
        geometry,
        cancel,
        helpers: HashMap::new(),
        tails: HashMap::new(),
    };
    loop {
        let changed = players.changed.notified();
        tokio::select! {
            _ = w.cancel.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = changed => {}
            r = piece_par.changed() => if r.is_err() { break },
        }
        let pp = *piece_par.borrow_and_update();
        let list = players.list();
        w.helpers.retain(|id, _| list.iter().any(|p| p.id == *id));
        w.tails.retain(|file, _| list.iter().any(|p| p.file == *file));
        let buffers: HashMap<u64, (u64, bool)> = snapshot
            .borrow()
            .streams
            .iter()
            .map(|st| {
                let ahead = st.metrics.as_ref().map_or(0, |m| m.buffer_ahead_bytes);
                (st.id, (ahead, st.waiting_ms.is_some()))
            })
            .collect();
        if w.open_tails(&list, &buffers).await.is_err() {
            return;
        }
        let mut budget = HELPER_BUDGET;
        for p in &list {
            let buffer = buffers.get(&p.id).copied().unwrap_or((0, false));
            match w.place_helpers(p, pp, buffer, budget).await {
                Ok(used) => budget -= used,
                Err(Cancelled) => return,
            }
        }
    }
}

/// The task was cancelled while it opened a stream.
struct Cancelled;

/// The extra streams kept open: each player's helpers (their positions), each played file's
/// tail (where its index lies).
struct Windows {
    torrent: Arc<ManagedTorrent>,
    geometry: Geometries,
    cancel: CancellationToken,
    helpers: HashMap<u64, Vec<(u64, BoxStream)>>,
    tails: HashMap<usize, BoxStream>,
}

impl Windows {
    /// A stream at the tail of each played file whose container keeps its index at the end,
    /// once a player of the file has `TAIL_FROM` verified ahead of it (`buffers`: each
    /// player's bytes ahead and whether it waits). The engine takes one piece of each stream
    /// in turn, so a tail opened with the player would halve what reaches its first pieces; a
    /// player that needs the index before it plays (an MP4 with its moov at the end) asks for
    /// it itself right after the head.
    async fn open_tails(
        &mut self,
        list: &[Arc<super::players::PlayerInfo>],
        buffers: &HashMap<u64, (u64, bool)>,
    ) -> Result<(), Cancelled> {
        for p in list {
            let buffered = |q: &super::players::PlayerInfo| {
                q.file == p.file
                    && buffers
                        .get(&q.id)
                        .is_some_and(|(ahead, waiting)| !waiting && *ahead >= TAIL_FROM)
            };
            if self.tails.contains_key(&p.file) || !list.iter().any(|q| buffered(q)) {
                continue;
            }
            let Some(pos) = (self.geometry)(p.file).as_ref().and_then(tail_start) else {
                continue;
            };
            match open_at(&self.torrent, p.file, pos, &self.cancel).await {
                Opened::Cancelled => return Err(Cancelled),
                Opened::Stream(s) => {
                    self.tails.insert(p.file, s);
                }
                Opened::Failed(e) => tracing::debug!("cannot open a tail stream: {e}"),
            }
        }
        Ok(())
    }

    /// Player `p`'s helpers moved or opened where its window needs them, at most `budget`;
    /// `buffer` is its verified bytes ahead and whether it waits. Returns how many it holds.
    async fn place_helpers(
        &mut self,
        p: &super::players::PlayerInfo,
        pp: PiecePar,
        (ahead, waiting): (u64, bool),
        budget: usize,
    ) -> Result<usize, Cancelled> {
        let Some(g) = (self.geometry)(p.file) else {
            return Ok(0);
        };
        let bps = super::playback_rate(g.bytes_per_sec, p.viewer.read_rate()).map(|(b, _)| b);
        let mut want = helper_positions(&g, p.position(), pp.pieces(bps, g.piece_len));
        let entry = self.helpers.entry(p.id).or_default();
        if !helpers_allowed(ahead, waiting, !entry.is_empty()) {
            want.clear();
        }
        want.truncate(budget);
        entry.truncate(want.len());
        for (i, pos) in want.into_iter().enumerate() {
            if let Some((at, s)) = entry.get_mut(i) {
                if *at != pos && s.seek(std::io::SeekFrom::Start(pos)).await.is_ok() {
                    *at = pos;
                }
                continue;
            }
            match open_at(&self.torrent, p.file, pos, &self.cancel).await {
                Opened::Cancelled => return Err(Cancelled),
                Opened::Stream(s) => entry.push((pos, s)),
                Opened::Failed(e) => {
                    tracing::debug!("cannot open a window stream: {e}");
                    break;
                }
            }
        }
        p.window_helpers
            .store(entry.len() as u32, std::sync::atomic::Ordering::Relaxed);
        Ok(entry.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn extra_streams_wait_for_a_buffer() {
        let mib = 1024 * 1024;
        assert!(!helpers_allowed(0, false, false), "nothing ahead yet");
        assert!(helpers_allowed(16 * mib, false, false));
        assert!(!helpers_allowed(64 * mib, true, true), "the player waits");
        // Between half and all of it: kept if open, not opened.
        assert!(helpers_allowed(10 * mib, false, true));
        assert!(!helpers_allowed(10 * mib, false, false));
        assert!(!helpers_allowed(7 * mib, false, true));
    }

    #[test]
    fn effective() {
        assert_eq!(effective_window(4, MIB), 32);
        assert_eq!(effective_window(64, MIB), 64);
        assert_eq!(effective_window(4, 16 * MIB), 4);
        assert_eq!(effective_window(1, 64 * MIB), 1);
        assert_eq!(effective_window(1, 16 * 1024), 2048);
    }

    #[test]
    fn helpers_cover_the_window() {
        let g = Geometry {
            piece_len: MIB,
            file_offset: 0,
            file_len: 512 * MIB,
            media: false,
            bytes_per_sec: None,
        };
        assert!(helper_positions(&g, 0, 16).is_empty());
        assert!(helper_positions(&g, 0, 32).is_empty());
        assert_eq!(helper_positions(&g, 0, 48), vec![16 * MIB]);
        assert_eq!(helper_positions(&g, 0, 64), vec![32 * MIB]);
        assert_eq!(
            helper_positions(&g, 10 * MIB + 5, 100),
            vec![42 * MIB, 74 * MIB, 78 * MIB]
        );
        // Clamped at the end of the file.
        assert_eq!(helper_positions(&g, 500 * MIB, 100), Vec::<u64>::new());
    }

    #[test]
    fn tail_prefetch_only_for_long_media_files() {
        let mut g = Geometry {
            piece_len: MIB,
            file_offset: 0,
            file_len: 512 * MIB,
            media: true,
            bytes_per_sec: None,
        };
        assert_eq!(tail_start(&g), Some(511 * MIB));
        g.file_len = 502 * MIB + 700 * 1024;
        assert_eq!(tail_start(&g), Some(502 * MIB));
        g.file_offset = MIB / 2;
        assert_eq!(tail_start(&g), Some(502 * MIB + MIB / 2));
        g.file_offset = 0;
        g.piece_len = 256 * 1024;
        assert_eq!(tail_start(&g), Some(502 * MIB + 512 * 1024));
        g.file_len = 20 * MIB;
        assert_eq!(tail_start(&g), None);
        g.file_len = 512 * MIB;
        g.media = false;
        assert_eq!(tail_start(&g), None);
        assert!(has_tail_index("Show/S01E01.MKV"));
        assert!(has_tail_index("a.mp4"));
        assert!(!has_tail_index("a.srt"));
        assert!(!has_tail_index("noext"));
    }

    #[test]
    fn geometry_with_offset() {
        let g = Geometry {
            piece_len: MIB,
            file_offset: MIB / 2,
            file_len: 10 * MIB,
            media: false,
            bytes_per_sec: None,
        };
        assert_eq!(g.piece_at(0), 0);
        assert_eq!(g.piece_at(MIB / 2), 1);
        assert_eq!(g.end_piece(), 11);
        assert_eq!(g.window_end(0, 2), 2 * MIB - MIB / 2);
        assert_eq!(g.window_end(0, 100), 10 * MIB);
    }
}
