//! Message stream encryption (MSE/PE) with peers that insist on it, libtorrent
//! (python3-libtorrent) as the other end: as seeder and as leecher, over TCP and uTP, and
//! `--encryption require` turning plaintext peers away.

mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::lt::{LtPeer, content, seeding_lt};
use common::*;

async fn assert_streams(c: &Client, want: &[u8]) {
    let (status, _, body) = get(&format!("{}/film.mkv", c.base), None, DEADLINE).await;
    assert_eq!(status, 200);
    assert_eq!(sha(&body), sha(want), "the stream is not the file");
}

/// A libtorrent seeder that accepts only encrypted connections, RC4 for the whole stream,
/// held to 1 MB/s so that it is still connected when status.json is read.
async fn encrypting_seeder(torrent: &Path, seed: &Path, extra: &[&str]) -> LtPeer {
    let args = [
        &["--encryption", "forced", "--rc4", "--upload-rate", "1000000"],
        extra,
    ]
    .concat();
    seeding_lt(torrent, seed, "127.0.0.1", &args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_from_a_seeder_that_requires_encryption() {
    let (dir, torrent, bytes) = content(3 * 1024 * 1024);
    let lt = encrypting_seeder(&torrent, &dir.path().join("seed"), &["--no-utp"]).await;
    let peer: SocketAddr = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    // The default, --encryption prefer.
    let c = client(&torrent, peer, &dir.path().join("dl"), &[]).await;
    wait_peer(&c, "the seeder listed as an encrypted TCP peer", |p| {
        p["encrypted"] == true && p["transport"] == "tcp"
    })
    .await;
    lt.wait("libtorrent to list an encrypted peer", |s| {
        s["peers"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["encrypted"] == true))
    })
    .await;
    assert_streams(&c, &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_from_a_seeder_that_requires_encryption_over_utp() {
    let (dir, torrent, bytes) = content(3 * 1024 * 1024);
    let lt = encrypting_seeder(&torrent, &dir.path().join("seed"), &["--no-tcp"]).await;
    let peer: SocketAddr = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let c = client(&torrent, peer, &dir.path().join("dl"), &["--prefer-utp"]).await;
    wait_peer(&c, "the seeder listed as an encrypted uTP peer", |p| {
        p["encrypted"] == true && p["transport"] == "utp"
    })
    .await;
    assert_streams(&c, &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_to_a_leecher_that_requires_encryption() {
    let (dir, torrent, bytes) = content(6 * 1024 * 1024);
    let seeder = lone_client(&torrent, &dir.path().join("seed"), &[]).await;
    wait_status(&seeder, "bt2p-tui to seed", |st| {
        (st["state"] == "seeding").then_some(())
    })
    .await;
    let leech = dir.path().join("leech");
    std::fs::create_dir_all(&leech).unwrap();
    let peer = format!("127.0.0.1:{}", seeder.listen.port());
    let args = [
        "--torrent",
        torrent.to_str().unwrap(),
        "--save",
        leech.to_str().unwrap(),
        "--encryption",
        "forced",
        "--rc4",
        "--no-utp",
        "--peer",
        &peer,
        "--download-rate",
        "1000000",
    ];
    let lt = LtPeer::start(&args, "127.0.0.1");
    wait_peer(&seeder, "the leecher listed as an encrypted peer", |p| {
        p["encrypted"] == true
    })
    .await;
    lt.wait("libtorrent to finish downloading", |s| s["seeding"] == true)
        .await;
    assert_eq!(std::fs::read(leech.join("film.mkv")).unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_turns_plaintext_peers_away_and_says_so() {
    let (dir, torrent, _) = content(1024 * 1024);
    let plain = seeding_lt(
        &torrent,
        &dir.path().join("seed"),
        "127.0.0.1",
        &["--encryption", "disabled", "--no-utp"],
    )
    .await;
    let peer: SocketAddr = format!("127.0.0.1:{}", plain.port).parse().unwrap();
    let c = client(
        &torrent,
        peer,
        &dir.path().join("dl"),
        &["--encryption", "require"],
    )
    .await;
    // While it still tries (uTP after TCP), the stall says "connecting"; then it names the cause.
    let cause = wait_status(&c, "status.json to name the stall's cause", |st| {
        st["stall"]
            .as_str()
            .filter(|s| s.contains("turns them away"))
            .map(str::to_string)
    })
    .await;
    assert!(cause.starts_with("1 peer seen, 0 connected"), "{cause}");
    assert!(
        cause.contains(": it may not encrypt (--encryption require turns them away)"),
        "{cause}"
    );
    let lt_side = plain.state();
    assert!(
        lt_side["peers"].as_array().is_none_or(|p| p.is_empty()),
        "the plaintext peer is still connected: {lt_side}"
    );
}
