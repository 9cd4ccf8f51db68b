//! libtorrent's own test torrents (tests/torrents/libtorrent, from arvidn/libtorrent's
//! test/test_torrents) through the real binary: each one loads or is refused exactly as
//! `verdicts.tsv` says, next to libtorrent's verdict; a refusal is one line, exit status 2, no
//! panic.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/torrents/libtorrent");

/// What the binary did with a torrent: it served it, or it exited with this status and stderr.
#[derive(Debug)]
enum Verdict {
    Loads,
    Refused(Option<i32>, String),
}

async fn verdict(torrent: &Path, work: &Path) -> Verdict {
    let save = work.join(torrent.file_name().unwrap());
    let mut c = spawn_client(torrent, &[], &save, &[], &[]);
    let status = format!("{}/status.json", c.base);
    wait_for(
        &format!("{} to load or be refused", torrent.display()),
        DEADLINE,
        async || {
            if let Some(st) = c.child.try_wait().unwrap() {
                return Ok(Verdict::Refused(st.code(), c.stderr()));
            }
            match http().get(&status).send().await {
                Ok(r) if r.status().is_success() => Ok(Verdict::Loads),
                _ => Err(c.stderr()),
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libtorrents_test_torrents_get_the_verdicts_on_record() {
    let table = std::fs::read_to_string(Path::new(CORPUS).join("verdicts.tsv")).unwrap();
    let rows: Vec<(String, String, String)> = table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect();
    assert!(
        rows.len() >= 100,
        "the corpus table lists {} torrents",
        rows.len()
    );
    let work = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    // A few at a time: each is a whole process with an engine session.
    for chunk in rows.chunks(4) {
        let runs = chunk.iter().map(|(name, _, _)| {
            let path: PathBuf = Path::new(CORPUS).join(name);
            let work = work.path().to_path_buf();
            async move { verdict(&path, &work).await }
        });
        let verdicts = futures::future::join_all(runs).await;
        for ((name, libtorrent, ours), v) in chunk.iter().zip(verdicts) {
            match (ours.as_str(), &v) {
                ("loads", Verdict::Loads) => {}
                ("refused", Verdict::Refused(code, err)) => {
                    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("bt2p-tui: ")).collect();
                    let clean = *code == Some(2) && lines.len() == 1 && !err.contains("panicked");
                    if !clean {
                        wrong.push(format!(
                            "{name}: refused without one clean message and status 2: {code:?} {err}"
                        ));
                    }
                }
                _ => wrong.push(format!(
                    "{name}: libtorrent {libtorrent}, on record {ours}, now {v:?}"
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} torrents differ:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}
