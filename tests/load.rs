//! Many players at once, many short ones, and clients that are slow or silent.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use rand::{Rng, SeedableRng};

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Waits for the open streams to drop to 0 and the descriptors to `baseline` + 2 (a peer
/// connection may come or go) or below; returns the descriptors then.
async fn no_leak(c: &Client, baseline: usize) -> usize {
    let pid = c.child.id();
    wait_for(
        "the streams and descriptors to be given back",
        DEADLINE,
        async || {
            let (s, f) = (streams(&status(c).await).len(), fds(pid));
            match s == 0 && f <= baseline + 2 {
                true => Ok(f),
                false => Err(format!(
                    "{s} streams open; file descriptors {baseline} before, {f} now"
                )),
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_players_on_missing_regions_then_no_leak() {
    let files: Vec<(String, usize)> = (0..4).map(|i| (format!("Ep {i}.mkv"), 6 * 1024 * 1024)).collect();
    let refs: Vec<(&str, usize)> = files.iter().map(|(p, l)| (p.as_str(), *l)).collect();
    // Nobody seeds until the test says so: the 32 players all wait, however busy the machine.
    let h = held("Season", &refs, 64 * 1024).await;
    let c = h.client(&["--max-players", "32"]).await;
    let baseline = fds(c.child.id());
    let players: Vec<(usize, Player)> = (0..32usize)
        .map(|i| {
            let url = format!("{}/{}", c.base, bt2p_tui::http::encode_path(&h.files[i % 4].0));
            let a = 200_000 + (i / 4) * 700_000;
            (i % 4, player(&url, a, 50_000, Duration::from_secs(120)))
        })
        .collect();
    wait_status(&c, "the 32 players to be counted", |st| {
        (streams(st).len() == 32).then_some(())
    })
    .await;
    // While they all wait: the index answers, and a 33rd is turned away.
    let (st, _, _) = get(&format!("{}/", c.base), None, DEADLINE).await;
    assert_eq!(st, 200);
    assert_turned_away(
        &format!("{}/Ep%200.mkv", c.base),
        "bytes=5000000-5000001",
        "the 33rd player",
    )
    .await;
    assert_eq!(streams(&status(&c).await).len(), 32);
    assert!(
        players.iter().all(|(_, p)| !p.task.is_finished()),
        "a player was answered before anybody seeded"
    );
    // Then the download moves, and every player gets its bytes.
    let _seeder = h.release(c.listen, None).await;
    for (file, p) in players {
        p.assert_got(&h.files[file].1).await;
    }
    let fds_left = no_leak(&c, baseline).await;
    eprintln!("32 players: fds {baseline} → {fds_left}");
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
        let mut sock = TcpStream::connect(&addr).unwrap();
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
    let fds_left = no_leak(&c, baseline).await;
    eprintln!(
        "1000 cycles in {:.1} s; fds {baseline} → {fds_left}",
        took.as_secs_f64()
    );
}

/// Whether the server still holds `s` open: nothing more to read, and no end. What was sent
/// and not read yet is read (and dropped) on the way.
fn open(s: &mut TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 65536];
    let open = loop {
        match s.read(&mut buf) {
            Ok(0) => break false,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break true,
            Err(_) => break false,
        }
    };
    s.set_nonblocking(false).unwrap();
    open
}

/// A connection that sends half a request header and stops.
fn slow(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_closed_and_block_nobody() {
    let s = swarm("t", &[("f.mkv", 100_000)], 16 * 1024, None).await;
    // A server that keeps slow clients for 600 s, and one that closes them after 10 s; it
    // names each connection it closes, and why.
    let patient = client(
        &s.torrent_path,
        s.seeder.addr,
        &s.dir.path().join("patient"),
        &["--http-idle-timeout", "600"],
    )
    .await;
    let c = client_with_env(
        &s.torrent_path,
        s.seeder.addr,
        &s.dir.path().join("dl"),
        &["--http-idle-timeout", "10"],
        &[("RUST_LOG", "warn,bt2p_tui::http=debug")],
    )
    .await;
    let mut first = slow(patient.base.trim_start_matches("http://"));
    let addr = c.base.trim_start_matches("http://").to_string();
    // Twenty clients that send half a header and stop, and one that goes idle after a request.
    let mut slow: Vec<TcpStream> = (0..20).map(|_| slow(&addr)).collect();
    let mut idle = TcpStream::connect(&addr).unwrap();
    idle.write_all(b"GET /status.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 64];
    idle.set_read_timeout(Some(DEADLINE)).unwrap();
    assert!(idle.read(&mut head).unwrap() > 0);
    slow.push(idle);
    // A normal request is answered while all of them still hold their connections.
    let (st, _, _) = get(&format!("{}/status.json", c.base), None, DEADLINE).await;
    assert_eq!(st, 200);
    for (i, s) in slow.iter_mut().enumerate() {
        assert!(
            open(s),
            "connection {i} was closed before a normal request was answered"
        );
    }
    // All of them are closed by the server for not finishing a request header in time, its
    // own time: a slow client of the 600 s server, there since before them, is still open.
    for s in &mut slow {
        let me = s.local_addr().unwrap();
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut buf = [0u8; 65536];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("{me} not closed by the server: {e}"),
            }
        }
        let line = format!("HTTP connection from {me}: read header from client timeout");
        wait_text(
            &format!("'{line}' in the log"),
            || c.stderr(),
            |log| log.contains(&line),
        )
        .await;
    }
    assert!(
        open(&mut first),
        "the 600 s server closed its slow client as early: --http-idle-timeout is not in force"
    );
}
