//! End to end: a librqbit seeder on 127.0.0.1, the bt2p-tui binary as the client, real HTTP.

mod common;

use std::time::Duration;

use common::*;
use rand::{Rng, SeedableRng};

const T: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_file_and_random_ranges_are_byte_exact() {
    // 3 MiB and a short last piece, 64 KiB pieces.
    let len = 3 * 1024 * 1024 + 12345;
    let s = swarm("one", &[("movie one.mkv", len)], 64 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let url = format!("{}/movie%20one.mkv", c.base);
    let original = &s.files[0].1;

    let (st, h, body) = get(&url, None, T).await;
    assert_eq!(st, 200);
    assert_eq!(h["content-type"], "video/x-matroska");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(sha(&body), sha(original));

    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    for _ in 0..50 {
        let a = rng.random_range(0..len);
        let b = rng.random_range(a..len);
        let (st, h, body) = get(&url, Some(&format!("bytes={a}-{b}")), T).await;
        assert_eq!(st, 206);
        assert_eq!(
            h["content-range"].to_str().unwrap(),
            format!("bytes {a}-{b}/{len}")
        );
        assert_eq!(body, original[a..=b], "range {a}-{b}");
    }
    let (st, _, body) = get(&url, Some("bytes=-100"), T).await;
    assert_eq!((st, body.as_slice()), (206, &original[len - 100..]));
    let (st, h, _) = get(&url, Some(&format!("bytes={len}-")), T).await;
    assert_eq!(st, 416);
    assert_eq!(h["content-range"].to_str().unwrap(), format!("bytes */{len}"));
    // The data on disk is the original too.
    assert_eq!(std::fs::read(save.join("movie one.mkv")).unwrap(), *original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_file_torrent_serves_every_file_by_its_path() {
    let files = [
        ("Season 1/Ep 2.mkv", 700_000),
        ("Season 1/Ep 10.mkv", 300_001),
        ("notes & <b>.txt", 1000),
    ];
    let s = swarm("Show", &files, 32 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    assert_serves_every_file(&c, &s.files, T).await;
    for bad in [
        "/Season%201",
        "/Season%201/",
        "/Show/Season%201/Ep%202.mkv",
        "/..%2f..%2fetc%2fpasswd",
        "/nope",
    ] {
        let (st, _, _) = get(&format!("{}{bad}", c.base), None, T).await;
        assert_eq!(st, 404, "{bad}");
    }
    let (st, h, m3u) = get(&format!("{}/playlist.m3u", c.base), None, T).await;
    assert_eq!(st, 200);
    assert!(h["content-type"].to_str().unwrap().starts_with("audio/x-mpegurl"));
    let m3u = String::from_utf8(m3u).unwrap();
    let ep2 = m3u.find("Ep%202.mkv").unwrap();
    let ep10 = m3u.find("Ep%2010.mkv").unwrap();
    assert!(ep2 < ep10, "natural order: {m3u}");
    let (st, h, page) = get(&format!("{}/", c.base), None, T).await;
    assert_eq!(st, 200);
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = String::from_utf8(page).unwrap();
    let (ep2, ep10) = (page.find("Ep%202.mkv"), page.find("Ep%2010.mkv"));
    assert!(
        ep2.unwrap() < ep10.unwrap(),
        "the index as the dashboard lists: {page}"
    );
    assert!(page.contains("notes &amp; &lt;b&gt;.txt"));
    assert!(!page.contains("<b>.txt"));
    let (st, h, t) = get(&format!("{}/Show.torrent", c.base), None, T).await;
    assert_eq!(
        (st, h["content-type"].to_str().unwrap()),
        (200, "application/x-bittorrent")
    );
    assert_eq!(t, s.torrent.to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_far_ahead_while_throttled_and_piece_par_reaches_status() {
    // 8 MiB at 1 MiB/s, seeded only once the player waits: the region at 70 % is not there
    // when asked for.
    let len = 8 * 1024 * 1024;
    let h = held("t", &[("film.mp4", len)], 64 * 1024).await;
    let c = h.client(&["--piece-par", "8"]).await;
    let url = format!("{}/film.mp4", c.base);
    let far = player(&url, len * 7 / 10, 1024 * 1024, T);
    let waiting = wait_status(&c, "the player to wait for its region", |st| {
        streams(st)
            .first()
            .filter(|p| p["waiting_ms"].is_u64())
            .map(|_| st.clone())
    })
    .await;
    assert_eq!(
        waiting["have_pieces"], 0,
        "the region was there before it was asked for"
    );
    let _seeder = h.release(c.listen, Some(1024 * 1024)).await;
    far.assert_got(&h.files[0].1).await;

    let st0 = status(&c).await;
    assert_eq!(st0["piece_par"], 8);
    // 64 KiB pieces: the engine's 32 MiB floor is 512 pieces, shown as the torrent's 128.
    assert_eq!(st0["effective_window_pieces"], 128);
    let http = http();
    let r = http
        .get(format!("{}/?piece_par=700", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let st1 = status(&c).await;
    assert_eq!(
        (st1["piece_par"].as_u64(), st1["effective_window_pieces"].as_u64()),
        (Some(700), Some(128))
    );
    for (q, code) in [("0", 400), ("x", 400), ("99999", 400)] {
        let r = http
            .get(format!("{}/?piece_par={q}", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), code, "{q}");
    }
    let cross = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "http://evil.example"),
        ("referer", "http://evil.example/page"),
        ("host", "evil.example"),
    ];
    for (h, v) in cross {
        let r = http
            .get(format!("{}/?piece_par=3", c.base))
            .header(h, v)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{h}: {v}");
    }
    assert_eq!(status(&c).await["piece_par"], 700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_opens_no_stream_and_players_show_in_status() {
    let len = 6 * 1024 * 1024;
    // Seeded only once the player has been seen waiting.
    let h = held("t", &[("a.webm", len)], 64 * 1024).await;
    let c = h.client(&[]).await;
    let url = format!("{}/a.webm", c.base);
    let r = http()
        .head(&url)
        .header("Range", "bytes=5000000-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-length"],
        (len - 5_000_000).to_string().as_str()
    );
    assert_eq!(r.headers()["content-type"], "video/webm");
    assert!(streams(&status(&c).await).is_empty());

    // A player waiting near the end shows up as a stream with its position. Streams are
    // numbered from 1 as they are opened: this one is the first, so the HEAD opened none.
    let reader = player(&url, 6_000_000, len - 6_000_000, T);
    let s0 = wait_status(&c, "the player to show in status.json", |st| {
        streams(st).first().cloned()
    })
    .await;
    assert_eq!(s0["id"], 1, "a stream was opened before the player's: {s0}");
    assert_eq!(s0["file"], 0);
    assert!(s0["position"].as_u64().unwrap() >= 6_000_000);
    let _seeder = h.release(c.listen, None).await;
    reader.assert_got(&h.files[0].1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_players_on_missing_regions_all_finish() {
    let len = 16 * 1024 * 1024;
    let s = swarm("t", &[("big.mkv", len)], 64 * 1024, Some(2 * 1024 * 1024)).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let url = format!("{}/big.mkv", c.base);
    let players: Vec<Player> = (0..16usize)
        .map(|i| player(&url, len - (i + 1) * (len / 17), 100_000, Duration::from_secs(90)))
        .collect();
    for p in players {
        p.assert_got(&s.files[0].1).await;
    }
    // The download went on meanwhile: the whole file arrives.
    let (st, _, body) = get(&url, None, Duration::from_secs(90)).await;
    assert_eq!((st, sha(&body)), (200, sha(&s.files[0].1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_beyond_the_cap_get_503_with_retry_after() {
    let len = 4 * 1024 * 1024;
    // Seeded only once the 4th player has been turned away: the 3 hold their slots till then.
    let h = held("t", &[("big.mkv", len)], 64 * 1024).await;
    let c = h.client(&["--max-players", "3"]).await;
    let url = format!("{}/big.mkv", c.base);
    let players: Vec<Player> = (0..3usize)
        .map(|i| player(&url, len - (i + 1) * 300_000, 100_000, Duration::from_secs(90)))
        .collect();
    wait_status(&c, "the 3 players to hold their slots", |st| {
        (streams(st).len() == 3).then_some(())
    })
    .await;
    assert_turned_away(&url, "bytes=2000000-2000009", "a 4th player").await;
    let _seeder = h.release(c.listen, None).await;
    for p in players {
        p.assert_got(&h.files[0].1).await;
    }
    // Slots come back once the players are done.
    let (st, _, _) = get(&url, Some("bytes=0-0"), T).await;
    assert_eq!(st, 206);
}

/// Nobody seeds: the player waits for good, and the signal must not wait for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_waiting_player_exits_0() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let len = 4 * 1024 * 1024;
        let h = held("t", &[("f.mkv", len)], 64 * 1024).await;
        let mut c = h.client(&[]).await;
        let url = format!("{}/f.mkv", c.base);
        // (status, bytes received, whether the body broke off)
        let reader = tokio::spawn(async move {
            let resp = http()
                .get(&url)
                .header("Range", "bytes=3000000-")
                .send()
                .await
                .unwrap();
            let (status, mut got, mut body) = (resp.status().as_u16(), 0, resp.bytes_stream());
            use futures::StreamExt;
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(b) => got += b.len(),
                    Err(_) => return (status, got, true),
                }
            }
            (status, got, false)
        });
        wait_status(&c, "the player to wait for its data", |st| {
            streams(st).first().filter(|p| p["waiting_ms"].is_u64()).map(drop)
        })
        .await;
        let pid = c.child.id() as i32;
        // SAFETY: signalling the child this test started, by its PID.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        // The player would wait for its read timeout (300 s): well past the deadline.
        let code = wait_for(&format!("an exit after signal {signal}"), DEADLINE, async || {
            c.child.try_wait().unwrap().ok_or("running")
        })
        .await
        .code();
        assert_eq!(code, Some(0), "signal {signal}: exit status");
        // The waiting player got a broken connection, not a complete-looking short body.
        let (status, got, broken) = reader.await.unwrap();
        assert_eq!(status, 206, "signal {signal}: the player was not answered");
        assert!(
            broken && got < len - 3_000_000,
            "signal {signal}: the player got {got} bytes and a body that ended cleanly: {}",
            !broken
        );
    }
}

/// On demand, only the players' windows download: what arrives shows the real window, and
/// raising piece_par past the engine's 32 MiB floor widens it with extra streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_demand_downloads_exactly_the_window_and_piece_par_widens_it() {
    const MIB: usize = 1024 * 1024;
    let len = 96 * MIB;
    let s = swarm("t", &[("w.mkv", len)], MIB as u32, None).await;
    let save = s.dir.path().join("dl");
    let c = client(
        &s.torrent_path,
        s.seeder.addr,
        &save,
        &["--on-demand", "--piece-par", "4"],
    )
    .await;
    let url = format!("{}/w.mkv", c.base);
    // A player that reads a little and then holds its connection open.
    let player = hold(&url).await;
    assert_eq!(player.first[..], s.files[0].1[..player.first.len()]);

    // The window is in, nothing is in flight, and no piece has come for 6 s (idle engine peers
    // look for new work every 5 s): what is there then is all that downloads.
    let settled = async |c: &Client, window: u64| {
        let mut last = (0, std::time::Instant::now());
        wait_for("the download to settle at the window", DEADLINE, async || {
            let st = status(c).await;
            let have = st["have_pieces"].as_u64().unwrap();
            // status.json is a snapshot of a moment ago: the player may not be in it yet.
            let Some(pos) = st["streams"][0]["position"].as_u64().map(|p| p / MIB as u64) else {
                return Err(format!("no player yet: {st}"));
            };
            if have != last.0 {
                last = (have, std::time::Instant::now());
            }
            let idle = st["receiving"].as_array().is_some_and(|r| r.is_empty());
            let quiet = last.1.elapsed() > Duration::from_secs(6);
            match have >= pos + window && idle && quiet {
                true => Ok((st, have, pos)),
                false => Err(format!(
                    "{have} pieces, player at piece {pos}, receiving {}",
                    st["receiving"]
                )),
            }
        })
        .await
    };
    let (st, have, pos) = settled(&c, 32).await;
    assert_eq!(st["effective_window_pieces"], 32);
    assert_eq!(st["streams"][0]["window_streams"], 1);
    // The engine's floor: 32 MiB from the player's piece (plus the piece it straddles).
    assert!(
        have >= pos + 32 && have <= pos + 34,
        "have {have} pieces, player at piece {pos}"
    );

    let r = http()
        .get(format!("{}/?piece_par=60", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, have, pos) = settled(&c, 60).await;
    assert_eq!(st["streams"][0]["window_streams"], 2);
    assert!(
        have >= pos + 60 && have <= pos + 62,
        "have {have} pieces, player at piece {pos}"
    );
    assert!(have < 96, "everything was downloaded: not on demand");
    drop(player);
}

/// Without a terminal (no --no-tui, stdin from /dev/null, stdout a pipe, its own session) it
/// runs headless: the URLs on stdout, status lines on stderr, and SIGTERM ends it with 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_it_runs_headless() {
    let s = swarm("t", &[("a.mkv", 100_000)], 16 * 1024, None).await;
    let port = free_port().unwrap();
    let listen = free_port().unwrap();
    let stderr = s.dir.path().join("dl.stderr");
    let mut child = Killed(
        std::process::Command::new("setsid")
            .arg(BIN)
            .arg(&s.torrent_path)
            .args(OFFLINE)
            .args(["--port", &port.to_string(), "--listen-port", &listen.to_string()])
            .args(["--peer", &s.seeder.addr.to_string(), "--save-path"])
            .arg(s.dir.path().join("dl"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_for("the HTTP server to answer", DEADLINE, async || {
        http().get(format!("{base}/status.json")).send().await.map(drop)
    })
    .await;
    // A status line comes every few seconds.
    let read = || std::fs::read_to_string(&stderr).unwrap_or_default();
    wait_text("a status line on stderr", read, |text| {
        text.contains("piece_par 16")
    })
    .await;
    // SAFETY: signalling the child this test started, by its PID.
    unsafe { libc::kill(child.0.id() as i32, libc::SIGTERM) };
    let status = wait_for("an exit after SIGTERM", DEADLINE, async || {
        child.0.try_wait().unwrap().ok_or("running")
    })
    .await;
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.0.stdout.take().unwrap(), &mut stdout).unwrap();
    let stderr = read();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stdout.contains(&format!(":{port}/a.mkv")), "{stdout}");
    assert!(stdout.contains("index: http://"), "{stdout}");
    assert!(
        !stdout.contains("\u{1b}["),
        "escape sequences on stdout: {stdout:?}"
    );
    assert!(stderr.contains("piece_par 16"), "no status line: {stderr}");
}

/// A player waiting for its piece gets no extra streams (they would take bandwidth from that
/// piece); once 16 MiB or more is verified ahead of it, piece_par's window opens them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_streams_wait_until_the_player_has_a_buffer() {
    let mib = 1024 * 1024;
    let h = held("w", &[("film.mkv", 80 * mib)], mib as u32).await;
    let c = h.client(&["--piece-par", "64"]).await;
    let _player = tokio::spawn({
        let url = format!("{}/film.mkv", c.base);
        async move { hold(&url).await }
    });
    let st = wait_status(&c, "the player waiting for its first piece", |st| {
        streams(st)
            .first()
            .filter(|s| s["waiting_ms"].is_u64())
            .map(|_| st.clone())
    })
    .await;
    assert_eq!(
        streams(&st)[0]["window_streams"],
        1,
        "extra streams while it waits"
    );
    let _seeder = h.release(c.listen, None).await;
    let st = wait_status(&c, "piece_par's extra streams once data is ahead", |st| {
        streams(st)
            .first()
            .filter(|s| s["window_streams"] == 2)
            .map(|_| st.clone())
    })
    .await;
    let ahead = streams(&st)[0]["buffer_ahead_bytes"].as_u64().unwrap();
    assert!(ahead >= 8 * mib as u64, "opened with {ahead} bytes ahead");
}

/// `--player CMD` starts CMD on the first video's URL once its first bytes can be served: here
/// curl, which saves what it is served. The copy is the video (not the subtitle or the notes
/// listed before it), and the log says when the player started and ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_is_started_on_the_first_video() {
    require("curl", "curl");
    let files = [
        ("A notes.txt", 1_000),
        ("Ep 1.en.srt", 2_000),
        ("Ep 1.mkv", 700_000),
    ];
    let s = swarm("Show", &files, 64 * 1024, None).await;
    let copy = s.dir.path().join("played.mkv");
    let player = format!("curl -s -o '{}'", copy.display());
    let save = s.dir.path().join("dl");
    let log = [("RUST_LOG", "warn,bt2p_tui::player=info")];
    let c = client_with_env(
        &s.torrent_path,
        s.seeder.addr,
        &save,
        &["--player", &player],
        &log,
    )
    .await;
    let log = wait_text("the player to end", || c.stderr(), |l| l.contains("curl ended")).await;
    assert!(log.contains("started curl on http://"), "{log}");
    assert!(log.contains("curl ended (exit status: 0)"), "{log}");
    let video = &s.files.iter().find(|(p, _)| p == "Ep 1.mkv").unwrap().1;
    assert!(
        std::fs::read(&copy).unwrap() == *video,
        "the player was not served the video"
    );
}

/// A player reading through 90 % of an episode gets the next episode of the playlist (natural
/// order: `Ep 2` before `Ep 10`) started ahead: its head and the last piece, where an MKV keeps
/// its index, are verified before anyone asks. With the only seeder gone, a player of that
/// episode still gets its first and last bytes, from disk. `/playlist.m3u?from=last` then
/// starts at it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_episode_is_fetched_ahead_and_the_playlist_resumes_there() {
    const MIB: usize = 1024 * 1024;
    let h = swarm(
        "Show",
        &[
            ("Ep 1.mkv", 8 * MIB),
            ("Ep 10.mkv", 24 * MIB),
            ("Ep 2.mkv", 40 * MIB),
        ],
        256 * 1024,
        Some(8 * MIB as u64),
    )
    .await;
    let save = h.dir.path().join("dl");
    let c = client(&h.torrent_path, h.seeder.addr, &save, &["--on-demand"]).await;
    let file = |st: &serde_json::Value, name: &str| {
        let files = st["files"].as_array().unwrap();
        let f = files.iter().find(|f| f["path"] == name);
        f.unwrap().clone()
    };
    let original = |name: &str| &h.files.iter().find(|(p, _)| p == name).unwrap().1;
    let (ep1, ep2) = (original("Ep 1.mkv"), original("Ep 2.mkv"));

    // Half of episode 1, and its end as a player reads an index there: nothing ahead yet.
    let url1 = format!("{}/Ep%201.mkv", c.base);
    player(&url1, 0, 4 * MIB, T).assert_got(ep1).await;
    player(&url1, 8 * MIB - 300_000, 300_000, T).assert_got(ep1).await;
    // Once a snapshot has seen those reads served, the next file is not being fetched.
    let served = (4 * MIB + 300_000) as u64;
    let st = wait_status(&c, "the reads served", |st| {
        (st["viewing"]["bytes_served"].as_u64()? >= served).then(|| st.clone())
    })
    .await;
    assert_eq!(file(&st, "Ep 2.mkv")["prefetch"], serde_json::Value::Null, "{st}");

    // Read on through 90 %: episode 2's start and end come without a player.
    player(&url1, 4 * MIB, 4 * MIB, T).assert_got(ep1).await;
    let st = wait_status(&c, "episode 2 ready ahead", |st| {
        (file(st, "Ep 2.mkv")["prefetch"] == "ready").then(|| st.clone())
    })
    .await;
    assert_eq!(
        file(&st, "Ep 10.mkv")["progress_bytes"],
        0,
        "the wrong next file: {st}"
    );
    let got = file(&st, "Ep 2.mkv")["progress_bytes"].as_u64().unwrap();
    assert!(
        got >= 16 * MIB as u64 && got < 40 * MIB as u64,
        "episode 2: {got} bytes"
    );

    // No peer left: what a player of episode 2 gets now is on disk.
    h.seeder.stop().await;
    wait_status(&c, "the seeder gone", |st| {
        (st["peers_connected"] == 0).then_some(())
    })
    .await;
    let url2 = format!("{}/Ep%202.mkv", c.base);
    let asked = std::time::Instant::now();
    player(&url2, 0, 2 * MIB, T).assert_got(ep2).await;
    eprintln!("episode 2's first 2 MiB in {:?}", asked.elapsed());
    player(&url2, 40 * MIB - 200_000, 200_000, T)
        .assert_got(ep2)
        .await;

    let m3u = |q: &'static str| {
        let url = format!("{}/playlist.m3u{q}", c.base);
        async move { http().get(url).send().await.unwrap() }
    };
    let all = m3u("").await.text().await.unwrap();
    let titles = |m: &str| -> Vec<String> {
        m.lines()
            .filter_map(|l| l.strip_prefix("#EXTINF:-1,"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(titles(&all), ["Ep 1", "Ep 2", "Ep 10"], "{all}");
    let from_last = wait_for("the playlist to start at episode 2", DEADLINE, async || {
        let m = m3u("?from=last").await.text().await.unwrap();
        match titles(&m) == ["Ep 2", "Ep 10"] {
            true => Ok(m),
            false => Err(m),
        }
    })
    .await;
    assert!(from_last.contains("/Ep%202.mkv\n"), "{from_last}");
    let bad = m3u("?from=first").await;
    assert_eq!(bad.status(), 400);
    let msg = bad.text().await.unwrap();
    assert!(msg.contains("from=last"), "{msg}");
}

/// A long media file's tail, where players find MP4's moov or MKV's cues, is fetched for its
/// player once the player has a buffer (8 MiB ahead): until then no data of the tail arrives, so
/// the first pieces have the whole swarm; then the tail comes without the player asking for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tail_of_a_played_file_comes_once_its_player_has_a_buffer() {
    let mib = 1024 * 1024;
    let h = held("tail", &[("film.mkv", 48 * mib)], mib as u32).await;
    let c = h.client(&[]).await;
    let _player = tokio::spawn({
        let url = format!("{}/film.mkv", c.base);
        async move { hold(&url).await }
    });
    wait_status(&c, "the player waiting for its first piece", |st| {
        streams(st).first()?["waiting_ms"].as_u64()
    })
    .await;
    let last = 47;
    let verified = |st: &serde_json::Value, piece: u64| {
        st["verified_pieces"].as_array().is_some_and(|runs| {
            runs.iter()
                .any(|r| r[0].as_u64() <= Some(piece) && Some(piece) < r[1].as_u64())
        })
    };
    let tail_began = |st: &serde_json::Value| {
        verified(st, last)
            || st["receiving"]
                .as_array()
                .is_some_and(|r| r.iter().any(|p| p[0] == last))
    };
    let _seeders = [
        h.release(c.listen, Some(mib as u64)).await,
        h.release(c.listen, Some(mib as u64)).await,
    ];
    wait_status(&c, "8 MiB verified ahead of the player", |st| {
        let ahead = streams(st).first()?["buffer_ahead_bytes"].as_u64()?;
        assert!(
            ahead >= 8 * mib as u64 || !tail_began(st),
            "the tail came before the player's buffer: {st:#}"
        );
        (ahead >= 8 * mib as u64).then_some(())
    })
    .await;
    wait_status(&c, "the tail, with the player reading nothing more", |st| {
        verified(st, last).then_some(())
    })
    .await;
}
