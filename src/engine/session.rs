//! The librqbit session: its listen port, switches, storage and resume folder.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use librqbit::limits::LimitsConfig;
use librqbit::storage::StorageFactoryExt;
use librqbit::{ListenerOptions, Session, SessionOptions, SessionPersistenceConfig};
use tokio_util::sync::CancellationToken;

use super::journal::JournalPlace;
use super::receiving::{Receiving, WatchedStorageFactory};
use super::runtime::runtime;
use super::{EngineOptions, window};
use crate::error::Error;

/// Starts a session on the first free port from `listen_port`, with resume data kept per
/// torrent and save path when asked for.
pub(super) async fn start(
    opts: &EngineOptions,
    info_hash: &str,
    receiving: Arc<Receiving>,
    cancel: &CancellationToken,
) -> Result<(Arc<Session>, Option<JournalPlace>), Error> {
    let persistence = match &opts.resume_dir {
        Some(dir) => Some(resume_folder(dir, info_hash, &opts.save_path)?),
        None => None,
    };
    let journal = persistence
        .as_ref()
        .map(|folder| JournalPlace::new(folder.clone(), info_hash));
    if opts.recheck
        && let Some(j) = &journal
    {
        j.forget();
    }
    let port = free_listen_port(opts)?;
    let storage = WatchedStorageFactory {
        receiving,
        journal: journal.clone(),
    };
    let so = session_options(opts, port, persistence, storage, cancel);
    // The session's tasks (listener, trackers, peers, writing) start on the engine's runtime.
    let session = runtime()
        .spawn(Session::new_with_opts(opts.save_path.clone(), so))
        .await
        .map_err(|e| Error::engine("the BitTorrent session could not start", e))?
        .map_err(|e| Error::engine("the BitTorrent session could not start", e))?;
    Ok((session, journal))
}

/// The first port from `listen_port` on that nothing listens on. Probed here: the engine's
/// own bind error does not say which port was busy.
fn free_listen_port(opts: &EngineOptions) -> Result<u16, Error> {
    let last = opts.listen_port.saturating_add(opts.listen_port_tries);
    let mut problem = None;
    for port in opts.listen_port..=last {
        match std::net::TcpListener::bind((opts.listen_ip, port)) {
            Ok(_) => return Ok(port),
            Err(e) => problem = Some(e),
        }
    }
    Err(Error::ListenPort {
        first: opts.listen_port,
        last,
        source: problem.unwrap_or_else(|| std::io::Error::other("no port to try")),
    })
}

fn session_options(
    opts: &EngineOptions,
    port: u16,
    persistence: Option<PathBuf>,
    storage: WatchedStorageFactory,
    cancel: &CancellationToken,
) -> SessionOptions {
    let limit = |v: Option<u64>| v.and_then(|b| NonZeroU32::new(b.min(u64::from(u32::MAX)) as u32));
    SessionOptions {
        dht: opts.dht.then(Default::default),
        disable_trackers: !opts.trackers,
        disable_local_service_discovery: !opts.lsd,
        fastresume: persistence.is_some(),
        persistence: persistence.map(|folder| SessionPersistenceConfig::Json { folder: Some(folder) }),
        listen: Some(ListenerOptions {
            listen_addr: SocketAddr::new(opts.listen_ip, port),
            announce_port: Some(port),
            ipv4_only: opts.listen_ip.is_ipv4(),
            ..Default::default()
        }),
        default_storage_factory: Some(storage.boxed()),
        cancellation_token: Some(cancel.child_token()),
        // Every open stream holds one of these permits for its life, and writing downloaded
        // data needs one too: keep far more than streams can take.
        runtime_worker_threads: Some(opts.max_players + window::HELPER_BUDGET + 64),
        ratelimits: LimitsConfig {
            download_bps: limit(opts.download_limit),
            upload_bps: limit(opts.upload_limit),
        },
        ipv4_only: opts.listen_ip.is_ipv4(),
        ..Default::default()
    }
}

/// Resume data lives per torrent and per save path; the engine's torrent list is not kept,
/// only the have-bitfields, so options given now always win over old ones.
fn resume_folder(dir: &Path, info_hash: &str, save_path: &Path) -> Result<PathBuf, Error> {
    let abs = std::fs::canonicalize(save_path).unwrap_or_else(|_| save_path.to_path_buf());
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        abs.hash(&mut h);
        h.finish()
    };
    let folder = dir.join(format!("{info_hash}-{:08x}", key as u32));
    std::fs::create_dir_all(&folder).map_err(|source| Error::Resume {
        path: folder.clone(),
        source,
    })?;
    let _ = std::fs::remove_file(folder.join("session.json"));
    Ok(folder)
}
