//! The bitrate of each media file, from the duration its container declares, and the subtitle
//! tracks inside it: read from the pieces already verified on disk (the head, and the tail the
//! window fetches early), never asking the engine for anything. The bitrate turns piece_par
//! and buffered bytes into seconds. The reading is a task of its own (`run`), off the
//! snapshot builder and on the blocking pool.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::listing::FileSnap;
use super::snapshot::{Have, Snapshot};

/// Reads what the media files' containers say, as their pieces arrive: after each snapshot
/// published, every media file whose verified pieces grew is read again on the blocking pool;
/// the next snapshot shows what was found.
pub async fn run(
    bitrates: Arc<Bitrates>,
    mut snapshots: watch::Receiver<Snapshot>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            r = snapshots.changed() => if r.is_err() { break },
        }
        let (files, have, piece_len) = {
            let s = snapshots.borrow_and_update();
            (s.files.clone(), s.have.clone(), s.piece_len)
        };
        let bitrates = bitrates.clone();
        let read = tokio::task::spawn_blocking(move || {
            let count = have.count();
            for f in files.iter() {
                bitrates.probe(f, &have, count, piece_len);
            }
        });
        if read.await.is_err() {
            tracing::debug!("reading the media files' headers failed");
        }
    }
}
use crate::media::duration::container_duration;
use crate::media::tracks::{SubtitleTrack, subtitle_tracks};

/// Where a file's bytes per second of playback come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateSource {
    /// The file's length over the duration its container declares.
    Container,
    /// The rate its player reads at stands for it (close once the player's cache is full,
    /// above it while the cache fills).
    Estimated,
}

/// A file's bytes per second of playback and where they come from: the container's (`known`),
/// else the rate its player reads at (`read`).
pub fn playback_rate(known: Option<f64>, read: Option<f64>) -> Option<(f64, RateSource)> {
    match (known, read) {
        (Some(b), _) => Some((b, RateSource::Container)),
        (None, Some(b)) => Some((b, RateSource::Estimated)),
        (None, None) => None,
    }
}

#[derive(Debug, Default)]
pub struct Bitrates {
    /// Where the engine writes the torrent's files.
    root: PathBuf,
    /// Durations found, in seconds, by file index.
    known: Mutex<HashMap<usize, f64>>,
    /// Subtitle tracks found inside, by file index (empty: the header says none).
    tracks: Mutex<HashMap<usize, Vec<SubtitleTrack>>>,
    /// Verified pieces when a file was last tried: tried again only once more arrive.
    /// `u32::MAX` once the file is whole and has no duration to read.
    tried: Mutex<HashMap<usize, u32>>,
}

impl Bitrates {
    pub fn new(root: PathBuf) -> Self {
        Bitrates {
            root,
            ..Default::default()
        }
    }

    /// The duration in seconds the file's container declares, once read.
    pub fn duration(&self, file: usize) -> Option<f64> {
        self.known.lock().ok()?.get(&file).copied()
    }

    /// The subtitle tracks inside the file, once its header was read.
    pub fn subtitle_tracks(&self, file: usize) -> Vec<SubtitleTrack> {
        self.tracks
            .lock()
            .ok()
            .and_then(|t| t.get(&file).cloned())
            .unwrap_or_default()
    }

    fn tracks_known(&self, file: usize) -> bool {
        self.tracks.lock().is_ok_and(|t| t.contains_key(&file))
    }

    /// Bytes per second of playback of a file of `len` bytes, once its duration is known.
    pub fn bytes_per_sec(&self, file: usize, len: u64) -> Option<f64> {
        self.duration(file).map(|d| len as f64 / d)
    }

    /// Reads the file's duration if it is not known yet and more pieces arrived since the last
    /// try (`count` verified pieces now). Reads the head (256 KiB at most) and an MP4's `moov` (16 MiB at
    /// most, once), and only verified pieces.
    pub fn probe(&self, f: &FileSnap, have: &Have, count: u32, piece_len: u64) {
        let known = self.duration(f.index).is_some() && self.tracks_known(f.index);
        if !f.shown() || !crate::media::is_media(&f.path) || known {
            return;
        }
        let Ok(mut tried) = self.tried.lock() else { return };
        if matches!(tried.get(&f.index), Some(&n) if n == count || n == u32::MAX) {
            return;
        }
        // Only now, on a try, is the file's every piece looked at.
        let whole = (f.first_piece..f.end_piece).all(|p| have.get(p));
        tried.insert(f.index, if whole { u32::MAX } else { count });
        drop(tried);
        let Ok(mut disk) = std::fs::File::open(self.root.join(&f.path)) else {
            return;
        };
        let mut read = |at: u64, len: usize| -> Option<Vec<u8>> {
            let (start, end) = (f.offset + at, f.offset + at + len as u64);
            let pieces = start / piece_len.max(1)..end.div_ceil(piece_len.max(1));
            if len == 0 || end > f.offset + f.length || !pieces.into_iter().all(|p| have.get(p as u32)) {
                return None;
            }
            let mut buf = vec![0; len];
            disk.seek(SeekFrom::Start(at)).ok()?;
            disk.read_exact(&mut buf).ok()?;
            Some(buf)
        };
        if self.duration(f.index).is_none()
            && let Some(secs) = container_duration(f.length, &mut read)
        {
            tracing::debug!("{} lasts {secs:.1} s", f.path);
            if let Ok(mut known) = self.known.lock() {
                known.insert(f.index, secs);
            }
        }
        if !self.tracks_known(f.index)
            && let Some(found) = subtitle_tracks(f.length, &mut read)
        {
            tracing::debug!("{} holds {} subtitle track(s)", f.path, found.len());
            if let Ok(mut tracks) = self.tracks.lock() {
                tracks.insert(f.index, found);
            }
        }
    }
}
