//! Errors a user can meet, each naming the problem and the fix.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the torrent file {path}: {problem}; {fix}")]
    TorrentFile {
        path: String,
        problem: String,
        fix: &'static str,
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
    #[error("cannot use the save path {path}: {problem}. Choose a writable folder with --save-path DIR")]
    SavePath { path: PathBuf, problem: String },
    #[error(
        "the disk holding {path} is full ({free} free, the torrent needs {need}). Free some space or choose another --save-path"
    )]
    DiskFull {
        path: PathBuf,
        free: String,
        need: String,
    },
    #[error("cannot listen for HTTP on {addr}: {problem}. {fix}")]
    HttpPort {
        addr: String,
        problem: String,
        fix: String,
    },
    #[error(
        "cannot listen for BitTorrent peers on ports {first}-{last}: {problem}. Choose a free port with --listen-port N"
    )]
    ListenPort { first: u16, last: u16, problem: String },
    #[error(
        "the resume folder {path} cannot be used: {problem}. Choose another with --resume DIR, or pass --no-resume"
    )]
    Resume { path: PathBuf, problem: String },
    #[error("cannot set up logging: {0}. Check --log-conf and --log-file")]
    Log(String),
    #[error("the BitTorrent engine failed: {0}")]
    Engine(String),
    /// Bad input in the user's words, already naming the fix.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The process exit code: 2 for bad input the user can fix, 1 for the rest.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Engine(_) | Error::Other(_) => 1,
            _ => 2,
        }
    }
}
