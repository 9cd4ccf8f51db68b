//! `bt2p-tui demo`: the long video is made once and kept, its length is in its header and
//! players see all of it over HTTP; a slow seeder keeps its leecher.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};

use bt2p_tui::demo::video::{DURATION_MS, Video};
use bt2p_tui::demo::{NAME, PIECE_LEN};
use common::*;

/// `bt2p-tui demo` headless, its cache in `cache`, its log beside it (`<cache>/run.stderr`).
async fn demo(cache: &Path, rate: &str) -> Client {
    let port = free_port().unwrap();
    let save = cache.join("run");
    let child = Command::new(BIN)
        .args(["demo", "--no-tui", "--bind", "127.0.0.1", "--rate", rate])
        .args(["--port", &port.to_string()])
        .env("XDG_CACHE_HOME", cache)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(save.with_extension("stderr")).unwrap())
        .spawn()
        .unwrap();
    wait_up(Client {
        child,
        base: format!("http://127.0.0.1:{port}"),
        save,
        port,
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    })
    .await
}

/// What `tool` (ffprobe or ffmpeg) prints on stdout and stderr for `args`, and whether it
/// succeeded, bounded by the test's deadline.
async fn run(tool: &str, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(tool);
    cmd.args(args);
    run_cmd(cmd).await
}

/// What `cmd` prints on stdout and stderr, and whether it succeeded, bounded by the test's
/// deadline.
async fn run_cmd(mut cmd: Command) -> (bool, String, String) {
    let what = format!("{cmd:?}");
    cmd.stdin(Stdio::null());
    let out = tokio::time::timeout(DEADLINE, tokio::task::spawn_blocking(move || cmd.output()))
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish"))
        .unwrap()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_video_is_long_whole_and_kept() {
    let cache = tempfile::tempdir().unwrap();
    let video = Video::demo().unwrap();
    let c = demo(cache.path(), "64MiB").await;
    let st = wait_status(&c, "the demo torrent", |st| {
        st["piece_count"].as_u64().map(|_| st.clone())
    })
    .await;
    assert_eq!(st["total_bytes"], video.size());
    assert_eq!(st["piece_len"], u64::from(PIECE_LEN));
    let pieces = video.size().div_ceil(u64::from(PIECE_LEN));
    assert_eq!(st["piece_count"], pieces);
    assert!(pieces >= 40, "{pieces} pieces: not several engine windows");
    // piece_par 16 of 4 MiB is above the engine's 32 MiB floor.
    assert_eq!(st["effective_window_pieces"], 16);

    let path = cache.path().join("bt2p-tui/demo/seed").join(NAME);
    let made = std::fs::metadata(&path).unwrap();
    assert_eq!(made.len(), video.size());
    assert!(c.stderr().contains("making the demo video"));

    // A player at the last pieces: its window is what is left of the file, not 16 pieces.
    let url = format!("{}/{NAME}", c.base);
    let tail = video.size() - 5 * 1024 * 1024;
    let resp = http()
        .get(&url)
        .header("Range", format!("bytes={tail}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 206);
    let window = wait_status(&c, "the player near the end", |st| {
        streams(st).first()?["window_pieces"].as_u64()
    })
    .await;
    assert!(window <= 2, "a window of {window} pieces 5 MiB before the end");
    drop(resp);

    if cfg!(feature = "interop") {
        require("ffprobe", "ffmpeg");
        let (duration, err) = ffprobe_duration(&url).await;
        assert!(err.is_empty(), "ffprobe: {err}");
        assert_eq!(duration, Some(DURATION_MS as f64 / 1000.0));
        // A seek near the end decodes at once, from the cues in the header.
        let at = (DURATION_MS / 1000 - 5).to_string();
        let (ok, _, err) = run(
            "ffmpeg",
            &[
                "-v", "error", "-ss", &at, "-i", &url, "-t", "2", "-f", "null", "-",
            ],
        )
        .await;
        assert!(ok && err.is_empty(), "ffmpeg -ss {at}: {err}");
    } else {
        skip("ffprobe on the demo video", "needs --features interop");
    }
    drop(c);

    // Started again, the demo keeps the video it made.
    let c = demo(cache.path(), "64MiB").await;
    wait_status(&c, "the demo torrent again", |st| st["piece_count"].as_u64()).await;
    // A new video would be a new file (written beside, then renamed).
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), made.ino());
    assert!(!c.stderr().contains("making the demo video"), "{}", c.stderr());

    // A second demo on the port of a running one touches nothing and says where the first is.
    let demo_dir = cache.path().join("bt2p-tui/demo");
    let downloads = || -> Vec<_> {
        let entries = std::fs::read_dir(&demo_dir).unwrap();
        let names = entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
        names.filter(|n| n.starts_with("download")).collect()
    };
    let before = downloads();
    assert_eq!(before.len(), 1, "the running demo's download folder: {before:?}");
    let mut second = Command::new(BIN);
    second
        .args([
            "demo",
            "--no-tui",
            "--bind",
            "127.0.0.1",
            "--port",
            &c.port.to_string(),
        ])
        .env("XDG_CACHE_HOME", cache.path());
    let (ok, _, err) = run_cmd(second).await;
    assert!(!ok, "the second demo ran: {err}");
    let url = format!("http://127.0.0.1:{}/", c.port);
    assert!(
        err.contains("perhaps by a demo already running") && err.contains(&url),
        "{err}"
    );
    assert_eq!(
        downloads(),
        before,
        "the second demo touched the first one's folder"
    );
    wait_status(&c, "the first demo still serving", |st| {
        st["piece_count"].as_u64()
    })
    .await;
}

/// A librqbit leecher asks for every piece of a small torrent at once and then sends nothing
/// while they arrive; the seeder must not take that silence for a dead peer. At 32 KiB/s the
/// 64 pieces take 32 s, three times the engine's 10 s read timeout: the connection holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_seeder_keeps_its_leecher() {
    const RATE: u64 = 32 * 1024;
    let s = swarm("slow", &[("slow.bin", 1024 * 1024)], 16 * 1024, Some(RATE)).await;
    let c = client_with_env(
        &s.torrent_path,
        s.seeder.addr,
        &s.dir.path().join("dl"),
        &[],
        &[("RUST_LOG", "warn,librqbit=debug")],
    )
    .await;
    // Bounded by bytes, not time: 24 s of data at the seeder's rate.
    let enough = 24 * RATE;
    wait_for("the slow download to pass 768 KiB", 4 * DEADLINE, async || {
        let st = status(&c).await;
        let got = st["progress_bytes"].as_u64().unwrap_or(0);
        if got >= enough { Ok(()) } else { Err(got) }
    })
    .await;
    let log = c.stderr();
    // A dropped connection ends with "error managing peer: peer disconnected" (or a timeout);
    // a dial that ends in the handshake (a peer learnt by PEX being this very client) is not one.
    let drops: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("error managing peer") && !l.contains("handshake"))
        .collect();
    assert!(drops.is_empty(), "the leecher was dropped: {drops:#?}");
}
