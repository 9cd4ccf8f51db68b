//! The interop matrix: libtorrent (python3-libtorrent), Transmission (transmission-daemon),
//! qBittorrent (qbittorrent-nox) and aria2c, each as the seeder bt2p-tui streams from and as the
//! leecher bt2p-tui seeds to, over TCP, uTP and IPv6 (`::1`), and, over TCP and uTP, with the
//! other client requiring encryption (MSE/PE, RC4 throughout). Every transfer is checked byte
//! for byte (sha256 of the HTTP body, or of the leecher's file), and the transport that carried
//! it is read from bt2p-tui's `peers[].transport` while the data flows (bt2p-tui's own rate
//! limit keeps the transfer going long enough to be seen), and from the other side where the
//! client reports it. Each peer runs on 127.0.0.1 or ::1 only, with DHT, local discovery, PEX
//! and port mapping off, in a folder of its own, and is killed by its PID when its cell ends.
//! Built only with `--features interop`.
#![cfg(feature = "interop")]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use serde_json::{Value, json};

use common::lt::LtPeer;
use common::*;

/// How the bytes travel between bt2p-tui and the other client.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Net {
    /// TCP over 127.0.0.1; the other client has uTP off (aria2c has none).
    Tcp,
    /// uTP over 127.0.0.1; the other client has TCP off where it can, and dials bt2p-tui.
    Utp,
    /// IPv6 loopback: the other client listens on ::1 only.
    Ipv6,
}

impl Net {
    /// The other client's address, as it is written in a listen option.
    fn ip(self) -> &'static str {
        match self {
            Net::Ipv6 => "::1",
            _ => "127.0.0.1",
        }
    }

    fn addr(self, port: u16) -> SocketAddr {
        SocketAddr::new(self.ip().parse().unwrap(), port)
    }

    /// Whether a peer of bt2p-tui's status.json is connected the way this cell needs.
    fn carries(self, p: &Value) -> bool {
        let addr = p["addr"].as_str().unwrap_or_default();
        match self {
            Net::Tcp => p["transport"] == "tcp" && addr.starts_with("127.0.0.1:"),
            Net::Utp => p["transport"] == "utp" && addr.starts_with("127.0.0.1:"),
            Net::Ipv6 => addr.starts_with("[::1]:") && p["transport"] != "socks",
        }
    }
}

/// bt2p-tui's rate in every cell: 4 MiB take about 4 s, long enough to see who carries them.
const RATE: &str = "1MiB";
const LEN: usize = 4 << 20;

/// One cell's data: a file, its .torrent (mktorrent, 256 KiB pieces, a tracker nobody answers
/// on), and folders for both ends; and whether the other client requires encryption.
struct Cell {
    dir: tempfile::TempDir,
    torrent: PathBuf,
    bytes: Vec<u8>,
    encrypted: bool,
}

impl Cell {
    /// A cell whose other client requires encryption: bt2p-tui's peer must be listed as
    /// encrypted (RC4) while the data flows.
    fn encrypted(seed: u64) -> Cell {
        Cell {
            encrypted: true,
            ..Cell::new(seed)
        }
    }

    /// Whether a peer of bt2p-tui's status.json carries this cell's transfer.
    fn carries(&self, net: Net, p: &Value) -> bool {
        net.carries(p) && (!self.encrypted || p["encrypted"] == true)
    }

