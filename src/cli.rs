//! The command line: `bt2p-tui [OPTIONS] <SOURCE>`, `bt2p-tui create`, `bt2p-tui demo`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::access::Cidr;

/// bt2p-tui streams files of a torrent over HTTP while it downloads.
///
/// Open the printed URL in mpv, VLC or Kodi on any machine of the LAN; the pieces ahead of
/// each player are fetched first.
#[derive(Debug, Parser)]
#[command(name = "bt2p-tui", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a .torrent from a file or a folder (and with --serve, seed it at once).
    Create(Box<CreateArgs>),
    /// Everything on this machine, no internet needed: a local seeder and the client.
    Demo(Box<DemoArgs>),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The file or folder to publish.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Where to write the .torrent [default: <name>.torrent in the current directory]
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Tracker announce URL (repeatable; the first becomes `announce`).
    #[arg(long = "tracker", value_name = "URL")]
    pub trackers: Vec<String>,

    /// Piece size, a power of two from 16 KiB to 64 MiB, e.g. 1MiB [default: chosen from the total size]
    #[arg(long, value_name = "SIZE", value_parser = parse_rate)]
    pub piece_size: Option<u64>,

    /// Name of the torrent [default: the file or folder name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Comment stored in the .torrent.
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,

    /// Mark the torrent private (no DHT, no peer exchange).
    #[arg(long)]
    pub private: bool,

    /// Web seed URL (BEP 19, repeatable).
    #[arg(long = "web-seed", value_name = "URL")]
    pub web_seeds: Vec<String>,

    /// After writing the .torrent, seed it and serve the index, like `bt2p-tui FILE.torrent --save-path <parent of PATH>`.
    #[arg(long)]
    pub serve: bool,

    #[command(flatten)]
    pub engine: EngineArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Upload rate of the built-in seeder, per second.
    #[arg(long, env = "BT2P_DEMO_RATE", default_value = "160KiB", value_parser = parse_rate)]
    pub rate: u64,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options of the main command.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Path to a .torrent, a magnet URI, an info hash (40 hex or 32 base32) or an http(s) URL of a .torrent.
    #[arg(value_name = "SOURCE", env = "BT2P_SOURCE")]
    pub source: Option<String>,

    /// The torrent to download (bt2p's name for SOURCE).
    #[arg(long, value_name = "PATH", env = "BT2P_HASH_FILE", conflicts_with = "source")]
    pub hash_file: Option<String>,

    #[command(flatten)]
    pub engine: EngineArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

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

    /// BitTorrent listen port; the next ports up to 6889 are tried when it is busy.
    #[arg(long, value_name = "N", env = "BT2P_LISTEN_PORT", default_value_t = 6881)]
    pub listen_port: u16,

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

    /// Most 16 KiB block requests outstanding per peer. A seek's first piece is asked for after
    /// them: lower makes seeks answer sooner on a slow link, and costs speed from fast peers.
    #[arg(long, value_name = "N", env = "BT2P_REQUEST_WINDOW", default_value_t = crate::engine::DEFAULT_REQUEST_WINDOW,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub request_window: u32,
}

