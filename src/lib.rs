//! bt2p-tui: stream the files of a torrent over HTTP while they download.
//!
//! `run` reads the command and hands it to its module under one cancellation token; `serve`
//! wires the engine (librqbit), the HTTP server (warp) and the front end (the dashboard or
//! headless status lines).

// Shipped code (tests are exempt): functions short enough to read whole (the threshold is in
// clippy.toml), and no unwrap, expect or panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::too_many_lines,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod access;
pub mod cast;
pub mod cli;
pub mod create;
pub mod demo;
pub mod dlna;
pub mod engine;
pub mod error;
pub mod figures;
pub mod fmt;
pub mod headless;
pub mod http;
pub mod links;
pub mod logging;
pub mod media;
pub mod net;
pub mod paths;
pub mod player;
pub mod qr;
pub mod serve;
pub mod source;
pub mod subtitles;
pub mod ui;
pub mod webvtt;
pub mod wire;

use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command};
use crate::error::Error;

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> Result<(), Error> {
    let cancel = CancellationToken::new();
    spawn_signal_handler(cancel.clone());
    match cli.command {
        Some(Command::Demo(args)) => demo::run(*args, cancel).await,
        Some(Command::Create(args)) => {
            let _log = logging::init(&args.common, args.serve && args.common.wants_tui())?;
            create::run(*args, cancel).await
        }
        None => {
            let run = cli.run;
            let _log = logging::init(&run.common, run.common.wants_tui())?;
            let arg = run
                .source
                .clone()
                .or(run.hash_file.clone())
                .ok_or(Error::NoTorrent)?;
            let source = source::resolve(&arg).await?;
            let opts = serve::engine_options(&run.engine, &run.common);
            serve::serve(&run.common, opts, source, cancel).await
        }
    }
}

fn spawn_signal_handler(cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
            _ = cancel.cancelled() => return,
        }
        cancel.cancel();
    });
}
