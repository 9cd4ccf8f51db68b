//! `bt2p-tui create` checked by programs written by others: transmission-show reads what it
//! writes, mktorrent computes the same info hash, and aria2c downloads a `create --serve`
//! found through opentracker. Built only with `--features interop`; a missing tool fails.
#![cfg(feature = "interop")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{BIN, DEADLINE, Killed, free_port, wait_for, wait_listening, write_files};

fn need(tool: &str) {
    common::require(tool, "transmission-cli mktorrent aria2 opentracker");
}

fn create(cwd: &Path, args: &[&str]) -> Output {
    let o = Command::new(BIN)
        .arg("create")
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn info_hash(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("info hash: "))
        .unwrap_or_else(|| panic!("no info hash in: {text}"))
        .to_string()
}

/// transmission-show's report of a .torrent; it exits non-zero on one it cannot parse.
fn show(torrent: &Path) -> String {
    let o = Command::new("transmission-show").arg(torrent).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "transmission-show refused {}: {out}{}",
        torrent.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn field<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {name} in: {report}"))
}

/// The indented lines under a section title such as `FILES`.
fn section(report: &str, title: &str) -> Vec<String> {
    report
        .lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn transmission_show_reads_every_field() {
    need("transmission-show");
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("Season 1");
    // 3 pieces of 32 KiB exactly, across two files, plus junk that must stay out.
    write_files(
        &root,
        &[
            ("b.mkv", 65536),
            ("a.srt", 32768),
            ("extras/desktop.ini", 10),
            (".DS_Store", 10),
            ("Thumbs.db", 10),
        ],
        200,
    );
    let out = d.path().join("s1.torrent");
    let o = create(
        d.path(),
        &[
            "Season 1",
            "-o",
            "s1.torrent",
            "--piece-size",
            "32KiB",
            "--tracker",
            "http://127.0.0.1:6969/announce",
            "--tracker",
            "udp://127.0.0.1:6970",
            "--comment",
            "two files",
            "--private",
            "--web-seed",
            "http://127.0.0.1:8000/files/",
        ],
    );
    let report = show(&out);
    assert_eq!(field(&report, "Hash"), info_hash(&o.stdout));
    assert_eq!(field(&report, "Name"), "Season 1");
    assert_eq!(field(&report, "Piece Count"), "3");
    assert_eq!(field(&report, "Piece Size"), "32.00 KiB");
    assert_eq!(field(&report, "Privacy"), "Private torrent");
    assert_eq!(field(&report, "Comment"), "two files");
    assert!(field(&report, "Created by").starts_with("bt2p-tui "));
    assert_eq!(
        section(&report, "TRACKERS"),
        [
            "Tier #1",
            "http://127.0.0.1:6969/announce",
            "Tier #2",
            "udp://127.0.0.1:6970"
        ]
    );
    assert_eq!(section(&report, "WEBSEEDS"), ["http://127.0.0.1:8000/files/"]);
    assert_eq!(
        section(&report, "FILES"),
        ["Season 1/a.srt (32.77 kB)", "Season 1/b.mkv (65.54 kB)"]
    );

    // A single file: the default piece size and a public torrent.
    write_files(d.path(), &[("clip.mkv", 5 << 20)], 200);
    let o = create(d.path(), &["clip.mkv"]);
    let report = show(&d.path().join("clip.mkv.torrent"));
    assert_eq!(field(&report, "Hash"), info_hash(&o.stdout));
    assert_eq!(field(&report, "Piece Count"), "320");
    assert_eq!(field(&report, "Piece Size"), "16.00 KiB");
    assert_eq!(field(&report, "Privacy"), "Public torrent");
    assert_eq!(section(&report, "FILES"), ["clip.mkv (5.24 MB)"]);
}

#[test]
fn mktorrent_computes_the_same_info_hash() {
    need("mktorrent");
    need("transmission-show");
    let d = tempfile::tempdir().unwrap();
    // Sizes that are exact multiples of the piece size, and one that is not.
    for (i, files) in [
        &[("a.bin", 32768), ("d/b.bin", 65536)][..],
        &[("x.bin", 100_001), ("y/z/w.bin", 7)][..],
    ]
    .iter()
    .enumerate()
    {
        let name = format!("set{i}");
        write_files(&d.path().join(&name), files, 200);
        let ours = create(
            d.path(),
            &[
                &name,
                "--piece-size",
                "32KiB",
                "--private",
                "-o",
                &format!("{name}.ours.torrent"),
            ],
        );
        let theirs = d.path().join(format!("{name}.mktorrent.torrent"));
        let st = Command::new("mktorrent")
            .args(["-l", "15", "-p", "-a", "http://127.0.0.1:1/announce", "-o"])
            .arg(&theirs)
            .arg(&name)
            .current_dir(d.path())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        assert_eq!(info_hash(&ours.stdout), field(&show(&theirs), "Hash"), "{name}");
    }
}

/// opentracker on 127.0.0.1 that accepts only `info_hash`; Debian's build only has the
/// whitelist mode. It chroots into `dir` and drops to `nobody` when run as root, so the
/// whitelist must be readable by anyone and named relative to `dir`.
async fn opentracker(dir: &Path, port: u16, info_hash: &str) -> Killed {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("whitelist.txt"), format!("{info_hash}\n")).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.join("whitelist.txt"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let child = Command::new("opentracker")
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-P",
            &port.to_string(),
        ])
        .arg("-d")
        .arg(dir)
        .args(["-w", "whitelist.txt"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut t = Killed(child);
    wait_listening(&mut t, "opentracker", port).await;
    t
}

/// How many seeders the tracker knows for `info_hash`.
async fn seeders(port: u16, info_hash: &str) -> u64 {
    let raw: String = (0..20)
        .map(|i| format!("%{}", &info_hash[2 * i..2 * i + 2]))
        .collect();
    let url = format!("http://127.0.0.1:{port}/scrape?info_hash={raw}");
    let Ok(Ok(body)) = tokio::time::timeout(Duration::from_secs(5), async {
        reqwest::get(&url).await?.bytes().await
    })
    .await
    else {
        return 0;
    };
    let text = String::from_utf8_lossy(&body);
    text.split_once("8:completei")
        .and_then(|(_, rest)| rest.split('e').next()?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aria2c_downloads_from_create_serve_through_opentracker() {
    for t in ["aria2c", "opentracker"] {
        need(t);
    }
    let d = tempfile::tempdir().unwrap();
    let seed = d.path().join("seed");
    let files = write_files(
        &seed.join("pack"),
        &[("a.bin", 300_000), ("sub/b.bin", 3 * 32768), (".cache/x", 9)],
        200,
    );
    let tracker_port = free_port().unwrap();
    let tracker = format!("http://127.0.0.1:{tracker_port}/announce");
    let torrent_args = ["pack", "--piece-size", "32KiB", "--tracker", &tracker];

    // The same folder gives the same info hash, so the tracker can be told it beforehand.
    let pre = create(&seed, &[&torrent_args[..], &["-o", "../pre.torrent"]].concat());
    let hash = info_hash(&pre.stdout);
    let _tracker = opentracker(&d.path().join("tracker"), tracker_port, &hash).await;

    let port = free_port().unwrap();
    let listen = free_port().unwrap();
    let stdout = std::fs::File::create(d.path().join("serve.out")).unwrap();
    let mut served = Killed(
        Command::new(BIN)
            .arg("create")
            .args(torrent_args)
            .args([
                "-o",
                "../pack.torrent",
                "--serve",
                "--no-tui",
                "--no-dht",
                "--no-lsd",
                "--no-resume",
            ])
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--listen-port", &listen.to_string()])
            .current_dir(&seed)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );

    // Seeding from the data in place, and announced as a seeder.
    wait_for("a seeder on the tracker", DEADLINE, async || {
        if let Ok(Some(st)) = served.0.try_wait() {
            panic!("create --serve exited with {st}");
        }
        match seeders(tracker_port, &hash).await {
            0 => Err(0),
            n => Ok(n),
        }
    })
    .await;
    let printed = std::fs::read(d.path().join("serve.out")).unwrap();
    assert_eq!(info_hash(&printed), hash);

    let dl = d.path().join("dl");
    let aria_port = free_port().unwrap();
    let mut aria = Killed(
        Command::new("aria2c")
            .args([
                "--enable-dht=false",
                "--enable-dht6=false",
                "--bt-enable-lpd=false",
            ])
            .args([
                "--enable-peer-exchange=false",
                "--seed-time=0",
                "--bt-stop-timeout=60",
            ])
            .args([
                "--console-log-level=warn",
                "--summary-interval=0",
                "--file-allocation=none",
            ])
            .arg(format!("--listen-port={aria_port}"))
            .arg(format!("--dir={}", dl.display()))
            .arg(d.path().join("pack.torrent"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let status = wait_for("aria2c to finish", Duration::from_secs(120), async || {
        aria.0.try_wait().unwrap().ok_or("running")
    })
    .await;
    assert!(status.success(), "aria2c exited with {status}");

    for (rel, bytes) in files.iter().take(2) {
        let got = std::fs::read(dl.join("pack").join(rel)).unwrap();
        assert!(got == *bytes, "{rel} differs");
    }
    assert!(!dl.join("pack/.cache").exists());
}
