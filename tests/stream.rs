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
    for (path, bytes) in &s.files {
        let url = format!("{}/{}", c.base, bt2p_tui::http::encode_path(path));
        let (st, _, body) = get(&url, None, T).await;
        assert_eq!(st, 200, "{path}");
        assert_eq!(sha(&body), sha(bytes), "{path}");
    }
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
    // 8 MiB at 1 MiB/s: the region at 70 % is not there when asked for.
    let len = 8 * 1024 * 1024;
    let s = swarm("t", &[("film.mp4", len)], 64 * 1024, Some(1024 * 1024)).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &["--piece-par", "8"]).await;
    let url = format!("{}/film.mp4", c.base);
    let a = len * 7 / 10;
    let b = a + 1024 * 1024 - 1;
    let (st, _, body) = get(&url, Some(&format!("bytes={a}-{b}")), T).await;
    assert_eq!(st, 206);
    assert_eq!(body, s.files[0].1[a..=b]);

    let st0 = status(&c).await;
    assert_eq!(st0["piece_par"], 8);
    // 64 KiB pieces: the engine's 32 MiB floor is 512 pieces.
    assert_eq!(st0["effective_window_pieces"], 512);
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/?piece_par=700", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let st1 = status(&c).await;
    assert_eq!(
        (st1["piece_par"].as_u64(), st1["effective_window_pieces"].as_u64()),
        (Some(700), Some(700))
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
    let s = swarm("t", &[("a.webm", len)], 64 * 1024, Some(256 * 1024)).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let url = format!("{}/a.webm", c.base);
    let http = reqwest::Client::new();
    let r = http
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
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(status(&c).await["streams"].as_array().unwrap().len(), 0);

    // A player waiting near the end shows up as a stream with its position.
    let reader = tokio::spawn({
        let url = url.clone();
        async move { get(&url, Some("bytes=6000000-"), T).await }
    });
    let mut seen = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let st = status(&c).await;
        if let Some(s0) = st["streams"].as_array().and_then(|a| a.first()).cloned() {
            seen = Some(s0);
            break;
        }
    }
    let s0 = seen.expect("the player never showed in status.json");
    assert_eq!(s0["file"], 0);
    assert!(s0["position"].as_u64().unwrap() >= 6_000_000);
    let (st, _, body) = reader.await.unwrap();
    assert_eq!(st, 206);
    assert_eq!(body, s.files[0].1[6_000_000..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_players_on_missing_regions_all_finish() {
    let len = 16 * 1024 * 1024;
    let s = swarm("t", &[("big.mkv", len)], 64 * 1024, Some(2 * 1024 * 1024)).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let url = format!("{}/big.mkv", c.base);
    let mut tasks = Vec::new();
    for i in 0..16usize {
        let url = url.clone();
        let a = len - (i + 1) * (len / 17);
        tasks.push(tokio::spawn(async move {
            let (st, _, body) = get(
                &url,
                Some(&format!("bytes={a}-{}", a + 99_999)),
                Duration::from_secs(90),
            )
            .await;
            (a, st, body)
        }));
    }
    for t in tasks {
        let (a, st, body) = t.await.unwrap();
        assert_eq!(st, 206);
        assert_eq!(body, s.files[0].1[a..a + 100_000], "player at {a}");
    }
    // The download went on meanwhile: the whole file arrives.
    let (st, _, body) = get(&url, None, Duration::from_secs(90)).await;
    assert_eq!((st, sha(&body)), (200, sha(&s.files[0].1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_beyond_the_cap_get_503_with_retry_after() {
    let len = 4 * 1024 * 1024;
    let s = swarm("t", &[("big.mkv", len)], 64 * 1024, Some(64 * 1024)).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &["--max-players", "3"]).await;
    let url = format!("{}/big.mkv", c.base);
    let mut tasks = Vec::new();
    for i in 0..3usize {
        let url = url.clone();
        let a = len - (i + 1) * 300_000;
        tasks.push(tokio::spawn(async move {
            let (st, _, body) = get(
                &url,
                Some(&format!("bytes={a}-{}", a + 99_999)),
                Duration::from_secs(90),
            )
            .await;
            (a, st, body)
        }));
    }
    let mut busy = None;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = reqwest::Client::new()
            .get(&url)
            .header("Range", "bytes=2000000-2000009")
            .send()
            .await
            .unwrap();
        if r.status() == 503 {
            busy = Some(
                r.headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string()),
            );
            break;
        }
    }
    assert_eq!(
        busy,
        Some(Some("5".to_string())),
        "a 4th player was never refused"
    );
    for t in tasks {
        let (a, st, body) = t.await.unwrap();
        assert_eq!(st, 206);
        assert_eq!(body, s.files[0].1[a..a + 100_000], "player at {a}");
    }
    // Slots come back once the players are done.
    let (st, _, _) = get(&url, Some("bytes=0-0"), T).await;
    assert_eq!(st, 206);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_waiting_player_exits_0_within_3_s() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let len = 4 * 1024 * 1024;
        let s = swarm("t", &[("f.mkv", len)], 64 * 1024, Some(32 * 1024)).await;
        let save = s.dir.path().join("dl");
        let mut c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
        let url = format!("{}/f.mkv", c.base);
        let reader = tokio::spawn(async move {
            let r = reqwest::Client::new()
                .get(&url)
                .header("Range", "bytes=3000000-")
                .send()
                .await;
            match r {
                Ok(resp) => resp.bytes().await.map(|b| b.len()).unwrap_or(0),
                Err(_) => 0,
            }
        });
        tokio::time::sleep(Duration::from_millis(800)).await;
        let pid = c.child.id() as i32;
        // SAFETY: signalling the child this test started, by its PID.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let started = std::time::Instant::now();
        let mut code = None;
        while started.elapsed() < Duration::from_secs(3) {
            if let Some(st) = c.child.try_wait().unwrap() {
                code = st.code();
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(code, Some(0), "signal {signal}: not exited with 0 within 3 s");
        // The waiting player got a broken connection, not a complete-looking short body.
        let got = reader.await.unwrap();
        assert!(
            got < len - 3_000_000,
            "signal {signal}: the player got {got} bytes"
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
    let resp = reqwest::Client::new().get(&url).send().await.unwrap();
    let mut stream = resp.bytes_stream();
    use futures::StreamExt;
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first[..], s.files[0].1[..first.len()]);

    let settle = |c: &Client| {
        let base = c.base.clone();
        async move {
            // Until the piece count stops moving for 6 s (idle engine peers look for new work
            // every 5 s), at most 40 s.
            let (mut last, mut same_since) = (0u64, std::time::Instant::now());
            let deadline = std::time::Instant::now() + Duration::from_secs(40);
            while std::time::Instant::now() < deadline {
                let st: serde_json::Value = reqwest::get(format!("{base}/status.json"))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let have = st["have_pieces"].as_u64().unwrap();
                if have != last {
                    (last, same_since) = (have, std::time::Instant::now());
                } else if same_since.elapsed() > Duration::from_secs(6) && have > 0 {
                    return st;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            panic!("the download never settled");
        }
    };
    let st = settle(&c).await;
    let have = st["have_pieces"].as_u64().unwrap();
    let pos = st["streams"][0]["position"].as_u64().unwrap() / MIB as u64;
    assert_eq!(st["effective_window_pieces"], 32);
    assert_eq!(st["streams"][0]["window_streams"], 1);
    // The engine's floor: 32 MiB from the player's piece (plus the piece it straddles).
    assert!(
        have >= pos + 32 && have <= pos + 34,
        "have {have} pieces, player at piece {pos}"
    );

    let r = reqwest::get(format!("{}/?piece_par=60", c.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let st = settle(&c).await;
    let have = st["have_pieces"].as_u64().unwrap();
    let pos = st["streams"][0]["position"].as_u64().unwrap() / MIB as u64;
    assert_eq!(st["streams"][0]["window_streams"], 2);
    assert!(
        have >= pos + 60 && have <= pos + 62,
        "have {have} pieces, player at piece {pos}"
    );
    assert!(have < 96, "everything was downloaded: not on demand");
    drop(stream);
}

/// Without a terminal (no --no-tui, stdin from /dev/null, stdout a pipe, its own session) it
/// runs headless: the URLs on stdout, status lines on stderr, and SIGTERM ends it with 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_it_runs_headless() {
    let s = swarm("t", &[("a.mkv", 100_000)], 16 * 1024, None).await;
    let port = free_port().unwrap();
    let listen = free_port().unwrap();
    let mut child = std::process::Command::new("setsid")
        .arg(BIN)
        .arg(&s.torrent_path)
        .args(["--no-dht", "--no-trackers", "--no-resume", "--bind", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--listen-port", &listen.to_string()])
        .args(["--peer", &s.seeder.addr.to_string(), "--save-path"])
        .arg(s.dir.path().join("dl"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(format!("{base}/status.json")).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "no HTTP server");
    tokio::time::sleep(Duration::from_secs(6)).await;
    // SAFETY: signalling the child this test started, by its PID.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stdout.contains(&format!(":{port}/a.mkv")), "{stdout}");
    assert!(stdout.contains("index: http://"), "{stdout}");
    assert!(
        !stdout.contains("\u{1b}["),
        "escape sequences on stdout: {stdout:?}"
    );
    assert!(stderr.contains("piece_par 16"), "no status line: {stderr}");
}
