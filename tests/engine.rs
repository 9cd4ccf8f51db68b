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
