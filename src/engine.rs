//! The BitTorrent side: owns the librqbit session and its one torrent, opens player streams,
//! keeps the piece_par windows, and publishes a `Snapshot` every half second.

mod add;
pub(crate) use add::id_of;
mod bitrate;
mod disk;
mod journal;
mod keeper;
mod last_watched;
mod listing;
mod next;
mod options;
mod piece_par;
mod players;
mod receiving;
mod runtime;
mod session;
mod snapshot;
mod stall;
mod stats;
mod subs;
mod viewing;
pub mod window;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use librqbit::{Api, ManagedTorrent, Session};
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;

use bitrate::Bitrates;
pub use bitrate::{RateSource, playback_rate};
pub use listing::Listing;
pub use listing::{FileSnap, Prefetch};
pub use next::HEAD as NEXT_HEAD;
pub use options::{DEFAULT_PIECE_PAR, DEFAULT_REQUEST_WINDOW, EngineOptions, MAX_PIECE_PAR};
pub use piece_par::{BadPiecePar, MAX_PIECE_PAR_SECS, PiecePar, pieces_clamped};
pub use players::{PlayerInfo, PlayerStream, Players};
pub use receiving::Receiving;
use runtime::runtime;
pub use runtime::set_runtime;
pub use snapshot::{Have, PeerSnap, Snapshot, StreamSnap, TorrentState};
pub use viewing::{SEEK_BUCKETS_SECS, STALL_AFTER_MS, StreamMetrics, Viewing};
use window::Geometry;

use crate::error::{Cause, Error};
use crate::source::Source;
use crate::subtitles::Pairs;

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
    Engine(#[source] Cause),
}

/// The running engine. Cheap to share behind an `Arc`.
pub struct Engine {
    session: Arc<Session>,
    torrent: Arc<ManagedTorrent>,
    players: Arc<Players>,
    slots: Arc<Semaphore>,
    piece_par: watch::Sender<PiecePar>,
    bitrates: Arc<Bitrates>,
    snapshot: watch::Receiver<Snapshot>,
    /// Publishes the snapshots: the stats task every second, `set_piece_par` at once.
    publish: Arc<watch::Sender<Snapshot>>,
    files: Arc<Vec<FileSnap>>,
    listing: Arc<Listing>,
    piece_len: u64,
    torrent_bytes: bytes::Bytes,
    cancel: CancellationToken,
    subs: subs::Subtitles,
    prefetches: Arc<next::Prefetches>,
    last_watched: Arc<last_watched::LastWatched>,
    /// The user paused the torrent (nothing restarts it behind their back).
    user_paused: Arc<AtomicBool>,
}

impl Engine {
    /// Starts the session, adds the torrent and the tasks that keep it: the windows, the
    /// keeper, the journal and the snapshots.
    pub async fn start(
        opts: EngineOptions,
        source: Source,
        cancel: CancellationToken,
    ) -> Result<Arc<Engine>, Error> {
        disk::prepare_save_path(&opts.save_path)?;
        let receiving = Arc::new(Receiving::default());
        let (session, journal) =
            session::start(&opts, source.info_hash(), receiving.clone(), &cancel).await?;
        let torrent = add::add(&session, &opts, &source, &cancel).await?;
        let layout = add::layout(&torrent)?;
        disk::check_free_space(&opts.save_path, layout.total)?;
        let folder = journal.as_ref().map(|j| j.folder.as_path());
        let last_watched = Arc::new(last_watched::LastWatched::load(folder));
        let (engine, base) = Engine::new(session, torrent, layout, &opts, &source, last_watched, cancel);
        let named = matches!(&source, Source::Magnet { peers, .. } if !peers.is_empty());
        let given_peers = named || !opts.peers.is_empty();
        engine.spawn_tasks(&opts, base, receiving, journal, given_peers);
        Ok(engine)
    }

