//! The HTTP side (warp): the index, the files, status.json, piece_par, the playlist and the
//! .torrent. `routes` holds the table; each route has its own file.

mod body;
pub mod cast;
mod conditional;
mod dates;
mod dlna;
mod error;
mod files;
mod filters;
mod guards;
mod index;
mod metrics;
mod multipart;
mod piece_par;
mod playlist;
pub mod range;
mod routes;
mod safety;
mod status;
mod torrent;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio_util::sync::CancellationToken;
use warp::http::{HeaderValue, Response, StatusCode, header};
use warp::hyper::body::Bytes;

pub use self::dates::FileDates;
pub use self::error::HttpError;
pub use self::filters::{decode_path, query_param};
use crate::access::{AllowList, HostNames};
use crate::engine::Engine;
use crate::links::Links;
pub use crate::links::encode_path;

pub type Reply = warp::reply::Response;

/// What every request handler can see.
pub struct HttpState {
    pub engine: Arc<Engine>,
    /// `http://host:port`, written into links, the playlist and printed URLs.
    pub base_url: String,
    pub allow: AllowList,
    pub hosts: HostNames,
    /// The expected `Authorization` header value, when --auth is set.
    pub auth: Option<String>,
    /// The MediaServer, with --dlna.
    pub dlna: Option<Arc<crate::dlna::Dlna>>,
    /// When each file last changed, for `Last-Modified` and the conditional requests.
    pub dates: FileDates,
    /// The cast to a TV, if any.
    pub cast: Arc<crate::cast::Caster>,
    pub read_timeout: Duration,
    /// How long a client may take to send a request's headers, and how long an idle keep-alive
    /// connection stays open: slow or silent clients must not hold connections for ever.
    pub idle_timeout: Duration,
    pub cancel: CancellationToken,
}

impl HttpState {
    /// The `Authorization` header value that `--auth USER:PASS` expects.
    pub fn basic_auth(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    /// The server's URLs, under the base written into printed links.
    pub fn links(&self) -> Links<'_> {
        Links::new(&self.base_url)
    }
}

/// Serves until `cancel` fires; open bodies end then too.
///
/// The routes are warp's; the connections are driven by hyper here, because warp's own server
/// has no timeout for reading a request's headers, no bound on how long a graceful shutdown
/// waits, and no way to hand the client's address to filters served through `warp::service`.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<HttpState>) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower_service::Service as _;

    let cancel = state.cancel.clone();
    let idle_timeout = state.idle_timeout;
    let service = warp::service(routes::table(&state));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, remote) = tokio::select! {
            _ = cancel.cancelled() => break,
            r = listener.accept() => match r {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!("accepting an HTTP connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let svc = service.clone();
        let per_request =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(filters::ClientAddr(remote));
                let mut svc = svc.clone();
                async move { svc.call(req).await }
            });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(idle_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), per_request);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("HTTP connection from {remote}: {e}");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(1), graceful.shutdown()).await;
}

/// A small complete answer, not to be cached.
pub(crate) fn simple(status: StatusCode, content_type: &str, body: Vec<u8>, head: bool) -> Reply {
    let len = body.len();
    let mut r: Reply = Response::new(if head { Bytes::new() } else { Bytes::from(body) }.into());
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
