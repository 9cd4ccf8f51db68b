//! Shared parts of the end-to-end tests: a real librqbit seeder on 127.0.0.1 and the real
//! bt2p-tui binary as the client, both stopped by the test that started them.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rand::{Rng, SeedableRng};

pub mod lt;
// The seeder of `demo`, compiled into the tests from its own file: one seeder to maintain, and
// none in the library's public API.
#[path = "../../src/demo/seeder.rs"]
mod seeder;
mod wait;

pub(crate) use seeder::{Seeder, free_port};
pub use wait::wait_for;

pub const BIN: &str = env!("CARGO_BIN_EXE_bt2p-tui");

/// What a test waits for at most before it fails: generous, as the machine may be busy.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The options that keep the binary off the internet, its resume data out of the home folder
/// and its HTTP server on loopback.
pub const OFFLINE: [&str; 5] = ["--no-dht", "--no-trackers", "--no-resume", "--bind", "127.0.0.1"];

/// A `.torrent` for the file or folder at `path`, with pieces of `piece_len` bytes.
pub async fn make_torrent(path: &Path, piece_len: u32) -> bytes::Bytes {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || bt2p_tui::create::make_torrent(&path, piece_len, &[]))
        .await
        .unwrap()
        .unwrap()
        .into()
}

/// Deterministic pseudo-random content.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut v = vec![0u8; len];
    rng.fill(&mut v[..]);
    v
}

/// Writes `files` (paths relative to `root`, lengths) of content drawn from `seed` on: the
/// paths and their bytes.
pub fn write_files(root: &Path, files: &[(&str, usize)], seed: u64) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .enumerate()
        .map(|(i, (rel, len))| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            let bytes = data(*len, i as u64 + seed);
            std::fs::write(&p, &bytes).unwrap();
            (rel.to_string(), bytes)
        })
        .collect()
}

/// Files on disk and a torrent of them, seeded by nobody yet (see `Held::release`).
pub struct Held {
    pub dir: tempfile::TempDir,
    pub torrent: bytes::Bytes,
    pub torrent_path: PathBuf,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Files on disk, a torrent of them, and a seeder for it.
pub struct Swarm {
    pub dir: tempfile::TempDir,
    pub torrent: bytes::Bytes,
    pub torrent_path: PathBuf,
    pub files: Vec<(String, Vec<u8>)>,
    pub seeder: Seeder,
}

/// `files` (relative paths and lengths) in `<dir>/seed` and a torrent of them. One file: a
/// single-file torrent; several: a folder named `name`.
pub async fn held(name: &str, files: &[(&str, usize)], piece_len: u32) -> Held {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    let (root, target) = match files {
        [(one, _)] => (seed.clone(), seed.join(one)),
        _ => (seed.join(name), seed.join(name)),
    };
    let files = write_files(&root, files, 7);
    let torrent = make_torrent(&target, piece_len).await;
    let torrent_path = dir.path().join("t.torrent");
    std::fs::write(&torrent_path, &torrent).unwrap();
    Held {
        dir,
        torrent,
        torrent_path,
        files,
    }
}

impl Held {
    /// Starts a seeder that dials the client listening at `client` itself. Until then a
    /// `lone_client` has no peer at all, so every player of a missing region waits, as long as
    /// the test likes.
    pub async fn release(&self, client: SocketAddr, rate: Option<u64>) -> Seeder {
        let seed = self.dir.path().join("seed");
        Seeder::start_dialling(&seed, self.torrent.clone(), rate, vec![client])
            .await
            .unwrap()
    }

