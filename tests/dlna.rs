//! `--dlna` with a UPnP control point written by others (`upnp-client` of async-upnp-client,
//! PyPI): it finds bt2p-tui by SSDP, browses root → folder → item, and the item's URL streams
//! byte-exact and plays in ffprobe. Each bt2p-tui runs in a network namespace the test makes
//! (its only interface `lo`, multicast on): SSDP never reaches the host's interfaces. Needs
//! root (for the namespace), upnp-client, curl and ffmpeg: `--features interop`.
#![cfg(feature = "interop")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

const MEDIA_SERVER: &str = "urn:schemas-upnp-org:device:MediaServer:1";

/// bt2p-tui serving `torrent` from `save` (complete data, no peers) with `extra` options, in a
/// network namespace of its own; killed by its PID on drop.
struct InNetns {
    process: Killed,
    port: u16,
    stderr: std::path::PathBuf,
}

impl InNetns {
    fn start(torrent: &Path, save: &Path, extra: &[&str]) -> InNetns {
        let port = free_port().unwrap();
        let stderr = save.with_extension(format!("{port}.stderr"));
        // `unshare` without --fork execs the shell, which execs bt2p-tui: one PID throughout.
        let child = Command::new("unshare")
            .args(["--net", "sh", "-c"])
            .arg("ip link set lo up && ip link set lo multicast on && ip route add 239.0.0.0/8 dev lo && exec \"$@\"")
            .arg("netns")
            .arg(BIN)
            .arg(torrent)
            .args(["--no-tui", "--no-dht", "--no-trackers", "--no-resume", "--bind", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--save-path"])
            .arg(save)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).map(Stdio::from).unwrap())
            .spawn()
            .expect("unshare (util-linux) runs");
        InNetns {
            process: Killed(child),
            port,
            stderr,
        }
    }

    fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// Runs `program` inside the namespace.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new("nsenter")
            .arg(format!("--net=/proc/{}/ns/net", self.pid()))
            .arg("timeout")
            .arg("60")
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The HTTP status of `path` (with `curl_args`), from inside the namespace.
    fn status(&self, path: &str, curl_args: &[&str]) -> String {
        let url = self.url(path);
        let mut args = vec!["-s", "-o", "/dev/null", "-w", "%{http_code}"];
        args.extend(curl_args);
        args.push(&url);
        String::from_utf8_lossy(&self.run("curl", &args).stdout).into_owned()
    }

