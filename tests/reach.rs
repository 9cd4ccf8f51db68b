//! Reaching the peers real swarms have, with libtorrent (python3-libtorrent) as the other end:
//! uTP (also for a peer whose TCP drops connections), IPv6, peers named in a magnet link, a
//! SOCKS5 proxy (to a seeder that requires encryption), and a stall that names its cause.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use common::lt::{LtPeer, content, seeding_lt};
use common::*;

async fn assert_streams(c: &Client, want: &[u8]) {
    let (status, _, body) = get(&format!("{}/film.mkv", c.base), None, DEADLINE).await;
    assert_eq!(status, 200);
    assert_eq!(sha(&body), sha(want), "the stream is not the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_to_a_libtorrent_leecher_with_default_settings_over_utp() {
    let (dir, torrent, bytes) = content(6 * 1024 * 1024);
    let seeder = start_seeding(&torrent, &dir.path().join("seed")).await;
    let leech = dir.path().join("leech");
    std::fs::create_dir_all(&leech).unwrap();
    // libtorrent's defaults: uTP first, encryption offered (and plaintext accepted).
    let peer = format!("127.0.0.1:{}", seeder.listen.port());
    let args = [
        "--torrent",
        torrent.to_str().unwrap(),
        "--save",
        leech.to_str().unwrap(),
        "--encryption",
        "enabled",
        "--peer",
        &peer,
    ];
    // Held to 1 MB/s, so both ends can be looked at while it downloads.
    let args = [&args[..], &["--download-rate", "1000000"]].concat();
    let lt = LtPeer::start(&args, "127.0.0.1");
    lt.wait("libtorrent to connect over uTP", |s| {
        s["peers"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["utp"] == true))
    })
    .await;
    wait_peer(&seeder, "the leecher listed as a uTP peer", |p| {
        p["transport"] == "utp"
    })
    .await;
    lt.wait("libtorrent to finish downloading", |s| s["seeding"] == true)
        .await;
    assert_eq!(std::fs::read(leech.join("film.mkv")).unwrap(), bytes);
}

/// bt2p-tui seeding `torrent` from `seed`, listening on all addresses.
async fn start_seeding(torrent: &Path, seed: &Path) -> Client {
    let c = lone_client(torrent, seed, &[]).await;
    wait_status(&c, "bt2p-tui to seed", |st| {
        (st["state"] == "seeding").then_some(())
    })
    .await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_from_a_libtorrent_seeder_on_ipv6_loopback() {
    let (dir, torrent, bytes) = content(3 * 1024 * 1024);
    // Slow enough that the peer is still connected when status.json is read.
    let lt = seeding_lt(
        &torrent,
        &dir.path().join("seed"),
        "[::1]",
        &["--upload-rate", "1000000"],
    )
    .await;
    let peer: SocketAddr = format!("[::1]:{}", lt.port).parse().unwrap();
    let c = client(&torrent, peer, &dir.path().join("dl"), &[]).await;
    wait_peer(&c, "the seeder connected over IPv6", |p| {
        p["addr"].as_str().is_some_and(|a| a.contains("::1"))
    })
    .await;
    // The only peer it knows is on ::1: the file came over IPv6.
    assert_streams(&c, &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_magnet_links_own_peers_are_dialled() {
    let (dir, torrent, bytes) = content(3 * 1024 * 1024);
    let lt = seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &[]).await;
    let info = Command::new("transmission-show").arg(&torrent).output().unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    let hash = text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Hash: ")
                .or_else(|| l.trim().strip_prefix("Hash v1: "))
        })
        .expect("transmission-show names the info hash")
        .trim()
        .to_string();
    let magnet = format!(
        "magnet:?xt=urn:btih:{hash}&dn=film.mkv&x.pe=127.0.0.1:{}",
        lt.port
    );
    let save = dir.path().join("dl");
    // No --peer: the only peer it can know is the one the link names.
    let c = lone_client(Path::new(&magnet), &save, &[]).await;
    assert_streams(&c, &bytes).await;
}

/// libtorrent with TCP off still takes TCP connections and drops them at the handshake. With
/// the default options the peer is dialled over uTP next, and the stream is the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeder_that_drops_tcp_is_reached_over_utp_without_asking() {
    let (dir, torrent, bytes) = content(2 * 1024 * 1024);
    // Throttled, so the connection is still up when status.json is read.
    let slow = ["--no-tcp", "--upload-rate", "262144"];
    let lt = seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &slow).await;
    let peer: SocketAddr = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let c = client(&torrent, peer, &dir.path().join("dl"), &[]).await;
    let seeder = wait_peer(&c, "the seeder connected", |p| p["transport"].is_string()).await;
    assert_eq!(seeder["transport"], "utp", "{seeder}");
    assert_streams(&c, &bytes).await;
}

