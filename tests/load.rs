//! Many players at once, many short ones, and clients that are slow or silent.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use rand::{Rng, SeedableRng};

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn streams(c: &Client) -> usize {
    status(c).await["streams"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(usize::MAX)
}

/// Waits (at most 10 s) for the open streams to drop to 0 and the descriptors to `baseline`
/// or below; returns the last count seen.
async fn settle(c: &Client, baseline: usize) -> (usize, usize) {
    let pid = c.child.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (s, f) = (streams(c).await, fds(pid));
        if (s == 0 && f <= baseline) || Instant::now() > deadline {
            return (s, f);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_players_on_missing_regions_then_no_leak() {
    let files: Vec<(String, usize)> = (0..4).map(|i| (format!("Ep {i}.mkv"), 6 * 1024 * 1024)).collect();
    let refs: Vec<(&str, usize)> = files.iter().map(|(p, l)| (p.as_str(), *l)).collect();
    // Slow enough that the 32 players are all still waiting when the 33rd comes.
    let s = swarm("Season", &refs, 64 * 1024, Some(256 * 1024)).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &["--max-players", "32"]).await;
    let baseline = fds(c.child.id());
    let mut tasks = Vec::new();
    for i in 0..32usize {
        let (path, data) = &s.files[i % 4];
        let url = format!("{}/{}", c.base, bt2p_tui::http::encode_path(path));
        let a = 200_000 + (i / 4) * 700_000;
        let want = data[a..a + 50_000].to_vec();
        tasks.push(tokio::spawn(async move {
            let (st, _, body) = get(
                &url,
                Some(&format!("bytes={a}-{}", a + 49_999)),
                Duration::from_secs(120),
            )
            .await;
            (st, body == want)
        }));
    }
    // While they wait: the index answers quickly, the download moves, a 33rd is turned away.
    let registered = Instant::now();
    while streams(&c).await < 32 {
        assert!(
            registered.elapsed() < Duration::from_secs(20),
            "the 32 players never all started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t0 = Instant::now();
    let (st, _, _) = get(&format!("{}/", c.base), None, Duration::from_secs(5)).await;
    assert_eq!(st, 200);
    let index_ms = t0.elapsed().as_millis();
    assert!(
        index_ms < 2000,
        "the index took {index_ms} ms with 32 players waiting"
    );
    // A slot may come free between looking and asking: ask again then, a bounded number of times.
    let mut busy = None;
    for _ in 0..20 {
        let r = reqwest::Client::new()
            .get(format!("{}/Ep%200.mkv", c.base))
            .header("Range", "bytes=5000000-5000001")
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if let Ok(r) = r
            && r.status() == 503
        {
            busy = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap_or("").to_string());
            break;
        }
        if streams(&c).await < 31 {
            break;
        }
    }
    for t in tasks {
        let (st, ok) = t.await.unwrap();
        assert_eq!(st, 206);
        assert!(ok, "a player got wrong bytes");
    }
    assert_eq!(
        busy.as_deref(),
        Some("5"),
        "the 33rd player was not refused with Retry-After"
    );
    let (streams_left, fds_left) = settle(&c, baseline + 2).await;
    assert_eq!(streams_left, 0);
    assert!(
        fds_left <= baseline + 2,
        "file descriptors {baseline} before, {fds_left} after"
    );
    eprintln!("32 players: index answered in {index_ms} ms; fds {baseline} → {fds_left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_connect_read_close_cycles_leave_no_leak() {
    let len = 4 * 1024 * 1024;
    let s = swarm("t", &[("f.mkv", len)], 64 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let (st, _, _) = get(&format!("{}/f.mkv", c.base), None, Duration::from_secs(60)).await;
    assert_eq!(st, 200);
    let baseline = fds(c.child.id());
    let addr = c.base.trim_start_matches("http://").to_string();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let started = Instant::now();
    for i in 0..1000 {
        let a = rng.random_range(0..len - 1);
        let mut sock = std::net::TcpStream::connect(&addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            sock,
            "GET /f.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes={a}-\r\n\r\n"
        )
        .unwrap();
        let mut buf = [0u8; 512];
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0, "cycle {i}: nothing read");
        assert!(
            buf.starts_with(b"HTTP/1.1 206"),
            "cycle {i}: {}",
            String::from_utf8_lossy(&buf[..n])
        );
        drop(sock);
    }
    let took = started.elapsed();
    let (streams_left, fds_left) = settle(&c, baseline + 2).await;
    assert_eq!(streams_left, 0, "streams left open after 1000 cycles");
    assert!(
        fds_left <= baseline + 2,
        "file descriptors {baseline} before, {fds_left} after"
    );
    eprintln!(
        "1000 cycles in {:.1} s; fds {baseline} → {fds_left}",
        took.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_closed_and_block_nobody() {
    let s = swarm("t", &[("f.mkv", 100_000)], 16 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let c = client(
        &s.torrent_path,
        s.seeder.addr,
        &save,
        &["--http-idle-timeout", "2"],
    )
    .await;
    let addr = c.base.trim_start_matches("http://").to_string();
    // Twenty clients that send half a header and stop, and one that goes idle after a request.
    let mut slow: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    let mut idle = std::net::TcpStream::connect(&addr).unwrap();
    idle.write_all(b"GET /status.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 64];
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(idle.read(&mut first).unwrap() > 0);
    // A normal request is not held up by them.
    let t0 = Instant::now();
    let (st, _, _) = get(&format!("{}/status.json", c.base), None, Duration::from_secs(5)).await;
    assert_eq!(st, 200);
    assert!(t0.elapsed() < Duration::from_secs(1));
    // All of them are closed by the server after the timeout (2 s), well before 10 s.
    let t0 = Instant::now();
    for s in slow.iter_mut().chain(std::iter::once(&mut idle)) {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 65536];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("not closed by the server: {e}"),
            }
        }
    }
    assert!(
        t0.elapsed() < Duration::from_secs(6),
        "closing took {:?}",
        t0.elapsed()
    );
}
