//! Player connections: each HTTP body being streamed, with its read position.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};
use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::viewing::{Record, STALL_AFTER_MS, Viewers};

/// An engine file stream (librqbit does not export its type).
pub trait ReadSeek: AsyncRead + AsyncSeek + Send + Sync + Unpin {}
impl<T: AsyncRead + AsyncSeek + Send + Sync + Unpin> ReadSeek for T {}
pub type BoxStream = Pin<Box<dyn ReadSeek>>;

/// What the rest of the program may know of one player connection.
#[derive(Debug)]
pub struct PlayerInfo {
    pub id: u64,
    pub client: SocketAddr,
    pub file: usize,
    pub file_len: u64,
    pub started: Instant,
    /// Byte position in the file of the next read.
    pub position: AtomicU64,
    /// End of the requested range (exclusive).
    pub end: u64,
    /// Milliseconds since `started` at which the current read began waiting; 0 when not waiting.
    waiting_since_ms: AtomicU64,
    /// Extra engine streams that widen this player's window (see `window`).
    pub window_helpers: AtomicU32,
    /// Milliseconds since `started` of the first byte sent, plus one (0 before it), and the
    /// bytes sent since: what the player was given to play.
    first_byte_ms: AtomicU64,
    bytes: AtomicU64,
    /// The wait last counted as a stall (its `waiting_since_ms`), and how many of its frozen
    /// milliseconds are counted.
    stall_counted: Mutex<(u64, u64)>,
    /// What this connection's viewer (client address and file) went through.
    pub viewer: Arc<Record>,
}

impl PlayerInfo {
    pub fn position(&self) -> u64 {
        self.position.load(Ordering::Relaxed)
    }

    /// Seconds of media the player is estimated to hold at `bytes_per_sec`: what this
    /// connection served, less the time since its first byte (playing in real time from it).
    pub fn held_secs(&self, bytes_per_sec: f64) -> Option<f64> {
        let first = self.first_byte_ms.load(Ordering::Relaxed).checked_sub(1)?;
        let playing = (self.started.elapsed().as_millis() as u64).saturating_sub(first);
        let served = self.bytes.load(Ordering::Relaxed) as f64 / bytes_per_sec.max(1.0);
        Some((served - playing as f64 / 1000.0).max(0.0))
    }

    /// How long the current read has been waiting for data.
    pub fn waiting_ms(&self) -> Option<u64> {
        match self.waiting_since_ms.load(Ordering::Relaxed) {
            0 => None,
            since => Some((self.started.elapsed().as_millis() as u64).saturating_sub(since)),
        }
    }

    /// How long the player has had nothing to play during the read that began at `since` (ms
    /// after the connection opened) and has waited `waited` ms, by the estimate of what it holds
    /// at `bps` (see `frozen_ms`); 0 before the first byte, which is no stall but a start or a
    /// seek.
    fn frozen_during(&self, bps: Option<f64>, since: u64, waited: u64) -> u64 {
        let Some(first) = self.first_byte_ms.load(Ordering::Relaxed).checked_sub(1) else {
            return 0;
        };
        let bytes = self.bytes.load(Ordering::Relaxed);
        frozen_ms(bytes, bps, since.saturating_sub(first), waited)
    }

    /// Counts the current wait as a stall while it lasts, once the player has been frozen for
    /// `STALL_AFTER_MS`, in the viewer's record and in `totals`: a stall shows in the counters
    /// as it grows, not only when it ends. Returns the frozen milliseconds of the current wait.
    pub(super) fn count_stall_now(&self, bps: Option<f64>, totals: &Record) -> u64 {
        let since = self.waiting_since_ms.load(Ordering::Relaxed);
        if since == 0 {
            return 0;
        }
        let now = self.started.elapsed().as_millis() as u64;
        let frozen = self.frozen_during(bps, since, now.saturating_sub(since));
        self.count_stall(since, frozen, totals);
        frozen
    }

    /// Counts `frozen` ms of the wait that began at `since` as a stall, less what was counted of
    /// it before (by the reader when the wait ends, or by the snapshot while it lasts).
    fn count_stall(&self, since: u64, frozen: u64, totals: &Record) {
        if frozen < STALL_AFTER_MS {
            return;
        }
        let Ok(mut counted) = self.stall_counted.lock() else {
            return;
        };
        let (counted_since, counted_ms) = *counted;
        let before = match counted_since.cmp(&since) {
            // A later wait is already counted: this one is over and was counted in full.
            std::cmp::Ordering::Greater => return,
            std::cmp::Ordering::Equal if counted_ms >= frozen => return,
            std::cmp::Ordering::Equal => counted_ms,
            std::cmp::Ordering::Less => 0,
        };
        *counted = (since, frozen);
        self.viewer.stall_grew(before, frozen);
        totals.stall_grew(before, frozen);
    }
}

