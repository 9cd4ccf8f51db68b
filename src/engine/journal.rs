//! Verified pieces, written down the moment they are verified, in a file that shows damage.
//!
//! The engine saves its have-bitfield (`<info hash>.bitv`) only every 16 MiB of verified data
//! and on a clean stop, so a kill -9 forgets up to 16 MiB; and when it loads that file it checks
//! only a few pieces, so a damaged file can make it serve bytes that were never verified. The
//! journal is the source of truth instead: a checksummed snapshot of the bitfield followed by
//! one checked entry per piece verified since. At start a sound journal replaces the engine's
//! file; a damaged or missing one removes it, and the engine re-hashes everything.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use librqbit::{Api, ManagedTorrent};
use sha1::{Digest, Sha1};

const NAME: &str = "bt2p-have.journal";
const MAGIC: &[u8; 8] = b"BT2PJ01\n";

/// Where a torrent's journal lives: its resume folder and its info hash (hex).
#[derive(Debug, Clone)]
pub struct JournalPlace {
    pub folder: PathBuf,
    pub info_hash: String,
    /// The journal once the torrent's storage is created, for the engine to update.
    pub slot: Arc<Mutex<Option<Arc<Journal>>>>,
}

impl JournalPlace {
    pub fn new(folder: PathBuf, info_hash: &str) -> Self {
        JournalPlace {
            folder,
            info_hash: info_hash.to_ascii_lowercase(),
            slot: Default::default(),
        }
    }

    fn engine_bitv(&self) -> PathBuf {
        self.folder.join(format!("{}.bitv", self.info_hash))
    }

    fn path(&self) -> PathBuf {
        self.folder.join(NAME)
    }

    /// Forgets everything known: the next start re-hashes all data (`--recheck`).
    pub fn forget(&self) {
        let _ = std::fs::remove_file(self.path());
        let _ = std::fs::remove_file(self.engine_bitv());
    }

    /// The journal, once open.
    pub fn journal(&self) -> Option<Arc<Journal>> {
        self.slot.lock().ok().and_then(|s| s.clone())
    }
}

#[derive(Debug)]
pub struct Journal {
    place_path: PathBuf,
    info_hash: String,
    inner: Mutex<(File, Vec<u8>)>,
}

/// A cheap check of one log entry: catches torn and garbled writes, not forgery.
fn entry_check(piece: u32) -> u32 {
    piece.wrapping_mul(0x9E37_79B1) ^ 0xB7E1_5163
}

fn snapshot_bytes(info_hash: &str, bits: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + 40 + 4 + bits.len() + 20);
    v.extend(MAGIC);
    v.extend(format!("{info_hash:0>40}").bytes().take(40));
    v.extend((bits.len() as u32).to_be_bytes());
    v.extend(bits);
    let digest = Sha1::digest(&v);
    v.extend(digest);
    v
}

/// The bitfield a journal file vouches for, or None when anything in it is wrong.
fn parse(data: &[u8], info_hash: &str, bytes: usize) -> Option<Vec<u8>> {
    let head = 8 + 40 + 4;
    let snap_len = head + bytes + 20;
    if data.len() < snap_len || &data[..8] != MAGIC {
        return None;
    }
    let want = snapshot_bytes(info_hash, &data[head..head + bytes]);
    if data[..snap_len] != want[..] {
        return None;
    }
    let mut bits = data[head..head + bytes].to_vec();
    // A torn last entry from a kill is dropped; any other bad entry voids the journal.
    let log = &data[snap_len..];
    for e in log.chunks_exact(8) {
        let piece = u32::from_be_bytes(e[..4].try_into().ok()?);
        let check = u32::from_be_bytes(e[4..].try_into().ok()?);
        if check != entry_check(piece) || piece as usize / 8 >= bytes {
            return None;
        }
        bits[piece as usize / 8] |= 0x80 >> (piece % 8);
    }
    Some(bits)
}

impl Journal {
    /// Opens the journal of a torrent of `pieces` pieces and sets the engine's bitfield file
    /// from it, before the engine reads that file.
    pub fn open(place: &JournalPlace, pieces: u32) -> std::io::Result<Arc<Journal>> {
        let bytes = (pieces as usize).div_ceil(8);
        let path = place.path();
        let known = match std::fs::read(&path) {
            Ok(data) => {
                let bits = parse(&data, &place.info_hash, bytes);
                if bits.is_none() {
                    tracing::warn!(
                        "resume data in {} is damaged: all existing data will be checked again",
                        place.folder.display()
                    );
                }
                bits
            }
            Err(_) => None,
        };
        match &known {
            Some(bits) => write_atomically(&place.engine_bitv(), bits)?,
            None => {
                // Without a sound journal the engine's own file is not trusted either.
                let _ = std::fs::remove_file(place.engine_bitv());
            }
        }
        let bits = known.unwrap_or_else(|| vec![0; bytes]);
        write_atomically(&path, &snapshot_bytes(&place.info_hash, &bits))?;
        let file = OpenOptions::new().append(true).open(&path)?;
        let journal = Arc::new(Journal {
            place_path: path,
            info_hash: place.info_hash.clone(),
            inner: Mutex::new((file, bits)),
        });
        if let Ok(mut slot) = place.slot.lock() {
            *slot = Some(journal.clone());
        }
        Ok(journal)
    }

