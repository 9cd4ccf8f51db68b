//! The only seeder (aria2c) is stopped with SIGSTOP mid-stream until the player has waited a
//! minute, resumed, then killed and started again on the same port, while ffmpeg plays the
//! stream at real speed. `--features interop`; the wait lasts BT2P_TEST_STALL_SECS seconds
//! (default 60).
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
    let mut aria = seeder(&seed, &torrent, port);
    wait_listening(&mut aria, "aria2c", port).await;
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
    // It plays, and a first MiB has come.
    let st = wait_status(&c, "the player to stream", |st| {
        let progress = st["progress_bytes"].as_u64()?;
        (!streams(st).is_empty() && progress >= 1 << 20).then(|| st.clone())
    })
    .await;
    assert!(
        st["progress_bytes"].as_u64() < st["total_bytes"].as_u64(),
        "the whole file came before the seeder could be stopped"
    );

    // Stop the only seeder. The player catches up with what arrived and then waits: the stall
    // is visible in status.json (what the dashboard draws), and counted, while it lasts, until
    // it has lasted `stall` s (5 at the least).
    signal(&aria.0, libc::SIGSTOP);
    let stall = stall.max(5);
    let longest_wait = wait_for(
        &format!("the player to be stalled, and counted so, for {stall} s"),
        Duration::from_secs(stall) + DEADLINE,
        async || {
            let st = status(&c).await;
            let stalled = streams(&st).iter().filter(|s| s["stalled_now"] == true);
            let wait = stalled.filter_map(|s| s["waiting_ms"].as_u64()).max();
            let counted = st["viewing"]["stalls"].as_u64() >= Some(1)
                && st["viewing"]["stall_total_ms"].as_u64() >= Some(1000);
            wait.filter(|ms| *ms >= stall * 1000 && counted).ok_or(st)
        },
    )
    .await;
    let before = status(&c).await["progress_bytes"].as_u64().unwrap();
    signal(&aria.0, libc::SIGCONT);

    // Streaming resumes by itself once the seeder is back.
    let resumed_at = Instant::now();
    wait_status(&c, "progress after SIGCONT", |st| {
        (st["progress_bytes"].as_u64().unwrap() > before).then_some(())
    })
    .await;
    let resumed = resumed_at.elapsed();

    // Killed and started again on the same port, once the client has seen it go.
    drop(aria);
    let before = wait_status(&c, "the killed seeder to be gone", |st| {
        (st["peers_connected"] == 0).then(|| st["progress_bytes"].as_u64().unwrap())
    })
    .await;
    let mut aria = seeder(&seed, &torrent, port);
    wait_listening(&mut aria, "aria2c", port).await;
    let restarted_at = Instant::now();
    wait_status(&c, "progress after the seeder's restart", |st| {
        (st["progress_bytes"].as_u64().unwrap() > before || st["state"] == "seeding").then_some(())
    })
    .await;
    let back = restarted_at.elapsed();

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
