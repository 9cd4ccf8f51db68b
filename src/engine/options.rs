//! How the engine is set up, and the bounds of what can be asked of it.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

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
    /// `::` for IPv4 and IPv6 peers, `0.0.0.0` for IPv4 only, or one address.
    pub listen_ip: IpAddr,
    pub listen_port: u16,
    /// Ports tried after `listen_port` when it is busy.
    pub listen_port_tries: u16,
    /// Accept uTP and try it when TCP does not connect.
    pub utp: bool,
    /// Dial peers over TCP first (else over uTP only).
    pub dial_tcp: bool,
    /// Network interface all BitTorrent traffic is kept on.
    pub interface: Option<String>,
    /// SOCKS5 proxy URL for outgoing peer connections and trackers.
    pub proxy: Option<String>,
    /// Message stream encryption with peers.
    pub encryption: librqbit::EncryptionPolicy,
    pub dht: bool,
    /// DHT nodes to join through instead of the public routers.
    pub dht_bootstrap: Vec<String>,
    pub trackers: bool,
    /// Local service discovery (LAN multicast).
    pub lsd: bool,
    pub peers: Vec<SocketAddr>,
    pub download_limit: Option<u64>,
    pub upload_limit: Option<u64>,
    pub on_demand: bool,
    pub piece_par: super::PiecePar,
    pub metadata_timeout: Duration,
    pub max_players: usize,
    /// Block requests outstanding per peer.
    pub request_window: usize,
}

/// The engine's own default of block requests outstanding per peer.
pub const DEFAULT_REQUEST_WINDOW: u32 = 128;
