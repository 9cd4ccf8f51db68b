//! The one way a torrent is served: the HTTP server and the engine started for a source, with
//! the dashboard or headless status lines, until a signal or `q`. Used by the main command,
//! `create --serve` and `demo`.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::access::{AllowList, HostNames};
use crate::cli::{CommonArgs, EngineArgs};
use crate::engine::{Engine, EngineOptions};
use crate::error::Error;
use crate::source::Source;
use crate::{headless, http, net, ui};

/// The engine set-up the command line asks for.
pub fn engine_options(e: &EngineArgs, common: &CommonArgs) -> EngineOptions {
    EngineOptions {
        save_path: e.save_path.clone(),
        resume_dir: if e.no_resume {
            None
        } else {
            Some(e.resume.clone().unwrap_or_else(crate::paths::default_resume_dir))
        },
        recheck: e.recheck,
        listen_ip: e.listen_addr,
        listen_port: e.listen_port,
        listen_port_tries: 6889u16.saturating_sub(e.listen_port).max(8),
        utp: !e.no_utp,
        dial_tcp: !e.prefer_utp,
        interface: e.interface.clone(),
        proxy: e.proxy.clone(),
        encryption: e.encryption.into(),
        dht: !e.no_dht,
        dht_bootstrap: e.dht_bootstrap.clone(),
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
pub async fn serve(
    common: &CommonArgs,
    opts: EngineOptions,
    source: Source,
    cancel: CancellationToken,
) -> Result<(), Error> {
    // Bind first: a busy port is the most common start-up failure and must leave nothing behind.
    let listener = net::bind_http(common.bind, common.port).await?;
    serve_on(listener, common, opts, source, cancel).await
}

/// The host written into the URLs players are given: `--domain-name`, else the address a
/// player on another machine should use.
pub fn url_host(common: &CommonArgs) -> String {
    common
        .domain_name
        .clone()
        .unwrap_or_else(|| net::url_host(&net::advertised_ip(common.bind)))
}

/// The DLNA MediaServer (`--dlna`), under `--dlna-name` or the torrent's name.
async fn start_dlna(
    common: &CommonArgs,
    engine: &Engine,
    port: u16,
    base_url: &str,
    cancel: &CancellationToken,
) -> Result<Arc<crate::dlna::Dlna>, Error> {
    let name = common
        .dlna_name
        .clone()
        .unwrap_or_else(|| engine.snapshot().borrow().name.clone());
    let fixed = common.domain_name.as_ref().map(|_| base_url.to_string());
    let allow = AllowList::new(&common.allow);
    crate::dlna::Dlna::start(name, port, engine, &allow, fixed, cancel).await
}

/// [`serve`] on a listener already bound to `common`'s address.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    common: &CommonArgs,
    opts: EngineOptions,
    source: Source,
    cancel: CancellationToken,
) -> Result<(), Error> {
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(common.port);
    let engine = Engine::start(opts, source, cancel.clone()).await?;

    let base_url = format!("http://{}:{port}", url_host(common));
    let dlna = match common.dlna {
        true => Some(start_dlna(common, &engine, port, &base_url, &cancel).await?),
        false => None,
    };
    let hosts = HostNames::new(common.domain_name.as_deref(), &net::local_addresses());
    let state = Arc::new(http::HttpState {
        engine: engine.clone(),
        base_url,
        allow: AllowList::new(&common.allow),
        hosts,
        auth: common.auth.as_deref().map(http::HttpState::basic_auth),
        dlna,
        dates: http::FileDates::watch(&engine, &cancel),
        cast: crate::cast::Caster::new(cancel.clone()),
        read_timeout: common.read_timeout,
        idle_timeout: common.http_idle_timeout,
        cancel: cancel.clone(),
    });
    let server = tokio::spawn(http::serve(listener, state.clone()));
    if let Some(player) = common.player.clone() {
        tokio::spawn(player.launch(state.clone(), cancel.clone()));
    }
    if let Some(name) = common.cast.clone() {
        tokio::spawn(http::cast::when_found(state.clone(), name, cancel.clone()));
    }

    if common.wants_tui() {
        let theme = ui::theme::Theme::from_env(common.ascii);
        let player = common.player.clone().unwrap_or_default();
        if let Err(e) = ui::run(state.clone(), theme, player, cancel.clone()).await {
            cancel.cancel();
            return Err(Error::Dashboard(e));
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
