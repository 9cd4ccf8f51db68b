//! The real binary's dashboard in a real terminal (tmux), against a seeder on 127.0.0.1.
#![cfg(feature = "interop")]

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// A tmux session running the dashboard, killed on drop.
struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

impl Session {
    /// The dashboard of `h` in a 100x30 terminal, HTTP on `port`, peer connections on
    /// `listen`, and no peer to dial (see `Held::release`); `env` before the command and `then`
    /// after it, in the shell that runs it. The shell then waits for a line that never comes,
    /// so the screen can still be read until the session is killed (on drop).
    fn dashboard(name: &str, h: &Held, port: u16, listen: u16, env: &str, then: &str) -> Session {
        let cmd = format!(
            "LANG=C.UTF-8 {env} {BIN} '{}' {} --port {port} --listen-port {listen} --save-path '{}'; \
             echo EXIT=$?; {then} read -r _",
            h.torrent_path.display(),
            OFFLINE.join(" "),
            h.dir.path().join("dl").display()
        );
        let name = format!("{name}-{}", std::process::id());
        let st = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "100", "-y", "30", &cmd])
            .status()
            .unwrap();
        assert!(st.success());
        Session(name)
    }

    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A format of tmux's about the pane, such as `#{alternate_on}`.
    fn show(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.0, format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
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

    /// Waits until the screen contains `text`, and gives the screen.
    async fn wait_for(&self, text: &str) -> String {
        wait_for(&format!("'{text}' on the screen"), DEADLINE, async || {
            let screen = self.capture();
            if screen.contains(text) {
                Ok(screen)
            } else {
                Err(screen)
            }
        })
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_tmux_follows_keys_players_and_resizes() {
    require("tmux", "tmux");
    let len = 8 * 1024 * 1024;
    // Nobody seeds until the resize storm is over: the players wait all along.
    let h = held("t", &[("film.mkv", len)], 64 * 1024).await;
    let (port, listen) = (free_port().unwrap(), free_port().unwrap());
    let tmux = Session::dashboard("bt2p-test", &h, port, listen, "", "");

    let screen = tmux.wait_for("piece_par 16").await;
    assert!(screen.contains("film.mkv"), "{screen}");
    assert!(screen.contains("no player connected"), "{screen}");

    // '+' reaches the engine: the dashboard shows the engine's answer, so by the time it shows
    // 17 status.json says so too.
    tmux.keys(&["+"]);
    tmux.wait_for("piece_par 17").await;
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(
        status_at(&base).await["piece_par"],
        17,
        "'+' did not reach the engine"
    );

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
    tmux.wait_for("▶ 127.0.0.1:").await;

    // A resize storm while a player waits for the whole file, then the data comes: the stream
    // is not disturbed.
    let storm_player = tokio::spawn({
        let url = format!("{base}/film.mkv");
        async move { get(&url, None, Duration::from_secs(120)).await }
    });
    wait_status_at(&base, "the second player", |st| {
        (streams(st).len() == 2).then_some(())
    })
    .await;
    for i in 0..60u16 {
        tmux.resize(40 + (i * 7) % 120, 10 + (i * 5) % 40);
    }
    let _seeder = h.release(SocketAddr::from(([127, 0, 0, 1], listen)), None).await;
    let (st, _, body) = storm_player.await.unwrap();
    assert_eq!(
        (st, sha(&body)),
        (200, sha(&h.files[0].1)),
        "the stream was disturbed by resizing"
    );

    // Tiny (where the start of "terminal too small" is all there is room for) and back: still
    // alive and drawing.
    tmux.resize(1, 1);
    wait_for("the dashboard drawn in 1x1", DEADLINE, async || {
        let screen = tmux.capture();
        if screen.trim() == "t" { Ok(()) } else { Err(screen) }
    })
    .await;
    tmux.resize(30, 8);
    tmux.wait_for("too small").await;
    tmux.resize(100, 30);
    tmux.wait_for("Window: piece_par 17").await;
    let (st, _, _) = get(&format!("{base}/status.json"), None, DEADLINE).await;
    assert_eq!(st, 200);

    // The help overlay, then quit: exit status 0 and the normal screen back.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys (Esc closes)").await;
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXIT=").await;
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert_eq!(tmux.show("#{alternate_on}"), "0", "still on the alternate screen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_panic_the_terminal_is_restored() {
    let h = held("t", &[("film.mkv", 100_000)], 16 * 1024).await;
    let (port, listen) = (free_port().unwrap(), free_port().unwrap());
    let tmux = Session::dashboard(
        "bt2p-panic",
        &h,
        port,
        listen,
        "BT2P_FAULT=dashboard-panic RUST_BACKTRACE=0",
        "echo STTY $(stty -a | tr ';' ' ') END;",
    );
    // The shell's report of the terminal ends with END.
    let screen = tmux.wait_for("END").await;
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
    assert_eq!(tmux.show("#{alternate_on}"), "0", "still on the alternate screen");
    assert_eq!(tmux.show("#{cursor_flag}"), "1", "the cursor is still hidden");
}

/// The figure after `label` on a line of the screen: `down 256K/s` → `256K/s`.
fn figure_after<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let at = line.find(label)? + label.len();
    line[at..].split_whitespace().next()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_80x24_in_ascii_the_figures_agree_and_nothing_is_cut() {
    require("tmux", "tmux");
    let files = [
        ("Ep 10.mkv", 1024 * 1024),
        ("Ep 2.mkv", 1024 * 1024),
        ("Ep 1.mkv", 1024 * 1024),
    ];
    let h = held("Show", &files, 16 * 1024).await;
    let (port, listen) = (free_port().unwrap(), free_port().unwrap());
    let tmux = Session::dashboard("bt2p-figures", &h, port, listen, "LANG=C", "");
    tmux.resize(80, 24);
    let screen = tmux.wait_for("piece_par 16").await;

    // The files in natural order, as the playlist lists them.
    let at = |name: &str| screen.find(name).unwrap_or_else(|| panic!("no {name}: {screen}"));
    assert!(
        at("Ep 1.mkv") < at("Ep 2.mkv") && at("Ep 2.mkv") < at("Ep 10.mkv"),
        "{screen}"
    );

    // Throttled, so that the download lasts: the header's speed is the sum of the peer rows',
    // on the same screen (one peer here: the same figure).
    let _seeder = h
        .release(SocketAddr::from(([127, 0, 0, 1], listen)), Some(256 * 1024))
        .await;
    let screen = wait_for("both speeds on the screen, above zero", DEADLINE, async || {
        let screen = tmux.capture();
        let lines: Vec<&str> = screen.lines().collect();
        let header = lines.get(2).and_then(|l| figure_after(l, "down "));
        let peer = lines.iter().find_map(|l| {
            let row = l.split("||").nth(1)?;
            row.contains("127.0.0.1:")
                .then(|| row.split_whitespace().nth(1))?
        });
        match (header, peer) {
            (Some(h), Some(p)) if h != "0B/s" && p != "0B/s" => {
                Ok((screen.clone(), h.to_string(), p.to_string()))
            }
            _ => Err(screen),
        }
    })
    .await;
    assert_eq!(screen.1, screen.2, "header and peer row disagree:\n{}", screen.0);
    let lines: Vec<&str> = screen.0.lines().collect();
    // The header's line ends with a whole figure: nothing cut at 80 columns. The engine's
    // window is shown as the torrent's 192 pieces, not its floor's 2048.
    let header = lines[2].trim_end();
    assert!(header.contains("piece_par 16 window 192"), "{header}");
    assert!(
        header.ends_with("  192x16K") || header.ends_with("window 192"),
        "cut: {header}"
    );
    // The engine's window is never shown larger than what is left of the file (64 pieces).
    let title = lines
        .iter()
        .find(|l| l.contains("Window: piece_par 16"))
        .copied()
        .unwrap_or_default();
    assert!(
        title.contains("engine window 64 pieces (1 MiB) to the file's end"),
        "{}",
        screen.0
    );

    // Once the download is done: zero, and the graph keeps how it went.
    let done = tmux.wait_for("download done").await;
    let lines: Vec<&str> = done.lines().collect();
    assert_eq!(figure_after(lines[2], "down "), Some("0B/s"), "{done}");
    assert!(done.contains('#'), "the graph lost its history: {done}");

    // The help overlay says what the abbreviations mean, whole, in ASCII.
    tmux.keys(&["?"]);
    let help = tmux.wait_for("Keys (Esc closes)").await;
    for whole in [
        "2S 1L",
        "pieces x piece size",
        "read rate",
        "stalls: reads >=1 s",
        "player's position onward.",
    ] {
        assert!(help.contains(whole), "'{whole}' is not in the help:\n{help}");
    }
    assert!(help.is_ascii(), "{help}");
}

/// `o` starts the player (`--player`, here through its environment variable) on the file
/// selected in the dashboard: curl, which saves what it is served. The copy is that file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn o_plays_the_selected_file_in_the_local_player() {
    require("tmux", "tmux");
    require("curl", "curl");
    let files = [("Ep 1.mkv", 300_000), ("Ep 2.mkv", 200_000)];
    let h = held("Show", &files, 16 * 1024).await;
    let (port, listen) = (free_port().unwrap(), free_port().unwrap());
    let copy = h.dir.path().join("played.mkv");
    let env = format!("BT2P_PLAYER=\"curl -s -o '{}'\"", copy.display());
    let tmux = Session::dashboard("bt2p-play", &h, port, listen, &env, "");
    tmux.wait_for("piece_par 16").await;
    let _seeder = h.release(SocketAddr::from(([127, 0, 0, 1], listen)), None).await;
    // The first episode is selected once the files are listed; one down is the second. A key
    // pressed before the list is drawn has nothing to move.
    tmux.wait_for("Ep 2").await;
    tmux.keys(&["j", "o"]);
    tmux.wait_for("starting the player").await;
    let want = &h.files.iter().find(|(p, _)| p == "Ep 2.mkv").unwrap().1;
    wait_for("curl to save the second episode", DEADLINE, async || {
        let got = std::fs::read(&copy).unwrap_or_default();
        if got == *want { Ok(()) } else { Err(got.len()) }
    })
    .await;
}
