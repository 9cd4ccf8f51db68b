//! Subtitles fetched with their video. When a player opens a video, each of its subtitles
//! not yet complete gets an engine stream of its own, read to the end and dropped. The engine
//! takes the pieces ahead of all open streams in turn, so a subtitle's pieces come among the
//! first pieces of the video's window, and the player finds it ready when it asks.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use librqbit::ManagedTorrent;
use tokio_util::sync::CancellationToken;

use super::Engine;
use crate::subtitles::Pairs;

/// A subtitle stream that has not read to the end by then gives up (the swarm may lack it).
const GIVE_UP_AFTER: Duration = Duration::from_secs(600);

/// Subtitle streams open at once over all videos: each holds one of the engine's permits,
/// of which 64 are kept beyond the players' and the windows' needs.
const MAX_AT_ONCE: usize = 16;

/// The pairing, made once, and the subtitles being fetched now.
#[derive(Default)]
pub(super) struct Subtitles {
    pairs: OnceLock<Pairs>,
    fetching: Arc<Mutex<HashSet<usize>>>,
}

impl Engine {
    /// Which subtitles of the torrent belong to which video (keys are file indices).
    pub fn subtitles(&self) -> &Pairs {
        self.subs.pairs.get_or_init(|| {
            Pairs::new(
                self.files
                    .iter()
                    .filter(|f| !f.padding)
                    .map(|f| (f.index, f.path.as_str())),
            )
        })
    }

    /// Starts fetching the subtitles of `video` that are neither complete nor being fetched;
    /// returns how many it started.
    pub fn fetch_subtitles(&self, video: usize) -> usize {
        let files = self.snapshot.borrow().files.clone();
        let missing = self
            .subtitles()
            .of(video)
            .iter()
            .filter(|s| files.get(s.key).is_none_or(|f| f.progress_bytes < f.length));
        let mut started = 0;
        for sub in missing {
            let Some(claim) = Claim::take(&self.subs.fetching, sub.key) else {
                continue;
            };
            tokio::spawn(fetch(self.torrent.clone(), sub.key, claim, self.cancel.clone()));
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
