//! What a stranger can send: path tricks, markup in names, foreign addresses, missing
//! credentials. Real seeder, real binary, real HTTP on 127.0.0.1.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::*;

const T: Duration = Duration::from_secs(30);

/// Sends `request` as written (no client-side normalisation) and returns the status and body.
fn raw(base: &str, request: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

fn get_path(base: &str, path: &str) -> (u16, String) {
    raw(
        base,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_tricks_never_reach_outside_the_torrent() {
    let files = [("Season 1/Ep 1.mkv", 50_000), ("notes.txt", 1000)];
    let s = swarm("Show", &files, 16 * 1024, None).await;
    // A file beside the save path that no request may reach.
    std::fs::write(s.dir.path().join("secret.txt"), b"TOP-SECRET").unwrap();
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let long = format!("/{}", "a".repeat(20_000));
    let tricks = [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/%5c..%5csecret.txt",
        "/..\\secret.txt",
        "//etc/passwd",
        "/Season%201/",
        "/Season%201",
        "/Season%201/../notes.txt",
        "/Show/notes.txt",
        "/%00notes.txt",
        "/notes.txt%00",
        "/0",
        "/-1",
        "/999",
        "/dl/Show/notes.txt",
        long.as_str(),
    ];
    for path in tricks {
        let (status, body) = get_path(&c.base, path);
        assert!(matches!(status, 400 | 404 | 414 | 431), "{path}: {status}");
        assert!(
            !body.contains("TOP-SECRET") && !body.contains("root:"),
            "{path}: {body}"
        );
    }
    // The real file is still served, by its own path only.
    let (status, body) = get_path(&c.base, "/notes.txt");
    assert_eq!(status, 200);
    assert!(body.ends_with(&String::from_utf8_lossy(&s.files[1].1).to_string()));
    // Nothing was written outside the save path (the seed folder, the torrent, the secret).
    let mut outside: Vec<String> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    outside.sort();
    assert_eq!(outside, ["dl", "dl.stderr", "secret.txt", "seed", "t.torrent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_names_stream_end_to_end() {
    let files = [
        ("Сезон 1/エピソード 1 🎬.mkv", 300_000),
        ("Ünïcødé & spaces/ß.srt", 2000),
    ];
    let s = swarm("Шоу", &files, 16 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    assert_serves_every_file(&c, &s.files, T).await;
    for (path, _) in &s.files {
        assert!(
            save.join("Шоу").join(path).is_file(),
            "{path} not under the save path"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_names_is_only_text() {
    let name = r#""><svg onload=alert(1)><img src=x onerror="document.title='pwned'">"#;
    let s = swarm(
        name,
        &[
            (r#"<b>bold</b'.mkv"#.replace('/', "").as_str(), 1000),
            ("x.srt", 10),
        ],
        16 * 1024,
        None,
    )
    .await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &[]).await;
    let (st, h, page) = get(&format!("{}/", c.base), None, T).await;
    assert_eq!(st, 200);
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    // Every other answer too: a file, a range of it, the server's own documents, an error.
    for (path, range, status) in [
        ("/x.srt", None, 200),
        ("/x.srt", Some("bytes=0-1,4-5"), 206),
        ("/status.json", None, 200),
        ("/playlist.m3u", None, 200),
        ("/metrics", None, 200),
        ("/no-such-file", None, 404),
    ] {
        let (st, h, _) = get(&format!("{}{path}", c.base), range, T).await;
        assert_eq!(st, status, "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    let page = String::from_utf8(page).unwrap();
    // A real HTML parser sees no element the payload could have made, and the payload as text.
    let script = r#"
import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(s): super().__init__(); s.tags=set(); s.text=[]
    def handle_starttag(s, t, a): s.tags.add(t)
    def handle_data(s, d): s.text.append(d)
p = P(); p.feed(sys.stdin.read())
print(",".join(sorted(p.tags))); print("".join(p.text))
"#;
    let mut py = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    py.stdin.take().unwrap().write_all(page.as_bytes()).unwrap();
    let out = String::from_utf8(py.wait_with_output().unwrap().stdout).unwrap();
    let (tags, text) = out.split_once('\n').unwrap();
    for bad in ["svg", "img", "script", "b"] {
        assert!(
            !tags.split(',').any(|t| t == bad),
            "<{bad}> made it into the page: {tags}"
        );
    }
    assert!(text.contains(name), "the name is not shown as text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_addresses_get_403_naming_allow() {
    let s = swarm("t", &[("a.mkv", 1000)], 16 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let c = client(&s.torrent_path, s.seeder.addr, &save, &["--allow", "10.0.0.0/8"]).await;
    for path in ["/", "/a.mkv", "/status.json", "/?piece_par=3", "/playlist.m3u"] {
        let (status, body) = get_path(&c.base, path);
        assert_eq!(status, 403, "{path}");
        assert!(body.contains("--allow 127.0.0.1/32"), "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_guards_every_route_and_never_logs_the_password() {
    let s = swarm("t", &[("a.mkv", 1000)], 16 * 1024, None).await;
    let save = s.dir.path().join("dl");
    let log = s.dir.path().join("log.txt");
    let pass = "s3cret-Pa55";
    let auth = format!("viewer:{pass}");
    let c = client_with_env(
        &s.torrent_path,
        s.seeder.addr,
        &save,
        &["--auth", &auth, "--log-file", log.to_str().unwrap(), "--log"],
        &[("RUST_LOG", "trace")],
    )
    .await;
    use base64::Engine as _;
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(&auth)
    );
    let bad = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("viewer:nope")
    );
    for path in [
        "/",
        "/a.mkv",
        "/status.json",
        "/?piece_par=3",
        "/playlist.m3u",
        "/t.torrent",
        "/nope",
    ] {
        let req = |h: &str| format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{h}Connection: close\r\n\r\n");
        let (st, body) = raw(&c.base, &req(""));
        assert_eq!(st, 401, "{path} without credentials");
        assert!(
            body.to_ascii_lowercase().contains("www-authenticate: basic"),
            "{path}"
        );
        let (st, _) = raw(&c.base, &req(&format!("Authorization: {bad}\r\n")));
        assert_eq!(st, 401, "{path} with a wrong password");
        let (st, _) = raw(&c.base, &req(&format!("Authorization: {good}\r\n")));
        assert!(matches!(st, 200 | 404), "{path} with the password: {st}");
    }
    // One more request, whose line in the log comes after all that the others logged.
    let marker = format!(
        "GET /?piece_par=5 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {good}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw(&c.base, &marker).0, 200);
    let logged = wait_text(
        "the last request in the log file",
        || std::fs::read_to_string(&log).unwrap_or_default(),
        |logged| logged.contains("piece_par set to 5 over HTTP"),
    )
    .await;
    assert!(!logged.is_empty(), "nothing was logged at trace level");
    let logged = logged + &c.stderr();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&auth);
    assert!(
        !logged.contains(pass) && !logged.contains(&b64),
        "the credentials are in the log"
    );
    drop(c);
}
