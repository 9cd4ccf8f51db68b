//! The BitTorrent side: owns the librqbit session and its one torrent, opens player streams,
//! keeps the piece_par windows, and publishes a `Snapshot` every half second.

mod journal;
mod keeper;
mod players;
mod receiving;
mod snapshot;
mod stats;
mod subs;
pub mod window;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use librqbit::api::TorrentIdOrHash;
use librqbit::limits::LimitsConfig;
use librqbit::storage::StorageFactoryExt;
use librqbit::{
    AddTorrent, AddTorrentOptions, Api, ListenerOptions, ManagedTorrent, Session, SessionOptions,
    SessionPersistenceConfig,
};
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;

pub use players::{PlayerInfo, PlayerStream, Players};
pub use receiving::Receiving;
pub use snapshot::{FileSnap, Have, PeerSnap, Snapshot, StreamSnap};
use window::Geometry;

use crate::error::Error;
use crate::source::Source;

/// 16 pieces: with the common 1–4 MiB pieces this is 16–64 MiB ahead of the player, the
/// engine's 32 MiB floor or just above it, which a player buffer of that size can hold.
pub const DEFAULT_PIECE_PAR: u32 = 16;
pub const MAX_PIECE_PAR: u32 = 4096;

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub save_path: PathBuf,
    /// Folder for resume data; None turns resume off.
    pub resume_dir: Option<PathBuf>,
    /// Forget resume data and re-hash all existing data.
    pub recheck: bool,
    pub listen_ip: IpAddr,
    pub listen_port: u16,
    /// Ports tried after `listen_port` when it is busy.
    pub listen_port_tries: u16,
    pub dht: bool,
    pub trackers: bool,
    /// Local service discovery (LAN multicast).
    pub lsd: bool,
    pub peers: Vec<SocketAddr>,
    pub download_limit: Option<u64>,
    pub upload_limit: Option<u64>,
    pub on_demand: bool,
    pub piece_par: u32,
    pub metadata_timeout: Duration,
    pub max_players: usize,
    /// Block requests outstanding per peer.
    pub request_window: usize,
}

/// The engine's own default of block requests outstanding per peer.
pub const DEFAULT_REQUEST_WINDOW: u32 = 128;

/// Why a player stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no such file")]
    NoSuchFile,
    #[error("too many players at once")]
    Busy,
    #[error("shutting down")]
    ShuttingDown,
    #[error("engine: {0}")]
    Engine(String),
}

/// The running engine. Cheap to share behind an `Arc`.
pub struct Engine {
    session: Arc<Session>,
    torrent: Arc<ManagedTorrent>,
    players: Arc<Players>,
    slots: Arc<Semaphore>,
    piece_par: watch::Sender<u32>,
    snapshot: watch::Receiver<Snapshot>,
    files: Arc<Vec<FileSnap>>,
    piece_len: u64,
    torrent_bytes: bytes::Bytes,
    cancel: CancellationToken,
    subs: subs::Subtitles,
    /// The user paused the torrent (nothing restarts it behind their back).
    user_paused: Arc<std::sync::atomic::AtomicBool>,
}

