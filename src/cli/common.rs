//! Options shared by the main command, `create --serve` and `demo`: HTTP, the dashboard, logs.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::parse::{parse_auth, parse_secs};
use crate::access::Cidr;

/// Options shared by the main command and `demo`.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Pieces fetched first and in parallel, from the piece each player reads onward (1-4096),
    /// or seconds of playback (30s, 2m, 1m30s) turned into pieces through the file's bitrate.
    /// The player's buffer should hold piece_par × piece size. Change it at runtime with
    /// GET /?piece_par=N or the keys + - * /.
    #[arg(long, value_name = "N|TIME", env = "BT2P_PIECE_PAR", default_value_t = crate::engine::PiecePar::default())]
    pub piece_par: crate::engine::PiecePar,

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

    /// Start a player on this machine on the first video once its first bytes can be served:
    /// `mpv`, `vlc`, or any command line (the URL goes last; mpv and VLC also get the video's
    /// subtitle).
    #[arg(long, value_name = "CMD", env = "BT2P_PLAYER")]
    pub player: Option<crate::player::PlayerCommand>,

    /// Cast the first video to the UPnP/DLNA renderer (a TV) that announces itself as NAME
    /// (any case), once it is found on the LAN within --allow; searched for every 5 s.
    #[arg(long, value_name = "NAME", env = "BT2P_CAST")]
    pub cast: Option<String>,

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
