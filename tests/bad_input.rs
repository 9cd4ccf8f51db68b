//! Every bad input through the built binary: one clear message, exit status 2, no panic.

mod common;

use std::process::{Command, Output};

use common::{BIN, OFFLINE, free_port};

fn run(args: &[&str], save: &std::path::Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--no-tui")
        .args(OFFLINE)
        .arg("--port")
        .arg(free_port().unwrap().to_string())
        .arg("--save-path")
        .arg(save)
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

fn assert_fails(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "missing '{n}' in: {err}");
    }
}

fn torrent(piece_len: &str, len: u64, hashes: usize) -> Vec<u8> {
    let mut v = format!(
        "d4:infod6:lengthi{len}e4:name5:a.mkv12:piece lengthi{piece_len}e6:pieces{}:",
        hashes * 20
    )
    .into_bytes();
    v.extend(std::iter::repeat_n(1u8, hashes * 20));
    v.extend(b"ee");
    v
}

#[test]
fn bad_torrents_and_sources() {
    let d = tempfile::tempdir().unwrap();
    let save = d.path().join("dl");
    let write = |name: &str, b: &[u8]| {
        let p = d.path().join(name);
        std::fs::write(&p, b).unwrap();
        p.to_string_lossy().into_owned()
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        (d.path().join("missing.torrent").to_string_lossy().into(), vec!["no such file", "missing.torrent"]),
        (write("junk.torrent", b"hello, not bencode"), vec!["not a valid .torrent file"]),
        (write("zero.torrent", &torrent("0", 100, 1)), vec!["piece length 0"]),
        (write("wrap.torrent", &torrent("4294967296", 100, 1)), vec!["piece length 4294967296"]),
        (write("odd.torrent", &torrent("30000", 100, 1)), vec!["power of two"]),
        (write("count.torrent", &torrent("16384", 16384 * 4, 3)), vec!["3 piece hashes", "need 4"]),
        (
            write(
                "overflow.torrent",
                b"d4:infod5:filesld6:lengthi18446744073709551615e4:pathl1:aeed6:lengthi10e4:pathl1:beee4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
            ),
            vec!["add up to more than"],
        ),
        (
            write(
                "traversal.torrent",
                b"d4:infod5:filesld6:lengthi10e4:pathl2:..6:escapeeee4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
            ),
            vec!["'..'", "../escape"],
        ),
        (
            write(
                "absolute.torrent",
                b"d4:infod6:lengthi10e4:name11:/etc/passwd12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
            ),
            vec!["separator"],
        ),
        ("magnet:?dn=nothing".into(), vec!["bad magnet link"]),
        (
            write("v2.torrent", b"d4:infod9:file treede12:meta versioni2e4:name1:x12:piece lengthi16384eee"),
            vec!["v2-only torrent", "v1 or hybrid"],
        ),
        (
            format!("magnet:?xt=urn:btmh:1220{}", "ab".repeat(32)),
            vec!["BitTorrent v2 hash", "urn:btih"],
        ),
        (
            write(
                "twice.torrent",
                b"d4:infod5:filesld6:lengthi10e4:pathl1:aeed6:lengthi10e4:pathl1:aeee4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
            ),
            vec!["lists the file \"a\" twice"],
        ),
        ("magnet:?xt=urn:btih:123".into(), vec!["bad magnet link"]),
        (d.path().to_string_lossy().into(), vec!["is a directory"]),
    ];
    for (src, needles) in cases {
        let out = run(&[&src], &save);
        assert_fails(&out, &needles);
    }
    // An interface that is not there names those that are.
    let t = write("iface.torrent", &torrent("16384", 10, 1));
    assert_fails(
        &run(&[&t, "--interface", "nosuch0"], &save),
        &["no network interface named 'nosuch0'", "lo"],
    );
    // A magnet link whose only peer refuses: every peer found was asked, said in those words
    // (not the engine's "input address stream exhausted").
    let magnet = format!("magnet:?xt=urn:btih:{}", "01".repeat(20));
    let closed = format!("127.0.0.1:{}", free_port().unwrap());
    assert_fails(
        &run(&[&magnet, "--peer", &closed, "--no-lsd"], &save),
        &[
            "every peer that was found was asked, and none sent it",
            "--peer ADDR",
        ],
    );
    // No torrent at all is bad input too.
    assert_fails(&run(&[], &save), &["no torrent given", "--help"]);
    // Nothing was left behind by the refusals, there or beside it.
    assert!(!save.exists() || std::fs::read_dir(&save).unwrap().next().is_none());
    assert!(!d.path().join("escape").exists());
}

#[test]
fn busy_port_and_unwritable_save_path() {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("ok.torrent");
    let mut v = b"d4:infod6:lengthi10e4:name5:a.mkv12:piece lengthi16384e6:pieces20:".to_vec();
    v.extend([0u8; 20]);
    v.extend(b"ee");
    std::fs::write(&t, v).unwrap();

    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port().to_string();
    let out = Command::new(BIN)
        .arg(&t)
        .arg("--no-tui")
        .args(OFFLINE)
        .args(["--port", &port])
        .arg("--save-path")
        .arg(d.path().join("dl"))
        .output()
        .unwrap();
    assert_fails(&out, &[&format!("port {port}"), "--port"]);

    let file = d.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let out = run(&[t.to_str().unwrap()], &file.join("sub"));
    assert_fails(&out, &["save path", "--save-path"]);
}

#[test]
fn help_lists_every_option_with_env_and_defaults() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--hash-file",
        "--save-path",
        "--piece-par",
        "--resume",
        "--no-resume",
        "--domain-name",
        "--port",
        "--log",
        "--log-conf",
        "--bind",
        "--allow",
        "--auth",
        "--no-tui",
        "--peer",
        "--listen-port",
        "--no-dht",
        "--download-limit",
        "--upload-limit",
        "--on-demand",
        "--request-window",
        "--version",
    ] {
        assert!(help.contains(opt), "--help lacks {opt}");
    }
    assert!(help.contains("[env: BT2P_PORT=]") && help.contains("[default: 17580]"));
    let out = Command::new(BIN)
        .args(["--piece-par", "0", "x.torrent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
