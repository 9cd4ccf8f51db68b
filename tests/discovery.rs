//! Finding peers nobody named: through a DHT, a UDP or HTTP tracker, or another peer's PEX; and
//! a given peer that was not there at first dialled again while seeding. libtorrent
//! (python3-libtorrent) and opentracker are the other ends; everything stays on loopback, and
//! the DHT is made of the test's own nodes.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::lt::{LtPeer, info_hash};
use common::*;

/// A file of `len` bytes and its .torrent (mktorrent, 256 KiB pieces), announcing to
/// `tracker` (None: a tracker nobody answers on), in a fresh folder.
fn content(len: usize, tracker: Option<&str>) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    require("mktorrent", "mktorrent");
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    let bytes = data(len, 23);
    std::fs::write(seed.join("film.mkv"), &bytes).unwrap();
    let torrent = dir.path().join("film.torrent");
    match tracker {
        None => mktorrent(&seed.join("film.mkv"), &torrent, 18),
        Some(url) => {
            let st = Command::new("mktorrent")
                .args(["-l", "18", "-a", url, "-o"])
                .arg(&torrent)
                .arg(seed.join("film.mkv"))
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success(), "mktorrent failed");
        }
    }
    (dir, torrent, bytes)
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// libtorrent seeding `torrent` from `seed`, once it says it seeds.
async fn seeding_lt(torrent: &Path, seed: &Path, extra: &[&str]) -> LtPeer {
    let args = [&["--torrent", arg(torrent), "--save", arg(seed)][..], extra].concat();
    let lt = LtPeer::start(&args, "127.0.0.1");
    lt.wait("libtorrent to seed", |s| s["seeding"] == true).await;
    lt
}

async fn assert_streams(c: &Client, want: &[u8]) {
    let (status, _, body) = get(&format!("{}/film.mkv", c.base), None, DEADLINE).await;
    assert_eq!(status, 200);
    assert_eq!(sha(&body), sha(want), "the stream is not the file");
}

