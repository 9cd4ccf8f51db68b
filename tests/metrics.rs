//! End to end: what a viewer goes through (time to first byte, seeks, bytes served, buffer
//! ahead) in status.json, and the same in `/metrics`, read by Prometheus' Python parser.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

/// status.json once `ok` holds for it.
async fn poll(c: &Client, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    wait_status(c, what, |s| ok(s).then(|| s.clone())).await
}

/// The metric families of a Prometheus text page, as Prometheus' own Python client parses
/// them: `{name: {"type": ..., "samples": [[name, labels, value], ...]}}`; None when the parser
/// is not installed and the interop tests are off.
fn parse_prometheus(text: &str) -> Option<Value> {
    const SCRIPT: &str = "import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    out[f.name] = {'type': f.type, 'samples': [[s.name, s.labels, s.value] for s in f.samples]}
print(json.dumps(out))";
    let has = Command::new("python3")
        .args(["-c", "import prometheus_client"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        if cfg!(feature = "interop") {
            panic!("Prometheus' Python client is not installed: pip install prometheus-client");
        }
        eprintln!("skipping the parse of /metrics: pip install prometheus-client");
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the parser refused /metrics:\n{text}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn sample<'a>(families: &'a Value, family: &str, sample: &str) -> Vec<&'a Value> {
    families[family]["samples"]
        .as_array()
        .map(|s| s.iter().filter(|s| s[0] == sample).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_is_measured_in_status_json_and_metrics() {
    // 8 MiB at 256 KiB/s: the download takes half a minute, the player's stream stays open.
    let len = 8 * 1024 * 1024;
    let s = swarm("one", &[("film.mkv", len)], 64 * 1024, Some(256 * 1024)).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let url = format!("{}/film.mkv", c.base);

    // The player: one connection from the start, its first bytes read, then left open.
    let mut playing = reqwest::Client::builder()
        .timeout(T)
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(playing.status(), 200);
    let first = playing.chunk().await.unwrap().unwrap();
    assert_eq!(first[..], s.files[0].1[..first.len()]);

    let st = poll(&c, "the first player's time to first byte", |s| {
        s["streams"][0]["viewing"]["ttfb_ms"].is_u64()
    })
    .await;
    let stream = &st["streams"][0];
    assert!(stream["viewing"]["ttfb_ms"].is_u64(), "{st:#}");
    assert_eq!(stream["viewing"]["connections"], 1, "{st:#}");
    assert_eq!(stream["viewing"]["seeks"], 0, "{st:#}");
    assert!(stream["viewing"]["bytes_served"].as_u64().unwrap() >= first.len() as u64);
    assert!(
        stream["buffer_ahead_bytes"].as_u64().unwrap() <= len as u64,
        "{st:#}"
    );
    assert_eq!(st["viewing"]["connections"], 1, "{st:#}");

    // A seek: the same viewer opens a second connection, to bytes already verified.
    let (code, _, body) = get(&url, Some("bytes=1000-1999"), T).await;
    assert_eq!((code, &body[..]), (206, &s.files[0].1[1000..2000]));
    let st = poll(&c, "the seek counted", |s| {
        s["streams"][0]["viewing"]["seeks"] == 1
    })
    .await;
    let viewing = &st["streams"][0]["viewing"];
    assert_eq!(viewing["seeks"], 1, "{st:#}");
    assert_eq!(viewing["connections"], 2, "{st:#}");
    let wait = viewing["seek_last_ms"].as_u64().unwrap();
    assert_eq!(viewing["seek_p50_ms"], wait);
    assert_eq!(viewing["seek_max_ms"], wait);
    assert_eq!(st["viewing"]["seeks"], 1, "{st:#}");
    assert_eq!(st["viewing"]["stalls"], viewing["stalls"]);

    // /metrics: Prometheus text, with the torrent, the totals and one series per player.
    let (code, h, body) = get(&format!("{}/metrics", c.base), None, T).await;
    assert_eq!(code, 200);
    assert_eq!(h["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let text = String::from_utf8(body).unwrap();
    let Some(f) = parse_prometheus(&text) else { return };
    assert_eq!(f["bt2p_size_bytes"]["type"], "gauge");
    assert_eq!(sample(&f, "bt2p_size_bytes", "bt2p_size_bytes")[0][2], len as f64);
    assert_eq!(f["bt2p_seek_wait_seconds"]["type"], "histogram");
    let count = sample(&f, "bt2p_seek_wait_seconds", "bt2p_seek_wait_seconds_count");
    assert_eq!(count[0][2], 1.0, "{text}");
    let inf = sample(&f, "bt2p_seek_wait_seconds", "bt2p_seek_wait_seconds_bucket");
    assert!(inf.iter().any(|s| s[1]["le"] == "+Inf" && s[2] == 1.0), "{text}");
    assert_eq!(f["bt2p_player_connections"]["type"], "counter");
    let conns = sample(&f, "bt2p_player_connections", "bt2p_player_connections_total");
    assert_eq!(conns[0][2], 2.0, "{text}");
    let ttfb = sample(&f, "bt2p_player_ttfb_seconds", "bt2p_player_ttfb_seconds");
    assert_eq!(ttfb.len(), 1, "one open player: {text}");
    assert_eq!(ttfb[0][1]["file"], "film.mkv");
    assert!(ttfb[0][1]["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(ttfb[0][1]["player"], st["streams"][0]["id"].to_string());
    let ahead = sample(
        &f,
        "bt2p_player_buffer_ahead_bytes",
        "bt2p_player_buffer_ahead_bytes",
    );
    assert_eq!(ahead.len(), 1, "{text}");
    drop(playing);
}

/// The dashboard at 80×24: under the player's label, its viewer's figures, whole.
#[test]
fn the_window_panel_shows_a_line_per_player() {
    use bt2p_tui::engine::{FileSnap, StreamMetrics, StreamSnap, Viewing};
    use bt2p_tui::ui::{app::App, draw, theme::Theme};
    use ratatui::{Terminal, backend::TestBackend};

    let piece = 1024 * 1024;
    let mut s = bt2p_tui::engine::Snapshot {
        name: "Film".into(),
        state: bt2p_tui::engine::TorrentState::Downloading,
        piece_len: piece,
        piece_count: 100,
        piece_par: 16,
        effective_window_pieces: 32,
        total_bytes: 100 * piece,
        streams: vec![StreamSnap {
            id: 3,
            client: "192.168.1.20:50312".into(),
            file: 0,
            position: 10 * piece,
            end: 100 * piece,
            file_len: 100 * piece,
            piece: 10,
            window_end_piece: 42,
            window_pieces: 32,
            piece_par: 16,
            piece_par_secs: None,
            waiting_ms: None,
            stalled_now: false,
            window_streams: 1,
            peers_with_piece: Some(1),
            piece_fetchers: Vec::new(),
            piece_asked_ms: None,
            age_secs: 30,
            metrics: Some(StreamMetrics {
                viewing: Viewing {
                    ttfb_ms: Some(420),
                    seeks: 2,
                    seek_p50_ms: Some(310),
                    seek_p95_ms: Some(800),
                    stalls: 1,
                    stall_total_ms: 2100,
                    ..Default::default()
                },
                buffer_ahead_bytes: 24 * piece,
                buffer_ahead_secs: Some(12.4),
                buffer_ahead_source: Some(bt2p_tui::engine::RateSource::Estimated),
                player_buffer_secs: None,
            }),
        }],
        ..Default::default()
    };
    s.set_files(vec![FileSnap {
        index: 0,
        path: "film.mkv".into(),
        length: 100 * piece,
        offset: 0,
        progress_bytes: 0,
        first_piece: 0,
        end_piece: 100,
        padding: false,
        players: 1,
        duration_secs: None,
        prefetch: None,
        subtitle_tracks: Vec::new(),
    }]);
    let mut app = App::new("http://192.168.1.20:17580".into());
    app.on_snapshot(&s);
    let want = "ttfb 0.42s  seeks 2 (p50 0.31s p95 0.80s)  stalls 1 (2.1s)  ahead ~12s (24M)";
    for ascii in [false, true] {
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let theme = Theme { color: false, ascii };
        t.draw(|f| draw(f, &app, &s, &theme)).unwrap();
        let buf = t.backend().buffer();
        let rows: Vec<String> = (0..buf.area.height)
            .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        assert!(rows.iter().any(|r| r.contains(want)), "{}", rows.join("\n"));
    }
}