/// With uTP turned off, the same seeder cannot be reached, and the stall says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_utp_names_itself_as_the_likely_cause_of_a_stall() {
    let (dir, torrent, _) = content(1024 * 1024);
    let lt = seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &["--no-tcp"]).await;
    let peer: SocketAddr = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let c = client(&torrent, peer, &dir.path().join("dl"), &["--no-utp"]).await;
    let cause = wait_status(&c, "status.json to name the stall", |st| {
        st["stall"].as_str().map(str::to_string)
    })
    .await;
    assert!(cause.contains("1 peer seen, 0 connected"), "{cause}");
    assert!(cause.contains("--no-utp turns them away"), "{cause}");
    assert!(!cause.contains("encrypt"), "{cause}");
    wait_text(
        "the stall in the log",
        || c.stderr(),
        |log| log.contains("stalled: 1 peer seen"),
    )
    .await;
    wait_text(
        "the stall in the status line",
        || c.stderr(),
        |log| {
            log.lines()
                .any(|l| l.starts_with('[') && l.contains("stalled: 1 peer seen"))
        },
    )
    .await;
}

/// With `--prefer-utp` the same uTP-only seeder is dialled over uTP at once: the stream is the
/// file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefer_utp_reaches_a_seeder_that_drops_tcp() {
    let (dir, torrent, bytes) = content(2 * 1024 * 1024);
    // Throttled, so the connection is still up when status.json is read.
    let slow = ["--no-tcp", "--upload-rate", "262144"];
    let lt = seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &slow).await;
    let peer: SocketAddr = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let c = client(&torrent, peer, &dir.path().join("dl"), &["--prefer-utp"]).await;
    let seeder = wait_peer(&c, "the seeder connected", |p| p["transport"].is_string()).await;
    assert_eq!(seeder["transport"], "utp", "{seeder}");
    assert_streams(&c, &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_are_reached_through_a_socks5_proxy() {
    require("microsocks", "microsocks");
    let (dir, torrent, bytes) = content(3 * 1024 * 1024);
    // A seeder that requires encryption: the encrypted handshake goes through the proxy too.
    let lt = seeding_lt(
        &torrent,
        &dir.path().join("seed"),
        "127.0.0.1",
        &["--upload-rate", "1000000", "--encryption", "forced", "--rc4"],
    )
    .await;
    let proxy_port = free_port().unwrap();
    let proxy_log = dir.path().join("microsocks.log");
    let mut proxy = Killed(
        Command::new("microsocks")
            .args(["-i", "127.0.0.1", "-p", &proxy_port.to_string()])
            .stdout(Stdio::null())
            // It logs each connection on stderr.
            .stderr(std::fs::File::create(&proxy_log).map(Stdio::from).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_listening(&mut proxy, "microsocks", proxy_port).await;
    let peer: SocketAddr = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let proxy_url = format!("socks5://127.0.0.1:{proxy_port}");
    let c = client(&torrent, peer, &dir.path().join("dl"), &["--proxy", &proxy_url]).await;
    wait_peer(&c, "the seeder connected through SOCKS5, encrypted", |p| {
        p["transport"] == "socks" && p["encrypted"] == true
    })
    .await;
    assert_streams(&c, &bytes).await;
    // The proxy's own log has the connection to the seeder.
    let to_seeder = format!("connected to 127.0.0.1:{}", lt.port);
    wait_text(
        "microsocks to log the connection to the seeder",
        || std::fs::read_to_string(&proxy_log).unwrap_or_default(),
        |log| log.contains(&to_seeder),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_with_bittorrent_traffic_bound_to_the_loopback_interface() {
    // SO_BINDTODEVICE needs CAP_NET_RAW: root here, as in CI.
    let s = swarm("t", &[("film.mkv", 2 * 1024 * 1024)], 64 * 1024, None).await;
    let c = client(
        &s.torrent_path,
        s.seeder.addr,
        &s.dir.path().join("dl"),
        &["--interface", "lo"],
    )
    .await;
    assert_streams(&c, &s.files[0].1).await;
}