impl Engine {
    pub async fn start(
        opts: EngineOptions,
        source: Source,
        cancel: CancellationToken,
    ) -> Result<Arc<Engine>, Error> {
        prepare_save_path(&opts.save_path)?;
        let receiving = Arc::new(Receiving::default());
        let (session, journal) = start_session(&opts, &source, receiving.clone(), &cancel).await?;

        let add = match &source {
            Source::Torrent { bytes, .. } => AddTorrent::from_bytes(bytes.clone()),
            Source::Magnet { uri, .. } => AddTorrent::from_url(uri.clone()),
        };
        let add_opts = AddTorrentOptions {
            overwrite: true,
            only_files: opts.on_demand.then(Vec::new),
            initial_peers: (!opts.peers.is_empty()).then(|| opts.peers.clone()),
            peer_opts: Some(librqbit::PeerConnectionOptions {
                max_request_window: Some(opts.request_window),
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
            wait_for_metadata(adding, opts.metadata_timeout, &cancel).await?
        } else {
            adding
                .await
                .map_err(|e| Error::Engine(format!("the torrent could not be added: {e}")))?
        };
        let added = added.map_err(|e| match is_magnet {
            true => Error::NoMetadata(format!("{e:#}")),
            false => Error::Engine(format!("{e:#}")),
        })?;
        let torrent = added
            .into_handle()
            .ok_or_else(|| Error::Engine("the torrent was not added".into()))?;

        let (files, piece_len, piece_count, name, torrent_bytes, total) = torrent
            .with_metadata(|m| {
                let files: Vec<FileSnap> = m
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
                    })
                    .collect();
                let l = m.lengths();
                (
                    files,
                    u64::from(l.default_piece_length()),
                    l.total_pieces(),
                    m.info.name().map(|n| n.to_string()).unwrap_or_default(),
                    m.torrent_bytes.clone(),
                    l.total_length(),
                )
            })
            .map_err(|e| Error::Engine(format!("{e:#}")))?;
        check_free_space(&opts.save_path, total)?;

        let (pp_tx, pp_rx) = watch::channel(opts.piece_par.clamp(1, MAX_PIECE_PAR));
        let files = Arc::new(files);
        let base = Snapshot {
            name: if name.is_empty() {
                source.info_hash().to_string()
            } else {
                name
            },
            info_hash: source.info_hash().to_string(),
            piece_len,
            piece_count,
            total_bytes: total,
            on_demand: opts.on_demand,
            files: files.clone(),
            ..Default::default()
        };
        let (snap_tx, snap_rx) = watch::channel(base.clone());
        let players = Arc::new(Players::default());
        let user_paused = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let engine = Arc::new(Engine {
            session: session.clone(),
            torrent: torrent.clone(),
            players: players.clone(),
            slots: Arc::new(Semaphore::new(opts.max_players)),
            piece_par: pp_tx,
            snapshot: snap_rx,
            files: files.clone(),
            piece_len,
            torrent_bytes,
            cancel: cancel.clone(),
            subs: subs::Subtitles::default(),
            user_paused: user_paused.clone(),
        });

        let geometry = {
            let files = files.clone();
            let on_demand = opts.on_demand;
            Arc::new(move |i: usize| {
                files.get(i).map(|f| Geometry {
                    piece_len,
                    file_offset: f.offset,
                    file_len: f.length,
                    // On demand, only what players read is fetched, and not ahead of them.
                    media: !on_demand && window::has_tail_index(&f.path),
                })
            })
        };
        tokio::spawn(window::run(
            torrent.clone(),
            players.clone(),
            geometry,
            pp_rx.clone(),
            cancel.clone(),
        ));
        let api = Api::new(session.clone(), None);
        runtime().spawn(
            keeper::Keeper {
                session: session.clone(),
                torrent: torrent.clone(),
                save_path: opts.save_path.clone(),
                piece_len,
                players: players.clone(),
                user_paused: user_paused.clone(),
                cancel: cancel.clone(),
            }
            .run(),
        );
        if let Some(place) = journal {
            tokio::spawn(journal_after_check(
                torrent.clone(),
                Api::new(session.clone(), None),
                place,
            ));
        }
        tokio::spawn(stats::run(
            stats::Sources {
                torrent,
                api,
                players,
                receiving,
                piece_par: pp_rx,
            },
            base,
            snap_tx,
            cancel,
        ));
        Ok(engine)
    }

    pub fn snapshot(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.clone()
    }

    /// The latest snapshot, with settings changed since it was taken already applied.
    pub fn snapshot_now(&self) -> Snapshot {
        let mut s = self.snapshot.borrow().clone();
        s.piece_par = self.piece_par();
        s.effective_window_pieces = window::effective_window(s.piece_par, s.piece_len);
        s
    }

    pub fn files(&self) -> &Arc<Vec<FileSnap>> {
        &self.files
    }

    pub fn piece_len(&self) -> u64 {
        self.piece_len
    }

    /// The `.torrent` file of the torrent (for magnets: rebuilt from the metadata).
    pub fn torrent_bytes(&self) -> &bytes::Bytes {
        &self.torrent_bytes
    }

    pub fn piece_par(&self) -> u32 {
        *self.piece_par.borrow()
    }

    /// Changes piece_par for every open and future player; the windows follow within 250 ms.
    pub fn set_piece_par(&self, n: u32) -> u32 {
        let n = n.clamp(1, MAX_PIECE_PAR);
        self.piece_par.send_replace(n);
        n
    }

