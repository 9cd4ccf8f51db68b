//! Serving a file of the torrent: ranges, HEAD, and a body that only carries verified bytes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures::Stream;
use warp::http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use super::range::{self, RangeAnswer};
use super::{HttpError, HttpState, Reply};
use crate::engine::{OpenError, PlayerStream};
use crate::media;

/// Largest body chunk handed to the socket at once.
const CHUNK: usize = 64 * 1024;

pub async fn serve(
    state: &Arc<HttpState>,
    idx: usize,
    head: bool,
    headers: &HeaderMap,
    remote: SocketAddr,
) -> Result<Reply, HttpError> {
    let file = state.engine.files()[idx].clone();
    let len = file.length;
    let etag = format!("\"{}-{idx}\"", state.engine.snapshot().borrow().info_hash);
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.as_bytes() == etag.as_bytes());
    let answer = match range_header {
        Some(r) if if_range_ok => range::parse(r, len, super::multipart::MAX_RANGES),
        _ => RangeAnswer::Full,
    };
    let (status, start, end) = match answer {
        RangeAnswer::Full => (StatusCode::OK, 0, len),
        RangeAnswer::Multi(ranges) => {
            return super::multipart::serve(state, idx, &file, ranges, head, &etag, remote).await;
        }
        RangeAnswer::Single { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeAnswer::Unsatisfiable => {
            let mut r = super::simple(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "text/plain; charset=utf-8",
                b"Requested range not satisfiable.\n".to_vec(),
                head,
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };

    let mut r: Reply = if head || start == end {
        Response::new(Bytes::new().into())
    } else {
        let player = open(state, idx, start, end, remote).await?;
        tracing::info!("{remote} plays {} from byte {start}", file.path);
        // Players ask for subtitles when they start, or when the user picks one: have them by then.
        state.engine.fetch_subtitles(idx);
        let body = body_stream(player, end - start, state.read_timeout, state.cancel.clone());
        warp::Reply::into_response(warp::reply::stream(body))
    };
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media::mime_type(&file.path)),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(r)
}

/// Opens a player stream of file `idx` from `start`, mapping the engine's refusals to HTTP.
pub(super) async fn open(
    state: &HttpState,
    idx: usize,
    start: u64,
    end: u64,
    remote: SocketAddr,
) -> Result<PlayerStream, HttpError> {
    state
        .engine
        .open_player(idx, start, end, remote)
        .await
        .map_err(|e| match e {
            OpenError::NoSuchFile => HttpError::NotFound,
            OpenError::Busy => HttpError::Busy,
            OpenError::ShuttingDown => HttpError::Unavailable("Shutting down.".into()),
            OpenError::Engine(m) => HttpError::Internal(format!("The engine cannot stream this file: {m}")),
        })
}

/// The body: verified bytes as they arrive. A read that sees no progress for `idle` ends the
/// body with an error, so the player sees a broken connection, never a short file.
fn body_stream(
    player: PlayerStream,
    remaining: u64,
    idle: Duration,
    cancel: tokio_util::sync::CancellationToken,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static {
    futures::stream::unfold(
        (player, remaining, cancel, Chunks::default()),
        move |(mut player, remaining, cancel, mut chunks)| async move {
            if remaining == 0 {
                return None;
            }
            match chunks.read(&mut player, remaining, idle, &cancel).await {
                Ok(bytes) => {
                    let left = remaining - bytes.len() as u64;
                    Some((Ok(bytes), (player, left, cancel, chunks)))
                }
                Err(e) => {
                    tracing::error!("stream to {} ended: {e}", player.info().client);
                    Some((Err(e), (player, 0, cancel, chunks)))
                }
            }
        },
    )
}

/// Body chunks cut from one buffer. Once the socket has taken the chunks handed out, the
/// buffer's memory is used again: no allocation or page fault per chunk, and the bytes the
/// kernel copies stay in the cache.
#[derive(Default)]
pub(super) struct Chunks {
    buf: BytesMut,
}

impl Chunks {
    /// The next verified bytes, at most `remaining` and a chunk's worth. A read with no
    /// progress for `idle`, an early end of file and shutdown are errors: the body must not
    /// end short without saying so.
    pub(super) async fn read(
        &mut self,
        player: &mut PlayerStream,
        remaining: u64,
        idle: Duration,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> std::io::Result<Bytes> {
        // Takes the memory back once the socket has let go of the chunks cut from it, else
        // allocates another chunk's worth: below the allocator's mmap threshold, so that it
        // comes back warm from the heap instead of as fresh pages to fault in.
        self.buf.reserve(CHUNK);
        let want = CHUNK.min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let mut room = (&mut self.buf).limit(want);
        let n = tokio::select! {
            _ = cancel.cancelled() => return Err(std::io::Error::other("shutting down")),
            r = tokio::time::timeout(idle, player.read_buf(&mut room)) => match r {
                Ok(r) => r?,
                Err(_) => return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, format!(
                    "no data for {} s at byte {}", idle.as_secs(), player.info().position()))),
            },
        };
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file ended early",
            ));
        }
        Ok(self.buf.split().freeze())
    }
}
