//! `GET /status.json`: the engine's snapshot, with each file's URL and the verified pieces.

use std::convert::Infallible;
use std::sync::Arc;

use serde::Serialize;
use warp::Filter;
use warp::http::StatusCode;

use super::filters::{head, with_state};
use super::{HttpState, Reply, simple};
use crate::engine::{FileSnap, PeerSnap, PiecePar, RateSource, Snapshot, StreamSnap, TorrentState, Viewing};
use crate::links::Links;

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Infallible> + Clone + use<> {
    with_state(state).and(head()).map(|state: Arc<HttpState>, head| {
        let snap = state.engine.snapshot().borrow().clone();
        let mut json = StatusJson::new(&snap, state.links());
        json.cast = state.cast.status();
        let body = serde_json::to_vec_pretty(&json).unwrap_or_default();
        simple(StatusCode::OK, "application/json", body, head)
    })
}

/// What status.json says: every field of the snapshot, the shown files with their URLs, and
/// the verified pieces.
#[derive(Debug, Serialize)]
pub struct StatusJson<'a> {
    name: &'a str,
    info_hash: &'a str,
    state: TorrentState,
    error: Option<&'a str>,
    /// Why nothing arrives, while stalled.
    stall: Option<&'a str>,
    piece_len: u64,
    piece_count: u32,
    /// In pieces, for the file played first (or the largest media file).
    piece_par: u32,
    /// As set: pieces (`16`) or seconds of playback (`30s`).
    piece_par_setting: PiecePar,
    /// Seconds of playback in those pieces, and where the bitrate came from.
    piece_par_secs: Option<f64>,
    piece_par_secs_source: Option<RateSource>,
    effective_window_pieces: u32,
    on_demand: bool,
    progress_bytes: u64,
    total_bytes: u64,
    uploaded_bytes: u64,
    download_bps: f64,
    upload_bps: f64,
    eta_secs: Option<u64>,
    peers_connected: u32,
    seeders: u32,
    leechers: u32,
    peers_connecting: u32,
    peers_queued: u32,
    peers_seen: u32,
    /// Padding files left out.
    files: Vec<FileJson<'a>>,
    peers: &'a [PeerSnap],
    streams: &'a [StreamSnap],
    /// What all viewers went through since start.
    viewing: &'a Viewing,
    receiving: &'a [(u32, u32)],
    /// Milliseconds the engine's snapshot took to build.
    snapshot_build_ms: f64,
    index_url: String,
    have_pieces: u32,
    /// Runs `[start, end)` of verified pieces.
    verified_pieces: Vec<(u32, u32)>,
    /// The cast to a TV: its renderer, file, state and position.
    pub cast: Option<crate::cast::CastStatus>,
}

#[derive(Debug, Serialize)]
struct FileJson<'a> {
    #[serde(flatten)]
    file: &'a FileSnap,
    url: String,
}

impl<'a> StatusJson<'a> {
    pub fn new(s: &'a Snapshot, links: Links) -> Self {
        let files = s.files.iter().filter(|f| f.shown());
        StatusJson {
            name: &s.name,
            info_hash: &s.info_hash,
            state: s.state,
            error: s.error.as_deref(),
            stall: s.stall.as_deref(),
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
                    file,
                    url: links.file(&file.path),
                })
                .collect(),
            peers: &s.peers,
            streams: &s.streams,
            viewing: &s.viewing,
            receiving: &s.receiving,
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
}
