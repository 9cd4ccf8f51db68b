//! The next episode, ready before it is asked for.
//!
//! When a player reads through `NEAR_END` of a media file, the head of the next file of the
//! playlist (`Listing`), and its last piece when its container may keep its index there, are
//! fetched by engine streams of their own that nobody reads. The engine has no lower priority
//! to give them, so they stay open only while every player holds a buffer: they take what the
//! players leave of the swarm, and close as soon as one of them runs short. Once those pieces
//! are verified the streams close and the file is marked ready.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use librqbit::ManagedTorrent;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::last_watched::LastWatched;
use super::listing::{FileSnap, Prefetch};
use super::players::{BoxStream, Players};
use super::snapshot::{Have, Snapshot};
use super::window::{HELPERS_FROM, Opened, open_at};
use crate::media;

/// How much of the next file's start is fetched: some seconds of any film, the container's
/// header with them.
pub const HEAD: u64 = 16 * 1024 * 1024;

/// A player holds its buffer with this much verified ahead of it, or the rest of its file;
/// streams ahead that are open stay so down to half of it.
const COMFORT: u64 = HELPERS_FROM / 2;

/// The files fetched ahead since start, by index.
#[derive(Debug, Default)]
pub struct Prefetches(Mutex<BTreeMap<usize, Prefetch>>);

impl Prefetches {
    pub fn get(&self, file: usize) -> Option<Prefetch> {
        self.0.lock().ok().and_then(|m| m.get(&file).copied())
    }

    fn set(&self, file: usize, state: Prefetch) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(file, state);
        }
    }

    /// Marks `file` to be fetched ahead; false if it was already.
    fn start(&self, file: usize) -> bool {
        let Ok(mut m) = self.0.lock() else {
            return false;
        };
        if m.contains_key(&file) {
            return false;
        }
        m.insert(file, Prefetch::Fetching);
        true
    }

    fn fetching(&self) -> Vec<usize> {
        self.0
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|(_, s)| **s == Prefetch::Fetching)
                    .map(|(f, _)| *f)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The pieces `[start, end)` a player needs first of a file: its head, and its last piece
/// when the container may keep its index there.
pub fn wanted(f: &FileSnap, piece_len: u64) -> Vec<(u32, u32)> {
    if f.length == 0 {
        return Vec::new();
    }
    let piece_of = |pos: u64| ((f.offset + pos) / piece_len.max(1)) as u32;
    let head_end = piece_of(HEAD.min(f.length) - 1) + 1;
    let mut parts = vec![(f.first_piece, head_end)];
    let last = piece_of(f.length - 1);
    if media::has_tail_index(&f.path) && last >= head_end {
        parts.push((last, last + 1));
    }
    parts
}

/// File positions for streams that fetch what is missing of `parts`: each at its part's first
/// missing piece (the engine fetches ahead of a stream's position).
fn missing_starts(f: &FileSnap, parts: &[(u32, u32)], have: &Have, piece_len: u64) -> Vec<u64> {
    parts
        .iter()
        .filter_map(|(start, end)| (*start..*end).find(|p| !have.get(*p)))
        .map(|p| (u64::from(p) * piece_len).saturating_sub(f.offset))
        .collect()
}

/// Whether every player holds its buffer: `need` verified ahead, or the rest of its file.
fn players_hold_their_buffers(s: &Snapshot, need: u64) -> bool {
    s.streams.iter().all(|st| {
        let ahead = st.metrics.as_ref().map_or(0, |m| m.buffer_ahead_bytes);
        holds(
            ahead,
            st.file_len.saturating_sub(st.position),
            st.stalled_now,
            need,
        )
    })
}

/// A player with `ahead` bytes verified past its position and `left` to its file's end holds
/// its buffer: not stalled, and `need` ahead or all that is left.
fn holds(ahead: u64, left: u64, stalled: bool, need: u64) -> bool {
    !stalled && ahead >= need.min(left)
}

