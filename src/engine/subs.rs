//! Subtitles fetched with their video. When a player opens a video, each of its subtitles
//! not yet complete gets an engine stream of its own, read to the end and dropped. The engine
//! takes the pieces ahead of all open streams in turn, so a subtitle's pieces come among the
//! first pieces of the video's window, and the player finds it ready when it asks.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use librqbit::ManagedTorrent;
use tokio_util::sync::CancellationToken;

use super::FileSnap;
use crate::subtitles::Pairs;

/// A subtitle stream that has not read to the end by then gives up (the swarm may lack it).
const GIVE_UP_AFTER: Duration = Duration::from_secs(600);

/// Subtitle streams open at once over all videos: each holds one of the engine's permits,
/// of which 64 are kept beyond the players' and the windows' needs.
const MAX_AT_ONCE: usize = 16;

/// The pairing, made once, and the subtitles being fetched now.
pub(super) struct Subtitles {
    pairs: Arc<Pairs>,
    fetching: Arc<Mutex<HashSet<usize>>>,
}

impl Subtitles {
    pub(super) fn new(pairs: Arc<Pairs>) -> Subtitles {
        Subtitles {
            pairs,
            fetching: Arc::default(),
        }
    }

    pub(super) fn pairs(&self) -> &Pairs {
        &self.pairs
    }

    /// Starts fetching the subtitles of `video` that are neither complete nor being fetched
    /// (by `files`, the latest progress); returns how many it started.
    pub(super) fn fetch_for(
        &self,
        video: usize,
        files: &[FileSnap],
        torrent: &Arc<ManagedTorrent>,
        cancel: &CancellationToken,
    ) -> usize {
        let missing = self
            .pairs
            .of(video)
            .iter()
            .filter(|s| files.get(s.key).is_none_or(|f| f.progress_bytes < f.length));
        let mut started = 0;
        for sub in missing {
            let Some(claim) = Claim::take(&self.fetching, sub.key) else {
                continue;
            };
            tokio::spawn(fetch(torrent.clone(), sub.key, claim, cancel.clone()));
            started += 1;
        }
        if started > 0 {
            tracing::debug!("fetching {started} subtitle file(s) of file {video}");
        }
        started
    }
}

/// A subtitle marked as being fetched until this is dropped.
struct Claim {
    set: Arc<Mutex<HashSet<usize>>>,
    key: usize,
}

impl Claim {
    fn take(set: &Arc<Mutex<HashSet<usize>>>, key: usize) -> Option<Claim> {
        let mut s = set.lock().ok()?;
        (s.len() < MAX_AT_ONCE && s.insert(key)).then(|| Claim {
            set: set.clone(),
            key,
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut s) = self.set.lock() {
            s.remove(&self.key);
        }
    }
}

async fn fetch(torrent: Arc<ManagedTorrent>, index: usize, _claim: Claim, cancel: CancellationToken) {
    let read = async {
        let mut stream = torrent.stream(index).await?;
        let n = tokio::io::copy(&mut stream, &mut tokio::io::sink()).await?;
        anyhow::Ok(n)
    };
    tokio::select! {
        _ = cancel.cancelled() => {}
        r = tokio::time::timeout(GIVE_UP_AFTER, read) => match r {
            Ok(Ok(n)) => tracing::debug!("subtitle file {index} fetched ({n} bytes)"),
            Ok(Err(e)) => tracing::debug!("subtitle file {index} not fetched: {e:#}"),
            Err(_) => tracing::debug!("subtitle file {index} not complete after {} s", GIVE_UP_AFTER.as_secs()),
        },
    }
}
