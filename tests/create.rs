//! `bt2p-tui create` through the built binary: the .torrent it writes, what it prints, the
//! inputs it refuses, and `--serve` handing out the files it was made from.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{BIN, DEADLINE, Killed, data, free_port, get, http, sha, skip, wait_for, write_files};

const TRACKER: &str = "http://127.0.0.1:6969/announce";

fn create(cwd: &Path, args: &[&str]) -> Output {
    run(Command::new(BIN), cwd, args)
}

/// `create` with `args` in `cwd`, by the binary that `cmd` starts.
fn run(mut cmd: Command, cwd: &Path, args: &[&str]) -> Output {
    cmd.arg("create")
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The value of the stdout line `label: value`.
fn line<'a>(stdout: &'a str, label: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(label)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no '{label}:' line in: {stdout}"))
}

#[test]
fn writes_a_torrent_the_engine_reads_and_prints_its_hash_and_magnet() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("My Show");
    write_files(
        &root,
        &[
            ("e01.mkv", 3 * 16384),
            ("sub/e01.srt", 1000),
            (".hidden", 5),
            ("Thumbs.db", 5),
        ],
        100,
    );
    let out = d.path().join("out.torrent");
    let o = create(
        d.path(),
        &[
            root.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--tracker",
            TRACKER,
            "--tracker",
            "udp://127.0.0.1:6970",
            "--piece-size",
            "16KiB",
            "--comment",
            "made for a test",
            "--private",
            "--web-seed",
            "http://127.0.0.1:8000/",
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("2 files") && stderr.contains("4 pieces of 16 KiB"),
        "{stderr}"
    );

    let bytes = std::fs::read(&out).unwrap();
    let source = bt2p_tui::source::from_torrent_bytes(bytes.clone().into(), "out").unwrap();
    let hash = line(&stdout, "info hash");
    assert_eq!(hash, source.info_hash());
    assert_eq!(
        line(&stdout, "magnet"),
        format!(
            "magnet:?xt=urn:btih:{hash}&dn=My%20Show&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce\
             &tr=udp%3A%2F%2F127.0.0.1%3A6970"
        )
    );
    let text = String::from_utf8_lossy(&bytes);
    for needle in [
        "8:announce30:http://127.0.0.1:6969/announce",
        "7:comment15:made for a test",
        "7:privatei1e",
        "8:url-listl22:http://127.0.0.1:8000/e",
        "13:creation datei",
    ] {
        assert!(text.contains(needle), "{needle} missing in {text}");
    }
    assert!(!text.contains(".hidden") && !text.contains("Thumbs"));
}

