//! `bt2p-tui demo`: a built-in video, a seeder on 127.0.0.1 throttled like a swarm, and the
//! normal client streaming from it. No internet needed.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use tokio_util::sync::CancellationToken;

use crate::cli::DemoArgs;
use crate::engine::{DEFAULT_REQUEST_WINDOW, EngineOptions};
use crate::error::Error;
use seeder::{Seeder, free_port};
use video::Video;

mod clip;
mod seeder;
pub mod video;

/// The demo video's file name (and the torrent's).
pub const NAME: &str = "bt2p-demo.mkv";
/// Pieces as large as a film's: piece_par 16 (64 MiB) is then above the engine's 32 MiB floor
/// (8 pieces), and the 190 MiB video is 48 pieces of about 7 s of film each.
pub const PIECE_LEN: u32 = 4 * 1024 * 1024;
/// What earlier versions seeded; removed from the cache when found.
const OLD_VIDEO: &str = "bt2p-demo.mp4";

/// A `.torrent` for the file at `path`, made off the async threads.
async fn make_torrent(path: &Path, piece_len: u32) -> std::io::Result<bytes::Bytes> {
    let path = path.to_path_buf();
    let t = tokio::task::spawn_blocking(move || crate::create::make_torrent(&path, piece_len, &[]))
        .await
        .map_err(std::io::Error::other)??;
    Ok(t.into())
}

/// The demo video at `path`, made from the embedded clip unless already there. Making it
/// takes a few seconds, said on the terminal before the dashboard replaces it (`tui`), else
/// in the log.
async fn ensure_video(path: &Path, tui: bool) -> Result<(), crate::error::BoxError> {
    let video = Video::demo()?;
    if video.is_at(path) {
        return Ok(());
    }
    let what = format!(
        "making the demo video ({}, {} s) in {}",
        crate::fmt::size(video.size()),
        video.duration_ms() / 1000,
        path.display()
    );
    match tui {
        true => eprintln!("{what}"),
        false => tracing::info!("{what}"),
    }
    let at = path.to_path_buf();
    tokio::task::spawn_blocking(move || video.ensure(&at))
        .await?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

/// Twice the time the seeder takes, at `rate` bytes per second, for the requests a player's
/// piece may wait behind and then the piece itself (over 12 minutes at 16 KiB/s): a player
/// waiting on a piece is not cut off while that piece is still arriving.
fn slowest_piece(rate: u64) -> Duration {
    let bytes = u64::from(PIECE_LEN) + u64::from(DEFAULT_REQUEST_WINDOW) * 16 * 1024;
    Duration::from_secs(2 * bytes / rate.max(1))
}

/// The demo's HTTP port; when it is taken, most likely by a demo started before, the message
/// gives that demo's address.
async fn bind(common: &crate::cli::CommonArgs) -> Result<tokio::net::TcpListener, Error> {
    match crate::net::bind_http(common.bind, common.port).await {
        Err(Error::HttpPort { addr, source, .. }) if source.kind() == std::io::ErrorKind::AddrInUse => {
            let host = crate::serve::url_host(common);
            let port = common.port;
            let fix = format!(
                "Port {port} is taken, perhaps by a demo already running: open http://{host}:{port}/ \
                 to watch it, or start another with --port N"
            );
            Err(Error::HttpPort { addr, fix, source })
        }
        r => r,
    }
}

/// A download folder of the demo's own, so that two demos (on two ports) never share one:
/// removed when the demo ends, and locked while it runs, so that the folder of a demo that was
/// killed is removed by the next one.
fn own_download(root: &Path) -> std::io::Result<(tempfile::TempDir, Flock<std::fs::File>)> {
    const LOCK: &str = ".demo-running";
    let _ = std::fs::remove_dir_all(root.join("download"));
    for entry in std::fs::read_dir(root)?.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with("download-")
            && std::fs::File::open(entry.path().join(LOCK))
                .is_ok_and(|f| Flock::lock(f, FlockArg::LockExclusiveNonblock).is_ok());
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = tempfile::Builder::new().prefix("download-").tempdir_in(root)?;
    let file = std::fs::File::create(dir.path().join(LOCK))?;
    let lock =
        Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| std::io::Error::from(e))?;
    Ok((dir, lock))
}

