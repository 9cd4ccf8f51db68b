//! The index page in a real browser (headless Chromium from Debian): names made of markup stay
//! text, and the page runs no script. `--features interop`.
#![cfg(feature = "interop")]

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_names_does_nothing_in_a_browser() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| {
            Command::new("sh")
                .args(["-c", &format!("command -v {c}")])
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("chromium is not installed: apt-get install chromium");
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
