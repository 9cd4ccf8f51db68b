//! `--interface NAME` keeps the BitTorrent side on one interface: in a network namespace the
//! test makes (its loopback `lo`, and a veth interface with an address of its own), a seeder
//! listens on 127.0.0.1, reachable through `lo` only. bt2p-tui bound to the other interface
//! sees the seeder but cannot connect, and says so; bound to `lo`, or to nothing, it streams the
//! file byte-exact. The engine binds its sockets to the device (SO_BINDTODEVICE). Needs root
//! (the namespace, and SO_BINDTODEVICE), iproute2, util-linux and curl: `--features interop`.
#![cfg(feature = "interop")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;

/// The other interface (one end of a veth pair whose other end, `OTHER_PEER`, is up beside it
/// without an address: a link to nowhere), and its address.
const OTHER: &str = "bt2pv0";
const OTHER_PEER: &str = "bt2pv1";
const OTHER_ADDR: &str = "10.48.0.1/24";

/// A network namespace with `lo` and `OTHER` up, deleted (with the pair) on drop.
struct Netns {
    name: String,
}

impl Netns {
    fn new() -> Netns {
        let ns = Netns {
            name: format!("bt2p-{}-iface", std::process::id()),
        };
        ip(&format!("netns add {}", ns.name));
        ip(&format!("-n {} link set lo up", ns.name));
        ip(&format!(
            "-n {} link add {OTHER} type veth peer name {OTHER_PEER}",
            ns.name
        ));
        ip(&format!("-n {} addr add {OTHER_ADDR} dev {OTHER}", ns.name));
        ip(&format!("-n {} link set {OTHER} up", ns.name));
        ip(&format!("-n {} link set {OTHER_PEER} up", ns.name));
        ns
    }

    fn nsenter(&self) -> Command {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net=/run/netns/{}", self.name));
        c
    }

    /// bt2p-tui for `torrent` in the namespace, saving in `save`, its HTTP server on
    /// 127.0.0.1 there; killed by its PID on drop (`nsenter` execs it: one PID).
    fn bt2p(&self, torrent: &Path, save: &Path, args: &[&str]) -> InNs {
        std::fs::create_dir_all(save).unwrap();
        let port = free_port().unwrap();
        let stderr = save.with_extension("stderr");
        let mut nsenter = self.nsenter();
        nsenter.arg(BIN);
        let args = [&OFFLINE[..], args].concat();
        let child = headless(nsenter, torrent, &args, port, save, &stderr)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("nsenter (util-linux) runs");
        InNs {
            _process: Killed(child),
            base: format!("http://127.0.0.1:{port}"),
            stderr,
        }
    }

    /// curl in the namespace, bounded in time.
    fn curl(&self, args: &[&str]) -> Output {
        self.nsenter()
            .args(["curl", "-s", "--max-time", "60"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("curl runs")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "delete", &self.name]).status();
    }
}

struct InNs {
    _process: Killed,
    base: String,
    stderr: std::path::PathBuf,
}

impl InNs {
    /// Waits until its status.json satisfies `check`, and gives it.
    async fn wait(
        &self,
        ns: &Netns,
        what: &str,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let url = format!("{}/status.json", self.base);
        wait_for(what, DEADLINE, async || {
            let out = ns.curl(&[&url]);
            match serde_json::from_slice::<serde_json::Value>(&out.stdout) {
                Ok(st) if check(&st) => Ok(st),
                Ok(st) => Err(st.to_string()),
                Err(_) => Err(format!("no status.json yet; log: {}", self.log())),
            }
        })
        .await
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

fn ip(args: &str) {
    let out = Command::new("ip")
        .args(args.split(' '))
        .output()
        .expect("ip (iproute2) runs");
    assert!(
        out.status.success(),
        "ip {args}: {} (network namespaces need root)",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interface_option_refuses_peers_reachable_only_through_another_interface() {
    require("nsenter", "util-linux");
    require("curl", "curl");
    let h = held("t", &[("film.mkv", 1 << 20)], 64 * 1024).await;
    let ns = Netns::new();
    let seed_port = free_port().unwrap().to_string();
    let seeder = ns.bt2p(
        &h.torrent_path,
        &h.dir.path().join("seed"),
        &["--listen-addr", "127.0.0.1", "--listen-port", &seed_port],
    );
    seeder
        .wait(&ns, "the seeder to seed in the namespace", |st| {
            st["state"] == "seeding"
        })
        .await;
    let seeder_addr = format!("127.0.0.1:{seed_port}");
    let peer = ["--peer", seeder_addr.as_str()];

    // Bound to the other interface: the seeder on lo is seen, never connected.
    let blocked = ns.bt2p(
        &h.torrent_path,
        &h.dir.path().join("blocked"),
        &[&peer[..], &["--interface", OTHER]].concat(),
    );
    let st = blocked
        .wait(&ns, "the stall to be named", |st| st["stall"].is_string())
        .await;
    let stall = st["stall"].as_str().unwrap();
    assert!(
        stall.starts_with("1 peer seen") && stall.contains(" 0 connected"),
        "{stall}"
    );
    assert!(
        stall.contains(&format!("only through --interface {OTHER}")),
        "the stall does not name the binding: {stall}"
    );
    assert_eq!(st["peers_connected"], 0, "{st}");
    assert_eq!(st["progress_bytes"], 0, "{st}");
    wait_text(
        "the stall in the status line",
        || blocked.log(),
        |log| {
            log.lines()
                .any(|l| l.starts_with('[') && l.contains("stalled: 1 peer seen"))
        },
    )
    .await;

    // Bound to lo, and not bound at all: the same seeder, the file streamed byte-exact.
    for (name, extra) in [("lo", &["--interface", "lo"][..]), ("none", &[][..])] {
        let save = h.dir.path().join(format!("via-{name}"));
        let c = ns.bt2p(&h.torrent_path, &save, &[&peer[..], extra].concat());
        c.wait(&ns, "its HTTP server", |_| true).await;
        let out = ns.curl(&["-f", &format!("{}/film.mkv", c.base)]);
        assert!(out.status.success(), "interface {name}: curl failed: {}", c.log());
        assert_eq!(sha(&out.stdout), sha(&h.files[0].1), "interface {name}");
        // The seeder is the only peer it knows: the bytes came from it.
        let st = c
            .wait(&ns, "the download to be complete", |st| st["state"] == "seeding")
            .await;
        assert_eq!(st["peers_seen"], 1, "interface {name}: {st}");
    }
}