fn demo_dir() -> PathBuf {
    crate::paths::cache_dir().join("demo")
}

fn fail(what: &'static str, source: impl Into<crate::error::BoxError>) -> Error {
    Error::Demo {
        what,
        source: source.into(),
    }
}

pub async fn run(args: DemoArgs, cancel: CancellationToken) -> Result<(), Error> {
    let _log = crate::logging::init(&args.common, args.common.wants_tui())?;
    // The port before anything else: a second demo started beside a running one must leave
    // the first one's files alone, and say where it is.
    let listener = bind(&args.common).await?;
    let root = demo_dir();
    let (seeder, torrent) = seed(&root, &args).await?;
    // A fresh download every time, so the window fills in from nothing.
    let (download, _lock) =
        own_download(&root).map_err(|e| fail("cannot create the demo's download folder", e))?;
    let source = crate::source::from_torrent_bytes(torrent, NAME)?;
    let opts = engine_options(download.path(), seeder.addr, &args)?;
    let mut common = args.common.clone();
    common.read_timeout = common.read_timeout.max(slowest_piece(args.rate));
    let r = crate::serve::serve_on(listener, &common, opts, source, cancel).await;
    let _ = tokio::time::timeout(Duration::from_millis(100), seeder.stop()).await;
    r
}

/// The demo video (written once into the cache folder), its torrent, and a seeder of it at
/// `--rate`.
async fn seed(root: &Path, args: &DemoArgs) -> Result<(Seeder, bytes::Bytes), Error> {
    let seed_dir = root.join("seed");
    std::fs::create_dir_all(&seed_dir).map_err(|e| fail("cannot create the demo folder", e))?;
    let _ = std::fs::remove_file(seed_dir.join(OLD_VIDEO));
    let video = seed_dir.join(NAME);
    ensure_video(&video, args.common.wants_tui())
        .await
        .map_err(|e| fail("cannot write the demo video (190 MiB) in the cache folder", e))?;
    let torrent = make_torrent(&video, PIECE_LEN)
        .await
        .map_err(|e| fail("cannot make the torrent", e))?;
    let seeder = Seeder::start(&seed_dir, torrent.clone(), Some(args.rate))
        .await
        .map_err(|e| fail("the seeder did not start", e))?;
    tracing::info!(
        "demo seeder on {} at {}/s",
        seeder.addr,
        crate::fmt::size(args.rate)
    );
    Ok((seeder, torrent))
}

/// The engine on loopback with the seeder as its only peer: no DHT, trackers or discovery.
fn engine_options(save_path: &Path, seeder: SocketAddr, args: &DemoArgs) -> Result<EngineOptions, Error> {
    Ok(EngineOptions {
        save_path: save_path.to_path_buf(),
        resume_dir: None,
        recheck: false,
        listen_ip: Ipv4Addr::LOCALHOST.into(),
        listen_port: free_port().map_err(|e| fail("no free port", e))?,
        listen_port_tries: 8,
        utp: false,
        dial_tcp: true,
        interface: None,
        proxy: None,
        encryption: librqbit::EncryptionPolicy::Prefer,
        dht: false,
        dht_bootstrap: Vec::new(),
        trackers: false,
        lsd: false,
        peers: vec![seeder],
        download_limit: None,
        upload_limit: None,
        on_demand: false,
        piece_par: args.common.piece_par,
        metadata_timeout: Duration::from_secs(30),
        max_players: args.common.max_players as usize,
        request_window: DEFAULT_REQUEST_WINDOW as usize,
    })
}