/// status.json lists a peer at `addr` (`ip:port`, so a connection bt2p-tui made) that it has
/// had data from.
async fn wait_fetched_from(c: &Client, what: &str, addr: &str) {
    wait_peer(c, what, |p| {
        p["addr"] == addr && p["fetched_bytes"].as_u64() > Some(0)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_magnet_with_only_an_info_hash_is_resolved_through_the_dht() {
    let (dir, torrent, bytes) = content(3 * 1024 * 1024, None);
    let hash = info_hash(&torrent);
    // Three libtorrent nodes: a first one the others join through, a second one that only
    // takes part, and the seeder. libtorrent never puts the nodes it joined through in its
    // routing table, and librqbit's DHT learns nodes only from what the node it joins through
    // answers: the node bt2p-tui joins through must know the others.
    // Each joins once the one before is in place: a node that cannot reach its bootstrap node
    // at once tries again only much later.
    let first = LtPeer::start(&["--dht"], "127.0.0.1");
    first
        .wait("the first DHT node to start", |s| {
            s["listen_port"].as_u64() > Some(0)
        })
        .await;
    let join = format!("127.0.0.1:{}", first.port);
    let other = LtPeer::start(&["--dht", "--dht-bootstrap", &join], "127.0.0.1");
    first
        .wait("the first DHT node to know the second", |s| {
            s["dht_nodes"].as_u64() >= Some(1)
        })
        .await;
    let seed = dir.path().join("seed");
    let seeder = seeding_lt(
        &torrent,
        &seed,
        &["--dht", "--dht-bootstrap", &join, "--upload-rate", "1000000"],
    )
    .await;
    first
        .wait("the first DHT node to know both others", |s| {
            s["dht_nodes"].as_u64() >= Some(2)
        })
        .await;
    // The seeder's announce is kept by a node other than itself.
    other
        .wait("the seeder's announce stored in the DHT", |s| {
            s["dht_peers"].as_u64() >= Some(1)
        })
        .await;
    // Nothing but the info hash: no tracker, no peer.
    let magnet = format!("magnet:?xt=urn:btih:{hash}");
    let save = dir.path().join("dl");
    let args = [
        "--no-trackers",
        "--no-resume",
        "--bind",
        "127.0.0.1",
        "--dht-bootstrap",
        &join,
    ];
    let c = started(Path::new(&magnet), &save, &args).await;
    let seeder_addr = format!("127.0.0.1:{}", seeder.port);
    wait_fetched_from(&c, "the seeder found through the DHT", &seeder_addr).await;
    assert_streams(&c, &bytes).await;
}

/// The binary with exactly `args` (besides its ports and save path), once its HTTP server
/// answers: the options `spawn_client` always adds would keep trackers and the DHT off.
async fn started(source: &Path, save: &Path, args: &[&str]) -> Client {
    wait_up(spawn_bin(source, args, save, &[("RUST_LOG", "info")])).await
}

/// opentracker (Debian) on UDP and TCP port `port` of 127.0.0.1, tracking only `hash`.
async fn opentracker(work: &Path, hash: &str, port: u16) -> Killed {
    require("opentracker", "opentracker");
    // Debian's opentracker serves only the torrents of its whitelist.
    std::fs::write(work.join("whitelist"), format!("{hash}\n")).unwrap();
    let p = port.to_string();
    let child = Command::new("opentracker")
        .args(["-i", "127.0.0.1", "-p", &p, "-P", &p, "-d"])
        .arg(work)
        .args(["-w", "whitelist"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut tracker = Killed(child);
    wait_listening(&mut tracker, "opentracker", port).await;
    tracker
}

/// Waits until the tracker at `port` counts a seeder of `hash` (its HTTP scrape).
async fn wait_tracker_seeder(port: u16, hash: &str) {
    let escaped: String = (0..hash.len())
        .step_by(2)
        .map(|i| format!("%{}", &hash[i..i + 2]))
        .collect();
    let url = format!("http://127.0.0.1:{port}/scrape?info_hash={escaped}");
    wait_for("the tracker to count the seeder", DEADLINE, async || {
        let body = http()
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .bytes()
            .await
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if text.contains("8:completei1e") {
            Ok(())
        } else {
            Err(text)
        }
    })
    .await
}

/// A seeder that announces to an opentracker on `scheme` (`udp`, `http`), and bt2p-tui given
/// only the .torrent, trackers on: it streams the file from the peer the tracker names.
async fn streams_from_a_peer_a_tracker_names(scheme: &str) {
    let port = free_port().unwrap();
    let url = format!("{scheme}://127.0.0.1:{port}/announce");
    let (dir, torrent, bytes) = content(3 * 1024 * 1024, Some(&url));
    let hash = info_hash(&torrent);
    let _tracker = opentracker(dir.path(), &hash, port).await;
    // Held to 1 MB/s, so that it is still connected when status.json is read.
    let seeder = seeding_lt(&torrent, &dir.path().join("seed"), &["--upload-rate", "1000000"]).await;
    wait_tracker_seeder(port, &hash).await;
    let save = dir.path().join("dl");
    // No --peer, no --no-trackers; no DHT or local discovery either (nor multicast on the
    // host's interfaces), so the tracker is the only source.
    let args = ["--no-dht", "--no-lsd", "--no-resume", "--bind", "127.0.0.1"];
    let c = started(&torrent, &save, &args).await;
    // The seeder's own count: bt2p-tui drops a seeder once it has the whole file, so on a busy
    // machine status.json may never be seen listing it.
    seeder
        .wait("the seeder the tracker named to send the file", |s| {
            s["uploaded"].as_u64() >= Some(bytes.len() as u64)
        })
        .await;
    assert_streams(&c, &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_named_by_a_udp_tracker_is_streamed_from() {
    streams_from_a_peer_a_tracker_names("udp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_named_by_an_http_tracker_is_streamed_from() {
    streams_from_a_peer_a_tracker_names("http").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_learned_only_through_pex_is_streamed_from() {
    let (dir, torrent, bytes) = content(3 * 1024 * 1024, None);
    // A seeds, held to 1 MB/s so that it is still connected when status.json is read.
    let a = seeding_lt(&torrent, &dir.path().join("seed"), &["--upload-rate", "1000000"]).await;
    let a_addr = format!("127.0.0.1:{}", a.port);
    // B has nothing yet and takes it from A slowly: bt2p-tui can only get the file from A.
    let b_save = dir.path().join("b");
    std::fs::create_dir_all(&b_save).unwrap();
    let b = LtPeer::start(
        &[
            "--torrent",
            arg(&torrent),
            "--save",
            arg(&b_save),
            "--peer",
            &a_addr,
            "--download-rate",
            "20000",
            "--upload-rate",
            "20000",
        ],
        "127.0.0.1",
    );
    // B's first PEX message to a new peer lists the peers it has then; the next one comes a
    // minute later.
    b.wait("B to connect to A", |s| LtPeer::connected_to(s, &a_addr))
        .await;
    let b_addr: SocketAddr = format!("127.0.0.1:{}", b.port).parse().unwrap();
    // bt2p-tui knows only B.
    let c = client(&torrent, b_addr, &dir.path().join("dl"), &[]).await;
    wait_fetched_from(&c, "A, learned through B's PEX", &a_addr).await;
    assert_streams(&c, &bytes).await;
    assert!(
        b.state()["progress"].as_f64() < Some(1.0),
        "B got the whole file: bt2p-tui might have had it from B alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_peer_that_was_not_there_yet_is_dialled_again_while_seeding() {
    let (dir, torrent, bytes) = content(3 * 1024 * 1024, None);
    // Nothing listens on the leecher's port yet.
    let port = free_port().unwrap();
    let leecher: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let seed = dir.path().join("seed");
    let c = client_with_env(&torrent, leecher, &seed, &[], &[("RUST_LOG", "info")]).await;
    wait_status(&c, "bt2p-tui to seed", |st| {
        (st["state"] == "seeding").then_some(())
    })
    .await;
    // The first dial failed and bt2p-tui has given up on the peer for now.
    wait_text(
        "bt2p-tui to dial the given peers again",
        || c.stderr(),
        |log| log.contains("asking for peers again"),
    )
    .await;
    // Now the leecher comes, and dials nobody.
    let leech = dir.path().join("leech");
    std::fs::create_dir_all(&leech).unwrap();
    let lt = LtPeer::start_on(
        &["--torrent", arg(&torrent), "--save", arg(&leech)],
        "127.0.0.1",
        port,
    );
    lt.wait("the leecher to complete", |s| s["seeding"] == true).await;
    assert_eq!(std::fs::read(leech.join("film.mkv")).unwrap(), bytes);
}
