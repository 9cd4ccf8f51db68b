//! Which pieces are receiving data right now: a storage wrapper that watches chunk writes.

use std::any::TypeId;
use std::collections::HashMap;
use std::io::IoSlice;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use librqbit::storage::filesystem::FilesystemStorageFactory;
use librqbit::storage::{BoxStorageFactory, StorageFactory, StorageFactoryExt, TorrentStorage};
use librqbit::{ManagedTorrentShared, TorrentMetadata};
use librqbit_core::lengths::ValidPieceIndex;

use super::journal::{Journal, JournalPlace};

/// Bytes written so far into each piece that is not verified yet, and the last write error.
#[derive(Default, Debug)]
pub struct Receiving {
    pieces: Mutex<HashMap<u32, Partial>>,
    write_error: Mutex<Option<Failure>>,
}

/// The last failure of the storage, known by its kind.
#[derive(Debug)]
struct Failure {
    message: String,
    disk_full: bool,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Partial {
    bytes: u32,
    last: Instant,
}

impl Receiving {
    fn wrote(&self, piece: u32, bytes: u32) {
        if let Ok(mut m) = self.pieces.lock() {
            let e = m.entry(piece).or_insert(Partial {
                bytes: 0,
                last: Instant::now(),
            });
            e.bytes = e.bytes.saturating_add(bytes);
            e.last = Instant::now();
        }
    }

    fn completed(&self, piece: u32) {
        if let Ok(mut m) = self.pieces.lock() {
            m.remove(&piece);
        }
    }

    fn failed(&self, e: &anyhow::Error) {
        let Ok(mut last) = self.write_error.lock() else {
            return;
        };
        let disk_full = super::disk::is_disk_full(e);
        let message = if disk_full {
            format!("the disk is full: downloading waits until there is room again ({e:#})")
        } else {
            format!("cannot write downloaded data: {e:#}")
        };
        // Logged once per 10 s: a full disk fails every chunk of every peer.
        if last.as_ref().is_none_or(|f| f.at.elapsed().as_secs() >= 10) {
            tracing::error!("{message}");
        }
        *last = Some(Failure {
            message,
            disk_full,
            at: Instant::now(),
        });
    }

    /// The last write error, while it is recent (writes failed in the last 15 s).
    pub fn write_error(&self) -> Option<String> {
        let last = self.write_error.lock().ok()?;
        last.as_ref()
            .filter(|f| f.at.elapsed().as_secs() < 15)
            .map(|f| f.message.clone())
    }

    /// Whether the storage last failed because the disk was full, however long ago.
    pub fn disk_was_full(&self) -> bool {
        self.write_error
            .lock()
            .ok()
            .is_some_and(|f| f.as_ref().is_some_and(|f| f.disk_full))
    }

    /// (piece, bytes received) of every piece written to in the last minute and not verified,
    /// sorted by piece. Entries of pieces that failed their hash check age out.
    pub fn current(&self) -> Vec<(u32, u32)> {
        let Ok(mut m) = self.pieces.lock() else {
            return Vec::new();
        };
        m.retain(|_, p| p.last.elapsed().as_secs() < 60);
        let mut v: Vec<(u32, u32)> = m.iter().map(|(k, p)| (*k, p.bytes)).collect();
        v.sort_unstable();
        v
    }
}

/// Wraps the filesystem storage so that every write is noted in `Receiving`, and every
/// verified piece in the resume journal.
#[derive(Clone)]
pub struct WatchedStorageFactory {
    pub receiving: Arc<Receiving>,
    pub journal: Option<JournalPlace>,
}

impl StorageFactory for WatchedStorageFactory {
    type Storage = WatchedStorage;

    fn create(
        &self,
        shared: &ManagedTorrentShared,
        metadata: &TorrentMetadata,
    ) -> anyhow::Result<WatchedStorage> {
        let inner: Box<dyn TorrentStorage> =
            Box::new(FilesystemStorageFactory::default().create(shared, metadata)?);
        let journal = match &self.journal {
            Some(place) => match Journal::open(place, metadata.lengths().total_pieces()) {
                Ok(j) => Some(j),
                Err(e) => {
                    tracing::warn!("no resume journal (a kill may cost re-downloads): {e}");
                    None
                }
            },
            None => None,
        };
        Ok(WatchedStorage {
            inner,
            journal,
            receiving: self.receiving.clone(),
            offsets: metadata.file_infos.iter().map(|f| f.offset_in_torrent).collect(),
            piece_len: u64::from(metadata.lengths().default_piece_length()),
        })
    }

    fn is_type_id(&self, type_id: TypeId) -> bool {
        type_id == TypeId::of::<Self>() || type_id == TypeId::of::<FilesystemStorageFactory>()
    }