    fn new(
        session: Arc<Session>,
        torrent: Arc<ManagedTorrent>,
        layout: add::Layout,
        opts: &EngineOptions,
        source: &Source,
        last_watched: Arc<last_watched::LastWatched>,
        cancel: CancellationToken,
    ) -> (Arc<Engine>, Snapshot) {
        let mut base = Snapshot {
            name: match layout.name.is_empty() {
                true => source.info_hash().to_string(),
                false => layout.name,
            },
            info_hash: source.info_hash().to_string(),
            piece_len: layout.piece_len,
            piece_count: layout.piece_count,
            total_bytes: layout.total,
            on_demand: opts.on_demand,
            ..Default::default()
        };
        base.set_files(layout.files);
        let (files, subtitles, listing) = (base.files.clone(), base.subtitles.clone(), base.listing.clone());
        let (publish, snapshot) = watch::channel(base.clone());
        let (piece_par, _) = watch::channel(opts.piece_par.clamped());
        let bitrates = Arc::new(Bitrates::new(torrent.output_folder().to_path_buf()));
        let engine = Arc::new(Engine {
            session,
            torrent,
            players: Arc::new(Players::new(bitrates.clone())),
            slots: Arc::new(Semaphore::new(opts.max_players)),
            piece_par,
            bitrates,
            snapshot,
            publish: Arc::new(publish),
            files,
            listing,
            piece_len: layout.piece_len,
            torrent_bytes: layout.torrent_bytes,
            cancel,
            subs: subs::Subtitles::new(subtitles),
            prefetches: Arc::default(),
            last_watched,
            user_paused: Arc::new(AtomicBool::new(false)),
        });
        (engine, base)
    }

    fn spawn_tasks(
        &self,
        opts: &EngineOptions,
        base: Snapshot,
        receiving: Arc<Receiving>,
        journal: Option<journal::JournalPlace>,
        given_peers: bool,
    ) {
        let (piece_len, files) = (self.piece_len, self.files.clone());
        tokio::spawn(window::run(
            self.torrent.clone(),
            self.players.clone(),
            Geometry::of_files(files, piece_len, opts.on_demand, self.bitrates.clone()),
            self.piece_par.subscribe(),
            self.snapshot.clone(),
            self.cancel.clone(),
        ));
        tokio::spawn(next::run(
            self.torrent.clone(),
            self.players.clone(),
            self.snapshot.clone(),
            self.prefetches.clone(),
            self.last_watched.clone(),
            self.cancel.clone(),
        ));
        runtime().spawn(
            keeper::Keeper {
                session: self.session.clone(),
                torrent: self.torrent.clone(),
                save_path: opts.save_path.clone(),
                piece_len,
                players: self.players.clone(),
                receiving: receiving.clone(),
                given_peers,
                user_paused: self.user_paused.clone(),
                cancel: self.cancel.clone(),
            }
            .run(),
        );
        let api = || Api::new(self.session.clone(), None);
        if let Some(place) = journal {
            tokio::spawn(journal::after_check(self.torrent.clone(), api(), place));
        }
        let sources = stats::Sources {
            torrent: self.torrent.clone(),
            api: api(),
            players: self.players.clone(),
            receiving,
            piece_par: self.piece_par.subscribe(),
            bitrates: self.bitrates.clone(),
            prefetches: self.prefetches.clone(),
            interface: opts.interface.clone(),
            encryption: opts.encryption,
            utp: opts.utp,
        };
        tokio::spawn(stats::run(
            sources,
            base,
            self.publish.clone(),
            self.cancel.clone(),
        ));
        tokio::spawn(bitrate::run(
            self.bitrates.clone(),
            self.snapshot(),
            self.cancel.clone(),
        ));
    }

    pub fn snapshot(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.clone()
    }

    pub fn files(&self) -> &Arc<Vec<FileSnap>> {
        &self.files
    }

    /// The order every front end lists the files in, the playlist, the first file to play.
    pub fn listing(&self) -> &Arc<Listing> {
        &self.listing
    }