    /// Waits until the HTTP server answers (true), or the process has ended (false).
    async fn wait_up(&mut self) -> bool {
        wait_for(
            "bt2p-tui in the namespace to answer or end",
            DEADLINE,
            async || {
                if self.process.0.try_wait().unwrap().is_some() {
                    return Ok(false);
                }
                // Any HTTP answer (401 included) means the server is up.
                match self.status("/status.json", &[]).as_str() {
                    "" | "000" => Err(self.log()),
                    _ => Ok(true),
                }
            },
        )
        .await
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The Result (DIDL-Lite) of a Browse by upnp-client, and how long the call took.
    fn browse(&self, location: &str, object: &str, flag: &str) -> (String, Duration) {
        let started = Instant::now();
        let out = self.run(
            "upnp-client",
            &[
                "--timeout",
                "10",
                "call-action",
                location,
                "ContentDirectory/Browse",
                &format!("ObjectID={object}"),
                &format!("BrowseFlag={flag}"),
                "Filter=*",
                "StartingIndex=0",
                "RequestedCount=0",
                "SortCriteria=",
            ],
        );
        let took = started.elapsed();
        let text = String::from_utf8_lossy(&out.stdout);
        eprintln!("upnp-client call-action Browse ObjectID={object} {flag}\n{text}");
        assert!(
            out.status.success(),
            "upnp-client: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        (v["out_parameters"]["Result"].as_str().unwrap().to_string(), took)
    }
}

/// The id of the object whose title is `title` (escaped as in DIDL-Lite), and its `res` URL.
fn object(didl: &str, title: &str) -> (String, Option<String>) {
    let at = didl
        .find(&format!("<dc:title>{title}</dc:title>"))
        .unwrap_or_else(|| panic!("no {title} in {didl}"));
    let open = didl[..at].rfind(" id=\"").unwrap() + 5;
    let id = didl[open..].split('"').next().unwrap().to_string();
    let res = didl[at..]
        .split("</item>")
        .next()
        .unwrap()
        .split("<res ")
        .nth(1)
        .map(|r| {
            r.split_once('>')
                .unwrap()
                .1
                .split("</res>")
                .next()
                .unwrap()
                .replace("&amp;", "&")
        });
    (id, res)
}

fn require_netns_tools() {
    require("upnp-client", "async-upnp-client (pip)");
    require("curl", "curl");
    require("ffprobe", "ffmpeg");
    let ok = Command::new("unshare")
        .args(["--net", "true"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "unshare --net failed: the DLNA tests need root (or CAP_SYS_ADMIN) for a network namespace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_point_finds_browses_and_plays() {
    require_netns_tools();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Movie & <Friends>");
    let season = root.join("Season <1> & Ünï");
    std::fs::create_dir_all(&season).unwrap();
    test_video(&season.join("clip.mp4"), "320x240", 2, None);
    std::fs::write(
        season.join("clip.en.srt"),
        "1\n00:00:00,000 --> 00:00:01,000\nHi\n",
    )
    .unwrap();
    std::fs::write(root.join("notes.txt"), "not media\n").unwrap();
    let torrent = dir.path().join("t.torrent");
    std::fs::write(&torrent, make_torrent(&root, 16 * 1024).await).unwrap();

    let mut server = InNetns::start(&torrent, dir.path(), &["--dlna"]);
    assert!(server.wait_up().await, "bt2p-tui --dlna ended: {}", server.log());

    // Found by SSDP, with a bounded number of searches (each waits 2 s for answers).
    let mut location = None;
    for _ in 0..5 {
        let out = server.run(
            "upnp-client",
            &[
                "--timeout",
                "2",
                "search",
                "--bind",
                "127.0.0.1",
                "--search_target",
                MEDIA_SERVER,
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        eprintln!("upnp-client search --search_target {MEDIA_SERVER}\n{text}");
        if let Some(line) = text.lines().find(|l| l.contains(MEDIA_SERVER)) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            location = v["location"].as_str().map(str::to_string);
            break;
        }
    }
    let location = location.expect("no MediaServer answered the SSDP search");
    assert_eq!(location, server.url("/dlna/description.xml"));
    let desc = server.run("curl", &["-s", &location]);
    let desc = String::from_utf8_lossy(&desc.stdout);
    assert!(
        desc.contains("<friendlyName>Movie &amp; &lt;Friends&gt;</friendlyName>"),
        "{desc}"
    );

    let (meta, _) = server.browse(&location, "0", "BrowseMetadata");
    assert!(
        meta.contains("<dc:title>Movie &amp; &lt;Friends&gt;</dc:title>"),
        "{meta}"
    );
    let (top, _) = server.browse(&location, "0", "BrowseDirectChildren");
    assert!(!top.contains("notes.txt"), "only media are listed: {top}");
    let (folder, _) = object(&top, "Season &lt;1&gt; &amp; Ünï");
    let (items, _) = server.browse(&location, &folder, "BrowseDirectChildren");
    let (_, url) = object(&items, "clip.mp4");
    let url = url.expect("the video has a res URL");
    assert_eq!(
        url,
        server.url("/Season%20%3C1%3E%20%26%20%C3%9Cn%C3%AF/clip.mp4")
    );
    assert!(
        items.contains(r#"protocolInfo="http-get:*:video/mp4:DLNA.ORG_OP=01;"#),
        "{items}"
    );
    assert!(items.contains(r#"<sec:CaptionInfoEx sec:type="srt">"#), "{items}");
    let (_, sub) = object(&items, "clip.en.srt");
    assert!(sub.is_some_and(|s| s.ends_with("/clip.en.srt")));

    // The item streams byte-exact, and plays.
    let got = dir.path().join("got.mp4");
    let out = server.run("curl", &["-sf", "-o", got.to_str().unwrap(), &url]);
    assert!(out.status.success(), "curl {url}");
    assert_eq!(
        sha(&std::fs::read(&got).unwrap()),
        sha(&std::fs::read(season.join("clip.mp4")).unwrap())
    );
    let probe = server.run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
            &url,
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).lines().collect::<Vec<_>>(),
        ["video", "audio"]
    );

    // DLNA headers, when asked.
    let head = server.run(
        "curl",
        &[
            "-sI",
            "-H",
            "getcontentFeatures.dlna.org: 1",
            "-H",
            "transferMode.dlna.org: Streaming",
            "-H",
            "getCaptionInfo.sec: 1",
            &url,
        ],
    );
    let head = String::from_utf8_lossy(&head.stdout).to_ascii_lowercase();
    assert!(
        head.contains("contentfeatures.dlna.org: dlna.org_op=01;dlna.org_ci=0;"),
        "{head}"
    );
    assert!(head.contains("transfermode.dlna.org: streaming"), "{head}");
    assert!(head.contains("captioninfo.sec: http://127.0.0.1:"), "{head}");
    let plain = String::from_utf8_lossy(&server.run("curl", &["-sI", &url]).stdout).to_ascii_lowercase();
    assert!(!plain.contains("dlna.org"), "not asked, not sent: {plain}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_rules_hold_for_the_media_server() {
    require_netns_tools();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a.mkv"), data(1000, 1)).unwrap();
    std::fs::write(root.join("b.mkv"), data(1000, 2)).unwrap();
    let torrent = dir.path().join("t.torrent");
    std::fs::write(&torrent, make_torrent(&root, 16 * 1024).await).unwrap();

    // SSDP would announce on lo (127.0.0.1), which --allow leaves out: refused, with the fix.
    let mut refused = InNetns::start(&torrent, dir.path(), &["--dlna", "--allow", "10.0.0.0/8"]);
    assert!(
        !refused.wait_up().await,
        "started although SSDP would announce outside --allow"
    );
    let st = refused.process.0.wait().unwrap();
    let log = refused.log();
    assert!(!st.success(), "{log}");
    assert!(
        log.contains("--dlna would announce the server on lo (127.0.0.1)")
            && log.contains("--allow 127.0.0.1"),
        "{log}"
    );

    // With --auth, the description and Browse need the password, as every route does.
    let mut guarded = InNetns::start(&torrent, dir.path(), &["--dlna", "--auth", "u:p"]);
    assert!(guarded.wait_up().await, "{}", guarded.log());
    assert_eq!(guarded.status("/dlna/description.xml", &["-u", "u:p"]), "200");
    assert_eq!(guarded.status("/dlna/description.xml", &[]), "401");
    let soap = [
        "-X",
        "POST",
        "-H",
        "SOAPACTION: \"urn:schemas-upnp-org:service:ContentDirectory:1#Browse\"",
        "--data",
        "<x/>",
    ];
    assert_eq!(guarded.status("/dlna/control/ContentDirectory", &soap), "401");
    let mut with = soap.to_vec();
    with.extend(["-u", "u:p"]);
    assert_eq!(
        guarded.status("/dlna/control/ContentDirectory", &with),
        "400",
        "a bad SOAP body, once admitted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_files_browse_within_a_second() {
    require_netns_tools();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("many");
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..1000 {
        std::fs::write(root.join(format!("<{i:04}> & ü.mp3")), [i as u8]).unwrap();
    }
    let torrent = dir.path().join("t.torrent");
    std::fs::write(&torrent, make_torrent(&root, 16 * 1024).await).unwrap();
    let mut server = InNetns::start(&torrent, dir.path(), &["--dlna"]);
    assert!(server.wait_up().await, "{}", server.log());
    let location = server.url("/dlna/description.xml");

    // The whole listing, timed by curl alone (upnp-client's own start-up is not the server's).
    let soap = r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:Browse xmlns:u="urn:schemas-upnp-org:service:ContentDirectory:1"><ObjectID>0</ObjectID><BrowseFlag>BrowseDirectChildren</BrowseFlag><Filter>*</Filter><StartingIndex>0</StartingIndex><RequestedCount>0</RequestedCount><SortCriteria></SortCriteria></u:Browse></s:Body></s:Envelope>"#;
    let control = server.url("/dlna/control/ContentDirectory");
    let action = "SOAPACTION: \"urn:schemas-upnp-org:service:ContentDirectory:1#Browse\"";
    let out = server.run(
        "curl",
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{time_total} %{size_download}",
            "-H",
            action,
            "-H",
            "Content-Type: text/xml",
            "--data",
            soap,
            &control,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut f = text.split(' ');
    let (status, secs, size) = (
        f.next().unwrap(),
        f.next().unwrap().parse::<f64>().unwrap(),
        f.next().unwrap(),
    );
    eprintln!(
        "Browse of 1000 files: {status} in {:.1} ms, {size} bytes",
        secs * 1000.0
    );
    assert_eq!(status, "200");
    assert!(secs < 1.0, "Browse of 1000 files took {secs} s");

    let (didl, took) = server.browse(&location, "0", "BrowseDirectChildren");
    eprintln!("the same through upnp-client: {} ms", took.as_millis());
    assert_eq!(didl.matches("<item ").count(), 1000);
    assert!(
        didl.contains("<dc:title>&lt;0999&gt; &amp; ü.mp3</dc:title>"),
        "escaped names"
    );
}
