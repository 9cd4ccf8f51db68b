//! What each viewer went through: time to first byte, seek waits, stalls, bytes served.
//!
//! A viewer is one client address playing one file, across its HTTP connections: a player
//! opens a new connection for each seek, so the first byte of the viewer's first connection is
//! its time to first byte, and the first byte of every later connection ends a seek.
//! The read path only touches atomics; the seek waits (one per connection) go under a lock,
//! and percentiles are computed when a snapshot is built.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use super::snapshot::Have;

/// A read that waits at least this long for its piece, after the connection's first byte, is a
/// stall. Below it are the usual waits of a player reading at the edge of the download (a piece
/// being verified, a request in flight), which a player's own cache hides.
pub const STALL_AFTER_MS: u64 = 1000;

/// Upper bounds of the seek-wait histogram, in seconds.
pub const SEEK_BUCKETS_SECS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Seek waits kept for the percentiles (the most recent ones).
const KEPT_WAITS: usize = 1024;

/// Viewers remembered at most; the idle ones go first.
const KEPT_VIEWERS: usize = 256;

/// The counters of one viewer, or of all of them together.
#[derive(Debug)]
pub struct Record {
    since: Instant,
    connections: AtomicU64,
    /// Milliseconds to the first byte, plus one; 0 until then.
    ttfb: AtomicU64,
    stalls: AtomicU64,
    stall_ms: AtomicU64,
    longest_stall_ms: AtomicU64,
    bytes: AtomicU64,
    seeks: Mutex<Seeks>,
}

#[derive(Debug, Default)]
struct Seeks {
    count: u64,
    sum_ms: u64,
    last_ms: Option<u64>,
    max_ms: u64,
    recent: VecDeque<u64>,
    /// Per bucket of `SEEK_BUCKETS_SECS` (not cumulative); the rest are above the last bound.
    buckets: [u64; SEEK_BUCKETS_SECS.len()],
}

impl Default for Record {
    fn default() -> Self {
        Record {
            since: Instant::now(),
            connections: AtomicU64::default(),
            ttfb: AtomicU64::default(),
            stalls: AtomicU64::default(),
            stall_ms: AtomicU64::default(),
            longest_stall_ms: AtomicU64::default(),
            bytes: AtomicU64::default(),
            seeks: Mutex::default(),
        }
    }
}

