//! Errors a user can meet, each naming the problem and the fix. Each keeps its cause as its
//! `source`, so code decides by kind and never by the words of a message.

use std::path::PathBuf;

/// A cause of any type, kept as it came.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no torrent given: pass a .torrent path, a magnet link or an info hash (see --help)")]
    NoTorrent,
    #[error("cannot read the torrent file {path}: {problem}; {fix}")]
    TorrentFile {
        path: String,
        problem: String,
        fix: &'static str,
        #[source]
        source: Option<std::io::Error>,
    },
    #[error(
        "cannot download the torrent from {url}: {problem}; check the URL, or download the .torrent and give its path"
    )]
    TorrentUrl { url: String, problem: String },
    #[error(
        "{origin} is not a usable torrent: {problem}. Get a fresh copy of the .torrent, or use its magnet link"
    )]
    BadTorrent { origin: String, problem: String },
    #[error(
        "{origin} is a BitTorrent v2-only torrent, which the engine (librqbit) cannot download. Get the v1 or hybrid torrent of the same content, or its magnet link with urn:btih"
    )]
    V2Only { origin: String },
    #[error(
        "bad magnet link or info hash: {problem}. Give a magnet URI (magnet:?xt=urn:btih:…) or a 40-hex / 32-base32 info hash"
    )]
    BadMagnet { problem: String },
    #[error(
        "no metadata for the magnet link after {secs} s (from {peers} peers): nobody who has the torrent was found. Check the network, add a peer with --peer ADDR, or raise --metadata-timeout"
    )]
    MetadataTimeout { secs: u64, peers: usize },
    #[error(
        "no metadata for the magnet link: {0}. Add a peer that has the torrent with --peer ADDR, or let bt2p-tui find peers (without --no-dht / --no-trackers)"
    )]
    NoMetadata(String),
    #[error(
        "cannot use the save path {path}: {what} ({source}). Choose a writable folder with --save-path DIR"
    )]
    SavePath {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the disk holding {path} is full ({free} free, the torrent needs {need}). Free some space or choose another --save-path"
    )]
    DiskFull {
        path: PathBuf,
        free: String,
        need: String,
    },
    #[error("cannot listen for HTTP on {addr}: {source}. {fix}")]
    HttpPort {
        addr: String,
        fix: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot listen for BitTorrent peers on ports {first}-{last}: {source}. Choose a free port with --listen-port N"
    )]
    ListenPort {
        first: u16,
        last: u16,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the resume folder {path} cannot be used: {source}. Choose another with --resume DIR, or pass --no-resume"
    )]
    Resume {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set up logging: {what}: {source}. Check --log-conf and --log-file")]
    Log {
        what: String,
        #[source]
        source: BoxError,
    },
    #[error("the BitTorrent engine failed: {context}: {source}")]
    Engine {
        context: &'static str,
        #[source]
        source: Cause,
    },
    #[error("the dashboard failed: {0}")]
    Dashboard(#[source] std::io::Error),
    #[error("demo: {what}: {source}")]
    Demo {
        what: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("stopped while waiting for the magnet link's metadata")]
    Interrupted,
    /// Bad input in the user's words, already naming the fix.
    #[error("{0}")]
    Usage(String),
    /// A failure of the machine in the user's words.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// An engine failure while doing `context`, with its cause kept.
    pub fn engine(context: &'static str, cause: impl Into<BoxError>) -> Error {
        Error::Engine {
            context,
            source: Cause::new(cause),
        }
    }

    /// A logging set-up failure.
    pub fn log(what: impl Into<String>, cause: impl Into<BoxError>) -> Error {
        Error::Log {
            what: what.into(),
            source: cause.into(),
        }
    }

    /// The process exit code: 2 for bad input the user can fix, 1 for failures of the machine
    /// or the engine.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Engine { .. }
            | Error::Dashboard(_)
            | Error::Demo { .. }
            | Error::Interrupted
            | Error::Other(_) => 1,
            _ => 2,
        }
    }
}

/// A cause kept as it came, shown in words together with its own causes (as anyhow's `{:#}`).
#[derive(Debug)]
pub struct Cause(BoxError);

impl Cause {
    pub fn new(cause: impl Into<BoxError>) -> Cause {
        Cause(cause.into())
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&chain(&*self.0))
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// An error and its causes in words, outermost first, without repeats.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_keep_their_cause() {
        let cause = anyhow::anyhow!("connection refused").context("dialling the tracker");
        let e = Error::engine("the torrent could not be added", cause);
        assert_eq!(
            e.to_string(),
            "the BitTorrent engine failed: the torrent could not be added: dialling the tracker: connection refused"
        );
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn exit_codes_by_kind() {
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let usage = [
            Error::NoTorrent,
            Error::Usage("x".into()),
            Error::BadMagnet { problem: "x".into() },
            Error::Resume {
                path: "/r".into(),
                source: io(),
            },
            Error::log("x", io()),
        ];
        for e in usage {
            assert_eq!(e.exit_code(), 2, "{e}");
        }
        assert_eq!(Error::Interrupted.exit_code(), 1);
        assert_eq!(Error::Dashboard(io()).exit_code(), 1);
    }
}
