//! The command line: `bt2p-tui [OPTIONS] <SOURCE>`, `bt2p-tui create`, `bt2p-tui demo`.

mod common;
mod engine;
mod parse;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use common::CommonArgs;
pub use engine::EngineArgs;
use parse::{parse_demo_rate, parse_rate};

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
    /// Upload rate of the built-in seeder, per second, 16KiB or more. The default downloads the
    /// 190 MiB demo video in about 3 minutes, 1.7 times as fast as it plays.
    #[arg(long, env = "BT2P_DEMO_RATE", default_value = "1MiB", value_parser = parse_demo_rate)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