    fn clone_box(&self) -> BoxStorageFactory {
        self.clone().boxed()
    }
}

pub struct WatchedStorage {
    inner: Box<dyn TorrentStorage>,
    journal: Option<Arc<Journal>>,
    receiving: Arc<Receiving>,
    offsets: Vec<u64>,
    piece_len: u64,
}

impl WatchedStorage {
    fn note(&self, file_id: usize, offset: u64, len: usize) {
        let Some(base) = self.offsets.get(file_id) else {
            return;
        };
        // A chunk never spans pieces, so its first byte names its piece.
        let piece = (base + offset) / self.piece_len.max(1);
        self.receiving
            .wrote(u32::try_from(piece).unwrap_or(u32::MAX), len as u32);
    }
}

impl WatchedStorage {
    /// Writes `buf`; on a full disk, waits and tries again instead of failing. The engine
    /// stops a torrent for good on a write error, so waiting here keeps it running: verified
    /// pieces still stream, the error shows, and writing goes on by itself once there is room.
    /// This runs on a blocking thread of the engine's runtime, which is not the one the HTTP
    /// server and the dashboard run on: with many peers it may stall until there is room, they
    /// go on.
    fn write_waiting_for_room(&self, file_id: usize, offset: u64, buf: &[u8]) -> anyhow::Result<()> {
        loop {
            match self.inner.pwrite_all(file_id, offset, buf) {
                Ok(()) => return Ok(()),
                Err(e) if super::disk::is_disk_full(&e) => {
                    self.receiving.failed(&e);
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
                Err(e) => {
                    self.receiving.failed(&e);
                    return Err(e);
                }
            }
        }
    }
}

impl TorrentStorage for WatchedStorage {
    fn init(&mut self, shared: &ManagedTorrentShared, metadata: &TorrentMetadata) -> anyhow::Result<()> {
        self.inner
            .init(shared, metadata)
            .inspect_err(|e| self.receiving.failed(e))
    }

    fn pread_exact(&self, file_id: usize, offset: u64, buf: &mut [u8]) -> anyhow::Result<()> {
        self.inner.pread_exact(file_id, offset, buf)
    }

    fn pwrite_all(&self, file_id: usize, offset: u64, buf: &[u8]) -> anyhow::Result<()> {
        self.write_waiting_for_room(file_id, offset, buf)?;
        self.note(file_id, offset, buf.len());
        Ok(())
    }

    fn pwrite_all_vectored(
        &self,
        file_id: usize,
        offset: u64,
        bufs: [IoSlice<'_>; 2],
    ) -> anyhow::Result<usize> {
        let total = bufs[0].len() + bufs[1].len();
        let n = match self.inner.pwrite_all_vectored(
            file_id,
            offset,
            [IoSlice::new(&bufs[0]), IoSlice::new(&bufs[1])],
        ) {
            Ok(n) => n,
            Err(e) if super::disk::is_disk_full(&e) => 0,
            Err(e) => {
                self.receiving.failed(&e);
                return Err(e);
            }
        };
        if n < total {
            // A short write (a full disk) must not come back as a count: the engine takes any
            // count as the whole chunk written.
            let rest: Vec<u8> = bufs[0].iter().chain(bufs[1].iter()).skip(n).copied().collect();
            self.write_waiting_for_room(file_id, offset + n as u64, &rest)?;
        }
        self.note(file_id, offset, total);
        Ok(total)
    }

    fn remove_file(&self, file_id: usize, filename: &Path) -> anyhow::Result<()> {
        self.inner.remove_file(file_id, filename)
    }

    fn remove_directory_if_empty(&self, path: &Path) -> anyhow::Result<()> {
        self.inner.remove_directory_if_empty(path)
    }

    fn ensure_file_length(&self, file_id: usize, length: u64) -> anyhow::Result<()> {
        self.inner
            .ensure_file_length(file_id, length)
            .inspect_err(|e| self.receiving.failed(e))
    }

    fn take(&self) -> anyhow::Result<Box<dyn TorrentStorage>> {
        Ok(Box::new(WatchedStorage {
            inner: self.inner.take()?,
            journal: self.journal.clone(),
            receiving: self.receiving.clone(),
            offsets: self.offsets.clone(),
            piece_len: self.piece_len,
        }))
    }

    fn on_piece_completed(&self, piece_index: ValidPieceIndex) -> anyhow::Result<()> {
        self.receiving.completed(piece_index.get());
        if let Some(j) = &self.journal {
            j.record(piece_index.get());
        }
        self.inner.on_piece_completed(piece_index)
    }
}