    fn new(seed: u64) -> Cell {
        require("mktorrent", "mktorrent");
        let dir = tempfile::tempdir().unwrap();
        let seed_dir = dir.path().join("seed");
        std::fs::create_dir_all(&seed_dir).unwrap();
        std::fs::create_dir_all(dir.path().join("dl")).unwrap();
        let bytes = data(LEN, seed);
        std::fs::write(seed_dir.join("film.mkv"), &bytes).unwrap();
        let torrent = dir.path().join("film.torrent");
        let st = Command::new("mktorrent")
            .args(["-l", "18", "-a", "http://127.0.0.1:1/announce", "-o"])
            .arg(&torrent)
            .arg(seed_dir.join("film.mkv"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "mktorrent failed");
        Cell {
            dir,
            torrent,
            bytes,
            encrypted: false,
        }
    }

    fn seed(&self) -> PathBuf {
        self.dir.path().join("seed")
    }

    fn dl(&self) -> PathBuf {
        self.dir.path().join("dl")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// bt2p-tui downloading into `dl`, dialling `peers`, at `RATE`.
    async fn leecher(&self, peers: &[SocketAddr]) -> Client {
        let save = self.dl();
        let extra = ["--download-limit", RATE];
        wait_up(spawn_client(
            &self.torrent,
            peers,
            &save,
            &extra,
            &[("RUST_LOG", "warn")],
        ))
        .await
    }

    /// bt2p-tui seeding the complete file in `seed`, dialling `peers`, at `RATE`.
    async fn seeder(&self, peers: &[SocketAddr]) -> Client {
        let save = self.seed();
        let extra = ["--upload-limit", RATE];
        let c = wait_up(spawn_client(
            &self.torrent,
            peers,
            &save,
            &extra,
            &[("RUST_LOG", "warn")],
        ))
        .await;
        wait_status(&c, "bt2p-tui to seed", |st| {
            (st["state"] == "seeding").then_some(())
        })
        .await;
        c
    }

    /// bt2p-tui, the leecher, streams the file over HTTP byte-exact, and `net` carried it.
    async fn assert_streamed(&self, c: &Client, net: Net, who: &str) {
        let url = format!("{}/film.mkv", c.base);
        let body = tokio::spawn(async move { get(&url, None, DEADLINE).await });
        let peer = wait_peer(c, &format!("{who} sending over {net:?}"), |p| {
            self.carries(net, p) && p["fetched_bytes"].as_u64() > Some(0)
        })
        .await;
        // A stream that stops is reported with what bt2p-tui saw then: its pieces in flight,
        // its peers and its log.
        let (status, _, body) = match body.await {
            Ok(got) => got,
            Err(e) => panic!(
                "{who} over {net:?}: the stream failed ({e}); status.json: {}\nbt2p-tui's log: {}",
                status(c).await,
                c.stderr()
            ),
        };
        assert_eq!(status, 200, "{who} over {net:?}");
        assert!(
            sha(&body) == sha(&self.bytes),
            "{who} over {net:?}: the stream is not the file (peer {peer})"
        );
    }

    /// bt2p-tui, the seeder, sends over `net` to `who`.
    async fn assert_uploading(&self, c: &Client, net: Net, who: &str) -> Value {
        wait_peer(c, &format!("{who} receiving over {net:?}"), |p| {
            self.carries(net, p) && p["uploaded_bytes"].as_u64() > Some(0)
        })
        .await
    }

    /// The leecher's copy, once `done` says it has finished, is the file.
    fn assert_received(&self, who: &str, net: Net) {
        let got = std::fs::read(self.dl().join("film.mkv")).unwrap();
        assert!(
            got == self.bytes,
            "{who} over {net:?}: the downloaded file differs"
        );
    }
}

/// Waits until something listens for TCP at `addr`; `process` must not exit meanwhile.
async fn wait_listening_at(process: &mut Killed, name: &str, addr: SocketAddr) {
    wait_for(&format!("{name} to listen on {addr}"), DEADLINE, async || {
        if let Ok(Some(st)) = process.0.try_wait() {
            panic!("{name} exited with {st}");
        }
        tokio::net::TcpStream::connect(addr).await.map(drop)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// libtorrent

/// lt_peer.py options for `net`: TCP only, uTP only, or both on ::1.
fn lt_transport(net: Net) -> &'static [&'static str] {
    match net {
        Net::Tcp => &["--no-utp"],
        Net::Utp => &["--no-tcp"],
        Net::Ipv6 => &[],
    }
}

fn lt_listen(net: Net) -> &'static str {
    match net {
        Net::Ipv6 => "[::1]",
        _ => "127.0.0.1",
    }
}

/// lt_peer.py options for the cell's encryption: forced, RC4 throughout.
fn lt_encryption(cell: &Cell) -> &'static [&'static str] {
    match cell.encrypted {
        true => &["--encryption", "forced", "--rc4"],
        false => &[],
    }
}

/// Whether libtorrent's own state has a peer connected over `net` (encrypted, if the cell
/// says so) that moved data.
fn lt_sees(state: &Value, net: Net, cell: &Cell) -> bool {
    state["peers"].as_array().is_some_and(|peers| {
        peers.iter().any(|p| {
            let ip = p["ip"].as_str().unwrap_or_default();
            let moved = p["down"].as_u64() > Some(0) || p["up"].as_u64() > Some(0);
            moved
                && (!cell.encrypted || p["encrypted"] == true)
                && match net {
                    Net::Tcp => p["utp"] == false && ip.starts_with("127.0.0.1:"),
                    Net::Utp => p["utp"] == true && ip.starts_with("127.0.0.1:"),
                    Net::Ipv6 => ip.starts_with("::1:"),
                }
        })
    })
}

/// libtorrent seeds, bt2p-tui streams: the cell's bytes over `net`, seen from both sides.
async fn libtorrent_seeds(cell: &Cell, net: Net) {
    let seed = cell.seed();
    let mut args = vec![
        "--torrent",
        cell.torrent.to_str().unwrap(),
        "--save",
        seed.to_str().unwrap(),
    ];
    args.extend_from_slice(lt_transport(net));
    args.extend_from_slice(lt_encryption(cell));
    // uTP: libtorrent dials bt2p-tui (which tries TCP first and gives up on a peer whose TCP
    // accepts and hangs up); TCP and IPv6: bt2p-tui dials libtorrent.
    let (c, lt) = if net == Net::Utp {
        let c = cell.leecher(&[]).await;
        let to = c.listen.to_string();
        args.extend(["--peer", &to]);
        (c, LtPeer::start(&args, lt_listen(net)))
    } else {
        let lt = LtPeer::start(&args, lt_listen(net));
        lt.wait("libtorrent to seed", |s| s["seeding"] == true).await;
        (cell.leecher(&[net.addr(lt.port)]).await, lt)
    };
    let what = format!("libtorrent sending over {net:?}");
    let seen = lt.wait(&what, |s| lt_sees(s, net, cell));
    tokio::join!(cell.assert_streamed(&c, net, "libtorrent"), seen);
}

/// bt2p-tui seeds, libtorrent leeches: the cell's bytes over `net`, seen from both sides.
async fn libtorrent_leeches(cell: &Cell, net: Net) {
    let dl = cell.dl();
    let mut args = vec![
        "--torrent",
        cell.torrent.to_str().unwrap(),
        "--save",
        dl.to_str().unwrap(),
    ];
    args.extend_from_slice(lt_transport(net));
    args.extend_from_slice(lt_encryption(cell));
    let (c, lt) = if net == Net::Utp {
        let c = cell.seeder(&[]).await;
        let to = c.listen.to_string();
        args.extend(["--peer", &to]);
        (c, LtPeer::start(&args, lt_listen(net)))
    } else {
        let lt = LtPeer::start(&args, lt_listen(net));
        lt.wait("libtorrent to listen", |s| s["listen_port"].as_u64() > Some(0))
            .await;
        (cell.seeder(&[net.addr(lt.port)]).await, lt)
    };
    let what = format!("libtorrent receiving over {net:?}");
    let seen = lt.wait(&what, |s| lt_sees(s, net, cell));
    tokio::join!(cell.assert_uploading(&c, net, "libtorrent"), seen);
    lt.wait("libtorrent to finish", |s| s["seeding"] == true).await;
    cell.assert_received("libtorrent", net);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libtorrent_seeds_to_bt2p_over_tcp_utp_and_ipv6() {
    for (i, net) in [Net::Tcp, Net::Utp, Net::Ipv6].into_iter().enumerate() {
        libtorrent_seeds(&Cell::new(100 + i as u64), net).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libtorrent_leeches_from_bt2p_over_tcp_utp_and_ipv6() {
    for (i, net) in [Net::Tcp, Net::Utp, Net::Ipv6].into_iter().enumerate() {
        libtorrent_leeches(&Cell::new(110 + i as u64), net).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libtorrent_requiring_encryption_seeds_and_leeches_over_tcp_and_utp() {
    for (i, net) in [Net::Tcp, Net::Utp].into_iter().enumerate() {
        libtorrent_seeds(&Cell::encrypted(200 + i as u64), net).await;
        libtorrent_leeches(&Cell::encrypted(210 + i as u64), net).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Transmission

/// transmission-daemon (3.00) in the foreground with its own config folder, driven by its RPC.
struct Transmission {
    _process: Killed,
    rpc: String,
    session_id: Mutex<String>,
}

impl Transmission {
    /// Peers on 127.0.0.1 and ::1 at a free port; `utp` turns uTP on, `encrypted` requires
    /// encryption. TCP cannot be turned off in 3.00 (`tcp-enabled` came with 4.0).
    async fn start(
        config: &Path,
        download_dir: &Path,
        port: u16,
        utp: bool,
        encrypted: bool,
    ) -> Transmission {
        require("transmission-daemon", "transmission-daemon");
        std::fs::create_dir_all(config).unwrap();
        let rpc_port = free_port().unwrap();
        let settings = json!({
            "dht-enabled": false,
            "lpd-enabled": false,
            "pex-enabled": false,
            "port-forwarding-enabled": false,
            "utp-enabled": utp,
            // 1: encryption preferred (the default), 2: required.
            "encryption": if encrypted { 2 } else { 1 },
            "peer-port": port,
            "peer-port-random-on-start": false,
            "bind-address-ipv4": "127.0.0.1",
            "bind-address-ipv6": "::1",
            "rpc-enabled": true,
            "rpc-bind-address": "127.0.0.1",
            "rpc-port": rpc_port,
            "rpc-whitelist-enabled": true,
            "rpc-whitelist": "127.0.0.1",
            "rpc-host-whitelist-enabled": false,
            "rpc-authentication-required": false,
            "download-dir": download_dir,
            "incomplete-dir-enabled": false,
            "rename-partial-files": false,
            "ratio-limit-enabled": false,
            "idle-seeding-limit-enabled": false,
            "blocklist-enabled": false,
            "message-level": 2,
        });
        std::fs::write(config.join("settings.json"), settings.to_string()).unwrap();
        let child = Command::new("transmission-daemon")
            .arg("--foreground")
            .arg("--config-dir")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // Its log, kept in its folder for a failing test's investigator.
            .stderr(std::fs::File::create(config.join("log")).unwrap())
            .spawn()
            .unwrap();
        let mut process = Killed(child);
        wait_listening(&mut process, "transmission-daemon's RPC", rpc_port).await;
        Transmission {
            _process: process,
            rpc: format!("http://127.0.0.1:{rpc_port}/transmission/rpc"),
            session_id: Mutex::new(String::new()),
        }
    }

    /// One RPC call; the first answer of a session is 409 with the id to send.
    async fn call(&self, method: &str, arguments: Value) -> Value {
        let body = json!({ "method": method, "arguments": arguments });
        for _ in 0..2 {
            let id = self.session_id.lock().unwrap().clone();
            let r = http()
                .post(&self.rpc)
                .header("X-Transmission-Session-Id", id)
                .json(&body)
                .send()
                .await
                .unwrap();
            if r.status() == 409 {
                let id = r.headers()["x-transmission-session-id"].to_str().unwrap();
                *self.session_id.lock().unwrap() = id.to_string();
                continue;
            }
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["result"], "success", "transmission {method}: {v}");
            return v["arguments"].clone();
        }
        panic!("transmission kept refusing the session id")
    }

    async fn add(&self, torrent: &Path, download_dir: &Path) {
        use base64::Engine;
        let meta = base64::engine::general_purpose::STANDARD.encode(std::fs::read(torrent).unwrap());
        self.call(
            "torrent-add",
            json!({ "metainfo": meta, "download-dir": download_dir, "paused": false }),
        )
        .await;
    }

    async fn torrent(&self) -> Value {
        let fields = ["percentDone", "status", "error", "errorString", "peers"];
        let a = self.call("torrent-get", json!({ "fields": fields })).await;
        a["torrents"][0].clone()
    }

    /// Waits until the torrent's state satisfies `check`.
    async fn wait(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        wait_for(what, DEADLINE, async || {
            let t = self.torrent().await;
            if check(&t) { Ok(t) } else { Err(t) }
        })
        .await
    }
}

/// Transmission's status 6: seeding.
fn tr_seeding(t: &Value) -> bool {
    t["status"] == 6 && t["percentDone"] == 1
}

/// Whether Transmission lists a peer over `net` (its `isUTP` and address), encrypted if the
/// cell says so.
fn tr_sees(t: &Value, net: Net, cell: &Cell) -> bool {
    t["peers"].as_array().is_some_and(|peers| {
        peers.iter().any(|p| {
            (!cell.encrypted || p["isEncrypted"] == true)
                && match net {
                    Net::Tcp => p["isUTP"] == false && p["address"] == "127.0.0.1",
                    Net::Utp => p["isUTP"] == true && p["address"] == "127.0.0.1",
                    Net::Ipv6 => p["address"] == "::1",
                }
        })
    })
}

/// Holds TCP port `port` of 127.0.0.1 bound but not listening: Transmission's own TCP bind
/// there fails (it carries on with uTP on the UDP port), and a TCP connection to it is refused,
/// as from a peer whose TCP port is closed or filtered.
async fn close_tcp_port(port: u16) -> tokio::net::TcpSocket {
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    // No SO_REUSEADDR: Transmission sets it on its own socket, and the bind must conflict.
    s.set_reuseaddr(false).unwrap();
    s.bind(SocketAddr::from(([127, 0, 0, 1], port))).unwrap();
    s
}

/// Transmission and bt2p-tui for one cell; bt2p-tui dials Transmission. Transmission 3.00 can
/// neither turn TCP off nor dial a peer on 127.0.0.0/8 (it drops loopback addresses from
/// trackers as martians), so for uTP its TCP port is closed (`close_tcp_port`): bt2p-tui's TCP
/// connection is refused, and it falls back to uTP.
async fn transmission_cell(
    cell: &Cell,
    net: Net,
    bt2p_seeds: bool,
) -> (Transmission, Client, Option<tokio::net::TcpSocket>) {
    let tr_dir = if bt2p_seeds { cell.dl() } else { cell.seed() };
    let port = free_port().unwrap();
    let closed = match net {
        Net::Utp => Some(close_tcp_port(port).await),
        _ => None,
    };
    let tr = Transmission::start(
        &cell.path("transmission"),
        &tr_dir,
        port,
        net != Net::Tcp,
        cell.encrypted,
    )
    .await;
    tr.add(&cell.torrent, &tr_dir).await;
    if !bt2p_seeds {
        if !tr_seeding(&tr.torrent().await) {
            tr.call("torrent-verify", json!({})).await;
        }
        tr.wait("Transmission to seed", tr_seeding).await;
    }
    let peer = net.addr(port);
    let c = match bt2p_seeds {
        true => cell.seeder(&[peer]).await,
        false => cell.leecher(&[peer]).await,
    };
    (tr, c, closed)
}

/// Transmission's cells run side by side: each waits for its 10 s rechoke.
const TR_NETS: [Net; 3] = [Net::Tcp, Net::Utp, Net::Ipv6];

/// Transmission seeds, bt2p-tui streams.
async fn transmission_seeds(cell: Cell, net: Net) {
    let (tr, c, _closed) = transmission_cell(&cell, net, false).await;
    let check = cell.assert_streamed(&c, net, "Transmission");
    let what = format!("Transmission listing bt2p-tui over {net:?}");
    let seen = tr.wait(&what, |t| tr_sees(t, net, &cell));
    let ((), _) = tokio::join!(check, seen);
}

/// bt2p-tui seeds, Transmission leeches.
async fn transmission_leeches(cell: Cell, net: Net) {
    let (tr, c, _closed) = transmission_cell(&cell, net, true).await;
    let up = cell.assert_uploading(&c, net, "Transmission");
    let what = format!("Transmission listing bt2p-tui over {net:?}");
    let seen = tr.wait(&what, |t| tr_sees(t, net, &cell));
    tokio::join!(up, seen);
    tr.wait("Transmission to finish", |t| t["percentDone"] == 1).await;
    cell.assert_received("Transmission", net);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transmission_seeds_to_bt2p_over_tcp_utp_and_ipv6() {
    let cells = TR_NETS.into_iter().enumerate();
    futures::future::join_all(cells.map(|(i, net)| transmission_seeds(Cell::new(120 + i as u64), net))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transmission_leeches_from_bt2p_over_tcp_utp_and_ipv6() {
    let cells = TR_NETS.into_iter().enumerate();
    futures::future::join_all(cells.map(|(i, net)| transmission_leeches(Cell::new(130 + i as u64), net)))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transmission_requiring_encryption_seeds_and_leeches_over_tcp_and_utp() {
    let nets = [Net::Tcp, Net::Utp].into_iter().enumerate();
    futures::future::join_all(nets.map(|(i, net)| async move {
        tokio::join!(
            transmission_seeds(Cell::encrypted(220 + i as u64), net),
            transmission_leeches(Cell::encrypted(230 + i as u64), net)
        )
    }))
    .await;
}

// ---------------------------------------------------------------------------------------------
// qBittorrent

/// qbittorrent-nox (4.5) with a profile of its own, driven by its WebUI API on 127.0.0.1.
struct Qbittorrent {
    _process: Killed,
    api: String,
    port: u16,
}

impl Qbittorrent {
    /// Peers on `net`'s address only; the BitTorrent protocol TCP only (Tcp), uTP only (Utp) or
    /// both (Ipv6); encryption required if `encrypted`.
    async fn start(profile: &Path, net: Net, encrypted: bool) -> Qbittorrent {
        require("qbittorrent-nox", "qbittorrent-nox");
        let config = profile.join("qBittorrent").join("config");
        std::fs::create_dir_all(&config).unwrap();
        let port = free_port().unwrap();
        let web = free_port().unwrap();
        let protocol = match net {
            Net::Tcp => "TCP",
            Net::Utp => "UTP",
            Net::Ipv6 => "Both",
        };
        let conf = format!(
            "[LegalNotice]\nAccepted=true\n\n[BitTorrent]\n\
             Session\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false\n\
             Session\\Port={port}\nSession\\InterfaceAddress={ip}\nSession\\BTProtocol={protocol}\n\
             Session\\QueueingSystemEnabled=false\nSession\\AnonymousModeEnabled=false\n\
             Session\\IgnoreLimitsOnLAN=false\nSession\\Encryption={encryption}\n\n[Preferences]\n\
             WebUI\\Port={web}\nWebUI\\Address=127.0.0.1\nWebUI\\LocalHostAuth=false\n\
             WebUI\\CSRFProtection=false\nWebUI\\HostHeaderValidation=false\nWebUI\\UseUPnP=false\n\
             Connection\\UPnP=false\nGeneral\\Locale=en\n",
            ip = net.ip(),
            // 0: encryption preferred (the default), 1: required.
            encryption = u8::from(encrypted),
        );
        std::fs::write(config.join("qBittorrent.conf"), conf).unwrap();
        let child = Command::new("qbittorrent-nox")
            .arg(format!("--profile={}", profile.display()))
            .env("HOME", profile)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut process = Killed(child);
        wait_listening(&mut process, "qbittorrent-nox's WebUI", web).await;
        let q = Qbittorrent {
            _process: process,
            api: format!("http://127.0.0.1:{web}/api/v2"),
            port,
        };
        let prefs = q.get("app/preferences").await;
        assert_eq!(prefs["dht"], false, "{prefs}");
        assert_eq!(prefs["current_interface_address"], net.ip(), "{prefs}");
        q
    }

    async fn get(&self, path: &str) -> Value {
        let r = http().get(format!("{}/{path}", self.api)).send().await.unwrap();
        assert!(r.status().is_success(), "qbittorrent {path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// A form POST (`application/x-www-form-urlencoded`).
    async fn post(&self, path: &str, form: &[(&str, &str)]) {
        use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
            .collect();
        let r = http()
            .post(format!("{}/{path}", self.api))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.join("&"))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "qbittorrent {path}: {}", r.status());
    }

    /// Adds the torrent (a multipart upload, sent by curl) and gives its info hash.
    async fn add(&self, torrent: &Path, save: &Path) -> String {
        require("curl", "curl");
        let out = Command::new("curl")
            .args(["-sf", "--max-time", "30", "-F"])
            .arg(format!("torrents=@{}", torrent.display()))
            .arg("-F")
            .arg(format!("savepath={}", save.display()))
            .arg(format!("{}/torrents/add", self.api))
            .output()
            .unwrap();
        assert!(out.status.success(), "qbittorrent refused the torrent");
        wait_for("qbittorrent to list the torrent", DEADLINE, async || {
            let list = self.get("torrents/info").await;
            list[0]["hash"].as_str().map(str::to_string).ok_or(list)
        })
        .await
    }

    async fn wait(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        wait_for(what, DEADLINE, async || {
            let list = self.get("torrents/info").await;
            if check(&list[0]) { Ok(list) } else { Err(list) }
        })
        .await
    }

    /// Waits until qBittorrent lists a peer over `net` (its `connection`: `BT` or `μTP`),
    /// encrypted (its flag `E`) if `encrypted`.
    async fn wait_peer(&self, hash: &str, net: Net, encrypted: bool) -> Value {
        wait_for(
            &format!("qbittorrent listing bt2p-tui over {net:?}"),
            DEADLINE,
            async || {
                let v = self.get(&format!("sync/torrentPeers?hash={hash}&rid=0")).await;
                let found = v["peers"].as_object().and_then(|peers| {
                    peers
                        .values()
                        .find(|p| {
                            let utp = p["connection"].as_str().is_some_and(|c| c.contains("TP"));
                            let rc4 = p["flags"].as_str().is_some_and(|f| f.contains('E'));
                            (rc4 || !encrypted)
                                && match net {
                                    Net::Tcp => !utp && p["ip"] == "127.0.0.1",
                                    Net::Utp => utp && p["ip"] == "127.0.0.1",
                                    Net::Ipv6 => p["ip"] == "::1",
                                }
                        })
                        .cloned()
                });
                found.ok_or(v)
            },
        )
        .await
    }
}

fn qb_seeding(t: &Value) -> bool {
    t["progress"] == 1
        && ["uploading", "stalledUP", "forcedUP"]
            .iter()
            .any(|s| t["state"] == *s)
}

/// qBittorrent and bt2p-tui for one cell. TCP and IPv6: bt2p-tui dials qBittorrent. uTP:
/// qBittorrent (uTP only) is told bt2p-tui's address (`torrents/addPeers`) and dials it.
async fn qbittorrent_cell(cell: &Cell, net: Net, bt2p_seeds: bool) -> (Qbittorrent, String, Client) {
    let q = Qbittorrent::start(&cell.path("qbittorrent"), net, cell.encrypted).await;
    let q_dir = if bt2p_seeds { cell.dl() } else { cell.seed() };
    let hash = q.add(&cell.torrent, &q_dir).await;
    if !bt2p_seeds {
        q.wait("qbittorrent to seed", qb_seeding).await;
    }
    let c = if net == Net::Utp {
        let c = match bt2p_seeds {
            true => cell.seeder(&[]).await,
            false => cell.leecher(&[]).await,
        };
        q.post(
            "torrents/addPeers",
            &[("hashes", &hash), ("peers", &c.listen.to_string())],
        )
        .await;
        c
    } else {
        let peer = net.addr(q.port);
        match bt2p_seeds {
            true => cell.seeder(&[peer]).await,
            false => cell.leecher(&[peer]).await,
        }
    };
    (q, hash, c)
}

/// qBittorrent seeds, bt2p-tui streams.
async fn qbittorrent_seeds(cell: &Cell, net: Net) {
    let (q, hash, c) = qbittorrent_cell(cell, net, false).await;
    let check = cell.assert_streamed(&c, net, "qBittorrent");
    let seen = q.wait_peer(&hash, net, cell.encrypted);
    let ((), _) = tokio::join!(check, seen);
}

/// bt2p-tui seeds, qBittorrent leeches.
async fn qbittorrent_leeches(cell: &Cell, net: Net) {
    let (q, hash, c) = qbittorrent_cell(cell, net, true).await;
    let up = cell.assert_uploading(&c, net, "qBittorrent");
    let seen = q.wait_peer(&hash, net, cell.encrypted);
    tokio::join!(up, seen);
    q.wait("qbittorrent to finish", |t| t["progress"] == 1).await;
    cell.assert_received("qBittorrent", net);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_seeds_to_bt2p_over_tcp_utp_and_ipv6() {
    for (i, net) in [Net::Tcp, Net::Utp, Net::Ipv6].into_iter().enumerate() {
        qbittorrent_seeds(&Cell::new(140 + i as u64), net).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_leeches_from_bt2p_over_tcp_utp_and_ipv6() {
    for (i, net) in [Net::Tcp, Net::Utp, Net::Ipv6].into_iter().enumerate() {
        qbittorrent_leeches(&Cell::new(150 + i as u64), net).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_requiring_encryption_seeds_and_leeches_over_tcp_and_utp() {
    for (i, net) in [Net::Tcp, Net::Utp].into_iter().enumerate() {
        qbittorrent_seeds(&Cell::encrypted(240 + i as u64), net).await;
        qbittorrent_leeches(&Cell::encrypted(250 + i as u64), net).await;
    }
}

// ---------------------------------------------------------------------------------------------
// aria2c: BitTorrent over TCP only (it has no uTP), so its cells are TCP and IPv6.

/// aria2c on `net`'s address only, with `extra` options, for the cell's torrent.
async fn aria2c(cell: &Cell, net: Net, dir: &Path, extra: &[&str]) -> (Killed, u16) {
    require("aria2c", "aria2");
    let port = free_port().unwrap();
    let child = Command::new("aria2c")
        .args([
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--bt-tracker-connect-timeout=1",
            "--console-log-level=warn",
            "--summary-interval=0",
            "--file-allocation=none",
        ])
        .arg(format!("--interface={}", net.ip()))
        .arg(format!("--listen-port={port}"))
        .arg(format!("--dir={}", dir.display()))
        .args(extra)
        .arg(&cell.torrent)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut process = Killed(child);
    wait_listening_at(&mut process, "aria2c", net.addr(port)).await;
    (process, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aria2c_seeds_to_bt2p_over_tcp_and_ipv6() {
    for (i, net) in [Net::Tcp, Net::Ipv6].into_iter().enumerate() {
        let cell = Cell::new(160 + i as u64);
        let seed_opts = [
            "--seed-ratio=0",
            "--check-integrity=true",
            "--bt-seed-unverified=false",
        ];
        // aria2c listens once it has checked the data and seeds.
        let (_aria, port) = aria2c(&cell, net, &cell.seed(), &seed_opts).await;
        let c = cell.leecher(&[net.addr(port)]).await;
        cell.assert_streamed(&c, net, "aria2c").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aria2c_leeches_from_bt2p_over_tcp_and_ipv6() {
    for (i, net) in [Net::Tcp, Net::Ipv6].into_iter().enumerate() {
        let cell = Cell::new(170 + i as u64);
        // It ends once the file is complete and checked.
        let (mut aria, port) =
            aria2c(&cell, net, &cell.dl(), &["--seed-time=0", "--bt-stop-timeout=60"]).await;
        let c = cell.seeder(&[net.addr(port)]).await;
        cell.assert_uploading(&c, net, "aria2c").await;
        let status = wait_for("aria2c to finish", DEADLINE, async || {
            aria.0.try_wait().unwrap().ok_or("running")
        })
        .await;
        assert!(status.success(), "aria2c over {net:?} exited with {status}");
        cell.assert_received("aria2c", net);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aria2c_requiring_encryption_seeds_and_leeches_over_tcp() {
    // Encrypted handshakes only, and RC4 for the whole stream.
    let crypto = ["--bt-require-crypto=true", "--bt-min-crypto-level=arc4"];
    let net = Net::Tcp;
    let cell = Cell::encrypted(260);
    let seed_opts = [
        "--seed-ratio=0",
        "--check-integrity=true",
        "--bt-seed-unverified=false",
    ];
    let (_aria, port) = aria2c(&cell, net, &cell.seed(), &[&seed_opts[..], &crypto].concat()).await;
    let c = cell.leecher(&[net.addr(port)]).await;
    cell.assert_streamed(&c, net, "aria2c").await;

    let cell = Cell::encrypted(261);
    let leech_opts = ["--seed-time=0", "--bt-stop-timeout=60"];
    let (mut aria, port) = aria2c(&cell, net, &cell.dl(), &[&leech_opts[..], &crypto].concat()).await;
    let c = cell.seeder(&[net.addr(port)]).await;
    cell.assert_uploading(&c, net, "aria2c").await;
    let status = wait_for("aria2c to finish", DEADLINE, async || {
        aria.0.try_wait().unwrap().ok_or("running")
    })
    .await;
    assert!(status.success(), "aria2c over {net:?} exited with {status}");
    cell.assert_received("aria2c", net);
}
