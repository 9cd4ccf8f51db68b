//! Where playback stopped: the media file a player read last, kept in the torrent's resume
//! folder so that `/playlist.m3u?from=last` starts there after a restart too.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

const NAME: &str = "bt2p-last-watched.json";

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    /// The file's path in the torrent.
    path: String,
}

/// The last-watched file of one torrent.
#[derive(Debug, Default)]
pub struct LastWatched {
    /// Where it is kept; without resume data, only in memory.
    file: Option<PathBuf>,
    path: Mutex<Option<String>>,
}

impl LastWatched {
    /// What was kept in the resume `folder`, if any.
    pub fn load(folder: Option<&Path>) -> LastWatched {
        let file = folder.map(|f| f.join(NAME));
        let path = file
            .as_deref()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|b| serde_json::from_slice::<Stored>(&b).ok())
            .map(|s| s.path);
        LastWatched {
            file,
            path: Mutex::new(path),
        }
    }

    /// The path in the torrent of the file watched last.
    pub fn get(&self) -> Option<String> {
        self.path.lock().ok().and_then(|p| p.clone())
    }

    /// `path` is being watched now; kept on disk when it changes.
    pub fn note(&self, path: &str) {
        let Ok(mut current) = self.path.lock() else {
            return;
        };
        if current.as_deref() == Some(path) {
            return;
        }
        *current = Some(path.to_string());
        drop(current);
        if let Some(file) = &self.file
            && let Err(e) = write(file, path)
        {
            tracing::warn!("cannot keep the last-watched file in {}: {e}", file.display());
        }
    }
}

/// Writes through a temporary file and a rename, so a crash leaves the old name or the new.
fn write(file: &Path, path: &str) -> std::io::Result<()> {
    let json = serde_json::to_vec(&Stored {
        path: path.to_string(),
    })?;
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let w = LastWatched::load(Some(dir.path()));
        assert_eq!(w.get(), None);
        w.note("Show/Ep 2 & <3>.mkv");
        assert_eq!(w.get().as_deref(), Some("Show/Ep 2 & <3>.mkv"));
        let again = LastWatched::load(Some(dir.path()));
        assert_eq!(again.get().as_deref(), Some("Show/Ep 2 & <3>.mkv"));
        std::fs::write(dir.path().join(NAME), b"{broken").unwrap();
        assert_eq!(
            LastWatched::load(Some(dir.path())).get(),
            None,
            "damage forgets it"
        );
        let memory = LastWatched::load(None);
        memory.note("a.mkv");
        assert_eq!(memory.get().as_deref(), Some("a.mkv"));
    }
}
