//! Several ranges in one answer: `multipart/byteranges`, byte for byte as nginx writes it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::Stream;
use warp::http::{HeaderValue, Response, StatusCode, header};
use warp::hyper::body::Bytes;

use super::body::{self, Chunks};
use super::{HttpError, HttpState, Reply};
use crate::engine::{FileSnap, PlayerStream};
use crate::media;

/// More ranges than this get the whole file (nginx's `max_ranges`): each part costs a header,
/// so thousands of tiny ranges would multiply what is sent.
pub const MAX_RANGES: usize = 64;

/// Twenty digits, as nginx writes its boundaries.
fn boundary() -> String {
    format!("{:020}", rand::random::<u64>())
}

fn part_header(boundary: &str, mime: &str, (start, end): (u64, u64), len: u64) -> String {
    format!(
        "\r\n--{boundary}\r\nContent-Type: {mime}\r\nContent-Range: bytes {start}-{}/{len}\r\n\r\n",
        end - 1
    )
}

fn trailer(boundary: &str) -> String {
    format!("\r\n--{boundary}--\r\n")
}

/// The length of the whole multipart body, known before any byte is sent.
fn body_len(ranges: &[(u64, u64)], boundary: &str, mime: &str, len: u64) -> u64 {
    ranges
        .iter()
        .map(|r| part_header(boundary, mime, *r, len).len() as u64 + (r.1 - r.0))
        .sum::<u64>()
        + trailer(boundary).len() as u64
}

/// A 206 with every range of `file`, in the order asked.
pub async fn serve(
    state: &Arc<HttpState>,
    idx: usize,
    file: &FileSnap,
    ranges: Vec<(u64, u64)>,
    head: bool,
    etag: &str,
    remote: SocketAddr,
) -> Result<Reply, HttpError> {
    let mime = media::mime_type(&file.path);
    let b = boundary();
    let len = file.length;
    let total = body_len(&ranges, &b, mime, len);
    let mut r: Reply = if head {
        Response::new(Bytes::new().into())
    } else {
        // The first part's stream is opened now, so that a busy server answers 503, not a
        // broken 206.
        let (s0, e0) = ranges[0];
        let first = body::open(state, idx, s0, e0, remote).await?;
        let parts = Parts {
            state: state.clone(),
            idx,
            remote,
            boundary: b.clone(),
            mime,
            len,
            ranges: ranges.into(),
            first: Some(first),
            step: Step::Header,
            chunks: Default::default(),
        };
        warp::Reply::into_response(warp::reply::stream(parts.stream()))
    };
    *r.status_mut() = StatusCode::PARTIAL_CONTENT;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("multipart/byteranges; boundary={b}")) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    Ok(r)
}

enum Step {
    Header,
    Data(PlayerStream, u64),
    Trailer,
    Done,
}

struct Parts {
    state: Arc<HttpState>,
    idx: usize,
    remote: SocketAddr,
    boundary: String,
    mime: &'static str,
    len: u64,
    ranges: VecDeque<(u64, u64)>,
    first: Option<PlayerStream>,
    step: Step,
    chunks: Chunks,
}

/// What one step of the body gives: bytes to send, or nothing now and the next step.
enum Next {
    Send(Result<Bytes, std::io::Error>),
    Again,
}

impl Parts {
    /// The body: each part's header and bytes in turn, then the trailer.
    fn stream(self) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static {
        futures::stream::unfold(self, |mut p| async move {
            loop {
                let next = match std::mem::replace(&mut p.step, Step::Done) {
                    Step::Done => return None,
                    Step::Trailer => Next::Send(Ok(Bytes::from(trailer(&p.boundary)))),
                    Step::Header => p.header().await,
                    Step::Data(player, remaining) => p.data(player, remaining).await,
                };
                if let Next::Send(item) = next {
                    return Some((item, p));
                }
            }
        })
    }

    /// The next part's header, its stream opened (the first was opened before answering).
    async fn header(&mut self) -> Next {
        let Some(&(start, end)) = self.ranges.front() else {
            self.step = Step::Trailer;
            return Next::Again;
        };
        let player = match self.first.take() {
            Some(first) => first,
            None => {
                // On a task of its own: the engine's open future is not Sync, and a response
                // body must be.
                let (state, idx, remote) = (self.state.clone(), self.idx, self.remote);
                let opened =
                    tokio::spawn(async move { body::open(&state, idx, start, end, remote).await }).await;
                let problem = match opened {
                    Ok(Ok(s)) => Ok(s),
                    Ok(Err(e)) => Err(format!("{e:?}")),
                    Err(e) => Err(e.to_string()),
                };
                match problem {
                    Ok(s) => s,
                    Err(problem) => return self.ended(std::io::Error::other(problem)),
                }
            }
        };
        let head = part_header(&self.boundary, self.mime, (start, end), self.len);
        self.step = Step::Data(player, end - start);
        Next::Send(Ok(Bytes::from(head)))
    }

    /// The next chunk of the current part's verified bytes.
    async fn data(&mut self, mut player: PlayerStream, remaining: u64) -> Next {
        if remaining == 0 {
            self.ranges.pop_front();
            self.step = Step::Header;
            return Next::Again;
        }
        let read = self
            .chunks
            .read(
                &mut player,
                remaining,
                self.state.read_timeout,
                &self.state.cancel,
            )
            .await;
        match read {
            Ok(bytes) => {
                let left = remaining - bytes.len() as u64;
                self.step = Step::Data(player, left);
                Next::Send(Ok(bytes))
            }
            Err(e) => self.ended(e),
        }
    }

    /// The answer ends with `e` (the step is left at Done).
    fn ended(&self, e: std::io::Error) -> Next {
        tracing::error!("multipart answer to {} ended: {e}", self.remote);
        Next::Send(Err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_nginx() {
        let h = part_header("00000000000000000001", "video/mp4", (0, 2), 10);
        assert_eq!(
            h,
            "\r\n--00000000000000000001\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-1/10\r\n\r\n"
        );
        assert_eq!(
            trailer("00000000000000000001"),
            "\r\n--00000000000000000001--\r\n"
        );
        let ranges = [(0, 2), (5, 10)];
        let want = h.len() + 2 + part_header("00000000000000000001", "video/mp4", (5, 10), 10).len() + 5 + 28;
        assert_eq!(
            body_len(&ranges, "00000000000000000001", "video/mp4", 10),
            want as u64
        );
        assert_eq!(boundary().len(), 20);
    }
}
