//! The librqbit session: its listen port, switches, storage and resume folder.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use librqbit::limits::LimitsConfig;
use librqbit::storage::StorageFactoryExt;
use librqbit::{
    ConnectionOptions, DhtSessionConfig, ListenerMode, ListenerOptions, Session, SessionOptions,
    SessionPersistenceConfig,
};
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
    if let Some(name) = &opts.interface {
        check_interface(name)?;
    }
    let (ip, port) = free_listen_port(opts)?;
    let storage = WatchedStorageFactory {
        receiving,
        journal: journal.clone(),
    };
    let so = session_options(opts, SocketAddr::new(ip, port), persistence, storage, cancel);
    // The session's tasks (listener, trackers, peers, writing) start on the engine's runtime.
    let session = runtime()
        .spawn(Session::new_with_opts(opts.save_path.clone(), so))
        .await
        .map_err(|e| Error::engine("the BitTorrent session could not start", e))?
        .map_err(|e| Error::engine("the BitTorrent session could not start", e))?;
    Ok((session, journal))
}

/// The first port from `listen_port` that is free for TCP (and UDP, with uTP), and the
/// address to listen on: `::` falls back to `0.0.0.0` on a machine without IPv6. Probed here:
/// the engine's own bind error does not say which port was busy.
fn free_listen_port(opts: &EngineOptions) -> Result<(IpAddr, u16), Error> {
    let last = opts.listen_port.saturating_add(opts.listen_port_tries);
    let mut ip = opts.listen_ip;
    let mut problem = None;
    for port in opts.listen_port..=last {
        match probe(ip, port, opts.utp) {
            Ok(()) => return Ok((ip, port)),
            Err(e) if ip == IpAddr::V6(Ipv6Addr::UNSPECIFIED) && no_ipv6(&e) => {
                tracing::warn!("IPv6 is not available ({e}): BitTorrent peers over IPv4 only");
                ip = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
                if probe(ip, port, opts.utp).is_ok() {
                    return Ok((ip, port));
                }
            }
            Err(e) => problem = Some(e),
        }
    }
    Err(Error::ListenPort {
        first: opts.listen_port,
        last,
        source: problem.unwrap_or_else(|| std::io::Error::other("no port to try")),
    })
}

/// The engine's own error for an unknown interface names no fix: say which ones there are.
/// Asked of the kernel for this process's network namespace: `/sys/class/net` lists the
/// namespace sysfs was mounted in, which a process started by `nsenter` does not share.
fn check_interface(name: &str) -> Result<(), Error> {
    let Ok(list) = nix::net::if_::if_nameindex() else {
        return Ok(());
    };
    let mut known: Vec<String> = list
        .iter()
        .map(|i| i.name().to_string_lossy().into_owned())
        .collect();
    if known.is_empty() || known.iter().any(|k| k == name) {
        return Ok(());
    }
    known.sort();
    Err(Error::Usage(format!(
        "there is no network interface named '{name}'. Give one of {} with --interface",
        known.join(", ")
    )))
}

fn probe(ip: IpAddr, port: u16, udp: bool) -> std::io::Result<()> {
    std::net::TcpListener::bind((ip, port))?;
    if udp {
        std::net::UdpSocket::bind((ip, port))?;
    }
    Ok(())
}

fn no_ipv6(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::AddrNotAvailable || e.raw_os_error() == Some(libc::EAFNOSUPPORT)
}

fn session_options(
    opts: &EngineOptions,
    listen: SocketAddr,
    persistence: Option<PathBuf>,
    storage: WatchedStorageFactory,
    cancel: &CancellationToken,
) -> SessionOptions {
    let limit = |v: Option<u64>| v.and_then(|b| NonZeroU32::new(b.min(u64::from(u32::MAX)) as u32));
    SessionOptions {
        dht: opts.dht.then(|| dht_config(&opts.dht_bootstrap)),
        disable_trackers: !opts.trackers,
        disable_local_service_discovery: !opts.lsd,
        fastresume: persistence.is_some(),
        persistence: persistence.map(|folder| SessionPersistenceConfig::Json { folder: Some(folder) }),
        listen: Some(ListenerOptions {
            mode: match opts.utp {
                true => ListenerMode::TcpAndUtp,
                false => ListenerMode::TcpOnly,
            },
            listen_addr: listen,
            announce_port: Some(listen.port()),
            ipv4_only: listen.is_ipv4(),
            ..Default::default()
        }),
        bind_device_name: opts.interface.clone(),
        connect: Some(ConnectionOptions {
            proxy_url: opts.proxy.clone(),
            enable_tcp: opts.dial_tcp,
            encryption: opts.encryption,
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
        ipv4_only: listen.is_ipv4(),
        ..Default::default()
    }
}

/// The DHT joins through the given nodes (then it is a DHT of its own: nothing of it is kept
/// on disk), else through the public routers, with its routing table kept.
fn dht_config(bootstrap: &[String]) -> DhtSessionConfig {
    match bootstrap.is_empty() {
        true => DhtSessionConfig::default(),
        false => DhtSessionConfig {
            bootstrap_addrs: Some(bootstrap.to_vec()),
            port: None,
            persistence: None,
        },
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