    /// A `lone_client` of the torrent, saving in `<dir>/dl`.
    pub async fn client(&self, extra: &[&str]) -> Client {
        lone_client(&self.torrent_path, &self.dir.path().join("dl"), extra).await
    }
}

/// Seeds `files` (see `held`). `rate` throttles the seeder's upload (bytes per second).
pub async fn swarm(name: &str, files: &[(&str, usize)], piece_len: u32, rate: Option<u64>) -> Swarm {
    let h = held(name, files, piece_len).await;
    let seeder = Seeder::start(&h.dir.path().join("seed"), h.torrent.clone(), rate)
        .await
        .unwrap();
    Swarm {
        dir: h.dir,
        torrent: h.torrent,
        torrent_path: h.torrent_path,
        files: h.files,
        seeder,
    }
}

/// The bt2p-tui binary running headless, killed on drop.
pub struct Client {
    pub child: Child,
    pub base: String,
    pub save: PathBuf,
    pub port: u16,
    /// Where it takes peer connections.
    pub listen: SocketAddr,
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Client {
    /// What it has written to stderr so far (`<save>.stderr`).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.save.with_extension("stderr")).unwrap_or_default()
    }
}

/// Starts the client on a free port with `peer` to dial, and waits until its HTTP server answers.
pub async fn client(source: &Path, peer: SocketAddr, save: &Path, extra: &[&str]) -> Client {
    client_with_env(source, peer, save, extra, &[("RUST_LOG", "warn")]).await
}

/// `client` with several peers to dial.
pub async fn client_of(source: &Path, peers: &[SocketAddr], save: &Path, extra: &[&str]) -> Client {
    wait_up(spawn_client(source, peers, save, extra, &[("RUST_LOG", "warn")])).await
}

/// `client` with environment variables of its own.
pub async fn client_with_env(
    source: &Path,
    peer: SocketAddr,
    save: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Client {
    wait_up(spawn_client(source, &[peer], save, extra, env)).await
}

/// `client` with no peer to dial: nothing downloads until a seeder dials it (`Held::release`).
pub async fn lone_client(source: &Path, save: &Path, extra: &[&str]) -> Client {
    wait_up(spawn_client(source, &[], save, extra, &[("RUST_LOG", "warn")])).await
}

/// `cmd` (the binary, or a command that enters a network namespace and then execs the binary)
/// completed to run it headless for `source` with `args`, its HTTP server on `port`, saving in
/// `save`, its stderr written to `stderr`; stdin empty. Env and stdout are the caller's.
pub fn headless(
    mut cmd: Command,
    source: &Path,
    args: &[&str],
    port: u16,
    save: &Path,
    stderr: &Path,
) -> Command {
    cmd.arg(source)
        .arg("--no-tui")
        .args(args)
        .args(["--port", &port.to_string(), "--save-path"])
        .arg(save)
        .stdin(Stdio::null())
        .stderr(
            std::fs::File::create(stderr)
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::inherit()),
        );
    cmd
}

/// The binary headless on free ports for `source` (a path, or a magnet link) with exactly
/// `args` besides its ports and save path; nothing is waited for.
pub fn spawn_bin(source: &Path, args: &[&str], save: &Path, env: &[(&str, &str)]) -> Client {
    let port = free_port().unwrap();
    let listen = free_port().unwrap();
    let listen_arg = listen.to_string();
    let args = [args, &["--listen-port", &listen_arg]].concat();
    // Kept beside the save path: `<save>.stderr`.
    let child = headless(
        Command::new(BIN),
        source,
        &args,
        port,
        save,
        &save.with_extension("stderr"),
    )
    .envs(env.iter().copied())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    Client {
        child,
        base: format!("http://127.0.0.1:{port}"),
        save: save.to_path_buf(),
        port,
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, listen)),
    }
}

/// `spawn_bin` offline (no DHT, trackers, or resume unless `--resume` is in `extra`), with
/// `peers` to dial and then `extra`.
pub fn spawn_client(
    source: &Path,
    peers: &[SocketAddr],
    save: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Client {
    let peers: Vec<String> = peers.iter().map(|p| p.to_string()).collect();
    let mut args: Vec<&str> = OFFLINE
        .iter()
        .copied()
        .filter(|&a| a != "--no-resume" || !extra.contains(&"--resume"))
        .collect();
    for p in &peers {
        args.extend(["--peer", p.as_str()]);
    }
    args.extend_from_slice(extra);
    spawn_bin(source, &args, save, env)
}

/// `c` once its HTTP server answers; fails the test if it exits first.
pub async fn wait_up(mut c: Client) -> Client {
    let status = format!("{}/status.json", c.base);
    wait_for("bt2p-tui's HTTP server to answer", DEADLINE, async || {
        if let Ok(Some(st)) = c.child.try_wait() {
            panic!("bt2p-tui exited with {st} before answering: {}", c.stderr());
        }
        // Any HTTP answer means the server is up (401 and 403 included).
        http().get(&status).send().await.map(|_| ())
    })
    .await;
    c
}

/// An HTTP client whose every request is bounded in time.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(DEADLINE).build().unwrap()
}

/// The status.json of the client at `base` (`http://host:port`).
pub async fn status_at(base: &str) -> serde_json::Value {
    status_as(base).await
}

