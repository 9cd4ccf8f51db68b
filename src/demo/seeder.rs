//! A librqbit seeder on 127.0.0.1: the other end of `demo`, and of the tests, which include
//! this very file (so it uses nothing of the crate around it).

use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use librqbit::limits::LimitsConfig;
use librqbit::{
    AddTorrent, AddTorrentOptions, ConnectionOptions, EncryptionPolicy, ListenerOptions,
    PeerConnectionOptions, Session, SessionOptions,
};

/// How long the seeder waits for a message from a leecher before dropping it. librqbit's
/// default is 10 s, and its leechers send nothing while the requests they have out are being
/// answered (up to 128 blocks of 16 KiB, two minutes at 16 KiB/s; until the end once every
/// piece left is asked for); they send keep-alives only every 120 s, whatever the options say.
/// With the default, a throttled seeder dropped its leecher after 10 s of such silence.
pub(crate) const PEER_TIMEOUT: Duration = Duration::from_secs(600);

/// A running seeder session.
pub(crate) struct Seeder {
    pub(crate) session: Arc<Session>,
    pub(crate) addr: SocketAddr,
}

impl Seeder {
    /// Seeds `torrent`, whose data is in `dir` (a multi-file torrent's in `dir/<name>`), on a
    /// free loopback port, with DHT, trackers and local discovery off. `upload_limit` is in bytes
    /// per second.
    pub(crate) async fn start(
        dir: &Path,
        torrent: bytes::Bytes,
        upload_limit: Option<u64>,
    ) -> anyhow::Result<Seeder> {
        Self::start_dialling(dir, torrent, upload_limit, Vec::new()).await
    }

    /// `start`, and the seeder dials `peers` itself: a client that was given no peer gets its
    /// first byte only once this runs.
    #[allow(dead_code)] // `demo` has its client dial the seeder; the tests use both ways.
    pub(crate) async fn start_dialling(
        dir: &Path,
        torrent: bytes::Bytes,
        upload_limit: Option<u64>,
        peers: Vec<SocketAddr>,
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
                connect: Some(ConnectionOptions {
                    encryption: EncryptionPolicy::Prefer,
                    ..Default::default()
                }),
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
                    initial_peers: (!peers.is_empty()).then_some(peers),
                    peer_opts: Some(PeerConnectionOptions {
                        read_write_timeout: Some(PEER_TIMEOUT),
                        ..Default::default()
                    }),
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

    pub(crate) async fn stop(&self) {
        self.session.stop().await;
    }
}

/// A TCP port free on loopback right now.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}
