//! The real binary's dashboard in a real terminal (tmux), against a seeder on 127.0.0.1.
#![cfg(feature = "interop")]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

impl Session {
    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        assert!(
            Command::new("tmux")
                .args(["send-keys", "-t", &self.0])
                .args(keys)
                .status()
                .unwrap()
                .success()
        );
    }

    fn resize(&self, w: u16, h: u16) {
        let st = Command::new("tmux")
            .args([
                "resize-window",
                "-t",
                &self.0,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Waits (at most `limit`) until the screen contains `text`.
    async fn wait_for(&self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.capture();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "'{text}' never appeared on:\n{screen}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_tmux_follows_keys_players_and_resizes() {
    require("tmux", "tmux");
    let len = 8 * 1024 * 1024;
    let s = swarm("t", &[("film.mkv", len)], 64 * 1024, Some(512 * 1024)).await;
    let save = s.dir.path().join("dl");
    let port = free_port().unwrap();
    let listen = free_port().unwrap();
    let name = format!("bt2p-test-{}", std::process::id());
    let cmd = format!(
        "LANG=C.UTF-8 {BIN} '{}' --no-dht --no-trackers --no-resume --bind 127.0.0.1 --port {port} \
         --listen-port {listen} --peer {} --save-path '{}'; echo EXIT=$?; sleep 30",
        s.torrent_path.display(),
        s.seeder.addr,
        save.display()
    );
    let st = Command::new("tmux")
        .args(["new-session", "-d", "-s", &name, "-x", "100", "-y", "30", &cmd])
        .status()
        .unwrap();
    assert!(st.success());
    let tmux = Session(name);

    let screen = tmux.wait_for("piece_par 16", Duration::from_secs(20)).await;
    assert!(screen.contains("film.mkv"), "{screen}");
    assert!(screen.contains("no player connected"), "{screen}");

    // '+' reaches the engine and status.json within a second.
    tmux.keys(&["+"]);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let st: serde_json::Value = reqwest::get(format!("{base}/status.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if st["piece_par"] == 17 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "piece_par never became 17: {}",
            st["piece_par"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tmux.wait_for("piece_par 17", Duration::from_secs(2)).await;

    // A slow reader shows up as a player row in the window.
    let _curl = Killed(
        Command::new("curl")
            .args([
                "-s",
                "--limit-rate",
                "100k",
                "-o",
                "/dev/null",
                &format!("{base}/film.mkv"),
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    tmux.wait_for("▶ 127.0.0.1:", Duration::from_secs(10)).await;

    // A resize storm while a player streams the whole file: the stream is not disturbed.
    let storm_player = tokio::spawn({
        let url = format!("{base}/film.mkv");
        async move { get(&url, None, Duration::from_secs(60)).await }
    });
    for i in 0..60u16 {
        tmux.resize(40 + (i * 7) % 120, 10 + (i * 5) % 40);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (st, _, body) = storm_player.await.unwrap();
    assert_eq!(
        (st, sha(&body)),
        (200, sha(&s.files[0].1)),
        "the stream was disturbed by resizing"
    );

    // Tiny and back: still alive and drawing.
    tmux.resize(1, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    tmux.resize(30, 8);
    tmux.wait_for("too small", Duration::from_secs(3)).await;
    tmux.resize(100, 30);
    tmux.wait_for("Window: piece_par 17", Duration::from_secs(3))
        .await;
    assert!(
        reqwest::get(format!("{base}/status.json"))
            .await
            .unwrap()
            .status()
            .is_success()
    );

    // The help overlay, then quit: exit status 0 and the normal screen back.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys (Esc closes)", Duration::from_secs(2)).await;
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXIT=", Duration::from_secs(5)).await;
    assert!(screen.contains("EXIT=0"), "{screen}");
    let alt = Command::new("tmux")
        .args(["display-message", "-p", "-t", &tmux.0, "#{alternate_on}"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&alt.stdout).trim(),
        "0",
        "still on the alternate screen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_panic_the_terminal_is_restored() {
    let s = swarm("t", &[("film.mkv", 100_000)], 16 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let port = free_port().unwrap();
    let listen = free_port().unwrap();
    let name = format!("bt2p-panic-{}", std::process::id());
    let cmd = format!(
        "LANG=C.UTF-8 BT2P_FAULT=dashboard-panic RUST_BACKTRACE=0 {BIN} '{}' --no-dht --no-trackers --no-resume \
         --bind 127.0.0.1 --port {port} --listen-port {listen} --peer {} --save-path '{}'; \
         echo EXIT=$?; echo STTY $(stty -a | tr ';' ' ') END; sleep 30",
        s.torrent_path.display(),
        s.seeder.addr,
        save.display()
    );
    let st = Command::new("tmux")
        .args(["new-session", "-d", "-s", &name, "-x", "100", "-y", "30", &cmd])
        .status()
        .unwrap();
    assert!(st.success());
    let tmux = Session(name);
    let screen = tmux.wait_for("EXIT=", Duration::from_secs(20)).await;
    assert!(
        screen.contains("fault injected"),
        "the panic message is not readable:\n{screen}"
    );
    assert!(screen.contains("EXIT=1"), "{screen}");
    // Raw mode is off again: canonical input and echo are back.
    let flat = screen.replace('\n', " ");
    let stty = flat
        .split("STTY")
        .nth(1)
        .and_then(|t| t.split("END").next())
        .unwrap_or("");
    let words: Vec<&str> = stty.split_whitespace().collect();
    assert!(
        words.contains(&"icanon") && words.contains(&"echo"),
        "stty: {stty}"
    );
    assert!(
        !words.contains(&"-icanon") && !words.contains(&"-echo"),
        "stty: {stty}"
    );
    let alt = Command::new("tmux")
        .args(["display-message", "-p", "-t", &tmux.0, "#{alternate_on}"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&alt.stdout).trim(),
        "0",
        "still on the alternate screen"
    );
    let cursor = Command::new("tmux")
        .args(["display-message", "-p", "-t", &tmux.0, "#{cursor_flag}"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&cursor.stdout).trim(),
        "1",
        "the cursor is still hidden"
    );
}
