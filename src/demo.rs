//! `bt2p-tui demo`: a built-in video, a seeder on 127.0.0.1 throttled like a swarm, and the
//! normal client streaming from it. No internet needed.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

fn demo_dir() -> PathBuf {
    crate::paths::cache_dir().join("demo")
}

pub async fn run(args: DemoArgs, cancel: CancellationToken) -> Result<(), Error> {
    let _log = crate::logging::init(&args.common, args.common.wants_tui())?;
    let root = demo_dir();
    let seed_dir = root.join("seed");
    fn fail(what: &'static str, source: impl Into<crate::error::BoxError>) -> Error {
        Error::Demo {
            what,
            source: source.into(),
        }
    }
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

    // A fresh download every time, so the window fills in from nothing.
    let download = root.join("download");
    let _ = std::fs::remove_dir_all(&download);
    let source = crate::source::from_torrent_bytes(torrent, NAME)?;
    let opts = EngineOptions {
        save_path: download,
        resume_dir: None,
        recheck: false,
        listen_ip: Ipv4Addr::LOCALHOST.into(),
        listen_port: free_port().map_err(|e| fail("no free port", e))?,
        listen_port_tries: 8,
        utp: false,
        dial_tcp: true,
        interface: None,
        proxy: None,
        dht: false,
        dht_bootstrap: Vec::new(),
        trackers: false,
        lsd: false,
        peers: vec![seeder.addr],
        download_limit: None,
        upload_limit: None,
        on_demand: false,
        piece_par: args.common.piece_par,
        metadata_timeout: Duration::from_secs(30),
        max_players: args.common.max_players as usize,
        request_window: DEFAULT_REQUEST_WINDOW as usize,
    };
    let mut common = args.common.clone();
    common.read_timeout = common.read_timeout.max(slowest_piece(args.rate));
    let r = crate::serve::serve(&common, opts, source, cancel).await;
    let _ = tokio::time::timeout(Duration::from_millis(100), seeder.stop()).await;
    r
}