    /// Piece `piece` passed its hash check and is written.
    pub fn record(&self, piece: u32) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let (file, bits) = &mut *inner;
        let Some(byte) = bits.get_mut(piece as usize / 8) else {
            return;
        };
        *byte |= 0x80 >> (piece % 8);
        let mut entry = [0u8; 8];
        entry[..4].copy_from_slice(&piece.to_be_bytes());
        entry[4..].copy_from_slice(&entry_check(piece).to_be_bytes());
        // No fsync: surviving the process is the point; the page cache outlives a kill -9.
        if let Err(e) = file.write_all(&entry) {
            tracing::warn!("cannot write the resume journal: {e}");
        }
    }

    /// Replaces what the journal knows with `bits` (the engine's view after checking data).
    pub fn reset(&self, bits: &[u8]) {
        let Ok(mut inner) = self.inner.lock() else { return };
        if inner.1.len() != bits.len() {
            return;
        }
        let r = write_atomically(&self.place_path, &snapshot_bytes(&self.info_hash, bits))
            .and_then(|_| OpenOptions::new().append(true).open(&self.place_path));
        match r {
            Ok(file) => *inner = (file, bits.to_vec()),
            Err(e) => tracing::warn!("cannot write the resume journal: {e}"),
        }
    }
}

fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)
}

/// Once the engine has checked the data on disk, the journal takes its view as the truth:
/// pieces found by that check were never reported as completed one by one.
pub(super) async fn after_check(torrent: Arc<ManagedTorrent>, api: Api, place: JournalPlace) {
    if torrent.wait_until_initialized().await.is_err() {
        return;
    }
    if let (Some(j), Ok((bits, _))) = (place.journal(), api.api_dump_haves(super::id_of(&torrent))) {
        j.reset(bits.as_raw_slice());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(d: &tempfile::TempDir) -> JournalPlace {
        JournalPlace::new(d.path().to_path_buf(), "ab")
    }

    #[test]
    fn records_survive_and_become_the_engine_file() {
        let d = tempfile::tempdir().unwrap();
        let p = place(&d);
        let j = Journal::open(&p, 20).unwrap();
        for piece in [0, 9, 19, 99] {
            j.record(piece);
        }
        drop(j);
        let _ = Journal::open(&p, 20).unwrap();
        assert_eq!(std::fs::read(p.engine_bitv()).unwrap(), vec![0x80, 0x40, 0x10]);
        // Reopening compacted the log into the snapshot: still the same.
        let j = Journal::open(&p, 20).unwrap();
        assert_eq!(std::fs::read(p.engine_bitv()).unwrap(), vec![0x80, 0x40, 0x10]);
        j.reset(&[0xff, 0xff, 0xf0]);
        drop(j);
        let _ = Journal::open(&p, 20).unwrap();
        assert_eq!(std::fs::read(p.engine_bitv()).unwrap(), vec![0xff, 0xff, 0xf0]);
    }

    #[test]
    fn any_damage_means_a_full_check() {
        let d = tempfile::tempdir().unwrap();
        let p = place(&d);
        let j = Journal::open(&p, 20).unwrap();
        j.record(3);
        drop(j);
        let good = std::fs::read(p.path()).unwrap();
        let damaged: Vec<(&str, Vec<u8>)> = vec![
            ("a flipped bit in the snapshot", {
                let mut v = good.clone();
                v[53] ^= 1;
                v
            }),
            ("a garbled entry", {
                let mut v = good.clone();
                let n = v.len();
                v[n - 1] ^= 1;
                v
            }),
            ("truncated", good[..20].to_vec()),
            ("all ones", vec![0xff; good.len()]),
        ];
        for (what, bytes) in damaged {
            std::fs::write(p.path(), &bytes).unwrap();
            std::fs::write(p.engine_bitv(), [0xff, 0xff, 0xf0]).unwrap();
            let _ = Journal::open(&p, 20).unwrap();
            assert!(!p.engine_bitv().exists(), "{what}: the engine's file was kept");
        }
        // The engine's file alone, without a journal, is not trusted either.
        std::fs::remove_file(p.path()).unwrap();
        std::fs::write(p.engine_bitv(), [0xff, 0xff, 0xf0]).unwrap();
        let _ = Journal::open(&p, 20).unwrap();
        assert!(!p.engine_bitv().exists());
        // A torn last entry (a kill mid-write) loses only that entry.
        let j = Journal::open(&p, 20).unwrap();
        j.record(0);
        drop(j);
        let mut v = std::fs::read(p.path()).unwrap();
        v.extend([0, 0, 0]);
        std::fs::write(p.path(), v).unwrap();
        let _ = Journal::open(&p, 20).unwrap();
        assert_eq!(std::fs::read(p.engine_bitv()).unwrap(), vec![0x80, 0, 0]);
        p.forget();
        assert!(!p.engine_bitv().exists() && !p.path().exists());
    }
}