impl Record {
    pub(super) fn connected(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection's first byte came `ms` after it opened: the time to first byte if this
    /// record has none yet (returns true), else the end of a seek.
    pub(super) fn first_byte(&self, ms: u64) -> bool {
        let first = self
            .ttfb
            .compare_exchange(0, ms + 1, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok();
        if !first {
            self.seek(ms);
        }
        first
    }

    /// The latest time to first byte (used for the totals, one per viewer).
    pub(super) fn set_ttfb(&self, ms: u64) {
        self.ttfb.store(ms + 1, Ordering::Relaxed);
    }

    pub(super) fn seek(&self, ms: u64) {
        let Ok(mut s) = self.seeks.lock() else { return };
        s.count += 1;
        s.sum_ms += ms;
        s.last_ms = Some(ms);
        s.max_ms = s.max_ms.max(ms);
        if s.recent.len() == KEPT_WAITS {
            s.recent.pop_front();
        }
        s.recent.push_back(ms);
        let secs = ms as f64 / 1000.0;
        if let Some(b) = SEEK_BUCKETS_SECS.iter().position(|le| secs <= *le) {
            s.buckets[b] += 1;
        }
    }

    /// A stall that had lasted `before` ms (0: a new one) has now lasted `now` ms.
    pub(super) fn stall_grew(&self, before: u64, now: u64) {
        if before == 0 {
            self.stalls.fetch_add(1, Ordering::Relaxed);
        }
        self.stall_ms
            .fetch_add(now.saturating_sub(before), Ordering::Relaxed);
        self.longest_stall_ms.fetch_max(now, Ordering::Relaxed);
    }

    pub(super) fn served(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Bytes served per second since the first connection, once there is enough to tell.
    pub fn read_rate(&self) -> Option<f64> {
        self.read_rate_of(self.bytes.load(Ordering::Relaxed))
    }

    fn read_rate_of(&self, bytes: u64) -> Option<f64> {
        let secs = self.since.elapsed().as_secs_f64();
        (secs >= 2.0 && bytes >= 256 * 1024).then(|| bytes as f64 / secs)
    }

    pub fn snapshot(&self) -> Viewing {
        // One copy of the kept waits, taken under the lock, sorted outside it.
        let (s, mut sorted) = match self.seeks.lock() {
            Ok(s) => {
                let recent: Vec<u64> = s.recent.iter().copied().collect();
                let scalars = Seeks {
                    recent: VecDeque::new(),
                    ..*s
                };
                (scalars, recent)
            }
            Err(_) => (Seeks::default(), Vec::new()),
        };
        sorted.sort_unstable();
        let bytes = self.bytes.load(Ordering::Relaxed);
        Viewing {
            connections: self.connections.load(Ordering::Relaxed),
            ttfb_ms: self.ttfb.load(Ordering::Relaxed).checked_sub(1),
            seeks: s.count,
            seek_last_ms: s.last_ms,
            seek_p50_ms: percentile(&sorted, 50),
            seek_p95_ms: percentile(&sorted, 95),
            seek_max_ms: (s.count > 0).then_some(s.max_ms),
            stalls: self.stalls.load(Ordering::Relaxed),
            stall_total_ms: self.stall_ms.load(Ordering::Relaxed),
            stall_longest_ms: self.longest_stall_ms.load(Ordering::Relaxed),
            bytes_served: bytes,
            read_bps: self.read_rate_of(bytes),
            seek_wait_sum_ms: s.sum_ms,
            seek_wait_buckets: s.buckets.to_vec(),
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// What one viewer (or all of them) went through, as published in a snapshot.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Viewing {
    /// HTTP connections that streamed the file.
    pub connections: u64,
    /// From the first connection's opening to its first byte (for the totals: the latest
    /// viewer's).
    pub ttfb_ms: Option<u64>,
    /// Connections after the first that got their first byte (or gave up waiting for it).
    pub seeks: u64,
    pub seek_last_ms: Option<u64>,
    /// Median and 95th percentile of the last 1024 seek waits.
    pub seek_p50_ms: Option<u64>,
    pub seek_p95_ms: Option<u64>,
    pub seek_max_ms: Option<u64>,
    /// Times the player had nothing to play for at least `STALL_AFTER_MS` after playback
    /// started; one that lasts is counted, and its time grows, while it lasts.
    pub stalls: u64,
    pub stall_total_ms: u64,
    pub stall_longest_ms: u64,
    pub bytes_served: u64,
    /// Bytes served per second since the first connection.
    pub read_bps: Option<f64>,
    #[serde(skip)]
    pub seek_wait_sum_ms: u64,
    /// Seek waits per bucket of `SEEK_BUCKETS_SECS`, not cumulative.
    #[serde(skip)]
    pub seek_wait_buckets: Vec<u64>,
}

/// One stream's viewer and what is buffered ahead of it.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct StreamMetrics {
    /// What this stream's viewer (its client address and file) went through.
    pub viewing: Viewing,
    /// Verified bytes from the read position on, without a gap.
    pub buffer_ahead_bytes: u64,
    /// The same in seconds of playback, at the bitrate named by `buffer_ahead_source`.
    pub buffer_ahead_secs: Option<f64>,
    /// `container` or `estimated` (see `RateSource`).
    pub buffer_ahead_source: Option<super::RateSource>,
    /// Seconds of media the player itself is estimated to hold (served on this connection at
    /// the container's bitrate, less the time since its first byte); with the container's
    /// bitrate only.
    pub player_buffer_secs: Option<f64>,
}

impl StreamMetrics {
    /// Metrics of a stream with `ahead` bytes verified past its read position, in a file
    /// played at `bytes_per_sec` when its container says.
    pub(super) fn new(viewing: Viewing, ahead: u64, bytes_per_sec: Option<f64>, held: Option<f64>) -> Self {
        let rate = super::playback_rate(bytes_per_sec, viewing.read_bps);
        StreamMetrics {
            viewing,
            buffer_ahead_bytes: ahead,
            buffer_ahead_secs: rate.filter(|(b, _)| *b > 0.0).map(|(b, _)| ahead as f64 / b),
            buffer_ahead_source: rate.map(|(_, src)| src),
            player_buffer_secs: held,
        }
    }
}

/// The viewers seen since start, by client address and file.
#[derive(Debug, Default)]
pub struct Viewers {
    map: Mutex<HashMap<(IpAddr, usize), Arc<Record>>>,
    /// Everything every viewer went through.
    pub totals: Record,
}

impl Viewers {
    /// The viewer of `file` at `client`, new or known; counts the connection.
    pub(super) fn connect(&self, client: IpAddr, file: usize) -> Arc<Record> {
        let record = match self.map.lock() {
            Ok(mut map) => {
                if map.len() >= KEPT_VIEWERS {
                    map.retain(|_, r| Arc::strong_count(r) > 1);
                }
                map.entry((client, file)).or_default().clone()
            }
            Err(_) => Arc::default(),
        };
        record.connected();
        self.totals.connected();
        record
    }
}

/// Verified bytes of the file from `pos` onward without a gap.
pub fn buffered_ahead(have: &Have, piece_len: u64, file_offset: u64, file_len: u64, pos: u64) -> u64 {
    let piece_len = piece_len.max(1);
    let start = file_offset + pos.min(file_len);
    let end = file_offset + file_len;
    let mut at = start;
    while at < end && u32::try_from(at / piece_len).is_ok_and(|p| have.get(p)) {
        at = (at / piece_len + 1) * piece_len;
    }
    at.min(end) - start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_byte_then_seeks_and_percentiles() {
        let r = Record::default();
        assert_eq!(r.snapshot().ttfb_ms, None);
        assert!(r.first_byte(120));
        for ms in [300, 100, 40_000, 200] {
            assert!(!r.first_byte(ms));
        }
        r.stall_grew(0, 1500);
        // A stall counted while it lasts: one stall of 4 s.
        r.stall_grew(0, 1000);
        r.stall_grew(1000, 4000);
        r.served(10);
        let v = r.snapshot();
        assert_eq!(v.ttfb_ms, Some(120));
        assert_eq!(v.seeks, 4);
        assert_eq!(v.seek_last_ms, Some(200));
        assert_eq!(v.seek_p50_ms, Some(200));
        assert_eq!(v.seek_p95_ms, Some(40_000));
        assert_eq!(v.seek_max_ms, Some(40_000));
        assert_eq!((v.stalls, v.stall_total_ms, v.stall_longest_ms), (2, 5500, 4000));
        assert_eq!(v.bytes_served, 10);
        assert_eq!(v.seek_wait_sum_ms, 40_600);
        // 0.1, 0.25 and 0.5 s, and one between 30 and 60 s.
        assert_eq!(v.seek_wait_buckets, vec![0, 1, 1, 1, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 95), Some(95));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn viewers_by_address_and_file() {
        let v = Viewers::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let one = v.connect(a, 0);
        let again = v.connect(a, 0);
        assert!(Arc::ptr_eq(&one, &again));
        assert!(!Arc::ptr_eq(&one, &v.connect(a, 1)));
        assert_eq!(one.snapshot().connections, 2);
        assert_eq!(v.totals.snapshot().connections, 3);
    }

    #[test]
    fn buffer_ahead_runs_to_the_first_gap() {
        // Pieces of 10 bytes; 0, 1, 2 and 4 verified.
        let have = Have {
            bits: vec![0b1110_1000],
            len: 6,
        };
        assert_eq!(buffered_ahead(&have, 10, 0, 60, 0), 30);
        assert_eq!(buffered_ahead(&have, 10, 0, 60, 25), 5);
        assert_eq!(buffered_ahead(&have, 10, 0, 60, 30), 0);
        // A file from byte 5 to 45: its end clamps the run.
        assert_eq!(buffered_ahead(&have, 10, 5, 20, 3), 17);
        assert_eq!(buffered_ahead(&have, 10, 40, 5, 0), 5);
        assert_eq!(buffered_ahead(&have, 10, 0, 60, 99), 0);
    }
}
