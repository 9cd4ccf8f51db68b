//! When each file of the torrent last changed, for `Last-Modified`: the torrent's creation
//! date when it has one, else the time the file was first seen complete.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use tokio_util::sync::CancellationToken;

use super::conditional::whole_seconds;
use crate::engine::{Engine, Snapshot};

pub struct FileDates {
    created: Option<SystemTime>,
    completed: Arc<Vec<OnceLock<SystemTime>>>,
}

impl FileDates {
    /// Reads the creation date and, without one, watches the snapshots for files completing.
    pub fn watch(engine: &Engine, cancel: &CancellationToken) -> Self {
        let created = creation_date(engine.torrent_bytes());
        let completed: Arc<Vec<OnceLock<SystemTime>>> =
            Arc::new(engine.files().iter().map(|_| OnceLock::new()).collect());
        if created.is_none() {
            let (mut rx, cancel, completed) = (engine.snapshot(), cancel.clone(), completed.clone());
            tokio::spawn(async move {
                loop {
                    note_completed(&rx.borrow_and_update(), &completed);
                    if completed.iter().all(|c| c.get().is_some()) {
                        return;
                    }
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        r = rx.changed() => if r.is_err() { return },
                    }
                }
            });
        }
        FileDates { created, completed }
    }

    pub fn last_modified(&self, idx: usize) -> Option<SystemTime> {
        self.created
            .or_else(|| self.completed.get(idx).and_then(|c| c.get().copied()))
    }
}

fn note_completed(s: &Snapshot, completed: &[OnceLock<SystemTime>]) {
    let now = whole_seconds(SystemTime::now());
    for (f, slot) in s.files.iter().zip(completed) {
        if f.progress_bytes >= f.length {
            let _ = slot.set(now);
        }
    }
}

/// The `creation date` of a `.torrent`, when it has a plausible one (not before 1970's end,
/// not in the future).
fn creation_date(torrent: &[u8]) -> Option<SystemTime> {
    let secs = librqbit::torrent_from_bytes(torrent).ok()?.creation_date?;
    let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(secs).ok()?);
    let plausible = secs > 31_536_000 && t <= SystemTime::now();
    plausible.then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_dates() {
        let torrent = |date: &str| {
            format!(
                "d13:creation datei{date}e4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"
            )
        };
        let at = |s| Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s));
        assert_eq!(creation_date(torrent("1700000000").as_bytes()), at(1_700_000_000));
        assert_eq!(creation_date(torrent("0").as_bytes()), None);
        assert_eq!(creation_date(torrent("99999999999").as_bytes()), None);
        assert_eq!(
            creation_date(
                b"d4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"
            ),
            None
        );
    }
}