#[test]
fn default_output_is_the_name_in_the_current_directory_and_is_never_overwritten() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("clip.mkv");
    std::fs::write(&file, data(3 << 20, 1)).unwrap();
    let o = create(d.path(), &["clip.mkv", "--name", "Renamed Clip"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // 3 MiB: the smallest piece size, 16 KiB, gives 192 pieces.
    assert!(
        stderr.contains("192 pieces of 16 KiB (chosen from the total size"),
        "{stderr}"
    );
    let written = d.path().join("Renamed Clip.torrent");
    let first = std::fs::read(&written).unwrap();
    assert!(String::from_utf8_lossy(&first).contains("4:name12:Renamed Clip"));

    let again = create(d.path(), &["clip.mkv", "--name", "Renamed Clip"]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success());
    assert!(
        err.contains("Renamed Clip.torrent already exists") && err.contains("-o FILE"),
        "{err}"
    );
    assert_eq!(std::fs::read(&written).unwrap(), first);
}

#[test]
fn bad_inputs_get_one_clear_message_and_write_nothing() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path();
    std::fs::create_dir(base.join("empty")).unwrap();
    write_files(&base.join("junk"), &[(".DS_Store", 3), ("desktop.ini", 3)], 100);
    write_files(&base.join("ok"), &[("a.bin", 1000)], 100);
    let usage_exit = bt2p_tui::create::check_piece_size(3).unwrap_err().exit_code();
    let cases: &[(&[&str], &[&str])] = &[
        (&["missing"], &["missing does not exist"]),
        (
            &["ok", "--piece-size", "1MB"],
            &[
                "--piece-size 1000000 bytes",
                "power of two",
                "1MiB",
                "not KB and MB",
            ],
        ),
        (&["ok", "--piece-size", "8KiB"], &["--piece-size 8192 bytes"]),
        (&["ok", "--piece-size", "128MiB"], &["from 16 KiB to 64 MiB"]),
        (&["empty"], &["empty holds no files"]),
        (&["junk"], &["junk holds no files", "desktop.ini"]),
        (
            &["ok", "--tracker", "127.0.0.1:6969"],
            &["--tracker 127.0.0.1:6969 is not a usable URL"],
        ),
        (&["ok", "--web-seed", "udp://h:1/"], &["--web-seed udp://h:1/"]),
        (&["ok", "--name", "a/b"], &["--name 'a/b'"]),
        (
            &["ok", "--name", "other", "--serve"],
            &["--name other cannot be used with --serve"],
        ),
    ];
    for (args, needles) in cases {
        let o = create(base, args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(usage_exit), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("bt2p-tui: "), "{err}");
        for n in *needles {
            assert!(err.contains(n), "{args:?}: '{n}' missing in {err}");
        }
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    let torrents: Vec<PathBuf> = std::fs::read_dir(base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "torrent"))
        .collect();
    assert!(torrents.is_empty(), "{torrents:?}");

    // A file that cannot be read. Root reads every file whatever its mode: as root, `create`
    // runs without the capabilities that allow that.
    let locked = base.join("locked");
    write_files(&locked, &[("a.bin", 10), ("b.bin", 10)], 100);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(locked.join("b.bin"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let Some(bound) = bound_by_file_modes(&locked.join("b.bin")) else {
        return;
    };
    let o = run(bound, base, &["locked"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("cannot read") && err.contains("b.bin"), "{err}");
}

/// The command to start the binary with so that file modes bind it, checked on `unreadable`:
/// the binary itself, or as root, setpriv (util-linux) dropping CAP_DAC_OVERRIDE and
/// CAP_DAC_READ_SEARCH first. None, after saying why, where that cannot be had.
fn bound_by_file_modes(unreadable: &Path) -> Option<Command> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some(Command::new(BIN));
    }
    let setpriv = || {
        let mut c = Command::new("setpriv");
        c.args(["--inh-caps=-all", "--ambient-caps=-all"])
            .args(["--bounding-set=-dac_override,-dac_read_search", "--"]);
        c
    };
    let read = setpriv().arg("cat").arg(unreadable).output();
    match read {
        Ok(o) if !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("Permission denied") => {
            let mut c = setpriv();
            c.arg(BIN);
            Some(c)
        }
        other => {
            skip(
                "reading a file its mode forbids, as root",
                &format!("setpriv could not take root's power to read it: {other:?}"),
            );
            None
        }
    }
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_seeds_in_place_and_streams_the_files() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("pack");
    let files = write_files(
        &root,
        &[("a.bin", 100_000), ("b/c.bin", 65536), (".git/x", 4)],
        100,
    );
    let port = free_port().unwrap();
    let listen = free_port().unwrap();
    let child = Command::new(BIN)
        .args(["create", "pack", "--serve", "--piece-size", "32KiB"])
        .args(["--no-tui", "--no-dht", "--no-trackers", "--no-resume"])
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--listen-port", &listen.to_string()])
        .current_dir(d.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut served = Killed(child);
    let base = format!("http://127.0.0.1:{port}");

    // Seeding means the data in place passed the check: nothing was downloaded.
    let status = wait_for("create --serve to seed", DEADLINE, async || {
        if let Ok(Some(st)) = served.0.try_wait() {
            panic!("create --serve exited with {st}");
        }
        // Not answering yet is no failure: the server starts after the check.
        let v: serde_json::Value = match http().get(format!("{base}/status.json")).send().await {
            Ok(r) => r.json().await.unwrap(),
            Err(e) => return Err(e.to_string()),
        };
        match v["total_bytes"].as_u64().is_some_and(|t| t > 0) && v["progress_bytes"] == v["total_bytes"] {
            true => Ok(v),
            false => Err(v.to_string()),
        }
    })
    .await;
    assert_eq!(status["total_bytes"], 165_536);
    assert_eq!(status["name"], "pack");

    let written = std::fs::read(d.path().join("pack.torrent")).unwrap();
    let (st, headers, body) = get(&format!("{base}/pack.torrent"), None, Duration::from_secs(10)).await;
    assert_eq!(st, 200);
    assert_eq!(headers["content-type"], "application/x-bittorrent");
    assert_eq!(body, written);

    let urls: Vec<String> = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls.len(), 2, "{urls:?}");
    for ((rel, bytes), url) in files.iter().take(2).zip(&urls) {
        assert!(url.ends_with(rel), "{url} for {rel}");
        let (st, _, body) = get(url, None, Duration::from_secs(30)).await;
        assert_eq!(st, 200, "{url}");
        assert_eq!(sha(&body), sha(bytes), "{url}");
    }
}
