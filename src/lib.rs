//! bt2p-tui: stream the files of a torrent over HTTP while they download.
//!
//! `run` wires the parts under one cancellation token: the engine (librqbit), the HTTP
//! server (warp) and the front end (headless status lines).

pub mod access;
pub mod cli;
pub mod create;
pub mod demo;
pub mod engine;
pub mod error;
pub mod fmt;
pub mod headless;
pub mod http;
pub mod logging;
pub mod net;
pub mod qr;
pub mod source;
pub mod subtitles;
pub mod ui;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::access::{AllowList, HostNames};
use crate::cli::{Cli, Command, CommonArgs, EngineArgs};
use crate::engine::{Engine, EngineOptions};
use crate::error::Error;
use crate::source::Source;

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> Result<(), Error> {
    let cancel = CancellationToken::new();
    spawn_signal_handler(cancel.clone());
    match cli.command {
        Some(Command::Demo(args)) => demo::run(args, cancel).await,
        Some(Command::Create(args)) => {
            let _log = logging::init(&args.common, args.serve && use_tui(&args.common))?;
            create::run(*args, cancel).await
        }
        None => {
            let run = cli.run;
            let _log = logging::init(&run.common, use_tui(&run.common))?;
            let arg = run.source.clone().or(run.hash_file.clone()).ok_or_else(|| {
                Error::Other(
                    "no torrent given: pass a .torrent path, a magnet link or an info hash (see --help)"
                        .into(),
                )
            })?;
            let source = source::resolve(&arg).await?;
            let opts = engine_options(&run.engine, &run.common);
            serve_torrent(&run.common, opts, source, cancel).await
        }
    }
}

/// The engine set-up the command line asks for.
pub fn engine_options(e: &EngineArgs, common: &CommonArgs) -> EngineOptions {
    EngineOptions {
        save_path: e.save_path.clone(),
        resume_dir: if e.no_resume {
            None
        } else {
            e.resume.clone().or_else(engine::default_resume_dir)
        },
        recheck: e.recheck,
        listen_ip: std::net::Ipv4Addr::UNSPECIFIED.into(),
        listen_port: e.listen_port,
        listen_port_tries: 6889u16.saturating_sub(e.listen_port).max(8),
        dht: !e.no_dht,
        trackers: !e.no_trackers,
        lsd: !e.no_trackers && !e.no_lsd,
        peers: e.peers.clone(),
        download_limit: e.download_limit,
        upload_limit: e.upload_limit,
        on_demand: e.on_demand,
        piece_par: common.piece_par,
        metadata_timeout: e.metadata_timeout,
        max_players: common.max_players as usize,
        request_window: e.request_window as usize,
    }
}

/// Starts the HTTP server and the engine for `source`, then runs until a signal.
pub async fn serve_torrent(
    common: &CommonArgs,
    opts: EngineOptions,
    source: Source,
    cancel: CancellationToken,
) -> Result<(), Error> {
    // Bind first: a busy port is the most common start-up failure and must leave nothing behind.
    let listener = net::bind_http(common.bind, common.port).await?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(common.port);
    let engine = Engine::start(opts, source, cancel.clone()).await?;

    let host = common
        .domain_name
        .clone()
        .unwrap_or_else(|| net::url_host(&net::advertised_ip(common.bind)));
    let base_url = format!("http://{host}:{port}");
    let hosts = HostNames::new(common.domain_name.as_deref(), &net::local_addresses());
    let state = Arc::new(http::HttpState {
        engine: engine.clone(),
        base_url,
        allow: AllowList::new(&common.allow),
        hosts,
        auth: common.auth.as_deref().map(http::HttpState::basic_auth),
        read_timeout: common.read_timeout,
        idle_timeout: common.http_idle_timeout,
        cancel: cancel.clone(),
    });
    let server = tokio::spawn(http::serve(listener, state.clone()));

    if use_tui(common) {
        let theme = ui::theme::Theme::from_env(common.ascii);
        if let Err(e) = ui::run(engine.clone(), state.base_url.clone(), theme, cancel.clone()).await {
            cancel.cancel();
            return Err(Error::Other(format!("the dashboard failed: {e}")));
        }
        cancel.cancel();
    } else {
        headless::print_urls(&state);
        if common.qr {
            headless::print_qr(&state);
        }
        headless::run(engine.clone(), cancel.clone()).await;
    }

    tracing::info!("shutting down");
    let started = std::time::Instant::now();
    // Both at once, bounded: a stuck peer or player must not hold the exit.
    let _ = tokio::time::timeout(Duration::from_millis(2500), async {
        tokio::join!(engine.stop(), server)
    })
    .await;
    tracing::debug!("stopped in {} ms", started.elapsed().as_millis());
    Ok(())
}

/// The dashboard runs when asked for and both ends of the terminal are there.
pub fn use_tui(common: &CommonArgs) -> bool {
    use std::io::IsTerminal;
    !common.no_tui && std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
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