/// The status.json of the client at `base`, read as `T`.
async fn status_as<T: serde::de::DeserializeOwned>(base: &str) -> T {
    http()
        .get(format!("{base}/status.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn status(c: &Client) -> serde_json::Value {
    status_at(&c.base).await
}

/// status.json read typed, as the program writes it.
pub type Status = bt2p_tui::wire::StatusJson<'static>;

/// `c`'s status.json, typed.
pub async fn status_typed(c: &Client) -> Status {
    status_as(&c.base).await
}

/// `wait_status` on the typed status.json.
pub async fn wait_typed<T>(c: &Client, what: &str, check: impl Fn(&Status) -> Option<T>) -> T {
    wait_for(what, DEADLINE, async || {
        let st = status_typed(c).await;
        check(&st).ok_or(st)
    })
    .await
}

/// The players status.json lists.
pub fn streams(st: &serde_json::Value) -> &[serde_json::Value] {
    st["streams"].as_array().expect("status.json lists no streams")
}

/// Polls `c`'s status.json until `check` finds what it looks for, and gives that; on timeout
/// the test fails with `what` and the last status.json seen.
pub async fn wait_status<T>(c: &Client, what: &str, check: impl Fn(&serde_json::Value) -> Option<T>) -> T {
    wait_status_at(&c.base, what, check).await
}

/// `wait_status` for the client at `base` (`http://host:port`).
pub async fn wait_status_at<T>(base: &str, what: &str, check: impl Fn(&serde_json::Value) -> Option<T>) -> T {
    wait_for(what, DEADLINE, async || {
        let st = status_at(base).await;
        check(&st).ok_or(st)
    })
    .await
}

/// Waits until `c`'s status.json lists a peer for which `matches` holds, and gives it.
pub async fn wait_peer(
    c: &Client,
    what: &str,
    matches: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    wait_status(c, what, |st| {
        st["peers"].as_array()?.iter().find(|p| matches(p)).cloned()
    })
    .await
}

/// Waits until the text `read` gives (a log, a file) holds what `has` looks for, and gives it.
pub async fn wait_text(what: &str, read: impl Fn() -> String, has: impl Fn(&str) -> bool) -> String {
    wait_for(what, DEADLINE, async || {
        let text = read();
        if has(&text) { Ok(text) } else { Err(text) }
    })
    .await
}

pub fn sha(b: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(b))
}

/// GET with an optional Range header; (status, headers, body), bounded by `limit`.
pub async fn get(
    url: &str,
    range: Option<&str>,
    limit: Duration,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let client = reqwest::Client::builder().timeout(limit).build().unwrap();
    let mut req = client.get(url);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap().to_vec();
    (status, headers, body)
}

/// A player in a task of its own, reading `len` bytes of a file from byte `from`.
pub struct Player {
    pub from: usize,
    pub len: usize,
    pub task: tokio::task::JoinHandle<(u16, Vec<u8>)>,
}

/// Starts a player of `url` asking for `len` bytes from `from` (a Range request), bounded by `limit`.
pub fn player(url: &str, from: usize, len: usize, limit: Duration) -> Player {
    let (url, range) = (url.to_string(), format!("bytes={from}-{}", from + len - 1));
    let task = tokio::spawn(async move {
        let (st, _, body) = get(&url, Some(&range), limit).await;
        (st, body)
    });
    Player { from, len, task }
}

impl Player {
    /// Waits for the answer: 206 and exactly those bytes of `original`.
    pub async fn assert_got(self, original: &[u8]) {
        let (st, body) = self.task.await.unwrap();
        let at = self.from;
        assert_eq!(st, 206, "player at {at}");
        assert!(
            body == original[at..at + self.len],
            "player at {at} got wrong bytes"
        );
    }
}

/// A player that has read the first bytes of a file and holds its connection open without
/// reading on, for as long as the test keeps it: no timeout cuts it.
pub struct Holding {
    pub first: bytes::Bytes,
    _body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
}

/// Opens `url` as a `Holding` player.
pub async fn hold(url: &str) -> Holding {
    use futures::StreamExt;
    let resp = tokio::time::timeout(DEADLINE, reqwest::get(url))
        .await
        .expect("no answer to the player")
        .unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    let mut body = Box::pin(resp.bytes_stream());
    let first = tokio::time::timeout(DEADLINE, body.next())
        .await
        .expect("no first bytes for the player")
        .expect("an empty body")
        .unwrap();
    Holding { first, _body: body }
}

/// `who` asks for `range` of `url` while every player slot is taken: turned away with 503 and
/// Retry-After.
pub async fn assert_turned_away(url: &str, range: &str, who: &str) {
    let r = http().get(url).header("Range", range).send().await.unwrap();
    assert_eq!(r.status(), 503, "{who} was not turned away");
    assert_eq!(
        r.headers().get("retry-after").map(|v| v.to_str().unwrap()),
        Some("5"),
        "{who} was turned away without Retry-After"
    );
}

/// Every file of `files` is served whole at its path, byte-exact.
pub async fn assert_serves_every_file(c: &Client, files: &[(String, Vec<u8>)], limit: Duration) {
    for (path, bytes) in files {
        let url = format!("{}/{}", c.base, bt2p_tui::http::encode_path(path));
        let (st, _, body) = get(&url, None, limit).await;
        assert_eq!(st, 200, "{path}");
        assert_eq!(sha(&body), sha(bytes), "{path}");
    }
}

/// A process a test started, killed (by its PID) and reaped when the test is done with it.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until something listens on 127.0.0.1:`port`; `process` must not exit meanwhile.
pub async fn wait_listening(process: &mut Killed, name: &str, port: u16) {
    wait_for(
        &format!("{name} to listen on port {port}"),
        DEADLINE,
        async || {
            if let Ok(Some(st)) = process.0.try_wait() {
                panic!("{name} exited with {st}");
            }
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .map(drop)
        },
    )
    .await
}

/// A case that cannot run here (`what`, and `why`): said loudly, and under `--features interop`
/// (what .ci/run tests with) a failure, as there every case must run.
pub fn skip(what: &str, why: &str) {
    if cfg!(feature = "interop") {
        panic!("{what} cannot be tested: {why}");
    }
    eprintln!("SKIPPED {what}: {why}");
}

/// Fails the test, loudly, when a program from Debian it drives is missing.
pub fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool} || test -x /usr/sbin/{tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(found, "{tool} is not installed: apt-get install {package}");
}

