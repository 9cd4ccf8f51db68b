//! A libtorrent peer (python3-libtorrent, tests/peers/lt_peer.py) as the other end of a test.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::{DEADLINE, Killed, data, free_port, mktorrent, require, wait_for};

const LT_PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/lt_peer.py");

/// A libtorrent peer, its last reported state kept as it prints it.
pub struct LtPeer {
    _process: Killed,
    last: Arc<Mutex<serde_json::Value>>,
    pub port: u16,
}

impl LtPeer {
    /// Starts one listening on a free port of `listen_ip` (`127.0.0.1`, `[::1]`).
    pub fn start(args: &[&str], listen_ip: &str) -> LtPeer {
        LtPeer::start_on(args, listen_ip, free_port().unwrap())
    }

    /// Starts one listening on `listen_ip`:`port`.
    pub fn start_on(args: &[&str], listen_ip: &str, port: u16) -> LtPeer {
        require("/usr/bin/python3", "python3-libtorrent");
        let listen = format!("{listen_ip}:{port}");
        let mut child = Command::new("/usr/bin/python3")
            .arg(LT_PEER)
            .args(["--listen", &listen])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let last = Arc::new(Mutex::new(serde_json::Value::Null));
        let keep = last.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && v.get("state").is_some()
                {
                    *keep.lock().unwrap() = v;
                }
            }
        });
        LtPeer {
            _process: Killed(child),
            last,
            port,
        }
    }

    pub fn state(&self) -> serde_json::Value {
        self.last.lock().unwrap().clone()
    }

    /// Waits until the peer's state satisfies `check`.
    pub async fn wait(&self, what: &str, check: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        wait_for(what, DEADLINE, async || {
            let st = self.state();
            if check(&st) { Ok(st) } else { Err(st) }
        })
        .await
    }

    /// Whether it has a connection to a peer at `addr` (`ip:port`) now.
    pub fn connected_to(state: &serde_json::Value, addr: &str) -> bool {
        state["peers"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["ip"] == addr))
    }
}

/// The v1 info hash of the .torrent at `torrent`, in hex, as libtorrent reads it.
pub fn info_hash(torrent: &Path) -> String {
    require("/usr/bin/python3", "python3-libtorrent");
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hash())",
        ])
        .arg(torrent)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "libtorrent cannot read {}",
        torrent.display()
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A file of `len` bytes and its .torrent (mktorrent, 256 KiB pieces), in a fresh folder.
pub fn content(len: usize) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    require("mktorrent", "mktorrent");
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    let bytes = data(len, 11);
    std::fs::write(seed.join("film.mkv"), &bytes).unwrap();
    let torrent = dir.path().join("film.torrent");
    mktorrent(&seed.join("film.mkv"), &torrent, 18);
    (dir, torrent, bytes)
}

/// A libtorrent seeder of `torrent` (data in `seed`) on `listen_ip`, with `extra` arguments of
/// tests/peers/lt_peer.py, once it seeds.
pub async fn seeding_lt(torrent: &Path, seed: &Path, listen_ip: &str, extra: &[&str]) -> LtPeer {
    let mut args = vec![
        "--torrent",
        torrent.to_str().unwrap(),
        "--save",
        seed.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let lt = LtPeer::start(&args, listen_ip);
    lt.wait("libtorrent to seed", |s| s["seeding"] == true).await;
    lt
}
