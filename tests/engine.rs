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
    seek_reads(&format!("{}/film.mkv", c.base), &bytes, 60 * 1024 * 1024).await;
    let log = c.stderr();
    assert!(
        log[before..].contains("woken up: the streams' priorities changed"),
        "the seek did not wake the idle peer; the log after it:\n{}",
        &log[before..]
    );
}

/// A seek makes a peer send the pieces under the new position next: the requests queued for
/// what the player left behind are cancelled. The engine used to leave them queued, so the new
/// position's pieces waited behind each peer's whole request window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_cancels_the_requests_for_what_the_player_left() {
    let (dir, torrent, bytes) = content(64 * 1024 * 1024);
    // 2 MB/s: the 64 MiB take half a minute, and half a second of it is 61 requests.
    let extra = ["--seed-mode", "--upload-rate", "2000000", "--peer-log"];
    let lt = seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &extra).await;
    let addr = format!("127.0.0.1:{}", lt.port);
    let save = dir.path().join("dl");
    let c = client(&torrent, addr.parse().unwrap(), &save, &[]).await;
    let url = format!("{}/film.mkv", c.base);
    let first = hold(&url).await;
    wait_status(&c, "requests in flight to the seeder", |st| {
        let p = st["peers"]
            .as_array()?
            .iter()
            .find(|p| p["addr"] == addr.as_str())?;
        (p["requests_in_flight"].as_u64()? >= 8).then_some(())
    })
    .await;
    let cancels = |s: &serde_json::Value| s["cancels"].as_u64().unwrap_or(0);
    assert_eq!(cancels(&lt.state()), 0, "CANCEL before any seek");

    // The player seeks to 48 MiB: it closes its connection and asks for a range there. What
    // a player still connected reads ahead is kept, so the seek comes once its stream is gone.
    drop(first);
    wait_status(&c, "the first connection to close", |st| {
        streams(st).is_empty().then_some(())
    })
    .await;
    seek_reads(&url, &bytes, 48 * 1024 * 1024).await;
    let seen = lt
        .wait("the seeder to receive CANCEL for the requests left behind", |s| {
            cancels(s) > 0
        })
        .await;
    eprintln!("CANCEL received by the seeder: {}", cancels(&seen));
}

/// Each peer's queue of requests holds about half a second of its own data: a slow peer gets a short
/// window, so a piece a player needs next is not queued behind many seconds of it, while a fast
/// peer keeps the full window. The engine used to give every peer the same 128 requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_sizes_each_peers_request_window() {
    let (dir, torrent, _) = content(32 * 1024 * 1024);
    let seed = dir.path().join("seed");
    let slow = seeding_lt(
        &torrent,
        &seed,
        "127.0.0.1",
        &["--seed-mode", "--upload-rate", "160000"],
    )
    .await;
    let fast = seeding_lt(
        &torrent,
        &seed,
        "127.0.0.1",
        &["--seed-mode", "--upload-rate", "4000000"],
    )
    .await;
    let (slow_addr, fast_addr) = (
        format!("127.0.0.1:{}", slow.port),
        format!("127.0.0.1:{}", fast.port),
    );
    let peers = [slow_addr.parse().unwrap(), fast_addr.parse().unwrap()];
    let save = dir.path().join("dl");
    let c = client_of(&torrent, &peers, &save, &[]).await;

    // Half a second of 160 kB/s is 5 requests of 16 KiB; of 4 MB/s, 122 (the cap is 128).
    let windows = wait_status(&c, "each peer's window to follow its rate", |st| {
        let window = |addr: &str| {
            st["peers"].as_array()?.iter().find(|p| p["addr"] == addr)?["request_window"].as_u64()
        };
        let (s, f) = (window(&slow_addr)?, window(&fast_addr)?);
        ((4..=24).contains(&s) && f >= 64).then_some((s, f))
    })
    .await;
    eprintln!(
        "request windows: slow peer {}, fast peer {}",
        windows.0, windows.1
    );
}

/// The piece a player waits on is fetched from every peer that has it, chunk by chunk, not from
/// whichever peer happened to take it first. The engine used to give a piece whole to one peer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_piece_a_player_waits_on_is_fetched_from_several_peers() {
    let len = 3 * 1024 * 1024;
    let (dir, torrent, bytes) = content(len);
    let seed = dir.path().join("seed");
    let slow = ["--seed-mode", "--upload-rate", "150000"];
    let a = seeding_lt(&torrent, &seed, "127.0.0.1", &slow).await;
    let b = seeding_lt(&torrent, &seed, "127.0.0.1", &slow).await;
    let peers = [a.port, b.port].map(|p| format!("127.0.0.1:{p}").parse().unwrap());
    let save = dir.path().join("dl");
    let c = client_of(&torrent, &peers, &save, &[]).await;

    let watching = player(&format!("{}/film.mkv", c.base), 0, len, DEADLINE);
    let fetchers = wait_status(&c, "two peers fetching the piece a player waits on", |st| {
        streams(st).iter().find_map(|s| {
            let who = s["piece_fetchers"].as_array()?;
            (s["waiting_ms"].is_u64() && who.len() >= 2).then(|| who.clone())
        })
    })
    .await;
    eprintln!("the piece under the player is fetched from {fetchers:?}");
    watching.assert_got(&bytes).await;
}

/// An idle connection is kept alive: a peer that drops connections silent for its timeout
/// (libtorrent's peer_timeout, 120 s by default) gets a keep-alive well within it. The engine
/// accepted a keep-alive interval and never passed it to torrent peers: they sent one every
/// 120 s, racing that timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_sends_keep_alives() {
    let (dir, torrent, _) = content(64 * 1024 * 1024);
    let seed = dir.path().join("seed");
    let lt = seeding_lt(
        &torrent,
        &seed,
        "127.0.0.1",
        &["--seed-mode", "--peer-timeout", "120", "--peer-log"],
    )
    .await;
    let peer = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    // On demand, a player that holds its connection without reading on: once its window is
    // here, neither side has anything to send.
    let c = client(&torrent, peer, &dir.path().join("dl"), &["--on-demand"]).await;
    let _paused = hold(&format!("{}/film.mkv", c.base)).await;
    lt.wait("a keep-alive from bt2p-tui", |s| {
        s["peers"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["keepalives"].as_u64().unwrap_or(0) > 0))
    })
    .await;
}

/// A player's seek: a Range request from `from` to the end of `url`, whose bytes must be the
/// file's (`bytes`).
async fn seek_reads(url: &str, bytes: &[u8], from: usize) {
    let range = format!("bytes={from}-");
    let (status, _, body) = get(url, Some(&range), DEADLINE).await;
    assert_eq!(status, 206);
    assert_eq!(
        sha(&body),
        sha(&bytes[from..]),
        "the seek's bytes are not the file's"
    );
}
