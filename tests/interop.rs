//! Against programs written by others (Debian's aria2c, mktorrent, ffprobe, ffmpeg). Built only
//! with `--features interop`; then a missing tool fails the test, it is never skipped.
#![cfg(feature = "interop")]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// aria2c seeds a torrent made by mktorrent; bt2p-tui streams it byte-exact, and ffprobe reads
/// the real duration of the video through bt2p-tui's URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aria2c_seeds_a_mktorrent_video_that_ffprobe_reads_through_bt2p() {
    for (t, package) in [
        ("aria2c", "aria2"),
        ("mktorrent", "mktorrent"),
        ("ffmpeg", "ffmpeg"),
        ("ffprobe", "ffmpeg"),
    ] {
        require(t, package);
    }
    let d = tempfile::tempdir().unwrap();
    let seed = d.path().join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    let video = seed.join("clip.mkv");
    test_video(&video, "320x240", 12, None);
    let torrent = d.path().join("clip.torrent");
    mktorrent(&video, &torrent, 16);

    let port = free_port().unwrap();
    let mut aria = Killed(
        Command::new("aria2c")
            .args([
                "--seed-ratio=0",
                "--check-integrity=true",
                "--bt-seed-unverified=false",
                "--enable-dht=false",
            ])
            .args([
                "--bt-enable-lpd=false",
                "--enable-peer-exchange=false",
                "--bt-tracker-connect-timeout=1",
            ])
            .args([
                &format!("--listen-port={port}"),
                "--max-overall-upload-limit=2M",
                "--console-log-level=warn",
            ])
            .arg(format!("--dir={}", seed.display()))
            .arg(&torrent)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // aria2c checks the data first (--check-integrity), and listens once it seeds.
    wait_listening(&mut aria, "aria2c", port).await;

    let save = d.path().join("dl");
    let peer = format!("127.0.0.1:{port}").parse().unwrap();
    let c = client(&torrent, peer, &save, &[]).await;
    let url = format!("{}/clip.mkv", c.base);

    let (duration, err) = ffprobe_duration(&url).await;
    let duration = duration.unwrap_or(0.0);
    assert!((duration - 12.0).abs() < 0.2, "ffprobe said {duration} ({err})");

    let original = std::fs::read(&video).unwrap();
    let (st, _, body) = get(&url, None, Duration::from_secs(120)).await;
    assert_eq!(st, 200);
    assert_eq!(sha(&body), sha(&original));

    // ffmpeg decodes the whole stream without errors.
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i", &url, "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
