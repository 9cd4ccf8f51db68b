//! What our patches on the engine (patches/librqbit/) change, against real peers: a libtorrent
//! seeder (python3-libtorrent) as the other end, bt2p-tui as the client.

mod common;

use common::lt::{content, seeding_lt};
use common::*;

/// A seeder that rotates its unchoke slots: it unchokes every peer for 2 s, then chokes them all
/// for 2 s, and so on, as busy libtorrent seeders do. A choke drops the requests the peer held
/// (neither side speaks the Fast extension). The engine used to keep them counted in flight
/// and their pieces reserved, so after the first choke the stream waited for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_goes_on_through_a_seeder_that_chokes_and_unchokes() {
    let (dir, torrent, bytes) = content(4 * 1024 * 1024);
    let cycling = ["--seed-mode", "--upload-rate", "400000", "--choke-cycle", "2,2"];
    let lt = seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &cycling).await;
    let peer = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let c = client(&torrent, peer, &dir.path().join("dl"), &[]).await;

    let (status, _, body) = get(&format!("{}/film.mkv", c.base), None, DEADLINE).await;
    assert_eq!(status, 200);
    assert_eq!(sha(&body), sha(&bytes), "the stream is not the file");
    // 4 MiB at 400 kB/s, sent half of the time: the stream crossed several chokes.
    let chokes = lt.state()["chokes"].as_u64().unwrap_or(0);
    assert!(
        chokes >= 2,
        "the seeder choked {chokes} times while the file streamed"
    );
}

/// Peers with nothing to request wait for work; a player that starts or seeks elsewhere gives
/// them work at once. The engine used to leave them asleep until their next timer (up to 5 s),
/// so a seek's first piece waited for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_wakes_the_peers_that_have_nothing_to_do() {
    let (dir, torrent, bytes) = content(64 * 1024 * 1024);
    let lt = seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &["--seed-mode"]).await;
    let peer = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let log = [("RUST_LOG", "warn,librqbit::torrent_state::live=debug")];
    // On demand: only what the players read is fetched, so the peer idles once the first
    // player's window (the engine's 32 MiB) is there.
    let save = dir.path().join("dl");
    let c = client_with_env(&torrent, peer, &save, &["--on-demand"], &log).await;
    let _first = hold(&format!("{}/film.mkv", c.base)).await;
    wait_text(
        "the peer to idle",
        || c.stderr(),
        |t| t.contains("woken up by sleep timer"),
    )
    .await;

    let before = c.stderr().len();
    let from = 60 * 1024 * 1024;
    let range = format!("bytes={from}-");
    let url = format!("{}/film.mkv", c.base);
    let (status, _, body) = get(&url, Some(&range), DEADLINE).await;
    assert_eq!(status, 206);
    assert_eq!(
        sha(&body),
        sha(&bytes[from..]),
        "the seek's bytes are not the file's"
    );
    let log = c.stderr();
    assert!(
        log[before..].contains("woken up: the streams' priorities changed"),
        "the seek did not wake the idle peer; the log after it:\n{}",
        &log[before..]
    );
}
