//! `--dlna` with a UPnP control point written by others (`upnp-client` of async-upnp-client,
//! PyPI): it finds bt2p-tui by SSDP, browses root → folder → item, and the item's URL streams
//! byte-exact and plays in ffprobe. And VLC 3's UPnP discovery finds it, and VLC plays from
//! it. Each bt2p-tui runs in a network namespace the test makes (its only interface `lo`,
//! multicast on; for VLC, which needs an interface other than `lo`, two namespaces joined by a
//! veth pair): SSDP never reaches the host's interfaces. Needs root (for the namespaces),
//! upnp-client, curl, ffmpeg, iproute2 and VLC: `--features interop`.
#![cfg(feature = "interop")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

const MEDIA_SERVER: &str = "urn:schemas-upnp-org:device:MediaServer:1";

/// bt2p-tui serving `torrent` from `save` (complete data, no peers) with `extra` options, in a
/// network namespace (its own, or one of a [`Lan`]); killed by its PID on drop.
struct InNetns {
    process: Killed,
    host: String,
    port: u16,
    stderr: std::path::PathBuf,
}

impl InNetns {
    fn start(torrent: &Path, save: &Path, extra: &[&str]) -> InNetns {
        // `unshare` without --fork execs the shell, which execs bt2p-tui: one PID throughout.
        let mut netns = Command::new("unshare");
        netns
            .args(["--net", "sh", "-c"])
            .arg("ip link set lo up && ip link set lo multicast on && ip route add 239.0.0.0/8 dev lo && exec \"$@\"")
            .arg("netns");
        InNetns::spawn(netns, "127.0.0.1", torrent, save, extra)
    }

    /// bt2p-tui in the namespace `lan_ns` of a [`Lan`], its HTTP server on `addr` there; its
    /// default --allow (private ranges) admits the Lan.
    fn start_on(lan_ns: &str, addr: &str, torrent: &Path, save: &Path, extra: &[&str]) -> InNetns {
        // `nsenter` without --fork execs bt2p-tui: one PID throughout.
        let mut netns = Command::new("nsenter");
        netns.arg(format!("--net=/run/netns/{lan_ns}"));
        InNetns::spawn(netns, addr, torrent, save, extra)
    }

