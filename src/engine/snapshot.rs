//! The plain picture of the engine that the HTTP server and the dashboard read.

use std::sync::Arc;

use serde::Serialize;

use super::listing::FileSnap;

/// Where the torrent stands; status.json and the front ends name it in lower case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TorrentState {
    /// Its data is being checked (or the engine is starting it).
    #[default]
    Checking,
    Downloading,
    /// Every file is verified.
    Seeding,
    Paused,
    Error,
}

impl std::fmt::Display for TorrentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TorrentState::Checking => "checking",
            TorrentState::Downloading => "downloading",
            TorrentState::Seeding => "seeding",
            TorrentState::Paused => "paused",
            TorrentState::Error => "error",
        })
    }
}

/// Everything the outside sees of the torrent at one moment. Cheap to clone: big parts are shared.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    pub name: String,
    pub info_hash: String,
    pub state: TorrentState,
    pub error: Option<String>,
    /// Why nothing arrives, while the torrent needs data and no peer is connected.
    pub stall: Option<String>,
    pub piece_len: u64,
    pub piece_count: u32,
    /// piece_par in pieces, for the file played first (or the largest media file).
    pub piece_par: u32,
    /// piece_par as set: `16` (pieces) or `30s` (seconds of playback).
    pub piece_par_setting: super::PiecePar,
    /// The seconds of playback those pieces hold, once the file's bitrate is known.
    pub piece_par_secs: Option<f64>,
    /// `container` or `estimated` (a player's read rate), as for a stream's buffer.
    pub piece_par_secs_source: Option<super::RateSource>,
    pub effective_window_pieces: u32,
    pub on_demand: bool,
    /// Verified bytes over all files.
    pub progress_bytes: u64,
    /// Size of all files.
    pub total_bytes: u64,
    pub uploaded_bytes: u64,
    pub download_bps: f64,
    pub upload_bps: f64,
    pub eta_secs: Option<u64>,
    pub peers_connected: u32,
    pub seeders: u32,
    pub leechers: u32,
    pub peers_connecting: u32,
    pub peers_queued: u32,
    pub peers_seen: u32,
    pub files: Arc<Vec<FileSnap>>,
    pub peers: Vec<PeerSnap>,
    pub streams: Vec<StreamSnap>,
    /// What all viewers went through since start.
    pub viewing: super::Viewing,
    /// Pieces receiving data and how many bytes they have so far.
    pub receiving: Vec<(u32, u32)>,
    /// How long this snapshot took to build from the engine, in milliseconds (0 before the first).
    pub snapshot_build_ms: f64,
    #[serde(skip)]
    pub have: Arc<Have>,
    /// Which subtitles belong to which video (keys are file indices), paired once.
    #[serde(skip)]
    pub subtitles: Arc<crate::subtitles::Pairs>,
    /// The order every front end lists the files in, and the first to play; made once.
    #[serde(skip)]
    pub listing: Arc<super::listing::Listing>,
}

impl Snapshot {
    /// The window the engine fetches for `piece_par` pieces: never more pieces than the torrent
    /// has, once they are known.
    pub fn engine_window(&self, piece_par: u32) -> u32 {
        let window = super::piece_par::effective_window(piece_par, self.piece_len);
        match self.piece_count {
            0 => window,
            n => window.min(n),
        }
    }

    /// The window to show: with players, the largest of theirs (each ends at its file's end),
    /// else the engine's.
    pub fn shown_window(&self) -> u32 {
        self.streams
            .iter()
            .map(|st| st.window_pieces)
            .max()
            .unwrap_or(self.effective_window_pieces)
    }

