//! Keeps the torrent going when the engine would give up: peers gone for good after an outage,
//! a torrent stopped by a full disk.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use librqbit::{ManagedTorrent, Session, TorrentStatsState};
use tokio_util::sync::CancellationToken;

/// How long the torrent may have no connected peer, while it still needs data, before the
/// peers it was given are dialled again; each fruitless try doubles the wait, up to
/// `NO_PEERS_MAX`, so trackers are not asked too often.
const NO_PEERS: Duration = Duration::from_secs(8);
const NO_PEERS_MAX: Duration = Duration::from_secs(300);
/// Until a first peer connects, this many redials of the peers given leave the wait as it is
/// (a redial every 10 s or so): a peer still starting, or one that turns every dial away for a
/// while (Transmission does, for 30 s after a connection whose handshake never came), is
/// reached within the first minute, not only after it.
const FIRST_CONTACT_TRIES: u32 = 5;

pub struct Keeper {
    pub session: Arc<Session>,
    pub torrent: Arc<ManagedTorrent>,
    pub save_path: PathBuf,
    pub piece_len: u64,
    /// Player connections: they need data even when no file is selected (`--on-demand`).
    pub players: Arc<super::Players>,
    /// What the storage saw fail: a full disk is known there by its kind.
    pub receiving: Arc<super::Receiving>,
    /// Peers were given (`--peer`, a magnet's `x.pe`): they are dialled again also while
    /// seeding, as a leecher that was busy (verifying, restarting) when first dialled may want
    /// data now.
    pub given_peers: bool,
    /// Set while the user has paused the torrent: nothing is restarted then.
    pub user_paused: Arc<AtomicBool>,
    pub cancel: CancellationToken,
}

impl Keeper {
    pub async fn run(self) {
        let mut alone_since: Option<Instant> = None;
        let mut wait = NO_PEERS;
        // Redials while no peer has ever connected.
        let mut first_contact_tries = 0;
        let mut ever_connected = false;
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
            if self.user_paused.load(Ordering::Relaxed) {
                alone_since = None;
                continue;
            }
            let stats = self.torrent.stats();
            match stats.state {
                TorrentStatsState::Error => {
                    alone_since = None;
                    self.after_disk_full().await;
                }
                TorrentStatsState::Live => {
                    let (peers, connecting) = stats
                        .live
                        .as_ref()
                        .map(|l| (l.snapshot.peer_stats.live, l.snapshot.peer_stats.connecting))
                        .unwrap_or((0, 0));
                    let needs_data = stats.progress_bytes < stats.total_bytes || !self.players.is_empty();
                    ever_connected |= peers > 0;
                    if peers > 0 || !(needs_data || self.given_peers) {
                        alone_since = None;
                        wait = NO_PEERS;
                    } else if connecting > 0 {
                        // A dial under way is left to end (uTP gives up after 10 s): the clock
                        // runs only while nothing is tried, so a restart never cuts a dial
                        // short, and the stall line can name why the last one failed.
                        alone_since = None;
                    } else if alone_since.get_or_insert_with(Instant::now).elapsed() >= wait {
                        self.redial(wait).await;
                        alone_since = None;
                        if self.given_peers && !ever_connected && first_contact_tries < FIRST_CONTACT_TRIES {
                            first_contact_tries += 1;
                        } else {
                            wait = (wait * 2).min(NO_PEERS_MAX);
                        }
                    }
                }
                _ => alone_since = None,
            }
        }
    }

    /// The engine drops a peer for good once its reconnection backoff runs out, and only a
    /// restart dials the peers it was given (`--peer`) again; trackers and the DHT are asked
    /// again too.
    async fn redial(&self, after: Duration) {
        tracing::info!(
            "no peer connected for {} s: asking for peers again",
            after.as_secs()
        );
        if let Err(e) = self.session.pause(&self.torrent).await {
            tracing::debug!("pause before redialling: {e:#}");
            return;
        }
        if let Err(e) = self.session.unpause(&self.torrent).await {
            tracing::warn!("could not restart the torrent to find peers: {e:#}");
        }
    }

    /// The engine stops a torrent whose data cannot be written. When the cause was a full
    /// disk, start it again once there is room for a few pieces.
    async fn after_disk_full(&self) {
        if !self.receiving.disk_was_full() {
            return;
        }
        if super::disk::free_bytes(&self.save_path).is_some_and(|free| free >= 4 * self.piece_len) {
            tracing::info!("there is room on the disk again: resuming (existing data is checked first)");
            if let Err(e) = self.session.unpause(&self.torrent).await {
                tracing::warn!("could not resume after the disk was full: {e:#}");
            }
        }
    }
}
