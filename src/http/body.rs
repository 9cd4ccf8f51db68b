//! What single and multipart answers share: opening a player stream, and cutting the verified
//! bytes it yields into body chunks.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures::Stream;
use tokio_util::sync::CancellationToken;

use super::{HttpError, HttpState};
use crate::engine::{OpenError, PlayerStream};

/// Largest body chunk handed to the socket at once.
const CHUNK: usize = 64 * 1024;

/// Opens a player stream of file `idx` from `start`, mapping the engine's refusals to HTTP.
pub async fn open(
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
pub fn stream(
    player: PlayerStream,
    remaining: u64,
    idle: Duration,
    cancel: CancellationToken,
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
pub struct Chunks {
    buf: BytesMut,
}

impl Chunks {
    /// The next verified bytes, at most `remaining` and a chunk's worth. A read with no
    /// progress for `idle`, an early end of file and shutdown are errors: the body must not
    /// end short without saying so.
    pub async fn read(
        &mut self,
        player: &mut PlayerStream,
        remaining: u64,
        idle: Duration,
        cancel: &CancellationToken,
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
