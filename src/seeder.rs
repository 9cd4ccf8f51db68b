//! A librqbit seeder on 127.0.0.1: the other end of `demo`, and of the tests.

use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use librqbit::limits::LimitsConfig;
use librqbit::{AddTorrent, AddTorrentOptions, ListenerOptions, Session, SessionOptions};

/// A running seeder session.
pub struct Seeder {
    pub session: Arc<Session>,
    pub addr: SocketAddr,
}

impl Seeder {
    /// Seeds `torrent`, whose data is in `dir` (a multi-file torrent's in `dir/<name>`), on a free loopback port, with DHT, trackers and
    /// local discovery off. `upload_limit` is in bytes per second.
    pub async fn start(
        dir: &Path,
        torrent: bytes::Bytes,
        upload_limit: Option<u64>,
    ) -> anyhow::Result<Seeder> {
        let port = free_port()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let session = Session::new_with_opts(
            dir.to_path_buf(),
            SessionOptions {
                dht: None,
                disable_trackers: true,
                disable_local_service_discovery: true,
                listen: Some(ListenerOptions {
                    listen_addr: addr,
                    announce_port: Some(port),
                    ipv4_only: true,
                    ..Default::default()
                }),
                ratelimits: LimitsConfig {
                    upload_bps: upload_limit.and_then(|b| NonZeroU32::new(b.min(u64::from(u32::MAX)) as u32)),
                    download_bps: None,
                },
                runtime_worker_threads: Some(64),
                ipv4_only: true,
                ..Default::default()
            },
        )
        .await
        .context("starting the seeder session")?;
        let handle = session
            .add_torrent(
                AddTorrent::from_bytes(torrent),
                Some(AddTorrentOptions {
                    overwrite: true,
                    ..Default::default()
                }),
            )
            .await
            .context("adding the torrent to the seeder")?
            .into_handle()
            .context("the seeder did not take the torrent")?;
        handle.wait_until_initialized().await.context("seeder check")?;
        Ok(Seeder { session, addr })
    }

    pub async fn stop(&self) {
        self.session.stop().await;
    }
}

/// A `.torrent` for the file or folder at `path`, with pieces of `piece_len` bytes.
pub async fn make_torrent(path: &Path, piece_len: u32) -> anyhow::Result<bytes::Bytes> {
    let path = path.to_path_buf();
    let t = tokio::task::spawn_blocking(move || crate::create::make_torrent(&path, piece_len, &[])).await??;
    Ok(t.into())
}

/// A TCP port free on loopback right now.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}