    /// Sets the torrent's files, pairs their subtitles with their videos and lists them, once.
    pub fn set_files(&mut self, files: Vec<FileSnap>) {
        let visible = files.iter().filter(|f| f.shown());
        self.subtitles = Arc::new(crate::subtitles::Pairs::new(
            visible.map(|f| (f.index, f.path.as_str())),
        ));
        self.listing = Arc::new(super::listing::Listing::new(&files, &self.subtitles));
        self.files = Arc::new(files);
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PeerSnap {
    pub addr: String,
    pub client: Option<String>,
    pub state: String,
    pub download_bps: f64,
    pub upload_bps: f64,
    pub fetched_bytes: u64,
    pub uploaded_bytes: u64,
    /// tcp, utp or socks.
    pub transport: Option<String>,
    /// The connection runs RC4 (message stream encryption).
    pub encrypted: bool,
    /// Our requests to it not answered yet, and how many may be outstanding now (the engine
    /// sizes the window to about half a second of the peer's rate).
    pub requests_in_flight: u32,
    pub request_window: u32,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StreamSnap {
    pub id: u64,
    pub client: String,
    pub file: usize,
    pub position: u64,
    pub end: u64,
    pub file_len: u64,
    /// The piece under the read position.
    pub piece: u32,
    /// One past the last piece of the piece_par window.
    pub window_end_piece: u32,
    /// Pieces from the read position to the window's end: the engine's window, or what is left
    /// of the file when that is less.
    pub window_pieces: u32,
    /// piece_par in pieces for this stream's file, and the seconds of playback they hold.
    pub piece_par: u32,
    pub piece_par_secs: Option<f64>,
    /// How long the current read has waited for its piece, when it waits.
    pub waiting_ms: Option<u64>,
    /// Whether the player has had nothing to play for `STALL_AFTER_MS` or more in this wait, by
    /// the estimate of what it holds: a stall, not a greedy player reading at the download's
    /// edge with its own buffer full.
    pub stalled_now: bool,
    /// Engine streams prioritising this player's window: 1, plus the extra ones that widen it.
    pub window_streams: u32,
    /// Connected peers known to have the piece under the read position: a lower bound (the
    /// connected seeders), as the engine keeps other peers' bitfields to itself.
    pub peers_with_piece: Option<u32>,
    /// The peers the piece under the read position is being fetched from, and how long ago it
    /// was asked for; empty and None while nobody fetches it.
    pub piece_fetchers: Vec<String>,
    pub piece_asked_ms: Option<u64>,
    pub age_secs: u64,
    /// What this stream's viewer went through, and what is buffered ahead of it.
    #[serde(flatten)]
    pub metrics: Option<super::StreamMetrics>,
}

impl StreamSnap {
    /// Who the piece under the read position is being fetched from, and since when:
    /// `from 10.0.0.5:6881 for 1.2 s`, or `not asked for yet`.
    pub fn fetch_note(&self) -> String {
        let secs = |ms: u64| ms as f64 / 1000.0;
        match (self.piece_fetchers.as_slice(), self.piece_asked_ms) {
            ([], _) => "not asked for yet".to_string(),
            ([one], Some(ms)) => format!("from {one} for {:.1} s", secs(ms)),
            (many, Some(ms)) => format!("from {} peers for {:.1} s", many.len(), secs(ms)),
            (many, None) => format!("from {} peers", many.len()),
        }
    }
}

/// The have-bitfield, most significant bit first (BitTorrent's order).
#[derive(Debug, Clone, Default)]
pub struct Have {
    pub bits: Vec<u8>,
    pub len: u32,
}

impl Have {
    pub fn get(&self, piece: u32) -> bool {
        piece < self.len
            && self
                .bits
                .get(piece as usize / 8)
                .is_some_and(|b| b & (0x80 >> (piece % 8)) != 0)
    }

    /// The verified pieces as runs `[start, end)`, in order.
    pub fn runs(&self) -> Vec<(u32, u32)> {
        let mut runs = Vec::new();
        let mut start = None;
        let mut p = 0;
        while p < self.len {
            // Whole bytes of the same bit skip ahead at once.
            let byte = self.bits.get(p as usize / 8).copied().unwrap_or(0);
            let same = (byte == 0 && start.is_none()) || (byte == 0xff && start.is_some());
            if p % 8 == 0 && same && p + 8 <= self.len {
                p += 8;
                continue;
            }
            match (self.get(p), start) {
                (true, None) => start = Some(p),
                (false, Some(s)) => {
                    runs.push((s, p));
                    start = None;
                }
                _ => {}
            }
            p += 1;
        }
        if let Some(s) = start {
            runs.push((s, self.len));
        }
        runs
    }

    pub fn count(&self) -> u32 {
        let full = (self.len / 8) as usize;
        let whole: u32 = self.bits.iter().take(full).map(|b| b.count_ones()).sum();
        let rest = (full as u32 * 8..self.len).filter(|p| self.get(*p)).count() as u32;
        whole + rest
    }
}

impl Snapshot {
    /// Bytes received so far of a piece that is not verified yet.
    pub fn receiving_bytes(&self, piece: u32) -> Option<u32> {
        self.receiving
            .binary_search_by_key(&piece, |(p, _)| *p)
            .ok()
            .map(|i| self.receiving[i].1)
    }

    pub fn piece_len_of(&self, piece: u32) -> u64 {
        if piece + 1 == self.piece_count {
            let rem = self.total_bytes % self.piece_len.max(1);
            if rem != 0 {
                return rem;
            }
        }
        self.piece_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn have_bits_are_msb_first() {
        let h = Have {
            bits: vec![0b1000_0001, 0b0100_0000],
            len: 10,
        };
        let got: Vec<u32> = (0..12).filter(|p| h.get(*p)).collect();
        assert_eq!(got, vec![0, 7, 9]);
        assert_eq!(h.count(), 3);
        // Bits past the end never count.
        let h = Have {
            bits: vec![0xff, 0xff, 0xff],
            len: 19,
        };
        assert_eq!(h.count(), 19);
        assert_eq!(Have::default().count(), 0);
        assert_eq!(h.runs(), vec![(0, 19)]);
        assert_eq!(Have::default().runs(), vec![]);
        let h = Have {
            bits: vec![0b1000_0001, 0xff, 0b0110_0000, 0],
            len: 30,
        };
        assert_eq!(h.runs(), vec![(0, 1), (7, 16), (17, 19)]);
        let slow: Vec<u32> = (0..30).filter(|p| h.get(*p)).collect();
        let fast: Vec<u32> = h.runs().iter().flat_map(|&(a, b)| a..b).collect();
        assert_eq!(slow, fast);
    }

    #[test]
    fn the_window_never_outgrows_the_file() {
        const MIB: u64 = 1024 * 1024;
        let mut s = Snapshot {
            piece_len: 4 * MIB,
            piece_count: 48,
            ..Default::default()
        };
        s.effective_window_pieces = s.engine_window(16);
        assert_eq!((s.effective_window_pieces, s.shown_window()), (16, 16));
        // The engine's 32 MiB floor is 8 pieces; the torrent has 48.
        assert_eq!(s.engine_window(2), 8);
        assert_eq!(s.engine_window(100), 48);
        s.piece_len = 16 * 1024;
        s.piece_count = 112;
        assert_eq!(s.engine_window(16), 112, "not the floor's 2048");
        // Before the metadata: no pieces known yet.
        s.piece_count = 0;
        assert_eq!(s.engine_window(16), 2048);

        // Players near the end see what is left of their file.
        let player = |piece: u32, left: u32| StreamSnap {
            id: 1,
            client: String::new(),
            file: 0,
            position: 0,
            end: 0,
            file_len: 0,
            piece,
            window_end_piece: piece + left,
            window_pieces: left,
            piece_par: 16,
            piece_par_secs: None,
            waiting_ms: None,
            stalled_now: false,
            window_streams: 1,
            peers_with_piece: None,
            piece_fetchers: Vec::new(),
            piece_asked_ms: None,
            age_secs: 0,
            metrics: None,
        };
        s.streams = vec![player(44, 4)];
        assert_eq!(s.shown_window(), 4);
        s.streams.push(player(10, 16));
        assert_eq!(s.shown_window(), 16);
    }
}
