//! The only seeder (aria2c) is stopped with SIGSTOP for a minute mid-stream, resumed, then
//! killed and started again on the same port, while ffmpeg plays the stream at real speed.
//! `--features interop`; the stop lasts BT2P_TEST_STALL_SECS seconds (default 60).
#![cfg(feature = "interop")]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn seeder(dir: &std::path::Path, torrent: &std::path::Path, port: u16) -> Killed {
    Killed(
        Command::new("aria2c")
            .args([
                "--seed-ratio=0",
                "--bt-seed-unverified=true",
                "--enable-dht=false",
            ])
            .args([
                "--bt-enable-lpd=false",
                "--enable-peer-exchange=false",
                "--console-log-level=error",
            ])
            .args([
                &format!("--listen-port={port}"),
                "--max-overall-upload-limit=400K",
            ])
            .arg(format!("--dir={}", dir.display()))
            .arg(torrent)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: signalling the child this test started, by its PID.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_survives_a_stopped_and_a_restarted_seeder() {
    for (t, package) in [
        ("aria2c", "aria2"),
        ("mktorrent", "mktorrent"),
        ("ffmpeg", "ffmpeg"),
    ] {
        require(t, package);
    }
    let stall: u64 = std::env::var("BT2P_TEST_STALL_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let d = tempfile::tempdir().unwrap();
    let seed = d.path().join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    let video = seed.join("clip.mkv");
    test_video(&video, "640x360", 40, Some("1500k"));
    let torrent = d.path().join("clip.torrent");
    mktorrent(&video, &torrent, 18);
    let port = free_port().unwrap();
    let aria = seeder(&seed, &torrent, port);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let save = d.path().join("dl");
    let c = client(&torrent, format!("127.0.0.1:{port}").parse().unwrap(), &save, &[]).await;
    let url = format!("{}/clip.mkv", c.base);

    // The player: real speed, no tolerance for decode errors.
    let player = Command::new("ffmpeg")
        .args(["-v", "error", "-re", "-i", &url, "-f", "null", "-"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;

    // Stop the only seeder. The player catches up with what arrived and then waits: the stall
    // is visible in status.json (what the dashboard draws).
    signal(&aria.0, libc::SIGSTOP);
    let stopped = Instant::now();
    let mut longest_wait = 0;
    while stopped.elapsed() < Duration::from_secs(stall) {
        let st = status(&c).await;
        for s in st["streams"].as_array().into_iter().flatten() {
            longest_wait = longest_wait.max(s["waiting_ms"].as_u64().unwrap_or(0));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        longest_wait >= 5000,
        "no stall was shown (longest wait {longest_wait} ms)"
    );
    let before = status(&c).await["progress_bytes"].as_u64().unwrap();
    signal(&aria.0, libc::SIGCONT);

    // Streaming resumes by itself within 30 s of the seeder's return.
    let resumed_at = Instant::now();
    let mut resumed = None;
    while resumed_at.elapsed() < Duration::from_secs(30) {
        if status(&c).await["progress_bytes"].as_u64().unwrap() > before {
            resumed = Some(resumed_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let resumed = resumed.expect("no progress within 30 s of SIGCONT");

    // Killed and started again on the same port.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(aria);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = status(&c).await["progress_bytes"].as_u64().unwrap();
    let _aria = seeder(&seed, &torrent, port);
    let restarted_at = Instant::now();
    let mut back = None;
    while restarted_at.elapsed() < Duration::from_secs(60) {
        let st = status(&c).await;
        let p = st["progress_bytes"].as_u64().unwrap();
        if p > before || st["state"] == "seeding" {
            back = Some(restarted_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let back = back.expect("no progress within 60 s of the seeder's restart");

    let out = player.wait_with_output().unwrap();
    let errors = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "stall {stall} s, longest wait shown {longest_wait} ms; resumed {:.1} s after SIGCONT, {:.1} s after restart; played in {:.0} s",
        resumed.as_secs_f64(),
        back.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "ffmpeg failed: {errors}");
    assert!(errors.trim().is_empty(), "decode errors: {errors}");
    let original = std::fs::read(&video).unwrap();
    let (st, _, body) = get(&url, None, Duration::from_secs(60)).await;
    assert_eq!((st, sha(&body)), (200, sha(&original)));
}
