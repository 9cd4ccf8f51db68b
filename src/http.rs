//! The HTTP side (warp): the index, the files, status.json, piece_par, the playlist and the .torrent.

mod body;
mod files;
mod index;
mod multipart;
pub mod range;
mod status;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio_util::sync::CancellationToken;
use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use warp::hyper::body::Bytes;

pub use self::status::StatusJson;
use crate::access::{AllowList, HostNames};
use crate::engine::{Engine, MAX_PIECE_PAR};
pub use crate::links::encode_path;
use crate::links::{self, Links};

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

/// The client address of a connection, handed from the accept loop to the routes.
#[derive(Debug, Clone, Copy)]
struct ClientAddr(SocketAddr);

/// Serves until `cancel` fires; open bodies end then too.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<HttpState>) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower_service::Service as _;

    let cancel = state.cancel.clone();
    let idle_timeout = state.idle_timeout;
    let st = warp::any().map(move || state.clone());
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    let route = st
        .and(warp::method())
        .and(warp::path::full())
        .and(query)
        .and(warp::header::headers_cloned())
        .and(warp::ext::get::<ClientAddr>())
        .then(|st, m, p, q, h, ClientAddr(a)| handle(st, m, p, q, h, Some(a)));
    let service = warp::service(route);
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
                req.extensions_mut().insert(ClientAddr(remote));
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

async fn handle(
    state: Arc<HttpState>,
    method: Method,
    path: warp::path::FullPath,
    query: String,
    headers: HeaderMap,
    remote: Option<SocketAddr>,
) -> Reply {
    let remote = remote.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
    match route(&state, &method, path.as_str(), &query, &headers, remote).await {
        Ok(r) => r,
        Err(e) => e.into_reply(),
    }
}

/// Every failure a request can meet, mapped to a status code in one place.
#[derive(Debug)]
pub enum HttpError {
    Forbidden(String),
    Unauthorized,
    NotFound,
    BadRequest(String),
    MethodNotAllowed,
    Busy,
    Unavailable(String),
    Internal(String),
}

impl HttpError {
    fn into_reply(self) -> Reply {
        let (status, msg) = match &self {
            HttpError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            HttpError::Unauthorized => (StatusCode::UNAUTHORIZED, "Authentication required.".into()),
            HttpError::NotFound => (StatusCode::NOT_FOUND, "No such file in this torrent.".into()),
            HttpError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            HttpError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Only GET and HEAD are served.".into(),
            ),
            HttpError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many players are streaming at once; try again shortly (or raise --max-players).".into(),
            ),
            HttpError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m.clone()),
            HttpError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m.clone()),
        };
        let mut r = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::CACHE_CONTROL, "no-store");
        match self {
            HttpError::Unauthorized => {
                r = r.header(
                    header::WWW_AUTHENTICATE,
                    "Basic realm=\"bt2p-tui\", charset=\"UTF-8\"",
                )
            }
            HttpError::Busy => r = r.header(header::RETRY_AFTER, "5"),
            HttpError::MethodNotAllowed => r = r.header(header::ALLOW, "GET, HEAD"),
            _ => {}
        }
        r.body(Bytes::from(format!("{msg}\n")).into()).unwrap_or_default()
    }
}

async fn route(
    state: &Arc<HttpState>,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    remote: SocketAddr,
) -> Result<Reply, HttpError> {
    if !state.allow.permits(remote.ip()) {
        return Err(HttpError::Forbidden(format!(
            "Your address {} may not use this server. Start bt2p-tui with --allow {}/32 (or a wider range such as --allow 0.0.0.0/0) to let it in.",
            remote.ip(),
            remote.ip()
        )));
    }
    if let Some(expected) = &state.auth {
        let given = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
        if !given.is_some_and(|g| constant_time_eq(g, expected.as_bytes())) {
            return Err(HttpError::Unauthorized);
        }
    }
    let head = *method == Method::HEAD;
    if !head && *method != Method::GET {
        return Err(HttpError::MethodNotAllowed);
    }
    match path {
        "/" => {
            if let Some(v) = query_param(query, "piece_par") {
                set_piece_par(state, &v, headers)?;
            }
            Ok(index::page(state, head))
        }
        links::STATUS => Ok(status_json(state, head)),
        links::PLAYLIST => Ok(index::playlist(state, head)),
        _ => {
            let rel = decode_path(path).ok_or(HttpError::NotFound)?;
            let name = state.engine.snapshot().borrow().name.clone();
            if rel == links::torrent_name(&name) {
                return Ok(torrent_file(state, head));
            }
            let files = state.engine.files().clone();
            let idx = files
                .iter()
                .position(|f| !f.padding && f.path == rel)
                .ok_or(HttpError::NotFound)?;
            files::serve(state, idx, head, headers, remote).await
        }
    }
}