    pub fn players(&self) -> &Arc<Players> {
        &self.players
    }

    /// Pauses or resumes the torrent; returns whether it is paused now.
    pub async fn toggle_pause(&self) -> Result<bool, Error> {
        use std::sync::atomic::Ordering;
        let (session, torrent) = (self.session.clone(), self.torrent.clone());
        let paused = torrent.is_paused();
        self.user_paused.store(!paused, Ordering::Relaxed);
        // Resuming starts the torrent's tasks: on the engine's runtime.
        let r = runtime()
            .spawn(async move {
                match paused {
                    true => session.unpause(&torrent).await.map(|_| false),
                    false => session.pause(&torrent).await.map(|_| true),
                }
            })
            .await
            .map_err(|e| Error::Engine(e.to_string()))?;
        r.map_err(|e| Error::Engine(format!("{e:#}")))
    }

    /// Opens a stream of file `index` at `start`, for a player at `client` that asked up to `end`.
    pub async fn open_player(
        &self,
        index: usize,
        start: u64,
        end: u64,
        client: SocketAddr,
    ) -> Result<PlayerStream, OpenError> {
        let file = self
            .files
            .get(index)
            .filter(|f| !f.padding)
            .ok_or(OpenError::NoSuchFile)?;
        let slot = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| OpenError::Busy)?;
        let stream = tokio::select! {
            _ = self.cancel.cancelled() => return Err(OpenError::ShuttingDown),
            s = self.torrent.clone().stream(index) => s.map_err(|e| OpenError::Engine(format!("{e:#}")))?,
        };
        let info = self.players.register(client, index, file.length, start, end);
        PlayerStream::new(Box::pin(stream), info, self.players.clone(), slot)
            .await
            .map_err(|e| OpenError::Engine(e.to_string()))
    }

    /// Stops the session: the torrent paused (which flushes resume data), peers disconnected.
    pub async fn stop(&self) {
        self.cancel.cancel();
        // The session pauses its torrents at once, then sleeps a second for its tasks to wind
        // down; they are cancelled either way, so the sleep is not waited out.
        let _ = tokio::time::timeout(Duration::from_millis(300), self.session.stop()).await;
    }
}

/// The runtime the engine's tasks run on, set once by `set_runtime`; else the caller's.
static RUNTIME: std::sync::OnceLock<tokio::runtime::Handle> = std::sync::OnceLock::new();

/// Gives the engine a runtime of its own. Its peers write and hash pieces on that runtime's
/// blocking threads; a disk that stops taking writes can hold all of them, and the HTTP server
/// and the dashboard, on another runtime, go on. Call before `Engine::start`.
pub fn set_runtime(handle: tokio::runtime::Handle) {
    let _ = RUNTIME.set(handle);
}

fn runtime() -> tokio::runtime::Handle {
    RUNTIME
        .get()
        .cloned()
        .unwrap_or_else(tokio::runtime::Handle::current)
}

/// Whether an engine error says the disk is full.
pub(crate) fn is_disk_full(error: &str) -> bool {
    error.contains("No space left on device") || error.contains("os error 28")
}

/// Once the engine has checked the data on disk, the journal takes its view as the truth:
/// pieces found by that check were never reported as completed one by one.
async fn journal_after_check(torrent: Arc<ManagedTorrent>, api: Api, place: journal::JournalPlace) {
    if torrent.wait_until_initialized().await.is_err() {
        return;
    }
    if let (Some(j), Ok((bits, _))) = (place.journal(), api.api_dump_haves(id_of(&torrent))) {
        j.reset(bits.as_raw_slice());
    }
}