    pub fn piece_len(&self) -> u64 {
        self.piece_len
    }

    /// The `.torrent` file of the torrent (for magnets: rebuilt from the metadata).
    pub fn torrent_bytes(&self) -> &bytes::Bytes {
        &self.torrent_bytes
    }

    /// piece_par as set: pieces, or seconds of playback.
    pub fn piece_par(&self) -> PiecePar {
        *self.piece_par.borrow()
    }

    /// Changes piece_par for every open and future player, and publishes a snapshot with its
    /// figures before it returns; the windows follow within 250 ms. Returns the value in force
    /// (limited to what the program accepts).
    pub fn set_piece_par(&self, p: PiecePar) -> PiecePar {
        let p = p.clamped();
        self.piece_par.send_replace(p);
        self.publish
            .send_modify(|s| stats::apply_piece_par(s, p, &self.bitrates));
        p
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
            .map_err(|e| Error::engine("pausing or resuming failed", e))?;
        r.map_err(|e| Error::engine("pausing or resuming failed", e))
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
            .filter(|f| f.shown())
            .ok_or(OpenError::NoSuchFile)?;
        let slot = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| OpenError::Busy)?;
        let stream = tokio::select! {
            _ = self.cancel.cancelled() => return Err(OpenError::ShuttingDown),
            s = self.torrent.clone().stream(index) => s.map_err(|e| OpenError::Engine(Cause::new(e)))?,
        };
        let info = self.players.register(client, index, file.length, start, end);
        PlayerStream::new(Box::pin(stream), info, self.players.clone(), slot)
            .await
            .map_err(|e| OpenError::Engine(Cause::new(e)))
    }

    /// The path in the torrent of the media file a player read last (kept across restarts
    /// with the resume data).
    pub fn last_watched(&self) -> Option<String> {
        self.last_watched.get()
    }

    /// Which subtitles of the torrent belong to which video (keys are file indices).
    pub fn subtitles(&self) -> &Pairs {
        self.subs.pairs()
    }

    /// Waits until file `idx` has its first piece verified, so that a player or a TV pointed at
    /// it gets its first bytes at once; false when `cancel` (or the engine) ends first.
    pub async fn first_piece_verified(&self, idx: usize, cancel: &CancellationToken) -> bool {
        let Some(first) = self.files.get(idx).map(|f| f.first_piece) else {
            return false;
        };
        let mut snap = self.snapshot.clone();
        let ready = async {
            loop {
                if snap.borrow_and_update().have.get(first) {
                    return true;
                }
                if snap.changed().await.is_err() {
                    return false;
                }
            }
        };
        tokio::select! {
            r = ready => r,
            _ = cancel.cancelled() => false,
        }
    }

    /// The subtitles a player of `video` is offered: (path, extension, WebVTT twin's path).
    pub fn subtitles_for(&self, video: usize) -> Vec<(String, String, Option<String>)> {
        self.subs
            .pairs()
            .for_player(video)
            .iter()
            .filter_map(|s| {
                let twin = self.listing.webvtt.get(&s.key).cloned();
                let file = self.files.get(s.key)?;
                Some((file.path.clone(), s.ext.clone(), twin))
            })
            .collect()
    }

    /// Starts fetching the subtitles of `video` that are neither complete nor being fetched;
    /// returns how many it started.
    pub fn fetch_subtitles(&self, video: usize) -> usize {
        let files = self.snapshot.borrow().files.clone();
        self.subs.fetch_for(video, &files, &self.torrent, &self.cancel)
    }

    /// Stops the session: the torrent paused (which flushes resume data), peers disconnected.
    pub async fn stop(&self) {
        self.cancel.cancel();
        // The session pauses its torrents at once, then sleeps a second for its tasks to wind
        // down; they are cancelled either way, so the sleep is not waited out.
        let _ = tokio::time::timeout(Duration::from_millis(300), self.session.stop()).await;
    }
}
