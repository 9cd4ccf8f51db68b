//! A save path on a small tmpfs that fills up mid-download. Needs root (mount):
//! `--features interop`, run by .ci/run as root.
#![cfg(feature = "interop")]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

struct Mounted(std::path::PathBuf);
impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_verified_data_still_streams_and_it_resumes_when_freed() {
    fill_the_disk(1).await;
}

/// Many peers delivering at once: every writer waiting for room holds one of the engine's few
/// blocking threads, more writers than there are threads. Streaming verified data must not
/// stall meanwhile, and the download must still finish once there is room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_many_peers_a_full_disk_stalls_nothing() {
    fill_the_disk(12).await;
}

async fn fill_the_disk(seeders: usize) {
    let len = 30_000_000usize;
    let s = swarm("t", &[("film.mkv", len)], 256 * 1024, Some(8 * 1024 * 1024)).await;
    let mut others = Vec::new();
    for _ in 1..seeders {
        let seed = s.dir.path().join("seed");
        let rate = Some(8 * 1024 * 1024);
        others.push(Seeder::start(&seed, s.torrent.clone(), rate).await.unwrap());
    }
    let peers: Vec<String> = others.iter().map(|o| o.addr.to_string()).collect();
    let mut extra = Vec::new();
    for p in &peers {
        extra.extend(["--peer", p.as_str()]);
    }
    let small = s.dir.path().join("small");
    std::fs::create_dir_all(&small).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=40m", "tmpfs"])
        .arg(&small)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cannot mount a tmpfs (this test needs root)");
    let _mounted = Mounted(small.clone());
    // 25 MB of something else: 15 MB left for a 30 MB file.
    std::fs::write(small.join("filler"), vec![0u8; 25_000_000]).unwrap();
    let save = small.join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &extra).await;

    // The error appears in status.json (what the dashboard and the index show).
    let started = Instant::now();
    let (error, have) = wait_status(&c, "the full disk to be reported", |st| {
        let e = st["error"].as_str()?;
        Some((e.to_string(), st["have_pieces"].as_u64().unwrap_or(0)))
    })
    .await;
    assert!(error.contains("the disk is full"), "{error}");
    eprintln!(
        "reported after {:.1} s with {have} pieces: {error}",
        started.elapsed().as_secs_f64()
    );
    let log = std::fs::read_to_string(save.with_extension("stderr")).unwrap_or_default();
    assert!(log.contains("the disk is full"), "not in the log: {log}");

    // What was verified still streams, byte-exact, at once: 1 MB inside a run of verified
    // pieces (with many peers the run need not start at 0).
    let runs = status(&c).await["verified_pieces"].clone();
    let piece = 256 * 1024;
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_u64().unwrap() as usize, r[1].as_u64().unwrap() as usize))
        .find(|(a, b)| (b - a) * piece >= 1_000_000)
        .unwrap_or_else(|| panic!("no 1 MB of verified pieces in a row: {runs}"));
    let from = run.0 * piece;
    let asked = Instant::now();
    let (st, _, body) = get(
        &format!("{}/film.mkv", c.base),
        Some(&format!("bytes={from}-{}", from + 999_999)),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(st, 206);
    assert_eq!(body, s.files[0].1[from..from + 1_000_000]);
    let took = asked.elapsed();
    eprintln!("{seeders} seeder(s): 1 MB of verified data served in {took:?} on a full disk");
    // Served while the disk was still full: streaming did not wait for room.
    let still = status(&c).await;
    assert!(
        still["error"]
            .as_str()
            .is_some_and(|e| e.contains("the disk is full")),
        "the disk was no longer full when the verified data had been served: {}",
        still["error"]
    );
    assert!(small.join("filler").exists());

    // Space comes back: the download goes on by itself to a byte-exact file.
    std::fs::remove_file(small.join("filler")).unwrap();
    let (st, _, body) = get(&format!("{}/film.mkv", c.base), None, Duration::from_secs(120)).await;
    assert_eq!(st, 200);
    assert_eq!(sha(&body), sha(&s.files[0].1));
    drop(c);
    drop(others);
}