/// Options shared by the main command and `demo`.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Pieces fetched first and in parallel, from the piece each player reads onward.
    /// The player's buffer should hold piece_par × piece size. Change it at runtime with GET /?piece_par=N.
    #[arg(long, value_name = "N", env = "BT2P_PIECE_PAR", default_value_t = crate::engine::DEFAULT_PIECE_PAR,
          value_parser = clap::value_parser!(u32).range(1..=crate::engine::MAX_PIECE_PAR as i64))]
    pub piece_par: u32,

    /// HTTP port.
    #[arg(long, value_name = "N", env = "BT2P_PORT", default_value_t = 17580)]
    pub port: u16,

    /// Address the HTTP server listens on [default: all interfaces, the player is on another machine]
    #[arg(long, value_name = "ADDR", env = "BT2P_BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,

    /// Host written into printed URLs, the index and playlists [default: this machine's LAN address]
    #[arg(long, value_name = "HOST", env = "BT2P_DOMAIN_NAME")]
    pub domain_name: Option<String>,

    /// Source addresses allowed to use the HTTP server (repeatable CIDR, e.g. 203.0.113.0/24 or 0.0.0.0/0)
    /// [default: loopback, private, link-local and CGNAT ranges]
    #[arg(
        long = "allow",
        value_name = "CIDR",
        env = "BT2P_ALLOW",
        value_delimiter = ','
    )]
    pub allow: Vec<Cidr>,

    /// Require HTTP basic auth on every route.
    #[arg(long, value_name = "USER:PASS", env = "BT2P_AUTH", hide_env_values = true, value_parser = parse_auth)]
    pub auth: Option<String>,

    /// Announce a DLNA/UPnP MediaServer on the LAN (SSDP) for TVs and phones, on the same port
    #[arg(long, env = "BT2P_DLNA")]
    pub dlna: bool,

    /// The name TVs show for the MediaServer [default: the torrent's name]
    #[arg(long, value_name = "NAME", env = "BT2P_DLNA_NAME", requires = "dlna")]
    pub dlna_name: Option<String>,

    /// No dashboard: print the URLs, then a status line every few seconds on stderr.
    /// Automatic when stdout or stdin is not a terminal.
    #[arg(long, env = "BT2P_NO_TUI")]
    pub no_tui: bool,

    /// Draw the dashboard with ASCII only [default: automatic when the locale is not UTF-8]
    #[arg(long, env = "BT2P_ASCII")]
    pub ascii: bool,

    /// Headless: after the URLs, print a QR code of the first video's URL, to open it on a phone.
    /// (The dashboard shows one for the selected file with `c`.)
    #[arg(long, env = "BT2P_QR")]
    pub qr: bool,

    /// End a response when a player's read has waited this long with no progress.
    #[arg(long, value_name = "SECS", env = "BT2P_READ_TIMEOUT", default_value = "300", value_parser = parse_secs)]
    pub read_timeout: Duration,

    /// Close HTTP connections that send no complete request headers for this long (slow
    /// clients, idle keep-alive).
    #[arg(long, value_name = "SECS", env = "BT2P_HTTP_IDLE_TIMEOUT", default_value = "20", value_parser = parse_secs)]
    pub http_idle_timeout: Duration,

    /// Player connections streamed at once; more get 503 with Retry-After.
    #[arg(long, value_name = "N", env = "BT2P_MAX_PLAYERS", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub max_players: u32,

    /// Also write logs to a file [default path: ~/.local/state/bt2p-tui/bt2p-tui.log]
    #[arg(long, env = "BT2P_LOG")]
    pub log: bool,

    /// Log filter directives, one per line or comma separated, e.g. `info,librqbit=warn`
    /// (RUST_LOG syntax; RUST_LOG itself is honoured when this is not given). Implies --log.
    #[arg(long, value_name = "FILE", env = "BT2P_LOG_CONF")]
    pub log_conf: Option<PathBuf>,

    /// Where --log writes.
    #[arg(long, value_name = "FILE", env = "BT2P_LOG_FILE")]
    pub log_file: Option<PathBuf>,
}

impl CommonArgs {
    /// The dashboard runs when asked for and both ends of the terminal are there.
    pub fn wants_tui(&self) -> bool {
        use std::io::IsTerminal;
        !self.no_tui && std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
    }
}

fn parse_rate(s: &str) -> Result<u64, String> {
    let v = parse_size::Config::new()
        .with_default_factor(1)
        .parse_size(s.trim().trim_end_matches("/s"))
        .map_err(|e| format!("{e}: write a size such as 5MiB, 800KB or 1000000"))?;
    if v == 0 {
        return Err("must be more than 0".into());
    }
    Ok(v)
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(v > 0.0 && v < 1e9) {
        return Err("must be a positive number of seconds".into());
    }
    Ok(Duration::from_secs_f64(v))
}

fn parse_auth(s: &str) -> Result<String, String> {
    match s.split_once(':') {
        Some((u, p)) if !u.is_empty() && !p.is_empty() => Ok(s.to_string()),
        _ => Err("write it as USER:PASS".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("5MiB"), Ok(5 * 1024 * 1024));
        assert_eq!(parse_rate("800KB"), Ok(800_000));
        assert_eq!(parse_rate("20MB/s"), Ok(20_000_000));
        assert_eq!(parse_rate("1000"), Ok(1000));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").is_err());
    }

    #[test]
    fn auth() {
        assert!(parse_auth("a:b").is_ok());
        assert!(parse_auth("a:").is_err());
        assert!(parse_auth("ab").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
