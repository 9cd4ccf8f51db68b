//! kill -9 at 10 %, 50 % and 90 %, then a restart on the same folders: what was verified
//! stays verified, and the file ends byte-exact.

mod common;

use std::time::{Duration, Instant};

use common::*;

const PIECE: u32 = 256 * 1024;
const PIECES: u64 = 128;

async fn have(c: &Client) -> (u64, usize, String) {
    let st = status(c).await;
    (
        st["have_pieces"].as_u64().unwrap_or(0),
        st["receiving"].as_array().map(|a| a.len()).unwrap_or(0),
        st["state"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_verified_piece() {
    let len = PIECES as usize * PIECE as usize - 1000;
    let s = swarm("t", &[("film.mkv", len)], PIECE, Some(4 * 1024 * 1024)).await;
    let save = s.dir.path().join("dl");
    let resume = s.dir.path().join("resume");
    let resume_arg = resume.to_str().unwrap().to_string();
    let args = ["--resume", resume_arg.as_str()];
    let mut report = Vec::new();
    for pct in [10u64, 50, 90] {
        let mut c = client(&s.torrent_path, s.seeder.addr, &save, &args).await;
        // Wait for the mark; remember what was verified and what was in flight just before.
        let (killed_at, in_flight) = wait_for(&format!("{pct} % verified"), DEADLINE, async || {
            let (h, r, _) = have(&c).await;
            if h * 100 >= PIECES * pct {
                Ok((h, r))
            } else {
                Err(h)
            }
        })
        .await;
        c.child.kill().unwrap(); // SIGKILL
        c.child.wait().unwrap();

        let c = client(&s.torrent_path, s.seeder.addr, &save, &args).await;
        let started = Instant::now();
        let after = wait_for("the restart's check of existing data", DEADLINE, async || {
            let (h, _, state) = have(&c).await;
            if state != "checking" && !state.is_empty() {
                Ok(h)
            } else {
                Err(state)
            }
        })
        .await;
        let lost = killed_at.saturating_sub(after);
        report.push(format!(
            "killed at {pct} % with {killed_at} pieces ({in_flight} in flight); after restart {after} (lost {lost}), ready in {:.2} s",
            started.elapsed().as_secs_f64()
        ));
        assert!(
            lost <= 1,
            "{} verified pieces were lost by kill -9 at {pct} %: {report:?}",
            lost
        );
        drop(c);
    }
    eprintln!("{}", report.join("\n"));
    // The last run finishes the file, byte-exact.
    let c = client(&s.torrent_path, s.seeder.addr, &save, &args).await;
    let (st, _, body) = get(&format!("{}/film.mkv", c.base), None, Duration::from_secs(90)).await;
    assert_eq!(st, 200);
    assert_eq!(sha(&body), sha(&s.files[0].1));
}

fn resume_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(resume_files(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// Resume data that lies (all pieces claimed) or is cut short: a warning, a full check, and the
/// download still ends byte-exact. A byte flipped on disk is caught by --recheck.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_resume_data_and_flipped_bytes_are_caught() {
    let len = 40 * PIECE as usize + 123;
    let s = swarm("t", &[("film.mkv", len)], PIECE, Some(4 * 1024 * 1024)).await;
    let save = s.dir.path().join("dl");
    let resume = s.dir.path().join("resume");
    let resume_arg = resume.to_str().unwrap().to_string();
    let args = ["--resume", resume_arg.as_str()];
    let url = |c: &Client| format!("{}/film.mkv", c.base);

    // Half the file, then kill.
    let mut c = client(&s.torrent_path, s.seeder.addr, &save, &args).await;
    let (st, _, _) = get(&url(&c), Some("bytes=0-5000000"), Duration::from_secs(60)).await;
    assert_eq!(st, 206);
    c.child.kill().unwrap();
    c.child.wait().unwrap();
    for (label, damage) in [("lying", 0xffu8), ("truncated", 0)] {
        for f in resume_files(&resume) {
            if label == "lying" {
                let n = std::fs::read(&f).unwrap().len();
                std::fs::write(&f, vec![damage; n]).unwrap();
            } else {
                std::fs::write(&f, [damage]).unwrap();
            }
        }
        let c = client(&s.torrent_path, s.seeder.addr, &save, &args).await;
        let (st, _, body) = get(&url(&c), None, Duration::from_secs(90)).await;
        assert_eq!(st, 200, "{label} resume data");
        assert_eq!(
            sha(&body),
            sha(&s.files[0].1),
            "{label} resume data: wrong bytes served"
        );
        drop(c);
    }

    // Complete now. Flip a byte on disk while stopped; --recheck finds it and fetches it again.
    let data = save.join("film.mkv");
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[len / 2] ^= 0xff;
    std::fs::write(&data, &bytes).unwrap();
    let recheck = ["--resume", resume_arg.as_str(), "--recheck"];
    let c = client(&s.torrent_path, s.seeder.addr, &save, &recheck).await;
    let (st, _, body) = get(&url(&c), None, Duration::from_secs(90)).await;
    assert_eq!(st, 200);
    assert_eq!(
        sha(&body),
        sha(&s.files[0].1),
        "a flipped byte was served after --recheck"
    );
}