/// What ffprobe says `input` (a file or a URL) lasts, and what it wrote to stderr; run off the
/// async threads, within `DEADLINE`.
#[allow(dead_code)] // Not every test file plays.
pub async fn ffprobe_duration(input: &str) -> (Option<f64>, String) {
    let mut cmd = Command::new("ffprobe");
    cmd.args([
        "-v",
        "error",
        "-show_entries",
        "format=duration",
        "-of",
        "csv=p=0",
    ]);
    if input.starts_with("http") {
        // A stream that stalls fails the probe rather than hanging it.
        cmd.args(["-rw_timeout", "60000000"]);
    }
    cmd.arg(input).stdin(Stdio::null());
    let out = tokio::time::timeout(DEADLINE, tokio::task::spawn_blocking(move || cmd.output()))
        .await
        .expect("ffprobe did not finish")
        .unwrap()
        .expect("ffprobe (ffmpeg) runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    (text(&out.stdout).parse().ok(), text(&out.stderr))
}

/// A test card with a tone, H.264/AAC, made by ffmpeg: `size` like "640x360", `bitrate` like
/// "1500k" (None: the encoder's default).
pub fn test_video(out: &Path, size: &str, secs: u32, bitrate: Option<&str>) {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={size}:rate=25:duration={secs}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=duration={secs}"))
        .args(["-c:v", "libx264", "-preset", "ultrafast"]);
    if let Some(b) = bitrate {
        cmd.args(["-b:v", b]);
    }
    let st = cmd.args(["-c:a", "aac"]).arg(out).status().unwrap();
    assert!(st.success(), "ffmpeg could not make {}", out.display());
}

/// A test card in WebM, VP8 at 200 kbit/s (what GStreamer's base and good plugins and
/// Chromium decode), `size` like "160x120", with a Vorbis tone if `tone`.
pub fn test_webm(out: &Path, size: &str, secs: u32, tone: bool) {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={size}:rate=25:duration={secs}"));
    if tone {
        cmd.args(["-f", "lavfi", "-i"])
            .arg(format!("sine=duration={secs}"));
        cmd.args(["-c:a", "libvorbis"]);
    }
    cmd.args(["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "200k"]);
    let st = cmd.arg(out).status().unwrap();
    assert!(st.success(), "ffmpeg could not make {}", out.display());
}

/// A .torrent of `data` made by mktorrent, with pieces of 2^`piece_log2` bytes and a tracker
/// nobody answers on.
pub fn mktorrent(data: &Path, out: &Path, piece_log2: u8) {
    let st = Command::new("mktorrent")
        .args([
            "-l",
            &piece_log2.to_string(),
            "-a",
            "http://127.0.0.1:1/announce",
            "-o",
        ])
        .arg(out)
        .arg(data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "mktorrent failed on {}", data.display());
}

/// nginx (Debian) serving the folder `root` on a free 127.0.0.1 port, with `extra` directives
/// in its `http` block; stopped by its PID on drop.
pub struct Nginx {
    pub base: String,
    _process: Killed,
}

impl Nginx {
    pub async fn start(work: &Path, root: &Path, extra: &str) -> Nginx {
        let dir = work.join("nginx-oracle");
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port().unwrap();
        let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .iter()
            .map(|t| format!("{t}_temp_path {}/{t};\n", dir.display()))
            .collect();
        let conf = format!(
            "daemon off; master_process off; worker_processes 1; pid {d}/pid; error_log stderr;
events {{ worker_connections 32; }}
http {{ access_log off; {temp} {extra}
  types {{ video/x-matroska mkv; }} default_type application/octet-stream;
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}",
            d = dir.display(),
            root = root.display(),
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new("/usr/sbin/nginx")
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf_path)
            .args(["-e", "stderr"])
            .spawn()
            .unwrap();
        let mut process = Killed(child);
        wait_listening(&mut process, "nginx", port).await;
        Nginx {
            base: format!("http://127.0.0.1:{port}"),
            _process: process,
        }
    }
}
