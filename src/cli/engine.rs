//! BitTorrent options of the commands that run the engine.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::parse::{parse_host_port, parse_proxy, parse_rate, parse_secs};

/// BitTorrent options of the commands that run the engine.
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// Directory for the downloaded data; partial data already there is checked and reused.
    #[arg(long, value_name = "DIR", env = "BT2P_SAVE_PATH", default_value = ".")]
    pub save_path: PathBuf,

    /// Directory for resume data [default: $XDG_STATE_HOME/bt2p-tui/resume, else ~/.local/state/bt2p-tui/resume]
    #[arg(long, value_name = "DIR", env = "BT2P_RESUME")]
    pub resume: Option<PathBuf>,

    /// Do not read or write resume data: every start checks the existing data in full.
    #[arg(long, env = "BT2P_NO_RESUME", conflicts_with = "resume")]
    pub no_resume: bool,

    /// Re-hash all existing data at start instead of trusting resume data (which is checked
    /// only on a sample of pieces).
    #[arg(long, env = "BT2P_RECHECK")]
    pub recheck: bool,

    /// Download only what players read (bt2p's original behaviour). By default the whole torrent
    /// is fetched in the background while the players' windows come first.
    #[arg(long, env = "BT2P_ON_DEMAND")]
    pub on_demand: bool,

    /// Seconds to wait for a magnet link's metadata before giving up.
    #[arg(long, value_name = "SECS", env = "BT2P_METADATA_TIMEOUT", default_value = "120", value_parser = parse_secs)]
    pub metadata_timeout: Duration,

    /// Extra peer to connect to (repeatable), e.g. 192.168.1.5:6881.
    #[arg(long = "peer", value_name = "ADDR", env = "BT2P_PEER", value_delimiter = ',')]
    pub peers: Vec<SocketAddr>,

    /// BitTorrent listen port (TCP, and UDP for uTP); the next ports up to 6889 are tried when
    /// it is busy.
    #[arg(long, value_name = "N", env = "BT2P_LISTEN_PORT", default_value_t = 6881)]
    pub listen_port: u16,

    /// Address the BitTorrent side listens on: `::` takes IPv4 and IPv6 peers (dual stack),
    /// `0.0.0.0` IPv4 only, or one address of this machine. Separate from the HTTP --bind.
    #[arg(long, value_name = "ADDR", env = "BT2P_LISTEN_ADDR", default_value = "::")]
    pub listen_addr: IpAddr,

    /// Keep all BitTorrent traffic (peers, trackers, DHT) on this network interface, e.g. a
    /// VPN's wg0 or tun0 (Linux, needs CAP_NET_RAW or root).
    #[arg(long, value_name = "NAME", env = "BT2P_INTERFACE")]
    pub interface: Option<String>,

    /// Peers over TCP only. By default uTP (BitTorrent over UDP, which most clients prefer) is
    /// accepted, and tried when TCP does not connect or the peer hangs up on TCP during the
    /// handshake (as libtorrent with TCP turned off does).
    #[arg(long, env = "BT2P_NO_UTP")]
    pub no_utp: bool,

    /// Dial peers over uTP only (peers may still connect over TCP), instead of TCP first and
    /// uTP when TCP fails.
    #[arg(long, env = "BT2P_PREFER_UTP", conflicts_with_all = ["no_utp", "proxy"])]
    pub prefer_utp: bool,

    /// Message stream encryption with peers (MSE/PE, as libtorrent, Transmission and
    /// qBittorrent speak it): `prefer` dials encrypted, falls back to plaintext for peers that
    /// do not encrypt, and accepts both; `require` connects only with RC4-encrypted peers;
    /// `off` never encrypts.
    #[arg(long, value_enum, value_name = "MODE", env = "BT2P_ENCRYPTION", default_value_t = Encryption::Prefer)]
    pub encryption: Encryption,

    /// Send outgoing peer connections and tracker requests through a SOCKS5 proxy:
    /// socks5://[user:pass@]host:port (socks5h:// lets the proxy resolve names).
    #[arg(long, value_name = "URL", env = "BT2P_PROXY", value_parser = parse_proxy)]
    pub proxy: Option<String>,

    /// DHT node to join through instead of the public routers (repeatable), HOST:PORT: a DHT
    /// of your own LAN, or another client on this machine.
    #[arg(long = "dht-bootstrap", value_name = "HOST:PORT", env = "BT2P_DHT_BOOTSTRAP", value_delimiter = ',', value_parser = parse_host_port)]
    pub dht_bootstrap: Vec<String>,

    /// Do not use the DHT (trackerless peer discovery).
    #[arg(long, env = "BT2P_NO_DHT")]
    pub no_dht: bool,

    /// Do not announce to trackers, nor discover peers on the LAN (only --peer peers are used).
    #[arg(long, env = "BT2P_NO_TRACKERS")]
    pub no_trackers: bool,

    /// Do not discover peers on the LAN by multicast (BEP 14).
    #[arg(long, env = "BT2P_NO_LSD")]
    pub no_lsd: bool,

    /// Download rate limit per second, e.g. 5MiB, 800KB [default: none]
    #[arg(long, value_name = "RATE", env = "BT2P_DOWNLOAD_LIMIT", value_parser = parse_rate)]
    pub download_limit: Option<u64>,

    /// Upload rate limit per second, e.g. 1MiB [default: none]
    #[arg(long, value_name = "RATE", env = "BT2P_UPLOAD_LIMIT", value_parser = parse_rate)]
    pub upload_limit: Option<u64>,

    /// Most 16 KiB block requests outstanding with one peer. Each peer is asked for about half a
    /// second of its own measured rate (at least 4 requests), up to this: it caps fast peers only.
    #[arg(long, value_name = "N", env = "BT2P_REQUEST_WINDOW", default_value_t = crate::engine::DEFAULT_REQUEST_WINDOW,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub request_window: u32,
}

/// `--encryption`: whether peer connections are encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encryption {
    /// Encrypted first, plaintext with peers that do not encrypt; both accepted.
    Prefer,
    /// Only encrypted (RC4) connections, both ways.
    Require,
    /// Never encrypt.
    Off,
}

impl From<Encryption> for librqbit::EncryptionPolicy {
    fn from(e: Encryption) -> Self {
        match e {
            Encryption::Prefer => Self::Prefer,
            Encryption::Require => Self::Require,
            Encryption::Off => Self::Off,
        }
    }
}