    fn spawn(mut netns: Command, host: &str, torrent: &Path, save: &Path, extra: &[&str]) -> InNetns {
        let port = free_port().unwrap();
        let stderr = save.with_extension(format!("{port}.stderr"));
        netns.arg(BIN);
        let args = [
            &["--no-dht", "--no-trackers", "--no-resume", "--bind", host][..],
            extra,
        ]
        .concat();
        let child = headless(netns, torrent, &args, port, save, &stderr)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("unshare and nsenter (util-linux) run");
        InNetns {
            process: Killed(child),
            host: host.to_string(),
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
        format!("http://{}:{}{path}", self.host, self.port)
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

/// Two network namespaces made for one test and joined by a veth pair whose ends live only in
/// them (`SERVER` in one, `CLIENT` in the other, multicast routed on the pair): a LAN of two
/// machines that the host's interfaces never see. Deleting the namespaces on drop deletes the
/// pair with them.
struct Lan {
    server: String,
    client: String,
    /// The pair's end in the client's namespace.
    client_end: String,
}

impl Lan {
    const SERVER: &str = "10.47.0.1";
    const CLIENT: &str = "10.47.0.2";

    fn new() -> Lan {
        // The process and the count of Lans it made: tests running at once each get their own
        // (interface names stay within the kernel's 15 bytes).
        static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{}{n}", std::process::id());
        // Named before anything is made, so that drop removes whatever a failure left.
        let (server_end, client_end) = (format!("bt2p{id}s"), format!("bt2p{id}c"));
        let lan = Lan {
            server: format!("bt2p-{id}-server"),
            client: format!("bt2p-{id}-client"),
            client_end: client_end.clone(),
        };
        ip(&format!("netns add {}", lan.server));
        ip(&format!("netns add {}", lan.client));
        ip(&format!(
            "link add {server_end} netns {} type veth peer name {client_end} netns {}",
            lan.server, lan.client
        ));
        for (ns, end, addr) in [
            (&lan.server, &server_end, Lan::SERVER),
            (&lan.client, &client_end, Lan::CLIENT),
        ] {
            ip(&format!("-n {ns} link set lo up"));
            // No duplicate address detection on a link of two: VLC's libupnp binds the IPv6
            // link-local address, which it cannot while that address is still tentative.
            let no_dad = format!("echo 0 > /proc/sys/net/ipv6/conf/{end}/accept_dad");
            let st = Command::new("nsenter")
                .arg(format!("--net=/run/netns/{ns}"))
                .args(["sh", "-c", &no_dad])
                .status()
                .unwrap();
            assert!(st.success(), "{no_dad} in {ns}");
            ip(&format!("-n {ns} addr add {addr}/24 dev {end}"));
            ip(&format!("-n {ns} link set {end} up multicast on"));
            ip(&format!("-n {ns} route add 239.0.0.0/8 dev {end}"));
        }
        lan
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in [&self.server, &self.client] {
            let _ = Command::new("ip").args(["netns", "delete", ns]).status();
        }
    }
}

/// Runs `ip` with `args` (split at spaces).
fn ip(args: &str) {
    let out = Command::new("ip")
        .args(args.split(' '))
        .output()
        .expect("ip (iproute2) runs");
    assert!(
        out.status.success(),
        "ip {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Lua interface for VLC: turns on VLC's UPnP discovery, and once the server named NAME is
/// listed, prints it with its MRL and plays it (VLC browses it and plays what it lists, folders
/// included); when the item it played over HTTP has ended, prints what VLC decoded, and quits.
const VLC_FINDS_AND_PLAYS: &str = r#"
local want = [==[NAME]==]
-- The discovery's node in the playlist is named after the module's description.
vlc.sd.add("upnp")
local seen, played, last = {}, false, nil
while true do
  local node = vlc.playlist.get("Universal Plug'n'Play")
  for _, c in ipairs(node and node.children or {}) do
    if not seen[c.path] then
      seen[c.path] = true
      print("found: " .. c.name .. " at " .. c.path)
      if c.name == want and not played then
        played = true
        vlc.playlist.add({{path = c.path, name = c.name}})
      end
    end
  end
  local item = vlc.input.item()
  if item and item:uri():match("^http") then
    local s = item:stats()
    last = item:uri() .. " " .. s.decoded_video .. " video " .. s.decoded_audio .. " audio"
  elseif last and not item then
    print("played: " .. last)
    vlc.misc.quit()
  end
  vlc.misc.mwait(vlc.misc.mdate() + 100000)
end
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vlc_discovers_the_server_and_plays_from_it() {
    require_netns_tools();
    require("vlc", "vlc-bin vlc-plugin-base");
    require("ip", "iproute2");
    require("setpriv", "util-linux");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Show");
    let season = root.join("Season 1");
    std::fs::create_dir_all(&season).unwrap();
    test_video(&season.join("clip.mp4"), "320x240", 2, None);
    std::fs::write(root.join("notes.txt"), "not media\n").unwrap();
    let torrent = dir.path().join("t.torrent");
    std::fs::write(&torrent, make_torrent(&root, 16 * 1024).await).unwrap();

    let lan = Lan::new();
    let name = "Living room & Ünï";
    let mut server = InNetns::start_on(
        &lan.server,
        Lan::SERVER,
        &torrent,
        dir.path(),
        &["--dlna", "--dlna-name", name],
    );
    assert!(server.wait_up().await, "bt2p-tui --dlna ended: {}", server.log());

    // VLC refuses to run as root: it runs as nobody, in a home of its own holding the script.
    let home = tempfile::tempdir().unwrap();
    let intf = home.path().join(".local/share/vlc/lua/intf");
    std::fs::create_dir_all(&intf).unwrap();
    std::fs::write(
        intf.join("bt2p_dlna.lua"),
        VLC_FINDS_AND_PLAYS.replace("NAME", name),
    )
    .unwrap();
    for d in intf.ancestors().take_while(|d| d.starts_with(home.path())) {
        std::os::unix::fs::chown(d, Some(65534), Some(65534)).unwrap();
    }
    let (out, err) = (home.path().join("stdout"), home.path().join("stderr"));
    let started = Instant::now();
    // nsenter, setpriv and env exec one another and then VLC: one PID throughout.
    let mut vlc = Killed(
        Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", lan.client))
            .args(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg("env")
            .arg(format!("HOME={}", home.path().display()))
            .args(["vlc", "-vv", "-I", "luaintf", "--lua-intf", "bt2p_dlna"])
            .args(["--vout", "dummy", "--aout", "dummy"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).map(Stdio::from).unwrap())
            .stderr(std::fs::File::create(&err).map(Stdio::from).unwrap())
            .spawn()
            .unwrap(),
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let ended = wait_for(
        "VLC to find the MediaServer and play from it",
        DEADLINE,
        async || match vlc.0.try_wait().unwrap() {
            Some(st) => Ok(st),
            // What VLC's discovery listed, and its errors.
            None => Err(read(&err)
                .lines()
                .filter(|l| {
                    l.contains("Adding server")
                        || (l.contains(" error: ") && (l.contains("upnp") || l.contains("lua")))
                })
                .map(str::to_string)
                .collect::<Vec<_>>()),
        },
    )
    .await;
    let (said, log) = (read(&out), read(&err));
    eprintln!(
        "VLC ended ({ended}) after {} ms and printed:\n{said}\nits UPnP log:",
        started.elapsed().as_millis()
    );
    for line in log.lines().filter(|l| l.contains("upnp services discovery")) {
        eprintln!("{line}");
    }

    assert!(ended.success(), "VLC: {ended}");

    // Discovered by SSDP, under its name, at its ContentDirectory's control URL.
    assert!(
        log.contains(&format!("Adding server '{name}' with uuid")),
        "VLC's discovery did not list {name} (its log above)"
    );
    let mrl = format!(
        "upnp://{}:{}/dlna/control/ContentDirectory?ObjectID=0",
        Lan::SERVER,
        server.port
    );
    assert!(said.contains(&format!("found: {name} at {mrl}\n")), "{said}");
    // Browsed down the folder, and the item played: VLC decoded pictures and sound from it.
    let played = said
        .lines()
        .find_map(|l| l.strip_prefix("played: "))
        .unwrap_or_else(|| panic!("VLC played nothing: {said}"));
    let f: Vec<&str> = played.split(' ').collect();
    assert_eq!(f[0], server.url("/Season%201/clip.mp4"), "{played}");
    let frames = |at: usize| f[at].parse::<u64>().unwrap();
    assert!(frames(1) > 0 && frames(3) > 0, "{played}");
}

/// `--cast NAME` finds a real renderer (gmediarender, GStreamer inside) on a LAN of two
/// namespaces, has it play the first video with its metadata, follows its state and position
/// in status.json, and `POST /cast` pauses, resumes, seeks and stops it; the renderer reads
/// over HTTP as a viewer does. A name nobody answers to, or an unknown action, gets one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tv_is_cast_to_followed_and_steered() {
    require_netns_tools();
    require(
        "gmediarender",
        "gmediarender gstreamer1.0-plugins-base gstreamer1.0-plugins-good",
    );
    require("ip", "iproute2");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Show");
    std::fs::create_dir_all(&root).unwrap();
    let name = "Ep 1 & <Ünï>";
    common::test_webm(&root.join(format!("{name}.webm")), "160x120", 60, true);
    std::fs::write(
        root.join(format!("{name}.srt")),
        "1\n00:00:01,000 --> 00:00:03,000\nHello\n\n",
    )
    .unwrap();
    let torrent = dir.path().join("t.torrent");
    std::fs::write(&torrent, make_torrent(&root, 64 * 1024).await).unwrap();

    let lan = Lan::new();
    let log = dir.path().join("gmediarender.log");
    // nsenter execs gmediarender: one PID throughout.
    let _tv = Killed(
        Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", lan.client))
            .args(["gmediarender", "-I", &lan.client_end, "-f", "Test TV"])
            .args(["-u", "2f1e4a26-0c3e-4a8e-9d59-bt2ptui00001"])
            // Sinks that keep time, as a screen and speakers do (a plain fakesink plays at once).
            .args(["--gstout-audiopipe", "fakesink sync=true"])
            .args(["--gstout-videopipe", "fakesink sync=true"])
            .arg(format!("--logfile={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut server = InNetns::start_on(
        &lan.server,
        Lan::SERVER,
        &torrent,
        dir.path(),
        &["--cast", "test tv"],
    );
    assert!(server.wait_up().await, "bt2p-tui --cast ended: {}", server.log());

    let status = |server: &InNetns| -> serde_json::Value {
        let out = server.run("curl", &["-s", &server.url("/status.json")]);
        serde_json::from_slice(&out.stdout).unwrap_or_default()
    };
    // Its last lines: what it was told and what it did.
    let tv_log = || {
        let all = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = all
            .lines()
            .filter(|l| !l.contains("Registering support"))
            .collect();
        lines[lines.len().saturating_sub(12)..].join("\n")
    };
    // Cast, and playing: the position advances.
    let cast_when = async |what: &str, ok: &dyn Fn(&serde_json::Value) -> bool| {
        wait_for(what, DEADLINE, async || {
            let st = status(&server);
            match ok(&st["cast"]) {
                true => Ok(st),
                false => Err(format!(
                    "{}\nbt2p-tui: {}\ngmediarender: {}",
                    st["cast"],
                    server.log(),
                    tv_log()
                )),
            }
        })
        .await
    };
    let pos = |c: &serde_json::Value| c["position_secs"].as_f64().unwrap_or(0.0);
    let st = cast_when("the TV to play", &|c| c["state"] == "PLAYING" && pos(c) > 0.0).await;
    let cast = &st["cast"];
    assert_eq!(cast["renderer"], "Test TV");
    assert_eq!(cast["path"], format!("{name}.webm"));
    assert!(
        (cast["duration_secs"].as_f64().unwrap() - 60.0).abs() < 1.5,
        "{cast}"
    );
    let first = pos(cast);
    cast_when("the position to advance", &|c| pos(c) >= first + 1.0).await;
    // The renderer is a viewer like any player: it was served over HTTP.
    assert!(
        st["viewing"]["bytes_served"].as_u64().unwrap() > 0,
        "{}",
        st["viewing"]
    );

    let post = |server: &InNetns, query: &str| {
        let url = server.url(&format!("/cast{query}"));
        let out = server.run("curl", &["-s", "-X", "POST", "-w", "\n%{http_code}", &url]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", ""));
        (code.to_string(), body.to_string())
    };
    let (code, body) = post(&server, "?action=seek&by=30");
    assert_eq!(code, "200", "{body}");
    cast_when("the seek to 30 s on", &|c| pos(c) >= first + 30.0).await;
    let (code, body) = post(&server, "?action=pause");
    assert_eq!(code, "200", "{body}");
    cast_when("the TV to pause", &|c| c["state"] == "PAUSED_PLAYBACK").await;
    let (code, body) = post(&server, "?action=resume");
    assert_eq!(code, "200", "{body}");
    cast_when("the TV to play again", &|c| c["state"] == "PLAYING").await;
    let (code, body) = post(&server, "?action=stop");
    assert_eq!(code, "200", "{body}");
    cast_when("the TV to stop", &|c| c["state"] == "STOPPED").await;

    let (code, body) = post(&server, "?renderer=Nobody");
    assert_eq!(code, "404", "{body}");
    assert!(
        body.contains("No renderer named 'Nobody' answered; these did: Test TV."),
        "{body}"
    );
    let (code, body) = post(&server, "?action=rewind");
    assert_eq!(code, "400", "{body}");
    assert!(body.contains("pause, resume, stop or seek"), "{body}");
}
