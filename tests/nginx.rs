//! Differential: the same file from bt2p-tui and from nginx (Debian), ~40 Range headers to both;
//! status, Content-Range, Content-Length and body must agree. Needs nginx: `--features interop`.
#![cfg(feature = "interop")]

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::*;

/// One raw HTTP/1.1 exchange: (status, headers lowercased, body).
fn exchange(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut body = out[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let hs: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if hs.iter().any(|(k, v)| k == "transfer-encoding" && v == "chunked") {
        body = dechunk(&body);
    }
    (status, hs, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend(&b[nl + 2..nl + 2 + n]);
        b = &b[nl + 4 + n..];
    }
}

fn header<'a>(hs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    hs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// A multipart body without its boundary: the parts' headers and data, for comparison.
fn parts(content_type: Option<&str>, body: &[u8]) -> Option<Vec<u8>> {
    let boundary = content_type?.split("boundary=").nth(1)?;
    let text = body.to_vec();
    let sep = format!("--{boundary}");
    let mut normalized = Vec::new();
    let mut rest = &text[..];
    while let Some(i) = rest.windows(sep.len()).position(|w| w == sep.as_bytes()) {
        normalized.extend(&rest[..i]);
        normalized.extend(b"--BOUNDARY");
        rest = &rest[i + sep.len()..];
    }
    normalized.extend(rest);
    Some(normalized)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_are_answered_exactly_as_nginx_answers_them() {
    require("nginx", "nginx-light");
    let len = 300_001usize;
    let s = swarm("t", &[("clip.mkv", len)], 16 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    // Completed first, so both serve a whole file.
    let (st, _, body) = get(&format!("{}/clip.mkv", c.base), None, Duration::from_secs(60)).await;
    assert_eq!((st, body.len()), (200, len));

    let ngx = Nginx::start(s.dir.path(), &s.dir.path().join("seed"), "").await;
    let ours = c.base.trim_start_matches("http://").to_string();
    let theirs = ngx.base.trim_start_matches("http://").to_string();

    let l = len;
    let mut ranges: Vec<String> = [
        "bytes=0-0",
        "bytes=0-99",
        "bytes=100-199",
        "bytes=-1",
        "bytes=-100",
        "bytes=-0",
        "bytes=100-",
        "bytes=0-",
        "bytes=5-1",
        "bytes=abc",
        "bytes=",
        "bytes=-",
        "bytes=--5",
        "bytes=1-2-3",
        "bytes= 1-2",
        "bytes=1 -2",
        "BYTES=0-1",
        "items=0-1",
        "bytes=0-1,3-4",
        "bytes=0-1, 5-9",
        "bytes=10-20,0-5",
        "bytes=0-1,0-1",
        "bytes=0-1,1-2",
        "bytes=-5,0-4",
        "bytes=99999999999999999999-",
        "bytes=0-99999999999999999999",
        "bytes=1-0",
        "bytes=,0-1",
        "bytes=0-1,",
        "bytes=0-0,-1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ranges.extend([
        format!("bytes={}-", l - 1),
        format!("bytes={l}-"),
        format!("bytes={l}-{}", l + 10),
        format!("bytes=0-{}", l + 100),
        format!("bytes=-{}", l + 5),
        format!("bytes=0-{}", l - 1),
        format!("bytes=0-1,{l}-"),
        format!("bytes={}-{},{}-{}", l - 10, l - 5, 7, 9),
    ]);
    let mut compared = 0;
    for r in &ranges {
        for method in ["GET", "HEAD"] {
            let a = exchange(&ours, method, "/clip.mkv", &[("Range", r.clone())]);
            let b = exchange(&theirs, method, "/clip.mkv", &[("Range", r.clone())]);
            assert_eq!(a.0, b.0, "{method} Range: {r}: status");
            assert_eq!(
                header(&a.1, "content-range"),
                header(&b.1, "content-range"),
                "{method} Range: {r}"
            );
            if a.0 != 416 {
                assert_eq!(
                    header(&a.1, "content-length"),
                    header(&b.1, "content-length"),
                    "{method} Range: {r}"
                );
                let (ta, tb) = (header(&a.1, "content-type"), header(&b.1, "content-type"));
                match (parts(ta, &a.2), parts(tb, &b.2)) {
                    (Some(pa), Some(pb)) => assert!(pa == pb, "{method} Range: {r}: multipart bodies differ"),
                    (None, None) => assert!(a.2 == b.2, "{method} Range: {r}: bodies differ"),
                    _ => panic!("{method} Range: {r}: one answered multipart, the other not: {ta:?} {tb:?}"),
                }
            }
            compared += 1;
        }
    }
    // If-Range with each server's own validator, with a stale one, and with a date.
    for (addr, name) in [(&ours, "bt2p"), (&theirs, "nginx")] {
        let head = exchange(addr, "HEAD", "/clip.mkv", &[]);
        let etag = header(&head.1, "etag").expect("no ETag").to_string();
        let r = ("Range", "bytes=10-19".to_string());
        let fresh = exchange(addr, "GET", "/clip.mkv", &[r.clone(), ("If-Range", etag)]);
        assert_eq!(
            (fresh.0, fresh.2.len()),
            (206, 10),
            "{name}: If-Range with the current ETag"
        );
        let stale = exchange(
            addr,
            "GET",
            "/clip.mkv",
            &[r.clone(), ("If-Range", "\"stale\"".into())],
        );
        assert_eq!(
            (stale.0, stale.2.len()),
            (200, len),
            "{name}: If-Range with a stale ETag"
        );
        let date = exchange(
            addr,
            "GET",
            "/clip.mkv",
            &[r, ("If-Range", "Mon, 01 Jan 2001 00:00:00 GMT".into())],
        );
        assert_eq!(date.0, 200, "{name}: If-Range with an old date");
    }
    eprintln!("{compared} exchanges compared with nginx");
    assert!(compared >= 76);

    // Abuse: a thousand ranges and overlapping ones stay bounded (no more than the file is sent).
    let many = format!(
        "bytes={}",
        (0..1000)
            .map(|i| format!("{}-{}", i * 3, i * 3))
            .collect::<Vec<_>>()
            .join(",")
    );
    let a = exchange(&ours, "GET", "/clip.mkv", &[("Range", many)]);
    assert!(
        a.2.len() <= len + 1000 * 128,
        "1000 ranges sent {} bytes",
        a.2.len()
    );
    let overlap = format!("bytes={}", vec!["0-299999"; 50].join(","));
    let a = exchange(&ours, "GET", "/clip.mkv", &[("Range", overlap)]);
    assert_eq!((a.0, a.2.len()), (200, len), "overlapping ranges");
}
