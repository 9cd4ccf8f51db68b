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

/// Bytes written so far into each piece that is not verified yet.
#[derive(Default, Debug)]
pub struct Receiving {
    pieces: Mutex<HashMap<u32, Partial>>,
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

impl TorrentStorage for WatchedStorage {
    fn init(&mut self, shared: &ManagedTorrentShared, metadata: &TorrentMetadata) -> anyhow::Result<()> {
        self.inner.init(shared, metadata)
    }

    fn pread_exact(&self, file_id: usize, offset: u64, buf: &mut [u8]) -> anyhow::Result<()> {
        self.inner.pread_exact(file_id, offset, buf)
    }

    fn pwrite_all(&self, file_id: usize, offset: u64, buf: &[u8]) -> anyhow::Result<()> {
        self.inner.pwrite_all(file_id, offset, buf)?;
        self.note(file_id, offset, buf.len());
        Ok(())
    }

    fn pwrite_all_vectored(
        &self,
        file_id: usize,
        offset: u64,
        bufs: [IoSlice<'_>; 2],
    ) -> anyhow::Result<usize> {
        let n = self.inner.pwrite_all_vectored(file_id, offset, bufs)?;
        self.note(file_id, offset, n);
        Ok(n)
    }

    fn remove_file(&self, file_id: usize, filename: &Path) -> anyhow::Result<()> {
        self.inner.remove_file(file_id, filename)
    }

    fn remove_directory_if_empty(&self, path: &Path) -> anyhow::Result<()> {
        self.inner.remove_directory_if_empty(path)
    }

    fn ensure_file_length(&self, file_id: usize, length: u64) -> anyhow::Result<()> {
        self.inner.ensure_file_length(file_id, length)
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
