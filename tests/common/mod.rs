//! Shared parts of the end-to-end tests: a real librqbit seeder on 127.0.0.1 and the real
//! bt2p-tui binary as the client, both stopped by the test that started them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

// The seeder of `demo`, compiled into the tests from its own file: one seeder to maintain, and
// none in the library's public API.
#[path = "../../src/demo/seeder.rs"]
mod seeder;
pub(crate) use seeder::{Seeder, free_port};

pub const BIN: &str = env!("CARGO_BIN_EXE_bt2p-tui");

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

/// Files on disk, a torrent of them, and a seeder for it.
pub struct Swarm {
    pub dir: tempfile::TempDir,
    pub torrent: bytes::Bytes,
    pub torrent_path: PathBuf,
    pub files: Vec<(String, Vec<u8>)>,
    pub seeder: Seeder,
}

/// Seeds `files` (relative paths and lengths). One file: a single-file torrent; several: a folder
/// named `name`. `rate` throttles the seeder's upload (bytes per second).
pub async fn swarm(name: &str, files: &[(&str, usize)], piece_len: u32, rate: Option<u64>) -> Swarm {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    let mut out = Vec::new();
    let root = if files.len() == 1 {
        seed.clone()
    } else {
        seed.join(name)
    };
    for (i, (path, len)) in files.iter().enumerate() {
        let bytes = data(*len, i as u64 + 7);
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &bytes).unwrap();
        out.push((path.to_string(), bytes));
    }
    let target = if files.len() == 1 {
        seed.join(files[0].0)
    } else {
        seed.join(name)
    };
    let torrent = make_torrent(&target, piece_len).await;
    let torrent_path = dir.path().join("t.torrent");
    std::fs::write(&torrent_path, &torrent).unwrap();
    let seeder = Seeder::start(&seed, torrent.clone(), rate).await.unwrap();
    Swarm {
        dir,
        torrent,
        torrent_path,
        files: out,
        seeder,
    }
}

/// The bt2p-tui binary running headless against one peer, killed on drop.
pub struct Client {
    pub child: Child,
    pub base: String,
    pub save: PathBuf,
    pub port: u16,
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the client on a free port and waits (at most 30 s) until its HTTP server answers.
pub async fn client(source: &Path, peer: std::net::SocketAddr, save: &Path, extra: &[&str]) -> Client {
    client_with_env(source, peer, save, extra, &[("RUST_LOG", "warn")]).await
}

/// `client` with environment variables of its own.
pub async fn client_with_env(
    source: &Path,
    peer: std::net::SocketAddr,
    save: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Client {
    let port = free_port().unwrap();
    let listen = free_port().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg(source)
        .args(["--no-tui", "--no-dht", "--no-trackers", "--bind", "127.0.0.1"])
        .args(if extra.contains(&"--resume") {
            &[][..]
        } else {
            &["--no-resume"][..]
        })
        .args(["--port", &port.to_string(), "--listen-port", &listen.to_string()])
        .args(["--peer", &peer.to_string(), "--save-path"])
        .arg(save)
        .args(extra)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        // Kept beside the save path: `<save>.stderr`.
        .stderr(
            std::fs::File::create(save.with_extension("stderr"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::inherit()),
        );
    let child = cmd.spawn().unwrap();
    let mut c = Client {
        child,
        base: format!("http://127.0.0.1:{port}"),
        save: save.to_path_buf(),
        port,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(st)) = c.child.try_wait() {
            let err = std::fs::read_to_string(save.with_extension("stderr")).unwrap_or_default();
            panic!("bt2p-tui exited with {st} before answering: {err}");
        }
        // Any HTTP answer means the server is up (401 and 403 included).
        if reqwest::get(format!("{}/status.json", c.base)).await.is_ok() {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("bt2p-tui did not answer on {} within 30 s", c.base);
}

pub async fn status(c: &Client) -> serde_json::Value {
    reqwest::get(format!("{}/status.json", c.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
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

/// A process a test started, killed (by its PID) and reaped when the test is done with it.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
