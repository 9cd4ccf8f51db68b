//! The index page in a real browser (headless Chromium from Debian): names made of markup stay
//! text, and the page runs no script; the page that plays a video shows its SRT subtitles, as
//! WebVTT, at the right time. `--features interop`.
#![cfg(feature = "interop")]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

fn chromium() -> &'static str {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| {
            Command::new("sh")
                .args(["-c", &format!("command -v {c}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("chromium is not installed: apt-get install chromium")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_names_does_nothing_in_a_browser() {
    let chromium = chromium();
    let name = r#"<img src=x onerror="document.title='pwned'"><script>document.title='pwned'"#;
    let s = swarm(
        name,
        &[("<svg onload=alert(1)>.mkv", 1000), ("b.srt", 10)],
        16 * 1024,
        None,
    )
    .await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let profile = s.dir.path().join("chromium-profile");
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking({
            let url = format!("{}/", c.base);
            move || {
                Command::new(chromium)
                    .args([
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                    ])
                    .args([
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                    ])
                    .arg(format!("--user-data-dir={}", profile.display()))
                    .args(["--virtual-time-budget=2000", "--dump-dom", &url])
                    .output()
                    .unwrap()
            }
        }),
    )
    .await
    .expect("chromium did not finish")
    .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<title>"),
        "no page from chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dom.contains("pwned</title>"), "a script ran");
    let lower = dom.to_ascii_lowercase();
    for bad in ["<img", "<script", "<svg"] {
        assert!(!lower.contains(bad), "{bad} made it into the DOM");
    }
    assert!(dom.contains("&lt;img src=x"), "the name is not shown as text");
}

/// What a viewer's browser does with the index's "play here" link: the page it opens (read by
/// a test page, as the index runs no script of its own) has a `<video>` whose `<track>` is the
/// SRT as WebVTT; played in Chromium and moved to a time, the cue of that time is active.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_play_page_shows_the_subtitle_of_the_moment() {
    require("ffmpeg", "ffmpeg");
    let dir = tempfile::tempdir().unwrap();
    let film = dir.path().join("seed").join("Film");
    std::fs::create_dir_all(&film).unwrap();
    common::test_webm(&film.join("Film.webm"), "320x240", 5, false);
    let srt = "1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> & welcome\r\n\r\n\
               2\r\n00:00:03,000 --> 00:00:04,000\r\nsecond line\r\n";
    std::fs::write(film.join("Film.en.srt"), srt).unwrap();
    let torrent = dir.path().join("film.torrent");
    mktorrent(&film, &torrent, 16);
    let lt = common::lt::seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &[]).await;
    let peer = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let c = client(&torrent, peer, &dir.path().join("dl"), &[]).await;

    // The test page: follows the index's link, builds the page's <video> with its tracks, moves
    // it to the time after `|`, and writes the active cue into its title, which Chromium's
    // DevTools endpoint lists.
    let check = dir.path().join("check.html");
    std::fs::write(&check, CHECK_PAGE).unwrap();
    for (at, want) in [
        ("1.5", "<i>Hello</i> &amp; welcome"),
        ("3.5", "second line"),
        ("2.8", ""),
    ] {
        let devtools = free_port().unwrap();
        let _chromium = Killed(
            Command::new(chromium())
                .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
                .args([
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ])
                // The test page is a file: let it read the server's pages and tracks.
                .arg("--disable-web-security")
                .arg("--autoplay-policy=no-user-gesture-required")
                .arg(format!(
                    "--user-data-dir={}",
                    dir.path().join(format!("profile-{at}")).display()
                ))
                .arg(format!("--remote-debugging-port={devtools}"))
                .arg(format!("file://{}#{}|{at}", check.display(), c.base))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let title = wait_for(
            &format!("Chromium to show the cue at {at} s"),
            DEADLINE,
            async || {
                let list: serde_json::Value = http()
                    .get(format!("http://127.0.0.1:{devtools}/json/list"))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .json()
                    .await
                    .map_err(|e| e.to_string())?;
                let title = list.as_array().and_then(|pages| {
                    pages.iter().find_map(|p| {
                        p["title"]
                            .as_str()
                            .filter(|t| t.starts_with("cue at") || t.starts_with("error"))
                            .map(str::to_string)
                    })
                });
                title.ok_or(list.to_string())
            },
        )
        .await;
        // DevTools lists the title HTML-escaped.
        let title = title
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        assert_eq!(title.trim_end(), format!("cue at {at}: {want}").trim_end());
    }
}

const CHECK_PAGE: &str = r#"<!doctype html><html><head><title>waiting</title></head><body><script>
const [BASE, AT] = location.hash.slice(1).split('|');
const page = async (path) => new DOMParser().parseFromString(await (await fetch(BASE + path)).text(), 'text/html');
(async () => {
  try {
    const index = await page('/');
    const play = index.querySelector('a[href^="/?play="]').getAttribute('href');
    const theirs = (await page(play)).querySelector('video');
    const v = document.importNode(theirs, true);
    v.src = new URL(theirs.getAttribute('src'), BASE).href;
    theirs.querySelectorAll('track').forEach((t, i) => {
      v.querySelectorAll('track')[i].src = new URL(t.getAttribute('src'), BASE).href;
    });
    v.muted = true;
    document.body.appendChild(v);
    const track = v.textTracks[0];
    track.mode = 'hidden';
    if (v.readyState < 1) await new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}));
    v.currentTime = Number(AT);
    await new Promise(r => v.addEventListener('seeked', r, {once: true}));
    for (let i = 0; i < 50 && track.readyState < 2; i++) await new Promise(r => setTimeout(r, 100));
    const cues = track.activeCues ? Array.from(track.activeCues).map(c => c.text) : [];
    document.title = 'cue at ' + AT + ': ' + cues.join(' / ');
  } catch (e) { document.title = 'error: ' + e; }
})();
</script></body></html>
"#;