fn prepare_save_path(path: &Path) -> Result<(), Error> {
    let fail = |problem: String| Error::SavePath {
        path: path.to_path_buf(),
        problem,
    };
    std::fs::create_dir_all(path).map_err(|e| fail(e.to_string()))?;
    let probe = path.join(format!(".bt2p-tui-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("it is not writable ({e})")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Refuses to start when the disk cannot even hold a sliver of the torrent.
fn check_free_space(path: &Path, total: u64) -> Result<(), Error> {
    let Some(free) = free_bytes(path) else {
        return Ok(());
    };
    let already: u64 = 0;
    if free < (16 * 1024 * 1024).min(total.saturating_sub(already)) {
        return Err(Error::DiskFull {
            path: path.to_path_buf(),
            free: crate::fmt::size(free),
            need: crate::fmt::size(total),
        });
    }
    if free < total {
        tracing::warn!(
            "only {} free under {} for a torrent of {}: the download will stop when the disk is full",
            crate::fmt::size(free),
            path.display(),
            crate::fmt::size(total)
        );
    }
    Ok(())
}

fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized out-parameter.
    let r = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (r == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

async fn start_session(
    opts: &EngineOptions,
    source: &Source,
    receiving: Arc<Receiving>,
    cancel: &CancellationToken,
) -> Result<(Arc<Session>, Option<journal::JournalPlace>), Error> {
    let persistence = match &opts.resume_dir {
        Some(dir) => Some(resume_folder(dir, source.info_hash(), &opts.save_path)?),
        None => None,
    };
    let journal = persistence
        .as_ref()
        .map(|folder| journal::JournalPlace::new(folder.clone(), source.info_hash()));
    if opts.recheck
        && let Some(j) = &journal
    {
        j.forget();
    }
    let last = opts.listen_port.saturating_add(opts.listen_port_tries);
    let mut problem = String::new();
    for port in opts.listen_port..=last {
        // Probe first: the engine's own bind error does not say which port was busy.
        if let Err(e) = std::net::TcpListener::bind((opts.listen_ip, port)) {
            problem = e.to_string();
            continue;
        }
        let limit = |v: Option<u64>| v.and_then(|b| NonZeroU32::new(b.min(u64::from(u32::MAX)) as u32));
        let so = SessionOptions {
            dht: opts.dht.then(Default::default),
            disable_trackers: !opts.trackers,
            disable_local_service_discovery: !opts.lsd,
            fastresume: persistence.is_some(),
            persistence: persistence
                .clone()
                .map(|folder| SessionPersistenceConfig::Json { folder: Some(folder) }),
            listen: Some(ListenerOptions {
                listen_addr: SocketAddr::new(opts.listen_ip, port),
                announce_port: Some(port),
                ipv4_only: opts.listen_ip.is_ipv4(),
                ..Default::default()
            }),
            default_storage_factory: Some(
                receiving::WatchedStorageFactory {
                    receiving: receiving.clone(),
                    journal: journal.clone(),
                }
                .boxed(),
            ),
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
        };
        // The session's tasks (listener, trackers, peers, writing) start on the engine's runtime.
        let started = runtime()
            .spawn(Session::new_with_opts(opts.save_path.clone(), so))
            .await
            .map_err(|e| Error::Engine(format!("the BitTorrent session could not start: {e}")))?;
        return started
            .map(|s| (s, journal))
            .map_err(|e| Error::Engine(format!("the BitTorrent session could not start: {e:#}")));
    }
    Err(Error::ListenPort {
        first: opts.listen_port,
        last,
        problem,
    })
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
    std::fs::create_dir_all(&folder).map_err(|e| Error::Resume {
        path: folder.clone(),
        problem: e.to_string(),
    })?;
    let _ = std::fs::remove_file(folder.join("session.json"));
    Ok(folder)
}

async fn wait_for_metadata<T>(
    adding: tokio::task::JoinHandle<T>,
    limit: Duration,
    cancel: &CancellationToken,
) -> Result<T, Error> {
    let started = std::time::Instant::now();
    let mut adding = adding;
    loop {
        tokio::select! {
            r = &mut adding => return r.map_err(|e| Error::Engine(format!("the torrent could not be added: {e}"))),
            _ = cancel.cancelled() => {
                adding.abort();
                return Err(Error::Other("stopped while waiting for metadata".into()));
            }
            _ = tokio::time::sleep(Duration::from_secs(5).min(limit.saturating_sub(started.elapsed()))) => {
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

/// The default resume folder: `$XDG_STATE_HOME/bt2p-tui/resume` or `~/.local/state/bt2p-tui/resume`.
pub fn default_resume_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .map(|d| d.join("bt2p-tui").join("resume"))
}

pub(crate) fn id_of(torrent: &ManagedTorrent) -> TorrentIdOrHash {
    TorrentIdOrHash::Id(torrent.id())
}