/// The registry of open player connections.
#[derive(Default, Debug)]
pub struct Players {
    next_id: AtomicU64,
    map: Mutex<BTreeMap<u64, Arc<PlayerInfo>>>,
    /// Woken when a player comes or goes, and when one reads through a file's `NEAR_END`.
    pub changed: Notify,
    pub viewers: Viewers,
    /// The files' bitrates, to tell a player's real stalls from waits its buffer covers.
    pub(super) bitrates: Arc<super::bitrate::Bitrates>,
    /// Files some player has read through the `NEAR_END` mark of (see `next`).
    near_end: Mutex<BTreeSet<usize>>,
    /// The file of each connection that has sent `WATCHING` bytes, oldest first, until taken.
    watching: Mutex<Vec<usize>>,
}

/// Files kept until taken: the newest matter.
const WATCHING_KEPT: usize = 64;

/// A connection that has sent this much is watching its file, not probing its head (a TV
/// making thumbnails, ffprobe).
const WATCHING: u64 = 1024 * 1024;

/// The share of a file a player has read through when its next episode is fetched ahead.
pub const NEAR_END: f64 = 0.9;

/// Whether a read from `before` to `after` of a file of `len` bytes went through `NEAR_END`:
/// playing through, not jumping to the end (a player reading an index there begins past it).
pub fn crosses_near_end(before: u64, after: u64, len: u64) -> bool {
    let mark = (len as f64 * NEAR_END) as u64;
    before < mark && after >= mark
}

impl Players {
    pub(super) fn new(bitrates: Arc<super::bitrate::Bitrates>) -> Self {
        Players {
            bitrates,
            ..Default::default()
        }
    }

    pub fn list(&self) -> Vec<Arc<PlayerInfo>> {
        self.map
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The files some player has read through the `NEAR_END` mark of, since start.
    pub fn near_end(&self) -> Vec<usize> {
        self.near_end
            .lock()
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The files that connections began watching (`WATCHING` bytes sent) since the last call,
    /// oldest first.
    pub fn take_watching(&self) -> Vec<usize> {
        self.watching
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    fn now_watching(&self, file: usize) {
        if let Ok(mut v) = self.watching.lock() {
            if v.len() >= WATCHING_KEPT {
                v.remove(0);
            }
            v.push(file);
        }
    }

    fn read_near_end(&self, file: usize) {
        let new = self.near_end.lock().is_ok_and(|mut s| s.insert(file));
        if new {
            self.changed.notify_waiters();
        }
    }

    pub(super) fn register(
        self: &Arc<Self>,
        client: SocketAddr,
        file: usize,
        file_len: u64,
        start: u64,
        end: u64,
    ) -> Arc<PlayerInfo> {
        let info = Arc::new(PlayerInfo {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            client,
            file,
            file_len,
            started: Instant::now(),
            position: AtomicU64::new(start),
            end,
            waiting_since_ms: AtomicU64::new(0),
            window_helpers: AtomicU32::new(0),
            first_byte_ms: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            stall_counted: Mutex::new((0, 0)),
            viewer: self.viewers.connect(client.ip(), file),
        });
        if let Ok(mut m) = self.map.lock() {
            m.insert(info.id, info.clone());
        }
        self.changed.notify_waiters();
        info
    }

    fn remove(&self, id: u64) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&id);
        }
        self.changed.notify_waiters();
    }
}

/// One player's stream of a file's verified bytes. Dropping it ends the connection's
/// claim on the engine.
pub struct PlayerStream {
    stream: BoxStream,
    info: Arc<PlayerInfo>,
    players: Arc<Players>,
    /// Whether a byte went out yet: the first one ends the connection's opening wait.
    served_any: bool,
    _slot: OwnedSemaphorePermit,
}

impl PlayerStream {
    pub(super) async fn new(
        mut stream: BoxStream,
        info: Arc<PlayerInfo>,
        players: Arc<Players>,
        slot: OwnedSemaphorePermit,
    ) -> std::io::Result<Self> {
        stream.seek(std::io::SeekFrom::Start(info.position())).await?;
        Ok(PlayerStream {
            stream,
            info,
            players,
            served_any: false,
            _slot: slot,
        })
    }

    pub fn info(&self) -> &Arc<PlayerInfo> {
        &self.info
    }

