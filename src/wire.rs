//! What the program says over the wire, typed both ways: status.json (`StatusJson`), made
//! from a snapshot by the server and read back by whoever watches it (the tests do).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::engine::{FileSnap, PeerSnap, PiecePar, RateSource, Snapshot, StreamSnap, TorrentState, Viewing};
use crate::links::Links;

/// What status.json says: every field of the snapshot, the shown files with their URLs, and
/// the verified pieces.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusJson<'a> {
    pub name: Cow<'a, str>,
    pub info_hash: Cow<'a, str>,
    pub state: TorrentState,
    pub error: Option<Cow<'a, str>>,
    /// Why nothing arrives, while stalled.
    pub stall: Option<Cow<'a, str>>,
    pub piece_len: u64,
    pub piece_count: u32,
    /// In pieces, for the file played first (or the largest media file).
    pub piece_par: u32,
    /// As set: pieces (`16`) or seconds of playback (`30s`).
    pub piece_par_setting: PiecePar,
    /// Seconds of playback in those pieces, and where the bitrate came from.
    pub piece_par_secs: Option<f64>,
    pub piece_par_secs_source: Option<RateSource>,
    pub effective_window_pieces: u32,
    pub on_demand: bool,
    pub progress_bytes: u64,
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
    /// Padding files left out.
    pub files: Vec<FileJson<'a>>,
    pub peers: Cow<'a, [PeerSnap]>,
    pub streams: Cow<'a, [StreamSnap]>,
    /// What all viewers went through since start.
    pub viewing: Cow<'a, Viewing>,
    pub receiving: Cow<'a, [(u32, u32)]>,
    /// Milliseconds the engine's snapshot took to build.
    pub snapshot_build_ms: f64,
    pub index_url: String,
    pub have_pieces: u32,
    /// Runs `[start, end)` of verified pieces.
    pub verified_pieces: Vec<(u32, u32)>,
    /// The cast to a TV: its renderer, file, state and position.
    pub cast: Option<crate::cast::CastStatus>,
}

/// A shown file of the torrent, and its URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileJson<'a> {
    #[serde(flatten)]
    pub file: Cow<'a, FileSnap>,
    pub url: String,
}

impl<'a> StatusJson<'a> {
    pub fn new(s: &'a Snapshot, links: Links) -> Self {
        let files = s.files.iter().filter(|f| f.shown());
        StatusJson {
            name: Cow::Borrowed(&s.name),
            info_hash: Cow::Borrowed(&s.info_hash),
            state: s.state,
            error: s.error.as_deref().map(Cow::Borrowed),
            stall: s.stall.as_deref().map(Cow::Borrowed),
            piece_len: s.piece_len,
            piece_count: s.piece_count,
            piece_par: s.piece_par,
            piece_par_setting: s.piece_par_setting,
            piece_par_secs: s.piece_par_secs,
            piece_par_secs_source: s.piece_par_secs_source,
            effective_window_pieces: s.effective_window_pieces,
            on_demand: s.on_demand,
            progress_bytes: s.progress_bytes,
            total_bytes: s.total_bytes,
            uploaded_bytes: s.uploaded_bytes,
            download_bps: s.download_bps,
            upload_bps: s.upload_bps,
            eta_secs: s.eta_secs,
            peers_connected: s.peers_connected,
            seeders: s.seeders,
            leechers: s.leechers,
            peers_connecting: s.peers_connecting,
            peers_queued: s.peers_queued,
            peers_seen: s.peers_seen,
            files: files
                .map(|file| FileJson {
                    file: Cow::Borrowed(file),
                    url: links.file(&file.path),
                })
                .collect(),
            peers: Cow::Borrowed(&s.peers),
            streams: Cow::Borrowed(&s.streams),
            viewing: Cow::Borrowed(&s.viewing),
            receiving: Cow::Borrowed(&s.receiving),
            snapshot_build_ms: s.snapshot_build_ms,
            index_url: links.index(),
            have_pieces: s.have.count(),
            verified_pieces: s.have.runs(),
            cast: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::*;
    use crate::engine::Have;

    fn file(index: usize, path: &str, padding: bool) -> FileSnap {
        FileSnap {
            progress_bytes: 5,
            padding,
            ..FileSnap::new(index, path, 10 * index as u64, 10, 10)
        }
    }

    fn snapshot() -> Snapshot {
        Snapshot {
            name: "Show".into(),
            info_hash: "ab".repeat(20),
            state: TorrentState::Downloading,
            piece_len: 16384,
            piece_count: 10,
            download_bps: 1.5,
            eta_secs: Some(7),
            files: Arc::new(vec![
                file(0, "Season 1/Ep 1.mkv", false),
                file(1, ".pad/100", true),
                file(2, "a&b.srt", false),
            ]),
            receiving: vec![(4, 100)],
            have: Arc::new(Have {
                bits: vec![0b1101_0000, 0b0100_0000],
                len: 10,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn every_snapshot_field_then_urls_and_pieces() {
        let s = snapshot();
        let got = serde_json::to_value(StatusJson::new(&s, Links::new("http://h:1"))).unwrap();
        let mut want = serde_json::to_value(&s).unwrap();
        let want_obj = want.as_object_mut().unwrap();
        want_obj.insert(
            "files".into(),
            json!([
                {"index": 0, "path": "Season 1/Ep 1.mkv", "length": 10, "offset": 0,
                 "progress_bytes": 5, "first_piece": 0, "end_piece": 1, "padding": false,
                 "players": 0, "duration_secs": null, "prefetch": null, "subtitle_tracks": [], "url": "http://h:1/Season%201/Ep%201.mkv"},
                {"index": 2, "path": "a&b.srt", "length": 10, "offset": 20,
                 "progress_bytes": 5, "first_piece": 2, "end_piece": 3, "padding": false,
                 "players": 0, "duration_secs": null, "prefetch": null, "subtitle_tracks": [], "url": "http://h:1/a%26b.srt"},
            ]),
        );
        want_obj.insert("index_url".into(), json!("http://h:1/"));
        want_obj.insert("have_pieces".into(), json!(4));
        want_obj.insert("verified_pieces".into(), json!([[0, 2], [3, 4], [9, 10]]));
        want_obj.insert("cast".into(), json!(null));
        assert_eq!(got, want);
        assert_eq!(got["eta_secs"], json!(7));
        assert_eq!(got["error"], Value::Null);
    }

    #[test]
    fn read_back_as_written() {
        let mut s = snapshot();
        s.error = Some("the disk is full".into());
        s.piece_par_setting = PiecePar::Seconds(30);
        s.piece_par_secs_source = Some(RateSource::Estimated);
        let written = serde_json::to_string(&StatusJson::new(&s, Links::new("http://h:1"))).unwrap();
        let read: StatusJson<'static> = serde_json::from_str(&written).unwrap();
        assert_eq!(read.error.as_deref(), Some("the disk is full"));
        assert_eq!(read.piece_par_setting, PiecePar::Seconds(30));
        assert_eq!(read.files.len(), 2);
        assert_eq!(read.files[1].url, "http://h:1/a%26b.srt");
        assert_eq!(read.verified_pieces, vec![(0, 2), (3, 4), (9, 10)]);
        assert_eq!(serde_json::to_string(&read).unwrap(), written);
    }
}