/// Keeps the next files' heads coming, and notes where playback stopped.
pub async fn run(
    torrent: Arc<ManagedTorrent>,
    players: Arc<Players>,
    mut snapshot: watch::Receiver<Snapshot>,
    prefetches: Arc<Prefetches>,
    last: Arc<LastWatched>,
    cancel: CancellationToken,
) {
    let mut open: HashMap<usize, Vec<BoxStream>> = HashMap::new();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            r = snapshot.changed() => if r.is_err() { break },
        }
        let s = snapshot.borrow_and_update().clone();
        note_last_watched(&players, &s, &last);
        for file in players.near_end() {
            let Some(next) = s.listing.next_in_playlist(file) else {
                continue;
            };
            if prefetches.start(next) {
                tracing::info!(
                    "fetching the start of the next file ahead: {}",
                    s.files[next].path
                );
            }
        }
        let need = if open.is_empty() { COMFORT } else { COMFORT / 2 };
        let room = players_hold_their_buffers(&s, need);
        for file in prefetches.fetching() {
            let Some(f) = s.files.get(file) else { continue };
            let starts = missing_starts(f, &wanted(f, s.piece_len), &s.have, s.piece_len);
            if starts.is_empty() {
                open.remove(&file);
                prefetches.set(file, Prefetch::Ready);
                tracing::info!("the next file is ready to play: {}", f.path);
                continue;
            }
            if !room {
                open.remove(&file);
                continue;
            }
            if open.contains_key(&file) {
                continue;
            }
            let mut streams = Vec::new();
            for pos in starts {
                match open_at(&torrent, file, pos, &cancel).await {
                    Opened::Cancelled => return,
                    Opened::Stream(st) => streams.push(st),
                    Opened::Failed(e) => tracing::debug!("cannot open a stream ahead: {e}"),
                }
            }
            if !streams.is_empty() {
                open.insert(file, streams);
            }
        }
    }
}

/// The media file a connection began watching last is where playback stopped.
fn note_last_watched(players: &Players, s: &Snapshot, last: &LastWatched) {
    let newest = players
        .take_watching()
        .into_iter()
        .filter_map(|i| s.files.get(i))
        .rfind(|f| media::is_media(&f.path));
    if let Some(f) = newest {
        last.note(&f.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn file(index: usize, path: &str, offset: u64, length: u64, piece_len: u64) -> FileSnap {
        FileSnap::new(index, path, offset, length, piece_len)
    }

    #[test]
    fn head_and_the_index_at_the_end() {
        let mkv = file(0, "a.mkv", MIB / 2, 100 * MIB, MIB);
        assert_eq!(wanted(&mkv, MIB), vec![(0, 17), (100, 101)]);
        let ts = file(0, "a.ts", 0, 100 * MIB, MIB);
        assert_eq!(wanted(&ts, MIB), vec![(0, 16)], "no index at the end of MPEG-TS");
        let short = file(0, "a.mp4", 0, 10 * MIB, MIB);
        assert_eq!(wanted(&short, MIB), vec![(0, 10)], "the head holds it all");
        assert!(wanted(&file(0, "e.mkv", 0, 0, MIB), MIB).is_empty());
    }

    #[test]
    fn streams_start_at_what_is_missing() {
        let f = file(0, "a.mkv", MIB / 2, 100 * MIB, MIB);
        let mut have = Have {
            bits: vec![0; 13],
            len: 101,
        };
        let parts = wanted(&f, MIB);
        assert_eq!(
            missing_starts(&f, &parts, &have, MIB),
            vec![0, 100 * MIB - MIB / 2]
        );
        have.bits[0] = 0xff;
        have.bits[12] = 0x08; // piece 100
        assert_eq!(missing_starts(&f, &parts, &have, MIB), vec![8 * MIB - MIB / 2]);
        have.bits[1] = 0xff;
        have.bits[2] = 0x80;
        assert!(missing_starts(&f, &parts, &have, MIB).is_empty());
    }

    #[test]
    fn the_next_file_waits_for_every_players_buffer() {
        // Streams open at `COMFORT` ahead, and stay open down to half of it.
        assert!(holds(COMFORT, 100 * MIB, false, COMFORT));
        assert!(!holds(COMFORT - 1, 100 * MIB, false, COMFORT));
        assert!(holds(COMFORT / 2, 100 * MIB, false, COMFORT / 2));
        // Near its file's end, all that is left is enough.
        assert!(holds(MIB, MIB, false, COMFORT));
        assert!(!holds(MIB - 1, MIB, false, COMFORT));
        assert!(!holds(100 * MIB, 100 * MIB, true, COMFORT), "a stalled player");
    }

    #[test]
    fn a_file_is_started_once() {
        let p = Prefetches::default();
        assert!(p.start(3));
        assert!(!p.start(3));
        p.set(3, Prefetch::Ready);
        assert!(!p.start(3), "a ready file stays ready");
        assert_eq!(p.get(3), Some(Prefetch::Ready));
        assert!(p.fetching().is_empty());
    }
}