/// `/a%20b/c.mkv` → `a b/c.mkv`; None for paths no file can have.
pub fn decode_path(path: &str) -> Option<String> {
    let p = path.strip_prefix('/')?;
    let s = percent_encoding::percent_decode_str(p).decode_utf8().ok()?;
    if s.is_empty() || s.contains('\0') || s.len() > 8192 {
        return None;
    }
    Some(s.into_owned())
}

pub fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `GET /?piece_par=N`, refused from other sites and from unknown Host names.
fn set_piece_par(state: &HttpState, value: &str, headers: &HeaderMap) -> Result<u32, HttpError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !state.hosts.accepts(host) {
        return Err(HttpError::Forbidden(format!(
            "piece_par can only be changed through a name of this server; '{host}' is not one (set --domain-name to the name you use)."
        )));
    }
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(HttpError::Forbidden(
            "piece_par cannot be changed from another site.".into(),
        ));
    }
    for h in [header::ORIGIN, header::REFERER] {
        if let Some(v) = headers.get(&h).and_then(|v| v.to_str().ok())
            && (v == "null" || url_host(v).is_none_or(|oh| !oh.eq_ignore_ascii_case(host)))
        {
            return Err(HttpError::Forbidden(
                "piece_par cannot be changed from another site.".into(),
            ));
        }
    }
    let n: u32 = value
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=MAX_PIECE_PAR).contains(n))
        .ok_or_else(|| {
            HttpError::BadRequest(format!(
                "piece_par must be a whole number from 1 to {MAX_PIECE_PAR}, not '{value}'."
            ))
        })?;
    tracing::info!("piece_par set to {n} over HTTP");
    Ok(state.engine.set_piece_par(n))
}

/// `http://host:port/path` → `host:port`.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    Some(authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn status_json(state: &HttpState, head: bool) -> Reply {
    let snap = state.engine.snapshot_now();
    let json = StatusJson::new(&snap, state.links());
    let body = serde_json::to_vec_pretty(&json).unwrap_or_default();
    simple(StatusCode::OK, "application/json", body, head)
}

fn torrent_file(state: &HttpState, head: bool) -> Reply {
    simple(
        StatusCode::OK,
        "application/x-bittorrent",
        state.engine.torrent_bytes().to_vec(),
        head,
    )
}

/// A small complete answer with the common safety headers.
pub(crate) fn simple(status: StatusCode, content_type: &str, body: Vec<u8>, head: bool) -> Reply {
    let len = body.len();
    let mut r: Reply = Response::new(if head { Bytes::new() } else { Bytes::from(body) }.into());
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            decode_path("/Season%201/Ep%201.mkv").as_deref(),
            Some("Season 1/Ep 1.mkv")
        );
        assert_eq!(decode_path("/"), None);
        assert_eq!(decode_path("/a%00b"), None);
        assert_eq!(decode_path("/%ff"), None);
    }

    #[test]
    fn queries_and_hosts() {
        assert_eq!(
            query_param("a=1&piece_par=12", "piece_par").as_deref(),
            Some("12")
        );
        assert_eq!(query_param("piece_par", "piece_par").as_deref(), Some(""));
        assert_eq!(query_param("x=1", "piece_par"), None);
        assert_eq!(url_host("http://media.lan:17580/?x"), Some("media.lan:17580"));
        assert_eq!(url_host("http://u:p@h/"), Some("h"));
        assert_eq!(url_host("garbage"), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
