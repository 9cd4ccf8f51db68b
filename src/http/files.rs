//! `GET /<file path>`: a file of the torrent, with ranges and HEAD, and a body that only
//! carries verified bytes; and each SRT, ASS or SSA subtitle's WebVTT twin, `GET /<path>.vtt`.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use warp::reject::Rejection;

use super::conditional::{Validators, Verdict};
use super::filters::{client, file_path, head, with_state};
use super::range::{self, RangeAnswer};
use super::{HttpError, HttpState, Reply, body, dlna, multipart, simple};
use crate::{media, webvtt};

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Rejection> + Clone + use<> {
    file_path()
        .and(with_state(state))
        .and(head())
        .and(warp::header::headers_cloned())
        .and(client())
        .and_then(
            |path: String, state: Arc<HttpState>, head, headers: HeaderMap, remote| async move {
                let files = state.engine.files();
                if let Some(idx) = files.iter().position(|f| f.shown() && f.path == path) {
                    return serve(&state, idx, head, &headers, remote)
                        .await
                        .map_err(Rejection::from);
                }
                let idx = state
                    .engine
                    .listing()
                    .webvtt_of(&path)
                    .ok_or_else(warp::reject::not_found)?;
                serve_vtt(&state, idx, head, remote)
                    .await
                    .map_err(Rejection::from)
            },
        )
}

async fn serve(
    state: &Arc<HttpState>,
    idx: usize,
    head: bool,
    headers: &HeaderMap,
    remote: SocketAddr,
) -> Result<Reply, HttpError> {
    let file = state.engine.files()[idx].clone();
    let len = file.length;
    let validators = Validators {
        etag: format!("\"{}-{idx}\"", state.engine.snapshot().borrow().info_hash),
        last_modified: state.dates.last_modified(idx),
    };
    let range_ok = match validators.evaluate(headers) {
        Verdict::Proceed { range } => range,
        Verdict::NotModified => return Ok(not_modified(&validators)),
        Verdict::PreconditionFailed => return Err(HttpError::PreconditionFailed),
    };
    let etag = &validators.etag;
    let answer = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) if range_ok => range::parse(r, len, multipart::MAX_RANGES),
        _ => RangeAnswer::Full,
    };
    let (status, start, end) = match answer {
        RangeAnswer::Full => (StatusCode::OK, 0, len),
        RangeAnswer::Multi(ranges) => {
            return multipart::serve(state, idx, &file, ranges, head, etag, remote).await;
        }
        RangeAnswer::Single { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeAnswer::Unsatisfiable => return Ok(unsatisfiable(len, head)),
    };

    let mut r: Reply = if head || start == end {
        Response::new(Bytes::new().into())
    } else {
        let player = body::open(state, idx, start, end, remote).await?;
        tracing::info!("{remote} plays {} from byte {start}", file.path);
        // Players ask for subtitles when they start, or when the user picks one: have them by then.
        state.engine.fetch_subtitles(idx);
        let body = body::stream(player, end - start, state.read_timeout, state.cancel.clone());
        warp::Reply::into_response(warp::reply::stream(body))
    };
    *r.status_mut() = status;
    let h = r.headers_mut();
    type_headers(h, &file.path);
    dlna::file_headers(state, idx, &file.path, headers, h);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    validator_headers(h, &validators);
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(r)
}

/// 416 with the file's length, as RFC 9110 asks.
fn unsatisfiable(len: u64, head: bool) -> Reply {
    let mut r = simple(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "text/plain; charset=utf-8",
        b"Requested range not satisfiable.\n".to_vec(),
        head,
    );
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
        r.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    r
}

/// The file's type, and ranges accepted.
fn type_headers(h: &mut HeaderMap, path: &str) {
    let mime = media::mime_type(path);
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if runs_script(mime) {
        // A page that came with the torrent opens in an origin of its own, without script:
        // it cannot act as this server's own pages (set piece_par, read status.json).
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox"),
        );
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
}

/// Whether a browser may run script in a file of this type when it is opened.
fn runs_script(mime: &str) -> bool {
    matches!(
        mime,
        "text/html" | "application/xhtml+xml" | "image/svg+xml" | "text/xml" | "application/xml"
    )
}

/// The biggest subtitle file converted to WebVTT (subtitles are tens of kilobytes).
const MAX_SUBTITLE: u64 = 16 << 20;

/// A subtitle file (SRT, ASS, SSA) as WebVTT: its verified bytes read whole (waiting for them as
/// a player would), then converted.
async fn serve_vtt(
    state: &Arc<HttpState>,
    idx: usize,
    head: bool,
    remote: SocketAddr,
) -> Result<Reply, HttpError> {
    use futures::StreamExt;
    let len = state.engine.files()[idx].length;
    if len > MAX_SUBTITLE {
        return Err(HttpError::BadRequest(format!(
            "This subtitle file is {len} bytes, too big to convert to WebVTT; its .srt is served as it is."
        )));
    }
    let player = body::open(state, idx, 0, len, remote).await?;
    let mut bytes = Vec::with_capacity(len as usize);
    let mut chunks = std::pin::pin!(body::stream(
        player,
        len,
        state.read_timeout,
        state.cancel.clone()
    ));
    while let Some(chunk) = chunks.next().await {
        let chunk =
            chunk.map_err(|e| HttpError::Unavailable(format!("The subtitle file could not be read: {e}")))?;
        bytes.extend_from_slice(&chunk);
    }
    let format = webvtt::format_of(&state.engine.files()[idx].path).ok_or(HttpError::NotFound)?;
    Ok(simple(
        StatusCode::OK,
        "text/vtt; charset=utf-8",
        webvtt::convert(format, &bytes).into_bytes(),
        head,
    ))
}

/// `ETag` and `Last-Modified`, on every answer that carries the file or stands for it.
fn validator_headers(h: &mut HeaderMap, v: &Validators) {
    if let Ok(etag) = HeaderValue::from_str(&v.etag) {
        h.insert(header::ETAG, etag);
    }
    if let Some(lm) = v
        .last_modified_header()
        .and_then(|d| HeaderValue::from_str(&d).ok())
    {
        h.insert(header::LAST_MODIFIED, lm);
    }
}

/// 304: the validators the client already holds, no body and no content headers.
fn not_modified(v: &Validators) -> Reply {
    let mut r: Reply = Response::new(Bytes::new().into());
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    validator_headers(r.headers_mut(), v);
    r
}
