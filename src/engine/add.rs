//! Adding the torrent to the session, and reading what its metadata says.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use librqbit::{AddTorrent, AddTorrentOptions, ManagedTorrent, PeerConnectionOptions, Session};
use tokio_util::sync::CancellationToken;

use super::runtime::runtime;
use super::{EngineOptions, FileSnap};
use crate::error::Error;
use crate::source::Source;

/// How long a peer may send nothing before it is dropped. The engine's default, 10 s, drops
/// seeders that are still choking us: Transmission decides whom to unchoke (and whether it is
/// interested) every 10 s, and goes silent meanwhile, so it was cut off before it ever sent.
/// Peers send a keep-alive every 2 minutes (BEP 3); a dead one is still found by the kernel's
/// connection errors, and a slow one loses its pieces to faster peers.
const PEER_IDLE_TIMEOUT: Duration = Duration::from_secs(130);

/// How often an otherwise silent connection sends a keep-alive: well within the 120 s after
/// which libtorrent (`peer_timeout`) and others drop a silent peer.
const PEER_KEEP_ALIVE: Duration = Duration::from_secs(30);

/// What the metadata says of the torrent's shape.
pub(super) struct Layout {
    pub files: Vec<FileSnap>,
    pub piece_len: u64,
    pub piece_count: u32,
    pub name: String,
    pub torrent_bytes: bytes::Bytes,
    pub total: u64,
}

/// Adds the torrent; for a magnet, waits (bounded) for its metadata from peers.
pub(super) async fn add(
    session: &Arc<Session>,
    opts: &EngineOptions,
    source: &Source,
    cancel: &CancellationToken,
) -> Result<Arc<ManagedTorrent>, Error> {
    let add = match source {
        Source::Torrent { bytes, .. } => AddTorrent::from_bytes(bytes.clone()),
        Source::Magnet { uri, .. } => AddTorrent::from_url(uri.clone()),
    };
    let mut peers = opts.peers.clone();
    if let Source::Magnet { peers: named, .. } = source {
        peers.extend(resolve_peers(named).await);
    }
    let sub_folder = match source {
        Source::Torrent { folder, .. } => folder.clone(),
        Source::Magnet { .. } => None,
    };
    let add_opts = AddTorrentOptions {
        overwrite: true,
        sub_folder,
        only_files: opts.on_demand.then(Vec::new),
        initial_peers: (!peers.is_empty()).then_some(peers),
        peer_opts: Some(PeerConnectionOptions {
            max_request_window: Some(opts.request_window),
            read_write_timeout: Some(PEER_IDLE_TIMEOUT),
            keep_alive_interval: Some(PEER_KEEP_ALIVE),
            ..Default::default()
        }),
        ..Default::default()
    };
    let is_magnet = matches!(source, Source::Magnet { .. });
    // librqbit can panic on input it did not expect; a task turns that into an error.
    let adding = runtime().spawn({
        let session = session.clone();
        async move { session.add_torrent(add, Some(add_opts)).await }
    });
    let added = if is_magnet {
        wait_for_metadata(adding, opts.metadata_timeout, cancel).await?
    } else {
        adding
            .await
            .map_err(|e| Error::engine("the torrent could not be added", e))?
    };
    let added = added.map_err(|e| match is_magnet {
        true => Error::NoMetadata(metadata_problem(&e)),
        false => Error::engine("the torrent could not be added", e),
    })?;
    added
        .into_handle()
        .ok_or_else(|| Error::engine("the torrent could not be added", "the engine gave no handle"))
}

/// Why no peer sent a magnet link's metadata, in words a user can act on: the engine says
/// "input address stream exhausted" once every peer it found was asked.
fn metadata_problem(e: &anyhow::Error) -> String {
    let said = format!("{e:#}");
    match said.contains("input address stream exhausted") {
        true => "every peer that was found was asked, and none sent it".into(),
        false => said,
    }
}

/// The addresses of peers named `host:port`, each looked up for at most 5 s; a name that does
/// not resolve is logged and left out.
async fn resolve_peers(named: &[String]) -> Vec<SocketAddr> {
    let mut found = Vec::new();
    for peer in named {
        let lookup = tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host(peer.as_str()));
        match lookup.await {
            Ok(Ok(addrs)) => found.extend(addrs.take(4)),
            Ok(Err(e)) => tracing::warn!("the magnet link's peer {peer} is left out: {e}"),
            Err(_) => {
                tracing::warn!("the magnet link's peer {peer} is left out: its name did not resolve in 5 s")
            }
        }
    }
    if !found.is_empty() {
        tracing::info!("dialling {} peer(s) named in the magnet link", found.len());
    }
    found
}

/// Reads the files, pieces and name from the torrent's metadata.
pub(super) fn layout(torrent: &ManagedTorrent) -> Result<Layout, Error> {
    torrent
        .with_metadata(|m| {
            let files = m
                .file_infos
                .iter()
                .enumerate()
                .map(|(i, f)| FileSnap {
                    index: i,
                    path: f.relative_filename.to_string_lossy().replace('\\', "/"),
                    length: f.len,
                    offset: f.offset_in_torrent,
                    progress_bytes: 0,
                    first_piece: f.piece_range.start,
                    end_piece: f.piece_range.end,
                    padding: f.attrs.padding,
                    players: 0,
                    duration_secs: None,
                    prefetch: None,
                    subtitle_tracks: Vec::new(),
                })
                .collect();
            let l = m.lengths();
            Layout {
                files,
                piece_len: u64::from(l.default_piece_length()),
                piece_count: l.total_pieces(),
                name: m.info.name().map(|n| n.to_string()).unwrap_or_default(),
                torrent_bytes: m.torrent_bytes.clone(),
                total: l.total_length(),
            }
        })
        .map_err(|e| Error::engine("the torrent's metadata cannot be read", e))
}

async fn wait_for_metadata<T>(
    mut adding: tokio::task::JoinHandle<T>,
    limit: Duration,
    cancel: &CancellationToken,
) -> Result<T, Error> {
    let started = Instant::now();
    loop {
        let left = limit.saturating_sub(started.elapsed());
        tokio::select! {
            r = &mut adding => return r.map_err(|e| Error::engine("the torrent could not be added", e)),
            _ = cancel.cancelled() => {
                adding.abort();
                return Err(Error::Interrupted);
            }
            _ = tokio::time::sleep(Duration::from_secs(5).min(left)) => {
                let waited = started.elapsed();
                if waited >= limit {
                    adding.abort();
                    return Err(Error::MetadataTimeout { secs: waited.as_secs(), peers: 0 });
                }
                tracing::info!("waiting for the magnet link's metadata from peers… {} s of {} s", waited.as_secs(), limit.as_secs());
            }
        }
    }
}

/// How the engine's API names the torrent.
pub(crate) fn id_of(torrent: &ManagedTorrent) -> librqbit::api::TorrentIdOrHash {
    librqbit::api::TorrentIdOrHash::Id(torrent.id())
}