    /// Reads verified bytes into the spare room of `buf`; waits as long as the piece under the
    /// position is missing.
    pub async fn read_buf<B: bytes::BufMut + Send>(&mut self, buf: &mut B) -> std::io::Result<usize> {
        let since = (self.info.started.elapsed().as_millis() as u64).max(1);
        self.info.waiting_since_ms.store(since, Ordering::Relaxed);
        let r = self.stream.read_buf(buf).await;
        let now = (self.info.started.elapsed().as_millis() as u64).max(1);
        self.info.waiting_since_ms.store(0, Ordering::Relaxed);
        if let Ok(n) = r
            && n > 0
        {
            let before = self.info.position.fetch_add(n as u64, Ordering::Relaxed);
            if crosses_near_end(before, before + n as u64, self.info.file_len) {
                self.players.read_near_end(self.info.file);
            }
            self.served(n as u64, now, now.saturating_sub(since));
        }
        r
    }

    /// Counts `n` bytes served at `now` (ms since the connection opened) after a read that
    /// waited `waited` ms.
    fn served(&mut self, n: u64, now: u64, waited: u64) {
        let (viewer, totals) = (&self.info.viewer, &self.players.viewers.totals);
        let before = self.info.bytes.load(Ordering::Relaxed);
        if before < WATCHING && before + n >= WATCHING {
            self.players.now_watching(self.info.file);
        }
        if !self.served_any {
            self.served_any = true;
            self.info.first_byte_ms.store(now + 1, Ordering::Relaxed);
            if viewer.first_byte(now) {
                totals.set_ttfb(now);
            } else {
                totals.seek(now);
            }
        } else {
            self.stalled(now.saturating_sub(waited), waited);
        }
        self.info.bytes.fetch_add(n, Ordering::Relaxed);
        viewer.served(n);
        totals.served(n);
    }

    /// A read that began at `since` waited `waited` ms: a stall for as long as the player had
    /// nothing left to play, when that is `STALL_AFTER_MS` or more. What it holds is estimated
    /// as the media time served on this connection, at the container's bitrate, less the time
    /// since its first byte (a player playing in real time from it); without the bitrate, none.
    fn stalled(&self, since: u64, waited: u64) {
        let bps = self
            .players
            .bitrates
            .bytes_per_sec(self.info.file, self.info.file_len);
        let frozen = self.info.frozen_during(bps, since, waited);
        self.info.count_stall(since, frozen, &self.players.viewers.totals);
    }
}

/// How long a player had nothing to play during a wait of `waited` ms that began `playing` ms
/// after its first byte, with `bytes` served by then at `bps` bytes per second of media.
fn frozen_ms(bytes: u64, bps: Option<f64>, playing: u64, waited: u64) -> u64 {
    let served_ms = bps.map_or(0.0, |b| bytes as f64 * 1000.0 / b) as u64;
    waited.saturating_sub(served_ms.saturating_sub(playing))
}

impl Drop for PlayerStream {
    fn drop(&mut self) {
        // A player that gives up waiting went through a seek or a stall all the same.
        if let Some(waited) = self.info.waiting_ms().filter(|ms| *ms >= STALL_AFTER_MS) {
            let (viewer, totals) = (&self.info.viewer, &self.players.viewers.totals);
            if self.served_any {
                let now = self.info.started.elapsed().as_millis() as u64;
                self.stalled(now.saturating_sub(waited), waited);
            } else {
                let ms = self.info.started.elapsed().as_millis() as u64;
                viewer.seek(ms);
                totals.seek(ms);
            }
        }
        self.players.remove(self.info.id);
    }
}

#[cfg(test)]
mod tests {
    use super::{crosses_near_end, frozen_ms};

    #[test]
    fn near_the_end_means_playing_through_the_mark() {
        assert!(crosses_near_end(899, 900, 1000));
        assert!(crosses_near_end(0, 1000, 1000));
        assert!(!crosses_near_end(0, 899, 1000));
        // A read that starts past the mark (an index at the end) goes through nothing.
        assert!(!crosses_near_end(950, 1000, 1000));
        assert!(!crosses_near_end(0, 0, 0));
    }

    #[test]
    fn a_wait_the_players_buffer_covers_is_no_stall() {
        // 10 s of media served (1 MB at 100 kB/s), 4 s into playback: 6 s held.
        assert_eq!(frozen_ms(1_000_000, Some(100_000.0), 4000, 5000), 0);
        assert_eq!(frozen_ms(1_000_000, Some(100_000.0), 4000, 9000), 3000);
        // Played past what was served: every waited moment is frozen.
        assert_eq!(frozen_ms(1_000_000, Some(100_000.0), 20_000, 1500), 1500);
        // Without the bitrate nothing is known to be held.
        assert_eq!(frozen_ms(1_000_000, None, 0, 1200), 1200);
    }
}
